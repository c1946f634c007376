/* signer_main.c - mithril-signer: options, then the state machine cycle every
 * RUN_INTERVAL ms until SIGTERM/SIGINT. A failed cycle is logged and retried
 * with a growing delay (up to 8 intervals); the process never exits on an
 * aggregator or node error. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "program.h"
#include "signer_int.h"

static double now_ms(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU of finished children (cardano-cli runs), in ms. */
static double children_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * 4; /* 4 KiB pages on the platforms we run */
}

/* Sleep ms, waking early on a stop signal. */
static void pause_ms(double ms)
{
    while (ms > 0 && !app_prog_stop) {
        double step = ms > 100 ? 100 : ms;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1e6)};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* Shown whatever the log level: this signer proves nothing. */
static void warn_unauthenticated(const struct signer_config *cfg)
{
    fprintf(stderr,
            "mithril-signer: WARNING: ALLOW_UNAUTHENTICATED_SIGNER is set: registering "
            "as %s with no KES signature and no operational certificate (tests only; "
            "a verifying aggregator refuses it)\n",
            cfg->party_id);
    log_warn("unauthenticated_signer",
             "party=%s detail=\"ALLOW_UNAUTHENTICATED_SIGNER: no KES signature, no opcert; "
             "tests only\"",
             cfg->party_id);
}

/* The cycles until a stop signal or max_cycles: 0, or 1 on an unsupported era. */
static int run_cycles(struct signer_runtime *rt, const struct signer_config *cfg)
{
    struct app_metrics *metrics = signer_runtime_metrics(rt);
    unsigned failures = 0;
    for (uint64_t cycle = 1; !app_prog_stop; cycle++) {
        double t0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID),
               k0 = children_cpu_ms();
        const char *before = signer_state_name(rt);
        app_metrics_inc(metrics, SIGNER_M_CYCLE_TOTAL);
        mtl_err e = signer_runtime_cycle(rt);
        double wall = now_ms(CLOCK_MONOTONIC) - t0, cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0,
               kids = children_cpu_ms() - k0;
        if (e != MTL_OK && signer_runtime_fatal(rt)) {
            fprintf(stderr, "mithril-signer: %s\n", mtl_err_detail());
            log_error("unsupported_era", "error=\"%s\"", mtl_err_detail());
            return 1;
        }
        if (e != MTL_OK) {
            failures++;
            log_error("cycle_failed", "state=%s error=\"%s\" consecutive_failures=%u", before,
                      mtl_err_detail(), failures);
        } else {
            failures = 0;
            app_metrics_inc(metrics, SIGNER_M_CYCLE_SUCCESS);
        }
        log_info("cycle",
                 "n=%llu state=%s next_state=%s wall_ms=%.1f cpu_ms=%.2f children_cpu_ms=%.1f "
                 "rss_kb=%ld",
                 (unsigned long long)cycle, before, signer_state_name(rt), wall, cpu, kids,
                 rss_kb());
        if (cfg->max_cycles && cycle >= cfg->max_cycles)
            break;
        /* Back off on repeated failures (x2 each, at most x8). */
        unsigned mult = failures > 3 ? 8 : (failures ? 1u << failures : 1);
        pause_ms((double)cfg->run_interval_ms * mult);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int verbosity = 0, json = 0, help;
    if (app_prog_version("mithril-signer", argc, argv))
        return 0;
    int i = app_prog_flags(argc, argv, &verbosity, &json, &help);
    for (int k = i; k < argc && !help; k++) /* --help after the options too */
        help = strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0;
    if (help) {
        signer_config_usage(stdout);
        return 0;
    }
    app_log_setup("signer", 0, json);
    /* Reference mapping: none error, -v warn, -vv info, -vvv debug, -vvvv trace. */
    app_log_threshold = verbosity > MTL_LOG_TRACE ? MTL_LOG_TRACE : verbosity;
    struct signer_config cfg;
    if (signer_config_load(&cfg, argc, argv, i) != MTL_OK) {
        fprintf(stderr, "mithril-signer: %s\n", mtl_err_detail());
        log_error("bad_configuration", "error=\"%s\"", mtl_err_detail());
        return 2;
    }
    if (cfg.allow_unauthenticated)
        warn_unauthenticated(&cfg);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct signer_runtime *rt = NULL;
    if (signer_runtime_new(&rt, &cfg) != MTL_OK) {
        fprintf(stderr, "mithril-signer: %s\n", mtl_err_detail());
        log_error("startup_failed", "error=\"%s\"", mtl_err_detail());
        curl_global_cleanup();
        return 1;
    }
    struct app_metrics *metrics = signer_runtime_metrics(rt);
    struct app_httpd *metrics_server = NULL;
    if (cfg.enable_metrics_server) {
        if (app_metrics_serve(metrics, cfg.metrics_server_ip, cfg.metrics_server_port,
                              &metrics_server) != MTL_OK) {
            fprintf(stderr, "mithril-signer: %s\n", mtl_err_detail());
            log_error("startup_failed", "error=\"%s\"", mtl_err_detail());
            signer_runtime_free(rt);
            curl_global_cleanup();
            return 1;
        }
        log_info("metrics_server", "ip=%s port=%u", cfg.metrics_server_ip,
                 (unsigned)app_httpd_port(metrics_server));
    }
    app_prog_catch_stop();
    signal(SIGPIPE, SIG_IGN);
    log_info("starting",
             "party=%s identity=%s aggregator=%s network=%s magic=%llu run_interval_ms=%u "
             "stores=%s db=%s",
             cfg.party_id, cfg.allow_unauthenticated ? "UNAUTHENTICATED" : "opcert+kes",
             cfg.aggregator_endpoint, cfg.network, (unsigned long long)cfg.network_magic,
             cfg.run_interval_ms, cfg.data_stores_directory, cfg.db_directory);
    if (run_cycles(rt, &cfg) != 0) {
        app_httpd_stop(metrics_server); /* unsupported era: every server stops too */
        signer_runtime_free(rt);
        curl_global_cleanup();
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    log_info("stopping", "max_rss_kb=%ld", ru.ru_maxrss);
    app_httpd_stop(metrics_server);
    signer_runtime_free(rt);
    curl_global_cleanup();
    return 0;
}
