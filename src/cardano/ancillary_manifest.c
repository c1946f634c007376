/* ancillary_manifest.c - the signed manifest of the ancillary archive
 * (reference: AncillaryFilesManifest / SignableManifest): the aggregator
 * signs it, the client verifies it before extracting anything. One
 * implementation of the manifest hash for both sides of the wire. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "cardano_int.h"

bool mtl_ancillary_path_ok(const char *p)
{
    if (!p || !*p || *p == '/' || strlen(p) > 1024)
        return false;
    for (const char *c = p; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += n + (e ? 1 : 0);
    }
    return true;
}

/* Rust's Path ordering: component by component (bytes), a path before its
 * extensions ("a/b" < "a/b/c" < "a-b", unlike strcmp where "a-b" < "a/b"). */
static int path_cmp(const char *a, const char *b)
{
    for (;;) {
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        int c = memcmp(a, b, la < lb ? la : lb);
        if (c != 0)
            return c;
        if (la != lb)
            return la < lb ? -1 : 1;
        a += la, b += lb;
        while (*a == '/') /* Path::components() ignores repeated and trailing slashes */
            a++;
        while (*b == '/')
            b++;
        if (!*a || !*b)
            return *a ? 1 : *b ? -1 : 0;
    }
}

static int file_cmp(const void *x, const void *y)
{
    return path_cmp(((const struct mtl_ancillary_file *)x)->path,
                    ((const struct mtl_ancillary_file *)y)->path);
}

/* A copy of the entries (strings borrowed) in manifest order. */
static mtl_err sorted_copy(const struct mtl_ancillary_file *files, size_t n,
                           struct mtl_ancillary_file **out)
{
    *out = mtl_calloc(n ? n : 1, sizeof(**out));
    MTL_CHECK(*out, MTL_ERR_NOMEM, "ancillary manifest: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!files[i].path || !files[i].digest) {
            mtl_free(*out);
            *out = NULL;
            return mtl_seterr(MTL_ERR_INVALID_ARG, "ancillary manifest: entry %zu has no %s", i,
                              files[i].path ? "digest" : "path");
        }
        (*out)[i] = files[i];
    }
    mtl_sort(*out, n, sizeof(**out), file_cmp);
    return MTL_OK;
}

static mtl_err hash_sorted(uint8_t md[32], const struct mtl_ancillary_file *f, size_t n)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    MTL_CHECK(h, MTL_ERR_NOMEM, "ancillary manifest: out of memory");
    int ok = EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(h, f[i].path, strlen(f[i].path)) == 1 &&
             EVP_DigestUpdate(h, f[i].digest, strlen(f[i].digest)) == 1;
    unsigned int l = 0;
    ok = ok && EVP_DigestFinal_ex(h, md, &l) == 1 && l == 32;
    EVP_MD_CTX_free(h);
    MTL_CHECK(ok, MTL_ERR_INTERNAL, "ancillary manifest: SHA-256 failed");
    return MTL_OK;
}

mtl_err mtl_ancillary_manifest_hash(uint8_t md[32], const struct mtl_ancillary_file *files,
                                    size_t n)
{
    struct mtl_ancillary_file *s;
    MTL_TRY(sorted_copy(files, n, &s));
    mtl_err e = hash_sorted(md, s, n);
    mtl_free(s);
    return e;
}

static bool hex64(const char *s)
{
    return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static bool entry_ok(const char *path, const char *digest)
{
    return mtl_ancillary_path_ok(path) && strcmp(path, MTL_ANCILLARY_MANIFEST_NAME) != 0 &&
           hex64(digest);
}

/* {"data":{...sorted...},"signature":"..."} as compact JSON. */
static mtl_err manifest_text(char **json, size_t *len, const struct mtl_ancillary_file *s, size_t n,
                             const char *sig_hex)
{
    json_t *m = json_object(), *data = json_object();
    int ok = m && data && json_object_set(m, "data", data) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = json_object_set_new(data, s[i].path, json_string(s[i].digest)) == 0;
    ok = ok && json_object_set_new(m, "signature", json_string(sig_hex)) == 0;
    char *text = ok ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(data);
    json_decref(m);
    MTL_CHECK(text, MTL_ERR_NOMEM, "ancillary manifest: out of memory");
    *json = mtl_strdup(text);
    free(text); /* jansson's allocator */
    MTL_CHECK(*json, MTL_ERR_NOMEM, "ancillary manifest: out of memory");
    if (len)
        *len = strlen(*json);
    return MTL_OK;
}

mtl_err mtl_ancillary_manifest_sign(char **json, size_t *len,
                                    const struct mtl_ancillary_file *files, size_t n,
                                    const uint8_t sk[MTL_GENESIS_SK_BYTES])
{
    *json = NULL;
    MTL_CHECK(n > 0, MTL_ERR_INVALID_ARG, "ancillary manifest: no file to list");
    struct mtl_ancillary_file *s;
    MTL_TRY(sorted_copy(files, n, &s));
    mtl_err e = MTL_OK;
    for (size_t i = 0; i < n && e == MTL_OK; i++) {
        if (!entry_ok(s[i].path, s[i].digest))
            e = mtl_seterr(MTL_ERR_INVALID_ARG, "ancillary manifest: bad entry '%.200s'",
                           s[i].path);
        else if (i > 0 && path_cmp(s[i - 1].path, s[i].path) == 0)
            e = mtl_seterr(MTL_ERR_INVALID_ARG, "ancillary manifest: '%.200s' listed twice",
                           s[i].path);
    }
    uint8_t md[32], sig[MTL_GENESIS_SIG_BYTES];
    char sig_hex[2 * MTL_GENESIS_SIG_BYTES + 1];
    if (e == MTL_OK && (e = hash_sorted(md, s, n)) == MTL_OK &&
        (e = mtl_genesis_sign(sig, sk, md, sizeof(md))) == MTL_OK &&
        (e = mtl_hex_encode(sig_hex, sizeof(sig_hex), sig, sizeof(sig))) == MTL_OK)
        e = manifest_text(json, len, s, n, sig_hex);
    mtl_free(s);
    return e;
}

void mtl_ancillary_manifest_free(struct mtl_ancillary_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++) {
        mtl_free((char *)m->files[i].path);
        mtl_free((char *)m->files[i].digest);
    }
    mtl_free(m->files);
    m->files = NULL;
    m->count = 0;
}

/* The entries of a parsed "data" object, copied and sorted into out. */
static mtl_err take_entries(struct mtl_ancillary_manifest *out, json_t *data)
{
    size_t n = json_object_size(data), i = 0;
    out->files = mtl_calloc(n, sizeof(*out->files));
    MTL_CHECK(out->files, MTL_ERR_NOMEM, "ancillary manifest: out of memory");
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v)
    {
        const char *d = json_string_value(v);
        if (!entry_ok(k, d))
            return mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary manifest: bad entry '%.200s'", k);
        out->files[i].path = mtl_strdup(k);
        out->files[i].digest = mtl_strdup(d);
        out->count = ++i;
        MTL_CHECK(out->files[i - 1].path && out->files[i - 1].digest, MTL_ERR_NOMEM,
                  "ancillary manifest: out of memory");
    }
    mtl_sort(out->files, n, sizeof(*out->files), file_cmp);
    for (i = 1; i < n; i++) /* "a//b" and "a/b" are one path to Rust */
        MTL_CHECK(path_cmp(out->files[i - 1].path, out->files[i].path) != 0, MTL_ERR_BAD_ENCODING,
                  "ancillary manifest: '%.200s' listed twice", out->files[i].path);
    return MTL_OK;
}

static mtl_err check_signature(const struct mtl_ancillary_manifest *m, const char *sig_hex,
                               const uint8_t vk[MTL_GENESIS_VK_BYTES])
{
    uint8_t md[32], sig[MTL_GENESIS_SIG_BYTES];
    size_t sl = 0;
    MTL_CHECK(mtl_hex_decode(sig, sizeof(sig), &sl, sig_hex, strlen(sig_hex)) == MTL_OK &&
                  sl == sizeof(sig),
              MTL_ERR_BAD_ENCODING, "ancillary manifest: signature is not 64 hex bytes");
    MTL_TRY(hash_sorted(md, m->files, m->count));
    MTL_CHECK(mtl_genesis_verify(vk, sig, md, sizeof(md)) == MTL_OK, MTL_ERR_VERIFY_FAIL,
              "ancillary manifest: signature does not verify with the ancillary verification key");
    return MTL_OK;
}

mtl_err mtl_ancillary_manifest_verify(struct mtl_ancillary_manifest *out, const char *json,
                                      size_t len, const uint8_t vk[MTL_GENESIS_VK_BYTES])
{
    memset(out, 0, sizeof(*out));
    MTL_CHECK(len <= MTL_ANCILLARY_MANIFEST_MAX, MTL_ERR_TOO_BIG,
              "ancillary manifest: larger than %u bytes", MTL_ANCILLARY_MANIFEST_MAX);
    json_error_t je;
    json_t *m = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    MTL_CHECK(m, MTL_ERR_BAD_ENCODING, "ancillary manifest: %s", je.text);
    json_t *data = json_object_get(m, "data");
    const char *sig_hex = json_string_value(json_object_get(m, "signature"));
    struct mtl_ancillary_manifest got = {0};
    mtl_err e = MTL_OK;
    if (!json_is_object(data) || json_object_size(data) == 0)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                       "ancillary manifest: 'data' must be a non-empty object");
    else if (!sig_hex)
        e = mtl_seterr(MTL_ERR_VERIFY_FAIL, "ancillary manifest: not signed");
    else if ((e = take_entries(&got, data)) == MTL_OK)
        e = check_signature(&got, sig_hex, vk);
    json_decref(m);
    if (e != MTL_OK) {
        mtl_ancillary_manifest_free(&got);
        return e;
    }
    *out = got;
    return MTL_OK;
}

long mtl_ancillary_manifest_find(const struct mtl_ancillary_manifest *m, const char *path)
{
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = path_cmp(m->files[mid].path, path);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *mtl_ancillary_manifest_digest(const struct mtl_ancillary_manifest *m, const char *path)
{
    long i = mtl_ancillary_manifest_find(m, path);
    return i < 0 ? NULL : m->files[i].digest;
}
