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

static mtl_err skip_at(const uint8_t *p, size_t len, size_t *pos, unsigned depth, const char *what)
{
    MTL_CHECK(depth < MTL_CBOR_MAX_DEPTH, MTL_ERR_BAD_ENCODING,
              "%s: CBOR nested deeper than %d (offset %zu)", what, MTL_CBOR_MAX_DEPTH, *pos);
    MTL_CHECK(*pos < len, MTL_ERR_BAD_ENCODING, "%s: CBOR ends early (offset %zu)", what, *pos);
    size_t at = *pos;
    uint8_t b = p[at];
    unsigned major = b >> 5, info = b & 31u;
    if (info == 31) {
        (*pos)++;
        if (major == 2 || major == 3)
            return skip_chunks(p, len, pos, major, what);
        MTL_CHECK(major == 4 || major == 5, MTL_ERR_BAD_ENCODING,
                  "%s: CBOR byte 0x%02x at offset %zu is not an item", what, b, at);
        for (;;) {
            MTL_CHECK(*pos < len, MTL_ERR_BAD_ENCODING,
                      "%s: CBOR ends inside an indefinite %s (offset %zu)", what,
                      major == 4 ? "array" : "map", at);
            if (p[*pos] == 0xff) {
                (*pos)++;
                return MTL_OK;
            }
            MTL_TRY(skip_at(p, len, pos, depth + 1, what));
            if (major == 5)
                MTL_TRY(skip_at(p, len, pos, depth + 1, what));
        }
    }
    if (major == 7) { /* simple values and floats: a head and 0-8 bytes */
        MTL_CHECK(info <= 27, MTL_ERR_BAD_ENCODING, "%s: reserved CBOR byte 0x%02x at offset %zu",
                  what, b, at);
        size_t n = info < 24 ? 0 : (size_t)1 << (info - 24);
        MTL_CHECK(len - at - 1 >= n, MTL_ERR_BAD_ENCODING, "%s: CBOR ends inside a float", what);
        *pos = at + 1 + n;
        return MTL_OK;
    }
    unsigned m;
    uint64_t v;
    MTL_TRY(mtl_cbor_head(p, len, pos, &m, &v, what));
    switch (major) {
    case 2:
    case 3:
        MTL_CHECK(v <= len - *pos, MTL_ERR_BAD_ENCODING,
                  "%s: CBOR string of %llu bytes at offset %zu overruns the input", what,
                  (unsigned long long)v, at);
        *pos += (size_t)v;
        return MTL_OK;
    case 4:
    case 5:
        /* every item takes a byte: a count past the input is refused at once */
        MTL_CHECK(v <= (len - *pos) / (major == 5 ? 2 : 1), MTL_ERR_BAD_ENCODING,
                  "%s: CBOR %s of %llu items at offset %zu overruns the input", what,
                  major == 4 ? "array" : "map", (unsigned long long)v, at);
        for (uint64_t i = 0; i < v * (major == 5 ? 2 : 1); i++)
            MTL_TRY(skip_at(p, len, pos, depth + 1, what));
        return MTL_OK;
    case 6:
        return skip_at(p, len, pos, depth + 1, what);
    default:
        return MTL_OK; /* integers: the head was all */
    }
}

mtl_err mtl_cbor_skip(const uint8_t *p, size_t len, size_t *pos, const char *what)
{
    return skip_at(p, len, pos, 0, what);
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
