/* tx_import.c - the transactions store: schema, open, the chunk importer
 * (one SQLite transaction per chunk, range roots computed when a range
 * completes) and the signing cadence. */
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "db.h"
#include "mithril/cardano_db.h"
#include "tx_store_int.h"

/* A block keeps its transactions' hashes (32 bytes each, sorted: the leaf order)
 * in one blob, so a range is read back with one interval scan. This first
 * schema (kept as it shipped: the aggregator's migration 6) also had a
 * per-transaction index, cardano_tx, which APP_TX_INDEX_MIGRATION replaces. */
const char APP_TX_SCHEMA[] =
    "CREATE TABLE cardano_block ("
    "  block_number INTEGER PRIMARY KEY,"
    "  slot_number INTEGER NOT NULL,"
    "  block_hash BLOB NOT NULL,"
    "  tx_hashes BLOB NOT NULL);"
    "CREATE INDEX cardano_block_hash ON cardano_block(block_hash);"
    "CREATE TABLE cardano_tx ("
    "  tx_prefix INTEGER NOT NULL,"
    "  block_number INTEGER NOT NULL,"
    "  PRIMARY KEY (tx_prefix, block_number)) WITHOUT ROWID;"
    /* tree: enum app_tx_tree; a range's root (32 bytes, or its only leaf) */
    "CREATE TABLE block_range_root ("
    "  tree INTEGER NOT NULL,"
    "  start INTEGER NOT NULL,"
    "  root BLOB NOT NULL,"
    "  PRIMARY KEY (tree, start)) WITHOUT ROWID;"
    "CREATE TABLE tx_import_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 0),"
    "  next_chunk INTEGER NOT NULL);";

/* The hash index per imported chunk (tx_index.c): the keys of its blocks'
 * and transactions' hashes (8-byte prefix, block offset in the chunk) sorted, in runs of ~4 KB
 * (row id: chunk << 32 | run number), and a row with a Bloom filter of its
 * prefixes, its first and last block and the first prefix of each run. The
 * per-transaction rows and the block hash index it replaces cost a random
 * B-tree insert each once they outgrew the page cache. Which chunks the old rows came from is
 * not known: the store (derived data) is emptied and the chain imported
 * again. */
const char APP_TX_INDEX_MIGRATION[] =
    /* the first schema's index, and the rows it indexed */
    "DROP TABLE cardano_tx;"
    "DROP INDEX cardano_block_hash;"
    "DELETE FROM cardano_block;"
    "DELETE FROM block_range_root;"
    "DELETE FROM tx_import_state;"
    "CREATE TABLE cardano_tx_run ("
    "  id INTEGER PRIMARY KEY,"
    "  keys BLOB NOT NULL);"
    "CREATE TABLE cardano_tx_filter ("
    "  chunk INTEGER PRIMARY KEY,"
    "  first_block INTEGER NOT NULL,"
    "  last_block INTEGER NOT NULL,"
    "  filter BLOB NOT NULL,"
    "  fences BLOB NOT NULL);";

/* ---- signing cadence ------------------------------------------------------------ */

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

uint64_t app_tx_beacon_transactions(const struct app_tx_signing *c, uint64_t tip)
{
    /* the step rounded down to whole ranges, so the signed block ends a range */
    uint64_t step = mtl_block_range_start(c->step);
    if (step < MTL_BLOCK_RANGE_LENGTH)
        step = MTL_BLOCK_RANGE_LENGTH;
    return sub_sat(sub_sat(tip, c->security_parameter) / step * step, 1);
}

uint64_t app_tx_beacon_blocks(const struct app_tx_signing *c, uint64_t tip)
{
    uint64_t step = c->step ? c->step : 1;
    return sub_sat(tip, c->security_parameter) / step * step;
}

/* ---- open / close ----------------------------------------------------------------- */

mtl_err app_tx_store_attach(struct app_tx_store **out, sqlite3 *db)
{
    *out = NULL;
    struct app_tx_store *s = mtl_calloc(1, sizeof(*s));
    if (!s) {
        app_db_close(db);
        return mtl_seterr(MTL_ERR_NOMEM, "transactions store: out of memory");
    }
    s->db = db;
    mtl_err e = mtl_block_decoder_new(&s->dec);
    /* lookups read runs and blocks at random */
    if (e == MTL_OK)
        e = app_db_exec(db, "PRAGMA cache_size = -32768");
    if (e == MTL_OK)
        e = app_db_prepare(db, &s->ins_block,
                           "INSERT INTO cardano_block(block_number, slot_number, block_hash,"
                           " tx_hashes) VALUES (?, ?, ?, ?)");
    if (e == MTL_OK)
        e = app_db_prepare(db, &s->ins_run, "INSERT INTO cardano_tx_run(id, keys) VALUES (?, ?)");
    if (e == MTL_OK)
        e = app_db_prepare(db, &s->ins_filter,
                           "INSERT INTO cardano_tx_filter(chunk, first_block, last_block, filter,"
                           " fences) VALUES (?, ?, ?, ?, ?)");
    if (e == MTL_OK)
        e = app_db_prepare(db, &s->ins_root,
                           "INSERT INTO block_range_root(tree, start, root) VALUES (?, ?, ?)");
    if (e == MTL_OK)
        e = app_db_prepare(db, &s->set_chunk,
                           "INSERT OR REPLACE INTO tx_import_state(id, next_chunk) VALUES (0, ?)");
    if (e != MTL_OK) {
        app_tx_store_free(s);
        return mtl_err_wrap(e, "transactions store");
    }
    *out = s;
    return MTL_OK;
}

mtl_err app_tx_store_open(struct app_tx_store **out, const char *path)
{
    static const struct app_db_migration migs[] = {{APP_TX_SCHEMA}, {APP_TX_INDEX_MIGRATION}};
    sqlite3 *db = NULL;
    *out = NULL;
    MTL_TRY(app_db_open(&db, path, migs, MTL_ARRAY_LEN(migs)));
    return app_tx_store_attach(out, db);
}

void app_tx_store_free(struct app_tx_store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->ins_block);
    sqlite3_finalize(s->ins_run);
    sqlite3_finalize(s->ins_filter);
    sqlite3_finalize(s->sel_filters);
    sqlite3_finalize(s->sel_run);
    sqlite3_finalize(s->sel_txs);
    sqlite3_finalize(s->ins_root);
    sqlite3_finalize(s->set_chunk);
    sqlite3_finalize(s->sel_range);
    app_db_close(s->db);
    mtl_block_decoder_free(s->dec);
    tx_range_free(&s->acc);
    tx_range_free(&s->scratch);
    mtl_mktree_free(s->tree);
    mtl_free(s->keys);
    mtl_free(s->keys2);
    mtl_free(s->ibuf);
    tx_index_free(&s->filters);
    for (size_t i = 0; i < MTL_ARRAY_LEN(s->map); i++)
        tx_map_clear(&s->map[i]);
    mtl_free(s);
}

/* ---- queries ------------------------------------------------------------------------ */

/* One integer of a one-row query (*found 0 for no row or NULL). */
static mtl_err query_u64(struct app_tx_store *s, const char *sql, uint64_t *v, int *found)
{
    sqlite3_stmt *st = NULL;
    MTL_TRY(app_db_prepare(s->db, &st, sql));
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    *v = *found ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    MTL_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE, MTL_ERR_DB, "sqlite: %s (in '%.60s')",
              sqlite3_errmsg(s->db), sql);
    return MTL_OK;
}

mtl_err app_tx_next_chunk(struct app_tx_store *s, uint64_t *next)
{
    int found = 0;
    return query_u64(s, "SELECT next_chunk FROM tx_import_state WHERE id = 0", next, &found);
}

mtl_err app_tx_highest_block(struct app_tx_store *s, uint64_t *number, int *found)
{
    return query_u64(s, "SELECT MAX(block_number) FROM cardano_block", number, found);
}

mtl_err app_tx_counts(struct app_tx_store *s, uint64_t *blocks, uint64_t *transactions,
                      uint64_t *ranges)
{
    int f;
    MTL_TRY(query_u64(s, "SELECT COUNT(*) FROM cardano_block", blocks, &f));
    MTL_TRY(query_u64(s, "SELECT COALESCE(SUM(length(tx_hashes)), 0) / 32 FROM cardano_block",
                      transactions, &f));
    return query_u64(s, "SELECT COUNT(*) FROM block_range_root", ranges, &f);
}

/* ---- import ------------------------------------------------------------------------ */

mtl_err tx_step_done(struct app_tx_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    MTL_CHECK(rc == SQLITE_DONE, MTL_ERR_DB, "sqlite: %s: %s", what, sqlite3_errmsg(s->db));
    return MTL_OK;
}

/* The range being imported, read back after a restart: the blocks of the
 * highest block's range, unless that range is already complete. */
static mtl_err reload_acc(struct app_tx_store *s)
{
    uint64_t high = 0;
    int found = 0;
    MTL_TRY(app_tx_highest_block(s, &high, &found));
    if (!found) {
        tx_range_reset(&s->acc, 0);
    } else {
        uint64_t start = mtl_block_range_start(high);
        if (high == start + MTL_BLOCK_RANGE_LENGTH - 1)
            tx_range_reset(&s->acc, start + MTL_BLOCK_RANGE_LENGTH);
        else
            MTL_TRY(tx_range_load(s, start, high, &s->acc));
    }
    s->acc_valid = 1;
    return MTL_OK;
}

/* b's row (txs: its transaction hashes sorted, the range's copy); its
 * index keys wait for the chunk's end. */
static mtl_err insert_block(struct app_tx_store *s, const struct mtl_cardano_block *b,
                            const uint8_t (*txs)[32])
{
    MTL_TRY(tx_index_add(s, b->block_number, (const uint8_t(*)[32])b->hash, 1));
    MTL_TRY(tx_index_add(s, b->block_number, txs, b->tx_count));
    sqlite3_stmt *st = s->ins_block;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)b->block_number);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)b->slot);
    sqlite3_bind_blob(st, 3, b->hash, 32, SQLITE_STATIC);
    /* a zero-length blob, not NULL, for a block without transactions */
    sqlite3_bind_blob(st, 4, b->tx_count ? (const void *)txs : "", (int)(32 * b->tx_count),
                      SQLITE_STATIC);
    return tx_step_done(s, st, "insert block");
}

/* One block into the store and the range being imported; a range is
 * stored with its roots as soon as its last block is in (or a later
 * range starts). */
static mtl_err import_block(struct app_tx_store *s, const struct mtl_cardano_block *b,
                            uint64_t *high, int *have_high)
{
    MTL_CHECK(!*have_high || b->block_number > *high, MTL_ERR_INTEGRITY,
              "block %llu (slot %llu) comes after block %llu: block numbers must grow",
              (unsigned long long)b->block_number, (unsigned long long)b->slot,
              (unsigned long long)*high);
    uint64_t start = mtl_block_range_start(b->block_number);
    if (start != s->acc.start) {
        if (s->acc.nb)
            MTL_TRY(tx_range_store_roots(s, &s->acc));
        tx_range_reset(&s->acc, start);
    }
    MTL_TRY(tx_range_push(&s->acc, b->block_number, b->slot, b->hash, b->tx_hashes, b->tx_count));
    const struct tx_blk *in = &s->acc.b[s->acc.nb - 1];
    MTL_TRY(
        insert_block(s, b, in->tx_count ? (const uint8_t(*)[32])s->acc.tx[in->tx_first] : NULL));
    if (b->block_number == start + MTL_BLOCK_RANGE_LENGTH - 1) {
        MTL_TRY(tx_range_store_roots(s, &s->acc));
        tx_range_reset(&s->acc, start + MTL_BLOCK_RANGE_LENGTH);
    }
    *high = b->block_number;
    *have_high = 1;
    return MTL_OK;
}

/* Chunk c inside the caller's transaction. */
static mtl_err import_chunk(struct app_tx_store *s, const char *dir, uint64_t c, uint64_t *high,
                            int *have_high, struct app_tx_import_stats *st)
{
    struct mtl_chunk_reader *r = NULL;
    MTL_TRY(mtl_chunk_reader_open(&r, dir, c));
    mtl_err e = MTL_OK;
    for (;;) {
        struct mtl_cardano_block b;
        bool done = false;
        if ((e = mtl_chunk_reader_next(r, &b, &done)) != MTL_OK || done)
            break;
        st->bytes += b.len;
        if (b.era == MTL_ERA_BYRON_EBB)
            continue;
        if ((e = import_block(s, &b, high, have_high)) != MTL_OK)
            break;
        st->blocks++;
        st->transactions += b.tx_count;
    }
    mtl_chunk_reader_free(r);
    if (e == MTL_OK)
        e = tx_index_write_chunk(s, c);
    s->nkeys = 0;
    if (e == MTL_OK) {
        sqlite3_bind_int64(s->set_chunk, 1, (sqlite3_int64)(c + 1));
        e = tx_step_done(s, s->set_chunk, "record the next chunk");
    }
    return e;
}

mtl_err app_tx_import(struct app_tx_store *s, const char *immutable_dir, uint64_t up_to_chunk,
                      struct app_tx_import_stats *st)
{
    struct app_tx_import_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    uint64_t last = 0, next = 0, high = 0;
    int have_high = 0;
    mtl_err e = mtl_immutable_last_certifiable(immutable_dir, &last);
    if (e == MTL_ERR_NOT_FOUND) { /* nothing complete yet */
        mtl_err_clear();
        return MTL_OK;
    }
    MTL_TRY(e);
    if (last > up_to_chunk)
        last = up_to_chunk;
    MTL_TRY(app_tx_next_chunk(s, &next));
    if (!s->acc_valid)
        MTL_TRY(reload_acc(s));
    MTL_TRY(app_tx_highest_block(s, &high, &have_high));
    uint64_t ranges0 = s->ranges_stored;
    for (uint64_t c = next; c <= last && e == MTL_OK; c++) {
        MTL_TRY(app_db_begin(s->db));
        e = import_chunk(s, immutable_dir, c, &high, &have_high, st);
        e = app_db_end(s->db, e);
        if (e != MTL_OK) {
            s->acc_valid = 0; /* the range in memory holds what was rolled back */
            return mtl_err_wrap(e, "import of chunk %05llu", (unsigned long long)c);
        }
        st->chunks++;
        st->ranges = s->ranges_stored - ranges0;
    }
    return MTL_OK;
}
