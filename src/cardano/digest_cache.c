/* digest_cache.c - the per-file digest cache (file name, size, mtime ->
 * SHA-256 hex) kept in a JSON file, see mithril/cardano_db.h. Unlike the
 * reference's name-only cache (spec §2.4), size and mtime are part of the
 * key so that a re-synced chain is re-hashed instead of trusted.
 *
 * A signer adds a trio per immutable file: rewriting and fsyncing the whole
 * JSON for 3 entries cost more than the rest of an incremental digest. So
 * new entries are appended to "<path>.journal" (one write, no fsync) and
 * the JSON is rewritten (atomically, fsync) only when the journal has grown.
 * Journal: a header "mtl-digest-journal 1 <id>" then lines
 * "<name> <size> <mtime_ns> <digest> <check>", check = 16 hex of
 * SHA-256("<id> <line before check>"). The JSON names its journal's random
 * id, so a journal left over from an older JSON (an unlink lost in a crash)
 * is never applied; a line torn or zeroed by a crash fails its check and it
 * and what follows are dropped (they are only hashed again). */
#define _GNU_SOURCE /* O_CLOEXEC, O_NOFOLLOW */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cardano_int.h"

#define CACHE_VERSION 1
#define CACHE_MAX_BYTES (256u << 20) /* ~1.5 M entries; more is not a cache of one DB */
#define JOURNAL_MAGIC "mtl-digest-journal 1 "
#define JOURNAL_ID_HEX 16

struct mtl_digest_cache {
    char *path, *jpath;
    json_t *files; /* object: name -> {"size","mtime_ns","digest"} */
    int dirty;
    char *warning;
    char id[JOURNAL_ID_HEX + 1]; /* the journal the JSON file names ("" = none) */
    size_t jlines;               /* valid lines in that journal */
    int compact;                 /* the next save rewrites the JSON (journal unusable) */
    char *pend;                  /* journal lines not yet saved */
    size_t pend_len, pend_cap, pend_lines;
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
    const char *jid = json_string_value(json_object_get(root, "journal"));
    if (jid && strlen(jid) == JOURNAL_ID_HEX)
        memcpy(c->id, jid, JOURNAL_ID_HEX + 1);
    json_decref(root);
}

/* "<id> <body>" -> 16 hex check digits. */
static void line_check(const char *id, const char *body, size_t len, char out[17])
{
    uint8_t md[32];
    unsigned int n = 0;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    int ok = h && EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(h, id, strlen(id)) == 1 && EVP_DigestUpdate(h, " ", 1) == 1 &&
             EVP_DigestUpdate(h, body, len) == 1 && EVP_DigestFinal_ex(h, md, &n) == 1;
    EVP_MD_CTX_free(h);
    if (!ok)
        memset(md, 0xff, sizeof(md)); /* never matches a written check */
    (void)mtl_hex_encode(out, 17, md, 8);
}

/* Apply one journal line (without its newline); 0 if valid. */
static int journal_apply(struct mtl_digest_cache *c, char *line)
{
    char *sp = strrchr(line, ' ');
    char check[17];
    if (!sp || strlen(sp + 1) != 16)
        return -1;
    line_check(c->id, line, (size_t)(sp - line), check);
    if (memcmp(check, sp + 1, 16) != 0)
        return -1;
    *sp = 0;
    char name[MTL_IMMUTABLE_NAME_BYTES + 1], digest[65];
    long long size, mtime;
    if (sscanf(line, "%32s %lld %lld %64s", name, &size, &mtime, digest) != 4)
        return -1;
    json_t *v = json_pack("{s:I,s:I,s:s}", "size", (json_int_t)size, "mtime_ns",
                          (json_int_t)mtime, "digest", digest);
    if (!v)
        return -1;
    if (entry_problem(name, v)) {
        json_decref(v);
        return -1;
    }
    return json_object_set_new(c->files, name, v) == 0 ? 0 : -1;
}

/* Apply <path>.journal when it belongs to the loaded JSON. */
static void journal_load(struct mtl_digest_cache *c)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct stat st;
    if (stat(c->jpath, &st) != 0 && errno == ENOENT)
        return;
    if (!c->id[0]) { /* a journal, but no JSON naming it: stale */
        c->compact = 1;
        return;
    }
    if (mtl_read_file(c->jpath, CACHE_MAX_BYTES, &data, &len) != MTL_OK) {
        set_warning(c, "digest cache journal '%s' ignored: %s", c->jpath, mtl_err_detail());
        c->compact = 1;
        return;
    }
    size_t hl = strlen(JOURNAL_MAGIC);
    char *text = (char *)data, *end = text + len;
    if (len < hl + JOURNAL_ID_HEX + 1 || memcmp(text, JOURNAL_MAGIC, hl) != 0 ||
        memcmp(text + hl, c->id, JOURNAL_ID_HEX) != 0 || text[hl + JOURNAL_ID_HEX] != '\n') {
        c->compact = 1; /* another generation's journal, or a torn header */
        mtl_free(data);
        return;
    }
    char *line = text + hl + JOURNAL_ID_HEX + 1;
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        if (nl)
            *nl = 0;
        if (!nl || nl - line > 200 || journal_apply(c, line) != 0) {
            set_warning(c, "digest cache journal '%s': line %zu and after ignored (torn or corrupt)",
                        c->jpath, c->jlines + 2);
            c->compact = 1;
            break;
        }
        c->jlines++;
        line = nl + 1;
    }
    mtl_free(data);
}

mtl_err mtl_digest_cache_open(struct mtl_digest_cache **out, const char *path)
{
    MTL_CHECK(out && path && *path, MTL_ERR_INVALID_ARG, "digest cache: no path");
    *out = NULL;
    struct mtl_digest_cache *c = mtl_calloc(1, sizeof(*c));
    MTL_CHECK(c, MTL_ERR_NOMEM, "digest cache: out of memory");
    c->path = mtl_strdup(path);
    c->files = json_object();
    size_t pl = strlen(path);
    c->jpath = mtl_malloc(pl + sizeof(".journal"));
    if (c->jpath)
        memcpy(c->jpath, path, pl), memcpy(c->jpath + pl, ".journal", sizeof(".journal"));
    if (!c->path || !c->files || !c->jpath) {
        mtl_digest_cache_free(c);
        return mtl_seterr(MTL_ERR_NOMEM, "digest cache: out of memory");
    }
    cache_load(c);
    if (c->warning) /* the JSON was ignored: so is any journal */
        c->compact = 1, c->id[0] = 0;
    else
        journal_load(c);
    *out = c;
    return MTL_OK;
}

void mtl_digest_cache_free(struct mtl_digest_cache *c)
{
    if (!c)
        return;
    json_decref(c->files);
    mtl_free(c->path);
    mtl_free(c->jpath);
    mtl_free(c->pend);
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
    /* the journal line (the check is added at save time, when the id is known) */
    char line[200];
    int n = snprintf(line, sizeof(line), "%s %" PRIu64 " %" PRId64 " %s\n", name, size, mtime_ns,
                     digest_hex);
    if (n <= 0 || (size_t)n >= sizeof(line)) {
        c->compact = 1;
        return MTL_OK;
    }
    if (c->pend_len + (size_t)n + 1 > c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap * 2 : 4096;
        while (cap < c->pend_len + (size_t)n + 1)
            cap *= 2;
        char *np = mtl_realloc(c->pend, cap);
        if (!np) {
            c->compact = 1; /* the full rewrite does not need these lines */
            return MTL_OK;
        }
        c->pend = np;
        c->pend_cap = cap;
    }
    memcpy(c->pend + c->pend_len, line, (size_t)n + 1);
    c->pend_len += (size_t)n;
    c->pend_lines++;
    return MTL_OK;
}

/* Append the pending lines (with checks) to the journal in one write; no
 * fsync: a crash loses at most these entries, which are hashed again. */
static int journal_append(struct mtl_digest_cache *c)
{
    size_t cap = c->pend_len + c->pend_lines * 17 + sizeof(JOURNAL_MAGIC) + JOURNAL_ID_HEX + 2;
    char *buf = mtl_malloc(cap);
    if (!buf)
        return -1;
    int fd = open(c->jpath, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat st;
    size_t len = 0;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (st.st_size == 0)
            len = (size_t)snprintf(buf, cap, "%s%s\n", JOURNAL_MAGIC, c->id);
        for (char *l = c->pend; l < c->pend + c->pend_len;) {
            char *nl = strchr(l, '\n');
            size_t bl = (size_t)(nl - l);
            memcpy(buf + len, l, bl);
            buf[len + bl] = ' ';
            line_check(c->id, l, bl, buf + len + bl + 1);
            len += bl + 17;
            buf[len++] = '\n';
            l = nl + 1;
        }
    }
    ssize_t w = fd >= 0 && len > 0 ? write(fd, buf, len) : -1;
    int ok = w == (ssize_t)len;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    mtl_free(buf);
    return ok ? 0 : -1;
}

void mtl_digest_cache_save(struct mtl_digest_cache *c)
{
    if (!c->dirty)
        return;
    /* journal while it stays small next to the JSON (loading it is cheap) */
    size_t limit = 256 + json_object_size(c->files) / 4;
    if (c->id[0] && !c->compact && c->jlines + c->pend_lines <= limit &&
        journal_append(c) == 0) {
        c->jlines += c->pend_lines;
        c->pend_len = c->pend_lines = 0;
        c->dirty = 0;
        return;
    }
    /* full rewrite under a new journal id: older journal lines no longer apply */
    uint8_t rnd[JOURNAL_ID_HEX / 2];
    char id[JOURNAL_ID_HEX + 1];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) { /* unique is enough */
        uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
        memcpy(rnd, &t, sizeof(rnd));
    }
    (void)mtl_hex_encode(id, sizeof(id), rnd, sizeof(rnd));
    json_t *root = json_pack("{s:i,s:s,s:O}", "version", CACHE_VERSION, "journal", id, "files",
                             c->files);
    char *text = root ? json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    if (!text) {
        set_warning(c, "digest cache '%s' not saved: out of memory", c->path);
        return;
    }
    if (mtl_atomic_write(c->path, text, strlen(text), 0600) != MTL_OK) {
        set_warning(c, "digest cache '%s' not saved: %s", c->path, mtl_err_detail());
    } else {
        c->dirty = 0;
        memcpy(c->id, id, sizeof(id));
        c->jlines = 0;
        c->compact = 0;
        c->pend_len = c->pend_lines = 0;
        (void)unlink(c->jpath); /* if this is lost in a crash, its id no longer matches */
    }
    free(text);
}
