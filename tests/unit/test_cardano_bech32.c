/* test_cardano_bech32.c - pool ids in bech32 (spec cardano-db.md V11). */
#include <string.h>

#include "harness.h"
#include "mithril/pool_identity.h"
#include "mithril/util.h"

TEST(v11_vectors)
{
    static const char *v[][2] = {
        {"00000036d515e12e18cd3c88c74f09a67984c2c279a5296aa96efe89",
         "pool1qqqqqdk4zhsjuxxd8jyvwncf5eucfskz0xjjj64fdmlgj735lr9"},
        {"000000f66e28b0f18aef20555f4c4954234e3270dfbbdcc13f54e799",
         "pool1qqqqpanw9zc0rzh0yp247nzf2s35uvnsm7aaesfl2nnejaev0uc"},
        {"00000110093effbf3ce788aebd3e7506b80322bd3995ad432e61fad5",
         "pool1qqqqzyqf8mlm70883zht60n4q6uqxg4a8x266sewv8ad2grkztl"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[64];
        CHECK_OK(mtl_pool_id_bech32(v[i][0], out));
        CHECK_EQ_STR(out, v[i][1]);
    }
    /* Upper-case hex is the same key hash. */
    char out[64];
    CHECK_OK(mtl_pool_id_bech32("00000036D515E12E18CD3C88C74F09A67984C2C279A5296AA96EFE89", out));
    CHECK_EQ_STR(out, v[0][1]);
}

TEST(rejects_bad_key_hashes)
{
    char out[64];
    CHECK_ERR(mtl_pool_id_bech32("0000", out), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "56 hex digits") != NULL);
    /* 57 digits, 58 digits (29 bytes), non-hex */
    CHECK_ERR(mtl_pool_id_bech32("00000036d515e12e18cd3c88c74f09a67984c2c279a5296aa96efe890", out),
              MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_pool_id_bech32("00000036d515e12e18cd3c88c74f09a67984c2c279a5296aa96efe8900", out),
              MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_pool_id_bech32("g0000036d515e12e18cd3c88c74f09a67984c2c279a5296aa96efe89", out),
              MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_pool_id_bech32(NULL, out), MTL_ERR_INVALID_ARG);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(v11_vectors);
    RUN(rejects_bad_key_hashes);
    return DONE();
}
