/* era_markers.c - era markers, their signed payload and the tx datum that
 * carries it on chain (reference internal/mithril-era adapters/cardano_chain.rs,
 * mithril-cardano-node-chain entities/datum.rs). Signing is Ed25519 over the
 * serde JSON of the markers, re-serialised from what was decoded (serde
 * ignores unknown fields, so the reference signs exactly that text). */
#include "cert_int.h"
#include "mithril/era.h"

#define DATUM_CHUNK 128 /* hex digits per bytes field (the reference's TxDatumBuilder) */

static const char *const SUPPORTED[] = {"pythagoras", "lagrange"};

size_t mtl_era_supported_count(void)
{
    return MTL_ARRAY_LEN(SUPPORTED);
}

const char *mtl_era_supported_name(size_t i)
{
    return i < MTL_ARRAY_LEN(SUPPORTED) ? SUPPORTED[i] : NULL;
}

int mtl_era_is_supported(const char *name)
{
    for (size_t i = 0; name && i < MTL_ARRAY_LEN(SUPPORTED); i++)
        if (strcmp(name, SUPPORTED[i]) == 0)
            return 1;
    return 0;
}

/* Hand a built text over to *out (or free it when e failed). */
static mtl_err buf_text(struct mtl_buf *b, mtl_err e, char **out)
{
    if (e == MTL_OK)
        e = mtl_buf_nul(b);
    if (e != MTL_OK) {
        mtl_buf_free(b);
        return e;
    }
    size_t len;
    *out = (char *)mtl_buf_take(b, &len);
    return MTL_OK;
}

/* A name serde and jansson write the same way: printable ASCII, nothing
 * they would escape. */
static mtl_err check_name(const char *s, size_t len, size_t idx)
{
    MTL_CHECK(len >= 1 && len < MTL_ERA_NAME_MAX, MTL_ERR_BAD_ENCODING,
              "era marker %zu: name must have 1 to %d characters, has %zu", idx,
              MTL_ERA_NAME_MAX - 1, len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        MTL_CHECK(c >= 0x20 && c < 0x7f && c != '"' && c != '\\', MTL_ERR_BAD_ENCODING,
                  "era marker %zu: name has a character outside printable ASCII (byte %zu)", idx,
                  i);
    }
    return MTL_OK;
}

static mtl_err marker_from_json(struct mtl_era_marker *m, const json_t *o, size_t idx)
{
    MTL_CHECK(json_is_object(o), MTL_ERR_BAD_ENCODING, "era marker %zu: not a JSON object", idx);
    const json_t *name = json_object_get(o, "name"), *ep = json_object_get(o, "epoch");
    MTL_CHECK(json_is_string(name), MTL_ERR_BAD_ENCODING,
              "era marker %zu: \"name\" missing or not a string", idx);
    MTL_TRY(check_name(json_string_value(name), json_string_length(name), idx));
    memcpy(m->name, json_string_value(name), json_string_length(name) + 1);
    m->has_epoch = 0;
    m->epoch = 0;
    if (ep && !json_is_null(ep)) {
        MTL_CHECK(json_is_integer(ep) && json_integer_value(ep) >= 0, MTL_ERR_BAD_ENCODING,
                  "era marker %zu (%s): \"epoch\" must be a non-negative integer or null", idx,
                  m->name);
        m->has_epoch = 1;
        m->epoch = (uint64_t)json_integer_value(ep);
    }
    return MTL_OK;
}

/* Markers with an epoch in strictly increasing order: a list announcing an
 * era before the one it replaces is a mistake, refused rather than guessed. */
static mtl_err check_order(const struct mtl_era_marker *m, size_t n)
{
    size_t prev = n;
    for (size_t i = 0; i < n; i++) {
        if (!m[i].has_epoch)
            continue;
        MTL_CHECK(prev == n || m[i].epoch > m[prev].epoch, MTL_ERR_BAD_ENCODING,
                  "era marker %zu (%s, epoch %llu) is not after era marker %zu (%s, epoch %llu):"
                  " markers must be in increasing epoch order",
                  i, m[i].name, (unsigned long long)m[i].epoch, prev, m[prev].name,
                  (unsigned long long)m[prev].epoch);
        prev = i;
    }
    return MTL_OK;
}

static mtl_err markers_from_json(struct mtl_era_marker **out, size_t *n, const json_t *arr)
{
    *out = NULL;
    *n = 0;
    MTL_CHECK(json_is_array(arr), MTL_ERR_BAD_ENCODING, "era markers: not a JSON array");
    size_t len = json_array_size(arr);
    MTL_CHECK(len > 0, MTL_ERR_BAD_ENCODING, "era markers: the list is empty");
    MTL_CHECK(len <= MTL_ERA_MARKERS_MAX, MTL_ERR_TOO_BIG,
              "era markers: %zu markers, at most %d", len, MTL_ERA_MARKERS_MAX);
    struct mtl_era_marker *m = mtl_calloc(len, sizeof(*m));
    MTL_CHECK(m, MTL_ERR_NOMEM, "era markers: out of memory");
    mtl_err e = MTL_OK;
    for (size_t i = 0; i < len && e == MTL_OK; i++)
        e = marker_from_json(&m[i], json_array_get(arr, i), i);
    if (e == MTL_OK)
        e = check_order(m, len);
    if (e != MTL_OK) {
        mtl_free(m);
        return e;
    }
    *out = m;
    *n = len;
    return MTL_OK;
}

mtl_err mtl_era_markers_parse(struct mtl_era_marker **out, size_t *n, const char *json,
                              size_t len)
{
    MTL_CHECK(out && n && json, MTL_ERR_INVALID_ARG, "era markers: NULL argument");
    *out = NULL;
    *n = 0;
    json_error_t je;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "era markers: invalid JSON (line %d: %s)", je.line,
              je.text);
    mtl_err e = markers_from_json(out, n, j);
    json_decref(j);
    return e;
}

mtl_err mtl_era_markers_to_json(char **json, const struct mtl_era_marker *m, size_t n)
{
    MTL_CHECK(json && (m || !n), MTL_ERR_INVALID_ARG, "era markers: NULL argument");
    *json = NULL;
    struct mtl_buf b;
    mtl_buf_init(&b, SIZE_MAX);
    mtl_err e = mtl_buf_append_str(&b, "[");
    for (size_t i = 0; i < n && e == MTL_OK; i++) {
        e = check_name(m[i].name, strnlen(m[i].name, MTL_ERA_NAME_MAX), i);
        if (e == MTL_OK && m[i].has_epoch)
            e = mtl_buf_printf(&b, "%s{\"name\":\"%s\",\"epoch\":%llu}", i ? "," : "", m[i].name,
                               (unsigned long long)m[i].epoch);
        else if (e == MTL_OK)
            e = mtl_buf_printf(&b, "%s{\"name\":\"%s\",\"epoch\":null}", i ? "," : "", m[i].name);
    }
    if (e == MTL_OK)
        e = mtl_buf_append_str(&b, "]");
    return buf_text(&b, e, json);
}

mtl_err mtl_era_payload_sign(char **jsonhex, const struct mtl_era_marker *m, size_t n,
                             const uint8_t sk[MTL_ERA_SK_BYTES])
{
    MTL_CHECK(jsonhex && sk && m && n, MTL_ERR_INVALID_ARG, "era payload: nothing to sign");
    *jsonhex = NULL;
    MTL_TRY(check_order(m, n));
    char *markers = NULL, *payload = NULL;
    char sig_hex[2 * MTL_ERA_SIG_BYTES + 1];
    uint8_t sig[MTL_ERA_SIG_BYTES];
    mtl_err e = mtl_era_markers_to_json(&markers, m, n);
    if (e == MTL_OK)
        e = mtl_genesis_sign(sig, sk, (const uint8_t *)markers, strlen(markers));
    if (e == MTL_OK)
        e = mtl_hex_encode(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
    if (e == MTL_OK) {
        size_t len = strlen(markers) + sizeof(sig_hex) + 32;
        payload = mtl_malloc(len);
        if (!payload)
            e = mtl_seterr(MTL_ERR_NOMEM, "era payload: out of memory");
        else
            snprintf(payload, len, "{\"markers\":%s,\"signature\":\"%s\"}", markers, sig_hex);
    }
    if (e == MTL_OK)
        e = mtl_jsonhex_encode(jsonhex, payload, strlen(payload));
    mtl_free(markers);
    mtl_free(payload);
    return e;
}

/* The markers and signature of a decoded payload text. */
static mtl_err payload_fields(const char *text, size_t len, struct mtl_era_marker **m, size_t *n,
                              uint8_t sig[MTL_ERA_SIG_BYTES])
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "era payload: not a JSON object (%s)",
                          j ? "another JSON value" : je.text);
    }
    mtl_err e = MTL_OK;
    json_t *markers = json_object_get(j, "markers"), *s = json_object_get(j, "signature");
    if (!markers)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "era payload: \"markers\" missing");
    else if (!s || json_is_null(s))
        e = mtl_seterr(MTL_ERR_VERIFY_FAIL, "era payload: the signature is missing");
    else if (!json_is_string(s) || json_string_length(s) != 2 * MTL_ERA_SIG_BYTES)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                       "era payload: \"signature\" must be %d hex digits (64 bytes)",
                       2 * MTL_ERA_SIG_BYTES);
    else {
        size_t got;
        e = mtl_hex_decode(sig, MTL_ERA_SIG_BYTES, &got, json_string_value(s),
                           json_string_length(s));
        if (e != MTL_OK)
            e = mtl_err_wrap(e, "era payload: signature");
    }
    if (e == MTL_OK) {
        e = markers_from_json(m, n, markers);
        if (e != MTL_OK)
            e = mtl_err_wrap(e, "era payload");
    }
    json_decref(j);
    return e;
}

mtl_err mtl_era_payload_verify(struct mtl_era_marker **out, size_t *n, const char *jsonhex,
                               const uint8_t vk[MTL_ERA_VK_BYTES])
{
    MTL_CHECK(out && n && jsonhex && vk, MTL_ERR_INVALID_ARG, "era payload: NULL argument");
    *out = NULL;
    *n = 0;
    char *text = NULL, *signed_text = NULL;
    size_t len = 0, count = 0;
    struct mtl_era_marker *m = NULL;
    uint8_t sig[MTL_ERA_SIG_BYTES];
    mtl_err e = mtl_jsonhex_decode(&text, &len, jsonhex);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "era payload");
    e = payload_fields(text, len, &m, &count, sig);
    if (e == MTL_OK)
        e = mtl_era_markers_to_json(&signed_text, m, count);
    if (e == MTL_OK && mtl_genesis_verify(vk, sig, (const uint8_t *)signed_text,
                                          strlen(signed_text)) != MTL_OK)
        e = mtl_seterr(MTL_ERR_VERIFY_FAIL,
                       "era payload: the signature does not verify with the era verification key"
                       " (markers %s)",
                       signed_text);
    mtl_free(text);
    mtl_free(signed_text);
    if (e != MTL_OK) {
        mtl_free(m);
        return e;
    }
    *out = m;
    *n = count;
    return MTL_OK;
}

mtl_err mtl_era_tx_datum_build(char **datum, const char *payload_jsonhex)
{
    MTL_CHECK(datum && payload_jsonhex && *payload_jsonhex, MTL_ERR_INVALID_ARG,
              "era tx datum: empty payload");
    *datum = NULL;
    size_t len = strlen(payload_jsonhex);
    struct mtl_buf b;
    mtl_buf_init(&b, SIZE_MAX);
    mtl_err e = mtl_buf_append_str(&b, "{\"constructor\":0,\"fields\":[");
    for (size_t off = 0; off < len && e == MTL_OK; off += DATUM_CHUNK) {
        size_t k = len - off < DATUM_CHUNK ? len - off : DATUM_CHUNK;
        e = mtl_buf_printf(&b, "%s{\"bytes\":\"%.*s\"}", off ? "," : "", (int)k,
                           payload_jsonhex + off);
    }
    if (e == MTL_OK)
        e = mtl_buf_append_str(&b, "]}");
    return buf_text(&b, e, datum);
}

mtl_err mtl_era_tx_datum_payload(char **payload_jsonhex, const char *datum, size_t len)
{
    MTL_CHECK(payload_jsonhex && datum, MTL_ERR_INVALID_ARG, "era tx datum: NULL argument");
    *payload_jsonhex = NULL;
    json_error_t je;
    json_t *j = json_loadb(datum, len, 0, &je);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "tx datum: invalid JSON (%s)", je.text);
    json_t *fields = json_object_get(j, "fields"), *f;
    size_t i, nbytes = 0;
    struct mtl_buf b;
    mtl_buf_init(&b, SIZE_MAX);
    mtl_err e = json_is_array(fields)
                    ? MTL_OK
                    : mtl_seterr(MTL_ERR_BAD_ENCODING, "tx datum: no \"fields\" array");
    json_array_foreach(fields, i, f)
    {
        json_t *bytes = json_object_get(f, "bytes");
        if (e != MTL_OK || !json_is_string(bytes))
            continue; /* other field types (int, list...) carry no payload */
        e = mtl_buf_append(&b, json_string_value(bytes), json_string_length(bytes));
        nbytes++;
    }
    if (e == MTL_OK && nbytes == 0)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "tx datum: no \"bytes\" field");
    json_decref(j);
    return buf_text(&b, e, payload_jsonhex);
}

mtl_err mtl_era_token_compute(struct mtl_era_token *t, const struct mtl_era_marker *m, size_t n,
                              uint64_t epoch)
{
    MTL_CHECK(t && (m || !n), MTL_ERR_INVALID_ARG, "era token: NULL argument");
    memset(t, 0, sizeof(*t));
    t->epoch = epoch;
    size_t cur = n;
    for (size_t i = 0; i < n; i++)
        if (m[i].has_epoch && m[i].epoch <= epoch && (cur == n || m[i].epoch > m[cur].epoch))
            cur = i;
    if (cur == n) {
        char *list = NULL;
        if (mtl_era_markers_to_json(&list, m, n) != MTL_OK)
            list = NULL;
        mtl_err e = mtl_seterr(MTL_ERR_NOT_FOUND,
                               "no era marker is active at epoch %llu (markers: %s)",
                               (unsigned long long)epoch, list ? list : "[]");
        mtl_free(list);
        return e;
    }
    t->current = m[cur];
    const struct mtl_era_marker *last = &m[n - 1];
    if (strcmp(last->name, m[cur].name) != 0 || last->has_epoch != m[cur].has_epoch ||
        last->epoch != m[cur].epoch) {
        t->has_next = 1;
        t->next = *last;
    }
    return MTL_OK;
}
