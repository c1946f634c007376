/* client_cmd_tx.c - `cardano-transaction snapshot list|show`, `cardano-
 * transaction certify HASH[,HASH...]` and `cardano-block snapshot list|show`,
 * `cardano-block certify HASH[,HASH...]`, as the reference CLI
 * (mithril-client-cli/src/commands/cardano_transaction, cardano_block).
 * --backend v1 (default) works on CardanoTransactions snapshots and the v1
 * proof route; --backend v2 on CardanoBlocksTransactions snapshots and the
 * v2 route, which cardano-block always uses. certify verifies everything
 * (client_proofs_fetch_verified) before it says a hash is certified. */
#include <stdio.h>
#include <string.h>

#include "client_cli.h"

/* What one invocation works on. */
struct tx_target {
    const char *cmd;               /* "cardano-transaction" or "cardano-block" */
    bool blocks_snapshots;         /* CardanoBlocksTransactions artifacts */
    enum mtl_proofs_kind kind;     /* certify's proof route */
    const char *list_route, *item; /* artifacts */
};

static void target_for(struct tx_target *t, const char *cmd, bool v2)
{
    bool blocks = strcmp(cmd, "cardano-block") == 0;
    t->cmd = cmd;
    t->blocks_snapshots = blocks || v2;
    t->kind = blocks ? MTL_PROOFS_BLOCKS
              : v2   ? MTL_PROOFS_TRANSACTIONS_V2
                     : MTL_PROOFS_TRANSACTIONS_V1;
    t->list_route = t->blocks_snapshots ? "/artifact/cardano-blocks-transactions"
                                        : "/artifact/cardano-transactions";
    t->item = t->blocks_snapshots ? "/artifact/cardano-blocks-transactions/"
                                  : "/artifact/cardano-transaction/";
}

/* ---- snapshot list / show ------------------------------------------------ */

static void v1_header(void)
{
    printf("%-6s  %-12s  %-64s  %-64s  %s\n", "Epoch", "Block Number", "Hash", "Certificate Hash",
           "Created");
}

static void v1_row(json_t *it)
{
    printf("%-6lld  %-12lld  %-64s  %-64s  %s\n",
           (long long)json_integer_value(json_object_get(it, "epoch")),
           (long long)json_integer_value(json_object_get(it, "block_number")),
           json_string_value(json_object_get(it, "hash")) ?: "?",
           json_string_value(json_object_get(it, "certificate_hash")) ?: "?",
           json_string_value(json_object_get(it, "created_at")) ?: "");
}

static void v2_header(void)
{
    printf("%-6s  %-19s  %-16s  %-64s  %-64s  %s\n", "Epoch", "Block Number Signed",
           "Block Number Tip", "Hash", "Certificate Hash", "Created");
}

static void v2_row(json_t *it)
{
    printf("%-6lld  %-19lld  %-16lld  %-64s  %-64s  %s\n",
           (long long)json_integer_value(json_object_get(it, "epoch")),
           (long long)json_integer_value(json_object_get(it, "block_number_signed")),
           (long long)json_integer_value(json_object_get(it, "block_number_tip")),
           json_string_value(json_object_get(it, "hash")) ?: "?",
           json_string_value(json_object_get(it, "certificate_hash")) ?: "?",
           json_string_value(json_object_get(it, "created_at")) ?: "");
}

/* Either kind of snapshot: the blocks-transactions one has two block numbers. */
static void print_snapshot(const char *hash, json_t *j, int verified)
{
    (void)hash; /* the artifact shows its own hash */
    out_show_int(20, "Epoch", j, "epoch");
    if (json_object_get(j, "block_number_signed")) {
        out_show_int(20, "Block Number Signed", j, "block_number_signed");
        out_show_int(20, "Block Number Tip", j, "block_number_tip");
    } else {
        out_show_int(20, "Block Number", j, "block_number");
    }
    out_show_str(20, "Merkle Root", j, "merkle_root");
    out_show_str(20, "Certificate Hash", j, "certificate_hash");
    out_show_str(20, "Hash", j, "hash");
    out_show_str(20, "Created", j, "created_at");
    if (verified)
        printf("Certificate chain and artifact verified.\n");
}

static int snapshot_show(struct cli *c, const struct tx_target *t, const char *arg)
{
    char what[64];
    snprintf(what, sizeof(what), "%s snapshot show", t->cmd);
    struct out_artifact a = {what, t->list_route, t->item,
                             t->blocks_snapshots ? client_verify_cardano_blocks_transactions
                                                 : client_verify_cardano_transactions,
                             print_snapshot};
    return out_show_artifact(c, &a, arg);
}

/* ---- certify ------------------------------------------------------------- */

/* How many hashes the arguments hold at most (each a comma-separated list). */
static size_t count_hashes(char **args, int n)
{
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (const char *p = args[i]; p; p = strchr(p + 1, ','))
            k++;
    return k;
}

/* The hashes of the arguments into out (count_hashes entries); argv's
 * strings are split in place, empty items dropped. */
static size_t split_hashes(char **args, int n, const char **out)
{
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (char *save = NULL, *h = strtok_r(args[i], ",", &save); h;
             h = strtok_r(NULL, ",", &save))
            out[k++] = h;
    return k;
}

static const struct mtl_certified_item *find_item(const struct mtl_certified_set *s,
                                                  const char *hash)
{
    for (size_t i = 0; s && i < s->count; i++)
        if (strcmp(s->items[i].hash, hash) == 0)
            return &s->items[i];
    return NULL;
}

/* block depth as the reference's compute_depth: latest + offset - number */
static uint64_t depth(const struct mtl_certified_set *s, const struct mtl_certified_item *it)
{
    return s->latest_block_number + s->security_parameter - it->block_number;
}

static void report_json(const struct tx_target *t, const struct mtl_certified_set *s,
                        const char **hashes, size_t n)
{
    bool blocks = t->kind == MTL_PROOFS_BLOCKS, v1 = t->kind == MTL_PROOFS_TRANSACTIONS_V1;
    json_t *doc = json_object(), *yes = json_array(), *no = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct mtl_certified_item *it = find_item(s, hashes[i]);
        if (!it) {
            json_array_append_new(no, json_string(hashes[i]));
        } else if (v1) {
            json_array_append_new(yes, json_string(it->hash));
        } else {
            json_t *o = json_object();
            json_object_set_new(o, blocks ? "block_hash" : "transaction_hash",
                                json_string(it->hash));
            if (!blocks)
                json_object_set_new(o, "block_hash", json_string(it->block_hash));
            json_object_set_new(o, "block_number", json_integer((json_int_t)it->block_number));
            json_object_set_new(o, "slot_number", json_integer((json_int_t)it->slot_number));
            json_object_set_new(o, "block_depth", json_integer((json_int_t)depth(s, it)));
            json_array_append_new(yes, o);
        }
    }
    json_object_set_new(doc, blocks ? "certified_blocks" : "certified_transactions", yes);
    json_object_set_new(doc, blocks ? "non_certified_blocks" : "non_certified_transactions", no);
    out_json(doc);
    json_decref(doc);
}

static void report_text(const struct tx_target *t, const struct mtl_certified_set *s,
                        const char **hashes, size_t n, size_t certified)
{
    const char *what = t->kind == MTL_PROOFS_BLOCKS ? "blocks" : "transactions";
    bool v1 = t->kind == MTL_PROOFS_TRANSACTIONS_V1;
    if (certified)
        printf("Cardano %s proof has been successfully signed in the associated Mithril "
               "certificate.\n",
               what);
    if (certified < n)
        printf("\nNo proof could be computed for some Cardano %s. Mithril may not have signed "
               "those %s yet, please try again later.\n",
               what, what);
    printf("\n%-64s  %s%s\n", t->kind == MTL_PROOFS_BLOCKS ? "Block Hash" : "Transaction Hash",
           v1 ? "" : "Block Number  Slot Number  Block Depth  ", "Certified");
    for (size_t i = 0; i < n; i++) {
        const struct mtl_certified_item *it = find_item(s, hashes[i]);
        printf("%-64s  ", hashes[i]);
        if (it && !v1)
            printf("%-12llu  %-11llu  %-11llu  ", (unsigned long long)it->block_number,
                   (unsigned long long)it->slot_number, (unsigned long long)depth(s, it));
        else if (!v1)
            printf("%-12s  %-11s  %-11s  ", "", "", "");
        printf("%s\n", it ? "yes" : "no");
    }
}

static int certify(struct cli *c, const struct tx_target *t, char **args, int nargs)
{
    char what[64];
    snprintf(what, sizeof(what), "%s certify", t->cmd);
    const char **hashes = mtl_calloc(count_hashes(args, nargs) + 1, sizeof(*hashes));
    if (!hashes)
        return out_fail(c, mtl_seterr(MTL_ERR_NOMEM, "hash list"), what);
    size_t n = split_hashes(args, nargs, hashes);
    struct mtl_certified_set s = {0};
    mtl_err e = n ? client_proofs_fetch_verified(&c->cl, t->kind, hashes, n, &s)
                  : mtl_seterr(MTL_ERR_INVALID_ARG, "no hash given");
    int rc = CLIENT_EXIT_OK;
    if (e == MTL_ERR_INVALID_ARG) {
        rc = out_usage("%s: %s", what, mtl_err_detail());
        goto out;
    }
    if (e != MTL_OK && e != MTL_ERR_NOT_FOUND) {
        rc = out_fail(c, e, what);
        goto out;
    }
    size_t certified = 0;
    for (size_t i = 0; i < n; i++)
        certified += find_item(&s, hashes[i]) != NULL;
    if (c->json)
        report_json(t, &s, hashes, n);
    else
        report_text(t, &s, hashes, n, certified);
    if (certified == 0) /* nothing certified: a failure, as the reference */
        rc = out_fail(c,
                      e != MTL_OK ? e
                                  : mtl_seterr(MTL_ERR_NOT_FOUND,
                                               "the verified proof certifies none of them"),
                      what);
out:
    mtl_certified_set_free(&s);
    mtl_free(hashes);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

static int tx_usage(const char *cmd)
{
    return out_usage("%s: expected 'snapshot list', 'snapshot show <hash|latest>' or 'certify "
                     "HASH[,HASH...]'%s",
                     cmd, strcmp(cmd, "cardano-block") ? " (--backend v1|v2)" : "");
}

static int cardano_tx(struct cli *c, const char *cmd, int argc, char **argv)
{
    bool v2 = false;
    if (cli_take_backend(&argc, argv, true, &v2) != 0 || (v2 && strcmp(cmd, "cardano-block") == 0))
        return tx_usage(cmd);
    struct tx_target t;
    target_for(&t, cmd, v2);
    if (argc >= 2 && strcmp(argv[0], "snapshot") == 0) {
        char what[64];
        snprintf(what, sizeof(what), "%s snapshot list", cmd);
        if (argc == 2 && strcmp(argv[1], "list") == 0)
            return out_list(c, t.list_route, what, t.blocks_snapshots ? v2_header : v1_header,
                            t.blocks_snapshots ? v2_row : v1_row);
        if (argc == 3 && strcmp(argv[1], "show") == 0)
            return snapshot_show(c, &t, argv[2]);
    }
    if (argc >= 2 && strcmp(argv[0], "certify") == 0)
        return certify(c, &t, argv + 1, argc - 1);
    return tx_usage(cmd);
}

int cmd_cardano_transaction(struct cli *c, int argc, char **argv)
{
    return cardano_tx(c, "cardano-transaction", argc, argv);
}

int cmd_cardano_block(struct cli *c, int argc, char **argv)
{
    return cardano_tx(c, "cardano-block", argc, argv);
}
