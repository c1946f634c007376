/* merkle_mmr.c - the Cardano Database v2 Merkle root: the MKTree of
 * mithril/mktree.h (a Merkle Mountain Range with BLAKE2s-256 nodes, peaks
 * bagged right to left) whose leaves are the 64-character ASCII hex digests
 * themselves, spec cardano-db.md §2.3. */
#include <string.h>

#include "common/common_int.h"
#include "mithril/cardano_db.h"
#include "mithril/mktree.h"

static mtl_err fill(struct mtl_mktree *t, const char *const *leaves, size_t n,
                    char out[MTL_DIGEST_HEX_BYTES])
{
    for (size_t i = 0; i < n; i++) {
        MTL_CHECK(leaves[i], MTL_ERR_INVALID_ARG, "merkle leaf %zu: NULL", i);
        size_t ll = strlen(leaves[i]);
        MTL_CHECK(ll <= 64, MTL_ERR_BAD_ENCODING, "merkle leaf %zu: longer than 64 bytes", i);
        MTL_CHECK(ll > 0, MTL_ERR_BAD_ENCODING, "merkle leaf %zu: empty", i);
        MTL_TRY(mtl_mktree_append(t, leaves[i], ll));
    }
    uint8_t root[64];
    size_t len;
    MTL_TRY(mtl_mktree_root(t, root, sizeof(root), &len));
    /* one leaf: the root is the leaf itself, not a 32-byte node */
    MTL_CHECK(len == MTL_MKNODE_BYTES, MTL_ERR_INVALID_ARG,
              "merkle root: a single leaf is its own root, not a 32-byte node");
    return mtl_hex_encode(out, MTL_DIGEST_HEX_BYTES, root, len);
}

mtl_err mtl_cardano_db_merkle_root(const char *const *leaves_hex, size_t n,
                                   char out[MTL_DIGEST_HEX_BYTES])
{
    MTL_CHECK(out && (leaves_hex || n == 0), MTL_ERR_INVALID_ARG, "merkle root: NULL argument");
    MTL_CHECK(n > 0, MTL_ERR_INVALID_ARG, "merkle root: no leaves");
    struct mtl_mktree *t;
    MTL_TRY(mtl_mktree_new(&t));
    mtl_err rc = fill(t, leaves_hex, n, out);
    mtl_mktree_free(t);
    return rc;
}
