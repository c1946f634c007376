/* The transactions store on the reference's immutable fragment: what it
 * imports is what the block reader decodes, an import in steps, or one
 * rolled back mid-chunk and resumed, leaves the same rows, its roots are
 * those the library's trees give for the same transactions (rebuilt here
 * independently), its proofs verify, and the signing cadence is the
 * reference's. */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common_int.h"
#include "harness.h"
#include "util/db.h"
#include "util/tx_store_int.h"

static const char *shared;
static char samples[512];

/* What the library decodes from chunks 0..last. */
struct chain {
    uint64_t n, cap, ntx;
    struct tx_blk *b;
    uint8_t (*tx)[32];
    size_t txcap;
};
static struct chain ref;

static int decode_chain(const char *dir, uint64_t last, struct chain *c)
{
    struct mtl_chunk_reader *r = NULL;
    for (uint64_t k = 0; k <= last; k++) {
        if (mtl_chunk_reader_open(&r, dir, k) != MTL_OK)
            return 0;
        struct mtl_cardano_block b;
        bool done = false;
        while (mtl_chunk_reader_next(r, &b, &done) == MTL_OK && !done) {
            if (b.era == MTL_ERA_BYRON_EBB)
                continue;
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 256;
                c->b = realloc(c->b, c->cap * sizeof(*c->b));
            }
            if (c->ntx + b.tx_count > c->txcap) {
                c->txcap = 2 * (c->ntx + b.tx_count) + 256;
                c->tx = realloc(c->tx, c->txcap * 32);
            }
            struct tx_blk *x = &c->b[c->n++];
            x->number = b.block_number;
            x->slot = b.slot;
            memcpy(x->hash, b.hash, 32);
            x->tx_first = c->ntx;
            x->tx_count = b.tx_count;
            if (b.tx_count)
                memcpy(c->tx[c->ntx], b.tx_hashes, 32 * b.tx_count);
            c->ntx += b.tx_count;
        }
        mtl_chunk_reader_free(r);
    }
    return 1;
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* The root of a tree at beacon from the decoded blocks, following the spec
 * (transactions.md §2-§4) with the library's tree only. */
static int spec_root(enum app_tx_tree tree, uint64_t beacon, char out[65])
{
    struct mtl_mktree *map = NULL;
    mtl_mktree_new(&map);
    uint64_t last_start = beacon / 15 * 15;
    /* ranges before the first block have no leaf */
    for (uint64_t s = ref.b[0].number / 15 * 15; s <= last_start; s += 15) {
        int complete = s + 14 <= beacon;
        if (tree == APP_TX_TREE_TRANSACTIONS && !complete)
            break;
        struct mtl_mktree *t = NULL;
        mtl_mktree_new(&t);
        char leaf[MTL_PROOF_LEAF_BYTES], h[65], bh[65];
        for (uint64_t i = 0; tree == APP_TX_TREE_BLOCKS && i < ref.n; i++)
            if (ref.b[i].number >= s && ref.b[i].number < s + 15 && ref.b[i].number <= beacon) {
                mtl_hex_encode(bh, 65, ref.b[i].hash, 32);
                mtl_mktree_append(t, leaf,
                                  mtl_block_leaf(leaf, bh, ref.b[i].number, ref.b[i].slot));
            }
        for (uint64_t i = 0; i < ref.n; i++) {
            struct tx_blk *b = &ref.b[i];
            if (b->number < s || b->number >= s + 15 || b->number > beacon)
                continue;
            uint8_t sorted[64][32];
            if (b->tx_count > 64)
                return 0;
            memcpy(sorted, ref.tx[b->tx_first], 32 * b->tx_count);
            qsort(sorted, b->tx_count, 32, cmp32);
            mtl_hex_encode(bh, 65, b->hash, 32);
            for (size_t j = 0; j < b->tx_count; j++) {
                mtl_hex_encode(h, 65, sorted[j], 32);
                if (tree == APP_TX_TREE_TRANSACTIONS)
                    mtl_mktree_append(t, h, 64);
                else
                    mtl_mktree_append(t, leaf,
                                      mtl_transaction_leaf(leaf, h, bh, b->number, b->slot));
            }
        }
        if (mtl_mktree_leaf_count(t) > 0) {
            uint8_t root[MTL_PROOF_LEAF_BYTES], node[32];
            size_t len = 0;
            mtl_mktree_root(t, root, sizeof(root), &len);
            mtl_mkmap_leaf(node, s, s + 15, root, len);
            mtl_mktree_append(map, node, 32);
        }
        mtl_mktree_free(t);
    }
    int ok = mtl_mktree_leaf_count(map) > 0 && mtl_mktree_root_hex(map, out, 65) == MTL_OK;
    mtl_mktree_free(map);
    return ok;
}

static void store_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "/tmp/test_tx_store_%d_%s.sqlite3", (int)getpid(), name);
    th_remove_sqlite(out);
}

/* BLAKE2b over every row of the store, in key order. */
static void store_digest(struct app_tx_store *s, uint8_t out[32])
{
    static const char *const q[] = {
        "SELECT block_number, slot_number, block_hash, tx_hashes FROM cardano_block ORDER BY 1",
        "SELECT id, keys FROM cardano_tx_run ORDER BY id",
        "SELECT chunk, first_block, last_block, filter, fences FROM cardano_tx_filter ORDER BY 1",
        "SELECT tree, start, root FROM block_range_root ORDER BY tree, start",
        "SELECT next_chunk FROM tx_import_state"};
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    for (size_t i = 0; i < MTL_ARRAY_LEN(q); i++) {
        sqlite3_stmt *x = NULL;
        app_db_prepare(s->db, &x, q[i]);
        while (sqlite3_step(x) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(x); c++) {
                const void *p = sqlite3_column_blob(x, c);
                crypto_generichash_update(&st, p, (size_t)sqlite3_column_bytes(x, c));
            }
        sqlite3_finalize(x);
    }
    crypto_generichash_final(&st, out, 32);
}

static uint64_t last_chunk;

TEST(import_matches_the_block_reader)
{
    char path[512];
    store_path(path, sizeof(path), "a");
    struct app_tx_store *s = NULL;
    CHECK_OK(app_tx_store_open(&s, path));
    struct app_tx_import_stats st;
    CHECK_OK(app_tx_import(s, samples, UINT64_MAX, &st));
    /* the last chunk present is the one "being written": never read */
    CHECK_EQ_INT(st.chunks, last_chunk + 1);
    CHECK_EQ_INT(st.blocks, ref.n);
    CHECK_EQ_INT(st.transactions, ref.ntx);
    uint64_t nb, ntx, nr, high;
    int found;
    CHECK_OK(app_tx_counts(s, &nb, &ntx, &nr));
    CHECK_EQ_INT(nb, ref.n);
    CHECK_EQ_INT(ntx, ref.ntx);
    CHECK(ntx > 0);
    CHECK_OK(app_tx_highest_block(s, &high, &found));
    CHECK(found && high == ref.b[ref.n - 1].number);
    /* every transaction as the reader decoded it, with its block */
    CHECK_OK(tx_index_refresh(s));
    size_t checked = 0;
    for (uint64_t i = 0; i < ref.n; i++)
        for (size_t j = 0; j < ref.b[i].tx_count; j++, checked++) {
            uint64_t number = 0;
            CHECK_OK(
                tx_index_find(s, 0, ref.tx[ref.b[i].tx_first + j], UINT64_MAX, &number, &found));
            CHECK(found && number == ref.b[i].number);
        }
    CHECK(checked == ref.ntx);
    /* nothing new: a second import reads nothing */
    CHECK_OK(app_tx_import(s, samples, UINT64_MAX, &st));
    CHECK_EQ_INT(st.chunks, 0);
    app_tx_store_free(s);
}

TEST(roots_are_the_spec_roots)
{
    char path[512];
    store_path(path, sizeof(path), "b");
    struct app_tx_store *s = NULL;
    CHECK_OK(app_tx_store_open(&s, path));
    CHECK_OK(app_tx_import(s, samples, UINT64_MAX, NULL));
    uint64_t high = ref.b[ref.n - 1].number, first = ref.b[0].number;
    int checked = 0;
    for (uint64_t beacon = first + 14; beacon <= high; beacon += 13) {
        for (int tree = 0; tree < 2; tree++) {
            char mine[65], spec[65];
            if (tree == APP_TX_TREE_TRANSACTIONS && beacon < 15)
                continue;
            uint64_t b = tree == APP_TX_TREE_TRANSACTIONS ? beacon / 15 * 15 - 1 : beacon;
            if (!spec_root((enum app_tx_tree)tree, b, spec)) {
                CHECK_ERR(app_tx_root(s, (enum app_tx_tree)tree, b, mine), MTL_ERR_NOT_FOUND);
                continue;
            }
            CHECK_OK(app_tx_root(s, (enum app_tx_tree)tree, b, mine));
            if (strcmp(mine, spec) != 0)
                TH_FAIL("tree %d beacon %llu: %s != %s", tree, (unsigned long long)b, mine, spec);
            checked++;
        }
    }
    CHECK(checked > 10);
    /* a beacon past what is imported is refused, not signed short */
    char r[65];
    CHECK_ERR(app_tx_root(s, APP_TX_TREE_BLOCKS, high + 1, r), MTL_ERR_STATE);
    app_tx_store_free(s);
}

TEST(import_in_steps_gives_the_same_rows)
{
    char p1[512], p2[512];
    store_path(p1, sizeof(p1), "c");
    store_path(p2, sizeof(p2), "d");
    struct app_tx_store *a = NULL, *b = NULL;
    CHECK_OK(app_tx_store_open(&a, p1));
    CHECK_OK(app_tx_import(a, samples, UINT64_MAX, NULL));
    for (uint64_t c = 0; c <= last_chunk; c++) {
        /* a new object each time: the range being imported is read back */
        CHECK_OK(app_tx_store_open(&b, p2));
        struct app_tx_import_stats st;
        CHECK_OK(app_tx_import(b, samples, c, &st));
        CHECK_EQ_INT(st.chunks, 1);
        app_tx_store_free(b);
    }
    CHECK_OK(app_tx_store_open(&b, p2));
    uint8_t da[32], db[32];
    store_digest(a, da);
    store_digest(b, db);
    CHECK(memcmp(da, db, 32) == 0);
    app_tx_store_free(a);
    app_tx_store_free(b);
}

static int copy_file(const char *from, const char *to)
{
    uint8_t *d = NULL;
    size_t n = 0;
    if (mtl_read_file(from, 1u << 26, &d, &n) != MTL_OK)
        return 0;
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int ok = fd >= 0 && write(fd, d, n) == (ssize_t)n;
    if (fd >= 0)
        close(fd);
    mtl_free(d);
    return ok;
}

/* Whether the store's index finds exactly the transactions of the blocks
 * <= high (each in its block), and none of the later ones. */
static int found_in_index(struct app_tx_store *s, uint64_t high)
{
    if (tx_index_refresh(s) != MTL_OK)
        return 0;
    for (uint64_t i = 0; i < ref.n; i++)
        for (size_t j = 0; j < ref.b[i].tx_count; j++) {
            uint64_t number = 0;
            int found = 0;
            if (tx_index_find(s, 0, ref.tx[ref.b[i].tx_first + j], UINT64_MAX, &number, &found) !=
                    MTL_OK ||
                found != (ref.b[i].number <= high) || (found && number != ref.b[i].number))
                return 0;
        }
    return 1;
}

TEST(failed_chunk_rolls_back_and_resumes)
{
    char top[256], dir[300], from[600], to[600], p1[512], p2[512];
    snprintf(top, sizeof(top), "/tmp/test_tx_store_%d_db", (int)getpid());
    snprintf(dir, sizeof(dir), "%s/immutable", top);
    mkdir(top, 0700);
    mkdir(dir, 0700);
    static const char *const ext[] = {"chunk", "primary", "secondary"};
    for (uint64_t c = 0; c <= last_chunk + 1; c++)
        for (size_t i = 0; i < 3; i++) {
            snprintf(from, sizeof(from), "%s/%05llu.%s", samples, (unsigned long long)c, ext[i]);
            snprintf(to, sizeof(to), "%s/%05llu.%s", dir, (unsigned long long)c, ext[i]);
            CHECK(copy_file(from, to));
        }
    /* damage block 50 of chunk 1: its header no longer hashes to its entry */
    snprintf(to, sizeof(to), "%s/00001.secondary", dir);
    uint8_t *sec = NULL;
    size_t n = 0;
    CHECK_OK(mtl_read_file(to, 1u << 20, &sec, &n));
    CHECK(n >= 56 * 51);
    uint64_t off = 0;
    for (int i = 0; i < 8; i++)
        off = off << 8 | sec[56 * 50 + i];
    mtl_free(sec);
    snprintf(to, sizeof(to), "%s/00001.chunk", dir);
    int fd = open(to, O_RDWR);
    uint8_t byte;
    CHECK(pread(fd, &byte, 1, (off_t)off + 12) == 1);
    byte ^= 0x01;
    CHECK(pwrite(fd, &byte, 1, (off_t)off + 12) == 1);

    store_path(p1, sizeof(p1), "e");
    store_path(p2, sizeof(p2), "f");
    struct app_tx_store *s = NULL, *only0 = NULL;
    CHECK_OK(app_tx_store_open(&s, p1));
    /* chunk 0 in, its filter read by a lookup, then chunk 1 fails */
    CHECK_OK(app_tx_import(s, dir, 0, NULL));
    uint64_t high0 = 0;
    int found = 0;
    CHECK_OK(app_tx_highest_block(s, &high0, &found));
    CHECK_EQ_INT(found_in_index(s, high0), 1);
    mtl_err e = app_tx_import(s, dir, UINT64_MAX, NULL);
    CHECK(e != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "chunk 00001"));
    /* the index has chunk 0's transactions, none of chunk 1's first blocks */
    CHECK_EQ_INT(found_in_index(s, high0), 1);
    /* exactly chunk 0 is in: nothing of chunk 1's first 50 blocks */
    CHECK_OK(app_tx_store_open(&only0, p2));
    CHECK_OK(app_tx_import(only0, samples, 0, NULL));
    uint8_t d1[32], d2[32];
    store_digest(s, d1);
    store_digest(only0, d2);
    CHECK(memcmp(d1, d2, 32) == 0);
    /* repaired, the same object resumes to what a clean import gives */
    byte ^= 0x01;
    CHECK(pwrite(fd, &byte, 1, (off_t)off + 12) == 1);
    close(fd);
    CHECK_OK(app_tx_import(s, dir, UINT64_MAX, NULL));
    CHECK_EQ_INT(found_in_index(s, UINT64_MAX), 1);
    CHECK_OK(app_tx_import(only0, samples, UINT64_MAX, NULL));
    store_digest(s, d1);
    store_digest(only0, d2);
    CHECK(memcmp(d1, d2, 32) == 0);
    app_tx_store_free(s);
    app_tx_store_free(only0);
    for (uint64_t c = 0; c <= last_chunk + 1; c++)
        for (size_t i = 0; i < 3; i++) {
            snprintf(to, sizeof(to), "%s/%05llu.%s", dir, (unsigned long long)c, ext[i]);
            unlink(to);
        }
    rmdir(dir);
    rmdir(top);
}

TEST(proofs_verify_against_the_root)
{
    char path[512];
    store_path(path, sizeof(path), "g");
    struct app_tx_store *s = NULL;
    CHECK_OK(app_tx_store_open(&s, path));
    CHECK_OK(app_tx_import(s, samples, UINT64_MAX, NULL));
    uint64_t high = ref.b[ref.n - 1].number;
    static const enum mtl_proofs_kind kinds[] = {MTL_PROOFS_TRANSACTIONS_V1,
                                                 MTL_PROOFS_TRANSACTIONS_V2, MTL_PROOFS_BLOCKS};
    for (size_t k = 0; k < 3; k++) {
        uint64_t beacon = kinds[k] == MTL_PROOFS_TRANSACTIONS_V1 ? high / 15 * 15 - 1 : high - 3;
        enum app_tx_tree tree =
            kinds[k] == MTL_PROOFS_TRANSACTIONS_V1 ? APP_TX_TREE_TRANSACTIONS : APP_TX_TREE_BLOCKS;
        uint8_t asked[12][32];
        size_t n = 0;
        for (uint64_t i = 0; i < ref.n && n < 10; i += 17) {
            if (kinds[k] == MTL_PROOFS_BLOCKS)
                memcpy(asked[n++], ref.b[i].hash, 32);
            else if (ref.b[i].tx_count)
                memcpy(asked[n++], ref.tx[ref.b[i].tx_first], 32);
        }
        memset(asked[n++], 0xab, 32); /* unknown */
        struct app_tx_item *items = NULL;
        size_t ni = 0;
        struct mtl_mkproof *p = NULL;
        char root[65];
        CHECK_OK(app_tx_root(s, tree, beacon, root));
        CHECK_OK(
            app_tx_prove(s, kinds[k], beacon, (const uint8_t(*)[32])asked, n, &items, &ni, &p));
        CHECK(ni == n - 1 && p);
        CHECK_OK(mtl_mkproof_verify(p));
        const uint8_t *r;
        size_t rl;
        mtl_mkproof_root(p, &r, &rl);
        char rh[65];
        mtl_hex_encode(rh, 65, r, rl);
        CHECK(rl == 32 && strcmp(rh, root) == 0);
        for (size_t i = 0; i < ni; i++) {
            char leaf[MTL_PROOF_LEAF_BYTES], h[65], bh[65];
            size_t len;
            mtl_hex_encode(h, 65, items[i].hash, 32);
            mtl_hex_encode(bh, 65, items[i].block_hash, 32);
            if (kinds[k] == MTL_PROOFS_BLOCKS)
                len = mtl_block_leaf(leaf, h, items[i].block_number, items[i].slot);
            else if (kinds[k] == MTL_PROOFS_TRANSACTIONS_V2)
                len = mtl_transaction_leaf(leaf, h, bh, items[i].block_number, items[i].slot);
            else
                len = (size_t)snprintf(leaf, sizeof(leaf), "%s", h);
            CHECK(mtl_mkproof_contains(p, leaf, len));
        }
        mtl_free(items);
        mtl_mkproof_free(p);
    }
    app_tx_store_free(s);
}

TEST(signing_cadence_is_the_reference)
{
    /* signed_entity_config.rs tests */
    struct {
        uint64_t k, step, tip, v1, blocks;
    } v[] = {
        {0, 15, 105, 104, 105}, {5, 15, 100, 89, 90},   {85, 15, 100, 14, 15},
        {0, 30, 29, 0, 0},      {100, 30, 50, 0, 0},    {0, 29, 76, 74, 58},
        {0, 31, 76, 59, 62},    {0, 14, 149, 134, 140}, {0, 14, 14, 0, 14},
    };
    for (size_t i = 0; i < MTL_ARRAY_LEN(v); i++) {
        struct app_tx_signing c = {v[i].k, v[i].step};
        CHECK_EQ_INT(app_tx_beacon_transactions(&c, v[i].tip), v[i].v1);
        CHECK_EQ_INT(app_tx_beacon_blocks(&c, v[i].tip), v[i].blocks);
    }
}

int main(void)
{
    shared = th_shared_dir();
    if (!shared)
        SKIP_ALL("../shared reference data not found");
    snprintf(samples, sizeof(samples), "%s/reference-data/cardano-node-samples/immutable", shared);
    if (mtl_immutable_last_certifiable(samples, &last_chunk) != MTL_OK ||
        !decode_chain(samples, last_chunk, &ref)) {
        fprintf(stderr, "cannot read %s: %s\n", samples, mtl_err_detail());
        return 1;
    }
    RUN(signing_cadence_is_the_reference);
    RUN(import_matches_the_block_reader);
    RUN(roots_are_the_spec_roots);
    RUN(import_in_steps_gives_the_same_rows);
    RUN(failed_chunk_rolls_back_and_resumes);
    RUN(proofs_verify_against_the_root);
    free(ref.b);
    free(ref.tx);
    char path[512];
    for (char c = 'a'; c <= 'g'; c++) {
        char name[2] = {c, 0};
        store_path(path, sizeof(path), name);
    }
    return DONE();
}
