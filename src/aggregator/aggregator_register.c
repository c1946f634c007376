/* aggregator_register.c - POST /register-signer: validation (epoch, stake,
 * pool credentials, key and proof of possession) and recording for the next
 * epoch. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"
#include "mithril/pool_identity.h"

static const char *str_field(json_t *j, const char *k)
{
    return json_string_value(json_object_get(j, k));
}

/* The pool credentials, checked as the reference's registration verifier
 * does: opcert signed by the cold key, party id = the cold key's pool id, KES
 * signature of the Mithril key at the chain's current KES period (within one
 * period either side). *kes_period gets the evolutions that verified;
 * *verified is 0 when the registration carried no credentials and the skip
 * switch let it through. */
static mtl_err check_credentials(struct agg *a, json_t *j, const char *party, const char *vk,
                                 uint64_t *kes_period, int *verified)
{
    const char *opcert = str_field(j, "operational_certificate");
    const char *sig = str_field(j, "verification_key_signature");
    *verified = 0;
    if (!opcert && !sig && a->cfg.allow_skip_signer_certification)
        return MTL_OK;
    MTL_CHECK(opcert, MTL_ERR_INVALID_ARG,
              "signer %s: operational_certificate missing: a registration must prove the pool"
              " owns the key",
              party);
    MTL_CHECK(sig, MTL_ERR_INVALID_ARG,
              "signer %s: verification_key_signature missing: the KES key must sign the Mithril"
              " key",
              party);
    MTL_TRY(mtl_signer_credentials_verify_at(party, vk, opcert, sig, agg_runtime_kes_period(a),
                                             kes_period));
    *verified = 1;
    return MTL_OK;
}

/* Record a registration in the reference's SignerWithStake field order:
 * epoch-settings and the stake distribution artifact publish it as it is. */
static mtl_err put_record(struct agg *a, json_t *j, const char *party, const char *vk,
                          uint64_t epoch, uint64_t stake, uint64_t kes_period, int verified,
                          int *existing)
{
    json_t *rec = json_pack("{s:s,s:s}", "party_id", party, "verification_key", vk);
    if (rec && verified) {
        json_object_set(rec, "verification_key_signature",
                        json_object_get(j, "verification_key_signature"));
        json_object_set(rec, "operational_certificate",
                        json_object_get(j, "operational_certificate"));
        json_object_set_new(rec, "kes_period", json_integer((json_int_t)kes_period));
    }
    if (rec)
        json_object_set_new(rec, "stake", json_integer((json_int_t)stake));
    char *txt = rec ? mtl_json_dumps(rec, AGG_JSON_FLAGS) : NULL;
    json_decref(rec);
    mtl_err e = txt ? agg_store_put_registration(&a->store, epoch, party, vk, stake, txt, existing)
                    : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    free(txt);
    return e;
}

/* Records the accepted registration and logs it; answers the error itself. */
static mtl_err store_registration(struct agg *a, json_t *j, const char *party, const char *vk,
                                  uint64_t epoch, uint64_t stake, uint64_t kes_period, int verified,
                                  struct app_http_response *r)
{
    int existing = 0;
    mtl_err e = put_record(a, j, party, vk, epoch, stake, kes_period, verified, &existing);
    if (e == MTL_ERR_CONFLICT) {
        log_warn("signer_refused", "party=%s epoch=%llu reason=\"%s\"", party,
                 (unsigned long long)epoch, mtl_err_detail());
        app_http_error(r, 409, "signer_registration_conflict", "register-signer: %s",
                       mtl_err_detail());
        return e;
    }
    if (e != MTL_OK) {
        app_http_error(r, 500, "internal_error", "%s", mtl_err_detail());
        return e;
    }
    /* The same key again (a signer retrying): the first record stands. */
    if (existing)
        log_debug("signer_already_registered", "party=%s epoch=%llu", party,
                  (unsigned long long)epoch);
    else
        log_info("signer_registered", "party=%s epoch=%llu stake=%llu kes_period=%llu%s", party,
                 (unsigned long long)epoch, (unsigned long long)stake,
                 (unsigned long long)kes_period, verified ? "" : " UNVERIFIED=1");
    return MTL_OK;
}

/* The reference's follower checks the leader's registrations as its own
 * (SignerRegistrationVerifier against its stake distribution). */
mtl_err agg_signer_record_synced(struct agg *a, json_t *j, uint64_t epoch, int *added)
{
    const char *party = str_field(j, "party_id"), *vk = str_field(j, "verification_key");
    json_t *js = json_object_get(j, "stake");
    *added = 0;
    MTL_CHECK(party && *party && vk && json_is_integer(js) && json_integer_value(js) >= 0,
              MTL_ERR_BAD_ENCODING,
              "leader registration: need party_id, verification_key and a stake");
    uint64_t stake = (uint64_t)json_integer_value(js), own = 0;
    mtl_err e = agg_store_stake(&a->store, epoch, party, &own);
    if (e == MTL_OK)
        MTL_CHECK(own == stake, MTL_ERR_VERIFY_FAIL,
                  "signer %s: the leader says stake %llu, our chain %llu", party,
                  (unsigned long long)stake, (unsigned long long)own);
    else if (e != MTL_ERR_NOT_FOUND)
        return e;
    mtl_err_clear(); /* no stake of ours (first start): the AVK of the chain checks it */
    uint64_t kes_period = 0;
    int verified = 0, existing = 0;
    struct mtl_stm_keyreg *reg = NULL;
    e = check_credentials(a, j, party, vk, &kes_period, &verified);
    if (e == MTL_OK)
        e = mtl_stm_keyreg_new(&reg);
    if (e == MTL_OK)
        e = mtl_stm_keyreg_register_jsonhex(reg, stake, vk);
    mtl_stm_keyreg_free(reg);
    if (e == MTL_OK)
        e = put_record(a, j, party, vk, epoch, stake, kes_period, verified, &existing);
    *added = e == MTL_OK && !existing;
    return e;
}

void agg_register_signer(struct agg *a, const char *body, size_t len, struct app_http_response *r)
{
    if (a->follower) { /* the reference's follower keeps its round closed */
        app_http_error(r, 500, "internal_error",
                       "signer registration is always closed on a follower aggregator: register "
                       "with the leader %s",
                       a->cfg.leader_aggregator_endpoint);
        return;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    struct mtl_stm_vk_pop *vp = NULL;
    char *out = NULL;
    int in_round = 0;
    if (!j || !json_is_object(j)) {
        app_http_error(r, 400, "invalid_json", "register-signer: body is not a JSON object%s%s",
                       j ? "" : ": ", j ? "" : je.text);
        goto done;
    }
    const char *party = str_field(j, "party_id"), *vk = str_field(j, "verification_key");
    json_t *ep = json_object_get(j, "epoch");
    if (!json_is_integer(ep) || json_integer_value(ep) < 0 || !party || !*party || !vk) {
        app_http_error(r, 400, "invalid_message",
                       "register-signer: need integer epoch, party_id and verification_key");
        goto done;
    }
    uint64_t epoch = (uint64_t)json_integer_value(ep), now = 0;
    int have = 0;
    /* Held until the registration is stored (see agg_runtime.round). */
    pthread_rwlock_rdlock(&a->rt.round);
    in_round = 1;
    agg_runtime_release(a, agg_runtime_signers(a, NULL, &now, &have));
    if (!have) {
        /* the reference's RegistrationRoundNotYetOpened: 550 */
        app_http_error(r, 550, "registration_round_not_yet_opened",
                       "register-signer: the chain has not been read yet");
        goto done;
    }
    /* Like the reference's registration round: the message names the epoch
     * it is recorded for (current + MTL_SIGNER_RECORDING_OFFSET). */
    if (epoch != now + MTL_SIGNER_RECORDING_OFFSET) { /* the reference: a server error */
        app_http_error(r, 500, "register_signer_epoch_mismatch",
                       "register-signer: epoch %llu is not the open registration round's epoch "
                       "%llu (current epoch %llu)",
                       (unsigned long long)epoch,
                       (unsigned long long)(now + MTL_SIGNER_RECORDING_OFFSET),
                       (unsigned long long)now);
        goto done;
    }
    uint64_t stake = 0;
    mtl_err e = agg_store_stake(&a->store, epoch, party, &stake);
    if (e != MTL_OK) {
        app_http_error(r, e == MTL_ERR_NOT_FOUND ? 400 : 500, "invalid_signer", "%s",
                       mtl_err_detail());
        goto done;
    }
    uint64_t kes_period = 0;
    int verified = 0;
    e = check_credentials(a, j, party, vk, &kes_period, &verified);
    if (e != MTL_OK) {
        log_warn("signer_refused", "party=%s epoch=%llu reason=\"%s\"", party,
                 (unsigned long long)epoch, mtl_err_detail());
        app_http_error(r, 400, "failed_signer_registration", "register-signer: %s",
                       mtl_err_detail());
        goto done;
    }
    /* The key must decode, be in the subgroup, and carry a valid PoP. */
    e = mtl_stm_vk_pop_decode_jsonhex(&vp, vk);
    if (e != MTL_OK) {
        app_http_error(r, 400, "invalid_verification_key", "register-signer %s: %s", party,
                       mtl_err_detail());
        goto done;
    }
    if (store_registration(a, j, party, vk, epoch, stake, kes_period, verified, r) != MTL_OK)
        goto done;
    app_http_json(r, 201, "");
done:
    if (in_round)
        pthread_rwlock_unlock(&a->rt.round);
    mtl_stm_vk_pop_free(vp);
    mtl_free(out);
    json_decref(j);
}
