/*
 * mithril/pool_identity.h - who a signer is: Cardano stake pool credentials.
 *
 * A stake pool proves it owns a Mithril key the way a Cardano block producer
 * proves it may forge blocks (spec pool-identity.md):
 *   - its cold key (Ed25519) signs an operational certificate (opcert) that
 *     delegates to a hot key-evolving signature key (KES, Sum6KES over
 *     Ed25519 with Blake2b-256, 64 periods);
 *   - the KES key, at the current period, signs the Mithril verification key
 *     (the 96-byte BLS key followed by its 96-byte proof of possession);
 *   - the pool id ("pool1..." bech32 of Blake2b-224 of the cold key) is the
 *     signer's party id.
 * Wire forms (JSON-hex, byte-identical to the reference's serde output):
 *   operational_certificate    hex of [[kes_vk, issue, start_period, sigma], cold_vk]
 *   verification_key_signature hex of the nested Sum6KES signature (448 bytes)
 *   kes_period                 KES evolutions since the opcert's start period
 * Secret keys live in opaque objects that wipe themselves on free.
 */
#ifndef MITHRIL_POOL_IDENTITY_H
#define MITHRIL_POOL_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_KES_DEPTH 6
#define MTL_KES_PERIODS 64        /* 2^depth: periods 0..63 */
#define MTL_KES_VK_BYTES 32
#define MTL_KES_SIG_BYTES 448     /* ed25519 sig (64) + 6 * (lhs 32 + rhs 32) */
#define MTL_KES_SK_BYTES 608      /* cardano raw Sum6 signing key (no period) */
#define MTL_COLD_VK_BYTES 32
#define MTL_COLD_SK_BYTES 64      /* libsodium Ed25519 secret key (seed || vk) */
#define MTL_ED25519_SIG_BYTES 64
#define MTL_POOL_ID_MAX 64        /* "pool1" + 53 characters + NUL fits */
#define MTL_KES_MSG_BYTES 192     /* what the KES key signs: BLS vk (96) || pop (96) */

MTL_API size_t mtl_kes_sig_bytes(void);
MTL_API size_t mtl_kes_sk_bytes(void);

/* ---- Sum6KES ---------------------------------------------------------- */

struct mtl_kes_sk; /* a KES signing key at some period; wiped by _free */

/* Deterministic key generation from a 32-byte seed (as cardano-base and the
 * kes crate do: the seed is split down the tree with Blake2b-256 of 1||seed
 * and 2||seed). The key starts at period 0; vk receives its verification key. */
MTL_API mtl_err mtl_kes_sk_keygen(struct mtl_kes_sk **out, uint8_t vk[MTL_KES_VK_BYTES],
                                  const uint8_t seed[32]);
/* The key in cardano-cli's raw form (MTL_KES_SK_BYTES, as inside a
 * `KesSigningKey_ed25519_kes_2^6` TextEnvelope) at the given period. Bytes
 * of another length fail with MTL_ERR_BAD_ENCODING. */
MTL_API mtl_err mtl_kes_sk_from_bytes(struct mtl_kes_sk **out, const uint8_t *bytes, size_t len,
                                      uint32_t period);
MTL_API mtl_err mtl_kes_sk_to_bytes(const struct mtl_kes_sk *sk, uint8_t out[MTL_KES_SK_BYTES]);
MTL_API void mtl_kes_sk_free(struct mtl_kes_sk *sk);
MTL_API uint32_t mtl_kes_sk_period(const struct mtl_kes_sk *sk);
MTL_API void mtl_kes_sk_vk(const struct mtl_kes_sk *sk, uint8_t vk[MTL_KES_VK_BYTES]);
/* Evolve to the next period, erasing what the past periods needed.
 * MTL_ERR_STATE when the key is at its last period (63). */
MTL_API mtl_err mtl_kes_sk_update(struct mtl_kes_sk *sk);
/* Evolve until the key is at `period` (>= its current one). */
MTL_API mtl_err mtl_kes_sk_update_to(struct mtl_kes_sk *sk, uint32_t period);
MTL_API mtl_err mtl_kes_sign(const struct mtl_kes_sk *sk, const uint8_t *msg, size_t len,
                             uint8_t sig[MTL_KES_SIG_BYTES]);
/* MTL_OK, or MTL_ERR_VERIFY_FAIL naming the level whose hash or the leaf
 * signature failed; MTL_ERR_INVALID_ARG for a period >= 64. */
MTL_API MTL_NODISCARD mtl_err mtl_kes_verify(const uint8_t sig[MTL_KES_SIG_BYTES],
                                             const uint8_t vk[MTL_KES_VK_BYTES], uint32_t period,
                                             const uint8_t *msg, size_t len);

/* ---- Operational certificates ---------------------------------------- */

struct mtl_opcert {
    uint8_t kes_vk[MTL_KES_VK_BYTES];
    uint64_t issue_number;
    uint64_t start_kes_period;
    uint8_t sigma[MTL_ED25519_SIG_BYTES]; /* cold key's signature */
    uint8_t cold_vk[MTL_COLD_VK_BYTES];
};

/* Sign a new opcert with the cold secret key (libsodium form, 64 bytes). */
MTL_API mtl_err mtl_opcert_issue(struct mtl_opcert *out, const uint8_t kes_vk[MTL_KES_VK_BYTES],
                                 uint64_t issue_number, uint64_t start_kes_period,
                                 const uint8_t cold_sk[MTL_COLD_SK_BYTES]);
/* The cold key's signature over kes_vk || issue (u64 BE) || start (u64 BE). */
MTL_API MTL_NODISCARD mtl_err mtl_opcert_verify(const struct mtl_opcert *oc);
/* Pool id of the opcert's cold key: bech32 "pool" of Blake2b-224(cold_vk). */
MTL_API mtl_err mtl_opcert_pool_id(const struct mtl_opcert *oc, char out[MTL_POOL_ID_MAX]);
MTL_API mtl_err mtl_cold_vk_pool_id(const uint8_t cold_vk[MTL_COLD_VK_BYTES],
                                    char out[MTL_POOL_ID_MAX]);
/* bech32 "pool1..." of a 28-byte pool key hash given in hex (56 digits). */
MTL_API mtl_err mtl_pool_id_bech32(const char *key_hash_hex, char out[MTL_POOL_ID_MAX]);
/* Wire form (the reference's JSON-hex); *hex is freed with mtl_free.
 * Decoding takes exactly the text serde writes (compact, plain decimal
 * numbers: no spaces, leading zeros or other JSON spellings; hex of either
 * case), without allocating; it also accepts the reference's fallback "bytes
 * hex" (hex of the CBOR form), as its ProtocolKey::decode_key does. Encoding
 * writes JSON-hex. */
MTL_API mtl_err mtl_opcert_from_jsonhex(struct mtl_opcert *out, const char *hex);
MTL_API mtl_err mtl_opcert_to_jsonhex(const struct mtl_opcert *oc, char **hex);
/* Cardano's CBOR form, as inside a `NodeOperationalCertificate` TextEnvelope:
 * [[kes_vk, issue, start, sigma], cold_vk]. */
MTL_API mtl_err mtl_opcert_from_cbor(struct mtl_opcert *out, const uint8_t *cbor, size_t len);
MTL_API mtl_err mtl_opcert_to_cbor(const struct mtl_opcert *oc, uint8_t **cbor, size_t *len);

/* KES signature wire form (JSON-hex of the nested Sum6 signature, exactly as
 * serde writes it: fields sigma, lhs_pk, rhs_pk in that order). Decoding
 * also accepts the bytes-hex fallback (hex of the 448 flat bytes). */
MTL_API mtl_err mtl_kes_sig_from_jsonhex(uint8_t sig[MTL_KES_SIG_BYTES], const char *hex);
MTL_API mtl_err mtl_kes_sig_to_jsonhex(const uint8_t sig[MTL_KES_SIG_BYTES], char **hex);

/* ---- cardano-cli TextEnvelope files ----------------------------------- */

/* The `type` of each file this module reads or writes. */
#define MTL_KES_SK_TYPE "KesSigningKey_ed25519_kes_2^6"
#define MTL_KES_VK_TYPE "KesVerificationKey_ed25519_kes_2^6"
#define MTL_OPCERT_TYPE "NodeOperationalCertificate"
#define MTL_COLD_VK_TYPE "StakePoolVerificationKey_ed25519"
#define MTL_COLD_SK_TYPE "StakePoolSigningKey_ed25519"

/* Read a TextEnvelope JSON file ({"type","description","cborHex"}) whose type
 * is `type`, and return the bytes inside its CBOR byte string (or, for a
 * structured type such as an opcert, the whole CBOR) with *len. Secret files
 * are wiped from memory after decoding; free *out with mtl_stm_secret_free
 * style wiping: mtl_memzero then mtl_free. */
MTL_API mtl_err mtl_text_envelope_read(const char *path, const char *type, uint8_t **out,
                                       size_t *len);
/* Write one atomically with the given mode (0600 for secrets). `cbor` is the
 * full CBOR value to store in cborHex. */
MTL_API mtl_err mtl_text_envelope_write(const char *path, const char *type,
                                        const char *description, const uint8_t *cbor, size_t len,
                                        unsigned mode);

/* mtl_text_envelope_write for a key type: `key` is wrapped in the CBOR byte
 * string cardano-cli puts in cborHex. */
MTL_API mtl_err mtl_text_envelope_write_key(const char *path, const char *type,
                                            const char *description, const uint8_t *key,
                                            size_t len, unsigned mode);
/* A KES signing key file (cardano-cli's 608 raw bytes at period 0, or the
 * reference's 612 bytes ending with the period as a big-endian u32); every
 * copy of the secret is wiped. Free *out with mtl_kes_sk_free. */
MTL_API mtl_err mtl_kes_sk_read_file(struct mtl_kes_sk **out, const char *path);
/* Write a KES signing key file, 0600: cardano-cli's form at period 0, the
 * reference's (period appended) at a later period. */
MTL_API mtl_err mtl_kes_sk_write_file(const struct mtl_kes_sk *sk, const char *path);
/* A `NodeOperationalCertificate` file (decoded, not verified). */
MTL_API mtl_err mtl_opcert_read_file(struct mtl_opcert *out, const char *path);
MTL_API mtl_err mtl_opcert_write_file(const struct mtl_opcert *oc, const char *path);
/* A `StakePoolSigningKey_ed25519` file (a 32-byte Ed25519 seed) in libsodium's
 * 64-byte form for mtl_opcert_issue; wipe `sk` after use. */
MTL_API mtl_err mtl_cold_sk_read_file(uint8_t sk[MTL_COLD_SK_BYTES], const char *path);

/* ---- Signer credentials (what the aggregator and the client check) ----- */

/* The 192 bytes the KES key signs for a Mithril key given in its JSON-hex
 * wire form (vk || pop, each 96 bytes, as the reference's to_bytes()). The
 * text must be serde's {"vk":[...],"pop":[...]} exactly; the points are not
 * decoded here (the STM registration checks them). */
MTL_API mtl_err mtl_stm_vk_kes_message(const char *vk_jsonhex, uint8_t msg[MTL_KES_MSG_BYTES]);

/* Verify a signer's credentials as the reference does: the opcert's cold
 * signature; party_id equals the cold key's pool id; the KES signature over
 * the Mithril key at `kes_evolutions` periods after the opcert's start, under
 * the opcert's KES key. Errors name the check that failed (and the party).
 * kes_evolutions >= 64 is refused. */
MTL_API MTL_NODISCARD mtl_err mtl_signer_credentials_verify(const char *party_id,
                                                            const char *vk_jsonhex,
                                                            const char *opcert_jsonhex,
                                                            const char *kes_sig_jsonhex,
                                                            uint64_t kes_evolutions);
/* The aggregator's form: it does not trust the published period. With the
 * chain's current KES period p, e = p - start_kes_period (0 when the opcert
 * starts after p: the reference's KesPeriod subtraction saturates), the
 * signature must verify at some t in [max(0, e-1), min(64, e+1)], exactly the
 * periods the reference's KesVerifierStandard tries; t = 64 verifies what 63
 * does (Sum6 arithmetic), so e = 65 still accepts a period-63 signature.
 * *used_evolutions (may be NULL) gets the period that verified (<= 63). */
MTL_API MTL_NODISCARD mtl_err mtl_signer_credentials_verify_at(const char *party_id,
                                                               const char *vk_jsonhex,
                                                               const char *opcert_jsonhex,
                                                               const char *kes_sig_jsonhex,
                                                               uint64_t current_kes_period,
                                                               uint64_t *used_evolutions);

#ifdef __cplusplus
}
#endif
#endif
