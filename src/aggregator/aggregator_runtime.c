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

/* Blocked (the reference's BlockedReason): no certificate at all; an epoch
 * that ended without one (the reference's has_gap_with: certificates cannot
 * chain across it); or no certificate to chain to with these signers. Logged
 * once per state and epoch; cleared when it no longer holds. */
static int blocked(struct agg *a, uint64_t epoch, const struct agg_signers *g)
{
    uint64_t last = 0;
    int found = 0;
    char state[32] = "", reason[320] = "";
    if (agg_store_latest_epoch(&a->store, &last, &found) != MTL_OK) {
        log_warn("blocked_check", "error=\"%s\"", mtl_err_detail());
        return 1; /* the store cannot tell: try again next tick */
    }
    if (!found) {
        snprintf(state, sizeof(state), "blocked-no-genesis");
        snprintf(reason, sizeof(reason), "no genesis certificate yet: run genesis bootstrap");
    } else if (last + 1 < epoch) {
        snprintf(state, sizeof(state), "blocked-epoch-gap");
        snprintf(reason, sizeof(reason),
                 "epoch %llu ended without a certificate (the last one is of epoch %llu): "
                 "certificates cannot chain across it; a new genesis is needed "
                 "(docs/aggregator.md, Re-genesis)",
                 (unsigned long long)(epoch - 1), (unsigned long long)last);
    } else if (g && !chain_continues(a, epoch, g)) {
        snprintf(state, sizeof(state), "blocked-chain");
        snprintf(reason, sizeof(reason),
                 "no certificate to chain to with the signers of epoch %llu (genesis needed?)",
                 (unsigned long long)epoch);
    }
    static uint64_t logged_epoch;
    pthread_mutex_lock(&a->rt.mu);
    int was = a->rt.blocked_state[0] != 0, same = strcmp(a->rt.blocked_state, state) == 0;
    if (state[0])
        a->rt.state = AGG_BLOCKED;
    else if (a->rt.state == AGG_BLOCKED)
        a->rt.state = AGG_READY;
    snprintf(a->rt.blocked_state, sizeof(a->rt.blocked_state), "%s", state);
    snprintf(a->rt.blocked_reason, sizeof(a->rt.blocked_reason), "%s", reason);
    pthread_mutex_unlock(&a->rt.mu);
    /* a gap is an incident; waiting for a first genesis is not */
    if (state[0] && (!same || logged_epoch != epoch))
        app_log(strcmp(state, "blocked-epoch-gap") == 0 ? MTL_LOG_ERROR : MTL_LOG_WARN, "blocked",
                "state=%s epoch=%llu reason=\"%s\"", state, (unsigned long long)epoch, reason);
    else if (!state[0] && was)
        log_info("unblocked", "epoch=%llu", (unsigned long long)epoch);
    logged_epoch = epoch;
    return state[0] != 0;
}

int agg_runtime_blocked(struct agg *a, char state[32], char reason[320])
{
    pthread_mutex_lock(&a->rt.mu);
    int b = a->rt.state == AGG_BLOCKED;
    snprintf(state, 32, "%s", a->rt.blocked_state);
    snprintf(reason, 320, "%s", a->rt.blocked_reason);
    pthread_mutex_unlock(&a->rt.mu);
    return b;
}

mtl_err agg_runtime_tick(struct agg *a)
{
    struct agg_chain_state ch;
    static char last_err[256];
    if (agg_chain_read(&a->cfg, &ch) != MTL_OK) {
        if (strcmp(last_err, mtl_err_detail()) != 0) {
            snprintf(last_err, sizeof(last_err), "%s", mtl_err_detail());
            log_warn("chain_read", "error=\"%s\"", last_err);
        }
        return MTL_ERR_IO;
    }
    last_err[0] = 0;
    pthread_mutex_lock(&a->rt.mu);
    int changed = !a->rt.have_epoch || a->rt.epoch != ch.epoch;
    a->rt.slot = ch.slot;
    if (ch.era[0])
        snprintf(a->rt.cardano_era, sizeof(a->rt.cardano_era), "%s", ch.era);
    pthread_mutex_unlock(&a->rt.mu);
    if (changed) {
        mtl_err era = agg_era_check(a, ch.epoch);
        if (era != MTL_OK) {
            agg_chain_state_clear(&ch); /* unsupported era (stopping) or unread: the epoch waits */
            return era;
        }
        /* A follower moves with its leader (aggregator_follower.c). */
        if (a->follower && agg_follower_epoch(a, ch.epoch) != MTL_OK) {
            agg_chain_state_clear(&ch);
            mtl_err_clear();
            return MTL_OK;
        }
        agg_epoch_transition(a, &ch);
        agg_certifier_expire(a->certifier, ch.epoch); /* older messages are closed */
    }
    agg_chain_state_clear(&ch);

    struct mtl_stm_params p;
    uint64_t epoch;
    int have;
    struct agg_signers *g = agg_runtime_signers(a, &p, &epoch, &have);
    if (have && a->follower)
        agg_follower_tick(a, epoch);
    if (!have || blocked(a, epoch, g) || !g) {
        agg_runtime_release(a, g);
        return MTL_OK; /* blocked, or idle: nobody can sign this epoch */
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
    agg_certifier_drain(a, g, &p, epoch); /* signatures that came before their message */
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
    return MTL_OK;
}

static void *runtime_main(void *arg)
{
    struct agg *a = arg;
    log_info("runtime_started", "run_interval_ms=%u", a->cfg.run_interval_ms);
    pthread_mutex_lock(&a->rt.mu);
    while (!a->rt.stop) {
        pthread_mutex_unlock(&a->rt.mu);
        app_metrics_inc(a->metrics, AGG_M_CYCLE_TOTAL);
        if (agg_runtime_tick(a) == MTL_OK)
            app_metrics_inc(a->metrics, AGG_M_CYCLE_SUCCESS);
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
    pthread_mutex_init(&a->tx_lock, NULL);
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
    agg_tx_close(a);
    pthread_mutex_destroy(&a->tx_lock);
}

mtl_err agg_runtime_start(struct agg *a)
{
    /* the importer first: the runtime's handlers read a->txi */
    MTL_TRY(agg_tx_importer_start(a));
    if (pthread_create(&a->rt.thread, NULL, runtime_main, a) != 0) {
        agg_tx_importer_stop(a);
        return mtl_seterr(MTL_ERR_IO, "runtime: cannot start thread");
    }
    a->rt.started = 1;
    return MTL_OK;
}

void agg_runtime_stop(struct agg *a)
{
    if (a->rt.started) {
        pthread_mutex_lock(&a->rt.mu);
        a->rt.stop = 1;
        pthread_cond_signal(&a->rt.cv);
        pthread_mutex_unlock(&a->rt.mu);
        pthread_join(a->rt.thread, NULL);
        a->rt.started = 0;
    }
    agg_tx_importer_stop(a); /* after the runtime, which reads a->txi */
}
