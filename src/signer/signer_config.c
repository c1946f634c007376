/* signer_config.c - configuration: flags > environment > defaults (names as the
 * reference's mithril-signer configuration.rs). */
#include <string.h>

#include "era_reader.h"
#include "settings.h"
#include "signer_int.h"

static mtl_err parse_types(void *field, const char *name, const char *text);

/* One row per setting: field, flag, environment variable, default, bounds
 * (integers; 1 = required for strings), help. */
#define MTL_SETTINGS_CFG struct signer_config
static const struct app_setting SETTINGS[] = {
    SET_STR(aggregator_endpoint, "--aggregator-endpoint", "AGGREGATOR_ENDPOINT", "", 1,
            "aggregator URL, e.g. http://127.0.0.1:8080/aggregator (required)"),
    SET_STR(follower_endpoints, "--follower-aggregator-endpoints", "FOLLOWER_AGGREGATOR_ENDPOINTS",
            "", 0,
            "comma-separated follower aggregator URLs: signatures are sent to them too, and "
            "epoch settings read from them while the leader is down (registration: leader only)"),
    SET_STR(network, "--network", "NETWORK", "", 1,
            "Cardano network: mainnet, preprod, preview, devnet... (required)"),
    SET_UINT(network_magic, "--network-magic", "NETWORK_MAGIC", "", 0, UINT32_MAX,
             "network magic (required unless mainnet/preprod/preview)"),
    SET_STR(cardano_cli_path, "--cardano-cli-path", "CARDANO_CLI_PATH", "cardano-cli", 0,
            "cardano-cli program"),
    SET_STR(cardano_node_socket_path, "--cardano-node-socket-path", "CARDANO_NODE_SOCKET_PATH", "",
            0, "Cardano node socket (passed to cardano-cli)"),
    SET_STR(db_directory, "--db-directory", "DB_DIRECTORY", "./db", 0,
            "Cardano node database directory"),
    SET_STR(data_stores_directory, "--data-stores-directory", "DATA_STORES_DIRECTORY",
            "./mithril/stores", 1,
            "signer stores: keys (0600), stakes, signed beacons, digest cache"),
    SET_STR(kes_secret_key_path, "--kes-secret-key-path", "KES_SECRET_KEY_PATH", "", 0,
            "the pool's KES signing key, cardano-cli TextEnvelope (kes.skey, 0600) (required)"),
    SET_STR(operational_certificate_path, "--operational-certificate-path",
            "OPERATIONAL_CERTIFICATE_PATH", "", 0,
            "the pool's operational certificate (opcert.cert); its cold key gives the party id "
            "(required)"),
    SET_STR(
        party_id, "--party-id", "PARTY_ID", "", 0,
        "pool id (pool1...): must match the opcert; alone only with ALLOW_UNAUTHENTICATED_SIGNER"),
    SET_BOOL(
        allow_unauthenticated, "--allow-unauthenticated-signer", "ALLOW_UNAUTHENTICATED_SIGNER",
        "false",
        "TESTS ONLY: register PARTY_ID without KES signature nor opcert (a verifying aggregator "
        "refuses it)"),
    SET_UINT(run_interval_ms, "--run-interval", "RUN_INTERVAL", "5000", 1, 86400000,
             "state machine period in milliseconds"),
    SET_UINT(store_retention_limit, "--store-retention-limit", "STORE_RETENTION_LIMIT", "", 0,
             1000000, "epochs of stakes/signed beacons kept (empty: all)"),
    SET_UINT(http_timeout_ms, "--aggregator-timeout", "AGGREGATOR_TIMEOUT_MS", "30000", 100,
             3600000, "timeout of one aggregator request in milliseconds"),
    SET_CUSTOM(signed_entity_types, "--signed-entity-types", "SIGNED_ENTITY_TYPES",
               "MithrilStakeDistribution,CardanoDatabase", parse_types,
               "types signed when the aggregator has no /protocol-configuration"),
    SET_BOOL(disable_digests_cache, "--disable-digests-cache", "DISABLE_DIGESTS_CACHE", "false",
             "do not cache file digests"),
    SET_BOOL(reset_digests_cache, "--reset-digests-cache", "RESET_DIGESTS_CACHE", "false",
             "empty the digest cache at start"),
    SET_UINT(max_cycles, "--max-cycles", "MAX_CYCLES", "0", 0, UINT64_MAX,
             "stop after N cycles (0: run until SIGTERM/SIGINT)"),
    SET_BOOL(enable_metrics_server, "--enable-metrics-server", "ENABLE_METRICS_SERVER", "false",
             "serve Prometheus metrics on GET /metrics"),
    SET_STR(metrics_server_ip, "--metrics-server-ip", "METRICS_SERVER_IP", "127.0.0.1", 0,
            "IPv4 address of the metrics server"),
    SET_UINT(metrics_server_port, "--metrics-server-port", "METRICS_SERVER_PORT", "9090", 0, 65535,
             "TCP port of the metrics server"),
    SET_STR(era_reader_adapter_type, "--era-reader-adapter-type", "ERA_READER_ADAPTER_TYPE",
            "bootstrap", 0, "where the Mithril era markers are read: " MTL_ERA_ADAPTER_TYPES),
    SET_STR(era_reader_adapter_params, "--era-reader-adapter-params", "ERA_READER_ADAPTER_PARAMS",
            "", 0, MTL_ERA_ADAPTER_PARAMS_HELP),
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
        c->kes_secret_key_path = c->operational_certificate_path = NULL;
        return MTL_OK;
    }
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
    app_settings_usage(out, SETTINGS, MTL_ARRAY_LEN(SETTINGS));
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

/* The fallback type list, checked now rather than at the first cycle. */
static mtl_err parse_types(void *field, const char *name, const char *text)
{
    unsigned mask;
    if (mtl_signed_entity_kinds_parse(&mask, text) != MTL_OK)
        return mtl_err_wrap(MTL_ERR_CONFIG, "%s", name);
    memcpy(field, &text, sizeof(text));
    return MTL_OK;
}

mtl_err signer_config_load(struct signer_config *c, int argc, char **argv, int first)
{
    memset(c, 0, sizeof(*c));
    c->network_magic = UINT64_MAX; /* none given: the network's own, below */
    MTL_TRY(app_settings_load(SETTINGS, MTL_ARRAY_LEN(SETTINGS), c, argc, argv, first));
    MTL_TRY(identity(c, c->kes_secret_key_path, c->operational_certificate_path));
    /* No magic given: well-known networks have one (reference CardanoNetwork). */
    if (c->network_magic == UINT64_MAX) {
        if (strcmp(c->network, "mainnet") == 0)
            c->network_magic = 0;
        else if (strcmp(c->network, "preprod") == 0)
            c->network_magic = 1;
        else if (strcmp(c->network, "preview") == 0)
            c->network_magic = 2;
        else
            return mtl_seterr(MTL_ERR_CONFIG, "NETWORK_MAGIC: required for network '%s'",
                              c->network);
    }
    MTL_CHECK(strcmp(c->network, "mainnet") != 0 || c->network_magic == 0, MTL_ERR_CONFIG,
              "NETWORK_MAGIC: mainnet has no magic");
    return MTL_OK;
}
