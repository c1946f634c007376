/* credentials.c - a signer's Cardano credentials as the reference aggregator
 * checks them at registration (key_certification.rs KeyRegWrapper::register,
 * kes/verifier_standard.rs): the opcert's cold signature, the pool id, and
 * the KES signature over the Mithril key (BLS vk || pop bytes). */
#include <string.h>

#include "cardano_int.h"
#include "stm/stm_int.h"

mtl_err mtl_stm_vk_kes_message(const char *vk_jsonhex, uint8_t msg[MTL_KES_MSG_BYTES])
{
    MTL_CHECK(msg, MTL_ERR_INVALID_ARG, "Mithril verification key: NULL output");
    json_t *j;
    MTL_TRY(stm_json_load_hex(&j, vk_jsonhex, "Mithril verification key"));
    mtl_err rc = MTL_ERR_BAD_ENCODING;
    if (!json_is_object(j))
        rc = mtl_seterr(rc, "Mithril verification key: expected {\"vk\", \"pop\"}");
    else if ((rc = stm_json_bytes(msg, MTL_STM_VK_BYTES, json_object_get(j, "vk"),
                                  "Mithril verification key vk")) == MTL_OK)
        rc = stm_json_bytes(msg + MTL_STM_VK_BYTES, MTL_STM_POP_BYTES, json_object_get(j, "pop"),
                            "Mithril verification key pop");
    json_decref(j);
    return rc;
}

/* Everything but the KES period: decoded opcert (cold signature checked),
 * party id = pool id of the cold key, the KES signature and its message. */
struct creds {
    struct mtl_opcert oc;
    uint8_t sig[MTL_KES_SIG_BYTES];
    uint8_t msg[MTL_KES_MSG_BYTES];
};

static mtl_err creds_check_static(struct creds *c, const char *party_id, const char *vk_jsonhex,
                                  const char *opcert_jsonhex, const char *kes_sig_jsonhex)
{
    char pool[MTL_POOL_ID_MAX];
    MTL_TRY(mtl_opcert_from_jsonhex(&c->oc, opcert_jsonhex));
    MTL_TRY(mtl_opcert_verify(&c->oc));
    MTL_TRY(mtl_opcert_pool_id(&c->oc, pool));
    MTL_CHECK(strcmp(pool, party_id) == 0, MTL_ERR_VERIFY_FAIL,
              "party id is not the pool id of the operational certificate's cold key (%s)", pool);
    MTL_TRY(mtl_kes_sig_from_jsonhex(c->sig, kes_sig_jsonhex));
    return mtl_stm_vk_kes_message(vk_jsonhex, c->msg);
}

mtl_err mtl_signer_credentials_verify(const char *party_id, const char *vk_jsonhex,
                                      const char *opcert_jsonhex, const char *kes_sig_jsonhex,
                                      uint64_t kes_evolutions)
{
    MTL_CHECK(party_id, MTL_ERR_INVALID_ARG, "signer credentials: NULL party id");
    MTL_CHECK(kes_evolutions < MTL_KES_PERIODS, MTL_ERR_INVALID_ARG,
              "signer %.80s: KES evolutions %llu past the last period (%d)", party_id,
              (unsigned long long)kes_evolutions, MTL_KES_PERIODS - 1);
    struct creds c;
    mtl_err rc = creds_check_static(&c, party_id, vk_jsonhex, opcert_jsonhex, kes_sig_jsonhex);
    if (rc == MTL_OK)
        rc = mtl_kes_verify_walk(c.sig, c.oc.kes_vk, (uint32_t)kes_evolutions, c.msg, sizeof c.msg);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "signer %.80s", party_id);
}

mtl_err mtl_signer_credentials_verify_at(const char *party_id, const char *vk_jsonhex,
                                         const char *opcert_jsonhex, const char *kes_sig_jsonhex,
                                         uint64_t current_kes_period, uint64_t *used_evolutions)
{
    MTL_CHECK(party_id, MTL_ERR_INVALID_ARG, "signer credentials: NULL party id");
    if (used_evolutions)
        *used_evolutions = 0;
    struct creds c;
    mtl_err rc = creds_check_static(&c, party_id, vk_jsonhex, opcert_jsonhex, kes_sig_jsonhex);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "signer %.80s", party_id);
    /* The reference: e = current - start, saturating at 0 (KesPeriod's Sub),
     * then every t in [max(0, e-1), min(64, e+1)]; Sum6 verification at 64
     * takes the right branch all the way down, as 63 does. */
    uint64_t start = c.oc.start_kes_period;
    uint64_t e = current_kes_period > start ? current_kes_period - start : 0;
    uint64_t lo = e > 0 ? e - 1 : 0, hi = e < MTL_KES_PERIODS ? e + 1 : MTL_KES_PERIODS;
    for (uint64_t t = lo; t <= hi; t++)
        if (mtl_kes_verify_walk(c.sig, c.oc.kes_vk, (uint32_t)t, c.msg, sizeof c.msg) == MTL_OK) {
            if (used_evolutions)
                *used_evolutions = t < MTL_KES_PERIODS ? t : MTL_KES_PERIODS - 1;
            mtl_err_clear();
            return MTL_OK;
        }
    return mtl_seterr(MTL_ERR_VERIFY_FAIL,
                      "signer %.80s: KES signature over the Mithril key does not verify at any "
                      "evolution in [%llu, %llu] (current KES period %llu, opcert start %llu)",
                      party_id, (unsigned long long)lo, (unsigned long long)hi,
                      (unsigned long long)current_kes_period, (unsigned long long)start);
}
