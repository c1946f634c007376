/* bench_tx_import.c - the transactions store the signer and the aggregator
 * keep: import throughput from chunk files (MB/s of chunk data per core,
 * CPU time of the importing thread), then, on the store that import built,
 * the proofs the aggregator serves for 1 and 100 transactions (v1 and v2)
 * and the process's peak RSS.
 *
 * The chain is synthetic (bench_chain.h), written chunk by chunk next to
 * the importer and removed once imported. Each chunk is also read by the
 * block reader alone first (its own figure: what the import costs beside
 * the store), and its header and transaction bodies hashed alone: the
 * BLAKE2b-256 floor no reader goes under.
 *   bench_tx_import [--json] [--transactions N] [--tx-per-block 1..255]
 *                   [--witnesses W] [--import-only] [--reader-only]
 *   (N: 10 000 000; --reader-only: no store) */
#include <sodium.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bench_chain.h"
#include "bench_util.h"
#include "cardano/cardano_int.h"
#include "common/common_int.h"
#include "mithril/mithril.h"
#include "util/tx_store_int.h"

/* The block reader alone over chunk c: CPU seconds, blocks read. */
static double read_alone(const char *dir, uint64_t c, size_t *blocks)
{
    struct mtl_chunk_reader *r;
    double t0 = bench_cpu_now();
    *blocks = 0;
    if (mtl_chunk_reader_open(&r, dir, c) != MTL_OK)
        return 0;
    for (;;) {
        struct mtl_cardano_block b;
        bool done;
        if (mtl_chunk_reader_next(r, &b, &done) != MTL_OK || done)
            break;
        (*blocks)++;
    }
    mtl_chunk_reader_free(r);
    return bench_cpu_now() - t0;
}

/* CPU seconds BLAKE2b-256 takes over what the reader hashes in blocks
 * [p, p + n): each header and transaction body (found by skipping CBOR
 * items; the skipping is not timed). */
static double hash_floor(const uint8_t *p, size_t n)
{
    double spent = 0;
    size_t pos = 0;
    while (pos < n) {
        size_t at[512], end[512], k = 0;
        uint64_t left;
        bool indef;
        pos += 3; /* [7, [ */
        at[k] = pos;
        if (mtl_cbor_skip(p, n, &pos, "header") != MTL_OK)
            return 0;
        end[k++] = pos;
        if (mtl_cbor_array(p, n, &pos, &left, &indef, "bodies") != MTL_OK)
            return 0;
        while (k < 512 && mtl_cbor_array_more(p, n, &pos, indef, &left)) {
            at[k] = pos;
            if (mtl_cbor_skip(p, n, &pos, "body") != MTL_OK)
                return 0;
            end[k++] = pos;
        }
        for (int i = 0; i < 3; i++) /* witnesses, auxiliary data, invalid ones */
            if (mtl_cbor_skip(p, n, &pos, "block") != MTL_OK)
                return 0;
        uint8_t h[32];
        double t0 = bench_cpu_now();
        for (size_t i = 0; i < k; i++)
            crypto_generichash(h, 32, p + at[i], end[i] - at[i], NULL, 0);
        spent += bench_cpu_now() - t0;
    }
    return spent;
}

/* The hash -> block lookups alone (the proofs' first step): the first
 * reads every chunk's filter; then 100 present and 100 absent hashes. */
static void lookups(struct app_tx_store *s, const struct gen *g)
{
    uint64_t number = 0;
    int found = 0;
    double c0 = bench_cpu_now(), t0 = bench_now();
    mtl_err e = tx_index_refresh(s);
    if (e == MTL_OK)
        e = tx_index_find(s, 0, g->sample[0], UINT64_MAX, &number, &found);
    bench_report("lookup: first (reads the filters), CPU", (bench_cpu_now() - c0) * 1e3, "ms");
    bench_report("lookup: first (reads the filters), wall", (bench_now() - t0) * 1e3, "ms");
    if (e == MTL_OK && !found)
        e = mtl_seterr(MTL_ERR_STATE, "lookup: a sample not found");
    for (int absent = 0; absent < 2 && e == MTL_OK; absent++) {
        double cpu = 0, wall = 0;
        for (int r = 0; r < 10 && e == MTL_OK; r++) {
            uint8_t h[32];
            c0 = bench_cpu_now();
            t0 = bench_now();
            for (size_t i = 0; i < 100 && e == MTL_OK; i++) {
                memcpy(h, g->sample[(r * 37 + i * 7) % g->nsample], 32);
                h[31] ^= (uint8_t)absent; /* same prefix, absent: every filter hit read */
                e = tx_index_find(s, 0, h, UINT64_MAX, &number, &found);
                if (found == absent)
                    e = mtl_seterr(MTL_ERR_STATE, "lookup: wrong answer");
            }
            cpu += bench_cpu_now() - c0;
            wall += bench_now() - t0;
        }
        bench_report(absent ? "lookup: 100 absent hashes, CPU" : "lookup: 100 hashes, CPU",
                     cpu / 10 * 1e3, "ms");
        bench_report(absent ? "lookup: 100 absent hashes, wall" : "lookup: 100 hashes, wall",
                     wall / 10 * 1e3, "ms");
    }
    if (e != MTL_OK)
        printf("bench_tx_import: %s\n", mtl_err_detail());
}

/* What the reader alone and the hash alone cost, per chunk. */
struct reader_cost {
    double reader, floor;
};

static int measure_reader(void *ctx, const char *dir, uint64_t c, const uint8_t *chunk, size_t n)
{
    struct reader_cost *rc = ctx;
    size_t blocks;
    rc->reader += read_alone(dir, c, &blocks);
    rc->floor += hash_floor(chunk, n);
    if (blocks != BLOCKS_PER_CHUNK) {
        printf("bench_tx_import: reader: %s\n", mtl_err_detail());
        return 0;
    }
    return 1;
}

static const char *const PROOF_NAMES[] = {"proof v1, 1 transaction", "proof v1, 100 transactions",
                                          "proof v2, 1 transaction", "proof v2, 100 transactions"};

static void prove(struct app_tx_store *s, enum mtl_proofs_kind kind, uint64_t beacon,
                  const struct gen *g, size_t n, const char *name)
{
    int reps = n == 1 ? 200 : 20;
    double worst = 0, total = 0, cpu = 0;
    size_t usable = 0; /* the samples the snapshot of beacon certifies */
    while (usable < g->nsample && g->sample_block[usable] <= beacon)
        usable++;
    for (int r = 0; r < reps; r++) {
        uint8_t asked[100][32];
        for (size_t i = 0; i < n; i++)
            memcpy(asked[i], g->sample[(r * 37 + i * 7) % usable], 32);
        struct app_tx_item *items = NULL;
        struct mtl_mkproof *p = NULL;
        char *hex = NULL;
        size_t ni = 0;
        double t0 = bench_now(), c0 = bench_cpu_now();
        mtl_err e = app_tx_prove(s, kind, beacon, (const uint8_t(*)[32])asked, n, &items, &ni, &p);
        if (e == MTL_OK)
            e = kind == MTL_PROOFS_TRANSACTIONS_V1 ? mtl_mkproof_to_json_hex(p, &hex)
                                                   : mtl_mkproof_to_bytes_hex(p, &hex);
        double dt = bench_now() - t0;
        cpu += bench_cpu_now() - c0;
        if (e != MTL_OK || ni == 0) {
            printf("bench_tx_import: proof: %s\n", mtl_err_detail());
            return;
        }
        total += dt;
        worst = dt > worst ? dt : worst;
        mtl_free(items);
        mtl_free(hex);
        mtl_mkproof_free(p);
    }
    char label[160];
    snprintf(label, sizeof(label), "%s: mean (CPU time)", name);
    bench_report(label, cpu / reps * 1e3, "ms");
    snprintf(label, sizeof(label), "%s: mean (wall)", name);
    bench_report(label, total / reps * 1e3, "ms");
    snprintf(label, sizeof(label), "%s: worst (wall)", name);
    bench_report(label, worst * 1e3, "ms");
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    uint64_t want = 10000000;
    int import_only = 0, reader_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--transactions") == 0 && i + 1 < argc)
            want = strtoull(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--tx-per-block") == 0 && i + 1 < argc)
            tx_per_block = (unsigned)strtoul(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--witnesses") == 0 && i + 1 < argc)
            witnesses = (unsigned)strtoul(argv[i + 1], NULL, 10);
        import_only |= strcmp(argv[i], "--import-only") == 0;
        reader_only |= strcmp(argv[i], "--reader-only") == 0;
    }
    if (tx_per_block < 1 || tx_per_block > 255 || witnesses > 23) {
        fprintf(stderr, "bench_tx_import: --tx-per-block 1..255, --witnesses 0..23\n");
        return 2;
    }
    char top[64] = "/tmp/mtl-bench-tx-XXXXXX", dir[128], store[128];
    if (!mkdtemp(top))
        return 1;
    snprintf(dir, sizeof(dir), "%s/immutable", top);
    snprintf(store, sizeof(store), "%s/tx.sqlite3", top);
    mkdir(dir, 0700);
    struct gen g;
    uint64_t chunks = 0;
    struct app_tx_store *s = NULL;
    if (!gen_init(&g, want, &chunks) || app_tx_store_open(&s, store) != MTL_OK) {
        printf("bench_tx_import: %s\n", mtl_err_detail());
        return 1;
    }
    struct chain_import_stats ci;
    struct reader_cost rc = {0, 0};
    if (!chain_import(&g, reader_only ? NULL : s, dir, chunks, measure_reader, &rc, &ci))
        return 1;
    bench_report("reader alone: chunk data per core (open, decode, hashes)",
                 ci.bytes / rc.reader / 1e6, "MB/s");
    bench_report("BLAKE2b-256 alone over the headers and bodies the reader hashes",
                 ci.bytes / rc.floor / 1e6, "MB/s");
    if (reader_only)
        goto out;
    double cpu = ci.cpu, wall = ci.wall;
    size_t bytes = ci.bytes;
    uint64_t txs = ci.txs;
    bench_report("import: chunk data per core (CPU time of the importer)", bytes / cpu / 1e6,
                 "MB/s");
    bench_report("import: chunk data (wall time, fsync included)", bytes / wall / 1e6, "MB/s");
    bench_report("import: transactions per core", txs / cpu, "tx/s");
    bench_report("import: transactions in the store", (double)txs, "tx");
    struct stat sb;
    if (stat(store, &sb) == 0)
        bench_report("store: file size", (double)sb.st_size / 1e6, "MB");
    uint64_t high = 0;
    int found = 0;
    app_tx_highest_block(s, &high, &found);
    if (import_only)
        high = 0;
    uint64_t v1 = high / 15 * 15 - 1;
    double t0 = bench_now();
    char root[65];
    if (app_tx_root(s, APP_TX_TREE_TRANSACTIONS, v1, root) != MTL_OK)
        printf("bench_tx_import: root: %s\n", mtl_err_detail());
    bench_report("root at the beacon (map of every range, once per beacon)",
                 (bench_now() - t0) * 1e3, "ms");
    app_tx_root(s, APP_TX_TREE_BLOCKS, high, root);
    if (!import_only)
        lookups(s, &g);
    for (int k = 0; k < 4 && !import_only; k++)
        prove(s, k < 2 ? MTL_PROOFS_TRANSACTIONS_V1 : MTL_PROOFS_TRANSACTIONS_V2, k < 2 ? v1 : high,
              &g, k % 2 ? 100 : 1, PROOF_NAMES[k]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    bench_report("peak RSS of the process holding the store", (double)ru.ru_maxrss / 1024, "MB");
out:
    app_tx_store_free(s);
    gen_free(&g);
    unlink(store);
    char p[200];
    snprintf(p, sizeof(p), "%s-wal", store);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", store);
    unlink(p);
    rmdir(dir);
    rmdir(top);
    return 0;
}
