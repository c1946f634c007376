/* signer_entities.c - what the signer reads from its own node for each
 * signed entity kind it signs: the beacon of the current time point and the
 * entity's Merkle root, the chain view that mtl_signed_entity_message turns
 * into the message. A new kind is one row of ENTITIES (with its readers). */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mithril/cardano_db.h"
#include "signer_int.h"
#include "tx_importer.h"
#include "tx_store.h"

/* CardanoDatabase: the last certifiable immutable file of the node DB. */
static mtl_err cdb_beacon(const struct signer_node *n, struct mtl_signed_entity_type *t)
{
    return mtl_immutable_last_certifiable(n->cfg->db_directory, &t->a);
}

/* CardanoDatabase: Merkle root of the digests of immutable files 0..=a. */
static mtl_err cdb_root(const struct signer_node *n, const struct mtl_signed_entity_type *t,
                        char root[SIGNER_ROOT_MAX])
{
    struct mtl_db_digests dg = {0};
    /* One thread: the signer shares the node's machine. */
    struct mtl_digest_opts o = {.threads = 1, .cache = n->cache};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    mtl_err e = mtl_cardano_db_digest(n->cfg->db_directory, t->a, &o, &dg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    if (e == MTL_OK) {
        log_info("digests_computed",
                 "immutable_file_number=%llu files=%zu bytes=%llu hashed=%zu from_cache=%zu "
                 "ms=%.1f merkle_root=%s",
                 (unsigned long long)t->a, dg.count, (unsigned long long)dg.total_bytes, dg.hashed,
                 dg.from_cache, ms, dg.merkle_root);
        memcpy(root, dg.merkle_root, MTL_HASH_HEX_BYTES);
    }
    const char *warn = n->cache ? mtl_digest_cache_warning(n->cache) : NULL;
    if (warn)
        log_warn("digest_cache_problem", "detail=\"%s\"", warn);
    mtl_db_digests_free(&dg);
    return e;
}

/* CardanoStakeDistribution: the distribution at the end of the previous
 * epoch, signed during this one. */
static mtl_err csd_beacon(const struct signer_node *n, struct mtl_signed_entity_type *t)
{
    (void)n;
    MTL_CHECK(t->epoch > 0, MTL_ERR_NOT_FOUND, "no stake distribution before epoch 0");
    t->epoch -= 1;
    return MTL_OK;
}

/* CardanoStakeDistribution: Merkle root of the stakes read from the node
 * during the epoch after the beacon's (recorded under beacon + 2, the
 * reference's CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET). */
static mtl_err csd_root(const struct signer_node *n, const struct mtl_signed_entity_type *t,
                        char root[SIGNER_ROOT_MAX])
{
    json_t *stakes = NULL;
    MTL_TRY(signer_store_get_stakes(n->cfg->data_stores_directory, t->epoch + 2, &stakes));
    size_t count = json_object_size(stakes), i = 0;
    const char **pool = mtl_calloc(count ? count : 1, sizeof(*pool));
    uint64_t *stake = mtl_calloc(count ? count : 1, sizeof(*stake));
    char *hex = NULL;
    mtl_err e = !stakes ? mtl_seterr(MTL_ERR_NOT_FOUND, "no stakes recorded for epoch %llu",
                                     (unsigned long long)t->epoch + 2)
                : !pool || !stake ? mtl_seterr(MTL_ERR_NOMEM, "out of memory")
                                  : MTL_OK;
    const char *k;
    json_t *v;
    json_object_foreach(stakes, k, v)
    {
        pool[i] = k;
        stake[i++] = (uint64_t)json_integer_value(v);
    }
    if (e == MTL_OK)
        e = mtl_csd_merkle_root(&hex, pool, stake, count);
    /* a one-pool tree's root is its leaf: pool id and stake */
    if (e == MTL_OK && strlen(hex) >= SIGNER_ROOT_MAX)
        e = mtl_seterr(MTL_ERR_STATE, "stake distribution root: %zu hex digits", strlen(hex));
    if (e == MTL_OK)
        snprintf(root, SIGNER_ROOT_MAX, "%s", hex);
    mtl_free(hex);
    mtl_free(pool);
    mtl_free(stake);
    json_decref(stakes);
    return e;
}

/* Cardano transactions: the cadence over the highest block imported once
 * what the node completed is imported (the aggregator does the same): by the
 * importer's thread, which this never waits for, or here. */
static mtl_err tx_tip(const struct signer_node *n, const struct app_tx_signing *c,
                      const char *config, uint64_t *tip)
{
    char dir[4096];
    int found = 0;
    MTL_CHECK(c, MTL_ERR_NOT_FOUND, "the aggregator gave no %s", config);
    MTL_CHECK(n->tx, MTL_ERR_STATE, "the transactions store is not open");
    if (n->importer) {
        MTL_CHECK(app_tx_importer_ready(n->importer, tip), MTL_ERR_STATE,
                  "the transactions import has not caught up with the node yet");
        return MTL_OK;
    }
    MTL_TRY(mtl_path_fmt(dir, sizeof(dir), "%s/immutable", n->cfg->db_directory));
    struct app_tx_import_stats st;
    mtl_err e = app_tx_import(n->tx, dir, UINT64_MAX, &st);
    if (st.chunks)
        log_info("transactions_imported", "chunks=%llu blocks=%llu transactions=%llu ranges=%llu",
                 (unsigned long long)st.chunks, (unsigned long long)st.blocks,
                 (unsigned long long)st.transactions, (unsigned long long)st.ranges);
    MTL_TRY(e);
    MTL_TRY(app_tx_highest_block(n->tx, tip, &found));
    MTL_CHECK(found, MTL_ERR_NOT_FOUND, "no block imported yet");
    return MTL_OK;
}

static mtl_err ctx_beacon(const struct signer_node *n, struct mtl_signed_entity_type *t)
{
    uint64_t tip = 0;
    MTL_TRY(tx_tip(n, n->ctx_signing, "cardano_transactions_signing_config", &tip));
    t->a = app_tx_beacon_transactions(n->ctx_signing, tip);
    return MTL_OK;
}

static mtl_err ctx_root(const struct signer_node *n, const struct mtl_signed_entity_type *t,
                        char root[SIGNER_ROOT_MAX])
{
    MTL_CHECK(n->tx, MTL_ERR_STATE, "the transactions store is not open");
    return app_tx_root(n->tx, APP_TX_TREE_TRANSACTIONS, t->a, root);
}

static mtl_err cbtx_beacon(const struct signer_node *n, struct mtl_signed_entity_type *t)
{
    uint64_t tip = 0;
    MTL_TRY(tx_tip(n, n->cbtx_signing, "cardano_blocks_transactions_signing_config", &tip));
    t->a = app_tx_beacon_blocks(n->cbtx_signing, tip);
    t->b = n->cbtx_signing->security_parameter;
    return MTL_OK;
}

static mtl_err cbtx_root(const struct signer_node *n, const struct mtl_signed_entity_type *t,
                         char root[SIGNER_ROOT_MAX])
{
    MTL_CHECK(n->tx, MTL_ERR_STATE, "the transactions store is not open");
    return app_tx_root(n->tx, APP_TX_TREE_BLOCKS, t->a, root);
}

static const struct signer_entity ENTITIES[] = {
    {MTL_SET_MITHRIL_STAKE_DISTRIBUTION, NULL, NULL}, /* the epoch; no root */
    {MTL_SET_CARDANO_DATABASE, cdb_beacon, cdb_root},
    {MTL_SET_CARDANO_STAKE_DISTRIBUTION, csd_beacon, csd_root},
    {MTL_SET_CARDANO_TRANSACTIONS, ctx_beacon, ctx_root},
    {MTL_SET_CARDANO_BLOCKS_TRANSACTIONS, cbtx_beacon, cbtx_root},
};

const struct signer_entity *signer_entity(enum mtl_signed_entity_kind k)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(ENTITIES); i++)
        if (ENTITIES[i].kind == k)
            return &ENTITIES[i];
    return NULL;
}
