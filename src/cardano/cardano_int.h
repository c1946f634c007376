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

/* chain_observer.c: cardano-cli's stdout (NUL-terminated) parsed; cmd names
 * the command in the errors (MTL_ERR_EXTERNAL naming the field). */
struct mtl_chain_tip;
struct mtl_pool_stake;
/* `query tip`. */
mtl_err mtl_cli_tip_parse(const char *cmd, const char *out, struct mtl_chain_tip *tip);
/* `query stake-snapshot --all-stake-pools`: pools with stakeMark > 0, in the
 * output's order (*list: mtl_free; NULL on error). */
mtl_err mtl_cli_stake_snapshot_parse(const char *cmd, const char *out, struct mtl_pool_stake **list,
                                     size_t *count);
/* `query stake-distribution`'s table (text is cut up): pool(ud, id) for the
 * id of each row, stopping at its first error. */
mtl_err mtl_cli_stake_table_parse(const char *cmd, char *text,
                                  mtl_err (*pool)(void *ud, const char *pool_id), void *ud);

#endif
