/* certificate.c - CertificateMessage JSON, certificate hash and building. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cert_int.h"
#include "common/json_int.h"

mtl_err cert_parse_time(int64_t *ns, const char *s)
{
    int y, mo, d, h, mi, sec, n = 0;
    MTL_CHECK(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 &&
                  n == 19,
              MTL_ERR_BAD_ENCODING, "timestamp '%s': expected YYYY-MM-DDTHH:MM:SS", s);
    /* Unix nanoseconds fit an int64 from 1677 to 2262. */
    MTL_CHECK(y >= 1678 && y <= 2261 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 &&
                  mi < 60 && sec < 61 && h >= 0 && mi >= 0 && sec >= 0,
              MTL_ERR_BAD_ENCODING, "timestamp '%s': date or time out of range", s);
    const char *p = s + n;
    int64_t frac = 0;
    int digits = 0;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 9)
                frac = frac * 10 + (*p - '0');
        MTL_CHECK(digits > 0, MTL_ERR_BAD_ENCODING, "timestamp '%s': empty fraction", s);
    }
    for (int i = digits; i < 9; i++)
        frac *= 10;
    MTL_CHECK((p[0] == 'Z' && p[1] == 0) || strcmp(p, "+00:00") == 0, MTL_ERR_BAD_ENCODING,
              "timestamp '%s': expected UTC ('Z')", s);
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    *ns = (int64_t)t * 1000000000 + frac;
    return MTL_OK;
}

/* chrono's AutoSi: 0, 3, 6 or 9 fractional digits, whichever is exact. */
void cert_format_time(char out[40], int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000);
    int64_t frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        t--;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac == 0)
        snprintf(out + n, 40 - n, "Z");
    else if (frac % 1000000 == 0)
        snprintf(out + n, 40 - n, ".%03lldZ", (long long)(frac / 1000000));
    else if (frac % 1000 == 0)
        snprintf(out + n, 40 - n, ".%06lldZ", (long long)(frac / 1000));
    else
        snprintf(out + n, 40 - n, ".%09lldZ", (long long)frac);
}

void mtl_certificate_free(struct mtl_certificate *c)
{
    if (!c)
        return;
    mtl_free(c->previous_hash);
    mtl_free(c->network);
    mtl_free(c->version);
    mtl_free(c->initiated_at);
    mtl_free(c->sealed_at);
    for (size_t i = 0; i < c->nsigners; i++)
        mtl_free(c->signers[i].party_id);
    mtl_free(c->signers);
    pm_clear(&c->pm);
    mtl_free(c->avk);
    mtl_free(c->multi_signature);
    mtl_free(c->genesis_signature);
    mtl_free(c->anc_prover);
    mtl_free(c->anc_verifier);
    mtl_free(c);
}

static mtl_err get_str(char **out, const json_t *obj, const char *field)
{
    const json_t *v = json_object_get(obj, field);
    MTL_CHECK(json_is_string(v), MTL_ERR_BAD_ENCODING, "certificate: field '%s' %s", field,
              v ? "is not a string" : "is missing");
    *out = mtl_strdup(json_string_value(v));
    MTL_CHECK(*out, MTL_ERR_NOMEM, "certificate: out of memory");
    return MTL_OK;
}

/* Optional hex field: absent or null leaves *out NULL (serde's default). */
static mtl_err get_opt_hex(uint8_t **out, size_t *len, const json_t *obj, const char *field)
{
    const json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return MTL_OK;
    MTL_CHECK(json_is_string(v), MTL_ERR_BAD_ENCODING, "certificate: field '%s' is not a string",
              field);
    MTL_CHECK(json_string_length(v) > 0, MTL_ERR_BAD_ENCODING, "certificate: field '%s' is empty",
              field);
    mtl_err rc = mtl_hex_decode_alloc(out, len, json_string_value(v), json_string_length(v));
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "certificate: field '%s'", field);
    return MTL_OK;
}

static mtl_err get_u64(uint64_t *out, const json_t *obj, const char *field)
{
    const json_t *v = json_object_get(obj, field);
    MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0, MTL_ERR_BAD_ENCODING,
              "certificate: field '%s' %s", field,
              v ? "is not a non-negative integer" : "is missing");
    *out = (uint64_t)json_integer_value(v);
    return MTL_OK;
}

static mtl_err get_hash(char out[MTL_HASH_HEX_BYTES], const json_t *obj, const char *field)
{
    const json_t *v = json_object_get(obj, field);
    MTL_CHECK(json_is_string(v), MTL_ERR_BAD_ENCODING, "certificate: field '%s' %s", field,
              v ? "is not a string" : "is missing");
    const char *s = json_string_value(v);
    MTL_CHECK(strlen(s) == 64, MTL_ERR_BAD_ENCODING,
              "certificate: field '%s' is not a 64-digit hex hash", field);
    memcpy(out, s, MTL_HASH_HEX_BYTES);
    return MTL_OK;
}

static mtl_err parse_params(struct mtl_stm_params *p, const json_t *j)
{
    MTL_CHECK(json_is_object(j), MTL_ERR_BAD_ENCODING,
              "certificate: field 'metadata.parameters' is missing");
    MTL_TRY(get_u64(&p->k, j, "k"));
    MTL_TRY(get_u64(&p->m, j, "m"));
    const json_t *phi = json_object_get(j, "phi_f");
    MTL_CHECK(json_is_number(phi), MTL_ERR_BAD_ENCODING,
              "certificate: field 'metadata.parameters.phi_f' is not a number");
    p->phi_f = json_number_value(phi);
    return MTL_OK;
}

static mtl_err parse_metadata(struct mtl_certificate *c, const json_t *md)
{
    MTL_CHECK(json_is_object(md), MTL_ERR_BAD_ENCODING, "certificate: field 'metadata' is missing");
    MTL_TRY(get_str(&c->network, md, "network"));
    MTL_TRY(get_str(&c->version, md, "version"));
    MTL_TRY(parse_params(&c->params, json_object_get(md, "parameters")));
    MTL_TRY(get_str(&c->initiated_at, md, "initiated_at"));
    MTL_TRY(get_str(&c->sealed_at, md, "sealed_at"));
    MTL_TRY(cert_parse_time(&c->initiated_ns, c->initiated_at));
    MTL_TRY(cert_parse_time(&c->sealed_ns, c->sealed_at));
    const json_t *signers = json_object_get(md, "signers");
    MTL_CHECK(json_is_array(signers), MTL_ERR_BAD_ENCODING,
              "certificate: field 'metadata.signers' is not an array");
    size_t n = json_array_size(signers);
    c->signers = mtl_calloc(n ? n : 1, sizeof(*c->signers));
    MTL_CHECK(c->signers, MTL_ERR_NOMEM, "certificate: out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(signers, i);
        MTL_CHECK(json_is_object(s), MTL_ERR_BAD_ENCODING,
                  "certificate: metadata.signers[%zu] is not an object", i);
        c->nsigners = i + 1;
        MTL_TRY(get_str(&c->signers[i].party_id, s, "party_id"));
        MTL_TRY(get_u64(&c->signers[i].stake, s, "stake"));
    }
    return MTL_OK;
}

static mtl_err parse(struct mtl_certificate *c, const json_t *j)
{
    MTL_CHECK(json_is_object(j), MTL_ERR_BAD_ENCODING, "certificate: expected a JSON object");
    MTL_TRY(get_hash(c->hash, j, "hash"));
    MTL_TRY(get_str(&c->previous_hash, j, "previous_hash"));
    MTL_TRY(get_u64(&c->epoch, j, "epoch"));
    MTL_TRY(set_from_json(&c->set, json_object_get(j, "signed_entity_type")));
    MTL_TRY(parse_metadata(c, json_object_get(j, "metadata")));
    MTL_TRY(pm_from_json(&c->pm, json_object_get(j, "protocol_message")));
    MTL_TRY(get_hash(c->signed_message, j, "signed_message"));
    MTL_TRY(get_str(&c->avk, j, "aggregate_verification_key"));
    MTL_TRY(get_str(&c->multi_signature, j, "multi_signature"));
    MTL_TRY(get_str(&c->genesis_signature, j, "genesis_signature"));
    MTL_TRY(get_opt_hex(&c->anc_prover, &c->anc_prover_len, j, "ancillary_prover_data"));
    MTL_TRY(get_opt_hex(&c->anc_verifier, &c->anc_verifier_len, j, "ancillary_verifier_data"));
    MTL_CHECK((c->multi_signature[0] != 0) != (c->genesis_signature[0] != 0),
              MTL_ERR_BAD_ENCODING,
              "certificate: exactly one of multi_signature and genesis_signature must be set");
    return MTL_OK;
}

mtl_err mtl_certificate_from_json(struct mtl_certificate **out, const char *json, size_t len)
{
    *out = NULL;
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "certificate: invalid JSON: %s (line %d)", jerr.text,
              jerr.line);
    struct mtl_certificate *c = mtl_calloc(1, sizeof(*c));
    mtl_err rc = c ? parse(c, j) : mtl_seterr(MTL_ERR_NOMEM, "certificate: out of memory");
    json_decref(j);
    if (rc != MTL_OK) {
        mtl_certificate_free(c);
        return rc;
    }
    *out = c;
    return MTL_OK;
}

/* The reference's message order: the ancillary fields, when present, come
 * after the aggregate verification key. */
static mtl_err set_opt_hex(json_t *j, const char *field, const uint8_t *data, size_t len)
{
    if (!data)
        return MTL_OK;
    char *hex = NULL;
    MTL_TRY(mtl_hex_encode_alloc(&hex, data, len));
    int rc = json_object_set_new(j, field, json_string(hex));
    mtl_free(hex);
    return rc == 0 ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "certificate: out of memory");
}

mtl_err mtl_certificate_to_json(const struct mtl_certificate *c, char **json)
{
    json_t *md = json_object(), *params = json_object(), *signers = json_array(),
           *j = json_object();
    if (!md || !params || !signers || !j)
        goto nomem;
    json_object_set_new(params, "k", json_integer((json_int_t)c->params.k));
    json_object_set_new(params, "m", json_integer((json_int_t)c->params.m));
    json_object_set_new(params, "phi_f", json_real(c->params.phi_f));
    for (size_t i = 0; i < c->nsigners; i++)
        json_array_append_new(signers, json_pack("{s:s,s:I}", "party_id", c->signers[i].party_id,
                                                 "stake", (json_int_t)c->signers[i].stake));
    json_object_set_new(md, "network", json_string(c->network));
    json_object_set_new(md, "version", json_string(c->version));
    json_object_set_new(md, "parameters", params);
    json_object_set_new(md, "initiated_at", json_string(c->initiated_at));
    json_object_set_new(md, "sealed_at", json_string(c->sealed_at));
    json_object_set_new(md, "signers", signers);
    json_object_set_new(j, "hash", json_string(c->hash));
    json_object_set_new(j, "previous_hash", json_string(c->previous_hash));
    json_object_set_new(j, "epoch", json_integer((json_int_t)c->epoch));
    json_object_set_new(j, "signed_entity_type", set_to_json(&c->set));
    json_object_set_new(j, "metadata", md);
    json_object_set_new(j, "protocol_message", pm_to_json(&c->pm));
    json_object_set_new(j, "signed_message", json_string(c->signed_message));
    json_object_set_new(j, "aggregate_verification_key", json_string(c->avk));
    if (set_opt_hex(j, "ancillary_prover_data", c->anc_prover, c->anc_prover_len) != MTL_OK ||
        set_opt_hex(j, "ancillary_verifier_data", c->anc_verifier, c->anc_verifier_len) != MTL_OK) {
        json_decref(j); /* md, params and signers now belong to j */
        return mtl_seterr(MTL_ERR_NOMEM, "certificate: out of memory");
    }
    json_object_set_new(j, "multi_signature", json_string(c->multi_signature));
    json_object_set_new(j, "genesis_signature", json_string(c->genesis_signature));
    char *s = mtl_json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    MTL_CHECK(s, MTL_ERR_NOMEM, "certificate: out of memory");
    *json = mtl_strdup(s);
    free(s);
    MTL_CHECK(*json, MTL_ERR_NOMEM, "certificate: out of memory");
    return MTL_OK;
nomem:
    json_decref(md), json_decref(params), json_decref(signers), json_decref(j);
    return mtl_seterr(MTL_ERR_NOMEM, "certificate: out of memory");
}

static void hex_sha256_update(crypto_hash_sha256_state *ctx, const char *s)
{
    crypto_hash_sha256_update(ctx, (const unsigned char *)s, strlen(s));
}

static void metadata_hash(const struct mtl_certificate *c, char out[MTL_HASH_HEX_BYTES])
{
    crypto_hash_sha256_state ctx;
    uint8_t md[32], be[8];
    char h[MTL_HASH_HEX_BYTES];
    crypto_hash_sha256_init(&ctx);
    hex_sha256_update(&ctx, c->network);
    hex_sha256_update(&ctx, c->version);
    mtl_protocol_parameters_hash(&c->params, h);
    hex_sha256_update(&ctx, h);
    mtl_be64_put(be, (uint64_t)c->initiated_ns);
    crypto_hash_sha256_update(&ctx, (const unsigned char *)be, 8);
    mtl_be64_put(be, (uint64_t)c->sealed_ns);
    crypto_hash_sha256_update(&ctx, (const unsigned char *)be, 8);
    for (size_t i = 0; i < c->nsigners; i++) {
        crypto_hash_sha256_state pc;
        uint8_t pmd[32];
        crypto_hash_sha256_init(&pc);
        hex_sha256_update(&pc, c->signers[i].party_id);
        mtl_be64_put(be, c->signers[i].stake);
        crypto_hash_sha256_update(&pc, (const unsigned char *)be, 8);
        crypto_hash_sha256_final(&pc, pmd);
        mtl_hex_encode(h, sizeof(h), pmd, 32);
        hex_sha256_update(&ctx, h);
    }
    crypto_hash_sha256_final(&ctx, md);
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, md, 32);
}

mtl_err mtl_certificate_compute_hash(const struct mtl_certificate *c, char out[MTL_HASH_HEX_BYTES])
{
    crypto_hash_sha256_state ctx;
    uint8_t md[32], be[8];
    char h[MTL_HASH_HEX_BYTES];
    crypto_hash_sha256_init(&ctx);
    hex_sha256_update(&ctx, c->previous_hash);
    mtl_be64_put(be, c->epoch);
    crypto_hash_sha256_update(&ctx, (const unsigned char *)be, 8);
    metadata_hash(c, h);
    hex_sha256_update(&ctx, h);
    mtl_protocol_message_hash(&c->pm, h);
    hex_sha256_update(&ctx, h);
    hex_sha256_update(&ctx, c->signed_message);
    hex_sha256_update(&ctx, c->avk);
    if (c->multi_signature[0]) {
        set_feed_hash(&ctx, &c->set);
        hex_sha256_update(&ctx, c->multi_signature);
    } else {
        hex_sha256_update(&ctx, c->genesis_signature);
    }
    if (c->anc_prover)
        crypto_hash_sha256_update(&ctx, c->anc_prover, c->anc_prover_len);
    if (c->anc_verifier)
        crypto_hash_sha256_update(&ctx, c->anc_verifier, c->anc_verifier_len);
    crypto_hash_sha256_final(&ctx, md);
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, md, 32);
    return MTL_OK;
}

const char *mtl_certificate_hash(const struct mtl_certificate *c)
{
    return c->hash;
}
const char *mtl_certificate_previous_hash(const struct mtl_certificate *c)
{
    return c->previous_hash;
}
uint64_t mtl_certificate_epoch(const struct mtl_certificate *c)
{
    return c->epoch;
}
int mtl_certificate_is_genesis(const struct mtl_certificate *c)
{
    return c->genesis_signature[0] != 0;
}
const char *mtl_certificate_signed_message(const struct mtl_certificate *c)
{
    return c->signed_message;
}
const char *mtl_certificate_avk(const struct mtl_certificate *c)
{
    return c->avk;
}
const struct mtl_protocol_message *mtl_certificate_protocol_message(const struct mtl_certificate *c)
{
    return &c->pm;
}
void mtl_certificate_signed_entity(const struct mtl_certificate *c,
                                   struct mtl_signed_entity_type *out)
{
    *out = c->set;
}
void mtl_certificate_params(const struct mtl_certificate *c, struct mtl_stm_params *out)
{
    *out = c->params;
}

mtl_err mtl_certificate_build(struct mtl_certificate **out, const struct mtl_certificate_params *p)
{
    *out = NULL;
    MTL_CHECK(p->message && p->avk_jsonhex && p->network && p->version, MTL_ERR_INVALID_ARG,
              "certificate build: message, avk, network and version are required");
    MTL_CHECK((p->multisig_jsonhex != NULL) != (p->genesis_sk != NULL), MTL_ERR_INVALID_ARG,
              "certificate build: give a multi-signature or a genesis key, not both");
    struct mtl_certificate *c = mtl_calloc(1, sizeof(*c));
    MTL_CHECK(c, MTL_ERR_NOMEM, "certificate build: out of memory");
    char t1[40], t2[40];
    cert_format_time(t1, p->initiated_at_ns);
    cert_format_time(t2, p->sealed_at_ns);
    c->previous_hash = mtl_strdup(p->previous_hash ? p->previous_hash : "");
    c->epoch = p->epoch;
    c->set = p->signed_entity;
    c->network = mtl_strdup(p->network);
    c->version = mtl_strdup(p->version);
    c->params = p->params;
    c->initiated_at = mtl_strdup(t1);
    c->sealed_at = mtl_strdup(t2);
    c->initiated_ns = p->initiated_at_ns;
    c->sealed_ns = p->sealed_at_ns;
    c->signers = mtl_calloc(p->nsigners ? p->nsigners : 1, sizeof(*c->signers));
    c->avk = mtl_strdup(p->avk_jsonhex);
    c->multi_signature = mtl_strdup(p->multisig_jsonhex ? p->multisig_jsonhex : "");
    mtl_err rc = MTL_OK;
    if (!c->previous_hash || !c->network || !c->version || !c->initiated_at || !c->sealed_at ||
        !c->signers || !c->avk || !c->multi_signature) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "certificate build: out of memory");
        goto out;
    }
    for (size_t i = 0; i < p->nsigners; i++) {
        c->signers[i].party_id = mtl_strdup(p->signers[i].party_id);
        c->signers[i].stake = p->signers[i].stake;
        c->nsigners = i + 1;
        if (!c->signers[i].party_id) {
            rc = mtl_seterr(MTL_ERR_NOMEM, "certificate build: out of memory");
            goto out;
        }
    }
    rc = pm_copy(&c->pm, p->message);
    if (rc != MTL_OK)
        goto out;
    mtl_protocol_message_hash(&c->pm, c->signed_message);
    if (p->genesis_sk) {
        uint8_t sig[MTL_GENESIS_SIG_BYTES];
        char hex[2 * MTL_GENESIS_SIG_BYTES + 1];
        rc = mtl_genesis_sign(sig, p->genesis_sk, (const uint8_t *)c->signed_message, 64);
        if (rc != MTL_OK)
            goto out;
        mtl_hex_encode(hex, sizeof(hex), sig, sizeof(sig));
        c->genesis_signature = mtl_strdup(hex);
    } else {
        c->genesis_signature = mtl_strdup("");
    }
    if (!c->genesis_signature) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "certificate build: out of memory");
        goto out;
    }
    rc = mtl_certificate_compute_hash(c, c->hash);
out:
    if (rc != MTL_OK) {
        mtl_certificate_free(c);
        return rc;
    }
    *out = c;
    return MTL_OK;
}
