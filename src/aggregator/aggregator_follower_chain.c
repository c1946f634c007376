/* aggregator_follower_chain.c - the follower's certificate chain
 * synchronisation (the reference's MithrilCertificateChainSynchronizer): the
 * leader's chain fetched from its latest certificate back to genesis by a
 * thread running ahead of libmithril's chain walk, which verifies every
 * certificate; stored from genesis up only when all of it verified. */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_follower.h"
#include "common/common_int.h"
#include "db.h"
#include "log.h"

#define WALK_AHEAD 256 /* certificates fetched ahead of the walk at most */

/* A fetcher thread follows previous_hash from the starting certificate while
 * libmithril's walk verifies the ones already there: the walk asks for
 * exactly the hashes the fetcher fetched, in the same order. */
struct walk {
    const struct agg_follower *f;
    char start[MTL_HASH_HEX_BYTES];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char (*hash)[MTL_HASH_HEX_BYTES];
    char **json;
    size_t *len, n, cap, next; /* next: the walk's next certificate */
    uint64_t *epoch;           /* of each verified certificate (walk order) */
    size_t verified;
    int done, stop;
    mtl_err err;
    char why[400];
};

static int walk_append(struct walk *w, const char *hash, char *json, size_t len)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        void *h = mtl_realloc(w->hash, cap * sizeof(*w->hash));
        if (h)
            w->hash = h;
        void *j = h ? mtl_realloc(w->json, cap * sizeof(*w->json)) : NULL;
        if (j)
            w->json = j;
        void *l = j ? mtl_realloc(w->len, cap * sizeof(*w->len)) : NULL;
        if (l)
            w->len = l;
        void *e = l ? mtl_realloc(w->epoch, cap * sizeof(*w->epoch)) : NULL;
        if (!e)
            return 0;
        w->epoch = e;
        w->cap = cap;
    }
    snprintf(w->hash[w->n], MTL_HASH_HEX_BYTES, "%s", hash);
    w->json[w->n] = json;
    w->len[w->n] = len;
    w->n++;
    return 1;
}

static void *walk_fetcher(void *arg)
{
    struct walk *w = arg;
    char hash[MTL_HASH_HEX_BYTES], route[96];
    snprintf(hash, sizeof(hash), "%s", w->start);
    for (size_t count = 0;; count++) {
        pthread_mutex_lock(&w->mu);
        while (!w->stop && w->n >= w->next + WALK_AHEAD) /* memory bound */
            pthread_cond_wait(&w->cv, &w->mu);
        int stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        char *body = NULL, prev[MTL_HASH_HEX_BYTES] = "";
        size_t len = 0;
        mtl_err e = stop              ? mtl_seterr(MTL_ERR_STATE, "stopped")
                    : count >= 100000 ? mtl_seterr(MTL_ERR_CHAIN, "leader chain longer than 100000")
                                      : MTL_OK;
        if (e == MTL_OK) {
            snprintf(route, sizeof(route), "/certificate/%s", hash);
            e = agg_leader_get(w->f, route, &body, &len, NULL);
        }
        if (e == MTL_OK) { /* where the chain goes on; the walk checks it all */
            json_t *j = json_loadb(body, len, 0, NULL);
            const char *p = json_string_value(json_object_get(j, "previous_hash"));
            if (p && strlen(p) == 64)
                snprintf(prev, sizeof(prev), "%s", p);
            json_decref(j);
        }
        pthread_mutex_lock(&w->mu);
        if (e == MTL_OK && !walk_append(w, hash, body, len))
            e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
        if (e != MTL_OK) {
            mtl_free(body);
            w->err = e;
            snprintf(w->why, sizeof(w->why), "%s", mtl_err_detail());
        }
        w->done = e != MTL_OK || !prev[0];
        pthread_cond_broadcast(&w->cv);
        int done = w->done;
        pthread_mutex_unlock(&w->mu);
        if (done)
            return NULL;
        memcpy(hash, prev, sizeof(hash));
    }
}

/* mtl_certificate_fetch_fn: the fetcher's copy of the certificate asked for. */
static mtl_err walk_fetch(void *ctx, const char *hash, char **json, size_t *len)
{
    struct walk *w = ctx;
    mtl_err e = MTL_OK;
    *json = NULL;
    pthread_mutex_lock(&w->mu);
    while (w->next >= w->n && !w->done)
        pthread_cond_wait(&w->cv, &w->mu);
    if (w->next < w->n) {
        size_t i = w->next++;
        pthread_cond_broadcast(&w->cv); /* room for the fetcher */
        if (strcmp(w->hash[i], hash) != 0)
            e = mtl_seterr(MTL_ERR_CHAIN, "certificate %s: the leader's chain names %s instead",
                           hash, w->hash[i]);
        else if (!(*json = mtl_malloc(w->len[i] + 1)))
            e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
        else {
            memcpy(*json, w->json[i], w->len[i] + 1);
            *len = w->len[i];
        }
    } else
        e = w->err ? mtl_seterr(w->err, "%s", w->why)
                   : mtl_seterr(MTL_ERR_CHAIN, "leader chain ends before certificate %s", hash);
    pthread_mutex_unlock(&w->mu);
    return e;
}

static void walk_progress(void *ctx, const struct mtl_certificate *c, int from_cache)
{
    struct walk *w = ctx;
    (void)from_cache;
    pthread_mutex_lock(&w->mu);
    if (w->verified < w->n)
        w->epoch[w->verified++] = mtl_certificate_epoch(c);
    pthread_mutex_unlock(&w->mu);
}

static void walk_clear(struct walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        mtl_free(w->json[i]);
    mtl_free(w->json);
    mtl_free(w->hash);
    mtl_free(w->len);
    mtl_free(w->epoch);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

/* The open message the reference stores with a synchronised chain: the
 * latest certificate's MithrilStakeDistribution, certified (so this
 * aggregator does not certify it again). */
static mtl_err store_latest(struct agg *a, const char *json, size_t len)
{
    struct mtl_certificate *c = NULL;
    struct agg_open_message m;
    char *key = NULL;
    memset(&m, 0, sizeof(m));
    MTL_TRY(mtl_certificate_from_json(&c, json, len));
    mtl_certificate_signed_entity(c, &m.type);
    mtl_err e = m.type.kind == MTL_SET_MITHRIL_STAKE_DISTRIBUTION
                    ? mtl_signed_entity_type_to_json(&m.type, &key)
                    : MTL_OK;
    if (e == MTL_OK && key) {
        struct agg_open_message old;
        mtl_err g = agg_store_open_message_get(&a->store, key, &old);
        agg_open_message_clear(&old);
        if (g == MTL_ERR_NOT_FOUND) {
            mtl_err_clear();
            m.signed_entity = mtl_strdup(key); /* freed with m */
            if (!m.signed_entity)
                e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
            snprintf(m.signed_message, sizeof(m.signed_message), "%s",
                     mtl_certificate_signed_message(c));
            m.created_at_ns = agg_now_ns();
            if (e == MTL_OK)
                e = mtl_protocol_message_to_json(mtl_certificate_protocol_message(c),
                                                 &m.protocol_message);
            if (e == MTL_OK)
                e = agg_store_open_message_create(&a->store, &m);
        } else
            e = g;
    }
    if (e == MTL_OK)
        e = agg_store_certify_built(&a->store, key, c, json, NULL);
    agg_open_message_clear(&m);
    mtl_free(key);
    mtl_certificate_free(c);
    return e;
}

/* Store the verified chain from genesis up, one certificate per epoch: the
 * latest certificates that share their previous one's epoch are left out,
 * as the reference does (this aggregator makes its own in that epoch). All
 * but the latest go in one transaction (in chain order: each one's previous
 * is stored before it); the latest with its open message. */
static mtl_err store_walked(struct agg *a, struct walk *w, size_t m, size_t *stored)
{
    size_t first = 0, n = 0;
    *stored = 0;
    while (first + 1 < m && w->epoch[first + 1] == w->epoch[first])
        first++;
    size_t *todo = mtl_calloc(m ? m : 1, sizeof(*todo));
    MTL_CHECK(todo, MTL_ERR_NOMEM, "out of memory");
    mtl_err e = MTL_OK;
    for (size_t i = m; e == MTL_OK && i-- > first;) {
        char *have = NULL;
        e = agg_store_get_certificate(&a->store, w->hash[i], &have);
        mtl_free(have);
        if (e == MTL_ERR_NOT_FOUND) {
            mtl_err_clear();
            todo[n++] = i;
            e = MTL_OK;
        } else if (e == MTL_OK && n) /* a stored one after a missing one: not a chain */
            e = mtl_seterr(MTL_ERR_STATE, "certificate %s stored, its previous one not",
                           w->hash[i]);
    }
    size_t last = n && todo[n - 1] == first ? n - 1 : n; /* the batch: before the latest */
    if (e == MTL_OK && last) {
        pthread_mutex_lock(&a->store.lock);
        e = app_db_begin(a->store.db);
        for (size_t k = 0; e == MTL_OK && k < last; k++) {
            e = agg_store_insert_certificate_locked(&a->store, w->json[todo[k]]);
            if (e != MTL_OK)
                e = mtl_err_wrap(e, "storing certificate %s", w->hash[todo[k]]);
        }
        e = app_db_end(a->store.db, e);
        pthread_mutex_unlock(&a->store.lock);
    }
    if (e == MTL_OK && last < n) {
        e = store_latest(a, w->json[first], w->len[first]);
        if (e != MTL_OK)
            e = mtl_err_wrap(e, "storing certificate %s", w->hash[first]);
    }
    if (e == MTL_OK)
        *stored = n;
    mtl_free(todo);
    return e;
}

/* The reference's check_sync_state: sync when forced, when there is no local
 * genesis, or when the leader's genesis differs (a re-genesis). */
static mtl_err should_sync(struct agg *a, int force, int *sync)
{
    char *local = NULL, *remote = NULL;
    *sync = 1;
    if (force)
        return MTL_OK;
    mtl_err e = agg_store_get_genesis(&a->store, &local);
    if (e == MTL_ERR_NOT_FOUND) {
        mtl_err_clear();
        return MTL_OK;
    }
    MTL_TRY(e);
    size_t len = 0;
    e = agg_leader_get(a->follower, "/certificate/genesis", &remote, &len, NULL);
    if (e == MTL_ERR_NOT_FOUND) { /* the leader has no chain: nothing to follow */
        mtl_err_clear();
        *sync = 0;
        e = MTL_OK;
    } else if (e == MTL_OK) {
        json_t *l = json_loads(local, 0, NULL), *r = json_loadb(remote, len, 0, NULL);
        const char *lh = json_string_value(json_object_get(l, "hash"));
        const char *rh = json_string_value(json_object_get(r, "hash"));
        *sync = !lh || !rh || strcmp(lh, rh) != 0;
        json_decref(l);
        json_decref(r);
    }
    mtl_free(local);
    mtl_free(remote);
    return e;
}

/* The leader's latest certificate hash and epoch (*found 0: empty chain). */
static mtl_err leader_latest(struct agg_follower *f, char hash[MTL_HASH_HEX_BYTES], uint64_t *epoch,
                             int *found)
{
    json_t *list = NULL;
    *found = 0;
    MTL_TRY(agg_leader_json(f, "/certificates", &list, NULL));
    json_t *it = json_array_get(list, 0);
    const char *h = json_string_value(json_object_get(it, "hash"));
    json_t *ep = json_object_get(it, "epoch");
    mtl_err e = MTL_OK;
    if (it && (!h || strlen(h) != 64 || !json_is_integer(ep) || json_integer_value(ep) < 0))
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "leader /certificates: item without hash or epoch");
    else if (it) {
        snprintf(hash, MTL_HASH_HEX_BYTES, "%s", h);
        *epoch = (uint64_t)json_integer_value(ep);
        *found = 1;
    }
    json_decref(list);
    return e;
}

/* Fetch, verify and store the leader's chain (the reference's
 * synchronize_certificate_chain). */
mtl_err agg_follower_sync_chain(struct agg *a, uint64_t epoch, int force)
{
    struct agg_follower *f = a->follower;
    int sync = 0, found = 0;
    MTL_TRY(should_sync(a, force, &sync));
    if (!sync) {
        log_debug("follower_chain_in_sync", "epoch=%llu", (unsigned long long)epoch);
        return MTL_OK;
    }
    char start[MTL_HASH_HEX_BYTES];
    uint64_t latest = 0;
    MTL_TRY(leader_latest(f, start, &latest, &found));
    if (!found) {
        log_debug("follower_leader_chain_empty", "epoch=%llu", (unsigned long long)epoch);
        return MTL_OK;
    }
    MTL_CHECK(latest + 1 >= epoch && latest <= epoch + 1, MTL_ERR_CHAIN,
              "the leader's latest certificate is of epoch %llu and we are in epoch %llu: an "
              "epoch gap, its chain cannot be continued",
              (unsigned long long)latest, (unsigned long long)epoch);
    struct walk w;
    memset(&w, 0, sizeof(w));
    w.f = f;
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    snprintf(w.start, sizeof(w.start), "%s", start);
    pthread_t th;
    int started = pthread_create(&th, NULL, walk_fetcher, &w) == 0;
    mtl_err e = started ? MTL_OK : mtl_seterr(MTL_ERR_IO, "cannot start the chain fetcher");
    int64_t t0 = agg_now_ns();
    size_t checked = 0, stored = 0;
    if (e == MTL_OK) {
        struct mtl_chain_verify_opts o = {
            .fetch = walk_fetch, .fetch_ctx = &w, .progress = walk_progress, .progress_ctx = &w};
        e = mtl_certificate_chain_verify(start, f->genesis_vk, &o, &checked);
    }
    if (started) {
        pthread_mutex_lock(&w.mu);
        w.stop = 1;
        pthread_cond_broadcast(&w.cv);
        pthread_mutex_unlock(&w.mu);
        pthread_join(th, NULL);
    }
    if (e == MTL_OK)
        e = store_walked(a, &w, w.verified, &stored);
    else
        e = mtl_err_wrap(e, "the leader's certificate chain does not verify");
    if (e == MTL_OK)
        log_info("follower_chain_synchronized",
                 "epoch=%llu latest=%s verified=%zu stored=%zu ms=%lld", (unsigned long long)epoch,
                 start, checked, stored, (long long)((agg_now_ns() - t0) / 1000000));
    walk_clear(&w);
    return e;
}
