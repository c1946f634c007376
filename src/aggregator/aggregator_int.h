/* aggregator_int.h - shared declarations of the mithril-aggregator program. */
#ifndef MTL_AGGREGATOR_INT_H
#define MTL_AGGREGATOR_INT_H

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "era_reader.h"
#include "httpd.h"
#include "metrics.h"
#include "mithril/certificate.h"
#include "mithril/stm.h"
#include "tx_importer.h"
#include "tx_store.h"
#include "common/json_int.h"

/* JSON output like serde: compact, fields in order, reals in their
 * shortest round-trip form (0.65), through mtl_json_dumps. */
#define AGG_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

/* Configuration: command-line flags > environment > defaults. */
struct agg_config {
    const char *network;
    const char *cardano_cli_path;
    const char *db_directory;
    const char *data_stores_directory;
    const char *snapshot_directory;
    const char *server_ip;
    uint16_t server_port;
    const char *genesis_verification_key; /* path to genesis.vkey or the JSON-hex itself */
    struct mtl_stm_params params;
    const char *signed_entity_types;
    /* MTL_SET_BIT of each kind signed (MithrilStakeDistribution always) */
    unsigned signed_entity_mask;
    unsigned run_interval_ms;
    const char *port_file;               /* write the bound port here (tests with port 0) */
    const char *stake_distribution_file; /* devnet stand-in for the chain observer */
    int64_t current_epoch;               /* -1: the latest certified epoch */
    uint64_t network_magic;              /* chain observer: 0 = --mainnet */
    const char *cardano_node_socket_path;
    unsigned store_retention_limit;        /* epochs of keys/signatures kept, 0 = all */
    const char *ancillary_secret_key;      /* ANCILLARY_FILES_SIGNER_CONFIG JSON (reference form) */
    const char *ancillary_secret_key_path; /* or a file with the JSON-hex seed */
    const char *server_url;                /* public URL prefix of served artifact files */
    unsigned zstd_level;
    const char *cardano_node_version;
    uint64_t slots_per_kes_period; /* genesis slotsPerKESPeriod */
    /* Tests only: registrations without opcert/KES signature are accepted
     * with their party id unverified (the reference's build feature). */
    int allow_skip_signer_certification;
    unsigned http_threads, http_max_connections, http_per_ip, http_deadline_ms;
    int enable_metrics_server; /* GET /metrics on metrics_server_ip:port */
    const char *metrics_server_ip;
    uint16_t metrics_server_port;
    const char *custom_origin_tag_white_list; /* origin tags counted besides the defaults */
    unsigned max_open_messages;               /* open messages the certifier holds signatures of */
    const char *era_reader_adapter_type, *era_reader_adapter_params;
    /* cardano_transactions_signing_config, cardano_blocks_transactions_signing_config */
    struct app_tx_signing ctx_signing, cbtx_signing;
    unsigned prover_max_hashes; /* cardano_prover_max_hashes_allowed_by_request */
    const char *leader_aggregator_endpoint; /* set: a follower of that leader */
    const char *explorer_directory, *explorer_wasm_directory; /* the /explorer/ web app */
};

/* Parse --flag value pairs from argv[first..] over the environment and the
 * defaults; an unknown flag or a bad value is an MTL_ERR_CONFIG naming it. */
mtl_err agg_config_load(struct agg_config *c, int argc, char **argv, int first);
void agg_config_usage(FILE *out);
/* The settings table of --help (flag, environment variable, default). */
void agg_config_options(FILE *out);

/* ---- store (one SQLite file in DATA_STORES_DIRECTORY) ---------------------- */
struct agg_store {
    sqlite3 *db;
    pthread_mutex_t lock; /* one connection shared by the HTTP threads */
};
mtl_err agg_store_open(struct agg_store *s, const char *dir);
void agg_store_close(struct agg_store *s);
/* Insert a certificate (JSON as the reference serialises it); the hash is
 * recomputed and must match; the previous one must exist unless genesis. */
mtl_err agg_store_put_certificate(struct agg_store *s, const char *json);
/* JSON of one certificate (NULL with MTL_ERR_NOT_FOUND when absent). */
mtl_err agg_store_get_certificate(struct agg_store *s, const char *hash, char **json);
mtl_err agg_store_get_genesis(struct agg_store *s, char **json);
/* JSON array of the latest n certificates (list items), newest first. */
mtl_err agg_store_list_certificates(struct agg_store *s, unsigned n, char **json);
mtl_err agg_store_latest_epoch(struct agg_store *s, uint64_t *epoch, int *found);
/* Record a signer (registration JSON incl. stake) with its verification key
 * (JSON-hex) for an epoch. Never replaces: the party already registered with
 * the same key leaves the store as it is and sets *existing; with another
 * key, or a key another party of the epoch registered, MTL_ERR_CONFLICT
 * naming which. */
mtl_err agg_store_put_registration(struct agg_store *s, uint64_t epoch, const char *party_id,
                                   const char *vk, uint64_t stake, const char *json, int *existing);
/* Full registration JSON objects of an epoch, as a JSON array text. */
mtl_err agg_store_registrations(struct agg_store *s, uint64_t epoch, char **json);
/* Another connection to the store's file (the transactions importer and
 * prover use their own): close with app_db_close. */
mtl_err agg_store_connect(struct agg_store *s, sqlite3 **db);
/* Copy the WAL into the database (passive: never waits for readers). */
void agg_store_checkpoint(struct agg_store *s);
/* Blake2b-256 over the stored registration texts of an epoch (in order):
 * tells whether they changed without parsing them. */
mtl_err agg_store_registrations_digest(struct agg_store *s, uint64_t epoch, uint8_t out[32]);
/* Registered signers of an epoch as the openapi SignersWithStake list. */
mtl_err agg_store_list_signers(struct agg_store *s, uint64_t epoch, char **json, int *count);

/* Internals shared by the store files. */
mtl_err agg_store_insert_certificate_locked(struct agg_store *s, const char *json);
/* Its two halves: parse and check a certificate and build its list item
 * (no lock needed; item: free()), then insert with the lock held. */
mtl_err agg_store_cert_prepare(const char *json, struct mtl_certificate **c, char **item);
/* The openapi list item text of a certificate JSON (free()). */
mtl_err agg_store_cert_item(const char *json, char **item);
mtl_err agg_store_cert_insert_locked(struct agg_store *s, const struct mtl_certificate *c,
                                     const char *json, const char *item);
mtl_err agg_store_query_text(struct agg_store *s, const char *sql, const char *arg, char **out,
                             const char *what);
/* A new object with the listed keys of a JSON text that has them (list items
 * of the openapi from stored artifacts); NULL if the text is not JSON. */
json_t *agg_json_pick(const char *json, const char *const *keys, size_t n);
mtl_err agg_store_query_list(struct agg_store *s, const char *sql, int64_t arg,
                             json_t *(*fn)(const char *), char **out);
/* Stake distribution read from the chain during `epoch`, recorded under key
 * epoch+1 (first read of an epoch wins). */
mtl_err agg_store_put_stakes(struct agg_store *s, uint64_t key_epoch, const char *const *party,
                             const uint64_t *stake, size_t n);
/* Stake of a party under a key epoch (MTL_ERR_NOT_FOUND if absent). */
mtl_err agg_store_stake(struct agg_store *s, uint64_t key_epoch, const char *party,
                        uint64_t *stake);
/* Protocol parameters recorded for an epoch key (INSERT OR IGNORE). */
mtl_err agg_store_put_params(struct agg_store *s, uint64_t epoch, const struct mtl_stm_params *p);
mtl_err agg_store_params(struct agg_store *s, uint64_t epoch, struct mtl_stm_params *p);

/* Open messages: one per signed entity (key: its JSON). */
struct agg_open_message {
    struct mtl_signed_entity_type type;
    char *signed_entity; /* its key: the JSON of type (mtl_malloc'ed) */
    char *protocol_message; /* {"message_parts":{...}} */
    char signed_message[MTL_HASH_HEX_BYTES];
    int is_certified;
    int64_t created_at_ns;
};
void agg_open_message_clear(struct agg_open_message *m);
mtl_err agg_store_open_message_create(struct agg_store *s, const struct agg_open_message *m);
mtl_err agg_store_open_message_get(struct agg_store *s, const char *signed_entity,
                                   struct agg_open_message *m);
/* Uncertified open messages of an epoch: JSON array of signed_entity keys. */
mtl_err agg_store_open_messages_pending(struct agg_store *s, uint64_t epoch, char ***keys,
                                        size_t *n);
/* Store one single signature; MTL_ERR_CONFLICT when the party already signed. */
mtl_err agg_store_put_signature(struct agg_store *s, const char *signed_entity, uint64_t epoch,
                                const char *party, const char *sig, size_t won);
/* Signatures of an open message (parallel arrays, free with agg_strv_free). */
mtl_err agg_store_signatures(struct agg_store *s, const char *signed_entity, char ***party,
                             char ***sigs, size_t *n);
void agg_strv_free(char **v, size_t n);
/* The certificate a new one of `epoch` chains to (reference "master"
 * certificate: the first of epoch, else the first of epoch-1). */
mtl_err agg_store_master_certificate(struct agg_store *s, uint64_t epoch, char **json);

/* One artifact produced with its certificate (built by its kind's handler). */
struct agg_artifact {
    struct mtl_signed_entity_type entity;
    char hash[MTL_HASH_HEX_BYTES];
    char *json;  /* the artifact message (mtl_malloc'ed) */
    char *extra; /* the kind's side document (CardanoDatabase: digests list), or NULL */
};
void agg_artifact_clear(struct agg_artifact *art);
/* Certificate + artifact + open message certified, in ONE transaction. The
 * test hook MTL_AGG_TEST_CRASH=after_certificate|after_artifact kills the
 * process (SIGKILL) inside the transaction. */
mtl_err agg_store_certify(struct agg_store *s, const char *signed_entity, const char *cert_json,
                          const struct agg_artifact *art);
/* The same for a certificate c built and checked by the caller (cert_json
 * its JSON): not parsed nor hashed again. */
mtl_err agg_store_certify_built(struct agg_store *s, const char *signed_entity,
                                const struct mtl_certificate *c, const char *cert_json,
                                const struct agg_artifact *art);
/* Artifacts, one table keyed by kind: one by hash; a list of openapi list
 * items (item() picks them from each stored JSON), newest first, the latest
 * n when epoch < 0 else all of that epoch; the newest one's extra document
 * (MTL_ERR_NOT_FOUND when none). */
mtl_err agg_store_artifact_get(struct agg_store *s, enum mtl_signed_entity_kind k, const char *hash,
                               char **json);
mtl_err agg_store_artifact_list(struct agg_store *s, enum mtl_signed_entity_kind k, int64_t epoch,
                                unsigned n, json_t *(*item)(const char *), char **json);
mtl_err agg_store_artifact_extra(struct agg_store *s, enum mtl_signed_entity_kind k, char **json);
/* Retention: drop registrations, stakes, signatures and open messages of
 * epoch keys < min_epoch (certificates and artifacts are kept). */
mtl_err agg_store_prune(struct agg_store *s, uint64_t min_epoch, int *changes);

/* ---- chain source ------------------------------------------------------------ */
struct agg_chain_state {
    uint64_t epoch;
    uint64_t slot; /* of the tip: the current KES period is slot / slots_per_kes_period */
    char era[24];  /* the tip's Cardano era ("" when the chain does not say) */
    size_t n;
    char (*party)[64];
    uint64_t *stake;
};
/* Read the epoch and stake distribution: the chain observer (CARDANO_CLI_PATH)
 * or, when STAKE_DISTRIBUTION_FILE is set, that file (devnet stand-in):
 * {"epoch":E,"slot":S,"stake_distribution":{party:stake}} (slot optional,
 * default 0) or {party:stake} with CURRENT_EPOCH. */
mtl_err agg_chain_read(const struct agg_config *c, struct agg_chain_state *st);
void agg_chain_state_clear(struct agg_chain_state *st);

/* ---- runtime ------------------------------------------------------------------ */
/* Registered signers of one key epoch, closed (immutable once built). */
struct agg_signers {
    uint64_t key_epoch;
    size_t n;
    char **party; /* by closed-registration signer index */
    uint64_t *stake;
    struct mtl_stm_closed_reg *closed;
    char *avk;
    int refs;        /* under agg_runtime.mu */
    size_t *by_name; /* signer indexes sorted by party id */
};
mtl_err agg_signers_load(struct agg_store *s, uint64_t key_epoch, struct agg_signers **out);
void agg_signers_free(struct agg_signers *g);
/* Signer index of a party id, or g->n. */
size_t agg_signers_find(const struct agg_signers *g, const char *party);

enum agg_state { AGG_IDLE, AGG_READY, AGG_SIGNING, AGG_BLOCKED };
struct agg;
struct agg_runtime {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* The registration round: register-signer holds it shared from its
     * epoch check to its store write, an epoch transition exclusively, so
     * the next signers a transition loads are all that epoch will have. */
    pthread_rwlock_t round;
    int stop, wake;
    int have_epoch;
    uint64_t epoch; /* chain epoch the runtime is in */
    uint64_t slot;  /* chain tip's slot at the last read */
    enum agg_state state;
    struct agg_signers *current;  /* key epoch-1: who signs this epoch */
    struct agg_signers *next;     /* key epoch: next signers (runtime thread only) */
    struct mtl_stm_params params; /* params of key epoch-1 */
    /* The stake distribution artifact of msd_epoch, prepared off the
     * quorum-to-certificate path (runtime thread only): its text with
     * placeholders for certificate_hash and created_at, its hash, and the
     * registrations it was built from (rebuilt when they differ). */
    uint64_t msd_epoch;
    char *msd_text, msd_hash[65];
    uint8_t msd_regs[32];
    /* AGG_BLOCKED: why certificates cannot be made (the reference's Blocked
     * states): blocked-no-genesis, blocked-epoch-gap, blocked-chain. */
    char blocked_state[32], blocked_reason[320];
    /* For /status: the chain tip's Cardano era, the node tools' version
     * (asked once). Under mu. */
    char cardano_era[24], node_version[32];
};
/* Init/destroy the runtime's locks and certifier (before the HTTP server
 * starts / after it stops); start/stop its thread. */
mtl_err agg_runtime_init(struct agg *a);
void agg_runtime_destroy(struct agg *a);
mtl_err agg_runtime_start(struct agg *a);
void agg_runtime_stop(struct agg *a);
/* One step of the state machine (the thread calls it every RUN_INTERVAL);
 * MTL_OK unless the chain or, at a new epoch, the era could not be read (or
 * the era is not supported). */
mtl_err agg_runtime_tick(struct agg *a);
/* The blocked state and its reason (0 when not blocked). */
int agg_runtime_blocked(struct agg *a, char state[32], char reason[320]);

/* Open a signed entity's message unless it exists: the protocol message
 * of mtl_signed_entity_message with the next signers of its signed epoch
 * and merkle_root (NULL for MithrilStakeDistribution). */
mtl_err agg_open_message_with_root(struct agg *a, const struct mtl_signed_entity_type *t,
                                   const char *merkle_root);
/* The ancillary Ed25519 seed of ANCILLARY_SECRET_KEY_PATH or
 * ANCILLARY_FILES_SIGNER_CONFIG (wipe it after use). */
mtl_err agg_ancillary_seed(const struct agg_config *c, uint8_t seed[32]);
/* Current signers (refcounted; release with agg_runtime_release). */
struct agg_signers *agg_runtime_signers(struct agg *a, struct mtl_stm_params *params,
                                        uint64_t *epoch, int *have);
void agg_runtime_release(struct agg *a, struct agg_signers *g);
/* The chain's current KES period (tip slot / SLOTS_PER_KES_PERIOD). */
uint64_t agg_runtime_kes_period(struct agg *a);

/* Epoch service (aggregator_epoch.c): move the runtime to the chain's
 * epoch (retention, stakes and parameters recorded, current and next
 * signers loaded) under the registration round held exclusively. */
void agg_epoch_transition(struct agg *a, const struct agg_chain_state *ch);

/* ---- signed entity handlers (aggregator_entities.c) --------------------------- */
/* What the aggregator does for one signed entity kind; each kind has one
 * file defining its handler (aggregator_msd.c, aggregator_cardano_db.c) and
 * one row in the table of aggregator_entities.c. The message itself is the
 * library's (mtl_signed_entity_message). */
struct agg_entity_handler {
    enum mtl_signed_entity_kind kind;
    /* Open this kind's message(s) of epoch when due; runtime thread, every
     * tick once the chain continues. Logs its own failures. */
    void (*open)(struct agg *a, uint64_t epoch);
    /* The artifact of certified message m: cert is the certificate just
     * built, sealed_ns its sealing time. Fills art->hash, json, extra and
     * checks the artifact against cert. */
    mtl_err (*build_artifact)(struct agg *a, const struct agg_open_message *m,
                              const struct mtl_certificate *cert, int64_t sealed_ns,
                              struct agg_artifact *art);
    /* Answer GET path p (after /aggregator) when it is one of this kind's
     * routes: 1 when answered, 0 when not its route. */
    int (*route)(struct agg *a, const char *p, struct app_http_response *r);
};
extern const struct agg_entity_handler agg_msd_handler;
extern const struct agg_entity_handler agg_cardano_db_handler;
extern const struct agg_entity_handler agg_csd_handler;
extern const struct agg_entity_handler agg_cardano_transactions_handler;
extern const struct agg_entity_handler agg_cardano_blocks_transactions_handler;
/* The handler of a kind, NULL when this aggregator cannot sign it. */
const struct agg_entity_handler *agg_entity_handler(enum mtl_signed_entity_kind k);
/* Open the messages of every kind the configuration enables. */
void agg_entities_open(struct agg *a, uint64_t epoch);
/* The certifier's call: the artifact of m by its kind's handler (art is
 * cleared first; a kind without artifact leaves art->json NULL). */
mtl_err agg_entity_build_artifact(struct agg *a, const struct agg_open_message *m,
                                  const struct mtl_certificate *cert, int64_t sealed_ns,
                                  struct agg_artifact *art);
/* GET routes of the kinds: 1 when one answered. */
int agg_entities_route(struct agg *a, const char *p, struct app_http_response *r);
/* JSON array of the enabled kinds' names (available_signed_entity_types). */
json_t *agg_entities_json(const struct agg *a);
/* SIGNED_ENTITY_TYPES as a mask: exact names with a handler, else
 * MTL_ERR_CONFIG naming the type. */
mtl_err agg_entities_parse(const char *list, unsigned *mask);
/* Shared by handlers' routes: reply with an artifact of kind by hash, a list
 * (see agg_store_artifact_list), or a stored text; what names it in errors. */
void agg_route_artifact(struct agg *a, enum mtl_signed_entity_kind k, const char *hash,
                        const char *what, struct app_http_response *r);
void agg_route_artifact_list(struct agg *a, enum mtl_signed_entity_kind k, int64_t epoch,
                             json_t *(*item)(const char *), const char *what,
                             struct app_http_response *r);
void agg_route_reply(struct app_http_response *r, mtl_err e, char *json, const char *what);
/* Parse a decimal epoch, "latest" (the current epoch) or "latest-N"; 0 when
 * none of them. */
int agg_route_epoch(struct agg *a, const char *arg, uint64_t *epoch);
/* An openapi EpochOrLatestParameter (number, "latest", "latest-N", as the
 * reference's expand_epoch): the number, else the current epoch - N - extra
 * (extra: the kind's lag behind the current epoch), saturating at 0. Text
 * that is none of them, or N > max_offset, is answered with a 400
 * invalid_epoch and 0 is returned. */
int agg_route_epoch_param(struct agg *a, const char *arg, uint64_t extra, uint64_t max_offset,
                          uint64_t *epoch, struct app_http_response *r);
/* The reference's MAX_ARTIFACT_EPOCH_OFFSET: latest-N on artifact routes. */
#define AGG_MAX_ARTIFACT_EPOCH_OFFSET 5

int64_t agg_now_ns(void);
/* CPU time of the calling thread (ns): a figure the machine's load does
 * not stretch. */
int64_t agg_thread_cpu_ns(void);
/* RFC 3339 UTC with nanoseconds, like the reference's created_at. */
void agg_rfc3339(int64_t ns, char out[40]);

/* ---- HTTP routes ------------------------------------------------------------ */
struct agg {
    struct agg_config cfg;
    struct agg_store store;
    struct agg_runtime rt;
    struct agg_certifier *certifier; /* aggregator_certifier.h */
    char public_url[512];            /* PUBLIC_SERVER_URL or http://ip:port/aggregator */
    /* The ancillary Ed25519 seed, read once at start (wiped at exit). */
    uint8_t ancillary_seed[32];
    int have_ancillary;
    struct app_metrics *metrics; /* NULL: not counted */
    struct app_era_reader *era_reader;
    struct app_era_checker era;
    int exit_code; /* serve's exit status once stopped (1: unsupported era) */
    /* Cardano transactions: the importer (its thread and store, tx_importer.h) and the
     * readers' store (runtime roots and HTTP proofs, under tx_lock: aggregator_tx.c), each its
     * own connection to the store's file. */
    struct app_tx_importer *txi;
    struct app_tx_store *tx_read;
    pthread_mutex_t tx_lock;
    struct agg_follower *follower; /* LEADER_AGGREGATOR_ENDPOINT set, else NULL */
};
/* ---- Cardano transactions and blocks (aggregator_tx.c) ------------------------ */
/* Start the importer thread (when a transactions kind is signed): it imports
 * DB_DIRECTORY/immutable's completed chunks, one at a time, and keeps up with
 * new ones. Stop: it ends after the chunk it is importing. */
mtl_err agg_tx_importer_start(struct agg *a);
void agg_tx_importer_stop(struct agg *a);
/* For a handler's open (runtime thread, never waits for the import): 1 with
 * the highest block imported once the importer has caught up with the last
 * completed chunk, 0 while it has not (or nothing is imported). */
int agg_tx_imported_tip(struct agg *a, uint64_t *tip);
/* The Merkle root of tree at beacon (the readers' store). */
mtl_err agg_tx_root(struct agg *a, enum app_tx_tree tree, uint64_t beacon,
                    char root[MTL_HASH_HEX_BYTES]);
/* Open kind's message at beacon unless it exists (root of tree at beacon). */
void agg_tx_open(struct agg *a, const struct mtl_signed_entity_type *t, enum app_tx_tree tree);
/* GET /proof/...: proofs of kind for the latest snapshot of its entity. */
void agg_tx_route_proof(struct agg *a, enum mtl_proofs_kind kind, struct app_http_response *r);
/* The snapshot artifact of either kind (reference cardano_transaction_
 * snapshot.rs, cardano_blocks_transactions_snapshot.rs). */
mtl_err agg_tx_build_artifact(struct agg *a, const struct agg_open_message *m,
                              const struct mtl_certificate *cert, int64_t sealed_ns,
                              struct agg_artifact *art);
/* Close both stores (runtime destroy). */
void agg_tx_close(struct agg *a);
/* ---- Mithril era (aggregator_era.c) ----------------------------------------- */
/* Build the era reader of ERA_READER_ADAPTER_TYPE/PARAMS and check the era of
 * the chain's epoch (the last known one while the chain cannot be read):
 * MTL_ERR_STATE when this software does not support it, serve must not start.
 * After agg_runtime_init. */
mtl_err agg_era_open(struct agg *a);
void agg_era_close(struct agg *a);
/* The era at a new epoch. Unsupported: logged, the aggregator stops with exit
 * status 1; markers that cannot be read: logged, the caller keeps the
 * previous epoch and retries. MTL_OK when the epoch may start. */
mtl_err agg_era_check(struct agg *a, uint64_t epoch);
/* The current era for /status ("unknown" before the first read). */
void agg_era_name(struct agg *a, char out[MTL_ERA_NAME_MAX]);

/* ---- follower mode (aggregator_follower.c) ------------------------------------ */
/* A follower of LEADER_AGGREGATOR_ENDPOINT (needs GENESIS_VERIFICATION_KEY). */
mtl_err agg_follower_new(struct agg_follower **out, const struct agg_config *c);
void agg_follower_free(struct agg_follower *f);
/* Before a transition to `epoch`: MTL_OK when it may happen (the leader is
 * in that epoch and its signers and chain are synchronised, or it cannot be
 * reached and what was fetched before stands); MTL_ERR_STATE when the
 * leader is not there yet (logged). */
mtl_err agg_follower_epoch(struct agg *a, uint64_t epoch);
/* Fetch, verify and store the leader's chain when the reference would (no
 * local genesis, another genesis, or force); MTL_ERR_CHAIN etc. naming the
 * certificate that does not verify. */
mtl_err agg_follower_sync_chain(struct agg *a, uint64_t epoch, int force);
/* Every tick of `epoch`: fetch the leader's registrations of the open round
 * (so a leader down at the next epoch does not stop this one), and retry
 * the chain while none is stored. */
void agg_follower_tick(struct agg *a, uint64_t epoch);
/* Follower fields of /status (nothing for a leader). */
void agg_follower_status(struct agg *a, json_t *status);
/* Check and record one registration synchronised from the leader under key
 * epoch (aggregator_register.c): the pool's credentials and the key's proof
 * of possession, with this aggregator's stake when it has it. */
mtl_err agg_signer_record_synced(struct agg *a, json_t *reg, uint64_t epoch, int *added);
/* The GENESIS_VERIFICATION_KEY (JSON-hex, or a file holding it). */
mtl_err agg_genesis_vk(const struct agg_config *c, uint8_t vk[MTL_GENESIS_VK_BYTES]);

/* ---- metrics (aggregator_metrics.c): the reference's names ------------------- */
enum {
    AGG_M_CERTIFICATE_DETAIL_SERVED,
    AGG_M_CDB_IMMUTABLE_RESTORED,
    AGG_M_CDB_ANCILLARY_RESTORED,
    AGG_M_CDB_COMPLETE_RESTORATION,
    AGG_M_CDB_PARTIAL_RESTORATION,
    AGG_M_CDB_DETAIL_SERVED,
    AGG_M_MSD_DETAIL_SERVED,
    AGG_M_SIGNER_REGISTRATION_RECEIVED,
    AGG_M_SIGNER_REGISTRATION_OK,
    AGG_M_SIGNATURE_RECEIVED,
    AGG_M_SIGNATURE_OK,
    AGG_M_CERTIFICATES,
    AGG_M_CDB_PRODUCED,
    AGG_M_MSD_PRODUCED,
    AGG_M_CYCLE_SUCCESS,
    AGG_M_CYCLE_TOTAL,
    AGG_M_CSD_DETAIL_SERVED,
    AGG_M_CSD_PRODUCED,
    AGG_M_COUNT
};
mtl_err agg_metrics_new(struct app_metrics **out);
/* Count n for the request being handled: labelled with its client type and
 * origin tag / with its origin tag only. */
void agg_metrics_client(struct agg *a, size_t id, uint64_t n);
void agg_metrics_origin(struct agg *a, size_t id);
uint64_t agg_current_epoch(struct agg *a);
/* Verify one single signature of msg against g (batched with concurrent
 * requests, see aggregator_verify.c); 1 when valid. */
int agg_verify_signature(const struct agg_signers *g, const struct mtl_stm_params *p,
                         const struct mtl_stm_sig *sig, const char *msg);
/* POST /register-signatures */
void agg_register_signatures(struct agg *a, const char *body, size_t len,
                             struct app_http_response *r);
/* POST /register-signer */
void agg_register_signer(struct agg *a, const char *body, size_t len, struct app_http_response *r);
/* The explorer web app (aggregator_explorer.c): answers r and returns 1 when
 * path is /explorer or under it, else 0. */
int agg_explorer_route(struct agg *a, const char *method, const char *path,
                       struct app_http_response *r);
void agg_routes_handle(void *ctx, const char *method, const char *path, const char *body,
                       size_t body_len, struct app_http_response *resp);

/* ---- subcommands ------------------------------------------------------------ */
int agg_cmd_serve(int argc, char **argv);
int agg_cmd_genesis(int argc, char **argv);
int agg_cmd_tools(int argc, char **argv);
/* era list | generate-tx-datum | generate-keypair (aggregator_era_cmd.c). */
int agg_cmd_era(int argc, char **argv);
/* Write a fresh Ed25519 keypair as JSON-hex: DIR/<name>.sk (0600) and
 * DIR/<name><vk_suffix>; prints the verification key. 0 or 1 (logged). */
int agg_keypair_write(const char *dir, const char *name, const char *vk_suffix);

#endif
