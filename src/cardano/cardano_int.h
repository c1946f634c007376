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

#endif
