/* signer_config.c - configuration: flags > environment > defaults (names as the
 * reference's mithril-signer configuration.rs). */
#include <string.h>

#include "era_reader.h"
#include "settings.h"
#include "signer_int.h"

static const struct mtl_setting SETTINGS[] = {
    {"--aggregator-endpoint", "AGGREGATOR_ENDPOINT", "",
     "aggregator URL, e.g. http://127.0.0.1:8080/aggregator (required)", 0},
    {"--network", "NETWORK", "", "Cardano network: mainnet, preprod, preview, devnet... (required)",
     0},
    {"--network-magic", "NETWORK_MAGIC", "",
     "network magic (required unless mainnet/preprod/preview)", 0},
    {"--cardano-cli-path", "CARDANO_CLI_PATH", "cardano-cli", "cardano-cli program", 0},
    {"--cardano-node-socket-path", "CARDANO_NODE_SOCKET_PATH", "",
     "Cardano node socket (passed to cardano-cli)", 0},
    {"--db-directory", "DB_DIRECTORY", "./db", "Cardano node database directory", 0},
    {"--data-stores-directory", "DATA_STORES_DIRECTORY", "./mithril/stores",
     "signer stores: keys (0600), stakes, signed beacons, digest cache", 0},
    {"--kes-secret-key-path", "KES_SECRET_KEY_PATH", "",
     "the pool's KES signing key, cardano-cli TextEnvelope (kes.skey, 0600) (required)", 0},
    {"--operational-certificate-path", "OPERATIONAL_CERTIFICATE_PATH", "",
     "the pool's operational certificate (opcert.cert); its cold key gives the party id "
     "(required)",
     0},
    {"--party-id", "PARTY_ID", "",
     "pool id (pool1...): must match the opcert; alone only with ALLOW_UNAUTHENTICATED_SIGNER", 0},
    {"--allow-unauthenticated-signer", "ALLOW_UNAUTHENTICATED_SIGNER", "false",
     "TESTS ONLY: register PARTY_ID without KES signature nor opcert (a verifying aggregator "
     "refuses it)",
     1},
    {"--run-interval", "RUN_INTERVAL", "5000", "state machine period in milliseconds", 0},
    {"--store-retention-limit", "STORE_RETENTION_LIMIT", "",
     "epochs of stakes/signed beacons kept (empty: all)", 0},
    {"--aggregator-timeout", "AGGREGATOR_TIMEOUT_MS", "30000",
     "timeout of one aggregator request in milliseconds", 0},
    {"--signed-entity-types", "SIGNED_ENTITY_TYPES", "MithrilStakeDistribution,CardanoDatabase",
     "types signed when the aggregator has no /protocol-configuration", 0},
    {"--disable-digests-cache", "DISABLE_DIGESTS_CACHE", "false", "do not cache file digests", 1},
    {"--reset-digests-cache", "RESET_DIGESTS_CACHE", "false", "empty the digest cache at start", 1},
    {"--max-cycles", "MAX_CYCLES", "0", "stop after N cycles (0: run until SIGTERM/SIGINT)", 0},
    {"--era-reader-adapter-type", "ERA_READER_ADAPTER_TYPE", "bootstrap",
     "where the Mithril era markers are read: " MTL_ERA_ADAPTER_TYPES, 0},
    {"--era-reader-adapter-params", "ERA_READER_ADAPTER_PARAMS", "", MTL_ERA_ADAPTER_PARAMS_HELP,
     0},
};
enum {
    S_AGG,
    S_NET,
    S_MAGIC,
    S_CLI,
    S_SOCK,
    S_DB,
    S_STORES,
    S_KES,
    S_OPCERT,
    S_PARTY,
    S_UNAUTH,
    S_RUN,
    S_RET,
    S_TIMEOUT,
    S_SET,
    S_NOCACHE,
    S_RESETCACHE,
    S_MAXCYC,
    S_ERA_TYPE,
    S_ERA_PARAMS,
    S_COUNT
};

/* Credentials, or PARTY_ID alone behind the explicit test switch. */
static mtl_err identity(struct signer_config *c, const char *kes, const char *opcert)
{
    MTL_CHECK(!kes[0] == !opcert[0], MTL_ERR_CONFIG,
              "%s: required with %s (the pool's operational certificate and KES key go together)",
              kes[0] ? "OPERATIONAL_CERTIFICATE_PATH" : "KES_SECRET_KEY_PATH",
              kes[0] ? "KES_SECRET_KEY_PATH" : "OPERATIONAL_CERTIFICATE_PATH");
    if (!kes[0]) {
        MTL_CHECK(c->allow_unauthenticated && c->party_id[0], MTL_ERR_CONFIG,
                  "KES_SECRET_KEY_PATH and OPERATIONAL_CERTIFICATE_PATH: required (the pool's "
                  "kes.skey and opcert.cert; the party id is the opcert's pool id). PARTY_ID "
                  "without them needs ALLOW_UNAUTHENTICATED_SIGNER=true, for tests only");
        return MTL_OK;
    }
    c->kes_secret_key_path = kes;
    c->operational_certificate_path = opcert;
    MTL_TRY(signer_credentials_load(kes, opcert, c->pool_id));
    MTL_CHECK(!c->party_id[0] || strcmp(c->party_id, c->pool_id) == 0, MTL_ERR_CONFIG,
              "PARTY_ID %s is not the pool id of the operational certificate (%s)", c->party_id,
              c->pool_id);
    c->party_id = c->pool_id;
    c->allow_unauthenticated = 0;
    return MTL_OK;
}

void signer_config_usage(FILE *out)
{
    fprintf(out, "usage: mithril-signer [-v...] [--json] [options]\n"
                 "Runs the Mithril signer beside a Cardano node: registers this pool's STM key\n"
                 "with the aggregator every epoch and signs what it computes itself.\n"
                 "Key files: the block producer's KES signing key (kes.skey) and operational\n"
                 "certificate (opcert.cert), as cardano-cli writes them (node key-gen-KES,\n"
                 "node issue-op-cert). The party id is the pool id of the opcert's cold key; the\n"
                 "Mithril key is signed with the KES key at the chain's current KES period\n"
                 "(cardano-cli query kes-period-info). The devnet's cardano-node-sim writes them\n"
                 "for each pool in <pools-dir>/<i>/ (see README, \"Running a signer\").\n"
                 "  -v, -vv, -vvv, -vvvv  log level: warn (default: error), info, debug, trace\n"
                 "  --json                JSON log lines on stderr\n"
                 "  -h, --help            this help\n"
                 "options (flag, environment variable, default):\n");
    mtl_settings_usage(out, SETTINGS, S_COUNT);
    fprintf(
        out,
        "example (devnet, beside cardano-node-sim and mithril-aggregator):\n"
        "  AGGREGATOR_ENDPOINT=http://127.0.0.1:8080/aggregator NETWORK=devnet NETWORK_MAGIC=42 "
        "\\\n"
        "  CARDANO_CLI_PATH=build/tools/cardano-cli/cardano-cli \\\n"
        "  CARDANO_NODE_SOCKET_PATH=devnet/node/node.socket DB_DIRECTORY=devnet/node/db \\\n"
        "  DATA_STORES_DIRECTORY=devnet/signer-0 RUN_INTERVAL=250 \\\n"
        "  KES_SECRET_KEY_PATH=devnet/node/pools/0/kes.skey \\\n"
        "  OPERATIONAL_CERTIFICATE_PATH=devnet/node/pools/0/opcert.cert \\\n"
        "  mithril-signer -vv\n"
        "Logs: one event per line on stderr (event=cycle gives wall/CPU time and RSS).\n"
        "Exit: 0 after SIGTERM/SIGINT or MAX_CYCLES, 1 start-up failure or an unsupported\n"
        "Mithril era, 2 bad configuration.\n");
}

mtl_err signer_config_load(struct signer_config *c, int argc, char **argv, int first)
{
    const char *v[S_COUNT];
    MTL_TRY(mtl_settings_load(SETTINGS, S_COUNT, v, argc, argv, first));
    memset(c, 0, sizeof(*c));
    c->aggregator_endpoint = v[S_AGG];
    c->network = v[S_NET];
    c->cardano_cli_path = v[S_CLI];
    c->cardano_node_socket_path = v[S_SOCK];
    c->db_directory = v[S_DB];
    c->data_stores_directory = v[S_STORES];
    c->party_id = v[S_PARTY];
    MTL_TRY(
        mtl_settings_bool("ALLOW_UNAUTHENTICATED_SIGNER", v[S_UNAUTH], &c->allow_unauthenticated));
    c->signed_entity_types = v[S_SET];
    c->era_reader_adapter_type = v[S_ERA_TYPE];
    c->era_reader_adapter_params = v[S_ERA_PARAMS];
    MTL_CHECK(c->aggregator_endpoint[0], MTL_ERR_CONFIG, "AGGREGATOR_ENDPOINT: required");
    MTL_CHECK(c->network[0], MTL_ERR_CONFIG, "NETWORK: required");
    MTL_TRY(identity(c, v[S_KES], v[S_OPCERT]));
    MTL_CHECK(c->data_stores_directory[0], MTL_ERR_CONFIG, "DATA_STORES_DIRECTORY: empty");
    uint64_t n;
    /* Magic: well-known networks have one (reference CardanoNetwork). */
    if (v[S_MAGIC][0]) {
        MTL_TRY(mtl_settings_u64("NETWORK_MAGIC", v[S_MAGIC], UINT32_MAX, &n));
        c->network_magic = n;
    } else if (strcmp(c->network, "mainnet") == 0)
        c->network_magic = 0;
    else if (strcmp(c->network, "preprod") == 0)
        c->network_magic = 1;
    else if (strcmp(c->network, "preview") == 0)
        c->network_magic = 2;
    else
        return mtl_seterr(MTL_ERR_CONFIG, "NETWORK_MAGIC: required for network '%s'", c->network);
    MTL_CHECK(strcmp(c->network, "mainnet") != 0 || c->network_magic == 0, MTL_ERR_CONFIG,
              "NETWORK_MAGIC: mainnet has no magic");
    MTL_TRY(mtl_settings_u64("RUN_INTERVAL", v[S_RUN], 86400000, &n));
    MTL_CHECK(n > 0, MTL_ERR_CONFIG, "RUN_INTERVAL: must be > 0");
    c->run_interval_ms = (unsigned)n;
    if (v[S_RET][0]) {
        MTL_TRY(mtl_settings_u64("STORE_RETENTION_LIMIT", v[S_RET], 1000000, &n));
        c->store_retention_limit = n;
    }
    MTL_TRY(mtl_settings_u64("AGGREGATOR_TIMEOUT_MS", v[S_TIMEOUT], 3600000, &n));
    MTL_CHECK(n >= 100, MTL_ERR_CONFIG, "AGGREGATOR_TIMEOUT_MS: at least 100");
    c->http_timeout_ms = (unsigned)n;
    MTL_TRY(mtl_settings_u64("MAX_CYCLES", v[S_MAXCYC], UINT64_MAX, &c->max_cycles));
    MTL_TRY(mtl_settings_bool("DISABLE_DIGESTS_CACHE", v[S_NOCACHE], &c->disable_digests_cache));
    MTL_TRY(mtl_settings_bool("RESET_DIGESTS_CACHE", v[S_RESETCACHE], &c->reset_digests_cache));
    /* Validate the fallback type list now rather than at the first cycle. */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", c->signed_entity_types);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        MTL_CHECK(signer_kind_parse(t) >= 0, MTL_ERR_CONFIG,
                  "SIGNED_ENTITY_TYPES: unknown type '%s'", t);
    return MTL_OK;
}
