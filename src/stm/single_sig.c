/* single_sig.c - verification and inspection of single signatures. */
#include <sodium.h>

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
        rc =
            mtl_err_wrap(rc, "single signature of signer %llu", (unsigned long long)s.signer_index);
        goto out;
    }
    rc =
        stm_single_check_indices(&s, params, party->stake, closed->total_stake, msgp, msg_len + 32);
out:
    mtl_free(msgp);
    stm_single_clear(&s);
    return rc;
}

/* Batch check of parsed signatures: index bounds and lottery each, then the
 * BLS signatures of those left with one random-linear-combination check
 * (each alone when that fails). */
static mtl_err verify_batch(const struct mtl_stm_closed_reg *closed,
                            const struct mtl_stm_params *params, const struct stm_single *const *s,
                            size_t n, const uint8_t *msg, size_t msg_len, int *ok)
{
    for (size_t i = 0; i < n; i++)
        ok[i] = 0;
    if (n == 0)
        return MTL_OK;
    const struct stm_vk **vks = mtl_calloc(n, sizeof(*vks));
    const struct stm_sig **ss = mtl_calloc(n, sizeof(*ss));
    size_t *map = mtl_calloc(n, sizeof(*map)), m = 0;
    uint8_t *msgp = stm_msgp(msg, msg_len, closed->tree.nodes[0]);
    mtl_err rc = vks && ss && map && msgp
                     ? MTL_OK
                     : mtl_seterr(MTL_ERR_NOMEM, "batch verify: out of memory");
    for (size_t i = 0; rc == MTL_OK && i < n; i++) {
        if (!s[i] || s[i]->signer_index >= closed->n)
            continue;
        const struct stm_party *party = &closed->parties[s[i]->signer_index];
        if (stm_single_check_indices(s[i], params, party->stake, closed->total_stake, msgp,
                                     msg_len + 32) != MTL_OK)
            continue;
        vks[m] = &party->vk;
        ss[m] = &s[i]->sigma;
        map[m++] = i;
    }
    if (rc == MTL_OK && m > 0) {
        if (stm_bls_verify_aggregate(vks, ss, m, msgp, msg_len + 32) == MTL_OK) {
            for (size_t j = 0; j < m; j++)
                ok[map[j]] = 1;
        } else {
            for (size_t j = 0; j < m; j++)
                ok[map[j]] = stm_bls_verify(ss[j], vks[j], msgp, msg_len + 32) == MTL_OK;
        }
    }
    if (rc == MTL_OK)
        mtl_err_clear(); /* rejections are reported through ok[] */
    mtl_free(vks);
    mtl_free(ss);
    mtl_free(map);
    mtl_free(msgp);
    return rc;
}

mtl_err mtl_stm_single_sigs_verify_batch_jsonhex(const struct mtl_stm_closed_reg *closed,
                                                 const struct mtl_stm_params *params,
                                                 const char *const *sigs_jsonhex, size_t n,
                                                 const uint8_t *msg, size_t msg_len, int *ok)
{
    MTL_TRY(mtl_stm_params_check(params));
    for (size_t i = 0; i < n; i++)
        ok[i] = 0;
    if (n == 0)
        return MTL_OK;
    struct stm_single *s = mtl_calloc(n, sizeof(*s));
    const struct stm_single **ptr = mtl_calloc(n, sizeof(*ptr));
    mtl_err rc = s && ptr ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "batch verify: out of memory");
    for (size_t i = 0; rc == MTL_OK && i < n; i++)
        if (load_single(&s[i], sigs_jsonhex[i]) == MTL_OK)
            ptr[i] = &s[i];
    if (rc == MTL_OK)
        rc = verify_batch(closed, params, ptr, n, msg, msg_len, ok);
    for (size_t i = 0; ptr && i < n; i++)
        if (ptr[i])
            stm_single_clear(&s[i]);
    mtl_free(s);
    mtl_free(ptr);
    return rc;
}

/* ---- decoded single signatures ---- */

mtl_err mtl_stm_sig_decode_jsonhex(struct mtl_stm_sig **out, const char *sig_jsonhex)
{
    *out = NULL;
    struct mtl_stm_sig *sig = mtl_calloc(1, sizeof(*sig));
    MTL_CHECK(sig, MTL_ERR_NOMEM, "single signature: out of memory");
    mtl_err rc = load_single(&sig->s, sig_jsonhex);
    if (rc != MTL_OK) {
        mtl_free(sig);
        return rc;
    }
    *out = sig;
    return MTL_OK;
}

void mtl_stm_sig_free(struct mtl_stm_sig *sig)
{
    if (!sig)
        return;
    stm_single_clear(&sig->s);
    mtl_free(sig);
}

mtl_err mtl_stm_sig_encode_jsonhex(const struct mtl_stm_sig *sig, char **sig_jsonhex)
{
    *sig_jsonhex = NULL;
    return stm_json_dump_hex(sig_jsonhex, stm_single_to_json(&sig->s));
}

uint64_t mtl_stm_sig_signer_index(const struct mtl_stm_sig *sig)
{
    return sig->s.signer_index;
}

const uint64_t *mtl_stm_sig_indexes(const struct mtl_stm_sig *sig, size_t *count)
{
    *count = sig->s.nindexes;
    return sig->s.indexes;
}

void stm_check_fingerprint(uint8_t out[32], const struct mtl_stm_closed_reg *closed,
                           const struct mtl_stm_params *p, const uint8_t *msg, size_t msg_len)
{
    crypto_generichash_state st;
    uint8_t be[8];
    uint64_t phi;
    memcpy(&phi, &p->phi_f, sizeof(phi));
    const uint64_t fields[] = {closed->n, closed->total_stake, p->m, p->k, phi, msg_len};
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, closed->tree.nodes[0], 32);
    for (size_t i = 0; i < MTL_ARRAY_LEN(fields); i++) {
        mtl_be64_put(be, fields[i]);
        crypto_generichash_update(&st, be, sizeof(be));
    }
    crypto_generichash_update(&st, msg, msg_len);
    crypto_generichash_final(&st, out, 32);
}

mtl_err mtl_stm_sigs_verify_batch(const struct mtl_stm_closed_reg *closed,
                                  const struct mtl_stm_params *params,
                                  const struct mtl_stm_sig *const *sigs, size_t n,
                                  const uint8_t *msg, size_t msg_len, int *ok)
{
    MTL_TRY(mtl_stm_params_check(params));
    const struct stm_single **ptr = mtl_calloc(n ? n : 1, sizeof(*ptr));
    MTL_CHECK(ptr, MTL_ERR_NOMEM, "batch verify: out of memory");
    for (size_t i = 0; i < n; i++)
        ptr[i] = sigs[i] ? &sigs[i]->s : NULL;
    mtl_err rc = verify_batch(closed, params, ptr, n, msg, msg_len, ok);
    mtl_free(ptr);
    uint8_t fp[32];
    stm_check_fingerprint(fp, closed, params, msg, msg_len);
    /* The verdict is remembered in each signature (the header documents
     * this one mutation of a decoded signature). */
    for (size_t i = 0; rc == MTL_OK && i < n; i++) {
        struct mtl_stm_sig *memo = (struct mtl_stm_sig *)sigs[i];
        if (!memo)
            continue;
        memo->verified = 0;
        if (ok[i]) {
            memcpy(memo->verified_for, fp, sizeof(fp));
            memo->verified = 1;
        }
    }
    return rc;
}
