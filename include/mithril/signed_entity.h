/*
 * mithril/signed_entity.h - what Mithril signs: the signed entity kinds,
 * their names, their beacons and their JSON, and the protocol message of a
 * signed entity (reference: mithril-common entities/signed_entity_type.rs,
 * protocol_message.rs, signable_builder/).
 *
 * This header is the one place where a kind is described. The signer, the
 * aggregator and the test fixtures all build a message with
 *
 *     signable message = mtl_signed_entity_message(entity, chain view)
 *
 * so they agree byte for byte: a kind's parts, their names and their order
 * live in one table row of src/cert/signed_entity.c (docs/adding-a-signed-
 * entity.md tells what else a new kind touches).
 *
 * Names are parsed exactly: "CardanoDatabase" is a kind, "CardanoDatabaseX",
 * "cardanodatabase" and "Cardano" are not. Results the caller frees are said
 * so; every function is thread-safe (no state but the error detail).
 */
#ifndef MITHRIL_SIGNED_ENTITY_H
#define MITHRIL_SIGNED_ENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"
#include "mithril/stm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mtl_protocol_message; /* mithril/certificate.h */

/* Signed entity kinds. Each value is the reference's SignedEntityTypeId
 * (the discriminant stored in databases): append-only, never renumbered. */
enum mtl_signed_entity_kind {
    MTL_SET_MITHRIL_STAKE_DISTRIBUTION = 0,
    MTL_SET_CARDANO_STAKE_DISTRIBUTION = 1,
    MTL_SET_CARDANO_IMMUTABLE_FILES_FULL = 2, /* legacy: read in old certificates, never signed */
    MTL_SET_CARDANO_TRANSACTIONS = 3,
    MTL_SET_CARDANO_DATABASE = 4,
    MTL_SET_CARDANO_BLOCKS_TRANSACTIONS = 5,
};
/* Number of kinds: valid kinds are 0 .. MTL_SET_KIND_COUNT - 1. */
#define MTL_SET_KIND_COUNT 6
/* Bit of a kind in a kind mask (mtl_signed_entity_kinds_parse). */
#define MTL_SET_BIT(kind) (1u << (unsigned)(kind))

/* Epoch offsets (reference entities/epoch.rs): signers registered during
 * epoch e are recorded under e + MTL_SIGNER_RECORDING_OFFSET, the epoch
 * whose "next" signers they are. */
#define MTL_SIGNER_RECORDING_OFFSET 1

/* A signed entity: its kind and its beacon. Which beacon fields a kind
 * uses, with its JSON (the reference's serde form):
 *
 *   MithrilStakeDistribution   epoch                     {"MithrilStakeDistribution":15}
 *   CardanoStakeDistribution   epoch                     {"CardanoStakeDistribution":22}
 *   CardanoImmutableFilesFull  epoch, a = immutable file {"CardanoImmutableFilesFull":
 *                                                          {"epoch":9,"immutable_file_number":4}}
 *   CardanoTransactions        epoch, a = block number   {"CardanoTransactions":[23,689]}
 *   CardanoDatabase            epoch, a = immutable file {"CardanoDatabase":
 *                                                          {"epoch":20,"immutable_file_number":5}}
 *   CardanoBlocksTransactions  epoch, a = block number,  {"CardanoBlocksTransactions":[23,705,1]}
 *                              b = block number offset
 *
 * Unused fields are 0. */
struct mtl_signed_entity_type {
    enum mtl_signed_entity_kind kind;
    uint64_t epoch;
    uint64_t a; /* immutable_file_number (database kinds) or block_number */
    uint64_t b; /* block_number_offset (blocks transactions) */
};

/* ---- Kinds and their names ----------------------------------------------- */

/* The kind's name ("CardanoDatabase"), static; "Unknown" for a value out of
 * range. */
MTL_API const char *mtl_signed_entity_kind_name(enum mtl_signed_entity_kind k);

/* The kind named exactly by the len bytes at name (no NUL needed: tokens of
 * a list). Case, prefixes, suffixes and spaces all count: anything but an
 * exact name is MTL_ERR_BAD_ENCODING, with a detail naming the text and the
 * accepted names. */
MTL_API mtl_err mtl_signed_entity_kind_parse(enum mtl_signed_entity_kind *k, const char *name,
                                             size_t len);

/* 1 when this library can build the kind's protocol message (every kind but
 * the legacy CardanoImmutableFilesFull). */
MTL_API int mtl_signed_entity_kind_is_signable(enum mtl_signed_entity_kind k);

/* A comma-separated list of kind names (a SIGNED_ENTITY_TYPES setting) as a
 * mask of MTL_SET_BIT(kind). Blanks around a name and empty items are
 * skipped, as the reference does; every name must be exact and signable,
 * else MTL_ERR_BAD_ENCODING naming it (*mask is then 0). */
MTL_API mtl_err mtl_signed_entity_kinds_parse(unsigned *mask, const char *list);

/* ---- Beacons and JSON ------------------------------------------------------ */

/* The entity's JSON as above, compact, fields in the reference's order
 * (mtl_malloc'ed; free with mtl_free). MTL_ERR_INVALID_ARG for an unknown
 * kind. The text is also the key of an open message. */
MTL_API mtl_err mtl_signed_entity_type_to_json(const struct mtl_signed_entity_type *t, char **json);

/* Parse an entity's JSON text (len bytes): one member named exactly after a
 * kind, whose beacon has exactly the kind's shape (an object has exactly its
 * two members; numbers are non-negative integers). Anything else is
 * MTL_ERR_BAD_ENCODING naming what is wrong; *t is zeroed first. */
MTL_API mtl_err mtl_signed_entity_type_from_json(struct mtl_signed_entity_type *t, const char *json,
                                                 size_t len);

/* 1 when a and b are the same entity (kind and the beacon fields it uses). */
MTL_API int mtl_signed_entity_type_equal(const struct mtl_signed_entity_type *a,
                                         const struct mtl_signed_entity_type *b);

/* The epoch during which the entity is signed (its certificate's epoch and
 * the message's current_epoch): the beacon's epoch, except
 * CardanoStakeDistribution(e) which is signed during e + 1 (reference
 * get_epoch_when_signed_entity_type_is_signed). The next signers and
 * parameters of the message are those recorded under this epoch. */
MTL_API uint64_t mtl_signed_entity_signed_epoch(const struct mtl_signed_entity_type *t);

/* ---- The signable message ------------------------------------------------- */

/* What the signer or aggregator read from its own chain to sign an entity:
 * the seed every message carries, and the entity's own Merkle root. */
struct mtl_signed_entity_view {
    /* JSON-hex AVK of the next signers (those recorded under the signed
     * epoch) and their protocol parameters. Both required. */
    const char *next_avk;
    const struct mtl_stm_params *next_params;
    /* 64 lower-case hex digits: the Cardano database Merkle root
     * (CardanoDatabase), the stake distribution root (CardanoStakeDistribution:
     * for a single pool its MKTree root is its leaf, any even number of hex
     * digits, see mtl_csd_merkle_root) or the transactions root
     * (CardanoTransactions, CardanoBlocksTransactions); NULL for
     * MithrilStakeDistribution, which has none. */
    const char *merkle_root;
};

/* The protocol message of entity t seen through view v: the kind's own
 * parts (from its beacon and v->merkle_root) then next_aggregate_verification_key,
 * next_protocol_parameters (their hash) and current_epoch (the signed
 * epoch), exactly the parts and values of the reference's signable builders.
 * Its mtl_protocol_message_hash() is the signed_message. *out is new (free
 * with mtl_protocol_message_free), NULL on failure.
 * MTL_ERR_INVALID_ARG names what is missing or malformed in the view, or the
 * kind when it is not signable. */
MTL_API mtl_err mtl_signed_entity_message(struct mtl_protocol_message **out,
                                          const struct mtl_signed_entity_type *t,
                                          const struct mtl_signed_entity_view *v);

#ifdef __cplusplus
}
#endif
#endif
