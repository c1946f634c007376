/* aggregator_main.c - mithril-aggregator: command dispatch and `serve`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"
#include "program.h"

/* Body bounds per route: a registration is a few KB; a signature carries at
 * most m won indexes, twice (hex-encoded JSON inside, won_indexes beside). */
static void http_opts(const struct agg_config *c, struct app_httpd_opts *o,
                      struct app_httpd_route_limit lim[3])
{
    unsigned digits = 1;
    for (uint64_t m = c->params.m; m >= 10; m /= 10)
        digits++;
    lim[0] = (struct app_httpd_route_limit){"POST", "/aggregator/register-signer", 16 << 10};
    lim[1] = (struct app_httpd_route_limit){"POST", "/aggregator/register-signatures",
                                            (8 << 10) + (size_t)c->params.m * 3 * (digits + 1)};
    lim[2] = (struct app_httpd_route_limit){"POST", "/aggregator/statistics/", 4 << 10};
    *o = (struct app_httpd_opts){.max_body = 4 << 10,
                                 .limits = lim,
                                 .n_limits = 3,
                                 .threads = c->http_threads,
                                 .max_connections = c->http_max_connections,
                                 .per_ip = c->http_per_ip,
                                 .deadline_ms = c->http_deadline_ms};
}

int agg_cmd_serve(int argc, char **argv)
{
    struct agg a;
    struct app_httpd *h = NULL, *mh = NULL;
    int rc = 1;
    memset(&a, 0, sizeof(a));
    mtl_err e = agg_config_load(&a.cfg, argc, argv, 0);
    if (e != MTL_OK) {
        log_error("config", "error=\"%s\"", mtl_err_detail());
        return 2;
    }
    /* The ancillary key is read once, here: a configured key that does not
     * load stops the start; none configured, ancillary archives go unsigned. */
    if (a.cfg.ancillary_secret_key_path[0] || a.cfg.ancillary_secret_key[0]) {
        if (agg_ancillary_seed(&a.cfg, a.ancillary_seed) != MTL_OK) {
            log_error("config", "error=\"%s\"", mtl_err_detail());
            return 2;
        }
        a.have_ancillary = 1;
    }
    if (a.cfg.leader_aggregator_endpoint[0]) {
        if (agg_follower_new(&a.follower, &a.cfg) != MTL_OK) {
            log_error("config", "error=\"%s\"", mtl_err_detail());
            rc = 2;
            goto out_wipe;
        }
        log_info("follower_mode", "leader=%s", a.cfg.leader_aggregator_endpoint);
    }
    e = agg_store_open(&a.store, a.cfg.data_stores_directory);
    if (e != MTL_OK) {
        log_error("store_open", "error=\"%s\"", mtl_err_detail());
        goto out_wipe;
    }
    if (agg_runtime_init(&a) != MTL_OK) {
        log_error("runtime", "error=\"%s\"", mtl_err_detail());
        agg_store_close(&a.store);
        goto out_wipe;
    }
    e = agg_era_open(&a);
    if (e != MTL_OK) {
        fprintf(stderr, "mithril-aggregator: %s\n", mtl_err_detail());
        log_error(e == MTL_ERR_STATE ? "unsupported_era" : "era", "error=\"%s\"", mtl_err_detail());
        rc = e == MTL_ERR_CONFIG ? 2 : 1;
        goto out;
    }
    e = agg_metrics_new(&a.metrics);
    if (e == MTL_OK && a.cfg.enable_metrics_server)
        e = app_metrics_serve(a.metrics, a.cfg.metrics_server_ip, a.cfg.metrics_server_port, &mh);
    if (e != MTL_OK) {
        log_error("metrics", "error=\"%s\"", mtl_err_detail());
        goto out;
    }
    if (mh)
        log_info("metrics_server", "ip=%s port=%u", a.cfg.metrics_server_ip,
                 (unsigned)app_httpd_port(mh));
    struct app_httpd_opts ho;
    struct app_httpd_route_limit lim[3];
    http_opts(&a.cfg, &ho, lim);
    e = app_httpd_start_opts(&h, a.cfg.server_ip, a.cfg.server_port, &ho, agg_routes_handle, &a);
    if (e != MTL_OK) {
        log_error("listen", "error=\"%s\"", mtl_err_detail());
        goto out;
    }
    unsigned port = app_httpd_port(h);
    printf("port=%u\n", port);
    fflush(stdout);
    if (a.cfg.port_file[0]) {
        char txt[16];
        int n = snprintf(txt, sizeof(txt), "%u\n", port);
        if (mtl_atomic_write(a.cfg.port_file, txt, (size_t)n, 0644) != MTL_OK)
            log_warn("port_file", "error=\"%s\"", mtl_err_detail());
    }
    if (a.cfg.server_url[0])
        snprintf(a.public_url, sizeof(a.public_url), "%s", a.cfg.server_url);
    else
        snprintf(a.public_url, sizeof(a.public_url), "http://%s:%u/aggregator", a.cfg.server_ip,
                 port);
    log_info("listening", "ip=%s port=%u network=%s", a.cfg.server_ip, port, a.cfg.network);
    if (a.cfg.allow_skip_signer_certification)
        log_warn("UNSAFE_allow_skip_signer_certification",
                 "reason=\"ALLOW_SKIP_SIGNER_CERTIFICATION is on: registrations without pool"
                 " credentials are accepted, anyone may register a key for any pool; tests only\"");
    /* The runtime (chain reads, certificates, snapshots) runs on its own
     * thread so the API stays responsive. */
    if (agg_runtime_start(&a) != MTL_OK) {
        log_error("runtime", "error=\"%s\"", mtl_err_detail());
        goto out;
    }
    app_prog_catch_stop();
    while (!app_prog_stop)
        usleep(a.cfg.run_interval_ms > 200 ? 200000 : a.cfg.run_interval_ms * 1000);
    log_info("stopping", "signal=%d", !a.exit_code);
    rc = a.exit_code;
out:
    app_httpd_stop(h);
    agg_runtime_stop(&a);
    app_httpd_stop(mh);
    app_metrics_free(a.metrics);
    agg_runtime_destroy(&a);
    agg_store_close(&a.store);
    agg_era_close(&a);
out_wipe:
    agg_follower_free(a.follower);
    mtl_memzero(a.ancillary_seed, sizeof(a.ancillary_seed));
    return rc;
}

int main(int argc, char **argv)
{
    int verbosity = 0, json = 0, help;
    int i = app_prog_flags(argc, argv, &verbosity, &json, &help);
    if (help) {
        agg_config_usage(stdout);
        return 0;
    }
    app_log_setup("aggregator", verbosity, json);
    if (mtl_init() != MTL_OK) {
        log_error("init", "error=\"%s\"", mtl_err_detail());
        return 1;
    }
    if (i >= argc) {
        agg_config_usage(stderr);
        return 2;
    }
    const char *cmd = argv[i];
    for (int k = i + 1; k < argc; k++)
        if (strcmp(argv[k], "--help") == 0) {
            agg_config_usage(stdout);
            return 0;
        }
    if (strcmp(cmd, "serve") == 0)
        return agg_cmd_serve(argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "genesis") == 0)
        return agg_cmd_genesis(argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "tools") == 0)
        return agg_cmd_tools(argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "era") == 0)
        return agg_cmd_era(argc - i - 1, argv + i + 1);
    fprintf(stderr, "mithril-aggregator: unknown command '%s' (see --help)\n", cmd);
    return 2;
}
