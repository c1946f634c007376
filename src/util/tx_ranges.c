/* tx_ranges.c - one block range of the transactions store: its blocks and
 * transactions in memory, read back from the store, its two trees in the
 * reference's leaf order and their roots. */
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "db.h"
#include "mithril/util.h"
#include "tx_store_int.h"

void tx_range_reset(struct tx_range *r, uint64_t start)
{
    r->start = start;
    r->nb = 0;
    r->ntx = 0;
}

void tx_range_free(struct tx_range *r)
{
    mtl_free(r->b);
    mtl_free(r->tx);
    memset(r, 0, sizeof(*r));
}

mtl_err tx_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return MTL_OK;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = mtl_realloc(*p, n * size);
    MTL_CHECK(q, MTL_ERR_NOMEM, "transactions store: out of memory");
    *p = q;
    *cap = n;
    return MTL_OK;
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* A block's transactions in leaf order (by hash); what the store returns is
 * already sorted, which one pass confirms. */
static void sort_hashes(uint8_t (*h)[32], size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (memcmp(h[i - 1], h[i], 32) > 0) {
            mtl_sort(h, n, 32, cmp32);
            return;
        }
}

mtl_err tx_range_push(struct tx_range *r, uint64_t number, uint64_t slot, const uint8_t hash[32],
                      const uint8_t (*txs)[32], size_t ntx)
{
    MTL_TRY(tx_grow((void **)&r->b, &r->capb, r->nb + 1, sizeof(*r->b)));
    MTL_TRY(tx_grow((void **)&r->tx, &r->captx, r->ntx + ntx, sizeof(*r->tx)));
    struct tx_blk *b = &r->b[r->nb++];
    b->number = number;
    b->slot = slot;
    memcpy(b->hash, hash, 32);
    b->tx_first = r->ntx;
    b->tx_count = ntx;
    if (ntx) {
        memcpy(r->tx[r->ntx], txs, ntx * 32);
        sort_hashes(&r->tx[r->ntx], ntx);
    }
    r->ntx += ntx;
    return MTL_OK;
}

static mtl_err blob32(sqlite3_stmt *st, int col, uint8_t out[32], const char *what)
{
    MTL_CHECK(sqlite3_column_bytes(st, col) == 32, MTL_ERR_DB,
              "transactions store: %s is not 32 bytes", what);
    memcpy(out, sqlite3_column_blob(st, col), 32);
    return MTL_OK;
}

mtl_err tx_range_load(struct app_tx_store *s, uint64_t start, uint64_t last, struct tx_range *r)
{
    tx_range_reset(r, mtl_block_range_start(start));
    if (!s->sel_range)
        MTL_TRY(app_db_prepare(s->db, &s->sel_range,
                               "SELECT block_number, slot_number, block_hash, tx_hashes"
                               " FROM cardano_block WHERE block_number BETWEEN ? AND ?"
                               " ORDER BY block_number"));
    sqlite3_stmt *st = s->sel_range;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)start);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)last);
    mtl_err e = MTL_OK;
    int rc;
    while (e == MTL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint8_t hash[32];
        size_t n = (size_t)sqlite3_column_bytes(st, 3);
        e = blob32(st, 2, hash, "a block hash");
        if (e == MTL_OK && n % 32 != 0)
            e = mtl_seterr(MTL_ERR_DB, "transactions store: block %lld: %zu bytes of hashes",
                           (long long)sqlite3_column_int64(st, 0), n);
        if (e == MTL_OK)
            e = tx_range_push(r, (uint64_t)sqlite3_column_int64(st, 0),
                              (uint64_t)sqlite3_column_int64(st, 1), hash,
                              (const uint8_t(*)[32])sqlite3_column_blob(st, 3), n / 32);
    }
    if (e == MTL_OK && rc != SQLITE_DONE)
        e = mtl_seterr(MTL_ERR_DB, "sqlite: range blocks: %s", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return e;
}

#define TX_LEAF_HASH_AT 3 /* "Tx/" */

static void hex32(char out[MTL_HASH_HEX_BYTES], const uint8_t in[32])
{
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, in, 32);
}

/* Leaves: v1 the transaction hashes' hex text by block then hash; blocks
 * tree every block's leaf (by number) then the transactions' (by block,
 * then hash). Equal blocks cannot occur: numbers grow. */
static mtl_err append_leaves(struct tx_range *r, enum app_tx_tree tree, struct mtl_mktree *t)
{
    char leaf[MTL_PROOF_LEAF_BYTES], h[MTL_HASH_HEX_BYTES], bh[MTL_HASH_HEX_BYTES];
    if (tree == APP_TX_TREE_BLOCKS)
        for (size_t i = 0; i < r->nb; i++) {
            hex32(bh, r->b[i].hash);
            size_t n = mtl_block_leaf(leaf, bh, r->b[i].number, r->b[i].slot);
            MTL_TRY(mtl_mktree_append(t, leaf, n));
        }
    for (size_t i = 0; i < r->nb; i++) {
        const struct tx_blk *b = &r->b[i];
        size_t n = 0;
        if (tree == APP_TX_TREE_BLOCKS) {
            /* the block's leaf text once, each transaction's hash put in it */
            hex32(bh, b->hash);
            memset(h, '0', 64);
            h[64] = 0;
            n = mtl_transaction_leaf(leaf, h, bh, b->number, b->slot);
        }
        for (size_t j = 0; j < b->tx_count; j++) {
            if (tree == APP_TX_TREE_TRANSACTIONS) {
                hex32(h, r->tx[b->tx_first + j]);
                MTL_TRY(mtl_mktree_append(t, h, 64));
            } else {
                hex32(h, r->tx[b->tx_first + j]);
                memcpy(leaf + TX_LEAF_HASH_AT, h, 64);
                MTL_TRY(mtl_mktree_append(t, leaf, n));
            }
        }
    }
    return MTL_OK;
}

mtl_err tx_range_tree(struct tx_range *r, enum app_tx_tree tree, struct mtl_mktree *t)
{
    mtl_mktree_clear(t);
    size_t leaves = r->ntx + (tree == APP_TX_TREE_BLOCKS ? r->nb : 0);
    if (leaves == 0)
        return mtl_seterr(MTL_ERR_NOT_FOUND, "range %llu: no leaf", (unsigned long long)r->start);
    return append_leaves(r, tree, t);
}

mtl_err tx_range_root(struct app_tx_store *s, struct tx_range *r, enum app_tx_tree tree,
                      uint8_t *out, size_t cap, size_t *len)
{
    if (!s->tree)
        MTL_TRY(mtl_mktree_new(&s->tree));
    MTL_TRY(tx_range_tree(r, tree, s->tree));
    return mtl_mktree_root(s->tree, out, cap, len);
}

mtl_err tx_range_store_roots(struct app_tx_store *s, struct tx_range *r)
{
    static const enum app_tx_tree trees[] = {APP_TX_TREE_TRANSACTIONS, APP_TX_TREE_BLOCKS};
    for (size_t i = 0; i < MTL_ARRAY_LEN(trees); i++) {
        uint8_t root[TX_ROOT_MAX];
        size_t len = 0;
        mtl_err e = tx_range_root(s, r, trees[i], root, sizeof(root), &len);
        if (e == MTL_ERR_NOT_FOUND) { /* the reference skips ranges without leaves */
            mtl_err_clear();
            continue;
        }
        MTL_TRY(e);
        sqlite3_stmt *st = s->ins_root;
        sqlite3_bind_int(st, 1, (int)trees[i]);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)r->start);
        sqlite3_bind_blob(st, 3, root, (int)len, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        MTL_CHECK(rc == SQLITE_DONE, MTL_ERR_DB, "sqlite: range %llu root: %s",
                  (unsigned long long)r->start, sqlite3_errmsg(s->db));
    }
    s->ranges_stored++;
    return MTL_OK;
}
