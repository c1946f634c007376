/* bench_tx_import.c - the transactions store the signer and the aggregator
 * keep: import throughput from chunk files (MB/s of chunk data per core,
 * CPU time of the importing thread), then, on the store that import built,
 * the proofs the aggregator serves for 1 and 100 transactions (v1 and v2)
 * and the process's peak RSS.
 *
 * The chain is synthetic, written chunk by chunk next to the importer and
 * removed once imported (10 M transactions are ~5 GB of chunk data): Conway
 * blocks of 20 transactions (the reference's bench shape) of ~300-byte
 * bodies (2 inputs, 2 multi-asset outputs, fee, ttl) and 2 vkey witnesses
 * (~500 bytes a transaction, mainnet-like), every transaction unique.
 * Each chunk is also read by the block reader alone first (its own figure:
 * what the import costs beside the store), and its header and transaction
 * bodies hashed alone: the BLAKE2b-256 floor no reader goes under.
 *   bench_tx_import [--json] [--transactions N] [--tx-per-block 1..255]
 *                   [--witnesses W] [--import-only] [--reader-only]
 *   (N: 10 000 000; --reader-only: no store) */
#include <sodium.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bench_util.h"
#include "cardano/cardano_int.h"
#include "common/common_int.h"
#include "mithril/mithril.h"
#include "util/tx_store_int.h"

#define BLOCKS_PER_CHUNK 1000
#define SAMPLES 1000

static unsigned tx_per_block = 20; /* the reference's bench shape (also 1) */
static unsigned witnesses = 2;     /* vkey witnesses per transaction */

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t put_bytes(uint8_t *o, uint8_t head, size_t n, int fill)
{
    o[0] = head;
    o[1] = (uint8_t)n;
    memset(o + 2, fill, n);
    return n + 2;
}

static size_t put_u32(uint8_t *o, uint32_t v)
{
    o[0] = 0x1a;
    mtl_be32_put(o + 1, v);
    return 5;
}

/* Block `number` at slot 2 * number, its transactions' inputs spending
 * outputs named after a global counter (so every body, and hash, differs). */
static size_t make_block(uint8_t *o, uint64_t number, uint64_t *counter)
{
    size_t k = 0;
    static const uint8_t head[] = {0x82, 0x07, 0x85, 0x82, 0x8a};
    memcpy(o, head, sizeof(head));
    k = sizeof(head);
    k += put_u32(o + k, (uint32_t)number);
    k += put_u32(o + k, (uint32_t)(2 * number));
    for (int i = 0; i < 8; i++)
        k += put_bytes(o + k, 0x58, 32, i);
    o[k++] = 0x59; /* KES signature: 448 bytes */
    o[k++] = 0x01;
    o[k++] = 0xc0;
    memset(o + k, 7, 448);
    k += 448;
    o[k++] = 0x98; /* tx_per_block (< 256) bodies */
    o[k++] = (uint8_t)tx_per_block;
    for (size_t t = 0; t < tx_per_block; t++, (*counter)++) {
        o[k++] = 0xa4;
        o[k++] = 0x00;
        o[k++] = 0x82;
        for (int i = 0; i < 2; i++) {
            o[k++] = 0x82;
            o[k++] = 0x58;
            o[k++] = 32;
            memset(o + k, 0x33, 32);
            mtl_be64_put(o + k, *counter);
            k += 32;
            o[k++] = (uint8_t)i;
        }
        o[k++] = 0x01;
        o[k++] = 0x82;
        for (int u = 0; u < 2; u++) {
            o[k++] = 0xa2;
            o[k++] = 0x00;
            k += put_bytes(o + k, 0x58, 57, 0x61);
            o[k++] = 0x01;
            o[k++] = 0x82;
            k += put_u32(o + k, 0x11111111);
            o[k++] = 0xa1;
            k += put_bytes(o + k, 0x58, 28, 0x22);
            o[k++] = 0xa1;
            o[k++] = 0x44;
            memcpy(o + k, "COIN", 4);
            k += 4;
            o[k++] = 0x19;
            o[k++] = 0x03;
            o[k++] = 0xe8;
        }
        o[k++] = 0x02;
        k += put_u32(o + k, 0x01010101);
        o[k++] = 0x03;
        k += put_u32(o + k, 0x02020202);
    }
    /* witness sets {0: [[vkey, signature], ...]}, no metadata, none invalid */
    o[k++] = 0x98;
    o[k++] = (uint8_t)tx_per_block;
    for (size_t t = 0; t < tx_per_block; t++) {
        o[k++] = 0xa1;
        o[k++] = 0x00;
        o[k++] = (uint8_t)(0x80 + witnesses);
        for (unsigned w = 0; w < witnesses; w++) {
            o[k++] = 0x82;
            k += put_bytes(o + k, 0x58, 32, 0x44);
            k += put_bytes(o + k, 0x58, 64, 0x55);
        }
    }
    static const uint8_t tail[] = {0xa0, 0x80};
    memcpy(o + k, tail, sizeof(tail));
    return k + sizeof(tail);
}

static int write_file(const char *dir, uint64_t c, const char *ext, const void *d, size_t n)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/%05llu.%s", dir, (unsigned long long)c, ext);
    FILE *f = fopen(p, "wb");
    int ok = f && fwrite(d, 1, n, f) == n;
    if (f)
        fclose(f);
    return ok;
}

static void remove_trio(const char *dir, uint64_t c)
{
    static const char *const ext[] = {"chunk", "primary", "secondary"};
    for (int i = 0; i < 3; i++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/%05llu.%s", dir, (unsigned long long)c, ext[i]);
        unlink(p);
    }
}

struct gen {
    uint8_t *chunk, *sec, *prim;
    size_t chunk_cap;
    uint64_t next_block, counter;
    struct mtl_block_decoder *dec;
    uint8_t sample[SAMPLES][32]; /* transaction hashes spread over the chain */
    uint64_t sample_block[SAMPLES];
    size_t nsample;
    uint64_t sample_every;
};

/* Write chunk c (and an empty c + 1, the one "being written"). */
static int write_chunk(struct gen *g, const char *dir, uint64_t c, size_t *bytes)
{
    size_t used = 0;
    for (size_t b = 0; b < BLOCKS_PER_CHUNK; b++) {
        size_t len = make_block(g->chunk + used, g->next_block, &g->counter);
        struct mtl_cardano_block blk;
        if (mtl_block_decode(g->dec, g->chunk + used, len, &blk) != MTL_OK)
            return 0;
        uint8_t *e = g->sec + 56 * b;
        memset(e, 0, 56);
        mtl_be64_put(e, used);
        memcpy(e + 16, blk.hash, 32);
        mtl_be64_put(e + 48, blk.slot);
        if (g->next_block % g->sample_every == 0 && g->nsample < SAMPLES) {
            g->sample_block[g->nsample] = g->next_block;
            memcpy(g->sample[g->nsample++], blk.tx_hashes[g->next_block % tx_per_block], 32);
        }
        used += len;
        g->next_block++;
    }
    g->prim[0] = 1;
    for (size_t i = 0; i <= BLOCKS_PER_CHUNK; i++)
        mtl_be32_put(g->prim + 1 + 4 * i, (uint32_t)(56 * i));
    *bytes = used;
    static const uint8_t empty_primary[] = {1, 0, 0, 0, 0};
    return write_file(dir, c, "chunk", g->chunk, used) &&
           write_file(dir, c, "secondary", g->sec, 56 * BLOCKS_PER_CHUNK) &&
           write_file(dir, c, "primary", g->prim, 1 + 4 * (BLOCKS_PER_CHUNK + 1)) &&
           write_file(dir, c + 1, "chunk", "", 0) && write_file(dir, c + 1, "secondary", "", 0) &&
           write_file(dir, c + 1, "primary", empty_primary, sizeof(empty_primary));
}

/* The block reader alone over chunk c: CPU seconds, blocks read. */
static double read_alone(const char *dir, uint64_t c, size_t *blocks)
{
    struct mtl_chunk_reader *r;
    double t0 = cpu_now();
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
    return cpu_now() - t0;
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
        double t0 = cpu_now();
        for (size_t i = 0; i < k; i++)
            crypto_generichash(h, 32, p + at[i], end[i] - at[i], NULL, 0);
        spent += cpu_now() - t0;
    }
    return spent;
}

/* The hash -> block lookups alone (the proofs' first step): the first
 * reads every chunk's filter; then 100 present and 100 absent hashes. */
static void lookups(struct app_tx_store *s, const struct gen *g)
{
    uint64_t number = 0;
    int found = 0;
    double c0 = cpu_now(), t0 = bench_now();
    mtl_err e = tx_index_refresh(s);
    if (e == MTL_OK)
        e = tx_index_find(s, 0, g->sample[0], UINT64_MAX, &number, &found);
    bench_report("lookup: first (reads the filters), CPU", (cpu_now() - c0) * 1e3, "ms");
    bench_report("lookup: first (reads the filters), wall", (bench_now() - t0) * 1e3, "ms");
    if (e == MTL_OK && !found)
        e = mtl_seterr(MTL_ERR_STATE, "lookup: a sample not found");
    for (int absent = 0; absent < 2 && e == MTL_OK; absent++) {
        double cpu = 0, wall = 0;
        for (int r = 0; r < 10 && e == MTL_OK; r++) {
            uint8_t h[32];
            c0 = cpu_now();
            t0 = bench_now();
            for (size_t i = 0; i < 100 && e == MTL_OK; i++) {
                memcpy(h, g->sample[(r * 37 + i * 7) % g->nsample], 32);
                h[31] ^= (uint8_t)absent; /* same prefix, absent: every filter hit read */
                e = tx_index_find(s, 0, h, UINT64_MAX, &number, &found);
                if (found == absent)
                    e = mtl_seterr(MTL_ERR_STATE, "lookup: wrong answer");
            }
            cpu += cpu_now() - c0;
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
        double t0 = bench_now(), c0 = cpu_now();
        mtl_err e = app_tx_prove(s, kind, beacon, (const uint8_t(*)[32])asked, n, &items, &ni, &p);
        if (e == MTL_OK)
            e = kind == MTL_PROOFS_TRANSACTIONS_V1 ? mtl_mkproof_to_json_hex(p, &hex)
                                                   : mtl_mkproof_to_bytes_hex(p, &hex);
        double dt = bench_now() - t0;
        cpu += cpu_now() - c0;
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
    memset(&g, 0, sizeof(g));
    g.chunk = malloc((size_t)BLOCKS_PER_CHUNK * (tx_per_block * (340 + 101 * witnesses) + 1024));
    g.sec = malloc(56 * BLOCKS_PER_CHUNK);
    g.prim = malloc(1 + 4 * (BLOCKS_PER_CHUNK + 1));
    uint64_t chunks =
        (want + tx_per_block * BLOCKS_PER_CHUNK - 1) / (tx_per_block * BLOCKS_PER_CHUNK);
    g.sample_every = chunks * BLOCKS_PER_CHUNK / SAMPLES + 1;
    struct app_tx_store *s = NULL;
    if (!g.chunk || !g.sec || !g.prim || mtl_block_decoder_new(&g.dec) != MTL_OK ||
        app_tx_store_open(&s, store) != MTL_OK) {
        printf("bench_tx_import: %s\n", mtl_err_detail());
        return 1;
    }
    double cpu = 0, wall = 0, reader = 0, floor = 0;
    size_t bytes = 0;
    uint64_t txs = 0;
    for (uint64_t c = 0; c < chunks; c++) {
        size_t n = 0;
        if (!write_chunk(&g, dir, c, &n)) {
            printf("bench_tx_import: cannot write chunk %llu\n", (unsigned long long)c);
            return 1;
        }
        size_t blocks;
        reader += read_alone(dir, c, &blocks);
        floor += hash_floor(g.chunk, n);
        if (blocks != BLOCKS_PER_CHUNK) {
            printf("bench_tx_import: reader: %s\n", mtl_err_detail());
            return 1;
        }
        bytes += n;
        if (reader_only) {
            remove_trio(dir, c);
            continue;
        }
        struct app_tx_import_stats st;
        double t0 = cpu_now(), w0 = bench_now();
        mtl_err e = app_tx_import(s, dir, UINT64_MAX, &st);
        cpu += cpu_now() - t0;
        wall += bench_now() - w0;
        if (e != MTL_OK || st.chunks != 1) {
            printf("bench_tx_import: import: %s\n", mtl_err_detail());
            return 1;
        }
        txs += st.transactions;
        remove_trio(dir, c);
    }
    remove_trio(dir, chunks);
    bench_report("reader alone: chunk data per core (open, decode, hashes)", bytes / reader / 1e6,
                 "MB/s");
    bench_report("BLAKE2b-256 alone over the headers and bodies the reader hashes",
                 bytes / floor / 1e6, "MB/s");
    if (reader_only)
        goto out;
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
    mtl_block_decoder_free(g.dec);
    free(g.chunk);
    free(g.sec);
    free(g.prim);
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
