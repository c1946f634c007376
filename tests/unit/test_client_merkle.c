/* test_client_merkle.c - the client's Cardano Database Merkle root against
 * the reference's golden vectors (spec cardano-db.md §2.5 V6, V7). */
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "client/client_merkle.c"
#include "harness.h"

TEST(golden_five_leaves)
{
    const char *leaves[] = {"golden-1", "golden-2", "golden-3", "golden-4", "golden-5"};
    char root[65];
    CHECK_OK(client_merkle_root(leaves, 5, root));
    CHECK_EQ_STR(root, "3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921");
    /* order matters */
    const char *swapped[] = {"golden-2", "golden-1", "golden-3", "golden-4", "golden-5"};
    CHECK_OK(client_merkle_root(swapped, 5, root));
    CHECK(strcmp(root, "3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921") != 0);
    CHECK_ERR(client_merkle_root(leaves, 0, root), MTL_ERR_INVALID_ARG);
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
    CHECK_OK(client_merkle_root(leaves, 300, root));
    CHECK_EQ_STR(root, "8552f75838176c967a33eb6da1fe5f3c9940b706d75a9c2352c0acd8439f3d84");
}

int main(void)
{
    RUN(golden_five_leaves);
    RUN(hundred_dummy_trios);
    return DONE();
}
