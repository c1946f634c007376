/* test_cardano_db_sha.c - per-file digests of files of every awkward size
 * (empty, around the 55/56/64-byte padding limits, across read buffers,
 * unequal lengths hashed side by side in two lanes) equal OpenSSL's SHA-256,
 * with the SHA-extension path and with OpenSSL forced. */
#define _GNU_SOURCE /* setenv */
#include <openssl/evp.h>

#include "cardano_dummy_db.h"
#include "harness.h"

static const size_t SIZES[] = {0,     1,      55,     56,     63,      64,     65,   119,
                               120,   127,    128,    1000,   4096,    65535,  262143, 262144,
                               262145, 262207, 262208, 300001, 1048576, 2500003, 3, 777777};

static char *make_db(uint8_t **data, size_t *total)
{
    char tmpl[] = "/tmp/mtl-test-sha-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir)
        return NULL;
    dir = strdup(dir);
    char p[4096];
    snprintf(p, sizeof(p), "%s/immutable", dir);
    mkdir(p, 0755);
    size_t max = 0;
    for (size_t i = 0; i < DUMMY_LEN(SIZES); i++)
        max = SIZES[i] > max ? SIZES[i] : max;
    *data = malloc(max + 1);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < max; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        (*data)[i] = (uint8_t)x;
    }
    *total = 0;
    /* one size per file, 8 trios: chunk, primary, secondary in number order */
    static const char *ext[] = {"chunk", "primary", "secondary"};
    for (size_t i = 0; i < DUMMY_LEN(SIZES); i++) {
        snprintf(p, sizeof(p), "%s/immutable/%05zu.%s", dir, i / 3, ext[i % 3]);
        /* each file starts at a different offset: different contents */
        if (dummy_write(p, *data + (SIZES[i] ? (i * 7) % 13 : 0), SIZES[i] > 13 ? SIZES[i] - 13 : SIZES[i]) != 0)
            return NULL;
    }
    return dir;
}

static void expect(const char *dir, const uint8_t *data, int threads)
{
    struct mtl_db_digests d;
    uint64_t last = DUMMY_LEN(SIZES) / 3 - 1;
    CHECK_OK(mtl_cardano_db_digest(
        dir, last, &(struct mtl_digest_opts){.threads = (unsigned)threads}, &d));
    CHECK_EQ_INT(d.count, DUMMY_LEN(SIZES));
    for (size_t i = 0; i < d.count; i++) {
        size_t n = SIZES[i] > 13 ? SIZES[i] - 13 : SIZES[i];
        uint8_t md[32];
        unsigned int mdlen = 0;
        char hex[65];
        EVP_Digest(data + (SIZES[i] ? (i * 7) % 13 : 0), n, md, &mdlen, EVP_sha256(), NULL);
        mtl_hex_encode(hex, sizeof(hex), md, 32);
        if (strcmp(hex, d.files[i].digest) != 0)
            TH_FAIL("file %s (%zu bytes, %d threads): %s, OpenSSL says %s", d.files[i].name, n,
                    threads, d.files[i].digest, hex);
        CHECK_EQ_INT(d.files[i].size, n);
    }
    mtl_db_digests_free(&d);
}

TEST(digests_equal_openssl)
{
    uint8_t *data = NULL;
    size_t total = 0;
    char *dir = make_db(&data, &total);
    CHECK(dir);
    for (int forced = 0; forced <= 1; forced++) {
        setenv("MTL_DIGEST_NO_SHANI", forced ? "1" : "0", 1);
        expect(dir, data, 1);
        expect(dir, data, 2);
        expect(dir, data, 3);
    }
    unsetenv("MTL_DIGEST_NO_SHANI");
    dummy_db_remove(dir); /* frees dir */
    free(data);
}

int main(void)
{
    (void)dummy_db; /* the shared header's helper, not needed here */
    RUN(digests_equal_openssl);
    return DONE();
}
