/* aggregator_cardano_db.c - the CardanoDatabase signed entity handler:
 * beacon (epoch, last certifiable immutable file), digests and Merkle root
 * of the immutable files (cardano_db.h), the artifact built by the
 * snapshotter, its routes and its files served. */
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

static void cdb_open(struct agg *a, uint64_t epoch)
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

static mtl_err cdb_build(struct agg *a, const struct agg_open_message *m,
                         const struct mtl_certificate *cert, int64_t sealed_ns,
                         struct agg_artifact *art)
{
    (void)sealed_ns;
    struct mtl_db_digests d;
    memset(&d, 0, sizeof(d));
    MTL_TRY(digests_of(a, m->type.epoch, m->type.a, &d));
    struct snap_config sc;
    snap_config_of(a, &sc);
    mtl_err e = MTL_OK;
    /* the certified message, not a re-read of the stored JSON */
    const char *root = mtl_protocol_message_get(mtl_certificate_protocol_message(cert),
                                                "cardano_database_merkle_root");
    if (!root || strcmp(root, d.merkle_root) != 0)
        e = mtl_seterr(MTL_ERR_INTEGRITY,
                       "immutable files changed since the message was opened (Merkle root)");
    if (e == MTL_OK)
        e = snap_cardano_database(&sc, m->type.epoch, m->type.a, &d, mtl_certificate_hash(cert),
                                  &art->json, art->hash);
    size_t len = 0;
    if (e == MTL_OK)
        e = snap_digests_json(&d, &art->extra, &len);
    mtl_db_digests_free(&d);
    if (e == MTL_OK)
        e = mtl_cardano_database_verify(art->json, strlen(art->json), cert);
    return e;
}

static void serve_download(struct agg *a, const char *subpath, struct app_http_response *r)
{
    struct snap_config sc;
    snap_config_of(a, &sc);
    snap_serve_download(&sc, subpath, r);
}

/* ---- routes ---------------------------------------------------------------------- */

/* openapi CardanoDatabaseSnapshotListItemMessage. */
static json_t *cdb_list_item(const char *json)
{
    static const char *const keys[] = {"hash",
                                       "merkle_root",
                                       "beacon",
                                       "certificate_hash",
                                       "total_db_size_uncompressed",
                                       "created_at",
                                       "cardano_node_version"};
    return agg_json_pick(json, keys, MTL_ARRAY_LEN(keys));
}

/* The digests of the latest snapshot ([] before the first). */
static void route_digests(struct agg *a, struct app_http_response *r)
{
    char *json = NULL;
    mtl_err e = agg_store_artifact_extra(&a->store, MTL_SET_CARDANO_DATABASE, &json);
    if (e == MTL_ERR_NOT_FOUND) {
        mtl_err_clear();
        json = mtl_strdup("[]");
        e = json ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    agg_route_reply(r, e, json, "cardano database digests");
}

static int cdb_route(struct agg *a, const char *p, struct app_http_response *r)
{
    static const char list[] = "/artifact/cardano-database", by_epoch[] = "/epoch/",
                      download[] = "/cardano-database-download/";
    const size_t ll = sizeof(list) - 1, el = sizeof(by_epoch) - 1;
    if (strncmp(p, download, sizeof(download) - 1) == 0) {
        serve_download(a, p + sizeof(download) - 1, r);
        return 1;
    }
    if (strncmp(p, list, ll) != 0 || (p[ll] != 0 && p[ll] != '/'))
        return 0;
    const char *sub = p + ll;
    uint64_t epoch;
    if (!*sub)
        agg_route_artifact_list(a, MTL_SET_CARDANO_DATABASE, -1, cdb_list_item, "cardano databases",
                                r);
    else if (strcmp(sub, "/digests") == 0)
        route_digests(a, r);
    else if (strncmp(sub, by_epoch, el) == 0) {
        if (agg_route_epoch_param(a, sub + el, 0, AGG_MAX_ARTIFACT_EPOCH_OFFSET, &epoch, r))
            agg_route_artifact_list(a, MTL_SET_CARDANO_DATABASE, (int64_t)epoch, cdb_list_item,
                                    "cardano databases", r);
    } else
        agg_route_artifact(a, MTL_SET_CARDANO_DATABASE, sub + 1, "cardano database", r);
    return 1;
}

const struct agg_entity_handler agg_cardano_db_handler = {
    .kind = MTL_SET_CARDANO_DATABASE,
    .open = cdb_open,
    .build_artifact = cdb_build,
    .route = cdb_route,
};
