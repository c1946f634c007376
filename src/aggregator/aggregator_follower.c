/* aggregator_follower.c - follower mode (LEADER_AGGREGATOR_ENDPOINT): the
 * reference's certificate chain synchroniser and signer registration
 * follower. At an epoch change the follower waits for the leader to be in
 * that epoch, records the leader's signers (each registration checked as
 * its own) and, when its genesis differs from the leader's (or its own
 * chain has a gap), fetches the leader's chain from the latest certificate
 * back to genesis, verifies it with libmithril's chain walk and stores it
 * from genesis up. Then it certifies on its own, on the same genesis. */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "db.h"
#include "http_client.h"
#include "log.h"

struct agg_follower {
    char endpoint[1024]; /* no trailing slash */
    uint8_t genesis_vk[MTL_GENESIS_VK_BYTES];
    pthread_mutex_t mu; /* state and error, read by /status */
    char state[32], error[512];
    uint64_t refused_epoch; /* a refused chain is fetched again at the next epoch */
    int refused, waiting_logged;
};

mtl_err agg_follower_new(struct agg_follower **out, const struct agg_config *c)
{
    *out = NULL;
    const char *ep = c->leader_aggregator_endpoint;
    MTL_CHECK(strncmp(ep, "http://", 7) == 0 || strncmp(ep, "https://", 8) == 0, MTL_ERR_CONFIG,
              "LEADER_AGGREGATOR_ENDPOINT: '%s' is not an http(s) URL", ep);
    struct agg_follower *f = mtl_calloc(1, sizeof(*f));
    MTL_CHECK(f, MTL_ERR_NOMEM, "out of memory");
    size_t n = strlen(ep);
    while (n && ep[n - 1] == '/')
        n--;
    snprintf(f->endpoint, sizeof(f->endpoint), "%.*s", (int)n, ep);
    mtl_err e = agg_genesis_vk(c, f->genesis_vk);
    if (e != MTL_OK) {
        mtl_free(f);
        return mtl_err_wrap(e, "a follower verifies the leader's chain");
    }
    pthread_mutex_init(&f->mu, NULL);
    snprintf(f->state, sizeof(f->state), "starting");
    *out = f;
    return MTL_OK;
}

void agg_follower_free(struct agg_follower *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->mu);
    mtl_free(f);
}

static void set_state(struct agg_follower *f, const char *state, const char *error)
{
    pthread_mutex_lock(&f->mu);
    snprintf(f->state, sizeof(f->state), "%s", state);
    snprintf(f->error, sizeof(f->error), "%s", error ? error : "");
    pthread_mutex_unlock(&f->mu);
}

void agg_follower_status(struct agg *a, json_t *j)
{
    struct agg_follower *f = a->follower;
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    json_object_set_new(j, "leader_aggregator_endpoint", json_string(f->endpoint));
    json_object_set_new(j, "follower_synchronization", json_string(f->state));
    if (f->error[0])
        json_object_set_new(j, "follower_synchronization_error", json_string(f->error));
    pthread_mutex_unlock(&f->mu);
}

/* ---- the leader's API ------------------------------------------------------------ */

/* GET route of the leader: *body on 200; MTL_ERR_NOT_FOUND on 404; else
 * MTL_ERR_HTTP naming the URL (*status 0: the leader could not be reached). */
static mtl_err leader_get(const struct agg_follower *f, const char *route, char **body,
                          size_t *len, long *status)
{
    char url[1200];
    snprintf(url, sizeof(url), "%s%s", f->endpoint, route);
    struct app_http_opts o = {.connect_timeout_ms = 5000,
                              .timeout_ms = 30000,
                              .max_body = 64u << 20,
                              .user_agent = "mithril-aggregator-c-follower"};
    struct app_http_reply r;
    *body = NULL;
    if (status)
        *status = 0;
    MTL_TRY(app_http_request("GET", url, NULL, &o, &r));
    if (status)
        *status = r.status;
    if (r.status == 200) {
        *body = r.body;
        if (len)
            *len = r.len;
        return MTL_OK;
    }
    char why[200];
    app_http_error_text(&r, why, sizeof(why));
    mtl_free(r.body);
    return mtl_seterr(r.status == 404 ? MTL_ERR_NOT_FOUND : MTL_ERR_HTTP,
                      "leader GET %s: HTTP %ld %s", url, r.status, why);
}

static mtl_err leader_json(const struct agg_follower *f, const char *route, json_t **out,
                           long *status)
{
    char *body = NULL;
    size_t len = 0;
    *out = NULL;
    MTL_TRY(leader_get(f, route, &body, &len, status));
    json_error_t je;
    *out = json_loadb(body, len, JSON_PRESERVE_ORDER, &je);
    mtl_free(body);
    MTL_CHECK(*out, MTL_ERR_BAD_ENCODING, "leader GET %s: invalid JSON: %s", route, je.text);
    return MTL_OK;
}

/* ---- the chain walk, fetches pipelined ----------------------------------------- */

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
        mtl_err e = stop ? mtl_seterr(MTL_ERR_STATE, "stopped")
                         : count >= 100000
                               ? mtl_seterr(MTL_ERR_CHAIN, "leader chain longer than 100000")
                               : MTL_OK;
        if (e == MTL_OK) {
            snprintf(route, sizeof(route), "/certificate/%s", hash);
            e = leader_get(w->f, route, &body, &len, NULL);
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
            snprintf(m.signed_entity, sizeof(m.signed_entity), "%s", key);
            snprintf(m.signed_message, sizeof(m.signed_message), "%s",
                     mtl_certificate_signed_message(c));
            m.created_at_ns = agg_now_ns();
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
    e = leader_get(a->follower, "/certificate/genesis", &remote, &len, NULL);
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
static mtl_err leader_latest(struct agg_follower *f, char hash[MTL_HASH_HEX_BYTES],
                             uint64_t *epoch, int *found)
{
    json_t *list = NULL;
    *found = 0;
    MTL_TRY(leader_json(f, "/certificates", &list, NULL));
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
        struct mtl_chain_verify_opts o = {.fetch = walk_fetch,
                                          .fetch_ctx = &w,
                                          .progress = walk_progress,
                                          .progress_ctx = &w};
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

/* ---- signers ------------------------------------------------------------------ */

/* Record the leader's registrations (SignerWithStake list) under key epoch;
 * those already stored are not checked again. */
static void sync_signers(struct agg *a, json_t *list, uint64_t key)
{
    char *have = NULL;
    json_t *stored = NULL, *v;
    size_t i, added = 0;
    if (agg_store_registrations(&a->store, key, &have) == MTL_OK)
        stored = json_loads(have, 0, NULL);
    mtl_err_clear();
    mtl_free(have);
    json_array_foreach(list, i, v)
    {
        const char *party = json_string_value(json_object_get(v, "party_id"));
        int known = 0, add = 0;
        size_t k;
        json_t *s;
        json_array_foreach(stored, k, s) known |=
            party && json_equal(json_object_get(s, "party_id"), json_object_get(v, "party_id"));
        if (known)
            continue;
        if (agg_signer_record_synced(a, v, key, &add) != MTL_OK)
            log_warn("follower_signer_refused", "party=%s epoch=%llu reason=\"%s\"",
                     party ? party : "?", (unsigned long long)key, mtl_err_detail());
        added += (size_t)add;
    }
    json_decref(stored);
    if (added)
        log_info("follower_signers_synchronized", "key_epoch=%llu added=%zu",
                 (unsigned long long)key, added);
}

/* The leader's registrations made at epoch `at` (key at+1): its
 * /signers/registered items carry the whole records. */
static void sync_registered(struct agg *a, uint64_t at)
{
    char route[64];
    json_t *reg = NULL;
    snprintf(route, sizeof(route), "/signers/registered/%llu", (unsigned long long)at);
    if (leader_json(a->follower, route, &reg, NULL) == MTL_OK)
        sync_signers(a, json_object_get(reg, "registrations"), at + 1);
    mtl_err_clear();
    json_decref(reg);
}

static int params_of(json_t *j, struct mtl_stm_params *p)
{
    json_t *k = json_object_get(j, "k"), *m = json_object_get(j, "m");
    json_t *phi = json_object_get(j, "phi_f");
    if (!json_is_integer(k) || !json_is_integer(m) || !json_is_number(phi) ||
        json_integer_value(k) <= 0 || json_integer_value(m) <= 0)
        return 0;
    p->k = (uint64_t)json_integer_value(k);
    p->m = (uint64_t)json_integer_value(m);
    p->phi_f = json_number_value(phi);
    return 1;
}

/* The leader's protocol parameters of keys epoch-1, epoch, epoch+1 (first
 * recorded wins, so ours never replace them). */
static void sync_params(struct agg *a, json_t *settings, uint64_t epoch)
{
    json_t *st = NULL;
    struct mtl_stm_params p;
    if (params_of(json_object_get(settings, "signer_registration_protocol"), &p))
        (void)agg_store_put_params(&a->store, epoch + 1, &p);
    if (leader_json(a->follower, "/status", &st, NULL) == MTL_OK) {
        if (epoch && params_of(json_object_get(st, "protocol"), &p))
            (void)agg_store_put_params(&a->store, epoch - 1, &p);
        if (params_of(json_object_get(st, "next_protocol"), &p))
            (void)agg_store_put_params(&a->store, epoch, &p);
    }
    mtl_err_clear();
    json_decref(st);
}

/* ---- the runtime's calls -------------------------------------------------------- */

static void report_chain(struct agg *a, uint64_t epoch, mtl_err e)
{
    struct agg_follower *f = a->follower;
    if (e == MTL_OK) {
        f->refused = 0;
        set_state(f, "synchronized", NULL);
        return;
    }
    f->refused = 1;
    f->refused_epoch = epoch;
    set_state(f, "refused", mtl_err_detail());
    log_error("follower_chain_refused", "epoch=%llu leader=%s reason=\"%s\"",
              (unsigned long long)epoch, f->endpoint, mtl_err_detail());
}

mtl_err agg_follower_epoch(struct agg *a, uint64_t epoch)
{
    struct agg_follower *f = a->follower;
    json_t *es = NULL;
    long status = 0;
    mtl_err e = leader_json(f, "/epoch-settings", &es, &status);
    if (e != MTL_OK && status == 0) {
        /* Down: this epoch goes on with the registrations fetched while the
         * round was open (agg_follower_tick); the chain is our own. */
        set_state(f, "leader-unreachable", mtl_err_detail());
        log_warn("follower_leader_unreachable", "epoch=%llu error=\"%s\"",
                 (unsigned long long)epoch, mtl_err_detail());
        mtl_err_clear();
        return MTL_OK;
    }
    if (e != MTL_OK) {
        log_warn("follower_epoch_settings", "epoch=%llu error=\"%s\"", (unsigned long long)epoch,
                 mtl_err_detail());
        return e;
    }
    json_t *ep = json_object_get(es, "epoch");
    if (!json_is_integer(ep) || (uint64_t)json_integer_value(ep) != epoch) {
        if (!f->waiting_logged)
            log_info("follower_waiting_leader", "epoch=%llu leader_epoch=%lld",
                     (unsigned long long)epoch,
                     json_is_integer(ep) ? (long long)json_integer_value(ep) : -1LL);
        f->waiting_logged = 1;
        json_decref(es);
        return mtl_seterr(MTL_ERR_STATE, "the leader is not in epoch %llu yet",
                          (unsigned long long)epoch);
    }
    f->waiting_logged = 0;
    sync_params(a, es, epoch);
    json_decref(es);
    /* Current (key epoch-1) and next (key epoch) signers: registered at
     * epoch-2 and epoch-1, rounds the leader has closed. */
    for (uint64_t k = epoch > 1 ? epoch - 1 : 1; k <= epoch; k++)
        sync_registered(a, k - 1);
    /* Forced, as the reference does, when our own chain has a gap. */
    uint64_t last = 0;
    int found = 0;
    int force = agg_store_latest_epoch(&a->store, &last, &found) == MTL_OK && found &&
                last + 1 < epoch;
    mtl_err_clear();
    report_chain(a, epoch, agg_follower_sync_chain(a, epoch, force));
    return MTL_OK;
}

void agg_follower_tick(struct agg *a, uint64_t epoch)
{
    struct agg_follower *f = a->follower;
    sync_registered(a, epoch);
    /* No chain yet (the leader had none, or it was refused at an earlier
     * epoch): try again; a refused one waits for the next epoch. */
    uint64_t last = 0;
    int found = 0;
    if (agg_store_latest_epoch(&a->store, &last, &found) != MTL_OK || found ||
        (f->refused && f->refused_epoch == epoch))
        return;
    mtl_err e = agg_follower_sync_chain(a, epoch, 0);
    if (e == MTL_OK && agg_store_latest_epoch(&a->store, &last, &found) == MTL_OK && !found)
        return; /* still nothing to follow */
    report_chain(a, epoch, e);
}
