/* test_cardano_ancillary.c - the ancillary manifest both sides share: the
 * reference's hash vector, sign then verify, Rust's path order, and every
 * tampered or malformed manifest refused with the reason named. Real data:
 * the reference's immutable fragment (listed and hashed) and the mainnet
 * ancillary verification key, which must refuse our signature. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mithril/cardano_db.h"
#include "mithril/certificate.h"

static uint8_t sk[32], vk[32];
static const char *H1 = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *H2 = "2222222222222222222222222222222222222222222222222222222222222222";

/* compute_hash() of {file1: hash1, file2: hash2}, in either order: the test
 * vector of the reference's ancillary_files_manifest.rs (AncillaryFilesManifest
 * tests, `compute_hash`). */
TEST(reference_hash_vector)
{
    static const uint8_t want[32] = {123, 150, 146, 219, 108, 23,  117, 210, 8,   3,  126,
                                     211, 68,  93,  169, 200, 177, 115, 169, 219, 87, 2,
                                     238, 52,  209, 37,  214, 207, 21,  188, 246, 127};
    struct mtl_ancillary_file f[2] = {{"file2", "hash2"}, {"file1", "hash1"}};
    uint8_t md[32];
    CHECK_OK(mtl_ancillary_manifest_hash(md, f, 2));
    CHECK_MEM(md, want, 32);
    f[0].digest = "hash3";
    CHECK_OK(mtl_ancillary_manifest_hash(md, f, 2));
    CHECK(memcmp(md, want, 32) != 0);
    /* empty data: SHA-256 of nothing */
    static const uint8_t empty[4] = {0xe3, 0xb0, 0xc4, 0x42};
    CHECK_OK(mtl_ancillary_manifest_hash(md, NULL, 0));
    CHECK_MEM(md, empty, 4);
}

/* Rust orders PathBuf keys by component: "a/b" before "a-b" (strcmp would
 * put '-' before '/'). The hash follows that order. */
TEST(path_order_is_rusts)
{
    struct mtl_ancillary_file f[3] = {{"a-b", H1}, {"a/b", H2}, {"a", H1}};
    char *json = NULL;
    CHECK_OK(mtl_ancillary_manifest_sign(&json, NULL, f, 3, sk));
    char *pa = strstr(json, "\"a\":"), *pab = strstr(json, "\"a/b\""),
         *pamb = strstr(json, "\"a-b\"");
    CHECK(pa && pab && pamb && pa < pab && pab < pamb);
    struct mtl_ancillary_manifest m;
    CHECK_OK(mtl_ancillary_manifest_verify(&m, json, strlen(json), vk));
    CHECK_EQ_INT(m.count, 3);
    CHECK_EQ_STR(m.files[1].path, "a/b");
    CHECK_EQ_STR(mtl_ancillary_manifest_digest(&m, "a-b"), H1);
    CHECK_EQ_STR(mtl_ancillary_manifest_digest(&m, "a/b"), H2);
    CHECK(mtl_ancillary_manifest_digest(&m, "b") == NULL);
    mtl_ancillary_manifest_free(&m);
    mtl_free(json);
}

/* A manifest over the reference's real immutable files, as the snapshotter
 * signs one; the mainnet ancillary key does not verify it. */
TEST(real_files_signed_and_verified)
{
    const char *sh = th_shared_dir();
    if (!sh) {
        printf("skip real_files_signed_and_verified: no ../shared/reference-data\n");
        return;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/reference-data/cardano-node-samples", sh);
    struct mtl_immutable_list l;
    struct mtl_db_digests d;
    CHECK_OK(mtl_immutable_list_all(dir, &l));
    struct mtl_digest_opts o = {.threads = 1};
    CHECK_OK(mtl_immutable_files_digest(&l, &o, &d));
    struct mtl_ancillary_file f[16];
    char names[16][64];
    for (size_t i = 0; i < d.count && i < 16; i++) {
        snprintf(names[i], sizeof(names[i]), "immutable/%s", d.files[i].name);
        f[i] = (struct mtl_ancillary_file){names[i], d.files[i].digest};
    }
    char *json;
    size_t len;
    CHECK_OK(mtl_ancillary_manifest_sign(&json, &len, f, d.count, sk));
    CHECK(strncmp(json, "{\"data\":{\"immutable/00000.chunk\":\"", 34) == 0);
    CHECK(strchr(json, ' ') == NULL);
    struct mtl_ancillary_manifest m;
    CHECK_OK(mtl_ancillary_manifest_verify(&m, json, len, vk));
    CHECK_EQ_INT(m.count, 12);
    CHECK_EQ_STR(mtl_ancillary_manifest_digest(&m, "immutable/00003.secondary"),
                 d.files[11].digest);
    mtl_ancillary_manifest_free(&m);
    char p[4200];
    snprintf(p, sizeof(p), "%s/reference-data/genesis-keys/release-mainnet/ancillary.vkey", sh);
    uint8_t *t;
    size_t tl;
    CHECK_OK(mtl_read_file(p, 4096, &t, &tl));
    char *text = mtl_strndup((const char *)t, tl);
    uint8_t mainnet[32];
    CHECK_OK(mtl_genesis_vkey_decode(mainnet, text));
    CHECK_ERR(mtl_ancillary_manifest_verify(&m, json, len, mainnet), MTL_ERR_VERIFY_FAIL);
    CHECK(strstr(mtl_err_detail(), "signature does not verify") != NULL);
    mtl_free(text);
    mtl_free(t);
    mtl_free(json);
    mtl_db_digests_free(&d);
    mtl_immutable_list_free(&l);
}

/* A genuine manifest of two files, edited by `edit` (jansson), re-dumped. */
static char *tampered(void (*edit)(json_t *m))
{
    struct mtl_ancillary_file f[2] = {{"ledger/100/state", H1}, {"immutable/00004.chunk", H2}};
    char *json;
    if (mtl_ancillary_manifest_sign(&json, NULL, f, 2, sk) != MTL_OK)
        return NULL;
    json_t *m = json_loads(json, JSON_PRESERVE_ORDER, NULL);
    mtl_free(json);
    edit(m);
    char *out = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(m);
    return out;
}
static json_t *data_of(json_t *m)
{
    return json_object_get(m, "data");
}
static void e_digest(json_t *m)
{
    json_object_set_new(data_of(m), "ledger/100/state", json_string(H2));
}
static void e_add(json_t *m)
{
    json_object_set_new(data_of(m), "ledger/100/extra", json_string(H1));
}
static void e_drop(json_t *m)
{
    json_object_del(data_of(m), "ledger/100/state");
}
static void e_rename(json_t *m)
{
    json_object_del(data_of(m), "ledger/100/state");
    json_object_set_new(data_of(m), "ledger/101/state", json_string(H1));
}
static void e_reorder(json_t *m) /* same data, keys in another order: still genuine */
{
    json_t *d = json_deep_copy(data_of(m));
    json_object_clear(data_of(m));
    json_object_set(data_of(m), "ledger/100/state", json_object_get(d, "ledger/100/state"));
    json_object_set(data_of(m), "immutable/00004.chunk",
                    json_object_get(d, "immutable/00004.chunk"));
    json_decref(d);
}
static void e_unsigned(json_t *m)
{
    json_object_del(m, "signature");
}
static void e_sig_short(json_t *m)
{
    json_object_set_new(m, "signature", json_string("abcd"));
}
static void e_traversal(json_t *m)
{
    json_object_set_new(data_of(m), "../escape", json_string(H1));
}
static void e_absolute(json_t *m)
{
    json_object_set_new(data_of(m), "/etc/passwd", json_string(H1));
}
static void e_self(json_t *m)
{
    json_object_set_new(data_of(m), "ancillary_manifest.json", json_string(H1));
}
static void e_not_hex(json_t *m)
{
    json_object_set_new(data_of(m), "ledger/100/state", json_string("XYZ"));
}
static void e_number(json_t *m)
{
    json_object_set_new(data_of(m), "ledger/100/state", json_integer(1));
}
static void e_empty(json_t *m)
{
    json_object_clear(data_of(m));
}

TEST(tampered_refused)
{
    struct {
        void (*edit)(json_t *);
        mtl_err want;
        const char *why;
    } cases[] = {
        {e_digest, MTL_ERR_VERIFY_FAIL, "signature does not verify"},
        {e_add, MTL_ERR_VERIFY_FAIL, "signature does not verify"},
        {e_drop, MTL_ERR_VERIFY_FAIL, "signature does not verify"},
        {e_rename, MTL_ERR_VERIFY_FAIL, "signature does not verify"},
        {e_unsigned, MTL_ERR_VERIFY_FAIL, "not signed"},
        {e_sig_short, MTL_ERR_BAD_ENCODING, "64 hex bytes"},
        {e_traversal, MTL_ERR_BAD_ENCODING, "bad entry '../escape'"},
        {e_absolute, MTL_ERR_BAD_ENCODING, "bad entry '/etc/passwd'"},
        {e_self, MTL_ERR_BAD_ENCODING, "bad entry 'ancillary_manifest.json'"},
        {e_not_hex, MTL_ERR_BAD_ENCODING, "bad entry 'ledger/100/state'"},
        {e_number, MTL_ERR_BAD_ENCODING, "bad entry 'ledger/100/state'"},
        {e_empty, MTL_ERR_BAD_ENCODING, "non-empty"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char *j = tampered(cases[i].edit);
        CHECK(j);
        struct mtl_ancillary_manifest m = {0};
        CHECK_ERR(mtl_ancillary_manifest_verify(&m, j, strlen(j), vk), cases[i].want);
        if (!strstr(mtl_err_detail(), cases[i].why) || m.files)
            TH_FAIL("case %zu: '%s' (want '%s')", i, mtl_err_detail(), cases[i].why);
        free(j);
    }
    char *j = tampered(e_reorder);
    struct mtl_ancillary_manifest m;
    CHECK_OK(mtl_ancillary_manifest_verify(&m, j, strlen(j), vk));
    mtl_ancillary_manifest_free(&m);
    free(j);
}

TEST(malformed_refused)
{
    struct mtl_ancillary_manifest m;
    char dup[512];
    snprintf(dup, sizeof(dup), "{\"data\":{\"a\":\"%s\",\"a\":\"%s\"},\"signature\":\"00\"}", H1,
             H2);
    CHECK_ERR(mtl_ancillary_manifest_verify(&m, dup, strlen(dup), vk), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "duplicate") != NULL);
    CHECK_ERR(mtl_ancillary_manifest_verify(&m, "[1]", 3, vk), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_ancillary_manifest_verify(&m, "{", 1, vk), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_ancillary_manifest_verify(&m, "{}", MTL_ANCILLARY_MANIFEST_MAX + 1, vk),
              MTL_ERR_TOO_BIG);
    /* the signing side refuses what the verifying side would */
    char *json;
    struct mtl_ancillary_file bad[2] = {{"x/../y", H1}, {"z", H2}};
    CHECK_ERR(mtl_ancillary_manifest_sign(&json, NULL, bad, 2, sk), MTL_ERR_INVALID_ARG);
    struct mtl_ancillary_file twice[2] = {{"z", H1}, {"z", H2}};
    CHECK_ERR(mtl_ancillary_manifest_sign(&json, NULL, twice, 2, sk), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "twice") != NULL);
    CHECK_ERR(mtl_ancillary_manifest_sign(&json, NULL, twice, 0, sk), MTL_ERR_INVALID_ARG);
}

TEST(paths)
{
    static const char *ok[] = {"a", "ledger/100/state", "a/b/", "..a", "a./b"};
    static const char *bad[] = {"", "/a", ".", "..", "a/..", "../a", "a//b", "a/./b", "./a"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
        if (!mtl_ancillary_path_ok(ok[i]))
            TH_FAIL("refused '%s'", ok[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (mtl_ancillary_path_ok(bad[i]))
            TH_FAIL("accepted '%s'", bad[i]);
    char lng[1100];
    memset(lng, 'a', sizeof(lng) - 1);
    lng[sizeof(lng) - 1] = 0;
    CHECK(!mtl_ancillary_path_ok(lng));
    CHECK(!mtl_ancillary_path_ok(NULL));
}

int main(void)
{
    mtl_init();
    mtl_genesis_keypair(sk, vk);
    RUN(reference_hash_vector);
    RUN(path_order_is_rusts);
    RUN(real_files_signed_and_verified);
    RUN(tampered_refused);
    RUN(malformed_refused);
    RUN(paths);
    mtl_memzero(sk, sizeof(sk));
    return DONE();
}
