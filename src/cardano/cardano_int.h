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

#endif
