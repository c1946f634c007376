/* tx_store_int.h - what the files of the transactions store share. */
#ifndef MTL_UTIL_TX_STORE_INT_H
#define MTL_UTIL_TX_STORE_INT_H

#include "mithril/cardano_block.h"
#include "mithril/mktree.h"
#include "tx_store.h"

/* One block of a range: its transactions are r->tx[tx_first .. +tx_count). */
struct tx_blk {
    uint64_t number, slot;
    uint8_t hash[32];
    size_t tx_first, tx_count;
};
/* The blocks of one block range and their transactions, in block order
 * (arrays kept and grown: no allocation per transaction). */
struct tx_range {
    uint64_t start;
    struct tx_blk *b;
    size_t nb, capb;
    uint8_t (*tx)[32];
    size_t ntx, captx;
};
/* The map of one tree at a beacon, kept for the proofs of that beacon. */
struct tx_map {
    int valid;
    uint64_t beacon;
    struct mtl_mktree *tree;
    uint64_t *starts; /* range start of each map leaf */
    size_t n;
};
/* A row of the transactions index waiting for its chunk's end. */
struct tx_key {
    uint64_t prefix, block;
};
struct app_tx_store {
    sqlite3 *db;
    sqlite3_stmt *ins_block, *ins_tx, *ins_root, *set_chunk, *sel_range;
    struct mtl_block_decoder *dec;
    struct tx_range acc;     /* the range being imported */
    int acc_valid;           /* 0: reload it from the store first */
    uint64_t ranges_stored;  /* complete ranges stored by this object */
    struct tx_range scratch; /* ranges rebuilt for roots and proofs */
    struct mtl_mktree *tree; /* a range's tree, cleared and reused */
    struct tx_key *keys;     /* the chunk's index rows (kept and grown) */
    size_t nkeys, capkeys;
    struct tx_map map[2];
};

/* The index key of a transaction hash: its first 8 bytes. */
static inline sqlite3_int64 app_tx_prefix(const uint8_t h[32])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | h[i];
    return (sqlite3_int64)v;
}

void tx_range_reset(struct tx_range *r, uint64_t start);
void tx_range_free(struct tx_range *r);
/* Append a block and its transaction hashes (sorted there by hash: the
 * leaf order, and the order the store keeps). */
mtl_err tx_range_push(struct tx_range *r, uint64_t number, uint64_t slot, const uint8_t hash[32],
                      const uint8_t (*txs)[32], size_t ntx);
/* Load the blocks start..=last of the store (and their transactions). */
mtl_err tx_range_load(struct app_tx_store *s, uint64_t start, uint64_t last, struct tx_range *r);
/* The range's tree, in t (cleared first), in the reference's leaf order
 * (each block's transactions sorted by hash first). MTL_ERR_NOT_FOUND when
 * it has no leaf (a transactions tree of a range without transactions). */
mtl_err tx_range_tree(struct tx_range *r, enum app_tx_tree tree, struct mtl_mktree *t);
/* Its root bytes (32, or the leaf itself for a one-leaf tree), built in s->tree. */
mtl_err tx_range_root(struct app_tx_store *s, struct tx_range *r, enum app_tx_tree tree,
                      uint8_t *out, size_t cap, size_t *len);
/* Store both roots of a complete range (none for an empty tree). */
mtl_err tx_range_store_roots(struct app_tx_store *s, struct tx_range *r);
void tx_map_clear(struct tx_map *m);

#define TX_ROOT_MAX MTL_PROOF_LEAF_BYTES /* a one-leaf range's root is its leaf */

#endif
