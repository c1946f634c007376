/* merkle_mmr.c - the Cardano Database v2 Merkle root (a Merkle Mountain
 * Range with BLAKE2s-256 nodes, peaks bagged right to left; leaves are the
 * 64-character ASCII hex digests themselves), spec cardano-db.md §2.3. */
#include <openssl/evp.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/cardano_db.h"

struct node {
    uint8_t b[64];
    size_t len;
    unsigned height;
};

static mtl_err blake2s_pair(EVP_MD_CTX *ctx, struct node *out, const struct node *l,
                            const struct node *r)
{
    unsigned int n = 0;
    int ok = EVP_DigestInit_ex(ctx, EVP_blake2s256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, l->b, l->len) == 1 && EVP_DigestUpdate(ctx, r->b, r->len) == 1 &&
             EVP_DigestFinal_ex(ctx, out->b, &n) == 1;
    MTL_CHECK(ok && n == 32, MTL_ERR_INTERNAL, "BLAKE2s-256 failed");
    out->len = 32;
    return MTL_OK;
}

static mtl_err mmr_root(EVP_MD_CTX *ctx, const char *const *leaves, size_t n,
                        char out[MTL_DIGEST_HEX_BYTES])
{
    /* heights strictly decrease along the stack: at most 64 peaks */
    struct node peaks[66];
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        struct node cur = {.height = 0};
        MTL_CHECK(leaves[i], MTL_ERR_INVALID_ARG, "merkle leaf %zu: NULL", i);
        size_t ll = strlen(leaves[i]);
        MTL_CHECK(ll <= sizeof(cur.b), MTL_ERR_BAD_ENCODING,
                  "merkle leaf %zu: longer than 64 bytes", i);
        memcpy(cur.b, leaves[i], ll);
        cur.len = ll;
        while (np > 0 && peaks[np - 1].height == cur.height) {
            struct node merged;
            MTL_TRY(blake2s_pair(ctx, &merged, &peaks[np - 1], &cur));
            merged.height = cur.height + 1;
            cur = merged;
            np--;
        }
        peaks[np++] = cur;
    }
    struct node acc = peaks[--np];
    while (np > 0) {
        struct node merged;
        MTL_TRY(blake2s_pair(ctx, &merged, &acc, &peaks[--np]));
        acc = merged;
    }
    /* one leaf: the root is the leaf itself, not a 32-byte node */
    MTL_CHECK(acc.len == 32, MTL_ERR_INVALID_ARG,
              "merkle root: a single leaf is its own root, not a 32-byte node");
    return mtl_hex_encode(out, MTL_DIGEST_HEX_BYTES, acc.b, acc.len);
}

mtl_err mtl_cardano_db_merkle_root(const char *const *leaves_hex, size_t n,
                                   char out[MTL_DIGEST_HEX_BYTES])
{
    MTL_CHECK(out && (leaves_hex || n == 0), MTL_ERR_INVALID_ARG, "merkle root: NULL argument");
    MTL_CHECK(n > 0, MTL_ERR_INVALID_ARG, "merkle root: no leaves");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    MTL_CHECK(ctx, MTL_ERR_NOMEM, "merkle root: out of memory");
    mtl_err e = mmr_root(ctx, leaves_hex, n, out);
    EVP_MD_CTX_free(ctx);
    return e;
}
