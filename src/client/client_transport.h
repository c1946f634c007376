/* client_transport.h - the bottom layer of mithril-client: HTTP (the
 * aggregator's JSON routes, and one streaming GET that every download goes
 * through), one libarchive unpack loop driven by an entry-policy callback,
 * the zstd pipe between a transfer and an unpacker, and file helpers.
 * Nothing here knows certificates or artifacts; nothing here prints.
 * Layers: commands (client_cli.h) -> services (client_services.h) ->
 * transport (this file) -> libmithril. */
#ifndef MTL_CLIENT_TRANSPORT_H
#define MTL_CLIENT_TRANSPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common_int.h"
#include "mithril/cardano_db.h"

/* Largest JSON document accepted from an aggregator. */
#define CLIENT_JSON_MAX (64u << 20)

/* ---- HTTP (client_http.c) ----------------------------------------------- */

/* Every request below carries "mithril-client-type: CLI" and, once set
 * here, "mithril-origin-tag: <tag>" (NULL or "": none). Call before any
 * request (not thread-safe); MTL_ERR_INVALID_ARG for a tag that is not
 * 1-100 printable ASCII characters without spaces. */
mtl_err client_http_identity(const char *origin_tag);
/* GET <endpoint><route>; body NUL-terminated, mtl_malloc'ed. HTTP 404 gives
 * MTL_ERR_NOT_FOUND, other non-2xx MTL_ERR_HTTP, all naming the URL. */
mtl_err client_get(const char *endpoint, const char *route, char **body, size_t *len);
/* GET and parse as JSON (decref the result). */
mtl_err client_get_json(const char *endpoint, const char *route, json_t **out);
/* POST a JSON body (NULL = empty); only 2xx succeeds. */
mtl_err client_post(const char *endpoint, const char *route, const char *json);
/* Resolve "latest" to the first item hash of a list route; else check and
 * copy a 64-hex hash. */
mtl_err client_resolve_hash(const char *endpoint, const char *list_route, const char *arg,
                            char out[MTL_HASH_HEX_BYTES]);

/* One streaming GET. The sink gets the body as it arrives. */
struct client_stream {
    const char *what; /* names the transfer in errors: "archive 00002", "digests" */
    /* Body bytes; return 0 to go on, non-zero to stop (the sink keeps why). */
    int (*write)(void *ctx, const uint8_t *p, size_t n);
    /* Polled during the transfer; non-zero cancels it (NULL: never). */
    int (*cancelled)(void *ctx);
    void *ctx;
    long buffer_bytes; /* libcurl receive buffer (0: libcurl's default) */
    long timeout_s;    /* whole transfer (0: none; a stalled one stops after 120 s) */
};
/* GET url with the mithril-api-version header, streamed to s->write. Only
 * http:// and https://, for the URL and any redirect (never file://,
 * ftp://...). Returns MTL_OK once the whole body was delivered;
 * MTL_ERR_BAD_ENCODING "<what>: location '<url>' refused (only http:// and
 * https://)" before any transfer; MTL_ERR_HTTP "<what>: GET <url>: <reason>
 * (HTTP <status>)" when the transfer failed by itself (the caller may
 * retry), MTL_ERR_NOT_FOUND (same message) for an HTTP 404; MTL_ERR_STATE
 * when write or cancelled stopped it (the caller knows why). */
mtl_err client_http_stream(const char *url, const struct client_stream *s);
/* The location check client_http_stream starts with (same error). */
mtl_err client_http_check_url(const char *url, const char *what);
/* A whole body into memory (NUL-terminated, mtl_free), at most cap bytes
 * (else MTL_ERR_TOO_BIG "GET <url>: larger than <cap> bytes"). */
mtl_err client_http_fetch(const char *url, const char *what, size_t cap, char **out, size_t *len);

/* ---- Unpacking (client_unpack.c) ---------------------------------------- */

/* One archive entry as an entry policy sees it. */
struct client_entry {
    const char *name; /* path, a leading "./" removed ("" when it has none) */
    int regular;      /* a regular file */
    int directory;
    int size_known; /* the header declares the size */
    int64_t size;
    void *archive; /* the libarchive reader, for client_entry_write/_read */
};
/* The entry policy: decides on one entry and consumes its data if it wants
 * it (doing nothing skips it). An error stops the unpacking and is
 * returned as it is; *stop = 1 ends it early with MTL_OK. */
struct client_unpack {
    const char *what; /* names the archive in errors */
    mtl_err (*policy)(void *ctx, struct client_entry *e, int *stop);
    void *ctx;
};

/* Unpack a tar, tar.zst or tar.gz from a file, memory or a block reader
 * (read returns the number of bytes at *out, 0 at the end), calling the
 * policy for each entry. Errors: "<what>: <reason>" when it cannot be
 * opened, "<what> is corrupt: <reason>" for a bad header. */
mtl_err client_unpack_file(const char *path, const struct client_unpack *u);
mtl_err client_unpack_memory(const void *p, size_t n, const struct client_unpack *u);
mtl_err client_unpack_reader(ssize_t (*read)(void *rctx, const void **out), void *rctx,
                             const struct client_unpack *u);
/* Write the entry's data to fd (closed here), hashing it while it is
 * written: hex gets its SHA-256, *bytes its size. Sparse entries are
 * refused. Errors start with `label` (what the entry is). */
mtl_err client_entry_write(struct client_entry *e, int fd, const char *path, const char *label,
                           char hex[65], uint64_t *bytes);
/* Append the entry's data to out (capped by out's limit). */
mtl_err client_entry_read(struct client_entry *e, struct mtl_buf *out, const char *label);

/* ---- Pipe: transfer -> (zstd) -> ring -> unpacker (client_pipe.c) ------ */

/* A bounded hand-off of body bytes from the transfer thread to the
 * unpacking thread. zstd bodies (sniffed by their frame magic) are
 * decompressed straight into a small ring of large buffers on the transfer
 * thread; other bodies pass as they are. */
struct client_pipe;
mtl_err client_pipe_new(struct client_pipe **out);
void client_pipe_free(struct client_pipe *p);
/* Producer: a client_stream write callback (ctx = the pipe). */
int client_pipe_write(void *pipe, const uint8_t *p, size_t n);
/* Producer, after the transfer: flush and mark the end. transfer_ok says
 * the transfer completed; a zstd stream must then end its frame. Returns
 * MTL_ERR_BAD_ENCODING "zstd: ..." when the body did not decode (the
 * consumer is stopped first so it does not judge a partial stream). */
mtl_err client_pipe_finish(struct client_pipe *p, int transfer_ok);
/* Consumer: a client_block_reader (ctx = the pipe). */
ssize_t client_pipe_read(void *pipe, const void **out);
/* Consumer: stop reading (the producer's next write fails), or, after the
 * archive's end, discard the rest (padding) so that the transfer completes. */
void client_pipe_close(struct client_pipe *p);
void client_pipe_drain(struct client_pipe *p);

/* ---- Files (client_files.c) --------------------------------------------- */

/* mkdir -p with the given mode for created directories. */
mtl_err client_mkdir_p(const char *dir, unsigned mode);
/* SHA-256 of a file's content as lower-case hex (symlinks not followed);
 * MTL_ERR_NOT_FOUND when it does not exist. */
mtl_err client_sha256_file(const char *path, char hex[65]);
/* Remove a directory tree (no error when absent). */
void client_rm_tree(const char *dir);

#endif
