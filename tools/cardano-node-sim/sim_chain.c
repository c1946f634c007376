/* sim_chain.c - blocks, ImmutableDB trio writer, VolatileDB files, ledger
 * snapshots and stakes of cardano-node-sim (spec cardano-db.md 1.1, 5). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

/* ---------------------------------------------------------------- PRNG */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sim_rng_init(struct sim_rng *r, uint64_t seed, uint64_t tag, uint64_t index)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ (tag * 0xd1b54a32d192ed03ULL);
    x = splitmix64(&x) ^ index;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

uint64_t sim_rng_u64(struct sim_rng *r)
{
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

void sim_rng_bytes(struct sim_rng *r, uint8_t *out, size_t n)
{
    /* little-endian whatever the host, so every machine writes the same DB */
    while (n) {
        uint64_t v = sim_rng_u64(r);
        for (int i = 0; i < 8 && n; i++, n--, v >>= 8)
            *out++ = (uint8_t)v;
    }
}

/* ------------------------------------------------------- CRC32, BLAKE2b */

uint32_t sim_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int j = 0; j < 8; j++)
                c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

void sim_blake2b(uint8_t *out, size_t outlen, const uint8_t *in, size_t n)
{
    crypto_generichash(out, outlen, in, n, NULL, 0);
}

/* ---------------------------------------------------------------- CBOR */

mtl_err sim_cb_head(struct mtl_buf *b, unsigned major, uint64_t v)
{
    uint8_t h[9];
    size_t n;
    uint8_t m = (uint8_t)(major << 5);
    if (v < 24) {
        h[0] = m | (uint8_t)v;
        n = 1;
    } else if (v <= 0xff) {
        h[0] = m | 24;
        h[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xffff) {
        h[0] = m | 25;
        h[1] = (uint8_t)(v >> 8);
        h[2] = (uint8_t)v;
        n = 3;
    } else if (v <= 0xffffffffULL) {
        h[0] = m | 26;
        mtl_be32_put(h + 1, (uint32_t)v);
        n = 5;
    } else {
        h[0] = m | 27;
        mtl_be64_put(h + 1, v);
        n = 9;
    }
    return mtl_buf_append(b, h, n);
}
mtl_err sim_cb_bytes(struct mtl_buf *b, const uint8_t *p, size_t n)
{
    MTL_TRY(sim_cb_head(b, CB_BYTES, n));
    return mtl_buf_append(b, p, n);
}

mtl_err sim_cb_rand_bytes(struct mtl_buf *b, struct sim_rng *r, size_t n)
{
    uint8_t tmp[512];
    MTL_ASSERT(n <= sizeof tmp);
    sim_rng_bytes(r, tmp, n);
    return sim_cb_bytes(b, tmp, n);
}

/* -------------------------------------------------------------- blocks */

#define BLOCK_CAP ((size_t)1 << 31)

static mtl_err make_header(struct sim *s, struct sim_rng *r, const struct sim_pool *pool,
                           uint64_t slot, uint64_t body_size, const uint8_t body_hash[32],
                           struct mtl_buf *h)
{
    MTL_TRY(sim_cb_head(h, CB_ARRAY, 2));
    MTL_TRY(sim_cb_head(h, CB_ARRAY, 10));
    MTL_TRY(sim_cb_head(h, CB_UINT, s->next_block));
    MTL_TRY(sim_cb_head(h, CB_UINT, slot));
    if (s->has_tip)
        MTL_TRY(sim_cb_bytes(h, s->tip_hash, 32));
    else
        MTL_TRY(mtl_buf_append(h, "\xf6", 1)); /* null: genesis */
    MTL_TRY(sim_cb_bytes(h, pool->cold_vkey, 32));
    MTL_TRY(sim_cb_bytes(h, pool->vrf_vkey, 32));
    MTL_TRY(sim_cb_head(h, CB_ARRAY, 2)); /* vrf_result [output, proof] */
    MTL_TRY(sim_cb_rand_bytes(h, r, 64));
    MTL_TRY(sim_cb_rand_bytes(h, r, 80));
    MTL_TRY(sim_cb_head(h, CB_UINT, body_size));
    MTL_TRY(sim_cb_bytes(h, body_hash, 32));
    MTL_TRY(sim_cb_head(h, CB_ARRAY, 4)); /* operational_cert: the pool's own */
    MTL_TRY(sim_cb_bytes(h, pool->opcert.kes_vk, 32));
    MTL_TRY(sim_cb_head(h, CB_UINT, pool->opcert.issue_number));
    MTL_TRY(sim_cb_head(h, CB_UINT, pool->opcert.start_kes_period));
    MTL_TRY(sim_cb_bytes(h, pool->opcert.sigma, 64));
    MTL_TRY(sim_cb_head(h, CB_ARRAY, 2)); /* protocol_version */
    MTL_TRY(sim_cb_head(h, CB_UINT, 10));
    MTL_TRY(sim_cb_head(h, CB_UINT, 0));
    return sim_cb_rand_bytes(h, r, 448); /* KES signature */
}

/* --tx-log: "<block number> <slot> <block hash> [<transaction id>...]". */
static mtl_err tx_log_block(struct sim *s, const struct sim_block *b)
{
    if (!s->tx_log)
        return MTL_OK;
    char hex[65];
    mtl_hex_encode(hex, sizeof hex, b->hash, 32);
    fprintf(s->tx_log, "%llu %llu %s", (unsigned long long)b->block_no,
            (unsigned long long)b->slot, hex);
    for (size_t i = 0; i + 32 <= s->tx_ids.len; i += 32) {
        mtl_hex_encode(hex, sizeof hex, s->tx_ids.data + i, 32);
        fprintf(s->tx_log, " %s", hex);
    }
    MTL_CHECK(fputc('\n', s->tx_log) != EOF && fflush(s->tx_log) == 0, MTL_ERR_IO,
              "--tx-log: write failed");
    return MTL_OK;
}

mtl_err sim_make_block(struct sim *s, uint64_t slot, struct sim_block *out, bool *made)
{
    struct sim_rng r;
    sim_rng_init(&r, s->p.seed, SIM_TAG_SLOT, slot);
    *made = false;
    double u = (double)(sim_rng_u64(&r) >> 11) / 9007199254740992.0;
    if (u >= s->p.f)
        return MTL_OK;
    const struct sim_pool *pool = &s->pools[sim_rng_u64(&r) % s->p.pools];
    uint64_t pad = 0, ntx = sim_tx_count(s, &r);
    if (s->p.tx_bytes > 0)
        pad = s->p.tx_bytes / 2 + sim_rng_u64(&r) % (s->p.tx_bytes + 1);
    struct mtl_buf part[4], hdr, blk;
    for (int i = 0; i < 4; i++)
        mtl_buf_init(&part[i], BLOCK_CAP);
    mtl_buf_init(&hdr, BLOCK_CAP);
    mtl_buf_init(&blk, BLOCK_CAP);
    mtl_buf_reset(&s->tx_ids);
    mtl_err rc = sim_make_txs(s, &r, slot, ntx, pad, &part[0], &part[1], &s->tx_ids);
    if (rc == MTL_OK)
        rc = mtl_buf_append(&part[2], "\xa0", 1); /* auxiliary_data_map {} */
    if (rc == MTL_OK)
        rc = mtl_buf_append(&part[3], "\x80", 1); /* invalid_transactions [] */
    if (rc != MTL_OK)
        goto out;
    uint8_t hashes[4 * 32], body_hash[32];
    uint64_t body_size = 0;
    for (int i = 0; i < 4; i++) {
        sim_blake2b(hashes + 32 * i, 32, part[i].data, part[i].len);
        body_size += part[i].len;
    }
    sim_blake2b(body_hash, 32, hashes, sizeof hashes);
    rc = make_header(s, &r, pool, slot, body_size, body_hash, &hdr);
    if (rc == MTL_OK)
        rc = mtl_buf_append(&blk, "\x82\x07\x85", 3); /* [7 (Conway), [5 items]] */
    if (rc == MTL_OK)
        rc = mtl_buf_append(&blk, hdr.data, hdr.len);
    for (int i = 0; i < 4 && rc == MTL_OK; i++)
        rc = mtl_buf_append(&blk, part[i].data, part[i].len);
    if (rc != MTL_OK)
        goto out;
    out->block_no = s->next_block;
    out->slot = slot;
    out->header_size = (uint32_t)hdr.len;
    sim_blake2b(out->hash, 32, hdr.data, hdr.len);
    if ((rc = tx_log_block(s, out)) != MTL_OK)
        goto out;
    out->bytes = mtl_buf_take(&blk, &out->len);
    *made = true;
out:
    for (int i = 0; i < 4; i++)
        mtl_buf_free(&part[i]);
    mtl_buf_free(&hdr);
    mtl_buf_free(&blk);
    return rc;
}

/* ------------------------------------------------------- ImmutableDB */

static mtl_err open_trio(struct sim *s, uint64_t no, bool fresh)
{
    static const char *ext[3] = {"chunk", "secondary", "primary"}; /* node order */
    int *fds[3] = {&s->ch.fd_chunk, &s->ch.fd_secondary, &s->ch.fd_primary};
    char path[4200];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/immutable/%05llu.%s", s->p.db, (unsigned long long)no,
                 ext[i]);
        int fl = O_WRONLY | O_APPEND | O_CLOEXEC | (fresh ? O_CREAT | O_TRUNC : 0);
        *fds[i] = open(path, fl, 0644);
        MTL_CHECK(*fds[i] >= 0, MTL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    s->ch.no = no;
    if (fresh) {
        static const uint8_t first[5] = {1, 0, 0, 0, 0}; /* version 1, offsets[0] = 0 */
        MTL_TRY(mtl_write_all(s->ch.fd_primary, first, 5, "primary"));
        s->ch.chunk_len = s->ch.secondary_len = 0;
        s->ch.n_offsets = 1;
    }
    return MTL_OK;
}

void sim_chunk_close(struct sim *s)
{
    int *fds[3] = {&s->ch.fd_chunk, &s->ch.fd_secondary, &s->ch.fd_primary};
    for (int i = 0; i < 3; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

mtl_err sim_chunk_open_fresh(struct sim *s)
{
    return open_trio(s, 0, true);
}

mtl_err sim_chunk_resume(struct sim *s, uint64_t no, uint64_t chunk_len, uint64_t sec_len,
                         uint64_t n_offsets)
{
    MTL_TRY(open_trio(s, no, false));
    struct stat st[3];
    int fds[3] = {s->ch.fd_chunk, s->ch.fd_secondary, s->ch.fd_primary};
    uint64_t want[3] = {chunk_len, sec_len, 1 + 4 * n_offsets};
    static const char *ext[3] = {"chunk", "secondary", "primary"};
    for (int i = 0; i < 3; i++) {
        MTL_CHECK(fstat(fds[i], &st[i]) == 0, MTL_ERR_IO, "fstat: %s", strerror(errno));
        MTL_CHECK((uint64_t)st[i].st_size == want[i], MTL_ERR_STATE,
                  "immutable/%05llu.%s: %lld bytes on disk, the checkpoint says %llu "
                  "(DB modified or the previous run was killed mid-write)",
                  (unsigned long long)no, ext[i], (long long)st[i].st_size,
                  (unsigned long long)want[i]);
    }
    s->ch.chunk_len = chunk_len;
    s->ch.secondary_len = sec_len;
    s->ch.n_offsets = n_offsets;
    return MTL_OK;
}

static mtl_err primary_fill(struct sim *s, uint64_t count, uint32_t value)
{
    uint8_t buf[4096];
    while (count) {
        size_t n = count > sizeof buf / 4 ? sizeof buf / 4 : (size_t)count;
        for (size_t i = 0; i < n; i++)
            mtl_be32_put(buf + 4 * i, value);
        MTL_TRY(mtl_write_all(s->ch.fd_primary, buf, 4 * n, "primary"));
        s->ch.n_offsets += n;
        count -= n;
    }
    return MTL_OK;
}

/* Back-fill the primary to chunk_size + 2 offsets and open the next chunk. */
static mtl_err finalise_and_next(struct sim *s)
{
    MTL_TRY(primary_fill(s, s->chunk_size + 2 - s->ch.n_offsets, (uint32_t)s->ch.secondary_len));
    uint64_t next = s->ch.no + 1;
    sim_chunk_close(s);
    MTL_TRY(open_trio(s, next, true));
    /* A ledger snapshot of the immutable tip, like the node's periodic ones. */
    if (s->ch.has_block)
        MTL_TRY(sim_ledger_snapshot(s, s->ch.last_slot));
    return MTL_OK;
}

mtl_err sim_immutable_append(struct sim *s, const struct sim_block *b)
{
    uint64_t c = b->slot / s->chunk_size, rel = b->slot % s->chunk_size + 1;
    while (s->ch.no < c)
        MTL_TRY(finalise_and_next(s));
    MTL_CHECK(s->ch.no == c && rel + 1 >= s->ch.n_offsets, MTL_ERR_INTERNAL,
              "block at slot %llu goes before the immutable tip", (unsigned long long)b->slot);
    MTL_CHECK(s->ch.secondary_len + 56 <= UINT32_MAX, MTL_ERR_TOO_BIG,
              "chunk %llu: secondary index over 4 GiB", (unsigned long long)c);
    uint8_t e[56];
    mtl_be64_put(e, s->ch.chunk_len);
    e[8] = 0;
    e[9] = 3; /* header after "82 07 85" */
    e[10] = (uint8_t)(b->header_size >> 8);
    e[11] = (uint8_t)b->header_size;
    mtl_be32_put(e + 12, sim_crc32(0, b->bytes, b->len));
    memcpy(e + 16, b->hash, 32);
    mtl_be64_put(e + 48, b->slot);
    MTL_TRY(mtl_write_all(s->ch.fd_chunk, b->bytes, b->len, "chunk"));
    MTL_TRY(mtl_write_all(s->ch.fd_secondary, e, sizeof e, "secondary"));
    uint64_t r0 = s->ch.n_offsets - 1;
    MTL_TRY(primary_fill(s, rel - r0, (uint32_t)s->ch.secondary_len));
    MTL_TRY(primary_fill(s, 1, (uint32_t)(s->ch.secondary_len + 56)));
    s->ch.chunk_len += b->len;
    s->ch.secondary_len += 56;
    s->ch.last_slot = b->slot;
    s->ch.has_block = true;
    return MTL_OK;
}

/* --------------------------------------------------------- VolatileDB */

mtl_err sim_write_plain(const char *path, const void *data, size_t len)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    mtl_err rc = mtl_write_all(fd, data, len, tmp);
    close(fd);
    if (rc == MTL_OK && rename(tmp, path) != 0)
        rc = mtl_seterr(MTL_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
    if (rc != MTL_OK)
        unlink(tmp);
    return rc;
}

static void vol_path(const struct sim *s, uint64_t block_no, char *out, size_t cap)
{
    snprintf(out, cap, "%s/volatile/blocks-%llu.dat", s->p.db, (unsigned long long)block_no);
}

mtl_err sim_volatile_write(struct sim *s, const struct sim_block *b)
{
    char path[4200];
    vol_path(s, b->block_no, path, sizeof path);
    return sim_write_plain(path, b->bytes, b->len);
}

mtl_err sim_volatile_remove(struct sim *s, uint64_t block_no)
{
    char path[4200];
    vol_path(s, block_no, path, sizeof path);
    MTL_CHECK(unlink(path) == 0 || errno == ENOENT, MTL_ERR_IO, "%s: unlink: %s", path,
              strerror(errno));
    return MTL_OK;
}

/* CBOR head at *i: major type and argument (definite lengths only: all this
 * program writes). */
static bool cbr_head(const uint8_t *p, size_t n, size_t *i, unsigned *major, uint64_t *v)
{
    if (*i >= n)
        return false;
    uint8_t ib = p[(*i)++], ai = ib & 31;
    *major = ib >> 5;
    if (ai < 24) {
        *v = ai;
        return true;
    }
    if (ai > 27)
        return false;
    size_t len = (size_t)1 << (ai - 24);
    if (n - *i < len)
        return false;
    *v = 0;
    for (size_t k = 0; k < len; k++)
        *v = (*v << 8) | p[(*i)++];
    return true;
}

static bool cbr_skip(const uint8_t *p, size_t n, size_t *i, int depth)
{
    unsigned major;
    uint64_t v;
    if (depth > 16 || !cbr_head(p, n, i, &major, &v))
        return false;
    switch (major) {
    case 0:
    case 1:
    case 7:
        return true;
    case 2:
    case 3:
        if (n - *i < v)
            return false;
        *i += (size_t)v;
        return true;
    case 4:
    case 5:
        for (uint64_t k = 0; k < v * (major == 5 ? 2 : 1); k++)
            if (!cbr_skip(p, n, i, depth + 1))
                return false;
        return true;
    case 6:
        return cbr_skip(p, n, i, depth + 1);
    }
    return false;
}

/* Reload volatile block b->block_no on resume: header size, slot and hash
 * come from the block itself. */
mtl_err sim_volatile_read(struct sim *s, struct sim_block *b)
{
    char path[4200];
    vol_path(s, b->block_no, path, sizeof path);
    MTL_TRY(mtl_read_file(path, BLOCK_CAP, &b->bytes, &b->len));
    size_t i = 3, end = 3;
    unsigned major;
    uint64_t v, bno = 0;
    bool ok = b->len > 3 && memcmp(b->bytes, "\x82\x07\x85", 3) == 0 &&
              cbr_skip(b->bytes, b->len, &end, 0) && cbr_head(b->bytes, b->len, &i, &major, &v) &&
              major == 4 && v == 2 && cbr_head(b->bytes, b->len, &i, &major, &v) && major == 4 &&
              v == 10 && cbr_head(b->bytes, b->len, &i, &major, &bno) && major == 0 &&
              cbr_head(b->bytes, b->len, &i, &major, &b->slot) && major == 0;
    if (!ok || bno != b->block_no) {
        mtl_free(b->bytes);
        b->bytes = NULL;
        return mtl_seterr(MTL_ERR_STATE, "%s: not the Conway block number %llu this program wrote",
                          path, (unsigned long long)b->block_no);
    }
    b->header_size = (uint32_t)(end - 3);
    sim_blake2b(b->hash, 32, b->bytes + 3, b->header_size);
    return MTL_OK;
}

/* ------------------------------------------------------ ledger, stakes */

/* Live stake drifts by up to +-5 % per epoch; the node's snapshots at the
 * boundary into epoch e are mark = live(e-1), set = live(e-2), go = live(e-3). */
void sim_stakes_at_epoch(struct sim *s, uint64_t epoch)
{
    for (uint64_t i = 0; i < s->p.pools; i++) {
        struct sim_rng r;
        sim_rng_init(&r, s->p.seed, SIM_TAG_STAKE, UINT64_MAX - i);
        uint64_t init = 1000000000000ULL + sim_rng_u64(&r) % 2000000000000ULL;
        s->pools[i].live = s->pools[i].mark = s->pools[i].set = s->pools[i].go = init;
    }
    for (uint64_t e = 0; e < epoch; e++) {
        struct sim_rng r;
        sim_rng_init(&r, s->p.seed, SIM_TAG_STAKE, e);
        for (uint64_t i = 0; i < s->p.pools; i++) {
            struct sim_pool *p = &s->pools[i];
            int64_t d = (int64_t)(sim_rng_u64(&r) % 10001) - 5000;
            __int128 delta = (__int128)p->live * d / 100000;
            __int128 v = (__int128)p->live + delta;
            p->live = v < 1 ? 1 : v > (__int128)(UINT64_MAX / 2) ? UINT64_MAX / 2 : (uint64_t)v;
            p->go = p->set;
            p->set = p->mark;
            p->mark = p->live;
        }
    }
    s->stake_epoch = epoch;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Remove ledger snapshots but the newest two (the node keeps 2 by default). */
static mtl_err ledger_prune(struct sim *s)
{
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/ledger", s->p.db);
    DIR *d = opendir(dir);
    MTL_CHECK(d, MTL_ERR_IO, "%s: %s", dir, strerror(errno));
    uint64_t slots[64];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < MTL_ARRAY_LEN(slots)) {
        char *end;
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        uint64_t v = strtoull(de->d_name, &end, 10);
        if (*end == '\0')
            slots[n++] = v;
    }
    closedir(d);
    qsort(slots, n, sizeof slots[0], cmp_u64);
    for (size_t i = 0; i + 2 < n; i++) {
        static const char *files[3] = {"meta", "state", "tables"};
        for (int f = 0; f < 3; f++) {
            snprintf(path, sizeof path, "%s/%llu/%s", dir, (unsigned long long)slots[i], files[f]);
            unlink(path);
        }
        snprintf(path, sizeof path, "%s/%llu", dir, (unsigned long long)slots[i]);
        MTL_CHECK(rmdir(path) == 0, MTL_ERR_IO, "%s: rmdir: %s", path, strerror(errno));
    }
    return MTL_OK;
}

/* ledger/<slot>/{meta,state,tables}: the node >= 10.7 in-memory layout. The
 * contents are stand-ins (stakes + seeded bytes); Mithril only archives them. */
mtl_err sim_ledger_snapshot(struct sim *s, uint64_t slot)
{
    char dir[4200], tmpdir[4300], path[4400];
    snprintf(dir, sizeof dir, "%s/ledger/%llu", s->p.db, (unsigned long long)slot);
    struct stat st;
    if (stat(dir, &st) == 0)
        return MTL_OK;
    snprintf(tmpdir, sizeof tmpdir, "%s/ledger/tmp-%llu", s->p.db, (unsigned long long)slot);
    MTL_CHECK(mkdir(tmpdir, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "%s: mkdir: %s", tmpdir,
              strerror(errno));
    struct sim_rng r;
    sim_rng_init(&r, s->p.seed, SIM_TAG_LEDGER, slot);
    struct mtl_buf st_buf;
    mtl_buf_init(&st_buf, BLOCK_CAP);
    mtl_err rc = sim_cb_head(&st_buf, CB_ARRAY, 3);
    if (rc == MTL_OK)
        rc = sim_cb_head(&st_buf, CB_UINT, slot);
    if (rc == MTL_OK)
        rc = sim_cb_head(&st_buf, CB_ARRAY, s->p.pools);
    for (uint64_t i = 0; i < s->p.pools && rc == MTL_OK; i++) {
        rc = sim_cb_head(&st_buf, CB_ARRAY, 4);
        if (rc == MTL_OK)
            rc = sim_cb_bytes(&st_buf, s->pools[i].key_hash, 28);
        if (rc == MTL_OK)
            rc = sim_cb_head(&st_buf, CB_UINT, s->pools[i].mark);
        if (rc == MTL_OK)
            rc = sim_cb_head(&st_buf, CB_UINT, s->pools[i].set);
        if (rc == MTL_OK)
            rc = sim_cb_head(&st_buf, CB_UINT, s->pools[i].go);
    }
    if (rc == MTL_OK)
        rc = sim_cb_rand_bytes(&st_buf, &r, 512);
    uint8_t *tables = mtl_malloc(8192);
    if (rc == MTL_OK && !tables)
        rc = mtl_seterr(MTL_ERR_NOMEM, "ledger tables");
    if (rc == MTL_OK) {
        sim_rng_bytes(&r, tables, 8192);
        snprintf(path, sizeof path, "%s/state", tmpdir);
        rc = sim_write_plain(path, st_buf.data, st_buf.len);
    }
    if (rc == MTL_OK) {
        snprintf(path, sizeof path, "%s/tables", tmpdir);
        rc = sim_write_plain(path, tables, 8192);
    }
    if (rc == MTL_OK) {
        char meta[160];
        int n = snprintf(meta, sizeof meta,
                         "{\"backend\":\"utxohd-mem\",\"checksum\":%u,\"tablesCodecVersion\":1}",
                         sim_crc32(0, st_buf.data, st_buf.len));
        snprintf(path, sizeof path, "%s/meta", tmpdir);
        rc = sim_write_plain(path, meta, (size_t)n);
    }
    if (rc == MTL_OK && rename(tmpdir, dir) != 0)
        rc = mtl_seterr(MTL_ERR_IO, "%s: rename: %s", dir, strerror(errno));
    mtl_buf_free(&st_buf);
    mtl_free(tables);
    if (rc == MTL_OK)
        rc = ledger_prune(s);
    return rc;
}
