/* client_ancillary.c - ancillary files (ledger state, in-progress trio),
 * signed by an IOG-style Ed25519 key, not Mithril-certified. The archive is
 * downloaded (bounded) to a private temp file and unpacked twice: first only
 * ancillary_manifest.json is read and verified (libmithril's
 * mtl_ancillary_manifest_verify: shape, paths, signature); then only the
 * files that signed manifest lists are extracted into a fresh temp dir, each
 * bounded, hashed as it is written and matched to the manifest, before they
 * are moved into the DB. Nothing unsigned is ever written; the temp file and
 * dir are removed whatever happens. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_services.h"

#define WHAT "ancillary archive"

mtl_err client_ancillary_verify_dir(const char *dir, const uint8_t vk[32], size_t *nfiles)
{
    char mp[4200];
    snprintf(mp, sizeof(mp), "%s/" MTL_ANCILLARY_MANIFEST_NAME, dir);
    uint8_t *text;
    size_t len;
    MTL_TRY(mtl_read_file(mp, MTL_ANCILLARY_MANIFEST_MAX, &text, &len));
    struct mtl_ancillary_manifest m;
    mtl_err e = mtl_ancillary_manifest_verify(&m, (const char *)text, len, vk);
    mtl_free(text);
    MTL_TRY(e);
    for (size_t i = 0; i < m.count && e == MTL_OK; i++) {
        char p[4400], got[65];
        snprintf(p, sizeof(p), "%s/%s", dir, m.files[i].path);
        e = client_sha256_file(p, got);
        if (e == MTL_ERR_NOT_FOUND)
            e = mtl_seterr(MTL_ERR_INTEGRITY, "ancillary file %s: missing", p);
        else if (e == MTL_OK && strcmp(got, m.files[i].digest) != 0)
            e = mtl_seterr(MTL_ERR_INTEGRITY,
                           "ancillary file %s: SHA-256 %s differs from the manifest's %s",
                           m.files[i].path, got, m.files[i].digest);
    }
    if (e == MTL_OK && nfiles)
        *nfiles = m.count;
    mtl_ancillary_manifest_free(&m);
    return e;
}

struct file_sink {
    int fd;
    uint64_t got, cap;
    const char *path;
    mtl_err err;
    char msg[512]; /* err's message (the transfer's stop overwrites the detail) */
};

static int file_write(void *ctx, const uint8_t *p, size_t len)
{
    struct file_sink *k = ctx;
    if (k->got + len > k->cap)
        k->err = mtl_seterr(MTL_ERR_TOO_BIG, WHAT ": larger than %llu bytes",
                            (unsigned long long)k->cap);
    else
        k->err = mtl_write_all(k->fd, p, len, k->path);
    if (k->err != MTL_OK) {
        snprintf(k->msg, sizeof(k->msg), "%s", mtl_err_detail());
        return 1;
    }
    k->got += len;
    return 0;
}

/* The archive as it is served, into a new private file (at most cap bytes). */
static mtl_err download_to(const char *url, const char *path, uint64_t cap)
{
    MTL_TRY(client_http_check_url(url, WHAT));
    struct file_sink k = {.cap = cap, .path = path, .err = MTL_OK};
    k.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    MTL_CHECK(k.fd >= 0, MTL_ERR_IO, "create %s: %s", path, strerror(errno));
    struct client_stream s = {.what = WHAT, .write = file_write, .ctx = &k};
    mtl_err e = client_http_stream(url, &s);
    if (k.err != MTL_OK)
        e = mtl_seterr(k.err, "%s", k.msg);
    if (close(k.fd) != 0 && e == MTL_OK)
        e = mtl_seterr(MTL_ERR_IO, "close %s: %s", path, strerror(errno));
    return e;
}

/* Pass 1: only the manifest is read (everything before it skipped). */
struct manifest_pass {
    struct mtl_buf text;
    int found;
};

static mtl_err manifest_policy(void *ctx, struct client_entry *e, int *stop)
{
    struct manifest_pass *m = ctx;
    if (strcmp(e->name, MTL_ANCILLARY_MANIFEST_NAME) != 0 || !e->regular)
        return MTL_OK;
    MTL_CHECK(e->size <= (int64_t)MTL_ANCILLARY_MANIFEST_MAX, MTL_ERR_TOO_BIG,
              "ancillary manifest: larger than %u bytes", MTL_ANCILLARY_MANIFEST_MAX);
    m->found = 1;
    *stop = 1;
    return client_entry_read(e, &m->text, "ancillary manifest");
}

/* The archive's manifest, its signature checked under vk. */
static mtl_err read_manifest(const char *path, const uint8_t vk[32],
                             struct mtl_ancillary_manifest *out)
{
    struct manifest_pass m = {.found = 0};
    mtl_buf_init(&m.text, MTL_ANCILLARY_MANIFEST_MAX);
    struct client_unpack u = {.what = WHAT, .policy = manifest_policy, .ctx = &m};
    mtl_err e = client_unpack_file(path, &u);
    if (e == MTL_OK && !m.found)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, WHAT ": no %s in it", MTL_ANCILLARY_MANIFEST_NAME);
    if (e == MTL_OK)
        e = mtl_ancillary_manifest_verify(out, (const char *)m.text.data, m.text.len, vk);
    mtl_buf_free(&m.text);
    return e;
}

/* Parent directories of dir/rel (rel is a safe relative path). */
static mtl_err make_parents(const char *dir, const char *rel, unsigned mode)
{
    char p[4400];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    char *slash = strrchr(p, '/');
    if (slash && slash > p + strlen(dir)) {
        *slash = 0;
        return client_mkdir_p(p, mode);
    }
    return MTL_OK;
}

/* Pass 2: the listed files only, each once; anything else is refused. */
struct extract_pass {
    const struct mtl_ancillary_manifest *m;
    const char *dir;
    uint8_t *seen; /* per manifest entry */
    uint64_t budget;
};

/* One listed entry into dir/name, bounded, hashed as written, matched. */
static mtl_err extract_listed(struct extract_pass *x, struct client_entry *e, const char *want)
{
    const char *name = e->name;
    MTL_CHECK(e->size_known && e->size >= 0 && (uint64_t)e->size <= x->budget, MTL_ERR_TOO_BIG,
              "ancillary file %s: declares %lld bytes, beyond the %llu bytes left of what the "
              "snapshot announces (archive bomb?)",
              name, (long long)e->size, (unsigned long long)x->budget);
    x->budget -= (uint64_t)e->size;
    MTL_TRY(make_parents(x->dir, name, 0700));
    char path[4400];
    snprintf(path, sizeof(path), "%s/%s", x->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "ancillary file %s: %s", name, strerror(errno));
    char label[1100], got[65];
    snprintf(label, sizeof(label), "ancillary file %s", name);
    uint64_t total = 0;
    MTL_TRY(client_entry_write(e, fd, path, label, got, &total));
    MTL_CHECK(strcmp(got, want) == 0, MTL_ERR_INTEGRITY,
              "ancillary file %s: SHA-256 %s differs from the manifest's %s", name, got, want);
    return MTL_OK;
}

static mtl_err signed_policy(void *ctx, struct client_entry *e, int *stop)
{
    struct extract_pass *x = ctx;
    (void)stop;
    if (e->directory || strcmp(e->name, MTL_ANCILLARY_MANIFEST_NAME) == 0)
        return MTL_OK;
    long i = mtl_ancillary_manifest_find(x->m, e->name);
    /* exact spelling only: the file lands where the manifest says */
    MTL_CHECK(e->regular && i >= 0 && strcmp(x->m->files[i].path, e->name) == 0 && !x->seen[i],
              MTL_ERR_INTEGRITY,
              WHAT ": entry '%.200s' is not a file the signed manifest lists (or comes twice)",
              e->name);
    x->seen[i] = 1;
    return extract_listed(x, e, x->m->files[i].digest);
}

static mtl_err extract_signed(const char *path, const char *dir,
                              const struct mtl_ancillary_manifest *m, uint64_t budget)
{
    struct extract_pass x = {.m = m, .dir = dir, .budget = budget};
    x.seen = mtl_calloc(m->count, 1);
    MTL_CHECK(x.seen, MTL_ERR_NOMEM, WHAT ": out of memory");
    struct client_unpack u = {.what = WHAT, .policy = signed_policy, .ctx = &x};
    mtl_err e = client_unpack_file(path, &u);
    for (size_t i = 0; i < m->count && e == MTL_OK; i++)
        if (!x.seen[i])
            e = mtl_seterr(MTL_ERR_INTEGRITY,
                           "ancillary file %s: listed in the manifest, not in the archive",
                           m->files[i].path);
    mtl_free(x.seen);
    return e;
}

/* The verified files from tmp into db_dir. */
static mtl_err move_in(const char *tmp, const char *db_dir, const struct mtl_ancillary_manifest *m)
{
    for (size_t i = 0; i < m->count; i++) {
        char from[4400], to[4400];
        snprintf(from, sizeof(from), "%s/%s", tmp, m->files[i].path);
        snprintf(to, sizeof(to), "%s/%s", db_dir, m->files[i].path);
        make_parents(db_dir, m->files[i].path, 0755);
        MTL_CHECK(rename(from, to) == 0, MTL_ERR_IO, "move %s: %s", m->files[i].path,
                  strerror(errno));
    }
    return MTL_OK;
}

mtl_err client_ancillary_restore(const char *url, const char *db_dir, const uint8_t vk[32],
                                 uint64_t max_bytes)
{
    char tmp[4200], arc[4200];
    snprintf(tmp, sizeof(tmp), "%s/ancillary-%ld", db_dir, (long)getpid());
    snprintf(arc, sizeof(arc), "%s/ancillary-%ld.tar.part", db_dir, (long)getpid());
    client_rm_tree(tmp);
    unlink(arc);
    MTL_CHECK(mkdir(tmp, 0700) == 0, MTL_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
    struct mtl_ancillary_manifest m = {0};
    /* the compressed archive is not larger than its content plus framing */
    uint64_t cap =
        max_bytes ? max_bytes + MTL_ANCILLARY_MANIFEST_MAX + (max_bytes >> 6) : UINT64_MAX;
    mtl_err e = download_to(url, arc, cap);
    if (e == MTL_OK)
        e = read_manifest(arc, vk, &m);
    if (e == MTL_OK)
        e = extract_signed(arc, tmp, &m, max_bytes ? max_bytes : UINT64_MAX);
    unlink(arc);
    if (e == MTL_OK)
        e = move_in(tmp, db_dir, &m);
    mtl_ancillary_manifest_free(&m);
    client_rm_tree(tmp);
    return e;
}

mtl_err client_ancillary_restore_any(const char *const *urls, size_t n, const char *db_dir,
                                     const uint8_t vk[32], uint64_t max_bytes,
                                     const struct client_events *ev)
{
    struct client_loc_errors le = {0};
    mtl_err e = MTL_ERR_NOT_FOUND;
    for (size_t k = 0; k < n; k++) {
        if ((e = client_ancillary_restore(urls[k], db_dir, vk, max_bytes)) == MTL_OK)
            return MTL_OK;
        client_loc_failed(&le, ev, "ancillary", urls[k], k + 1 < n);
    }
    return client_loc_all_failed(&le, e, "ancillary");
}
