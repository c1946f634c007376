/* test_stm_mainnet.c - the STM at mainnet size: 300 registered signers with
 * Cardano mainnet's parameters (m = 20973, k = 2422, phi_f = 0.2, the
 * reference's `next_protocol` in openapi.yaml and key_certification.rs).
 * Every path that switches to two threads from 32 or 64 signatures runs
 * here (batch single-signature checks, decoded aggregation, multi-signature
 * decoding and BLS check), and a signature tampered with far past the first
 * thread's share is still caught. */
#include <jansson.h>

#include "harness.h"
#include "mithril/stm.h"
#include "mithril/util.h"

enum { N = 300 };
static const struct mtl_stm_params P = {.m = 20973, .k = 2422, .phi_f = 0.2};
static const char MSG[] = "5e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a";
static const char OTHER[] = "0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a";

static struct mtl_stm_initializer *init[N];
static struct mtl_stm_closed_reg *closed;
static char *avk, *sigs[N];
static size_t ns;

/* Stakes from 1 to 4 million (uneven, but none dominant, so that the quorum
 * takes over a hundred signers). */
static uint64_t stake_of(size_t i)
{
    return 1000000 + (uint64_t)((i * 2654435761u) % 997) * 3000;
}

TEST(register_and_sign)
{
    struct mtl_stm_keyreg *reg;
    CHECK_OK(mtl_stm_keyreg_new(&reg));
    for (size_t i = 0; i < N; i++) {
        uint8_t seed[32] = {(uint8_t)i, (uint8_t)(i >> 8), 0x4d};
        char *vk = NULL;
        CHECK_OK(mtl_stm_initializer_new(&init[i], &P, stake_of(i), seed));
        CHECK_OK(mtl_stm_initializer_vk_jsonhex(init[i], &vk));
        mtl_err rc = mtl_stm_keyreg_register_jsonhex(reg, stake_of(i), vk);
        mtl_free(vk);
        CHECK_OK(rc);
    }
    CHECK_OK(mtl_stm_keyreg_close(reg, &closed));
    mtl_stm_keyreg_free(reg);
    CHECK_EQ_INT(mtl_stm_closed_reg_count(closed), N);
    CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(closed, &avk));
    size_t wins = 0;
    for (size_t i = 0; i < N; i++) {
        size_t won = 0;
        mtl_err rc = mtl_stm_sign(init[i], closed, (const uint8_t *)MSG, 64, &sigs[ns], &won);
        CHECK(rc == MTL_OK || rc == MTL_ERR_INELIGIBLE);
        ns += rc == MTL_OK;
        wins += won;
    }
    /* ~m * -ln(1 - phi_f) = 4680 indexes expected, over nearly every signer */
    printf("  %zu of %d signers won %zu indexes\n", ns, N, wins);
    CHECK(ns >= 290);
    CHECK(wins > P.k);
}

TEST(batch_checks_catch_one_bad_signature)
{
    CHECK(ns >= 290);
    int *ok = mtl_calloc(ns, sizeof(int));
    CHECK(ok);
    CHECK_OK(mtl_stm_single_sigs_verify_batch_jsonhex(closed, &P, (const char *const *)sigs, ns,
                                                      (const uint8_t *)MSG, 64, ok));
    size_t good = 0;
    for (size_t i = 0; i < ns; i++)
        good += ok[i] == 1;
    CHECK_EQ_INT(good, ns);
    /* signer 250's signature of another message in place of its own */
    const size_t bad = 250;
    char *mine = sigs[bad], *other = NULL;
    for (size_t i = 0; i < N && !other; i++)
        if (mtl_stm_sign(init[i], closed, (const uint8_t *)OTHER, 64, &other, NULL) != MTL_OK)
            other = NULL;
    CHECK(other);
    sigs[bad] = other;
    mtl_err rc = mtl_stm_single_sigs_verify_batch_jsonhex(closed, &P, (const char *const *)sigs, ns,
                                                          (const uint8_t *)MSG, 64, ok);
    sigs[bad] = mine;
    mtl_free(other);
    CHECK_OK(rc);
    for (size_t i = 0; i < ns; i++)
        CHECK_EQ_INT(ok[i], i != bad);
    mtl_free(ok);
}

/* Decode JSON-hex, apply f to the JSON, re-encode. */
static char *edit(const char *hex, void (*f)(json_t *))
{
    char *text = NULL, *out = NULL;
    size_t len;
    if (mtl_jsonhex_decode(&text, &len, hex) != MTL_OK)
        return NULL;
    json_t *j = json_loads(text, 0, NULL);
    mtl_free(text);
    if (!j)
        return NULL;
    f(j);
    char *t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (t && mtl_jsonhex_encode(&out, t, strlen(t)) != MTL_OK)
        out = NULL;
    free(t);
    return out;
}

/* Flip a bit of the sigma of the last signature (the second thread's share). */
static void flip_last_sigma(json_t *ms)
{
    json_t *all = json_object_get(ms, "signatures");
    json_t *sigma =
        json_object_get(json_array_get(json_array_get(all, json_array_size(all) - 1), 0), "sigma");
    json_array_set_new(sigma, 20, json_integer(json_integer_value(json_array_get(sigma, 20)) ^ 4));
}

/* Swap the sigmas of the first and last signatures. */
static void swap_sigmas(json_t *ms)
{
    json_t *all = json_object_get(ms, "signatures");
    json_t *a = json_array_get(json_array_get(all, 0), 0);
    json_t *b = json_array_get(json_array_get(all, json_array_size(all) - 1), 0);
    json_t *sa = json_incref(json_object_get(a, "sigma"));
    json_object_set(a, "sigma", json_object_get(b, "sigma"));
    json_object_set_new(b, "sigma", sa);
}

TEST(aggregate_and_verify)
{
    CHECK(ns >= 290);
    char *ms = NULL, *ms2 = NULL, *bad = NULL;
    struct mtl_stm_sig **dec = mtl_calloc(ns, sizeof(*dec));
    int *ok = mtl_calloc(ns, sizeof(int));
    CHECK(dec && ok);
    CHECK_OK(mtl_stm_aggregate_jsonhex(closed, &P, (const char *const *)sigs, ns,
                                       (const uint8_t *)MSG, 64, &ms));
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(ms, avk, (const uint8_t *)MSG, 64, &P));
    /* the aggregator's path: decode once, batch-check, aggregate decoded */
    for (size_t i = 0; i < ns; i++)
        CHECK_OK(mtl_stm_sig_decode_jsonhex(&dec[i], sigs[i]));
    CHECK_OK(mtl_stm_sigs_verify_batch(closed, &P, (const struct mtl_stm_sig *const *)dec, ns,
                                       (const uint8_t *)MSG, 64, ok));
    for (size_t i = 0; i < ns; i++)
        CHECK_EQ_INT(ok[i], 1);
    CHECK_OK(mtl_stm_aggregate_decoded(closed, &P, (const struct mtl_stm_sig *const *)dec, ns,
                                       (const uint8_t *)MSG, 64, &ms2));
    CHECK_EQ_STR(ms2, ms);
    /* the multi-signature carries enough signers for every threaded path */
    char *text;
    size_t len;
    CHECK_OK(mtl_jsonhex_decode(&text, &len, ms));
    json_t *j = json_loads(text, 0, NULL);
    mtl_free(text);
    size_t in_ms = json_array_size(json_object_get(j, "signatures"));
    json_decref(j);
    printf("  multi-signature of %zu signers\n", in_ms);
    CHECK(in_ms >= 64);
    /* tampering, quorum, message */
    CHECK((bad = edit(ms, flip_last_sigma)) != NULL);
    CHECK(mtl_stm_verify_multisig_jsonhex(bad, avk, (const uint8_t *)MSG, 64, &P) != MTL_OK);
    mtl_free(bad);
    CHECK((bad = edit(ms, swap_sigmas)) != NULL);
    CHECK(mtl_stm_verify_multisig_jsonhex(bad, avk, (const uint8_t *)MSG, 64, &P) != MTL_OK);
    mtl_free(bad);
    bad = NULL;
    CHECK_ERR(mtl_stm_verify_multisig_jsonhex(ms, avk, (const uint8_t *)OTHER, 64, &P),
              MTL_ERR_VERIFY_FAIL);
    struct mtl_stm_params q = P;
    q.k = P.m;
    CHECK_ERR(mtl_stm_verify_multisig_jsonhex(ms, avk, (const uint8_t *)MSG, 64, &q),
              MTL_ERR_NOT_ENOUGH_SIGS);
    for (size_t i = 0; i < ns; i++)
        mtl_stm_sig_free(dec[i]);
    mtl_free(dec);
    mtl_free(ok);
    mtl_free(ms);
    mtl_free(ms2);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(register_and_sign);
    RUN(batch_checks_catch_one_bad_signature);
    RUN(aggregate_and_verify);
    for (size_t i = 0; i < N; i++) {
        mtl_free(sigs[i]);
        mtl_stm_initializer_free(init[i]);
    }
    mtl_stm_closed_reg_free(closed);
    mtl_free(avk);
    return DONE();
}
