/* sim_pools.c - the stake pools of cardano-node-sim: per pool a cold Ed25519
 * key, a Sum6KES key and an operational certificate, all derived from the
 * seed, and the files an SPO keeps for them (cardano-cli TextEnvelopes). */
#define _GNU_SOURCE
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mithril/pool_identity.h"
#include "sim.h"

/* cardano-cli's types of a pool's cold key files (cardano-api appends the
 * algorithm name, as for the KES key types). */
#define COLD_VK_TYPE MTL_COLD_VK_TYPE
#define COLD_SK_TYPE MTL_COLD_SK_TYPE

/* Seeds of pool i: cold key, VRF key (stand-in), KES key. */
struct pool_seeds {
    uint8_t cold[32], vrf[32], kes[32];
};

static void pool_seeds(const struct sim *s, uint64_t i, struct pool_seeds *ps)
{
    struct sim_rng r;
    sim_rng_init(&r, s->p.seed, SIM_TAG_POOL, i);
    sim_rng_bytes(&r, ps->cold, 32);
    sim_rng_bytes(&r, ps->vrf, 32);
    sim_rng_bytes(&r, ps->kes, 32);
    mtl_memzero(&r, sizeof r);
}

/* Cold key pair (libsodium form) and, when kes_out is given, the KES key at
 * period 0 (free with mtl_kes_sk_free); opcert issue 0 from period 0. */
static mtl_err pool_keys(const struct sim *s, uint64_t i, struct sim_pool *p,
                         uint8_t cold_sk[MTL_COLD_SK_BYTES], struct mtl_kes_sk **kes_out)
{
    struct pool_seeds ps;
    struct mtl_kes_sk *kes = NULL;
    uint8_t kes_vk[MTL_KES_VK_BYTES];
    pool_seeds(s, i, &ps);
    mtl_err rc = MTL_OK;
    if (crypto_sign_seed_keypair(p->cold_vkey, cold_sk, ps.cold) != 0) {
        rc = mtl_seterr(MTL_ERR_INTERNAL, "pool %llu: Ed25519 key generation failed",
                        (unsigned long long)i);
        goto out;
    }
    memcpy(p->vrf_vkey, ps.vrf, 32);
    sim_blake2b(p->key_hash, 28, p->cold_vkey, 32);
    if ((rc = mtl_kes_sk_keygen(&kes, kes_vk, ps.kes)) != MTL_OK)
        goto out;
    rc = mtl_opcert_issue(&p->opcert, kes_vk, 0, 0, cold_sk);
    if (rc == MTL_OK && kes_out) {
        *kes_out = kes;
        kes = NULL;
    }
out:
    mtl_kes_sk_free(kes);
    mtl_memzero(&ps, sizeof ps);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "pool %llu keys", (unsigned long long)i);
}

mtl_err sim_pools_init(struct sim *s)
{
    uint8_t cold_sk[MTL_COLD_SK_BYTES];
    mtl_err rc = MTL_OK;
    for (uint64_t i = 0; i < s->p.pools && rc == MTL_OK; i++)
        rc = pool_keys(s, i, &s->pools[i], cold_sk, NULL);
    mtl_memzero(cold_sk, sizeof cold_sk);
    return rc;
}

static mtl_err write_key(const char *dir, const char *name, const char *type, const char *desc,
                         const uint8_t key[32], unsigned mode)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return mtl_text_envelope_write_key(path, type, desc, key, 32, mode);
}

/* Does dir/cold.vkey hold this key? (-1: no file) */
static int same_cold_key(const char *dir, const uint8_t vk[32], mtl_err *rc)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/cold.vkey", dir);
    *rc = MTL_OK;
    if (access(path, F_OK) != 0)
        return -1;
    uint8_t *have = NULL;
    size_t n = 0;
    *rc = mtl_text_envelope_read(path, COLD_VK_TYPE, &have, &n);
    int same = *rc == MTL_OK && n == 32 && memcmp(have, vk, 32) == 0;
    mtl_free(have);
    return same;
}

static mtl_err write_pool(struct sim *s, uint64_t i, const char *dir)
{
    uint8_t cold_sk[MTL_COLD_SK_BYTES];
    struct sim_pool p;
    struct mtl_kes_sk *kes = NULL;
    char path[4300], hex[57], id[64];
    mtl_err rc = pool_keys(s, i, &p, cold_sk, &kes);
    if (rc != MTL_OK)
        goto out;
    int same = same_cold_key(dir, p.cold_vkey, &rc);
    if (same == 1)
        goto out; /* written by an earlier run with this seed */
    if (same == 0) {
        rc = mtl_seterr(MTL_ERR_STATE,
                        "%s/cold.vkey is not the cold key of pool %llu with seed %llu "
                        "(another --seed made it%s%s); refusing to overwrite",
                        dir, (unsigned long long)i, (unsigned long long)s->p.seed,
                        rc != MTL_OK ? ": " : "", rc != MTL_OK ? mtl_err_detail() : "");
        goto out;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = mtl_seterr(MTL_ERR_IO, "%s: mkdir: %s", dir, strerror(errno));
        goto out;
    }
    /* cardano-cli's types and descriptions; the cold.skey holds the seed. */
    rc =
        write_key(dir, "cold.skey", COLD_SK_TYPE, "Stake Pool Operator Signing Key", cold_sk, 0600);
    snprintf(path, sizeof path, "%s/kes.skey", dir);
    if (rc == MTL_OK)
        rc = mtl_kes_sk_write_file(kes, path);
    if (rc == MTL_OK)
        rc = write_key(dir, "kes.vkey", MTL_KES_VK_TYPE, "KES Verification Key", p.opcert.kes_vk,
                       0644);
    snprintf(path, sizeof path, "%s/opcert.cert", dir);
    if (rc == MTL_OK)
        rc = mtl_opcert_write_file(&p.opcert, path);
    mtl_hex_encode(hex, sizeof hex, p.key_hash, 28);
    if (rc == MTL_OK && (rc = mtl_pool_id_bech32(hex, id)) == MTL_OK) {
        size_t n = strlen(id);
        id[n] = '\n'; /* 56 characters: room to spare */
        snprintf(path, sizeof path, "%s/pool.id", dir);
        rc = mtl_atomic_write(path, id, n + 1, 0644);
    }
    /* cold.vkey last: its presence says the directory is complete. */
    if (rc == MTL_OK)
        rc = write_key(dir, "cold.vkey", COLD_VK_TYPE, "Stake Pool Operator Verification Key",
                       p.cold_vkey, 0644);
out:
    mtl_kes_sk_free(kes);
    mtl_memzero(cold_sk, sizeof cold_sk);
    return rc;
}

mtl_err sim_pools_write(struct sim *s)
{
    MTL_CHECK(mkdir(s->p.pools_dir, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "%s: mkdir: %s",
              s->p.pools_dir, strerror(errno));
    for (uint64_t i = 0; i < s->p.pools; i++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%llu", s->p.pools_dir, (unsigned long long)i);
        MTL_TRY(write_pool(s, i, dir));
    }
    return MTL_OK;
}
