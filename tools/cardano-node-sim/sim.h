/* sim.h - internals of cardano-node-sim (a simulated Cardano node writing a
 * node-shaped database; spec cardano-db.md sections 1.1, 5). */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common_int.h"
#include "mithril/pool_identity.h"

/* ---- deterministic PRNG (xoshiro256**, seeded by splitmix64) ---- */
struct sim_rng {
    uint64_t s[4];
};
/* A stream keyed by (seed, tag, index): the same key gives the same bytes,
 * so any slot or epoch can be regenerated without replaying the chain. */
void sim_rng_init(struct sim_rng *r, uint64_t seed, uint64_t tag, uint64_t index);
uint64_t sim_rng_u64(struct sim_rng *r);
void sim_rng_bytes(struct sim_rng *r, uint8_t *out, size_t n);
enum { SIM_TAG_POOL = 1, SIM_TAG_STAKE = 2, SIM_TAG_SLOT = 3, SIM_TAG_LEDGER = 4 };

uint32_t sim_crc32(uint32_t crc, const uint8_t *p, size_t n);
void sim_blake2b(uint8_t *out, size_t outlen, const uint8_t *in, size_t n);

/* --db, the socket and --pools-dir are at most this long (main refuses
 * longer ones): the fixed path buffers (4200 bytes and more) then hold every
 * file name made under them. */
#define SIM_DIR_MAX 4000

struct sim_params {
    const char *db;
    char socket[4096];
    char pools_dir[4096]; /* per-pool SPO key files (--pools-dir, default DB/pools) */
    uint64_t seed, k, epoch_length, pools, magic, tx_bytes, slot_length_ms;
    uint64_t tx_density; /* about this many transactions per block (0: none) */
    uint64_t slots_per_kes_period; /* genesis slotsPerKESPeriod */
    double f;                      /* active slot coefficient */
    uint64_t epochs;               /* 0 with --run */
    bool run;
};

struct sim_pool {
    uint8_t cold_vkey[32], vrf_vkey[32];
    uint8_t key_hash[28];     /* BLAKE2b-224 of the cold key: the pool id */
    struct mtl_opcert opcert; /* issue 0, start period 0, hot key = the KES key */
    uint64_t live;            /* stake at the end of the epoch being computed */
    uint64_t mark, set, go;
};

/* A block held in memory until it is k deep. */
struct sim_block {
    uint64_t block_no, slot;
    uint8_t hash[32];
    uint32_t header_size;
    uint8_t *bytes;
    size_t len;
};

/* Writer of the open immutable chunk (section 5.2-5.3). */
struct sim_chunk {
    uint64_t no;
    uint64_t chunk_len, secondary_len;
    uint64_t n_offsets; /* u32 offsets in .primary (file = 1 + 4 n bytes) */
    int fd_chunk, fd_secondary, fd_primary;
    uint64_t last_slot; /* slot of the last immutable block, UINT64_MAX when none */
    bool has_block;
};

struct sim {
    struct sim_params p;
    uint64_t chunk_size;
    struct sim_pool *pools;
    uint64_t stake_epoch; /* epoch whose mark/set/go are in pools[] */
    uint64_t next_slot, next_block;
    bool has_tip;
    uint64_t tip_slot, tip_block;
    uint8_t tip_hash[32];
    struct sim_block *vol; /* ring of at most k blocks, oldest first */
    size_t nvol;
    struct sim_chunk ch;
    uint64_t ledger_slots[2];
    size_t nledger;
    FILE *tx_log;          /* --tx-log: a line per block made (NULL: none) */
    struct mtl_buf tx_ids; /* the transaction ids of the block being made */
};

/* sim_chain.c: CBOR writing (heads of definite length), blocks, files */
#define CB_UINT 0
#define CB_BYTES 2
#define CB_ARRAY 4
#define CB_MAP 5
mtl_err sim_cb_head(struct mtl_buf *b, unsigned major, uint64_t v);
mtl_err sim_cb_bytes(struct mtl_buf *b, const uint8_t *p, size_t n);
mtl_err sim_cb_rand_bytes(struct mtl_buf *b, struct sim_rng *r, size_t n);
mtl_err sim_make_block(struct sim *s, uint64_t slot, struct sim_block *out, bool *made);
mtl_err sim_chunk_open_fresh(struct sim *s);
mtl_err sim_chunk_resume(struct sim *s, uint64_t no, uint64_t chunk_len, uint64_t sec_len,
                         uint64_t n_offsets);
void sim_chunk_close(struct sim *s);
mtl_err sim_immutable_append(struct sim *s, const struct sim_block *b);
mtl_err sim_volatile_write(struct sim *s, const struct sim_block *b);
mtl_err sim_volatile_remove(struct sim *s, uint64_t block_no);
mtl_err sim_volatile_read(struct sim *s, struct sim_block *b);
mtl_err sim_ledger_snapshot(struct sim *s, uint64_t slot);
void sim_stakes_at_epoch(struct sim *s, uint64_t epoch);
mtl_err sim_write_plain(const char *path, const void *data, size_t len);

/* sim_txs.c: how many transactions a block gets (from its stream r), and
 * their bodies (a CBOR array into bodies), witness sets (into wits) and ids
 * (32 bytes each, appended to ids). pad: witness bytes wanted in all. */
uint64_t sim_tx_count(const struct sim *s, struct sim_rng *r);
mtl_err sim_make_txs(const struct sim *s, struct sim_rng *r, uint64_t slot, uint64_t ntx,
                     uint64_t pad, struct mtl_buf *bodies, struct mtl_buf *wits,
                     struct mtl_buf *ids);

/* sim_pools.c: Cardano's maxKESEvolutions (genesis) the sim announces. */
#define SIM_MAX_KES_EVOLUTIONS 62
/* Keys of every pool from the seed: cold Ed25519 key, KES key, opcert. */
mtl_err sim_pools_init(struct sim *s);
/* The SPO files of every pool in p.pools_dir/<i>/ (see README); files of an
 * earlier run are kept when they hold this seed's keys, refused otherwise. */
mtl_err sim_pools_write(struct sim *s);

#endif
