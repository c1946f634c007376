/*
 * mithril/cardano_db.h - the Cardano node's immutable database as Mithril
 * sees it: listing immutable files, the certifiable immutable file number,
 * per-file SHA-256 digests (with a cache), the legacy full-DB digest and the
 * Cardano Database v2 Merkle root, byte-compatible with the reference
 * (spec: shared/spec/cardano-db.md sections 1-2).
 */
#ifndef MITHRIL_CARDANO_DB_H
#define MITHRIL_CARDANO_DB_H

#include <stddef.h>
#include <stdint.h>

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

#ifdef __cplusplus
}
#endif
#endif
