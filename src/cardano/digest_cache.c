/* digest_cache.c - the per-file digest cache (file name, size, mtime ->
 * SHA-256 hex) kept in a JSON file, see mithril/cardano_db.h. Unlike the
 * reference's name-only cache (spec §2.4), size and mtime are part of the
 * key so that a re-synced chain is re-hashed instead of trusted. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cardano_int.h"

#define CACHE_VERSION 1
#define CACHE_MAX_BYTES (256u << 20) /* ~1.5 M entries; more is not a cache of one DB */

struct mtl_digest_cache {
    char *path;
    json_t *files; /* object: name -> {"size","mtime_ns","digest"} */
    int dirty;
    char *warning;
};

static void set_warning(struct mtl_digest_cache *c, const char *fmt, ...) MTL_PRINTF(2, 3);
static void set_warning(struct mtl_digest_cache *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mtl_free(c->warning);
    c->warning = mtl_strdup(msg);
}

static int is_digest_hex(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* NULL when the entry has the expected shape, else what is wrong. */
static const char *entry_problem(const char *name, json_t *v)
{
    if (!*name || strlen(name) >= MTL_IMMUTABLE_NAME_BYTES || strchr(name, '/'))
        return "bad file name";
    if (!json_is_object(v))
        return "entry is not an object";
    json_t *size = json_object_get(v, "size"), *mt = json_object_get(v, "mtime_ns"),
           *dg = json_object_get(v, "digest");
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return "\"size\" is not a non-negative integer";
    if (!json_is_integer(mt))
        return "\"mtime_ns\" is not an integer";
    if (!json_is_string(dg) || !is_digest_hex(json_string_value(dg)))
        return "\"digest\" is not 64 lower-case hex digits";
    return NULL;
}

/* Load the file into c->files; any problem leaves the cache empty and warns. */
static void cache_load(struct mtl_digest_cache *c)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct stat st;
    if (stat(c->path, &st) != 0 && errno == ENOENT)
        return; /* first use */
    if (mtl_read_file(c->path, CACHE_MAX_BYTES, &data, &len) != MTL_OK) {
        set_warning(c, "digest cache '%s' ignored: %s", c->path, mtl_err_detail());
        return;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, len, 0, &jerr);
    mtl_free(data);
    if (!root) {
        set_warning(c, "digest cache '%s' ignored: not JSON (line %d: %s)", c->path, jerr.line,
                    jerr.text);
        return;
    }
    json_t *ver = json_object_get(root, "version"), *files = json_object_get(root, "files");
    if (!json_is_integer(ver) || json_integer_value(ver) != CACHE_VERSION ||
        !json_is_object(files)) {
        set_warning(c, "digest cache '%s' ignored: expected {\"version\":%d,\"files\":{...}}",
                    c->path, CACHE_VERSION);
        json_decref(root);
        return;
    }
    const char *name;
    json_t *v;
    json_object_foreach(files, name, v)
    {
        const char *why = entry_problem(name, v);
        if (why) {
            set_warning(c, "digest cache '%s' ignored: entry '%s': %s", c->path, name, why);
            json_decref(root);
            return;
        }
    }
    json_decref(c->files);
    c->files = json_incref(files);
    json_decref(root);
}

mtl_err mtl_digest_cache_open(struct mtl_digest_cache **out, const char *path)
{
    MTL_CHECK(out && path && *path, MTL_ERR_INVALID_ARG, "digest cache: no path");
    *out = NULL;
    struct mtl_digest_cache *c = mtl_calloc(1, sizeof(*c));
    MTL_CHECK(c, MTL_ERR_NOMEM, "digest cache: out of memory");
    c->path = mtl_strdup(path);
    c->files = json_object();
    if (!c->path || !c->files) {
        mtl_digest_cache_free(c);
        return mtl_seterr(MTL_ERR_NOMEM, "digest cache: out of memory");
    }
    cache_load(c);
    *out = c;
    return MTL_OK;
}

void mtl_digest_cache_free(struct mtl_digest_cache *c)
{
    if (!c)
        return;
    json_decref(c->files);
    mtl_free(c->path);
    mtl_free(c->warning);
    mtl_free(c);
}

const char *mtl_digest_cache_warning(const struct mtl_digest_cache *c)
{
    return c ? c->warning : NULL;
}

size_t mtl_digest_cache_count(const struct mtl_digest_cache *c)
{
    return c ? json_object_size(c->files) : 0;
}

const char *mtl_digest_cache_lookup(const struct mtl_digest_cache *c, const char *name,
                                    uint64_t size, int64_t mtime_ns)
{
    json_t *v = json_object_get(c->files, name);
    if (!v)
        return NULL;
    if ((uint64_t)json_integer_value(json_object_get(v, "size")) != size ||
        (int64_t)json_integer_value(json_object_get(v, "mtime_ns")) != mtime_ns)
        return NULL; /* the file changed since it was hashed */
    return json_string_value(json_object_get(v, "digest"));
}

mtl_err mtl_digest_cache_put(struct mtl_digest_cache *c, const char *name, uint64_t size,
                             int64_t mtime_ns, const char *digest_hex)
{
    json_t *v = json_pack("{s:I,s:I,s:s}", "size", (json_int_t)size, "mtime_ns",
                          (json_int_t)mtime_ns, "digest", digest_hex);
    MTL_CHECK(v, MTL_ERR_NOMEM, "digest cache: out of memory");
    MTL_CHECK(json_object_set_new(c->files, name, v) == 0, MTL_ERR_NOMEM,
              "digest cache: out of memory");
    c->dirty = 1;
    return MTL_OK;
}

void mtl_digest_cache_save(struct mtl_digest_cache *c)
{
    if (!c->dirty)
        return;
    json_t *root = json_pack("{s:i,s:O}", "version", CACHE_VERSION, "files", c->files);
    char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    if (!text) {
        set_warning(c, "digest cache '%s' not saved: out of memory", c->path);
        return;
    }
    if (mtl_atomic_write(c->path, text, strlen(text), 0600) != MTL_OK)
        set_warning(c, "digest cache '%s' not saved: %s", c->path, mtl_err_detail());
    else
        c->dirty = 0;
    free(text);
}
