/* mkproof.c - map proofs (the reference's MKMapProof): ownership, block
 * ranges, verification of a proof and its sub-proofs, leaf lookup. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "merkle_int.h"

uint64_t mtl_block_range_start(uint64_t block_number)
{
    return block_number - block_number % MTL_BLOCK_RANGE_LENGTH;
}

size_t mtl_block_range_text(char out[MTL_BLOCK_RANGE_TEXT_BYTES], uint64_t start, uint64_t end)
{
    int n = snprintf(out, MTL_BLOCK_RANGE_TEXT_BYTES, "%" PRIu64 "-%" PRIu64, start, end);
    return (size_t)n;
}

static mtl_err map_leaf(EVP_MD_CTX *ctx, uint8_t out[MTL_MKNODE_BYTES], uint64_t start,
                        uint64_t end, const uint8_t *root, size_t len)
{
    char text[MTL_BLOCK_RANGE_TEXT_BYTES];
    size_t n = mtl_block_range_text(text, start, end);
    return mk_merge(ctx, out, (const uint8_t *)text, n, root, len);
}

mtl_err mtl_mkmap_leaf(uint8_t out[MTL_MKNODE_BYTES], uint64_t start, uint64_t end,
                       const uint8_t *sub_root, size_t sub_root_len)
{
    MTL_CHECK(out && sub_root, MTL_ERR_INVALID_ARG, "map leaf: NULL argument");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    MTL_CHECK(ctx, MTL_ERR_NOMEM, "map leaf: out of memory");
    mtl_err rc = map_leaf(ctx, out, start, end, sub_root, sub_root_len);
    EVP_MD_CTX_free(ctx);
    return rc;
}

mtl_err mk_node_set(struct mk_node *n, const uint8_t *b, size_t len)
{
    n->b = mtl_malloc(len ? len : 1);
    MTL_CHECK(n->b, MTL_ERR_NOMEM, "merkle proof: out of memory");
    if (len)
        memcpy(n->b, b, len);
    n->len = len;
    return MTL_OK;
}

mtl_err mk_proof_alloc(struct mk_proof *p, size_t nleaves, size_t nitems)
{
    p->pos = mtl_calloc(nleaves ? nleaves : 1, sizeof(*p->pos));
    p->leaves = mtl_calloc(nleaves ? nleaves : 1, sizeof(*p->leaves));
    p->items = mtl_calloc(nitems ? nitems : 1, sizeof(*p->items));
    MTL_CHECK(p->pos && p->leaves && p->items, MTL_ERR_NOMEM, "merkle proof: out of memory");
    p->nleaves = nleaves;
    p->nitems = nitems;
    return MTL_OK;
}

void mk_proof_clear(struct mk_proof *p)
{
    mtl_free(p->root.b);
    for (size_t i = 0; p->leaves && i < p->nleaves; i++)
        mtl_free(p->leaves[i].b);
    for (size_t i = 0; p->items && i < p->nitems; i++)
        mtl_free(p->items[i].b);
    mtl_free(p->pos);
    mtl_free(p->leaves);
    mtl_free(p->items);
    memset(p, 0, sizeof(*p));
}

struct mtl_mkproof *mk_map_new(void)
{
    return mtl_calloc(1, sizeof(struct mtl_mkproof));
}

void mtl_mkproof_free(struct mtl_mkproof *p)
{
    if (!p)
        return;
    mk_proof_clear(&p->master);
    for (size_t i = 0; i < p->nsub; i++)
        mtl_mkproof_free(p->subs[i].proof);
    mtl_free(p->subs);
    mtl_free(p);
}

mtl_err mtl_mkproof_add_sub(struct mtl_mkproof *master, uint64_t start, uint64_t end,
                            struct mtl_mkproof *sub)
{
    mtl_err rc = MTL_OK;
    if (!master || !sub) {
        rc = mtl_seterr(MTL_ERR_INVALID_ARG, "map proof: NULL argument");
        goto fail;
    }
    if (start >= end || (master->nsub > 0 && master->subs[master->nsub - 1].start >= start)) {
        rc = mtl_seterr(MTL_ERR_INVALID_ARG,
                        "map proof: range %" PRIu64 "-%" PRIu64
                        " is empty or not after the previous one",
                        start, end);
        goto fail;
    }
    struct mk_sub *s = mtl_realloc(master->subs, (master->nsub + 1) * sizeof(*s));
    if (!s) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "map proof: out of memory");
        goto fail;
    }
    master->subs = s;
    s[master->nsub++] = (struct mk_sub){start, end, sub};
    return MTL_OK;
fail:
    mtl_mkproof_free(sub);
    return rc;
}

static bool lists(const struct mk_proof *p, const void *leaf, size_t len)
{
    for (size_t i = 0; i < p->nleaves; i++)
        if (p->leaves[i].len == len && memcmp(p->leaves[i].b, leaf, len) == 0)
            return true;
    return false;
}

static mtl_err verify_map(EVP_MD_CTX *ctx, const struct mtl_mkproof *p, unsigned depth,
                          const char *what)
{
    MTL_CHECK(depth < MTL_MKPROOF_MAX_DEPTH, MTL_ERR_VERIFY_FAIL,
              "%s: sub-proofs nested deeper than %d", what, MTL_MKPROOF_MAX_DEPTH);
    for (size_t i = 0; i < p->nsub; i++) {
        const struct mk_sub *s = &p->subs[i];
        char name[96];
        snprintf(name, sizeof(name), "sub-proof of range %" PRIu64 "-%" PRIu64, s->start, s->end);
        MTL_CHECK(s->start < s->end && (i == 0 || p->subs[i - 1].start < s->start),
                  MTL_ERR_VERIFY_FAIL, "%s: %s is empty or out of range order", what, name);
        MTL_TRY(verify_map(ctx, s->proof, depth + 1, name));
    }
    MTL_TRY(mk_proof_verify(ctx, &p->master, what));
    if (p->nsub == 0)
        return MTL_OK;
    struct mk_index ix;
    MTL_TRY(mk_index_build(&ix, p, 0));
    mtl_err rc = MTL_OK;
    for (size_t i = 0; rc == MTL_OK && i < p->nsub; i++) {
        const struct mk_sub *s = &p->subs[i];
        uint8_t leaf[MTL_MKNODE_BYTES];
        rc = map_leaf(ctx, leaf, s->start, s->end, s->proof->master.root.b,
                      s->proof->master.root.len);
        if (rc == MTL_OK && !mk_index_has(&ix, leaf, sizeof(leaf)))
            rc = mtl_seterr(MTL_ERR_VERIFY_FAIL,
                            "%s: does not list the leaf of range %" PRIu64 "-%" PRIu64
                            " and its root",
                            what, s->start, s->end);
    }
    mk_index_free(&ix);
    return rc;
}

mtl_err mtl_mkproof_verify(const struct mtl_mkproof *p)
{
    MTL_CHECK(p, MTL_ERR_INVALID_ARG, "merkle proof: NULL argument");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    MTL_CHECK(ctx, MTL_ERR_NOMEM, "merkle proof: out of memory");
    mtl_err rc = verify_map(ctx, p, 0, "merkle proof");
    EVP_MD_CTX_free(ctx);
    return rc;
}

void mtl_mkproof_root(const struct mtl_mkproof *p, const uint8_t **root, size_t *len)
{
    *root = p->master.root.b;
    *len = p->master.root.len;
}

bool mtl_mkproof_contains(const struct mtl_mkproof *p, const void *leaf, size_t len)
{
    if (lists(&p->master, leaf, len))
        return true;
    for (size_t i = 0; i < p->nsub; i++)
        if (mtl_mkproof_contains(p->subs[i].proof, leaf, len))
            return true;
    return false;
}

uint64_t mtl_mkproof_tree_size(const struct mtl_mkproof *p)
{
    return p->master.size;
}

size_t mtl_mkproof_sub_count(const struct mtl_mkproof *p)
{
    return p->nsub;
}
