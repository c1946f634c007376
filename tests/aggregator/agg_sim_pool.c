/* agg_sim_pool.c - stake pool identities of the simulated signers: cold key,
 * KES key and operational certificate made as a pool operator does, so the
 * aggregator checks real credentials (see agg_sim.h). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_sim.h"
#include "mithril/util.h"

/* Distinct deterministic seeds per pool and purpose. */
static void pool_seed(uint8_t seed[32], const char *purpose, uint32_t idx)
{
    char tag[64];
    snprintf(tag, sizeof(tag), "agg_sim %s %u", purpose, idx);
    crypto_generichash(seed, 32, (const uint8_t *)tag, strlen(tag), NULL, 0);
}

int sim_pool_init(struct sim_pool *p, uint32_t idx, uint64_t start_kes_period)
{
    uint8_t seed[32], cold_vk[MTL_COLD_VK_BYTES], kes_vk[MTL_KES_VK_BYTES];
    struct mtl_kes_sk *kes = NULL;
    struct mtl_opcert oc;
    memset(p, 0, sizeof(*p));
    p->start_kes_period = start_kes_period;
    pool_seed(seed, "cold", idx);
    crypto_sign_seed_keypair(cold_vk, p->cold_sk, seed);
    pool_seed(p->kes_seed, "kes", idx);
    int ok = mtl_cold_vk_pool_id(cold_vk, p->pool_id) == MTL_OK &&
             mtl_kes_sk_keygen(&kes, kes_vk, p->kes_seed) == MTL_OK &&
             mtl_opcert_issue(&oc, kes_vk, 0, start_kes_period, p->cold_sk) == MTL_OK &&
             mtl_opcert_to_jsonhex(&oc, &p->opcert) == MTL_OK;
    mtl_kes_sk_free(kes);
    sodium_memzero(seed, sizeof(seed));
    if (!ok)
        sim_pool_clear(p);
    return ok ? 0 : -1;
}

void sim_pool_clear(struct sim_pool *p)
{
    mtl_free(p->opcert);
    sodium_memzero(p, sizeof(*p));
}

char *sim_pool_sign_key(const struct sim_pool *p, const char *vk_jsonhex, uint64_t evolutions)
{
    uint8_t kes_vk[MTL_KES_VK_BYTES], msg[MTL_KES_MSG_BYTES], sig[MTL_KES_SIG_BYTES];
    struct mtl_kes_sk *kes = NULL;
    char *out = NULL;
    /* A fresh key each time: signing at an earlier period than the last
     * one needs a key that has not evolved past it. */
    if (mtl_kes_sk_keygen(&kes, kes_vk, p->kes_seed) == MTL_OK &&
        mtl_kes_sk_update_to(kes, (uint32_t)evolutions) == MTL_OK &&
        mtl_stm_vk_kes_message(vk_jsonhex, msg) == MTL_OK &&
        mtl_kes_sign(kes, msg, sizeof(msg), sig) == MTL_OK &&
        mtl_kes_sig_to_jsonhex(sig, &out) != MTL_OK)
        out = NULL;
    mtl_kes_sk_free(kes);
    return out;
}

char *sim_register_json(uint64_t record_epoch, const char *party, const char *vk,
                        const char *opcert, const char *sig, uint64_t kes_period)
{
    json_t *j = json_pack("{s:I,s:s,s:s}", "epoch", (json_int_t)record_epoch, "party_id", party,
                          "verification_key", vk);
    if (j && sig)
        json_object_set_new(j, "verification_key_signature", json_string(sig));
    if (j && opcert) {
        json_object_set_new(j, "operational_certificate", json_string(opcert));
        json_object_set_new(j, "kes_period", json_integer((json_int_t)kes_period));
    }
    char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return txt;
}

uint64_t sim_kes_period(const struct sim_agg *s)
{
    return s->slot / SIM_SLOTS_PER_KES_PERIOD;
}

char *sim_register_body(const struct sim_agg *s, uint64_t epoch, const char *party,
                        const struct mtl_stm_initializer *init, const struct sim_pool *pool)
{
    char *vk = NULL, *sig = NULL, *txt = NULL;
    if (mtl_stm_initializer_vk_jsonhex(init, &vk) != MTL_OK)
        return NULL;
    uint64_t now = sim_kes_period(s);
    uint64_t evo = pool && now >= pool->start_kes_period ? now - pool->start_kes_period : 0;
    if (pool)
        sig = sim_pool_sign_key(pool, vk, evo);
    /* The message carries the recording epoch (current + 1), as the
     * reference signer sends. */
    if (!pool || sig)
        txt = sim_register_json(epoch + 1, party, vk, pool ? pool->opcert : NULL, sig, evo);
    mtl_free(sig);
    mtl_free(vk);
    return txt;
}
