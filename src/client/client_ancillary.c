/* client_ancillary.c - ancillary files (ledger state, in-progress trio):
 * unpacked into a fresh temp dir, then ancillary_manifest.json is checked
 * (every listed file's SHA-256, Ed25519 signature of the IOG-style key over
 * SHA-256(key1||value1||...)) and only listed files are moved into the DB.
 * The temp dir is removed whatever happens. Not Mithril-certified. */
#define _GNU_SOURCE /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_ancillary.h"
#include "client_int.h"
#include "client_restore.h"

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

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

mtl_err client_ancillary_verify_dir(const char *dir, const uint8_t vk[32], json_t **data_out)
{
    char mp[4200];
    snprintf(mp, sizeof(mp), "%s/ancillary_manifest.json", dir);
    json_error_t je;
    json_t *m = json_load_file(mp, 0, &je);
    MTL_CHECK(m, MTL_ERR_BAD_ENCODING, "ancillary manifest: %s", je.text);
    json_t *data = json_object_get(m, "data");
    const char *sig_hex = json_string_value(json_object_get(m, "signature"));
    mtl_err e = MTL_OK;
    const char **keys = NULL;
    EVP_MD_CTX *h = NULL;
    if (!json_is_object(data) || json_object_size(data) == 0) {
        e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                       "ancillary manifest: 'data' must be a non-empty object");
        goto out;
    }
    if (!sig_hex) {
        e = mtl_seterr(MTL_ERR_VERIFY_FAIL, "ancillary manifest: not signed");
        goto out;
    }
    size_t n = json_object_size(data), i = 0;
    keys = mtl_calloc(n, sizeof(char *));
    const char *k;
    json_t *v;
    json_object_foreach(data, k, v) keys[i++] = k;
    qsort(keys, n, sizeof(char *), cmp_key); /* sorted like the reference's BTreeMap */
    h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    for (i = 0; i < n; i++) {
        const char *want = json_string_value(json_object_get(data, keys[i]));
        if (!want || strstr(keys[i], "..") || keys[i][0] == '/') {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary manifest: bad entry '%.200s'", keys[i]);
            goto out;
        }
        char p[4400], got[65];
        snprintf(p, sizeof(p), "%s/%s", dir, keys[i]);
        if ((e = sha256_path(p, got)) != MTL_OK)
            goto out;
        if (strcmp(got, want) != 0) {
            e = mtl_seterr(MTL_ERR_INTEGRITY,
                           "ancillary file %s: SHA-256 %s differs from the "
                           "manifest's %s",
                           keys[i], got, want);
            goto out;
        }
        EVP_DigestUpdate(h, keys[i], strlen(keys[i]));
        EVP_DigestUpdate(h, want, strlen(want));
    }
    uint8_t md[32], sig[64];
    unsigned int l;
    EVP_DigestFinal_ex(h, md, &l);
    size_t sl = 0;
    if (mtl_hex_decode(sig, sizeof(sig), &sl, sig_hex, strlen(sig_hex)) != MTL_OK || sl != 64) {
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "ancillary manifest: signature is not 64 hex bytes");
        goto out;
    }
    if (mtl_genesis_verify(vk, sig, md, 32) != MTL_OK) {
        e = mtl_seterr(MTL_ERR_VERIFY_FAIL, "ancillary manifest: signature does not verify with "
                                            "the ancillary verification key");
        goto out;
    }
    if (data_out)
        *data_out = json_incref(data);
out:
    EVP_MD_CTX_free(h);
    mtl_free(keys);
    json_decref(m);
    return e;
}

mtl_err client_ancillary_restore(const char *url, const char *db_dir, const uint8_t vk[32])
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s/ancillary-%ld", db_dir, (long)getpid());
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    MTL_CHECK(mkdir(tmp, 0700) == 0, MTL_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
    json_t *data = NULL;
    mtl_err e = client_stream_extract(url, tmp);
    if (e == MTL_OK)
        e = client_ancillary_verify_dir(tmp, vk, &data);
    const char *k;
    json_t *v;
    if (e == MTL_OK) {
        json_object_foreach(data, k, v)
        {
            char from[4400], to[4400];
            snprintf(from, sizeof(from), "%s/%s", tmp, k);
            snprintf(to, sizeof(to), "%s/%s", db_dir, k);
            char parent[4400];
            snprintf(parent, sizeof(parent), "%s", to);
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
    json_decref(data);
    nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return e;
}
