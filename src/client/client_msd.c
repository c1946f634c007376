/* client_msd.c - mithril-stake-distribution list/download. A download
 * verifies the certificate chain, then the artifact against its certificate,
 * before writing mithril_stake_distribution-<hash>.json (as the reference). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "client_int.h"
#include "log.h"
#include "mithril/pool_identity.h"

static int msd_list(struct client *cl)
{
    json_t *list;
    mtl_err e = client_get_json(cl, "/artifact/mithril-stake-distributions", &list);
    if (e != MTL_OK)
        return client_fail(cl, e, "mithril-stake-distribution list");
    if (cl->json) {
        client_print_json(list);
    } else {
        printf("%-6s  %-64s  %-64s  %s\n", "Epoch", "Hash", "Certificate Hash", "Created");
        size_t i;
        json_t *it;
        json_array_foreach(list, i, it)
        {
            printf("%-6lld  %-64s  %-64s  %s\n",
                   (long long)json_integer_value(json_object_get(it, "epoch")),
                   json_string_value(json_object_get(it, "hash")) ?: "?",
                   json_string_value(json_object_get(it, "certificate_hash")) ?: "?",
                   json_string_value(json_object_get(it, "created_at")) ?: "");
        }
    }
    json_decref(list);
    return CLIENT_EXIT_OK;
}

/* Each signer's pool credentials, as the reference's aggregator checks them
 * at registration: the opcert's cold signature, party_id = the cold key's
 * pool id, the KES signature over the Mithril key at kes_period evolutions.
 * A signer publishing neither opcert nor KES signature (test networks) is
 * counted as not authenticated; one publishing either must pass every
 * check, else the first such signer is named. */
static mtl_err msd_authenticate_signers(const char *body, size_t len, size_t *authenticated,
                                        size_t *total)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *signers = json_object_get(j, "signers");
    mtl_err e = json_is_array(signers)
                    ? MTL_OK
                    : mtl_seterr(MTL_ERR_BAD_ENCODING, "stake distribution: no signers array");
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(signers, i, s)
    {
        const char *party = json_string_value(json_object_get(s, "party_id"));
        const char *vk = json_string_value(json_object_get(s, "verification_key"));
        const char *oc = json_string_value(json_object_get(s, "operational_certificate"));
        const char *sig = json_string_value(json_object_get(s, "verification_key_signature"));
        json_t *kp = json_object_get(s, "kes_period");
        if (e != MTL_OK)
            break;
        if ((!oc || !*oc) && (!sig || !*sig))
            continue;
        if (!party || !vk || !oc || !*oc || !sig || !*sig || !json_is_integer(kp) ||
            json_integer_value(kp) < 0)
            e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                           "signer %s: needs operational_certificate, verification_key_signature "
                           "and kes_period together",
                           party ? party : "(no party_id)");
        else if ((e = mtl_signer_credentials_verify(party, vk, oc, sig,
                                                    (uint64_t)json_integer_value(kp))) != MTL_OK)
            e = mtl_err_wrap(e, "signer %s is not authenticated by its pool", party);
        else
            n++;
    }
    *authenticated = n;
    *total = json_array_size(signers);
    json_decref(j);
    return e;
}

static mtl_err msd_fetch_verify(struct client *cl, const char *hash, char **body, size_t *len)
{
    char route[160];
    snprintf(route, sizeof(route), "/artifact/mithril-stake-distribution/%s", hash);
    MTL_TRY(client_get(cl, route, body, len));
    json_error_t je;
    json_t *j = json_loadb(*body, *len, 0, &je);
    const char *ch = json_string_value(json_object_get(j, "certificate_hash"));
    char cert_hash[MTL_HASH_HEX_BYTES] = "";
    if (ch && strlen(ch) == 64)
        memcpy(cert_hash, ch, 65);
    json_decref(j);
    mtl_err e = MTL_OK;
    struct mtl_certificate *cert = NULL;
    char got[MTL_HASH_HEX_BYTES];
    if (!*cert_hash) {
        e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                       "mithril stake distribution %s: no valid "
                       "'certificate_hash'",
                       hash);
        goto out;
    }
    log_info("verify_chain", "certificate=%s", cert_hash);
    if ((e = client_verify_chain(cl, cert_hash, 0, NULL, NULL, &cert)) != MTL_OK)
        goto out;
    if ((e = mtl_msd_verify(*body, *len, cert, got)) != MTL_OK) {
        e = mtl_err_wrap(e, "mithril stake distribution %s", hash);
        goto out;
    }
    if (strcmp(got, hash) != 0)
        e = mtl_seterr(MTL_ERR_INTEGRITY, "mithril stake distribution: asked for %s, got %s", hash,
                       got);
out:
    mtl_certificate_free(cert);
    if (e != MTL_OK) {
        mtl_free(*body);
        *body = NULL;
    }
    return e;
}

static int msd_download(struct client *cl, const char *arg, const char *dir)
{
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = client_resolve_hash(cl, "/artifact/mithril-stake-distributions", arg, hash);
    if (e != MTL_OK)
        return client_fail(cl, e, "mithril-stake-distribution download");
    char *body;
    size_t len, authenticated = 0, total = 0;
    if ((e = msd_fetch_verify(cl, hash, &body, &len)) != MTL_OK)
        return client_fail(cl, e, "mithril-stake-distribution download");
    if ((e = msd_authenticate_signers(body, len, &authenticated, &total)) != MTL_OK) {
        mtl_free(body);
        return client_fail(cl, e, "mithril-stake-distribution download");
    }
    if ((e = client_mkdir_p(dir, 0755)) != MTL_OK) {
        mtl_free(body);
        return client_fail(cl, e, "mithril-stake-distribution download");
    }
    char path[4200];
    e = mtl_path_fmt(path, sizeof(path), "%s/mithril_stake_distribution-%s.json", dir, hash);
    if (e == MTL_OK)
        e = mtl_atomic_write(path, body, len, 0644);
    mtl_free(body);
    if (e != MTL_OK)
        return client_fail(cl, e, "mithril-stake-distribution download");
    if (cl->json) {
        json_t *doc = json_pack("{s:s,s:s,s:b,s:I,s:I}", "hash", hash, "filepath", path, "verified",
                                1, "signers", (json_int_t)total, "signers_authenticated",
                                (json_int_t)authenticated);
        client_print_json(doc);
        json_decref(doc);
    } else {
        printf("Mithril stake distribution %s: certificate chain and artifact verified; %zu of "
               "%zu signers authenticated by their pool's operational certificate and KES key.\n"
               "Written to %s\n",
               hash, authenticated, total, path);
    }
    return CLIENT_EXIT_OK;
}

int cmd_msd(struct client *cl, int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return msd_list(cl);
    if (argc >= 2 && strcmp(argv[0], "download") == 0) {
        const char *dir = ".", *hash = NULL;
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--download-dir") == 0 && i + 1 < argc)
                dir = argv[++i];
            else if (argv[i][0] != '-' && !hash)
                hash = argv[i];
            else {
                fprintf(stderr, "mithril-client: unexpected argument '%s'\n", argv[i]);
                return CLIENT_EXIT_USAGE;
            }
        }
        if (hash)
            return msd_download(cl, hash, dir);
    }
    fprintf(stderr, "mithril-client: mithril-stake-distribution: expected 'list' or "
                    "'download <hash|latest> [--download-dir D]'\n");
    return CLIENT_EXIT_USAGE;
}
