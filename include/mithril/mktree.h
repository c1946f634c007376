/*
 * mithril/mktree.h - the Merkle structures of Cardano transaction and block
 * certification, byte-identical to the reference (internal/mithril-merkle-tree
 * merkle_tree.rs, merkle_map.rs; mithril-common entities/block_range.rs;
 * spec shared/spec/transactions.md).
 *
 * MKTree: a Merkle Mountain Range (ckb-merkle-mountain-range 0.6.1) whose
 * leaves are raw byte strings (never hashed first) and whose inner nodes are
 * BLAKE2s-256(left || right). Its root is the single peak, or the peaks bagged
 * from the right; a one-leaf tree's root is the leaf itself (any length).
 *
 * MKMap: one MKTree per block range; the map is the MKTree of the leaves
 * BLAKE2s-256("start-end" || root of the range's tree), in range order.
 *
 * struct mtl_mkproof is the reference's MKMapProof: a proof over one tree
 * (the "master" proof: root, listed leaves with their positions, tree size,
 * sibling items) plus, for a map, one sub-proof per block range. A proof of
 * a plain tree is an MKMapProof without sub-proofs (that is how the reference
 * writes a range's sub-proof).
 *
 * Verification is stricter than the reference, which accepts forgeries
 * (spec §8): a position listed twice, a position that is not a leaf or lies
 * past the tree, a size no tree has, proof items nothing uses, a proof that
 * lists no leaf, sub-proofs out of range order are all refused. Every leaf
 * listed is then authenticated by the root; mtl_mkproof_contains() only ever
 * looks at listed leaves, so "verify, then contains" answers "is this leaf
 * under this root".
 *
 * Objects are not shared between threads while one of them modifies them;
 * const calls on one object may run concurrently. No function prints.
 */
#ifndef MITHRIL_MKTREE_H
#define MITHRIL_MKTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_MKNODE_BYTES 32           /* an inner node: BLAKE2s-256 */
#define MTL_BLOCK_RANGE_LENGTH 15     /* blocks per range (block_range.rs) */
#define MTL_BLOCK_RANGE_TEXT_BYTES 42 /* "start-end" in decimal + NUL */
#define MTL_MKPROOF_MAX_DEPTH 4       /* map proofs nest one level in practice */

/* ---- Block ranges --------------------------------------------------------- */
/* Start of the range holding block_number: 15 * floor(block_number / 15). */
MTL_API uint64_t mtl_block_range_start(uint64_t block_number);
/* The range as a Merkle node: "start-end" in decimal, end exclusive. Returns
 * the text length (not counting the NUL). */
MTL_API size_t mtl_block_range_text(char out[MTL_BLOCK_RANGE_TEXT_BYTES], uint64_t start,
                                    uint64_t end);
/* The map's leaf for a range: BLAKE2s-256("start-end" || sub_root). */
MTL_API mtl_err mtl_mkmap_leaf(uint8_t out[MTL_MKNODE_BYTES], uint64_t start, uint64_t end,
                               const uint8_t *sub_root, size_t sub_root_len);

/* ---- MMR arithmetic --------------------------------------------------------- */
/* Number of nodes of an n-leaf tree: 2n - popcount(n). */
MTL_API uint64_t mtl_mktree_size_of(uint64_t leaves);
/* Position of leaf i among all nodes: leaves 0..4 sit at 0, 1, 3, 4, 7. */
MTL_API uint64_t mtl_mktree_leaf_pos(uint64_t leaf_index);

/* ---- Trees (builder and prover) ----------------------------------------------- */
struct mtl_mktree;
struct mtl_mkproof;
MTL_API mtl_err mtl_mktree_new(struct mtl_mktree **out);
MTL_API void mtl_mktree_free(struct mtl_mktree *t);
/* Empty the tree, keeping its memory for the next one (builders of many
 * trees in a row: no allocation per tree). NULL is a no-op. */
MTL_API void mtl_mktree_clear(struct mtl_mktree *t);
/* Append one leaf (copied) and merge the equal-height peaks it completes.
 * MTL_ERR_NOMEM; MTL_ERR_INVALID_ARG for an empty leaf. */
MTL_API mtl_err mtl_mktree_append(struct mtl_mktree *t, const void *leaf, size_t len);
MTL_API uint64_t mtl_mktree_leaf_count(const struct mtl_mktree *t);
/* The root into out (cap bytes): 32 bytes, or a one-leaf tree's leaf itself.
 * MTL_ERR_STATE when empty, MTL_ERR_BUFFER_TOO_SMALL when it does not fit. */
MTL_API mtl_err mtl_mktree_root(const struct mtl_mktree *t, uint8_t *out, size_t cap, size_t *len);
/* The root as lower-case hex (65 bytes for a 32-byte root), same errors. */
MTL_API mtl_err mtl_mktree_root_hex(const struct mtl_mktree *t, char *out, size_t cap);
/* Proof that leaves leaf_index[0..n) are in the tree, as the reference's
 * MKTree::compute_proof writes it (leaves listed in request order, ckb's
 * gen_proof items). MTL_ERR_INVALID_ARG for n == 0, an index past the tree or
 * an index asked twice. *out: free with mtl_mkproof_free. */
MTL_API mtl_err mtl_mktree_prove(struct mtl_mkproof **out, const struct mtl_mktree *t,
                                 const uint64_t *leaf_index, size_t n);

/* ---- Proofs ----------------------------------------------------------------- */
struct mtl_mkproof;
MTL_API void mtl_mkproof_free(struct mtl_mkproof *p);
/* Make `master` (a proof over the map's tree) a map proof by adding the
 * sub-proof of range [start, end); takes ownership of sub (freed on error
 * too). Ranges must be added in increasing order: MTL_ERR_INVALID_ARG. */
MTL_API mtl_err mtl_mkproof_add_sub(struct mtl_mkproof *master, uint64_t start, uint64_t end,
                                    struct mtl_mkproof *sub);

/* Decode the v1 wire form (JSON-hex: hex of the serde JSON of an MKMapProof;
 * either case, surrounding whitespace trimmed, unknown JSON fields ignored)
 * or the v2 form (hex of its bincode-2 "standard" bytes; trailing bytes
 * refused). MTL_ERR_BAD_ENCODING naming the field and what is wrong;
 * MTL_ERR_TOO_BIG past 16 MiB of hex. Decoding checks shapes, not hashes:
 * call mtl_mkproof_verify. */
MTL_API mtl_err mtl_mkproof_from_json_hex(struct mtl_mkproof **out, const char *hex, size_t len);
MTL_API mtl_err mtl_mkproof_from_bytes_hex(struct mtl_mkproof **out, const char *hex, size_t len);
/* The two wire forms, exactly as the reference writes them (lower-case hex,
 * NUL-terminated, free with mtl_free). */
MTL_API mtl_err mtl_mkproof_to_json_hex(const struct mtl_mkproof *p, char **hex);
MTL_API mtl_err mtl_mkproof_to_bytes_hex(const struct mtl_mkproof *p, char **hex);

/* Verify the proof: every sub-proof (recursively), then the master proof
 * (ckb's MerkleProof::verify with the refusals listed at the top), then that
 * the master proof lists the map leaf of every sub-proof's range and root.
 * MTL_ERR_VERIFY_FAIL naming the (sub-)proof and the broken rule. */
MTL_API MTL_NODISCARD mtl_err mtl_mkproof_verify(const struct mtl_mkproof *p);
/* The proven root (the master proof's root), borrowed. */
MTL_API void mtl_mkproof_root(const struct mtl_mkproof *p, const uint8_t **root, size_t *len);
/* Whether leaf is listed by the master proof or by any sub-proof (values
 * compared). Meaningful only once mtl_mkproof_verify succeeded. */
MTL_API bool mtl_mkproof_contains(const struct mtl_mkproof *p, const void *leaf, size_t len);
/* Tree size the master proof states (mmr_size), its number of sub-proofs. */
MTL_API uint64_t mtl_mkproof_tree_size(const struct mtl_mkproof *p);
MTL_API size_t mtl_mkproof_sub_count(const struct mtl_mkproof *p);

#ifdef __cplusplus
}
#endif
#endif
