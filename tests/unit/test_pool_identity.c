/* test_pool_identity.c - Sum6KES against cardano-base's vectors, opcerts and
 * pool ids against the reference's vectors, every signer the reference
 * aggregator published verifies with its party id, and any tampering is
 * refused. */
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pool_identity_vectors.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t KES_SEED[32] =
    "test string of 32 byte of lenght"; /* sic, as in the kes repo */
static const uint8_t TEST_MSG[] = "test message";

static void unhex(uint8_t *out, size_t n, const char *hex)
{
    size_t got = 0;
    if (mtl_hex_decode(out, n, &got, hex, strlen(hex)) != MTL_OK || got != n) {
        fprintf(stderr, "bad embedded hex (%zu bytes, want %zu)\n", got, n);
        exit(1);
    }
}

static struct mtl_kes_sk *kes_from_hex(const char *hex, uint32_t period)
{
    uint8_t raw[MTL_KES_SK_BYTES];
    struct mtl_kes_sk *sk = NULL;
    unhex(raw, sizeof raw, hex);
    if (mtl_kes_sk_from_bytes(&sk, raw, sizeof raw, period) != MTL_OK)
        exit(1);
    return sk;
}

static int same_key(const struct mtl_kes_sk *sk, const char *hex)
{
    uint8_t want[MTL_KES_SK_BYTES], got[MTL_KES_SK_BYTES];
    unhex(want, sizeof want, hex);
    return mtl_kes_sk_to_bytes(sk, got) == MTL_OK && memcmp(want, got, sizeof got) == 0;
}

/* ---- Sum6KES ---- */

TEST(kes_keygen_and_updates_match_cardano_base)
{
    struct mtl_kes_sk *sk;
    uint8_t vk[32], vk2[32];
    CHECK_OK(mtl_kes_sk_keygen(&sk, vk, KES_SEED));
    CHECK(same_key(sk, KES_KEY6_HEX));
    mtl_kes_sk_vk(sk, vk2);
    CHECK_MEM(vk, vk2, 32);
    CHECK_OK(mtl_kes_sk_update(sk));
    CHECK_EQ_INT(mtl_kes_sk_period(sk), 1);
    CHECK(same_key(sk, KES_KEY6_UPDATE1_HEX));
    CHECK_OK(mtl_kes_sk_update_to(sk, 5));
    CHECK(same_key(sk, KES_KEY6_UPDATE5_HEX));
    mtl_kes_sk_vk(sk, vk2);
    CHECK_MEM(vk, vk2, 32);
    mtl_kes_sk_free(sk);

    /* The raw form round-trips and evolves like the generated key. */
    sk = kes_from_hex(KES_KEY6_HEX, 0);
    CHECK(same_key(sk, KES_KEY6_HEX));
    CHECK_OK(mtl_kes_sk_update_to(sk, 5));
    CHECK(same_key(sk, KES_KEY6_UPDATE5_HEX));
    mtl_kes_sk_free(sk);
    uint8_t raw[MTL_KES_SK_BYTES + 1] = {0};
    CHECK_ERR(mtl_kes_sk_from_bytes(&sk, raw, MTL_KES_SK_BYTES - 1, 0), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_kes_sk_from_bytes(&sk, raw, MTL_KES_SK_BYTES + 1, 0), MTL_ERR_BAD_ENCODING);
    CHECK(sk == NULL);
    CHECK_EQ_INT(mtl_kes_sig_bytes(), MTL_KES_SIG_BYTES);
    CHECK_EQ_INT(mtl_kes_sk_bytes(), MTL_KES_SK_BYTES);
}

TEST(kes_signatures_match_cardano_base_at_0_and_5)
{
    struct mtl_kes_sk *sk;
    uint8_t vk[32], sig[MTL_KES_SIG_BYTES], want[MTL_KES_SIG_BYTES];
    CHECK_OK(mtl_kes_sk_keygen(&sk, vk, KES_SEED));
    CHECK_OK(mtl_kes_sign(sk, TEST_MSG, sizeof TEST_MSG - 1, sig));
    unhex(want, sizeof want, KES_KEY6_SIG_HEX);
    CHECK_MEM(sig, want, sizeof sig);
    CHECK_OK(mtl_kes_verify(want, vk, 0, TEST_MSG, sizeof TEST_MSG - 1));
    CHECK_ERR(mtl_kes_verify(want, vk, 1, TEST_MSG, sizeof TEST_MSG - 1), MTL_ERR_VERIFY_FAIL);
    CHECK_OK(mtl_kes_sk_update_to(sk, 5));
    CHECK_OK(mtl_kes_sign(sk, TEST_MSG, sizeof TEST_MSG - 1, sig));
    unhex(want, sizeof want, KES_KEY6_SIG5_HEX);
    CHECK_MEM(sig, want, sizeof sig);
    mtl_kes_sk_free(sk);
    for (uint32_t t = 0; t < MTL_KES_PERIODS; t++)
        CHECK_ERR(mtl_kes_verify(want, vk, t, TEST_MSG, sizeof TEST_MSG - 1),
                  t == 5 ? MTL_OK : MTL_ERR_VERIFY_FAIL);
    CHECK_ERR(mtl_kes_verify(want, vk, 5, TEST_MSG, sizeof TEST_MSG - 2), MTL_ERR_VERIFY_FAIL);
    CHECK_ERR(mtl_kes_verify(want, vk, 64, TEST_MSG, sizeof TEST_MSG - 1), MTL_ERR_INVALID_ARG);

    /* Haskell's key after 5 updates signs the same, given its period. */
    sk = kes_from_hex(KES_KEY6_UPDATE5_HEX, 5);
    CHECK_OK(mtl_kes_sign(sk, TEST_MSG, sizeof TEST_MSG - 1, sig));
    CHECK_MEM(sig, want, sizeof sig);
    mtl_kes_sk_free(sk);
}

TEST(kes_every_signature_byte_is_checked)
{
    uint8_t vk[32], sig[MTL_KES_SIG_BYTES];
    struct mtl_kes_sk *sk;
    CHECK_OK(mtl_kes_sk_keygen(&sk, vk, KES_SEED));
    mtl_kes_sk_free(sk);
    unhex(sig, sizeof sig, KES_KEY6_SIG5_HEX);
    for (size_t i = 0; i < sizeof sig; i++) {
        sig[i] ^= 0x01;
        if (mtl_kes_verify(sig, vk, 5, TEST_MSG, sizeof TEST_MSG - 1) != MTL_ERR_VERIFY_FAIL)
            TH_FAIL("signature byte %zu flipped still verifies", i);
        sig[i] ^= 0x01;
    }
    CHECK_OK(mtl_kes_verify(sig, vk, 5, TEST_MSG, sizeof TEST_MSG - 1));
    vk[7] ^= 0x80;
    CHECK_ERR(mtl_kes_verify(sig, vk, 5, TEST_MSG, sizeof TEST_MSG - 1), MTL_ERR_VERIFY_FAIL);
}

TEST(kes_round_trip_at_many_periods)
{
    static const uint32_t PERIODS[] = {0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 47, 48, 62, 63};
    uint8_t seed[32], vk[32], sig[MTL_KES_SIG_BYTES], raw[MTL_KES_SK_BYTES];
    struct mtl_kes_sk *sk, *copy;
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(7 * i + 1);
    CHECK_OK(mtl_kes_sk_keygen(&sk, vk, seed));
    for (size_t i = 0; i < NELEM(PERIODS); i++) {
        uint32_t k = PERIODS[i];
        CHECK_OK(mtl_kes_sk_update_to(sk, k));
        CHECK_EQ_INT(mtl_kes_sk_period(sk), k);
        CHECK_OK(mtl_kes_sign(sk, seed, sizeof seed, sig));
        CHECK_OK(mtl_kes_verify(sig, vk, k, seed, sizeof seed));
        if (k > 0)
            CHECK_ERR(mtl_kes_verify(sig, vk, k - 1, seed, sizeof seed), MTL_ERR_VERIFY_FAIL);
        if (k < 63)
            CHECK_ERR(mtl_kes_verify(sig, vk, k + 1, seed, sizeof seed), MTL_ERR_VERIFY_FAIL);
        /* The raw form at this period signs the same. */
        CHECK_OK(mtl_kes_sk_to_bytes(sk, raw));
        CHECK_OK(mtl_kes_sk_from_bytes(&copy, raw, sizeof raw, k));
        uint8_t sig2[MTL_KES_SIG_BYTES];
        CHECK_OK(mtl_kes_sign(copy, seed, sizeof seed, sig2));
        CHECK_MEM(sig, sig2, sizeof sig);
        mtl_kes_sk_free(copy);
        /* Erasure: the top level's right seed is gone once the right half is in use. */
        int zero = 1;
        for (size_t b = 512; b < 544; b++)
            zero &= raw[b] == 0;
        CHECK_EQ_INT(zero, k >= 32);
    }
    CHECK_ERR(mtl_kes_sk_update(sk), MTL_ERR_STATE);
    CHECK_EQ_INT(mtl_kes_sk_period(sk), 63);
    CHECK_ERR(mtl_kes_sk_update_to(sk, 10), MTL_ERR_INVALID_ARG);
    mtl_kes_sk_free(sk);
    CHECK_OK(mtl_kes_sk_keygen(&sk, vk, seed));
    CHECK_ERR(mtl_kes_sk_update_to(sk, 64), MTL_ERR_STATE);
    CHECK_EQ_INT(mtl_kes_sk_period(sk), 0);
    mtl_kes_sk_free(sk);
    mtl_kes_sk_free(NULL);
}

/* ---- Operational certificates ---- */

/* The reference's test_vector_opcert (opcert.rs): cold key from
 * ChaCha20Rng::from_seed([0; 32]), whose first 32 bytes are ChaCha20's
 * keystream for a zero key and nonce (RFC 8439 A.1 #1); KES key from a zero
 * seed; issue 0, start 0. */
static const char COLD_SEED_HEX[] =
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7";
static const char OPCERT_NO_COLD_CBOR_HEX[] =
    "845820e650d7531509bb6cffd7998c28c68e4ec8fa621a0952206ea11eb03fcd7dcb2900005840d4abce27da05ff"
    "03c1342cc6ab53135072e1babf9cc05492f59f1ff009f70457aaa862c7158b13be0cfb41d7a91a562589bc110eb2"
    "cdaf5d2756048abbea5f05";

static void cold_key(uint8_t sk[64])
{
    uint8_t seed[32], pk[32];
    unhex(seed, 32, COLD_SEED_HEX);
    crypto_sign_ed25519_seed_keypair(pk, sk, seed);
}

static void reference_opcert(struct mtl_opcert *oc)
{
    uint8_t zero[32] = {0}, kes_vk[32], sk[64];
    struct mtl_kes_sk *kes;
    cold_key(sk);
    if (mtl_kes_sk_keygen(&kes, kes_vk, zero) != MTL_OK ||
        mtl_opcert_issue(oc, kes_vk, 0, 0, sk) != MTL_OK)
        exit(1);
    mtl_kes_sk_free(kes);
}

TEST(opcert_reference_vector)
{
    struct mtl_opcert oc;
    char pool[MTL_POOL_ID_MAX];
    reference_opcert(&oc);
    CHECK_OK(mtl_opcert_verify(&oc));
    CHECK_OK(mtl_opcert_pool_id(&oc, pool));
    CHECK_EQ_STR(pool, "pool1mxyec46067n3querj9cxkk0g0zlag93pf3ya9vuyr3wgkq2e6t7");
    uint8_t h[28], want[28];
    crypto_generichash(h, sizeof h, oc.cold_vk, 32, NULL, 0);
    unhex(want, 28, "d9899c574fd7a710732391706b59e878bfd416214c49d2b3841c5c8b");
    CHECK_MEM(h, want, 28);
    /* Its CBOR is [<the reference's opcert-without-cold-vk CBOR>, cold_vk]. */
    uint8_t *cbor, body[103];
    size_t len;
    unhex(body, sizeof body, OPCERT_NO_COLD_CBOR_HEX);
    CHECK_OK(mtl_opcert_to_cbor(&oc, &cbor, &len));
    CHECK_EQ_INT(len, 1 + sizeof body + 2 + 32);
    CHECK_EQ_INT(cbor[0], 0x82);
    CHECK_MEM(cbor + 1, body, sizeof body);
    CHECK_EQ_INT(cbor[1 + sizeof body], 0x58);
    CHECK_MEM(cbor + 3 + sizeof body, oc.cold_vk, 32);
    mtl_free(cbor);

    uint8_t sk[64];
    cold_key(sk);
    sk[40] ^= 1; /* public half not the seed's */
    CHECK_ERR(mtl_opcert_issue(&oc, oc.kes_vk, 0, 0, sk), MTL_ERR_INVALID_ARG);
    mtl_memzero(sk, sizeof sk);
}

TEST(opcert_cbor_round_trip_and_rejects)
{
    struct mtl_opcert oc, back;
    uint8_t sk[64], *cbor;
    size_t len;
    cold_key(sk);
    reference_opcert(&oc);
    /* Large fields take the longer CBOR heads. */
    CHECK_OK(mtl_opcert_issue(&oc, oc.kes_vk, 70000, 0x1234567890ull, sk));
    CHECK_OK(mtl_opcert_to_cbor(&oc, &cbor, &len));
    CHECK_OK(mtl_opcert_from_cbor(&back, cbor, len));
    CHECK(memcmp(&oc, &back, sizeof oc) == 0);
    CHECK_OK(mtl_opcert_verify(&back));
    for (size_t cut = 0; cut < len; cut++)
        CHECK_ERR(mtl_opcert_from_cbor(&back, cbor, cut), MTL_ERR_BAD_ENCODING);
    uint8_t *longer = mtl_malloc(len + 1);
    memcpy(longer, cbor, len);
    longer[len] = 0;
    CHECK_ERR(mtl_opcert_from_cbor(&back, longer, len + 1), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "trailing") != NULL);
    longer[0] = 0x9f; /* indefinite array */
    CHECK_ERR(mtl_opcert_from_cbor(&back, longer, len), MTL_ERR_BAD_ENCODING);
    longer[0] = 0xa2; /* map */
    CHECK_ERR(mtl_opcert_from_cbor(&back, longer, len), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "map") != NULL);
    mtl_free(longer);
    /* Every byte of the decoded opcert is covered by the cold signature. */
    for (size_t i = 0; i < len; i++) {
        cbor[i] ^= 0x01;
        if (mtl_opcert_from_cbor(&back, cbor, len) == MTL_OK && mtl_opcert_verify(&back) == MTL_OK)
            TH_FAIL("CBOR byte %zu flipped still verifies", i);
        cbor[i] ^= 0x01;
    }
    mtl_free(cbor);
    mtl_memzero(sk, sizeof sk);
}

/* ---- TextEnvelope files ---- */

static char tmpdir[] = "/tmp/test_pool_identity.XXXXXX";

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

TEST(text_envelope_round_trips)
{
    char path[512];
    struct mtl_kes_sk *sk, *back;
    uint8_t vk[32], raw[MTL_KES_SK_BYTES + 3], *got;
    size_t len;
    struct stat st;
    CHECK_OK(mtl_kes_sk_keygen(&sk, vk, KES_SEED));
    /* cardano-cli's form: a CBOR byte string of the 608 raw bytes. */
    raw[0] = 0x59, raw[1] = 0x02, raw[2] = 0x60;
    CHECK_OK(mtl_kes_sk_to_bytes(sk, raw + 3));
    tmp_path(path, sizeof path, "kes.skey");
    CHECK_OK(
        mtl_text_envelope_write(path, MTL_KES_SK_TYPE, "KES Signing Key", raw, sizeof raw, 0600));
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_OK(mtl_text_envelope_read(path, MTL_KES_SK_TYPE, &got, &len));
    CHECK_EQ_INT(len, MTL_KES_SK_BYTES);
    CHECK_MEM(got, raw + 3, MTL_KES_SK_BYTES);
    mtl_memzero(got, len);
    mtl_free(got);
    CHECK_ERR(mtl_text_envelope_read(path, MTL_OPCERT_TYPE, &got, &len), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "KesSigningKey_ed25519_kes_2^6") != NULL);
    CHECK_OK(mtl_kes_sk_read_file(&back, path));
    CHECK_EQ_INT(mtl_kes_sk_period(back), 0);
    CHECK(same_key(back, KES_KEY6_HEX));
    mtl_kes_sk_free(back);

    /* mtl_kes_sk_write_file writes the same file, as cardano-cli lays it out. */
    uint8_t *text1, *text2;
    size_t n1, n2;
    char path2[512];
    tmp_path(path2, sizeof path2, "kes2.skey");
    CHECK_OK(mtl_kes_sk_write_file(sk, path2));
    CHECK_OK(mtl_read_file(path, 4096, &text1, &n1));
    CHECK_OK(mtl_read_file(path2, 4096, &text2, &n2));
    CHECK(n1 == n2 && memcmp(text1, text2, n1) == 0);
    static const char CLI_HEAD[] = "{\n    \"type\": \"KesSigningKey_ed25519_kes_2^6\",\n    "
                                   "\"description\": \"KES Signing Key\",\n    \"cborHex\": "
                                   "\"590260";
    CHECK(n1 > sizeof CLI_HEAD && memcmp(text1, CLI_HEAD, sizeof CLI_HEAD - 1) == 0);
    CHECK(memcmp(text1 + n1 - 4, "\"\n}\n", 4) == 0);
    mtl_memzero(text1, n1);
    mtl_memzero(text2, n2);
    mtl_free(text1);
    mtl_free(text2);
    unlink(path2);

    /* At a later period the reference's form appends the period (u32 BE). */
    CHECK_OK(mtl_kes_sk_update_to(sk, 5));
    CHECK_OK(mtl_kes_sk_write_file(sk, path));
    CHECK_OK(mtl_text_envelope_read(path, MTL_KES_SK_TYPE, &got, &len));
    CHECK_EQ_INT(len, MTL_KES_SK_BYTES + 4);
    CHECK_MEM(got + MTL_KES_SK_BYTES, "\0\0\0\5", 4);
    mtl_memzero(got, len);
    mtl_free(got);
    CHECK_OK(mtl_kes_sk_read_file(&back, path));
    CHECK_EQ_INT(mtl_kes_sk_period(back), 5);
    CHECK(same_key(back, KES_KEY6_UPDATE5_HEX));
    mtl_kes_sk_free(back);
    mtl_kes_sk_free(sk);

    /* A cold signing key file (32-byte seed) gives the reference's opcert key. */
    uint8_t seed[32], cold[64];
    char pool[MTL_POOL_ID_MAX];
    struct mtl_opcert ref;
    unhex(seed, 32, COLD_SEED_HEX);
    tmp_path(path, sizeof path, "cold.skey");
    CHECK_OK(mtl_text_envelope_write_key(path, MTL_COLD_SK_TYPE, "Stake Pool Operator Signing Key",
                                         seed, 32, 0600));
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_OK(mtl_cold_sk_read_file(cold, path));
    reference_opcert(&ref);
    CHECK_MEM(cold + 32, ref.cold_vk, 32);
    CHECK_OK(mtl_cold_vk_pool_id(cold + 32, pool));
    CHECK_EQ_STR(pool, "pool1mxyec46067n3querj9cxkk0g0zlag93pf3ya9vuyr3wgkq2e6t7");
    mtl_memzero(cold, sizeof cold);
    mtl_memzero(seed, sizeof seed);
    unlink(path);

    /* An opcert file holds the whole CBOR. */
    struct mtl_opcert oc, oc2;
    uint8_t *cbor;
    size_t len2;
    reference_opcert(&oc);
    CHECK_OK(mtl_opcert_to_cbor(&oc, &cbor, &len));
    tmp_path(path, sizeof path, "node.cert");
    CHECK_OK(mtl_opcert_write_file(&oc, path));
    CHECK_OK(mtl_text_envelope_read(path, MTL_OPCERT_TYPE, &got, &len2));
    CHECK(len2 == len && memcmp(got, cbor, len) == 0);
    mtl_free(got);
    mtl_free(cbor);
    CHECK_OK(mtl_opcert_read_file(&oc2, path));
    CHECK(memcmp(&oc, &oc2, sizeof oc) == 0);

    /* A cold verification key file as cardano-cli writes it. */
    static const char COLD_VK_FILE[] =
        "{\n    \"type\": \"StakePoolVerificationKey_ed25519\",\n    \"description\": \"Stake Pool "
        "Operator Verification Key \\u00e9\\t\",\n    \"cborHex\": \"5820%s\"\n}\n";
    char text[512], vkhex[65];
    CHECK_OK(mtl_hex_encode(vkhex, sizeof vkhex, oc.cold_vk, 32));
    snprintf(text, sizeof text, COLD_VK_FILE, vkhex);
    tmp_path(path, sizeof path, "cold.vkey");
    CHECK_OK(mtl_atomic_write(path, text, strlen(text), 0644));
    CHECK_OK(mtl_text_envelope_read(path, MTL_COLD_VK_TYPE, &got, &len));
    CHECK_EQ_INT(len, 32);
    CHECK_MEM(got, oc.cold_vk, 32);
    mtl_free(got);

    static const char *const BAD[] = {
        "",
        "[]",
        "{\"type\": \"StakePoolVerificationKey\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": \"58\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": \"5820zz\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": \"4100\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": "
        "\"5821000000000000000000000000000000000000000000000000000000000000000000\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": \"410000\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": 5}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"description\": \"\\u00g9\", "
        "\"cborHex\": \"58200000000000000000000000000000000000000000000000000000000000000000\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"type\": \"x\", \"cborHex\": \"4100\"}",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": \"4100\"} x",
        "{\"type\": \"StakePoolVerificationKey_ed25519\", \"cborHex\": \"4100\"",
    };
    for (size_t i = 0; i < NELEM(BAD); i++) {
        CHECK_OK(mtl_atomic_write(path, BAD[i], strlen(BAD[i]), 0644));
        got = NULL;
        mtl_err rc = mtl_text_envelope_read(path, MTL_COLD_VK_TYPE, &got, &len);
        if (rc != MTL_ERR_BAD_ENCODING || got != NULL)
            TH_FAIL("bad envelope %zu (%s) gave %s", i, BAD[i], mtl_strerror(rc));
    }
    CHECK_ERR(mtl_text_envelope_write(path, "a\"b", "", raw, 1, 0644), MTL_ERR_INVALID_ARG);
    tmp_path(path, sizeof path, "absent");
    CHECK_ERR(mtl_text_envelope_read(path, MTL_COLD_VK_TYPE, &got, &len), MTL_ERR_NOT_FOUND);
    mtl_memzero(raw, sizeof raw);
}

/* ---- Reference golden values at non-zero periods ---- */

static char *jsonhex_of(const char *json)
{
    char *hex = NULL;
    if (mtl_jsonhex_encode(&hex, json, strlen(json)) != MTL_OK)
        exit(1);
    return hex;
}

TEST(reference_golden_kes_signatures_verify_at_33_and_27)
{
    /* key_certification.rs: no opcert; its KES key is the signature's root. */
    char *vkhex = jsonhex_of(KEYCERT_VK_JSON), *sighex = jsonhex_of(KEYCERT_KES_SIG_JSON), *re;
    uint8_t msg[MTL_KES_MSG_BYTES], sig[MTL_KES_SIG_BYTES], root[32];
    CHECK_OK(mtl_stm_vk_kes_message(vkhex, msg));
    CHECK_OK(mtl_kes_sig_from_jsonhex(sig, sighex));
    CHECK_OK(mtl_kes_sig_to_jsonhex(sig, &re));
    CHECK_EQ_STR(re, sighex);
    mtl_free(re);
    crypto_generichash(root, 32, sig + MTL_KES_SIG_BYTES - 64, 64, NULL, 0);
    for (uint32_t t = 0; t < MTL_KES_PERIODS; t++)
        CHECK_ERR(mtl_kes_verify(sig, root, t, msg, sizeof msg),
                  t == 33 ? MTL_OK : MTL_ERR_VERIFY_FAIL);
    mtl_free(vkhex);
    mtl_free(sighex);

    /* message_parts/signer.rs: JSON-hex and bytes-hex give the same values. */
    struct mtl_opcert oc, oc2;
    uint8_t sig2[MTL_KES_SIG_BYTES];
    char pool[MTL_POOL_ID_MAX];
    CHECK_OK(mtl_opcert_from_jsonhex(&oc, SIGNERMSG_OPCERT_JSONHEX));
    CHECK_OK(mtl_opcert_from_jsonhex(&oc2, SIGNERMSG_OPCERT_BYTESHEX));
    CHECK(memcmp(&oc, &oc2, sizeof oc) == 0);
    CHECK_OK(mtl_opcert_to_jsonhex(&oc, &re));
    CHECK_EQ_STR(re, SIGNERMSG_OPCERT_JSONHEX);
    mtl_free(re);
    CHECK_OK(mtl_opcert_verify(&oc));
    CHECK_OK(mtl_kes_sig_from_jsonhex(sig, SIGNERMSG_KES_SIG_JSONHEX));
    CHECK_OK(mtl_kes_sig_from_jsonhex(sig2, SIGNERMSG_KES_SIG_BYTESHEX));
    CHECK_MEM(sig, sig2, sizeof sig);
    CHECK_OK(mtl_kes_sig_to_jsonhex(sig, &re));
    CHECK_EQ_STR(re, SIGNERMSG_KES_SIG_JSONHEX);
    mtl_free(re);
    CHECK_OK(mtl_stm_vk_kes_message(SIGNERMSG_VK_JSONHEX, msg));
    uint8_t raw_vk[MTL_KES_MSG_BYTES];
    unhex(raw_vk, sizeof raw_vk, SIGNERMSG_VK_BYTESHEX);
    CHECK_MEM(msg, raw_vk, sizeof msg);
    for (uint32_t t = 0; t < MTL_KES_PERIODS; t++)
        CHECK_ERR(mtl_kes_verify(sig, oc.kes_vk, t, msg, sizeof msg),
                  t == 27 ? MTL_OK : MTL_ERR_VERIFY_FAIL);
    /* Its party id is not its cold key's pool id (the test data says so). */
    CHECK_OK(mtl_opcert_pool_id(&oc, pool));
    CHECK(strcmp(pool, "pool1m8crhnqj5k2kyszf5j2scshupystyxc887zdfrpzh6ty6eun4fx") != 0);
    CHECK_OK(mtl_signer_credentials_verify(pool, SIGNERMSG_VK_JSONHEX, SIGNERMSG_OPCERT_JSONHEX,
                                           SIGNERMSG_KES_SIG_JSONHEX, 27));
    /* The aggregator's window: e = current - start tries e-1..e+1. */
    uint64_t used = 99, start = oc.start_kes_period;
    for (uint64_t e = 0; e < 70; e++) {
        mtl_err rc =
            mtl_signer_credentials_verify_at(pool, SIGNERMSG_VK_JSONHEX, SIGNERMSG_OPCERT_JSONHEX,
                                             SIGNERMSG_KES_SIG_JSONHEX, start + e, &used);
        CHECK_ERR(rc, e >= 26 && e <= 28 ? MTL_OK : MTL_ERR_VERIFY_FAIL);
        if (rc == MTL_OK)
            CHECK_EQ_INT(used, 27);
    }
}

/* A signer of our own: opcert starting at period 10, KES key at `evol`. */
struct own_signer {
    char party[MTL_POOL_ID_MAX];
    char *vk, *opcert, *sig;
};

static void own_signer(struct own_signer *o, uint32_t evol)
{
    uint8_t cold[64], kes_vk[32], msg[MTL_KES_MSG_BYTES], sig[MTL_KES_SIG_BYTES];
    struct mtl_kes_sk *kes;
    struct mtl_opcert oc;
    cold_key(cold);
    o->vk = jsonhex_of(KEYCERT_VK_JSON);
    if (mtl_kes_sk_keygen(&kes, kes_vk, KES_SEED) != MTL_OK ||
        mtl_opcert_issue(&oc, kes_vk, 3, 10, cold) != MTL_OK ||
        mtl_opcert_pool_id(&oc, o->party) != MTL_OK ||
        mtl_opcert_to_jsonhex(&oc, &o->opcert) != MTL_OK ||
        mtl_stm_vk_kes_message(o->vk, msg) != MTL_OK || mtl_kes_sk_update_to(kes, evol) != MTL_OK ||
        mtl_kes_sign(kes, msg, sizeof msg, sig) != MTL_OK ||
        mtl_kes_sig_to_jsonhex(sig, &o->sig) != MTL_OK)
        exit(1);
    mtl_kes_sk_free(kes);
    mtl_memzero(cold, sizeof cold);
}

static void own_signer_free(struct own_signer *o)
{
    mtl_free(o->vk);
    mtl_free(o->opcert);
    mtl_free(o->sig);
}

TEST(aggregator_window_matches_the_reference_at_the_edges)
{
    struct own_signer o;
    uint64_t used;
    /* Last period: the reference tries up to t = 64, which verifies what 63
     * does, so e = 64 and e = 65 accept; e = 66 does not. */
    own_signer(&o, 63);
    CHECK_OK(mtl_signer_credentials_verify(o.party, o.vk, o.opcert, o.sig, 63));
    CHECK_ERR(mtl_signer_credentials_verify(o.party, o.vk, o.opcert, o.sig, 62),
              MTL_ERR_VERIFY_FAIL);
    for (uint64_t e = 0; e < 70; e++) {
        used = 99;
        mtl_err rc =
            mtl_signer_credentials_verify_at(o.party, o.vk, o.opcert, o.sig, 10 + e, &used);
        CHECK_ERR(rc, e >= 62 && e <= 65 ? MTL_OK : MTL_ERR_VERIFY_FAIL);
        CHECK_EQ_INT(used, rc == MTL_OK ? 63 : 0);
    }
    CHECK_ERR(mtl_signer_credentials_verify_at(o.party, o.vk, o.opcert, o.sig, UINT64_MAX, NULL),
              MTL_ERR_VERIFY_FAIL);
    own_signer_free(&o);
    /* An opcert starting after the chain's period: e saturates at 0. */
    own_signer(&o, 0);
    for (uint64_t p = 0; p <= 12; p++)
        CHECK_ERR(mtl_signer_credentials_verify_at(o.party, o.vk, o.opcert, o.sig, p, &used),
                  p <= 11 ? MTL_OK : MTL_ERR_VERIFY_FAIL);
    own_signer_free(&o);
}

/* ---- Every signer the reference aggregator published ---- */

struct signer {
    const char *party, *vk, *sig, *opcert;
    uint64_t kes_period;
};
static struct signer signers[64];
static size_t nsigners;
static json_t *docs[2];

static void add_signers(const json_t *arr)
{
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (nsigners == NELEM(signers))
            return;
        struct signer *g = &signers[nsigners++];
        g->party = json_string_value(json_object_get(s, "party_id"));
        g->vk = json_string_value(json_object_get(s, "verification_key"));
        g->sig = json_string_value(json_object_get(s, "verification_key_signature"));
        g->opcert = json_string_value(json_object_get(s, "operational_certificate"));
        g->kes_period = (uint64_t)json_integer_value(json_object_get(s, "kes_period"));
    }
}

static int load_signers(const char *shared)
{
    char path[4096];
    json_error_t e;
    snprintf(path, sizeof path,
             "%s/reference-data/aggregator-fake-2026-05-21/mithril-stake-distributions.json",
             shared);
    docs[0] = json_load_file(path, 0, &e);
    snprintf(path, sizeof path, "%s/reference-data/aggregator-fake-2026-05-21/epoch-settings.json",
             shared);
    docs[1] = json_load_file(path, 0, &e);
    if (!docs[0] || !docs[1])
        return 0;
    const char *key;
    const json_t *msd;
    json_object_foreach(docs[0], key, msd) add_signers(json_object_get(msd, "signers"));
    add_signers(json_object_get(docs[1], "current_signers"));
    add_signers(json_object_get(docs[1], "next_signers"));
    return 1;
}

TEST(reference_signers_verify_with_their_party_id)
{
    CHECK(nsigners >= 20);
    for (size_t i = 0; i < nsigners; i++) {
        const struct signer *g = &signers[i];
        CHECK(g->party && g->vk && g->sig && g->opcert);
        struct mtl_opcert oc;
        char pool[MTL_POOL_ID_MAX], *re;
        uint64_t used = 99;
        CHECK_OK(mtl_opcert_from_jsonhex(&oc, g->opcert));
        CHECK_OK(mtl_opcert_verify(&oc));
        CHECK_OK(mtl_opcert_pool_id(&oc, pool));
        CHECK_EQ_STR(pool, g->party);
        CHECK_OK(mtl_signer_credentials_verify(g->party, g->vk, g->opcert, g->sig, g->kes_period));
        CHECK_OK(mtl_signer_credentials_verify_at(g->party, g->vk, g->opcert, g->sig,
                                                  oc.start_kes_period + g->kes_period, &used));
        CHECK_EQ_INT(used, g->kes_period);
        /* JSON-hex decode -> encode is byte for byte the published text. */
        CHECK_OK(mtl_opcert_to_jsonhex(&oc, &re));
        CHECK_EQ_STR(re, g->opcert);
        mtl_free(re);
        uint8_t sig[MTL_KES_SIG_BYTES];
        CHECK_OK(mtl_kes_sig_from_jsonhex(sig, g->sig));
        CHECK_OK(mtl_kes_sig_to_jsonhex(sig, &re));
        CHECK_EQ_STR(re, g->sig);
        mtl_free(re);
    }
}

TEST(reference_signers_tampering_is_refused)
{
    for (size_t i = 0; i < nsigners; i++) {
        const struct signer *g = &signers[i];
        const struct signer *other = NULL;
        for (size_t j = 1; j < nsigners && !other; j++)
            if (strcmp(signers[(i + j) % nsigners].party, g->party) != 0)
                other = &signers[(i + j) % nsigners];
        CHECK(other != NULL);
        /* Wrong party id, wrong period, another signer's key or signature. */
        CHECK_ERR(mtl_signer_credentials_verify(other->party, g->vk, g->opcert, g->sig, 0),
                  MTL_ERR_VERIFY_FAIL);
        CHECK(strstr(mtl_err_detail(), other->party) != NULL);
        CHECK(strstr(mtl_err_detail(), "party id") != NULL);
        CHECK_ERR(mtl_signer_credentials_verify(g->party, g->vk, g->opcert, g->sig, 1),
                  MTL_ERR_VERIFY_FAIL);
        CHECK(strstr(mtl_err_detail(), g->party) != NULL);
        CHECK(strstr(mtl_err_detail(), "KES") != NULL);
        CHECK_ERR(mtl_signer_credentials_verify(g->party, g->vk, g->opcert, g->sig, 64),
                  MTL_ERR_INVALID_ARG);
        CHECK_ERR(mtl_signer_credentials_verify(g->party, other->vk, g->opcert, g->sig, 0),
                  MTL_ERR_VERIFY_FAIL);
        CHECK_ERR(mtl_signer_credentials_verify(g->party, g->vk, g->opcert, other->sig, 0),
                  MTL_ERR_VERIFY_FAIL);
        CHECK_ERR(mtl_signer_credentials_verify(g->party, g->vk, "7b7d", g->sig, 0),
                  MTL_ERR_BAD_ENCODING);
        CHECK_ERR(mtl_signer_credentials_verify(g->party, g->vk, g->opcert, "zz", 0),
                  MTL_ERR_BAD_ENCODING);
        /* The aggregator's window around the chain's period (start is 0 here). */
        uint64_t used;
        CHECK_OK(mtl_signer_credentials_verify_at(g->party, g->vk, g->opcert, g->sig, 1, &used));
        CHECK_EQ_INT(used, 0);
        CHECK_ERR(mtl_signer_credentials_verify_at(g->party, g->vk, g->opcert, g->sig, 2, &used),
                  MTL_ERR_VERIFY_FAIL);
        CHECK(strstr(mtl_err_detail(), "[1, 3]") != NULL);

        /* Every byte of the decoded opcert and of the KES signature. */
        struct mtl_opcert oc, bad;
        uint8_t sig[MTL_KES_SIG_BYTES], msg[MTL_KES_MSG_BYTES];
        CHECK_OK(mtl_opcert_from_jsonhex(&oc, g->opcert));
        CHECK_OK(mtl_kes_sig_from_jsonhex(sig, g->sig));
        CHECK_OK(mtl_stm_vk_kes_message(g->vk, msg));
        uint8_t *fields[] = {oc.kes_vk, oc.sigma, oc.cold_vk};
        size_t sizes[] = {32, 64, 32};
        for (size_t f = 0; f < 3; f++)
            for (size_t b = 0; b < sizes[f]; b++) {
                size_t off = (size_t)(fields[f] - (uint8_t *)&oc) + b;
                bad = oc;
                ((uint8_t *)&bad)[off] ^= 0x04;
                if (mtl_opcert_verify(&bad) != MTL_ERR_VERIFY_FAIL)
                    TH_FAIL("signer %zu: opcert field %zu byte %zu flipped still verifies", i, f,
                            b);
                char *hex;
                CHECK_OK(mtl_opcert_to_jsonhex(&bad, &hex));
                mtl_err rc = mtl_signer_credentials_verify(g->party, g->vk, hex, g->sig, 0);
                mtl_free(hex);
                if (rc != MTL_ERR_VERIFY_FAIL)
                    TH_FAIL("signer %zu: credentials with opcert field %zu byte %zu flipped: %s", i,
                            f, b, mtl_strerror(rc));
            }
        for (int k = 0; k < 64; k++) {
            bad = oc;
            if (k < 32)
                bad.issue_number ^= 1ull << k;
            else
                bad.start_kes_period ^= 1ull << (k - 32);
            CHECK_ERR(mtl_opcert_verify(&bad), MTL_ERR_VERIFY_FAIL);
        }
        for (size_t b = 0; b < sizeof sig; b++) {
            sig[b] ^= 0x10;
            if (mtl_kes_verify(sig, oc.kes_vk, 0, msg, sizeof msg) != MTL_ERR_VERIFY_FAIL)
                TH_FAIL("signer %zu: KES signature byte %zu flipped still verifies", i, b);
            sig[b] ^= 0x10;
        }
        CHECK_OK(mtl_kes_verify(sig, oc.kes_vk, 0, msg, sizeof msg));
    }
}

TEST(wire_forms_reject_malformed)
{
    static const char *const BAD_OPCERTS[] = {
        "[]", "[[],[]]", "[[[1],0,0,[1]],[1]]", "{\"a\":1}", "[1,2]", "nope", "",
    };
    struct mtl_opcert oc;
    uint8_t sig[MTL_KES_SIG_BYTES];
    for (size_t i = 0; i < NELEM(BAD_OPCERTS); i++) {
        char *hex = jsonhex_of(BAD_OPCERTS[i]);
        CHECK_ERR(mtl_opcert_from_jsonhex(&oc, hex), MTL_ERR_BAD_ENCODING);
        CHECK_ERR(mtl_kes_sig_from_jsonhex(sig, hex), MTL_ERR_BAD_ENCODING);
        mtl_free(hex);
    }
    CHECK_ERR(mtl_opcert_from_jsonhex(&oc, NULL), MTL_ERR_INVALID_ARG);
    CHECK_ERR(mtl_kes_sig_from_jsonhex(sig, "abc"), MTL_ERR_BAD_ENCODING);
    /* A KES signature one level short. */
    char *hex = jsonhex_of("{\"sigma\":[1],\"lhs_pk\":[],\"rhs_pk\":[]}");
    CHECK_ERR(mtl_kes_sig_from_jsonhex(sig, hex), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "level 6") != NULL);
    mtl_free(hex);
}

int main(void)
{
    if (mtl_init() != MTL_OK || !mkdtemp(tmpdir))
        return 1;
    RUN(kes_keygen_and_updates_match_cardano_base);
    RUN(kes_signatures_match_cardano_base_at_0_and_5);
    RUN(kes_every_signature_byte_is_checked);
    RUN(kes_round_trip_at_many_periods);
    RUN(opcert_reference_vector);
    RUN(opcert_cbor_round_trip_and_rejects);
    RUN(text_envelope_round_trips);
    RUN(reference_golden_kes_signatures_verify_at_33_and_27);
    RUN(wire_forms_reject_malformed);
    RUN(aggregator_window_matches_the_reference_at_the_edges);
    const char *shared = th_shared_dir();
    if (shared && load_signers(shared)) {
        RUN(reference_signers_verify_with_their_party_id);
        RUN(reference_signers_tampering_is_refused);
    } else {
        printf("SKIP reference signers: ../shared/reference-data not found\n");
    }
    json_decref(docs[0]);
    json_decref(docs[1]);
    static const char *const FILES[] = {"kes.skey", "node.cert", "cold.vkey"};
    for (size_t i = 0; i < NELEM(FILES); i++) {
        char path[512];
        tmp_path(path, sizeof path, FILES[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    return DONE();
}
