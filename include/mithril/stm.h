/*
 * mithril/stm.h - stake-based threshold multi-signatures (Mithril STM), byte-
 * and JSON-compatible with the reference mithril-stm crate (concatenation
 * proof system, BLS12-381 "min_sig": signatures in G1, keys in G2).
 *
 * Roles: an *initializer* holds a party's BLS key and stake; a *key
 * registration* collects (verification key + proof of possession, stake)
 * and closes into a *closed registration* (Merkle tree of the parties, total
 * stake, the aggregate verification key "AVK"); a *signer* signs a message
 * and wins lottery indexes; the *clerk* aggregates single signatures into a
 * multi-signature that anyone verifies with the AVK and the parameters.
 *
 * Wire forms are the reference's "JSON-hex": hex of the serde JSON text:
 *   vk + PoP      {"vk":[96 bytes],"pop":[96 bytes]}           (register-signer)
 *   single sig    {"sigma":[48],"indexes":[..],"signer_index":n} (register-signatures)
 *   AVK           {"mt_commitment":{"root":[32],"nr_leaves":n,"hasher":null},"total_stake":w}
 *   multi-sig     {"signatures":[[single sig,[[vk 96],stake]],..],
 *                  "batch_proof":{"values":[[32],..],"indices":[..],"hasher":null}}
 *
 * The message a Mithril certificate signs is the ASCII text of its
 * `signed_message` (the lower-case hex of the protocol message hash), i.e.
 * msg = (const uint8_t *)signed_message, msg_len = 64.
 *
 * Objects are immutable after construction and may be shared between threads
 * for reading. No function prints or keeps global state.
 */
#ifndef MITHRIL_STM_H
#define MITHRIL_STM_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_STM_SK_BYTES 32
#define MTL_STM_VK_BYTES 96
#define MTL_STM_POP_BYTES 96
#define MTL_STM_SIG_BYTES 48
#define MTL_STM_HASH_BYTES 32
MTL_API size_t mtl_stm_vk_bytes(void);
MTL_API size_t mtl_stm_sig_bytes(void);

/* Protocol parameters: m lotteries, quorum k, phi_f the chance a party with
 * all the stake wins one lottery. */
struct mtl_stm_params {
    uint64_t m;
    uint64_t k;
    double phi_f;
};

/* Check parameters are usable (m > 0, k > 0, 0 < phi_f <= 1). */
MTL_API mtl_err mtl_stm_params_check(const struct mtl_stm_params *p);

/* ---- Initializer: one party's keys and stake ---------------------------- */
struct mtl_stm_initializer;

/* New key pair for `stake`. seed: 32 bytes for deterministic keys (tests), or
 * NULL to draw from the OS CSPRNG. */
MTL_API mtl_err mtl_stm_initializer_new(struct mtl_stm_initializer **out,
                                        const struct mtl_stm_params *params, uint64_t stake,
                                        const uint8_t *seed32);
/* Wipes the secret key. NULL is a no-op. */
MTL_API void mtl_stm_initializer_free(struct mtl_stm_initializer *init);
MTL_API uint64_t mtl_stm_initializer_stake(const struct mtl_stm_initializer *init);
MTL_API void mtl_stm_initializer_params(const struct mtl_stm_initializer *init,
                                        struct mtl_stm_params *out);
/* The verification key + proof of possession as JSON-hex (free with mtl_free). */
MTL_API mtl_err mtl_stm_initializer_vk_jsonhex(const struct mtl_stm_initializer *init, char **hex);
/* Raw 96-byte compressed verification key. */
MTL_API void mtl_stm_initializer_vk(const struct mtl_stm_initializer *init,
                                    uint8_t out[MTL_STM_VK_BYTES]);
/* Whole secret state (params, stake, secret key) as bytes to persist in a
 * 0600 file; wipe and free with mtl_stm_secret_free. */
MTL_API mtl_err mtl_stm_initializer_export(const struct mtl_stm_initializer *init, uint8_t **bytes,
                                           size_t *len);
MTL_API void mtl_stm_secret_free(uint8_t *bytes, size_t len);
MTL_API mtl_err mtl_stm_initializer_import(struct mtl_stm_initializer **out, const uint8_t *bytes,
                                           size_t len);

/* ---- Key registration --------------------------------------------------- */
struct mtl_stm_keyreg;
struct mtl_stm_closed_reg;

MTL_API mtl_err mtl_stm_keyreg_new(struct mtl_stm_keyreg **out);
MTL_API void mtl_stm_keyreg_free(struct mtl_stm_keyreg *reg);
/* Register a party from its vk+PoP JSON-hex. Checks the key is a valid G2
 * point in the subgroup and the proof of possession; a key already
 * registered gives MTL_ERR_CONFLICT. */
MTL_API MTL_NODISCARD mtl_err mtl_stm_keyreg_register_jsonhex(struct mtl_stm_keyreg *reg,
                                                              uint64_t stake,
                                                              const char *vk_pop_jsonhex);
/* A verification key with its proof of possession, decoded once and checked
 * (G2 point in the subgroup, valid PoP): what register-signer receives as
 * JSON-hex. Opaque; free with mtl_stm_vk_pop_free (NULL: no-op).
 * MTL_ERR_BAD_ENCODING / MTL_ERR_NOT_IN_GROUP / MTL_ERR_VERIFY_FAIL name
 * what is wrong. */
struct mtl_stm_vk_pop;
MTL_API MTL_NODISCARD mtl_err mtl_stm_vk_pop_decode_jsonhex(struct mtl_stm_vk_pop **out,
                                                            const char *vk_pop_jsonhex);
MTL_API void mtl_stm_vk_pop_free(struct mtl_stm_vk_pop *vp);
/* Its raw 96-byte compressed key. */
MTL_API void mtl_stm_vk_pop_key(const struct mtl_stm_vk_pop *vp, uint8_t out[MTL_STM_VK_BYTES]);
/* Register a party from its decoded key (no decoding again);
 * MTL_ERR_CONFLICT when the key is registered already. */
MTL_API mtl_err mtl_stm_keyreg_register(struct mtl_stm_keyreg *reg, uint64_t stake,
                                        const struct mtl_stm_vk_pop *vp);
/* Close: sorts parties (stake, then key bytes, as the reference), builds the
 * Merkle tree. Fails on zero total stake, a total above 2^63 - 1 (the JSON
 * integer range of the messages), or no party. */
MTL_API mtl_err mtl_stm_keyreg_close(const struct mtl_stm_keyreg *reg,
                                     struct mtl_stm_closed_reg **out);

MTL_API void mtl_stm_closed_reg_free(struct mtl_stm_closed_reg *closed);
MTL_API size_t mtl_stm_closed_reg_count(const struct mtl_stm_closed_reg *closed);
MTL_API uint64_t mtl_stm_closed_reg_total_stake(const struct mtl_stm_closed_reg *closed);
/* Party at signer index i (registration order): key and stake. */
MTL_API mtl_err mtl_stm_closed_reg_party(const struct mtl_stm_closed_reg *closed, uint64_t i,
                                         uint8_t vk[MTL_STM_VK_BYTES], uint64_t *stake);
/* The AVK JSON-hex of this registration (free with mtl_free). */
MTL_API mtl_err mtl_stm_closed_reg_avk_jsonhex(const struct mtl_stm_closed_reg *closed, char **hex);

/* ---- Signing ------------------------------------------------------------ */
/* Sign msg as `init` within `closed` (the initializer's key must be
 * registered with the same stake). Returns the single signature as JSON-hex
 * (free with mtl_free) or MTL_ERR_INELIGIBLE when no lottery is won.
 * won (optional) receives the number of indexes won. */
MTL_API mtl_err mtl_stm_sign(const struct mtl_stm_initializer *init,
                             const struct mtl_stm_closed_reg *closed, const uint8_t *msg,
                             size_t msg_len, char **sig_jsonhex, size_t *won);

/* The same, typed: the single signature decoded (see struct mtl_stm_sig
 * below; free with mtl_stm_sig_free), for a caller that needs its indexes
 * and its wire form without parsing the text again. MTL_ERR_INELIGIBLE when
 * no lottery is won (*out NULL). */
struct mtl_stm_sig;
MTL_API mtl_err mtl_stm_sign_sig(const struct mtl_stm_initializer *init,
                                 const struct mtl_stm_closed_reg *closed, const uint8_t *msg,
                                 size_t msg_len, struct mtl_stm_sig **out);

/* Verify one single signature (JSON-hex) for msg against the closed
 * registration: BLS signature of its party, index bounds, lottery wins. */
MTL_API MTL_NODISCARD mtl_err mtl_stm_single_sig_verify_jsonhex(
    const struct mtl_stm_closed_reg *closed, const struct mtl_stm_params *params,
    const char *sig_jsonhex, const uint8_t *msg, size_t msg_len);
/* Verify n single signatures of the same msg against the closed
 * registration: ok[i] = 1 when signature i passes every check of
 * mtl_stm_single_sig_verify_jsonhex, else 0. The BLS signatures are checked
 * together (random linear combination, one pairing check); when that fails
 * each is checked alone. MTL_OK unless the parameters are bad or memory ran
 * out (then ok[] is all 0). From 64 signatures the aggregation runs on two
 * threads (one extra, joined before returning). */
MTL_API mtl_err mtl_stm_single_sigs_verify_batch_jsonhex(const struct mtl_stm_closed_reg *closed,
                                                         const struct mtl_stm_params *params,
                                                         const char *const *sigs_jsonhex, size_t n,
                                                         const uint8_t *msg, size_t msg_len,
                                                         int *ok);
/* Signer index and won indexes of a single signature (indexes: mtl_free). */
MTL_API mtl_err mtl_stm_single_sig_info_jsonhex(const char *sig_jsonhex, uint64_t *signer_index,
                                                uint64_t **indexes, size_t *count);

/* ---- Decoded single signatures ----------------------------------------- */
/* A single signature decoded once (sigma decompressed and checked in G1,
 * signer index, indexes), for callers that check and aggregate many
 * signatures without decoding each again (an aggregator). Opaque. */
struct mtl_stm_sig;
/* Decode a single signature (JSON-hex): MTL_ERR_BAD_ENCODING /
 * MTL_ERR_NOT_IN_GROUP when it is malformed. Free with mtl_stm_sig_free. */
MTL_API mtl_err mtl_stm_sig_decode_jsonhex(struct mtl_stm_sig **out, const char *sig_jsonhex);
MTL_API void mtl_stm_sig_free(struct mtl_stm_sig *sig);
/* Its wire form (JSON-hex, byte-identical to mtl_stm_sign's; free with
 * mtl_free). */
MTL_API mtl_err mtl_stm_sig_encode_jsonhex(const struct mtl_stm_sig *sig, char **sig_jsonhex);
MTL_API uint64_t mtl_stm_sig_signer_index(const struct mtl_stm_sig *sig);
/* Won indexes (owned by sig); *count receives their number. */
MTL_API const uint64_t *mtl_stm_sig_indexes(const struct mtl_stm_sig *sig, size_t *count);
/* mtl_stm_single_sigs_verify_batch_jsonhex on decoded signatures: ok[i] = 1
 * when sigs[i] passes every check of mtl_stm_single_sig_verify_jsonhex
 * (NULL entries get 0). Two threads from 64 signatures, as that one.
 * Each signature remembers its verdict with a fingerprint of what the
 * checks depended on (registration, parameters, message), so that
 * mtl_stm_aggregate_decoded need not repeat them: the one write this API
 * makes to a decoded signature, so one signature must not be passed to two
 * concurrent calls. */
MTL_API mtl_err mtl_stm_sigs_verify_batch(const struct mtl_stm_closed_reg *closed,
                                          const struct mtl_stm_params *params,
                                          const struct mtl_stm_sig *const *sigs, size_t n,
                                          const uint8_t *msg, size_t msg_len, int *ok);

/* ---- Aggregation and verification -------------------------------------- */
/* Aggregate single signatures (JSON-hex) into a multi-signature (JSON-hex),
 * selecting valid signatures and unique indexes as the reference's clerk.
 * MTL_ERR_NOT_ENOUGH_SIGS below the quorum k. */
MTL_API mtl_err mtl_stm_aggregate_jsonhex(const struct mtl_stm_closed_reg *closed,
                                          const struct mtl_stm_params *params,
                                          const char *const *sigs_jsonhex, size_t nsigs,
                                          const uint8_t *msg, size_t msg_len,
                                          char **multisig_jsonhex);

/* The same, for signatures each already accepted by
 * mtl_stm_single_sig_verify_jsonhex with this closed registration, params and
 * msg (an aggregator checks them on arrival): skips that per-signature check
 * (~1.4 ms each). Verify the result with mtl_stm_verify_multisig_jsonhex. */
MTL_API mtl_err mtl_stm_aggregate_preverified_jsonhex(const struct mtl_stm_closed_reg *closed,
                                                      const struct mtl_stm_params *params,
                                                      const char *const *sigs_jsonhex, size_t nsigs,
                                                      const uint8_t *msg, size_t msg_len,
                                                      char **multisig_jsonhex);

/* Aggregate decoded single signatures that each passed the checks of
 * mtl_stm_sigs_verify_batch for this closed registration, params and msg
 * (not re-checked before selection), then verify the resulting
 * multi-signature as mtl_stm_verify_multisig_jsonhex does against this
 * registration's AVK (index bounds, unique indexes, quorum, batch Merkle
 * proof, lottery, aggregated BLS), on the parts its JSON is written from
 * rather than that JSON parsed back, and except that what was already
 * established on identical inputs is reused: a key or sigma whose bytes
 * equal the registered key of that signer index / the given signature's
 * sigma reuses that decoded, subgroup-checked point; and an element equal to
 * a given signature that mtl_stm_sigs_verify_batch passed with this very
 * registration, params and msg (its remembered verdict; same sigma, key,
 * stake, indexes among those it won) is not put through the lottery and BLS
 * checks again. Any other element (e.g. a signature never verified, or
 * verified for another message) gets every check. MTL_ERR_NOT_ENOUGH_SIGS
 * below the quorum; another error when the result does not verify (then
 * *multisig_jsonhex is NULL). Uses one extra thread (joined before
 * returning) for points it has not seen and for the aggregated BLS check. */
MTL_API mtl_err mtl_stm_aggregate_decoded(const struct mtl_stm_closed_reg *closed,
                                          const struct mtl_stm_params *params,
                                          const struct mtl_stm_sig *const *sigs, size_t nsigs,
                                          const uint8_t *msg, size_t msg_len,
                                          char **multisig_jsonhex);

/* Verify a certificate's multi_signature (JSON-hex) against its
 * aggregate_verification_key (JSON-hex) over msg with params: every check of
 * the reference (lottery per index, index bound, unique indexes, quorum,
 * batch Merkle proof, aggregated BLS signature). MTL_OK or an error whose
 * detail says which check failed. Decodes the points on two threads (one
 * extra, joined before returning) from 32 signatures, and the BLS check from 64. */
MTL_API MTL_NODISCARD mtl_err mtl_stm_verify_multisig_jsonhex(const char *multisig_jsonhex,
                                                              const char *avk_jsonhex,
                                                              const uint8_t *msg, size_t msg_len,
                                                              const struct mtl_stm_params *p);

/* The lottery: does a signature whose dense mapping output is ev (64 bytes,
 * little-endian) win for `stake` out of `total_stake`? Exactly the
 * reference's verdict (its Taylor-series comparison on exact rationals). */
MTL_API int mtl_stm_lottery_won(double phi_f, const uint8_t ev[64], uint64_t stake,
                                uint64_t total_stake);

#ifdef __cplusplus
}
#endif
#endif
