/* test_cardano_trio.c - the immutable trio naming rule shared by the
 * snapshotter and the client: canonical names only, on the reference's real
 * immutable DB fragment and on near-misses. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mithril/cardano_db.h"

TEST(names_built_and_parsed)
{
    char n[MTL_IMMUTABLE_NAME_BYTES];
    CHECK_OK(mtl_immutable_trio_name(n, 42, 1));
    CHECK_EQ_STR(n, "00042.primary");
    CHECK_OK(mtl_immutable_trio_name(n, 123456, 2));
    CHECK_EQ_STR(n, "123456.secondary");
    CHECK_OK(mtl_immutable_trio_name(n, UINT64_MAX, 2));
    CHECK_EQ_STR(n, "18446744073709551615.secondary");
    CHECK_ERR(mtl_immutable_trio_name(n, 1, 3), MTL_ERR_INVALID_ARG);
    CHECK_EQ_STR(n, "");
    CHECK(mtl_immutable_trio_ext(3) == NULL);
    uint64_t num = 0;
    unsigned kind = 9;
    CHECK(mtl_immutable_trio_parse("00042.primary", &num, &kind));
    CHECK_EQ_INT(num, 42);
    CHECK_EQ_INT(kind, 1);
    CHECK(mtl_immutable_trio_parse("123456.chunk", &num, &kind));
    CHECK_EQ_INT(num, 123456);
    CHECK(mtl_immutable_trio_parse("18446744073709551615.secondary", &num, NULL));
    CHECK(num == UINT64_MAX);
}

TEST(near_misses_refused)
{
    static const char *bad[] = {"0042.chunk",
                                "000042.chunk",
                                "+0042.chunk",
                                "00042.Chunk",
                                "00042.chunk ",
                                "00042.chunk.part",
                                "00042",
                                "00042.",
                                ".chunk",
                                "00042.ledger",
                                "a0042.chunk",
                                "00042..chunk",
                                "immutable/00042.chunk",
                                "18446744073709551616.chunk",
                                "",
                                "00042.chunkx"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (mtl_immutable_trio_parse(bad[i], NULL, NULL))
            TH_FAIL("accepted '%s'", bad[i]);
    CHECK(!mtl_immutable_trio_parse(NULL, NULL, NULL));
}

/* Every file of the reference's real immutable fragment is a trio file whose
 * name the rule rebuilds from its number. */
TEST(reference_fragment)
{
    const char *sh = th_shared_dir();
    if (!sh) {
        printf("skip reference_fragment: no ../shared/reference-data\n");
        return;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/reference-data/cardano-node-samples", sh);
    struct mtl_immutable_list l;
    CHECK_OK(mtl_immutable_list_all(dir, &l));
    CHECK_EQ_INT(l.count, 12);
    for (size_t i = 0; i < l.count; i++) {
        uint64_t num;
        unsigned kind;
        CHECK(mtl_immutable_trio_parse(l.files[i].name, &num, &kind));
        CHECK_EQ_INT(num, l.files[i].number);
        CHECK_EQ_INT(num, i / 3); /* listing order: number, then chunk < primary < secondary */
        CHECK_EQ_INT(kind, i % 3);
        char again[MTL_IMMUTABLE_NAME_BYTES];
        CHECK_OK(mtl_immutable_trio_name(again, num, kind));
        CHECK_EQ_STR(again, l.files[i].name);
    }
    mtl_immutable_list_free(&l);
}

int main(void)
{
    mtl_init();
    RUN(names_built_and_parsed);
    RUN(near_misses_refused);
    RUN(reference_fragment);
    return DONE();
}
