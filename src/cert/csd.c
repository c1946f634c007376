/* csd.c - the CardanoStakeDistribution artifact: the Merkle root the
 * certificate signs (reference signable_builder/cardano_stake_distribution.rs),
 * the artifact hash (entities/cardano_stake_distribution.rs) and the check
 * of an artifact message against its certificate. The reference keeps the
 * distribution in a BTreeMap: every computation goes in pool id byte order. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cert_int.h"
#include "mithril/mktree.h"

struct csd_entry {
    const char *pool;
    uint64_t stake;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct csd_entry *)a)->pool, ((const struct csd_entry *)b)->pool);
}

/* The entries in pool id order; duplicates and empty ids are refused. */
static mtl_err sorted(struct csd_entry **out, const char *const *pool_ids, const uint64_t *stakes,
                      size_t n)
{
    *out = NULL;
    MTL_CHECK(n > 0 && pool_ids && stakes, MTL_ERR_INVALID_ARG,
              "cardano stake distribution: no pool");
    struct csd_entry *e = mtl_calloc(n, sizeof(*e));
    MTL_CHECK(e, MTL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!pool_ids[i] || !*pool_ids[i]) {
            mtl_free(e);
            return mtl_seterr(MTL_ERR_INVALID_ARG, "cardano stake distribution: pool %zu has no id",
                              i);
        }
        e[i].pool = pool_ids[i];
        e[i].stake = stakes[i];
    }
    mtl_sort(e, n, sizeof(*e), cmp_entry);
    for (size_t i = 1; i < n; i++)
        if (strcmp(e[i - 1].pool, e[i].pool) == 0) {
            mtl_err rc = mtl_seterr(MTL_ERR_INVALID_ARG,
                                    "cardano stake distribution: pool %.64s listed twice",
                                    e[i].pool);
            mtl_free(e);
            return rc;
        }
    *out = e;
    return MTL_OK;
}

static mtl_err root_of(char **root_hex, const struct csd_entry *e, size_t n)
{
    struct mtl_mktree *t = NULL;
    uint8_t *root = NULL;
    char *leaf = NULL;
    size_t cap = MTL_MKNODE_BYTES, len = 0;
    for (size_t i = 0; i < n; i++)
        cap = strlen(e[i].pool) + 21 > cap ? strlen(e[i].pool) + 21 : cap;
    mtl_err rc = mtl_mktree_new(&t);
    leaf = rc == MTL_OK ? mtl_malloc(cap + 1) : NULL;
    root = leaf ? mtl_malloc(cap) : NULL;
    if (rc == MTL_OK && !root)
        rc = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    /* a leaf is the pool id followed by its stake in decimal, not hashed */
    for (size_t i = 0; rc == MTL_OK && i < n; i++) {
        int l = snprintf(leaf, cap + 1, "%s%" PRIu64, e[i].pool, e[i].stake);
        rc = mtl_mktree_append(t, leaf, (size_t)l);
    }
    if (rc == MTL_OK)
        rc = mtl_mktree_root(t, root, cap, &len);
    if (rc == MTL_OK)
        rc = mtl_hex_encode_alloc(root_hex, root, len);
    mtl_free(root);
    mtl_free(leaf);
    mtl_mktree_free(t);
    return rc;
}

static void hash_of(char out[MTL_HASH_HEX_BYTES], uint64_t epoch, const struct csd_entry *e,
                    size_t n)
{
    crypto_hash_sha256_state st;
    uint8_t md[32], be[8];
    crypto_hash_sha256_init(&st);
    mtl_be64_put(be, epoch);
    crypto_hash_sha256_update(&st, be, 8);
    for (size_t i = 0; i < n; i++) {
        crypto_hash_sha256_update(&st, (const unsigned char *)e[i].pool, strlen(e[i].pool));
        mtl_be64_put(be, e[i].stake);
        crypto_hash_sha256_update(&st, be, 8);
    }
    crypto_hash_sha256_final(&st, md);
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, md, 32);
}

mtl_err mtl_csd_merkle_root(char **root_hex, const char *const *pool_ids, const uint64_t *stakes,
                            size_t n)
{
    MTL_CHECK(root_hex, MTL_ERR_INVALID_ARG, "cardano stake distribution: NULL output");
    *root_hex = NULL;
    struct csd_entry *e = NULL;
    MTL_TRY(sorted(&e, pool_ids, stakes, n));
    mtl_err rc = root_of(root_hex, e, n);
    mtl_free(e);
    return rc;
}

mtl_err mtl_csd_hash(char out[MTL_HASH_HEX_BYTES], uint64_t epoch, const char *const *pool_ids,
                     const uint64_t *stakes, size_t n)
{
    struct csd_entry *e = NULL;
    MTL_TRY(sorted(&e, pool_ids, stakes, n));
    hash_of(out, epoch, e, n);
    mtl_free(e);
    return MTL_OK;
}

/* The artifact's stake_distribution object as sorted entries (borrowing
 * the JSON's strings). */
static mtl_err entries_of(const json_t *d, struct csd_entry **out, size_t *n)
{
    *out = NULL;
    *n = json_object_size(d);
    MTL_CHECK(json_is_object(d) && *n > 0, MTL_ERR_BAD_ENCODING,
              "cardano stake distribution: stake_distribution must be a non-empty object");
    const char **pools = mtl_calloc(*n, sizeof(*pools));
    uint64_t *stakes = mtl_calloc(*n, sizeof(*stakes));
    mtl_err rc = pools && stakes ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    size_t i = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)d, k, v)
    {
        if (rc != MTL_OK)
            break;
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            rc = mtl_seterr(MTL_ERR_BAD_ENCODING,
                            "cardano stake distribution: stake of %.64s is not an unsigned integer",
                            k);
        else {
            pools[i] = k;
            stakes[i++] = (uint64_t)json_integer_value(v);
        }
    }
    if (rc == MTL_OK)
        rc = sorted(out, pools, stakes, *n);
    mtl_free(pools);
    mtl_free(stakes);
    return rc;
}

static mtl_err check_csd(const json_t *j, const struct mtl_certificate *cert,
                         char hash_out[MTL_HASH_HEX_BYTES])
{
    const char *hash = json_string_value(json_object_get(j, "hash"));
    const json_t *ep = json_object_get(j, "epoch");
    MTL_CHECK(hash && json_is_integer(ep) && json_integer_value(ep) >= 0, MTL_ERR_BAD_ENCODING,
              "cardano stake distribution: fields epoch, hash and stake_distribution are required");
    uint64_t epoch = (uint64_t)json_integer_value(ep);
    struct csd_entry *e = NULL;
    size_t n = 0;
    char h[MTL_HASH_HEX_BYTES], *root = NULL, es[24];
    MTL_TRY(entries_of(json_object_get(j, "stake_distribution"), &e, &n));
    hash_of(h, epoch, e, n);
    if (hash_out)
        memcpy(hash_out, h, MTL_HASH_HEX_BYTES);
    mtl_err rc = MTL_OK;
    if (strcmp(h, hash) != 0)
        rc = mtl_seterr(MTL_ERR_INTEGRITY,
                        "cardano stake distribution: hash %.64s does not match its content (%s)",
                        hash, h);
    else if (cert->set.kind != MTL_SET_CARDANO_STAKE_DISTRIBUTION || cert->set.epoch != epoch)
        rc = mtl_seterr(MTL_ERR_INTEGRITY,
                        "cardano stake distribution %s: epoch %" PRIu64
                        " is not what certificate %s signed",
                        h, epoch, cert->hash);
    if (rc == MTL_OK)
        rc = root_of(&root, e, n);
    if (rc == MTL_OK) {
        snprintf(es, sizeof(es), "%" PRIu64, epoch);
        const char *pk[2] = {"cardano_stake_distribution_merkle_root",
                             "cardano_stake_distribution_epoch"};
        const char *pv[2] = {root, es};
        if (cert_check_parts(cert, pk, pv, 2) != MTL_OK)
            rc = mtl_seterr(MTL_ERR_INTEGRITY,
                            "cardano stake distribution %s: its Merkle root %.64s and epoch are "
                            "not what certificate %s signed",
                            h, root, cert->hash);
    }
    mtl_free(root);
    mtl_free(e);
    return rc;
}

mtl_err mtl_csd_verify(const char *json, size_t len, const struct mtl_certificate *cert,
                       char hash_out[MTL_HASH_HEX_BYTES])
{
    MTL_CHECK(json && cert, MTL_ERR_INVALID_ARG, "cardano stake distribution: NULL argument");
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "cardano stake distribution: invalid JSON: %s", jerr.text);
    mtl_err rc = check_csd(j, cert, hash_out);
    json_decref(j);
    return rc;
}
