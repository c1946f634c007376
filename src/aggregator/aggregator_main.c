/* aggregator_main.c - mithril-aggregator: command dispatch and `serve`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregator_int.h"
#include "cmdhelp.h"
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

/* The listening port on stdout and in PORT_FILE; the public URL. */
static void announce_listening(struct agg *a, struct app_httpd *h)
{
    unsigned port = app_httpd_port(h);
    printf("port=%u\n", port);
    fflush(stdout);
    if (a->cfg.port_file[0]) {
        char txt[16];
        int n = snprintf(txt, sizeof(txt), "%u\n", port);
        if (mtl_atomic_write(a->cfg.port_file, txt, (size_t)n, 0644) != MTL_OK)
            log_warn("port_file", "error=\"%s\"", mtl_err_detail());
    }
    if (a->cfg.server_url[0])
        snprintf(a->public_url, sizeof(a->public_url), "%s", a->cfg.server_url);
    else
        snprintf(a->public_url, sizeof(a->public_url), "http://%s:%u/aggregator", a->cfg.server_ip,
                 port);
    log_info("listening", "ip=%s port=%u network=%s", a->cfg.server_ip, port, a->cfg.network);
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
    announce_listening(&a, h);
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

/* A row of the command table (cmdhelp.h): the function running the command,
 * and whether it reads the settings serve reads (listed in its --help). */
struct agg_cmd_row {
    struct app_cmd h;
    int (*run)(int argc, char **argv);
    int settings;
};

#define TARGET_DIR "  --target-path DIR      the directory the key files are written to\n"
static const struct agg_cmd_row COMMANDS[] = {
    {{"serve", NULL, "", "[options]", "Run the aggregator: HTTP API, epoch runtime, certifier", ""},
     agg_cmd_serve,
     1},
    {{"genesis", NULL, "generate-keypair", "--target-path DIR",
      "Write a genesis key pair: DIR/genesis.sk (0600) and DIR/genesis.vkey", TARGET_DIR},
     agg_cmd_genesis,
     0},
    {{"genesis", NULL, "bootstrap", "[--genesis-secret-key-path K] [options]",
      "Sign and store the genesis certificate of the current epoch",
      "  --genesis-secret-key-path K  the genesis secret key file (or env GENESIS_SECRET_KEY)\n"
      "  --genesis-secret-key KEY     the key itself (warned about: ps shows it)\n"},
     agg_cmd_genesis,
     1},
    {{"genesis", NULL, "export", "--target-path F [options]",
      "Write the genesis payload to sign with an air-gapped key",
      "  --target-path F        where the payload is written\n"},
     agg_cmd_genesis,
     1},
    {{"genesis", NULL, "sign",
      "--to-sign-payload-path F --target-signed-payload-path G --genesis-secret-key-path K",
      "Sign an exported payload (needs neither store nor chain)",
      "  --to-sign-payload-path F        the payload written by genesis export\n"
      "  --target-signed-payload-path G  where the signature is written\n"
      "  --genesis-secret-key-path K     the genesis secret key file\n"},
     agg_cmd_genesis,
     0},
    {{"genesis", NULL, "import", "--signed-payload-path G [options]",
      "Store the genesis certificate of a signed payload (checked with "
      "GENESIS_VERIFICATION_KEY)",
      "  --signed-payload-path G  the signature written by genesis sign\n"},
     agg_cmd_genesis,
     1},
    {{"tools", NULL, "import-certificates", "--file F [options]",
      "Load a certificate chain (JSON array or object by hash) into the store",
      "  --file F               the certificates\n"},
     agg_cmd_tools,
     1},
    {{"tools", NULL, "generate-ancillary-keypair", "--target-path DIR",
      "Write the ancillary key pair: DIR/ancillary.sk (0600) and DIR/ancillary.vkey", TARGET_DIR},
     agg_cmd_tools,
     0},
    {{"era", NULL, "list", "[--json]", "The Mithril eras this software supports",
      "  --json                 as a JSON array\n"},
     agg_cmd_era,
     0},
    {{"era", NULL, "generate-keypair", "--target-path DIR",
      "Write an era markers key pair: DIR/era.sk (0600) and DIR/era.vk", TARGET_DIR},
     agg_cmd_era,
     0},
    {{"era", NULL, "generate-tx-datum",
      "--current-era-epoch E [--next-era-epoch N] --era-markers-secret-key K --target-path F",
      "Write the signed era markers datum to put on chain",
      "  --current-era-epoch E       the current era's start epoch (env CURRENT_ERA_EPOCH)\n"
      "  --next-era-epoch N          the next era's start epoch (env NEXT_ERA_EPOCH)\n"
      "  --era-markers-secret-key K  JSON-hex era key (env ERA_MARKERS_SECRET_KEY)\n"
      "  --target-path F             where the datum is written\n"},
     agg_cmd_era,
     0},
};

static void usage_all(FILE *out)
{
    fputs("usage: mithril-aggregator [-v...] [--json] <command> [options]\n"
          "       mithril-aggregator <command> [<subcommand>] --help | --version\ncommands:\n",
          out);
    app_cmd_list(out, APP_CMD_ROWS(COMMANDS));
    agg_config_usage(out);
}

/* `<command> [<subcommand>] ... --help`: the rows those words name, then
 * the settings when one of them reads them. */
static int usage_of(FILE *out, char **words, int n)
{
    unsigned char printed[sizeof(COMMANDS) / sizeof(COMMANDS[0])];
    if (app_cmd_help(out, "mithril-aggregator [-v...] [--json]", APP_CMD_ROWS(COMMANDS), words, n,
                     printed) == 0)
        return 2;
    for (size_t i = 0; i < sizeof(printed); i++)
        if (printed[i] && COMMANDS[i].settings) {
            agg_config_options(out);
            break;
        }
    return 0;
}

int main(int argc, char **argv)
{
    int verbosity = 0, json = 0, help;
    if (app_prog_version("mithril-aggregator", argc, argv))
        return 0;
    int i = app_prog_flags(argc, argv, &verbosity, &json, &help);
    if (help) {
        usage_all(stdout);
        return 0;
    }
    app_log_setup("aggregator", verbosity, json);
    if (mtl_init() != MTL_OK) {
        log_error("init", "error=\"%s\"", mtl_err_detail());
        return 1;
    }
    if (i >= argc) {
        usage_all(stderr);
        return 2;
    }
    const struct agg_cmd_row *r = app_cmd_find(APP_CMD_ROWS(COMMANDS), argv[i]);
    if (!r) {
        fprintf(stderr, "mithril-aggregator: unknown command '%s' (see --help)\n", argv[i]);
        return 2;
    }
    for (int k = i + 1; k < argc; k++)
        if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)
            return usage_of(stdout, argv + i, argc - i);
    return r->run(argc - i - 1, argv + i + 1);
}
