/* bench_tx_import.c - the transactions store the signer and the aggregator
 * keep: import throughput from chunk files (MB/s of chunk data per core,
 * CPU time of the importing thread), then, on the store that import built,
 * the proofs the aggregator serves for 1 and 100 transactions (v1 and v2)
 * and the process's peak RSS.
 *
 * The chain is synthetic (bench_chain.h), written chunk by chunk next to
 * the importer and removed once imported.
 *   bench_tx_import [--json] [--transactions N] [--tx-per-block 1..255]
 *                   [--witnesses W] [--import-only]   (N: 10 000 000) */
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bench_chain.h"
#include "bench_util.h"
#include "common/common_int.h"
#include "mithril/mithril.h"
#include "util/tx_store.h"

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
    int import_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--transactions") == 0 && i + 1 < argc)
            want = strtoull(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--tx-per-block") == 0 && i + 1 < argc)
            tx_per_block = (unsigned)strtoul(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--witnesses") == 0 && i + 1 < argc)
            witnesses = (unsigned)strtoul(argv[i + 1], NULL, 10);
        import_only |= strcmp(argv[i], "--import-only") == 0;
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
    if (!chain_import(&g, s, dir, chunks, &ci))
        return 1;
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
    for (int k = 0; k < 4 && !import_only; k++)
        prove(s, k < 2 ? MTL_PROOFS_TRANSACTIONS_V1 : MTL_PROOFS_TRANSACTIONS_V2, k < 2 ? v1 : high,
              &g, k % 2 ? 100 : 1, PROOF_NAMES[k]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    bench_report("peak RSS of the process holding the store", (double)ru.ru_maxrss / 1024, "MB");
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
