/*
 * mithril/cardano_db.h - the Cardano node's immutable database as Mithril
 * sees it: listing immutable files, the certifiable immutable file number,
 * per-file SHA-256 digests (with a cache), the legacy full-DB digest and the
 * Cardano Database v2 Merkle root, byte-compatible with the reference
 * (spec: shared/spec/cardano-db.md sections 1-2).
 */
#ifndef MITHRIL_CARDANO_DB_H
#define MITHRIL_CARDANO_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mithril/certificate.h"
#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_DIGEST_HEX_BYTES 65     /* 64 lower-case hex digits + NUL */
#define MTL_IMMUTABLE_NAME_BYTES 32 /* "00042.secondary" + NUL, with room */

/* One file of db/immutable/ (NNNNN.chunk|primary|secondary). */
struct mtl_immutable_file {
    uint64_t number;
    char name[MTL_IMMUTABLE_NAME_BYTES]; /* file name, e.g. "00042.chunk" */
    char *path;                          /* full path (owned by the list) */
};
struct mtl_immutable_list {
    struct mtl_immutable_file *files; /* reference order: number, then path */
    size_t count;
};

/* List every immutable file under db_dir (db/ or db/immutable/, spec §1.2):
 * the first directory named "immutable" found depth-first (db_dir itself
 * included, symlinks not followed), its regular files ending in .chunk,
 * .primary or .secondary (others ignored), incomplete trios as they are,
 * sorted by number then path. An empty directory gives count 0. Errors:
 * MTL_ERR_NOT_FOUND "Couldn't find the 'immutable' folder in '<dir>'";
 * MTL_ERR_BAD_ENCODING naming a file whose stem is not a u64 (abc.chunk) or
 * whose name is longer than 31 bytes. Free with mtl_immutable_list_free. */
MTL_API mtl_err mtl_immutable_list_all(const char *db_dir, struct mtl_immutable_list *out);
MTL_API void mtl_immutable_list_free(struct mtl_immutable_list *l);
/* Highest immutable number strictly below the highest one present (the last
 * trio is still being written). MTL_ERR_NOT_FOUND when nothing is certifiable. */
MTL_API mtl_err mtl_immutable_last_certifiable(const char *db_dir, uint64_t *number);

/* Digest cache: per file name, size and mtime (ns) -> SHA-256 hex, kept in a
 * JSON file {"version":1,"files":{"00042.chunk":{"size":..,"mtime_ns":..,
 * "digest":".."}}}. A file whose size or mtime changed is re-hashed. A missing
 * file starts an empty cache; an unreadable or corrupt one is ignored (empty
 * cache, never trusted) and reported by mtl_digest_cache_warning() — open
 * still succeeds. mtl_cardano_db_digest() adds the newly computed entries and
 * saves them at its end: appended to "<path>.journal" (mode 0600, one write,
 * each line checksummed, no fsync: a crash only loses entries, which are
 * hashed again) while the journal is small, else the JSON is rewritten
 * atomically (mode 0600, fsync) under a new journal id and the journal
 * removed. A torn or foreign journal is ignored (reported when torn) and
 * folded into the JSON at the next save. Not thread-safe: one cache per
 * digest call at a time. */
struct mtl_digest_cache;
/* MTL_ERR_INVALID_ARG for a NULL/empty path, MTL_ERR_NOMEM. */
MTL_API mtl_err mtl_digest_cache_open(struct mtl_digest_cache **out, const char *path);
MTL_API void mtl_digest_cache_free(struct mtl_digest_cache *c);
/* The last problem with the cache file: the load warning (corrupt, unreadable:
 * it was ignored) or a failed save (the digest result was still returned).
 * NULL when none. Valid until the next call using c. */
MTL_API const char *mtl_digest_cache_warning(const struct mtl_digest_cache *c);
/* Number of entries held (loaded plus added). */
MTL_API size_t mtl_digest_cache_count(const struct mtl_digest_cache *c);

struct mtl_file_digest {
    uint64_t number;
    char name[MTL_IMMUTABLE_NAME_BYTES];
    char digest[MTL_DIGEST_HEX_BYTES];
    uint64_t size; /* bytes hashed */
};
struct mtl_db_digests {
    struct mtl_file_digest *files; /* files 0..=N in listing order */
    size_t count;
    uint64_t total_bytes;                     /* bytes of those files */
    char merkle_root[MTL_DIGEST_HEX_BYTES];   /* v2: MMR/BLAKE2s over hex leaves */
    char legacy_digest[MTL_DIGEST_HEX_BYTES]; /* v1: needs network + epoch */
    size_t hashed, from_cache;                /* how many files were hashed vs cached */
};
struct mtl_digest_opts {
    const char *network; /* Display name for the legacy digest ("devnet"); NULL: skip it */
    uint64_t epoch;      /* beacon epoch for the legacy digest */
    unsigned threads;    /* 0: all online CPUs */
    struct mtl_digest_cache *cache; /* optional; updated with new digests */
};
/* Digests of immutable files 0..=immutable_file_number (reference rules):
 * MTL_ERR_NOT_FOUND "At least two immutable chunks should exist in directory
 * '<dir>': expected N but found Some(M)." when the highest listed number is
 * below N (None when nothing is listed); MTL_ERR_IO naming an unreadable
 * file. Files are hashed by opts->threads threads started and joined inside
 * the call. opts may be NULL (no legacy digest, all CPUs, no cache). */
MTL_API mtl_err mtl_cardano_db_digest(const char *db_dir, uint64_t immutable_file_number,
                                      const struct mtl_digest_opts *opts,
                                      struct mtl_db_digests *out);
MTL_API void mtl_db_digests_free(struct mtl_db_digests *d);
/* SHA-256 of every file of a listing (no beacon filter, no roots): fills
 * files, count, total_bytes, hashed and from_cache of out. Same threads and
 * cache rules as mtl_cardano_db_digest (the cache is saved at the end). */
MTL_API mtl_err mtl_immutable_files_digest(const struct mtl_immutable_list *list,
                                           const struct mtl_digest_opts *opts,
                                           struct mtl_db_digests *out);
/* Legacy (Cardano DB v1) snapshot digest over per-file hex digests in
 * listing order: SHA-256(hex(beacon hash with network) || digest_1 || ...). */
MTL_API mtl_err mtl_cardano_db_legacy_digest(const char *network, uint64_t epoch,
                                             uint64_t immutable_file_number,
                                             const char *const *digests_hex, size_t n,
                                             char out[MTL_DIGEST_HEX_BYTES]);
/* Legacy digester beacon hash:
 * hex(SHA-256(ascii(network) || be64(epoch) || be64(immutable_file_number))). */
MTL_API void mtl_cardano_db_legacy_beacon_hash(const char *network, uint64_t epoch,
                                               uint64_t immutable_file_number,
                                               char out[MTL_DIGEST_HEX_BYTES]);

/* Merkle root (hex) of the Cardano Database v2 tree: a Merkle Mountain Range
 * with BLAKE2s-256 nodes, peaks bagged right to left, the leaves being the
 * strings themselves (ASCII hex digests, at most 64 bytes each) in order.
 * MTL_ERR_INVALID_ARG for n == 0; a single leaf is its own root, which is not
 * a 32-byte node: MTL_ERR_INVALID_ARG too. */
MTL_API mtl_err mtl_cardano_db_merkle_root(const char *const *leaves_hex, size_t n,
                                           char out[MTL_DIGEST_HEX_BYTES]);
/* hex(SHA-256(be64(epoch) || be64(immutable_file_number))) */
MTL_API void mtl_cardano_db_beacon_hash(uint64_t epoch, uint64_t immutable_file_number,
                                        char out[MTL_DIGEST_HEX_BYTES]);
/* CardanoDatabaseSnapshot.hash = hex(SHA-256(be64(epoch) || merkle_root_hex)) */
MTL_API void mtl_cardano_database_hash(uint64_t epoch, const char *merkle_root_hex,
                                       char out[MTL_DIGEST_HEX_BYTES]);

/* ---- Immutable trios ----------------------------------------------------
 * An immutable file number N names a trio of files, NNNNN.chunk,
 * NNNNN.primary and NNNNN.secondary: the number in decimal, zero-padded to 5
 * digits (more digits only past 99999), a dot, the kind. Both sides of the
 * wire use these names: the aggregator packs trio N as immutable/NNNNN.* in
 * archive NNNNN, the client accepts exactly those entries and certified
 * digests only under those names. The rule is strict: a name is accepted
 * only when it is the canonical spelling of its number ("0001.chunk",
 * "000001.chunk", "+0001.chunk", "00001.Chunk" are refused), so a name and a
 * number map one to one. */
#define MTL_IMMUTABLE_TRIO_FILES 3 /* chunk, primary, secondary */
/* The kind's extension without the dot: 0 "chunk", 1 "primary",
 * 2 "secondary"; NULL for any other kind. */
MTL_API const char *mtl_immutable_trio_ext(unsigned kind);
/* The canonical name of file `kind` of trio `number` ("00042.primary").
 * MTL_ERR_INVALID_ARG for a kind >= MTL_IMMUTABLE_TRIO_FILES (out is then
 * the empty string). */
MTL_API mtl_err mtl_immutable_trio_name(char out[MTL_IMMUTABLE_NAME_BYTES], uint64_t number,
                                        unsigned kind);
/* True when name is the canonical name of a trio file; then *number and
 * *kind (both optional) get its number and kind. A pure predicate: no error
 * is recorded. */
MTL_API bool mtl_immutable_trio_parse(const char *name, uint64_t *number, unsigned *kind);

/* ---- Ancillary manifest -------------------------------------------------
 * The ancillary archive (ledger state and the in-progress trio: files the
 * node needs to start fast, not certified by Mithril) carries
 * "ancillary_manifest.json", the reference's SignableManifest:
 *     {"data":{"<relative path>":"<hex SHA-256 of the file>",...},
 *      "signature":"<hex of a 64-byte Ed25519 signature>"}
 * The data keys are in Rust's PathBuf order (component by component), the
 * JSON compact. The signature is over the manifest hash
 *     SHA-256(path_1 || digest_1 || path_2 || digest_2 || ...)
 * (paths and digests as text, in that order), made with the aggregator's
 * ancillary key (same key format as a genesis key: mtl_genesis_*). The
 * aggregator signs with mtl_ancillary_manifest_sign; the client checks with
 * mtl_ancillary_manifest_verify before it extracts anything, then matches
 * each extracted file against mtl_ancillary_manifest_digest. */
#define MTL_ANCILLARY_MANIFEST_NAME "ancillary_manifest.json"
#define MTL_ANCILLARY_MANIFEST_MAX (1u << 20) /* bytes of manifest text accepted */

/* One manifest entry. In a manifest returned by _verify both strings are
 * owned by the manifest. */
struct mtl_ancillary_file {
    const char *path;   /* relative path inside the DB, e.g. "ledger/1234/state" */
    const char *digest; /* hex SHA-256 of the file's bytes */
};
struct mtl_ancillary_manifest {
    struct mtl_ancillary_file *files; /* manifest order, paths unique */
    size_t count;
};

/* True when path may be a manifest entry: relative, at most 1024 bytes, no
 * empty, "." or ".." component (a trailing slash aside), hence it stays
 * inside the directory it is joined to. A pure predicate. */
MTL_API bool mtl_ancillary_path_ok(const char *path);
/* The manifest hash above over n entries, given in any order (they are
 * hashed in manifest order; values are taken as they are). n may be 0 (the
 * hash of nothing). MTL_ERR_INVALID_ARG for a NULL path or digest,
 * MTL_ERR_NOMEM. */
MTL_API mtl_err mtl_ancillary_manifest_hash(uint8_t md[32], const struct mtl_ancillary_file *files,
                                            size_t n);
/* The signed manifest text for n >= 1 entries (any order; each path passing
 * mtl_ancillary_path_ok and not the manifest's own name, each digest 64
 * lower-case hex digits, no path twice: else MTL_ERR_INVALID_ARG naming the
 * entry), signed with the 32-byte seed sk. *json: NUL-terminated compact
 * JSON, free with mtl_free; *len (optional) its length. */
MTL_API mtl_err mtl_ancillary_manifest_sign(char **json, size_t *len,
                                            const struct mtl_ancillary_file *files, size_t n,
                                            const uint8_t sk[MTL_GENESIS_SK_BYTES]);
/* Parse manifest text (at most MTL_ANCILLARY_MANIFEST_MAX bytes) and check
 * it: a JSON object without duplicate keys, a non-empty "data" object whose
 * keys pass mtl_ancillary_path_ok (and are not the manifest's own name) and
 * whose values are 64 lower-case hex digits, and a "signature" that verifies
 * under vk over the manifest hash. Only then is *out filled (free with
 * mtl_ancillary_manifest_free). Errors, all starting "ancillary manifest:":
 * MTL_ERR_TOO_BIG, MTL_ERR_BAD_ENCODING (JSON, shape, entry named),
 * MTL_ERR_VERIFY_FAIL ("not signed", "signature does not verify with the
 * ancillary verification key"), MTL_ERR_NOMEM. */
MTL_API MTL_NODISCARD mtl_err mtl_ancillary_manifest_verify(
    struct mtl_ancillary_manifest *out, const char *json, size_t len,
    const uint8_t vk[MTL_GENESIS_VK_BYTES]);
/* The digest the manifest lists for path, or NULL (borrowed from m). */
MTL_API const char *mtl_ancillary_manifest_digest(const struct mtl_ancillary_manifest *m,
                                                  const char *path);
/* Index of path in m->files, or -1. */
MTL_API long mtl_ancillary_manifest_find(const struct mtl_ancillary_manifest *m, const char *path);
MTL_API void mtl_ancillary_manifest_free(struct mtl_ancillary_manifest *m);

#ifdef __cplusplus
}
#endif
#endif
