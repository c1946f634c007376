/* test_client_digests.c - the client's digests-list decoder and Merkle root
 * check: filtering by immutable number, sorting, and malformed lists
 * rejected with an error naming the problem. */
#include <string.h>

#include "client_services.h"
#include "harness.h"

static const char *D64 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static mtl_err parse(const char *json, uint64_t max, size_t *n)
{
    struct restore_digest *d = NULL;
    mtl_err e = client_digests_parse(json, strlen(json), max, &d, n);
    mtl_free(d);
    return e;
}

TEST(filters_and_sorts)
{
    char json[1024];
    snprintf(json, sizeof(json),
             "[{\"immutable_file_name\":\"00002.chunk\",\"digest\":\"%s\"},"
             "{\"immutable_file_name\":\"00000.secondary\",\"digest\":\"%s\"},"
             "{\"immutable_file_name\":\"00001.primary\",\"digest\":\"%s\"},"
             "{\"immutable_file_name\":\"README\",\"digest\":\"x\"}]",
             D64, D64, D64);
    struct restore_digest *d;
    size_t n;
    CHECK_OK(client_digests_parse(json, strlen(json), 1, &d, &n));
    CHECK_EQ_INT(n, 2); /* 00002 is above the beacon, README is not an immutable file */
    CHECK_EQ_STR(d[0].name, "00000.secondary");
    CHECK_EQ_STR(d[1].name, "00001.primary");
    CHECK(restore_digest_find(d, n, "00001.primary") == &d[1]);
    CHECK(restore_digest_find(d, n, "00002.chunk") == NULL);
    /* two leaves: root = BLAKE2s(leaf0 || leaf1); any other root is refused */
    CHECK_ERR(client_digests_check_root(d, n, D64), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "Merkle root") != NULL);
    mtl_free(d);
}

TEST(malformed_rejected)
{
    size_t n;
    CHECK_ERR(parse("{", 5, &n), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "invalid JSON") != NULL);
    CHECK_ERR(parse("{\"a\":1}", 5, &n), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "array") != NULL);
    CHECK_ERR(parse("[{\"immutable_file_name\":\"00001.chunk\"}]", 5, &n), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "digest") != NULL);
    CHECK_ERR(parse("[{\"immutable_file_name\":\"00001.chunk\",\"digest\":\"abc\"}]", 5, &n),
              MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "00001.chunk") != NULL);
    char dup[512];
    snprintf(dup, sizeof(dup),
             "[{\"immutable_file_name\":\"00001.chunk\",\"digest\":\"%s\"},"
             "{\"immutable_file_name\":\"00001.chunk\",\"digest\":\"%s\"}]",
             D64, D64);
    CHECK_ERR(parse(dup, 5, &n), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "twice") != NULL);
    CHECK_ERR(parse("[]", 5, &n), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "no immutable file") != NULL);
}

int main(void)
{
    mtl_init();
    RUN(filters_and_sorts);
    RUN(malformed_rejected);
    return DONE();
}
