/* bench_tx_proof.c - the proofs of certified transactions, both sides
 * (issue #19's goals): what the aggregator spends proving 1 and 100
 * transactions on a big store (app_tx_prove and the wire hex, the 100 in 100
 * distinct random ranges: the worst case, no range shared), and what a
 * client spends verifying a proof message (mtl_proofs_check, the function
 * mithril-client calls, on a 100-transaction message of that store and on
 * the reference's real messages with mtl_proofs_verify against their
 * certificate), then the reference certificate chain's verification
 * (mtl_certificate_chain_verify, no cache). CPU time of the thread:
 * median and max over many runs (wall time too for the prover).
 *   bench_tx_proof [--json] [--transactions N] [--store PATH] [--reps R]
 *                  [SHARED_DIR]
 * N: 1 000 000; --store keeps the store built at PATH (or reuses it when
 * PATH exists: the chain is not rebuilt). */
#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "bench_certs.h"
#include "bench_chain.h"
#include "bench_util.h"
#include "mithril/mithril.h"
#include "util/tx_store.h"

#define MAX_ASK 100

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* "name: median / max (what)" from n samples in seconds (sorted here). */
static void report_runs(const char *name, const char *what, double *t, size_t n)
{
    char label[200];
    qsort(t, n, sizeof(*t), cmp_double);
    snprintf(label, sizeof(label), "%s: median (%s)", name, what);
    bench_report(label, t[n / 2] * 1e3, "ms");
    snprintf(label, sizeof(label), "%s: max (%s)", name, what);
    bench_report(label, t[n - 1] * 1e3, "ms");
}

/* n transaction hashes, each in a distinct random complete range below
 * `below` (a random block of it, a random transaction of the block), read
 * on a connection of their own (the prover's cache stays cold). */
static int pick(sqlite3 *db, uint64_t below, size_t n, uint8_t (*out)[32])
{
    sqlite3_stmt *st = NULL;
    uint64_t ranges = below / MTL_BLOCK_RANGE_LENGTH, chosen[MAX_ASK];
    if (sqlite3_prepare_v2(db, "SELECT tx_hashes FROM cardano_block WHERE block_number = ?", -1,
                           &st, NULL) != SQLITE_OK ||
        ranges < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r;
        size_t k;
        do {
            r = rng() % ranges;
            for (k = 0; k < i && chosen[k] != r; k++)
                ;
        } while (k < i);
        chosen[i] = r;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)(r * MTL_BLOCK_RANGE_LENGTH + rng() % 15));
        int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) >= 32;
        if (ok) {
            int count = sqlite3_column_bytes(st, 0) / 32;
            const uint8_t *h = sqlite3_column_blob(st, 0);
            memcpy(out[i], h + 32 * (rng() % (uint64_t)count), 32);
        }
        sqlite3_reset(st);
        if (!ok) {
            sqlite3_finalize(st);
            return 0;
        }
    }
    sqlite3_finalize(st);
    return 1;
}

static void hex32(char out[MTL_HASH_HEX_BYTES], const uint8_t h[32])
{
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, h, 32);
}

/* The proof message of the aggregator's route (v1 or v2 transactions). */
static char *message(enum mtl_proofs_kind kind, uint64_t beacon, const struct app_tx_item *it,
                     size_t n, const char *proof_hex)
{
    char h[MTL_HASH_HEX_BYTES], bh[MTL_HASH_HEX_BYTES];
    json_t *j = json_object(), *list = json_array();
    memset(h, '0', 64); /* no certificate: mtl_proofs_check reads its hash only */
    json_object_set_new(j, "certificate_hash", json_stringn(h, 64));
    for (size_t i = 0; i < n; i++) {
        hex32(h, it[i].hash);
        hex32(bh, it[i].block_hash);
        json_array_append_new(list, kind == MTL_PROOFS_TRANSACTIONS_V1
                                        ? json_string(h)
                                        : json_pack("{s:s,s:I,s:I,s:s}", "transaction_hash", h,
                                                    "block_number", (json_int_t)it[i].block_number,
                                                    "slot_number", (json_int_t)it[i].slot,
                                                    "block_hash", bh));
    }
    if (kind == MTL_PROOFS_TRANSACTIONS_V1)
        json_object_set_new(
            j, "certified_transactions",
            json_pack("[{s:o,s:s}]", "transactions_hashes", list, "proof", proof_hex));
    else
        json_object_set_new(j, "certified_transactions",
                            json_pack("{s:o,s:s}", "items", list, "proof", proof_hex));
    json_object_set_new(j, "non_certified_transactions", json_array());
    json_object_set_new(j, "latest_block_number", json_integer((json_int_t)beacon));
    if (kind != MTL_PROOFS_TRANSACTIONS_V1)
        json_object_set_new(j, "security_parameter", json_integer(0));
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

/* Prove n transactions reps times (fresh random ranges each time), then
 * verify the last proof's message as the client does. */
static int prove_and_verify(struct app_tx_store *s, sqlite3 *db, enum mtl_proofs_kind kind,
                            uint64_t beacon, uint64_t below, size_t n, int reps)
{
    double *cpu = calloc((size_t)reps, sizeof(double)), *wall = calloc((size_t)reps, 8);
    char *hex = NULL, name[96];
    struct app_tx_item *items = NULL;
    size_t ni = 0;
    int ok = cpu && wall;
    for (int r = 0; ok && r < reps; r++) {
        uint8_t asked[MAX_ASK][32];
        struct mtl_mkproof *p = NULL;
        ok = pick(db, below, n, asked);
        mtl_free(items);
        mtl_free(hex);
        items = NULL;
        hex = NULL;
        double w0 = bench_now(), c0 = bench_cpu_now();
        mtl_err e =
            ok ? app_tx_prove(s, kind, beacon, (const uint8_t(*)[32])asked, n, &items, &ni, &p)
               : MTL_ERR_STATE;
        if (e == MTL_OK)
            e = kind == MTL_PROOFS_TRANSACTIONS_V1 ? mtl_mkproof_to_json_hex(p, &hex)
                                                   : mtl_mkproof_to_bytes_hex(p, &hex);
        cpu[r] = bench_cpu_now() - c0;
        wall[r] = bench_now() - w0;
        mtl_mkproof_free(p);
        ok = e == MTL_OK && ni == n;
    }
    if (!ok) {
        fprintf(stderr, "bench_tx_proof: proof: %s\n", mtl_err_detail());
    } else {
        snprintf(name, sizeof(name), "prove v%d, %zu transaction%s",
                 kind == MTL_PROOFS_TRANSACTIONS_V1 ? 1 : 2, n, n > 1 ? "s" : "");
        report_runs(name, "CPU", cpu, (size_t)reps);
        report_runs(name, "wall", wall, (size_t)reps);
    }
    char *msg = ok ? message(kind, beacon, items, ni, hex) : NULL;
    int vreps = n > 1 ? 200 : 1000;
    double *v = calloc((size_t)vreps, sizeof(double));
    for (int r = 0; msg && v && r < vreps; r++) {
        struct mtl_certified_set set;
        double c0 = bench_cpu_now();
        mtl_err e = mtl_proofs_check(&set, kind, msg, strlen(msg));
        v[r] = bench_cpu_now() - c0;
        size_t got = e == MTL_OK ? set.count : 0;
        mtl_certified_set_free(&set);
        if (got != ni) {
            fprintf(stderr, "bench_tx_proof: verify: %s\n", mtl_err_detail());
            ok = 0;
            break;
        }
    }
    if (ok && msg && v) {
        snprintf(name, sizeof(name), "client: verify the v%d message of %zu transaction%s",
                 kind == MTL_PROOFS_TRANSACTIONS_V1 ? 1 : 2, n, n > 1 ? "s" : "");
        report_runs(name, "CPU", v, (size_t)vreps);
    }
    free(v);
    free(msg);
    mtl_free(items);
    mtl_free(hex);
    free(cpu);
    free(wall);
    return ok;
}

/* The store at path: built from a synthetic chain of `want` transactions
 * unless path already holds one. */
static int open_store(const char *path, uint64_t want, struct app_tx_store **s)
{
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (app_tx_store_open(s, path) != MTL_OK) {
        fprintf(stderr, "bench_tx_proof: %s\n", mtl_err_detail());
        return 0;
    }
    if (exists)
        return 1;
    char top[64] = "/tmp/mtl-bench-chain-XXXXXX", dir[128];
    if (!mkdtemp(top))
        return 0;
    snprintf(dir, sizeof(dir), "%s/immutable", top); /* the importer wants this name */
    mkdir(dir, 0700);
    struct gen g;
    struct chain_import_stats ci;
    uint64_t chunks = 0;
    int ok = gen_init(&g, want, &chunks) && chain_import(&g, *s, dir, chunks, NULL, NULL, &ci);
    gen_free(&g);
    rmdir(dir);
    rmdir(top);
    if (ok)
        bench_report("store: transactions imported", (double)ci.txs, "tx");
    else
        unlink(path); /* not reused half-built */
    return ok;
}

/* The reference's proof messages (v1, v2, blocks), each verified against
 * its certificate, then the chain of that certificate. */
static int reference(const char *shared, int reps)
{
    static const char *const files[] = {"ctx-proofs.json", "ctx-proofs-v2.json",
                                        "cblk-proofs.json"};
    static const enum mtl_proofs_kind kinds[] = {MTL_PROOFS_TRANSACTIONS_V1,
                                                 MTL_PROOFS_TRANSACTIONS_V2, MTL_PROOFS_BLOCKS};
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             shared);
    json_t *certs = json_load_file(p, 0, NULL);
    snprintf(p, sizeof(p), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey", shared);
    uint8_t *vktext = NULL, vk[32];
    size_t len;
    if (!certs || mtl_read_file(p, 4096, &vktext, &len) != MTL_OK ||
        mtl_genesis_vkey_decode(vk, (char *)vktext) != MTL_OK) {
        printf("bench_tx_proof: reference data not found under %s: skipped\n", shared);
        json_decref(certs);
        mtl_free(vktext);
        return 1;
    }
    mtl_free(vktext);
    int ok = 1;
    const char *chain_of = NULL;
    for (size_t f = 0; ok && f < MTL_ARRAY_LEN(files); f++) {
        snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/%s", shared, files[f]);
        json_t *msgs = json_load_file(p, 0, NULL);
        size_t nm = json_object_size(msgs), k = 0;
        double *t = calloc(nm * (size_t)reps + 1, sizeof(double));
        const char *key;
        json_t *m;
        json_object_foreach(msgs, key, m)
        {
            char *body = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
            const char *ch = json_string_value(json_object_get(m, "certificate_hash"));
            json_t *cj = json_object_get(certs, ch ? ch : "");
            char *cs = cj ? json_dumps(cj, JSON_COMPACT) : NULL;
            struct mtl_certificate *cert = NULL;
            ok = body && cs && mtl_certificate_from_json(&cert, cs, strlen(cs)) == MTL_OK;
            for (int r = 0; ok && r < reps; r++) {
                struct mtl_certified_set set;
                double c0 = bench_cpu_now();
                ok = mtl_proofs_verify(&set, kinds[f], body, strlen(body), cert) == MTL_OK;
                t[k++] = bench_cpu_now() - c0;
                mtl_certified_set_free(&set);
            }
            if (!ok)
                fprintf(stderr, "bench_tx_proof: %s %s: %s\n", files[f], key, mtl_err_detail());
            chain_of = chain_of ? chain_of : json_string_value(json_object_get(cj, "hash"));
            mtl_certificate_free(cert);
            free(cs);
            free(body);
            if (!ok)
                break;
        }
        snprintf(p, sizeof(p), "reference %s (%zu messages), each", files[f], nm);
        if (ok && k)
            report_runs(p, "CPU", t, k);
        free(t);
        json_decref(msgs);
    }
    double t[20];
    size_t walked = 0;
    struct mtl_chain_verify_opts o = {.fetch = bench_fetch, .fetch_ctx = certs};
    for (size_t r = 0; ok && chain_of && r < MTL_ARRAY_LEN(t); r++) {
        double c0 = bench_cpu_now();
        ok = mtl_certificate_chain_verify(chain_of, vk, &o, &walked) == MTL_OK;
        t[r] = bench_cpu_now() - c0;
    }
    if (ok && chain_of) {
        snprintf(p, sizeof(p), "reference chain of the proofs' certificate (%zu certificates)",
                 walked);
        report_runs(p, "CPU", t, MTL_ARRAY_LEN(t));
    } else if (!ok) {
        fprintf(stderr, "bench_tx_proof: chain: %s\n", mtl_err_detail());
    }
    json_decref(certs);
    return ok;
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    uint64_t want = 1000000;
    const char *keep = NULL, *shared = getenv("MTL_SHARED_DIR");
    int reps = 30;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--transactions") == 0 && i + 1 < argc)
            want = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            keep = argv[++i];
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (argv[i][0] != '-')
            shared = argv[i];
    }
    if (reps < 1 || want < 20 * 15 * MAX_ASK) {
        fprintf(stderr, "bench_tx_proof: --reps >= 1, --transactions >= 30000\n");
        return 2;
    }
    mtl_init();
    char tmp[64] = "/tmp/mtl-bench-txp-XXXXXX", path[4096];
    if (!keep && !mkdtemp(tmp))
        return 1;
    snprintf(path, sizeof(path), "%s", keep ? keep : tmp);
    if (!keep)
        strncat(path, "/tx.sqlite3", sizeof(path) - strlen(path) - 1);
    struct app_tx_store *s = NULL;
    sqlite3 *db = NULL;
    uint64_t high = 0;
    int found = 0, ok = open_store(path, want, &s) &&
                        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
                        app_tx_highest_block(s, &high, &found) == MTL_OK && found;
    uint64_t v1 = high / 15 * 15 - 1;
    char root[MTL_HASH_HEX_BYTES];
    /* the maps of both beacons, built once per beacon (not a proof's cost) */
    ok = ok && app_tx_root(s, APP_TX_TREE_TRANSACTIONS, v1, root) == MTL_OK &&
         app_tx_root(s, APP_TX_TREE_BLOCKS, high, root) == MTL_OK;
    for (int k = 0; ok && k < 4; k++) {
        enum mtl_proofs_kind kind = k < 2 ? MTL_PROOFS_TRANSACTIONS_V1 : MTL_PROOFS_TRANSACTIONS_V2;
        size_t n = k % 2 ? MAX_ASK : 1;
        ok = prove_and_verify(s, db, kind, k < 2 ? v1 : high, v1 + 1, n, n > 1 ? reps : 10 * reps);
    }
    if (!ok)
        fprintf(stderr, "bench_tx_proof: store: %s\n", mtl_err_detail());
    sqlite3_close(db);
    app_tx_store_free(s);
    if (!keep) {
        static const char *const ext[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < MTL_ARRAY_LEN(ext); i++) {
            char p[4200];
            snprintf(p, sizeof(p), "%s%s", path, ext[i]);
            unlink(p);
        }
        rmdir(tmp);
    }
    if (ok && shared)
        ok = reference(shared, 20);
    return ok ? 0 : 1;
}
