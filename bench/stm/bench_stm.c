/* bench_stm.c - STM figures: key generation, signing, single-signature
 * verification, aggregation, aggregate verification (including decoding),
 * sizes, and the lottery check per index.
 *   bench_stm [--json] [--quick] [--parties N]   (--quick: fewer parties; --parties:
 *   only the setups with N parties). Aggregate verification: best of 3. */
#include <sodium.h>
#include <stdlib.h>

#include "bench_util.h"
#include "mithril/mithril.h"

struct setup {
    struct mtl_stm_params p;
    size_t nparties;
};

static void run(const struct setup *s)
{
    char label[128];
    const struct mtl_stm_params *p = &s->p;
    size_t n = s->nparties;
    struct mtl_stm_initializer **inits = calloc(n, sizeof(*inits));
    struct mtl_stm_keyreg *reg;
    struct mtl_stm_closed_reg *closed;
    mtl_stm_keyreg_new(&reg);
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        uint64_t stake = 1000 + (uint64_t)randombytes_uniform(1000000);
        mtl_stm_initializer_new(&inits[i], p, stake, NULL);
    }
    double t_keygen = (bench_now() - t0) / (double)n;
    t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        char *vk;
        mtl_stm_initializer_vk_jsonhex(inits[i], &vk);
        if (mtl_stm_keyreg_register_jsonhex(reg, mtl_stm_initializer_stake(inits[i]), vk) != MTL_OK)
            abort();
        mtl_free(vk);
    }
    mtl_stm_keyreg_close(reg, &closed);
    double t_reg = bench_now() - t0;
    uint8_t msg[64];
    randombytes_buf(msg, sizeof(msg));
    char **sigs = calloc(n, sizeof(*sigs));
    size_t ns = 0, won = 0;
    /* signing every party would take long at m=16948: sign with a sample,
     * then aggregate the sample (enough parties win to reach k). */
    t0 = bench_now();
    size_t tried = 0;
    for (size_t i = 0; i < n; i++) {
        size_t w;
        tried++;
        if (mtl_stm_sign(inits[i], closed, msg, sizeof(msg), &sigs[ns], &w) == MTL_OK) {
            ns++;
            won += w;
        }
    }
    double t_sign = (bench_now() - t0) / (double)tried;
    t0 = bench_now();
    size_t nv = ns < 50 ? ns : 50;
    for (size_t i = 0; i < nv; i++)
        if (mtl_stm_single_sig_verify_jsonhex(closed, p, sigs[i], msg, sizeof(msg)) != MTL_OK)
            abort();
    double t_verify1 = nv ? (bench_now() - t0) / (double)nv : 0;
    char *ms = NULL, *avk;
    mtl_stm_closed_reg_avk_jsonhex(closed, &avk);
    t0 = bench_now();
    mtl_err rc =
        mtl_stm_aggregate_jsonhex(closed, p, (const char *const *)sigs, ns, msg, sizeof(msg), &ms);
    double t_aggr = bench_now() - t0;
    double t_averify = 0;
    if (rc == MTL_OK) {
        for (int rep = 0; rep < 3; rep++) {
            t0 = bench_now();
            if (mtl_stm_verify_multisig_jsonhex(ms, avk, msg, sizeof(msg), p) != MTL_OK)
                abort();
            double t = bench_now() - t0;
            if (rep == 0 || t < t_averify)
                t_averify = t;
        }
    }
    /* The aggregator's path: decoded signatures verified on arrival (batch),
     * then aggregated with the verdicts they remember. Best of 3. */
    double t_adec = 0;
    struct mtl_stm_sig **dec = calloc(ns ? ns : 1, sizeof(*dec));
    int *ok = calloc(ns ? ns : 1, sizeof(int));
    for (size_t i = 0; i < ns; i++)
        if (mtl_stm_sig_decode_jsonhex(&dec[i], sigs[i]) != MTL_OK)
            abort();
    if (rc == MTL_OK &&
        mtl_stm_sigs_verify_batch(closed, p, (const struct mtl_stm_sig *const *)dec, ns, msg,
                                  sizeof(msg), ok) == MTL_OK) {
        for (int rep = 0; rep < 3; rep++) {
            char *ms2 = NULL;
            t0 = bench_now();
            if (mtl_stm_aggregate_decoded(closed, p, (const struct mtl_stm_sig *const *)dec, ns, msg,
                                          sizeof(msg), &ms2) != MTL_OK)
                abort();
            double t = bench_now() - t0;
            if (rep == 0 || t < t_adec)
                t_adec = t;
            mtl_free(ms2);
        }
    }
    for (size_t i = 0; i < ns; i++)
        mtl_stm_sig_free(dec[i]);
    free(dec);
    free(ok);
    /* lottery check per index */
    uint8_t ev[64];
    randombytes_buf(ev, sizeof(ev));
    int acc = 0;
    t0 = bench_now();
    for (int i = 0; i < 200000; i++) {
        ev[0] = (uint8_t)i;
        ev[1] = (uint8_t)(i >> 8);
        acc += mtl_stm_lottery_won(p->phi_f, ev, 1000, 1000 * (uint64_t)n);
    }
    double t_lottery = (bench_now() - t0) / 200000.0;
    const char *net = p->m > 1000 ? "mainnet" : "testnet";
#define FIG(name, v, u)                                                                            \
    do {                                                                                           \
        snprintf(label, sizeof(label), "%s m=%llu k=%llu n=%zu %s", net, (unsigned long long)p->m, \
                 (unsigned long long)p->k, n, name);                                               \
        bench_report(label, v, u);                                                                 \
    } while (0)
    FIG("keygen_per_party", t_keygen * 1e3, "ms");
    FIG("registration_close", t_reg * 1e3, "ms");
    FIG("sign_per_party", t_sign * 1e3, "ms");
    FIG("single_verify", t_verify1 * 1e3, "ms");
    FIG("signatures", (double)ns, "count");
    FIG("indexes_won", (double)won, "count");
    if (rc == MTL_OK) {
        FIG("aggregate", t_aggr * 1e3, "ms");
        FIG("aggregate_verify_incl_decode", t_averify * 1e3, "ms");
        FIG("aggregate_decoded_after_batch_verify", t_adec * 1e3, "ms");
        FIG("multisig_jsonhex_size", (double)strlen(ms), "bytes");
        FIG("avk_jsonhex_size", (double)strlen(avk), "bytes");
    } else {
        FIG("aggregate_failed_below_quorum", 1, "flag");
    }
    FIG("lottery_check_per_index", t_lottery * 1e6, "us");
    (void)acc;
    for (size_t i = 0; i < ns; i++)
        mtl_free(sigs[i]);
    for (size_t i = 0; i < n; i++)
        mtl_stm_initializer_free(inits[i]);
    free(sigs);
    free(inits);
    mtl_free(ms);
    mtl_free(avk);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    int quick = 0;
    size_t only = 0;
    for (int i = 1; i < argc; i++) {
        quick |= strcmp(argv[i], "--quick") == 0;
        if (strcmp(argv[i], "--parties") == 0 && i + 1 < argc)
            only = strtoul(argv[++i], NULL, 10);
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: bench_stm [--json] [--quick] [--parties N]\n");
            return 0;
        }
    }
    mtl_init();
    struct setup setups[] = {
        {{16948, 1944, 0.2}, 100},
        {{16948, 1944, 0.2}, 1000},
        {{16948, 1944, 0.2}, 2000},
        {{100, 5, 0.65}, 100},
    };
    for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
        if ((quick && setups[i].nparties > 100) || (only && setups[i].nparties != only))
            continue;
        run(&setups[i]);
    }
    return 0;
}
