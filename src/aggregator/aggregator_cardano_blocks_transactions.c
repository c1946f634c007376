/* aggregator_cardano_blocks_transactions.c - the CardanoBlocksTransactions
 * signed entity handler: beacon (epoch, block number of the signing cadence,
 * its security parameter as the offset), root of the blocks and
 * transactions map up to it (the last range partial), the snapshot artifact
 * and its routes, and the v2 transaction and block proof routes
 * (aggregator_tx.c). */
#include <jansson.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"

static void cbtx_open(struct agg *a, uint64_t epoch)
{
    uint64_t tip = 0;
    if (!agg_tx_imported_tip(a, &tip))
        return;
    struct mtl_signed_entity_type t = {
        .kind = MTL_SET_CARDANO_BLOCKS_TRANSACTIONS,
        .epoch = epoch,
        .a = app_tx_beacon_blocks(&a->cfg.cbtx_signing, tip),
        .b = a->cfg.cbtx_signing.security_parameter,
    };
    agg_tx_open(a, &t, APP_TX_TREE_BLOCKS);
}

/* openapi CardanoBlocksTransactionsSnapshotListMessage item. */
static json_t *cbtx_list_item(const char *json)
{
    static const char *const keys[] = {"merkle_root",      "epoch", "block_number_signed",
                                       "block_number_tip", "hash",  "certificate_hash",
                                       "created_at"};
    return agg_json_pick(json, keys, MTL_ARRAY_LEN(keys));
}

static int cbtx_route(struct agg *a, const char *p, struct app_http_response *r)
{
    static const char list[] = "/artifact/cardano-blocks-transactions";
    const size_t ll = sizeof(list) - 1;
    if (strcmp(p, list) == 0)
        agg_route_artifact_list(a, MTL_SET_CARDANO_BLOCKS_TRANSACTIONS, -1, cbtx_list_item,
                                "cardano blocks transactions snapshots", r);
    else if (strncmp(p, list, ll) == 0 && p[ll] == '/')
        agg_route_artifact(a, MTL_SET_CARDANO_BLOCKS_TRANSACTIONS, p + ll + 1,
                           "cardano blocks transactions snapshot", r);
    else if (strcmp(p, "/proof/v2/cardano-transaction") == 0)
        agg_tx_route_proof(a, MTL_PROOFS_TRANSACTIONS_V2, r);
    else if (strcmp(p, "/proof/v2/cardano-block") == 0)
        agg_tx_route_proof(a, MTL_PROOFS_BLOCKS, r);
    else
        return 0;
    return 1;
}

const struct agg_entity_handler agg_cardano_blocks_transactions_handler = {
    .kind = MTL_SET_CARDANO_BLOCKS_TRANSACTIONS,
    .open = cbtx_open,
    .build_artifact = agg_tx_build_artifact,
    .route = cbtx_route,
};
