/* aggregator_cardano_transactions.c - the CardanoTransactions signed entity
 * handler: beacon (epoch, block number of the signing cadence over the
 * imported chain), root of the transactions map up to it, the snapshot
 * artifact and its routes, and the v1 proof route (aggregator_tx.c). */
#include <jansson.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"

static void ctx_open(struct agg *a, uint64_t epoch)
{
    uint64_t tip = 0;
    if (!agg_tx_imported_tip(a, &tip))
        return;
    struct mtl_signed_entity_type t = {
        .kind = MTL_SET_CARDANO_TRANSACTIONS,
        .epoch = epoch,
        .a = app_tx_beacon_transactions(&a->cfg.ctx_signing, tip),
    };
    agg_tx_open(a, &t, APP_TX_TREE_TRANSACTIONS);
}

/* openapi CardanoTransactionSnapshotListMessage item. */
static json_t *ctx_list_item(const char *json)
{
    static const char *const keys[] = {"merkle_root",      "epoch",     "block_number", "hash",
                                       "certificate_hash", "created_at"};
    return agg_json_pick(json, keys, MTL_ARRAY_LEN(keys));
}

static int ctx_route(struct agg *a, const char *p, struct app_http_response *r)
{
    static const char item[] = "/artifact/cardano-transaction/";
    if (strcmp(p, "/artifact/cardano-transactions") == 0)
        agg_route_artifact_list(a, MTL_SET_CARDANO_TRANSACTIONS, -1, ctx_list_item,
                                "cardano transactions snapshots", r);
    else if (strncmp(p, item, sizeof(item) - 1) == 0)
        agg_route_artifact(a, MTL_SET_CARDANO_TRANSACTIONS, p + sizeof(item) - 1,
                           "cardano transactions snapshot", r);
    else if (strcmp(p, "/proof/cardano-transaction") == 0)
        agg_tx_route_proof(a, MTL_PROOFS_TRANSACTIONS_V1, r);
    else
        return 0;
    return 1;
}

const struct agg_entity_handler agg_cardano_transactions_handler = {
    .kind = MTL_SET_CARDANO_TRANSACTIONS,
    .open = ctx_open,
    .build_artifact = agg_tx_build_artifact,
    .route = ctx_route,
};
