/* tx_index.c - the transactions store's hash index (transaction or block
 * hash -> block), per imported chunk: the keys (8-byte hash prefix, block)
 * of its blocks and transactions sorted in runs of about 4 KB, and a blocked
 * Bloom filter of the prefixes. An import writes a few rows a chunk; a
 * lookup probes the filters (kept in memory, read from the store as it
 * grows) and reads one run of each chunk that may hold the hash. */
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "db.h"
#include "tx_store_int.h"

/* A run's key: the prefix (8 bytes) and the block's offset from the chunk's
 * first block (4 bytes), big-endian, so a run is searched in place. A run's
 * row fits one 4 KB page (a table row holds up to 4061 bytes in its page;
 * larger ones spill to overflow pages: a file twice as large). */
#define KEY_BYTES 12
#define RUN_KEYS 337 /* 4044 bytes */
/* The filter: 16 bits a key, in 512-bit blocks, one block a key (one cache
 * line read a chunk probed), 8 bits set in it: about 0.1% false positives,
 * so a lookup reads about one run in vain for every 1000 chunks (10 bits a
 * key gave ~1%: 6 vain reads a lookup on 520 chunks). */
#define FILTER_BITS_PER_KEY 16
#define FILTER_BLOCK_BYTES 64
#define FILTER_PROBES 8
/* A run's row id: its chunk, its number in the chunk. */
#define RUN_ID(chunk, run) ((sqlite3_int64)((chunk) << 32 | (run)))

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t prefix_of(const uint8_t h[32])
{
    return mtl_be64_get(h);
}

/* The block of a filter of nblocks blocks where prefix p sets its bits, and
 * the two numbers giving its bits (a + i * b, b odd: all distinct). */
static size_t filter_block(uint64_t p, size_t nblocks, unsigned *a, unsigned *b)
{
    uint64_t h = mix(p);
    *a = (unsigned)h & 511;
    *b = (unsigned)(h >> 9) & 511;
    *b |= 1;
    return (size_t)(((h >> 32) * (uint64_t)nblocks) >> 32);
}

static void filter_set(uint8_t *f, size_t nblocks, uint64_t p)
{
    unsigned a, b;
    uint8_t *blk = f + FILTER_BLOCK_BYTES * filter_block(p, nblocks, &a, &b);
    for (int i = 0; i < FILTER_PROBES; i++, a = (a + b) & 511)
        blk[a >> 3] |= (uint8_t)(1u << (a & 7));
}

static bool filter_may_hold(const uint8_t *f, size_t nblocks, uint64_t p)
{
    unsigned a, b;
    const uint8_t *blk = f + FILTER_BLOCK_BYTES * filter_block(p, nblocks, &a, &b);
    for (int i = 0; i < FILTER_PROBES; i++, a = (a + b) & 511)
        if (!(blk[a >> 3] & (1u << (a & 7))))
            return false;
    return true;
}

/* ---- import ----------------------------------------------------------------------- */

mtl_err tx_index_add(struct app_tx_store *s, uint64_t block, const uint8_t (*txs)[32], size_t n)
{
    MTL_TRY(tx_grow((void **)&s->keys, &s->capkeys, s->nkeys + n, sizeof(*s->keys)));
    for (size_t i = 0; i < n; i++)
        s->keys[s->nkeys++] = (struct tx_key){prefix_of(txs[i]), block};
    return MTL_OK;
}

/* Keys by prefix, stable (so by block for one prefix: they came in block
 * order): a byte-wise radix sort, through the kept second array. */
static mtl_err sort_keys(struct app_tx_store *s)
{
    MTL_TRY(tx_grow((void **)&s->keys2, &s->capkeys2, s->nkeys, sizeof(*s->keys2)));
    struct tx_key *from = s->keys, *to = s->keys2;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < s->nkeys; i++)
            count[((from[i].prefix >> shift) & 255) + 1]++;
        if (count[((from[0].prefix >> shift) & 255) + 1] == s->nkeys)
            continue; /* every key has this byte: nothing moves */
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < s->nkeys; i++)
            to[count[(from[i].prefix >> shift) & 255]++] = from[i];
        struct tx_key *t = from;
        from = to;
        to = t;
    }
    if (from != s->keys) { /* the sorted keys are in the second array: swap the arrays */
        struct tx_key *k = s->keys;
        size_t c = s->capkeys;
        s->keys = s->keys2;
        s->capkeys = s->capkeys2;
        s->keys2 = k;
        s->capkeys2 = c;
    }
    return MTL_OK;
}

/* The runs: RUN_KEYS keys each, a prefix never split across two runs (a
 * lookup reads the one run whose first prefix is the highest not above its
 * own); their first prefixes (the fences) go to the filter's row, after the
 * filter in s->ibuf. */
static mtl_err write_runs(struct app_tx_store *s, uint64_t chunk, uint64_t first, size_t fbytes,
                          size_t *nfences)
{
    uint8_t *w = s->ibuf + fbytes, *fence = w + KEY_BYTES * s->nkeys;
    for (size_t i = 0; i < s->nkeys; i++, w += KEY_BYTES) {
        mtl_be64_put(w, s->keys[i].prefix);
        mtl_be32_put(w + 8, (uint32_t)(s->keys[i].block - first));
    }
    sqlite3_stmt *st = s->ins_run;
    size_t run = 0;
    for (size_t i = 0; i < s->nkeys; run++) {
        size_t j = i + RUN_KEYS < s->nkeys ? i + RUN_KEYS : s->nkeys;
        while (j < s->nkeys && s->keys[j].prefix == s->keys[j - 1].prefix)
            j++;
        mtl_be64_put(fence + 8 * run, s->keys[i].prefix);
        sqlite3_bind_int64(st, 1, RUN_ID(chunk, run));
        sqlite3_bind_blob(st, 2, s->ibuf + fbytes + KEY_BYTES * i, (int)(KEY_BYTES * (j - i)),
                          SQLITE_STATIC);
        MTL_TRY(tx_step_done(s, st, "insert transactions run"));
        i = j;
    }
    *nfences = run;
    return MTL_OK;
}

mtl_err tx_index_write_chunk(struct app_tx_store *s, uint64_t chunk)
{
    if (s->nkeys == 0)
        return MTL_OK;
    /* keys came in block order: the chunk's blocks are the first's to the last's */
    uint64_t first = s->keys[0].block, last = s->keys[s->nkeys - 1].block;
    MTL_CHECK(last - first <= UINT32_MAX, MTL_ERR_INTEGRITY,
              "chunk %05llu: blocks %llu to %llu: too many for the transactions index",
              (unsigned long long)chunk, (unsigned long long)first, (unsigned long long)last);
    size_t nblocks =
        (s->nkeys * FILTER_BITS_PER_KEY + 8 * FILTER_BLOCK_BYTES - 1) / (8 * FILTER_BLOCK_BYTES);
    size_t fbytes = nblocks * FILTER_BLOCK_BYTES, nfences = 0;
    /* the filter, the runs' keys, at most one fence a key */
    MTL_TRY(tx_grow((void **)&s->ibuf, &s->capibuf, fbytes + (KEY_BYTES + 8) * s->nkeys, 1));
    memset(s->ibuf, 0, fbytes);
    for (size_t i = 0; i < s->nkeys; i++)
        filter_set(s->ibuf, nblocks, s->keys[i].prefix);
    MTL_TRY(sort_keys(s));
    MTL_TRY(write_runs(s, chunk, first, fbytes, &nfences));
    sqlite3_stmt *st = s->ins_filter;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)chunk);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)first);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)last);
    sqlite3_bind_blob(st, 4, s->ibuf, (int)fbytes, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, s->ibuf + fbytes + KEY_BYTES * s->nkeys, (int)(8 * nfences),
                      SQLITE_STATIC);
    return tx_step_done(s, st, "insert transactions filter");
}

/* ---- lookup ------------------------------------------------------------------------ */

void tx_index_free(struct tx_filters *f)
{
    mtl_free(f->c);
    mtl_free(f->bits);
    mtl_free(f->fences);
    memset(f, 0, sizeof(*f));
}

static mtl_err add_filter(struct tx_filters *f, sqlite3_stmt *st)
{
    uint64_t chunk = (uint64_t)sqlite3_column_int64(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 3), nf = (size_t)sqlite3_column_bytes(st, 4);
    MTL_CHECK(n > 0 && n % FILTER_BLOCK_BYTES == 0 && nf > 0 && nf % 8 == 0, MTL_ERR_DB,
              "transactions store: chunk %05llu: a filter of %zu bytes, fences of %zu",
              (unsigned long long)chunk, n, nf);
    MTL_TRY(tx_grow((void **)&f->c, &f->cap, f->n + 1, sizeof(*f->c)));
    MTL_TRY(tx_grow((void **)&f->bits, &f->capbytes, f->nbytes + n, 1));
    MTL_TRY(tx_grow((void **)&f->fences, &f->capfences, f->nfences + nf / 8, sizeof(*f->fences)));
    memcpy(f->bits + f->nbytes, sqlite3_column_blob(st, 3), n);
    const uint8_t *p = sqlite3_column_blob(st, 4);
    for (size_t i = 0; i < nf / 8; i++)
        f->fences[f->nfences + i] = mtl_be64_get(p + 8 * i);
    f->c[f->n++] = (struct tx_chunk_filter){chunk,
                                            (uint64_t)sqlite3_column_int64(st, 1),
                                            (uint64_t)sqlite3_column_int64(st, 2),
                                            f->nbytes,
                                            n / FILTER_BLOCK_BYTES,
                                            f->nfences,
                                            nf / 8};
    f->nbytes += n;
    f->nfences += nf / 8;
    f->next = chunk + 1;
    return MTL_OK;
}

mtl_err tx_index_refresh(struct app_tx_store *s)
{
    if (!s->sel_filters)
        MTL_TRY(app_db_prepare(s->db, &s->sel_filters,
                               "SELECT chunk, first_block, last_block, filter, fences"
                               " FROM cardano_tx_filter"
                               " WHERE chunk >= ? ORDER BY chunk"));
    sqlite3_stmt *st = s->sel_filters;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)s->filters.next);
    mtl_err e = MTL_OK;
    int rc;
    while (e == MTL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        e = add_filter(&s->filters, st);
    if (e == MTL_OK && rc != SQLITE_DONE)
        e = mtl_seterr(MTL_ERR_DB, "sqlite: transactions filters: %s", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return e;
}

/* Whether block number is the block of hash (is_block) or holds the
 * transaction of hash: the full 32 bytes, the index knows prefixes only. */
static mtl_err block_has(struct app_tx_store *s, int is_block, uint64_t number,
                         const uint8_t hash[32], int *has)
{
    if (!s->sel_txs)
        MTL_TRY(app_db_prepare(s->db, &s->sel_txs,
                               "SELECT block_hash, tx_hashes FROM cardano_block"
                               " WHERE block_number = ?"));
    sqlite3_stmt *st = s->sel_txs;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)number);
    int rc = sqlite3_step(st);
    *has = 0;
    if (rc == SQLITE_ROW) {
        const uint8_t *p = sqlite3_column_blob(st, is_block ? 0 : 1);
        size_t n = (size_t)sqlite3_column_bytes(st, is_block ? 0 : 1) / 32;
        for (size_t i = 0; i < n && !*has; i++)
            *has = memcmp(p + 32 * i, hash, 32) == 0;
    }
    sqlite3_reset(st);
    MTL_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE, MTL_ERR_DB, "sqlite: block lookup: %s",
              sqlite3_errmsg(s->db));
    return MTL_OK;
}

/* The lowest block <= limit of chunk c's run keys for hash that holds it. */
static mtl_err find_in_run(struct app_tx_store *s, const struct tx_chunk_filter *c,
                           const uint8_t *run, size_t n, int is_block, const uint8_t hash[32],
                           uint64_t limit, uint64_t *number, int *found)
{
    uint64_t p = prefix_of(hash);
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mtl_be64_get(run + KEY_BYTES * mid) < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < n && !*found && mtl_be64_get(run + KEY_BYTES * i) == p; i++) {
        uint64_t b = c->first_block + mtl_be32_get(run + KEY_BYTES * i + 8);
        if (b > limit || b > c->last_block)
            break;
        MTL_TRY(block_has(s, is_block, b, hash, found));
        *number = b;
    }
    return MTL_OK;
}

static mtl_err find_in_chunk(struct app_tx_store *s, const struct tx_chunk_filter *c, int is_block,
                             const uint8_t hash[32], uint64_t limit, uint64_t *number, int *found)
{
    /* the run: the last whose first prefix is not above the hash's */
    const uint64_t *fence = s->filters.fences + c->fence_at;
    uint64_t p = prefix_of(hash);
    size_t lo = 0, hi = c->nfences;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fence[mid] <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return MTL_OK;
    if (!s->sel_run)
        MTL_TRY(app_db_prepare(s->db, &s->sel_run, "SELECT keys FROM cardano_tx_run WHERE id = ?"));
    sqlite3_stmt *st = s->sel_run;
    sqlite3_bind_int64(st, 1, RUN_ID(c->chunk, lo - 1));
    int rc = sqlite3_step(st);
    mtl_err e = MTL_OK;
    size_t n = rc == SQLITE_ROW ? (size_t)sqlite3_column_bytes(st, 0) : 0;
    if (rc != SQLITE_ROW)
        e = mtl_seterr(MTL_ERR_DB, "transactions store: chunk %05llu: run %zu: %s",
                       (unsigned long long)c->chunk, lo - 1,
                       rc == SQLITE_DONE ? "missing" : sqlite3_errmsg(s->db));
    else if (n % KEY_BYTES != 0)
        e = mtl_seterr(MTL_ERR_DB, "transactions store: chunk %05llu: a run of %zu bytes",
                       (unsigned long long)c->chunk, n);
    else
        e = find_in_run(s, c, sqlite3_column_blob(st, 0), n / KEY_BYTES, is_block, hash, limit,
                        number, found);
    sqlite3_reset(st);
    return e;
}

mtl_err tx_index_find(struct app_tx_store *s, int is_block, const uint8_t hash[32], uint64_t limit,
                      uint64_t *number, int *found)
{
    const struct tx_filters *f = &s->filters;
    uint64_t p = prefix_of(hash);
    *found = 0;
    for (size_t i = 0; i < f->n && !*found && f->c[i].first_block <= limit; i++)
        if (filter_may_hold(f->bits + f->c[i].at, f->c[i].nblocks, p))
            MTL_TRY(find_in_chunk(s, &f->c[i], is_block, hash, limit, number, found));
    return MTL_OK;
}
