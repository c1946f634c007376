/* merkle.c - the reference's Merkle tree of the registration: a complete
 * binary heap of Blake2b-256 nodes (children of i are 2i+1, 2i+2), leaves
 * H(vk || stake BE) at the end, missing children replaced by H(0x00). */
#include <sodium.h>

#include "stm_int.h"

static void h2(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, a, 32);
    crypto_generichash_update(&st, b, 32);
    crypto_generichash_final(&st, out, 32);
}

static void h_zero(uint8_t out[32])
{
    static const uint8_t zero = 0;
    crypto_generichash(out, 32, &zero, 1, NULL, 0);
}

void stm_hash_leaf(uint8_t out[32], const uint8_t vk[MTL_STM_VK_BYTES], uint64_t stake)
{
    uint8_t buf[MTL_STM_VK_BYTES + 8];
    memcpy(buf, vk, MTL_STM_VK_BYTES);
    mtl_be64_put(buf + MTL_STM_VK_BYTES, stake);
    crypto_generichash(out, 32, buf, sizeof(buf), NULL, 0);
}

static uint64_t next_pow2(uint64_t n)
{
    uint64_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

mtl_err stm_tree_build(struct stm_tree *t, uint8_t (*leaves)[32], size_t n)
{
    MTL_CHECK(n > 0 && (uint64_t)n < ((uint64_t)1 << 40), MTL_ERR_INVALID_ARG,
              "merkle tree: %zu leaves", n);
    size_t nn = n + (size_t)next_pow2(n) - 1;
    t->nodes = mtl_calloc(nn, 32);
    MTL_CHECK(t->nodes, MTL_ERR_NOMEM, "merkle tree: out of memory");
    t->nnodes = nn;
    t->n = n;
    memcpy(t->nodes[nn - n], leaves, n * 32);
    uint8_t z[32];
    h_zero(z);
    for (size_t i = nn - n; i-- > 0;) {
        size_t l = 2 * i + 1, r = 2 * i + 2;
        h2(t->nodes[i], l < nn ? t->nodes[l] : z, r < nn ? t->nodes[r] : z);
    }
    return MTL_OK;
}

void stm_tree_free(struct stm_tree *t)
{
    mtl_free(t->nodes);
    t->nodes = NULL;
    t->nnodes = t->n = 0;
}

static uint64_t parent(uint64_t i)
{
    return (i - 1) / 2;
}

static uint64_t sibling(uint64_t i)
{
    return (i % 2 == 1) ? i + 1 : i - 1;
}

mtl_err stm_tree_batch_path(const struct stm_tree *t, const uint64_t *idx, size_t nidx,
                            uint8_t (**values)[32], size_t *nvalues)
{
    *values = NULL;
    *nvalues = 0;
    MTL_CHECK(nidx > 0, MTL_ERR_INVALID_ARG, "batch path: no index");
    uint64_t *cur = mtl_malloc(nidx * sizeof(*cur));
    /* A path has at most one value per index per level. */
    size_t levels = 1;
    for (size_t x = t->nnodes; x > 1; x >>= 1)
        levels++;
    uint8_t(*out)[32] = mtl_malloc(nidx * levels * 32);
    if (!cur || !out) {
        mtl_free(cur);
        mtl_free(out);
        return mtl_seterr(MTL_ERR_NOMEM, "batch path: out of memory");
    }
    size_t leaf_off = t->nnodes - t->n, nout = 0, ncur = nidx;
    for (size_t i = 0; i < nidx; i++) {
        if (idx[i] >= t->n || (i > 0 && idx[i] <= idx[i - 1])) {
            mtl_free(cur);
            mtl_free(out);
            return mtl_seterr(MTL_ERR_INVALID_ARG, "batch path: indices must be sorted, distinct, < %zu",
                              t->n);
        }
        cur[i] = idx[i] + leaf_off;
    }
    uint64_t top = cur[0];
    while (top > 0) {
        size_t nnew = 0;
        top = parent(top);
        for (size_t i = 0; i < ncur; i++) {
            uint64_t p = parent(cur[i]), s = sibling(cur[i]);
            if (nnew == 0 || cur[nnew - 1] != p)
                cur[nnew++] = p; /* parents stay sorted; merge equal ones */
            if (i + 1 < ncur && cur[i + 1] == s)
                i++;
            else if (s < t->nnodes)
                memcpy(out[nout++], t->nodes[s], 32);
        }
        ncur = nnew;
    }
    mtl_free(cur);
    *values = out;
    *nvalues = nout;
    return MTL_OK;
}

/* Mirrors the reference verifier, including its treatment of duplicate
 * parents (kept, not merged) so that the same paths verify. */
mtl_err stm_batch_path_verify(const uint8_t root[32], uint64_t nr_leaves,
                              uint8_t (*leaves)[32], const uint64_t *idx, size_t nidx,
                              uint8_t (*values)[32], size_t nvalues)
{
    MTL_CHECK(nidx > 0, MTL_ERR_VERIFY_FAIL, "batch proof: no leaf");
    MTL_CHECK(nr_leaves > 0 && nr_leaves < ((uint64_t)1 << 40), MTL_ERR_VERIFY_FAIL,
              "batch proof: bad number of leaves %llu", (unsigned long long)nr_leaves);
    for (size_t i = 1; i < nidx; i++)
        MTL_CHECK(idx[i] >= idx[i - 1], MTL_ERR_VERIFY_FAIL, "batch proof: indices not sorted");
    uint64_t p2 = next_pow2(nr_leaves), nr_nodes = nr_leaves + p2 - 1;
    uint64_t *cur = mtl_malloc(nidx * sizeof(*cur));
    uint8_t(*h)[32] = mtl_malloc(nidx * 32);
    if (!cur || !h) {
        mtl_free(cur);
        mtl_free(h);
        return mtl_seterr(MTL_ERR_NOMEM, "batch proof: out of memory");
    }
    memcpy(h, leaves, nidx * 32);
    for (size_t i = 0; i < nidx; i++)
        cur[i] = idx[i] + p2 - 1;
    size_t ncur = nidx, vpos = 0;
    uint64_t top = cur[0];
    uint8_t z[32];
    h_zero(z);
    mtl_err rc = MTL_OK;
    while (top > 0) {
        size_t nnew = 0;
        top = parent(top);
        for (size_t i = 0; i < ncur; i++) {
            uint64_t p = parent(cur[i]);
            uint8_t tmp[32];
            if (cur[i] % 2 == 0) { /* right child: sibling is the next proof value */
                if (vpos >= nvalues) {
                    rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "batch proof: too few values");
                    goto out;
                }
                h2(tmp, values[vpos++], h[i]);
            } else {
                uint64_t s = sibling(cur[i]);
                if (i + 1 < ncur && cur[i + 1] == s) {
                    h2(tmp, h[i], h[i + 1]);
                    i++;
                } else if (s < nr_nodes) {
                    if (vpos >= nvalues) {
                        rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "batch proof: too few values");
                        goto out;
                    }
                    h2(tmp, h[i], values[vpos++]);
                } else {
                    h2(tmp, h[i], z);
                }
            }
            memcpy(h[nnew], tmp, 32);
            cur[nnew++] = p;
        }
        ncur = nnew;
    }
    if (!(ncur == 1 && sodium_memcmp(h[0], root, 32) == 0))
        rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "batch proof: does not lead to the AVK root");
out:
    mtl_free(cur);
    mtl_free(h);
    return rc;
}
