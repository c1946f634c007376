/* signer_entities.c - what the signer reads from its own node for each
 * signed entity kind it signs: the beacon of the current time point and the
 * entity's Merkle root, the chain view that mtl_signed_entity_message turns
 * into the message. A new kind is one row of ENTITIES (with its readers). */
#include <string.h>
#include <time.h>

#include "log.h"
#include "mithril/cardano_db.h"
#include "signer_int.h"

/* CardanoDatabase: the last certifiable immutable file of the node DB. */
static mtl_err cdb_beacon(const struct signer_node *n, struct mtl_signed_entity_type *t)
{
    return mtl_immutable_last_certifiable(n->cfg->db_directory, &t->a);
}

/* CardanoDatabase: Merkle root of the digests of immutable files 0..=a. */
static mtl_err cdb_root(const struct signer_node *n, const struct mtl_signed_entity_type *t,
                        char root[MTL_HASH_HEX_BYTES])
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

static const struct signer_entity ENTITIES[] = {
    {MTL_SET_MITHRIL_STAKE_DISTRIBUTION, NULL, NULL}, /* the epoch; no root */
    {MTL_SET_CARDANO_DATABASE, cdb_beacon, cdb_root},
};

const struct signer_entity *signer_entity(enum mtl_signed_entity_kind k)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(ENTITIES); i++)
        if (ENTITIES[i].kind == k)
            return &ENTITIES[i];
    return NULL;
}
