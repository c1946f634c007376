/* test_cardano_db.c - immutable listing, certifiable number, per-file
 * digests, legacy digest and Merkle root of libmithril against the
 * reference's vectors (spec cardano-db.md §2.5 V1-V9) on its dummy DB, the
 * derived vectors on the real devnet samples, and bad inputs named. */
#define _GNU_SOURCE /* symlink, mkdtemp, nftw */
#include <errno.h>
#include <openssl/sha.h>
#include <unistd.h>

#include "cardano_dummy_db.h"
#include "harness.h"

static const char *V5 = "a27fd67e495c2c77e4b6b0af9925b2b0bc39656c56adfad4aaab9f20fae49122";
static const char *V6 = "8552f75838176c967a33eb6da1fe5f3c9940b706d75a9c2352c0acd8439f3d84";

static void touch(const char *dir, const char *rel)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    dummy_write(p, "x", 1);
}

TEST(listing_rules)
{
    char *db = dummy_db(1, 2);
    CHECK(db);
    char p[4096];
    touch(db, "immutable/README.md");
    touch(db, "immutable/124.secondary.back");
    touch(db, "immutable/.chunk"); /* no extension for Rust: ignored */
    touch(db, "immutable/0124.chunk");
    touch(db, "immutable/124.chunk");
    touch(db, "immutable/00007.primary"); /* incomplete trios are listed as they are */
    snprintf(p, sizeof(p), "%s/immutable/00009.chunk", db);
    mkdir(p, 0700); /* a directory is not an immutable file */
    snprintf(p, sizeof(p), "%s/immutable/00008.chunk", db);
    CHECK(symlink("00001.chunk", p) == 0); /* nor is a symlink (walkdir does not follow) */

    struct mtl_immutable_list l;
    CHECK_OK(mtl_immutable_list_all(db, &l));
    const char *want[] = {"00001.chunk",   "00001.primary", "00001.secondary",
                          "00002.chunk",   "00002.primary", "00002.secondary",
                          "00007.primary", "0124.chunk",    "124.chunk"};
    CHECK_EQ_INT(l.count, DUMMY_LEN(want));
    for (size_t i = 0; i < l.count; i++)
        CHECK_EQ_STR(l.files[i].name, want[i]);
    CHECK_EQ_INT(l.files[7].number, 124);
    CHECK_EQ_INT(l.files[8].number, 124);
    snprintf(p, sizeof(p), "%s/immutable/00001.chunk", db);
    CHECK_EQ_STR(l.files[0].path, p);
    mtl_immutable_list_free(&l);

    /* db/immutable itself, or any ancestor, finds the same directory */
    snprintf(p, sizeof(p), "%s/immutable", db);
    CHECK_OK(mtl_immutable_list_all(p, &l));
    CHECK_EQ_INT(l.count, DUMMY_LEN(want));
    mtl_immutable_list_free(&l);

    uint64_t n = 0;
    CHECK_OK(mtl_immutable_last_certifiable(db, &n));
    CHECK_EQ_INT(n, 7); /* both files of 124 are the one being written */
    dummy_db_remove(db);
}

TEST(listing_errors)
{
    char *db = dummy_db(1, 1);
    CHECK(db);
    char p[4096];
    struct mtl_immutable_list l;
    snprintf(p, sizeof(p), "%s/ledger", db);
    CHECK_ERR(mtl_immutable_list_all(p, &l), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "Couldn't find the 'immutable' folder in") != NULL);
    CHECK(strstr(mtl_err_detail(), p) != NULL);
    snprintf(p, sizeof(p), "%s/nowhere", db);
    CHECK_ERR(mtl_immutable_list_all(p, &l), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "nowhere") != NULL);

    touch(db, "immutable/abc.chunk");
    CHECK_ERR(mtl_immutable_list_all(db, &l), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "abc.chunk") != NULL);
    uint64_t n;
    CHECK_ERR(mtl_immutable_last_certifiable(db, &n), MTL_ERR_BAD_ENCODING);
    snprintf(p, sizeof(p), "%s/immutable/abc.chunk", db);
    unlink(p);
    touch(db, "immutable/99999999999999999999.chunk"); /* above u64 */
    CHECK_ERR(mtl_immutable_list_all(db, &l), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "99999999999999999999.chunk") != NULL);
    dummy_db_remove(db);
}

TEST(certifiable_rule)
{
    uint64_t n = 12345;
    char *db = dummy_db(1, 1); /* only the trio being written */
    CHECK(db);
    CHECK_ERR(mtl_immutable_last_certifiable(db, &n), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "no immutable file was returned") != NULL);
    CHECK_EQ_INT(n, 12345);
    CHECK_OK(dummy_trio(db, 2));
    CHECK_OK(mtl_immutable_last_certifiable(db, &n));
    CHECK_EQ_INT(n, 1);
    /* a gap is not an error: highest number below the highest present */
    CHECK_OK(dummy_trio(db, 5));
    CHECK_OK(mtl_immutable_last_certifiable(db, &n));
    CHECK_EQ_INT(n, 2);
    /* the new trio starts with its chunk only */
    CHECK_OK(dummy_file(db, "00006.chunk"));
    CHECK_OK(mtl_immutable_last_certifiable(db, &n));
    CHECK_EQ_INT(n, 5);
    dummy_db_remove(db);

    db = dummy_db(1, 0); /* empty immutable dir */
    CHECK(db);
    CHECK_ERR(mtl_immutable_last_certifiable(db, &n), MTL_ERR_NOT_FOUND);
    dummy_db_remove(db);
}

/* V1-V6 on the reference's dummy DB: trios 1..=100 plus trio 101 being written. */
TEST(reference_dummy_db_vectors)
{
    char *db = dummy_db(1, 101);
    CHECK(db);
    uint64_t n = 0;
    CHECK_OK(mtl_immutable_last_certifiable(db, &n));
    CHECK_EQ_INT(n, 100);
    struct mtl_digest_opts o = {.network = "devnet", .epoch = 1, .threads = 1};
    struct mtl_db_digests d;
    CHECK_OK(mtl_cardano_db_digest(db, 100, &o, &d));
    CHECK_EQ_INT(d.count, 300);
    CHECK_EQ_STR(d.files[0].name, "00001.chunk");
    CHECK_EQ_STR(d.files[0].digest,
                 "faebbf47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec");
    CHECK_EQ_STR(d.files[1].digest,
                 "f11bdb991fc7e72970be7d7f666e10333f92c14326d796fed8c2c041675fa826");
    CHECK_EQ_STR(d.files[2].digest,
                 "b139684b968fa12ce324cce464d000de0e2c2ded0fd3e473a666410821d3fde3");
    CHECK_EQ_STR(d.files[299].name, "00100.secondary");
    CHECK_EQ_INT(d.files[299].number, 100);
    CHECK_EQ_STR(d.legacy_digest, V5);
    CHECK_EQ_STR(d.merkle_root, V6);
    CHECK_EQ_INT(d.hashed, 300);
    CHECK_EQ_INT(d.from_cache, 0);
    /* "This is a test file named '00001.chunk'" is 39 bytes, primary 41, secondary 43 */
    CHECK_EQ_INT(d.total_bytes, 100 * (39 + 41 + 43));

    /* same result with several threads, and with more threads than files */
    unsigned threads[] = {2, 7, 0, 500};
    for (size_t t = 0; t < DUMMY_LEN(threads); t++) {
        struct mtl_db_digests d2;
        o.threads = threads[t];
        CHECK_OK(mtl_cardano_db_digest(db, 100, &o, &d2));
        CHECK_EQ_INT(d2.count, 300);
        for (size_t i = 0; i < d2.count; i++)
            CHECK_EQ_STR(d2.files[i].digest, d.files[i].digest);
        CHECK_EQ_STR(d2.merkle_root, V6);
        CHECK_EQ_STR(d2.legacy_digest, V5);
        mtl_db_digests_free(&d2);
    }
    /* no network: no legacy digest */
    struct mtl_db_digests d3;
    CHECK_OK(mtl_cardano_db_digest(db, 100, NULL, &d3));
    CHECK_EQ_STR(d3.legacy_digest, "");
    CHECK_EQ_STR(d3.merkle_root, V6);
    mtl_db_digests_free(&d3);
    /* the beacon (and network) are mixed into the legacy digest */
    o.epoch = 2;
    CHECK_OK(mtl_cardano_db_digest(db, 100, &o, &d3));
    CHECK(strcmp(d3.legacy_digest, V5) != 0);
    CHECK_EQ_STR(d3.merkle_root, V6);
    mtl_db_digests_free(&d3);

    /* the legacy digest from the per-file digests alone */
    const char *hex[300];
    for (size_t i = 0; i < 300; i++)
        hex[i] = d.files[i].digest;
    char out[65];
    CHECK_OK(mtl_cardano_db_legacy_digest("devnet", 1, 100, hex, 300, out));
    CHECK_EQ_STR(out, V5);
    mtl_db_digests_free(&d);
    dummy_db_remove(db);
}

TEST(beacon_hashes)
{
    char out[65];
    mtl_cardano_db_legacy_beacon_hash("testnet", 10, 100, out); /* V4 */
    CHECK_EQ_STR(out, "48cbf709b56204d8315aefd3a416b45398094f6fd51785c5b7dcaf7f35aacbfb");
    mtl_cardano_db_beacon_hash(10, 100, out); /* V8 */
    CHECK_EQ_STR(out, "9ab2a51e6dbed250ff6f2a70709834f3fba8197411ce9fb29923b124f3fe8594");
    mtl_cardano_database_hash(123, "mk-root-123", out); /* V9 */
    CHECK_EQ_STR(out, "b1cc5e0deaa7856e8e811e349d6e639fa667aa70288602955f438c5893ce29c8");
}

TEST(not_enough_immutables)
{
    char *db = dummy_db(1, 3);
    CHECK(db);
    struct mtl_db_digests d;
    CHECK_ERR(mtl_cardano_db_digest(db, 10, NULL, &d), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "At least two immutable chunks should exist in directory") !=
          NULL);
    CHECK(strstr(mtl_err_detail(), "expected 10 but found Some(3).") != NULL);
    CHECK_EQ_INT(d.count, 0);
    CHECK_ERR(mtl_cardano_db_digest(db, 0, NULL, &d), MTL_ERR_NOT_FOUND); /* no 00000 */
    CHECK(strstr(mtl_err_detail(), "expected 0 but found None.") != NULL);
    /* a gap below N is not an error for the reference */
    char p[4096];
    for (int e = 0; e < 3; e++) {
        static const char *ext[] = {"chunk", "primary", "secondary"};
        snprintf(p, sizeof(p), "%s/immutable/00002.%s", db, ext[e]);
        CHECK(unlink(p) == 0);
    }
    CHECK_OK(mtl_cardano_db_digest(db, 3, NULL, &d));
    CHECK_EQ_INT(d.count, 6);
    CHECK_EQ_INT(d.files[3].number, 3);
    mtl_db_digests_free(&d);
    /* N = 2 is covered by 00001 then: the highest listed number is below it */
    CHECK_ERR(mtl_cardano_db_digest(db, 2, NULL, &d), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "expected 2 but found Some(1).") != NULL);
    snprintf(p, sizeof(p), "%s/ledger", db);
    CHECK_ERR(mtl_cardano_db_digest(p, 1, NULL, &d), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "immutable' folder") != NULL);
    dummy_db_remove(db);
}

/* A file that cannot be opened, found by a worker thread: the error reaches
 * the caller naming the file (works as root too, unlike chmod 000). */
TEST(unreadable_file_named)
{
    char *db = dummy_db(1, 4);
    CHECK(db);
    struct mtl_immutable_list l;
    CHECK_OK(mtl_immutable_list_all(db, &l));
    char *keep = l.files[7].path;
    char bad[4096];
    snprintf(bad, sizeof(bad), "%s/immutable/vanished.chunk", db);
    l.files[7].path = bad;
    struct mtl_digest_opts o = {.threads = 3};
    struct mtl_db_digests d;
    CHECK_ERR(mtl_immutable_files_digest(&l, &o, &d), MTL_ERR_IO);
    CHECK(strstr(mtl_err_detail(), "vanished.chunk") != NULL);
    CHECK(strstr(mtl_err_detail(), "cannot open") != NULL);
    CHECK_EQ_INT(d.count, 0);
    l.files[7].path = keep;
    mtl_immutable_list_free(&l);
    if (geteuid() != 0) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/immutable/00002.primary", db);
        CHECK(chmod(p, 0) == 0);
        CHECK_ERR(mtl_cardano_db_digest(db, 3, NULL, &d), MTL_ERR_IO);
        CHECK(strstr(mtl_err_detail(), "00002.primary") != NULL);
    }
    dummy_db_remove(db);
}

/* Every allocation failing in turn: a clean MTL_ERR_NOMEM (no crash, no
 * leak under ASan) or, once enough succeed, the right result. */
TEST(allocation_failures)
{
    char *db = dummy_db(1, 4);
    CHECK(db);
    char cache[4096];
    snprintf(cache, sizeof(cache), "%s/cache.json", db);
    int ok = 0;
    for (long i = 0; i < 200 && !ok; i++) {
        struct mtl_digest_cache *c = NULL;
        mtl_alloc_fail_after(i);
        mtl_err e = mtl_digest_cache_open(&c, cache);
        struct mtl_db_digests d;
        if (e == MTL_OK) {
            struct mtl_digest_opts o = {.network = "devnet", .epoch = 1, .threads = 2, .cache = c};
            e = mtl_cardano_db_digest(db, 3, &o, &d);
        }
        mtl_alloc_fail_after(-1);
        if (e == MTL_OK) {
            CHECK_EQ_INT(d.count, 9);
            mtl_db_digests_free(&d);
            ok = 1;
        } else if (e != MTL_ERR_NOMEM) {
            mtl_digest_cache_free(c);
            TH_FAIL("failure %ld: %s (%s)", i, mtl_strerror(e), mtl_err_detail());
        }
        mtl_digest_cache_free(c);
    }
    CHECK(ok);
    dummy_db_remove(db);
}

/* [derived] vectors on the real devnet samples (spec §2.5), when present. */
TEST(real_samples)
{
    const char *shared = th_shared_dir();
    if (!shared) {
        printf("  (real samples skipped: no MTL_SHARED_DIR)\n");
        return;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/reference-data/cardano-node-samples", shared);
    struct stat st;
    if (stat(dir, &st) != 0) {
        printf("  (real samples skipped: %s absent)\n", dir);
        return;
    }
    struct mtl_immutable_list l;
    CHECK_OK(mtl_immutable_list_all(dir, &l)); /* finds cardano-node-samples/immutable */
    CHECK_EQ_INT(l.count, 12);
    mtl_immutable_list_free(&l);
    uint64_t n = 0;
    CHECK_OK(mtl_immutable_last_certifiable(dir, &n));
    CHECK_EQ_INT(n, 2);

    static const char *roots[] = {
        "568a3c5d1f6a780af9bc647141ff1fc35cf66b287b032ea38042b8be48467dd1",
        "6338272c32370c155d5578c94ad7ebdb9a9a4c344d4ea73f72e3fa6e1769ff1f",
        "75e3de518bb1484c6762f4086548bc854baafd77b06f9538d04abf73e67436a7",
        "bd8431040be7e09cc82dd3e655cc7f1d5b4773ba9ec278c766cbf5df19c816a7"};
    for (unsigned k = 0; k < 4; k++) {
        struct mtl_digest_opts o = {.network = "devnet", .epoch = 5, .threads = 2};
        struct mtl_db_digests d;
        CHECK_OK(mtl_cardano_db_digest(dir, k, &o, &d));
        CHECK_EQ_INT(d.count, 3 * (k + 1));
        CHECK_EQ_STR(d.merkle_root, roots[k]);
        if (k == 3) {
            CHECK_EQ_STR(d.legacy_digest,
                         "d03aaac2aa46f48da0dd0f94bf08b970601bdcd2581db80c7991796560d48a22");
            CHECK_EQ_STR(d.files[0].digest,
                         "dd65d0b1fd9accf7df1c85b5e9614301c1898580ca84005225dfb28b5a6083d2");
            for (int i = 1; i < 12; i += 3)
                CHECK_EQ_STR(d.files[i].digest,
                             "26f0849c3b98576a1e3280a5b134bbe41b2c4f2cede825b513506541ac43b876");
            CHECK_EQ_STR(d.files[11].digest,
                         "6ed3378c35e0417acf1f07dcaa70da1e0df6e0c664f487a781e248f5b2c15f3e");
            CHECK_EQ_INT(d.total_bytes, 85519 + 86272 + 86396 + 87216 + 4 * 409 + 4 * 5600);
        }
        mtl_db_digests_free(&d);
    }
    char out[65];
    mtl_cardano_db_legacy_beacon_hash("devnet", 5, 3, out);
    CHECK_EQ_STR(out, "3f4bbbfdb963cd1f5201c85279b678438eae78cfe6d3160bae037d22b8c9ab5e");
}

/* A file larger than one read of the hasher (3.5 MiB, several reads): its
 * digest is the SHA-256 of all of it, computed here in one go. */
TEST(large_file_hashed_whole)
{
    char *db = dummy_db(1, 2);
    CHECK(db);
    size_t len = 3 * (1u << 20) + (1u << 19) + 17;
    uint8_t *big = malloc(len), md[32];
    CHECK(big);
    for (size_t i = 0; i < len; i++)
        big[i] = (uint8_t)((i * 2654435761u) >> 13);
    char p[4096], want[65];
    snprintf(p, sizeof(p), "%s/immutable/00001.chunk", db);
    CHECK_OK(mtl_atomic_write(p, big, len, 0644));
    SHA256(big, len, md);
    free(big);
    CHECK_OK(mtl_hex_encode(want, sizeof(want), md, 32));
    struct mtl_immutable_list l;
    struct mtl_db_digests d;
    CHECK_OK(mtl_immutable_list_all(db, &l));
    struct mtl_digest_opts o = {.threads = 2};
    mtl_err rc = mtl_immutable_files_digest(&l, &o, &d);
    mtl_immutable_list_free(&l);
    CHECK_OK(rc);
    int found = 0;
    for (size_t i = 0; i < d.count; i++)
        if (strcmp(d.files[i].name, "00001.chunk") == 0) {
            found = 1;
            CHECK_EQ_STR(d.files[i].digest, want);
            CHECK_EQ_INT(d.files[i].size, len);
        }
    mtl_db_digests_free(&d);
    dummy_db_remove(db);
    CHECK(found);
}

int main(void)
{
    RUN(listing_rules);
    RUN(listing_errors);
    RUN(certifiable_rule);
    RUN(reference_dummy_db_vectors);
    RUN(beacon_hashes);
    RUN(not_enough_immutables);
    RUN(unreadable_file_named);
    RUN(allocation_failures);
    RUN(real_samples);
    RUN(large_file_hashed_whole);
    return DONE();
}
