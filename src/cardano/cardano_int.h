/* cardano_int.h - internals shared by the src/cardano files (not installed). */
#ifndef MTL_CARDANO_INT_H
#define MTL_CARDANO_INT_H

#include <stdint.h>

#include "common/common_int.h"
#include "mithril/cardano_db.h"
#include "mithril/pool_identity.h"

/* digest_cache.c: lookup by name, size and mtime; NULL when absent/stale. */
const char *mtl_digest_cache_lookup(const struct mtl_digest_cache *c, const char *name,
                                    uint64_t size, int64_t mtime_ns);
/* Add or replace one entry (marks the cache dirty). */
mtl_err mtl_digest_cache_put(struct mtl_digest_cache *c, const char *name, uint64_t size,
                             int64_t mtime_ns, const char *digest_hex);
/* Write the cache file when dirty; a failure is kept as the cache warning. */
void mtl_digest_cache_save(struct mtl_digest_cache *c);

/* kes.c: Sum6 verification for any period, as the kes crate walks it: a
 * period >= 64 keeps taking right subtrees (64 verifies what 63 does), which
 * the reference aggregator's window relies on. mtl_kes_verify bounds it. */
mtl_err mtl_kes_verify_walk(const uint8_t sig[MTL_KES_SIG_BYTES],
                            const uint8_t vk[MTL_KES_VK_BYTES], uint32_t period, const uint8_t *msg,
                            size_t len);

/* cbor.c: definite CBOR heads. mtl_cbor_head reads one at *pos (advancing
 * it); _expect also requires the major type; _bytes reads a byte string of
 * `want` bytes (0 = any) and points *out into p. _put_head writes the
 * shortest head (at most 9 bytes) and returns its length. */
mtl_err mtl_cbor_head(const uint8_t *p, size_t len, size_t *pos, unsigned *major, uint64_t *val,
                      const char *what);
mtl_err mtl_cbor_expect(const uint8_t *p, size_t len, size_t *pos, unsigned major, uint64_t *val,
                        const char *what);
mtl_err mtl_cbor_bytes(const uint8_t *p, size_t len, size_t *pos, const uint8_t **out, size_t want,
                       const char *what);
size_t mtl_cbor_put_head(uint8_t *out, unsigned major, uint64_t val);
/* Skip one whole item of any shape at *pos (definite or indefinite lengths,
 * tags, simple values, floats), nested at most MTL_CBOR_MAX_DEPTH deep;
 * *pos is left where it was when the item is refused. */
#define MTL_CBOR_MAX_DEPTH 128
mtl_err mtl_cbor_skip(const uint8_t *p, size_t len, size_t *pos, const char *what);
/* An array head, definite (*n items) or indefinite (0x9f: *indefinite set);
 * then `while (mtl_cbor_array_more(p, len, &pos, indef, &n))` visits its
 * items, consuming the 0xff break of an indefinite one. */
mtl_err mtl_cbor_array(const uint8_t *p, size_t len, size_t *pos, uint64_t *n, bool *indefinite,
                       const char *what);
bool mtl_cbor_array_more(const uint8_t *p, size_t len, size_t *pos, bool indefinite,
                         uint64_t *left);

/* jsonhex_scan.c: strict, allocation-free reading of JSON-hex text of a
 * fixed serde shape, field by field in the text's order. Errors name `what`,
 * the level (when not 0: KES signature levels) and the field, with the text
 * offset. _start decodes the hex (refusing NULL with MTL_ERR_INVALID_ARG, odd
 * lengths, non-hex characters and texts over MTL_JSCAN_MAX); _lit
 * expects exact text ("[[", ",\"lhs_pk\":"); _bytes a serde byte array of
 * exactly n numbers 0..255; _u64 a decimal u64 as serde writes it; _end the
 * end of the text. */
#define MTL_JSCAN_MAX 2048 /* text bytes: a KES signature has at most 1985 */
struct mtl_jscan {
    const char *what;
    size_t len, pos;
    unsigned level;
    uint8_t text[MTL_JSCAN_MAX + 1]; /* the hex, decoded, then a 0 */
};
mtl_err mtl_jscan_start(struct mtl_jscan *x, const char *hex, const char *what);
mtl_err mtl_jscan_lit(struct mtl_jscan *x, const char *lit, const char *field);
mtl_err mtl_jscan_bytes(struct mtl_jscan *x, uint8_t *out, size_t n, const char *field);
mtl_err mtl_jscan_u64(struct mtl_jscan *x, uint64_t *out, const char *field);
mtl_err mtl_jscan_end(struct mtl_jscan *x);

/* kes.c: walk the Merkle path of a Sum6 signature for `period` (as
 * mtl_kes_verify_walk does) and put the leaf's Ed25519 key in `leaf`.
 * Returns 0 when every level's keys hash to their parent's, else the level
 * (6..1) that does not. */
unsigned mtl_kes_leaf_key(uint8_t leaf[32], const uint8_t sig[MTL_KES_SIG_BYTES],
                          const uint8_t vk[MTL_KES_VK_BYTES], uint32_t period);

#endif
