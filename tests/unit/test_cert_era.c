/* test_cert_era.c - era markers: the reference's signed golden payload
 * verifies and is reproduced byte for byte; tampered signatures or markers,
 * another key, a missing signature, markers out of order and bad names are
 * refused naming why; tx datums chunk and join like the reference's; the
 * epoch token picks the current and next eras like its EraReader. */
#include <sodium.h>

#include "harness.h"

/* internal/mithril-era/src/adapters/cardano_chain.rs,
 * GOLDEN_ERA_MARKERS_PAYLOAD_WITH_SIGNATURE: markers thales@1, pythagoras@2
 * signed by EraMarkersSigner::create_deterministic_signer(). */
static const char GOLDEN[] =
    "7b226d61726b657273223a5b7b226e616d65223a227468616c6573222c2265706f6368223a317d2c7b226e616d"
    "65223a227079746861676f726173222c2265706f6368223a327d5d2c227369676e6174757265223a2263353937"
    "39653333663163336234376361306162353239386536353562316264653235656564303866356232653536663361"
    "6439623964373638316164663138653164656562623731616135616132636234363564643831323239633637656"
    "33030326463396632663563363664663931333164366561633039666565373065227d";
/* That signer's seed: ChaCha20Rng::from_seed([0; 32])'s first 32 bytes, the
 * ChaCha20 keystream of the zero key and nonce (RFC 7539 A.1 test vector 1). */
static const char DET_SEED[] = "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7";
static const uint8_t DET_VK[32] = {32,  253, 186, 201, 177, 11,  117, 135, 187, 167, 181,
                                   188, 22,  59,  206, 105, 231, 150, 215, 30,  78,  212,
                                   76,  16,  252, 180, 72,  134, 137, 247, 161, 68};
/* mithril-cardano-node-chain src/test/test_cli_runner.rs launch_utxo::BYTES:
 * a pretty-printed markers list (thales@123, pythagoras@null). */
static const char CLI_RUNNER_BYTES[] =
    "5b0a20207b0a20202020226e616d65223a20227468616c6573222c0a202020202265706f6368223a203132330a2"
    "0207d2c0a20207b0a20202020226e616d65223a20227079746861676f726173222c0a202020202265706f636822"
    "3a206e756c6c0a20207d0a5d0a";

static uint8_t det_sk[32];

static char *hex_of(const char *text)
{
    char *h = NULL;
    return mtl_jsonhex_encode(&h, text, strlen(text)) == MTL_OK ? h : NULL;
}

static char *text_of(const char *hex)
{
    char *t = NULL;
    return mtl_jsonhex_decode(&t, NULL, hex) == MTL_OK ? t : NULL;
}

static mtl_err verify_text(const char *payload_text, const uint8_t vk[32])
{
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    char *h = hex_of(payload_text);
    mtl_err e = h ? mtl_era_payload_verify(&m, &n, h, vk) : MTL_ERR_NOMEM;
    mtl_free(h);
    mtl_free(m);
    return e;
}

TEST(deterministic_key_is_the_reference_signer)
{
    uint8_t vk[32], sk64[64];
    size_t n;
    CHECK_OK(mtl_hex_decode(det_sk, sizeof det_sk, &n, DET_SEED, strlen(DET_SEED)));
    crypto_sign_seed_keypair(vk, sk64, det_sk);
    sodium_memzero(sk64, sizeof sk64);
    CHECK(memcmp(vk, DET_VK, 32) == 0);
}

TEST(golden_payload_verifies)
{
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    CHECK_OK(mtl_era_payload_verify(&m, &n, GOLDEN, DET_VK));
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(m[0].name, "thales");
    CHECK(m[0].has_epoch && m[0].epoch == 1);
    CHECK_EQ_STR(m[1].name, "pythagoras");
    CHECK(m[1].has_epoch && m[1].epoch == 2);
    mtl_free(m);
}

TEST(signing_reproduces_the_golden_payload)
{
    struct mtl_era_marker m[2] = {{"thales", 1, 1}, {"pythagoras", 1, 2}};
    char *hex = NULL;
    CHECK_OK(mtl_era_payload_sign(&hex, m, 2, det_sk));
    CHECK_EQ_STR(hex, GOLDEN);
    mtl_free(hex);
}

TEST(tampered_signature_is_refused)
{
    char *t = text_of(GOLDEN);
    CHECK(t);
    char *sig = strstr(t, "\"signature\":\"") + 13;
    sig[10] = sig[10] == '0' ? '1' : '0';
    CHECK_ERR(verify_text(t, DET_VK), MTL_ERR_VERIFY_FAIL);
    CHECK(strstr(mtl_err_detail(), "does not verify with the era verification key"));
    mtl_free(t);
}

TEST(tampered_markers_are_refused)
{
    char *t = text_of(GOLDEN);
    CHECK(t);
    char *ep = strstr(t, "\"epoch\":2");
    CHECK(ep);
    ep[8] = '3'; /* pythagoras moved from epoch 2 to 3, same signature */
    CHECK_ERR(verify_text(t, DET_VK), MTL_ERR_VERIFY_FAIL);
    /* An extra field is ignored like serde does: the signature still covers
     * the same markers. */
    mtl_free(t);
    t = text_of(GOLDEN);
    char *name = strstr(t, "{\"name\":\"thales\"");
    CHECK(name);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s{\"note\":\"x\",%s", (int)(name - t), t, name + 1);
    CHECK_OK(verify_text(buf, DET_VK));
    mtl_free(t);
}

TEST(another_key_is_refused)
{
    /* The real mainnet era key (mithril-infra/configuration/release-mainnet). */
    const char *dir = th_shared_dir();
    if (!dir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/reference-data/genesis-keys/release-mainnet/era.vkey", dir);
    uint8_t *data = NULL, vk[32];
    size_t len = 0;
    CHECK_OK(mtl_read_file(path, 4096, &data, &len));
    CHECK_OK(mtl_genesis_vkey_decode(vk, (const char *)data));
    mtl_free(data);
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    CHECK_ERR(mtl_era_payload_verify(&m, &n, GOLDEN, vk), MTL_ERR_VERIFY_FAIL);
    CHECK(m == NULL && n == 0);
}

TEST(missing_or_malformed_signature_is_refused)
{
    static const char *const markers = "[{\"name\":\"pythagoras\",\"epoch\":1}]";
    char buf[512];
    snprintf(buf, sizeof buf, "{\"markers\":%s,\"signature\":null}", markers);
    CHECK_ERR(verify_text(buf, DET_VK), MTL_ERR_VERIFY_FAIL);
    CHECK(strstr(mtl_err_detail(), "signature is missing"));
    snprintf(buf, sizeof buf, "{\"markers\":%s}", markers);
    CHECK_ERR(verify_text(buf, DET_VK), MTL_ERR_VERIFY_FAIL);
    snprintf(buf, sizeof buf, "{\"markers\":%s,\"signature\":\"abcd\"}", markers);
    CHECK_ERR(verify_text(buf, DET_VK), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "128 hex digits"));
    CHECK_ERR(verify_text("[1,2]", DET_VK), MTL_ERR_BAD_ENCODING);
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    CHECK_ERR(mtl_era_payload_verify(&m, &n, "7b7", DET_VK), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_era_payload_verify(&m, &n, "not hex", DET_VK), MTL_ERR_BAD_ENCODING);
}

TEST(markers_out_of_order_are_refused)
{
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    static const char desc[] = "[{\"name\":\"pythagoras\",\"epoch\":5},"
                               "{\"name\":\"lagrange\",\"epoch\":3}]";
    CHECK_ERR(mtl_era_markers_parse(&m, &n, desc, strlen(desc)), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "era marker 1 (lagrange, epoch 3) is not after era marker 0 "
                                   "(pythagoras, epoch 5)"));
    static const char same[] = "[{\"name\":\"pythagoras\",\"epoch\":5},{\"name\":\"lagrange\"},"
                               "{\"name\":\"lagrange\",\"epoch\":5}]";
    CHECK_ERR(mtl_era_markers_parse(&m, &n, same, strlen(same)), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "increasing epoch order"));
    /* Refused even when validly signed, and never signed by us. */
    struct mtl_era_marker bad[2] = {{"pythagoras", 1, 5}, {"lagrange", 1, 3}};
    char *hex = NULL;
    CHECK_ERR(mtl_era_payload_sign(&hex, bad, 2, det_sk), MTL_ERR_BAD_ENCODING);
    uint8_t sig[64];
    char sighex[129], buf[512];
    CHECK_OK(mtl_genesis_sign(sig, det_sk, (const uint8_t *)desc, strlen(desc)));
    CHECK_OK(mtl_hex_encode(sighex, sizeof sighex, sig, 64));
    snprintf(buf, sizeof buf, "{\"markers\":%s,\"signature\":\"%s\"}", desc, sighex);
    CHECK_ERR(verify_text(buf, DET_VK), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "era payload: era marker 1 (lagrange"));
}

TEST(bad_markers_are_named)
{
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    static const struct {
        const char *json, *detail;
    } cases[] = {
        {"[]", "the list is empty"},
        {"{}", "not a JSON array"},
        {"[{\"name\":\"\",\"epoch\":1}]", "era marker 0: name must have 1 to 63"},
        {"[{\"name\":\"a\\\"b\",\"epoch\":1}]", "outside printable ASCII"},
        {"[{\"name\":\"a\\nb\",\"epoch\":1}]", "outside printable ASCII"},
        {"[{\"epoch\":1}]", "\"name\" missing"},
        {"[{\"name\":\"x\",\"epoch\":-1}]", "era marker 0 (x): \"epoch\" must be"},
        {"[{\"name\":\"x\",\"epoch\":\"1\"}]", "\"epoch\" must be"},
        {"[{\"name\":\"x\",\"epoch\":1},7]", "era marker 1: not a JSON object"},
        {"[{\"name\":\"x\",", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK_ERR(mtl_era_markers_parse(&m, &n, cases[i].json, strlen(cases[i].json)),
                  MTL_ERR_BAD_ENCODING);
        if (!strstr(mtl_err_detail(), cases[i].detail))
            TH_FAIL("case %zu: detail '%s' lacks '%s'", i, mtl_err_detail(), cases[i].detail);
        CHECK(m == NULL && n == 0);
    }
}

TEST(markers_json_is_serde_shape)
{
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    char *bytes = text_of(CLI_RUNNER_BYTES), *json = NULL;
    CHECK(bytes);
    CHECK_OK(mtl_era_markers_parse(&m, &n, bytes, strlen(bytes)));
    CHECK_OK(mtl_era_markers_to_json(&json, m, n));
    CHECK_EQ_STR(json, "[{\"name\":\"thales\",\"epoch\":123},{\"name\":\"pythagoras\",\"epoch\""
                       ":null}]");
    mtl_free(bytes);
    mtl_free(json);
    mtl_free(m);
}

TEST(round_trip_through_a_tx_datum)
{
    struct mtl_era_marker in[2] = {{"pythagoras", 1, 0}, {"lagrange", 0, 0}};
    char *hex = NULL, *datum = NULL, *back = NULL, *text = NULL;
    CHECK_OK(mtl_era_payload_sign(&hex, in, 2, det_sk));
    text = text_of(hex);
    CHECK(text && strncmp(text, "{\"markers\":[{\"name\":\"pythagoras\",\"epoch\":0},{\"name\":"
                                "\"lagrange\",\"epoch\":null}],\"signature\":\"",
                          91) == 0);
    CHECK(strlen(text) == 91 + 128 + 2);
    CHECK_OK(mtl_era_tx_datum_build(&datum, hex));
    CHECK(strncmp(datum, "{\"constructor\":0,\"fields\":[{\"bytes\":\"", 37) == 0);
    CHECK_OK(mtl_era_tx_datum_payload(&back, datum, strlen(datum)));
    CHECK_EQ_STR(back, hex);
    struct mtl_era_marker *m = NULL;
    size_t n = 0;
    CHECK_OK(mtl_era_payload_verify(&m, &n, back, DET_VK));
    CHECK(n == 2 && strcmp(m[1].name, "lagrange") == 0 && !m[1].has_epoch);
    mtl_free(m);
    mtl_free(hex);
    mtl_free(datum);
    mtl_free(back);
    mtl_free(text);
}

TEST(tx_datum_chunks_like_the_reference)
{
    /* datum.rs test_build_tx_datum: a 150-digit field becomes 128 + 22. */
    static const char s150[] =
        "012345678901234567890123456789012345678901234567890123456789012345678901234567890123456"
        "789012345678901234567890123456789012345678901234567890123456789";
    char *datum = NULL, *back = NULL;
    CHECK_OK(mtl_era_tx_datum_build(&datum, s150));
    CHECK_EQ_STR(datum, "{\"constructor\":0,\"fields\":[{\"bytes\":\"01234567890123456789012345"
                        "678901234567890123456789012345678901234567890123456789012345678901234567"
                        "890123456789012345678901234567\"},{\"bytes\":\"8901234567890123456789\"}]}");
    /* Fields of other types are skipped when joining (the reference keeps
     * only "bytes" fields). */
    static const char mixed[] =
        "{\"constructor\":0,\"fields\":[{\"bytes\":\"ab\"},{\"int\":0},{\"bytes\":\"cd\"}]}";
    CHECK_OK(mtl_era_tx_datum_payload(&back, mixed, strlen(mixed)));
    CHECK_EQ_STR(back, "abcd");
    mtl_free(back);
    CHECK_ERR(mtl_era_tx_datum_payload(&back, "{\"constructor\":0}", 17), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_era_tx_datum_payload(&back, "{\"fields\":[{\"int\":1}]}", 22),
              MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_era_tx_datum_payload(&back, "not_valid_datum", 15), MTL_ERR_BAD_ENCODING);
    mtl_free(datum);
}

TEST(token_picks_current_and_next)
{
    /* era_reader.rs get_basic_marker_sample. */
    struct mtl_era_marker m[3] = {{"one", 1, 1}, {"pythagoras", 0, 0}, {"pythagoras", 1, 10}};
    struct mtl_era_token t;
    CHECK_OK(mtl_era_token_compute(&t, m, 3, 10));
    CHECK(strcmp(t.current.name, "pythagoras") == 0 && t.current.epoch == 10 && !t.has_next);
    CHECK_OK(mtl_era_token_compute(&t, m, 3, 9));
    CHECK(strcmp(t.current.name, "one") == 0 && t.current.epoch == 1);
    CHECK(t.has_next && strcmp(t.next.name, "pythagoras") == 0 && t.next.epoch == 10);
    CHECK(!mtl_era_is_supported(t.current.name) && mtl_era_is_supported(t.next.name));
    struct mtl_era_marker none[3] = {{"one", 0, 0}, {"two", 0, 0}, {"three", 1, 100}};
    CHECK_ERR(mtl_era_token_compute(&t, none, 3, 9), MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), "no era marker is active at epoch 9"));
    CHECK_ERR(mtl_era_token_compute(&t, NULL, 0, 9), MTL_ERR_NOT_FOUND);
    struct mtl_era_marker zero[1] = {{"pythagoras", 1, 0}};
    CHECK_OK(mtl_era_token_compute(&t, zero, 1, 9));
    CHECK(t.current.epoch == 0 && !t.has_next);
}

TEST(supported_eras)
{
    CHECK_EQ_INT(mtl_era_supported_count(), 2);
    CHECK_EQ_STR(mtl_era_supported_name(0), "pythagoras");
    CHECK_EQ_STR(mtl_era_supported_name(1), "lagrange");
    CHECK(mtl_era_supported_name(2) == NULL);
    CHECK(!mtl_era_is_supported("thales") && !mtl_era_is_supported("Pythagoras"));
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(deterministic_key_is_the_reference_signer);
    RUN(golden_payload_verifies);
    RUN(signing_reproduces_the_golden_payload);
    RUN(tampered_signature_is_refused);
    RUN(tampered_markers_are_refused);
    RUN(another_key_is_refused);
    RUN(missing_or_malformed_signature_is_refused);
    RUN(markers_out_of_order_are_refused);
    RUN(bad_markers_are_named);
    RUN(markers_json_is_serde_shape);
    RUN(round_trip_through_a_tx_datum);
    RUN(tx_datum_chunks_like_the_reference);
    RUN(token_picks_current_and_next);
    RUN(supported_eras);
    return DONE();
}
