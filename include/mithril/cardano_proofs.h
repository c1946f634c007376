/*
 * mithril/cardano_proofs.h - "is this transaction (this block) on the
 * chain?": the proofs an aggregator serves for certified Cardano
 * transactions and blocks, checked against the certificate that signed their
 * Merkle root, and the transaction snapshot artifacts. Compatible with the
 * reference (mithril-common messages cardano_transactions_proof.rs,
 * proof_v2/cardano_transactions_proof.rs, proof_v2/cardano_blocks_proof.rs,
 * cardano_transaction_snapshot.rs, cardano_blocks_transactions_snapshot.rs;
 * spec shared/spec/transactions.md).
 *
 * A wallet does: fetch the proof message, mtl_proofs_verify() it against the
 * certificate its hash names, that certificate being verified back to
 * genesis by mtl_certificate_chain_verify_get() (this header never walks the
 * chain) (or: mtl_proofs_check() it, verify the chain of the certificate
 * it names, mtl_certified_set_bind() the set to that certificate); then
 * each hash it asked for is certified when mtl_certified_set_has() says
 * so, and not certified otherwise.
 *
 * The Merkle checks are those of mithril/mktree.h (stricter than the
 * reference: a proof listing a fake leaf at the position of a real one, which
 * the reference client accepts, is refused). Nothing here prints; calls are
 * thread-safe on distinct objects.
 */
#ifndef MITHRIL_CARDANO_PROOFS_H
#define MITHRIL_CARDANO_PROOFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mithril/certificate.h"
#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_PROOFS_MAX_ITEMS 100000 /* certified items one message may carry */

enum mtl_proofs_kind {
    /* GET /proof/cardano-transaction: CardanoTransactionsProofsMessage, JSON-hex
     * proofs over the CardanoTransactions tree (leaves: transaction hashes). */
    MTL_PROOFS_TRANSACTIONS_V1 = 1,
    /* GET /proof/v2/cardano-transaction: bincode proofs over the
     * CardanoBlocksTransactions tree (leaves "Tx/hash/block_hash/number/slot"). */
    MTL_PROOFS_TRANSACTIONS_V2 = 2,
    /* GET /proof/v2/cardano-block: same tree, leaves "Block/hash/number/slot". */
    MTL_PROOFS_BLOCKS = 3,
};

/* One certified transaction or block. */
struct mtl_certified_item {
    char hash[MTL_HASH_HEX_BYTES];       /* transaction hash, or block hash for blocks */
    char block_hash[MTL_HASH_HEX_BYTES]; /* v2 and blocks ("" for v1) */
    uint64_t block_number, slot_number;  /* v2 and blocks (0 for v1) */
};

/* What a proof message proves once checked. */
struct mtl_certified_set {
    enum mtl_proofs_kind kind;
    char certificate_hash[MTL_HASH_HEX_BYTES]; /* the certificate it names */
    char merkle_root[MTL_HASH_HEX_BYTES];      /* the root every proof proves */
    uint64_t latest_block_number;
    bool has_security_parameter; /* v2/blocks messages since 2026-04 */
    uint64_t security_parameter;
    struct mtl_certified_item *items; /* in the message's order */
    size_t count;
};

/* Decode a proof message (JSON text, len bytes) and check its Merkle proofs
 * without any certificate: every proof decodes and verifies, every certified
 * item's leaf is listed in its proof, all v1 proofs share one root (v1 needs
 * at least one certified_transactions entry), for v2 and blocks the map
 * holds exactly the ranges 0..latest_block_number. Errors:
 * MTL_ERR_BAD_ENCODING (a field missing, ill-typed, a hash that is not 64
 * lower-case hex digits, a proof that does not decode), MTL_ERR_VERIFY_FAIL
 * (a proof, naming the item), MTL_ERR_NOT_FOUND (v2/blocks: certified_* is
 * null, the message certifies nothing), MTL_ERR_TOO_BIG (over
 * MTL_PROOFS_MAX_ITEMS items). On success *out is filled (free its content
 * with mtl_certified_set_free); on error it is left empty. */
MTL_API MTL_NODISCARD mtl_err mtl_proofs_check(struct mtl_certified_set *out,
                                               enum mtl_proofs_kind kind, const char *json,
                                               size_t len);
/* mtl_proofs_check, then bind the result to cert, which the caller verified
 * back to genesis: cert's hash is the message's certificate_hash, its signed
 * entity is CardanoTransactions (v1) or CardanoBlocksTransactions (v2,
 * blocks), and its protocol message with the parts set from the proof
 * (v1: cardano_transactions_merkle_root, latest_block_number; v2/blocks:
 * cardano_blocks_transactions_merkle_root, latest_block_number and, when the
 * message has security_parameter, cardano_blocks_transactions_block_number_
 * offset) hashes to its signed_message. MTL_ERR_INTEGRITY names what differs. */
MTL_API MTL_NODISCARD mtl_err mtl_proofs_verify(struct mtl_certified_set *out,
                                                enum mtl_proofs_kind kind, const char *json,
                                                size_t len, const struct mtl_certificate *cert);
/* The binding half of mtl_proofs_verify, for a set mtl_proofs_check gave:
 * a client checks the proofs first, then walks the chain of the
 * certificate they name, then binds (the proofs are not decoded and
 * verified twice). Same rules and errors as mtl_proofs_verify's binding. */
MTL_API MTL_NODISCARD mtl_err mtl_certified_set_bind(const struct mtl_certified_set *s,
                                                     const struct mtl_certificate *cert);
MTL_API void mtl_certified_set_free(struct mtl_certified_set *s);
/* Whether the (verified) set certifies this transaction or block hash. */
MTL_API bool mtl_certified_set_has(const struct mtl_certified_set *s, const char *hash);

/* ---- Leaves (what signers and aggregators put in the trees) ---------------- */
#define MTL_PROOF_LEAF_BYTES 192 /* the longest leaf text + NUL */
/* CardanoBlocksTransactions tree leaves (cardano_block_transaction_mktree_
 * node.rs): "Block/{block_hash}/{block_number}/{slot}" and
 * "Tx/{tx_hash}/{block_hash}/{block_number}/{slot}", decimal numbers, hashes
 * as given (lower-case hex). In a range's tree all block leaves come first
 * (by number, slot, hash), then the transaction leaves (by number, slot,
 * block hash, hash). The CardanoTransactions (v1) leaf is the transaction
 * hash's hex text itself. Return the text length (not counting the NUL). */
MTL_API size_t mtl_block_leaf(char out[MTL_PROOF_LEAF_BYTES], const char *block_hash,
                              uint64_t block_number, uint64_t slot_number);
MTL_API size_t mtl_transaction_leaf(char out[MTL_PROOF_LEAF_BYTES], const char *tx_hash,
                                    const char *block_hash, uint64_t block_number,
                                    uint64_t slot_number);

/* ---- Snapshot artifacts -------------------------------------------------- */
/* CardanoTransactionSnapshot hash: hex(SHA-256(merkle_root_hex || be64(block_number))). */
MTL_API void mtl_cardano_transactions_snapshot_hash(const char *merkle_root_hex,
                                                    uint64_t block_number,
                                                    char out[MTL_HASH_HEX_BYTES]);
/* CardanoBlocksTransactionsSnapshot hash:
 * hex(SHA-256(merkle_root_hex || be64(block_number_signed) || be64(block_number_tip))). */
MTL_API void mtl_cardano_blocks_transactions_snapshot_hash(const char *merkle_root_hex,
                                                           uint64_t block_number_signed,
                                                           uint64_t block_number_tip,
                                                           char out[MTL_HASH_HEX_BYTES]);
/* Check a snapshot artifact message (JSON) against the certificate that
 * signed it: its hash recomputed from its content, its epoch and block
 * number(s) the certificate's signed entity, its root and block number(s)
 * the certificate's signed parts. MTL_ERR_BAD_ENCODING, MTL_ERR_INTEGRITY. */
MTL_API MTL_NODISCARD mtl_err mtl_cardano_transactions_snapshot_verify(
    const char *json, size_t len, const struct mtl_certificate *cert);
MTL_API MTL_NODISCARD mtl_err mtl_cardano_blocks_transactions_snapshot_verify(
    const char *json, size_t len, const struct mtl_certificate *cert);

#ifdef __cplusplus
}
#endif
#endif
