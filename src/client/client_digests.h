/* client_digests.h - the artifact's certified per-file digests. */
#ifndef MTL_CLIENT_DIGESTS_H
#define MTL_CLIENT_DIGESTS_H

#include <jansson.h>

#include "client_restore.h"
#include "common/common_int.h"

/* Parse a digests list, keeping immutable files numbered <= max_number,
 * sorted by name (free *out with mtl_free). */
mtl_err client_digests_parse(const char *json, size_t len, uint64_t max_number,
                             struct restore_digest **out, size_t *count);
/* The Merkle root of the digests must equal the certified root. */
mtl_err client_digests_check_root(const struct restore_digest *d, size_t n,
                                  const char *certified_root);
/* Try the artifact's digests locations in order. */
mtl_err client_digests_fetch(const json_t *artifact, uint64_t max_number,
                             struct restore_digest **out, size_t *count);

#endif
