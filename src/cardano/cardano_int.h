/* cardano_int.h - internals shared by the src/cardano files (not installed). */
#ifndef MTL_CARDANO_INT_H
#define MTL_CARDANO_INT_H

#include <stdint.h>

#include "common/common_int.h"
#include "mithril/cardano_db.h"

/* digest_cache.c: lookup by name, size and mtime; NULL when absent/stale. */
const char *mtl_digest_cache_lookup(const struct mtl_digest_cache *c, const char *name,
                                    uint64_t size, int64_t mtime_ns);
/* Add or replace one entry (marks the cache dirty). */
mtl_err mtl_digest_cache_put(struct mtl_digest_cache *c, const char *name, uint64_t size,
                             int64_t mtime_ns, const char *digest_hex);
/* Write the cache file when dirty; a failure is kept as the cache warning. */
void mtl_digest_cache_save(struct mtl_digest_cache *c);

/* sha256_ni.c: SHA-256 compression with the x86 SHA extensions (no padding;
 * h is the a..h state). The _x2 form runs two independent messages of the
 * same block count interleaved. Only call when mtl_sha256ni_available(). */
int mtl_sha256ni_available(void);
void mtl_sha256ni_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks);
void mtl_sha256ni_blocks_x2(uint32_t h[8], const uint8_t *p, uint32_t g[8], const uint8_t *q,
                            size_t nblocks);

#endif
