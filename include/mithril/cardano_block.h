/*
 * mithril/cardano_block.h - reading Cardano blocks from a node's ImmutableDB:
 * the chunk files split by their secondary index (checked against the
 * primary index), each block's CBOR decoded in every era (Byron epoch
 * boundary and main blocks, Shelley, Allegra, Mary, Alonzo, Babbage, Conway)
 * for what Mithril certifies: block number, slot, block hash and the hash of
 * each transaction (spec shared/spec/cardano-db.md §5).
 *
 * The values are those the reference takes from pallas' MultiEraBlock
 * (number(), slot(), hash(), txs()[i].hash()):
 * - a transaction's hash is BLAKE2b-256 of its body's bytes exactly as they
 *   are in the block (never a re-encoding); Byron: of the Tx [inputs,
 *   outputs, attributes]; Alonzo and later list the phase-2 invalid
 *   transactions among the bodies, so they are included, as pallas does;
 * - the block hash is BLAKE2b-256 of the header's bytes (Shelley and later)
 *   or of [0, header] (epoch boundary) / [1, header] (Byron main);
 * - Byron slots are epoch * 21600 + slot in epoch (an epoch boundary block:
 *   epoch * 21600), pallas' mainnet constant; its block number is the
 *   header's chain difficulty.
 *
 * The decoder walks only the header and the transaction bodies (witnesses
 * and metadata are not read: they decide nothing here), without copying and
 * without an allocation per transaction: the hashes go to an array the
 * decoder keeps and grows. Indefinite-length CBOR and tags are accepted
 * anywhere inside the items walked; nesting deeper than 128 is refused.
 *
 * Not thread-safe per object; distinct objects may be used by distinct
 * threads. Nothing here prints.
 */
#ifndef MITHRIL_CARDANO_BLOCK_H
#define MITHRIL_CARDANO_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MTL_BLOCK_HASH_BYTES 32
#define MTL_BYRON_EPOCH_SLOTS 21600

/* The hard-fork combinator's era tags, as in the chunk files. */
enum mtl_cardano_era {
    MTL_ERA_BYRON_EBB = 0,
    MTL_ERA_BYRON = 1,
    MTL_ERA_SHELLEY = 2,
    MTL_ERA_ALLEGRA = 3,
    MTL_ERA_MARY = 4,
    MTL_ERA_ALONZO = 5,
    MTL_ERA_BABBAGE = 6,
    MTL_ERA_CONWAY = 7,
};
/* "byron-ebb", "byron", "shelley", ... "conway"; "?" for other values. */
MTL_API const char *mtl_cardano_era_name(enum mtl_cardano_era era);

/* One decoded block. Pointers are borrowed: bytes from the input (or the
 * chunk reader's mapping), tx_hashes from the decoder; both valid until the
 * next decode / next read or the object's free. */
struct mtl_cardano_block {
    enum mtl_cardano_era era;
    uint64_t block_number;
    uint64_t slot;
    uint8_t hash[MTL_BLOCK_HASH_BYTES];
    size_t tx_count;
    const uint8_t (*tx_hashes)[MTL_BLOCK_HASH_BYTES];
    const uint8_t *bytes; /* the whole block, [era, block] */
    size_t len;
};

struct mtl_block_decoder;
MTL_API mtl_err mtl_block_decoder_new(struct mtl_block_decoder **out);
MTL_API void mtl_block_decoder_free(struct mtl_block_decoder *d);
/* Decode one hard-fork-combinator block [era, block] of exactly len bytes
 * as the chunk files store it (the items after the transaction bodies are
 * not walked, so trailing bytes go unnoticed). MTL_ERR_BAD_ENCODING naming
 * the part (era wrapper, header, transaction i) and the byte offset;
 * MTL_ERR_NOMEM when the hash array cannot grow. */
MTL_API mtl_err mtl_block_decode(struct mtl_block_decoder *d, const uint8_t *p, size_t len,
                                 struct mtl_cardano_block *out);

/* ---- Chunk files ---------------------------------------------------------- */
struct mtl_chunk_reader;
/* Open chunk `number` of an immutable directory (NNNNN.chunk, .primary,
 * .secondary). The chunk file is mapped read-only; the indexes are read and
 * checked: the secondary is whole 56-byte entries with increasing block
 * offsets inside the chunk, the primary is version 1 with offsets that
 * only grow, by 0 or 56, ending at the secondary's size, one filled slot per
 * secondary entry. MTL_ERR_IO naming a file that cannot be read,
 * MTL_ERR_BAD_ENCODING naming the index and what is wrong. */
MTL_API mtl_err mtl_chunk_reader_open(struct mtl_chunk_reader **out, const char *immutable_dir,
                                      uint64_t number);
MTL_API void mtl_chunk_reader_free(struct mtl_chunk_reader *r);
/* Number of blocks the secondary index lists. */
MTL_API size_t mtl_chunk_reader_block_count(const struct mtl_chunk_reader *r);
/* Decode the next block into *out (*done stays false), or set *done when
 * every block was read. Each block's header hash and (Shelley and later)
 * slot must be the ones its secondary entry records: MTL_ERR_INTEGRITY
 * otherwise. Errors name the chunk file, the block index and its offset. */
MTL_API mtl_err mtl_chunk_reader_next(struct mtl_chunk_reader *r, struct mtl_cardano_block *out,
                                      bool *done);

#ifdef __cplusplus
}
#endif
#endif
