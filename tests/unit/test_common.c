/* test_common.c - hex, JSON-hex, byte arrays, buffers, atomic writes, errors. */
#include <sys/stat.h>
#include <unistd.h>

#include "common/common_int.h"
#include "harness.h"

TEST(hex_roundtrip)
{
    uint8_t in[4] = {0x00, 0xab, 0x7f, 0xff}, out[4];
    char hex[9];
    size_t n;
    CHECK_OK(mtl_hex_encode(hex, sizeof(hex), in, 4));
    CHECK_EQ_STR(hex, "00ab7fff");
    CHECK_OK(mtl_hex_decode(out, sizeof(out), &n, "00AB7fff", 8));
    CHECK_EQ_INT(n, 4);
    CHECK_MEM(in, out, 4);
    CHECK_ERR(mtl_hex_encode(hex, 8, in, 4), MTL_ERR_BUFFER_TOO_SMALL);
}

TEST(hex_rejects_garbage)
{
    uint8_t out[8];
    size_t n;
    CHECK_ERR(mtl_hex_decode(out, sizeof(out), &n, "abc", 3), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "odd length") != NULL);
    CHECK_ERR(mtl_hex_decode(out, sizeof(out), &n, "zz", 2), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "invalid character") != NULL);
    CHECK_ERR(mtl_hex_decode(out, 1, &n, "0102", 4), MTL_ERR_BAD_ENCODING);
}

/* The devnet genesis key is JSON-hex of a 32-number byte array. */
TEST(jsonhex_reference_genesis_key)
{
    const char *shared = th_shared_dir();
    if (!shared) {
        printf("skip: ../shared absent\n");
        return;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey", shared);
    uint8_t *file;
    size_t flen;
    CHECK_OK(mtl_read_file(path, 4096, &file, &flen));
    while (flen && (file[flen - 1] == '\n' || file[flen - 1] == '\r'))
        file[--flen] = 0;
    char *json;
    size_t jlen;
    CHECK_OK(mtl_jsonhex_decode(&json, &jlen, (const char *)file));
    CHECK(json[0] == '[');
    uint8_t key[32];
    size_t n;
    CHECK_OK(mtl_json_bytes_decode(key, sizeof(key), &n, json, 32));
    CHECK_EQ_INT(key[0], 32);  /* "[32,253,186,..." */
    CHECK_EQ_INT(key[1], 253);
    /* Re-encoding gives back the very same file bytes. */
    char *json2, *hex2;
    CHECK_OK(mtl_json_bytes_encode(&json2, key, 32));
    CHECK_EQ_STR(json2, json);
    CHECK_OK(mtl_jsonhex_encode(&hex2, json2, strlen(json2)));
    CHECK_EQ_STR(hex2, (const char *)file);
    mtl_free(json);
    mtl_free(json2);
    mtl_free(hex2);
    mtl_free(file);
}

TEST(json_bytes_rejects)
{
    uint8_t out[4];
    size_t n;
    CHECK_ERR(mtl_json_bytes_decode(out, 4, &n, "[1,2,256]", 0), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_json_bytes_decode(out, 4, &n, "[1,2,3,4,5]", 0), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_json_bytes_decode(out, 4, &n, "[1,2]x", 0), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_json_bytes_decode(out, 4, &n, "[1,2]", 3), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_json_bytes_decode(out, 4, &n, "[1,-2]", 0), MTL_ERR_BAD_ENCODING);
    CHECK_OK(mtl_json_bytes_decode(out, 4, &n, " [ 1 , 2 ] ", 2));
    CHECK_OK(mtl_json_bytes_decode(out, 4, &n, "[]", 0));
    CHECK_EQ_INT(n, 0);
}

TEST(buf_cap)
{
    struct mtl_buf b;
    mtl_buf_init(&b, 10);
    CHECK_OK(mtl_buf_append(&b, "12345", 5));
    CHECK_OK(mtl_buf_printf(&b, "%d", 6789));
    CHECK_ERR(mtl_buf_append(&b, "ab", 2), MTL_ERR_TOO_BIG);
    CHECK_EQ_INT(b.len, 9);
    CHECK_EQ_STR((char *)b.data, "123456789");
    mtl_buf_free(&b);
}

TEST(alloc_failure_injection)
{
    struct mtl_buf b;
    mtl_buf_init(&b, 1000);
    mtl_alloc_fail_after(0);
    CHECK_ERR(mtl_buf_append(&b, "x", 1), MTL_ERR_NOMEM);
    mtl_alloc_fail_after(-1);
    CHECK_OK(mtl_buf_append(&b, "x", 1));
    mtl_buf_free(&b);
}

TEST(atomic_write_replaces_whole_file)
{
    char dir[] = "/tmp/mtl-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof(path), "%s/secret.key", dir);
    CHECK_OK(mtl_atomic_write(path, "first", 5, 0600));
    CHECK_OK(mtl_atomic_write(path, "second!", 7, 0600));
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    uint8_t *data;
    size_t len;
    CHECK_OK(mtl_read_file(path, 100, &data, &len));
    CHECK_EQ_INT(len, 7);
    CHECK_EQ_STR((char *)data, "second!");
    mtl_free(data);
    CHECK_ERR(mtl_read_file(path, 3, &data, &len), MTL_ERR_TOO_BIG);
    char bad[300];
    snprintf(bad, sizeof(bad), "%s/nodir/x", dir);
    CHECK_ERR(mtl_atomic_write(bad, "x", 1, 0644), MTL_ERR_IO);
    CHECK(strstr(mtl_err_detail(), "nodir") != NULL);
    unlink(path);
    rmdir(dir);
}

TEST(strerror_covers_every_code)
{
    for (int e = 0; e < MTL_ERR__COUNT; e++)
        CHECK(strcmp(mithril_strerror((mtl_err)e), "unknown error") != 0);
    CHECK_EQ_STR(mithril_strerror((mtl_err)999), "unknown error");
}

int main(void)
{

    if (mtl_init() != MTL_OK)
        return 1;
    RUN(hex_roundtrip);
    RUN(hex_rejects_garbage);
    RUN(jsonhex_reference_genesis_key);
    RUN(json_bytes_rejects);
    RUN(buf_cap);
    RUN(alloc_failure_injection);
    RUN(atomic_write_replaces_whole_file);
    RUN(strerror_covers_every_code);
    return DONE();
}
