/* cbor.c - the few CBOR shapes Cardano key files and opcerts use: definite
 * heads (unsigned integers, byte strings, arrays). Anything else (maps,
 * tags, indefinite lengths, reserved values) is refused by the callers. */
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
