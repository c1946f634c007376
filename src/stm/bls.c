/* bls.c - BLS12-381 "min_sig" as the reference uses it: hash-to-G1 with an
 * empty DST, keys in G2, proof of possession (k1 = sign("PoP"), k2 = sk*G1). */
#include <pthread.h>
#include <sodium.h>

#include "stm_int.h"

static const uint8_t EMPTY_DST[1] = {0};
static const uint8_t POP_MSG[3] = {'P', 'o', 'P'};

void stm_bls_keygen(blst_scalar *sk, const uint8_t ikm[32])
{
    blst_keygen(sk, ikm, 32, NULL, 0);
}

void stm_bls_sk_to_vk(struct stm_vk *vk, const blst_scalar *sk)
{
    blst_p2 p;
    blst_sk_to_pk_in_g2(&p, sk);
    blst_p2_to_affine(&vk->pt, &p);
    blst_p2_affine_compress(vk->bytes, &vk->pt);
}

static void sign_point(blst_p1 *out, const blst_scalar *sk, const uint8_t *msg, size_t len)
{
    blst_p1 h;
    blst_hash_to_g1(&h, msg, len, EMPTY_DST, 0, NULL, 0);
    blst_sign_pk_in_g2(out, &h, sk);
}

void stm_bls_sign(struct stm_sig *sig, const blst_scalar *sk, const uint8_t *msg, size_t len)
{
    blst_p1 s;
    sign_point(&s, sk, msg, len);
    blst_p1_to_affine(&sig->pt, &s);
    blst_p1_affine_compress(sig->bytes, &sig->pt);
}

void stm_bls_pop(uint8_t pop[MTL_STM_POP_BYTES], const blst_scalar *sk)
{
    blst_p1 k1, k2;
    sign_point(&k1, sk, POP_MSG, sizeof(POP_MSG));
    blst_sk_to_pk_in_g1(&k2, sk);
    blst_p1_compress(pop, &k1);
    blst_p1_compress(pop + 48, &k2);
}

mtl_err stm_vk_decode(struct stm_vk *vk, const uint8_t bytes[MTL_STM_VK_BYTES])
{
    BLST_ERROR e = blst_p2_uncompress(&vk->pt, bytes);
    MTL_CHECK(e == BLST_SUCCESS, MTL_ERR_BAD_ENCODING,
              "verification key: not a compressed G2 point (blst error %d)", (int)e);
    MTL_CHECK(!blst_p2_affine_is_inf(&vk->pt), MTL_ERR_NOT_IN_GROUP,
              "verification key: point at infinity");
    MTL_CHECK(blst_p2_affine_in_g2(&vk->pt), MTL_ERR_NOT_IN_GROUP,
              "verification key: not in the G2 subgroup");
    memcpy(vk->bytes, bytes, MTL_STM_VK_BYTES);
    return MTL_OK;
}

mtl_err stm_sig_decode(struct stm_sig *sig, const uint8_t bytes[MTL_STM_SIG_BYTES])
{
    BLST_ERROR e = blst_p1_uncompress(&sig->pt, bytes);
    MTL_CHECK(e == BLST_SUCCESS, MTL_ERR_BAD_ENCODING,
              "signature: not a compressed G1 point (blst error %d)", (int)e);
    MTL_CHECK(!blst_p1_affine_is_inf(&sig->pt), MTL_ERR_NOT_IN_GROUP,
              "signature: point at infinity");
    MTL_CHECK(blst_p1_affine_in_g1(&sig->pt), MTL_ERR_NOT_IN_GROUP,
              "signature: not in the G1 subgroup");
    memcpy(sig->bytes, bytes, MTL_STM_SIG_BYTES);
    return MTL_OK;
}

mtl_err stm_pop_check(const struct stm_vk *vk, const uint8_t pop[MTL_STM_POP_BYTES])
{
    struct stm_sig k1;
    blst_p1_affine k2;
    MTL_TRY(stm_sig_decode(&k1, pop));
    MTL_CHECK(blst_p1_uncompress(&k2, pop + 48) == BLST_SUCCESS, MTL_ERR_BAD_ENCODING,
              "proof of possession: k2 is not a compressed G1 point");
    MTL_CHECK(blst_p1_affine_in_g1(&k2), MTL_ERR_NOT_IN_GROUP,
              "proof of possession: k2 not in the G1 subgroup");
    /* e(G1, vk) == e(k2, G2): k2 carries the same secret as vk. */
    blst_fp12 lhs, rhs;
    blst_miller_loop(&lhs, &vk->pt, blst_p1_affine_generator());
    blst_miller_loop(&rhs, blst_p2_affine_generator(), &k2);
    MTL_CHECK(blst_fp12_finalverify(&lhs, &rhs), MTL_ERR_VERIFY_FAIL,
              "proof of possession: pairing check failed");
    MTL_CHECK(stm_bls_verify(&k1, vk, POP_MSG, sizeof(POP_MSG)) == MTL_OK, MTL_ERR_VERIFY_FAIL,
              "proof of possession: k1 is not a signature of \"PoP\"");
    return MTL_OK;
}

mtl_err stm_bls_verify(const struct stm_sig *sig, const struct stm_vk *vk, const uint8_t *msg,
                       size_t len)
{
    BLST_ERROR e =
        blst_core_verify_pk_in_g2(&vk->pt, &sig->pt, true, msg, len, EMPTY_DST, 0, NULL, 0);
    MTL_CHECK(e == BLST_SUCCESS, MTL_ERR_VERIFY_FAIL, "BLS signature does not verify");
    return MTL_OK;
}

/* The G1 multi-scalar multiplication, run beside the G2 one. */
struct msm1 {
    blst_p1 out;
    const blst_p1_affine *const *pts;
    const uint8_t *const *sc;
    size_t n;
    limb_t *scratch;
};

static void *msm1_run(void *arg)
{
    struct msm1 *j = arg;
    blst_p1s_mult_pippenger(&j->out, j->pts, j->n, j->sc, 128, j->scratch);
    return NULL;
}

mtl_err stm_bls_verify_aggregate(const struct stm_vk *const *vks, const struct stm_sig *const *sigs,
                                 size_t n, const uint8_t *msg, size_t len)
{
    MTL_CHECK(n > 0, MTL_ERR_INVALID_ARG, "aggregate: no signature");
    if (n == 1)
        return stm_bls_verify(sigs[0], vks[0], msg, len);
    /* Scalars: Blake2b-128(all sigs || index as u64 BE), little-endian. */
    crypto_generichash_state base;
    crypto_generichash_init(&base, NULL, 0, 16);
    for (size_t i = 0; i < n; i++)
        crypto_generichash_update(&base, sigs[i]->bytes, MTL_STM_SIG_BYTES);
    uint8_t *scalars = mtl_malloc(n * 16);
    const uint8_t **sp = mtl_malloc(n * sizeof(*sp));
    const blst_p1_affine **p1 = mtl_malloc(n * sizeof(*p1));
    const blst_p2_affine **p2 = mtl_malloc(n * sizeof(*p2));
    limb_t *scratch1 = mtl_malloc(blst_p1s_mult_pippenger_scratch_sizeof(n));
    limb_t *scratch2 = mtl_malloc(blst_p2s_mult_pippenger_scratch_sizeof(n));
    mtl_err rc = MTL_OK;
    if (!scalars || !sp || !p1 || !p2 || !scratch1 || !scratch2) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "aggregate: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        crypto_generichash_state st = base;
        uint8_t be[8];
        mtl_be64_put(be, (uint64_t)i);
        crypto_generichash_update(&st, be, 8);
        crypto_generichash_final(&st, scalars + 16 * i, 16);
        sp[i] = scalars + 16 * i;
        p1[i] = &sigs[i]->pt;
        p2[i] = &vks[i]->pt;
    }
    /* G1 on a second thread when large enough to pay for it. */
    struct msm1 j1 = {.pts = p1, .sc = sp, .n = n, .scratch = scratch1};
    pthread_t th;
    int threaded = n >= 64 && pthread_create(&th, NULL, msm1_run, &j1) == 0;
    blst_p2 avk;
    blst_p1_affine asig_a;
    blst_p2_affine avk_a;
    blst_p2s_mult_pippenger(&avk, p2, n, sp, 128, scratch2);
    if (threaded)
        pthread_join(th, NULL);
    else
        msm1_run(&j1);
    blst_p1_to_affine(&asig_a, &j1.out);
    blst_p2_to_affine(&avk_a, &avk);
    BLST_ERROR e =
        blst_core_verify_pk_in_g2(&avk_a, &asig_a, true, msg, len, EMPTY_DST, 0, NULL, 0);
    if (e != BLST_SUCCESS)
        rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "aggregated BLS signature does not verify");
out:
    mtl_free(scalars);
    mtl_free(sp);
    mtl_free(p1);
    mtl_free(p2);
    mtl_free(scratch1);
    mtl_free(scratch2);
    return rc;
}
