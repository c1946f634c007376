/* credentials.c - a signer's Cardano credentials as the reference aggregator
 * checks them at registration (key_certification.rs KeyRegWrapper::register,
 * kes/verifier_standard.rs): the opcert's cold signature, the pool id, and
 * the KES signature over the Mithril key (BLS vk || pop bytes). */
#include <sodium.h>
#include <string.h>

#include "cardano_int.h"
#include "mithril/stm.h"

/* Only the bytes: the STM registration decodes and checks the points (curve,
 * subgroup, proof of possession) on its own. */
mtl_err mtl_stm_vk_kes_message(const char *vk_jsonhex, uint8_t msg[MTL_KES_MSG_BYTES])
{
    MTL_CHECK(msg, MTL_ERR_INVALID_ARG, "Mithril verification key: NULL output");
    struct mtl_jscan x;
    MTL_TRY(mtl_jscan_start(&x, vk_jsonhex, "Mithril verification key"));
    MTL_TRY(mtl_jscan_lit(&x, "{\"vk\":", "{\"vk\", \"pop\"}"));
    MTL_TRY(mtl_jscan_bytes(&x, msg, MTL_STM_VK_BYTES, "vk"));
    MTL_TRY(mtl_jscan_lit(&x, ",\"pop\":", "pop"));
    MTL_TRY(mtl_jscan_bytes(&x, msg + MTL_STM_VK_BYTES, MTL_STM_POP_BYTES, "pop"));
    MTL_TRY(mtl_jscan_lit(&x, "}", "pop"));
    return mtl_jscan_end(&x);
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

/* The window's periods share one signature: walk each one's Merkle path
 * (cheap), then run the Ed25519 check (the cost) on e's leaf key first, as
 * the signer's own period is the likely one, and on each other leaf key at
 * most once. Same answer as trying lo..hi in order: periods with the same
 * leaf key verify alike, and one Ed25519 signature does not verify under two
 * keys. *t is the first period in lo..hi whose leaf verifies. */
static mtl_err kes_window_verify(const struct creds *c, uint64_t lo, uint64_t hi, uint64_t e,
                                 uint64_t *t)
{
    enum { WMAX = 3 }; /* hi - lo <= 2 */
    uint8_t leaf[WMAX][32];
    int state[WMAX]; /* -1 path broken or leaf refused, 0 untried, 1 verified */
    size_t n = lo <= hi ? (size_t)(hi - lo + 1) : 0, order[WMAX], k = 0;
    for (size_t i = 0; i < n; i++)
        state[i] = mtl_kes_leaf_key(leaf[i], c->sig, c->oc.kes_vk, (uint32_t)(lo + i)) ? -1 : 0;
    if (e >= lo && e <= hi)
        order[k++] = (size_t)(e - lo);
    for (size_t i = 0; i < n; i++)
        if (lo + i != e)
            order[k++] = i;
    for (size_t o = 0; o < k; o++) {
        size_t i = order[o];
        if (state[i] != 0)
            continue;
        int ok = crypto_sign_ed25519_verify_detached(c->sig, c->msg, sizeof c->msg, leaf[i]) == 0;
        for (size_t j = 0; j < n; j++)
            if (state[j] == 0 && memcmp(leaf[j], leaf[i], 32) == 0)
                state[j] = ok ? 1 : -1;
        if (ok)
            for (size_t j = 0;; j++)
                if (state[j] == 1) {
                    *t = lo + j;
                    return MTL_OK;
                }
    }
    return MTL_ERR_VERIFY_FAIL;
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
    uint64_t t;
    if (kes_window_verify(&c, lo, hi, e, &t) == MTL_OK) {
        if (used_evolutions)
            *used_evolutions = t < MTL_KES_PERIODS ? t : MTL_KES_PERIODS - 1;
        return MTL_OK;
    }
    return mtl_seterr(MTL_ERR_VERIFY_FAIL,
                      "signer %.80s: KES signature over the Mithril key does not verify at any "
                      "evolution in [%llu, %llu] (current KES period %llu, opcert start %llu)",
                      party_id, (unsigned long long)lo, (unsigned long long)hi,
                      (unsigned long long)current_kes_period, (unsigned long long)start);
}
