/* client_cmd_cardano_db.c - `cardano-db snapshot list|show` (CardanoDatabase
 * v2 artifacts) and the dispatch of `download` and `verify`. `snapshot show` also checks the
 * artifact against its certificate when a genesis key is given (chain first). */
#include <stdio.h>
#include <string.h>

#include "client_cli.h"

static void snapshot_header(void)
{
    printf("%-6s  %-9s  %-64s  %-64s  %-10s  %s\n", "Epoch", "Immutable", "Hash", "Merkle Root",
           "Size", "Created");
}

static void snapshot_row(json_t *it)
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

static void print_snapshot(const char *hash, json_t *j, int verified)
{
    json_t *b = json_object_get(j, "beacon");
    printf("Hash                 %s\n", hash);
    out_show_int(20, "Epoch", b, "epoch");
    out_show_int(20, "Immutable File", b, "immutable_file_number");
    out_show_str(20, "Merkle Root", j, "merkle_root");
    out_show_str(20, "Network", j, "network");
    out_show_str(20, "Certificate Hash", j, "certificate_hash");
    printf("Database Size        %lld bytes\n",
           (long long)json_integer_value(json_object_get(j, "total_db_size_uncompressed")));
    out_show_str(20, "Cardano Node Version", j, "cardano_node_version");
    out_show_str(20, "Created", j, "created_at");
    printf("Locations:\n");
    print_locations("digests", json_object_get(j, "digests"));
    print_locations("immutables", json_object_get(j, "immutables"));
    print_locations("ancillary", json_object_get(j, "ancillary"));
    if (verified)
        printf("Certificate chain and artifact verified.\n");
}

static int snapshot_show(struct cli *c, const char *arg)
{
    static const struct out_artifact A = {"cardano-db snapshot show", "/artifact/cardano-database",
                                          "/artifact/cardano-database/", client_verify_cardano_db,
                                          print_snapshot};
    return out_show_artifact(c, &A, arg);
}

int cmd_cardano_db(struct cli *c, int argc, char **argv)
{
    bool v2 = true; /* the reference's -b/--backend: v2, its only backend, is ours */
    if (cli_take_backend(&argc, argv, false, &v2) != 0)
        return out_usage("cardano-db: --backend: only 'v2' is supported");
    if (argc >= 2 && strcmp(argv[0], "snapshot") == 0) {
        if (argc == 2 && strcmp(argv[1], "list") == 0)
            return out_list(c, "/artifact/cardano-database", "cardano-db snapshot list",
                            snapshot_header, snapshot_row);
        if (argc == 3 && strcmp(argv[1], "show") == 0)
            return snapshot_show(c, argv[2]);
    }
    if (argc >= 1 && strcmp(argv[0], "download") == 0)
        return cmd_cardano_db_download(c, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "verify") == 0)
        return cmd_cardano_db_verify(c, argc - 1, argv + 1);
    return out_usage("cardano-db: expected 'snapshot list', 'snapshot show <hash|latest>', "
                     "'download <hash|latest> ...' or 'verify <hash|latest> ...'");
}
