/* snapshotter.c - Cardano Database v2 archives and artifact message (see
 * snapshotter.h). Every archive goes through arc_build(): stream the entries
 * into a hidden temp file (hashing what is written), fsync, unpack it all
 * again checking names, sizes and SHA-256, then rename into place. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common_int.h"
#include "log.h"
#include "mithril/certificate.h"
#include "snapshotter.h"

#define IO_BLOCK (1u << 20)
#define PATH_CAP 4096
/* db_dir and out_dir are at most this long, so that every path made from
 * them (a suffix of under 512 bytes: archive entry names, file names) fits
 * in PATH_CAP; longer ones are refused by dirs_check. */
#define DIR_MAX (PATH_CAP - 512)

/* One archive entry: a file of the DB (src) or bytes in memory (data). */
struct arc_entry {
    char name[512];     /* path inside the archive */
    char src[PATH_CAP]; /* file to read, or "" for data */
    const void *data;
    size_t len;
    uint64_t size; /* out: bytes archived */
    char sha[65];  /* out: SHA-256 hex of those bytes */
};

/* Called once the file entries are written, to append a last in-memory
 * entry computed from them (the ancillary manifest). */
typedef mtl_err (*arc_tail_fn)(void *ctx, struct arc_entry *ents, size_t n, struct arc_entry *tail);

static const char *const SUBDIRS[] = {"immutable", "ancillary", "digests"};

/* ---- small file helpers ---------------------------------------------- */

static mtl_err mkdir_p(const char *path)
{
    char p[PATH_CAP];
    MTL_CHECK(strlen(path) < sizeof(p), MTL_ERR_INVALID_ARG, "path too long: %.100s", path);
    snprintf(p, sizeof(p), "%s", path);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = 0;
        MTL_CHECK(mkdir(p, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "mkdir %s: %s", p,
                  strerror(errno));
        *c = '/';
    }
    MTL_CHECK(mkdir(p, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "mkdir %s: %s", p,
              strerror(errno));
    return MTL_OK;
}

static void fsync_dir_of(const char *path)
{
    char d[PATH_CAP];
    char *s = mtl_path_fmt(d, sizeof(d), "%s", path) == MTL_OK ? strrchr(d, '/') : NULL;
    if (!s)
        return;
    *s = 0;
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Temp files are ".<final name>.tmp.<pid>.<seq>"; those of dead processes are
 * leftovers of a crash and are removed. */
static void remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *t = de->d_name[0] == '.' ? strstr(de->d_name, ".tmp.") : NULL;
        if (!t)
            continue;
        char *end;
        long pid = strtol(t + 5, &end, 10);
        if ((*end && *end != '.') || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        char p[PATH_CAP];
        if (mtl_path_fmt(p, sizeof(p), "%s/%s", dir, de->d_name) == MTL_OK && unlink(p) == 0)
            log_info("snapshot_stale_temp_removed", "path=%s", p);
    }
    closedir(d);
}

/* ---- archive writing and verification --------------------------------- */

static mtl_err sha_hex(EVP_MD_CTX *h, char out[65])
{
    uint8_t md[32];
    unsigned int l = 0;
    MTL_CHECK(EVP_DigestFinal_ex(h, md, &l) == 1 && l == 32, MTL_ERR_INTERNAL, "SHA-256 failed");
    return mtl_hex_encode(out, 65, md, 32);
}

static mtl_err arc_write_file(struct archive *a, struct arc_entry *en, uint8_t *buf,
                              const struct snap_config *c, const char *tmp, uint64_t *total_in)
{
    int fd = open(en->src, O_RDONLY | O_CLOEXEC);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "open %s: %s", en->src, strerror(errno));
    struct stat st;
    mtl_err e = MTL_OK;
    struct archive_entry *ae = NULL;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    if (!h || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        e = mtl_seterr(MTL_ERR_IO, "%s: not a readable regular file", en->src);
        goto out;
    }
    ae = archive_entry_new();
    archive_entry_copy_stat(ae, &st);
    archive_entry_set_pathname(ae, en->name);
    if (archive_write_header(a, ae) != ARCHIVE_OK) {
        e = mtl_seterr(MTL_ERR_IO, "archive %s: header %s: %s", tmp, en->name,
                       archive_error_string(a));
        goto out;
    }
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    /* exactly st_size bytes: the header already promised that many */
    uint64_t left = (uint64_t)st.st_size;
    while (left > 0) {
        size_t want = left < IO_BLOCK ? (size_t)left : IO_BLOCK;
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e = mtl_seterr(MTL_ERR_IO, "read %s: %s", en->src,
                           r == 0 ? "file shrank while archiving" : strerror(errno));
            goto out;
        }
        EVP_DigestUpdate(h, buf, (size_t)r);
        if (archive_write_data(a, buf, (size_t)r) != r) {
            e = mtl_seterr(MTL_ERR_IO, "archive %s: write %s: %s", tmp, en->name,
                           archive_error_string(a));
            goto out;
        }
        left -= (uint64_t)r;
        *total_in += (uint64_t)r;
        if (c->on_write)
            c->on_write(c->on_write_ctx, tmp, *total_in);
    }
    en->size = (uint64_t)st.st_size;
    e = sha_hex(h, en->sha);
out:
    archive_entry_free(ae);
    EVP_MD_CTX_free(h);
    close(fd);
    return e;
}

static mtl_err arc_write_data(struct archive *a, struct arc_entry *en, const char *tmp)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, en->name);
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, (la_int64_t)en->len);
    archive_entry_set_mtime(ae, time(NULL), 0);
    mtl_err e = MTL_OK;
    if (archive_write_header(a, ae) != ARCHIVE_OK ||
        (en->len && archive_write_data(a, en->data, en->len) != (la_ssize_t)en->len))
        e = mtl_seterr(MTL_ERR_IO, "archive %s: %s: %s", tmp, en->name, archive_error_string(a));
    archive_entry_free(ae);
    if (e != MTL_OK)
        return e;
    en->size = en->len;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    MTL_CHECK(h, MTL_ERR_NOMEM, "EVP_MD_CTX_new");
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    EVP_DigestUpdate(h, en->data, en->len);
    e = sha_hex(h, en->sha);
    EVP_MD_CTX_free(h);
    return e;
}

/* Unpack the whole temp archive: the same entries, in order, with the same
 * sizes and SHA-256 as written. */
static mtl_err arc_verify(const char *tmp, const struct arc_entry *ents, size_t n, uint8_t *buf)
{
    struct archive *a = archive_read_new();
    MTL_CHECK(a, MTL_ERR_NOMEM, "archive_read_new");
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    mtl_err e = MTL_OK;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    if (!h || archive_read_open_filename(a, tmp, IO_BLOCK) != ARCHIVE_OK) {
        e = mtl_seterr(MTL_ERR_INTEGRITY, "verify %s: %s", tmp, archive_error_string(a));
        goto out;
    }
    size_t i = 0;
    struct archive_entry *ae;
    int r;
    while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(ae);
        if (i >= n || !p || strcmp(p, ents[i].name) != 0) {
            e = mtl_seterr(MTL_ERR_INTEGRITY, "verify %s: unexpected entry '%.200s'", tmp,
                           p ? p : "");
            goto out;
        }
        EVP_DigestInit_ex(h, EVP_sha256(), NULL);
        uint64_t got = 0;
        la_ssize_t k;
        while ((k = archive_read_data(a, buf, IO_BLOCK)) > 0) {
            EVP_DigestUpdate(h, buf, (size_t)k);
            got += (uint64_t)k;
        }
        char sha[65];
        if (k < 0 || (e = sha_hex(h, sha)) != MTL_OK || got != ents[i].size ||
            strcmp(sha, ents[i].sha) != 0) {
            if (e == MTL_OK)
                e = mtl_seterr(MTL_ERR_INTEGRITY,
                               "verify %s: entry %s unpacks to %" PRIu64
                               " bytes / %s, wrote %" PRIu64 " / %s%s%s",
                               tmp, p, got, k < 0 ? "?" : sha, ents[i].size, ents[i].sha,
                               k < 0 ? ": " : "", k < 0 ? archive_error_string(a) : "");
            goto out;
        }
        i++;
    }
    if (r != ARCHIVE_EOF || i != n)
        e = mtl_seterr(MTL_ERR_INTEGRITY, "verify %s: %s (%zu of %zu entries)", tmp,
                       r != ARCHIVE_EOF ? archive_error_string(a) : "entries missing", i, n);
out:
    EVP_MD_CTX_free(h);
    archive_read_free(a);
    return e;
}

/* Set a up as a zstd-compressed GNU tar written to fd (the temp file tmp). */
static mtl_err arc_open(struct archive *a, const struct snap_config *c, int fd, const char *tmp)
{
    char opt[64];
    snprintf(opt, sizeof(opt), "zstd:compression-level=%d", c->zstd_level > 0 ? c->zstd_level : 9);
    if (archive_write_set_format_gnutar(a) != ARCHIVE_OK ||
        archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
        archive_write_set_options(a, opt) != ARCHIVE_OK)
        return mtl_seterr(MTL_ERR_INTERNAL, "libarchive zstd setup: %s", archive_error_string(a));
    if (c->zstd_threads > 1) {
        snprintf(opt, sizeof(opt), "zstd:threads=%d", c->zstd_threads);
        archive_write_set_options(a, opt); /* older libarchive: single-threaded */
    }
    archive_write_set_bytes_in_last_block(a, 1); /* no padding to 10 KiB */
    if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
        return mtl_seterr(MTL_ERR_IO, "archive %s: %s", tmp, archive_error_string(a));
    return MTL_OK;
}

/* Write ents (+ an optional tail entry) as tar.zst to final via a temp file.
 * *uncompressed = sum of the entry sizes, *compressed = archive size. */
static mtl_err arc_build(const struct snap_config *c, const char *final, struct arc_entry *ents,
                         size_t n, arc_tail_fn tail_fn, void *tail_ctx, uint64_t *uncompressed,
                         uint64_t *compressed)
{
    char tmp[PATH_CAP + 64];
    const char *slash = strrchr(final, '/');
    MTL_CHECK(slash, MTL_ERR_INVALID_ARG, "archive path %s: no directory", final);
    static unsigned seq; /* distinct temp names for concurrent builds in one process */
    snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp.%ld.%u", (int)(slash - final), final, slash + 1,
             (long)getpid(), __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint8_t *buf = mtl_malloc(IO_BLOCK);
    MTL_CHECK(buf, MTL_ERR_NOMEM, "archive buffer");
    struct arc_entry *all = mtl_calloc(n + 1, sizeof(*all));
    struct archive *a = archive_write_new();
    mtl_err e = MTL_OK;
    int fd = -1;
    size_t nall = n;
    if (!all || !a) {
        e = mtl_seterr(MTL_ERR_NOMEM, "archive %s", final);
        goto fail;
    }
    memcpy(all, ents, n * sizeof(*all));
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        e = mtl_seterr(MTL_ERR_IO, "create %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if ((e = arc_open(a, c, fd, tmp)) != MTL_OK)
        goto fail;
    uint64_t total_in = 0;
    for (size_t i = 0; i < n; i++) {
        e = all[i].src[0] ? arc_write_file(a, &all[i], buf, c, tmp, &total_in)
                          : arc_write_data(a, &all[i], tmp);
        if (e != MTL_OK)
            goto fail;
    }
    if (tail_fn) {
        if ((e = tail_fn(tail_ctx, all, n, &all[n])) != MTL_OK ||
            (e = arc_write_data(a, &all[n], tmp)) != MTL_OK)
            goto fail;
        nall = n + 1;
    }
    if (archive_write_close(a) != ARCHIVE_OK) {
        e = mtl_seterr(MTL_ERR_IO, "archive %s: close: %s", tmp, archive_error_string(a));
        goto fail;
    }
    struct stat st;
    if (fsync(fd) != 0 || fstat(fd, &st) != 0) {
        e = mtl_seterr(MTL_ERR_IO, "fsync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if ((e = arc_verify(tmp, all, nall, buf)) != MTL_OK)
        goto fail;
    if (rename(tmp, final) != 0) {
        e = mtl_seterr(MTL_ERR_IO, "rename %s: %s", final, strerror(errno));
        goto fail;
    }
    fsync_dir_of(final);
    uint64_t sum = 0;
    for (size_t i = 0; i < nall; i++)
        sum += all[i].size;
    if (uncompressed)
        *uncompressed = sum;
    if (compressed)
        *compressed = (uint64_t)st.st_size;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_info("snapshot_archive_created",
             "path=%s entries=%zu bytes=%" PRIu64 " compressed=%" PRIu64 " ms=%lld", final, nall,
             sum, (uint64_t)st.st_size,
             (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    memcpy(ents, all, n * sizeof(*all)); /* hand back sizes and digests */
    archive_write_free(a);
    if (tail_fn)
        mtl_free((void *)all[n].data);
    mtl_free(all);
    mtl_free(buf);
    return MTL_OK;
fail:
    if (a)
        archive_write_free(a); /* closes nothing: we own fd */
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    log_warn("snapshot_archive_failed", "path=%s error=\"%s\"", final, mtl_err_detail());
    if (all && tail_fn)
        mtl_free((void *)all[n].data);
    mtl_free(all);
    mtl_free(buf);
    return e;
}

/* ---- immutable archives ------------------------------------------------ */

/* Trio file names: libmithril's rule, the one the client accepts. */
static void trio_entries(const struct snap_config *c, uint64_t number, struct arc_entry ents[3])
{
    memset(ents, 0, 3 * sizeof(*ents));
    for (unsigned i = 0; i < MTL_IMMUTABLE_TRIO_FILES; i++) {
        char f[MTL_IMMUTABLE_NAME_BYTES];
        mtl_immutable_trio_name(f, number, i);
        snprintf(ents[i].name, sizeof(ents[i].name), "immutable/%s", f);
        snprintf(ents[i].src, sizeof(ents[i].src), "%s/%s", c->db_dir, ents[i].name);
    }
}

static mtl_err dirs_check(const struct snap_config *c)
{
    MTL_CHECK(strlen(c->db_dir) <= DIR_MAX && strlen(c->out_dir) <= DIR_MAX, MTL_ERR_CONFIG,
              "snapshotter: %s directory longer than %d bytes: %.80s...",
              strlen(c->db_dir) > DIR_MAX ? "DB" : "snapshot", DIR_MAX,
              strlen(c->db_dir) > DIR_MAX ? c->db_dir : c->out_dir);
    return MTL_OK;
}

mtl_err snap_immutable_archive(const struct snap_config *c, uint64_t number, bool *created)
{
    MTL_TRY(dirs_check(c));
    char final[PATH_CAP];
    snprintf(final, sizeof(final), "%s/immutable/%05" PRIu64 ".tar.zst", c->out_dir, number);
    if (created)
        *created = false;
    if (is_regular(final))
        return MTL_OK; /* immutable files never change: archives are shared */
    struct arc_entry *ents = mtl_calloc(3, sizeof(*ents));
    MTL_CHECK(ents, MTL_ERR_NOMEM, "immutable archive");
    trio_entries(c, number, ents);
    mtl_err e = arc_build(c, final, ents, 3, NULL, NULL, NULL, NULL);
    mtl_free(ents);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "immutable archive %05" PRIu64, number);
    if (created)
        *created = true;
    return MTL_OK;
}

/* ---- ledger snapshots (spec §1.1) ---------------------------------------- */

struct ledger_snap {
    uint64_t slot;
    int kind; /* 0 legacy file, 1 tables/tvar (<= 10.6), 2 tables file (>= 10.7) */
};

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!*s || strlen(s) > 20)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno)
        return false;
    *v = x;
    return true;
}

static int ledger_kind(const char *ledger_dir, const char *name)
{
    char p[PATH_CAP];
    struct stat st;
    if (mtl_path_fmt(p, sizeof(p), "%s/%s", ledger_dir, name) != MTL_OK || stat(p, &st) != 0)
        return -1;
    if (S_ISREG(st.st_mode))
        return 0;
    if (!S_ISDIR(st.st_mode))
        return -1;
    if (mtl_path_fmt(p, sizeof(p), "%s/%s/meta", ledger_dir, name) != MTL_OK)
        return -1;
    json_t *m = json_load_file(p, 0, NULL);
    const char *backend = json_string_value(json_object_get(m, "backend"));
    bool mem = backend && strcmp(backend, "utxohd-mem") == 0;
    json_decref(m);
    if (mtl_path_fmt(p, sizeof(p), "%s/%s/state", ledger_dir, name) != MTL_OK || !mem ||
        !is_regular(p))
        return -1;
    if (mtl_path_fmt(p, sizeof(p), "%s/%s/tables/tvar", ledger_dir, name) == MTL_OK &&
        is_regular(p))
        return 1;
    return mtl_path_fmt(p, sizeof(p), "%s/%s/tables", ledger_dir, name) == MTL_OK && is_regular(p)
               ? 2
               : -1;
}

/* The `want` latest valid ledger snapshots, newest first. */
static mtl_err ledger_latest(const char *db_dir, int want, struct ledger_snap out[2], int *count)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof(dir), "%s/ledger", db_dir);
    *count = 0;
    DIR *d = opendir(dir);
    MTL_CHECK(d, MTL_ERR_NOT_FOUND, "no ledger directory %s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct ledger_snap s;
        if (!parse_u64(de->d_name, &s.slot) || (s.kind = ledger_kind(dir, de->d_name)) < 0)
            continue;
        /* keep the `want` (1 or 2) newest, newest first */
        if (*count == 0 || s.slot > out[0].slot) {
            if (want == 2 && *count >= 1)
                out[1] = out[0];
            out[0] = s;
            if (*count < want)
                (*count)++;
        } else if (want == 2 && (*count < 2 || s.slot > out[1].slot)) {
            out[1] = s;
            *count = 2;
        }
    }
    closedir(d);
    MTL_CHECK(*count > 0, MTL_ERR_NOT_FOUND,
              "No ledger state snapshot found in the ledger directory: '%s'", dir);
    return MTL_OK;
}

/* "10.4.1" < "10.4.1"? compare numerically, missing parts = 0. */
static bool version_below(const char *v, int ma, int mi, int pa)
{
    int a = 0, b = 0, p = 0;
    if (!v || sscanf(v, "%d.%d.%d", &a, &b, &p) < 1)
        return false;
    if (a != ma)
        return a < ma;
    if (b != mi)
        return b < mi;
    return p < pa;
}

/* ---- ancillary archive ------------------------------------------------ */

static int cmp_entry_name(const void *x, const void *y)
{
    return strcmp(((const struct arc_entry *)x)->name, ((const struct arc_entry *)y)->name);
}

/* Tail of the ancillary archive: the signed manifest of the entries just
 * written (their digests are of the very bytes archived). */
static mtl_err manifest_tail(void *ctx, struct arc_entry *ents, size_t n, struct arc_entry *tail)
{
    struct mtl_ancillary_file *files = mtl_calloc(n, sizeof(*files));
    MTL_CHECK(files, MTL_ERR_NOMEM, "manifest");
    for (size_t i = 0; i < n; i++)
        files[i] = (struct mtl_ancillary_file){ents[i].name, ents[i].sha};
    char *text = NULL;
    size_t len = 0;
    mtl_err e = mtl_ancillary_manifest_sign(&text, &len, files, n, ctx);
    mtl_free(files);
    MTL_TRY(e);
    snprintf(tail->name, sizeof(tail->name), "%s", MTL_ANCILLARY_MANIFEST_NAME);
    tail->len = len;
    tail->data = text;
    return MTL_OK;
}

static const char *const LEDGER_FILES[3][3] = {
    {"", NULL, NULL}, {"meta", "state", "tables/tvar"}, {"meta", "state", "tables"}};

static mtl_err build_ancillary(const struct snap_config *c, const char *final, uint64_t n,
                               uint64_t *size_uncompressed)
{
    struct ledger_snap ls[2];
    int nls = 0;
    int want = version_below(c->cardano_node_version, 10, 4, 1) ? 2 : 1;
    MTL_TRY(ledger_latest(c->db_dir, want, ls, &nls));
    size_t cap = 3 + 3 * (size_t)nls, k = 0;
    struct arc_entry *ents = mtl_calloc(cap, sizeof(*ents));
    MTL_CHECK(ents, MTL_ERR_NOMEM, "ancillary entries");
    trio_entries(c, n + 1, ents); /* the in-progress trio, as it is now */
    k = 3;
    for (int i = 0; i < nls; i++) {
        for (int j = 0; j < 3 && LEDGER_FILES[ls[i].kind][j]; j++, k++) {
            const char *f = LEDGER_FILES[ls[i].kind][j];
            snprintf(ents[k].name, sizeof(ents[k].name), "ledger/%" PRIu64 "%s%s", ls[i].slot,
                     *f ? "/" : "", f);
            snprintf(ents[k].src, sizeof(ents[k].src), "%s/%s", c->db_dir, ents[k].name);
        }
    }
    mtl_sort(ents, k, sizeof(*ents), cmp_entry_name); /* manifest order = archive order */
    mtl_err e = arc_build(c, final, ents, k, manifest_tail, (void *)c->ancillary_sk,
                          size_uncompressed, NULL);
    mtl_free(ents);
    return e;
}

/* ---- digests archive -------------------------------------------------- */

static int cmp_digest_name(const void *x, const void *y)
{
    return strcmp(((const struct mtl_file_digest *)x)->name,
                  ((const struct mtl_file_digest *)y)->name);
}

mtl_err snap_digests_json(const struct mtl_db_digests *d, char **json, size_t *len)
{
    struct mtl_file_digest *sorted = mtl_calloc(d->count ? d->count : 1, sizeof(*sorted));
    MTL_CHECK(sorted, MTL_ERR_NOMEM, "digests");
    memcpy(sorted, d->files, d->count * sizeof(*sorted));
    mtl_sort(sorted, d->count, sizeof(*sorted), cmp_digest_name);
    struct mtl_buf b;
    mtl_buf_init(&b, SIZE_MAX / 2);
    mtl_err e = mtl_buf_append_str(&b, "[");
    for (size_t i = 0; e == MTL_OK && i < d->count; i++)
        e = mtl_buf_printf(&b, "%s{\"immutable_file_name\":\"%s\",\"digest\":\"%s\"}", i ? "," : "",
                           sorted[i].name, sorted[i].digest);
    if (e == MTL_OK)
        e = mtl_buf_append_str(&b, "]");
    if (e == MTL_OK)
        e = mtl_buf_nul(&b);
    mtl_free(sorted);
    if (e != MTL_OK) {
        mtl_buf_free(&b);
        return e;
    }
    *json = (char *)mtl_buf_take(&b, len);
    return MTL_OK;
}

static mtl_err build_digests(const struct snap_config *c, const char *final, const char *json_name,
                             const struct mtl_db_digests *d, uint64_t *size_uncompressed)
{
    char *text = NULL;
    size_t tl = 0;
    MTL_TRY(snap_digests_json(d, &text, &tl));
    mtl_err e = MTL_OK;
    struct arc_entry *ent = mtl_calloc(1, sizeof(*ent));
    if (!ent)
        e = mtl_seterr(MTL_ERR_NOMEM, "digests");
    if (e == MTL_OK) {
        snprintf(ent->name, sizeof(ent->name), "%s", json_name);
        ent->data = text;
        ent->len = tl;
        e = arc_build(c, final, ent, 1, NULL, NULL, NULL, NULL);
        *size_uncompressed = tl;
    }
    mtl_free(ent);
    mtl_free(text);
    return e;
}

/* ---- the artifact ------------------------------------------------------ */

static bool network_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
            return false;
    return true;
}

static bool hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

static json_t *location(const char *type, json_t *uri, bool zstd)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "uri", uri);
    if (zstd)
        json_object_set_new(o, "compression_algorithm", json_string("zstandard"));
    return o;
}

static json_t *part(const char *size_key, uint64_t size, json_t *locations)
{
    json_t *o = json_object();
    json_object_set_new(o, size_key, json_integer((json_int_t)size));
    json_object_set_new(o, "locations", locations);
    return o;
}

static mtl_err trio_size(const struct snap_config *c, uint64_t num, uint64_t *sum)
{
    for (unsigned i = 0; i < MTL_IMMUTABLE_TRIO_FILES; i++) {
        char p[PATH_CAP], f[MTL_IMMUTABLE_NAME_BYTES];
        struct stat st;
        mtl_immutable_trio_name(f, num, i);
        snprintf(p, sizeof(p), "%s/immutable/%s", c->db_dir, f);
        MTL_CHECK(stat(p, &st) == 0, MTL_ERR_IO, "stat %s: %s", p, strerror(errno));
        *sum += (uint64_t)st.st_size;
    }
    return MTL_OK;
}

/* The artifact's digests, immutables and ancillary parts with where to download them. */
static void set_parts(json_t *msg, const struct snap_config *c, const char *base, uint64_t n,
                      uint64_t dig_size, uint64_t imm_total, uint64_t anc_size)
{
    char url[PATH_CAP];
    size_t bl = strlen(c->base_url);
    while (bl > 0 && c->base_url[bl - 1] == '/')
        bl--;
    json_t *locs = json_array();
    snprintf(url, sizeof(url), "%.*s/cardano-database-download/digests/%s.digests.tar.zst", (int)bl,
             c->base_url, base);
    json_array_append_new(locs, location("cloud_storage", json_string(url), true));
    snprintf(url, sizeof(url), "%.*s/artifact/cardano-database/digests", (int)bl, c->base_url);
    json_array_append_new(locs, location("aggregator", json_string(url), false));
    json_object_set_new(msg, "digests", part("size_uncompressed", dig_size, locs));
    locs = json_array();
    snprintf(url, sizeof(url),
             "%.*s/cardano-database-download/immutable/{immutable_file_number}.tar.zst", (int)bl,
             c->base_url);
    json_t *tmpl = json_object();
    json_object_set_new(tmpl, "Template", json_string(url));
    json_array_append_new(locs, location("cloud_storage", tmpl, true));
    json_object_set_new(msg, "immutables", part("average_size_uncompressed", imm_total / n, locs));
    locs = json_array();
    if (c->ancillary_sk) {
        snprintf(url, sizeof(url), "%.*s/cardano-database-download/ancillary/%s.ancillary.tar.zst",
                 (int)bl, c->base_url, base);
        json_array_append_new(locs, location("cloud_storage", json_string(url), true));
    }
    json_object_set_new(msg, "ancillary", part("size_uncompressed", anc_size, locs));
}

/* created_at as the reference writes it: UTC with nanoseconds. */
static void set_created_at(json_t *msg)
{
    struct timespec ts;
    struct tm tm;
    char when[64], stamp[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when, sizeof(when), "%s.%09ldZ", stamp, (long)ts.tv_nsec);
    json_object_set_new(msg, "created_at", json_string(when));
}

mtl_err snap_cardano_database(const struct snap_config *c, uint64_t epoch, uint64_t n,
                              const struct mtl_db_digests *digests, const char *certificate_hash,
                              char **artifact_json, char hash_out[65])
{
    MTL_CHECK(c && c->db_dir && c->out_dir && c->base_url && digests && certificate_hash &&
                  artifact_json && hash_out,
              MTL_ERR_INVALID_ARG, "snapshotter: missing argument");
    MTL_TRY(dirs_check(c));
    MTL_CHECK(network_ok(c->network), MTL_ERR_CONFIG,
              "snapshotter: network '%.64s' must be [a-z0-9_-]+", c->network ? c->network : "");
    MTL_CHECK(n >= 1, MTL_ERR_INVALID_ARG,
              "Could not compute the total size without immutable files (immutable_file_number 0)");
    MTL_CHECK(hex64(digests->merkle_root), MTL_ERR_INVALID_ARG,
              "snapshotter: digests carry no merkle root");
    size_t upto = 0;
    for (size_t i = 0; i < digests->count; i++)
        upto += digests->files[i].number <= n;
    MTL_CHECK(upto == 3 * (n + 1), MTL_ERR_INVALID_ARG,
              "snapshotter: digests cover %zu files numbered <= %" PRIu64 ", expected %" PRIu64
              " (trios 0..=%" PRIu64 ")",
              upto, n, 3 * (n + 1), n);
    *artifact_json = NULL;
    for (size_t i = 0; i < sizeof(SUBDIRS) / sizeof(*SUBDIRS); i++) {
        char d[PATH_CAP];
        snprintf(d, sizeof(d), "%s/%s", c->out_dir, SUBDIRS[i]);
        MTL_TRY(mkdir_p(d));
        remove_stale_temps(d);
    }
    /* 1. immutable archives, shared across artifacts */
    for (uint64_t i = 0; i <= n; i++)
        MTL_TRY(snap_immutable_archive(c, i, NULL));
    uint64_t imm_total = 0;
    for (uint64_t i = 1; i <= n; i++) /* reference: trios 1..=N, archives 0..=N */
        MTL_TRY(trio_size(c, i, &imm_total));
    /* 2. ancillary */
    char base[128], path[PATH_CAP], name[192];
    snprintf(base, sizeof(base), "%s-e%" PRIu64 "-i%" PRIu64, c->network, epoch, n);
    uint64_t anc_size = 0;
    if (c->ancillary_sk) {
        snprintf(path, sizeof(path), "%s/ancillary/%s.ancillary.tar.zst", c->out_dir, base);
        mtl_err e = build_ancillary(c, path, n, &anc_size);
        if (e != MTL_OK)
            return mtl_err_wrap(e, "ancillary archive %s", base);
    }
    /* 3. digests */
    uint64_t dig_size = 0;
    snprintf(path, sizeof(path), "%s/digests/%s.digests.tar.zst", c->out_dir, base);
    snprintf(name, sizeof(name), "%s.digests.json", base);
    mtl_err e = build_digests(c, path, name, digests, &dig_size);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "digests archive %s", base);
    /* 4. message */
    mtl_cardano_database_hash(epoch, digests->merkle_root, hash_out);
    json_t *msg = json_object(), *beacon = json_object();
    json_object_set_new(msg, "hash", json_string(hash_out));
    json_object_set_new(msg, "merkle_root", json_string(digests->merkle_root));
    json_object_set_new(msg, "network", json_string(c->network));
    json_object_set_new(beacon, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(beacon, "immutable_file_number", json_integer((json_int_t)n));
    json_object_set_new(msg, "beacon", beacon);
    json_object_set_new(msg, "certificate_hash", json_string(certificate_hash));
    json_object_set_new(msg, "total_db_size_uncompressed",
                        json_integer((json_int_t)(anc_size + imm_total)));
    set_parts(msg, c, base, n, dig_size, imm_total, anc_size);
    json_object_set_new(msg, "cardano_node_version",
                        json_string(c->cardano_node_version ? c->cardano_node_version : ""));
    set_created_at(msg);
    char *text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(msg);
    MTL_CHECK(text, MTL_ERR_NOMEM, "artifact json");
    *artifact_json = mtl_strdup(text);
    free(text);
    MTL_CHECK(*artifact_json, MTL_ERR_NOMEM, "artifact json");
    log_info("cardano_database_artifact",
             "hash=%s epoch=%" PRIu64 " immutable_file_number=%" PRIu64
             " total_db_size_uncompressed=%" PRIu64,
             hash_out, epoch, n, anc_size + imm_total);
    return MTL_OK;
}

/* ---- serving ----------------------------------------------------------- */

static const char *digits(const char *p, size_t min)
{
    size_t k = 0;
    while (isdigit((unsigned char)p[k]))
        k++;
    return k >= min && k <= 20 ? p + k : NULL;
}

/* <net>-e<E>-i<N><suffix> */
static bool beacon_name_ok(const char *f, const char *suffix)
{
    const char *dash = strstr(f, "-e");
    while (dash) { /* the network may itself contain "-e" */
        char net[80];
        size_t nl = (size_t)(dash - f);
        if (nl > 0 && nl < sizeof(net)) {
            memcpy(net, f, nl);
            net[nl] = 0;
            const char *p = network_ok(net) ? digits(dash + 2, 1) : NULL;
            if (p && strncmp(p, "-i", 2) == 0 && (p = digits(p + 2, 1)) != NULL &&
                strcmp(p, suffix) == 0)
                return true;
        }
        dash = strstr(dash + 1, "-e");
    }
    return false;
}

bool snap_download_name_ok(const char *sub)
{
    if (!sub)
        return false;
    if (*sub == '/')
        sub++;
    const char *slash = strchr(sub, '/');
    if (!slash || strchr(slash + 1, '/'))
        return false;
    size_t kl = (size_t)(slash - sub);
    const char *f = slash + 1;
    if (kl == 9 && strncmp(sub, "immutable", 9) == 0) {
        const char *p = digits(f, 5);
        return p && strcmp(p, ".tar.zst") == 0;
    }
    if (kl == 9 && strncmp(sub, "ancillary", 9) == 0)
        return beacon_name_ok(f, ".ancillary.tar.zst");
    if (kl == 7 && strncmp(sub, "digests", 7) == 0)
        return beacon_name_ok(f, ".digests.tar.zst");
    return false;
}

void snap_serve_download(const struct snap_config *c, const char *subpath,
                         struct app_http_response *resp)
{
    char sub[512];
    snprintf(sub, sizeof(sub), "%s", subpath ? subpath : "");
    char *q = strchr(sub, '?');
    if (q)
        *q = 0;
    const char *s = sub[0] == '/' ? sub + 1 : sub;
    if (strlen(subpath ? subpath : "") >= sizeof(sub) - 1 || !snap_download_name_ok(s)) {
        app_http_error(resp, 404, "not_found", "no such Cardano database artifact file");
        return;
    }
    char path[PATH_CAP];
    if (mtl_path_fmt(path, sizeof(path), "%s/%s", c->out_dir, s) != MTL_OK || !is_regular(path)) {
        app_http_error(resp, 404, "not_found", "no such Cardano database artifact file");
        return;
    }
    resp->status = 200;
    resp->body = mtl_strdup(path); /* keeps the path alive until the server sends the file */
    resp->len = 0;
    resp->content_type = "application/octet-stream";
    resp->file_path = resp->body;
    if (!resp->body)
        app_http_error(resp, 500, "internal_error", "out of memory");
}

/* ---- keys -------------------------------------------------------------- */

mtl_err snap_ancillary_keypair_text(uint8_t sk[32], uint8_t vk[32], char **sk_config,
                                    char **vk_text)
{
    mtl_genesis_keypair(sk, vk);
    char *skt = NULL;
    if (sk_config) {
        *sk_config = NULL;
        MTL_TRY(mtl_genesis_key_encode(&skt, sk));
        size_t cap = strlen(skt) + 64;
        *sk_config = mtl_malloc(cap);
        if (*sk_config)
            snprintf(*sk_config, cap, "{\"type\":\"secret-key\",\"secret_key\":\"%s\"}", skt);
        mtl_memzero(skt, strlen(skt));
        mtl_free(skt);
        MTL_CHECK(*sk_config, MTL_ERR_NOMEM, "ancillary key text");
    }
    if (vk_text) {
        mtl_err e = mtl_genesis_key_encode(vk_text, vk);
        if (e != MTL_OK && sk_config) {
            mtl_memzero(*sk_config, strlen(*sk_config));
            mtl_free(*sk_config);
            *sk_config = NULL;
        }
        return e;
    }
    return MTL_OK;
}

mtl_err snap_ancillary_signer_config_parse(uint8_t sk[32], const char *text)
{
    MTL_CHECK(text, MTL_ERR_CONFIG, "ancillary signer config: empty");
    while (isspace((unsigned char)*text))
        text++;
    if (*text != '{') { /* bare secret_key text */
        mtl_err e = mtl_genesis_vkey_decode(sk, text);
        return e == MTL_OK ? e : mtl_err_wrap(MTL_ERR_CONFIG, "ancillary signer secret key");
    }
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    MTL_CHECK(j, MTL_ERR_CONFIG, "ancillary signer config: %s", je.text);
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *key = json_string_value(json_object_get(j, "secret_key"));
    mtl_err e = MTL_OK;
    if (!type || strcmp(type, "secret-key") != 0)
        e = mtl_seterr(MTL_ERR_CONFIG,
                       "ancillary signer config: type '%.40s' not supported (only secret-key)",
                       type ? type : "(none)");
    else if (!key)
        e = mtl_seterr(MTL_ERR_CONFIG, "ancillary signer config: no secret_key");
    else if ((e = mtl_genesis_vkey_decode(sk, key)) != MTL_OK)
        e = mtl_err_wrap(MTL_ERR_CONFIG, "ancillary signer secret key");
    /* jansson keeps a copy of the secret; wipe it before freeing */
    if (key)
        mtl_memzero((char *)key, strlen(key));
    json_decref(j);
    return e;
}
