/* aggregator_config.c - configuration: flags > environment > defaults. */
#include <jansson.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "settings.h"
#include "snapshotter.h"

static mtl_err parse_params(void *field, const char *name, const char *text);

/* One row per setting: field, flag, environment variable, default, bounds
 * (integers; 1 = required for strings), help. */
#define MTL_SETTINGS_CFG struct agg_config
static const struct app_setting SETTINGS[] = {
    SET_STR(network, "--network", "NETWORK", "devnet", 1,
            "Cardano network (devnet, preview, mainnet...)"),
    SET_STR(cardano_cli_path, "--cardano-cli-path", "CARDANO_CLI_PATH", "cardano-cli", 0,
            "cardano-cli program"),
    SET_STR(db_directory, "--db-directory", "DB_DIRECTORY", "./db", 0,
            "Cardano node database directory"),
    SET_STR(data_stores_directory, "--data-stores-directory", "DATA_STORES_DIRECTORY",
            "./mithril/stores", 0, "directory of the aggregator's SQLite store"),
    SET_STR(snapshot_directory, "--snapshot-directory", "SNAPSHOT_DIRECTORY", "./mithril/snapshots",
            0, "directory of the produced snapshots"),
    SET_STR(server_ip, "--server-ip", "SERVER_IP", "127.0.0.1", 0, "IPv4 address to listen on"),
    SET_UINT(server_port, "--server-port", "SERVER_PORT", "8080", 0, 65535,
             "TCP port (0 = any free port)"),
    SET_STR(leader_aggregator_endpoint, "--leader-aggregator-endpoint",
            "LEADER_AGGREGATOR_ENDPOINT", "", 0,
            "run as a follower of this leader aggregator (synchronises its signers and "
            "certificate chain; see docs/aggregator.md, Follower)"),
    SET_STR(genesis_verification_key, "--genesis-verification-key", "GENESIS_VERIFICATION_KEY", "",
            0, "genesis verification key (JSON-hex) or a file holding it"),
    SET_CUSTOM(params, "--protocol-parameters", "PROTOCOL_PARAMETERS",
               "{\"k\":5,\"m\":100,\"phi_f\":0.65}", parse_params,
               "STM parameters as JSON {k, m, phi_f}"),
    SET_STR(signed_entity_types, "--signed-entity-types", "SIGNED_ENTITY_TYPES",
            "MithrilStakeDistribution", 0, "comma-separated signed entity types"),
    SET_UINT(run_interval_ms, "--run-interval", "RUN_INTERVAL", "1000", 1, 3600000,
             "state machine period in milliseconds"),
    SET_STR(port_file, "--port-file", "PORT_FILE", "", 0, "write the bound port to this file"),
    SET_STR(stake_distribution_file, "--stake-distribution-file", "STAKE_DISTRIBUTION_FILE", "", 0,
            "JSON {party_id: stake} (devnet stand-in for the chain observer)"),
    SET_UINT(current_epoch, "--current-epoch", "CURRENT_EPOCH", "", 0, INT64_MAX,
             "current epoch (devnet stand-in; default: latest certified epoch)"),
    SET_UINT(network_magic, "--network-magic", "NETWORK_MAGIC", "", 0, UINT32_MAX,
             "network magic for cardano-cli (none: --mainnet)"),
    SET_STR(cardano_node_socket_path, "--cardano-node-socket-path", "CARDANO_NODE_SOCKET_PATH", "",
            0, "Cardano node socket (given to cardano-cli)"),
    SET_UINT(store_retention_limit, "--store-retention-limit", "STORE_RETENTION_LIMIT", "", 0,
             1000000, "epochs of signer keys/stakes/signatures kept (none: keep all)"),
    SET_STR(
        ancillary_secret_key, "--ancillary-files-signer-config", "ANCILLARY_FILES_SIGNER_CONFIG",
        "", 0,
        "{\"type\":\"secret-key\",\"secret_key\":JSON-hex} (see tools generate-ancillary-keypair)"),
    SET_STR(server_url, "--public-server-url", "PUBLIC_SERVER_URL", "", 0,
            "public URL of this aggregator (artifact locations); default "
            "http://SERVER_IP:PORT/aggregator"),
    SET_UINT(zstd_level, "--zstandard-level", "ZSTANDARD_PARAMETERS__LEVEL", "9", 0, 22,
             "zstd level of snapshot archives"),
    SET_STR(ancillary_secret_key_path, "--ancillary-secret-key-path", "ANCILLARY_SECRET_KEY_PATH",
            "", 0, "file of the ancillary Ed25519 secret key (tools generate-ancillary-keypair)"),
    SET_STR(cardano_node_version, "--cardano-node-version", "CARDANO_NODE_VERSION", "10.5.1", 0,
            "Cardano node version (ledger snapshot layout in the ancillary archive)"),
    SET_UINT(slots_per_kes_period, "--slots-per-kes-period", "SLOTS_PER_KES_PERIOD", "129600", 1,
             UINT32_MAX,
             "slots per KES period (genesis slotsPerKESPeriod): current KES period = slot / this"),
    SET_BOOL(allow_skip_signer_certification, "--allow-skip-signer-certification",
             "ALLOW_SKIP_SIGNER_CERTIFICATION", "false",
             "TESTS ONLY: accept registrations without pool credentials (party id unverified)"),
    SET_UINT(http_threads, "--http-threads", "HTTP_THREADS", "4", 1, 256,
             "HTTP server epoll worker threads"),
    SET_UINT(http_max_connections, "--http-max-connections", "HTTP_MAX_CONNECTIONS", "4096", 1,
             1000000, "open HTTP connections, total"),
    SET_UINT(http_per_ip, "--http-per-ip-connections", "HTTP_PER_IP_CONNECTIONS", "64", 1, 1000000,
             "open HTTP connections per client address"),
    SET_UINT(http_deadline_ms, "--http-request-deadline", "HTTP_REQUEST_DEADLINE", "10000", 1,
             3600000,
             "milliseconds a client has to send a whole request (then the connection is closed)"),
    SET_BOOL(enable_metrics_server, "--enable-metrics-server", "ENABLE_METRICS_SERVER", "false",
             "serve Prometheus metrics on GET /metrics"),
    SET_STR(metrics_server_ip, "--metrics-server-ip", "METRICS_SERVER_IP", "127.0.0.1", 0,
            "IPv4 address of the metrics server"),
    SET_UINT(metrics_server_port, "--metrics-server-port", "METRICS_SERVER_PORT", "9090", 0, 65535,
             "TCP port of the metrics server"),
    SET_STR(
        custom_origin_tag_white_list, "--custom-origin-tag-white-list",
        "CUSTOM_ORIGIN_TAG_WHITE_LIST", "", 0,
        "comma-separated origin tags counted in the metrics besides EXPLORER, BENCHMARK, CI, NA"),
    SET_UINT(max_open_messages, "--max-open-messages", "MAX_OPEN_MESSAGES", "64", 1, 1000000,
             "open messages collecting signatures at a time (a signature for one more: 503)"),
    SET_STR(era_reader_adapter_type, "--era-reader-adapter-type", "ERA_READER_ADAPTER_TYPE",
            "bootstrap", 0, "where the Mithril era markers are read: " MTL_ERA_ADAPTER_TYPES),
    SET_STR(explorer_directory, "--explorer-directory", "EXPLORER_DIRECTORY", MTL_EXPLORER_DIR, 0,
            "files of the explorer web app served under /explorer/"),
    SET_STR(explorer_wasm_directory, "--explorer-wasm-directory", "EXPLORER_WASM_DIRECTORY",
            MTL_WASM_DIR, 0, "libmithril WebAssembly module served under /explorer/wasm/"),
    SET_STR(era_reader_adapter_params, "--era-reader-adapter-params", "ERA_READER_ADAPTER_PARAMS",
            "", 0, MTL_ERA_ADAPTER_PARAMS_HELP),
    SET_UINT(ctx_signing.security_parameter,
             "--cardano-transactions-signing-config-security-parameter",
             "CARDANO_TRANSACTIONS_SIGNING_CONFIG__SECURITY_PARAMETER", "3000", 0, INT64_MAX,
             "CardanoTransactions: blocks discarded from the tip"),
    SET_UINT(ctx_signing.step, "--cardano-transactions-signing-config-step",
             "CARDANO_TRANSACTIONS_SIGNING_CONFIG__STEP", "120", 1, INT64_MAX,
             "CardanoTransactions: blocks between two signatures (rounded down to 15s)"),
    SET_UINT(cbtx_signing.security_parameter,
             "--cardano-blocks-transactions-signing-config-security-parameter",
             "CARDANO_BLOCKS_TRANSACTIONS_SIGNING_CONFIG__SECURITY_PARAMETER", "3000", 0, INT64_MAX,
             "CardanoBlocksTransactions: blocks discarded from the tip (the offset signed)"),
    SET_UINT(cbtx_signing.step, "--cardano-blocks-transactions-signing-config-step",
             "CARDANO_BLOCKS_TRANSACTIONS_SIGNING_CONFIG__STEP", "120", 1, INT64_MAX,
             "CardanoBlocksTransactions: blocks between two signatures"),
    SET_UINT(prover_max_hashes, "--cardano-prover-max-hashes-allowed-by-request",
             "CARDANO_PROVER_MAX_HASHES_ALLOWED_BY_REQUEST", "100", 1, 100000,
             "hashes one proof request may ask for"),
};

void agg_config_options(FILE *out)
{
    fprintf(out, "options (flag, environment variable, default):\n");
    app_settings_usage(out, SETTINGS, MTL_ARRAY_LEN(SETTINGS));
}

void agg_config_usage(FILE *out)
{
    fprintf(out, "genesis bootstrap/export/import read the chain and the store like serve (same\n"
                 "options); they may run while serve runs: the store is SQLite in WAL mode and\n"
                 "serve picks the new genesis certificate up on its next RUN_INTERVAL tick.\n"
                 "A devnet: start serve; signers register (keys registered at epoch e sign from\n"
                 "e+2); retry genesis bootstrap (same env) until it succeeds: it exits 1 naming\n"
                 "what is missing until the signers registered at E-1 are known in the current\n"
                 "epoch E. The genesis certificate of E carries their AVK; multi-signed\n"
                 "certificates follow from epoch E+1.\n");
    agg_config_options(out);
}

static mtl_err parse_params(void *field, const char *name, const char *text)
{
    struct mtl_stm_params *p = field;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    MTL_CHECK(j, MTL_ERR_CONFIG, "%s: invalid JSON: %s", name, je.text);
    json_t *k = json_object_get(j, "k"), *m = json_object_get(j, "m"),
           *phi = json_object_get(j, "phi_f");
    mtl_err e = MTL_OK;
    if (!json_is_integer(k) || !json_is_integer(m) || !json_is_number(phi) ||
        json_integer_value(k) <= 0 || json_integer_value(m) <= 0)
        e = mtl_seterr(MTL_ERR_CONFIG, "%s: need positive integers k, m and a number phi_f", name);
    else {
        p->k = (uint64_t)json_integer_value(k);
        p->m = (uint64_t)json_integer_value(m);
        p->phi_f = json_number_value(phi);
        e = mtl_stm_params_check(p);
        if (e != MTL_OK)
            e = mtl_err_wrap(MTL_ERR_CONFIG, "%s", name);
    }
    json_decref(j);
    return e;
}

mtl_err agg_config_load(struct agg_config *c, int argc, char **argv, int first)
{
    memset(c, 0, sizeof(*c));
    c->current_epoch = -1;
    MTL_TRY(app_settings_load(SETTINGS, MTL_ARRAY_LEN(SETTINGS), c, argc, argv, first));
    MTL_TRY(agg_entities_parse(c->signed_entity_types, &c->signed_entity_mask));
    return MTL_OK;
}

mtl_err agg_ancillary_seed(const struct agg_config *c, uint8_t seed[32])
{
    char *txt = NULL;
    const char *src = c->ancillary_secret_key, *what = "ANCILLARY_FILES_SIGNER_CONFIG";
    if (c->ancillary_secret_key_path[0]) {
        uint8_t *data = NULL;
        size_t len = 0;
        MTL_TRY(mtl_read_file(c->ancillary_secret_key_path, 4096, &data, &len));
        txt = mtl_strndup((const char *)data, len);
        mtl_memzero(data, len);
        mtl_free(data);
        MTL_CHECK(txt, MTL_ERR_NOMEM, "out of memory");
        src = txt;
        what = "ANCILLARY_SECRET_KEY_PATH";
    }
    mtl_err e = src[0] ? snap_ancillary_signer_config_parse(seed, src)
                       : mtl_seterr(MTL_ERR_CONFIG, "no ancillary key (ANCILLARY_SECRET_KEY_PATH"
                                                    " or ANCILLARY_FILES_SIGNER_CONFIG)");
    if (txt) {
        mtl_memzero(txt, strlen(txt));
        mtl_free(txt);
    }
    if (e != MTL_OK && src[0])
        e = mtl_err_wrap(e, "%s", what);
    return e;
}
