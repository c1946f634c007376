/* bench_blocks.c - the block reader over the devnet ImmutableDB fragment
 * (read again and again) and over a synthetic transaction-heavy Conway
 * block; proof verification of the reference's proof messages and of a
 * synthetic 100-transaction proof over 1000 block ranges. Times are CPU
 * time of the one thread doing the work.
 *   bench_blocks [--json] [--quick] [SHARED_DIR]   (default: $MTL_SHARED_DIR
 *   or ../shared) */
#include <jansson.h>
#include <stdlib.h>

#include "bench_certs.h"
#include "bench_util.h"
#include "mithril/mithril.h"

static const char *shared;
static int quick;

/* This thread's CPU time: figures are per core, and stay meaningful on a
 * machine shared with other work (wall time would count the waiting). */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Read every block of chunks first..last of dir, reps times. */
static void read_chunks(const char *dir, uint64_t first, uint64_t last, int reps, const char *what)
{
    size_t blocks = 0, txs = 0, bytes = 0;
    double t0 = cpu_now();
    for (int r = 0; r < reps; r++)
        for (uint64_t c = first; c <= last; c++) {
            struct mtl_chunk_reader *rd;
            if (mtl_chunk_reader_open(&rd, dir, c) != MTL_OK) {
                printf("bench_blocks: %s: skipped\n", mtl_err_detail());
                return;
            }
            for (;;) {
                struct mtl_cardano_block b;
                bool done;
                if (mtl_chunk_reader_next(rd, &b, &done) != MTL_OK || done)
                    break;
                blocks++;
                txs += b.tx_count;
                bytes += b.len;
            }
            mtl_chunk_reader_free(rd);
        }
    double dt = cpu_now() - t0;
    char name[128];
    snprintf(name, sizeof(name), "%s: blocks (open, index checks, decode)", what);
    bench_report(name, blocks / dt, "blocks/s");
    snprintf(name, sizeof(name), "%s: transactions", what);
    bench_report(name, txs / dt, "tx/s");
    snprintf(name, sizeof(name), "%s: chunk data", what);
    bench_report(name, bytes / dt / 1e6, "MB/s");
}

static mtl_err slurp(const char *dir, uint64_t c, const char *ext, uint8_t **d, size_t *n)
{
    char p[4096];
    int k = snprintf(p, sizeof(p), "%s/%05llu.%s", dir, (unsigned long long)c, ext);
    if (k < 0 || (size_t)k >= sizeof(p))
        return MTL_ERR_INVALID_ARG; /* a path that does not fit */
    return mtl_read_file(p, 1 << 26, d, n);
}

/* One big chunk (mainnet chunks are tens of MB; the samples 85 KB, where
 * opening files costs more than reading them): the fragment's 400 blocks
 * `copies` times, with a secondary index of their entries (block offsets
 * moved) and a primary index with every slot filled. */
static int big_chunk(char *dir, size_t cap, const char *src, int copies)
{
    snprintf(dir, cap, "/tmp/mtl-bench-blocks-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    size_t csize = 0, ssize = 0, used = 0, sused = 0;
    uint8_t *chunk = NULL, *sec = NULL;
    for (int k = 0; k < copies; k++)
        for (uint64_t c = 0; c < 4; c++) {
            uint8_t *d, *s;
            size_t dn, sn;
            if (slurp(src, c, "chunk", &d, &dn) != MTL_OK ||
                slurp(src, c, "secondary", &s, &sn) != MTL_OK)
                return -1;
            if (used + dn > csize) {
                csize = 2 * (used + dn);
                chunk = realloc(chunk, csize);
            }
            if (sused + sn > ssize) {
                ssize = 2 * (sused + sn);
                sec = realloc(sec, ssize);
            }
            memcpy(chunk + used, d, dn);
            for (size_t e = 0; e < sn; e += 56) { /* move each block offset */
                uint64_t off = 0;
                for (int i = 0; i < 8; i++)
                    off = off << 8 | s[e + i];
                off += used;
                for (int i = 7; i >= 0; i--, off >>= 8)
                    s[e + i] = (uint8_t)off;
            }
            memcpy(sec + sused, s, sn);
            used += dn;
            sused += sn;
            mtl_free(d);
            mtl_free(s);
        }
    size_t entries = sused / 56, plen = 1 + 4 * (entries + 1);
    uint8_t *prim = malloc(plen);
    prim[0] = 1;
    for (size_t i = 0; i <= entries; i++) {
        uint32_t o = (uint32_t)(i * 56);
        for (int b = 0; b < 4; b++)
            prim[1 + 4 * i + b] = (uint8_t)(o >> (24 - 8 * b));
    }
    char p[4096];
    int rc = 0;
    snprintf(p, sizeof(p), "%s/00000.chunk", dir);
    rc |= mtl_atomic_write(p, chunk, used, 0600) != MTL_OK;
    snprintf(p, sizeof(p), "%s/00000.secondary", dir);
    rc |= mtl_atomic_write(p, sec, sused, 0600) != MTL_OK;
    snprintf(p, sizeof(p), "%s/00000.primary", dir);
    rc |= mtl_atomic_write(p, prim, plen, 0600) != MTL_OK;
    free(chunk);
    free(sec);
    free(prim);
    return rc ? -1 : 0;
}

static void remove_big_chunk(const char *dir)
{
    static const char *const exts[3] = {"chunk", "primary", "secondary"};
    for (int i = 0; i < 3; i++) {
        char p[4096];
        snprintf(p, sizeof(p), "%s/00000.%s", dir, exts[i]);
        unlink(p);
    }
    rmdir(dir);
}

static void bench_fragment(void)
{
    char dir[4096], big[64];
    snprintf(dir, sizeof(dir), "%s/reference-data/cardano-node-samples/immutable", shared);
    read_chunks(dir, 0, 3, quick ? 20 : 200, "fragment (4 chunks of 85 KB)");
    if (big_chunk(big, sizeof(big), dir, 50) != 0) {
        printf("bench_blocks: cannot build the big chunk: skipped\n");
        return;
    }
    read_chunks(big, 0, 0, quick ? 2 : 20, "fragment x50 as one 17 MB chunk");
    remove_big_chunk(big);
}

/* A Conway block of n transaction bodies of about 300 bytes each (inputs,
 * outputs with a multi-asset value, fee, ttl), mainnet-like. */
static size_t synthetic_block(uint8_t *out, size_t n)
{
    size_t k = 0;
    static const uint8_t head[] = {0x82, 0x07, 0x85, 0x82, 0x8a, 0x1a, 0x00, 0x10,
                                   0x00, 0x00, 0x1a, 0x05, 0x00, 0x00, 0x00};
    memcpy(out, head, sizeof(head));
    k = sizeof(head);
    for (int i = 0; i < 8; i++) {
        out[k++] = 0x58;
        out[k++] = 32;
        memset(out + k, i, 32);
        k += 32;
    }
    out[k++] = 0x59; /* KES signature: 448 bytes */
    out[k++] = 0x01;
    out[k++] = 0xc0;
    memset(out + k, 7, 448);
    k += 448;
    out[k++] = 0x99; /* array of n (< 65536) bodies */
    out[k++] = (uint8_t)(n >> 8);
    out[k++] = (uint8_t)n;
    for (size_t t = 0; t < n; t++) {
        out[k++] = 0xa4;
        out[k++] = 0x00; /* inputs: 2 x [hash, index] */
        out[k++] = 0x82;
        for (int i = 0; i < 2; i++) {
            out[k++] = 0x82;
            out[k++] = 0x58;
            out[k++] = 32;
            memset(out + k, (int)(t + i), 32);
            k += 32;
            out[k++] = (uint8_t)i;
        }
        out[k++] = 0x01; /* outputs: 2 x {0: address, 1: [coin, {policy: {name: qty}}]} */
        out[k++] = 0x82;
        for (int o = 0; o < 2; o++) {
            out[k++] = 0xa2;
            out[k++] = 0x00;
            out[k++] = 0x58;
            out[k++] = 57;
            memset(out + k, 0x61, 57);
            k += 57;
            out[k++] = 0x01;
            out[k++] = 0x82;
            out[k++] = 0x1a;
            memset(out + k, 0x11, 4);
            k += 4;
            out[k++] = 0xa1;
            out[k++] = 0x58;
            out[k++] = 28;
            memset(out + k, 0x22, 28);
            k += 28;
            out[k++] = 0xa1;
            out[k++] = 0x44;
            memcpy(out + k, "COIN", 4);
            k += 4;
            out[k++] = 0x19;
            out[k++] = 0x03;
            out[k++] = 0xe8;
        }
        out[k++] = 0x02;
        out[k++] = 0x1a;
        memset(out + k, 0x01, 4);
        k += 4;
        out[k++] = 0x03;
        out[k++] = 0x1a;
        memset(out + k, 0x02, 4);
        k += 4;
    }
    static const uint8_t tail[] = {0x80, 0xa0, 0x80};
    memcpy(out + k, tail, sizeof(tail));
    return k + sizeof(tail);
}

static void bench_synthetic(void)
{
    size_t n = 300;
    uint8_t *blk = malloc(n * 400 + 4096);
    size_t len = synthetic_block(blk, n);
    struct mtl_block_decoder *d;
    if (!blk || mtl_block_decoder_new(&d) != MTL_OK)
        return;
    int reps = quick ? 300 : 3000;
    double t0 = cpu_now();
    for (int r = 0; r < reps; r++) {
        struct mtl_cardano_block b;
        if (mtl_block_decode(d, blk, len, &b) != MTL_OK || b.tx_count != n) {
            printf("bench_blocks: synthetic block: %s\n", mtl_err_detail());
            return;
        }
    }
    double dt = cpu_now() - t0;
    bench_report("synthetic Conway block (300 tx, ~300 B each): decode", len * reps / dt / 1e6,
                 "MB/s");
    bench_report("synthetic Conway block: transactions hashed", n * reps / dt, "tx/s");
    mtl_block_decoder_free(d);
    free(blk);
}

static void bench_reference_proofs(void)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             shared);
    json_t *certs = json_load_file(p, 0, NULL);
    snprintf(p, sizeof(p), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey", shared);
    uint8_t *vktext, vk[32];
    size_t len;
    if (!certs || mtl_read_file(p, 4096, &vktext, &len) != MTL_OK ||
        mtl_genesis_vkey_decode(vk, (char *)vktext) != MTL_OK) {
        printf("bench_blocks: reference proofs not found under %s: skipped\n", shared);
        return;
    }
    mtl_free(vktext);
    static const char *const files[3] = {"ctx-proofs.json", "ctx-proofs-v2.json",
                                         "cblk-proofs.json"};
    char *msgs[32];
    struct mtl_certificate *certs_of[32];
    enum mtl_proofs_kind kinds[32];
    size_t n = 0;
    struct mtl_chain_verify_opts o = {.fetch = bench_fetch, .fetch_ctx = certs};
    for (int f = 0; f < 3; f++) {
        snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/%s", shared, files[f]);
        json_t *set = json_load_file(p, 0, NULL);
        const char *k;
        json_t *m;
        json_object_foreach(set, k, m)
        {
            if (n == 32)
                break;
            const char *ch = json_string_value(json_object_get(m, "certificate_hash"));
            if (mtl_certificate_chain_verify_get(&certs_of[n], ch, vk, &o, NULL) != MTL_OK)
                return;
            msgs[n] = json_dumps(m, JSON_COMPACT);
            kinds[n++] = (enum mtl_proofs_kind)(f + 1);
        }
        json_decref(set);
    }
    int reps = quick ? 50 : 500;
    double t0 = cpu_now();
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i++) {
            struct mtl_certified_set s;
            if (mtl_proofs_verify(&s, kinds[i], msgs[i], strlen(msgs[i]), certs_of[i]) != MTL_OK) {
                printf("bench_blocks: %s\n", mtl_err_detail());
                return;
            }
            mtl_certified_set_free(&s);
        }
    double dt = cpu_now() - t0;
    bench_report("reference proof messages verified (certificate given)", n * reps / dt,
                 "proofs/s");
    for (size_t i = 0; i < n; i++) {
        free(msgs[i]);
        mtl_certificate_free(certs_of[i]);
    }
    json_decref(certs);
}

/* 1000 ranges of 15 blocks and 20 transactions; a v2 message proving one
 * transaction in each of `k` ranges. Times proof generation and checking. */
static void bench_synthetic_proof(size_t k)
{
    enum { RANGES = 1000, TXS = 20 };
    struct mtl_mktree *map, **rt = calloc(RANGES, sizeof(*rt));
    char leaf[200], bh[65], tx[65];
    if (!rt || mtl_mktree_new(&map) != MTL_OK)
        return;
    for (uint64_t r = 0; r < RANGES; r++) {
        if (mtl_mktree_new(&rt[r]) != MTL_OK)
            return;
        for (uint64_t b = r * 15; b < r * 15 + 15; b++) {
            snprintf(bh, sizeof(bh), "%064llx", (unsigned long long)b);
            int l = snprintf(leaf, sizeof(leaf), "Block/%s/%llu/%llu", bh, (unsigned long long)b,
                             (unsigned long long)b);
            (void)mtl_mktree_append(rt[r], leaf, (size_t)l);
        }
        for (uint64_t t = 0; t < TXS; t++) {
            uint64_t b = r * 15 + t % 15;
            snprintf(bh, sizeof(bh), "%064llx", (unsigned long long)b);
            snprintf(tx, sizeof(tx), "%064llx", (unsigned long long)(r * 1000 + t + (1ull << 40)));
            int l = snprintf(leaf, sizeof(leaf), "Tx/%s/%s/%llu/%llu", tx, bh,
                             (unsigned long long)b, (unsigned long long)b);
            (void)mtl_mktree_append(rt[r], leaf, (size_t)l);
        }
        uint8_t root[32], ml[32];
        size_t rl;
        (void)mtl_mktree_root(rt[r], root, sizeof(root), &rl);
        (void)mtl_mkmap_leaf(ml, r * 15, r * 15 + 15, root, rl);
        (void)mtl_mktree_append(map, ml, 32);
    }
    int reps = quick ? 20 : 200;
    char *hex = NULL;
    double t0 = cpu_now();
    for (int rep = 0; rep < reps; rep++) {
        struct mtl_mkproof *p;
        uint64_t *idx = malloc(k * sizeof(*idx));
        for (size_t i = 0; i < k; i++)
            idx[i] = i * (RANGES / k);
        (void)mtl_mktree_prove(&p, map, idx, k);
        for (size_t i = 0; i < k; i++) {
            struct mtl_mkproof *s;
            uint64_t leaf15 = 15;
            (void)mtl_mktree_prove(&s, rt[idx[i]], &leaf15, 1);
            (void)mtl_mkproof_add_sub(p, idx[i] * 15, idx[i] * 15 + 15, s);
        }
        mtl_free(hex);
        (void)mtl_mkproof_to_bytes_hex(p, &hex);
        mtl_mkproof_free(p);
        free(idx);
    }
    double gen = (cpu_now() - t0) / reps;
    size_t cap = strlen(hex) + 256 * k + 512, off;
    char *msg = malloc(cap);
    off = (size_t)snprintf(
        msg, cap, "{\"certificate_hash\":\"%064d\",\"certified_transactions\":{\"items\":[", 0);
    for (size_t i = 0; i < k; i++) {
        uint64_t r = i * (RANGES / k), b = r * 15;
        snprintf(bh, sizeof(bh), "%064llx", (unsigned long long)b);
        snprintf(tx, sizeof(tx), "%064llx", (unsigned long long)(r * 1000 + (1ull << 40)));
        off += (size_t)snprintf(msg + off, cap - off,
                                "%s{\"transaction_hash\":\"%s\",\"block_number\":%llu,"
                                "\"slot_number\":%llu,\"block_hash\":\"%s\"}",
                                i ? "," : "", tx, (unsigned long long)b, (unsigned long long)b, bh);
    }
    snprintf(msg + off, cap - off,
             "],\"proof\":\"%s\"},\"non_certified_transactions\":[],\"latest_block_number\":%d,"
             "\"security_parameter\":1}",
             hex, RANGES * 15 - 1);
    t0 = cpu_now();
    for (int rep = 0; rep < reps; rep++) {
        struct mtl_certified_set s;
        if (mtl_proofs_check(&s, MTL_PROOFS_TRANSACTIONS_V2, msg, strlen(msg)) != MTL_OK) {
            printf("bench_blocks: synthetic proof: %s\n", mtl_err_detail());
            return;
        }
        mtl_certified_set_free(&s);
    }
    double chk = (cpu_now() - t0) / reps;
    char name[96];
    snprintf(name, sizeof(name), "proof of %zu tx over 1000 ranges (35000 leaves): generate", k);
    bench_report(name, gen * 1e3, "ms");
    snprintf(name, sizeof(name), "proof of %zu tx over 1000 ranges: decode + verify", k);
    bench_report(name, chk * 1e3, "ms");
    free(msg);
    mtl_free(hex);
    for (int r = 0; r < RANGES; r++)
        mtl_mktree_free(rt[r]);
    free(rt);
    mtl_mktree_free(map);
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    shared = getenv("MTL_SHARED_DIR");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (argv[i][0] != '-')
            shared = argv[i];
    }
    if (!shared)
        shared = "../shared";
    mtl_init();
    bench_fragment();
    bench_synthetic();
    bench_reference_proofs();
    bench_synthetic_proof(1);
    bench_synthetic_proof(100);
    return 0;
}
