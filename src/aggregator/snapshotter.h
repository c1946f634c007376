/*
 * snapshotter.h - the Cardano Database v2 artifact producer (aggregator side,
 * spec cardano-db.md §3.2-3.3): per-immutable tar.zst archives shared by all
 * artifacts, a per-artifact ancillary archive (in-progress trio + latest
 * ledger snapshot + signed ancillary_manifest.json), a per-artifact digests
 * archive, and the CardanoDatabaseSnapshotMessage JSON. Archives are
 * streamed (never a whole file in memory), written to a hidden temp name,
 * verified by unpacking every entry, then renamed into place.
 *
 * Ancillary signing key (reference ANCILLARY_FILES_SIGNER_CONFIG):
 *   {"type":"secret-key","secret_key":"<hex of the JSON array of the 32-byte Ed25519 seed>"}
 * i.e. the secret_key text has the same encoding as a genesis secret key; the
 * matching verification key text (ancillary.vkey) is the hex of the JSON array
 * of the 32 public-key bytes. Both are produced by snap_ancillary_keypair_text.
 */
#ifndef MTL_AGGREGATOR_SNAPSHOTTER_H
#define MTL_AGGREGATOR_SNAPSHOTTER_H

#include <stdbool.h>
#include <stdint.h>

#include "httpd.h"
#include "mithril/cardano_db.h"
#include "mithril/err.h"

struct snap_config {
    const char *db_dir; /* the Cardano node DB (contains immutable/, ledger/) */
    const char
        *out_dir; /* SNAPSHOT_DIRECTORY: archives go to out_dir/{immutable,ancillary,digests}/ */
    const char *base_url; /* public URL prefix, e.g. http://127.0.0.1:8080/aggregator */
    const char *network;  /* "devnet" ([a-z0-9_-]+, used in file names) */
    int zstd_level;       /* default 9 (0 = 9) */
    const uint8_t *
        ancillary_sk; /* 32-byte Ed25519 seed signing the ancillary manifest; NULL = no ancillary */
    const char *cardano_node_version; /* e.g. "10.5.1"; below 10.4.1 the two latest ledger snapshots
                                         are shipped */
    /* Added fields (zero = default): */
    int zstd_threads; /* zstd worker threads (0 = single-threaded) */
    /* Called after each block written to an archive's temp file (tests, progress). */
    void (*on_write)(void *ctx, const char *tmp_path, uint64_t bytes_in);
    void *on_write_ctx;
};

/* Build (if missing) the immutable archives 0..=n, then (always, so that the
 * manifest matches what is shipped) the ancillary archive and the digests
 * archive for beacon (epoch, n), then the CardanoDatabaseSnapshotMessage JSON
 * (openapi shape, reference field order) for the given certificate hash.
 * digests: the per-file digests of files 0..=n (digests->merkle_root is the
 * artifact's merkle_root). hash_out: the artifact hash
 * hex(SHA-256(be64(epoch) || merkle_root_hex)). *artifact_json: mtl_free.
 * n must be >= 1 (the reference cannot size an artifact without immutables).
 * Stale temp files of dead processes are removed. Two concurrent calls for
 * the same beacon are safe (distinct temp names, last rename wins) but do the
 * work twice: serialise them in the caller. */
mtl_err snap_cardano_database(const struct snap_config *c, uint64_t epoch, uint64_t n,
                              const struct mtl_db_digests *digests, const char *certificate_hash,
                              char **artifact_json, char hash_out[65]);

/* Answer GET /cardano-database-download/<kind>/<file> from out_dir: subpath is
 * "<kind>/<file>" (a leading '/' and a query string are ignored). Only names
 * that look like our artifacts are served (immutable/NNNNN.tar.zst,
 * ancillary/<net>-e<E>-i<N>.ancillary.tar.zst, digests/<net>-e<E>-i<N>.digests.tar.zst),
 * which rules out path traversal; anything else is a 404 JSON error. The file
 * is streamed by the server (resp->file_path points into resp->body). */
void snap_serve_download(const struct snap_config *c, const char *subpath,
                         struct app_http_response *resp);
/* The name check used by snap_serve_download. */
bool snap_download_name_ok(const char *subpath);

/* Build immutable archive NNNNN.tar.zst unless present. *created (optional)
 * tells whether it was written by this call. */
mtl_err snap_immutable_archive(const struct snap_config *c, uint64_t number, bool *created);

/* The digests list as published (GET /artifact/cardano-database/digests and
 * inside the digests archive): compact JSON array of
 * {"immutable_file_name","digest"} sorted by file name. *json: NUL-terminated,
 * mtl_free; *len excludes the NUL. */
mtl_err snap_digests_json(const struct mtl_db_digests *d, char **json, size_t *len);

/* Ancillary keys: a fresh Ed25519 keypair and its texts. *sk_config gets the
 * ANCILLARY_FILES_SIGNER_CONFIG JSON (secret: wipe and mtl_free it), *vk_text
 * the ancillary.vkey text (mtl_free). Either pointer may be NULL. */
mtl_err snap_ancillary_keypair_text(uint8_t sk[32], uint8_t vk[32], char **sk_config,
                                    char **vk_text);
/* Parse ANCILLARY_FILES_SIGNER_CONFIG: the JSON object above, or the bare
 * secret_key text. The "gcp-kms" type is refused (MTL_ERR_CONFIG). */
mtl_err snap_ancillary_signer_config_parse(uint8_t sk[32], const char *text);

#endif
