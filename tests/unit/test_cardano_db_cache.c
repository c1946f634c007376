/* test_cardano_db_cache.c - the digest cache: cached and uncached results are
 * identical, only new entries are added, a changed file (size or mtime) is
 * re-hashed, and a corrupt cache file is reported and ignored, never trusted. */
#define _GNU_SOURCE /* mkdtemp, nftw, utimensat */
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>

#include "cardano_dummy_db.h"
#include "harness.h"

static const char *V6 = "8552f75838176c967a33eb6da1fe5f3c9940b706d75a9c2352c0acd8439f3d84";

static mtl_err digest_with_cache(const char *db, const char *cache_path, uint64_t n,
                                 struct mtl_db_digests *d, char *warning, size_t wcap)
{
    struct mtl_digest_cache *c = NULL;
    mtl_err e = mtl_digest_cache_open(&c, cache_path);
    if (e != MTL_OK)
        return e;
    struct mtl_digest_opts o = {.network = "devnet", .epoch = 1, .threads = 2, .cache = c};
    e = mtl_cardano_db_digest(db, n, &o, d);
    if (warning) {
        const char *w = mtl_digest_cache_warning(c);
        snprintf(warning, wcap, "%s", w ? w : "");
    }
    mtl_digest_cache_free(c);
    return e;
}

static void write_text(const char *path, const char *text)
{
    dummy_write(path, text, strlen(text));
}

TEST(cached_equals_uncached)
{
    char *db = dummy_db(1, 101);
    CHECK(db);
    char cache[4096], w[1024];
    snprintf(cache, sizeof(cache), "%s/digests.json", db);
    struct mtl_db_digests plain, first, second;
    CHECK_OK(mtl_cardano_db_digest(
        db, 100, &(struct mtl_digest_opts){.network = "devnet", .epoch = 1}, &plain));
    CHECK_OK(digest_with_cache(db, cache, 100, &first, w, sizeof(w)));
    CHECK_EQ_STR(w, ""); /* a missing cache file is no problem */
    CHECK_EQ_INT(first.hashed, 300);
    CHECK_EQ_INT(first.from_cache, 0);
    struct stat st;
    CHECK(stat(cache, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);

    CHECK_OK(digest_with_cache(db, cache, 100, &second, w, sizeof(w)));
    CHECK_EQ_STR(w, "");
    CHECK_EQ_INT(second.hashed, 0);
    CHECK_EQ_INT(second.from_cache, 300);
    CHECK_EQ_INT(second.count, plain.count);
    for (size_t i = 0; i < plain.count; i++) {
        CHECK_EQ_STR(first.files[i].digest, plain.files[i].digest);
        CHECK_EQ_STR(second.files[i].digest, plain.files[i].digest);
        CHECK_EQ_INT(second.files[i].size, plain.files[i].size);
    }
    CHECK_EQ_INT(second.total_bytes, plain.total_bytes);
    CHECK_EQ_STR(second.merkle_root, V6);
    CHECK_EQ_STR(second.legacy_digest, plain.legacy_digest);

    /* a later beacon: only trio 101 is hashed and added */
    CHECK_OK(dummy_trio(db, 102));
    struct mtl_db_digests third;
    CHECK_OK(digest_with_cache(db, cache, 101, &third, NULL, 0));
    CHECK_EQ_INT(third.hashed, 3);
    CHECK_EQ_INT(third.from_cache, 300);
    struct mtl_digest_cache *c = NULL;
    CHECK_OK(mtl_digest_cache_open(&c, cache));
    CHECK_EQ_INT(mtl_digest_cache_count(c), 303);
    CHECK(mtl_digest_cache_warning(c) == NULL);
    mtl_digest_cache_free(c);
    mtl_db_digests_free(&plain);
    mtl_db_digests_free(&first);
    mtl_db_digests_free(&second);
    mtl_db_digests_free(&third);
    dummy_db_remove(db);
}

TEST(changed_file_rehashed)
{
    char *db = dummy_db(1, 4);
    CHECK(db);
    char cache[4096], p[4096];
    snprintf(cache, sizeof(cache), "%s/digests.json", db);
    struct mtl_db_digests a, b;
    CHECK_OK(digest_with_cache(db, cache, 3, &a, NULL, 0));
    CHECK_EQ_INT(a.hashed, 9);

    /* same size, different bytes, mtime moved: re-hashed, new digest */
    snprintf(p, sizeof(p), "%s/immutable/00002.chunk", db);
    write_text(p, "This is a test file named '00002.chunX'");
    struct timespec ts[2] = {{.tv_sec = 1000000000, .tv_nsec = 1},
                             {.tv_sec = 1000000000, .tv_nsec = 1}};
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
    CHECK_OK(digest_with_cache(db, cache, 3, &b, NULL, 0));
    CHECK_EQ_INT(b.hashed, 1);
    CHECK_EQ_INT(b.from_cache, 8);
    CHECK(strcmp(b.files[3].digest, a.files[3].digest) != 0);
    CHECK(strcmp(b.merkle_root, a.merkle_root) != 0);
    mtl_db_digests_free(&b);

    /* only the mtime changes (ns precision): re-hashed, same digest */
    ts[0].tv_nsec = ts[1].tv_nsec = 2;
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
    CHECK_OK(digest_with_cache(db, cache, 3, &b, NULL, 0));
    CHECK_EQ_INT(b.hashed, 1);
    mtl_db_digests_free(&b);

    /* only the size changes (mtime restored): re-hashed */
    write_text(p, "This is a test file named '00002.chunk' and more");
    CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
    CHECK_OK(digest_with_cache(db, cache, 3, &b, NULL, 0));
    CHECK_EQ_INT(b.hashed, 1);
    CHECK_EQ_INT(b.files[3].size, 48);
    mtl_db_digests_free(&b);

    /* back to the original content: the digest is the original one again */
    write_text(p, "This is a test file named '00002.chunk'");
    CHECK_OK(digest_with_cache(db, cache, 3, &b, NULL, 0));
    CHECK_EQ_INT(b.hashed, 1);
    CHECK_EQ_STR(b.files[3].digest, a.files[3].digest);
    CHECK_EQ_STR(b.merkle_root, a.merkle_root);
    mtl_db_digests_free(&b);
    mtl_db_digests_free(&a);
    dummy_db_remove(db);
}

/* Each corruption: reported (naming the file and the problem), ignored
 * (everything re-hashed, right result) and replaced by a good cache. */
TEST(corrupt_cache_reported_and_ignored)
{
    char *db = dummy_db(1, 4);
    CHECK(db);
    char cache[4096], w[1024];
    snprintf(cache, sizeof(cache), "%s/digests.json", db);
    struct mtl_db_digests ref;
    CHECK_OK(digest_with_cache(db, cache, 3, &ref, NULL, 0));
    uint8_t *good = NULL;
    size_t goodlen = 0;
    CHECK_OK(mtl_read_file(cache, 1 << 20, &good, &goodlen));

    /* a poisoned digest with the right shape would be trusted: the cache is
     * only as good as the file's integrity, so malformed ones are refused */
    char *wrong_digest = mtl_strdup((const char *)good);
    char *at = strstr(wrong_digest, "\"digest\": \"");
    CHECK(at);
    at[11] = at[11] == 'g' ? 'h' : 'g'; /* not hex */
    const struct {
        const char *text, *want;
    } cases[] = {
        {"{not json", "not JSON"},
        {"", "not JSON"},
        {"[]", "expected {\"version\":1"},
        {"{\"version\":2,\"files\":{}}", "expected {\"version\":1"},
        {"{\"version\":1,\"files\":{\"00001.chunk\":\"abc\"}}", "entry is not an object"},
        {"{\"version\":1,\"files\":{\"00001.chunk\":{\"size\":-1,\"mtime_ns\":1,\"digest\":"
         "\"faebbf47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec\"}}}",
         "\"size\""},
        {"{\"version\":1,\"files\":{\"00001.chunk\":{\"size\":39,\"mtime_ns\":\"x\",\"digest\":"
         "\"faebbf47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec\"}}}",
         "\"mtime_ns\""},
        {"{\"version\":1,\"files\":{\"00001.chunk\":{\"size\":39,\"mtime_ns\":1,\"digest\":"
         "\"FAEBBF47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec\"}}}",
         "\"digest\""},
        {"{\"version\":1,\"files\":{\"../x.chunk\":{\"size\":39,\"mtime_ns\":1,\"digest\":"
         "\"faebbf47077f68ef57219396ff69edc738978a3eca946ac7df1983dbf11364ec\"}}}",
         "bad file name"},
        {wrong_digest, "\"digest\""},
    };
    for (size_t i = 0; i < DUMMY_LEN(cases); i++) {
        write_text(cache, cases[i].text);
        struct mtl_db_digests d;
        CHECK_OK(digest_with_cache(db, cache, 3, &d, w, sizeof(w)));
        if (!strstr(w, cases[i].want) || !strstr(w, "ignored") || !strstr(w, cache))
            TH_FAIL("case %zu: warning \"%s\" does not say \"%s\"", i, w, cases[i].want);
        CHECK_EQ_INT(d.hashed, 9);
        CHECK_EQ_STR(d.merkle_root, ref.merkle_root);
        mtl_db_digests_free(&d);
        /* rewritten as a good cache */
        CHECK_OK(digest_with_cache(db, cache, 3, &d, w, sizeof(w)));
        CHECK_EQ_STR(w, "");
        CHECK_EQ_INT(d.from_cache, 9);
        mtl_db_digests_free(&d);
    }
    /* a directory in place of the file: unreadable, reported, not saved over */
    unlink(cache);
    CHECK(mkdir(cache, 0700) == 0);
    struct mtl_db_digests d;
    CHECK_OK(digest_with_cache(db, cache, 3, &d, w, sizeof(w)));
    CHECK(strstr(w, "not saved") != NULL);
    CHECK_EQ_STR(d.merkle_root, ref.merkle_root);
    mtl_db_digests_free(&d);
    rmdir(cache);
    mtl_free(wrong_digest);
    mtl_free(good);
    mtl_db_digests_free(&ref);
    dummy_db_remove(db);
}

/* New entries go to "<cache>.journal" (the JSON is not rewritten); a torn or
 * tampered journal line is reported, never trusted, and the file is rebuilt. */
TEST(journal_appends_and_is_checked)
{
    char *db = dummy_db(1, 4);
    CHECK(db);
    char cache[4096], journal[4200], w[1024];
    snprintf(cache, sizeof(cache), "%s/digests.json", db);
    snprintf(journal, sizeof(journal), "%s.journal", cache);
    struct mtl_db_digests a, b;
    CHECK_OK(digest_with_cache(db, cache, 3, &a, w, sizeof(w)));
    CHECK(access(journal, F_OK) != 0); /* first save: the whole JSON */
    struct stat st0, st1;
    CHECK(stat(cache, &st0) == 0);

    CHECK_OK(dummy_trio(db, 5));
    CHECK_OK(digest_with_cache(db, cache, 4, &b, w, sizeof(w)));
    CHECK_EQ_STR(w, "");
    CHECK_EQ_INT(b.hashed, 3);
    CHECK(stat(cache, &st1) == 0);
    CHECK_EQ_INT(st1.st_ino, st0.st_ino); /* not rewritten */
    CHECK(stat(journal, &st1) == 0);
    CHECK_EQ_INT(st1.st_mode & 0777, 0600);
    mtl_db_digests_free(&b);
    CHECK_OK(digest_with_cache(db, cache, 4, &b, w, sizeof(w)));
    CHECK_EQ_STR(w, "");
    CHECK_EQ_INT(b.hashed, 0); /* all 15 from JSON + journal */
    char root4[65];
    snprintf(root4, sizeof(root4), "%s", b.merkle_root);
    mtl_db_digests_free(&b);

    /* a tampered digest in the journal: its check fails, it is not trusted */
    uint8_t *j = NULL;
    size_t jl = 0;
    CHECK_OK(mtl_read_file(journal, 1 << 20, &j, &jl));
    char *good = mtl_strdup((const char *)j);
    char *line = strstr((char *)j, "00004.chunk ");
    CHECK(line);
    char *dg = strchr(strchr(strchr(line, ' ') + 1, ' ') + 1, ' ') + 1;
    dg[0] = dg[0] == 'a' ? 'b' : 'a';
    dummy_write(journal, j, jl);
    CHECK_OK(digest_with_cache(db, cache, 4, &b, w, sizeof(w)));
    if (!strstr(w, "journal") || !strstr(w, "ignored"))
        TH_FAIL("warning \"%s\" does not report the journal", w);
    CHECK(b.hashed >= 1);
    CHECK_EQ_STR(b.merkle_root, root4);
    mtl_db_digests_free(&b);
    CHECK(access(journal, F_OK) != 0); /* rebuilt into the JSON */
    CHECK_OK(digest_with_cache(db, cache, 4, &b, w, sizeof(w)));
    CHECK_EQ_STR(w, "");
    CHECK_EQ_INT(b.hashed, 0);
    mtl_db_digests_free(&b);

    /* a torn last line (crash during the append) */
    CHECK_OK(dummy_trio(db, 6));
    CHECK_OK(digest_with_cache(db, cache, 5, &b, w, sizeof(w)));
    mtl_db_digests_free(&b);
    mtl_free(j);
    CHECK_OK(mtl_read_file(journal, 1 << 20, &j, &jl));
    CHECK(jl > 20);
    dummy_write(journal, j, jl - 10);
    CHECK_OK(digest_with_cache(db, cache, 5, &b, w, sizeof(w)));
    CHECK(strstr(w, "journal") != NULL);
    CHECK_EQ_INT(b.hashed, 1);
    mtl_db_digests_free(&b);

    /* a journal of an older JSON (its unlink lost): not applied */
    dummy_write(journal, good, strlen(good));
    CHECK_OK(digest_with_cache(db, cache, 5, &b, w, sizeof(w)));
    CHECK_EQ_STR(w, "");
    CHECK_EQ_INT(b.hashed, 0);
    mtl_db_digests_free(&b);
    mtl_free(good);
    mtl_free(j);
    mtl_db_digests_free(&a);
    dummy_db_remove(db);
}

int main(void)
{
    RUN(cached_equals_uncached);
    RUN(changed_file_rehashed);
    RUN(corrupt_cache_reported_and_ignored);
    RUN(journal_appends_and_is_checked);
    return DONE();
}
