/* test_pool_identity_wire.c - the signer credential wire forms are read
 * strictly: exactly the reference's serde text (compact, fields in order,
 * plain decimal numbers), each departure refused with an error naming the
 * field; and the aggregator's KES window reports the first period that
 * verifies even when it checks the signer's own period first. */
#include <sodium.h>

#include "harness.h"
#include "pool_identity_vectors.h"

/* hex(text of `hex` with the first `from` replaced by `to`). */
static char *mutate(const char *hex, const char *from, const char *to)
{
    char *text, *out = NULL;
    size_t n;
    if (mtl_jsonhex_decode(&text, &n, hex) != MTL_OK)
        exit(1);
    char *at = strstr(text, from);
    if (!at) {
        fprintf(stderr, "mutate: '%s' not in the text\n", from);
        exit(1);
    }
    size_t head = (size_t)(at - text), nf = strlen(from), nt = strlen(to);
    char *m = mtl_malloc(n - nf + nt + 1);
    if (!m)
        exit(1);
    memcpy(m, text, head);
    memcpy(m + head, to, nt);
    memcpy(m + head + nt, at + nf, n - head - nf + 1);
    if (mtl_jsonhex_encode(&out, m, strlen(m)) != MTL_OK)
        exit(1);
    mtl_free(m);
    mtl_free(text);
    return out;
}

static char *hex_of_text(const char *json)
{
    char *hex = NULL;
    if (mtl_jsonhex_encode(&hex, json, strlen(json)) != MTL_OK)
        exit(1);
    return hex;
}

#define REFUSED(call, substr)                                                                      \
    do {                                                                                           \
        CHECK_ERR(call, MTL_ERR_BAD_ENCODING);                                                     \
        if (!strstr(mtl_err_detail(), substr))                                                     \
            TH_FAIL("error \"%s\" does not say \"%s\"", mtl_err_detail(), substr);                 \
    } while (0)

struct text_case {
    const char *from, *to, *says;
};

TEST(opcert_json_is_exactly_the_serde_text)
{
    /* issue 7, start 9: the text holds "],7,9,[". */
    struct mtl_opcert oc, back;
    CHECK_OK(mtl_opcert_from_jsonhex(&oc, SIGNERMSG_OPCERT_JSONHEX));
    oc.issue_number = 7;
    oc.start_kes_period = 9;
    char *good;
    CHECK_OK(mtl_opcert_to_jsonhex(&oc, &good));
    CHECK_OK(mtl_opcert_from_jsonhex(&back, good));
    CHECK(memcmp(&back, &oc, sizeof oc) == 0);
    static const struct text_case CASES[] = {
        {"[[", "[ [", "at text offset 1, got ' '"},
        {"],7,9,[", "], 7,9,[", "issue_number: expected an unsigned integer"},
        {"],7,9,[", "],07,9,[", "issue_number: number with a leading zero"},
        {"],7,9,[", "],7.0,9,[", "issue_number: expected ','"},
        {"],7,9,[", "],-7,9,[", "issue_number: expected an unsigned integer"},
        {"],7,9,[", "],7,9e0,[", "start_kes_period: expected ','"},
        {"],7,9,[", "],7,18446744073709551616,[", "start_kes_period: number above"},
        {"],7,9,[", "],7,\"9\",[", "start_kes_period: expected an unsigned integer"},
        {"[[[", "[[[256,", "kes_vk: number above 255"},
        {"[[[", "[[[007,", "kes_vk: number with a leading zero"},
        {"[[[", "[[[1,", "kes_vk: more than 32 bytes"},
        {"[[[", "[[[1000,", "kes_vk: number above 255"},
        {"],7,9,[", ",],7,9,[", "kes_vk: expected ']'"},
        {"]],[", "],[", "sigma: expected '],' at text offset 343, got ','"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char *bad = mutate(good, CASES[i].from, CASES[i].to);
        REFUSED(mtl_opcert_from_jsonhex(&back, bad), CASES[i].says);
        mtl_free(bad);
    }
    /* Trailing text, even a newline; a byte array one short. */
    size_t n = strlen(good);
    char *longer = mtl_malloc(n + 3);
    memcpy(longer, good, n);
    memcpy(longer + n, "0a", 3);
    REFUSED(mtl_opcert_from_jsonhex(&back, longer), "expected the end of the text");
    mtl_free(longer);
    char *text;
    CHECK_OK(mtl_jsonhex_decode(&text, &n, good));
    char *close = strchr(text, ']'), *last = close;
    while (*--last != ',')
        ;
    memmove(last, close, strlen(close) + 1);
    char *short_hex = hex_of_text(text);
    REFUSED(mtl_opcert_from_jsonhex(&back, short_hex), "kes_vk: 31 bytes, expected 32");
    mtl_free(short_hex);
    mtl_free(text);
    /* Hex problems are named with their offset; upper case hex is hex. */
    char *upper = mtl_strdup(good);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    CHECK_OK(mtl_opcert_from_jsonhex(&back, upper));
    CHECK(memcmp(&back, &oc, sizeof oc) == 0);
    upper[10] = 'g';
    REFUSED(mtl_opcert_from_jsonhex(&back, upper), "invalid character at offset 10");
    mtl_free(upper);
    mtl_free(good);
}

TEST(opcert_u64_fields_take_the_whole_range)
{
    /* serde writes u64 above i64's range; the decoder reads them back (and a
     * CBOR opcert carrying one round-trips through JSON-hex). */
    struct mtl_opcert oc, back;
    CHECK_OK(mtl_opcert_from_jsonhex(&oc, SIGNERMSG_OPCERT_JSONHEX));
    oc.issue_number = UINT64_MAX;
    oc.start_kes_period = (uint64_t)INT64_MAX + 1;
    char *hex;
    CHECK_OK(mtl_opcert_to_jsonhex(&oc, &hex));
    CHECK_OK(mtl_opcert_from_jsonhex(&back, hex));
    CHECK(memcmp(&back, &oc, sizeof oc) == 0);
    mtl_free(hex);
}

TEST(kes_signature_json_is_exactly_the_serde_text)
{
    char *good = hex_of_text(KEYCERT_KES_SIG_JSON);
    uint8_t sig[MTL_KES_SIG_BYTES], want[MTL_KES_SIG_BYTES];
    CHECK_OK(mtl_kes_sig_from_jsonhex(want, good));
    static const struct text_case CASES[] = {
        /* Fields in another order (serde's reader would take it). */
        {",\"lhs_pk\":", ",\"rhs_pk\":", "level 1 lhs_pk: expected 'lhs_pk\":'"},
        {"{\"sigma\":{", "{\"sigma\": {", "level 6 sigma (a level 5 signature)"},
        {"{\"sigma\":[", "{\"sigma\":[ ", "level 1 sigma (the Ed25519 signature)"},
        {"]},\"lhs_pk\"", "],\"x\":0},\"lhs_pk\"", "level 1 end of object: expected '}'"},
        {",\"lhs_pk\":[", ",\"lhs_pk\":[1,", "level 1 lhs_pk: more than 32 bytes"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char *bad = mutate(good, CASES[i].from, CASES[i].to);
        REFUSED(mtl_kes_sig_from_jsonhex(sig, bad), CASES[i].says);
        mtl_free(bad);
    }
    /* The bytes-hex fallback is still taken; a text longer than any
     * signature's is refused before reading it. */
    char raw[2 * MTL_KES_SIG_BYTES + 1];
    CHECK_OK(mtl_hex_encode(raw, sizeof raw, want, sizeof want));
    CHECK_OK(mtl_kes_sig_from_jsonhex(sig, raw));
    CHECK_MEM(sig, want, sizeof sig);
    char *huge = mtl_calloc(2 * MTL_KES_SIG_BYTES * 5 + 1, 1);
    memset(huge, '2', 2 * MTL_KES_SIG_BYTES * 5);
    REFUSED(mtl_kes_sig_from_jsonhex(sig, huge), "more than any valid one has");
    mtl_free(huge);
    mtl_free(good);
}

TEST(mithril_key_json_is_exactly_the_serde_text)
{
    char *good = hex_of_text(KEYCERT_VK_JSON);
    uint8_t msg[MTL_KES_MSG_BYTES];
    CHECK_OK(mtl_stm_vk_kes_message(good, msg));
    struct mtl_opcert oc;
    char pool[MTL_POOL_ID_MAX];
    CHECK_OK(mtl_opcert_from_jsonhex(&oc, SIGNERMSG_OPCERT_JSONHEX));
    CHECK_OK(mtl_opcert_pool_id(&oc, pool));
    static const struct text_case CASES[] = {
        {"{\"vk\":", "{\"pop\":", "expected 'vk\":' at text offset 2, got 'p'"},
        {"]}", "],\"x\":1}", "pop: expected '}'"},
        {",\"pop\":[", ",\"pop\":[1,", "pop: more than 96 bytes"},
        {"{\"vk\":[", "{\"vk\":[ ", "vk: expected a byte"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char *bad = mutate(good, CASES[i].from, CASES[i].to);
        REFUSED(mtl_stm_vk_kes_message(bad, msg), CASES[i].says);
        /* ... and through the credential check, named with the signer. */
        REFUSED(mtl_signer_credentials_verify(pool, bad, SIGNERMSG_OPCERT_JSONHEX,
                                              SIGNERMSG_KES_SIG_JSONHEX, 27),
                CASES[i].says);
        mtl_free(bad);
    }
    CHECK_ERR(mtl_stm_vk_kes_message(NULL, msg), MTL_ERR_INVALID_ARG);
    mtl_free(good);
}

/* A Sum6 signature whose level-1 keys are equal: periods 10 and 11 share
 * one leaf key, so the signature verifies at both. */
static void twin_leaf_signature(uint8_t sig[MTL_KES_SIG_BYTES], uint8_t root[32],
                                const uint8_t *msg, size_t len)
{
    uint8_t pk[32], sk[64], seed[32] = {7}, child[32], filler[32];
    crypto_sign_ed25519_seed_keypair(pk, sk, seed);
    crypto_sign_ed25519_detached(sig, NULL, msg, len, sk);
    mtl_memzero(sk, sizeof sk);
    memset(filler, 0x5a, sizeof filler);
    for (unsigned d = 1; d <= MTL_KES_DEPTH; d++) {
        uint8_t *pair = sig + MTL_ED25519_SIG_BYTES + 64 * (d - 1);
        if (d == 1) {
            memcpy(pair, pk, 32);
            memcpy(pair + 32, pk, 32);
        } else {
            int right = (10u >> (d - 1)) & 1;
            memcpy(pair + (right ? 32 : 0), child, 32);
            memcpy(pair + (right ? 0 : 32), filler, 32);
        }
        crypto_generichash(child, 32, pair, 64, NULL, 0);
    }
    memcpy(root, child, 32);
}

TEST(aggregator_window_reports_the_first_period_that_verifies)
{
    uint8_t msg[MTL_KES_MSG_BYTES], sig[MTL_KES_SIG_BYTES], cold_seed[32] = {9};
    uint8_t cold_pk[32], cold_sk[64];
    char *vk = hex_of_text(KEYCERT_VK_JSON), *sig_hex, *oc_hex, pool[MTL_POOL_ID_MAX];
    struct mtl_opcert oc;
    CHECK_OK(mtl_stm_vk_kes_message(vk, msg));
    uint8_t root[32];
    twin_leaf_signature(sig, root, msg, sizeof msg);
    for (uint32_t t = 0; t < MTL_KES_PERIODS; t++)
        CHECK_ERR(mtl_kes_verify(sig, root, t, msg, sizeof msg),
                  t == 10 || t == 11 ? MTL_OK : MTL_ERR_VERIFY_FAIL);
    crypto_sign_ed25519_seed_keypair(cold_pk, cold_sk, cold_seed);
    CHECK_OK(mtl_opcert_issue(&oc, root, 0, 0, cold_sk));
    mtl_memzero(cold_sk, sizeof cold_sk);
    CHECK_OK(mtl_opcert_pool_id(&oc, pool));
    CHECK_OK(mtl_opcert_to_jsonhex(&oc, &oc_hex));
    CHECK_OK(mtl_kes_sig_to_jsonhex(sig, &sig_hex));
    /* The reference tries e-1, e, e+1 in turn and stops at the first. */
    static const uint64_t WANT[][2] = {{9, 10}, {10, 10}, {11, 10}, {12, 11}};
    for (size_t i = 0; i < sizeof WANT / sizeof WANT[0]; i++) {
        uint64_t used = 99;
        CHECK_OK(mtl_signer_credentials_verify_at(pool, vk, oc_hex, sig_hex, WANT[i][0], &used));
        CHECK_EQ_INT(used, WANT[i][1]);
    }
    CHECK_ERR(mtl_signer_credentials_verify_at(pool, vk, oc_hex, sig_hex, 8, NULL),
              MTL_ERR_VERIFY_FAIL);
    CHECK_ERR(mtl_signer_credentials_verify_at(pool, vk, oc_hex, sig_hex, 13, NULL),
              MTL_ERR_VERIFY_FAIL);
    mtl_free(vk);
    mtl_free(sig_hex);
    mtl_free(oc_hex);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(opcert_json_is_exactly_the_serde_text);
    RUN(opcert_u64_fields_take_the_whole_range);
    RUN(kes_signature_json_is_exactly_the_serde_text);
    RUN(mithril_key_json_is_exactly_the_serde_text);
    RUN(aggregator_window_reports_the_first_period_that_verifies);
    return DONE();
}
