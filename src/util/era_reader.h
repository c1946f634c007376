/*
 * era_reader.h - the Mithril era of the network at an epoch (reference
 * internal/mithril-era): markers read through one of the reference's adapters
 * (settings ERA_READER_ADAPTER_TYPE and ERA_READER_ADAPTER_PARAMS), and the
 * checker in which aggregator and signer keep the current era, updated at
 * start and at every new epoch, refusing an era this software does not know.
 */
#ifndef MTL_UTIL_ERA_READER_H
#define MTL_UTIL_ERA_READER_H

#include <pthread.h>
#include <stdint.h>

#include "mithril/era.h"

/* The adapter types, for the settings' help. */
#define MTL_ERA_ADAPTER_TYPES "bootstrap, bootstrap-latest, file, dummy, cardano-chain"
/* The params each type needs, for the settings' help. */
#define MTL_ERA_ADAPTER_PARAMS_HELP                                                                \
    "JSON: file {\"markers_file\":PATH}, dummy {\"markers\":[{\"name\":N,\"epoch\":E}]}, "         \
    "cardano-chain {\"address\":ADDR,\"verification_key\":JSON-hex era key}"

struct app_era_reader;
/* Build the adapter `type` from its JSON `params`:
 *   bootstrap         the first supported era from epoch 0 (no params)
 *   bootstrap-latest  the last supported era from epoch 0 (no params)
 *   file              {"markers_file": PATH}: a markers JSON array, re-read each time
 *   dummy             {"markers": [...]}: fixed markers
 *   cardano-chain     {"address": A, "verification_key": JSON-hex}: the first inline
 *                     datum at A whose payload the era key signed, read through
 *                     cardano-cli (cli_path, network_magic, socket_path as the
 *                     chain observer takes them)
 * MTL_ERR_CONFIG naming the setting and what is wrong. */
mtl_err app_era_reader_new(struct app_era_reader **out, const char *type, const char *params,
                           const char *cli_path, uint64_t network_magic, const char *socket_path);
void app_era_reader_free(struct app_era_reader *r);
/* Read the markers and compute what they say at epoch. */
mtl_err app_era_reader_token(struct app_era_reader *r, uint64_t epoch, struct mtl_era_token *t);

/* The current era, shared between the runtime and the HTTP threads. */
struct app_era_checker {
    pthread_mutex_t mu;
    char era[MTL_ERA_NAME_MAX];         /* "" until the first successful update */
    uint64_t epoch;                     /* epoch of that update */
    char warned[MTL_ERA_NAME_MAX + 24]; /* the unsupported next era last warned about */
};
void app_era_checker_init(struct app_era_checker *c);
void app_era_checker_destroy(struct app_era_checker *c);
/* Read the era at epoch and keep it. An unsupported current era is
 * MTL_ERR_STATE naming it, its first epoch and the supported eras (the era
 * kept does not change); an unsupported next era is logged as a warning
 * (once). An era change is logged. */
mtl_err app_era_checker_update(struct app_era_checker *c, struct app_era_reader *r, uint64_t epoch);
/* The current era ("" before the first update) and the epoch it was read at. */
void app_era_checker_get(struct app_era_checker *c, char era[MTL_ERA_NAME_MAX], uint64_t *epoch);

#endif
