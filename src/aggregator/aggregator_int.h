/* aggregator_int.h - shared declarations of the mithril-aggregator program. */
#ifndef MTL_AGGREGATOR_INT_H
#define MTL_AGGREGATOR_INT_H

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#include "mithril/certificate.h"
#include "mithril/stm.h"
#include "httpd.h"

/* JSON output like serde: compact, fields in order, reals short (0.65). */
#define AGG_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

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
    unsigned run_interval_ms;
    const char *port_file; /* write the bound port here (tests with port 0) */
    const char *stake_distribution_file; /* devnet stand-in for the chain observer */
    int64_t current_epoch;               /* -1: the latest certified epoch */
};

/* Parse --flag value pairs from argv[first..] over the environment and the
 * defaults; an unknown flag or a bad value is an MTL_ERR_CONFIG naming it. */
mtl_err agg_config_load(struct agg_config *c, int argc, char **argv, int first);
void agg_config_usage(FILE *out);

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
/* Mithril stake distribution artifacts. */
mtl_err agg_store_put_msd(struct agg_store *s, const char *hash, uint64_t epoch,
                          const char *certificate_hash, const char *json);
mtl_err agg_store_get_msd(struct agg_store *s, const char *hash, char **json);
mtl_err agg_store_list_msd(struct agg_store *s, unsigned n, char **json);
/* Record a signer (registration JSON incl. stake) for an epoch; replaces. */
mtl_err agg_store_put_registration(struct agg_store *s, uint64_t epoch, const char *party_id,
                                   uint64_t stake, const char *json);
/* Full registration JSON objects of an epoch, as a JSON array text. */
mtl_err agg_store_registrations(struct agg_store *s, uint64_t epoch, char **json);
/* Registered signers of an epoch as the openapi SignersWithStake list. */
mtl_err agg_store_list_signers(struct agg_store *s, uint64_t epoch, char **json, int *count);

/* ---- HTTP routes ------------------------------------------------------------ */
struct agg {
    struct agg_config cfg;
    struct agg_store store;
};
uint64_t agg_current_epoch(struct agg *a);
/* POST /register-signer */
void agg_register_signer(struct agg *a, const char *body, size_t len,
                         struct mtl_http_response *r);
/* Stake of party_id in the configured stake distribution. */
mtl_err agg_stake_of(const struct agg_config *c, const char *party_id, uint64_t *stake);
/* AVK JSON-hex of the signers registered for an epoch (MTL_ERR_NOT_FOUND if none). */
mtl_err agg_epoch_avk(struct agg_store *s, uint64_t epoch, char **avk, size_t *count);
void agg_routes_handle(void *ctx, const char *method, const char *path, const char *body,
                       size_t body_len, struct mtl_http_response *resp);

/* ---- subcommands ------------------------------------------------------------ */
int agg_cmd_serve(int argc, char **argv);
int agg_cmd_genesis(int argc, char **argv);
int agg_cmd_tools(int argc, char **argv);

#endif
