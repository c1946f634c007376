/* aggregator_certifier.c - the certifier: quorum tracking as signatures
 * arrive, and on quorum the aggregation of the open message's signatures
 * into a certificate stored with its artifact. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

/* Rebuild a protocol message from its stored {"message_parts":{...}}. */
static mtl_err pm_from_json(const char *json, struct mtl_protocol_message **out)
{
    json_t *j = json_loads(json, 0, NULL);
    json_t *parts = json_object_get(j, "message_parts");
    mtl_err e = json_is_object(parts) ? mtl_protocol_message_new(out)
                                      : mtl_seterr(MTL_ERR_INTERNAL, "stored message: bad JSON");
    const char *k;
    json_t *v;
    json_object_foreach(parts, k, v)
    {
        if (e != MTL_OK)
            break;
        e = mtl_protocol_message_set(*out, k, json_string_value(v));
    }
    json_decref(j);
    return e;
}

static mtl_err certify(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *params,
                       const char *key, int *not_enough)
{
    struct agg_open_message m;
    char **party = NULL, **sigs = NULL, *multisig = NULL, *prev_json = NULL, *cert_json = NULL;
    char *art_json = NULL, *digests_json = NULL;
    size_t n = 0;
    struct mtl_protocol_message *pm = NULL;
    struct mtl_certificate *cert = NULL, *prev = NULL;
    struct mtl_party_stake *ps = NULL;
    struct agg_artifact art;
    memset(&art, 0, sizeof(art));
    *not_enough = 0;
    MTL_TRY(agg_store_open_message_get(&a->store, key, &m));
    int64_t t0 = agg_now_ns();
    mtl_err e = agg_store_signatures(&a->store, key, &party, &sigs, &n);
    /* Signatures were decoded and verified on arrival (kept decoded by
     * signer index): aggregate them without decoding or checking each again;
     * mtl_stm_aggregate_decoded verifies the multi-signature it builds (every
     * check of mtl_stm_verify_multisig_jsonhex against this registration's
     * AVK; only points whose bytes were already decoded and checked are
     * reused). After a restart the stored ones are decoded here. On any doubt,
     * the full clerk (which re-checks and drops invalid signatures). */
    int64_t t_loaded = agg_now_ns();
    const struct mtl_stm_sig **dec = NULL;
    struct mtl_stm_sig **owned = NULL;
    size_t *pos = NULL, nowned = 0, ncached = 0;
    if (e == MTL_OK) {
        dec = mtl_calloc(n ? n : 1, sizeof(*dec));
        owned = mtl_calloc(n ? n : 1, sizeof(*owned));
        pos = mtl_calloc(n ? n : 1, sizeof(*pos));
        if (!dec || !owned || !pos)
            e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    int decoded_all = e == MTL_OK;
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        pos[i] = agg_signers_find(g, party[i]);
        dec[i] = agg_signers_cache_get(g, pos[i], key, sigs[i]);
        ncached += dec[i] != NULL;
        if (!dec[i]) {
            if (mtl_stm_sig_decode_jsonhex(&owned[nowned], sigs[i]) == MTL_OK)
                dec[i] = owned[nowned++];
            else
                decoded_all = 0;
        }
    }
    if (e == MTL_OK && decoded_all)
        e = mtl_stm_aggregate_decoded(g->closed, params, dec, n, (const uint8_t *)m.signed_message,
                                      64, &multisig);
    int64_t t_aggregated = agg_now_ns();
    if (e != MTL_OK && e != MTL_ERR_NOT_ENOUGH_SIGS && e != MTL_ERR_NOMEM)
        log_warn("aggregate_recheck", "entity=%s error=\"%s\"", key, mtl_err_detail());
    if ((e == MTL_OK && !decoded_all) ||
        (e != MTL_OK && e != MTL_ERR_NOT_ENOUGH_SIGS && e != MTL_ERR_NOMEM && n)) {
        mtl_free(multisig);
        multisig = NULL;
        e = mtl_stm_aggregate_jsonhex(g->closed, params, (const char *const *)sigs, n,
                                      (const uint8_t *)m.signed_message, 64, &multisig);
    }
    for (size_t i = 0; i < nowned; i++)
        mtl_stm_sig_free(owned[i]);
    mtl_free(owned);
    mtl_free(dec);
    if (e == MTL_ERR_NOT_ENOUGH_SIGS) {
        *not_enough = 1;
        goto out;
    }
    if (e == MTL_OK)
        e = (ps = mtl_calloc(n ? n : 1, sizeof(*ps))) ? MTL_OK
                                                      : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        ps[i].party_id = party[i];
        if (pos[i] < g->n)
            ps[i].stake = g->stake[pos[i]];
    }
    if (e == MTL_OK)
        e = agg_store_master_certificate(&a->store, m.type.epoch, &prev_json);
    if (e == MTL_OK)
        e = mtl_certificate_from_json(&prev, prev_json, strlen(prev_json));
    if (e == MTL_OK)
        e = pm_from_json(m.protocol_message, &pm);
    int64_t sealed = agg_now_ns(), t_verified = sealed;
    if (e == MTL_OK) {
        struct mtl_certificate_params cp = {
            .previous_hash = mtl_certificate_hash(prev),
            .epoch = m.type.epoch,
            .signed_entity = m.type,
            .network = a->cfg.network,
            .version = "0.1.0",
            .params = *params,
            .initiated_at_ns = m.created_at_ns,
            .sealed_at_ns = sealed,
            .signers = ps,
            .nsigners = n,
            .message = pm,
            .avk_jsonhex = g->avk,
            .multisig_jsonhex = multisig,
        };
        e = mtl_certificate_build(&cert, &cp);
    }
    if (e == MTL_OK)
        e = mtl_certificate_verify_link(cert, prev);
    if (e == MTL_OK)
        e = mtl_certificate_to_json(cert, &cert_json);
    int64_t t_cert = agg_now_ns();
    if (e == MTL_OK && m.type.kind == MTL_SET_MITHRIL_STAKE_DISTRIBUTION) {
        art.kind = m.type.kind;
        art.epoch = m.type.epoch;
        e = agg_msd_artifact(a, m.type.epoch, mtl_certificate_hash(cert), sealed, art.hash,
                             &art_json);
    } else if (e == MTL_OK && m.type.kind == MTL_SET_CARDANO_DATABASE) {
        art.kind = m.type.kind;
        art.epoch = m.type.epoch;
        art.immutable_file_number = m.type.a;
        e = agg_cardano_database_artifact(a, &m, mtl_certificate_hash(cert), art.hash, &art_json,
                                          &digests_json);
        if (e == MTL_OK)
            e = mtl_cardano_database_verify(art_json, strlen(art_json), cert);
    }
    int64_t t_built = agg_now_ns();
    art.json = art_json;
    art.digests_json = digests_json;
    if (e == MTL_OK)
        e = agg_store_certify(&a->store, key, cert_json, art_json ? &art : NULL);
    if (e == MTL_OK) {
        int64_t t1 = agg_now_ns();
        pthread_mutex_lock(&a->rt.mu);
        int64_t q = a->rt.quorum_at_ns;
        a->rt.quorum_at_ns = 0;
        pthread_mutex_unlock(&a->rt.mu);
        log_info("certificate_created",
                 "hash=%s epoch=%llu entity=%s signatures=%zu decoded_on_arrival=%zu previous=%s"
                 " aggregate_ms=%.1f"
                 " quorum_to_certificate_ms=%.1f load_ms=%.1f clerk_ms=%.1f verify_ms=%.1f"
                 " build_ms=%.1f certificate_ms=%.1f artifact_ms=%.1f store_ms=%.1f",
                 mtl_certificate_hash(cert), (unsigned long long)m.type.epoch, key, n, ncached,
                 mtl_certificate_hash(prev), (double)(t1 - t0) / 1e6,
                 q ? (double)(t1 - q) / 1e6 : 0.0, (double)(t_loaded - t0) / 1e6,
                 (double)(t_aggregated - t_loaded) / 1e6, (double)(t_verified - t_aggregated) / 1e6,
                 (double)(t_built - t_verified) / 1e6, (double)(t_cert - t_verified) / 1e6,
                 (double)(t_built - t_cert) / 1e6, (double)(t1 - t_built) / 1e6);
    }
out:
    if (e == MTL_OK)
        agg_signers_cache_drop(g, key);
    mtl_free(pos);
    agg_open_message_clear(&m);
    agg_strv_free(party, n);
    agg_strv_free(sigs, n);
    mtl_free(ps);
    mtl_free(multisig);
    mtl_free(prev_json);
    mtl_free(cert_json);
    mtl_free(art_json);
    mtl_free(digests_json);
    mtl_protocol_message_free(pm);
    mtl_certificate_free(cert);
    mtl_certificate_free(prev);
    return e;
}

/* Messages tried without quorum, retried only when signatures arrived. */
struct tried {
    char key[160];
    size_t count;
};
static struct tried tried_cache[8];

static size_t signature_count(struct agg *a, const char *key)
{
    char *txt = NULL;
    size_t n = 0;
    if (agg_store_query_text(&a->store,
                             "SELECT CAST(COUNT(*) AS TEXT) FROM single_signature WHERE"
                             " signed_entity = ?1",
                             key, &txt, "signatures") == MTL_OK)
        n = strtoull(txt, NULL, 10);
    mtl_free(txt);
    return n;
}

void agg_certifier_try(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                       const char *key)
{
    size_t n = signature_count(a, key);
    struct tried *slot = NULL;
    for (size_t i = 0; i < MTL_ARRAY_LEN(tried_cache); i++)
        if (strcmp(tried_cache[i].key, key) == 0)
            slot = &tried_cache[i];
    if (n == 0 || (slot && slot->count == n))
        return;
    /* Signatures seen arriving tell whether k distinct indexes are there;
     * without that record (restart) try once per new signature count. */
    int known = 0, reached = 0;
    pthread_mutex_lock(&a->rt.mu);
    for (size_t i = 0; i < MTL_ARRAY_LEN(a->rt.quorum); i++)
        if (a->rt.quorum[i].bits && strcmp(a->rt.quorum[i].key, key) == 0) {
            known = 1;
            reached = a->rt.quorum[i].unique >= p->k;
        }
    pthread_mutex_unlock(&a->rt.mu);
    if (known && !reached)
        return;
    int not_enough = 0;
    mtl_err e = certify(a, g, p, key, &not_enough);
    if (e == MTL_OK || not_enough) {
        if (!slot) {
            slot = &tried_cache[n % MTL_ARRAY_LEN(tried_cache)];
            snprintf(slot->key, sizeof(slot->key), "%s", key);
        }
        slot->count = n;
        if (not_enough)
            log_debug("no_quorum", "entity=%s signatures=%zu", key, n);
        mtl_err_clear();
    } else
        log_error("certify", "entity=%s error=\"%s\"", key, mtl_err_detail());
}

void agg_runtime_signature(struct agg *a, const char *key, const uint64_t *idx, size_t n,
                           const struct mtl_stm_params *p)
{
    pthread_mutex_lock(&a->rt.mu);
    struct agg_quorum *q = NULL;
    for (size_t i = 0; i < MTL_ARRAY_LEN(a->rt.quorum); i++)
        if (strcmp(a->rt.quorum[i].key, key) == 0)
            q = &a->rt.quorum[i];
    if (!q) {
        q = &a->rt.quorum[a->rt.quorum_next++ % MTL_ARRAY_LEN(a->rt.quorum)];
        mtl_free(q->bits);
        memset(q, 0, sizeof(*q));
        snprintf(q->key, sizeof(q->key), "%s", key);
        q->m = p->m;
        q->bits = mtl_calloc((size_t)(p->m / 8 + 1), 1);
    }
    for (size_t i = 0; q->bits && i < n; i++)
        if (idx[i] < q->m && !(q->bits[idx[i] / 8] & (1u << (idx[i] % 8)))) {
            q->bits[idx[i] / 8] |= (uint8_t)(1u << (idx[i] % 8));
            q->unique++;
        }
    /* Without the bitmap (no memory) every signature wakes the runtime. */
    if (!q->bits || (q->unique >= p->k && !q->signalled)) {
        q->signalled = q->bits != NULL;
        a->rt.quorum_at_ns = agg_now_ns();
        a->rt.wake = 1;
        pthread_cond_signal(&a->rt.cv);
    }
    pthread_mutex_unlock(&a->rt.mu);
}
