/* text_envelope.c - cardano-cli TextEnvelope files:
 *   {"type": "...", "description": "...", "cborHex": "..."}
 * The reader is a small parser for this one flat object of strings rather than
 * jansson: KES and cold signing keys pass through it, and every copy it makes
 * (file text, decoded strings, CBOR) lives in buffers wiped before return,
 * which jansson's internal buffers would not be. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cardano_int.h"

#define TE_MAX 16384 /* a KES signing key file is about 1.3 KB */

struct te_text {
    char text[TE_MAX + 1];
    char arena[TE_MAX + 1]; /* decoded strings, back to back */
    size_t len, used;
};

/* Unbuffered stdio reads straight into t->text: no copy of a secret is left
 * in a stdio buffer or a freed chunk. */
static mtl_err te_load(struct te_text *t, const char *path)
{
    FILE *f = fopen(path, "rbe");
    MTL_CHECK(f, errno == ENOENT ? MTL_ERR_NOT_FOUND : MTL_ERR_IO, "%s: cannot open: %s", path,
              strerror(errno));
    setvbuf(f, NULL, _IONBF, 0);
    t->len = fread(t->text, 1, TE_MAX + 1, f);
    int failed = ferror(f);
    fclose(f);
    MTL_CHECK(!failed, MTL_ERR_IO, "%s: read failed", path);
    MTL_CHECK(t->len <= TE_MAX, MTL_ERR_TOO_BIG, "%s: larger than %d bytes, not a key file", path,
              TE_MAX);
    return MTL_OK;
}

static void skip_ws(const struct te_text *t, size_t *i)
{
    while (*i < t->len && strchr(" \t\r\n", t->text[*i]) && t->text[*i])
        (*i)++;
}

/* A JSON string at *i into the arena (NUL-terminated). Escapes are decoded;
 * a \u escape outside ASCII becomes '?' (only descriptions can hold one, and
 * they are not used). */
static mtl_err parse_string(struct te_text *t, size_t *i, const char **out, const char *path)
{
    MTL_CHECK(*i < t->len && t->text[*i] == '"', MTL_ERR_BAD_ENCODING,
              "%s: TextEnvelope: expected a string at offset %zu", path, *i);
    (*i)++;
    char *o = t->arena + t->used;
    size_t n = 0;
    for (;;) {
        MTL_CHECK(*i < t->len, MTL_ERR_BAD_ENCODING, "%s: TextEnvelope: unterminated string", path);
        unsigned char c = (unsigned char)t->text[(*i)++];
        if (c == '"')
            break;
        MTL_CHECK(c >= 0x20, MTL_ERR_BAD_ENCODING,
                  "%s: TextEnvelope: control character in a string at offset %zu", path, *i - 1);
        if (c == '\\') {
            MTL_CHECK(*i < t->len, MTL_ERR_BAD_ENCODING, "%s: TextEnvelope: unterminated string",
                      path);
            char e = t->text[(*i)++];
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *k = strchr(from, e);
            if (e == 'u') {
                uint8_t v[2];
                size_t nv = 0;
                MTL_CHECK(t->len - *i >= 4 && mtl_hex_decode(v, 2, &nv, t->text + *i, 4) == MTL_OK,
                          MTL_ERR_BAD_ENCODING, "%s: TextEnvelope: bad \\u escape at offset %zu",
                          path, *i);
                *i += 4;
                c = v[0] == 0 && v[1] < 0x80 ? v[1] : '?';
            } else {
                MTL_CHECK(e && k, MTL_ERR_BAD_ENCODING,
                          "%s: TextEnvelope: bad escape at offset %zu", path, *i - 1);
                c = (unsigned char)to[k - from];
            }
        }
        o[n++] = (char)c;
    }
    o[n] = '\0';
    t->used += n + 1;
    *out = o;
    return MTL_OK;
}

/* The three fields of the envelope; unknown fields are skipped. */
static mtl_err parse_envelope(struct te_text *t, const char *path, const char **type,
                              const char **cbor_hex)
{
    const char *desc = NULL;
    size_t i = 0;
    *type = *cbor_hex = NULL;
    skip_ws(t, &i);
    MTL_CHECK(i < t->len && t->text[i] == '{', MTL_ERR_BAD_ENCODING,
              "%s: not a TextEnvelope (expected a JSON object)", path);
    i++;
    skip_ws(t, &i);
    if (i < t->len && t->text[i] == '}')
        i++;
    else
        for (;;) {
            const char *key, *val;
            skip_ws(t, &i);
            MTL_TRY(parse_string(t, &i, &key, path));
            skip_ws(t, &i);
            MTL_CHECK(i < t->len && t->text[i] == ':', MTL_ERR_BAD_ENCODING,
                      "%s: TextEnvelope: expected ':' after \"%s\"", path, key);
            i++;
            skip_ws(t, &i);
            MTL_CHECK(i < t->len && t->text[i] == '"', MTL_ERR_BAD_ENCODING,
                      "%s: TextEnvelope: field \"%s\" is not a string", path, key);
            MTL_TRY(parse_string(t, &i, &val, path));
            const char **slot = !strcmp(key, "type")          ? type
                                : !strcmp(key, "description") ? &desc
                                : !strcmp(key, "cborHex")     ? cbor_hex
                                                              : NULL;
            if (slot) {
                MTL_CHECK(!*slot, MTL_ERR_BAD_ENCODING, "%s: TextEnvelope: field \"%s\" twice",
                          path, key);
                *slot = val;
            }
            skip_ws(t, &i);
            MTL_CHECK(i < t->len && (t->text[i] == ',' || t->text[i] == '}'), MTL_ERR_BAD_ENCODING,
                      "%s: TextEnvelope: expected ',' or '}' at offset %zu", path, i);
            if (t->text[i++] == '}')
                break;
        }
    skip_ws(t, &i);
    MTL_CHECK(i == t->len, MTL_ERR_BAD_ENCODING, "%s: TextEnvelope: trailing data at offset %zu",
              path, i);
    MTL_CHECK(*type, MTL_ERR_BAD_ENCODING, "%s: TextEnvelope: no \"type\" field", path);
    MTL_CHECK(*cbor_hex, MTL_ERR_BAD_ENCODING, "%s: TextEnvelope: no \"cborHex\" field", path);
    return MTL_OK;
}

/* Payload sizes of the key types; other types are not size-checked. */
static const struct {
    const char *type;
    size_t len, alt; /* alt: a second accepted size, 0 = none */
} KEY_SIZES[] = {
    {MTL_KES_SK_TYPE, MTL_KES_SK_BYTES, MTL_KES_SK_BYTES + 4},
    {MTL_KES_VK_TYPE, MTL_KES_VK_BYTES, 0},
    {MTL_COLD_VK_TYPE, MTL_COLD_VK_BYTES, 0},
    {MTL_COLD_SK_TYPE, 32, 0},
};

static mtl_err check_key_size(const char *type, size_t n)
{
    for (size_t i = 0; i < sizeof KEY_SIZES / sizeof KEY_SIZES[0]; i++)
        if (!strcmp(type, KEY_SIZES[i].type))
            MTL_CHECK(n == KEY_SIZES[i].len || (KEY_SIZES[i].alt && n == KEY_SIZES[i].alt),
                      MTL_ERR_BAD_ENCODING, "cborHex: a %s holds %zu bytes, not %zu", type,
                      KEY_SIZES[i].len, n);
    return MTL_OK;
}

/* Decode cborHex; a key type's CBOR is one byte string whose content is
 * returned, an opcert's CBOR is returned whole. */
static mtl_err envelope_payload(const char *path, const char *type, const char *cbor_hex,
                                uint8_t **out, size_t *len)
{
    size_t hl = strlen(cbor_hex), clen = 0, pos = 0;
    const uint8_t *body;
    /* Decoded here rather than by mtl_hex_decode_alloc so that a half-decoded
     * secret is wiped too. */
    uint8_t *cbor = mtl_malloc(hl / 2 + 1);
    MTL_CHECK(cbor, MTL_ERR_NOMEM, "%s: out of memory", path);
    mtl_err rc = mtl_hex_decode(cbor, hl / 2, &clen, cbor_hex, hl);
    if (rc != MTL_OK) {
        mtl_memzero(cbor, hl / 2 + 1);
        mtl_free(cbor);
        return mtl_err_wrap(rc, "%s: cborHex", path);
    }
    if (!strcmp(type, MTL_OPCERT_TYPE)) {
        *out = cbor;
        *len = clen;
        return MTL_OK;
    }
    rc = mtl_cbor_bytes(cbor, clen, &pos, &body, 0, "cborHex");
    if (rc == MTL_OK && pos != clen)
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "cborHex: %zu bytes after the byte string",
                        clen - pos);
    if (rc == MTL_OK)
        rc = check_key_size(type, (size_t)(pos - (size_t)(body - cbor)));
    if (rc == MTL_OK) {
        size_t n = (size_t)(pos - (size_t)(body - cbor));
        *out = mtl_malloc(n ? n : 1);
        if (*out) {
            memcpy(*out, body, n);
            *len = n;
        } else {
            rc = mtl_seterr(MTL_ERR_NOMEM, "cborHex: out of memory");
        }
    }
    mtl_memzero(cbor, clen);
    mtl_free(cbor);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "%s (%s)", path, type);
}

mtl_err mtl_text_envelope_read(const char *path, const char *type, uint8_t **out, size_t *len)
{
    MTL_CHECK(path && type && out && len, MTL_ERR_INVALID_ARG, "TextEnvelope: NULL argument");
    *out = NULL;
    *len = 0;
    struct te_text *t = mtl_malloc(sizeof *t);
    MTL_CHECK(t, MTL_ERR_NOMEM, "TextEnvelope: out of memory");
    t->used = 0;
    const char *got, *cbor_hex;
    mtl_err rc = te_load(t, path);
    if (rc == MTL_OK)
        rc = parse_envelope(t, path, &got, &cbor_hex);
    if (rc == MTL_OK && strcmp(got, type) != 0)
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: TextEnvelope type is \"%.80s\", expected \"%s\"",
                        path, got, type);
    if (rc == MTL_OK)
        rc = envelope_payload(path, type, cbor_hex, out, len);
    mtl_memzero(t, sizeof *t);
    mtl_free(t);
    return rc;
}

/* type and description are written verbatim inside JSON strings. */
static bool plain_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\')
            return false;
    return true;
}

mtl_err mtl_text_envelope_write(const char *path, const char *type, const char *description,
                                const uint8_t *cbor, size_t len, unsigned mode)
{
    MTL_CHECK(path && type && description && (cbor || len == 0), MTL_ERR_INVALID_ARG,
              "TextEnvelope: NULL argument");
    MTL_CHECK(plain_text(type) && plain_text(description), MTL_ERR_INVALID_ARG,
              "TextEnvelope: type and description must not hold quotes, backslashes or control "
              "characters");
    MTL_CHECK(len <= TE_MAX / 2, MTL_ERR_TOO_BIG, "TextEnvelope: %zu bytes of CBOR is too much",
              len);
    static const char F1[] = "{\n    \"type\": \"", F2[] = "\",\n    \"description\": \"",
                      F3[] = "\",\n    \"cborHex\": \"", F4[] = "\"\n}\n";
    size_t tl = strlen(type), dl = strlen(description);
    size_t cap = sizeof F1 + tl + sizeof F2 + dl + sizeof F3 + 2 * len + sizeof F4 + 1;
    char *text = mtl_malloc(cap), *o = text;
    MTL_CHECK(text, MTL_ERR_NOMEM, "TextEnvelope: out of memory");
    memcpy(o, F1, sizeof F1 - 1), o += sizeof F1 - 1;
    memcpy(o, type, tl), o += tl;
    memcpy(o, F2, sizeof F2 - 1), o += sizeof F2 - 1;
    memcpy(o, description, dl), o += dl;
    memcpy(o, F3, sizeof F3 - 1), o += sizeof F3 - 1;
    mtl_err rc = mtl_hex_encode(o, cap - (size_t)(o - text), cbor, len);
    if (rc == MTL_OK) {
        o += 2 * len;
        memcpy(o, F4, sizeof F4 - 1), o += sizeof F4 - 1;
        rc = mtl_atomic_write(path, text, (size_t)(o - text), mode);
    }
    mtl_memzero(text, cap);
    mtl_free(text);
    return rc;
}

mtl_err mtl_kes_sk_read_file(struct mtl_kes_sk **out, const char *path)
{
    MTL_CHECK(out && path, MTL_ERR_INVALID_ARG, "KES key file: NULL argument");
    *out = NULL;
    uint8_t *raw;
    size_t len, keylen;
    uint32_t period = 0;
    MTL_TRY(mtl_text_envelope_read(path, MTL_KES_SK_TYPE, &raw, &len));
    /* cardano-cli writes the 608 raw bytes (period 0); the reference's own
     * writer appends the period as a big-endian u32. */
    keylen = len;
    if (len == MTL_KES_SK_BYTES + 4) {
        period = mtl_be32_get(raw + MTL_KES_SK_BYTES);
        keylen = MTL_KES_SK_BYTES;
    }
    mtl_err rc = mtl_kes_sk_from_bytes(out, raw, keylen, period);
    mtl_memzero(raw, len);
    mtl_free(raw);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "%s", path);
}

mtl_err mtl_opcert_read_file(struct mtl_opcert *out, const char *path)
{
    MTL_CHECK(out && path, MTL_ERR_INVALID_ARG, "opcert file: NULL argument");
    uint8_t *cbor;
    size_t len;
    MTL_TRY(mtl_text_envelope_read(path, MTL_OPCERT_TYPE, &cbor, &len));
    mtl_err rc = mtl_opcert_from_cbor(out, cbor, len);
    mtl_free(cbor);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "%s", path);
}

mtl_err mtl_text_envelope_write_key(const char *path, const char *type, const char *description,
                                    const uint8_t *key, size_t len, unsigned mode)
{
    MTL_CHECK(key || len == 0, MTL_ERR_INVALID_ARG, "TextEnvelope: NULL key");
    MTL_CHECK(len <= TE_MAX / 2, MTL_ERR_TOO_BIG, "TextEnvelope: a %zu-byte key is too long", len);
    uint8_t *cbor = mtl_malloc(len + 9);
    MTL_CHECK(cbor, MTL_ERR_NOMEM, "TextEnvelope: out of memory");
    size_t h = mtl_cbor_put_head(cbor, 2, len);
    if (len)
        memcpy(cbor + h, key, len);
    mtl_err rc = mtl_text_envelope_write(path, type, description, cbor, h + len, mode);
    mtl_memzero(cbor, len + 9);
    mtl_free(cbor);
    return rc;
}

mtl_err mtl_kes_sk_write_file(const struct mtl_kes_sk *sk, const char *path)
{
    MTL_CHECK(sk && path, MTL_ERR_INVALID_ARG, "KES key file: NULL argument");
    uint8_t raw[MTL_KES_SK_BYTES + 4];
    uint32_t period = mtl_kes_sk_period(sk);
    size_t len = period ? sizeof raw : MTL_KES_SK_BYTES;
    MTL_TRY(mtl_kes_sk_to_bytes(sk, raw));
    mtl_be32_put(raw + MTL_KES_SK_BYTES, period);
    mtl_err rc =
        mtl_text_envelope_write_key(path, MTL_KES_SK_TYPE, "KES Signing Key", raw, len, 0600);
    mtl_memzero(raw, sizeof raw);
    return rc;
}

mtl_err mtl_opcert_write_file(const struct mtl_opcert *oc, const char *path)
{
    MTL_CHECK(oc && path, MTL_ERR_INVALID_ARG, "opcert file: NULL argument");
    uint8_t *cbor;
    size_t len;
    MTL_TRY(mtl_opcert_to_cbor(oc, &cbor, &len));
    mtl_err rc = mtl_text_envelope_write(path, MTL_OPCERT_TYPE, "", cbor, len, 0644);
    mtl_free(cbor);
    return rc;
}

mtl_err mtl_cold_sk_read_file(uint8_t sk[MTL_COLD_SK_BYTES], const char *path)
{
    MTL_CHECK(sk && path, MTL_ERR_INVALID_ARG, "cold key file: NULL argument");
    uint8_t *seed, pk[MTL_COLD_VK_BYTES];
    size_t len;
    MTL_TRY(mtl_text_envelope_read(path, MTL_COLD_SK_TYPE, &seed, &len));
    crypto_sign_ed25519_seed_keypair(pk, sk, seed);
    mtl_memzero(seed, len);
    mtl_free(seed);
    return MTL_OK;
}
