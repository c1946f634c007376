/* aggregator_fake.c - serves a directory of reference-format JSON files on
 * the aggregator's read routes (like the reference's mithril-aggregator-fake)
 * so that clients can be tested against real reference data.
 *   aggregator-fake --data-dir DIR [--ip 127.0.0.1] [--port 0] [--port-file F]
 * Port 0 picks a free port; it is printed on stdout ("port=N") and written to
 * --port-file. Stops on SIGINT/SIGTERM.
 * --files-dir D also serves D/<path> on /aggregator/cardano-database-download/<path>
 * (archives, digests) and rewrites "http://localhost:8080/aggregator" in the
 * JSON it serves to its own address, so artifact locations point at it.
 * DATA/cardano-database-digests.json, when present, is served on
 * /aggregator/artifact/cardano-database/digests. Cardano stake distributions
 * are also served by epoch (.../epoch/{E|latest|latest-N}: latest is the
 * newest epoch of the file).
 * Proof routes (/proof/cardano-transaction, /proof/v2/cardano-transaction,
 * /proof/v2/cardano-block) answer from ctx-proofs.json, ctx-proofs-v2.json
 * and cblk-proofs.json, messages keyed by the one hash they prove: v1
 * merges the entries of every known hash asked for; v2 and blocks, whose
 * one proof cannot be merged, answer the message of the first known hash.
 * Hashes asked for and not proven are listed as non certified; none known:
 * certified_transactions [] (v1) or certified_* null (v2, blocks). A
 * missing or malformed hash list is a 400, as the aggregator. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common_int.h"
#include "httpd.h"
#include "log.h"
#include "program.h"

/* route prefix -> (list file, detail file keyed by hash); by_epoch: the
 * items are also served under <item_prefix>epoch/<epoch> */
static const struct {
    const char *list_route, *item_prefix, *list_file, *items_file;
    int by_epoch;
} ROUTES[] = {
    {"/certificates", "/certificate/", "certificates-list.json", "certificates.json", 0},
    {"/artifact/mithril-stake-distributions", "/artifact/mithril-stake-distribution/",
     "mithril-stake-distributions-list.json", "mithril-stake-distributions.json", 0},
    {"/artifact/cardano-database", "/artifact/cardano-database/", "cardano-databases-list.json",
     "cardano-databases.json", 0},
    {"/artifact/cardano-stake-distributions", "/artifact/cardano-stake-distribution/",
     "cardano-stake-distributions-list.json", "cardano-stake-distributions.json", 1},
    {"/artifact/cardano-transactions", "/artifact/cardano-transaction/", "ctx-snapshots-list.json",
     "ctx-snapshots.json", 0},
    {"/artifact/cardano-blocks-transactions", "/artifact/cardano-blocks-transactions/",
     "cardano-blocks-txs-snapshots-list.json", "cardano-blocks-txs-snapshots.json", 0},
};

/* proof route -> (query parameter, file of messages keyed by hash, the
 * certified and non-certified fields) */
static const struct {
    const char *route, *param, *file, *certified, *non_certified;
    bool v1;
} PROOFS[] = {
    {"/proof/cardano-transaction", "transaction_hashes", "ctx-proofs.json",
     "certified_transactions", "non_certified_transactions", true},
    {"/proof/v2/cardano-transaction", "transaction_hashes", "ctx-proofs-v2.json",
     "certified_transactions", "non_certified_transactions", false},
    {"/proof/v2/cardano-block", "block_hashes", "cblk-proofs.json", "certified_blocks",
     "non_certified_blocks", false},
};

struct fake {
    json_t *files[MTL_ARRAY_LEN(ROUTES)][2];
    json_t *proofs[MTL_ARRAY_LEN(PROOFS)];
    json_t *status, *epoch_settings, *digests;
    const char *files_dir;
    long throttle_ms;  /* delay before each file (tests of interrupted downloads) */
    char self_url[96]; /* http://ip:port/aggregator, for the rewrite */
};

#define ORIGINAL_URL "http://localhost:8080/aggregator"

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* s with every ORIGINAL_URL replaced by to (mtl_malloc'ed, NULL on OOM). */
static char *rewrite(const char *s, const char *to)
{
    size_t n = 0, fl = strlen(ORIGINAL_URL), tl = strlen(to);
    for (const char *p = s; (p = strstr(p, ORIGINAL_URL)); p += fl)
        n++;
    char *out = mtl_malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = s, *q; *p; p = q + fl) {
        q = strstr(p, ORIGINAL_URL);
        if (!q) {
            strcpy(o, p);
            return out;
        }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, tl);
        o += tl;
        *o = '\0';
    }
    return out;
}

static const struct fake *the_fake;

static void reply(struct app_http_response *r, const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s && the_fake && the_fake->files_dir && the_fake->self_url[0]) {
        char *t = rewrite(s, the_fake->self_url);
        app_http_json(r, 200, t ? t : "null");
        mtl_free(t);
    } else {
        app_http_json(r, 200, s ? s : "null");
    }
    free(s);
}

/* Static files under --files-dir; only plain relative paths. */
static void serve_file(const struct fake *f, const char *rel, struct app_http_response *r)
{
    static __thread char path[4096];
    if (!*rel || rel[0] == '/' || strstr(rel, "..") || strlen(rel) > 1024) {
        app_http_error(r, 404, "not_found", "no file %s", rel);
        return;
    }
    if (f->throttle_ms > 0)
        usleep((useconds_t)f->throttle_ms * 1000);
    if (mtl_path_fmt(path, sizeof(path), "%s/%s", f->files_dir, rel) != MTL_OK) {
        app_http_error(r, 404, "not_found", "no file %s", rel);
        return;
    }
    r->status = 200;
    r->file_path = path;
}

/* The item of an epoch spec (a number, latest or latest-N), or NULL. */
static json_t *item_by_epoch(json_t *items, const char *spec)
{
    const char *k;
    json_t *v, *found = NULL;
    json_int_t max = -1, want = -1;
    json_object_foreach(items, k, v) if (json_integer_value(json_object_get(v, "epoch")) > max)
        max = json_integer_value(json_object_get(v, "epoch"));
    if (strncmp(spec, "latest", 6) == 0)
        want = spec[6] == '-' && spec[7] >= '0' && spec[7] <= '9' ? max - atoll(spec + 7)
               : spec[6] == 0                                    ? max
                                                                 : -1;
    else if (*spec >= '0' && *spec <= '9')
        want = atoll(spec);
    json_object_foreach(items, k, v) if (want >= 0 &&
                                         json_integer_value(json_object_get(v, "epoch")) == want)
        found = v;
    return found;
}

static bool is_hash(const char *h, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

/* Whether a v2/blocks message lists hash among its certified items. */
static bool v2_lists(const json_t *msg, const char *certified, const char *hash)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(json_object_get(msg, certified), "items"), i, it)
    {
        const char *h = json_string_value(json_object_get(it, "transaction_hash"));
        if (!h)
            h = json_string_value(json_object_get(it, "block_hash"));
        if (h && strcmp(h, hash) == 0)
            return true;
    }
    return false;
}

/* The answer to the hashes of list (comma-separated), built from the stored
 * messages (see the header comment); NULL with *bad set for a bad list. */
static json_t *proof_answer(size_t k, const json_t *msgs, const char *list, const char **bad)
{
    json_t *out = NULL, *nc = json_array(), *entries = json_array();
    const char *key;
    json_t *any = NULL;
    json_object_foreach((json_t *)msgs, key, any) break; /* a template when none is known */
    for (const char *p = list, *next; p; p = next) {
        size_t n = strcspn(p, ",");
        next = p[n] ? p + n + 1 : NULL;
        char h[65];
        if (!is_hash(p, n)) {
            *bad = "a hash is not 64 lower-case hex digits";
            break;
        }
        memcpy(h, p, 64);
        h[64] = 0;
        json_t *m = json_object_get(msgs, h);
        if (m && PROOFS[k].v1) {
            json_array_extend(entries, json_object_get(m, PROOFS[k].certified));
            if (!out)
                out = json_deep_copy(m);
        } else if (m && !out) {
            out = json_deep_copy(m);
        } else if (!out || !v2_lists(out, PROOFS[k].certified, h)) {
            json_array_append_new(nc, json_string(h));
        }
    }
    if (!*bad && !out && any) {
        out = json_deep_copy(any);
        json_object_set_new(out, PROOFS[k].certified, PROOFS[k].v1 ? json_array() : json_null());
    }
    if (out && PROOFS[k].v1)
        json_object_set(out, PROOFS[k].certified, entries);
    if (out)
        json_array_extend(json_object_get(out, PROOFS[k].non_certified), nc);
    json_decref(nc);
    json_decref(entries);
    if (*bad) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* The proof routes: true when path is one of them (answered). */
static bool proof_route(const struct fake *f, const char *path, struct app_http_response *r)
{
    for (size_t k = 0; k < MTL_ARRAY_LEN(PROOFS); k++) {
        if (strcmp(path, PROOFS[k].route) != 0 || !f->proofs[k])
            continue;
        const char *list = app_httpd_query(PROOFS[k].param), *bad = NULL;
        if (!list || !*list) {
            app_http_error(r, 400, "bad_request", "missing query parameter %s", PROOFS[k].param);
            return true;
        }
        json_t *ans = proof_answer(k, f->proofs[k], list, &bad);
        if (!ans) {
            app_http_error(r, 400, "bad_request", "%s: %s", PROOFS[k].param,
                           bad ? bad : "no proof data");
            return true;
        }
        reply(r, ans);
        json_decref(ans);
        return true;
    }
    return false;
}

static void handle(void *ctx, const char *method, const char *path, const char *body,
                   size_t body_len, struct app_http_response *r)
{
    struct fake *f = ctx;
    log_debug("request", "method=%s path=%s", method, path);
    if (strcmp(method, "GET") != 0) {
        app_http_error(r, 405, "method_not_allowed", "%s is not served here", method);
        return;
    }
    if (strncmp(path, "/aggregator", 11) != 0) {
        app_http_error(r, 404, "not_found", "no route %s", path);
        return;
    }
    path += 11;
    if (strcmp(path, "") == 0 || strcmp(path, "/") == 0) {
        app_http_json(r, 200,
                      "{\"open_api_version\":\"" MTL_API_VERSION "\",\"documentation_url\":"
                      "\"https://mithril.network\",\"capabilities\":{\"signed_entity_types\":"
                      "[\"MithrilStakeDistribution\",\"CardanoDatabase\"]}}");
        return;
    }
    if (strcmp(path, "/status") == 0 && f->status)
        return reply(r, f->status);
    if (strcmp(path, "/epoch-settings") == 0 && f->epoch_settings)
        return reply(r, f->epoch_settings);
    if (strcmp(path, "/artifact/cardano-database/digests") == 0 && f->digests)
        return reply(r, f->digests);
    if (f->files_dir && strncmp(path, "/cardano-database-download/", 27) == 0)
        return serve_file(f, path + 27, r);
    if (proof_route(f, path, r))
        return;
    for (size_t i = 0; i < MTL_ARRAY_LEN(ROUTES); i++) {
        if (strcmp(path, ROUTES[i].list_route) == 0 && f->files[i][0])
            return reply(r, f->files[i][0]);
        size_t pl = strlen(ROUTES[i].item_prefix);
        if (strncmp(path, ROUTES[i].item_prefix, pl) == 0 && f->files[i][1]) {
            const char *key = path + pl;
            json_t *item = NULL;
            if (ROUTES[i].by_epoch && strncmp(key, "epoch/", 6) == 0) {
                item = item_by_epoch(f->files[i][1], key + 6);
            } else if (strcmp(key, "genesis") == 0 && i == 0) { /* the certificate with no parent */
                const char *k;
                json_t *v;
                json_object_foreach(f->files[i][1], k,
                                    v) if (!*json_string_value(json_object_get(v, "previous_hash")))
                    item = v;
            } else {
                item = json_object_get(f->files[i][1], key);
            }
            if (item)
                return reply(r, item);
            app_http_error(r, 404, "not_found", "no item %s", key);
            return;
        }
    }
    app_http_error(r, 404, "not_found", "no route %s", path);
}

static json_t *load(const char *dir, const char *name)
{
    char p[4096];
    if (mtl_path_fmt(p, sizeof(p), "%s/%s", dir, name) != MTL_OK || access(p, R_OK) != 0)
        return NULL;
    json_error_t e;
    json_t *j = json_load_file(p, JSON_PRESERVE_ORDER, &e);
    if (!j)
        log_error("bad_file", "file=%s error=\"%s\" line=%d", p, e.text, e.line);
    return j;
}

int main(int argc, char **argv)
{
    if (app_prog_version("aggregator-fake", argc, argv))
        return 0;
    const char *dir = NULL, *ip = "127.0.0.1", *port_file = NULL, *files_dir = NULL;
    long port = 0, throttle_ms = 0;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--data-dir") == 0 && v)
            dir = v, i++;
        else if (strcmp(a, "--ip") == 0 && v)
            ip = v, i++;
        else if (strcmp(a, "--port") == 0 && v)
            port = strtol(v, NULL, 10), i++;
        else if (strcmp(a, "--throttle-ms") == 0 && v)
            throttle_ms = strtol(v, NULL, 10), i++;
        else if (strcmp(a, "--files-dir") == 0 && v)
            files_dir = v, i++;
        else if (strcmp(a, "--port-file") == 0 && v)
            port_file = v, i++;
        else if (strncmp(a, "-v", 2) == 0 && strspn(a + 1, "v") == strlen(a + 1))
            verbose += (int)strlen(a + 1);
        else {
            fprintf(stderr, "usage: aggregator-fake --data-dir DIR [--ip IP] [--port N] "
                            "[--port-file FILE] [--files-dir DIR] [--throttle-ms N] [-v...]\n");
            return strcmp(a, "--help") == 0 ? 0 : 2;
        }
    }
    app_log_setup("aggregator-fake", verbose, false);
    if (!dir || port < 0 || port > 65535) {
        fprintf(stderr, "aggregator-fake: --data-dir is required (and --port in 0..65535)\n");
        return 2;
    }
    mtl_init();
    struct fake f = {0};
    for (size_t i = 0; i < MTL_ARRAY_LEN(ROUTES); i++) {
        f.files[i][0] = load(dir, ROUTES[i].list_file);
        f.files[i][1] = load(dir, ROUTES[i].items_file);
    }
    for (size_t k = 0; k < MTL_ARRAY_LEN(PROOFS); k++)
        f.proofs[k] = load(dir, PROOFS[k].file);
    f.status = load(dir, "status.json");
    f.epoch_settings = load(dir, "epoch-settings.json");
    f.digests = load(dir, "cardano-database-digests.json");
    f.files_dir = files_dir;
    f.throttle_ms = throttle_ms;
    if (!f.files[0][1]) {
        fprintf(stderr, "aggregator-fake: %s/certificates.json is missing or invalid\n", dir);
        return 1;
    }
    struct app_httpd *h;
    if (app_httpd_start(&h, ip, (uint16_t)port, 1 << 20, handle, &f) != MTL_OK) {
        fprintf(stderr, "aggregator-fake: %s\n", mtl_err_detail());
        return 1;
    }
    snprintf(f.self_url, sizeof(f.self_url), "http://%s:%u/aggregator", ip, app_httpd_port(h));
    the_fake = &f;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("port=%u\n", app_httpd_port(h));
    fflush(stdout);
    if (port_file) {
        char s[16];
        int n = snprintf(s, sizeof(s), "%u\n", app_httpd_port(h));
        mtl_atomic_write(port_file, s, (size_t)n, 0644);
    }
    log_info("listening", "ip=%s port=%u data_dir=%s", ip, app_httpd_port(h), dir);
    while (!stop)
        pause();
    app_httpd_stop(h);
    for (size_t i = 0; i < MTL_ARRAY_LEN(ROUTES); i++) {
        json_decref(f.files[i][0]);
        json_decref(f.files[i][1]);
    }
    for (size_t k = 0; k < MTL_ARRAY_LEN(PROOFS); k++)
        json_decref(f.proofs[k]);
    json_decref(f.status);
    json_decref(f.epoch_settings);
    json_decref(f.digests);
    return 0;
}
