/* client_int.h - declarations shared by the mithril-client source files. */
#ifndef MTL_CLIENT_INT_H
#define MTL_CLIENT_INT_H

#include <jansson.h>
#include <stdint.h>

#include "common/common_int.h"
#include "mithril/certificate.h"

/* Exit codes: 0 ok, 1 failure (network, verification, I/O), 2 usage. */
enum { CLIENT_EXIT_OK = 0, CLIENT_EXIT_FAIL = 1, CLIENT_EXIT_USAGE = 2 };

/* Largest JSON document accepted from an aggregator. */
#define CLIENT_JSON_MAX (64u << 20)

struct client {
    char *endpoint;              /* without trailing slash, e.g. http://h:8080/aggregator */
    int json;                    /* --json: one JSON document on stdout, JSON lines on stderr */
    int verbose;                 /* count of -v */
    const char *genesis_vk_text; /* --genesis-verification-key or env, may be a file path */
    const char *cache_dir;       /* verified-certificate cache dir (NULL = none) */
};

/* GET <endpoint><route>; body NUL-terminated, mtl_malloc'ed. HTTP 404 gives
 * MTL_ERR_NOT_FOUND, other non-2xx MTL_ERR_HTTP, all naming the URL. */
mtl_err client_get(const struct client *cl, const char *route, char **body, size_t *len);
/* POST a JSON body (NULL = empty); only 2xx succeeds. */
mtl_err client_post(const struct client *cl, const char *route, const char *json);
/* GET and parse as JSON (decref the result). */
mtl_err client_get_json(const struct client *cl, const char *route, json_t **out);

/* Decode the genesis verification key (text or path to a file holding it). */
mtl_err client_genesis_vk(const struct client *cl, uint8_t vk[MTL_GENESIS_VK_BYTES]);
/* Verify the chain from `hash` to genesis; prints each certificate checked
 * when `print` (to stdout as a table row, or collected into `checked_json`
 * when it is not NULL). *verified (optional) gets the first certificate as
 * the walk verified it: artifacts are checked against that object only. */
mtl_err client_verify_chain(const struct client *cl, const char *hash, int print,
                            json_t *checked_json, size_t *count, struct mtl_certificate **verified);

/* Resolve "latest" to the first item hash of a list route; else copy. */
mtl_err client_resolve_hash(const struct client *cl, const char *list_route, const char *arg,
                            char out[MTL_HASH_HEX_BYTES]);

/* mkdir -p with the given mode for created directories. */
mtl_err client_mkdir_p(const char *dir, unsigned mode);
/* Print a JSON value on stdout (pretty unless compact). */
void client_print_json(const json_t *j);
/* One "Label  value" line of a show command, the label padded to width: a
 * string field of o ("?" when absent) or an integer one. */
void client_show_str(int width, const char *label, const json_t *o, const char *key);
void client_show_int(int width, const char *label, const json_t *o, const char *key);
/* Report an error: "mithril-client: <what>: <detail>" (or JSON line). */
int client_fail(const struct client *cl, mtl_err e, const char *what);

int cmd_certificate(struct client *cl, int argc, char **argv);
int cmd_cardano_db(struct client *cl, int argc, char **argv);
int cmd_msd(struct client *cl, int argc, char **argv);
int cmd_cardano_db_download(struct client *cl, int argc, char **argv);

#endif
