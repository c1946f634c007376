/* client_main.c - mithril-client: command line, global flags, dispatch and
 * help. One table row per command and subcommand (name, alias, usage,
 * flags, the function running the command): the first row of a command
 * runs it, and `<command> [<subcommand>] --help` prints the rows it names.
 *   mithril-client [--aggregator-endpoint URL] [--json] [-v...]
 *                  [--genesis-verification-key KEY|FILE] [--cache-dir D]
 *                  [--origin-tag TAG] <command> ...
 * Global flags may appear anywhere; AGGREGATOR_ENDPOINT and
 * GENESIS_VERIFICATION_KEY are read from the environment like the reference. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_cli.h"
#include "cmdhelp.h"
#include "log.h"
#include "program.h"

/* A row of the command table (cmdhelp.h) and the function running it. */
struct cmd_row {
    struct app_cmd h;
    int (*run)(struct cli *c, int argc, char **argv);
};

static const struct cmd_row COMMANDS[] = {
    {{"cardano-db", "cdb", "snapshot list", "", "List the certified Cardano databases", ""},
     cmd_cardano_db},
    {{"cardano-db", "cdb", "snapshot show", "<hash|latest>",
      "Show a Cardano database snapshot (verified first when a genesis key is given)", ""},
     cmd_cardano_db},
    {{"cardano-db", "cdb", "download", "<hash|latest> [flags]",
      "Download, verify and restore a certified Cardano database",
      "  --download-dir D       the DB goes to D/db (default .)\n"
      "  --start N, --end M     restore immutable files N to M only (default: all)\n"
      "  --include-ancillary    also restore the ledger state and the last trio (IOG-signed)\n"
      "  --ancillary-verification-key K  key text or file (env ANCILLARY_VERIFICATION_KEY)\n"
      "  --allow-override       restore into a non-empty directory\n"
      "  --parallel N, --max-parallel-downloads N  archives downloaded at once, 1-64\n"
      "                         (default 4)\n"},
     cmd_cardano_db},
    {{"cardano-db", "cdb", "verify", "<hash|latest> --db-dir D [flags]",
      "Verify an existing node DB against a certified snapshot, without downloading it",
      "  --db-dir D             the node's DB (holding immutable/)\n"
      "  --start N, --end M     verify immutable files N to M only (default: all)\n"
      "  --allow-missing        absent immutable files are not an error\n"},
     cmd_cardano_db},
    {{"mithril-stake-distribution", "msd", "list", "", "List the certified stake distributions",
      ""},
     cmd_msd},
    {{"mithril-stake-distribution", "msd", "download", "<hash|latest> [--download-dir D]",
      "Download and verify a Mithril stake distribution",
      "  --download-dir D       where the JSON file is written (default .)\n"},
     cmd_msd},
    {{"cardano-stake-distribution", "csd", "list", "",
      "List the certified Cardano stake distributions", ""},
     cmd_csd},
    {{"cardano-stake-distribution", "csd", "download", "<hash|epoch|latest> [--download-dir D]",
      "Download and verify a Cardano stake distribution (chain, hash and Merkle root)",
      "  --download-dir D       where the JSON file is written (default .)\n"},
     cmd_csd},
    {{"cardano-transaction", NULL, "snapshot list", "[--backend v1|v2]",
      "List the certified Cardano transactions snapshots", ""},
     cmd_cardano_transaction},
    {{"cardano-transaction", NULL, "snapshot show", "<hash|latest> [--backend v1|v2]",
      "Show a Cardano transactions snapshot (verified first when a genesis key is given)", ""},
     cmd_cardano_transaction},
    {{"cardano-transaction", NULL, "certify", "HASH[,HASH...] [--backend v1|v2]",
      "Certify transactions: Merkle proof, certificate chain, proof bound to the certificate",
      "  --backend v1|v2        the proof route (/proof/cardano-transaction or /proof/v2/...)\n"},
     cmd_cardano_transaction},
    {{"cardano-block", NULL, "snapshot list", "", "List the certified Cardano blocks snapshots",
      ""},
     cmd_cardano_block},
    {{"cardano-block", NULL, "snapshot show", "<hash|latest>",
      "Show a Cardano blocks snapshot (verified first when a genesis key is given)", ""},
     cmd_cardano_block},
    {{"cardano-block", NULL, "certify", "HASH[,HASH...]",
      "Certify blocks: Merkle proof, certificate chain, proof bound to the certificate", ""},
     cmd_cardano_block},
    {{"certificate", NULL, "list", "", "List the certificates", ""}, cmd_certificate},
    {{"certificate", NULL, "show", "<hash>", "Show a certificate", ""}, cmd_certificate},
    {{"certificate", NULL, "verify", "<hash|latest>",
      "Verify a certificate chain back to the genesis certificate", ""},
     cmd_certificate},
};

static const char GLOBAL_FLAGS[] =
    "global flags:\n"
    "  --aggregator-endpoint URL      (env AGGREGATOR_ENDPOINT)\n"
    "  --genesis-verification-key K   key text or file (env GENESIS_VERIFICATION_KEY)\n"
    "  --cache-dir D                  verified-certificate cache (env MITHRIL_CLIENT_CACHE_DIR,\n"
    "                                 default ~/.cache/mithril-client; \"\" disables)\n"
    "  --origin-tag TAG               sent as the mithril-origin-tag header\n"
    "  --json                         one JSON document on stdout, JSON log lines on stderr\n"
    "  --log-format-json              JSON log lines on stderr only\n"
    "  -v, -vv, -vvv                  more logging on stderr\n"
    "  --unstable                     accepted for the reference's scripts (no command is\n"
    "                                 unstable here)\n"
    "  -h, --help                     this help, or a command's: <command> [<sub>] --help\n"
    "  -V, --version                  the version\n";

static void usage_all(FILE *out)
{
    fputs("usage: mithril-client [global flags] <command> [<subcommand>] [args]\n"
          "Shows, downloads and verifies certified blockchain artifacts.\ncommands:\n",
          out);
    app_cmd_list(out, APP_CMD_ROWS(COMMANDS));
    fputs(GLOBAL_FLAGS, out);
}

/* The help of the command words[0] and its subcommand words; -1 when
 * words[0] is no command. */
static int usage_of(FILE *out, char **words, int n)
{
    if (app_cmd_help(out, "mithril-client [global flags]", APP_CMD_ROWS(COMMANDS), words, n,
                     NULL) == 0)
        return -1;
    fputs("\n(global flags: mithril-client --help)\n", out);
    return 0;
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "mithril-client: %s%s%s\n\n", msg, arg ? ": " : "", arg ? arg : "");
    usage_all(stderr);
    return CLIENT_EXIT_USAGE;
}

/* What the command line asks besides a command. */
struct globals {
    const char *endpoint, *origin_tag;
    int help, version, log_json;
};

/* A global flag taking a value: where it goes, or NULL. */
static const char **value_flag(struct cli *c, struct globals *g, const char *a)
{
    if (strcmp(a, "--aggregator-endpoint") == 0)
        return &g->endpoint;
    if (strcmp(a, "--genesis-verification-key") == 0)
        return &c->cl.genesis_vk_text;
    if (strcmp(a, "--cache-dir") == 0)
        return &c->cl.cache_dir;
    if (strcmp(a, "--origin-tag") == 0)
        return &g->origin_tag;
    return NULL;
}

/* The global flags pulled out of argv (the rest kept in order in rest[]);
 * the usage exit code or 0. */
static int parse_globals(struct cli *c, struct globals *g, int argc, char **argv, char **rest,
                         int *nrest)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], **dst = value_flag(c, g, a);
        if (dst) {
            if (i + 1 >= argc)
                return usage_error("missing value for", a);
            *dst = argv[++i];
        } else if (strcmp(a, "--json") == 0) {
            c->json = 1;
        } else if (strcmp(a, "--log-format-json") == 0) {
            g->log_json = 1;
        } else if (strcmp(a, "--unstable") == 0) {
            continue;
        } else if (app_prog_verbose_flag(a)) {
            c->verbose += app_prog_verbose_flag(a);
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            g->help = 1;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            g->version = 1;
        } else {
            rest[(*nrest)++] = argv[i];
        }
    }
    return 0;
}

/* --help with the words before the first flag: the command's help. */
static int help(int n, char **rest)
{
    if (n == 0 || rest[0][0] == '-') {
        usage_all(stdout);
        return CLIENT_EXIT_OK;
    }
    if (usage_of(stdout, rest, n) != 0)
        return usage_error("unknown command", rest[0]);
    return CLIENT_EXIT_OK;
}

/* Default cache of verified certificates: $XDG_CACHE_HOME or ~/.cache (an
 * empty MITHRIL_CLIENT_CACHE_DIR or --cache-dir "" disables it). */
static void default_cache(struct cli *c, char *buf, size_t cap)
{
    if (c->cl.cache_dir)
        return;
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    mtl_err e = MTL_OK;
    if (x && *x)
        e = mtl_path_fmt(buf, cap, "%s/mithril-client", x);
    else if (home && *home)
        e = mtl_path_fmt(buf, cap, "%s/.cache/mithril-client", home);
    else
        buf[0] = 0;
    if (e != MTL_OK) /* buf is "": no cache */
        log_warn("cache_dir", "error=\"%s\" cache=disabled", mtl_err_detail());
    c->cl.cache_dir = buf;
}

/* The first row of the command runs it; a usage error shows its help. */
static int dispatch(struct cli *c, int n, char **rest)
{
    const struct cmd_row *r = app_cmd_find(APP_CMD_ROWS(COMMANDS), rest[0]);
    if (!r)
        return usage_error("unknown command", rest[0]);
    int rc = r->run(c, n - 1, rest + 1);
    if (rc == CLIENT_EXIT_USAGE) {
        fputc('\n', stderr);
        usage_of(stderr, rest, n);
    }
    return rc;
}

/* The aggregator endpoint without trailing slashes (mtl_free). */
static char *endpoint_dup(const char *endpoint)
{
    char *ep = mtl_strdup(endpoint);
    size_t el = ep ? strlen(ep) : 0;
    while (el > 0 && ep[el - 1] == '/')
        ep[--el] = '\0';
    return ep;
}

static int run(struct cli *c, struct globals *g, int nrest, char **rest)
{
    if (nrest == 0)
        return usage_error("missing command", NULL);
    if (!g->endpoint || !*g->endpoint)
        return usage_error("no aggregator endpoint (--aggregator-endpoint or AGGREGATOR_ENDPOINT)",
                           NULL);
    if (client_http_identity(g->origin_tag) != MTL_OK)
        return usage_error(mtl_err_detail(), NULL);
    char *ep = endpoint_dup(g->endpoint);
    c->cl.endpoint = ep;
    if (mtl_init() != MTL_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !ep) {
        fprintf(stderr, "mithril-client: initialisation failed\n");
        mtl_free(ep);
        return CLIENT_EXIT_FAIL;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer closing a socket is an error, not a death */
    int rc = dispatch(c, nrest, rest);
    curl_global_cleanup();
    mtl_free(ep);
    return rc;
}

int main(int argc, char **argv)
{
    struct cli c = {.cl = {.genesis_vk_text = getenv("GENESIS_VERIFICATION_KEY"),
                           .cache_dir = getenv("MITHRIL_CLIENT_CACHE_DIR")}};
    c.cl.events = (struct client_events){.emit = out_event, .ctx = &c};
    struct globals g = {.endpoint = getenv("AGGREGATOR_ENDPOINT")};
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    if (!rest)
        return CLIENT_EXIT_FAIL;
    int nrest = 0, rc = parse_globals(&c, &g, argc, argv, rest, &nrest);
    char cache_default[4096];
    if (rc == 0 && g.version)
        printf("mithril-client %s\n", mtl_version());
    else if (rc == 0 && g.help)
        rc = help(nrest, rest);
    else if (rc == 0) {
        app_log_setup("mithril-client", c.verbose, c.json || g.log_json);
        c.tty = !c.json && isatty(2);
        default_cache(&c, cache_default, sizeof(cache_default));
        rc = run(&c, &g, nrest, rest);
    }
    free(rest);
    return rc;
}
