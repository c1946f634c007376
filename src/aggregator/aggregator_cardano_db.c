/* aggregator_cardano_db.c - the CardanoDatabase signed entity: beacon
 * (epoch, last certifiable immutable file), digests and Merkle root of the
 * immutable files (cardano_db.h), the artifact built by the snapshotter and
 * its files served. Both libraries come from other modules: without them the
 * type is reported as unavailable and never opened. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"
#ifdef MTL_HAVE_CARDANO_DB
#include "mithril/cardano_db.h"
#endif
#ifdef MTL_HAVE_SNAPSHOTTER
#include "snapshotter.h"
#endif

#if defined(MTL_HAVE_CARDANO_DB) && defined(MTL_HAVE_SNAPSHOTTER)
static mtl_err digests_of(struct agg *a, uint64_t epoch, uint64_t n, struct mtl_db_digests *d)
{
    char cache_path[4096];
    struct mtl_digest_cache *cache = NULL;
    snprintf(cache_path, sizeof(cache_path), "%s/digests-cache.json", a->cfg.data_stores_directory);
    if (mtl_digest_cache_open(&cache, cache_path) != MTL_OK) {
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

/* The snapshotter's settings; the ancillary key is the one read at start. */
static void snap_config_of(struct agg *a, struct snap_config *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->db_dir = a->cfg.db_directory;
    sc->out_dir = a->cfg.snapshot_directory;
    sc->base_url = a->public_url;
    sc->network = a->cfg.network;
    sc->zstd_level = (int)a->cfg.zstd_level;
    sc->ancillary_sk = a->have_ancillary ? a->ancillary_seed : NULL;
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
    snap_config_of(a, &sc);
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
    size_t len = 0;
    if (e == MTL_OK)
        e = snap_digests_json(&d, digests_json, &len);
    mtl_db_digests_free(&d);
    return e;
}

void agg_serve_download(struct agg *a, const char *subpath, struct mtl_http_response *r)
{
    struct snap_config sc;
    snap_config_of(a, &sc);
    snap_serve_download(&sc, subpath, r);
}
#else
void agg_open_cardano_database(struct agg *a, uint64_t epoch)
{
    static int logged;
    (void)a;
    if (!logged)
        log_warn("cardano_database_unavailable",
                 "epoch=%llu reason=\"built without the Cardano DB digests or the snapshotter\"",
                 (unsigned long long)epoch);
    logged = 1;
}

mtl_err agg_cardano_database_artifact(struct agg *a, const struct agg_open_message *m,
                                      const char *cert_hash, char hash_out[MTL_HASH_HEX_BYTES],
                                      char **json, char **digests_json)
{
    (void)a, (void)m, (void)cert_hash, (void)hash_out;
    *json = *digests_json = NULL;
    return mtl_seterr(MTL_ERR_CONFIG, "CardanoDatabase: built without the snapshotter");
}

void agg_serve_download(struct agg *a, const char *subpath, struct mtl_http_response *r)
{
    (void)a;
    mtl_http_error(r, 404, "not_found", "no snapshot file %s (snapshotter not built in)", subpath);
}
#endif
