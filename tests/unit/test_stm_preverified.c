/* test_stm_preverified.c - the aggregator's fast paths: the pre-verified
 * aggregate equals the full clerk's (a bad signature slipped in gives a
 * multi-signature that does not verify, why callers verify the result), and
 * batch verification of single signatures agrees with one-by-one checks. */
#include <sodium.h>

#include "harness.h"
#include "mithril/stm.h"
#include "mithril/util.h"

/* The JSON-hex of a single signature's "sigma":[...] member (the text the
 * multi-signature's JSON-hex carries when it includes that signature). */
static const char *sigma_hex(const char *sig_jsonhex)
{
    static char out[1024];
    char *text = NULL, *hex = NULL;
    size_t len;
    out[0] = '\0';
    if (mtl_jsonhex_decode(&text, &len, sig_jsonhex) != MTL_OK)
        return "(undecodable)";
    char *end = strchr(text, ']');
    if (end && strncmp(text, "{\"sigma\":[", 10) == 0 &&
        mtl_jsonhex_encode(&hex, text + 1, (size_t)(end + 1 - (text + 1))) == MTL_OK &&
        strlen(hex) < sizeof(out))
        strcpy(out, hex);
    mtl_free(hex);
    mtl_free(text);
    return out[0] ? out : "(no sigma)";
}

TEST(preverified_equals_full_clerk)
{
    struct mtl_stm_params p = {.m = 40, .k = 12, .phi_f = 0.8};
    enum { N = 6 };
    struct mtl_stm_initializer *init[N] = {0};
    struct mtl_stm_keyreg *reg = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    char *sigs[N + 1] = {0}, *a = NULL, *b = NULL, *c = NULL, *avk = NULL;
    size_t ns = 0;
    const char *msg = "8b5f3ed1c3b6f4d0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4";
    CHECK_OK(mtl_stm_keyreg_new(&reg));
    for (size_t i = 0; i < N; i++) {
        uint8_t seed[32] = {(uint8_t)i, 7};
        char *vk = NULL;
        CHECK_OK(mtl_stm_initializer_new(&init[i], &p, 1000 + 100 * i, seed));
        CHECK_OK(mtl_stm_initializer_vk_jsonhex(init[i], &vk));
        CHECK_OK(mtl_stm_keyreg_register_jsonhex(reg, 1000 + 100 * i, vk));
        mtl_free(vk);
    }
    CHECK_OK(mtl_stm_keyreg_close(reg, &closed));
    CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(closed, &avk));
    for (size_t i = 0; i < N; i++) {
        size_t won = 0;
        mtl_err e = mtl_stm_sign(init[i], closed, (const uint8_t *)msg, 64, &sigs[ns], &won);
        CHECK(e == MTL_OK || e == MTL_ERR_INELIGIBLE);
        ns += e == MTL_OK;
    }
    CHECK_OK(mtl_stm_aggregate_jsonhex(closed, &p, (const char *const *)sigs, ns,
                                       (const uint8_t *)msg, 64, &a));
    CHECK_OK(mtl_stm_aggregate_preverified_jsonhex(closed, &p, (const char *const *)sigs, ns,
                                                   (const uint8_t *)msg, 64, &b));
    CHECK_EQ_STR(a, b);
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(b, avk, (const uint8_t *)msg, 64, &p));
    /* a signature over another message, not checked: the result fails */
    const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
    for (size_t i = 0; i < N && !sigs[ns]; i++) {
        size_t won = 0;
        if (mtl_stm_sign(init[i], closed, (const uint8_t *)other, 64, &sigs[ns], &won) != MTL_OK)
            sigs[ns] = NULL;
    }
    CHECK(sigs[ns] != NULL);
    /* put it first so its indexes win the selection */
    char *t = sigs[0];
    sigs[0] = sigs[ns];
    sigs[ns] = t;
    /* the fast path trusts its input: it aggregates the bad signature (its
     * sigma is in the result) and only verification catches it */
    CHECK_OK(mtl_stm_aggregate_preverified_jsonhex(closed, &p, (const char *const *)sigs, ns + 1,
                                                   (const uint8_t *)msg, 64, &c));
    CHECK(strstr(c, sigma_hex(sigs[0])) != NULL);
    CHECK(mtl_stm_verify_multisig_jsonhex(c, avk, (const uint8_t *)msg, 64, &p) != MTL_OK);
    /* the full clerk checks each signature first and leaves it out */
    mtl_free(c);
    c = NULL;
    CHECK_OK(mtl_stm_aggregate_jsonhex(closed, &p, (const char *const *)sigs, ns + 1,
                                       (const uint8_t *)msg, 64, &c));
    CHECK(strstr(c, sigma_hex(sigs[0])) == NULL);
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(c, avk, (const uint8_t *)msg, 64, &p));
    for (size_t i = 0; i <= ns; i++)
        mtl_free(sigs[i]);
    for (size_t i = 0; i < N; i++)
        mtl_stm_initializer_free(init[i]);
    mtl_free(a);
    mtl_free(b);
    mtl_free(c);
    mtl_free(avk);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
}

/* Batch verification agrees with one-by-one verification, bad ones named. */
TEST(batch_verify_matches_single)
{
    struct mtl_stm_params p = {.m = 60, .k = 10, .phi_f = 0.9};
    enum { N = 8 };
    struct mtl_stm_initializer *init[N] = {0};
    struct mtl_stm_keyreg *reg = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    char *sigs[N + 3] = {0};
    int ok[N + 3];
    size_t ns = 0;
    const char *msg = "1b5f3ed1c3b6f4d0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4";
    const char *other = "2b5f3ed1c3b6f4d0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4";
    CHECK_OK(mtl_stm_keyreg_new(&reg));
    for (size_t i = 0; i < N; i++) {
        uint8_t seed[32] = {(uint8_t)i, 9};
        char *vk = NULL;
        CHECK_OK(mtl_stm_initializer_new(&init[i], &p, 500 + 70 * i, seed));
        CHECK_OK(mtl_stm_initializer_vk_jsonhex(init[i], &vk));
        CHECK_OK(mtl_stm_keyreg_register_jsonhex(reg, 500 + 70 * i, vk));
        mtl_free(vk);
    }
    CHECK_OK(mtl_stm_keyreg_close(reg, &closed));
    for (size_t i = 0; i < N; i++) {
        size_t won = 0;
        if (mtl_stm_sign(init[i], closed, (const uint8_t *)msg, 64, &sigs[ns], &won) == MTL_OK)
            ns++;
    }
    CHECK(ns >= 3);
    CHECK_OK(mtl_stm_single_sigs_verify_batch_jsonhex(closed, &p, (const char *const *)sigs, ns,
                                                      (const uint8_t *)msg, 64, ok));
    for (size_t i = 0; i < ns; i++)
        CHECK_EQ_INT(ok[i], 1);
    /* the same batch over another message: all refused */
    CHECK_OK(mtl_stm_single_sigs_verify_batch_jsonhex(closed, &p, (const char *const *)sigs, ns,
                                                      (const uint8_t *)other, 64, ok));
    for (size_t i = 0; i < ns; i++)
        CHECK_EQ_INT(ok[i], 0);
    /* one signature over another message and one garbage text in the middle */
    size_t won = 0;
    char *bad = NULL;
    for (size_t i = 0; i < N && !bad; i++)
        if (mtl_stm_sign(init[i], closed, (const uint8_t *)other, 64, &bad, &won) != MTL_OK)
            bad = NULL;
    CHECK(bad != NULL);
    sigs[ns] = sigs[1];
    sigs[1] = bad;
    sigs[ns + 1] = sigs[2];
    sigs[2] = mtl_strdup("7b7d");
    size_t total = ns + 2;
    CHECK_OK(mtl_stm_single_sigs_verify_batch_jsonhex(closed, &p, (const char *const *)sigs, total,
                                                      (const uint8_t *)msg, 64, ok));
    for (size_t i = 0; i < total; i++) {
        int single = mtl_stm_single_sig_verify_jsonhex(closed, &p, sigs[i], (const uint8_t *)msg,
                                                       64) == MTL_OK;
        CHECK_EQ_INT(ok[i], single);
        CHECK_EQ_INT(ok[i], i == 1 || i == 2 ? 0 : 1);
    }
    for (size_t i = 0; i < total; i++)
        mtl_free(sigs[i]);
    for (size_t i = 0; i < N; i++)
        mtl_stm_initializer_free(init[i]);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(preverified_equals_full_clerk);
    RUN(batch_verify_matches_single);
    return DONE();
}
