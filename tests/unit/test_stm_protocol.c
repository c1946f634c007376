/* test_stm_protocol.c - our own parties: register, sign, aggregate, verify;
 * below quorum, other message and other registration are rejected; keys
 * persist and reload; decoders reject malformed input. */
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "harness.h"
#include "stm/stm_int.h"

struct net {
    struct mtl_stm_initializer **inits;
    struct mtl_stm_closed_reg *closed;
    size_t n;
};

static mtl_err net_new(struct net *net, size_t n, const struct mtl_stm_params *p, uint32_t seed)
{
    struct mtl_stm_keyreg *reg;
    net->n = n;
    net->inits = mtl_calloc(n, sizeof(*net->inits));
    MTL_TRY(mtl_stm_keyreg_new(&reg));
    for (size_t i = 0; i < n; i++) {
        uint8_t s[32] = {0};
        memcpy(s, &seed, 4);
        s[4] = (uint8_t)i;
        uint64_t stake = 1000 + (seed * 7919u + i * 104729u) % 100000;
        MTL_TRY(mtl_stm_initializer_new(&net->inits[i], p, stake, s));
        char *vk;
        MTL_TRY(mtl_stm_initializer_vk_jsonhex(net->inits[i], &vk));
        mtl_err rc = mtl_stm_keyreg_register_jsonhex(reg, stake, vk);
        mtl_free(vk);
        MTL_TRY(rc);
    }
    mtl_err rc = mtl_stm_keyreg_close(reg, &net->closed);
    mtl_stm_keyreg_free(reg);
    return rc;
}

static void net_free(struct net *net)
{
    for (size_t i = 0; i < net->n; i++)
        mtl_stm_initializer_free(net->inits[i]);
    mtl_free(net->inits);
    mtl_stm_closed_reg_free(net->closed);
}

/* Everyone signs; returns the number of signatures. */
static size_t sign_all(struct net *net, const struct mtl_stm_params *p, const uint8_t *msg,
                       size_t len, char **sigs)
{
    size_t ns = 0;
    for (size_t i = 0; i < net->n; i++) {
        size_t won;
        mtl_err rc = mtl_stm_sign(net->inits[i], net->closed, msg, len, &sigs[ns], &won);
        if (rc == MTL_OK) {
            if (mtl_stm_single_sig_verify_jsonhex(net->closed, p, sigs[ns], msg, len) != MTL_OK)
                return 0;
            ns++;
        } else if (rc != MTL_ERR_INELIGIBLE) {
            return 0;
        }
    }
    return ns;
}

TEST(honest_parties_aggregate_and_verify)
{
    for (uint32_t seed = 1; seed <= 4; seed++) {
        struct mtl_stm_params p = {.m = 50 + seed * 10, .k = 8 + seed, .phi_f = 0.2 + 0.15 * seed};
        struct net net;
        CHECK_OK(net_new(&net, 3 + seed * 2, &p, seed));
        char *avk, *ms, *sigs[16] = {0};
        uint8_t msg[32];
        randombytes_buf(msg, sizeof(msg));
        size_t ns = sign_all(&net, &p, msg, sizeof(msg), sigs);
        CHECK(ns > 0);
        CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(net.closed, &avk));
        mtl_err rc = mtl_stm_aggregate_jsonhex(net.closed, &p, (const char *const *)sigs, ns, msg,
                                               sizeof(msg), &ms);
        CHECK_OK(rc);
        CHECK_OK(mtl_stm_verify_multisig_jsonhex(ms, avk, msg, sizeof(msg), &p));
        /* another message */
        uint8_t other[32];
        memcpy(other, msg, 32);
        other[31] ^= 1;
        CHECK(mtl_stm_verify_multisig_jsonhex(ms, avk, other, sizeof(other), &p) != MTL_OK);
        /* another registration (different seed => different keys and root) */
        struct net net2;
        char *avk2;
        CHECK_OK(net_new(&net2, net.n, &p, seed + 100));
        CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(net2.closed, &avk2));
        CHECK(mtl_stm_verify_multisig_jsonhex(ms, avk2, msg, sizeof(msg), &p) != MTL_OK);
        CHECK(mtl_stm_single_sig_verify_jsonhex(net2.closed, &p, sigs[0], msg, sizeof(msg)) !=
              MTL_OK);
        /* above every possible quorum: aggregation fails with the quorum error */
        struct mtl_stm_params q = p;
        q.k = p.m + 1;
        char *ms2 = NULL;
        CHECK_ERR(mtl_stm_aggregate_jsonhex(net.closed, &q, (const char *const *)sigs, ns, msg,
                                            sizeof(msg), &ms2),
                  MTL_ERR_NOT_ENOUGH_SIGS);
        CHECK_ERR(mtl_stm_aggregate_jsonhex(net.closed, &p, (const char *const *)sigs, 0, msg,
                                            sizeof(msg), &ms2),
                  MTL_ERR_NOT_ENOUGH_SIGS);
        for (size_t i = 0; i < ns; i++)
            mtl_free(sigs[i]);
        mtl_free(avk);
        mtl_free(avk2);
        mtl_free(ms);
        net_free(&net);
        net_free(&net2);
    }
}

TEST(duplicate_key_and_bad_pop_are_refused)
{
    struct mtl_stm_params p = {.m = 10, .k = 2, .phi_f = 0.5};
    struct mtl_stm_initializer *a, *b;
    uint8_t s1[32] = {1}, s2[32] = {2};
    CHECK_OK(mtl_stm_initializer_new(&a, &p, 10, s1));
    CHECK_OK(mtl_stm_initializer_new(&b, &p, 10, s2));
    char *va, *vb;
    CHECK_OK(mtl_stm_initializer_vk_jsonhex(a, &va));
    CHECK_OK(mtl_stm_initializer_vk_jsonhex(b, &vb));
    struct mtl_stm_keyreg *reg;
    CHECK_OK(mtl_stm_keyreg_new(&reg));
    CHECK_OK(mtl_stm_keyreg_register_jsonhex(reg, 10, va));
    CHECK_ERR(mtl_stm_keyreg_register_jsonhex(reg, 99, va), MTL_ERR_CONFLICT);
    /* a's key with b's proof of possession */
    json_t *ja, *jb;
    CHECK_OK(stm_json_load_hex(&ja, va, "a"));
    CHECK_OK(stm_json_load_hex(&jb, vb, "b"));
    json_object_set(ja, "pop", json_object_get(jb, "pop"));
    char *mixed;
    CHECK_OK(stm_json_dump_hex(&mixed, ja));
    json_decref(jb);
    struct mtl_stm_keyreg *reg2;
    CHECK_OK(mtl_stm_keyreg_new(&reg2));
    CHECK_ERR(mtl_stm_keyreg_register_jsonhex(reg2, 10, mixed), MTL_ERR_VERIFY_FAIL);
    CHECK_ERR(mtl_stm_keyreg_register_jsonhex(reg2, 10, "00"), MTL_ERR_BAD_ENCODING);
    struct mtl_stm_closed_reg *c;
    CHECK_ERR(mtl_stm_keyreg_close(reg2, &c), MTL_ERR_STATE);
    /* a total stake beyond the messages' integer range: refused at close */
    CHECK_OK(mtl_stm_keyreg_register_jsonhex(reg2, (uint64_t)INT64_MAX, vb));
    CHECK_OK(mtl_stm_keyreg_close(reg2, &c));
    mtl_stm_closed_reg_free(c);
    CHECK_OK(mtl_stm_keyreg_register_jsonhex(reg2, 1, va));
    CHECK_ERR(mtl_stm_keyreg_close(reg2, &c), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "2^63 - 1"));
    mtl_free(mixed);
    mtl_free(va);
    mtl_free(vb);
    mtl_stm_keyreg_free(reg);
    mtl_stm_keyreg_free(reg2);
    mtl_stm_initializer_free(a);
    mtl_stm_initializer_free(b);
}

TEST(initializer_export_import_roundtrip)
{
    struct mtl_stm_params p = {.m = 20, .k = 3, .phi_f = 0.65};
    struct mtl_stm_initializer *a, *b;
    CHECK_OK(mtl_stm_initializer_new(&a, &p, 77, NULL));
    uint8_t *bytes;
    size_t len;
    CHECK_OK(mtl_stm_initializer_export(a, &bytes, &len));
    CHECK_OK(mtl_stm_initializer_import(&b, bytes, len));
    uint8_t va[96], vb[96];
    mtl_stm_initializer_vk(a, va);
    mtl_stm_initializer_vk(b, vb);
    CHECK_MEM(va, vb, 96);
    CHECK_EQ_INT(mtl_stm_initializer_stake(b), 77);
    bytes[len - 1] ^= 0xff; /* still a scalar, different key */
    bytes[0] ^= 1;          /* wrong magic */
    struct mtl_stm_initializer *c;
    CHECK_ERR(mtl_stm_initializer_import(&c, bytes, len), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_stm_initializer_import(&c, bytes, len - 1), MTL_ERR_BAD_ENCODING);
    mtl_stm_secret_free(bytes, len);
    mtl_stm_initializer_free(a);
    mtl_stm_initializer_free(b);
}

/* The double fast path and the exact bignum replay agree, including right at
 * the decision boundary where only the exact replay can tell. */
TEST(lottery_boundaries)
{
    uint8_t ev[64];
    memset(ev, 0, sizeof(ev));
    CHECK(mtl_stm_lottery_won(1.0, ev, 1, 100));   /* phi_f = 1 always wins */
    CHECK(!mtl_stm_lottery_won(0.5, ev, 0, 100));  /* no stake never wins (q=1 undecided) */
    memset(ev, 0xff, sizeof(ev));
    CHECK(!mtl_stm_lottery_won(0.5, ev, 50, 100)); /* ev ~ 2^512: q huge, lost */
    /* ev = 2^511: q = 2, wins iff exp(x) > 2 i.e. 1-(1-phi)^w > 1/2 */
    memset(ev, 0, sizeof(ev));
    ev[63] = 0x80;
    CHECK(mtl_stm_lottery_won(0.8, ev, 100, 100));  /* 1-0.2 = 0.8 > 0.5 */
    CHECK(!mtl_stm_lottery_won(0.2, ev, 100, 100)); /* 0.2 < 0.5 */
    /* phi_f = 0.5, w = 1: phi = 0.5 exactly vs p = 0.5: q == exp(ln 2) up to
     * the rounding of ln(0.5): the exact replay decides, deterministically. */
    int v1 = mtl_stm_lottery_won(0.5, ev, 100, 100), v2 = mtl_stm_lottery_won(0.5, ev, 7, 7);
    CHECK(v1 == v2);
}

TEST(lottery_win_rate_matches_phi)
{
    /* With stake share w the win probability is 1-(1-phi_f)^w. */
    uint8_t ev[64];
    int wins = 0, n = 20000;
    for (int i = 0; i < n; i++) {
        randombytes_buf(ev, sizeof(ev));
        wins += mtl_stm_lottery_won(0.65, ev, 1, 4);
    }
    double expect = 1.0 - pow(0.35, 0.25), got = (double)wins / n;
    CHECK(fabs(got - expect) < 0.02);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(honest_parties_aggregate_and_verify);
    RUN(duplicate_key_and_bad_pop_are_refused);
    RUN(initializer_export_import_roundtrip);
    RUN(lottery_boundaries);
    RUN(lottery_win_rate_matches_phi);
    return DONE();
}
