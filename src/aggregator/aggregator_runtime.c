/* aggregator_runtime.c - the state machine (idle -> ready -> signing) on a
 * timer thread, off the HTTP threads: each tick reads the chain, hands epoch
 * changes to the epoch service (aggregator_epoch.c), opens the messages of
 * the enabled signed entity types and lets the certifier
 * (aggregator_certifier.c) certify those with a quorum. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

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
    if (changed && agg_era_check(a, ch.epoch) != MTL_OK) {
        agg_chain_state_clear(&ch); /* unsupported era (stopping) or unread: the epoch waits */
        return;
    }
    if (changed)
        agg_epoch_transition(a, &ch);
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
        if (agg_msd_ready(a, epoch) != MTL_OK) {
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
            agg_certifier_try(a, g, &p, keys[i]);
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
