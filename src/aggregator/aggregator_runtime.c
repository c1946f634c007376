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

#include "aggregator_certifier.h"
#include "common/common_int.h"
#include "log.h"

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
    if (changed) {
        agg_epoch_transition(a, &ch);
        agg_certifier_expire(a->certifier, ch.epoch); /* older messages are closed */
    }
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
    /* Messages with a quorum first: a tick woken by one certifies it
     * before anything else. */
    char **keys = NULL;
    size_t n = 0;
    if (agg_store_open_messages_pending(&a->store, epoch, &keys, &n) == MTL_OK)
        for (size_t i = 0; i < n; i++)
            agg_certifier_try(a, g, &p, keys[i]);
    agg_strv_free(keys, n);
    agg_entities_open(a, epoch); /* each enabled kind's handler */
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

/* The certifier's quorum signal: run the next tick now. */
static void wake(void *arg)
{
    struct agg *a = arg;
    pthread_mutex_lock(&a->rt.mu);
    a->rt.wake = 1;
    pthread_cond_signal(&a->rt.cv);
    pthread_mutex_unlock(&a->rt.mu);
}

mtl_err agg_runtime_init(struct agg *a)
{
    MTL_TRY(agg_certifier_new(&a->certifier, a->cfg.max_open_messages, wake, a));
    pthread_mutex_init(&a->rt.mu, NULL);
    pthread_cond_init(&a->rt.cv, NULL);
    pthread_rwlock_init(&a->rt.round, NULL);
    return MTL_OK;
}

void agg_runtime_destroy(struct agg *a)
{
    agg_certifier_free(a->certifier);
    a->certifier = NULL;
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
