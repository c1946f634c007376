/* client_cmd_csd.c - `cardano-stake-distribution list|download`, as the
 * reference CLI: a download (by hash, epoch or "latest") verifies the
 * certificate chain to genesis, then recomputes the artifact's hash and the
 * Merkle root of its stakes and checks them against the certificate, before
 * writing cardano_stake_distribution-<epoch>.json. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_cli.h"

static const char LIST[] = "/artifact/cardano-stake-distributions";

static int is_hash(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == 64 && s[n] == 0;
}

static int is_epoch(const char *s)
{
    return *s && strlen(s) <= 18 && strspn(s, "0123456789") == strlen(s);
}

/* The artifact route of arg: a hash, "latest" (the newest listed) or an
 * epoch; want_hash / want_epoch: what the verified artifact must be. */
static mtl_err csd_route(struct cli *c, const char *arg, char *route, size_t cap,
                         char want_hash[MTL_HASH_HEX_BYTES], int64_t *want_epoch)
{
    want_hash[0] = 0;
    *want_epoch = -1;
    if (is_hash(arg) || strcmp(arg, "latest") == 0) {
        MTL_TRY(client_resolve_hash(c->cl.endpoint, LIST, arg, want_hash));
        snprintf(route, cap, "/artifact/cardano-stake-distribution/%s", want_hash);
        return MTL_OK;
    }
    MTL_CHECK(is_epoch(arg), MTL_ERR_INVALID_ARG,
              "'%.80s' is neither a hash (64 hex digits), an epoch nor 'latest'", arg);
    *want_epoch = (int64_t)strtoull(arg, NULL, 10);
    snprintf(route, cap, "/artifact/cardano-stake-distribution/epoch/%s", arg);
    return MTL_OK;
}

/* Fetched, verified, then written to dir: path gets where. */
static mtl_err csd_fetch_write(struct cli *c, const char *arg, const char *dir, char *path,
                               size_t cap, char hash[MTL_HASH_HEX_BYTES], uint64_t *epoch)
{
    char route[200], want[MTL_HASH_HEX_BYTES], *body = NULL;
    int64_t want_epoch;
    size_t len = 0;
    MTL_TRY(csd_route(c, arg, route, sizeof(route), want, &want_epoch));
    MTL_TRY(client_get(c->cl.endpoint, route, &body, &len));
    mtl_err e = client_verify_csd(&c->cl, body, len, hash, epoch);
    if (e == MTL_OK && *want && strcmp(want, hash) != 0)
        e = mtl_seterr(MTL_ERR_INTEGRITY, "cardano stake distribution: asked for %s, got %s", want,
                       hash);
    if (e == MTL_OK && want_epoch >= 0 && (uint64_t)want_epoch != *epoch)
        e = mtl_seterr(MTL_ERR_INTEGRITY,
                       "cardano stake distribution: asked for epoch %" PRId64 ", got %" PRIu64,
                       want_epoch, *epoch);
    if (e == MTL_OK)
        e = client_mkdir_p(dir, 0755);
    snprintf(path, cap, "%s/cardano_stake_distribution-%" PRIu64 ".json", dir, *epoch);
    if (e == MTL_OK)
        e = mtl_atomic_write(path, body, len, 0644);
    mtl_free(body);
    return e;
}

static int csd_download(struct cli *c, const char *arg, const char *dir)
{
    char hash[MTL_HASH_HEX_BYTES] = "", path[4200];
    uint64_t epoch = 0;
    mtl_err e = csd_fetch_write(c, arg, dir, path, sizeof(path), hash, &epoch);
    if (e != MTL_OK)
        return out_fail(c, e, "cardano-stake-distribution download");
    if (c->json) {
        char es[24];
        snprintf(es, sizeof(es), "%" PRIu64, epoch); /* a string, as the reference */
        json_t *doc = json_pack("{s:s,s:s,s:s,s:b}", "cardano_stake_distribution_epoch", es,
                                "filepath", path, "hash", hash, "verified", 1);
        out_json(doc);
        json_decref(doc);
    } else {
        printf("Cardano stake distribution for epoch '%" PRIu64 "' (%s): certificate chain and "
               "Merkle root verified.\nWritten to %s\n",
               epoch, hash, path);
    }
    return CLIENT_EXIT_OK;
}

int cmd_csd(struct cli *c, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return out_list(c, LIST, "cardano-stake-distribution list", cmd_epoch_artifact_header,
                        cmd_epoch_artifact_row);
    if (argc >= 2 && strcmp(argv[0], "download") == 0) {
        const char *dir = ".", *id = NULL;
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--download-dir") == 0 && i + 1 < argc)
                dir = argv[++i];
            else if (argv[i][0] != '-' && !id)
                id = argv[i];
            else
                return out_usage("unexpected argument '%s'", argv[i]);
        }
        if (id)
            return csd_download(c, id, dir);
    }
    return out_usage("cardano-stake-distribution: expected 'list' or 'download <hash|epoch|latest> "
                     "[--download-dir D]'");
}
