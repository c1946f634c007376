/* kes.c - Sum6KES over Ed25519 with Blake2b-256, as cardano-base's Sum6KES
 * and the kes crate's Sum6Kes: key generation, evolution, signing,
 * verification.
 *
 * The raw key of depth d (cardano's rawSerialiseSignKeyKES) nests the key of
 * depth d-1 first, then the seed of its right subtree (zero once used), then
 * the verification keys of its two subtrees:
 *   sk_d = sk_{d-1} || seed_d (32) || lhs_d (32) || rhs_d (32),  sk_0 = Ed25519 seed.
 * A signature nests the same way: sig_d = sig_{d-1} || lhs_d || rhs_d. */
#include <sodium.h>
#include <string.h>

#include "cardano_int.h"
#include "mithril/pool_identity.h"

struct mtl_kes_sk {
    uint8_t raw[MTL_KES_SK_BYTES];
    uint32_t period;
};

/* Bytes of a raw key of depth d. */
#define SK_SIZE(d) (32u + 96u * (unsigned)(d))
/* Offset of level d's (lhs, rhs) pair inside a signature. */
#define SIG_PAIR(d) (MTL_ED25519_SIG_BYTES + 64u * ((unsigned)(d)-1u))

size_t mtl_kes_sig_bytes(void)
{
    return MTL_KES_SIG_BYTES;
}

size_t mtl_kes_sk_bytes(void)
{
    return MTL_KES_SK_BYTES;
}

/* Blake2b-256 of lhs || rhs (contiguous in keys and signatures). */
static void hash_pair(uint8_t out[32], const uint8_t pair[64])
{
    crypto_generichash(out, 32, pair, 64, NULL, 0);
}

/* The seed of the left subtree is Blake2b-256(1 || seed), of the right one
 * Blake2b-256(2 || seed); the parent seed is erased. */
static void split_seed(uint8_t left[32], uint8_t right[32], uint8_t seed[32])
{
    uint8_t buf[33];
    buf[0] = 1;
    memcpy(buf + 1, seed, 32);
    crypto_generichash(left, 32, buf, sizeof buf, NULL, 0);
    buf[0] = 2;
    crypto_generichash(right, 32, buf, sizeof buf, NULL, 0);
    mtl_memzero(buf, sizeof buf);
    mtl_memzero(seed, 32);
}

/* Fill key[0 .. SK_SIZE(d)) from seed (erased) and give its verification key. */
static void keygen_level(uint8_t *key, unsigned d, uint8_t seed[32], uint8_t vk[32])
{
    if (d == 0) {
        uint8_t sk64[crypto_sign_ed25519_SECRETKEYBYTES];
        crypto_sign_ed25519_seed_keypair(vk, sk64, seed);
        memcpy(key, seed, 32);
        mtl_memzero(sk64, sizeof sk64);
        mtl_memzero(seed, 32);
        return;
    }
    uint8_t left[32], right[32], scratch[SK_SIZE(MTL_KES_DEPTH - 1)];
    size_t sub = SK_SIZE(d - 1);
    split_seed(left, right, seed);
    memcpy(key + sub, right, 32);
    keygen_level(key, d - 1, left, key + sub + 32);
    /* The right subtree is only needed for its verification key for now. */
    keygen_level(scratch, d - 1, right, key + sub + 64);
    mtl_memzero(scratch, sub);
    hash_pair(vk, key + sub + 32);
}

/* Evolve a key of depth d from period t to t + 1 (t + 1 < 2^d). */
static void update_level(uint8_t *key, unsigned d, uint32_t t)
{
    uint32_t half = 1u << (d - 1);
    size_t sub = SK_SIZE(d - 1);
    if (t + 1 < half) {
        update_level(key, d - 1, t);
    } else if (t + 1 == half) {
        /* Left subtree exhausted: regenerate the right one over it. */
        uint8_t seed[32], vk[32];
        memcpy(seed, key + sub, 32);
        mtl_memzero(key + sub, 32);
        keygen_level(key, d - 1, seed, vk);
    } else {
        update_level(key, d - 1, t - half);
    }
}

mtl_err mtl_kes_sk_keygen(struct mtl_kes_sk **out, uint8_t vk[MTL_KES_VK_BYTES],
                          const uint8_t seed[32])
{
    MTL_CHECK(out && vk && seed, MTL_ERR_INVALID_ARG, "KES keygen: NULL argument");
    *out = NULL;
    struct mtl_kes_sk *sk = mtl_calloc(1, sizeof *sk);
    MTL_CHECK(sk, MTL_ERR_NOMEM, "KES keygen: out of memory");
    uint8_t s[32];
    memcpy(s, seed, 32);
    keygen_level(sk->raw, MTL_KES_DEPTH, s, vk);
    *out = sk;
    return MTL_OK;
}

mtl_err mtl_kes_sk_from_bytes(struct mtl_kes_sk **out, const uint8_t *bytes, size_t len,
                              uint32_t period)
{
    MTL_CHECK(out && bytes, MTL_ERR_INVALID_ARG, "KES key: NULL argument");
    *out = NULL;
    MTL_CHECK(len == MTL_KES_SK_BYTES, MTL_ERR_BAD_ENCODING,
              "KES key: expected %d bytes (raw Sum6KES key), got %zu", MTL_KES_SK_BYTES, len);
    MTL_CHECK(period < MTL_KES_PERIODS, MTL_ERR_INVALID_ARG,
              "KES key: period %u is past the last one (%d)", period, MTL_KES_PERIODS - 1);
    struct mtl_kes_sk *sk = mtl_calloc(1, sizeof *sk);
    MTL_CHECK(sk, MTL_ERR_NOMEM, "KES key: out of memory");
    memcpy(sk->raw, bytes, MTL_KES_SK_BYTES);
    sk->period = period;
    *out = sk;
    return MTL_OK;
}

mtl_err mtl_kes_sk_to_bytes(const struct mtl_kes_sk *sk, uint8_t out[MTL_KES_SK_BYTES])
{
    MTL_CHECK(sk && out, MTL_ERR_INVALID_ARG, "KES key: NULL argument");
    memcpy(out, sk->raw, MTL_KES_SK_BYTES);
    return MTL_OK;
}

void mtl_kes_sk_free(struct mtl_kes_sk *sk)
{
    if (!sk)
        return;
    mtl_memzero(sk, sizeof *sk);
    mtl_free(sk);
}

uint32_t mtl_kes_sk_period(const struct mtl_kes_sk *sk)
{
    return sk ? sk->period : 0;
}

void mtl_kes_sk_vk(const struct mtl_kes_sk *sk, uint8_t vk[MTL_KES_VK_BYTES])
{
    hash_pair(vk, sk->raw + SK_SIZE(MTL_KES_DEPTH - 1) + 32);
}

mtl_err mtl_kes_sk_update(struct mtl_kes_sk *sk)
{
    MTL_CHECK(sk, MTL_ERR_INVALID_ARG, "KES update: NULL key");
    MTL_CHECK(sk->period + 1 < MTL_KES_PERIODS, MTL_ERR_STATE,
              "KES update: the key is at its last period (%u) and cannot evolve", sk->period);
    update_level(sk->raw, MTL_KES_DEPTH, sk->period);
    sk->period++;
    return MTL_OK;
}

mtl_err mtl_kes_sk_update_to(struct mtl_kes_sk *sk, uint32_t period)
{
    MTL_CHECK(sk, MTL_ERR_INVALID_ARG, "KES update: NULL key");
    MTL_CHECK(period >= sk->period, MTL_ERR_INVALID_ARG,
              "KES update: the key is at period %u, it cannot go back to %u", sk->period, period);
    MTL_CHECK(period < MTL_KES_PERIODS, MTL_ERR_STATE,
              "KES update: period %u is past the key's last one (%d)", period, MTL_KES_PERIODS - 1);
    while (sk->period < period)
        MTL_TRY(mtl_kes_sk_update(sk));
    return MTL_OK;
}

mtl_err mtl_kes_sign(const struct mtl_kes_sk *sk, const uint8_t *msg, size_t len,
                     uint8_t sig[MTL_KES_SIG_BYTES])
{
    MTL_CHECK(sk && sig && (msg || len == 0), MTL_ERR_INVALID_ARG, "KES sign: NULL argument");
    uint8_t pk[32], sk64[crypto_sign_ed25519_SECRETKEYBYTES];
    crypto_sign_ed25519_seed_keypair(pk, sk64, sk->raw);
    crypto_sign_ed25519_detached(sig, NULL, msg, len, sk64);
    mtl_memzero(sk64, sizeof sk64);
    for (unsigned d = 1; d <= MTL_KES_DEPTH; d++)
        memcpy(sig + SIG_PAIR(d), sk->raw + SK_SIZE(d - 1) + 32, 64);
    return MTL_OK;
}

unsigned mtl_kes_leaf_key(uint8_t leaf[32], const uint8_t sig[MTL_KES_SIG_BYTES],
                          const uint8_t vk[MTL_KES_VK_BYTES], uint32_t period)
{
    uint8_t h[32];
    uint32_t t = period;
    memcpy(leaf, vk, 32);
    for (unsigned d = MTL_KES_DEPTH; d >= 1; d--) {
        const uint8_t *pair = sig + SIG_PAIR(d);
        hash_pair(h, pair);
        if (memcmp(h, leaf, 32) != 0)
            return d;
        uint32_t half = 1u << (d - 1);
        if (t < half) {
            memcpy(leaf, pair, 32);
        } else {
            memcpy(leaf, pair + 32, 32);
            t -= half;
        }
    }
    return 0;
}

mtl_err mtl_kes_verify_walk(const uint8_t sig[MTL_KES_SIG_BYTES],
                            const uint8_t vk[MTL_KES_VK_BYTES], uint32_t period, const uint8_t *msg,
                            size_t len)
{
    uint8_t key[32];
    unsigned d = mtl_kes_leaf_key(key, sig, vk, period);
    if (d)
        return mtl_seterr(MTL_ERR_VERIFY_FAIL,
                          "KES signature: level %u keys do not hash to the %s key", d,
                          d == MTL_KES_DEPTH ? "verification" : "parent's");
    /* libsodium's verify rejects small-order keys and R, and non-canonical S,
     * as ed25519-dalek's verify_strict (the kes crate's leaf check) does. */
    if (crypto_sign_ed25519_verify_detached(sig, msg, len, key) != 0)
        return mtl_seterr(MTL_ERR_VERIFY_FAIL,
                          "KES signature: the Ed25519 leaf signature does not verify at period %u",
                          period);
    return MTL_OK;
}

mtl_err mtl_kes_verify(const uint8_t sig[MTL_KES_SIG_BYTES], const uint8_t vk[MTL_KES_VK_BYTES],
                       uint32_t period, const uint8_t *msg, size_t len)
{
    MTL_CHECK(sig && vk && (msg || len == 0), MTL_ERR_INVALID_ARG, "KES verify: NULL argument");
    MTL_CHECK(period < MTL_KES_PERIODS, MTL_ERR_INVALID_ARG,
              "KES verify: period %u is past the last one (%d)", period, MTL_KES_PERIODS - 1);
    return mtl_kes_verify_walk(sig, vk, period, msg, len);
}
