/* aggregator_tx.c - what the CardanoTransactions and CardanoBlocksTransactions
 * handlers share: the importer (tx_importer.h: its thread, so that the
 * runtime never waits for a long import), the readers' store (roots on the
 * runtime thread, proofs on the HTTP threads, under tx_lock), the opening of
 * their messages and the three proof routes (reference proof_routes.rs,
 * prover_hash_validator.rs, messages cardano_transactions_proof.rs,
 * proof_v2/). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "httpd.h"
#include "log.h"
#include "mithril/cardano_proofs.h"
#include "mithril/mktree.h"
#include "mithril/util.h"

static mtl_err tx_store(struct agg *a, struct app_tx_store **slot)
{
    if (*slot)
        return MTL_OK;
    sqlite3 *db = NULL;
    MTL_TRY(agg_store_connect(&a->store, &db));
    return app_tx_store_attach(slot, db);
}

void agg_tx_close(struct agg *a)
{
    app_tx_store_free(a->tx_read);
    a->tx_read = NULL;
}

mtl_err agg_tx_importer_start(struct agg *a)
{
    const unsigned kinds = MTL_SET_BIT(MTL_SET_CARDANO_TRANSACTIONS) |
                           MTL_SET_BIT(MTL_SET_CARDANO_BLOCKS_TRANSACTIONS);
    char dir[4096];
    struct app_tx_store *s = NULL;
    if (!(a->cfg.signed_entity_mask & kinds))
        return MTL_OK;
    MTL_TRY(mtl_path_fmt(dir, sizeof(dir), "%s/immutable", a->cfg.db_directory));
    MTL_TRY(tx_store(a, &s));
    return app_tx_importer_start(&a->txi, s, dir, a->cfg.run_interval_ms);
}

void agg_tx_importer_stop(struct agg *a)
{
    app_tx_importer_stop(a->txi);
    a->txi = NULL;
}

int agg_tx_imported_tip(struct agg *a, uint64_t *tip)
{
    return a->txi && app_tx_importer_ready(a->txi, tip);
}

mtl_err agg_tx_root(struct agg *a, enum app_tx_tree tree, uint64_t beacon,
                    char root[MTL_HASH_HEX_BYTES])
{
    pthread_mutex_lock(&a->tx_lock);
    mtl_err e = tx_store(a, &a->tx_read);
    if (e == MTL_OK)
        e = app_tx_root(a->tx_read, tree, beacon, root);
    pthread_mutex_unlock(&a->tx_lock);
    return e;
}

void agg_tx_open(struct agg *a, const struct mtl_signed_entity_type *t, enum app_tx_tree tree)
{
    char *key = NULL, root[MTL_HASH_HEX_BYTES];
    struct agg_open_message m;
    if (mtl_signed_entity_type_to_json(t, &key) != MTL_OK)
        return;
    mtl_err e = agg_store_open_message_get(&a->store, key, &m);
    agg_open_message_clear(&m);
    if (e == MTL_ERR_NOT_FOUND) {
        mtl_err_clear();
        e = agg_tx_root(a, tree, t->a, root);
        if (e == MTL_ERR_NOT_FOUND || e == MTL_ERR_STATE) {
            /* nothing to sign yet, or not imported up to the beacon */
            log_debug("open_message", "entity=%s waiting=\"%s\"", key, mtl_err_detail());
            mtl_err_clear();
            e = MTL_OK;
        } else if (e == MTL_OK) {
            e = agg_open_message_with_root(a, t, root);
        }
    }
    if (e != MTL_OK)
        log_error("open_message", "entity=%s error=\"%s\"", key, mtl_err_detail());
    mtl_free(key);
}

/* ---- proof routes ----------------------------------------------------------------- */

static int cmp32(const void *x, const void *y)
{
    return memcmp(x, y, 32);
}

/* The hashes of the query (reference ProverHashValidator): a 400 naming
 * what is wrong, else sorted and deduplicated in *out (mtl_free). */
static int parse_hashes(struct agg *a, const char *q, const char *what, const char *label,
                        uint8_t (**out)[32], size_t *n, struct app_http_response *r)
{
    *out = NULL;
    *n = 0;
    size_t count = 1;
    for (const char *p = q; *p; p++)
        count += *p == ',';
    if (count > a->cfg.prover_max_hashes) {
        app_http_error(r, 400, label,
                       "%s hashes list contains more than maximum allowed number of hashes: '%u'",
                       what, a->cfg.prover_max_hashes);
        return 0;
    }
    uint8_t(*h)[32] = mtl_calloc(count, 32);
    if (!h) {
        app_http_error(r, 500, "internal_error", "out of memory");
        return 0;
    }
    const char *p = q;
    for (size_t i = 0; i < count; i++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t got = 0;
        const char *why = NULL;
        if (len == 0)
            why = "hash cannot be empty";
        else if (len != 64)
            why = "hash must have 64 characters";
        else if (mtl_hex_decode(h[i], 32, &got, p, len) != MTL_OK || got != 32)
            why = "hash must contain only hexadecimal characters";
        if (why) {
            mtl_err_clear();
            app_http_error(r, 400, label, "%s %s", what, why);
            mtl_free(h);
            return 0;
        }
        p = end ? end + 1 : p + len;
    }
    mtl_sort(h, count, 32, cmp32);
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        if (k == 0 || memcmp(h[k - 1], h[i], 32) != 0)
            memmove(h[k++], h[i], 32);
    *out = h;
    *n = k;
    return 1;
}

static json_t *whole_item(const char *json)
{
    return json_loads(json, 0, NULL);
}

/* The latest snapshot of kind: its certificate, signed block and tip. */
static mtl_err latest_snapshot(struct agg *a, enum mtl_signed_entity_kind k, char cert[65],
                               uint64_t *signed_block, uint64_t *tip)
{
    char *list = NULL;
    MTL_TRY(agg_store_artifact_list(&a->store, k, -1, 1, whole_item, &list));
    json_t *j = json_loads(list, 0, NULL), *it = json_array_get(j, 0);
    mtl_free(list);
    mtl_err e = MTL_OK;
    const char *ch = json_string_value(json_object_get(it, "certificate_hash"));
    json_t *bn = json_object_get(it, k == MTL_SET_CARDANO_TRANSACTIONS ? "block_number"
                                                                       : "block_number_signed");
    json_t *tp = json_object_get(it, k == MTL_SET_CARDANO_TRANSACTIONS ? "block_number"
                                                                       : "block_number_tip");
    if (!it)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no %s snapshot yet", mtl_signed_entity_kind_name(k));
    else if (!ch || strlen(ch) != 64 || !json_is_integer(bn) || !json_is_integer(tp))
        e = mtl_seterr(MTL_ERR_INTERNAL, "stored %s snapshot: malformed",
                       mtl_signed_entity_kind_name(k));
    else {
        memcpy(cert, ch, 65);
        *signed_block = (uint64_t)json_integer_value(bn);
        *tip = (uint64_t)json_integer_value(tp);
    }
    json_decref(j);
    return e;
}

static json_t *hex_json(const uint8_t h[32])
{
    char x[MTL_HASH_HEX_BYTES];
    mtl_hex_encode(x, sizeof(x), h, 32);
    return json_string(x);
}

static json_t *item_json(enum mtl_proofs_kind kind, const struct app_tx_item *it)
{
    if (kind == MTL_PROOFS_BLOCKS)
        return json_pack("{s:o,s:I,s:I}", "block_hash", hex_json(it->hash), "block_number",
                         (json_int_t)it->block_number, "slot_number", (json_int_t)it->slot);
    return json_pack("{s:o,s:I,s:I,s:o}", "transaction_hash", hex_json(it->hash), "block_number",
                     (json_int_t)it->block_number, "slot_number", (json_int_t)it->slot,
                     "block_hash", hex_json(it->block_hash));
}

/* The message's text with the proof's hex put in place of the empty "proof"
 * string jansson wrote (jansson writes a string a character at a time: the
 * hex of a 100-transaction proof took it ~10 ms). *body: mtl_free. */
static mtl_err splice_proof(const char *text, const char *hex, char **body)
{
    static const char at[] = "\"proof\":\"";
    const char *p = strstr(text, at);
    MTL_CHECK(p, MTL_ERR_INTERNAL, "proof message: no proof field");
    size_t head = (size_t)(p - text) + strlen(at), hl = strlen(hex), n = strlen(text);
    char *out = mtl_malloc(n + hl + 1);
    MTL_CHECK(out, MTL_ERR_NOMEM, "out of memory");
    memcpy(out, text, head);
    memcpy(out + head, hex, hl);
    memcpy(out + head + hl, text + head, n - head + 1);
    *body = out;
    return MTL_OK;
}

/* The reference's CardanoTransactionsProofsMessage, ...ProofsV2Message,
 * CardanoBlocksProofsMessage, fields in its order, as text (*body: mtl_free). */
static mtl_err proof_message(enum mtl_proofs_kind kind, const char *cert, uint64_t signed_block,
                             uint64_t tip, const uint8_t (*asked)[32], size_t n,
                             const struct app_tx_item *items, size_t ni,
                             const struct mtl_mkproof *proof, char **body)
{
    char *hex = NULL;
    if (proof)
        MTL_TRY(kind == MTL_PROOFS_TRANSACTIONS_V1 ? mtl_mkproof_to_json_hex(proof, &hex)
                                                   : mtl_mkproof_to_bytes_hex(proof, &hex));
    json_t *j = json_object(), *certified = json_null(), *missing = json_array();
    json_object_set_new(j, "certificate_hash", json_string(cert));
    if (proof && kind == MTL_PROOFS_TRANSACTIONS_V1) {
        json_t *hashes = json_array();
        for (size_t i = 0; i < ni; i++)
            json_array_append_new(hashes, hex_json(items[i].hash));
        certified = json_pack("[{s:o,s:s}]", "transactions_hashes", hashes, "proof", "");
    } else if (proof) {
        json_t *list = json_array();
        for (size_t i = 0; i < ni; i++)
            json_array_append_new(list, item_json(kind, &items[i]));
        certified = json_pack("{s:o,s:s}", "items", list, "proof", "");
    } else if (kind == MTL_PROOFS_TRANSACTIONS_V1) {
        certified = json_array();
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < ni && memcmp(items[k].hash, asked[i], 32) != 0)
            k++;
        if (k == ni)
            json_array_append_new(missing, hex_json(asked[i]));
    }
    int blocks = kind == MTL_PROOFS_BLOCKS;
    json_object_set_new(j, blocks ? "certified_blocks" : "certified_transactions", certified);
    json_object_set_new(j, blocks ? "non_certified_blocks" : "non_certified_transactions", missing);
    json_object_set_new(j, "latest_block_number", json_integer((json_int_t)signed_block));
    if (kind != MTL_PROOFS_TRANSACTIONS_V1)
        json_object_set_new(j, "security_parameter",
                            json_integer((json_int_t)(tip - signed_block)));
    char *text = mtl_json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    mtl_err e = text ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    if (e == MTL_OK && hex)
        e = splice_proof(text, hex, body);
    else if (e == MTL_OK)
        *body = mtl_strdup(text);
    if (e == MTL_OK && !*body)
        e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    free(text);
    mtl_free(hex);
    return e;
}

void agg_tx_route_proof(struct agg *a, enum mtl_proofs_kind kind, struct app_http_response *r)
{
    int blocks = kind == MTL_PROOFS_BLOCKS;
    const char *param = blocks ? "block_hashes" : "transaction_hashes";
    const char *label = blocks ? "invalid_block_hashes" : "invalid_transaction_hashes";
    const char *q = app_httpd_query(param);
    uint8_t(*asked)[32] = NULL;
    size_t n = 0;
    if (!q) {
        app_http_error(r, 400, label, "missing query parameter '%s'", param);
        return;
    }
    if (!parse_hashes(a, q, blocks ? "Block" : "Transaction", label, &asked, &n, r))
        return;
    enum mtl_signed_entity_kind k = kind == MTL_PROOFS_TRANSACTIONS_V1
                                        ? MTL_SET_CARDANO_TRANSACTIONS
                                        : MTL_SET_CARDANO_BLOCKS_TRANSACTIONS;
    char cert[MTL_HASH_HEX_BYTES];
    uint64_t signed_block = 0, tip = 0;
    struct app_tx_item *items = NULL;
    size_t ni = 0;
    struct mtl_mkproof *proof = NULL;
    char *body = NULL;
    mtl_err e = latest_snapshot(a, k, cert, &signed_block, &tip);
    if (e == MTL_OK) {
        pthread_mutex_lock(&a->tx_lock);
        e = tx_store(a, &a->tx_read);
        if (e == MTL_OK)
            e = app_tx_prove(a->tx_read, kind, signed_block, (const uint8_t(*)[32])asked, n, &items,
                             &ni, &proof);
        pthread_mutex_unlock(&a->tx_lock);
    }
    if (e == MTL_OK)
        e = proof_message(kind, cert, signed_block, tip, (const uint8_t(*)[32])asked, n, items, ni,
                          proof, &body);
    agg_route_reply(r, e, body, "proof");
    mtl_free(items);
    mtl_free(asked);
    mtl_mkproof_free(proof);
}

/* ---- artifacts -------------------------------------------------------------------- */

/* CardanoTransactionSnapshot / CardanoBlocksTransactionsSnapshot of m: root
 * and block numbers from the certificate just built, checked against it. */
mtl_err agg_tx_build_artifact(struct agg *a, const struct agg_open_message *m,
                              const struct mtl_certificate *cert, int64_t sealed_ns,
                              struct agg_artifact *art)
{
    (void)a;
    int blocks = m->type.kind == MTL_SET_CARDANO_BLOCKS_TRANSACTIONS;
    const char *part =
        blocks ? "cardano_blocks_transactions_merkle_root" : "cardano_transactions_merkle_root";
    const char *root = mtl_protocol_message_get(mtl_certificate_protocol_message(cert), part);
    MTL_CHECK(root, MTL_ERR_INTEGRITY, "%s: the certificate has no %s", m->signed_entity, part);
    char created[40];
    agg_rfc3339(sealed_ns, created);
    json_t *j;
    if (blocks) {
        uint64_t tip = m->type.a + m->type.b;
        mtl_cardano_blocks_transactions_snapshot_hash(root, m->type.a, tip, art->hash);
        j = json_pack("{s:s,s:I,s:I,s:I,s:s,s:s,s:s}", "merkle_root", root, "epoch",
                      (json_int_t)m->type.epoch, "block_number_signed", (json_int_t)m->type.a,
                      "block_number_tip", (json_int_t)tip, "hash", art->hash, "certificate_hash",
                      mtl_certificate_hash(cert), "created_at", created);
    } else {
        mtl_cardano_transactions_snapshot_hash(root, m->type.a, art->hash);
        j = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s}", "merkle_root", root, "epoch",
                      (json_int_t)m->type.epoch, "block_number", (json_int_t)m->type.a, "hash",
                      art->hash, "certificate_hash", mtl_certificate_hash(cert), "created_at",
                      created);
    }
    char *out = j ? mtl_json_dumps(j, AGG_JSON_FLAGS) : NULL;
    json_decref(j);
    art->json = out ? mtl_strdup(out) : NULL;
    free(out);
    MTL_CHECK(art->json, MTL_ERR_NOMEM, "out of memory");
    size_t len = strlen(art->json);
    return blocks ? mtl_cardano_blocks_transactions_snapshot_verify(art->json, len, cert)
                  : mtl_cardano_transactions_snapshot_verify(art->json, len, cert);
}
