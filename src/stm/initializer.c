/* initializer.c - a party's BLS secret key, stake and parameters. */
#include <sodium.h>

#include "stm_int.h"

#define EXPORT_MAGIC "MTLSTMI1"
#define EXPORT_LEN (8 + 8 + 8 + 8 + 8 + 32)

struct mtl_stm_initializer {
    struct mtl_stm_params params;
    uint64_t stake;
    blst_scalar sk;
    struct stm_vk vk;
    uint8_t pop[MTL_STM_POP_BYTES];
};

static void derive(struct mtl_stm_initializer *in)
{
    stm_bls_sk_to_vk(&in->vk, &in->sk);
    stm_bls_pop(in->pop, &in->sk);
}

mtl_err mtl_stm_initializer_new(struct mtl_stm_initializer **out,
                                const struct mtl_stm_params *params, uint64_t stake,
                                const uint8_t *seed32)
{
    *out = NULL;
    MTL_TRY(mtl_stm_params_check(params));
    struct mtl_stm_initializer *in = mtl_calloc(1, sizeof(*in));
    MTL_CHECK(in, MTL_ERR_NOMEM, "initializer: out of memory");
    uint8_t ikm[32];
    if (seed32)
        memcpy(ikm, seed32, 32);
    else
        randombytes_buf(ikm, sizeof(ikm));
    stm_bls_keygen(&in->sk, ikm);
    mtl_memzero(ikm, sizeof(ikm));
    in->params = *params;
    in->stake = stake;
    derive(in);
    *out = in;
    return MTL_OK;
}

void mtl_stm_initializer_free(struct mtl_stm_initializer *in)
{
    if (!in)
        return;
    mtl_memzero(in, sizeof(*in));
    mtl_free(in);
}

uint64_t mtl_stm_initializer_stake(const struct mtl_stm_initializer *in)
{
    return in->stake;
}

void mtl_stm_initializer_params(const struct mtl_stm_initializer *in, struct mtl_stm_params *out)
{
    *out = in->params;
}

void mtl_stm_initializer_vk(const struct mtl_stm_initializer *in, uint8_t out[MTL_STM_VK_BYTES])
{
    memcpy(out, in->vk.bytes, MTL_STM_VK_BYTES);
}

mtl_err mtl_stm_initializer_vk_jsonhex(const struct mtl_stm_initializer *in, char **hex)
{
    json_t *j = json_object();
    if (j) {
        json_object_set_new(j, "vk", stm_json_from_bytes(in->vk.bytes, MTL_STM_VK_BYTES));
        json_object_set_new(j, "pop", stm_json_from_bytes(in->pop, MTL_STM_POP_BYTES));
    }
    return stm_json_dump_hex(hex, j);
}

mtl_err mtl_stm_initializer_export(const struct mtl_stm_initializer *in, uint8_t **bytes,
                                   size_t *len)
{
    uint8_t *b = mtl_malloc(EXPORT_LEN);
    MTL_CHECK(b, MTL_ERR_NOMEM, "initializer: out of memory");
    uint64_t phi_bits;
    memcpy(&phi_bits, &in->params.phi_f, 8);
    memcpy(b, EXPORT_MAGIC, 8);
    mtl_be64_put(b + 8, in->params.m);
    mtl_be64_put(b + 16, in->params.k);
    mtl_be64_put(b + 24, phi_bits);
    mtl_be64_put(b + 32, in->stake);
    blst_bendian_from_scalar(b + 40, &in->sk);
    *bytes = b;
    *len = EXPORT_LEN;
    return MTL_OK;
}

void mtl_stm_secret_free(uint8_t *bytes, size_t len)
{
    if (!bytes)
        return;
    mtl_memzero(bytes, len);
    mtl_free(bytes);
}

mtl_err mtl_stm_initializer_import(struct mtl_stm_initializer **out, const uint8_t *b, size_t len)
{
    *out = NULL;
    MTL_CHECK(len == EXPORT_LEN && memcmp(b, EXPORT_MAGIC, 8) == 0, MTL_ERR_BAD_ENCODING,
              "initializer: not an exported initializer (%zu bytes)", len);
    struct mtl_stm_initializer *in = mtl_calloc(1, sizeof(*in));
    MTL_CHECK(in, MTL_ERR_NOMEM, "initializer: out of memory");
    uint64_t phi_bits = mtl_be64_get(b + 24);
    in->params.m = mtl_be64_get(b + 8);
    in->params.k = mtl_be64_get(b + 16);
    memcpy(&in->params.phi_f, &phi_bits, 8);
    in->stake = mtl_be64_get(b + 32);
    blst_scalar_from_bendian(&in->sk, b + 40);
    if (mtl_stm_params_check(&in->params) != MTL_OK || !blst_sk_check(&in->sk)) {
        mtl_stm_initializer_free(in);
        return mtl_seterr(MTL_ERR_BAD_ENCODING, "initializer: corrupt parameters or secret key");
    }
    derive(in);
    *out = in;
    return MTL_OK;
}

/* Signing lives here: it needs the secret key. */
mtl_err mtl_stm_sign_sig(const struct mtl_stm_initializer *in,
                         const struct mtl_stm_closed_reg *closed, const uint8_t *msg,
                         size_t msg_len, struct mtl_stm_sig **out)
{
    *out = NULL;
    uint64_t index = UINT64_MAX;
    for (size_t i = 0; i < closed->n; i++)
        if (memcmp(closed->parties[i].vk.bytes, in->vk.bytes, MTL_STM_VK_BYTES) == 0 &&
            closed->parties[i].stake == in->stake) {
            index = i;
            break;
        }
    MTL_CHECK(index != UINT64_MAX, MTL_ERR_NOT_FOUND,
              "sign: this key and stake are not in the closed registration");
    uint8_t *msgp = stm_msgp(msg, msg_len, closed->tree.nodes[0]);
    struct mtl_stm_sig *sig = mtl_calloc(1, sizeof(*sig));
    uint64_t *idx = mtl_malloc((in->params.m ? in->params.m : 1) * sizeof(uint64_t));
    if (!msgp || !sig || !idx) {
        mtl_free(msgp);
        mtl_free(sig);
        mtl_free(idx);
        return mtl_seterr(MTL_ERR_NOMEM, "sign: out of memory");
    }
    struct stm_single *s = &sig->s;
    s->signer_index = index;
    s->indexes = idx;
    stm_bls_sign(&s->sigma, &in->sk, msgp, msg_len + 32);
    for (uint64_t i = 0; i < in->params.m; i++) {
        uint8_t ev[64];
        stm_dense_mapping(ev, msgp, msg_len + 32, i, s->sigma.bytes);
        if (mtl_stm_lottery_won(in->params.phi_f, ev, in->stake, closed->total_stake))
            s->indexes[s->nindexes++] = i;
    }
    mtl_free(msgp);
    if (s->nindexes == 0) {
        mtl_stm_sig_free(sig);
        return mtl_seterr(MTL_ERR_INELIGIBLE, "sign: no lottery won for this message");
    }
    *out = sig;
    return MTL_OK;
}

mtl_err mtl_stm_sign(const struct mtl_stm_initializer *in, const struct mtl_stm_closed_reg *closed,
                     const uint8_t *msg, size_t msg_len, char **sig_jsonhex, size_t *won)
{
    *sig_jsonhex = NULL;
    if (won)
        *won = 0;
    struct mtl_stm_sig *sig = NULL;
    MTL_TRY(mtl_stm_sign_sig(in, closed, msg, msg_len, &sig));
    mtl_err rc = mtl_stm_sig_encode_jsonhex(sig, sig_jsonhex);
    if (rc == MTL_OK && won)
        *won = sig->s.nindexes;
    mtl_stm_sig_free(sig);
    return rc;
}
