/* json_lift.c - parsing a JSON message whose long strings jansson need not
 * read: jansson reads a string a character at a time (~10 ns each), and
 * the proofs of a 100-transaction message are hundreds of KB of hex, which
 * made most of its verification. Long plain strings in value position
 * (printable ASCII, no escape) are lifted out of the text before parsing,
 * each replaced by "\u0000" and its index, and read back in place. Only
 * those placeholders start with NUL: a message holding a \u0000 escape of
 * its own is parsed as it is, and refused as before (no JSON_ALLOW_NUL). */
#include <stdio.h>

#include "cert_int.h"

#define LIFT_MIN 256 /* shorter strings cost jansson little */

static void skip_escape(const char *t, size_t len, size_t *j, bool *nul)
{
    if (*j + 5 < len && t[*j + 1] == 'u' && memcmp(t + *j + 2, "0000", 4) == 0)
        *nul = true;
    *j += 2;
}

/* The string opening at t[q] ('"'): where its closing quote is (len if
 * none), whether its content is plain, whether a \u0000 escape is in it. */
static size_t string_end(const char *t, size_t len, size_t q, bool *plain, bool *nul)
{
    size_t j = q + 1;
    *plain = true;
    while (j < len && t[j] != '"') {
        unsigned char c = (unsigned char)t[j];
        if (c == '\\') {
            *plain = false;
            skip_escape(t, len, &j, nul);
            continue;
        }
        if (c < 0x20 || c >= 0x7f)
            *plain = false;
        j++;
    }
    return j < len ? j : len;
}

static bool is_key(const char *t, size_t len, size_t j)
{
    for (j++; j < len && strchr(" \t\r\n", t[j]) && t[j]; j++)
        ;
    return j < len && t[j] == ':';
}

static mtl_err add_span(struct cert_lift *l, size_t off, size_t n)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        struct cert_span *s = mtl_realloc(l->spans, cap * sizeof(*s));
        MTL_CHECK(s, MTL_ERR_NOMEM, "proofs: out of memory");
        l->spans = s;
        l->cap = cap;
    }
    l->spans[l->n++] = (struct cert_span){off, n};
    return MTL_OK;
}

/* The text with long strings replaced, into l->text. */
static mtl_err lift_text(struct cert_lift *l, bool *nul)
{
    const char *t = l->json;
    size_t len = l->len, i = 0, o = 0;
    char *out = mtl_malloc(len + 1);
    MTL_CHECK(out, MTL_ERR_NOMEM, "proofs: out of memory");
    l->text = out;
    while (i < len) {
        const char *q = memchr(t + i, '"', len - i);
        size_t qi = q ? (size_t)(q - t) : len, end;
        bool plain = false;
        memcpy(out + o, t + i, qi - i);
        o += qi - i;
        if (qi == len)
            break;
        end = string_end(t, len, qi, &plain, nul);
        if (plain && end < len && end - qi - 1 >= LIFT_MIN && !is_key(t, len, end)) {
            /* fits: "\u0000" and an index are shorter than LIFT_MIN bytes */
            o += (size_t)snprintf(out + o, len + 1 - o, "\"\\u0000%zu", l->n);
            MTL_TRY(add_span(l, qi + 1, end - qi - 1));
        } else {
            memcpy(out + o, t + qi, end - qi);
            o += end - qi;
        }
        if (end < len)
            out[o++] = '"';
        i = end + 1;
    }
    l->text_len = o;
    return MTL_OK;
}

mtl_err cert_json_load_lifted(json_t **out, struct cert_lift *l, const char *json, size_t len)
{
    memset(l, 0, sizeof(*l));
    l->json = json;
    l->len = len;
    bool nul = false;
    json_error_t jerr;
    *out = NULL;
    mtl_err rc = lift_text(l, &nul);
    if (rc == MTL_OK)
        *out =
            nul ? json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)
                : json_loadb(l->text, l->text_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (nul)
        l->n = 0; /* nothing lifted: no string is read back */
    if (rc == MTL_OK && !*out)
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "proofs: invalid JSON: %s", jerr.text);
    if (rc != MTL_OK)
        cert_lift_free(l);
    return rc;
}

const char *cert_json_string(const struct cert_lift *l, const json_t *v, size_t *len)
{
    const char *s = json_string_value(v);
    *len = s ? json_string_length(v) : 0;
    if (!s || *len < 2 || s[0] != 0)
        return s;
    size_t k = 0;
    for (size_t i = 1; i < *len; i++)
        k = k * 10 + (size_t)(s[i] - '0');
    if (k >= l->n)
        return NULL; /* cannot happen: placeholders are ours */
    *len = l->spans[k].len;
    return l->json + l->spans[k].off;
}

void cert_lift_free(struct cert_lift *l)
{
    mtl_free(l->text);
    mtl_free(l->spans);
    memset(l, 0, sizeof(*l));
}
