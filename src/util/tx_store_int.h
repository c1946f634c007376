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
/* A key of the transactions index waiting for its chunk's end: a hash's
 * first 8 bytes (big-endian) and its block. */
struct tx_key {
    uint64_t prefix, block;
};
/* One imported chunk's filter in memory: bits[at .. at + 64 * nblocks), and
 * the first prefix of each of its runs: fences[fence_at .. + nfences). */
struct tx_chunk_filter {
    uint64_t chunk, first_block, last_block;
    size_t at, nblocks;
    size_t fence_at, nfences;
};
/* The filters of the chunks < next, as the store holds them (read at the
 * first lookup, then the chunks committed since at each lookup). */
struct tx_filters {
    struct tx_chunk_filter *c;
    size_t n, cap;
    uint8_t *bits;
    size_t nbytes, capbytes;
    uint64_t *fences;
    size_t nfences, capfences;
    uint64_t next;
};
struct app_tx_store {
    sqlite3 *db;
    sqlite3_stmt *ins_block, *ins_run, *ins_filter, *ins_root, *set_chunk, *sel_range;
    sqlite3_stmt *sel_filters, *sel_run, *sel_txs; /* lookups (prepared at the first) */
    struct mtl_block_decoder *dec;
    struct tx_range acc;     /* the range being imported */
    int acc_valid;           /* 0: reload it from the store first */
    uint64_t ranges_stored;  /* complete ranges stored by this object */
    struct tx_range scratch; /* ranges rebuilt for roots and proofs */
    struct mtl_mktree *tree; /* a range's tree, cleared and reused */
    struct tx_key *keys;     /* the chunk's index keys (kept and grown) */
    size_t nkeys, capkeys;
    struct tx_key *keys2; /* the sort's second array */
    size_t capkeys2;
    uint8_t *ibuf; /* the chunk's filter, then its runs */
    size_t capibuf;
    struct tx_filters filters;
    struct tx_map map[2];
};

/* Step an insert or update (MTL_ERR_DB naming what on failure), reset it. */
mtl_err tx_step_done(struct app_tx_store *s, sqlite3_stmt *st, const char *what);

/* The hash index (tx_index.c). Keys of a block's hash and its transactions',
 * kept for the chunk's end: */
mtl_err tx_index_add(struct app_tx_store *s, uint64_t block, const uint8_t (*txs)[32], size_t n);
/* The chunk's filter and runs (inside the chunk's SQLite transaction); the
 * keys are kept (sorted): the caller empties them. */
mtl_err tx_index_write_chunk(struct app_tx_store *s, uint64_t chunk);
/* Read the filters of the chunks committed since the last call (all, the
 * first time): before lookups. */
mtl_err tx_index_refresh(struct app_tx_store *s);
/* The lowest block <= limit holding transaction hash, or (is_block) whose
 * hash is hash (*found 0: none): the chunks whose filter may hold its
 * prefix, their run of it, the candidate blocks' full hashes. */
mtl_err tx_index_find(struct app_tx_store *s, int is_block, const uint8_t hash[32], uint64_t limit,
                      uint64_t *number, int *found);
void tx_index_free(struct tx_filters *f);

/* Grow array *p (of *cap elements of size bytes) to hold need, doubling. */
mtl_err tx_grow(void **p, size_t *cap, size_t need, size_t size);

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
