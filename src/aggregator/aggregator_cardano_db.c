/* aggregator_cardano_db.c - the CardanoDatabase signed entity: beacon
 * (epoch, last certifiable immutable file), digests and Merkle root of the
 * immutable files (cardano_db.h), the artifact built by the snapshotter and
 * its files served. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"
#include "mithril/cardano_db.h"
#include "snapshotter.h"

static mtl_err digests_of(struct agg *a, uint64_t epoch, uint64_t n, struct mtl_db_digests *d)
{
    char cache_path[4096];
    struct mtl_digest_cache *cache = NULL;
    if (mtl_path_fmt(cache_path, sizeof(cache_path), "%s/digests-cache.json",
                     a->cfg.data_stores_directory) != MTL_OK ||
        mtl_digest_cache_open(&cache, cache_path) != MTL_OK) {
        log_warn("digest_cache", "error=\"%s\"", mtl_err_detail());
        cache = NULL;
    }
    struct mtl_digest_opts o = {.network = a->cfg.network, .epoch = epoch, .cache = cache};
    mtl_err e = mtl_cardano_db_digest(a->cfg.db_directory, n, &o, d);
    mtl_digest_cache_free(cache);
    return e;
}

void agg_open_cardano_database(struct agg *a, uint64_t epoch)
{
    uint64_t n = 0;
    struct mtl_db_digests d;
    memset(&d, 0, sizeof(d));
    if (mtl_immutable_last_certifiable(a->cfg.db_directory, &n) != MTL_OK || n < 1) {
        log_debug("cardano_database", "nothing certifiable: %s", mtl_err_detail());
        mtl_err_clear();
        return;
    }
    struct mtl_signed_entity_type t = {.kind = MTL_SET_CARDANO_DATABASE, .epoch = epoch, .a = n};
    char *key = NULL;
    struct agg_open_message m;
    if (mtl_signed_entity_type_to_json(&t, &key) != MTL_OK)
        return;
    mtl_err e = agg_store_open_message_get(&a->store, key, &m);
    agg_open_message_clear(&m);
    if (e == MTL_ERR_NOT_FOUND) {
        mtl_err_clear();
        e = digests_of(a, epoch, n, &d);
        if (e == MTL_OK)
            e = agg_open_message_with_root(a, &t, d.merkle_root);
    }
    if (e != MTL_OK)
        log_error("open_message", "entity=%s error=\"%s\"", key, mtl_err_detail());
    mtl_db_digests_free(&d);
    mtl_free(key);
}

static void snap_config_of(struct agg *a, struct snap_config *sc, uint8_t seed[32], int *have_sk)
{
    memset(sc, 0, sizeof(*sc));
    *have_sk = agg_ancillary_seed(&a->cfg, seed) == MTL_OK;
    if (!*have_sk)
        mtl_err_clear();
    sc->db_dir = a->cfg.db_directory;
    sc->out_dir = a->cfg.snapshot_directory;
    sc->base_url = a->public_url;
    sc->network = a->cfg.network;
    sc->zstd_level = (int)a->cfg.zstd_level;
    sc->ancillary_sk = *have_sk ? seed : NULL;
    sc->cardano_node_version = a->cfg.cardano_node_version;
}

mtl_err agg_cardano_database_artifact(struct agg *a, const struct agg_open_message *m,
                                      const char *cert_hash, char hash_out[MTL_HASH_HEX_BYTES],
                                      char **json, char **digests_json)
{
    struct mtl_db_digests d;
    memset(&d, 0, sizeof(d));
    *json = *digests_json = NULL;
    MTL_TRY(digests_of(a, m->type.epoch, m->type.a, &d));
    struct snap_config sc;
    uint8_t seed[32];
    int have_sk = 0;
    snap_config_of(a, &sc, seed, &have_sk);
    mtl_err e = MTL_OK;
    json_t *pm = json_loads(m->protocol_message, 0, NULL);
    const char *root = json_string_value(
        json_object_get(json_object_get(pm, "message_parts"), "cardano_database_merkle_root"));
    if (!root || strcmp(root, d.merkle_root) != 0)
        e = mtl_seterr(MTL_ERR_INTEGRITY,
                       "immutable files changed since the message was opened (Merkle root)");
    json_decref(pm);
    if (e == MTL_OK)
        e = snap_cardano_database(&sc, m->type.epoch, m->type.a, &d, cert_hash, json, hash_out);
    mtl_memzero(seed, sizeof(seed));
    size_t len = 0;
    if (e == MTL_OK)
        e = snap_digests_json(&d, digests_json, &len);
    mtl_db_digests_free(&d);
    return e;
}

void agg_serve_download(struct agg *a, const char *subpath, struct mtl_http_response *r)
{
    struct snap_config sc;
    uint8_t seed[32];
    int have_sk = 0;
    snap_config_of(a, &sc, seed, &have_sk);
    mtl_memzero(seed, sizeof(seed));
    snap_serve_download(&sc, subpath, r);
}
