/* bench_aggregator_load.c - N signers with real STM keys register and post
 * single signatures concurrently to a real mithril-aggregator over loopback.
 * Figures: registrations/s (pool credentials and PoP checked), signatures/s
 * (every answer, accepted or late), quorum-to-certificate latency (the
 * aggregator's own measure), peak RSS. --skip-certification registers
 * without credentials (ALLOW_SKIP_SIGNER_CERTIFICATION): the difference is
 * what the credential checks cost.
 *
 *   bench_aggregator_load [--signers N (2000)] [--threads T (16)] [--quick] [--json]
 *                         [--aggregator PATH] [--skip-certification]
 */
#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_sim.h"
#include "bench_util.h"
#include "mithril/util.h"

static struct sim_agg S;
static size_t N = 2000, T = 16;
static char (*PARTY)[64];
static struct mtl_stm_initializer **INIT[2]; /* rounds at epochs 1 and 2 */
static char **BODY, **REG[2];                /* signature / registration bodies */
static struct sim_pool *POOL;
static int SKIP_CERT;
static struct mtl_stm_params P;
static atomic_size_t next_item, accepted, late, failed;
static int phase; /* 0 keygen, 1/2 register round, 3 post signatures */
static struct sim_epoch EP;

static void *worker(void *arg)
{
    (void)arg;
    struct sim_http *h = sim_http_new();
    char url[256];
    snprintf(url, sizeof(url), "%s/register-signatures", S.url);
    for (size_t i; (i = atomic_fetch_add(&next_item, 1)) < N;) {
        if (phase == 0) {
            /* Keys, credentials and registration bodies made before the
             * timed rounds: those measure the aggregator only. */
            for (int r = 0; r < 2; r++) {
                uint64_t stake = 1000000 + (uint64_t)(i * 7919 % 1000);
                if (mtl_stm_initializer_new(&INIT[r][i], &P, stake, NULL) != MTL_OK ||
                    !(REG[r][i] = sim_register_body(&S, (uint64_t)r + 1, PARTY[i], INIT[r][i],
                                                    SKIP_CERT ? NULL : &POOL[i])))
                    atomic_fetch_add(&failed, 1);
            }
        } else if (phase == 1 || phase == 2) {
            char reg_url[256];
            snprintf(reg_url, sizeof(reg_url), "%s/register-signer", S.url);
            const char *b = REG[phase - 1][i];
            long st = sim_post(h, reg_url, b, strlen(b), NULL);
            atomic_fetch_add(st == 201 ? &accepted : &failed, 1);
        } else if (phase == 4) {
            BODY[i] = sim_signature_body(INIT[0][i], EP.closed, EP.entity, PARTY[i],
                                         EP.signed_message, EP.signed_message);
        } else if (BODY[i]) {
            long st = sim_post(h, url, BODY[i], strlen(BODY[i]), NULL);
            atomic_fetch_add(st == 201 ? &accepted : st == 410 ? &late : &failed, 1);
        }
    }
    sim_http_free(h);
    return NULL;
}

static double run_phase(int ph)
{
    pthread_t th[256];
    phase = ph;
    atomic_store(&next_item, 0);
    double t0 = bench_now();
    for (size_t i = 0; i < T; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (size_t i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    return bench_now() - t0;
}

/* CPU seconds (user + system) the aggregator process has used so far: the
 * registrations' cost without the load of the machine's other work. */
static double agg_cpu_s(void)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)S.pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    /* after "(comm)": state and 10 more fields, then utime and stime */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double log_figure(const char *key)
{
    FILE *f = fopen(S.log_path, "r");
    char line[8192];
    double v = -1;
    while (f && fgets(line, sizeof(line), f)) {
        char *p = strstr(line, key);
        if (p && (strstr(line, "certificate_created") || !strchr(key, '=')))
            v = atof(p + strlen(key));
    }
    if (f)
        fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    char bin[PATH_MAX] = "";
    bench_parse_args(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            N = 200;
        else if (strcmp(argv[i], "--signers") == 0 && i + 1 < argc)
            N = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            T = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--skip-certification") == 0)
            SKIP_CERT = 1;
        else if (strcmp(argv[i], "--aggregator") == 0 && i + 1 < argc)
            snprintf(bin, sizeof(bin), "%s", argv[++i]);
        else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: bench_aggregator_load [--signers N] [--threads T] [--quick] [--json]"
                   " [--aggregator PATH] [--skip-certification]\n");
            return 0;
        }
    }
    if (N < 10 || T < 1 || T > 256) {
        fprintf(stderr, "bench_aggregator_load: need --signers >= 10, 1 <= --threads <= 256\n");
        return 2;
    }
    if (!bin[0])
        bench_build_path(bin, sizeof(bin), "src/aggregator/mithril-aggregator");
    if (mtl_init() != MTL_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    /* Every signer wins ~2.3 lotteries (phi_f 0.99, m = N/2): almost all
     * sign; the quorum k needs ~85% of them, the rest arrive late (410). */
    P.m = N / 2;
    P.phi_f = 0.99;
    /* distinct indexes won ~ m(1 - e^-4.6) = 0.99 m; k 4 sigma below */
    P.k = (uint64_t)((double)P.m * 0.99 - 4.0 * sqrt((double)P.m * 0.0099));
    char params[128];
    snprintf(params, sizeof(params), "{\"k\":%llu,\"m\":%llu,\"phi_f\":0.99}",
             (unsigned long long)P.k, (unsigned long long)P.m);
    if (sim_setup(&S, bin, params) != 0)
        return 1;
    PARTY = calloc(N, sizeof(*PARTY));
    INIT[0] = calloc(N, sizeof(void *));
    INIT[1] = calloc(N, sizeof(void *));
    BODY = calloc(N, sizeof(char *));
    REG[0] = calloc(N, sizeof(char *));
    REG[1] = calloc(N, sizeof(char *));
    POOL = calloc(N, sizeof(*POOL));
    uint64_t *stake = calloc(N, sizeof(uint64_t));
    int rc = 1;
    static const char *skip_env = "ALLOW_SKIP_SIGNER_CERTIFICATION=true";
    if (SKIP_CERT)
        S.extra_env[0] = skip_env;
    for (size_t i = 0; i < N; i++) {
        if (sim_pool_init(&POOL[i], (uint32_t)i, 0) != 0) {
            fprintf(stderr, "pool identity %zu failed\n", i);
            goto out;
        }
        snprintf(PARTY[i], 64, "%s", POOL[i].pool_id);
        stake[i] = 1000000 + (uint64_t)(i * 7919 % 1000);
    }
    double keygen = run_phase(0);
    if (atomic_load(&failed) || sim_set_chain(&S, 1, PARTY, stake, N) != 0 || sim_start(&S) != 0 ||
        sim_wait_epoch(&S, 1) != 0) {
        fprintf(stderr, "setup failed (see %s)\n", S.log_path);
        goto out;
    }
    /* CPU of the two rounds only (not the epoch change between them,
     * whose signer load checks every PoP again) */
    double cpu0 = agg_cpu_s();
    double reg1 = run_phase(1);
    double cpu_reg = agg_cpu_s() - cpu0;
    size_t reg_ok = atomic_exchange(&accepted, 0);
    if (sim_set_chain(&S, 2, PARTY, stake, N) != 0 || sim_wait_epoch(&S, 2) != 0)
        goto out;
    double cpu1 = agg_cpu_s();
    double reg2 = run_phase(2);
    cpu_reg = (cpu_reg + agg_cpu_s() - cpu1) / (2.0 * (double)N) * 1000.0;
    reg_ok += atomic_exchange(&accepted, 0);
    if (reg_ok != 2 * N || atomic_load(&failed) || sim_genesis(&S) != 0 ||
        sim_set_chain(&S, 3, PARTY, stake, N) != 0 || sim_wait_epoch(&S, 3) != 0 ||
        sim_epoch_load(&S, NULL, 3, &EP) != 0) {
        fprintf(stderr, "registration/genesis failed: %zu registered (see %s)\n", reg_ok,
                S.log_path);
        goto out;
    }
    double sign = run_phase(4);
    size_t signing = 0;
    for (size_t i = 0; i < N; i++)
        signing += BODY[i] != NULL;
    /* The open message appears on the runtime's first tick of epoch 3: one
     * signature is posted until it is registered (201; 202 while it is
     * buffered before the message opens), so the rest meet an open message. */
    char url[256], hash[65];
    snprintf(url, sizeof(url), "%s/register-signatures", S.url);
    size_t first = 0;
    while (first < N && !BODY[first])
        first++;
    for (int i = 0; i < 400 && first < N; i++) {
        long st = sim_post(NULL, url, BODY[first], strlen(BODY[first]), NULL);
        if (st != 404 && st != 202)
            break;
        usleep(10000);
    }
    if (first < N) {
        free(BODY[first]); /* posted (201) above */
        BODY[first] = NULL;
    }
    double post = run_phase(3);
    if (sim_wait_certificate(&S, "{\"MithrilStakeDistribution\":3}", hash, SIM_WAIT_MS) != 0) {
        fprintf(stderr, "no certificate (see %s)\n", S.log_path);
        goto out;
    }
    size_t sent = atomic_load(&accepted) + atomic_load(&late) + atomic_load(&failed);
    long rss = 0;
    sim_stop(&S, 0, &rss);
    double q2c = log_figure("quorum_to_certificate_ms="), agg = log_figure(" aggregate_ms=");
    static const char *const parts[] = {
        "load_ms=",  "clerk_ms=",        "verify_ms=",    "build_ms=",
        "store_ms=", " certificate_ms=", " artifact_ms=", "decoded_on_arrival="};
    double part[8];
    for (size_t i = 0; i < 8; i++)
        part[i] = log_figure(parts[i]);
    bench_report("signers", (double)N, "");
    bench_report("client keygen (2 rounds)", keygen, "s");
    bench_report(SKIP_CERT ? "registrations/s (round 1, PoP checked, no credentials, stored)"
                           : "registrations/s (round 1, opcert + pool id + KES + PoP checked,"
                             " stored)",
                 (double)N / reg1, "1/s");
    bench_report("registrations/s (round 2)", (double)N / reg2, "1/s");
    bench_report("aggregator CPU per registration (both rounds)", cpu_reg, "ms");
    bench_report("client signing (signers that won a lottery)", (double)signing, "");
    bench_report("client signing time", sign, "s");
    bench_report("signatures/s (every answer: accepted + late)", (double)sent / post, "1/s");
    bench_report("signatures accepted before the certificate", (double)atomic_load(&accepted), "");
    bench_report("signatures late (410 after the certificate)", (double)atomic_load(&late), "");
    bench_report("signatures failed", (double)atomic_load(&failed), "");
    bench_report("quorum-to-certificate latency", q2c, "ms");
    bench_report("aggregation + certificate build", agg, "ms");
    bench_report("  of which: load signatures", part[0], "ms");
    bench_report("signatures aggregated as decoded on arrival", part[7], "");
    bench_report("  of which: clerk (decoded signatures) + multi-signature verify", part[1], "ms");
    bench_report("  of which: previous certificate, protocol message", part[2], "ms");
    bench_report("  of which: certificate + MSD artifact build", part[3], "ms");
    bench_report("    certificate build, link check, JSON", part[5], "ms");
    bench_report("    MSD artifact", part[6], "ms");
    bench_report("  of which: one-transaction store", part[4], "ms");
    bench_report("runtime thread CPU from aggregation to stored certificate",
                 log_figure("thread_cpu_ms="), "ms");
    /* CPU figures: what the machine's load does not stretch (the
     * aggregation's second thread is not counted). */
    bench_report("  CPU: aggregation (clerk + multi-signature check)",
                 log_figure("cpu_aggregate_ms="), "ms");
    bench_report("  CPU: certificate (previous, build, link, JSON, hash)",
                 log_figure("cpu_certificate_ms="), "ms");
    bench_report("  CPU: artifact", log_figure("cpu_artifact_ms="), "ms");
    bench_report("  CPU: one-transaction store", log_figure("cpu_store_ms="), "ms");
    bench_report("aggregator peak RSS", (double)rss / 1024.0, "MiB");
    rc = atomic_load(&failed) ? 1 : 0;
    if (log_figure("Sanitizer") != -1 || log_figure("runtime error") != -1) {
        fprintf(stderr, "sanitizer report in %s\n", S.log_path);
        rc = 1;
    }
out:
    if (S.pid)
        sim_stop(&S, 1, NULL);
    sim_epoch_clear(&EP);
    for (size_t i = 0; i < N; i++) {
        mtl_stm_initializer_free(INIT[0][i]);
        mtl_stm_initializer_free(INIT[1][i]);
        free(BODY[i]);
        free(REG[0][i]);
        free(REG[1][i]);
        sim_pool_clear(&POOL[i]);
    }
    free(REG[0]);
    free(REG[1]);
    free(POOL);
    free(INIT[0]);
    free(INIT[1]);
    free(BODY);
    free(PARTY);
    free(stake);
    sim_cleanup(&S, rc != 0);
    curl_global_cleanup();
    return rc;
}
