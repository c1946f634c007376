/* test_cardano_merkle.c - libmithril's Cardano Database v2 Merkle root
 * (mtl_cardano_db_merkle_root) against the reference's golden vectors (spec
 * cardano-db.md §2.5 V6, V7) and the shapes it must refuse. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TEST(golden_five_leaves)
{
    const char *leaves[] = {"golden-1", "golden-2", "golden-3", "golden-4", "golden-5"};
    char root[65];
    CHECK_OK(mtl_cardano_db_merkle_root(leaves, 5, root));
    CHECK_EQ_STR(root, "3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921");
    /* order matters */
    const char *swapped[] = {"golden-2", "golden-1", "golden-3", "golden-4", "golden-5"};
    CHECK_OK(mtl_cardano_db_merkle_root(swapped, 5, root));
    CHECK(strcmp(root, "3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921") != 0);
    CHECK_ERR(mtl_cardano_db_merkle_root(leaves, 0, root), MTL_ERR_INVALID_ARG);
}

/* BLAKE2s-256 of a || b, the MMR's node hash (spec cardano-db.md §2.3). */
static void h2(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    EVP_DigestInit_ex(ctx, EVP_blake2s256(), NULL);
    EVP_DigestUpdate(ctx, a, alen);
    EVP_DigestUpdate(ctx, b, blen);
    EVP_DigestFinal_ex(ctx, out, &n);
    EVP_MD_CTX_free(ctx);
}

/* Peak bagging, modelled here from the spec's pseudocode: golden-1..5 make
 * the peaks P4 = H(H(g1 g2) H(g3 g4)) and g5; bagged right first the root is
 * H(g5 || P4), the golden value; left first, H(P4 || g5), is the a0e5d59a...
 * the spec warns of (V7), and our root must not be it. */
TEST(peaks_bagged_right_first)
{
    const char *g[] = {"golden-1", "golden-2", "golden-3", "golden-4", "golden-5"};
    uint8_t a[32], b[32], p4[32], rl[32], lr[32];
    char hex_rl[65], hex_lr[65], root[65];
    h2(a, g[0], 8, g[1], 8);
    h2(b, g[2], 8, g[3], 8);
    h2(p4, a, 32, b, 32);
    h2(rl, g[4], 8, p4, 32);
    h2(lr, p4, 32, g[4], 8);
    CHECK_OK(mtl_hex_encode(hex_rl, sizeof(hex_rl), rl, 32));
    CHECK_OK(mtl_hex_encode(hex_lr, sizeof(hex_lr), lr, 32));
    CHECK_EQ_STR(hex_rl, "3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921");
    CHECK(strncmp(hex_lr, "a0e5d59a", 8) == 0);
    CHECK_OK(mtl_cardano_db_merkle_root(g, 5, root));
    CHECK_EQ_STR(root, hex_rl);
    /* three peaks (4, 2, 1 leaves): H(H(g7 || H(g5 g6)) || P4) */
    const char *g7[] = {"golden-1", "golden-2", "golden-3", "golden-4",
                        "golden-5", "golden-6", "golden-7"};
    uint8_t p2[32], acc[32], acc2[32];
    char want7[65];
    h2(p2, g7[4], 8, g7[5], 8);
    h2(acc, g7[6], 8, p2, 32);
    h2(acc2, acc, 32, p4, 32);
    CHECK_OK(mtl_hex_encode(want7, sizeof(want7), acc2, 32));
    CHECK_OK(mtl_cardano_db_merkle_root(g7, 7, root));
    CHECK_EQ_STR(root, want7);
}

/* Two leaves: a single BLAKE2s of their concatenation, no bagging. */
TEST(two_leaves_one_node)
{
    const char *leaves[] = {"golden-1", "golden-2"};
    char root[65], want[65];
    uint8_t md[32];
    unsigned int n = 0;
    CHECK(EVP_Digest("golden-1golden-2", 16, md, &n, EVP_blake2s256(), NULL) == 1);
    CHECK_OK(mtl_hex_encode(want, sizeof(want), md, 32));
    CHECK_OK(mtl_cardano_db_merkle_root(leaves, 2, root));
    CHECK_EQ_STR(root, want);
}

TEST(refused_shapes)
{
    char root[65];
    const char *one[] = {"faebbf47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec"};
    CHECK_ERR(mtl_cardano_db_merkle_root(one, 1, root), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "single leaf") != NULL);
    const char *too_long[] = {"a",
                              "faebbf47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec0"};
    CHECK_ERR(mtl_cardano_db_merkle_root(too_long, 2, root), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "leaf 1") != NULL);
}

/* Dummy DB of the reference tests: trios 00001..00100, each file holding
 * "This is a test file named '<name>'"; 300 leaves. */
TEST(hundred_dummy_trios)
{
    static char digests[300][65];
    const char *leaves[300];
    const char *ext[] = {"chunk", "primary", "secondary"};
    for (int i = 0; i < 100; i++) {
        for (int e = 0; e < 3; e++) {
            char content[96];
            int n = snprintf(content, sizeof(content), "This is a test file named '%05d.%s'", i + 1,
                             ext[e]);
            uint8_t md[32];
            SHA256((const uint8_t *)content, (size_t)n, md);
            CHECK_OK(mtl_hex_encode(digests[i * 3 + e], 65, md, 32));
            leaves[i * 3 + e] = digests[i * 3 + e];
        }
    }
    CHECK_EQ_STR(digests[0], "faebbf47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec");
    char root[65];
    CHECK_OK(mtl_cardano_db_merkle_root(leaves, 300, root));
    CHECK_EQ_STR(root, "8552f75838176c967a33eb6da1fe5f3c9940b706d75a9c2352c0acd8439f3d84");
}

int main(void)
{
    RUN(golden_five_leaves);
    RUN(peaks_bagged_right_first);
    RUN(hundred_dummy_trios);
    RUN(two_leaves_one_node);
    RUN(refused_shapes);
    return DONE();
}
