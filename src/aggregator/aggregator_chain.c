/* aggregator_chain.c - what the chain says (epoch, stake distribution):
 * through the chain observer (cardano-cli), or the devnet stand-in file. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "chain_observer.h"
#include "common/common_int.h"

void agg_chain_state_clear(struct agg_chain_state *st)
{
    mtl_free(st->party);
    mtl_free(st->stake);
    memset(st, 0, sizeof(*st));
}

static mtl_err read_file_stand_in(const struct agg_config *c, struct agg_chain_state *st)
{
    json_error_t je;
    json_t *root = json_load_file(c->stake_distribution_file, 0, &je);
    MTL_CHECK(root, MTL_ERR_BAD_ENCODING, "STAKE_DISTRIBUTION_FILE %s: %s",
              c->stake_distribution_file, je.text);
    json_t *d = root, *ep = json_object_get(root, "epoch"), *slot = json_object_get(root, "slot");
    mtl_err e = MTL_OK;
    if (json_is_object(json_object_get(root, "stake_distribution"))) {
        d = json_object_get(root, "stake_distribution");
        if (!json_is_integer(ep) || json_integer_value(ep) < 0)
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "STAKE_DISTRIBUTION_FILE: epoch missing");
        else if (slot && (!json_is_integer(slot) || json_integer_value(slot) < 0))
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "STAKE_DISTRIBUTION_FILE: slot is not a"
                                                 " non-negative integer");
        else {
            st->epoch = (uint64_t)json_integer_value(ep);
            st->slot = slot ? (uint64_t)json_integer_value(slot) : 0;
        }
    } else if (c->current_epoch >= 0)
        st->epoch = (uint64_t)c->current_epoch;
    else
        e = mtl_seterr(MTL_ERR_CONFIG, "STAKE_DISTRIBUTION_FILE without epoch needs CURRENT_EPOCH");
    size_t n = json_object_size(d), i = 0;
    if (e == MTL_OK && n) {
        st->party = mtl_calloc(n, sizeof(*st->party));
        st->stake = mtl_calloc(n, sizeof(*st->stake));
        if (!st->party || !st->stake)
            e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    const char *k;
    json_t *v;
    json_object_foreach(d, k, v)
    {
        if (e != MTL_OK)
            break;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || strlen(k) >= 64) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "STAKE_DISTRIBUTION_FILE: bad entry %s", k);
            break;
        }
        if (json_integer_value(v) == 0)
            continue; /* like the observer: pools without stake are dropped */
        snprintf(st->party[i], 64, "%s", k);
        st->stake[i++] = (uint64_t)json_integer_value(v);
    }
    st->n = i;
    json_decref(root);
    return e;
}

mtl_err agg_chain_read(const struct agg_config *c, struct agg_chain_state *st)
{
    memset(st, 0, sizeof(*st));
    mtl_err e;
    if (c->stake_distribution_file[0])
        e = read_file_stand_in(c, st);
    else {
        struct app_chain_observer *o = NULL;
        struct app_chain_tip tip;
        struct app_pool_stake *pools = NULL;
        size_t n = 0;
        e = app_chain_observer_new(&o, c->cardano_cli_path, c->network_magic,
                                   c->cardano_node_socket_path[0] ? c->cardano_node_socket_path
                                                                  : NULL);
        if (e == MTL_OK)
            e = app_chain_observer_tip(o, &tip);
        if (e == MTL_OK)
            e = app_chain_observer_stake_distribution(o, &pools, &n);
        if (e == MTL_OK && n) {
            st->party = mtl_calloc(n, sizeof(*st->party));
            st->stake = mtl_calloc(n, sizeof(*st->stake));
            if (!st->party || !st->stake)
                e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; e == MTL_OK && i < n; i++) {
            snprintf(st->party[i], 64, "%s", pools[i].pool_id);
            st->stake[i] = pools[i].stake;
        }
        if (e == MTL_OK) {
            st->n = n;
            st->epoch = tip.epoch;
            st->slot = tip.slot;
            snprintf(st->era, sizeof(st->era), "%s", tip.era);
        }
        mtl_free(pools);
        app_chain_observer_free(o);
    }
    if (e != MTL_OK)
        agg_chain_state_clear(st);
    return e;
}
