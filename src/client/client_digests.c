/* client_digests.c - the artifact's certified per-file digests: fetched from
 * its digests locations (a tar.zst archive holding one JSON file, or plain
 * JSON), kept up to the certified immutable number, and checked against the
 * certified Merkle root before any archive is restored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_services.h"
#include "common/common_int.h"
#include "log.h"

#define DIGESTS_MAX (256u << 20)

const struct restore_digest *restore_digest_find(const struct restore_digest *d, size_t n,
                                                 const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(d[mid].name, name);
        if (c == 0)
            return &d[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct one_file {
    const char *url;
    int nfiles;
    struct mtl_buf *out;
};

/* Entry policy of a digests archive: exactly one regular file, read whole. */
static mtl_err one_file_policy(void *ctx, struct client_entry *e, int *stop)
{
    struct one_file *f = ctx;
    (void)stop;
    if (!e->regular)
        return MTL_OK;
    MTL_CHECK(++f->nfiles == 1, MTL_ERR_BAD_ENCODING, "%s: more than one file in the archive",
              f->url);
    return client_entry_read(e, f->out, f->url);
}

/* A digests location into memory: when `archived`, the only regular file of
 * the archive. */
static mtl_err fetch_location(const char *url, int archived, char **out, size_t *len)
{
    char *body;
    size_t blen;
    MTL_TRY(client_http_fetch(url, "digests", DIGESTS_MAX, &body, &blen));
    if (!archived) {
        *out = body;
        *len = blen;
        return MTL_OK;
    }
    struct mtl_buf file;
    mtl_buf_init(&file, DIGESTS_MAX);
    struct one_file f = {.url = url, .out = &file};
    struct client_unpack u = {.what = url, .policy = one_file_policy, .ctx = &f};
    mtl_err e = client_unpack_memory(body, blen, &u);
    mtl_free(body);
    if (e == MTL_OK && f.nfiles != 1)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: the archive holds no file", url);
    if (e == MTL_OK && (e = mtl_buf_nul(&file)) == MTL_OK)
        *out = (char *)mtl_buf_take(&file, len);
    mtl_buf_free(&file);
    return e;
}

static int cmp_digest(const void *a, const void *b)
{
    return strcmp(((const struct restore_digest *)a)->name,
                  ((const struct restore_digest *)b)->name);
}

/* The kept entries of a parsed list into d (*n of them). */
static mtl_err take_digests(json_t *j, uint64_t max_number, struct restore_digest *d, size_t *n)
{
    size_t i;
    json_t *it;
    json_array_foreach(j, i, it)
    {
        const char *name = json_string_value(json_object_get(it, "immutable_file_name"));
        const char *dg = json_string_value(json_object_get(it, "digest"));
        MTL_CHECK(name && dg, MTL_ERR_BAD_ENCODING,
                  "digests[%zu]: immutable_file_name and digest must be strings", i);
        uint64_t num;
        if (!mtl_immutable_trio_parse(name, &num, NULL) || num > max_number)
            continue;
        MTL_CHECK(strlen(dg) == 64 && strspn(dg, "0123456789abcdef") == 64, MTL_ERR_BAD_ENCODING,
                  "digests: digest of %s is not 64 hex digits", name);
        memcpy(d[*n].name, name, strlen(name) + 1);
        memcpy(d[*n].digest, dg, 65);
        (*n)++;
    }
    mtl_sort(d, *n, sizeof(*d), cmp_digest);
    for (size_t k = 1; k < *n; k++)
        MTL_CHECK(strcmp(d[k - 1].name, d[k].name) != 0, MTL_ERR_BAD_ENCODING,
                  "digests: %s listed twice", d[k].name);
    MTL_CHECK(*n > 0, MTL_ERR_BAD_ENCODING, "digests: no immutable file up to %05llu",
              (unsigned long long)max_number);
    return MTL_OK;
}

mtl_err client_digests_parse(const char *json, size_t len, uint64_t max_number,
                             struct restore_digest **out, size_t *count)
{
    json_error_t je;
    json_t *j = json_loadb(json, len, 0, &je);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "digests: invalid JSON: %s", je.text);
    struct restore_digest *d = NULL;
    size_t n = 0;
    mtl_err e = MTL_OK;
    if (!json_is_array(j))
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "digests: expected a JSON array");
    else if (!(d = mtl_calloc(json_array_size(j) + 1, sizeof(*d))))
        e = mtl_seterr(MTL_ERR_NOMEM, "digests: out of memory");
    else
        e = take_digests(j, max_number, d, &n);
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
    MTL_CHECK(certified_root && strcmp(root, certified_root) == 0, MTL_ERR_INTEGRITY,
              "digests: Merkle root %s of the %zu listed files differs from the certified %s", root,
              n, certified_root ? certified_root : "(none)");
    return MTL_OK;
}

/* One location: fetched, parsed, and (certified_root given) its root checked. */
static mtl_err try_location(const json_t *loc, uint64_t max_number, const char *certified_root,
                            struct restore_digest **out, size_t *count)
{
    const char *uri = json_string_value(json_object_get(loc, "uri"));
    int archived = json_object_get(loc, "compression_algorithm") != NULL;
    char *body = NULL;
    size_t len = 0;
    MTL_TRY(fetch_location(uri, archived, &body, &len));
    mtl_err e = client_digests_parse(body, len, max_number, out, count);
    mtl_free(body);
    if (e == MTL_OK && certified_root &&
        (e = client_digests_check_root(*out, *count, certified_root)) != MTL_OK) {
        mtl_free(*out);
        *out = NULL;
    }
    return e;
}

mtl_err client_digests_fetch_certified(const json_t *artifact, uint64_t max_number,
                                       const char *certified_root, const struct client_events *ev,
                                       struct restore_digest **out, size_t *count)
{
    json_t *locs = json_object_get(json_object_get(artifact, "digests"), "locations");
    const char *uris[CLIENT_MAX_LOCATIONS];
    size_t n = client_locations(artifact, "digests", 0, uris, CLIENT_MAX_LOCATIONS), k = 0, i;
    struct client_loc_errors le = {0};
    mtl_err last = MTL_ERR_NOT_FOUND;
    json_t *loc;
    json_array_foreach(locs, i, loc)
    {
        const char *uri = json_string_value(json_object_get(loc, "uri"));
        if (k >= n || uri != uris[k]) /* not a usable location */
            continue;
        k++;
        if ((last = try_location(loc, max_number, certified_root, out, count)) == MTL_OK)
            return MTL_OK;
        log_warn("digests_location_failed", "uri=%s error=\"%s\"", uri, mtl_err_detail());
        client_loc_failed(&le, ev, "digests", uri, k < n);
    }
    return client_loc_all_failed(&le, last, "digests");
}

mtl_err client_digests_fetch(const json_t *artifact, uint64_t max_number,
                             struct restore_digest **out, size_t *count)
{
    return client_digests_fetch_certified(artifact, max_number, NULL, NULL, out, count);
}
