/* jsonhex_scan.c - strict reading of JSON-hex text of one fixed serde shape
 * (compact, fields in the reference's order, byte arrays as numbers), decoding
 * the hex as it goes: no allocation, no JSON tree. A signer's credentials are
 * about 3.5 kB of hex; a JSON library spent more time on them than the two
 * Ed25519 verifications they carry. */
#include <stdio.h>
#include <string.h>

#include "cardano_int.h"

#define END (-1)
#define BAD_HEX (-2)

mtl_err mtl_jscan_start(struct mtl_jscan *x, const char *hex, const char *what)
{
    memset(x, 0, sizeof *x);
    x->what = what;
    MTL_CHECK(hex, MTL_ERR_INVALID_ARG, "%s: missing", what);
    size_t n = strlen(hex);
    MTL_CHECK(n % 2 == 0, MTL_ERR_BAD_ENCODING, "%s: hex: odd length %zu", what, n);
    x->hex = hex;
    x->len = n / 2;
    return MTL_OK;
}

/* The text character at x->pos, END past the text, BAD_HEX for a pair of
 * characters that is not hex. */
static int peek(const struct mtl_jscan *x)
{
    if (x->pos >= x->len)
        return END;
    unsigned hi = mtl_hex_val1[(unsigned char)x->hex[2 * x->pos]],
             lo = mtl_hex_val1[(unsigned char)x->hex[2 * x->pos + 1]];
    if (!hi || !lo)
        return BAD_HEX;
    return (int)((hi - 1) << 4 | (lo - 1));
}

/* "<what> [level N ]<field>: expected <want> at text offset P, got ...". */
static mtl_err unexpected(const struct mtl_jscan *x, const char *field, const char *want)
{
    int c = peek(x);
    char got[32];
    if (c == END)
        snprintf(got, sizeof got, "the end of the text");
    else if (c == BAD_HEX)
        snprintf(got, sizeof got, "invalid hex at offset %zu", 2 * x->pos);
    else if (c >= 0x20 && c < 0x7f)
        snprintf(got, sizeof got, "'%c'", c);
    else
        snprintf(got, sizeof got, "byte 0x%02x", (unsigned)c);
    if (x->level)
        return mtl_seterr(MTL_ERR_BAD_ENCODING,
                          "%s level %u %s: expected %s at text offset %zu, got %s", x->what,
                          x->level, field, want, x->pos, got);
    return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s %s: expected %s at text offset %zu, got %s",
                      x->what, field, want, x->pos, got);
}

mtl_err mtl_jscan_lit(struct mtl_jscan *x, const char *lit, const char *field)
{
    for (const char *p = lit; *p; p++) {
        if (peek(x) != (unsigned char)*p) {
            char want[40];
            snprintf(want, sizeof want, "'%.30s'", p);
            return unexpected(x, field, want);
        }
        x->pos++;
    }
    return MTL_OK;
}

/* A decimal number as serde writes it (no sign, no leading zero, no
 * fraction or exponent) not above max. */
static mtl_err number(struct mtl_jscan *x, uint64_t *out, uint64_t max, const char *field,
                      const char *want)
{
    int c = peek(x);
    if (c < '0' || c > '9')
        return unexpected(x, field, want);
    size_t at = x->pos;
    uint64_t v = 0;
    while ((c = peek(x)) >= '0' && c <= '9') {
        unsigned dig = (unsigned)(c - '0');
        if (x->pos > at && v == 0)
            return mtl_seterr(MTL_ERR_BAD_ENCODING,
                              "%s %s: number with a leading zero at text offset %zu", x->what,
                              field, at);
        if (v > (max - dig) / 10)
            return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s %s: number above %llu at text offset %zu",
                              x->what, field, (unsigned long long)max, at);
        v = v * 10 + dig;
        x->pos++;
    }
    *out = v;
    return MTL_OK;
}

mtl_err mtl_jscan_u64(struct mtl_jscan *x, uint64_t *out, const char *field)
{
    return number(x, out, UINT64_MAX, field, "an unsigned integer");
}

mtl_err mtl_jscan_bytes(struct mtl_jscan *x, uint8_t *out, size_t n, const char *field)
{
    MTL_TRY(mtl_jscan_lit(x, "[", field));
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (i > 0 && peek(x) == ']')
            return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s %s: %zu bytes, expected %zu", x->what,
                              field, i, n);
        if (i > 0)
            MTL_TRY(mtl_jscan_lit(x, ",", field));
        MTL_TRY(number(x, &v, 255, field, "a byte (0..255)"));
        out[i] = (uint8_t)v;
    }
    if (peek(x) == ',')
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s %s: more than %zu bytes", x->what, field, n);
    return mtl_jscan_lit(x, "]", field);
}

mtl_err mtl_jscan_end(struct mtl_jscan *x)
{
    if (x->pos == x->len)
        return MTL_OK;
    return unexpected(x, "value", "the end of the text");
}
