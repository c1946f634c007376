/*
 * aggregator_explorer.c - the explorer web app under /explorer/: static files
 * from EXPLORER_DIRECTORY, the WebAssembly module from EXPLORER_WASM_DIRECTORY
 * (/explorer/wasm/...), and /explorer/config.json (this aggregator's network
 * and genesis verification key, the page's defaults).
 *
 * Only GET/HEAD; a path is served only if every segment is made of
 * [A-Za-z0-9_.-] without a leading dot (no "..", no hidden file), its
 * extension has a known content type, and the resolved file (symlinks
 * followed) still lies under its root.
 */
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "mithril/certificate.h"

#define EXPLORER_PREFIX "/explorer"

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".wasm", "application/wasm"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < MTL_ARRAY_LEN(TYPES); i++)
        if (strcmp(dot, TYPES[i].ext) == 0)
            return TYPES[i].type;
    return NULL;
}

/* Every segment non-empty, of [A-Za-z0-9_.-], not starting with a dot. */
static int safe_relative(const char *rel)
{
    if (!*rel)
        return 0;
    for (const char *seg = rel; *seg;) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || seg[0] == '.')
            return 0;
        for (size_t i = 0; i < n; i++) {
            char ch = seg[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '_' || ch == '-' || ch == '.'))
                return 0;
        }
        seg += n;
        if (*seg == '/' && !*++seg)
            return 0; /* trailing slash */
    }
    return 1;
}

/* root/rel when it resolves to a regular file under root: 1 and the resolved
 * path in out; 0 when absent or outside. */
static int resolve_under(const char *root, const char *rel, char out[PATH_MAX])
{
    char base[PATH_MAX], joined[PATH_MAX * 2];
    if (!realpath(root, base))
        return 0;
    snprintf(joined, sizeof(joined), "%s/%s", base, rel);
    if (!realpath(joined, out))
        return 0;
    size_t n = strlen(base);
    return strncmp(out, base, n) == 0 && out[n] == '/';
}

/* The genesis verification key (JSON-hex) this aggregator is configured with,
 * read from its file when the setting names one; "" when none or invalid. */
static char *genesis_vkey_text(const struct agg_config *c)
{
    const char *src = c->genesis_verification_key;
    uint8_t *data = NULL, vk[MTL_GENESIS_VK_BYTES];
    size_t len = 0;
    char *txt = NULL;
    if (src[0] && mtl_read_file(src, 4096, &data, &len) == MTL_OK) {
        txt = mtl_strndup((const char *)data, len);
        mtl_free(data);
    } else {
        mtl_err_clear();
        txt = mtl_strdup(src);
    }
    if (!txt)
        return NULL;
    txt[strcspn(txt, " \t\r\n")] = 0;
    if (txt[0] && mtl_genesis_vkey_decode(vk, txt) != MTL_OK) {
        mtl_err_clear();
        txt[0] = 0;
    }
    return txt;
}

static void route_config(struct agg *a, struct app_http_response *r)
{
    char *vk = genesis_vkey_text(&a->cfg);
    json_t *j = json_pack("{s:s,s:s,s:s}", "network", a->cfg.network, "aggregator_path",
                          "/aggregator", "genesis_verification_key", vk ? vk : "");
    mtl_free(vk);
    char *out = j ? mtl_json_dumps(j, AGG_JSON_FLAGS) : NULL;
    json_decref(j);
    if (!out) {
        app_http_error(r, 500, "internal_error", "explorer config: out of memory");
        return;
    }
    app_http_json(r, 200, out);
    free(out);
}

int agg_explorer_route(struct agg *a, const char *method, const char *path,
                       struct app_http_response *r)
{
    if (strncmp(path, EXPLORER_PREFIX, strlen(EXPLORER_PREFIX)) != 0 ||
        (path[strlen(EXPLORER_PREFIX)] != 0 && path[strlen(EXPLORER_PREFIX)] != '/'))
        return 0;
    const char *p = path + strlen(EXPLORER_PREFIX);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        app_http_error(r, 405, "method_not_allowed", "method %s not allowed on the explorer",
                       method);
        return 1;
    }
    if (*p == 0) { /* relative links need the trailing slash */
        r->status = 301;
        r->location = EXPLORER_PREFIX "/";
        return 1;
    }
    const char *rel = p + 1, *root = a->cfg.explorer_directory;
    if (*rel == 0)
        rel = "index.html";
    else if (strcmp(rel, "config.json") == 0) {
        route_config(a, r);
        return 1;
    } else if (strncmp(rel, "wasm/", 5) == 0) {
        rel += 5;
        root = a->cfg.explorer_wasm_directory;
    }
    if (!safe_relative(rel)) {
        app_http_error(r, 400, "invalid_path", "explorer: '%s' is not a file name of the explorer",
                       p);
        return 1;
    }
    const char *type = content_type(rel);
    char *file = mtl_malloc(PATH_MAX);
    if (!file) {
        app_http_error(r, 500, "internal_error", "explorer: out of memory");
        return 1;
    }
    if (!type || !resolve_under(root, rel, file)) {
        mtl_free(file);
        app_http_error(r, 404, "not_found", "explorer: no file %s", p);
        return 1;
    }
    /* The path lives as long as the response: kept in the body pointer the
     * server frees, with an empty length so only the file is sent. */
    r->status = 200;
    r->body = file;
    r->len = 0;
    r->file_path = file;
    r->content_type = type;
    return 1;
}
