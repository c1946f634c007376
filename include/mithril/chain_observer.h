/*
 * mithril/chain_observer.h - what the Cardano chain says: current epoch,
 * chain point and stake distribution, read through a cardano-cli compatible
 * program (the reference's cli_observer, spec cardano-db.md section 6.1).
 */
#ifndef MITHRIL_CHAIN_OBSERVER_H
#define MITHRIL_CHAIN_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"
#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mtl_chain_observer;
/* cli_path: the cardano-cli program; network_magic 0 means --mainnet, else
 * --testnet-magic N; socket_path (optional) is exported as
 * CARDANO_NODE_SOCKET_PATH to the program. */
MTL_API mtl_err mtl_chain_observer_new(struct mtl_chain_observer **out, const char *cli_path,
                                       uint64_t network_magic, const char *socket_path);
MTL_API void mtl_chain_observer_free(struct mtl_chain_observer *o);

struct mtl_chain_tip {
    uint64_t epoch, slot, block;
    char hash[65]; /* block hash hex, "" when the tip has none */
    char era[24];
};
MTL_API mtl_err mtl_chain_observer_tip(struct mtl_chain_observer *o, struct mtl_chain_tip *tip);

struct mtl_pool_stake {
    char pool_id[64]; /* bech32 "pool1..." */
    uint64_t stake;   /* stakeMark; pools with 0 are dropped */
};
/* Stake distribution sorted by pool_id; free *pools with mtl_free. */
MTL_API mtl_err mtl_chain_observer_stake_distribution(struct mtl_chain_observer *o,
                                                      struct mtl_pool_stake **pools, size_t *n);

/* bech32 "pool1..." of a 28-byte pool key hash given in hex (56 digits). */
MTL_API mtl_err mtl_pool_id_bech32(const char *key_hash_hex, char out[64]);

#ifdef __cplusplus
}
#endif
#endif
