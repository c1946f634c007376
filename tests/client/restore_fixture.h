/* restore_fixture.h - builds what an aggregator would publish for a Cardano
 * database (used by the client tests and bench_restore): a deterministic
 * simulated immutable DB, its per-file digests, Merkle root, a genesis
 * certificate signing that root (CardanoDatabase entity), the artifact JSON
 * and tar.zst archives (one per immutable number, plus the digests). */
#ifndef MTL_RESTORE_FIXTURE_H
#define MTL_RESTORE_FIXTURE_H

#include <stdint.h>

#include "mithril/err.h"

/* Write <db>/immutable/NNNNN.{chunk,primary,secondary} for 0..last, chunk
 * files of about chunk_bytes (pseudo-random, compressible ~2x). */
mtl_err fixture_make_db(const char *db, uint64_t last, uint64_t chunk_bytes);
/* Build data_dir (JSON for aggregator-fake + genesis.vkey) and files_dir
 * (digests/ and immutable/ archives) from db. */
mtl_err fixture_publish(const char *db, const char *data_dir, const char *files_dir,
                        uint64_t epoch);

#endif
