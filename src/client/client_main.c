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

#include "client_int.h"
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

void client_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
}

int client_fail(const struct client *cl, mtl_err e, const char *what)
{
    const char *d = mtl_err_detail();
    if (!d || !*d)
        d = mtl_strerror(e);
    if (cl && cl->json) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "level", "error", "error", what, "kind",
                              mtl_strerror(e), "detail", d);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        fprintf(stderr, "%s\n", s ? s : "{\"level\":\"error\"}");
        free(s);
        json_decref(j);
    } else {
        fprintf(stderr, "mithril-client: error: %s: %s\n", what, d);
    }
    return CLIENT_EXIT_FAIL;
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "mithril-client: %s%s%s\n\n%s", msg, arg ? ": " : "", arg ? arg : "", USAGE);
    return CLIENT_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct client cl = {0};
    const char *endpoint = getenv("AGGREGATOR_ENDPOINT");
    cl.genesis_vk_text = getenv("GENESIS_VERIFICATION_KEY");
    cl.cache_dir = getenv("MITHRIL_CLIENT_CACHE_DIR");
    /* pull global flags out, keep the rest in order */
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    if (!rest)
        return CLIENT_EXIT_FAIL;
    int nrest = 0, rc;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--aggregator-endpoint") == 0 ||
            strcmp(a, "--genesis-verification-key") == 0 || strcmp(a, "--cache-dir") == 0) {
            if (!v) {
                free(rest);
                return usage_error("missing value for", a);
            }
            if (a[2] == 'a')
                endpoint = v;
            else if (a[2] == 'g')
                cl.genesis_vk_text = v;
            else
                cl.cache_dir = v;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            cl.json = 1;
        } else if (mtl_prog_verbose_flag(a)) {
            cl.verbose += mtl_prog_verbose_flag(a);
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(USAGE, stdout);
            free(rest);
            return CLIENT_EXIT_OK;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    mtl_log_setup("mithril-client", cl.verbose, cl.json);
    /* default cache of verified certificates: $XDG_CACHE_HOME or ~/.cache
     * (an empty MITHRIL_CLIENT_CACHE_DIR or --cache-dir "" disables it) */
    char cache_default[4096];
    if (!cl.cache_dir) {
        const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        mtl_err pe = MTL_OK;
        if (x && *x)
            pe = mtl_path_fmt(cache_default, sizeof(cache_default), "%s/mithril-client", x);
        else if (home && *home)
            pe = mtl_path_fmt(cache_default, sizeof(cache_default), "%s/.cache/mithril-client",
                              home);
        else
            cache_default[0] = 0;
        if (pe != MTL_OK) /* cache_default is "": no cache */
            log_warn("cache_dir", "error=\"%s\" cache=disabled", mtl_err_detail());
        cl.cache_dir = cache_default;
    }
    if (nrest == 0) {
        free(rest);
        return usage_error("missing command", NULL);
    }
    if (!endpoint || !*endpoint) {
        free(rest);
        return usage_error("no aggregator endpoint (--aggregator-endpoint or AGGREGATOR_ENDPOINT)",
                           NULL);
    }
    cl.endpoint = strdup(endpoint);
    size_t el = cl.endpoint ? strlen(cl.endpoint) : 0;
    while (el > 0 && cl.endpoint[el - 1] == '/')
        cl.endpoint[--el] = '\0';
    if (mtl_init() != MTL_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !cl.endpoint) {
        free(rest);
        free(cl.endpoint);
        fprintf(stderr, "mithril-client: initialisation failed\n");
        return CLIENT_EXIT_FAIL;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer closing its socket is an error, not a death */
    const char *cmd = rest[0];
    if (strcmp(cmd, "certificate") == 0)
        rc = cmd_certificate(&cl, nrest - 1, rest + 1);
    else if (strcmp(cmd, "cardano-db") == 0)
        rc = cmd_cardano_db(&cl, nrest - 1, rest + 1);
    else if (strcmp(cmd, "mithril-stake-distribution") == 0 || strcmp(cmd, "msd") == 0)
        rc = cmd_msd(&cl, nrest - 1, rest + 1);
    else
        rc = usage_error("unknown command", cmd);
    if (rc == CLIENT_EXIT_USAGE)
        fputs(USAGE, stderr);
    curl_global_cleanup();
    free(cl.endpoint);
    free(rest);
    return rc;
}
