/*
 * mithril/certificate.h - Mithril certificates, protocol messages, genesis
 * keys and certificate-chain verification, compatible with the reference
 * (mithril-common entities/certificate.rs, protocol_message.rs,
 * certificate_chain/certificate_verifier.rs).
 *
 * A certificate is parsed from its JSON message (the aggregator's
 * CertificateMessage, see openapi.yaml). Hashes are lower-case hex strings
 * of SHA-256 (65 bytes with the NUL).
 */
#ifndef MITHRIL_CERTIFICATE_H
#define MITHRIL_CERTIFICATE_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"
#include "mithril/signed_entity.h"
#include "mithril/stm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_HASH_HEX_BYTES 65 /* 64 hex digits + NUL */
#define MTL_GENESIS_VK_BYTES 32
#define MTL_GENESIS_SK_BYTES 32
#define MTL_GENESIS_SIG_BYTES 64

/* ---- Protocol messages -------------------------------------------------- */
struct mtl_protocol_message;
MTL_API mtl_err mtl_protocol_message_new(struct mtl_protocol_message **out);
MTL_API void mtl_protocol_message_free(struct mtl_protocol_message *pm);
/* Set a part by its key ("next_aggregate_verification_key", "current_epoch",
 * "cardano_database_merkle_root", ...). Unknown keys: MTL_ERR_INVALID_ARG. */
MTL_API mtl_err mtl_protocol_message_set(struct mtl_protocol_message *pm, const char *key,
                                         const char *value);
/* Borrowed value or NULL. */
MTL_API const char *mtl_protocol_message_get(const struct mtl_protocol_message *pm,
                                             const char *key);
/* signed_message: SHA-256 over key||value for parts in the reference's key order. */
MTL_API void mtl_protocol_message_hash(const struct mtl_protocol_message *pm,
                                       char out[MTL_HASH_HEX_BYTES]);
/* {"message_parts":{...}} in the reference's key order (free with mtl_free). */
MTL_API mtl_err mtl_protocol_message_to_json(const struct mtl_protocol_message *pm, char **json);
/* Parse {"message_parts":{...}} (len bytes): every part a known key with a
 * string value, else MTL_ERR_BAD_ENCODING naming it. *out is new (free with
 * mtl_protocol_message_free), NULL on failure. */
MTL_API mtl_err mtl_protocol_message_from_json(struct mtl_protocol_message **out, const char *json,
                                               size_t len);

/* Hash of protocol parameters (k, m, phi_f as U8F24 fixed point). */
MTL_API void mtl_protocol_parameters_hash(const struct mtl_stm_params *p,
                                          char out[MTL_HASH_HEX_BYTES]);

/* ---- Certificates ------------------------------------------------------- */
struct mtl_certificate;

/* Parse a CertificateMessage JSON text. Unknown fields are ignored; a
 * missing or ill-typed field gives MTL_ERR_BAD_ENCODING naming it. */
MTL_API mtl_err mtl_certificate_from_json(struct mtl_certificate **out, const char *json,
                                          size_t len);
MTL_API void mtl_certificate_free(struct mtl_certificate *c);
/* The certificate as a CertificateMessage JSON text (free with mtl_free). */
MTL_API mtl_err mtl_certificate_to_json(const struct mtl_certificate *c, char **json);

MTL_API const char *mtl_certificate_hash(const struct mtl_certificate *c);
MTL_API const char *mtl_certificate_previous_hash(const struct mtl_certificate *c);
MTL_API uint64_t mtl_certificate_epoch(const struct mtl_certificate *c);
MTL_API int mtl_certificate_is_genesis(const struct mtl_certificate *c);
MTL_API const char *mtl_certificate_signed_message(const struct mtl_certificate *c);
MTL_API const char *mtl_certificate_avk(const struct mtl_certificate *c);
MTL_API const struct mtl_protocol_message *
mtl_certificate_protocol_message(const struct mtl_certificate *c);
MTL_API void mtl_certificate_signed_entity(const struct mtl_certificate *c,
                                           struct mtl_signed_entity_type *out);
MTL_API void mtl_certificate_params(const struct mtl_certificate *c, struct mtl_stm_params *out);
/* Recompute the certificate hash from its content. */
MTL_API mtl_err mtl_certificate_compute_hash(const struct mtl_certificate *c,
                                             char out[MTL_HASH_HEX_BYTES]);

/* A signer in the certificate metadata. */
struct mtl_party_stake {
    const char *party_id;
    uint64_t stake;
};
/* Everything needed to build a certificate (the aggregator's side). */
struct mtl_certificate_params {
    const char *previous_hash; /* "" for genesis */
    uint64_t epoch;
    struct mtl_signed_entity_type signed_entity;
    const char *network;  /* e.g. "devnet" */
    const char *version;  /* protocol version, "0.1.0" */
    struct mtl_stm_params params;
    int64_t initiated_at_ns, sealed_at_ns; /* Unix time in nanoseconds */
    const struct mtl_party_stake *signers;
    size_t nsigners;
    const struct mtl_protocol_message *message;
    const char *avk_jsonhex;
    const char *multisig_jsonhex; /* NULL for genesis */
    const uint8_t *genesis_sk;    /* 32-byte Ed25519 seed for genesis, else NULL */
};
/* Build a certificate: computes signed_message, the genesis signature when
 * asked, and the hash. */
MTL_API mtl_err mtl_certificate_build(struct mtl_certificate **out,
                                      const struct mtl_certificate_params *p);

/* ---- Genesis keys ------------------------------------------------------- */
/* Decode a genesis.vkey text (JSON-hex of a 32-byte array; whitespace ok). */
MTL_API mtl_err mtl_genesis_vkey_decode(uint8_t vk[MTL_GENESIS_VK_BYTES], const char *text);
/* JSON-hex text of a 32-byte key (vk or sk seed), free with mtl_free. */
MTL_API mtl_err mtl_genesis_key_encode(char **text, const uint8_t key[32]);
/* New keypair: sk is the 32-byte seed (keep secret), vk the public key. */
MTL_API void mtl_genesis_keypair(uint8_t sk[MTL_GENESIS_SK_BYTES],
                                 uint8_t vk[MTL_GENESIS_VK_BYTES]);
MTL_API mtl_err mtl_genesis_sign(uint8_t sig[MTL_GENESIS_SIG_BYTES],
                                 const uint8_t sk[MTL_GENESIS_SK_BYTES], const uint8_t *msg,
                                 size_t len);
MTL_API MTL_NODISCARD mtl_err mtl_genesis_verify(const uint8_t vk[MTL_GENESIS_VK_BYTES],
                                                 const uint8_t sig[MTL_GENESIS_SIG_BYTES],
                                                 const uint8_t *msg, size_t len);

/* ---- Verification ------------------------------------------------------- */
/* Checks of one certificate on its own: hash, signed_message, signature
 * (genesis key or multi-signature against its AVK), epoch part. */
MTL_API MTL_NODISCARD mtl_err mtl_certificate_verify_integrity(
    const struct mtl_certificate *c, const uint8_t genesis_vk[MTL_GENESIS_VK_BYTES]);
/* Checks of a standard certificate against its previous one: epoch gap,
 * previous_hash, AVK continuity, protocol parameters continuity. */
MTL_API MTL_NODISCARD mtl_err mtl_certificate_verify_link(const struct mtl_certificate *c,
                                                          const struct mtl_certificate *prev);

/* Fetch a certificate's JSON by hash (HTTP in the client, a store in the
 * aggregator). *json is mtl_malloc'ed; return MTL_ERR_NOT_FOUND if absent. */
typedef mtl_err (*mtl_certificate_fetch_fn)(void *ctx, const char *hash, char **json,
                                            size_t *len);
/* Called after each certificate is checked (or found in the cache). */
typedef void (*mtl_certificate_progress_fn)(void *ctx, const struct mtl_certificate *c,
                                            int from_cache);

struct mtl_chain_verify_opts {
    mtl_certificate_fetch_fn fetch;
    void *fetch_ctx;
    mtl_certificate_progress_fn progress; /* optional */
    void *progress_ctx;
    const char *cache_path; /* optional file of verified hashes, keyed by genesis key */
    size_t max_certificates; /* 0 = 100000: a bound against endless chains */
};

/* Walk from `hash` to the genesis certificate through previous_hash,
 * checking every rule of the reference. Every certificate received is
 * re-hashed from its content and must hash to the hash asked for (its
 * `hash` field is never trusted). A certificate found in the cache
 * (verified before under the same genesis key) ends the walk early: its
 * content checks still run, only its signature check is skipped (the cache
 * holds content hashes, so a hit means the very content verified before).
 * On success, every walked hash is added to the cache. *checked (optional)
 * gets the number of certificates verified. Errors name the certificate and
 * the broken rule in mtl_err_detail(). */
MTL_API MTL_NODISCARD mtl_err mtl_certificate_chain_verify(
    const char *hash, const uint8_t genesis_vk[MTL_GENESIS_VK_BYTES],
    const struct mtl_chain_verify_opts *opts, size_t *checked);
/* The same walk, handing back in *verified the first certificate exactly as
 * it was verified: check artifacts against this object, never against a
 * second copy fetched later (a server may answer differently). *verified is
 * NULL on failure; free it with mtl_certificate_free. */
MTL_API MTL_NODISCARD mtl_err
mtl_certificate_chain_verify_get(struct mtl_certificate **verified, const char *hash,
                                 const uint8_t genesis_vk[MTL_GENESIS_VK_BYTES],
                                 const struct mtl_chain_verify_opts *opts, size_t *checked);

/* ---- Artifacts ---------------------------------------------------------- */
/* Check a MithrilStakeDistribution artifact message (JSON, the openapi's
 * MithrilStakeDistributionMessage) against the certificate that signed it:
 * its hash, the AVK of its signers (proofs of possession checked) in the
 * certificate's protocol message, and that message's hash == signed_message.
 * hash_out (optional) receives the recomputed artifact hash. */
MTL_API MTL_NODISCARD mtl_err mtl_msd_verify(const char *msd_json, size_t len,
                                             const struct mtl_certificate *cert,
                                             char hash_out[MTL_HASH_HEX_BYTES]);
/* Check a CardanoDatabase (v2) artifact message against its certificate:
 * hash = SHA-256(epoch BE || merkle_root), beacon == the certificate's
 * signed entity, and the certificate's protocol message with this
 * cardano_database_merkle_root hashes to its signed_message. The caller
 * separately checks restored files against merkle_root. */
MTL_API MTL_NODISCARD mtl_err mtl_cardano_database_verify(const char *json, size_t len,
                                                          const struct mtl_certificate *cert);

/* ---- Cardano stake distribution (CardanoStakeDistribution) ---------------- */
/* The Merkle root the certificate signs (cardano_stake_distribution_merkle_root)
 * of n pools with their stakes, as the reference's signable builder: an MKTree
 * (mithril/mktree.h) whose leaves are "<pool id><stake in decimal>" in pool id
 * byte order. Lower-case hex in *root_hex (free with mtl_free): 64 digits, or
 * for a single pool the hex of its leaf itself (an MKTree's one-leaf root).
 * MTL_ERR_INVALID_ARG for no pool, an empty id or an id listed twice. */
MTL_API mtl_err mtl_csd_merkle_root(char **root_hex, const char *const *pool_ids,
                                    const uint64_t *stakes, size_t n);
/* The artifact hash: SHA-256(epoch BE || for each pool in id order: id ||
 * stake BE), hex. Same errors. */
MTL_API mtl_err mtl_csd_hash(char out[MTL_HASH_HEX_BYTES], uint64_t epoch,
                             const char *const *pool_ids, const uint64_t *stakes, size_t n);
/* Check a CardanoStakeDistribution artifact message (the openapi's
 * CardanoStakeDistributionMessage) against the certificate that signed it:
 * its hash recomputed from epoch and stake_distribution, the certificate's
 * entity is CardanoStakeDistribution(epoch), and its protocol message with
 * the Merkle root recomputed from stake_distribution and this epoch hashes to
 * its signed_message. MTL_ERR_BAD_ENCODING for a malformed message,
 * MTL_ERR_INTEGRITY naming what differs. hash_out (optional) receives the
 * recomputed hash. */
MTL_API MTL_NODISCARD mtl_err mtl_csd_verify(const char *json, size_t len,
                                             const struct mtl_certificate *cert,
                                             char hash_out[MTL_HASH_HEX_BYTES]);

#ifdef __cplusplus
}
#endif
#endif
