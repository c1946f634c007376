/* single_sig.c - verification and inspection of single signatures. */
#include "stm_int.h"

static mtl_err load_single(struct stm_single *s, const char *hex)
{
    json_t *j;
    MTL_TRY(stm_json_load_hex(&j, hex, "single signature"));
    mtl_err rc = stm_single_from_json(s, j);
    json_decref(j);
    return rc;
}

mtl_err mtl_stm_single_sig_info_jsonhex(const char *sig_jsonhex, uint64_t *signer_index,
                                        uint64_t **indexes, size_t *count)
{
    struct stm_single s;
    MTL_TRY(load_single(&s, sig_jsonhex));
    if (signer_index)
        *signer_index = s.signer_index;
    if (count)
        *count = s.nindexes;
    if (indexes)
        *indexes = s.indexes;
    else
        mtl_free(s.indexes);
    return MTL_OK;
}

mtl_err mtl_stm_single_sig_verify_jsonhex(const struct mtl_stm_closed_reg *closed,
                                          const struct mtl_stm_params *params,
                                          const char *sig_jsonhex, const uint8_t *msg,
                                          size_t msg_len)
{
    struct stm_single s;
    MTL_TRY(mtl_stm_params_check(params));
    MTL_TRY(load_single(&s, sig_jsonhex));
    mtl_err rc = MTL_OK;
    uint8_t *msgp = NULL;
    if (s.signer_index >= closed->n) {
        rc = mtl_seterr(MTL_ERR_NOT_FOUND, "single signature: signer index %llu not registered",
                        (unsigned long long)s.signer_index);
        goto out;
    }
    const struct stm_party *party = &closed->parties[s.signer_index];
    msgp = stm_msgp(msg, msg_len, closed->tree.nodes[0]);
    if (!msgp) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "single signature: out of memory");
        goto out;
    }
    rc = stm_bls_verify(&s.sigma, &party->vk, msgp, msg_len + 32);
    if (rc != MTL_OK) {
        rc = mtl_err_wrap(rc, "single signature of signer %llu", (unsigned long long)s.signer_index);
        goto out;
    }
    rc = stm_single_check_indices(&s, params, party->stake, closed->total_stake, msgp, msg_len + 32);
out:
    mtl_free(msgp);
    stm_single_clear(&s);
    return rc;
}
