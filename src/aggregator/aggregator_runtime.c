/* aggregator_runtime.c - the epoch service and the state machine (idle ->
 * ready -> signing) on a timer thread, off the HTTP threads: epoch
 * transitions from the chain, stake distributions and parameters recorded
 * with the reference offsets, open messages per signed entity type, and on
 * quorum the certificate and its artifact. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"
#ifdef MTL_HAVE_CARDANO_DB
#include "mithril/cardano_db.h"
#endif

int64_t agg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void agg_rfc3339(int64_t ns, char out[40])
{
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char date[24];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%09lldZ", date, (long long)(ns % 1000000000));
}

/* ---- signers of a key epoch ----------------------------------------------- */

/* The 96 raw key bytes of a vk+PoP JSON-hex. */
static mtl_err vk_bytes(const char *jsonhex, uint8_t vk[MTL_STM_VK_BYTES])
{
    char *txt = NULL;
    size_t len = 0;
    MTL_TRY(mtl_jsonhex_decode(&txt, &len, jsonhex));
    json_t *j = json_loadb(txt, len, 0, NULL);
    mtl_free(txt);
    json_t *a = json_object_get(j, "vk");
    mtl_err e = MTL_OK;
    if (json_array_size(a) != MTL_STM_VK_BYTES)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "verification key: expected 96 bytes");
    for (size_t i = 0; e == MTL_OK && i < MTL_STM_VK_BYTES; i++)
        vk[i] = (uint8_t)json_integer_value(json_array_get(a, i));
    json_decref(j);
    return e;
}

static void cache_entry_free(struct agg_sig_entry *e)
{
    mtl_free(e->key);
    mtl_free(e->sig);
    mtl_stm_sig_free(e->dec);
    mtl_free(e);
}

void agg_signers_free(struct agg_signers *g)
{
    if (!g)
        return;
    for (size_t i = 0; g->cache && i < g->n; i++)
        for (struct agg_sig_entry *e = g->cache[i], *nx; e; e = nx) {
            nx = e->next;
            cache_entry_free(e);
        }
    mtl_free(g->cache);
    pthread_mutex_destroy(&g->cache_mu);
    mtl_free(g->by_name);
    agg_strv_free(g->party, g->n);
    mtl_free(g->stake);
    mtl_stm_closed_reg_free(g->closed);
    mtl_free(g->avk);
    mtl_free(g);
}

static const struct agg_signers *sort_g; /* under sort_mu: qsort has no context */
static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;
static int by_party(const void *a, const void *b)
{
    return strcmp(sort_g->party[*(const size_t *)a], sort_g->party[*(const size_t *)b]);
}

size_t agg_signers_find(const struct agg_signers *g, const char *party)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->party[g->by_name[mid]], party);
        if (c == 0)
            return g->by_name[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return g->n;
}

void agg_signers_cache_put(struct agg_signers *g, size_t i, const char *key, const char *sig,
                           struct mtl_stm_sig *dec)
{
    struct agg_sig_entry *e = i < g->n ? mtl_calloc(1, sizeof(*e)) : NULL;
    if (e) {
        e->key = mtl_strdup(key);
        e->sig = mtl_strdup(sig);
        e->dec = dec;
    }
    if (!e || !e->key || !e->sig) { /* no memory: aggregation decodes it again */
        if (e)
            cache_entry_free(e);
        else
            mtl_stm_sig_free(dec);
        return;
    }
    /* One per signer and message (a party stores one signature per message):
     * repeated posts do not grow the cache. */
    pthread_mutex_lock(&g->cache_mu);
    int have = 0;
    for (struct agg_sig_entry *x = g->cache[i]; x && !have; x = x->next)
        have = strcmp(x->key, key) == 0;
    if (!have) {
        e->next = g->cache[i];
        g->cache[i] = e;
    }
    pthread_mutex_unlock(&g->cache_mu);
    if (have)
        cache_entry_free(e);
}

const struct mtl_stm_sig *agg_signers_cache_get(struct agg_signers *g, size_t i, const char *key,
                                                const char *sig)
{
    const struct mtl_stm_sig *d = NULL;
    if (i >= g->n)
        return NULL;
    pthread_mutex_lock(&g->cache_mu);
    for (struct agg_sig_entry *e = g->cache[i]; e && !d; e = e->next)
        if (strcmp(e->key, key) == 0 && strcmp(e->sig, sig) == 0)
            d = e->dec;
    pthread_mutex_unlock(&g->cache_mu);
    return d;
}

void agg_signers_cache_drop(struct agg_signers *g, const char *key)
{
    pthread_mutex_lock(&g->cache_mu);
    for (size_t i = 0; i < g->n; i++)
        for (struct agg_sig_entry **p = &g->cache[i]; *p;) {
            struct agg_sig_entry *e = *p;
            if (strcmp(e->key, key) == 0) {
                *p = e->next;
                cache_entry_free(e);
            } else {
                p = &e->next;
            }
        }
    pthread_mutex_unlock(&g->cache_mu);
}

mtl_err agg_signers_load(struct agg_store *s, uint64_t key_epoch, struct agg_signers **out)
{
    *out = NULL;
    char *txt = NULL;
    MTL_TRY(agg_store_registrations(s, key_epoch, &txt));
    json_t *arr = json_loads(txt, 0, NULL);
    mtl_free(txt);
    MTL_CHECK(arr, MTL_ERR_INTERNAL, "registrations of epoch %llu: bad JSON",
              (unsigned long long)key_epoch);
    size_t n = json_array_size(arr);
    struct agg_signers *g = mtl_calloc(1, sizeof(*g));
    uint8_t(*vks)[MTL_STM_VK_BYTES] = mtl_calloc(n ? n : 1, MTL_STM_VK_BYTES);
    struct mtl_stm_keyreg *reg = NULL;
    mtl_err e = g && vks ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    if (e == MTL_OK && n == 0)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no signer registered for epoch %llu",
                       (unsigned long long)key_epoch);
    if (g)
        pthread_mutex_init(&g->cache_mu, NULL);
    if (e == MTL_OK) {
        g->key_epoch = key_epoch;
        g->party = mtl_calloc(n, sizeof(char *));
        g->stake = mtl_calloc(n, sizeof(uint64_t));
        g->by_name = mtl_calloc(n, sizeof(size_t));
        g->cache = mtl_calloc(n, sizeof(*g->cache));
        e = g->party && g->stake && g->by_name && g->cache
                ? mtl_stm_keyreg_new(&reg)
                : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        json_t *v = json_array_get(arr, i);
        const char *vk = json_string_value(json_object_get(v, "verification_key"));
        uint64_t stake = (uint64_t)json_integer_value(json_object_get(v, "stake"));
        e = vk_bytes(vk ? vk : "", vks[i]);
        if (e == MTL_OK)
            e = mtl_stm_keyreg_register_jsonhex(reg, stake, vk);
    }
    if (e == MTL_OK)
        e = mtl_stm_keyreg_close(reg, &g->closed);
    if (e == MTL_OK)
        e = mtl_stm_closed_reg_avk_jsonhex(g->closed, &g->avk);
    /* Map closed-registration indexes (sorted by stake, key) to parties. */
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        uint8_t vk[MTL_STM_VK_BYTES];
        e = mtl_stm_closed_reg_party(g->closed, i, vk, &g->stake[i]);
        for (size_t j = 0; e == MTL_OK && j < n; j++)
            if (memcmp(vk, vks[j], MTL_STM_VK_BYTES) == 0) {
                g->party[i] = mtl_strdup(
                    json_string_value(json_object_get(json_array_get(arr, j), "party_id")));
                break;
            }
        if (e == MTL_OK && !g->party[i])
            e = mtl_seterr(MTL_ERR_INTERNAL, "closed registration: signer %zu not found", i);
    }
    if (g)
        g->n = n;
    if (e == MTL_OK) {
        for (size_t i = 0; i < n; i++)
            g->by_name[i] = i;
        pthread_mutex_lock(&sort_mu);
        sort_g = g;
        qsort(g->by_name, n, sizeof(size_t), by_party);
        pthread_mutex_unlock(&sort_mu);
    }
    mtl_stm_keyreg_free(reg);
    mtl_free(vks);
    json_decref(arr);
    if (e != MTL_OK) {
        agg_signers_free(g);
        return e;
    }
    *out = g;
    return MTL_OK;
}

struct agg_signers *agg_runtime_signers(struct agg *a, struct mtl_stm_params *params,
                                        uint64_t *epoch, int *have)
{
    pthread_mutex_lock(&a->rt.mu);
    struct agg_signers *g = a->rt.current;
    if (g)
        g->refs++;
    if (params)
        *params = a->rt.params;
    *epoch = a->rt.epoch;
    *have = a->rt.have_epoch;
    pthread_mutex_unlock(&a->rt.mu);
    return g;
}

uint64_t agg_runtime_kes_period(struct agg *a)
{
    pthread_mutex_lock(&a->rt.mu);
    uint64_t slot = a->rt.slot;
    pthread_mutex_unlock(&a->rt.mu);
    return slot / a->cfg.slots_per_kes_period;
}

void agg_runtime_release(struct agg *a, struct agg_signers *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&a->rt.mu);
    int last = --g->refs == 0;
    pthread_mutex_unlock(&a->rt.mu);
    if (last)
        agg_signers_free(g);
}

/* ---- protocol messages -------------------------------------------------------- */

mtl_err agg_protocol_message(struct agg_store *s, const struct mtl_signed_entity_type *t,
                             const char *merkle_root, const char *next_avk,
                             struct mtl_protocol_message **out)
{
    *out = NULL;
    uint64_t e = t->epoch;
    struct agg_signers *next = NULL;
    struct mtl_stm_params np;
    char ph[MTL_HASH_HEX_BYTES], ep[24];
    if (!next_avk) {
        MTL_TRY(agg_signers_load(s, e, &next)); /* next signers: key e */
        next_avk = next->avk;
    }
    mtl_err rc = agg_store_params(s, e, &np);
    struct mtl_protocol_message *pm = NULL;
    if (rc == MTL_OK)
        rc = mtl_protocol_message_new(&pm);
    if (rc == MTL_OK) {
        mtl_protocol_parameters_hash(&np, ph);
        snprintf(ep, sizeof(ep), "%llu", (unsigned long long)e);
        rc = mtl_protocol_message_set(pm, "next_aggregate_verification_key", next_avk);
    }
    if (rc == MTL_OK)
        rc = mtl_protocol_message_set(pm, "next_protocol_parameters", ph);
    if (rc == MTL_OK)
        rc = mtl_protocol_message_set(pm, "current_epoch", ep);
    if (rc == MTL_OK && merkle_root)
        rc = mtl_protocol_message_set(pm, "cardano_database_merkle_root", merkle_root);
    agg_signers_free(next);
    if (rc != MTL_OK) {
        mtl_protocol_message_free(pm);
        return rc;
    }
    *out = pm;
    return MTL_OK;
}

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

/* ---- artifacts ---------------------------------------------------------------- */

/* SHA-256 over the signer's fields (hex) and stake, as the reference's
 * SignerWithStake::compute_hash; the MSD hash is over epoch || those. */
#include <sodium.h>
static void sha_str(crypto_hash_sha256_state *st, const char *s)
{
    if (s && *s)
        crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

#define MSD_CERT_HASH "@mtl-certificate-hash@"
#define MSD_CREATED_AT "@mtl-created-at@"

/* The artifact of epoch from its registrations text (regs), with
 * placeholders for what only certification knows. */
static mtl_err msd_prepare(struct agg *a, uint64_t epoch, const char *txt,
                           char hash_out[MTL_HASH_HEX_BYTES], char **json_out)
{
    struct mtl_stm_params np;
    MTL_TRY(agg_store_params(&a->store, epoch, &np));
    json_t *regs = json_loads(txt, 0, NULL);
    MTL_CHECK(regs, MTL_ERR_INTERNAL, "registrations: bad JSON");
    crypto_hash_sha256_state all;
    uint8_t md[32], be[8];
    char h[MTL_HASH_HEX_BYTES];
    crypto_hash_sha256_init(&all);
    mtl_be64_put(be, epoch);
    crypto_hash_sha256_update(&all, be, 8);
    json_t *signers = json_array(), *r;
    size_t i;
    json_array_foreach(regs, i, r)
    {
        crypto_hash_sha256_state st;
        crypto_hash_sha256_init(&st);
        json_t *s = json_object();
        static const char *const keys[] = {"party_id", "verification_key",
                                           "verification_key_signature", "operational_certificate"};
        for (size_t k = 0; k < MTL_ARRAY_LEN(keys); k++) {
            const char *v = json_string_value(json_object_get(r, keys[k]));
            sha_str(&st, v);
            if (v)
                json_object_set_new(s, keys[k], json_string(v));
        }
        /* kes_period is published but not part of the signer's hash */
        json_t *kes = json_object_get(r, "kes_period");
        if (json_is_integer(kes))
            json_object_set(s, "kes_period", kes);
        json_int_t stake = json_integer_value(json_object_get(r, "stake"));
        json_object_set_new(s, "stake", json_integer(stake));
        mtl_be64_put(be, (uint64_t)stake);
        crypto_hash_sha256_update(&st, be, 8);
        crypto_hash_sha256_final(&st, md);
        mtl_hex_encode(h, sizeof(h), md, 32);
        sha_str(&all, h);
        json_array_append_new(signers, s);
    }
    crypto_hash_sha256_final(&all, md);
    mtl_hex_encode(hash_out, MTL_HASH_HEX_BYTES, md, 32);
    json_t *j = json_object();
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "signers", signers);
    json_object_set_new(j, "hash", json_string(hash_out));
    json_object_set_new(j, "certificate_hash", json_string(MSD_CERT_HASH));
    json_object_set_new(j, "created_at", json_string(MSD_CREATED_AT));
    json_object_set_new(j, "protocol_parameters",
                        json_pack("{s:I,s:I,s:f}", "k", (json_int_t)np.k, "m", (json_int_t)np.m,
                                  "phi_f", np.phi_f));
    char *out = json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    json_decref(regs);
    MTL_CHECK(out, MTL_ERR_NOMEM, "out of memory");
    *json_out = mtl_strdup(out);
    free(out);
    MTL_CHECK(*json_out, MTL_ERR_NOMEM, "out of memory");
    return MTL_OK;
}

/* Last occurrence of needle in hay (the placeholders follow the signers). */
static const char *last_of(const char *hay, const char *needle)
{
    size_t hn = strlen(hay), nn = strlen(needle);
    for (size_t i = hn >= nn ? hn - nn + 1 : 0; i-- > 0;)
        if (memcmp(hay + i, needle, nn) == 0)
            return hay + i;
    return NULL;
}

/* Prepare (or reuse) the artifact of epoch: kept when the registrations
 * are the same text as when it was prepared. */
static mtl_err msd_ready(struct agg *a, uint64_t epoch)
{
    char *txt = NULL, *text = NULL, hash[MTL_HASH_HEX_BYTES];
    uint8_t digest[32];
    MTL_TRY(agg_store_registrations_digest(&a->store, epoch, digest));
    if (a->rt.msd_text && a->rt.msd_epoch == epoch &&
        memcmp(a->rt.msd_regs, digest, sizeof(digest)) == 0)
        return MTL_OK;
    MTL_TRY(agg_store_registrations(&a->store, epoch, &txt));
    mtl_err e = msd_prepare(a, epoch, txt, hash, &text);
    mtl_free(txt);
    MTL_TRY(e);
    mtl_free(a->rt.msd_text);
    a->rt.msd_text = text;
    a->rt.msd_epoch = epoch;
    memcpy(a->rt.msd_regs, digest, sizeof(digest));
    memcpy(a->rt.msd_hash, hash, sizeof(hash));
    return MTL_OK;
}

static mtl_err msd_artifact(struct agg *a, uint64_t epoch, const char *cert_hash, int64_t now,
                            char hash_out[MTL_HASH_HEX_BYTES], char **json_out)
{
    MTL_TRY(msd_ready(a, epoch));
    char created[40];
    agg_rfc3339(now, created);
    const char *t = a->rt.msd_text, *p1 = last_of(t, MSD_CERT_HASH),
               *p2 = last_of(t, MSD_CREATED_AT);
    MTL_CHECK(p1 && p2 && p1 < p2, MTL_ERR_INTERNAL, "stake distribution artifact: no placeholder");
    size_t n1 = strlen(MSD_CERT_HASH), n2 = strlen(MSD_CREATED_AT);
    size_t len = strlen(t) - n1 - n2 + strlen(cert_hash) + strlen(created);
    char *out = mtl_malloc(len + 1);
    MTL_CHECK(out, MTL_ERR_NOMEM, "out of memory");
    snprintf(out, len + 1, "%.*s%s%.*s%s%s", (int)(p1 - t), t, cert_hash, (int)(p2 - p1 - n1),
             p1 + n1, created, p2 + n2);
    memcpy(hash_out, a->rt.msd_hash, MTL_HASH_HEX_BYTES);
    *json_out = out;
    return MTL_OK;
}

/* ---- certification -------------------------------------------------------------- */

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
        e = msd_artifact(a, m.type.epoch, mtl_certificate_hash(cert), sealed, art.hash, &art_json);
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

/* ---- the state machine ---------------------------------------------------------- */

/* Can epoch e's certificates chain? The master certificate must exist and
 * its AVK continue into the current signers' one. */
static int chain_continues(struct agg *a, uint64_t epoch, const struct agg_signers *g)
{
    char *json = NULL;
    struct mtl_certificate *c = NULL;
    int ok = 0;
    if (agg_store_master_certificate(&a->store, epoch, &json) != MTL_OK) {
        mtl_err_clear();
        return 0;
    }
    if (mtl_certificate_from_json(&c, json, strlen(json)) == MTL_OK) {
        const char *want = mtl_certificate_epoch(c) == epoch
                               ? mtl_certificate_avk(c)
                               : mtl_protocol_message_get(mtl_certificate_protocol_message(c),
                                                          "next_aggregate_verification_key");
        ok = want && strcmp(want, g->avk) == 0;
    }
    mtl_certificate_free(c);
    mtl_free(json);
    return ok;
}

static int type_enabled(const struct agg_config *c, const char *name)
{
    if (strcmp(name, "MithrilStakeDistribution") == 0)
        return 1; /* always signed, like the reference */
    size_t l = strlen(name);
    for (const char *t = c->signed_entity_types; *t;) {
        size_t k = strcspn(t, ",");
        if (k == l && strncmp(t, name, l) == 0)
            return 1;
        t += k + (t[k] == ',');
    }
    return 0;
}

/* Open the message of a signed entity unless it exists. */
mtl_err agg_open_message_with_root(struct agg *a, const struct mtl_signed_entity_type *t,
                                   const char *merkle_root)
{
    struct agg_open_message m;
    char *key = NULL;
    MTL_TRY(mtl_signed_entity_type_to_json(t, &key));
    mtl_err e = agg_store_open_message_get(&a->store, key, &m);
    agg_open_message_clear(&m);
    if (e != MTL_ERR_NOT_FOUND) {
        mtl_free(key);
        return e;
    }
    mtl_err_clear();
    struct mtl_protocol_message *pm = NULL;
    if (!a->rt.next || a->rt.next->key_epoch != t->epoch)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no next signers (registered at epoch %llu)",
                       (unsigned long long)t->epoch - 1);
    else
        e = agg_protocol_message(&a->store, t, merkle_root, a->rt.next->avk, &pm);
    if (e == MTL_OK) {
        snprintf(m.signed_entity, sizeof(m.signed_entity), "%s", key);
        m.type = *t;
        mtl_protocol_message_hash(pm, m.signed_message);
        m.created_at_ns = agg_now_ns();
        e = mtl_protocol_message_to_json(pm, &m.protocol_message);
    }
    if (e == MTL_OK)
        e = agg_store_open_message_create(&a->store, &m);
    if (e == MTL_OK)
        log_info("open_message", "entity=%s signed_message=%s", key, m.signed_message);
    agg_open_message_clear(&m);
    mtl_protocol_message_free(pm);
    mtl_free(key);
    return e;
}

static void epoch_transition(struct agg *a, const struct agg_chain_state *ch)
{
    uint64_t e = ch->epoch;
    /* No registration for key e may land after the signers of key e are
     * loaded below: they would be in /epoch-settings (read from the store)
     * but not in this epoch's messages, and every signature would be refused. */
    pthread_rwlock_wrlock(&a->rt.round);
    /* Retention first: keys, stakes and signatures of old epochs go. */
    if (a->cfg.store_retention_limit && e > a->cfg.store_retention_limit) {
        int changes = 0;
        if (agg_store_prune(&a->store, e - a->cfg.store_retention_limit, &changes) != MTL_OK)
            log_error("prune", "error=\"%s\"", mtl_err_detail());
        else if (changes)
            log_info("pruned", "below_epoch=%llu rows=%d",
                     (unsigned long long)(e - a->cfg.store_retention_limit), changes);
    }
    const char **party = mtl_calloc(ch->n ? ch->n : 1, sizeof(char *));
    for (size_t i = 0; party && i < ch->n; i++)
        party[i] = ch->party[i];
    /* Stake read during e is what registrations at e (key e+1) carry. */
    if (!party || agg_store_put_stakes(&a->store, e + 1, party, ch->stake, ch->n) != MTL_OK)
        log_error("record_stakes", "epoch=%llu error=\"%s\"", (unsigned long long)e + 1,
                  mtl_err_detail());
    mtl_free(party);
    /* Parameters recorded for key e+1; the first start seeds e-1 and e. */
    for (uint64_t k = e ? e - 1 : 0; k <= e + 1; k++)
        if (agg_store_put_params(&a->store, k, &a->cfg.params) != MTL_OK)
            log_error("record_params", "error=\"%s\"", mtl_err_detail());
    /* Signers of key e-1 were the "next" ones during e-1 (closed since):
     * reuse them; the PoP checks of a load cost ~3 ms per signer. */
    struct agg_signers *g = NULL, *next = a->rt.next;
    struct mtl_stm_params p = a->cfg.params;
    a->rt.next = NULL;
    if (next && e && next->key_epoch == e - 1) {
        g = next;
        next = NULL;
    }
    agg_signers_free(next);
    if (agg_signers_load(&a->store, e, &a->rt.next) != MTL_OK) {
        log_info("no_next_signers", "epoch=%llu reason=\"%s\"", (unsigned long long)e,
                 mtl_err_detail());
        mtl_err_clear();
    }
    if (!g && (e == 0 || agg_signers_load(&a->store, e - 1, &g) != MTL_OK)) {
        log_info("no_current_signers", "epoch=%llu reason=\"%s\"", (unsigned long long)e,
                 e ? mtl_err_detail() : "epoch 0");
        mtl_err_clear();
    }
    if (g && agg_store_params(&a->store, e - 1, &p) != MTL_OK)
        p = a->cfg.params;
    if (g)
        g->refs = 1;
    pthread_mutex_lock(&a->rt.mu);
    struct agg_signers *old = a->rt.current;
    int last = old && --old->refs == 0;
    a->rt.current = g;
    a->rt.params = p;
    a->rt.epoch = e;
    a->rt.have_epoch = 1;
    a->rt.state = g ? AGG_READY : AGG_IDLE;
    pthread_mutex_unlock(&a->rt.mu);
    pthread_rwlock_unlock(&a->rt.round);
    if (last)
        agg_signers_free(old);
    log_info("epoch_changed", "epoch=%llu current_signers=%zu state=%s", (unsigned long long)e,
             g ? g->n : 0, g ? "ready" : "idle");
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

static void try_certify(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
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

void agg_runtime_tick(struct agg *a)
{
    struct agg_chain_state ch;
    static char last_err[256];
    if (agg_chain_read(&a->cfg, &ch) != MTL_OK) {
        if (strcmp(last_err, mtl_err_detail()) != 0) {
            snprintf(last_err, sizeof(last_err), "%s", mtl_err_detail());
            log_warn("chain_read", "error=\"%s\"", last_err);
        }
        return;
    }
    last_err[0] = 0;
    pthread_mutex_lock(&a->rt.mu);
    int changed = !a->rt.have_epoch || a->rt.epoch != ch.epoch;
    a->rt.slot = ch.slot;
    pthread_mutex_unlock(&a->rt.mu);
    if (changed)
        epoch_transition(a, &ch);
    agg_chain_state_clear(&ch);

    struct mtl_stm_params p;
    uint64_t epoch;
    int have;
    struct agg_signers *g = agg_runtime_signers(a, &p, &epoch, &have);
    if (!g)
        return; /* idle: nobody can sign this epoch */
    static int waiting_logged = -1;
    if (!chain_continues(a, epoch, g)) {
        if (waiting_logged != (int)epoch)
            log_info("waiting_for_chain",
                     "epoch=%llu reason=\"no certificate to chain to"
                     " with these signers (genesis needed?)\"",
                     (unsigned long long)epoch);
        waiting_logged = (int)epoch;
        agg_runtime_release(a, g);
        return;
    }
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = epoch};
    if (agg_open_message_with_root(a, &t, NULL) != MTL_OK)
        log_error("open_message", "entity=MithrilStakeDistribution error=\"%s\"", mtl_err_detail());
    /* Its artifact, prepared before the quorum (once per epoch). */
    if (a->rt.msd_epoch != epoch || !a->rt.msd_text) {
        if (msd_ready(a, epoch) != MTL_OK) {
            log_debug("msd_prepare", "epoch=%llu error=\"%s\"", (unsigned long long)epoch,
                      mtl_err_detail());
            mtl_err_clear();
        }
    }
    if (type_enabled(&a->cfg, "CardanoDatabase"))
        agg_open_cardano_database(a, epoch);
    char **keys = NULL;
    size_t n = 0;
    if (agg_store_open_messages_pending(&a->store, epoch, &keys, &n) == MTL_OK)
        for (size_t i = 0; i < n; i++)
            try_certify(a, g, &p, keys[i]);
    agg_strv_free(keys, n);
    n = 0;
    keys = NULL;
    if (agg_store_open_messages_pending(&a->store, epoch, &keys, &n) != MTL_OK)
        n = 0;
    agg_strv_free(keys, n);
    pthread_mutex_lock(&a->rt.mu);
    if (a->rt.epoch == epoch)
        a->rt.state = n ? AGG_SIGNING : AGG_READY;
    pthread_mutex_unlock(&a->rt.mu);
    agg_runtime_release(a, g);
}

static void *runtime_main(void *arg)
{
    struct agg *a = arg;
    log_info("runtime_started", "run_interval_ms=%u", a->cfg.run_interval_ms);
    pthread_mutex_lock(&a->rt.mu);
    while (!a->rt.stop) {
        pthread_mutex_unlock(&a->rt.mu);
        agg_runtime_tick(a);
        agg_store_checkpoint(&a->store);
        pthread_mutex_lock(&a->rt.mu);
        if (a->rt.stop)
            break;
        if (!a->rt.wake) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)a->cfg.run_interval_ms * 1000000;
            ts.tv_sec += (time_t)(ns / 1000000000);
            ts.tv_nsec = (long)(ns % 1000000000);
            while (!a->rt.stop && !a->rt.wake &&
                   pthread_cond_timedwait(&a->rt.cv, &a->rt.mu, &ts) != ETIMEDOUT)
                ;
        }
        a->rt.wake = 0;
    }
    pthread_mutex_unlock(&a->rt.mu);
    return NULL;
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

void agg_runtime_init(struct agg *a)
{
    pthread_mutex_init(&a->rt.mu, NULL);
    pthread_cond_init(&a->rt.cv, NULL);
    pthread_rwlock_init(&a->rt.round, NULL);
}

void agg_runtime_destroy(struct agg *a)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(a->rt.quorum); i++)
        mtl_free(a->rt.quorum[i].bits);
    if (a->rt.current && --a->rt.current->refs == 0)
        agg_signers_free(a->rt.current);
    a->rt.current = NULL;
    agg_signers_free(a->rt.next);
    a->rt.next = NULL;
    mtl_free(a->rt.msd_text);
    a->rt.msd_text = NULL;
    pthread_cond_destroy(&a->rt.cv);
    pthread_mutex_destroy(&a->rt.mu);
    pthread_rwlock_destroy(&a->rt.round);
}

mtl_err agg_runtime_start(struct agg *a)
{
    MTL_CHECK(pthread_create(&a->rt.thread, NULL, runtime_main, a) == 0, MTL_ERR_IO,
              "runtime: cannot start thread");
    a->rt.started = 1;
    return MTL_OK;
}

void agg_runtime_stop(struct agg *a)
{
    if (!a->rt.started)
        return;
    pthread_mutex_lock(&a->rt.mu);
    a->rt.stop = 1;
    pthread_cond_signal(&a->rt.cv);
    pthread_mutex_unlock(&a->rt.mu);
    pthread_join(a->rt.thread, NULL);
    a->rt.started = 0;
}
