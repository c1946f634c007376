/* client_digests.c - fetch the artifact's digests list (tar.zst archive or
 * plain JSON location), keep the files up to the certified immutable number,
 * and check their Merkle root against the certified one. */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_digests.h"
#include "mithril/cardano_db.h"
#include "log.h"

struct membuf {
    struct mtl_buf b;
    int over;
};
static size_t on_mem(char *p, size_t sz, size_t n, void *ud)
{
    struct membuf *m = ud;
    if (mtl_buf_append(&m->b, p, sz * n) != MTL_OK) {
        m->over = 1;
        return 0;
    }
    return sz * n;
}

mtl_err client_fetch_location(const char *url, int archived, size_t cap, char **out, size_t *len)
{
    struct membuf m = {.over = 0};
    mtl_buf_init(&m.b, cap);
    CURL *c = curl_easy_init();
    MTL_CHECK(c, MTL_ERR_NOMEM, "curl_easy_init failed");
    mtl_err ue = restore_set_url(c, "digests", url);
    if (ue != MTL_OK) {
        curl_easy_cleanup(c);
        return ue;
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_mem);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        mtl_buf_free(&m.b);
        if (m.over)
            return mtl_seterr(MTL_ERR_TOO_BIG, "GET %s: larger than %zu bytes", url, cap);
        return mtl_seterr(MTL_ERR_HTTP, "GET %s: %s", url, curl_easy_strerror(rc));
    }
    if (!archived) {
        mtl_err e = mtl_buf_nul(&m.b);
        if (e != MTL_OK) {
            mtl_buf_free(&m.b);
            return e;
        }
        *out = (char *)mtl_buf_take(&m.b, len);
        return MTL_OK;
    }
    /* the archive must hold exactly one regular file */
    struct archive *a = archive_read_new();
    mtl_err e = MTL_OK;
    struct mtl_buf file;
    mtl_buf_init(&file, cap);
    int nfiles = 0;
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, m.b.data, m.b.len) != ARCHIVE_OK) {
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: %s", url, archive_error_string(a));
        goto out;
    }
    struct archive_entry *ent;
    int r;
    while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
        if (archive_entry_filetype(ent) != AE_IFREG)
            continue;
        if (++nfiles > 1) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: more than one file in the archive", url);
            goto out;
        }
        char blk[65536];
        la_ssize_t n;
        while ((n = archive_read_data(a, blk, sizeof(blk))) > 0)
            if ((e = mtl_buf_append(&file, blk, (size_t)n)) != MTL_OK)
                goto out;
        if (n < 0) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: %s", url, archive_error_string(a));
            goto out;
        }
    }
    if (r != ARCHIVE_EOF)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: %s", url, archive_error_string(a));
    else if (nfiles != 1)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: the archive holds no file", url);
    else if ((e = mtl_buf_nul(&file)) == MTL_OK)
        *out = (char *)mtl_buf_take(&file, len);
out:
    archive_read_free(a);
    mtl_buf_free(&m.b);
    mtl_buf_free(&file);
    return e;
}

static int cmp_digest(const void *a, const void *b)
{
    return strcmp(((const struct restore_digest *)a)->name,
                  ((const struct restore_digest *)b)->name);
}

/* "NNNNN.chunk|primary|secondary" with NNNNN <= max. */
static int keep_name(const char *name, uint64_t max)
{
    size_t n = strlen(name);
    if (n < 7 || n >= 32 || strspn(name, "0123456789") != 5 || name[5] != '.')
        return 0;
    const char *ext = name + 6;
    if (strcmp(ext, "chunk") && strcmp(ext, "primary") && strcmp(ext, "secondary"))
        return 0;
    return strtoull(name, NULL, 10) <= max;
}

mtl_err client_digests_parse(const char *json, size_t len, uint64_t max_number,
                             struct restore_digest **out, size_t *count)
{
    json_error_t je;
    json_t *j = json_loadb(json, len, 0, &je);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "digests: invalid JSON: %s", je.text);
    mtl_err e = MTL_OK;
    struct restore_digest *d = NULL;
    size_t n = 0;
    if (!json_is_array(j)) {
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "digests: expected a JSON array");
        goto out;
    }
    d = mtl_calloc(json_array_size(j) + 1, sizeof(*d));
    if (!d) {
        e = mtl_seterr(MTL_ERR_NOMEM, "digests: out of memory");
        goto out;
    }
    size_t i;
    json_t *it;
    json_array_foreach(j, i, it)
    {
        const char *name = json_string_value(json_object_get(it, "immutable_file_name"));
        const char *dg = json_string_value(json_object_get(it, "digest"));
        if (!name || !dg) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                           "digests[%zu]: immutable_file_name and digest "
                           "must be strings",
                           i);
            goto out;
        }
        if (!keep_name(name, max_number))
            continue;
        if (strlen(dg) != 64 || strspn(dg, "0123456789abcdef") != 64) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "digests: digest of %s is not 64 hex digits",
                           name);
            goto out;
        }
        memcpy(d[n].name, name, strlen(name) + 1);
        memcpy(d[n].digest, dg, 65);
        n++;
    }
    qsort(d, n, sizeof(*d), cmp_digest);
    for (size_t k = 1; k < n; k++)
        if (strcmp(d[k - 1].name, d[k].name) == 0) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "digests: %s listed twice", d[k].name);
            goto out;
        }
    if (n == 0)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "digests: no immutable file up to %05llu",
                       (unsigned long long)max_number);
out:
    json_decref(j);
    if (e != MTL_OK) {
        mtl_free(d);
        return e;
    }
    *out = d;
    *count = n;
    return MTL_OK;
}

mtl_err client_digests_check_root(const struct restore_digest *d, size_t n,
                                  const char *certified_root)
{
    const char **leaves = mtl_calloc(n, sizeof(char *));
    MTL_CHECK(leaves, MTL_ERR_NOMEM, "digests: out of memory");
    for (size_t i = 0; i < n; i++)
        leaves[i] = d[i].digest;
    char root[65];
    mtl_err e = mtl_cardano_db_merkle_root(leaves, n, root);
    mtl_free(leaves);
    MTL_TRY(e);
    MTL_CHECK(strcmp(root, certified_root) == 0, MTL_ERR_INTEGRITY,
              "digests: Merkle root %s of the %zu listed files differs from the certified %s", root,
              n, certified_root);
    return MTL_OK;
}

mtl_err client_digests_fetch(const json_t *artifact, uint64_t max_number,
                             struct restore_digest **out, size_t *count)
{
    json_t *locs = json_object_get(json_object_get(artifact, "digests"), "locations");
    size_t i;
    json_t *loc;
    mtl_err last = mtl_seterr(MTL_ERR_NOT_FOUND, "digests: the artifact lists no location");
    json_array_foreach(locs, i, loc)
    {
        const char *uri = json_string_value(json_object_get(loc, "uri"));
        const char *type = json_string_value(json_object_get(loc, "type"));
        if (!uri || !type ||
            (strcmp(type, "cloud_storage") != 0 && strcmp(type, "aggregator") != 0))
            continue;
        int archived = json_object_get(loc, "compression_algorithm") != NULL;
        char *body = NULL;
        size_t len = 0;
        last = client_fetch_location(uri, archived, 256u << 20, &body, &len);
        if (last == MTL_OK) {
            last = client_digests_parse(body, len, max_number, out, count);
            mtl_free(body);
            if (last == MTL_OK)
                return MTL_OK;
        }
        log_warn("digests_location_failed", "uri=%s error=\"%s\"", uri, mtl_err_detail());
    }
    return last;
}
