/* client_main.c - mithril-client: command line, global flags, dispatch.
 *   mithril-client [--aggregator-endpoint URL] [--json] [-v...]
 *                  [--genesis-verification-key KEY|FILE] [--cache-dir D] <command> ...
 * Global flags may appear anywhere; AGGREGATOR_ENDPOINT and
 * GENESIS_VERIFICATION_KEY are read from the environment like the reference. */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_cli.h"
#include "log.h"
#include "program.h"

static const char USAGE[] =
    "usage: mithril-client [global flags] <command>\n"
    "commands:\n"
    "  cardano-db snapshot list\n"
    "  cardano-db snapshot show <hash|latest>\n"
    "  cardano-db download <hash|latest> [--download-dir D] [--start N] [--end M]\n"
    "             [--include-ancillary --ancillary-verification-key K]\n"
    "  mithril-stake-distribution list\n"
    "  mithril-stake-distribution download <hash|latest> [--download-dir D]\n"
    "  cardano-transaction snapshot list [--backend v1|v2]\n"
    "  cardano-transaction snapshot show <hash|latest> [--backend v1|v2]\n"
    "  cardano-transaction certify HASH[,HASH...] [--backend v1|v2]\n"
    "  cardano-block snapshot list\n"
    "  cardano-block snapshot show <hash|latest>\n"
    "  cardano-block certify HASH[,HASH...]\n"
    "  certificate list\n"
    "  certificate show <hash>\n"
    "  certificate verify <hash|latest>\n"
    "global flags:\n"
    "  --aggregator-endpoint URL   (env AGGREGATOR_ENDPOINT)\n"
    "  --genesis-verification-key K  key text or file (env GENESIS_VERIFICATION_KEY)\n"
    "  --cache-dir D               verified-certificate cache (env MITHRIL_CLIENT_CACHE_DIR,\n"
    "                              default ~/.cache/mithril-client; \"\" disables)\n"
    "  --json                      one JSON document on stdout, JSON log lines on stderr\n"
    "  -v, -vv, -vvv               more logging on stderr\n";

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "mithril-client: %s%s%s\n\n%s", msg, arg ? ": " : "", arg ? arg : "", USAGE);
    return CLIENT_EXIT_USAGE;
}

/* The global flags pulled out of argv (the rest kept in order in rest[]);
 * -1 when --help was given, else the usage exit code or 0. */
static int parse_globals(struct cli *c, const char **endpoint, int argc, char **argv, char **rest,
                         int *nrest)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--aggregator-endpoint") == 0 ||
            strcmp(a, "--genesis-verification-key") == 0 || strcmp(a, "--cache-dir") == 0) {
            if (!v)
                return usage_error("missing value for", a);
            if (a[2] == 'a')
                *endpoint = v;
            else if (a[2] == 'g')
                c->cl.genesis_vk_text = v;
            else
                c->cl.cache_dir = v;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            c->json = 1;
        } else if (app_prog_verbose_flag(a)) {
            c->verbose += app_prog_verbose_flag(a);
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(USAGE, stdout);
            return -1;
        } else {
            rest[(*nrest)++] = argv[i];
        }
    }
    return 0;
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

static int dispatch(struct cli *c, int n, char **rest)
{
    const char *cmd = rest[0];
    int rc;
    if (strcmp(cmd, "certificate") == 0)
        rc = cmd_certificate(c, n - 1, rest + 1);
    else if (strcmp(cmd, "cardano-db") == 0)
        rc = cmd_cardano_db(c, n - 1, rest + 1);
    else if (strcmp(cmd, "cardano-transaction") == 0)
        rc = cmd_cardano_transaction(c, n - 1, rest + 1);
    else if (strcmp(cmd, "cardano-block") == 0)
        rc = cmd_cardano_block(c, n - 1, rest + 1);
    else if (strcmp(cmd, "mithril-stake-distribution") == 0 || strcmp(cmd, "msd") == 0)
        rc = cmd_msd(c, n - 1, rest + 1);
    else
        rc = usage_error("unknown command", cmd);
    if (rc == CLIENT_EXIT_USAGE)
        fputs(USAGE, stderr);
    return rc;
}

int main(int argc, char **argv)
{
    struct cli c = {.cl = {.genesis_vk_text = getenv("GENESIS_VERIFICATION_KEY"),
                           .cache_dir = getenv("MITHRIL_CLIENT_CACHE_DIR")}};
    c.cl.events = (struct client_events){.emit = out_event, .ctx = &c};
    const char *endpoint = getenv("AGGREGATOR_ENDPOINT");
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    if (!rest)
        return CLIENT_EXIT_FAIL;
    int nrest = 0, rc = parse_globals(&c, &endpoint, argc, argv, rest, &nrest);
    char cache_default[4096], *ep = NULL;
    if (rc != 0)
        goto out;
    app_log_setup("mithril-client", c.verbose, c.json);
    c.tty = !c.json && isatty(2);
    default_cache(&c, cache_default, sizeof(cache_default));
    if (nrest == 0) {
        rc = usage_error("missing command", NULL);
        goto out;
    }
    if (!endpoint || !*endpoint) {
        rc = usage_error("no aggregator endpoint (--aggregator-endpoint or AGGREGATOR_ENDPOINT)",
                         NULL);
        goto out;
    }
    ep = strdup(endpoint);
    size_t el = ep ? strlen(ep) : 0;
    while (el > 0 && ep[el - 1] == '/')
        ep[--el] = '\0';
    c.cl.endpoint = ep;
    if (mtl_init() != MTL_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !ep) {
        fprintf(stderr, "mithril-client: initialisation failed\n");
        rc = CLIENT_EXIT_FAIL;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer closing a socket is an error, not a death */
    rc = dispatch(&c, nrest, rest);
    curl_global_cleanup();
out:
    free(ep);
    free(rest);
    return rc < 0 ? CLIENT_EXIT_OK : rc;
}
