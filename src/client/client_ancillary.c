/* client_ancillary.c - ancillary files (ledger state, in-progress trio),
 * signed by an IOG-style Ed25519 key, not Mithril-certified. The archive is
 * downloaded (bounded) to a private temp file and read twice: first only
 * ancillary_manifest.json, whose signature over SHA-256(key1||value1||...)
 * is checked; then only the files that signed manifest lists are extracted
 * into a fresh temp dir, each bounded, hashed as it is written and matched
 * to the manifest, before they are moved into the DB. Nothing unsigned is
 * ever written; the temp file and dir are removed whatever happens. */
#define _GNU_SOURCE /* nftw */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_ancillary.h"
#include "client_int.h"
#include "client_restore.h"
#include "snapshotter.h"

#define MANIFEST_NAME "ancillary_manifest.json"
#define MANIFEST_MAX (1u << 20)

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static mtl_err sha256_path(const char *path, char hex[65])
{
    mtl_err e = restore_sha256_file(path, hex);
    if (e == MTL_ERR_NOT_FOUND)
        return mtl_seterr(MTL_ERR_INTEGRITY, "ancillary file %s: missing", path);
    return e;
}

/* The manifest's data (borrowed from m) once its signature verifies under
 * vk; every key must be a safe relative path and every value a string. */
static mtl_err manifest_signed_data(json_t *m, const uint8_t vk[32], json_t **data_out)
{
    json_t *data = json_object_get(m, "data");
    const char *sig_hex = json_string_value(json_object_get(m, "signature"));
    MTL_CHECK(json_is_object(data) && json_object_size(data) > 0, MTL_ERR_BAD_ENCODING,
              "ancillary manifest: 'data' must be a non-empty object");
    MTL_CHECK(sig_hex, MTL_ERR_VERIFY_FAIL, "ancillary manifest: not signed");
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v)
    {
        MTL_CHECK(json_is_string(v) && restore_safe_relpath(k) && strcmp(k, MANIFEST_NAME) != 0,
                  MTL_ERR_BAD_ENCODING, "ancillary manifest: bad entry '%.200s'", k);
    }
    uint8_t md[32], sig[64];
    size_t sl = 0;
    MTL_TRY(snap_manifest_hash(md, data));
    MTL_CHECK(mtl_hex_decode(sig, sizeof(sig), &sl, sig_hex, strlen(sig_hex)) == MTL_OK && sl == 64,
              MTL_ERR_BAD_ENCODING, "ancillary manifest: signature is not 64 hex bytes");
    MTL_CHECK(mtl_genesis_verify(vk, sig, md, 32) == MTL_OK, MTL_ERR_VERIFY_FAIL,
              "ancillary manifest: signature does not verify with the ancillary verification key");
    *data_out = data;
    return MTL_OK;
}

mtl_err client_ancillary_verify_dir(const char *dir, const uint8_t vk[32], json_t **data_out)
{
    char mp[4200];
    MTL_TRY(mtl_path_fmt(mp, sizeof(mp), "%s/" MANIFEST_NAME, dir));
    json_error_t je;
    json_t *m = json_load_file(mp, 0, &je);
    MTL_CHECK(m, MTL_ERR_BAD_ENCODING, "ancillary manifest: %s", je.text);
    json_t *data = NULL;
    mtl_err e = manifest_signed_data(m, vk, &data);
    const char *k;
    json_t *v;
    if (e == MTL_OK) {
        json_object_foreach(data, k, v)
        {
            char p[4400], got[65];
            if ((e = mtl_path_fmt(p, sizeof(p), "%s/%s", dir, k)) != MTL_OK ||
                (e = sha256_path(p, got)) != MTL_OK)
                break;
            if (strcmp(got, json_string_value(v)) != 0) {
                e = mtl_seterr(MTL_ERR_INTEGRITY,
                               "ancillary file %s: SHA-256 %s differs from the manifest's %s", k,
                               got, json_string_value(v));
                break;
            }
        }
    }
    if (e == MTL_OK && data_out)
        *data_out = json_incref(data);
    json_decref(m);
    return e;
}

struct sink {
    int fd;
    uint64_t got, cap;
    const char *path;
    mtl_err err;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    struct sink *k = ud;
    size_t len = sz * n;
    if (k->got + len > k->cap) {
        k->err = mtl_seterr(MTL_ERR_TOO_BIG, "ancillary archive: larger than %llu bytes",
                            (unsigned long long)k->cap);
        return 0;
    }
    if ((k->err = mtl_write_all(k->fd, p, len, k->path)) != MTL_OK)
        return 0;
    k->got += len;
    return len;
}

/* The archive as it is served, into a new private file (at most cap bytes). */
static mtl_err download_to(const char *url, const char *path, uint64_t cap)
{
    CURL *c = curl_easy_init();
    MTL_CHECK(c, MTL_ERR_NOMEM, "curl_easy_init failed");
    mtl_err e = restore_set_url(c, "ancillary archive", url);
    struct sink k = {.fd = -1, .cap = cap, .path = path, .err = MTL_OK};
    if (e == MTL_OK &&
        (k.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        e = mtl_seterr(MTL_ERR_IO, "create %s: %s", path, strerror(errno));
    if (e == MTL_OK) {
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
        CURLcode rc = curl_easy_perform(c);
        if (k.err != MTL_OK)
            e = mtl_seterr(k.err, "%s", mtl_err_detail());
        else if (rc != CURLE_OK)
            e = mtl_seterr(MTL_ERR_HTTP, "ancillary archive: GET %s: %s", url,
                           curl_easy_strerror(rc));
    }
    if (k.fd >= 0 && close(k.fd) != 0 && e == MTL_OK)
        e = mtl_seterr(MTL_ERR_IO, "close %s: %s", path, strerror(errno));
    curl_easy_cleanup(c);
    return e;
}

static struct archive *open_archive(const char *path, mtl_err *e)
{
    struct archive *a = archive_read_new();
    if (!a) {
        *e = mtl_seterr(MTL_ERR_NOMEM, "ancillary archive: out of memory");
        return NULL;
    }
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        *e = mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary archive: %s", archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    *e = MTL_OK;
    return a;
}

static const char *entry_name(struct archive_entry *en)
{
    const char *p = archive_entry_pathname(en);
    if (p && p[0] == '.' && p[1] == '/')
        p += 2;
    return p ? p : "";
}

/* Pass 1: only the manifest is read (everything else skipped) and its
 * signature checked. *m gets the parsed manifest. */
static mtl_err read_manifest(const char *path, const uint8_t vk[32], json_t **m, json_t **data)
{
    mtl_err e;
    struct archive *a = open_archive(path, &e);
    if (!a)
        return e;
    struct archive_entry *en;
    int r;
    *m = NULL;
    while (e == MTL_OK && !*m && (r = archive_read_next_header(a, &en)) == ARCHIVE_OK) {
        if (strcmp(entry_name(en), MANIFEST_NAME) != 0 || archive_entry_filetype(en) != AE_IFREG)
            continue;
        if (archive_entry_size(en) > (la_int64_t)MANIFEST_MAX) {
            e = mtl_seterr(MTL_ERR_TOO_BIG, "ancillary manifest: larger than %u bytes",
                           MANIFEST_MAX);
            break;
        }
        char *text = mtl_malloc(MANIFEST_MAX + 1);
        size_t len = 0;
        la_ssize_t n = text ? 1 : -1;
        while (n > 0 && len < MANIFEST_MAX)
            if ((n = archive_read_data(a, text + len, MANIFEST_MAX - len)) > 0)
                len += (size_t)n;
        json_error_t je;
        if (n < 0)
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary manifest: %s",
                           text ? archive_error_string(a) : "out of memory");
        else if (!(*m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary manifest: %s", je.text);
        mtl_free(text);
    }
    if (e == MTL_OK && !*m)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary archive: no %s in it", MANIFEST_NAME);
    if (e == MTL_OK)
        e = manifest_signed_data(*m, vk, data);
    archive_read_free(a);
    return e;
}

/* Parent directories of dir/rel (rel is a safe relative path). */
static mtl_err make_parents(const char *dir, const char *rel)
{
    char p[4400];
    MTL_TRY(mtl_path_fmt(p, sizeof(p), "%s/%s", dir, rel));
    char *slash = strrchr(p, '/');
    if (slash && slash > p + strlen(dir)) {
        *slash = 0;
        return client_mkdir_p(p, 0700);
    }
    return MTL_OK;
}

/* One listed entry into dir/name, bounded, hashed as written, matched. */
static mtl_err extract_listed(struct archive *a, struct archive_entry *en, const char *dir,
                              const char *name, const char *want, uint64_t *budget)
{
    MTL_CHECK(archive_entry_size_is_set(en) && archive_entry_size(en) >= 0 &&
                  (uint64_t)archive_entry_size(en) <= *budget,
              MTL_ERR_TOO_BIG,
              "ancillary file %s: declares %lld bytes, beyond the %llu bytes left of what the "
              "snapshot announces (archive bomb?)",
              name, (long long)archive_entry_size(en), (unsigned long long)*budget);
    *budget -= (uint64_t)archive_entry_size(en);
    MTL_TRY(make_parents(dir, name));
    char path[4400];
    MTL_TRY(mtl_path_fmt(path, sizeof(path), "%s/%s", dir, name));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "ancillary file %s: %s", name, strerror(errno));
    char label[1100], got[65];
    snprintf(label, sizeof(label), "ancillary file %s", name);
    uint64_t total = 0;
    mtl_err e = restore_write_entry(a, fd, path, label, got, &total);
    if (e == MTL_OK && strcmp(got, want) != 0)
        e = mtl_seterr(MTL_ERR_INTEGRITY,
                       "ancillary file %s: SHA-256 %s differs from the manifest's %s", name, got,
                       want);
    return e;
}

/* Pass 2: the listed files only, each once; anything else is refused. */
static mtl_err extract_signed(const char *path, const char *dir, json_t *data, uint64_t budget)
{
    mtl_err e;
    struct archive *a = open_archive(path, &e);
    if (!a)
        return e;
    json_t *seen = json_object();
    struct archive_entry *en;
    int r = ARCHIVE_OK;
    while (e == MTL_OK && (r = archive_read_next_header(a, &en)) == ARCHIVE_OK) {
        const char *name = entry_name(en);
        mode_t ft = archive_entry_filetype(en);
        if (ft == AE_IFDIR || strcmp(name, MANIFEST_NAME) == 0)
            continue;
        const char *want = json_string_value(json_object_get(data, name));
        if (ft != AE_IFREG || !want || json_object_get(seen, name))
            e = mtl_seterr(MTL_ERR_INTEGRITY,
                           "ancillary archive: entry '%.200s' is not a file the signed manifest "
                           "lists (or comes twice)",
                           name);
        else if ((e = extract_listed(a, en, dir, name, want, &budget)) == MTL_OK)
            json_object_set_new(seen, name, json_true());
    }
    if (e == MTL_OK && r != ARCHIVE_EOF)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary archive is corrupt: %s",
                       archive_error_string(a));
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v)
    {
        if (e == MTL_OK && !json_object_get(seen, k))
            e = mtl_seterr(MTL_ERR_INTEGRITY,
                           "ancillary file %s: listed in the manifest, not in "
                           "the archive",
                           k);
    }
    json_decref(seen);
    archive_read_free(a);
    return e;
}

mtl_err client_ancillary_restore(const char *url, const char *db_dir, const uint8_t vk[32],
                                 uint64_t max_bytes)
{
    char tmp[4200], arc[4200];
    MTL_TRY(mtl_path_fmt(tmp, sizeof(tmp), "%s/ancillary-%ld", db_dir, (long)getpid()));
    MTL_TRY(mtl_path_fmt(arc, sizeof(arc), "%s/ancillary-%ld.tar.part", db_dir, (long)getpid()));
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    unlink(arc);
    MTL_CHECK(mkdir(tmp, 0700) == 0, MTL_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
    uint64_t budget = max_bytes ? max_bytes : UINT64_MAX;
    json_t *m = NULL, *data = NULL;
    /* the compressed archive is not larger than its content plus framing */
    mtl_err e =
        download_to(url, arc, max_bytes ? max_bytes + MANIFEST_MAX + (max_bytes >> 6) : UINT64_MAX);
    if (e == MTL_OK)
        e = read_manifest(arc, vk, &m, &data);
    if (e == MTL_OK)
        e = extract_signed(arc, tmp, data, budget);
    unlink(arc);
    const char *k;
    json_t *v;
    if (e == MTL_OK) {
        json_object_foreach(data, k, v)
        {
            char from[4400], to[4400];
            if ((e = mtl_path_fmt(from, sizeof(from), "%s/%s", tmp, k)) != MTL_OK ||
                (e = mtl_path_fmt(to, sizeof(to), "%s/%s", db_dir, k)) != MTL_OK)
                break;
            char parent[4400];
            memcpy(parent, to, sizeof(parent));
            char *slash = strrchr(parent, '/');
            if (slash) {
                *slash = 0;
                client_mkdir_p(parent, 0755);
            }
            if (rename(from, to) != 0) {
                e = mtl_seterr(MTL_ERR_IO, "move %s: %s", k, strerror(errno));
                break;
            }
        }
    }
    json_decref(m);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return e;
}
