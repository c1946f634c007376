/*
 * tx_store.h - the Cardano blocks and transactions store of the signer and
 * the aggregator (spec shared/spec/transactions.md, docs/internals/
 * TRANSACTIONS.md): the importer reads the node's completed immutable chunks
 * with the library's block reader and keeps, in SQLite,
 *   - blocks (number, slot, hash) and their transactions' hashes,
 *   - per chunk, the index of its transactions (hash -> block),
 *   - the roots of complete block ranges (15 blocks), for both trees
 *     (CardanoTransactions: transaction hashes; CardanoBlocksTransactions:
 *     block and transaction leaves), computed once when a range completes,
 *   - the next chunk to read.
 * One SQLite transaction per chunk: a kill mid-import leaves the store as it
 * was after the last whole chunk, and the next import continues from there.
 *
 * The same functions give the Merkle root signed at a beacon (the map over
 * the stored range roots, plus the partial last range of a blocks beacon)
 * and the proofs the aggregator serves, which rebuild only the ranges that
 * hold the asked items. Signer and aggregator compute their messages with
 * app_tx_root, so they agree by construction.
 *
 * A store object is used by one thread at a time.
 */
#ifndef MTL_UTIL_TX_STORE_H
#define MTL_UTIL_TX_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "mithril/cardano_proofs.h"
#include "mithril/err.h"
#include "mithril/mktree.h"

/* The schema, in two migrations: the first store (the aggregator's store
 * migration 6, the signer's file migration 1), then the per-chunk hash index
 * replacing the per-transaction one (migration 7, the signer's 2), which
 * empties the store so that the chain is imported again. */
extern const char APP_TX_SCHEMA[];
extern const char APP_TX_INDEX_MIGRATION[];

/* The reference's CardanoTransactionsSigningConfig and
 * CardanoBlocksTransactionsSigningConfig (same two fields). */
struct app_tx_signing {
    uint64_t security_parameter; /* blocks discarded from the tip */
    uint64_t step;               /* blocks between two signatures */
};
/* CardanoTransactions: ⌊(tip - k) / s⌋ · s - 1, s = max(range start of step,
 * 15), saturating at 0 (reference signed_entity_config.rs). */
uint64_t app_tx_beacon_transactions(const struct app_tx_signing *c, uint64_t tip);
/* CardanoBlocksTransactions: ⌊(tip - k) / s⌋ · s, s = max(step, 1). */
uint64_t app_tx_beacon_blocks(const struct app_tx_signing *c, uint64_t tip);

struct app_tx_store;
/* Open (creating) a store file of its own (the signer's). */
mtl_err app_tx_store_open(struct app_tx_store **out, const char *path);
/* A store over a connection whose schema has APP_TX_SCHEMA (the aggregator's
 * store); takes the connection (closed by app_tx_store_free, also on error). */
mtl_err app_tx_store_attach(struct app_tx_store **out, sqlite3 *db);
void app_tx_store_free(struct app_tx_store *s);

struct app_tx_import_stats {
    uint64_t chunks, blocks, transactions, bytes, ranges;
};
/* Import the chunks after the last one imported up to the last completed
 * one of immutable_dir (the node's db/immutable: a directory so named) (the one being written is
 * never read) and at most up_to_chunk. Byron epoch boundary blocks are skipped (no transactions,
 * and they repeat the previous block's number). Block numbers must grow: MTL_ERR_INTEGRITY
 * otherwise. st (may be NULL) receives what was done. */
mtl_err app_tx_import(struct app_tx_store *s, const char *immutable_dir, uint64_t up_to_chunk,
                      struct app_tx_import_stats *st);
/* The next chunk an import starts from (0 for an empty store). */
mtl_err app_tx_next_chunk(struct app_tx_store *s, uint64_t *next);
/* Highest block number imported (*found 0 when none). */
mtl_err app_tx_highest_block(struct app_tx_store *s, uint64_t *number, int *found);
/* Counts of the store (tests, logs). */
mtl_err app_tx_counts(struct app_tx_store *s, uint64_t *blocks, uint64_t *transactions,
                      uint64_t *ranges);

enum app_tx_tree {
    APP_TX_TREE_TRANSACTIONS = 0, /* CardanoTransactions (v1) */
    APP_TX_TREE_BLOCKS = 1,       /* CardanoBlocksTransactions */
};
/* The Merkle root signed at beacon (lower-case hex): the map of the stored
 * ranges ending at or before beacon + 1 and, for BLOCKS, the partial range
 * of the blocks <= beacon. MTL_ERR_STATE when blocks up to beacon are not all
 * imported; MTL_ERR_NOT_FOUND when the map would be empty. */
mtl_err app_tx_root(struct app_tx_store *s, enum app_tx_tree tree, uint64_t beacon,
                    char root[MTL_HASH_HEX_BYTES]);

/* One certified item of a proof (a transaction, or a block for blocks). */
struct app_tx_item {
    uint8_t hash[32];       /* transaction hash, or block hash */
    uint8_t block_hash[32]; /* the block (equal to hash for blocks) */
    uint64_t block_number, slot;
};
/* The proof of the items among hashes[0..n) that the snapshot of beacon
 * certifies, for the proof route of kind: items (mtl_free) in hash order,
 * *nitems of them, and the map proof (NULL when no item was found; free with
 * mtl_mkproof_free). Hashes not found are simply not in items. */
mtl_err app_tx_prove(struct app_tx_store *s, enum mtl_proofs_kind kind, uint64_t beacon,
                     const uint8_t (*hashes)[32], size_t n, struct app_tx_item **items,
                     size_t *nitems, struct mtl_mkproof **proof);

#endif
