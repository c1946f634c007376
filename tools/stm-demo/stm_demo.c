/* stm_demo.c - mithril-stm-demo: runs the STM protocol end to end with random
 * stakes (registration, signing, aggregation, verification) and prints who
 * won how many lotteries, the certificate size and each phase's time.
 *   mithril-stm-demo [--nparties N] [-m M] [-k K] [--phi-f F] [--json] */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mithril/mithril.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mithril-stm-demo [--nparties N] [-m M] [-k K] [--phi-f F] [--json]\n"
               "Runs registration, signing, aggregation and verification with random stakes.\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end)
        return -1;
    *out = v;
    return 0;
}

/* Options into p, n and json: -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct mtl_stm_params *p, uint64_t *n, int *json)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(a, "--json") == 0)
            *json = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return usage(stdout), 0;
        else if (!v)
            bad = 1;
        else if (strcmp(a, "--nparties") == 0)
            bad = parse_u64(v, n), i++;
        else if (strcmp(a, "-m") == 0)
            bad = parse_u64(v, &p->m), i++;
        else if (strcmp(a, "-k") == 0)
            bad = parse_u64(v, &p->k), i++;
        else if (strcmp(a, "--phi-f") == 0) {
            char *end;
            p->phi_f = strtod(v, &end);
            bad = *end != 0;
            i++;
        } else
            bad = 1;
        if (bad) {
            fprintf(stderr, "mithril-stm-demo: bad argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* A random stake and a fresh key for each of the n parties. */
static mtl_err register_parties(const struct mtl_stm_params *p, uint64_t n,
                                struct mtl_stm_initializer **inits, struct mtl_stm_keyreg *reg)
{
    for (uint64_t i = 0; i < n; i++) {
        char *vk;
        uint64_t stake = 1 + randombytes_uniform(1000000);
        mtl_err e = mtl_stm_initializer_new(&inits[i], p, stake, NULL);
        if (e == MTL_OK)
            e = mtl_stm_initializer_vk_jsonhex(inits[i], &vk);
        if (e != MTL_OK)
            return e;
        e = mtl_stm_keyreg_register_jsonhex(reg, stake, vk);
        mtl_free(vk);
        if (e != MTL_OK)
            return e;
    }
    return MTL_OK;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        printf("mithril-stm-demo %s\n", mtl_version());
        return 0;
    }
    struct mtl_stm_params p = {.m = 100, .k = 5, .phi_f = 0.65};
    uint64_t n = 8;
    int json = 0;
    int done = parse_args(argc, argv, &p, &n, &json);
    if (done >= 0)
        return done;
    if (mtl_init() != MTL_OK || mtl_stm_params_check(&p) != MTL_OK || n == 0 || n > 100000) {
        fprintf(stderr, "mithril-stm-demo: invalid parameters: %s\n", mtl_err_detail());
        return 2;
    }
    struct mtl_stm_initializer **inits = calloc(n, sizeof(*inits));
    char **sigs = calloc(n, sizeof(*sigs));
    size_t *won = calloc(n, sizeof(*won));
    struct mtl_stm_keyreg *reg;
    struct mtl_stm_closed_reg *closed = NULL;
    char *avk = NULL, *ms = NULL;
    int rc = 1;
    size_t ns = 0;
    if (!inits || !sigs || !won || mtl_stm_keyreg_new(&reg) != MTL_OK)
        return 1;
    double t0 = now();
    if (register_parties(&p, n, inits, reg) != MTL_OK)
        goto out;
    if (mtl_stm_keyreg_close(reg, &closed) != MTL_OK ||
        mtl_stm_closed_reg_avk_jsonhex(closed, &avk) != MTL_OK)
        goto out;
    double t_reg = now() - t0;
    uint8_t msg[32];
    randombytes_buf(msg, sizeof(msg));
    t0 = now();
    for (uint64_t i = 0; i < n; i++)
        if (mtl_stm_sign(inits[i], closed, msg, sizeof(msg), &sigs[ns], &won[i]) == MTL_OK)
            ns++;
    double t_sign = now() - t0;
    t0 = now();
    mtl_err agg =
        mtl_stm_aggregate_jsonhex(closed, &p, (const char *const *)sigs, ns, msg, sizeof(msg), &ms);
    double t_aggr = now() - t0, t_ver = 0;
    mtl_err ver = agg;
    if (agg == MTL_OK) {
        t0 = now();
        ver = mtl_stm_verify_multisig_jsonhex(ms, avk, msg, sizeof(msg), &p);
        t_ver = now() - t0;
    }
    if (json) {
        printf("{\"parameters\":{\"m\":%llu,\"k\":%llu,\"phi_f\":%g},\"parties\":[",
               (unsigned long long)p.m, (unsigned long long)p.k, p.phi_f);
        for (uint64_t i = 0; i < n; i++)
            printf("%s{\"index\":%llu,\"stake\":%llu,\"lotteries_won\":%zu}", i ? "," : "",
                   (unsigned long long)i, (unsigned long long)mtl_stm_initializer_stake(inits[i]),
                   won[i]);
        printf("],\"signatures\":%zu,\"aggregated\":%s,\"verified\":%s,\"certificate_bytes\":%zu,"
               "\"seconds\":{\"registration\":%.6f,\"signing\":%.6f,\"aggregation\":%.6f,"
               "\"verification\":%.6f}}\n",
               ns, agg == MTL_OK ? "true" : "false", ver == MTL_OK ? "true" : "false",
               ms ? strlen(ms) / 2 : 0, t_reg, t_sign, t_aggr, t_ver);
    } else {
        printf("STM demo: %llu parties, m=%llu k=%llu phi_f=%g\n", (unsigned long long)n,
               (unsigned long long)p.m, (unsigned long long)p.k, p.phi_f);
        for (uint64_t i = 0; i < n; i++)
            printf("  party %-4llu stake %-8llu won %zu lotteries\n", (unsigned long long)i,
                   (unsigned long long)mtl_stm_initializer_stake(inits[i]), won[i]);
        printf("registration  %9.3f ms\nsigning       %9.3f ms (%zu signatures)\n", t_reg * 1e3,
               t_sign * 1e3, ns);
        if (agg == MTL_OK)
            printf("aggregation   %9.3f ms\nverification  %9.3f ms: %s\ncertificate   %9zu bytes "
                   "(multi-signature)\n",
                   t_aggr * 1e3, t_ver * 1e3, ver == MTL_OK ? "valid" : "INVALID", strlen(ms) / 2);
        else
            printf("aggregation failed: %s\n", mtl_err_detail());
    }
    rc = (agg == MTL_OK && ver == MTL_OK) ? 0 : 1;
out:
    for (size_t i = 0; i < ns; i++)
        mtl_free(sigs[i]);
    for (uint64_t i = 0; i < n; i++)
        mtl_stm_initializer_free(inits[i]);
    free(inits);
    free(sigs);
    free(won);
    mtl_free(avk);
    mtl_free(ms);
    mtl_stm_closed_reg_free(closed);
    mtl_stm_keyreg_free(reg);
    return rc;
}
