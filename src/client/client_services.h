/* client_services.h - the middle layer of mithril-client: what a command
 * asks for (verify a certificate chain or an artifact, restore a Cardano
 * database), built on the transport layer (client_transport.h) and
 * libmithril. Services never print: they report progress as events through
 * the callback the caller gives (like the chain verifier's), and the
 * command line draws them (client_output.c). They log with util/log.h. */
#ifndef MTL_CLIENT_SERVICES_H
#define MTL_CLIENT_SERVICES_H

#include <limits.h>
#include <stdint.h>

#include "client_transport.h"
#include "mithril/cardano_proofs.h"
#include "mithril/certificate.h"

/* ---- Events -------------------------------------------------------------- */

enum client_event_kind {
    CLIENT_EVENT_STEP,        /* step of total_steps: message */
    CLIENT_EVENT_WARNING,     /* message: something the user should know */
    CLIENT_EVENT_RETRY,       /* message: a transfer failed and is tried again */
    CLIENT_EVENT_ARCHIVES,    /* progress: one more immutable archive restored */
    CLIENT_EVENT_CERTIFICATE, /* cert: one certificate of the chain checked */
};

struct client_progress {
    uint64_t done, total;  /* archives done (restored now or kept) out of total */
    uint64_t fresh;        /* of done, restored by this run */
    uint64_t files, bytes; /* restored by this run */
    double elapsed;        /* seconds since the restore started */
};

struct client_event {
    enum client_event_kind kind;
    int step, total_steps;
    const char *message;
    struct client_progress progress;
    const struct mtl_certificate *cert; /* borrowed for the call */
    int from_cache;
};

/* Where events go. emit may be called from worker threads, one call at a
 * time (the restore engine serialises them). NULL emit: no events. */
struct client_events {
    void (*emit)(void *ctx, const struct client_event *ev);
    void *ctx;
};
void client_emit(const struct client_events *ev, const struct client_event *e);
/* A STEP, WARNING or RETRY event with a formatted message. */
void client_emitf(const struct client_events *ev, enum client_event_kind kind, int step,
                  const char *fmt, ...) MTL_PRINTF(4, 5);

/* What every service needs. */
struct client {
    const char *endpoint;        /* without trailing slash, e.g. http://h:8080/aggregator */
    const char *genesis_vk_text; /* genesis verification key: text or a file holding it */
    const char *cache_dir;       /* verified-certificate cache dir (NULL or "" = none) */
    struct client_events events;
};

/* ---- Verification (client_verify.c) -------------------------------------- */

/* Decode a verification key given as JSON-hex text or as the path of a file
 * holding it (genesis and ancillary keys share the format); errors say
 * `what` it is. */
mtl_err client_key_decode(const char *text, const char *what, uint8_t vk[MTL_GENESIS_VK_BYTES]);
/* The genesis verification key of cl (MTL_ERR_CONFIG when none). */
mtl_err client_genesis_vk(const struct client *cl, uint8_t vk[MTL_GENESIS_VK_BYTES]);
/* Verify the chain from `hash` to genesis (with the verified-hash cache),
 * emitting a CERTIFICATE event per certificate checked. *count (optional)
 * gets their number; *verified (optional) the first certificate as the
 * walk verified it: artifacts are checked against that object only. */
mtl_err client_verify_chain(const struct client *cl, const char *hash, size_t *count,
                            struct mtl_certificate **verified);
/* A Cardano database artifact (JSON body): its certificate's chain first,
 * then the artifact against that certificate. */
mtl_err client_verify_cardano_db(const struct client *cl, const char *body, size_t len);
/* A Cardano stake distribution (JSON body): its certificate's chain first,
 * then the artifact against that certificate (its hash, its epoch, and the
 * Merkle root recomputed from its stakes is the one signed). hash_out gets
 * its recomputed hash, *epoch its epoch. */
mtl_err client_verify_csd(const struct client *cl, const char *body, size_t len,
                          char hash_out[MTL_HASH_HEX_BYTES], uint64_t *epoch);
/* A CardanoTransactions snapshot, a CardanoBlocksTransactions one (JSON
 * body): its certificate's chain first, then the artifact against that
 * certificate. */
mtl_err client_verify_cardano_transactions(const struct client *cl, const char *body, size_t len);
mtl_err client_verify_cardano_blocks_transactions(const struct client *cl, const char *body,
                                                  size_t len);
/* GET a Mithril stake distribution, verify its chain and the artifact
 * against its certificate, and that it is the one asked for. *body:
 * mtl_free. */
mtl_err client_msd_fetch_verified(const struct client *cl, const char *hash, char **body,
                                  size_t *len);
/* Each signer's pool credentials (opcert, party id, KES signature). A
 * signer publishing neither opcert nor KES signature is counted as not
 * authenticated; one publishing either must pass every check, else the
 * first such signer is named. */
mtl_err client_msd_authenticate(const char *body, size_t len, size_t *authenticated, size_t *total);

/* ---- Locations (client_locations.c) ------------------------------------- */

/* The URIs of an artifact part ("immutables", "ancillary", "digests") in the
 * artifact's order: uri.Template when templated, else uri; locations of a
 * type other than cloud_storage and aggregator are skipped (the reference
 * drops unknown ones). Returns how many (at most cap go to out, borrowed
 * from art). */
size_t client_locations(const json_t *art, const char *part, int templated, const char **out,
                        size_t cap);
#define CLIENT_MAX_LOCATIONS 16

/* The failures of the locations tried for one thing. */
struct client_loc_errors {
    int tried;
    size_t used;
    char first[1024]; /* the first failure's message */
    char msg[4096];   /* "[1] url: why; [2] url: why" */
};
/* Record that url failed (why: mtl_err_detail()); when another location
 * follows (more), a WARNING event names the URL and why. */
void client_loc_failed(struct client_loc_errors *le, const struct client_events *ev,
                       const char *what, const char *url, int more);
/* The error once every location failed: with one location its own error;
 * with several "<what>: all N locations failed: [1] url: why; ..."; none
 * tried: MTL_ERR_NOT_FOUND. */
mtl_err client_loc_all_failed(const struct client_loc_errors *le, mtl_err code, const char *what);
/* ---- Transaction and block proofs (client_proofs.c) ---------------------- */

/* Certify hashes (n >= 1, each 64 lower-case hex digits, else
 * MTL_ERR_INVALID_ARG naming it) with the aggregator's proof route of kind:
 * fetch the proof, check its Merkle proofs (mtl_proofs_check), verify the
 * chain of the certificate it names, bind it to that certificate
 * (mtl_proofs_verify); STEP events 1..4. On success *out is the verified
 * set (mtl_certified_set_free): a hash is certified when
 * mtl_certified_set_has says so, never because the aggregator says it.
 * MTL_ERR_NOT_FOUND when the aggregator certifies none of them. */
mtl_err client_proofs_fetch_verified(const struct client *cl, enum mtl_proofs_kind kind,
                                     const char *const *hashes, size_t n,
                                     struct mtl_certified_set *out);

/* ---- Certified digests (client_digests.c) -------------------------------- */

/* One certified file: "00012.chunk" -> digest (64 hex). Sorted by name. */
struct restore_digest {
    char name[MTL_IMMUTABLE_NAME_BYTES];
    char digest[65];
};
/* Look a file name up in the sorted certified map (NULL if absent). */
const struct restore_digest *restore_digest_find(const struct restore_digest *d, size_t n,
                                                 const char *name);
/* Parse a digests list, keeping immutable trio files numbered <= max_number,
 * sorted by name (free *out with mtl_free). */
mtl_err client_digests_parse(const char *json, size_t len, uint64_t max_number,
                             struct restore_digest **out, size_t *count);
/* The Merkle root of the digests must equal the certified root. */
mtl_err client_digests_check_root(const struct restore_digest *d, size_t n,
                                  const char *certified_root);
/* Try the artifact's digests locations in order (no root check). */
mtl_err client_digests_fetch(const json_t *artifact, uint64_t max_number,
                             struct restore_digest **out, size_t *count);
/* Try the artifact's digests locations in order until one serves a list
 * whose Merkle root is certified_root; each failed location is announced
 * (WARNING event) and named in the error when all fail. */
mtl_err client_digests_fetch_certified(const json_t *artifact, uint64_t max_number,
                                       const char *certified_root, const struct client_events *ev,
                                       struct restore_digest **out, size_t *count);

/* ---- Restore engine (client_restore.c) ----------------------------------- */

/* The streaming restore of immutable-file archives: per archive, the
 * transfer (client_http_stream) feeds a pipe (zstd -> ring) read by an
 * unpacking thread (client_unpack_reader) whose entry policy lets only
 * immutable/NNNNN.{chunk,primary,secondary} of that archive's number out:
 * each is written to "<name>.part" (O_NOFOLLOW), hashed while it is
 * written, compared with the certified digest, then renamed. Several
 * archives in parallel; no archive is ever written to disk. */
struct restore_opts {
    const char *url_template;         /* contains {immutable_file_number}; when url_templates is
                                         NULL, the only location */
    const char *const *url_templates; /* the locations, tried in order per archive */
    size_t ntemplates;
    const char *db_dir;                   /* archives hold immutable/NNNNN.* relative to it */
    uint64_t first, last;                 /* immutable numbers, inclusive */
    const struct restore_digest *digests; /* certified map, sorted by name */
    size_t ndigests;
    const char *resume_path;   /* record of archives already restored (NULL = none) */
    const char *artifact_hash; /* resume records are only reused for the same artifact */
    int parallel;              /* concurrent archives (>= 1) */
    uint64_t max_bytes;        /* bound on the bytes the archives may declare (0 = none) */
    uint8_t *verified;         /* out, one per digest: 1 once the file on disk was hashed and
                                  matched (restored now, or kept from a resumed run) */
    const struct client_events *events; /* ARCHIVES and RETRY events (NULL = none) */
};

struct restore_stats {
    uint64_t archives_done, archives_skipped; /* skipped: found in the resume record */
    uint64_t files, bytes;                    /* restored by this run */
};

/* Restore every archive in [first, last]. The first failure stops all
 * transfers; its message names the archive and the file. */
mtl_err client_restore_immutables(const struct restore_opts *o, struct restore_stats *st);
/* The entry policy's name rule: the file name (NNNNN.kind) when `path` (a
 * leading "./" removed) is immutable/<a trio file of archive num> and a
 * regular file; else MTL_ERR_BAD_ENCODING naming the entry. */
mtl_err client_restore_entry_name(uint64_t num, const char *path, int regular,
                                  char name[MTL_IMMUTABLE_NAME_BYTES]);

/* ---- Ancillary files (client_ancillary.c) -------------------------------- */

/* Each ancillary location in order until one is restored (failures
 * announced as WARNING events, all named when every one fails). */
mtl_err client_ancillary_restore_any(const char *const *urls, size_t n, const char *db_dir,
                                     const uint8_t vk[32], uint64_t max_bytes,
                                     const struct client_events *ev);
/* Download the archive at url (http(s) only) to a private temp file in
 * db_dir, check the manifest's signature under vk first, then extract only
 * the files it lists (each hashed and matched, all together at most
 * max_bytes, 0 = unbounded) into a temp dir, move them into db_dir, remove
 * the temp file and dir. */
mtl_err client_ancillary_restore(const char *url, const char *db_dir, const uint8_t vk[32],
                                 uint64_t max_bytes);
/* Check dir/ancillary_manifest.json of an unpacked archive: the signature
 * under vk, then every listed file's SHA-256. *nfiles (optional) gets the
 * number of files listed. */
mtl_err client_ancillary_verify_dir(const char *dir, const uint8_t vk[32], size_t *nfiles);

/* ---- cardano-db download (client_download.c) ----------------------------- */

/* GET the CardanoDatabase artifact `hash` (64 hex): *body as served
 * (mtl_free), *art parsed (json_decref, set even when a later check fails),
 * *last its beacon's immutable file number. Nothing is verified here. */
mtl_err client_cardano_db_get(const struct client *cl, const char *hash, char **body, size_t *len,
                              json_t **art, uint64_t *last);
/* The reference's immutable file range: [start, end] with -1 for an open
 * end (from 0, to last); MTL_ERR_INVALID_ARG when empty or past last. */
mtl_err client_immutable_range(long long start, long long end, uint64_t last, uint64_t *lo,
                               uint64_t *hi);

struct client_dl_request {
    const char *hash;            /* artifact hash or "latest" */
    const char *dir;             /* the DB goes to <dir>/db */
    const uint8_t *ancillary_vk; /* 32 bytes: also restore the ancillary files (NULL: no) */
    long long start, end;        /* immutable range (-1: from 0 / to the last) */
    int allow_override, parallel;
};

struct client_dl_result {
    char hash[MTL_HASH_HEX_BYTES];
    char db_dir[PATH_MAX]; /* canonical path of <dir>/db */
    char network[64];      /* "" when the artifact has none */
    char node_version[64]; /* "" when the artifact has none */
    struct restore_stats stats;
};

/* Six steps, each announced by a STEP event: disk, certificate chain and
 * artifact, certified digests (Merkle root), archives (every file checked as
 * it is written), the whole DB, node markers (and the ancillary files,
 * signature first, when asked); then usage statistics are posted. */
mtl_err client_cardano_db_download(const struct client *cl, const struct client_dl_request *rq,
                                   struct client_dl_result *res);

/* ---- cardano-db verify (client_db_verify.c) ------------------------------- */

struct client_verify_request {
    const char *hash;     /* artifact hash or "latest" */
    const char *db_dir;   /* the node's DB (holding immutable/) */
    long long start, end; /* immutable range (-1: from 0 / to the last) */
    int allow_missing;    /* absent files of the range are not an error */
    unsigned threads;     /* hashing threads (0: all online CPUs) */
    /* called once the range is known, before the chain is verified (NULL: no) */
    void (*on_range)(void *ctx, uint64_t first, uint64_t last);
    void *ctx;
};

/* File names (NNNNN.kind) of a verification report. */
struct client_file_names {
    char (*name)[MTL_IMMUTABLE_NAME_BYTES];
    size_t count;
};

struct client_verify_result {
    char hash[MTL_HASH_HEX_BYTES];
    char immutables_dir[PATH_MAX]; /* where the local files were found */
    uint64_t first, last;          /* the range checked */
    size_t checked;                /* local files of the range hashed */
    uint64_t bytes;
    /* certified files of the range absent (empty with allow_missing), local
     * files whose SHA-256 is not the certified one, local files of the range
     * with no certified digest */
    struct client_file_names missing, tampered, non_verifiable;
};

/* Check a node's DB against a certified snapshot without downloading it:
 * the local immutable files are listed first (none: an error), then the
 * artifact is fetched, its certificate chain verified to genesis and the
 * artifact checked against that certificate, its digests fetched and
 * checked against the certified Merkle root, and every local file of the
 * range hashed (rq->threads threads, the digest code the signer uses, no
 * cache: the bytes themselves are read). MTL_OK when every certified file
 * of the range is there and matches; MTL_ERR_INTEGRITY naming them when
 * some are missing, altered or not certified (the lists in res); other
 * errors with empty lists. Free res with client_verify_result_free. */
mtl_err client_cardano_db_verify(const struct client *cl, const struct client_verify_request *rq,
                                 struct client_verify_result *res);
void client_verify_result_free(struct client_verify_result *res);

#endif
