/* client_restore.h - the streaming restore of immutable-file archives:
 * libcurl -> zstd (in the transfer thread) -> buffer ring -> libarchive (tar,
 * or gzip + tar) -> files, each file hashed
 * with SHA-256 while it is written and checked against the certified digest
 * before it gets its final name. Several archives in parallel; no archive is
 * ever written to disk. */
#ifndef MTL_CLIENT_RESTORE_H
#define MTL_CLIENT_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"

/* One certified file: "00012.chunk" -> digest (64 hex). Sorted by name. */
struct restore_digest {
    char name[32];
    char digest[65];
};

struct restore_opts {
    const char *url_template;             /* contains {immutable_file_number} */
    const char *db_dir;                   /* archives hold immutable/NNNNN.* relative to it */
    uint64_t first, last;                 /* immutable numbers, inclusive */
    const struct restore_digest *digests; /* certified map, sorted by name */
    size_t ndigests;
    const char *resume_path;   /* record of archives already restored (NULL = none) */
    const char *artifact_hash; /* resume records are only reused for the same artifact */
    int parallel;              /* concurrent archives (>= 1) */
    int json_progress;         /* progress as JSON lines on stderr */
    int tty_progress;          /* a progress bar on stderr */
    uint64_t max_bytes;        /* bound on the bytes the archives may declare (0 = none) */
    uint8_t *verified;         /* out, one per digest: 1 once the file on disk was hashed and
                                  matched (restored now, or kept from a resumed run) */
};

struct restore_stats {
    uint64_t archives_done, archives_skipped; /* skipped: found in the resume record */
    uint64_t files, bytes;                    /* restored by this run */
};

/* Restore every archive in [first, last]. The first failure stops all
 * transfers; its message names the archive and the file. */
mtl_err client_restore_immutables(const struct restore_opts *o, struct restore_stats *st);

/* Write the current entry of archive a (struct archive *) to fd, hashing
 * it: hex gets its SHA-256, *bytes its size. Sparse entries are refused;
 * fd is closed. Errors start with `label` (what the entry is). */
struct archive;
mtl_err restore_write_entry(struct archive *a, int fd, const char *path, const char *label,
                            char hex[65], uint64_t *bytes);

/* SHA-256 of a file's content as lower-case hex; MTL_ERR_NOT_FOUND when it
 * does not exist. */
mtl_err restore_sha256_file(const char *path, char hex[65]);
/* 1 when p is a relative path with no empty, "." or ".." component (the
 * names an ancillary archive may hold). */
int restore_safe_relpath(const char *p);

/* Look a file name up in the sorted certified map (NULL if absent). */
const struct restore_digest *restore_digest_find(const struct restore_digest *d, size_t n,
                                                 const char *name);

/* Point a libcurl handle (CURL *) at a location the server gave: http(s)
 * only, for the URL and any redirect (never file://, ftp://, ...); also
 * sets what every location fetch shares (fail on HTTP errors, follow
 * redirects, no signals, 30 s to connect).
 * MTL_ERR_BAD_ENCODING names the refused URL; `what` says whose it is. */
mtl_err restore_set_url(void *curl, const char *what, const char *url);

/* Download a (possibly tar.zst/tar.gz) single-file location into memory:
 * when `archived`, the only regular file of the archive. Capped. */
mtl_err client_fetch_location(const char *url, int archived, size_t cap, char **out, size_t *len);

#endif
