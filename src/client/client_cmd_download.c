/* client_cmd_download.c - `cardano-db download`: arguments, the ancillary
 * key, then the download service (client_download.c), whose steps and
 * progress the output module draws; the result as text or one JSON
 * document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_cli.h"
#include "common/json_int.h"

/* The command's arguments into rq; *vk_text gets the ancillary key text. */
static int parse_args(int argc, char **argv, struct client_dl_request *rq, int *ancillary,
                      const char **vk_text)
{
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long n;
        if (!strcmp(s, "--download-dir") && v)
            rq->dir = v, i++;
        else if (!strcmp(s, "--start") && v && cli_parse_num(v, &rq->start) == 0)
            i++;
        else if (!strcmp(s, "--end") && v && cli_parse_num(v, &rq->end) == 0)
            i++;
        else if ((!strcmp(s, "--parallel") || !strcmp(s, "--max-parallel-downloads")) && v &&
                 cli_parse_num(v, &n) == 0 && n >= 1 && n <= 64)
            rq->parallel = (int)n, i++;
        else if (!strcmp(s, "--include-ancillary"))
            *ancillary = 1;
        else if (!strcmp(s, "--ancillary-verification-key") && v)
            *vk_text = v, i++;
        else if (!strcmp(s, "--allow-override"))
            rq->allow_override = 1;
        else if (s[0] != '-' && !rq->hash)
            rq->hash = s;
        else
            return out_usage("cardano-db download: bad argument '%s'", s);
    }
    if (!rq->hash)
        return out_usage("cardano-db download: missing <hash|latest>");
    return CLIENT_EXIT_OK;
}

static void print_result(const struct cli *c, const struct client_dl_result *r)
{
    char docker[8192];
    snprintf(docker, sizeof(docker),
             "docker run -v cardano-node-ipc:/ipc -v cardano-node-data:/data --mount "
             "type=bind,source=\"%s\",target=/data/db/ -e NETWORK=%s "
             "ghcr.io/intersectmbo/cardano-node:%s",
             r->db_dir, *r->network ? r->network : "private",
             *r->node_version ? r->node_version : "latest");
    const struct restore_stats *st = &r->stats;
    if (c->json) {
        char ts[40];
        out_timestamp(ts);
        json_t *doc =
            json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "timestamp", ts, "db_directory", r->db_dir,
                      "run_docker_cmd", docker, "archives_restored", (json_int_t)st->archives_done,
                      "archives_resumed", (json_int_t)st->archives_skipped, "files",
                      (json_int_t)st->files, "bytes", (json_int_t)st->bytes);
        char *s = mtl_json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(doc);
        return;
    }
    printf("Cardano database snapshot '%s' archives have been successfully unpacked. Immutable "
           "files have been successfully verified with Mithril.\n\n"
           "    Files in the directory '%s' can be used to run a Cardano node with version >= "
           "%s.\n\nIf you are using the Cardano Docker image, you can restore a Cardano node "
           "with:\n\n    %s\n\n",
           r->hash, r->db_dir, *r->node_version ? r->node_version : "?", docker);
    printf("(%llu archive(s) restored, %llu already restored by an earlier run, %llu files, "
           "%llu bytes)\n",
           (unsigned long long)st->archives_done, (unsigned long long)st->archives_skipped,
           (unsigned long long)st->files, (unsigned long long)st->bytes);
}

int cmd_cardano_db_download(struct cli *c, int argc, char **argv)
{
    const char *what = "cardano-db download";
    struct client_dl_request rq = {.dir = ".", .start = -1, .end = -1, .parallel = 4};
    const char *vk_text = getenv("ANCILLARY_VERIFICATION_KEY");
    int ancillary = 0, rc = parse_args(argc, argv, &rq, &ancillary, &vk_text);
    if (rc != CLIENT_EXIT_OK)
        return rc;
    uint8_t anc_vk[32];
    if (ancillary) {
        if (!vk_text)
            return out_fail(c,
                            mtl_seterr(MTL_ERR_CONFIG, "--include-ancillary needs "
                                                       "--ancillary-verification-key or "
                                                       "ANCILLARY_VERIFICATION_KEY"),
                            what);
        mtl_err ke = client_key_decode(vk_text, "ancillary verification key", anc_vk);
        if (ke != MTL_OK)
            return out_fail(c, ke, what);
        rq.ancillary_vk = anc_vk;
        out_note("Warning: ancillary files (ledger state, in-progress immutable files) are "
                 "signed by an IOG key, not certified by Mithril.");
    } else {
        out_note("Warning: without --include-ancillary the node will rebuild its ledger state "
                 "from genesis (slow start).");
    }
    struct client_dl_result res;
    mtl_err e = client_cardano_db_download(&c->cl, &rq, &res);
    if (e != MTL_OK)
        return out_fail(c, e, what);
    print_result(c, &res);
    return CLIENT_EXIT_OK;
}
