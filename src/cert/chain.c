/* chain.c - certificate verification rules and the chain walk to genesis,
 * with a cache of verified hashes (certificate_verifier.rs). */
#include <stdio.h>
#include <stdlib.h>

#include "cert_int.h"

#define CERT_JSON_MAX (16u << 20)

/* Checks that need no signature: the hash, signed_message and epoch part
 * are those of the content. A cache hit may skip only the signature, so
 * these run on every certificate walked. */
static mtl_err check_content(const struct mtl_certificate *c)
{
    char h[MTL_HASH_HEX_BYTES];
    MTL_CHECK(strcmp(c->hash, c->previous_hash) != 0, MTL_ERR_CHAIN,
              "certificate %s: chains to itself (infinite loop)", c->hash);
    MTL_TRY(mtl_certificate_compute_hash(c, h));
    MTL_CHECK(strcmp(h, c->hash) == 0, MTL_ERR_INTEGRITY,
              "certificate %s: hash does not match its content (computed %s)", c->hash, h);
    mtl_protocol_message_hash(&c->pm, h);
    MTL_CHECK(strcmp(h, c->signed_message) == 0, MTL_ERR_INTEGRITY,
              "certificate %s: signed_message does not match the protocol message hash",
              c->hash);
    char epoch[24];
    snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)c->epoch);
    const char *part = mtl_protocol_message_get(&c->pm, "current_epoch");
    MTL_CHECK(part && strcmp(part, epoch) == 0, MTL_ERR_CHAIN,
              "certificate %s: epoch %s does not match the protocol message's current_epoch",
              c->hash, epoch);
    return MTL_OK;
}

mtl_err mtl_certificate_verify_integrity(const struct mtl_certificate *c,
                                         const uint8_t genesis_vk[MTL_GENESIS_VK_BYTES])
{
    MTL_TRY(check_content(c));
    if (mtl_certificate_is_genesis(c)) {
        uint8_t sig[MTL_GENESIS_SIG_BYTES];
        size_t n;
        mtl_err rc = mtl_hex_decode(sig, sizeof(sig), &n, c->genesis_signature,
                                    strlen(c->genesis_signature));
        MTL_CHECK(rc == MTL_OK && n == sizeof(sig), MTL_ERR_BAD_ENCODING,
                  "certificate %s: genesis_signature is not 64 hex-encoded bytes", c->hash);
        rc = mtl_genesis_verify(genesis_vk, sig, (const uint8_t *)c->signed_message, 64);
        if (rc != MTL_OK)
            return mtl_err_wrap(rc, "genesis certificate %s", c->hash);
    } else {
        mtl_err rc = mtl_stm_verify_multisig_jsonhex(c->multi_signature, c->avk,
                                                     (const uint8_t *)c->signed_message, 64,
                                                     &c->params);
        if (rc != MTL_OK)
            return mtl_err_wrap(rc, "certificate %s: multi-signature", c->hash);
    }
    return MTL_OK;
}

/* Two AVK JSON-hex strings denote the same key (compare decoded values). */
static int same_avk(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 1;
    char *ja, *jb;
    if (mtl_jsonhex_decode(&ja, NULL, a) != MTL_OK)
        return 0;
    if (mtl_jsonhex_decode(&jb, NULL, b) != MTL_OK) {
        mtl_free(ja);
        return 0;
    }
    json_t *x = json_loads(ja, 0, NULL), *y = json_loads(jb, 0, NULL);
    int eq = x && y && json_equal(x, y);
    json_decref(x);
    json_decref(y);
    mtl_free(ja);
    mtl_free(jb);
    return eq;
}

mtl_err mtl_certificate_verify_link(const struct mtl_certificate *c,
                                    const struct mtl_certificate *prev)
{
    uint64_t gap = c->epoch > prev->epoch ? c->epoch - prev->epoch : prev->epoch - c->epoch;
    MTL_CHECK(gap <= 1, MTL_ERR_CHAIN, "certificate %s: epoch %llu is not next to epoch %llu of %s",
              c->hash, (unsigned long long)c->epoch, (unsigned long long)prev->epoch, prev->hash);
    MTL_CHECK(strcmp(prev->hash, c->previous_hash) == 0, MTL_ERR_CHAIN,
              "certificate %s: previous_hash does not match certificate %s", c->hash, prev->hash);
    if (prev->epoch == c->epoch) {
        MTL_CHECK(same_avk(prev->avk, c->avk), MTL_ERR_CHAIN,
                  "certificate %s: AVK differs from previous certificate %s of the same epoch",
                  c->hash, prev->hash);
        char a[MTL_HASH_HEX_BYTES], b[MTL_HASH_HEX_BYTES];
        mtl_protocol_parameters_hash(&c->params, a);
        mtl_protocol_parameters_hash(&prev->params, b);
        MTL_CHECK(strcmp(a, b) == 0 && c->params.k == prev->params.k, MTL_ERR_CHAIN,
                  "certificate %s: protocol parameters differ from certificate %s of the same "
                  "epoch",
                  c->hash, prev->hash);
    } else {
        const char *next_avk = mtl_protocol_message_get(&prev->pm, "next_aggregate_verification_key");
        MTL_CHECK(next_avk && same_avk(next_avk, c->avk), MTL_ERR_CHAIN,
                  "certificate %s: AVK is not the next_aggregate_verification_key of %s", c->hash,
                  prev->hash);
        const char *next_pp = mtl_protocol_message_get(&prev->pm, "next_protocol_parameters");
        char h[MTL_HASH_HEX_BYTES];
        mtl_protocol_parameters_hash(&c->params, h);
        MTL_CHECK(next_pp && strcmp(next_pp, h) == 0, MTL_ERR_CHAIN,
                  "certificate %s: protocol parameters are not the next_protocol_parameters of %s",
                  c->hash, prev->hash);
    }
    return MTL_OK;
}

/* ---- cache: a text file "genesis_vk_hex cert_hash" per line ---- */

static char *cache_load(const char *path)
{
    uint8_t *data;
    size_t len;
    if (!path || mtl_read_file(path, 64u << 20, &data, &len) != MTL_OK)
        return NULL;
    return (char *)data;
}

static int cache_has(const char *cache, const char *vkhex, const char *hash)
{
    if (!cache)
        return 0;
    char line[200];
    snprintf(line, sizeof(line), "%s %s\n", vkhex, hash);
    const char *p = cache;
    size_t ll = strlen(line);
    while ((p = strstr(p, line)) != NULL) {
        if (p == cache || p[-1] == '\n')
            return 1;
        p += ll;
    }
    return 0;
}

static mtl_err cache_store(const char *path, const char *old, const char *vkhex, char **hashes,
                           size_t n)
{
    struct mtl_buf b;
    mtl_buf_init(&b, 128u << 20);
    mtl_err rc = old ? mtl_buf_append_str(&b, old) : MTL_OK;
    for (size_t i = 0; rc == MTL_OK && i < n; i++)
        if (!cache_has(old, vkhex, hashes[i]))
            rc = mtl_buf_printf(&b, "%s %s\n", vkhex, hashes[i]);
    if (rc == MTL_OK)
        rc = mtl_atomic_write(path, b.data ? b.data : (uint8_t *)"", b.len, 0644);
    mtl_buf_free(&b);
    return rc;
}

static mtl_err fetch_cert(const struct mtl_chain_verify_opts *o, const char *hash,
                          struct mtl_certificate **out)
{
    char *json = NULL;
    size_t len = 0;
    mtl_err rc = o->fetch(o->fetch_ctx, hash, &json, &len);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc == MTL_ERR_NOT_FOUND ? MTL_ERR_CHAIN : rc,
                            "cannot retrieve certificate %s", hash);
    MTL_CHECK(len <= CERT_JSON_MAX, MTL_ERR_TOO_BIG, "certificate %s: %zu bytes", hash, len);
    rc = mtl_certificate_from_json(out, json, len);
    mtl_free(json);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "certificate %s", hash);
    /* the hash field is only a claim: what was asked for must be the hash of
     * the content received, else the walk and the cache would vouch for
     * bytes nobody checked */
    char h[MTL_HASH_HEX_BYTES];
    rc = mtl_certificate_compute_hash(*out, h);
    if (rc == MTL_OK && strcmp(h, hash) != 0)
        rc = mtl_seterr(MTL_ERR_INTEGRITY,
                        "certificate %s: hash does not match its content (computed %s)", hash, h);
    else if (rc == MTL_OK && strcmp((*out)->hash, hash) != 0)
        rc = mtl_seterr(MTL_ERR_INTEGRITY,
                        "certificate %s: the source returned it under the hash field %s", hash,
                        (*out)->hash);
    if (rc != MTL_OK) {
        mtl_certificate_free(*out);
        *out = NULL;
    }
    return rc;
}

mtl_err mtl_certificate_chain_verify_get(struct mtl_certificate **verified, const char *hash,
                                         const uint8_t genesis_vk[MTL_GENESIS_VK_BYTES],
                                         const struct mtl_chain_verify_opts *o, size_t *checked)
{
    if (verified)
        *verified = NULL;
    if (checked)
        *checked = 0;
    MTL_CHECK(o && o->fetch, MTL_ERR_INVALID_ARG, "chain verify: no certificate source");
    size_t max = o->max_certificates ? o->max_certificates : 100000;
    char vkhex[2 * MTL_GENESIS_VK_BYTES + 1];
    mtl_hex_encode(vkhex, sizeof(vkhex), genesis_vk, MTL_GENESIS_VK_BYTES);
    char *cache = cache_load(o->cache_path);
    char **walked = mtl_calloc(max + 1, sizeof(char *));
    struct mtl_certificate *first = NULL, *cur = NULL, *prev = NULL;
    size_t n = 0;
    mtl_err rc = walked ? fetch_cert(o, hash, &cur)
                        : mtl_seterr(MTL_ERR_NOMEM, "chain verify: out of memory");
    first = cur; /* kept: the very object the walk verifies first */
    while (rc == MTL_OK) {
        if (cache_has(cache, vkhex, cur->hash)) {
            /* fetch_cert re-hashed these bytes: the content is the one
             * verified before, only its signature check may be skipped */
            rc = check_content(cur);
            if (rc == MTL_OK && o->progress)
                o->progress(o->progress_ctx, cur, 1);
            break;
        }
        for (size_t i = 0; i < n; i++)
            if (strcmp(walked[i], cur->hash) == 0) {
                rc = mtl_seterr(MTL_ERR_CHAIN, "certificate %s: chain loops back to it", cur->hash);
                break;
            }
        if (rc != MTL_OK)
            break;
        if (n >= max) {
            rc = mtl_seterr(MTL_ERR_CHAIN, "chain longer than %zu certificates", max);
            break;
        }
        walked[n] = mtl_strdup(cur->hash);
        if (!walked[n]) {
            rc = mtl_seterr(MTL_ERR_NOMEM, "chain verify: out of memory");
            break;
        }
        n++;
        rc = mtl_certificate_verify_integrity(cur, genesis_vk);
        if (rc != MTL_OK)
            break;
        if (mtl_certificate_is_genesis(cur)) {
            if (o->progress)
                o->progress(o->progress_ctx, cur, 0);
            break;
        }
        rc = fetch_cert(o, cur->previous_hash, &prev);
        if (rc == MTL_OK)
            rc = mtl_certificate_verify_link(cur, prev);
        if (rc != MTL_OK)
            break;
        if (o->progress)
            o->progress(o->progress_ctx, cur, 0);
        if (cur != first)
            mtl_certificate_free(cur);
        cur = prev;
        prev = NULL;
    }
    if (rc == MTL_OK && o->cache_path) {
        mtl_err crc = cache_store(o->cache_path, cache, vkhex, walked, n);
        (void)crc; /* a cache that cannot be written only costs time later */
    }
    if (checked)
        *checked = n;
    if (cur != first)
        mtl_certificate_free(cur);
    mtl_certificate_free(prev);
    if (rc == MTL_OK && verified)
        *verified = first;
    else
        mtl_certificate_free(first);
    for (size_t i = 0; walked && i < n; i++)
        mtl_free(walked[i]);
    mtl_free(walked);
    mtl_free(cache);
    return rc;
}

mtl_err mtl_certificate_chain_verify(const char *hash,
                                     const uint8_t genesis_vk[MTL_GENESIS_VK_BYTES],
                                     const struct mtl_chain_verify_opts *o, size_t *checked)
{
    return mtl_certificate_chain_verify_get(NULL, hash, genesis_vk, o, checked);
}
