/* aggregator_follower.c - follower mode (LEADER_AGGREGATOR_ENDPOINT): the
 * reference's signer registration follower and the runtime's calls. At an
 * epoch change the follower waits for the leader to be in that epoch,
 * records the leader's signers (each registration checked as its own) and
 * synchronises the chain (aggregator_follower_chain.c). Then it certifies on
 * its own, on the same genesis. */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_follower.h"
#include "common/common_int.h"
#include "http_client.h"
#include "log.h"

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

mtl_err agg_leader_get(const struct agg_follower *f, const char *route, char **body, size_t *len,
                       long *status)
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

mtl_err agg_leader_json(const struct agg_follower *f, const char *route, json_t **out, long *status)
{
    char *body = NULL;
    size_t len = 0;
    *out = NULL;
    MTL_TRY(agg_leader_get(f, route, &body, &len, status));
    json_error_t je;
    *out = json_loadb(body, len, JSON_PRESERVE_ORDER, &je);
    mtl_free(body);
    MTL_CHECK(*out, MTL_ERR_BAD_ENCODING, "leader GET %s: invalid JSON: %s", route, je.text);
    return MTL_OK;
}

/* ---- signers ------------------------------------------------------------------ */

/* Record the leader's registrations (SignerWithStake list) under key epoch;
 * those already stored are not checked again. */
/* Is party in the stored registrations (a JSON array)? */
static int is_stored(json_t *stored, const char *party)
{
    size_t k;
    json_t *s;
    json_array_foreach(stored, k, s)
    {
        const char *p = json_string_value(json_object_get(s, "party_id"));
        if (p && strcmp(p, party) == 0)
            return 1;
    }
    return 0;
}

static void sync_signers(struct agg *a, json_t *list, uint64_t key, int quiet)
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
        int add = 0;
        if (party && is_stored(stored, party))
            continue;
        if (agg_signer_record_synced(a, v, key, &add) != MTL_OK)
            app_log(quiet ? MTL_LOG_DEBUG : MTL_LOG_WARN, "follower_signer_refused",
                    "party=%s epoch=%llu reason=\"%s\"", party ? party : "?",
                    (unsigned long long)key, mtl_err_detail());
        added += (size_t)add;
    }
    json_decref(stored);
    if (added)
        log_info("follower_signers_synchronized", "key_epoch=%llu added=%zu",
                 (unsigned long long)key, added);
}

/* The leader's registrations made at epoch `at` (key at+1): its
 * /signers/registered items carry the whole records. */
static void sync_registered(struct agg *a, uint64_t at, int quiet)
{
    char route[64];
    json_t *reg = NULL;
    snprintf(route, sizeof(route), "/signers/registered/%llu", (unsigned long long)at);
    if (agg_leader_json(a->follower, route, &reg, NULL) == MTL_OK)
        sync_signers(a, json_object_get(reg, "registrations"), at + 1, quiet);
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
    if (agg_leader_json(a->follower, "/status", &st, NULL) == MTL_OK) {
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
    mtl_err e = agg_leader_json(f, "/epoch-settings", &es, &status);
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
        sync_registered(a, k - 1, 0);
    /* Forced, as the reference does, when our own chain has a gap. */
    uint64_t last = 0;
    int found = 0;
    int force =
        agg_store_latest_epoch(&a->store, &last, &found) == MTL_OK && found && last + 1 < epoch;
    mtl_err_clear();
    report_chain(a, epoch, agg_follower_sync_chain(a, epoch, force));
    return MTL_OK;
}

void agg_follower_tick(struct agg *a, uint64_t epoch)
{
    struct agg_follower *f = a->follower;
    sync_registered(a, epoch, 1); /* refusals: warned at the transition */
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
