/* aggregator_signatures.c - POST /register-signatures: each single
 * signature is checked on arrival (open message, party, signed message,
 * lottery and BLS signature) and handed to the certifier, decoded; nothing
 * is stored on any error. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_certifier.h"
#include "common/common_int.h"
#include "log.h"

/* The entity_type member, strictly (mtl_signed_entity_type_from_json). */
static int parse_entity(json_t *j, struct mtl_signed_entity_type *t)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int ok = s && mtl_signed_entity_type_from_json(t, s, strlen(s)) == MTL_OK;
    free(s);
    return ok;
}

/* The signature decoded (once: the certifier keeps it so), its signer
 * index and indexes those claimed, verified against signed_message; NULL
 * after an error answer. */
static struct mtl_stm_sig *checked_signature(struct app_http_response *r, struct agg_signers *g,
                                             const struct mtl_stm_params *params,
                                             const char *signed_message, const char *party,
                                             size_t pos, const char *sig, const json_t *indexes)
{
    struct mtl_stm_sig *dec = NULL;
    size_t nidx = 0;
    if (mtl_stm_sig_decode_jsonhex(&dec, sig) != MTL_OK) {
        app_http_error(r, 400, "invalid_signature", "register-signatures: signature: %s",
                       mtl_err_detail());
        return NULL;
    }
    const uint64_t *idx = mtl_stm_sig_indexes(dec, &nidx);
    int same = json_array_size(indexes) == nidx && mtl_stm_sig_signer_index(dec) == pos;
    for (size_t i = 0; same && i < nidx; i++)
        same = json_is_integer(json_array_get(indexes, i)) &&
               (uint64_t)json_integer_value(json_array_get(indexes, i)) == idx[i];
    if (!same) {
        app_http_error(r, 400, "invalid_signature",
                       "register-signatures: the signature's signer index or indexes do not"
                       " match party %s and the indexes given",
                       party);
        mtl_stm_sig_free(dec);
        return NULL;
    }
    /* Batched with concurrent requests; a refusal is re-checked alone to
     * name what is wrong. */
    if (!agg_verify_signature(g, params, dec, signed_message) &&
        mtl_stm_single_sig_verify_jsonhex(g->closed, params, sig,
                                          (const uint8_t *)signed_message, 64) != MTL_OK) {
        app_http_error(r, 400, "invalid_signature", "register-signatures: party %s: %s", party,
                       mtl_err_detail());
        mtl_stm_sig_free(dec);
        return NULL;
    }
    return dec;
}

/* Hand the checked signature (dec: owned) to the certifier; the answer. */
static void hand_over(struct app_http_response *r, struct agg *a, struct agg_signers *g,
                      const struct mtl_stm_params *params, const struct agg_open_message *m,
                      const char *party, const char *sig, struct mtl_stm_sig *dec)
{
    size_t nidx = 0;
    mtl_stm_sig_indexes(dec, &nidx);
    mtl_err e = agg_certifier_register(a, m, g, params, party, sig, dec);
    if (e == MTL_ERR_CONFLICT) { /* the reference stores it again: 201; the first one stands */
        log_debug("signature_already_registered", "party=%s entity=%s", party, m->signed_entity);
        app_http_json(r, 201, "");
    } else if (e == MTL_ERR_STATE)
        app_http_error(r, 410, "already_certified", "register-signatures: %s", mtl_err_detail());
    else if (e == MTL_ERR_TOO_BIG) /* the signer tries again later */
        app_http_error(r, 503, "certifier_full", "register-signatures: %s", mtl_err_detail());
    else if (e != MTL_OK)
        app_http_error(r, 500, "internal_error", "%s", mtl_err_detail());
    else {
        log_debug("signature_registered", "party=%s entity=%s won=%zu", party, m->signed_entity,
                  nidx);
        app_http_json(r, 201, "");
    }
}

/* No open message for t yet (this epoch's: it may open on a later tick, e.g.
 * the aggregator's node is behind the signer's): as the reference, a
 * signature authenticated against the signed_message it claims (a current
 * signer, valid BLS and lottery) is kept and answered 202; it is verified
 * against the message when that opens (agg_certifier_drain). */
static void buffer_early(struct app_http_response *r, struct agg *a, struct agg_signers *g,
                         const struct mtl_stm_params *params, const struct mtl_signed_entity_type *t,
                         const char *key, const char *party, const char *sig, const char *msg,
                         const json_t *indexes)
{
    size_t pos = agg_signers_find(g, party);
    if (pos == g->n) {
        app_http_error(r, 400, "unknown_party",
                       "register-signatures: party %s is not a signer of epoch %llu", party,
                       (unsigned long long)t->epoch);
        return;
    }
    if (strlen(msg) != 64) {
        app_http_error(r, 400, "wrong_message",
                       "register-signatures: signed_message must be 64 hex characters");
        return;
    }
    struct mtl_stm_sig *dec = checked_signature(r, g, params, msg, party, pos, sig, indexes);
    if (!dec)
        return;
    if (agg_certifier_buffer(a->certifier, t, key, party, sig, dec) != MTL_OK) {
        app_http_error(r, 500, "internal_error", "%s", mtl_err_detail());
        return;
    }
    log_debug("signature_buffered", "party=%s entity=%s", party, key);
    app_http_json(r, 202, "");
}

void agg_register_signatures(struct agg *a, const char *body, size_t len,
                             struct app_http_response *r)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    char *key = NULL;
    struct agg_open_message m;
    memset(&m, 0, sizeof(m));
    struct agg_signers *g = NULL;
    struct mtl_stm_params params;
    uint64_t epoch = 0;
    int have = 0;
    if (!json_is_object(j)) {
        app_http_error(r, 400, "invalid_json", "register-signatures: body is not a JSON object%s%s",
                       j ? "" : ": ", j ? "" : je.text);
        goto done;
    }
    struct mtl_signed_entity_type t;
    mtl_err_clear(); /* a detail below is then the entity's */
    const char *party = json_string_value(json_object_get(j, "party_id"));
    const char *sig = json_string_value(json_object_get(j, "signature"));
    const char *msg = json_string_value(json_object_get(j, "signed_message"));
    json_t *indexes = json_object_get(j, "indexes");
    if (!party || !*party || !sig || !msg || !json_is_array(indexes) ||
        !parse_entity(json_object_get(j, "entity_type"), &t)) {
        app_http_error(r, 400, "invalid_message",
                       "register-signatures: need entity_type (a signed entity), party_id,"
                       " signature, indexes and signed_message%s%s",
                       *mtl_err_detail() ? ": " : "", mtl_err_detail());
        goto done;
    }
    if (mtl_signed_entity_type_to_json(&t, &key) != MTL_OK) {
        app_http_error(r, 500, "internal_error", "%s", mtl_err_detail());
        goto done;
    }
    g = agg_runtime_signers(a, &params, &epoch, &have);
    mtl_err e = agg_store_open_message_get(&a->store, key, &m);
    if (e == MTL_ERR_NOT_FOUND && have && g && mtl_signed_entity_signed_epoch(&t) == epoch) {
        buffer_early(r, a, g, &params, &t, key, party, sig, msg, indexes);
        goto done;
    }
    if (e == MTL_ERR_NOT_FOUND ||
        (e == MTL_OK && (!have || mtl_signed_entity_signed_epoch(&m.type) != epoch))) {
        if (have && mtl_signed_entity_signed_epoch(&t) < epoch)
            app_http_error(r, 410, "expired",
                           "register-signatures: epoch %llu is closed"
                           " (current epoch %llu)",
                           (unsigned long long)t.epoch, (unsigned long long)epoch);
        else
            app_http_error(r, 404, "not_found", "register-signatures: no open message for %s", key);
        goto done;
    }
    if (e != MTL_OK) {
        app_http_error(r, 500, "internal_error", "%s", mtl_err_detail());
        goto done;
    }
    if (m.is_certified) {
        app_http_error(r, 410, "already_certified", "register-signatures: %s is already certified",
                       key);
        goto done;
    }
    if (strcmp(msg, m.signed_message) != 0) {
        app_http_error(r, 400, "wrong_message",
                       "register-signatures: signed_message %.64s is not the open message of %s",
                       msg, key);
        goto done;
    }
    size_t pos = g ? agg_signers_find(g, party) : 0;
    if (!g || pos == g->n) {
        app_http_error(r, 400, "unknown_party",
                       "register-signatures: party %s is not a signer of epoch %llu", party,
                       (unsigned long long)epoch);
        goto done;
    }
    struct mtl_stm_sig *dec =
        checked_signature(r, g, &params, m.signed_message, party, pos, sig, indexes);
    if (dec) /* the certifier's from now on */
        hand_over(r, a, g, &params, &m, party, sig, dec);
done:
    agg_runtime_release(a, g);
    agg_open_message_clear(&m);
    mtl_free(key);
    json_decref(j);
}
