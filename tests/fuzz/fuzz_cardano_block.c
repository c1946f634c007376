/* fuzz_cardano_block.c - decoding a block of any era from the chunk files
 * never crashes nor reads past the input, and an accepted block is
 * consistent: its era is 0..7, its bytes are the input, every transaction
 * hash is BLAKE2b-256 of a slice of the input (checked by re-walking the
 * transaction bodies of Shelley-era blocks), and a second decode gives the
 * same result. Input: the block bytes [era, block] (seeds: synthetic blocks
 * of every era's shape, with definite and indefinite lists). */
#include <sodium.h>
#include <string.h>

#include "cardano/cardano_int.h"
#include "mithril/cardano_block.h"

static struct mtl_block_decoder *dec, *dec2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec && (mtl_init() != MTL_OK || mtl_block_decoder_new(&dec) != MTL_OK ||
                 mtl_block_decoder_new(&dec2) != MTL_OK))
        return 0;
    struct mtl_cardano_block a, b;
    if (mtl_block_decode(dec, data, size, &a) != MTL_OK)
        return 0;
    MTL_ASSERT(a.era <= MTL_ERA_CONWAY && a.bytes == data && a.len == size);
    MTL_ASSERT(a.era > MTL_ERA_BYRON_EBB || a.tx_count == 0);
    MTL_ASSERT(mtl_block_decode(dec2, data, size, &b) == MTL_OK);
    MTL_ASSERT(a.block_number == b.block_number && a.slot == b.slot && a.tx_count == b.tx_count);
    MTL_ASSERT(memcmp(a.hash, b.hash, 32) == 0);
    MTL_ASSERT(a.tx_count == 0 || memcmp(a.tx_hashes, b.tx_hashes, 32 * a.tx_count) == 0);
    if (a.era < MTL_ERA_SHELLEY)
        return 0;
    /* Shelley and later: [era, [header, bodies, ...]] (the era tag's head
     * may be long): skip to the bodies independently, hash each one again */
    size_t pos = 0, n = 0;
    unsigned major;
    uint64_t v, left;
    bool indef;
    MTL_ASSERT(mtl_cbor_head(data, size, &pos, &major, &v, "t") == MTL_OK && major == 4);
    MTL_ASSERT(mtl_cbor_head(data, size, &pos, &major, &v, "t") == MTL_OK && v == a.era);
    MTL_ASSERT(mtl_cbor_head(data, size, &pos, &major, &v, "t") == MTL_OK && major == 4);
    MTL_ASSERT(mtl_cbor_skip(data, size, &pos, "header") == MTL_OK);
    MTL_ASSERT(mtl_cbor_array(data, size, &pos, &left, &indef, "bodies") == MTL_OK);
    while (mtl_cbor_array_more(data, size, &pos, indef, &left)) {
        size_t at = pos;
        uint8_t h[32];
        MTL_ASSERT(mtl_cbor_skip(data, size, &pos, "body") == MTL_OK && pos <= size);
        crypto_generichash(h, 32, data + at, pos - at, NULL, 0);
        MTL_ASSERT(n < a.tx_count && memcmp(h, a.tx_hashes[n], 32) == 0);
        n++;
    }
    MTL_ASSERT(n == a.tx_count);
    return 0;
}
