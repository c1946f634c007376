/* client_merkle.c - the Cardano Database v2 Merkle root (a Merkle Mountain
 * Range with BLAKE2s-256 nodes, peaks bagged right to left; leaves are the
 * 64-character ASCII hex digests themselves), spec cardano-db.md §2.3. */
#include <openssl/evp.h>
#include <string.h>

#include "client_merkle.h"
#include "common/common_int.h"

struct node {
    uint8_t b[64];
    size_t len;
    unsigned height;
};

static mtl_err blake2s_pair(struct node *out, const struct node *l, const struct node *r)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_blake2s256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, l->b, l->len) == 1 && EVP_DigestUpdate(ctx, r->b, r->len) == 1 &&
             EVP_DigestFinal_ex(ctx, out->b, &n) == 1;
    EVP_MD_CTX_free(ctx);
    MTL_CHECK(ok && n == 32, MTL_ERR_INTERNAL, "BLAKE2s-256 failed");
    out->len = 32;
    return MTL_OK;
}

mtl_err client_merkle_root(const char *const *leaves, size_t n, char out[65])
{
    MTL_CHECK(n > 0, MTL_ERR_INVALID_ARG, "merkle root: no leaves");
    /* at most log2(n)+1 peaks */
    struct node peaks[66];
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        struct node cur = {.height = 0};
        size_t ll = strlen(leaves[i]);
        MTL_CHECK(ll <= sizeof(cur.b), MTL_ERR_BAD_ENCODING,
                  "merkle leaf %zu: longer than 64 bytes", i);
        memcpy(cur.b, leaves[i], ll);
        cur.len = ll;
        while (np > 0 && peaks[np - 1].height == cur.height) {
            struct node merged;
            MTL_TRY(blake2s_pair(&merged, &peaks[np - 1], &cur));
            merged.height = cur.height + 1;
            cur = merged;
            np--;
        }
        peaks[np++] = cur;
    }
    struct node acc = peaks[--np];
    while (np > 0) {
        struct node merged;
        MTL_TRY(blake2s_pair(&merged, &acc, &peaks[--np]));
        acc = merged;
    }
    return mtl_hex_encode(out, 65, acc.b, acc.len) == MTL_OK && acc.len == 32
               ? MTL_OK
               : mtl_seterr(MTL_ERR_INTEGRITY, "merkle root: a single leaf is not a 32-byte node");
}
