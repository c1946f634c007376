/*
 * The C side of mithril.mjs: libmithril's verifying calls taking JSON texts
 * and answering a JSON text (mtl_malloc'ed, freed by JS with mw_free) or NULL
 * with the reason in mw_error(). The chain walk fetches certificates through
 * JS (fetch() is asynchronous: the walk is suspended by Asyncify while it
 * runs), so the C rules, order and cache are the native client's.
 */
#include <emscripten.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/mithril.h"

/* The cache of verified certificates: the native client's file, in the
 * module's in-memory file system (lives as long as the module). */
#define CACHE_PATH "/verified-certificates"

static char last_error[1024];

static char *fail(mtl_err rc)
{
    const char *d = mtl_err_detail();
    snprintf(last_error, sizeof last_error, "%s", d && *d ? d : mtl_strerror(rc));
    return NULL;
}

/* The answer as compact JSON text; takes the object. */
static char *answer(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s)
        return fail(mtl_seterr(MTL_ERR_NOMEM, "out of memory"));
    return s;
}

EMSCRIPTEN_KEEPALIVE const char *mw_error(void)
{
    return last_error;
}

EMSCRIPTEN_KEEPALIVE const char *mw_version(void)
{
    return mtl_version();
}

EMSCRIPTEN_KEEPALIVE void mw_free(void *p)
{
    mtl_free(p);
}

EMSCRIPTEN_KEEPALIVE int mw_init(void)
{
    return mtl_init() == MTL_OK ? 0 : -1;
}

/* ---- the chain walk ---- */

/* Asks JS for a certificate's JSON: a malloc'ed NUL-terminated text, or 0
 * with the HTTP status in *status (0: no answer; JS keeps the reason). */
EM_ASYNC_JS(char *, js_fetch_certificate, (const char *hash, int *status),
            { return await Module.mithrilFetchCertificate(UTF8ToString(hash), status); });

EM_JS(void, js_progress,
      (int index, const char *hash, double epoch, const char *entity, int cached),
      { Module.mithrilProgress(index, UTF8ToString(hash), epoch, UTF8ToString(entity), cached); });

static mtl_err fetch_cb(void *ctx, const char *hash, char **json, size_t *len)
{
    (void)ctx;
    int status = 0;
    char *s = js_fetch_certificate(hash, &status);
    if (!s)
        return mtl_seterr(status == 404 ? MTL_ERR_NOT_FOUND : MTL_ERR_HTTP,
                          "certificate %s: fetch failed (status %d)", hash, status);
    *json = s;
    *len = strlen(s);
    return MTL_OK;
}

static void progress_cb(void *ctx, const struct mtl_certificate *c, int from_cache)
{
    int *index = ctx;
    struct mtl_signed_entity_type t;
    mtl_certificate_signed_entity(c, &t);
    js_progress((*index)++, mtl_certificate_hash(c), (double)mtl_certificate_epoch(c),
                mtl_signed_entity_kind_name(t.kind), from_cache);
}

EMSCRIPTEN_KEEPALIVE char *mw_verify_chain(const char *hash, const char *genesis_vk, int use_cache,
                                           double max_certificates)
{
    uint8_t vk[MTL_GENESIS_VK_BYTES];
    mtl_err rc = mtl_genesis_vkey_decode(vk, genesis_vk);
    if (rc != MTL_OK)
        return fail(rc);
    int index = 0;
    struct mtl_chain_verify_opts o = {
        .fetch = fetch_cb,
        .progress = progress_cb,
        .progress_ctx = &index,
        .cache_path = use_cache ? CACHE_PATH : NULL,
        .max_certificates = max_certificates > 0 ? (size_t)max_certificates : 0,
    };
    struct mtl_certificate *head = NULL;
    size_t checked = 0;
    rc = mtl_certificate_chain_verify_get(&head, hash, vk, &o, &checked);
    if (rc != MTL_OK)
        return fail(rc);
    char *text = NULL;
    rc = mtl_certificate_to_json(head, &text);
    json_t *out = NULL;
    if (rc == MTL_OK)
        out = json_pack("{s:I,s:s,s:s}", "certificates", (json_int_t)checked, "hash",
                        mtl_certificate_hash(head), "certificate", text);
    mtl_free(text);
    mtl_certificate_free(head);
    return rc == MTL_OK ? answer(out) : fail(rc);
}

/* Emptied the way the walk writes it: remove() did not drop it from
 * emscripten 3.1.6's in-memory file system. */
EMSCRIPTEN_KEEPALIVE int mw_clear_cache(void)
{
    mtl_err rc = mtl_atomic_write(CACHE_PATH, (const uint8_t *)"", 0, 0644);
    return rc == MTL_OK ? 0 : (fail(rc), -1);
}

/* ---- one certificate ---- */

static mtl_err parse_cert(struct mtl_certificate **c, const char *json)
{
    mtl_err rc = mtl_certificate_from_json(c, json, strlen(json));
    return rc == MTL_OK ? rc : mtl_err_wrap(rc, "certificate");
}

EMSCRIPTEN_KEEPALIVE char *mw_verify_certificate(const char *json, const char *genesis_vk)
{
    uint8_t vk[MTL_GENESIS_VK_BYTES];
    struct mtl_certificate *c = NULL;
    mtl_err rc = mtl_genesis_vkey_decode(vk, genesis_vk);
    if (rc == MTL_OK)
        rc = parse_cert(&c, json);
    if (rc == MTL_OK)
        rc = mtl_certificate_verify_integrity(c, vk);
    if (rc != MTL_OK) {
        mtl_certificate_free(c);
        return fail(rc);
    }
    struct mtl_signed_entity_type t;
    mtl_certificate_signed_entity(c, &t);
    json_t *out =
        json_pack("{s:s,s:s,s:I,s:s,s:b}", "hash", mtl_certificate_hash(c), "previousHash",
                  mtl_certificate_previous_hash(c), "epoch", (json_int_t)mtl_certificate_epoch(c),
                  "signedEntity", mtl_signed_entity_kind_name(t.kind), "genesis",
                  mtl_certificate_is_genesis(c));
    mtl_certificate_free(c);
    return answer(out);
}

/* ---- proofs and artifacts, against a certificate ---- */

EMSCRIPTEN_KEEPALIVE char *mw_verify_proofs(int kind, const char *proof, const char *cert_json)
{
    struct mtl_certificate *c = NULL;
    struct mtl_certified_set set = {0};
    mtl_err rc = parse_cert(&c, cert_json);
    if (rc == MTL_OK)
        rc = mtl_proofs_verify(&set, (enum mtl_proofs_kind)kind, proof, strlen(proof), c);
    mtl_certificate_free(c);
    if (rc != MTL_OK)
        return fail(rc);
    json_t *items = json_array();
    for (size_t i = 0; items && i < set.count; i++)
        json_array_append_new(items, json_string(set.items[i].hash));
    json_t *out = json_pack("{s:o,s:s,s:s,s:I}", "certified", items, "certificateHash",
                            set.certificate_hash, "merkleRoot", set.merkle_root,
                            "latestBlockNumber", (json_int_t)set.latest_block_number);
    mtl_certified_set_free(&set);
    return answer(out);
}

EMSCRIPTEN_KEEPALIVE char *mw_verify_msd(const char *msd, const char *cert_json)
{
    struct mtl_certificate *c = NULL;
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err rc = parse_cert(&c, cert_json);
    if (rc == MTL_OK)
        rc = mtl_msd_verify(msd, strlen(msd), c, hash);
    mtl_certificate_free(c);
    return rc == MTL_OK ? answer(json_pack("{s:s}", "hash", hash)) : fail(rc);
}

EMSCRIPTEN_KEEPALIVE char *mw_verify_cardano_database(const char *artifact, const char *cert_json)
{
    struct mtl_certificate *c = NULL;
    mtl_err rc = parse_cert(&c, cert_json);
    if (rc == MTL_OK)
        rc = mtl_cardano_database_verify(artifact, strlen(artifact), c);
    const char *root = c ? mtl_protocol_message_get(mtl_certificate_protocol_message(c),
                                                    "cardano_database_merkle_root")
                         : NULL;
    char *out = rc == MTL_OK ? answer(json_pack("{s:s?}", "merkleRoot", root)) : fail(rc);
    mtl_certificate_free(c);
    return out;
}

/* digests: a JSON array of hex strings. */
EMSCRIPTEN_KEEPALIVE char *mw_cardano_db_merkle_root(const char *digests)
{
    json_error_t jerr;
    json_t *a = json_loads(digests, 0, &jerr);
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    const char **leaves = n ? mtl_calloc(n, sizeof *leaves) : NULL;
    mtl_err rc = a && json_is_array(a) ? MTL_OK
                                       : mtl_seterr(MTL_ERR_BAD_ENCODING,
                                                    "digests: expected an array of hex strings");
    for (size_t i = 0; rc == MTL_OK && i < n; i++) {
        leaves[i] = json_string_value(json_array_get(a, i));
        if (!leaves[i])
            rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "digests[%zu]: not a string", i);
    }
    char root[MTL_DIGEST_HEX_BYTES];
    if (rc == MTL_OK)
        rc = mtl_cardano_db_merkle_root(leaves, n, root);
    mtl_free(leaves);
    json_decref(a);
    return rc == MTL_OK ? answer(json_pack("{s:s}", "root", root)) : fail(rc);
}

EMSCRIPTEN_KEEPALIVE char *mw_verify_credentials(const char *party_id, const char *vk,
                                                 const char *opcert, const char *kes_sig,
                                                 double kes_evolutions)
{
    mtl_err rc =
        kes_evolutions >= 0 && kes_evolutions < 1e15
            ? mtl_signer_credentials_verify(party_id, vk, opcert, kes_sig, (uint64_t)kes_evolutions)
            : mtl_seterr(MTL_ERR_INVALID_ARG, "kesEvolutions: out of range");
    return rc == MTL_OK ? answer(json_pack("{s:b}", "valid", 1)) : fail(rc);
}
