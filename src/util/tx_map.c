/* tx_map.c - the Merkle map of a tree at a beacon (stored range roots, plus
 * the partial last range of a blocks beacon), its root, and the proofs of
 * transactions and blocks: only the ranges holding the asked items are
 * rebuilt from the store. */
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "db.h"
#include "mithril/util.h"
#include "tx_store_int.h"

void tx_map_clear(struct tx_map *m)
{
    mtl_mktree_free(m->tree);
    mtl_free(m->starts);
    memset(m, 0, sizeof(*m));
}

static mtl_err map_add(struct tx_map *m, size_t *cap, uint64_t start, const uint8_t *root,
                       size_t len)
{
    if (m->n == *cap) {
        size_t n = *cap ? *cap * 2 : 256;
        uint64_t *p = mtl_realloc(m->starts, n * sizeof(*p));
        MTL_CHECK(p, MTL_ERR_NOMEM, "transactions map: out of memory");
        m->starts = p;
        *cap = n;
    }
    uint8_t leaf[MTL_MKNODE_BYTES];
    MTL_TRY(mtl_mkmap_leaf(leaf, start, start + MTL_BLOCK_RANGE_LENGTH, root, len));
    MTL_TRY(mtl_mktree_append(m->tree, leaf, sizeof(leaf)));
    m->starts[m->n++] = start;
    return MTL_OK;
}

static mtl_err check_imported(struct app_tx_store *s, uint64_t beacon)
{
    uint64_t high = 0;
    int found = 0;
    MTL_TRY(app_tx_highest_block(s, &high, &found));
    MTL_CHECK(found && high >= beacon, MTL_ERR_STATE,
              "blocks up to %llu are not all imported yet (highest: %s%llu)",
              (unsigned long long)beacon, found ? "" : "none, ", (unsigned long long)high);
    return MTL_OK;
}

/* The stored roots of the ranges ending at or before beacon + 1. */
static mtl_err map_stored(struct app_tx_store *s, enum app_tx_tree tree, uint64_t beacon,
                          struct tx_map *m, size_t *cap)
{
    sqlite3_stmt *st = NULL;
    MTL_TRY(app_db_prepare(s->db, &st,
                           "SELECT start, root FROM block_range_root WHERE tree = ? AND start <= ?"
                           " ORDER BY start"));
    sqlite3_bind_int(st, 1, (int)tree);
    /* end <= beacon + 1, i.e. start <= beacon + 1 - 15 */
    sqlite3_bind_int64(st, 2,
                       (sqlite3_int64)(beacon + 1 >= MTL_BLOCK_RANGE_LENGTH
                                           ? beacon + 1 - MTL_BLOCK_RANGE_LENGTH
                                           : 0));
    mtl_err e = MTL_OK;
    int rc;
    while (e == MTL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t start = (uint64_t)sqlite3_column_int64(st, 0);
        if (start + MTL_BLOCK_RANGE_LENGTH > beacon + 1)
            continue; /* beacon < 14: no complete range */
        e = map_add(m, cap, start, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
    }
    if (e == MTL_OK && rc != SQLITE_DONE)
        e = mtl_seterr(MTL_ERR_DB, "sqlite: range roots: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return e;
}

static mtl_err map_build(struct app_tx_store *s, enum app_tx_tree tree, uint64_t beacon,
                         struct tx_map *m)
{
    size_t cap = 0;
    MTL_TRY(check_imported(s, beacon));
    MTL_TRY(mtl_mktree_new(&m->tree));
    MTL_TRY(map_stored(s, tree, beacon, m, &cap));
    uint64_t start = mtl_block_range_start(beacon);
    if (tree == APP_TX_TREE_BLOCKS && beacon != start + MTL_BLOCK_RANGE_LENGTH - 1) {
        /* the partial range: blocks start..=beacon, under the full range's name */
        MTL_TRY(tx_range_load(s, start, beacon, &s->scratch));
        uint8_t root[TX_ROOT_MAX];
        size_t len = 0;
        if (s->scratch.nb) {
            MTL_TRY(tx_range_root(s, &s->scratch, tree, root, sizeof(root), &len));
            MTL_TRY(map_add(m, &cap, start, root, len));
        }
    }
    MTL_CHECK(m->n > 0, MTL_ERR_NOT_FOUND, "no %s up to block %llu",
              tree == APP_TX_TREE_BLOCKS ? "block" : "transaction", (unsigned long long)beacon);
    m->beacon = beacon;
    m->valid = 1;
    return MTL_OK;
}

/* The map of tree at beacon, kept until another beacon is asked (what is
 * imported up to a beacon never changes: the chunks are immutable). */
static mtl_err map_at(struct app_tx_store *s, enum app_tx_tree tree, uint64_t beacon,
                      struct tx_map **out)
{
    struct tx_map *m = &s->map[tree];
    if (!m->valid || m->beacon != beacon) {
        tx_map_clear(m);
        mtl_err e = map_build(s, tree, beacon, m);
        if (e != MTL_OK) {
            tx_map_clear(m);
            return e;
        }
    }
    *out = m;
    return MTL_OK;
}

mtl_err app_tx_root(struct app_tx_store *s, enum app_tx_tree tree, uint64_t beacon,
                    char root[MTL_HASH_HEX_BYTES])
{
    struct tx_map *m = NULL;
    MTL_TRY(map_at(s, tree, beacon, &m));
    return mtl_mktree_root_hex(m->tree, root, MTL_HASH_HEX_BYTES);
}

/* ---- proofs ---------------------------------------------------------------------- */

static int cmp_item(const void *a, const void *b)
{
    const struct app_tx_item *x = a, *y = b;
    if (x->block_number != y->block_number)
        return x->block_number < y->block_number ? -1 : 1;
    return memcmp(x->hash, y->hash, 32);
}

/* Leaf index of item it in range r (whose tree was just built, so each
 * block's transactions are sorted); fills its block hash and slot. */
static int leaf_index(const struct tx_range *r, int blocks_tree, int is_block,
                      struct app_tx_item *it, uint64_t *idx)
{
    for (size_t i = 0; i < r->nb; i++) {
        const struct tx_blk *b = &r->b[i];
        if (b->number != it->block_number)
            continue;
        memcpy(it->block_hash, b->hash, 32);
        it->slot = b->slot;
        if (is_block) {
            *idx = i;
            return 1;
        }
        for (size_t j = 0; j < b->tx_count; j++)
            if (memcmp(r->tx[b->tx_first + j], it->hash, 32) == 0) {
                *idx = (blocks_tree ? r->nb : 0) + b->tx_first + j;
                return 1;
            }
    }
    return 0;
}

static size_t map_index(const struct tx_map *m, uint64_t start, int *found)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->starts[mid] < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < m->n && m->starts[lo] == start;
    return lo;
}

/* The sub-proof of the items its[0..k) of one range; its map leaf index. */
static mtl_err prove_range(struct app_tx_store *s, enum app_tx_tree tree, int is_block,
                           uint64_t beacon, struct app_tx_item *its, size_t k, uint64_t *idx,
                           struct mtl_mkproof **sub)
{
    uint64_t start = mtl_block_range_start(its[0].block_number);
    uint64_t last = start + MTL_BLOCK_RANGE_LENGTH - 1;
    if (!s->tree)
        MTL_TRY(mtl_mktree_new(&s->tree));
    struct mtl_mktree *t = s->tree;
    MTL_TRY(tx_range_load(s, start, last < beacon ? last : beacon, &s->scratch));
    MTL_TRY(tx_range_tree(&s->scratch, tree, t));
    mtl_err e = MTL_OK;
    for (size_t i = 0; i < k && e == MTL_OK; i++)
        if (!leaf_index(&s->scratch, tree == APP_TX_TREE_BLOCKS, is_block, &its[i], &idx[i]))
            e = mtl_seterr(MTL_ERR_DB, "transactions store: an item of range %llu is not in it",
                           (unsigned long long)start);
    if (e == MTL_OK)
        e = mtl_mktree_prove(sub, t, idx, k);
    return e;
}

/* Find the items, sorted by block then hash (so by range). */
static mtl_err find_items(struct app_tx_store *s, enum mtl_proofs_kind kind, uint64_t beacon,
                          const struct tx_map *m, const uint8_t (*hashes)[32], size_t n,
                          struct app_tx_item *items, size_t *nitems)
{
    int is_block = kind == MTL_PROOFS_BLOCKS;
    MTL_TRY(tx_index_refresh(s));
    mtl_err e = MTL_OK;
    *nitems = 0;
    for (size_t i = 0; i < n && e == MTL_OK; i++) {
        uint64_t number = 0;
        int found = 0, in_map = 0;
        e = tx_index_find(s, is_block, hashes[i], beacon, &number, &found);
        if (e != MTL_OK || !found)
            continue;
        map_index(m, mtl_block_range_start(number), &in_map);
        if (!in_map) /* v1: a range not complete at the beacon */
            continue;
        struct app_tx_item *it = &items[(*nitems)++];
        memset(it, 0, sizeof(*it));
        memcpy(it->hash, hashes[i], 32);
        it->block_number = number;
    }
    MTL_TRY(e);
    mtl_sort(items, *nitems, sizeof(*items), cmp_item);
    return MTL_OK;
}

mtl_err app_tx_prove(struct app_tx_store *s, enum mtl_proofs_kind kind, uint64_t beacon,
                     const uint8_t (*hashes)[32], size_t n, struct app_tx_item **items,
                     size_t *nitems, struct mtl_mkproof **proof)
{
    *items = NULL;
    *nitems = 0;
    *proof = NULL;
    enum app_tx_tree tree =
        kind == MTL_PROOFS_TRANSACTIONS_V1 ? APP_TX_TREE_TRANSACTIONS : APP_TX_TREE_BLOCKS;
    int is_block = kind == MTL_PROOFS_BLOCKS;
    struct tx_map *m = NULL;
    MTL_TRY(map_at(s, tree, beacon, &m));
    struct app_tx_item *its = mtl_calloc(n ? n : 1, sizeof(*its));
    uint64_t *idx = mtl_calloc(n ? n : 1, sizeof(*idx)), *master_idx = mtl_calloc(n ? n : 1, 8);
    struct mtl_mkproof **subs = mtl_calloc(n ? n : 1, sizeof(*subs));
    uint64_t *starts = mtl_calloc(n ? n : 1, 8);
    struct mtl_mkproof *master = NULL;
    size_t k = 0, nr = 0;
    mtl_err e = its && idx && master_idx && subs && starts
                    ? find_items(s, kind, beacon, m, hashes, n, its, &k)
                    : mtl_seterr(MTL_ERR_NOMEM, "proof: out of memory");
    /* one sub-proof per range, in range order */
    for (size_t i = 0; e == MTL_OK && i < k;) {
        size_t j = i;
        uint64_t start = mtl_block_range_start(its[i].block_number);
        while (j < k && mtl_block_range_start(its[j].block_number) == start)
            j++;
        int in_map = 0;
        master_idx[nr] = map_index(m, start, &in_map);
        starts[nr] = start;
        e = prove_range(s, tree, is_block, beacon, its + i, j - i, idx + i, &subs[nr]);
        nr++;
        i = j;
    }
    if (e == MTL_OK && k)
        e = mtl_mktree_prove(&master, m->tree, master_idx, nr);
    for (size_t r = 0; r < nr; r++) {
        if (e == MTL_OK)
            e = mtl_mkproof_add_sub(master, starts[r], starts[r] + MTL_BLOCK_RANGE_LENGTH, subs[r]);
        else
            mtl_mkproof_free(subs[r]);
        subs[r] = NULL;
    }
    mtl_free(subs);
    mtl_free(idx);
    mtl_free(master_idx);
    mtl_free(starts);
    if (e != MTL_OK) {
        mtl_mkproof_free(master);
        mtl_free(its);
        return e;
    }
    *items = its;
    *nitems = k;
    *proof = master;
    return MTL_OK;
}
