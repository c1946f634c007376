/* sim_txs.c - the transactions of a simulated Conway block: a mix shaped
 * like the real ones (reference-data cardano-node-samples/blocks/conway1):
 * inputs as a tag-258 set, outputs in both the legacy array and the
 * post-Alonzo map form, sometimes carrying multi-assets, a fee, usually a
 * ttl, now and then a validity start, certificates or a mint. Everything is
 * drawn from the block's own stream, so a block is the same on every run. */
#include <string.h>

#include "sim.h"

#define CB_TAG 6

static uint64_t pick(struct sim_rng *r, uint64_t n)
{
    return sim_rng_u64(r) % n;
}

/* About D transactions per block on average: a fifth of blocks empty, most
 * with 1..2D, a tenth busy with 2D..4D. */
uint64_t sim_tx_count(const struct sim *s, struct sim_rng *r)
{
    uint64_t d = s->p.tx_density, u = pick(r, 100), n;
    if (d == 0)
        n = 0;
    else if (u < 20)
        n = 0;
    else if (u < 90)
        n = 1 + pick(r, 2 * d);
    else
        n = 2 * d + pick(r, 2 * d + 1);
    if (n == 0 && s->p.tx_bytes > 0)
        n = 1; /* the padding of --tx-bytes lives in a witness set */
    return n;
}

/* {policy (28 bytes): {asset name: quantity}} with 1..3 policies of 1..3 assets. */
static mtl_err multi_asset(struct mtl_buf *b, struct sim_rng *r)
{
    uint64_t np = 1 + pick(r, 3);
    MTL_TRY(sim_cb_head(b, CB_MAP, np));
    for (uint64_t p = 0; p < np; p++) {
        MTL_TRY(sim_cb_rand_bytes(b, r, 28));
        uint64_t na = 1 + pick(r, 3);
        MTL_TRY(sim_cb_head(b, CB_MAP, na));
        for (uint64_t a = 0; a < na; a++) {
            MTL_TRY(sim_cb_rand_bytes(b, r, 4 + 8 * a + pick(r, 8))); /* distinct lengths */
            MTL_TRY(sim_cb_head(b, CB_UINT, 1 + pick(r, 1000000000)));
        }
    }
    return MTL_OK;
}

/* One output: [addr, value] or {0: addr, 1: value}; a base (57 bytes) or
 * enterprise (29 bytes) address; value = coin or [coin, multi-asset]. */
static mtl_err output(struct mtl_buf *b, struct sim_rng *r)
{
    bool map = pick(r, 2), assets = pick(r, 100) < 15;
    MTL_TRY(sim_cb_head(b, map ? CB_MAP : CB_ARRAY, 2));
    if (map)
        MTL_TRY(sim_cb_head(b, CB_UINT, 0));
    uint8_t addr[57];
    size_t alen = pick(r, 3) ? 57 : 29;
    sim_rng_bytes(r, addr, alen);
    addr[0] = alen == 57 ? 0x01 : 0x61; /* header: network 1, key/key or key only */
    MTL_TRY(sim_cb_bytes(b, addr, alen));
    if (map)
        MTL_TRY(sim_cb_head(b, CB_UINT, 1));
    uint64_t coin = 1000000 + pick(r, 100000000000ULL);
    if (!assets)
        return sim_cb_head(b, CB_UINT, coin);
    MTL_TRY(sim_cb_head(b, CB_ARRAY, 2));
    MTL_TRY(sim_cb_head(b, CB_UINT, coin));
    return multi_asset(b, r);
}

/* A stake registration [0, [0, key hash]] or a delegation [2, [0, key hash],
 * pool] to one of the simulated pools. */
static mtl_err certificate(const struct sim *s, struct mtl_buf *b, struct sim_rng *r)
{
    bool deleg = pick(r, 2);
    MTL_TRY(sim_cb_head(b, CB_ARRAY, deleg ? 3 : 2));
    MTL_TRY(sim_cb_head(b, CB_UINT, deleg ? 2 : 0));
    MTL_TRY(sim_cb_head(b, CB_ARRAY, 2));
    MTL_TRY(sim_cb_head(b, CB_UINT, 0));
    MTL_TRY(sim_cb_rand_bytes(b, r, 28));
    if (deleg)
        MTL_TRY(sim_cb_bytes(b, s->pools[pick(r, s->p.pools)].key_hash, 28));
    return MTL_OK;
}

/* Inputs: mostly one, often 2..3, sometimes 4..15. */
static uint64_t input_count(struct sim_rng *r)
{
    uint64_t u = pick(r, 100);
    return u < 60 ? 1 : u < 85 ? 2 + pick(r, 2) : 4 + pick(r, 12);
}

/* Outputs: usually payment + change, sometimes one, sometimes a batch. */
static uint64_t output_count(struct sim_rng *r)
{
    uint64_t u = pick(r, 100);
    return u < 60 ? 2 : u < 80 ? 1 : 3 + pick(r, 8);
}

/* One transaction body, its keys in increasing order; *nin gets its input
 * count (a witness per input, at most 3). */
static mtl_err body(const struct sim *s, struct mtl_buf *b, struct sim_rng *r, uint64_t slot,
                    uint64_t *nin)
{
    uint64_t nout = output_count(r);
    bool ttl = pick(r, 100) < 80, start = pick(r, 100) < 10, certs = pick(r, 100) < 5,
         mint = pick(r, 100) < 3;
    *nin = input_count(r);
    MTL_TRY(sim_cb_head(b, CB_MAP, 3 + ttl + certs + start + mint));
    MTL_TRY(sim_cb_head(b, CB_UINT, 0));
    MTL_TRY(sim_cb_head(b, CB_TAG, 258)); /* a set */
    MTL_TRY(sim_cb_head(b, CB_ARRAY, *nin));
    for (uint64_t i = 0; i < *nin; i++) {
        MTL_TRY(sim_cb_head(b, CB_ARRAY, 2));
        MTL_TRY(sim_cb_rand_bytes(b, r, 32));
        MTL_TRY(sim_cb_head(b, CB_UINT, pick(r, 4)));
    }
    MTL_TRY(sim_cb_head(b, CB_UINT, 1));
    MTL_TRY(sim_cb_head(b, CB_ARRAY, nout));
    for (uint64_t o = 0; o < nout; o++)
        MTL_TRY(output(b, r));
    MTL_TRY(sim_cb_head(b, CB_UINT, 2));
    MTL_TRY(sim_cb_head(b, CB_UINT, 160000 + 4400 * (*nin + nout) + pick(r, 100000)));
    if (ttl) {
        MTL_TRY(sim_cb_head(b, CB_UINT, 3));
        MTL_TRY(sim_cb_head(b, CB_UINT, slot + 3600 + pick(r, 3600)));
    }
    if (certs) {
        uint64_t nc = 1 + pick(r, 2);
        MTL_TRY(sim_cb_head(b, CB_UINT, 4));
        MTL_TRY(sim_cb_head(b, CB_TAG, 258));
        MTL_TRY(sim_cb_head(b, CB_ARRAY, nc));
        for (uint64_t c = 0; c < nc; c++)
            MTL_TRY(certificate(s, b, r));
    }
    if (start) {
        MTL_TRY(sim_cb_head(b, CB_UINT, 8));
        MTL_TRY(sim_cb_head(b, CB_UINT, slot > 100 ? slot - 100 : 0));
    }
    if (mint) {
        MTL_TRY(sim_cb_head(b, CB_UINT, 9));
        MTL_TRY(multi_asset(b, r));
    }
    return MTL_OK;
}

mtl_err sim_make_txs(const struct sim *s, struct sim_rng *r, uint64_t slot, uint64_t ntx,
                     uint64_t pad, struct mtl_buf *bodies, struct mtl_buf *wits,
                     struct mtl_buf *ids)
{
    MTL_TRY(sim_cb_head(bodies, CB_ARRAY, ntx));
    MTL_TRY(sim_cb_head(wits, CB_ARRAY, ntx));
    for (uint64_t t = 0; t < ntx; t++) {
        size_t at = bodies->len;
        uint64_t nin;
        MTL_TRY(body(s, bodies, r, slot, &nin));
        uint8_t h[32]; /* the transaction id: BLAKE2b-256 of the body's bytes */
        sim_blake2b(h, 32, bodies->data + at, bodies->len - at);
        MTL_TRY(mtl_buf_append(ids, h, 32));
        /* {0: set of [vkey, signature]}: one per input (at most 3), plus
         * one per ~101 bytes of --tx-bytes padding */
        uint64_t m = (nin < 3 ? nin : 3) + pad / ntx / 101;
        MTL_TRY(sim_cb_head(wits, CB_MAP, 1));
        MTL_TRY(sim_cb_head(wits, CB_UINT, 0));
        MTL_TRY(sim_cb_head(wits, CB_TAG, 258));
        MTL_TRY(sim_cb_head(wits, CB_ARRAY, m));
        for (uint64_t i = 0; i < m; i++) {
            MTL_TRY(sim_cb_head(wits, CB_ARRAY, 2));
            MTL_TRY(sim_cb_rand_bytes(wits, r, 32));
            MTL_TRY(sim_cb_rand_bytes(wits, r, 64));
        }
    }
    return MTL_OK;
}
