/* cbor.c - the few CBOR shapes Cardano key files and opcerts use: definite
 * heads (unsigned integers, byte strings, arrays; anything else refused by
 * the callers); and, for blocks, skipping one whole item of any shape
 * (indefinite lengths, tags, floats) so its original bytes can be hashed in
 * place. A position walker, not a parser: nothing is copied or allocated. */
#include "cardano_int.h"

mtl_err mtl_cbor_head(const uint8_t *p, size_t len, size_t *pos, unsigned *major, uint64_t *val,
                      const char *what)
{
    MTL_CHECK(*pos < len, MTL_ERR_BAD_ENCODING, "%s: CBOR ends early (offset %zu)", what, *pos);
    uint8_t b = p[(*pos)++];
    unsigned info = b & 31u;
    *major = b >> 5;
    if (info < 24) {
        *val = info;
        return MTL_OK;
    }
    MTL_CHECK(info <= 27, MTL_ERR_BAD_ENCODING,
              "%s: CBOR indefinite or reserved length (byte 0x%02x at offset %zu) not allowed",
              what, b, *pos - 1);
    size_t n = (size_t)1 << (info - 24);
    MTL_CHECK(len - *pos >= n, MTL_ERR_BAD_ENCODING, "%s: CBOR ends inside a %zu-byte length", what,
              n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[(*pos)++];
    *val = v;
    return MTL_OK;
}

mtl_err mtl_cbor_expect(const uint8_t *p, size_t len, size_t *pos, unsigned major, uint64_t *val,
                        const char *what)
{
    static const char *const NAMES[8] = {
        "unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag",
        "simple/float"};
    unsigned got = 0;
    size_t at = *pos;
    MTL_TRY(mtl_cbor_head(p, len, pos, &got, val, what));
    MTL_CHECK(got == major, MTL_ERR_BAD_ENCODING,
              "%s: expected a CBOR %s at offset %zu, found a %s", what, NAMES[major], at,
              NAMES[got]);
    return MTL_OK;
}

mtl_err mtl_cbor_bytes(const uint8_t *p, size_t len, size_t *pos, const uint8_t **out, size_t want,
                       const char *what)
{
    uint64_t n;
    MTL_TRY(mtl_cbor_expect(p, len, pos, 2, &n, what));
    MTL_CHECK(want == 0 || n == want, MTL_ERR_BAD_ENCODING,
              "%s: expected %zu bytes, the CBOR byte string has %llu", what, want,
              (unsigned long long)n);
    MTL_CHECK(n <= len - *pos, MTL_ERR_BAD_ENCODING,
              "%s: CBOR byte string of %llu bytes overruns the input", what, (unsigned long long)n);
    *out = p + *pos;
    *pos += (size_t)n;
    return MTL_OK;
}

size_t mtl_cbor_put_head(uint8_t *out, unsigned major, uint64_t val)
{
    uint8_t m = (uint8_t)(major << 5);
    int n;
    if (val < 24) {
        out[0] = (uint8_t)(m | val);
        return 1;
    }
    if (val <= 0xff) {
        out[0] = m | 24;
        n = 1;
    } else if (val <= 0xffff) {
        out[0] = m | 25;
        n = 2;
    } else if (val <= 0xffffffffu) {
        out[0] = m | 26;
        n = 4;
    } else {
        out[0] = m | 27;
        n = 8;
    }
    for (int i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(val >> (8 * (n - 1 - i)));
    return (size_t)n + 1;
}

/* An indefinite string: definite chunks of the same major type up to 0xff. */
static mtl_err skip_chunks(const uint8_t *p, size_t len, size_t *pos, unsigned major,
                           const char *what)
{
    for (;;) {
        MTL_CHECK(*pos < len, MTL_ERR_BAD_ENCODING, "%s: CBOR ends inside a string (offset %zu)",
                  what, *pos);
        if (p[*pos] == 0xff) {
            (*pos)++;
            return MTL_OK;
        }
        unsigned m;
        uint64_t n;
        size_t at = *pos;
        MTL_TRY(mtl_cbor_head(p, len, pos, &m, &n, what));
        MTL_CHECK(m == major && n <= len - *pos, MTL_ERR_BAD_ENCODING,
                  "%s: bad chunk of an indefinite CBOR string at offset %zu", what, at);
        *pos += (size_t)n;
    }
}

/* The head's argument after its first byte b (info 24..27: 1, 2, 4 or 8
 * bytes at p[*i], known to be there). */
static inline uint64_t head_arg(const uint8_t *p, size_t *i, unsigned info)
{
    size_t at = *i;
    *i += (size_t)1 << (info - 24);
    switch (info) {
    case 24:
        return p[at];
    case 25:
        return (uint64_t)p[at] << 8 | p[at + 1];
    case 26:
        return mtl_be32_get(p + at);
    default:
        return mtl_be64_get(p + at);
    }
}

/* Levels closed by a 0xff break, not by a count (counts are below: each
 * item takes a byte of the input); a map's break comes before a key. */
#define INDEF_ARRAY UINT64_MAX
#define INDEF_MAP_KEY (UINT64_MAX - 1)
#define INDEF_MAP_VALUE (UINT64_MAX - 2)

/* Without recursion: `cur` counts the items the current nesting level still
 * holds (an INDEF_ mark for an indefinite array or map), outer[] those of
 * the levels around it; so each item costs its head and a byte string its
 * length, whatever it holds. The count stays in a register: only entering
 * and leaving an array, map or tag touch outer[]. Level 0 is the item
 * itself; an item at level MTL_CBOR_MAX_DEPTH is refused. */
mtl_err mtl_cbor_skip(const uint8_t *p, size_t len, size_t *pos, const char *what)
{
    uint64_t outer[MTL_CBOR_MAX_DEPTH], cur = 1;
    unsigned depth = 0;
    size_t i = *pos;
    for (;;) {
        while (cur == 0) {
            if (depth == 0) {
                *pos = i;
                return MTL_OK;
            }
            cur = outer[--depth];
        }
        MTL_CHECK(i < len, MTL_ERR_BAD_ENCODING, "%s: CBOR ends early (offset %zu, %u levels deep)",
                  what, i, depth);
        size_t at = i;
        uint8_t b = p[i++];
        unsigned major = b >> 5, info = b & 31u;
        if (cur < INDEF_MAP_VALUE)
            cur--;
        else if (b == 0xff && cur != INDEF_MAP_VALUE) {
            cur = 0;
            continue;
        } else if (cur != INDEF_ARRAY)
            cur = cur == INDEF_MAP_KEY ? INDEF_MAP_VALUE : INDEF_MAP_KEY;
        MTL_CHECK(depth < MTL_CBOR_MAX_DEPTH, MTL_ERR_BAD_ENCODING,
                  "%s: CBOR nested deeper than %d (offset %zu)", what, MTL_CBOR_MAX_DEPTH, at);
        uint64_t v = info, inner = 0; /* the items of the level it opens */
        if (info == 31) {
            if (major == 2 || major == 3) {
                MTL_TRY(skip_chunks(p, len, &i, major, what));
                continue;
            }
            MTL_CHECK(major == 4 || major == 5, MTL_ERR_BAD_ENCODING,
                      "%s: CBOR byte 0x%02x at offset %zu is not an item", what, b, at);
            inner = major == 5 ? INDEF_MAP_KEY : INDEF_ARRAY;
        } else {
            if (info >= 24) {
                MTL_CHECK(info <= 27, MTL_ERR_BAD_ENCODING,
                          "%s: reserved CBOR byte 0x%02x at offset %zu", what, b, at);
                MTL_CHECK(((size_t)1 << (info - 24)) <= len - i, MTL_ERR_BAD_ENCODING,
                          "%s: CBOR ends inside the head at offset %zu", what, at);
                v = head_arg(p, &i, info);
            }
            switch (major) {
            case 2:
            case 3:
                MTL_CHECK(v <= len - i, MTL_ERR_BAD_ENCODING,
                          "%s: CBOR string of %llu bytes at offset %zu overruns the input", what,
                          (unsigned long long)v, at);
                i += (size_t)v;
                break;
            case 4:
            case 5:
                /* every item takes a byte: a count past the input is refused at once */
                MTL_CHECK(v <= (len - i) >> (major == 5), MTL_ERR_BAD_ENCODING,
                          "%s: CBOR %s of %llu items at offset %zu overruns the input", what,
                          major == 4 ? "array" : "map", (unsigned long long)v, at);
                inner = v << (major == 5);
                break;
            case 6:
                inner = 1; /* the tagged item */
                break;
            default:
                break; /* integers, simple values and floats: the head was all */
            }
        }
        if (inner) {
            outer[depth++] = cur;
            cur = inner;
        }
    }
}

mtl_err mtl_cbor_array(const uint8_t *p, size_t len, size_t *pos, uint64_t *n, bool *indefinite,
                       const char *what)
{
    MTL_CHECK(*pos < len, MTL_ERR_BAD_ENCODING, "%s: CBOR ends early (offset %zu)", what, *pos);
    if (p[*pos] == 0x9f) {
        (*pos)++;
        *indefinite = true;
        *n = 0;
        return MTL_OK;
    }
    *indefinite = false;
    MTL_TRY(mtl_cbor_expect(p, len, pos, 4, n, what));
    MTL_CHECK(*n <= len - *pos, MTL_ERR_BAD_ENCODING,
              "%s: CBOR array of %llu items overruns the input", what, (unsigned long long)*n);
    return MTL_OK;
}

bool mtl_cbor_array_more(const uint8_t *p, size_t len, size_t *pos, bool indefinite, uint64_t *left)
{
    if (!indefinite)
        return (*left)-- > 0;
    if (*pos < len && p[*pos] == 0xff) {
        (*pos)++;
        return false;
    }
    return true; /* an early end is the next item's error */
}
