/* client_cmd_msd.c - `mithril-stake-distribution list|download`. A download
 * verifies the certificate chain, then the artifact against its certificate
 * and the signers' pool credentials, before writing
 * mithril_stake_distribution-<hash>.json (as the reference). */
#include <stdio.h>
#include <string.h>

#include "client_cli.h"

void cmd_epoch_artifact_header(void)
{
    printf("%-6s  %-64s  %-64s  %s\n", "Epoch", "Hash", "Certificate Hash", "Created");
}

void cmd_epoch_artifact_row(json_t *it)
{
    printf("%-6lld  %-64s  %-64s  %s\n",
           (long long)json_integer_value(json_object_get(it, "epoch")),
           json_string_value(json_object_get(it, "hash")) ?: "?",
           json_string_value(json_object_get(it, "certificate_hash")) ?: "?",
           json_string_value(json_object_get(it, "created_at")) ?: "");
}

/* Verified and authenticated, then written to dir: path gets where. */
static mtl_err msd_fetch_write(struct cli *c, const char *hash, const char *dir, char *path,
                               size_t cap, size_t *authenticated, size_t *total)
{
    char *body;
    size_t len;
    MTL_TRY(client_msd_fetch_verified(&c->cl, hash, &body, &len));
    mtl_err e = client_msd_authenticate(body, len, authenticated, total);
    if (e == MTL_OK)
        e = client_mkdir_p(dir, 0755);
    snprintf(path, cap, "%s/mithril_stake_distribution-%s.json", dir, hash);
    if (e == MTL_OK)
        e = mtl_atomic_write(path, body, len, 0644);
    mtl_free(body);
    return e;
}

static int msd_download(struct cli *c, const char *arg, const char *dir)
{
    const char *what = "mithril-stake-distribution download";
    char hash[MTL_HASH_HEX_BYTES], path[4200];
    size_t authenticated = 0, total = 0;
    mtl_err e =
        client_resolve_hash(c->cl.endpoint, "/artifact/mithril-stake-distributions", arg, hash);
    if (e == MTL_OK)
        e = msd_fetch_write(c, hash, dir, path, sizeof(path), &authenticated, &total);
    if (e != MTL_OK)
        return out_fail(c, e, what);
    if (c->json) {
        json_t *doc = json_pack("{s:s,s:s,s:b,s:I,s:I}", "hash", hash, "filepath", path, "verified",
                                1, "signers", (json_int_t)total, "signers_authenticated",
                                (json_int_t)authenticated);
        out_json(doc);
        json_decref(doc);
    } else {
        printf("Mithril stake distribution %s: certificate chain and artifact verified; %zu of "
               "%zu signers authenticated by their pool's operational certificate and KES key.\n"
               "Written to %s\n",
               hash, authenticated, total, path);
    }
    return CLIENT_EXIT_OK;
}

int cmd_msd(struct cli *c, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return out_list(c, "/artifact/mithril-stake-distributions",
                        "mithril-stake-distribution list", cmd_epoch_artifact_header,
                        cmd_epoch_artifact_row);
    if (argc >= 2 && strcmp(argv[0], "download") == 0) {
        const char *dir = ".", *hash = NULL;
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--download-dir") == 0 && i + 1 < argc)
                dir = argv[++i];
            else if (argv[i][0] != '-' && !hash)
                hash = argv[i];
            else
                return out_usage("unexpected argument '%s'", argv[i]);
        }
        if (hash)
            return msd_download(c, hash, dir);
    }
    return out_usage("mithril-stake-distribution: expected 'list' or 'download <hash|latest> "
                     "[--download-dir D]'");
}
