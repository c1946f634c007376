/*
 * agg_sim.h - a devnet around a real mithril-aggregator for tests and the
 * load benchmark: the aggregator as a child process reading a chain stand-in
 * file, and in-process signers (real STM keys) that register and sign over
 * HTTP with libcurl, recomputing each message from the API like a signer.
 */
#ifndef MTL_AGG_SIM_H
#define MTL_AGG_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mithril/certificate.h"
#include "mithril/pool_identity.h"
#include "mithril/stm.h"

/* Bound of every wait on the aggregator (start, epoch change, certificate):
 * generous, as CI runs under ASan on a loaded 2-core machine; a wait that
 * succeeds returns as soon as its condition holds. */
#define SIM_WAIT_MS 180000
/* The aggregator's SLOTS_PER_KES_PERIOD: KES period = slot / this. */
#define SIM_SLOTS_PER_KES_PERIOD 100

struct sim_agg {
    char dir[256];        /* work dir: stores, chain file, logs */
    char chain_file[300]; /* "" = the chain observer (CARDANO_CLI_PATH in extra_env) */
    char url[128];        /* http://127.0.0.1:PORT/aggregator */
    char log_path[300];
    pid_t pid;
    const char *bin; /* mithril-aggregator */
    char params_json[128];
    char genesis_sk[512], genesis_vk[512];
    const char *extra_env[8]; /* "NAME=VALUE" for the next start */
    uint64_t slot;            /* tip slot sim_set_chain writes (KES period) */
};

/* HTTP (a fresh handle per call, or a kept one for speed: pass NULL). */
struct sim_http;
struct sim_http *sim_http_new(void);
void sim_http_free(struct sim_http *h);
/* Returns the HTTP status (0 on transport error); *body (optional) malloc'ed. */
long sim_get(struct sim_http *h, const char *url, char **body);
long sim_post(struct sim_http *h, const char *url, const char *json, size_t len, char **body);

/* Prepare dir, genesis keys and the chain file at epoch 1. */
int sim_setup(struct sim_agg *s, const char *bin, const char *params_json);
/* Remove the work dir, or keep it (and say where) after a failure. */
void sim_cleanup(struct sim_agg *s, int failed);
/* Write the chain stand-in: epoch, s->slot and parties (names) with stakes. */
int sim_set_chain(struct sim_agg *s, uint64_t epoch, char (*party)[64], const uint64_t *stake,
                  size_t n);
int sim_start(struct sim_agg *s);
/* SIGTERM (or kill -9 when hard) and wait; returns the wait status. *rss_kb
 * (optional) gets the child's peak RSS. */
int sim_stop(struct sim_agg *s, int hard, long *rss_kb);
/* Wait for the child to exit by itself (e.g. a test crash); wait status. */
int sim_wait_exit(struct sim_agg *s, int timeout_ms);
/* Poll /epoch-settings until the aggregator is in `epoch`. */
int sim_wait_epoch(struct sim_agg *s, uint64_t epoch);
/* Run `mithril-aggregator genesis bootstrap` with the same environment. */
int sim_genesis(struct sim_agg *s);
/* Run the aggregator binary with args (NULL-terminated) in the same
 * environment; its exit code (-1 if it did not exit normally). */
int sim_run(struct sim_agg *s, const char *const *args);
/* POST /register-signatures as a signer does: 404 (no open message yet:
 * the runtime opens it on a later tick, or has not read the chain since it
 * started) is retried until SIM_WAIT_MS; any other answer is returned. */
long sim_post_signature(struct sim_agg *s, struct sim_http *h, const char *json, char **body);
/* Poll /certificates until one of signed entity `entity_json` exists; its hash. */
int sim_wait_certificate(struct sim_agg *s, const char *entity_json, char hash[65], int timeout_ms);

/* What a signer of epoch e needs: the current signers' closed registration
 * and the MithrilStakeDistribution(e) message (signed_message), from the API. */
struct sim_epoch {
    uint64_t epoch;
    struct mtl_stm_params params;      /* of key e-1 */
    struct mtl_stm_closed_reg *closed; /* current signers (key e-1) */
    char signed_message[MTL_HASH_HEX_BYTES];
    char entity[96]; /* {"MithrilStakeDistribution":e} */
    char *next_avk;  /* chain view shared by every message of e */
    struct mtl_stm_params next_params;
};
/* The CardanoDatabase{e, N} message of a signer holding the node DB:
 * digests of immutable files 0..=N (N = last certifiable) and Merkle root. */
int sim_cardano_db_message(const struct sim_epoch *ep, const char *db_dir, char entity[160],
                           char signed_message[MTL_HASH_HEX_BYTES]);
int sim_epoch_load(struct sim_agg *s, struct sim_http *h, uint64_t epoch, struct sim_epoch *out);
/* The message of entity t over merkle_root (NULL: none) in epoch ep's chain
 * view: its JSON key and signed_message. */
int sim_entity_message(const struct sim_epoch *ep, const struct mtl_signed_entity_type *t,
                       const char *merkle_root, char entity[160],
                       char signed_message[MTL_HASH_HEX_BYTES]);
void sim_epoch_clear(struct sim_epoch *e);

/* A stake pool's identity, deterministic from idx: its cold key, the seed
 * of its KES key and its opcert (JSON-hex) from start_kes_period; pool_id is
 * its party id. */
struct sim_pool {
    char pool_id[MTL_POOL_ID_MAX];
    uint8_t cold_sk[MTL_COLD_SK_BYTES];
    uint8_t kes_seed[32];
    uint64_t start_kes_period;
    char *opcert;
};
int sim_pool_init(struct sim_pool *p, uint32_t idx, uint64_t start_kes_period);
void sim_pool_clear(struct sim_pool *p);
/* The KES signature (JSON-hex, mtl_free) of a Mithril key by the pool's KES
 * key evolved `evolutions` times. */
char *sim_pool_sign_key(const struct sim_pool *p, const char *vk_jsonhex, uint64_t evolutions);
/* A register-signer body (malloc'ed); opcert/sig NULL are left out. */
char *sim_register_json(uint64_t record_epoch, const char *party, const char *vk,
                        const char *opcert, const char *sig, uint64_t kes_period);
/* The KES period the aggregator reads from s->slot. */
uint64_t sim_kes_period(const struct sim_agg *s);
/* The body registering init's key for the current epoch under party, with
 * pool's credentials signed at the chain's KES period (none when pool is
 * NULL: only an aggregator with ALLOW_SKIP_SIGNER_CERTIFICATION takes it). */
char *sim_register_body(const struct sim_agg *s, uint64_t epoch, const char *party,
                        const struct mtl_stm_initializer *init, const struct sim_pool *pool);
/* POST that body; the HTTP status. */
long sim_register(struct sim_agg *s, struct sim_http *h, uint64_t epoch, const char *party,
                  const struct mtl_stm_initializer *init, const struct sim_pool *pool);
/* The register-signatures body of init's signature over msg (NULL when it
 * wins no lottery). */
char *sim_signature_body(const struct mtl_stm_initializer *init,
                         const struct mtl_stm_closed_reg *closed, const char *entity,
                         const char *party, const char *msg_signed, const char *msg_claimed);

/* Verify the chain from hash to genesis through the API; count checked. */
int sim_verify_chain(struct sim_agg *s, const char *hash, size_t *checked);

#endif
