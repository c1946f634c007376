/* The transactions store's hash index (per chunk: sorted key runs and a
 * Bloom filter): every block and transaction of the reference's chunks is
 * found in its block and absent hashes are refused, hashes sharing their
 * 8-byte prefix (in one chunk or two, transaction or block) each give their
 * own block, and a store of the first schema migrates and imports again to
 * the same roots. */
#include <sodium.h>
#include <unistd.h>

#include "common/common_int.h"
#include "harness.h"
#include "util/db.h"
#include "util/tx_store_int.h"

static char samples[512];

static void store_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "/tmp/test_tx_index_%d_%s.sqlite3", (int)getpid(), name);
    th_remove_sqlite(out);
}

static int64_t count(struct app_tx_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (app_db_prepare(s->db, &st, sql) != MTL_OK)
        return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

/* Found in block want (or not found when want is UINT64_MAX). */
static int finds(struct app_tx_store *s, int is_block, const uint8_t h[32], uint64_t limit,
                 uint64_t want)
{
    uint64_t number = 0;
    int found = 0;
    if (tx_index_find(s, is_block, h, limit, &number, &found) != MTL_OK)
        return 0;
    return want == UINT64_MAX ? !found : found && number == want;
}

TEST(every_hash_is_found_and_absent_ones_refused)
{
    char path[512];
    store_path(path, sizeof(path), "a");
    struct app_tx_store *s = NULL;
    CHECK_OK(app_tx_store_open(&s, path));
    CHECK_OK(app_tx_import(s, samples, UINT64_MAX, NULL));
    CHECK_OK(tx_index_refresh(s));
    CHECK(s->filters.n >= 3); /* one filter a chunk */
    sqlite3_stmt *q = NULL;
    CHECK_OK(
        app_db_prepare(s->db, &q, "SELECT block_number, block_hash, tx_hashes FROM cardano_block"));
    size_t blocks = 0, txs = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        uint64_t n = (uint64_t)sqlite3_column_int64(q, 0);
        uint8_t h[32];
        memcpy(h, sqlite3_column_blob(q, 1), 32);
        CHECK(finds(s, 1, h, UINT64_MAX, n));
        CHECK(finds(s, 1, h, n, n));
        CHECK(n == 0 || finds(s, 1, h, n - 1, UINT64_MAX)); /* not at a beacon before it */
        CHECK(finds(s, 0, h, UINT64_MAX, UINT64_MAX));      /* a block is no transaction */
        h[31] ^= 1;                                         /* same prefix, another hash */
        CHECK(finds(s, 1, h, UINT64_MAX, UINT64_MAX));
        blocks++;
        const uint8_t *t = sqlite3_column_blob(q, 2);
        for (int j = 0; j < sqlite3_column_bytes(q, 2) / 32; j++, txs++) {
            memcpy(h, t + 32 * j, 32);
            CHECK(finds(s, 0, h, UINT64_MAX, n));
            CHECK(n == 0 || finds(s, 0, h, n - 1, UINT64_MAX));
            CHECK(finds(s, 1, h, UINT64_MAX, UINT64_MAX));
            h[20] ^= 0x80;
            CHECK(finds(s, 0, h, UINT64_MAX, UINT64_MAX));
        }
    }
    sqlite3_finalize(q);
    CHECK(blocks == 300 && txs == 5); /* the samples' four chunks */
    for (int i = 0; i < 1000; i++) {
        uint8_t h[32];
        randombytes_buf(h, sizeof(h));
        CHECK(finds(s, i & 1, h, UINT64_MAX, UINT64_MAX));
    }
    app_tx_store_free(s);
}

/* Block number's row, its hash and transactions given. */
static mtl_err put_block(struct app_tx_store *s, uint64_t number, const uint8_t hash[32],
                         const uint8_t (*txs)[32], size_t n)
{
    sqlite3_stmt *st = s->ins_block;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)number);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)number * 20);
    sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, n ? (const void *)txs : "", (int)(32 * n), SQLITE_STATIC);
    MTL_TRY(tx_step_done(s, st, "block"));
    MTL_TRY(tx_index_add(s, number, (const uint8_t(*)[32])hash, 1));
    return tx_index_add(s, number, txs, n);
}

static void with_prefix(uint8_t h[32], const uint8_t prefix[8], uint8_t tail)
{
    memcpy(h, prefix, 8);
    memset(h + 8, tail, 24);
}

TEST(hashes_sharing_a_prefix_each_give_their_block)
{
    char path[512];
    store_path(path, sizeof(path), "b");
    struct app_tx_store *s = NULL;
    CHECK_OK(app_tx_store_open(&s, path));
    static const uint8_t P[8] = {0x5a, 1, 2, 3, 4, 5, 6, 7};
    /* chunk 0: blocks 10..19, chunk 1: blocks 20..29, 400 random
     * transactions each (several runs a chunk); block 12 holds A, block 23 B,
     * block 27 D and block 25's hash is E, all of prefix P */
    static uint8_t txs[20][400][32], bh[20][32];
    randombytes_buf(txs, sizeof(txs));
    randombytes_buf(bh, sizeof(bh));
    uint8_t A[32], B[32], C[32], D[32];
    with_prefix(A, P, 0x11);
    with_prefix(B, P, 0x22);
    with_prefix(C, P, 0x33); /* nowhere */
    with_prefix(D, P, 0x44);
    memcpy(txs[2][7], A, 32);
    memcpy(txs[13][0], B, 32);
    memcpy(txs[17][399], D, 32);
    with_prefix(bh[15], P, 0x55);
    CHECK_OK(app_db_begin(s->db));
    for (int c = 0; c < 2; c++) {
        for (int i = 10 * c; i < 10 * c + 10; i++)
            CHECK_OK(put_block(s, 10 + (uint64_t)i, bh[i], (const uint8_t(*)[32])txs[i], 400));
        CHECK_OK(tx_index_write_chunk(s, (uint64_t)c));
        s->nkeys = 0;
    }
    CHECK_OK(app_db_commit(s->db));
    CHECK_OK(tx_index_refresh(s));
    CHECK(s->filters.n == 2 && s->filters.nfences >= 20);
    CHECK(finds(s, 0, A, UINT64_MAX, 12));
    CHECK(finds(s, 0, B, UINT64_MAX, 23));
    CHECK(finds(s, 0, D, UINT64_MAX, 27));
    CHECK(finds(s, 1, bh[15], UINT64_MAX, 25));
    CHECK(finds(s, 0, C, UINT64_MAX, UINT64_MAX));
    CHECK(finds(s, 1, C, UINT64_MAX, UINT64_MAX));
    CHECK(finds(s, 1, A, UINT64_MAX, UINT64_MAX));
    CHECK(finds(s, 0, bh[15], UINT64_MAX, UINT64_MAX));
    /* at a beacon before their block */
    CHECK(finds(s, 0, B, 22, UINT64_MAX));
    CHECK(finds(s, 0, D, 26, UINT64_MAX));
    CHECK(finds(s, 0, A, 11, UINT64_MAX));
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 400; j += 7)
            CHECK(finds(s, 0, txs[i][j], UINT64_MAX, 10 + (uint64_t)i));
    app_tx_store_free(s);
}

/* The keys of chunks c0 .. c0 + nc of blocks of ntx random transactions
 * (blocks numbered from 1000 on, 8 a chunk); their hashes in tx, bh. */
static mtl_err put_chunks(struct app_tx_store *s, uint64_t c0, size_t nc, size_t ntx,
                          uint8_t (*tx)[32], uint8_t (*bh)[32])
{
    MTL_TRY(app_db_begin(s->db));
    mtl_err e = MTL_OK;
    for (size_t c = 0; c < nc && e == MTL_OK; c++) {
        for (size_t b = 0; b < 8 && e == MTL_OK; b++) {
            size_t i = 8 * c + b;
            e = put_block(s, 1000 + 8 * (c0 + c) + b, bh[i], (const uint8_t(*)[32])tx + ntx * i,
                          ntx);
        }
        if (e == MTL_OK)
            e = tx_index_write_chunk(s, c0 + c);
        s->nkeys = 0;
    }
    return app_db_end(s->db, e);
}

TEST(many_chunks_find_every_hash)
{
    char path[512];
    store_path(path, sizeof(path), "e");
    struct app_tx_store *s = NULL;
    CHECK_OK(app_tx_store_open(&s, path));
    enum { CHUNKS = 40, NTX = 150 };
    static uint8_t tx[CHUNKS * 8 * NTX][32], bh[CHUNKS * 8][32];
    randombytes_buf(tx, sizeof(tx));
    randombytes_buf(bh, sizeof(bh));
    /* the first half, a lookup (the filters read), then the second half */
    CHECK_OK(put_chunks(s, 0, CHUNKS / 2, NTX, tx, bh));
    CHECK(finds(s, 0, tx[0], UINT64_MAX, UINT64_MAX)); /* not read yet */
    CHECK_OK(tx_index_refresh(s));
    CHECK(finds(s, 0, tx[0], UINT64_MAX, 1000));
    CHECK_OK(
        put_chunks(s, CHUNKS / 2, CHUNKS / 2, NTX, tx + CHUNKS / 2 * 8 * NTX, bh + CHUNKS / 2 * 8));
    CHECK_OK(tx_index_refresh(s));
    CHECK(s->filters.n == CHUNKS && s->filters.nfences >= CHUNKS * 3);
    for (size_t i = 0; i < CHUNKS * 8; i++) {
        uint64_t n = 1000 + i;
        CHECK(finds(s, 1, bh[i], UINT64_MAX, n));
        for (size_t j = 0; j < NTX; j++) {
            CHECK(finds(s, 0, tx[NTX * i + j], UINT64_MAX, n));
            CHECK(finds(s, 0, tx[NTX * i + j], n - 1, UINT64_MAX));
        }
    }
    uint8_t h[32];
    for (int i = 0; i < 2000; i++) {
        randombytes_buf(h, sizeof(h));
        CHECK(finds(s, 0, h, UINT64_MAX, UINT64_MAX));
    }
    app_tx_store_free(s);
}

TEST(first_schema_migrates_and_imports_again)
{
    char old[512], fresh[512];
    store_path(old, sizeof(old), "c");
    store_path(fresh, sizeof(fresh), "d");
    /* a store of the first schema, with rows */
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(old, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, APP_TX_SCHEMA, NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "INSERT INTO cardano_block VALUES (7, 140, zeroblob(32), zeroblob(64));"
                       "INSERT INTO cardano_tx VALUES (0, 7);"
                       "INSERT INTO block_range_root VALUES (0, 0, zeroblob(32));"
                       "INSERT INTO tx_import_state VALUES (0, 3);"
                       "PRAGMA user_version = 1;",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    struct app_tx_store *s = NULL, *f = NULL;
    CHECK_OK(app_tx_store_open(&s, old));
    int version = 0;
    CHECK_OK(app_db_version(s->db, &version));
    CHECK_EQ_INT(version, 2);
    CHECK_EQ_INT(count(s, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('cardano_tx',"
                          " 'cardano_block_hash')"),
                 0);
    uint64_t nb, ntx, nr;
    CHECK_OK(app_tx_counts(s, &nb, &ntx, &nr));
    CHECK(nb == 0 && ntx == 0 && nr == 0);
    /* imported again from chunk 0: what a new store gets */
    struct app_tx_import_stats st;
    CHECK_OK(app_tx_import(s, samples, UINT64_MAX, &st));
    CHECK(st.chunks >= 3);
    CHECK_OK(app_tx_store_open(&f, fresh));
    CHECK_OK(app_tx_import(f, samples, UINT64_MAX, NULL));
    uint64_t high = 0;
    int found = 0;
    CHECK_OK(app_tx_highest_block(s, &high, &found));
    CHECK(found && high > 30);
    int roots = 0;
    for (uint64_t beacon = 29; beacon <= high; beacon += 15)
        for (int tree = 0; tree < 2; tree++) {
            char r1[65], r2[65];
            mtl_err e1 = app_tx_root(s, (enum app_tx_tree)tree, beacon, r1);
            mtl_err e2 = app_tx_root(f, (enum app_tx_tree)tree, beacon, r2);
            CHECK(e1 == e2 && (e1 != MTL_OK || strcmp(r1, r2) == 0));
            roots += e1 == MTL_OK;
        }
    CHECK(roots > 10);
    static const char *const same[] = {
        "SELECT COUNT(*) FROM cardano_block", "SELECT COUNT(*) FROM cardano_tx_run",
        "SELECT COUNT(*) FROM cardano_tx_filter", "SELECT COUNT(*) FROM block_range_root",
        "SELECT next_chunk FROM tx_import_state"};
    for (size_t i = 0; i < MTL_ARRAY_LEN(same); i++)
        CHECK(count(s, same[i]) > 0 && count(s, same[i]) == count(f, same[i]));
    app_tx_store_free(s);
    app_tx_store_free(f);
}

int main(void)
{
    const char *shared = th_shared_dir();
    if (!shared)
        SKIP_ALL("../shared reference data not found");
    if (sodium_init() < 0)
        return 1;
    snprintf(samples, sizeof(samples), "%s/reference-data/cardano-node-samples/immutable", shared);
    RUN(every_hash_is_found_and_absent_ones_refused);
    RUN(hashes_sharing_a_prefix_each_give_their_block);
    RUN(many_chunks_find_every_hash);
    RUN(first_schema_migrates_and_imports_again);
    char path[512];
    for (char c = 'a'; c <= 'e'; c++) {
        char name[2] = {c, 0};
        store_path(path, sizeof(path), name);
    }
    return DONE();
}
