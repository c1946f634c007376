/* test_merkle_mktree.c - MKTree and map proofs: the reference's golden root
 * (the Cardano DB v2 root, built on this tree, has its own vectors in
 * test_cardano_merkle), honest proofs of every leaf set
 * verifying and round-tripping through both wire forms, and the refusals the
 * reference lacks: a position listed twice (the forgery of spec §8), a
 * non-leaf position, a size no tree has, unused items, a changed item or
 * leaf. */
#include <stdio.h>

#include "harness.h"
#include "merkle/merkle_int.h"

/* Leaves "<prefix><i>". */
static struct mtl_mktree *tree_of(size_t n, const char *prefix)
{
    struct mtl_mktree *t = NULL;
    if (mtl_mktree_new(&t) != MTL_OK)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char leaf[80];
        int len = snprintf(leaf, sizeof(leaf), "%s%zu", prefix, i);
        if (mtl_mktree_append(t, leaf, (size_t)len) != MTL_OK) {
            mtl_mktree_free(t);
            return NULL;
        }
    }
    return t;
}

TEST(golden_root_of_the_reference)
{
    /* internal/mithril-merkle-tree/src/merkle_tree.rs, golden_merkle_root */
    struct mtl_mktree *t = NULL;
    CHECK_OK(mtl_mktree_new(&t));
    const char *leaves[] = {"golden-1", "golden-2", "golden-3", "golden-4", "golden-5"};
    for (size_t i = 0; i < 5; i++)
        CHECK_OK(mtl_mktree_append(t, leaves[i], strlen(leaves[i])));
    char hex[65];
    CHECK_OK(mtl_mktree_root_hex(t, hex, sizeof(hex)));
    CHECK_EQ_STR(hex, "3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921");
    CHECK_EQ_INT(mtl_mktree_size_of(5), 8);
    mtl_mktree_free(t);
}

TEST(positions_and_sizes)
{
    const uint64_t pos[] = {0, 1, 3, 4, 7, 8, 10, 11, 15};
    for (uint64_t i = 0; i < 9; i++)
        CHECK_EQ_INT(mtl_mktree_leaf_pos(i), pos[i]);
    CHECK_EQ_INT(mtl_mktree_size_of(50), 97);
    CHECK_EQ_INT(mtl_mktree_size_of(16), 31);
    CHECK_EQ_INT(mtl_mktree_size_of(15), 26);
    CHECK(mk_size_valid(97) && !mk_size_valid(96) && !mk_size_valid(2) && !mk_size_valid(0));
    CHECK_EQ_INT(mtl_block_range_start(463), 450);
    char text[MTL_BLOCK_RANGE_TEXT_BYTES];
    CHECK_EQ_INT(mtl_block_range_text(text, 450, 465), 7);
    CHECK_EQ_STR(text, "450-465");
}

/* Prove idx[0..k) of t, verify, check both wire forms decode to a proof
 * that encodes back to the same text and verifies. */
static mtl_err prove_roundtrip(const struct mtl_mktree *t, const uint64_t *idx, size_t k)
{
    struct mtl_mkproof *p = NULL, *q = NULL, *r = NULL;
    char *j = NULL, *b = NULL, *j2 = NULL, *b2 = NULL;
    mtl_err rc = mtl_mktree_prove(&p, t, idx, k);
    if (rc == MTL_OK)
        rc = mtl_mkproof_verify(p);
    if (rc == MTL_OK)
        rc = mtl_mkproof_to_json_hex(p, &j);
    if (rc == MTL_OK)
        rc = mtl_mkproof_to_bytes_hex(p, &b);
    if (rc == MTL_OK)
        rc = mtl_mkproof_from_json_hex(&q, j, strlen(j));
    if (rc == MTL_OK)
        rc = mtl_mkproof_from_bytes_hex(&r, b, strlen(b));
    if (rc == MTL_OK)
        rc = mtl_mkproof_verify(q);
    if (rc == MTL_OK)
        rc = mtl_mkproof_verify(r);
    if (rc == MTL_OK)
        rc = mtl_mkproof_to_json_hex(r, &j2);
    if (rc == MTL_OK)
        rc = mtl_mkproof_to_bytes_hex(q, &b2);
    if (rc == MTL_OK && (strcmp(j, j2) != 0 || strcmp(b, b2) != 0))
        rc = MTL_ERR_INTERNAL;
    mtl_free(j);
    mtl_free(b);
    mtl_free(j2);
    mtl_free(b2);
    mtl_mkproof_free(p);
    mtl_mkproof_free(q);
    mtl_mkproof_free(r);
    return rc;
}

TEST(honest_proofs_of_every_leaf_and_pair_verify)
{
    for (size_t n = 1; n <= 33; n++) {
        struct mtl_mktree *t = tree_of(n, "leaf-");
        CHECK(t);
        for (uint64_t i = 0; i < n; i++) {
            CHECK_OK(prove_roundtrip(t, &i, 1));
            for (uint64_t k = i + 1; k < n; k++) {
                uint64_t two[2] = {k, i}; /* request order kept, not sorted */
                CHECK_OK(prove_roundtrip(t, two, 2));
            }
        }
        uint64_t all[33];
        for (uint64_t i = 0; i < n; i++)
            all[i] = n - 1 - i;
        CHECK_OK(prove_roundtrip(t, all, n));
        mtl_mktree_free(t);
    }
}

TEST(prover_refuses_bad_requests)
{
    struct mtl_mktree *t = tree_of(5, "leaf-");
    struct mtl_mkproof *p = NULL;
    uint64_t twice[2] = {3, 3}, past = 5;
    CHECK_ERR(mtl_mktree_prove(&p, t, twice, 2), MTL_ERR_INVALID_ARG);
    CHECK_ERR(mtl_mktree_prove(&p, t, &past, 1), MTL_ERR_INVALID_ARG);
    CHECK_ERR(mtl_mktree_prove(&p, t, twice, 0), MTL_ERR_INVALID_ARG);
    CHECK(p == NULL);
    mtl_mktree_free(t);
}

/* A proof of leaf 5 of a 12-leaf tree, to tamper with. */
static struct mtl_mkproof *proof_of_5(void)
{
    struct mtl_mktree *t = tree_of(12, "leaf-");
    struct mtl_mkproof *p = NULL;
    uint64_t i = 5;
    if (!t || mtl_mktree_prove(&p, t, &i, 1) != MTL_OK)
        p = NULL;
    mtl_mktree_free(t);
    return p;
}

TEST(forged_leaf_at_a_real_position_is_refused)
{
    struct mtl_mkproof *p = proof_of_5();
    CHECK(p);
    CHECK_OK(mtl_mkproof_verify(p));
    /* list (pos, real leaf) then (pos, fake leaf): ckb authenticates only the
     * first, so the reference would then find the fake leaf "contained" */
    struct mk_proof *m = &p->master;
    uint64_t *pos = mtl_realloc(m->pos, 2 * sizeof(*pos));
    struct mk_node *lv = mtl_realloc(m->leaves, 2 * sizeof(*lv));
    CHECK(pos && lv);
    m->pos = pos;
    m->leaves = lv;
    pos[1] = pos[0];
    CHECK_OK(mk_node_set(&lv[1], (const uint8_t *)"forged", 6));
    m->nleaves = 2;
    CHECK(mtl_mkproof_contains(p, "forged", 6));
    CHECK_ERR(mtl_mkproof_verify(p), MTL_ERR_VERIFY_FAIL);
    CHECK(strstr(mtl_err_detail(), "listed twice"));
    mtl_mkproof_free(p);
}

TEST(tampered_proofs_are_refused)
{
    struct mtl_mkproof *p = proof_of_5();
    CHECK(p);
    struct mk_proof *m = &p->master;
    CHECK(m->nitems > 1);
    for (size_t i = 0; i < m->nitems; i++) { /* every item matters */
        m->items[i].b[0] ^= 1;
        CHECK_ERR(mtl_mkproof_verify(p), MTL_ERR_VERIFY_FAIL);
        m->items[i].b[0] ^= 1;
    }
    m->leaves[0].b[0] ^= 1;
    CHECK_ERR(mtl_mkproof_verify(p), MTL_ERR_VERIFY_FAIL);
    m->leaves[0].b[0] ^= 1;
    uint64_t pos = m->pos[0];
    m->pos[0] = pos + 1; /* 8 -> 9: not a leaf */
    CHECK_ERR(mtl_mkproof_verify(p), MTL_ERR_VERIFY_FAIL);
    m->pos[0] = pos;
    uint64_t size = m->size;
    m->size = size + 2; /* no tree has 24 nodes */
    CHECK_ERR(mtl_mkproof_verify(p), MTL_ERR_VERIFY_FAIL);
    m->size = size;
    m->nitems++; /* an item nothing uses (the array has room: it was over-allocated) */
    CHECK_OK(mk_node_set(&m->items[m->nitems - 1], (const uint8_t *)"spare", 5));
    CHECK_ERR(mtl_mkproof_verify(p), MTL_ERR_VERIFY_FAIL);
    CHECK(strstr(mtl_err_detail(), "nothing uses"));
    mtl_free(m->items[--m->nitems].b);
    CHECK_OK(mtl_mkproof_verify(p));
    mtl_mkproof_free(p);
}

TEST(map_proof_binds_sub_proofs_to_the_master)
{
    /* two ranges, each a tree; the map is the tree of their map leaves */
    struct mtl_mktree *r0 = tree_of(3, "a-"), *r1 = tree_of(4, "b-"), *map = NULL;
    CHECK(r0 && r1);
    CHECK_OK(mtl_mktree_new(&map));
    uint8_t root[32], leaf[32];
    size_t len;
    CHECK_OK(mtl_mktree_root(r0, root, sizeof(root), &len));
    CHECK_OK(mtl_mkmap_leaf(leaf, 0, 15, root, len));
    CHECK_OK(mtl_mktree_append(map, leaf, 32));
    CHECK_OK(mtl_mktree_root(r1, root, sizeof(root), &len));
    CHECK_OK(mtl_mkmap_leaf(leaf, 15, 30, root, len));
    CHECK_OK(mtl_mktree_append(map, leaf, 32));
    struct mtl_mkproof *master = NULL, *sub = NULL, *other = NULL;
    uint64_t one = 1, two = 2;
    CHECK_OK(mtl_mktree_prove(&master, map, &one, 1));
    CHECK_OK(mtl_mktree_prove(&sub, r1, &two, 1));
    CHECK_OK(mtl_mkproof_add_sub(master, 15, 30, sub));
    CHECK_OK(mtl_mkproof_verify(master));
    CHECK(mtl_mkproof_contains(master, "b-2", 3));
    CHECK(!mtl_mkproof_contains(master, "b-1", 3));
    /* a sub-proof of another range's tree: its root is not under the master */
    CHECK_OK(mtl_mktree_prove(&other, r0, &one, 1));
    CHECK_ERR(mtl_mkproof_add_sub(master, 10, 12, NULL), MTL_ERR_INVALID_ARG);
    master->subs[0].proof->master.root.b[0] ^= 1;
    CHECK_ERR(mtl_mkproof_verify(master), MTL_ERR_VERIFY_FAIL);
    master->subs[0].proof->master.root.b[0] ^= 1;
    CHECK_ERR(mtl_mkproof_add_sub(master, 0, 15, other), MTL_ERR_INVALID_ARG); /* out of order */
    mtl_mkproof_free(master);
    mtl_mktree_free(r0);
    mtl_mktree_free(r1);
    mtl_mktree_free(map);
}

TEST(decoders_refuse_malformed_input)
{
    struct mtl_mkproof *p = NULL;
    CHECK_ERR(mtl_mkproof_from_bytes_hex(&p, "zz", 2), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_mkproof_from_bytes_hex(&p, "20", 2), MTL_ERR_BAD_ENCODING);
    /* 251 written with its 3-byte form as the root length: not canonical */
    CHECK_ERR(mtl_mkproof_from_bytes_hex(&p, "fb0a00", 6), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_mkproof_from_json_hex(&p, "7b7d", 4), MTL_ERR_BAD_ENCODING); /* {} */
    CHECK(p == NULL);
}

int main(void)
{
    mtl_init();
    RUN(golden_root_of_the_reference);
    RUN(positions_and_sizes);
    RUN(honest_proofs_of_every_leaf_and_pair_verify);
    RUN(prover_refuses_bad_requests);
    RUN(forged_leaf_at_a_real_position_is_refused);
    RUN(tampered_proofs_are_refused);
    RUN(map_proof_binds_sub_proofs_to_the_master);
    RUN(decoders_refuse_malformed_input);
    return DONE();
}
