/* hex.c - hex, JSON-hex and serde byte-array codecs. */
#include <stdio.h>
#include <string.h>

#include "common_int.h"

static const char hexdig[] = "0123456789abcdef";

mtl_err mtl_hex_encode(char *out, size_t outcap, const uint8_t *in, size_t len)
{
    MTL_CHECK(len <= (SIZE_MAX - 1) / 2 && outcap >= 2 * len + 1, MTL_ERR_BUFFER_TOO_SMALL,
              "hex: output needs %zu bytes, have %zu", 2 * len + 1, outcap);
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hexdig[in[i] >> 4];
        out[2 * i + 1] = hexdig[in[i] & 15];
    }
    out[2 * len] = 0;
    return MTL_OK;
}

/* Digit value + 1 for each hex character, 0 for any other byte: one load per
 * character on the hot decoding paths (signer credentials). */
#define HV(c, v) [(unsigned char)(c)] = (v) + 1
const uint8_t mtl_hex_val1[256] = {
    HV('0', 0),  HV('1', 1),  HV('2', 2),  HV('3', 3),  HV('4', 4),  HV('5', 5),
    HV('6', 6),  HV('7', 7),  HV('8', 8),  HV('9', 9),  HV('a', 10), HV('b', 11),
    HV('c', 12), HV('d', 13), HV('e', 14), HV('f', 15), HV('A', 10), HV('B', 11),
    HV('C', 12), HV('D', 13), HV('E', 14), HV('F', 15),
};
#undef HV

mtl_err mtl_hex_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *hex, size_t hexlen)
{
    if (outlen)
        *outlen = 0;
    MTL_CHECK(hexlen % 2 == 0, MTL_ERR_BAD_ENCODING, "hex: odd length %zu", hexlen);
    MTL_CHECK(hexlen / 2 <= outcap, MTL_ERR_BAD_ENCODING,
              "hex: %zu bytes encoded, at most %zu expected", hexlen / 2, outcap);
    for (size_t i = 0; i < hexlen / 2; i++) {
        unsigned hi = mtl_hex_val1[(unsigned char)hex[2 * i]],
                 lo = mtl_hex_val1[(unsigned char)hex[2 * i + 1]];
        MTL_CHECK(hi && lo, MTL_ERR_BAD_ENCODING, "hex: invalid character at offset %zu",
                  hi ? 2 * i + 1 : 2 * i);
        out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    if (outlen)
        *outlen = hexlen / 2;
    return MTL_OK;
}

mtl_err mtl_hex_encode_alloc(char **out, const uint8_t *in, size_t len)
{
    *out = NULL;
    MTL_CHECK(len <= (SIZE_MAX - 1) / 2, MTL_ERR_TOO_BIG, "hex: input too big");
    char *s = mtl_malloc(2 * len + 1);
    MTL_CHECK(s, MTL_ERR_NOMEM, "hex: out of memory");
    mtl_err rc = mtl_hex_encode(s, 2 * len + 1, in, len);
    if (rc != MTL_OK) {
        mtl_free(s);
        return rc;
    }
    *out = s;
    return MTL_OK;
}

mtl_err mtl_hex_decode_alloc(uint8_t **out, size_t *outlen, const char *hex, size_t hexlen)
{
    *out = NULL;
    *outlen = 0;
    uint8_t *b = mtl_malloc(hexlen / 2 + 1);
    MTL_CHECK(b, MTL_ERR_NOMEM, "hex: out of memory");
    mtl_err rc = mtl_hex_decode(b, hexlen / 2, outlen, hex, hexlen);
    if (rc != MTL_OK) {
        mtl_free(b);
        return rc;
    }
    b[*outlen] = 0;
    *out = b;
    return MTL_OK;
}

mtl_err mtl_jsonhex_decode(char **json_text, size_t *json_len, const char *hex)
{
    uint8_t *b;
    size_t n;
    *json_text = NULL;
    MTL_TRY(mtl_hex_decode_alloc(&b, &n, hex, strlen(hex)));
    if (memchr(b, 0, n)) {
        mtl_free(b);
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "JSON-hex: decoded text contains a NUL byte");
    }
    *json_text = (char *)b;
    if (json_len)
        *json_len = n;
    return MTL_OK;
}

mtl_err mtl_jsonhex_encode(char **hex, const char *json_text, size_t json_len)
{
    return mtl_hex_encode_alloc(hex, (const uint8_t *)json_text, json_len);
}

mtl_err mtl_json_bytes_encode(char **json_text, const uint8_t *in, size_t len)
{
    struct mtl_buf b;
    *json_text = NULL;
    mtl_buf_init(&b, SIZE_MAX);
    mtl_err rc = mtl_buf_append(&b, "[", 1);
    for (size_t i = 0; rc == MTL_OK && i < len; i++)
        rc = mtl_buf_printf(&b, i ? ",%u" : "%u", in[i]);
    if (rc == MTL_OK)
        rc = mtl_buf_append(&b, "]", 1);
    if (rc == MTL_OK)
        rc = mtl_buf_nul(&b);
    if (rc != MTL_OK) {
        mtl_buf_free(&b);
        return rc;
    }
    size_t n;
    *json_text = (char *)mtl_buf_take(&b, &n);
    return MTL_OK;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

mtl_err mtl_json_bytes_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *json_text,
                              size_t expected)
{
    const char *p = skip_ws(json_text);
    size_t n = 0;
    if (outlen)
        *outlen = 0;
    MTL_CHECK(*p == '[', MTL_ERR_BAD_ENCODING, "byte array: expected '['");
    p = skip_ws(p + 1);
    if (*p != ']') {
        for (;;) {
            unsigned v = 0;
            int digits = 0;
            while (*p >= '0' && *p <= '9' && digits < 4) {
                v = v * 10 + (unsigned)(*p++ - '0');
                digits++;
            }
            MTL_CHECK(digits > 0 && digits < 4 && v <= 255, MTL_ERR_BAD_ENCODING,
                      "byte array: element %zu is not a number 0..255", n);
            MTL_CHECK(n < outcap, MTL_ERR_BAD_ENCODING, "byte array: more than %zu elements",
                      outcap);
            out[n++] = (uint8_t)v;
            p = skip_ws(p);
            if (*p == ']')
                break;
            MTL_CHECK(*p == ',', MTL_ERR_BAD_ENCODING,
                      "byte array: expected ',' or ']' after element %zu", n - 1);
            p = skip_ws(p + 1);
        }
    }
    p = skip_ws(p + 1);
    MTL_CHECK(*p == 0, MTL_ERR_BAD_ENCODING, "byte array: trailing characters");
    MTL_CHECK(expected == 0 || n == expected, MTL_ERR_BAD_ENCODING,
              "byte array: %zu elements, expected %zu", n, expected);
    if (outlen)
        *outlen = n;
    return MTL_OK;
}
