/* signer_int.h - shared declarations of the mithril-signer program. */
#ifndef MTL_SIGNER_INT_H
#define MTL_SIGNER_INT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common_int.h"
#include "mithril/certificate.h"
#include "mithril/pool_identity.h"
#include "mithril/stm.h"

/* Configuration: flags > environment > defaults (reference configuration.rs). */
struct signer_config {
    const char *aggregator_endpoint; /* no trailing slash */
    const char *follower_endpoints;  /* comma-separated follower aggregators, or "" */
    const char *network;
    uint64_t network_magic; /* 0 = mainnet */
    const char *cardano_cli_path;
    const char *cardano_node_socket_path;
    const char *db_directory;
    const char *data_stores_directory;
    const char *party_id; /* the opcert's pool id, or PARTY_ID in test mode */
    const char *kes_secret_key_path, *operational_certificate_path; /* NULL in test mode */
    int allow_unauthenticated; /* ALLOW_UNAUTHENTICATED_SIGNER: PARTY_ID, no credentials */
    char pool_id[MTL_POOL_ID_MAX];
    unsigned run_interval_ms;
    uint64_t store_retention_limit; /* epochs kept; 0 = keep all (reference: None) */
    unsigned http_timeout_ms;
    int disable_digests_cache, reset_digests_cache;
    uint64_t max_cycles;             /* 0 = run forever (tests: stop after N cycles) */
    const char *signed_entity_types; /* used when /protocol-configuration is absent */
    int enable_metrics_server;       /* GET /metrics on metrics_server_ip:port */
    const char *metrics_server_ip;
    uint16_t metrics_server_port;
    const char *era_reader_adapter_type, *era_reader_adapter_params;
};
/* Reads the settings and, with credentials, the opcert and KES key (the
 * party id is the opcert's pool id; a PARTY_ID given too must equal it). */
mtl_err signer_config_load(struct signer_config *c, int argc, char **argv, int first);
void signer_config_usage(FILE *out);

/* ---- credentials (signer_credentials.c) ------------------------------------ */
/* Check the opcert (cold signature) and that the KES key is its hot key;
 * pool_id receives the opcert's pool id. Errors name the setting and file. */
mtl_err signer_credentials_load(const char *kes_path, const char *opcert_path,
                                char pool_id[MTL_POOL_ID_MAX]);
/* The registration's credential fields (reference RegisterSignerMessage). */
struct signer_credentials_out {
    char *opcert;            /* operational_certificate (JSON-hex) */
    char *signature;         /* verification_key_signature (JSON-hex) */
    uint64_t kes_evolutions; /* kes_period: current KES period - opcert start */
};
/* Re-read both files, refuse an opcert of another pool than party_id, one
 * starting after current_kes_period, a key past its 64 periods or not the
 * opcert's; else sign the Mithril key (vk_jsonhex) with the KES key evolved
 * to current_kes_period - start (a copy in memory, wiped after). */
mtl_err signer_credentials_sign(const char *kes_path, const char *opcert_path, const char *party_id,
                                uint64_t current_kes_period, const char *vk_jsonhex,
                                struct signer_credentials_out *out);
void signer_credentials_out_free(struct signer_credentials_out *out);

/* ---- store: files in DATA_STORES_DIRECTORY ---------------------------------- */
/* protocol_initializer-<E>.key (0600, atomic): secret initializer for key E.
 * registered-<E>: marker once the aggregator accepted that initializer.
 * stakes-<E>.json: chain stake distribution recorded under E.
 * signed-<E>.json: signed entity types already signed during epoch E. */
mtl_err signer_store_init(const char *dir);
/* NULL in *out with MTL_OK when absent. */
mtl_err signer_store_get_initializer(const char *dir, uint64_t epoch,
                                     struct mtl_stm_initializer **out);
mtl_err signer_store_put_initializer(const char *dir, uint64_t epoch,
                                     const struct mtl_stm_initializer *init);
int signer_store_is_registered(const char *dir, uint64_t epoch);
mtl_err signer_store_mark_registered(const char *dir, uint64_t epoch);
/* Stakes: JSON object party_id -> stake; *out NULL when absent. */
mtl_err signer_store_get_stakes(const char *dir, uint64_t epoch, json_t **out);
mtl_err signer_store_put_stakes(const char *dir, uint64_t epoch, json_t *stakes);
/* Signed beacons: the JSON text of a signed entity type. */
int signer_store_is_signed(const char *dir, uint64_t epoch, const char *entity_json);
mtl_err signer_store_mark_signed(const char *dir, uint64_t epoch, const char *entity_json);
/* Delete initializers and registration markers of keys < current - 1 (no
 * longer usable to sign) and, when retention > 0, stakes and signed beacons
 * of epochs < current - retention. *removed counts deleted files. */
mtl_err signer_store_prune(const char *dir, uint64_t current_epoch, uint64_t retention,
                           unsigned *removed);

/* ---- messages ---------------------------------------------------------------- */
/* Closed registration of `signers` (openapi Signer list) with stakes taken
 * from `stakes` (party_id -> stake); a signer with no stake is an error
 * naming it (the reference's NoStakeForSigner). */
mtl_err signer_closed_reg(const json_t *signers, const json_t *stakes,
                          struct mtl_stm_closed_reg **out);
mtl_err signer_avk(const json_t *signers, const json_t *stakes, char **avk_jsonhex);
/* What the signer reads from its node for a signed entity kind
 * (signer_entities.c): the beacon of the current time point (t->kind and
 * t->epoch set; NULL: the epoch alone) and the entity's Merkle root for
 * mtl_signed_entity_message's chain view (NULL: none). */
struct mtl_digest_cache;
struct app_tx_store;
struct app_tx_importer;
struct app_tx_signing;
struct signer_node {
    const struct signer_config *cfg;
    struct mtl_digest_cache *cache; /* may be NULL */
    /* Cardano transactions: the store the importer fills (NULL when it could
     * not be opened), the importer's thread (NULL: the beacon imports first,
     * on the caller's thread) and the aggregator's signing configurations
     * (NULL when /protocol-configuration has none). */
    struct app_tx_store *tx;
    struct app_tx_importer *importer;
    const struct app_tx_signing *ctx_signing, *cbtx_signing;
};
/* A root's hex: 64 digits, or a one-leaf MKTree's leaf (pool id + stake). */
#define SIGNER_ROOT_MAX 512
struct signer_entity {
    enum mtl_signed_entity_kind kind;
    mtl_err (*beacon)(const struct signer_node *n, struct mtl_signed_entity_type *t);
    mtl_err (*root)(const struct signer_node *n, const struct mtl_signed_entity_type *t,
                    char root[SIGNER_ROOT_MAX]);
};
/* The kind's row, NULL when this signer does not sign it. */
const struct signer_entity *signer_entity(enum mtl_signed_entity_kind k);
/* RegisterSignaturesMessage JSON of sig (free with mtl_free). */
mtl_err signer_signature_message(const struct mtl_signed_entity_type *t, const char *party_id,
                                 const struct mtl_stm_sig *sig, const char *signed_message,
                                 char **json);
/* Parse {"k":..,"m":..,"phi_f":..}. */
mtl_err signer_parse_params(const json_t *j, struct mtl_stm_params *p);

/* ---- aggregator client ------------------------------------------------------- */
struct signer_http_result {
    long status; /* 0: no response (down, timeout) */
    char detail[256];
};
/* GET <endpoint><route> as JSON; non-2xx gives MTL_ERR_HTTP (404: NOT_FOUND).
 * A leader that cannot be reached is replaced by the followers in turn. */
mtl_err signer_agg_get(const struct signer_config *c, const char *route, json_t **out,
                       long *status);
/* POST JSON; MTL_OK only on 2xx; *status set in every case. */
mtl_err signer_agg_post(const struct signer_config *c, const char *route, const char *json,
                        long *status);
/* The same to the leader and then every follower: the leader's answer, or
 * MTL_OK when it could not be reached and a follower took the signature.
 * What an endpoint could not take yet (down, message not open yet, busy) is
 * kept in the array owed for signer_owed_flush. */
mtl_err signer_agg_post_all(const struct signer_config *c, const char *route, const char *json,
                            long *status, json_t *owed);
/* Send again what endpoints could not take (as the reference's DMQ network
 * keeps messages for a node that was away): each is dropped once its
 * endpoint answered for good; the rest wait for the next cycle. */
void signer_owed_flush(const struct signer_config *c, json_t *owed);

/* ---- metrics (signer_metrics.c): the reference's mithril-signer metrics ---- */
enum {
    SIGNER_M_REGISTRATION_SUCCESS,
    SIGNER_M_REGISTRATION_TOTAL,
    SIGNER_M_REGISTRATION_LAST_EPOCH,
    SIGNER_M_SIGNATURE_SUCCESS,
    SIGNER_M_SIGNATURE_TOTAL,
    SIGNER_M_SIGNATURE_LAST_EPOCH,
    SIGNER_M_CYCLE_SUCCESS,
    SIGNER_M_CYCLE_TOTAL,
    SIGNER_M_COUNT
};
struct app_metrics;
mtl_err signer_metrics_new(struct app_metrics **out);

/* ---- runtime ------------------------------------------------------------------ */
enum signer_state_kind { ST_INIT, ST_UNREGISTERED, ST_READY_TO_SIGN, ST_REGISTERED_NOT_ABLE };
struct signer_runtime;
mtl_err signer_runtime_new(struct signer_runtime **out, const struct signer_config *c);
void signer_runtime_free(struct signer_runtime *rt);
/* One cycle of the state machine; errors are logged by the caller and the
 * state kept (the reference's RuntimeError::KeepState). */
mtl_err signer_runtime_cycle(struct signer_runtime *rt);
const char *signer_state_name(const struct signer_runtime *rt);
/* The runtime's metrics registry (borrowed). */
struct app_metrics *signer_runtime_metrics(struct signer_runtime *rt);
/* 1 once a cycle found the chain in a Mithril era this software does not
 * support: the signer must stop (the reference's critical error). */
int signer_runtime_fatal(const struct signer_runtime *rt);

#endif
