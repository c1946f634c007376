/* aggregator_epoch.c - the epoch service: epoch transitions from the
 * chain (retention, stake distributions and parameters recorded with the
 * reference offsets, current and next signers) and the open messages of
 * signed entities with their protocol messages. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

/* ---- open messages ------------------------------------------------------------ */

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
    struct mtl_stm_params np;
    /* the next signers and parameters: those recorded under the signed epoch */
    uint64_t se = mtl_signed_entity_signed_epoch(t);
    if (!a->rt.next || a->rt.next->key_epoch != se)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no next signers (registered at epoch %llu)",
                       (unsigned long long)se - 1);
    else
        e = agg_store_params(&a->store, se, &np);
    if (e == MTL_OK) {
        struct mtl_signed_entity_view v = {
            .next_avk = a->rt.next->avk, .next_params = &np, .merkle_root = merkle_root};
        e = mtl_signed_entity_message(&pm, t, &v);
    }
    if (e == MTL_OK) {
        m.signed_entity = key; /* freed with m */
        key = NULL;
        m.type = *t;
        mtl_protocol_message_hash(pm, m.signed_message);
        m.created_at_ns = agg_now_ns();
        e = mtl_protocol_message_to_json(pm, &m.protocol_message);
    }
    if (e == MTL_OK)
        e = agg_store_open_message_create(&a->store, &m);
    if (e == MTL_OK)
        log_info("open_message", "entity=%s signed_message=%s", m.signed_entity,
                 m.signed_message);
    agg_open_message_clear(&m);
    mtl_protocol_message_free(pm);
    mtl_free(key);
    return e;
}

void agg_epoch_transition(struct agg *a, const struct agg_chain_state *ch)
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
