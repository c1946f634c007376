/* signer_message.c - what the signer signs, computed from its own data: the
 * AVK of a signer list with the stakes it read from the chain, the protocol
 * message of a signed entity, and the messages it posts. */
#include <string.h>

#include "signer_int.h"

static const char *const KIND_NAMES[] = {
    "MithrilStakeDistribution", "CardanoStakeDistribution", "CardanoImmutableFilesFull",
    "CardanoTransactions",      "CardanoDatabase",          "CardanoBlocksTransactions",
};

int signer_kind_parse(const char *name)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(KIND_NAMES); i++)
        if (strcmp(name, KIND_NAMES[i]) == 0)
            return (int)i;
    return -1;
}

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

mtl_err signer_protocol_message(const struct mtl_signed_entity_type *t, const char *next_avk,
                                const struct mtl_stm_params *next_params, const char *merkle_root,
                                struct mtl_protocol_message **out)
{
    *out = NULL;
    MTL_CHECK(t->kind == MTL_SET_MITHRIL_STAKE_DISTRIBUTION || t->kind == MTL_SET_CARDANO_DATABASE,
              MTL_ERR_INVALID_ARG, "signed entity type %s is not supported by this signer",
              mtl_signed_entity_kind_name(t->kind));
    MTL_CHECK(t->kind != MTL_SET_CARDANO_DATABASE || (merkle_root && strlen(merkle_root) == 64),
              MTL_ERR_INVALID_ARG, "CardanoDatabase needs a Merkle root");
    char params_hash[MTL_HASH_HEX_BYTES], epoch[24];
    mtl_protocol_parameters_hash(next_params, params_hash);
    snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)t->epoch);
    struct mtl_protocol_message *pm = NULL;
    MTL_TRY(mtl_protocol_message_new(&pm));
    mtl_err e = mtl_protocol_message_set(pm, "next_aggregate_verification_key", next_avk);
    if (e == MTL_OK)
        e = mtl_protocol_message_set(pm, "next_protocol_parameters", params_hash);
    if (e == MTL_OK)
        e = mtl_protocol_message_set(pm, "current_epoch", epoch);
    if (e == MTL_OK && t->kind == MTL_SET_CARDANO_DATABASE)
        e = mtl_protocol_message_set(pm, "cardano_database_merkle_root", merkle_root);
    if (e != MTL_OK) {
        mtl_protocol_message_free(pm);
        return e;
    }
    *out = pm;
    return MTL_OK;
}

mtl_err signer_signature_message(const struct mtl_signed_entity_type *t, const char *party_id,
                                 const char *sig_jsonhex, const char *signed_message, char **json)
{
    *json = NULL;
    char *entity = NULL;
    uint64_t signer_index = 0, *idx = NULL;
    size_t n = 0;
    MTL_TRY(mtl_signed_entity_type_to_json(t, &entity));
    mtl_err e = mtl_stm_single_sig_info_jsonhex(sig_jsonhex, &signer_index, &idx, &n);
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
    mtl_free(idx);
    mtl_free(entity);
    return e;
}
