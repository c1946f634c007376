/*
 * chain_observer.h - what the Cardano chain says: current epoch, chain point
 * and stake distribution, read through a cardano-cli compatible program (the
 * reference's cli_observer, spec cardano-db.md section 6.1).
 *
 * Program-side code (the aggregator, the signer, the devnet tools), not part
 * of libmithril: it spawns processes, which the library never does.
 */
#ifndef MTL_UTIL_CHAIN_OBSERVER_H
#define MTL_UTIL_CHAIN_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/pool_identity.h"

struct app_chain_observer;
/* cli_path: the cardano-cli program (searched in PATH when it has no '/');
 * network_magic 0 means --mainnet, else --testnet-magic N; socket_path
 * (optional, else the inherited environment's) is exported as
 * CARDANO_NODE_SOCKET_PATH to the program.
 * Every query below runs the program as a child process (posix_spawn, no
 * shell), blocks the calling thread until it exits or the timeout expires
 * (then it is killed), and fails with MTL_ERR_EXTERNAL naming the command and
 * its exit status + stderr, or the field of its output that is wrong. The
 * observer may be used from one thread at a time. */
mtl_err app_chain_observer_new(struct app_chain_observer **out, const char *cli_path,
                               uint64_t network_magic, const char *socket_path);
void app_chain_observer_free(struct app_chain_observer *o);
/* Per-command timeout (default 60000 ms). */
mtl_err app_chain_observer_set_timeout(struct app_chain_observer *o, unsigned timeout_ms);

struct app_chain_tip {
    uint64_t epoch, slot, block;
    char hash[65]; /* block hash hex, "" when the tip has none */
    char era[24];
};
/* `query tip`: epoch is required; slot/block default to 0, hash/era to "". */
mtl_err app_chain_observer_tip(struct app_chain_observer *o, struct app_chain_tip *tip);

/* `cardano-cli --version`: the version of the node's tools ("10.11.0.0"),
 * what the aggregator's /status reports as cardano_node_version. */
#define APP_NODE_VERSION_MAX 32
mtl_err app_chain_observer_version(struct app_chain_observer *o, char out[APP_NODE_VERSION_MAX]);
/* Its output parsed: the word after "cardano-cli ", digits and dots. */
mtl_err app_cli_version_parse(const char *cmd, const char *text, char out[APP_NODE_VERSION_MAX]);

struct app_pool_stake {
    char pool_id[MTL_POOL_ID_MAX]; /* bech32 "pool1..." */
    uint64_t stake;                /* stakeMark; pools with 0 are dropped */
};
/* Stake distribution sorted by pool_id; free *pools with mtl_free.
 * `query stake-snapshot --all-stake-pools` (stakeMark of each pool); if that
 * fails in any way, `query stake-distribution` + one `query stake-snapshot
 * --stake-pool-id` per pool (poolStakeMark), like the reference. */
mtl_err app_chain_observer_stake_distribution(struct app_chain_observer *o,
                                              struct app_pool_stake **pools, size_t *n);

/* Current KES period the reference's way: the tip's slot divided by
 * slots_per_kes_period (the node's genesis `slotsPerKESPeriod`; the reference
 * hard-codes 129600). MTL_ERR_INVALID_ARG when slots_per_kes_period is 0. */
mtl_err app_chain_observer_kes_period(struct app_chain_observer *o, uint64_t slots_per_kes_period,
                                      uint64_t *period);

struct app_kes_period_info {
    uint64_t current_kes_period;   /* qKesCurrentKesPeriod */
    uint64_t slots_per_kes_period; /* qKesSlotsPerKesPeriod (node genesis) */
    uint64_t start_kes_period;     /* qKesStartKesInterval: the opcert's start */
    uint64_t end_kes_period;       /* qKesEndKesInterval (start + max evolutions) */
    uint64_t max_kes_evolutions;   /* qKesMaxKESEvolutions */
    uint64_t on_disk_counter;      /* qKesOnDiskOperationalCertificateNumber */
    int64_t node_counter;          /* qKesNodeStateOperationalCertificateNumber; -1: null */
};
/* `query kes-period-info --op-cert-file opcert_path`: what the node says of
 * an operational certificate (how an SPO learns the current KES period and
 * the genesis slotsPerKESPeriod through cardano-cli). Text before the JSON
 * object (the program's check marks) is ignored. The three first fields are
 * required; the others default to 0 (node_counter to -1) when absent/null. */
mtl_err app_chain_observer_kes_period_info(struct app_chain_observer *o, const char *opcert_path,
                                           struct app_kes_period_info *info);

/* cardano-cli's stdout (NUL-terminated) parsed (the fuzz target calls
 * them); cmd names the command in the errors (MTL_ERR_EXTERNAL naming the
 * field). `query tip`: */
mtl_err app_cli_tip_parse(const char *cmd, const char *out, struct app_chain_tip *tip);
/* `query stake-snapshot --all-stake-pools`: pools with stakeMark > 0, in the
 * output's order (*list: mtl_free; NULL on error). */
mtl_err app_cli_stake_snapshot_parse(const char *cmd, const char *out, struct app_pool_stake **list,
                                     size_t *count);
/* `query stake-distribution`'s table (text is cut up): pool(ud, id) for the
 * id of each row, stopping at its first error. */
mtl_err app_cli_stake_table_parse(const char *cmd, char *text,
                                  mtl_err (*pool)(void *ud, const char *pool_id), void *ud);
/* `query utxo --out-file`'s JSON: the inline datums (compact JSON texts, in
 * the file's order; UTxOs without one are skipped). Free with
 * app_chain_datums_free. */
mtl_err app_cli_utxo_parse(const char *cmd, const char *out, char ***datums, size_t *n);

/* `query utxo --address A --out-file F` (F: a fresh file in $TMPDIR or /tmp,
 * removed after): the inline datums of the address's UTxOs as compact JSON
 * texts, in cardano-cli's order; UTxOs without an inline datum are skipped.
 * The address must be made of [A-Za-z0-9_] (bech32 or a test name).
 * *datums: n strings, free with app_chain_datums_free. */
mtl_err app_chain_observer_datums(struct app_chain_observer *o, const char *address, char ***datums,
                                  size_t *n);
void app_chain_datums_free(char **datums, size_t n);

#endif
