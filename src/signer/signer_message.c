/* signer_message.c - what the signer signs, computed from its own data: the
 * AVK of a signer list with the stakes it read from the chain (the protocol
 * message itself is mtl_signed_entity_message's), and the messages it posts. */
#include <string.h>

#include "signer_int.h"

mtl_err signer_parse_params(const json_t *j, struct mtl_stm_params *p)
{
    json_t *k = json_object_get(j, "k"), *m = json_object_get(j, "m"),
           *phi = json_object_get(j, "phi_f");
    MTL_CHECK(json_is_integer(k) && json_is_integer(m) && json_is_number(phi) &&
                  json_integer_value(k) > 0 && json_integer_value(m) > 0,
              MTL_ERR_BAD_ENCODING, "protocol parameters: need positive integers k, m and phi_f");
    p->k = (uint64_t)json_integer_value(k);
    p->m = (uint64_t)json_integer_value(m);
    p->phi_f = json_number_value(phi);
    return mtl_stm_params_check(p);
}

mtl_err signer_closed_reg(const json_t *signers, const json_t *stakes,
                          struct mtl_stm_closed_reg **out)
{
    *out = NULL;
    MTL_CHECK(json_is_array(signers), MTL_ERR_BAD_ENCODING, "signers: expected an array");
    MTL_CHECK(json_array_size(signers) > 0, MTL_ERR_NOT_FOUND, "signers: empty list");
    struct mtl_stm_keyreg *reg = NULL;
    MTL_TRY(mtl_stm_keyreg_new(&reg));
    mtl_err e = MTL_OK;
    size_t i;
    json_t *s;
    json_array_foreach(signers, i, s)
    {
        const char *party = json_string_value(json_object_get(s, "party_id"));
        const char *vk = json_string_value(json_object_get(s, "verification_key"));
        if (!party || !vk) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "signer #%zu: no party_id or verification_key", i);
            break;
        }
        json_t *st = json_object_get(stakes, party);
        if (!json_is_integer(st) || json_integer_value(st) <= 0) {
            e = mtl_seterr(MTL_ERR_NOT_FOUND, "no stake associated with signer %s", party);
            break;
        }
        e = mtl_stm_keyreg_register_jsonhex(reg, (uint64_t)json_integer_value(st), vk);
        if (e != MTL_OK) {
            e = mtl_err_wrap(e, "signer %s", party);
            break;
        }
    }
    if (e == MTL_OK)
        e = mtl_stm_keyreg_close(reg, out);
    mtl_stm_keyreg_free(reg);
    return e;
}

mtl_err signer_avk(const json_t *signers, const json_t *stakes, char **avk_jsonhex)
{
    struct mtl_stm_closed_reg *closed = NULL;
    MTL_TRY(signer_closed_reg(signers, stakes, &closed));
    mtl_err e = mtl_stm_closed_reg_avk_jsonhex(closed, avk_jsonhex);
    mtl_stm_closed_reg_free(closed);
    return e;
}

mtl_err signer_signature_message(const struct mtl_signed_entity_type *t, const char *party_id,
                                 const struct mtl_stm_sig *sig, const char *signed_message,
                                 char **json)
{
    *json = NULL;
    char *entity = NULL, *sig_jsonhex = NULL;
    size_t n = 0;
    const uint64_t *idx = mtl_stm_sig_indexes(sig, &n);
    MTL_TRY(mtl_signed_entity_type_to_json(t, &entity));
    mtl_err e = mtl_stm_sig_encode_jsonhex(sig, &sig_jsonhex);
    json_t *ent = e == MTL_OK ? json_loads(entity, JSON_DECODE_ANY, NULL) : NULL;
    json_t *indexes = json_array();
    for (size_t i = 0; ent && indexes && i < n; i++)
        json_array_append_new(indexes, json_integer((json_int_t)idx[i]));
    /* Field order as the reference's RegisterSignatureMessageHttp. */
    json_t *msg = ent && indexes ? json_pack("{s:o,s:s,s:s,s:o,s:s}", "entity_type", ent,
                                             "party_id", party_id, "signature", sig_jsonhex,
                                             "indexes", indexes, "signed_message", signed_message)
                                 : NULL;
    if (e == MTL_OK && !msg)
        e = mtl_seterr(MTL_ERR_NOMEM, "register-signatures message");
    if (e == MTL_OK) {
        char *txt = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
        *json = txt ? mtl_strdup(txt) : NULL;
        free(txt);
        if (!*json)
            e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    json_decref(msg);
    mtl_free(sig_jsonhex);
    mtl_free(entity);
    return e;
}
