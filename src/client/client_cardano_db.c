/* client_cardano_db.c - cardano-db snapshot list/show (CardanoDatabase v2
 * artifacts). `snapshot show` also checks the artifact against its
 * certificate when a genesis key is given (chain first). */
#include <stdio.h>
#include <string.h>

#include "client_int.h"
#include "log.h"

static int snapshot_list(struct client *cl)
{
    json_t *list;
    mtl_err e = client_get_json(cl, "/artifact/cardano-database", &list);
    if (e != MTL_OK)
        return client_fail(cl, e, "cardano-db snapshot list");
    if (cl->json) {
        client_print_json(list);
    } else {
        printf("%-6s  %-9s  %-64s  %-64s  %-10s  %s\n", "Epoch", "Immutable", "Hash", "Merkle Root",
               "Size", "Created");
        size_t i;
        json_t *it;
        json_array_foreach(list, i, it)
        {
            json_t *b = json_object_get(it, "beacon");
            printf("%-6lld  %-9lld  %-64s  %-64s  %-10lld  %s\n",
                   (long long)json_integer_value(json_object_get(b, "epoch")),
                   (long long)json_integer_value(json_object_get(b, "immutable_file_number")),
                   json_string_value(json_object_get(it, "hash")) ?: "?",
                   json_string_value(json_object_get(it, "merkle_root")) ?: "?",
                   (long long)json_integer_value(json_object_get(it, "total_db_size_uncompressed")),
                   json_string_value(json_object_get(it, "created_at")) ?: "");
        }
    }
    json_decref(list);
    return CLIENT_EXIT_OK;
}

/* Chain first, then the artifact against the certificate that signed it. */
static mtl_err snapshot_verify(struct client *cl, const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *ch = json_string_value(json_object_get(j, "certificate_hash"));
    char cert_hash[MTL_HASH_HEX_BYTES] = "";
    if (ch && strlen(ch) == 64)
        memcpy(cert_hash, ch, 65);
    json_decref(j);
    MTL_CHECK(*cert_hash, MTL_ERR_BAD_ENCODING, "cardano database: no valid 'certificate_hash'");
    struct mtl_certificate *cert;
    MTL_TRY(client_verify_chain(cl, cert_hash, 0, NULL, NULL, &cert));
    mtl_err e = mtl_cardano_database_verify(body, len, cert);
    mtl_certificate_free(cert);
    return e;
}

static void print_locations(const char *what, json_t *section)
{
    size_t i;
    json_t *loc;
    json_array_foreach(json_object_get(section, "locations"), i, loc)
    {
        json_t *uri = json_object_get(loc, "uri");
        const char *u = json_string_value(uri);
        if (!u)
            u = json_string_value(json_object_get(uri, "Template"));
        printf("  %-10s %-14s %s\n", what, json_string_value(json_object_get(loc, "type")) ?: "?",
               u ? u : "?");
    }
}

static int snapshot_show(struct client *cl, const char *arg)
{
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = client_resolve_hash(cl, "/artifact/cardano-database", arg, hash);
    if (e != MTL_OK)
        return client_fail(cl, e, "cardano-db snapshot show");
    char route[160], *body;
    size_t len;
    snprintf(route, sizeof(route), "/artifact/cardano-database/%s", hash);
    if ((e = client_get(cl, route, &body, &len)) != MTL_OK)
        return client_fail(cl, e, "cardano-db snapshot show");
    int verified = 0;
    if (cl->genesis_vk_text) {
        if ((e = snapshot_verify(cl, body, len)) != MTL_OK) {
            mtl_free(body);
            return client_fail(cl, e, "cardano-db snapshot show: verification failed");
        }
        verified = 1;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_PRESERVE_ORDER, &je);
    mtl_free(body);
    if (!j)
        return client_fail(cl,
                           mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: invalid JSON: %s", route, je.text),
                           "cardano-db snapshot show");
    if (cl->json) {
        client_print_json(j);
    } else {
        json_t *b = json_object_get(j, "beacon");
        printf("Hash                 %s\n", hash);
        client_show_int(20, "Epoch", b, "epoch");
        client_show_int(20, "Immutable File", b, "immutable_file_number");
        client_show_str(20, "Merkle Root", j, "merkle_root");
        client_show_str(20, "Network", j, "network");
        client_show_str(20, "Certificate Hash", j, "certificate_hash");
        printf("Database Size        %lld bytes\n",
               (long long)json_integer_value(json_object_get(j, "total_db_size_uncompressed")));
        client_show_str(20, "Cardano Node Version", j, "cardano_node_version");
        client_show_str(20, "Created", j, "created_at");
        printf("Locations:\n");
        print_locations("digests", json_object_get(j, "digests"));
        print_locations("immutables", json_object_get(j, "immutables"));
        print_locations("ancillary", json_object_get(j, "ancillary"));
        if (verified)
            printf("Certificate chain and artifact verified.\n");
    }
    json_decref(j);
    return CLIENT_EXIT_OK;
}

int cmd_cardano_db(struct client *cl, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[0], "snapshot") == 0) {
        if (argc == 2 && strcmp(argv[1], "list") == 0)
            return snapshot_list(cl);
        if (argc == 3 && strcmp(argv[1], "show") == 0)
            return snapshot_show(cl, argv[2]);
    }
    if (argc >= 1 && strcmp(argv[0], "download") == 0)
        return cmd_cardano_db_download(cl, argc - 1, argv + 1);
    fprintf(stderr, "mithril-client: cardano-db: expected 'snapshot list', 'snapshot show "
                    "<hash|latest>' or 'download <hash|latest> ...'\n");
    return CLIENT_EXIT_USAGE;
}
