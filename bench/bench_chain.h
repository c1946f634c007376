/* bench_chain.h - a synthetic Cardano chain written as immutable chunk trios
 * (NNNNN.chunk, .primary, .secondary) for the transactions store's
 * benchmarks: Conway blocks of tx_per_block transactions (the reference's
 * bench shape: 20) of ~300-byte bodies (2 inputs, 2 multi-asset outputs,
 * fee, ttl) and `witnesses` vkey witnesses (~500 bytes a transaction,
 * mainnet-like), every transaction unique, block n at slot 2n. */
#ifndef MTL_BENCH_CHAIN_H
#define MTL_BENCH_CHAIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "common/common_int.h"
#include "mithril/mithril.h"
#include "util/tx_store.h"

#define BLOCKS_PER_CHUNK 1000
#define SAMPLES 1000

static unsigned tx_per_block = 20; /* the reference's bench shape (also 1) */
static unsigned witnesses = 2;     /* vkey witnesses per transaction */

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

/* A generator for chains of `want` transactions; *chunks receives how many
 * chunks of BLOCKS_PER_CHUNK blocks that is. 0 when out of memory. */
static int gen_init(struct gen *g, uint64_t want, uint64_t *chunks)
{
    memset(g, 0, sizeof(*g));
    g->chunk = malloc((size_t)BLOCKS_PER_CHUNK * (tx_per_block * (340 + 101 * witnesses) + 1024));
    g->sec = malloc(56 * BLOCKS_PER_CHUNK);
    g->prim = malloc(1 + 4 * (BLOCKS_PER_CHUNK + 1));
    *chunks = (want + tx_per_block * BLOCKS_PER_CHUNK - 1) / (tx_per_block * BLOCKS_PER_CHUNK);
    g->sample_every = *chunks * BLOCKS_PER_CHUNK / SAMPLES + 1;
    return g->chunk && g->sec && g->prim && mtl_block_decoder_new(&g->dec) == MTL_OK;
}

static void gen_free(struct gen *g)
{
    mtl_block_decoder_free(g->dec);
    free(g->chunk);
    free(g->sec);
    free(g->prim);
}

/* What importing the chain cost: CPU time of the importing thread, wall
 * time, chunk bytes, transactions. */
struct chain_import_stats {
    double cpu, wall;
    size_t bytes;
    uint64_t txs;
};

/* Called with each chunk once written, before its import (0 stops). */
typedef int (*chain_chunk_hook)(void *ctx, const char *dir, uint64_t c, const uint8_t *chunk,
                                size_t n);

/* Write chunks 0..chunks-1 into dir one at a time, each imported into s
 * (timed; not when s is NULL) then removed (10 M transactions are ~5 GB of
 * chunk data); hook (may be NULL) sees each chunk first. 0 and a message on
 * stderr on failure. */
static int chain_import(struct gen *g, struct app_tx_store *s, const char *dir, uint64_t chunks,
                        chain_chunk_hook hook, void *ctx, struct chain_import_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (uint64_t c = 0; c < chunks; c++) {
        size_t n = 0;
        if (!write_chunk(g, dir, c, &n)) {
            fprintf(stderr, "bench: cannot write chunk %llu\n", (unsigned long long)c);
            return 0;
        }
        if (hook && !hook(ctx, dir, c, g->chunk, n))
            return 0;
        if (!s) {
            out->bytes += n;
            remove_trio(dir, c);
            continue;
        }
        struct app_tx_import_stats st;
        double t0 = bench_cpu_now(), w0 = bench_now();
        mtl_err e = app_tx_import(s, dir, UINT64_MAX, &st);
        out->cpu += bench_cpu_now() - t0;
        out->wall += bench_now() - w0;
        if (e != MTL_OK || st.chunks != 1) {
            fprintf(stderr, "bench: import: %s\n", mtl_err_detail());
            return 0;
        }
        out->bytes += n;
        out->txs += st.transactions;
        remove_trio(dir, c);
    }
    remove_trio(dir, chunks);
    return 1;
}

#endif
