/* client_merkle.h - Cardano Database v2 Merkle root of per-file digests. */
#ifndef MTL_CLIENT_MERKLE_H
#define MTL_CLIENT_MERKLE_H

#include <stddef.h>

#include "mithril/err.h"

/* Root (64 hex + NUL) over the leaves (ASCII hex digests, in file-name order). */
mtl_err client_merkle_root(const char *const *leaves, size_t n, char out[65]);

#endif
