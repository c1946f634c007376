/* jsonhex_scan.c - strict reading of JSON-hex text of one fixed serde shape
 * (compact, fields in the reference's order, byte arrays as numbers): the
 * hex is decoded into a stack buffer in one pass, then read field by field;
 * no allocation, no JSON tree. A signer's credentials are about 6 kB of hex;
 * a JSON library spent more time on them than on the two Ed25519
 * verifications they carry. */
#include <stdio.h>
#include <string.h>

#include "cardano_int.h"

#define END (-1)

mtl_err mtl_jscan_start(struct mtl_jscan *x, const char *hex, const char *what)
{
    x->what = what;
    x->len = x->pos = 0;
    x->level = 0;
    MTL_CHECK(hex, MTL_ERR_INVALID_ARG, "%s: missing", what);
    size_t n = strlen(hex);
    MTL_CHECK(n % 2 == 0, MTL_ERR_BAD_ENCODING, "%s: hex: odd length %zu", what, n);
    MTL_CHECK(n / 2 <= MTL_JSCAN_MAX, MTL_ERR_BAD_ENCODING,
              "%s: %zu characters of JSON, more than any valid one has (%d)", what, n / 2,
              MTL_JSCAN_MAX);
    unsigned bad = 0;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned hi = mtl_hex_val1[(unsigned char)hex[2 * i]],
                 lo = mtl_hex_val1[(unsigned char)hex[2 * i + 1]];
        bad |= !hi | !lo;
        x->text[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    if (bad)
        for (size_t i = 0; i < n; i++)
            MTL_CHECK(mtl_hex_val1[(unsigned char)hex[i]], MTL_ERR_BAD_ENCODING,
                      "%s: hex: invalid character at offset %zu", what, i);
    x->text[n / 2] = 0; /* stops the digit loops of mtl_jscan_bytes */
    x->len = n / 2;
    return MTL_OK;
}

/* The text character at x->pos, END past the text. */
static inline int peek(const struct mtl_jscan *x)
{
    return x->pos < x->len ? x->text[x->pos] : END;
}

/* "<what> [level N ]<field>", the start of every error. */
static const char *where(const struct mtl_jscan *x, char *buf, size_t cap, const char *field)
{
    if (x->level)
        snprintf(buf, cap, "%s level %u %s", x->what, x->level, field);
    else
        snprintf(buf, cap, "%s %s", x->what, field);
    return buf;
}
#define WHERE(field) where(x, (char[160]){0}, 160, (field))

/* "<what> [level N ]<field>: expected <want> at text offset P, got ...". */
static mtl_err unexpected(const struct mtl_jscan *x, const char *field, const char *want)
{
    int c = peek(x);
    char got[32];
    if (c == END)
        snprintf(got, sizeof got, "the end of the text");
    else if (c >= 0x20 && c < 0x7f)
        snprintf(got, sizeof got, "'%c'", c);
    else
        snprintf(got, sizeof got, "byte 0x%02x", (unsigned)c);
    return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: expected %s at text offset %zu, got %s",
                      WHERE(field), want, x->pos, got);
}

mtl_err mtl_jscan_lit(struct mtl_jscan *x, const char *lit, const char *field)
{
    size_t n = strlen(lit);
    if (x->len - x->pos >= n && memcmp(x->text + x->pos, lit, n) == 0) {
        x->pos += n;
        return MTL_OK;
    }
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
    const uint8_t *p = x->text + x->pos, *end = x->text + x->len;
    if (p == end || *p < '0' || *p > '9')
        return unexpected(x, field, want);
    if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: number with a leading zero at text offset %zu",
                          WHERE(field), x->pos);
    uint64_t v = 0, top = max / 10;
    unsigned last = (unsigned)(max % 10);
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        unsigned dig = (unsigned)(*p - '0');
        if (v > top || (v == top && dig > last))
            return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: number above %llu at text offset %zu",
                              WHERE(field), (unsigned long long)max, x->pos);
        v = v * 10 + dig;
    }
    x->pos = (size_t)(p - x->text);
    *out = v;
    return MTL_OK;
}

mtl_err mtl_jscan_u64(struct mtl_jscan *x, uint64_t *out, const char *field)
{
    return number(x, out, UINT64_MAX, field, "an unsigned integer");
}

/* Element by element, naming the first one that is wrong. */
static mtl_err bytes_checked(struct mtl_jscan *x, uint8_t *out, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        if (i > 0) {
            int c = peek(x);
            if (c == ']')
                return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: %zu bytes, expected %zu", WHERE(field),
                                  i, n);
            if (c != ',')
                return unexpected(x, field, "','");
            x->pos++;
        }
        MTL_TRY(number(x, &v, 255, field, "a byte (0..255)"));
        out[i] = (uint8_t)v;
    }
    return MTL_OK;
}

mtl_err mtl_jscan_bytes(struct mtl_jscan *x, uint8_t *out, size_t n, const char *field)
{
    MTL_TRY(mtl_jscan_lit(x, "[", field));
    /* The common case in one pass: at most 3 digits, no leading zero, then a
     * comma; text[len] is 0, so no digit loop runs past the text. Anything
     * else goes to bytes_checked for its error. */
    const uint8_t *p = x->text + x->pos;
    size_t i;
    for (i = 0; i < n; i++) {
        if (i > 0) {
            if (*p != ',')
                break;
            p++;
        }
        unsigned v = (unsigned)(*p - '0'), d;
        if (v > 9)
            break;
        p++;
        if (v && (d = (unsigned)(*p - '0')) <= 9) {
            v = v * 10 + d, p++;
            if ((d = (unsigned)(*p - '0')) <= 9)
                v = v * 10 + d, p++;
        }
        if ((unsigned)(*p - '0') <= 9 || v > 255)
            break;
        out[i] = (uint8_t)v;
    }
    if (i < n)
        MTL_TRY(bytes_checked(x, out, n, field));
    else
        x->pos = (size_t)(p - x->text);
    if (peek(x) == ',' && x->text[x->pos + 1] >= '0' && x->text[x->pos + 1] <= '9')
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: more than %zu bytes", WHERE(field), n);
    return mtl_jscan_lit(x, "]", field);
}

mtl_err mtl_jscan_end(struct mtl_jscan *x)
{
    if (x->pos == x->len)
        return MTL_OK;
    return unexpected(x, "value", "the end of the text");
}
