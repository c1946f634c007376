/* bench_pool_identity.c - cost of a signer's Cardano credentials: Sum6KES
 * keygen/update/sign/verify, opcert verify, pool id, the full credential check
 * (JSON-hex decoding included) per signer, and the check of 3,000 signers as
 * an aggregator does at registration. Self-contained (deterministic keys).
 *   bench_pool_identity [--json] */
#include <sodium.h>
#include <stdlib.h>

#include "bench_util.h"
#include "mithril/mithril.h"

#define NSIGNERS 3000
#define NKES 8   /* distinct KES keys, shared round-robin (cost does not depend on it) */
#define START 10 /* opcert start period */
#define EVOL 5   /* KES evolutions at signing time */

struct signer {
    char party[MTL_POOL_ID_MAX];
    char *vk, *opcert, *sig;
    struct mtl_opcert oc;
    uint8_t sig_raw[MTL_KES_SIG_BYTES], msg[MTL_KES_MSG_BYTES];
};

static void die(const char *what)
{
    fprintf(stderr, "bench_pool_identity: %s: %s\n", what, mtl_err_detail());
    exit(1);
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    if (mtl_init() != MTL_OK)
        die("init");
    struct mtl_stm_params params = {.m = 100, .k = 5, .phi_f = 0.65};
    struct mtl_kes_sk *kes[NKES];
    uint8_t kes_vk[NKES][32], seed[32] = {0}, cold_sk[64], cold_pk[32];
    char *mithril_vk[NKES];

    double t0 = bench_now();
    for (int i = 0; i < NKES; i++) {
        seed[0] = (uint8_t)i;
        if (mtl_kes_sk_keygen(&kes[i], kes_vk[i], seed) != MTL_OK)
            die("KES keygen");
    }
    double keygen = (bench_now() - t0) / NKES;
    t0 = bench_now();
    for (int i = 0; i < NKES; i++)
        if (mtl_kes_sk_update_to(kes[i], EVOL) != MTL_OK)
            die("KES update");
    double update = (bench_now() - t0) / (NKES * EVOL);
    for (int i = 0; i < NKES; i++) {
        struct mtl_stm_initializer *init;
        seed[0] = (uint8_t)(100 + i);
        if (mtl_stm_initializer_new(&init, &params, 1000, seed) != MTL_OK ||
            mtl_stm_initializer_vk_jsonhex(init, &mithril_vk[i]) != MTL_OK)
            die("Mithril key");
        mtl_stm_initializer_free(init);
    }

    struct signer *s = mtl_calloc(NSIGNERS, sizeof *s);
    if (!s)
        die("memory");
    double sign = 0;
    for (int i = 0; i < NSIGNERS; i++) {
        struct signer *g = &s[i];
        int k = i % NKES;
        seed[0] = (uint8_t)i, seed[1] = (uint8_t)(i >> 8), seed[2] = 0xc0;
        crypto_sign_ed25519_seed_keypair(cold_pk, cold_sk, seed);
        g->vk = mithril_vk[k];
        if (mtl_opcert_issue(&g->oc, kes_vk[k], 0, START, cold_sk) != MTL_OK ||
            mtl_opcert_pool_id(&g->oc, g->party) != MTL_OK ||
            mtl_opcert_to_jsonhex(&g->oc, &g->opcert) != MTL_OK ||
            mtl_stm_vk_kes_message(g->vk, g->msg) != MTL_OK)
            die("opcert");
        t0 = bench_now();
        if (mtl_kes_sign(kes[k], g->msg, sizeof g->msg, g->sig_raw) != MTL_OK)
            die("KES sign");
        sign += bench_now() - t0;
        if (mtl_kes_sig_to_jsonhex(g->sig_raw, &g->sig) != MTL_OK)
            die("KES signature");
    }
    mtl_memzero(cold_sk, sizeof cold_sk);

    t0 = bench_now();
    for (int i = 0; i < NSIGNERS; i++)
        if (mtl_kes_verify(s[i].sig_raw, s[i].oc.kes_vk, EVOL, s[i].msg, sizeof s[i].msg) != MTL_OK)
            die("KES verify");
    double kes_verify = (bench_now() - t0) / NSIGNERS;
    t0 = bench_now();
    for (int i = 0; i < NSIGNERS; i++)
        if (mtl_opcert_verify(&s[i].oc) != MTL_OK)
            die("opcert verify");
    double oc_verify = (bench_now() - t0) / NSIGNERS;
    char pool[MTL_POOL_ID_MAX];
    t0 = bench_now();
    for (int i = 0; i < NSIGNERS; i++)
        if (mtl_cold_vk_pool_id(s[i].oc.cold_vk, pool) != MTL_OK)
            die("pool id");
    double pool_id = (bench_now() - t0) / NSIGNERS;
    struct mtl_opcert oc;
    uint8_t sig[MTL_KES_SIG_BYTES], msg[MTL_KES_MSG_BYTES];
    t0 = bench_now();
    for (int i = 0; i < NSIGNERS; i++)
        if (mtl_opcert_from_jsonhex(&oc, s[i].opcert) != MTL_OK ||
            mtl_kes_sig_from_jsonhex(sig, s[i].sig) != MTL_OK ||
            mtl_stm_vk_kes_message(s[i].vk, msg) != MTL_OK)
            die("decode");
    double decode = (bench_now() - t0) / NSIGNERS;
    t0 = bench_now();
    for (int i = 0; i < NSIGNERS; i++)
        if (mtl_signer_credentials_verify(s[i].party, s[i].vk, s[i].opcert, s[i].sig, EVOL) !=
            MTL_OK)
            die("credentials");
    double full = (bench_now() - t0) / NSIGNERS;
    /* The aggregator's form, chain and signer at the same period (e = 5):
     * e-1 = 4 shares the path up to the leaf, but e's leaf is checked first,
     * so one Ed25519 verify per signer for the KES signature. */
    uint64_t used;
    t0 = bench_now();
    for (int i = 0; i < NSIGNERS; i++)
        if (mtl_signer_credentials_verify_at(s[i].party, s[i].vk, s[i].opcert, s[i].sig,
                                             START + EVOL, &used) != MTL_OK)
            die("credentials at");
    double total_at = bench_now() - t0;

    bench_report("KES keygen (Sum6, from seed)", keygen * 1e3, "ms");
    bench_report("KES update (one evolution, mean of 0..5)", update * 1e6, "us");
    bench_report("KES sign (192-byte Mithril key)", sign / NSIGNERS * 1e6, "us");
    bench_report("KES verify per signer", kes_verify * 1e6, "us");
    bench_report("opcert verify per signer", oc_verify * 1e6, "us");
    bench_report("pool id per signer", pool_id * 1e6, "us");
    bench_report("JSON-hex decoding per signer (opcert, KES sig, Mithril key)", decode * 1e6, "us");
    bench_report("full credential verify per signer (JSON-hex decode included)", full * 1e6, "us");
    bench_report("3000 signers' credential check, aggregator window (e-1..e+1)", total_at * 1e3,
                 "ms");

    for (int i = 0; i < NSIGNERS; i++) {
        mtl_free(s[i].opcert);
        mtl_free(s[i].sig);
    }
    mtl_free(s);
    for (int i = 0; i < NKES; i++) {
        mtl_kes_sk_free(kes[i]);
        mtl_free(mithril_vk[i]);
    }
    return 0;
}
