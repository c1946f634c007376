/* test_stm_decoded.c - decoded single signatures (the aggregator's cache):
 * batch verification agrees with the JSON-hex one, the decoded aggregate
 * equals the full clerk's and verifies, a bad signature slipped in is caught
 * by the final verification, and a multi-signature whose points are decoded
 * on two threads names its first bad element. */
#include "harness.h"
#include "mithril/stm.h"
#include "mithril/util.h"

struct fixture {
    struct mtl_stm_params p;
    struct mtl_stm_initializer **init;
    struct mtl_stm_keyreg *reg;
    struct mtl_stm_closed_reg *closed;
    char **sigs, *avk;
    size_t n, ns;
};

static const char MSG[] = "3b5f3ed1c3b6f4d0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4";

static int setup(struct fixture *f, size_t n, uint64_t m, uint64_t k, double phi)
{
    memset(f, 0, sizeof(*f));
    f->p = (struct mtl_stm_params){.m = m, .k = k, .phi_f = phi};
    f->n = n;
    f->init = calloc(n, sizeof(*f->init));
    f->sigs = calloc(n + 1, sizeof(*f->sigs));
    if (!f->init || !f->sigs || mtl_stm_keyreg_new(&f->reg) != MTL_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint8_t seed[32] = {(uint8_t)i, (uint8_t)(i >> 8), 11};
        char *vk = NULL;
        if (mtl_stm_initializer_new(&f->init[i], &f->p, 1000 + 37 * i, seed) != MTL_OK ||
            mtl_stm_initializer_vk_jsonhex(f->init[i], &vk) != MTL_OK ||
            mtl_stm_keyreg_register_jsonhex(f->reg, 1000 + 37 * i, vk) != MTL_OK)
            return -1;
        mtl_free(vk);
    }
    if (mtl_stm_keyreg_close(f->reg, &f->closed) != MTL_OK ||
        mtl_stm_closed_reg_avk_jsonhex(f->closed, &f->avk) != MTL_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t won = 0;
        if (mtl_stm_sign(f->init[i], f->closed, (const uint8_t *)MSG, 64, &f->sigs[f->ns], &won) ==
            MTL_OK)
            f->ns++;
    }
    return 0;
}

static void teardown(struct fixture *f)
{
    for (size_t i = 0; f->sigs && i <= f->ns; i++)
        mtl_free(f->sigs[i]);
    for (size_t i = 0; f->init && i < f->n; i++)
        mtl_stm_initializer_free(f->init[i]);
    free(f->sigs);
    free(f->init);
    mtl_free(f->avk);
    mtl_stm_closed_reg_free(f->closed);
    mtl_stm_keyreg_free(f->reg);
}

TEST(decoded_aggregate_equals_full_clerk)
{
    struct fixture f;
    CHECK_EQ_INT(setup(&f, 8, 40, 12, 0.8), 0);
    CHECK(f.ns >= 3);
    struct mtl_stm_sig *dec[9] = {0};
    int ok[9], ok2[9];
    for (size_t i = 0; i < f.ns; i++) {
        uint64_t si = 0, *idx = NULL;
        size_t cnt = 0, cnt2 = 0;
        CHECK_OK(mtl_stm_sig_decode_jsonhex(&dec[i], f.sigs[i]));
        CHECK_OK(mtl_stm_single_sig_info_jsonhex(f.sigs[i], &si, &idx, &cnt));
        const uint64_t *idx2 = mtl_stm_sig_indexes(dec[i], &cnt2);
        CHECK_EQ_INT(mtl_stm_sig_signer_index(dec[i]), si);
        CHECK_EQ_INT(cnt2, cnt);
        CHECK(memcmp(idx, idx2, cnt * sizeof(uint64_t)) == 0);
        mtl_free(idx);
    }
    CHECK_OK(mtl_stm_sigs_verify_batch(f.closed, &f.p, (const struct mtl_stm_sig *const *)dec, f.ns,
                                       (const uint8_t *)MSG, 64, ok));
    CHECK_OK(mtl_stm_single_sigs_verify_batch_jsonhex(f.closed, &f.p, (const char *const *)f.sigs,
                                                      f.ns, (const uint8_t *)MSG, 64, ok2));
    for (size_t i = 0; i < f.ns; i++) {
        CHECK_EQ_INT(ok[i], 1);
        CHECK_EQ_INT(ok2[i], 1);
    }
    /* over another message every one is refused */
    CHECK_OK(mtl_stm_sigs_verify_batch(f.closed, &f.p, (const struct mtl_stm_sig *const *)dec, f.ns,
                                       (const uint8_t *)"x", 1, ok));
    for (size_t i = 0; i < f.ns; i++)
        CHECK_EQ_INT(ok[i], 0);
    char *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(mtl_stm_aggregate_jsonhex(f.closed, &f.p, (const char *const *)f.sigs, f.ns,
                                       (const uint8_t *)MSG, 64, &a));
    CHECK_OK(mtl_stm_aggregate_decoded(f.closed, &f.p, (const struct mtl_stm_sig *const *)dec, f.ns,
                                       (const uint8_t *)MSG, 64, &b));
    CHECK_EQ_STR(a, b);
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(b, f.avk, (const uint8_t *)MSG, 64, &f.p));
    /* a signature over another message first (its indexes win the
     * selection): the final verification refuses the result */
    const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
    char *bad = NULL;
    for (size_t i = 0; i < f.n && !bad; i++) {
        size_t won = 0;
        if (mtl_stm_sign(f.init[i], f.closed, (const uint8_t *)other, 64, &bad, &won) != MTL_OK)
            bad = NULL;
    }
    CHECK(bad != NULL);
    struct mtl_stm_sig *mixed[10] = {0};
    CHECK_OK(mtl_stm_sig_decode_jsonhex(&mixed[0], bad));
    for (size_t i = 0; i < f.ns; i++)
        mixed[i + 1] = dec[i];
    mtl_err e = mtl_stm_aggregate_decoded(f.closed, &f.p, (const struct mtl_stm_sig *const *)mixed,
                                          f.ns + 1, (const uint8_t *)MSG, 64, &c);
    if (e == MTL_OK) /* only when the bad one was not selected */
        CHECK_EQ_STR(c, a);
    else
        CHECK(c == NULL && e != MTL_ERR_NOT_ENOUGH_SIGS);
    /* garbage is refused when decoding */
    struct mtl_stm_sig *g = NULL;
    CHECK_ERR(mtl_stm_sig_decode_jsonhex(&g, "7b7d"), MTL_ERR_BAD_ENCODING);
    CHECK(g == NULL);
    mtl_stm_sig_free(NULL);
    mtl_stm_sig_free(mixed[0]);
    for (size_t i = 0; i < f.ns; i++)
        mtl_stm_sig_free(dec[i]);
    mtl_free(a);
    mtl_free(b);
    mtl_free(c);
    mtl_free(bad);
    teardown(&f);
}

/* Replace the n-th occurrence of "sigma":[ ... ] (JSON, not hex) by the
 * bytes of a point not on the curve. */
static char *tamper_sigma(const char *ms_hex, size_t nth)
{
    char *txt = NULL, *out = NULL;
    size_t len = 0;
    if (mtl_jsonhex_decode(&txt, &len, ms_hex) != MTL_OK)
        return NULL;
    char *p = txt;
    for (size_t i = 0; p && i <= nth; i++) {
        p = strstr(p, "\"sigma\":[");
        if (p && i < nth)
            p++;
    }
    char *end = p ? strchr(p + strlen("\"sigma\":["), ',') : NULL;
    if (end) {
        /* first byte 159 = 0x9f: compressed flag with x >= p, not a point */
        size_t pre = (size_t)(p - txt) + strlen("\"sigma\":[");
        char *nt = mtl_malloc(len + 8);
        if (nt) {
            memcpy(nt, txt, pre);
            memcpy(nt + pre, "159", 3);
            strcpy(nt + pre + 3, end);
            char *hex = NULL;
            if (mtl_jsonhex_encode(&hex, nt, strlen(nt)) == MTL_OK)
                out = hex;
            mtl_free(nt);
        }
    }
    mtl_free(txt);
    return out;
}

/* The verdict a decoded signature remembers stands only for the very checks
 * it passed: signatures verified over another message, aggregated for MSG,
 * get every check and the result is refused. */
TEST(remembered_verdict_is_for_its_message_only)
{
    struct fixture f;
    CHECK_EQ_INT(setup(&f, 8, 40, 12, 0.8), 0);
    static const char OTHER[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    struct mtl_stm_sig *dec[8] = {0};
    int ok[8];
    size_t n = 0;
    for (size_t i = 0; i < f.n; i++) {
        char *sig = NULL;
        size_t won = 0;
        if (mtl_stm_sign(f.init[i], f.closed, (const uint8_t *)OTHER, 64, &sig, &won) != MTL_OK)
            continue;
        CHECK_OK(mtl_stm_sig_decode_jsonhex(&dec[n++], sig));
        mtl_free(sig);
    }
    CHECK(n >= 3);
    CHECK_OK(mtl_stm_sigs_verify_batch(f.closed, &f.p, (const struct mtl_stm_sig *const *)dec, n,
                                       (const uint8_t *)OTHER, 64, ok));
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(ok[i], 1);
    char *good = NULL, *bad = NULL;
    CHECK_OK(mtl_stm_aggregate_decoded(f.closed, &f.p, (const struct mtl_stm_sig *const *)dec, n,
                                       (const uint8_t *)OTHER, 64, &good));
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(good, f.avk, (const uint8_t *)OTHER, 64, &f.p));
    mtl_err e = mtl_stm_aggregate_decoded(f.closed, &f.p, (const struct mtl_stm_sig *const *)dec, n,
                                          (const uint8_t *)MSG, 64, &bad);
    CHECK(e != MTL_OK && e != MTL_ERR_NOT_ENOUGH_SIGS);
    CHECK(bad == NULL);
    for (size_t i = 0; i < n; i++)
        mtl_stm_sig_free(dec[i]);
    mtl_free(good);
    teardown(&f);
}

TEST(threaded_decode_names_first_bad_signature)
{
    struct fixture f;
    /* enough signatures (>= 32) for the two-thread decoding */
    CHECK_EQ_INT(setup(&f, 48, 200, 1, 0.5), 0);
    CHECK(f.ns >= 36);
    /* quorum = every distinct index won: nearly every signature is selected */
    uint8_t seen[201] = {0};
    uint64_t distinct = 0;
    for (size_t i = 0; i < f.ns; i++) {
        uint64_t si, *idx = NULL;
        size_t cnt = 0;
        CHECK_OK(mtl_stm_single_sig_info_jsonhex(f.sigs[i], &si, &idx, &cnt));
        for (size_t x = 0; x < cnt; x++)
            if (idx[x] <= 200 && !seen[idx[x]]) {
                seen[idx[x]] = 1;
                distinct++;
            }
        mtl_free(idx);
    }
    f.p.k = distinct;
    char *ms = NULL;
    CHECK_OK(mtl_stm_aggregate_jsonhex(f.closed, &f.p, (const char *const *)f.sigs, f.ns,
                                       (const uint8_t *)MSG, 64, &ms));
    CHECK_OK(mtl_stm_verify_multisig_jsonhex(ms, f.avk, (const uint8_t *)MSG, 64, &f.p));
    char *t1 = tamper_sigma(ms, 30);
    CHECK(t1 != NULL);
    /* the same tampering of element 30 alone and with a later one too: 30 named */
    char *t2 = t1 ? tamper_sigma(t1, 35) : NULL;
    CHECK(t2 != NULL);
    mtl_err e1 = mtl_stm_verify_multisig_jsonhex(t1, f.avk, (const uint8_t *)MSG, 64, &f.p);
    CHECK(e1 != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "signatures[30]") != NULL);
    mtl_err e2 = mtl_stm_verify_multisig_jsonhex(t2, f.avk, (const uint8_t *)MSG, 64, &f.p);
    CHECK(e2 != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "signatures[30]") != NULL);
    CHECK(strstr(mtl_err_detail(), "sigma") != NULL);
    mtl_free(t1);
    mtl_free(t2);
    mtl_free(ms);
    teardown(&f);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(decoded_aggregate_equals_full_clerk);
    RUN(remembered_verdict_is_for_its_message_only);
    RUN(threaded_decode_names_first_bad_signature);
    return DONE();
}
