/* aggregator_config.c - configuration: flags > environment > defaults. */
#include <jansson.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "settings.h"
#include "snapshotter.h"

static const struct mtl_setting SETTINGS[] = {
    {"--network", "NETWORK", "devnet", "Cardano network (devnet, preview, mainnet...)", 0},
    {"--cardano-cli-path", "CARDANO_CLI_PATH", "cardano-cli", "cardano-cli program", 0},
    {"--db-directory", "DB_DIRECTORY", "./db", "Cardano node database directory", 0},
    {"--data-stores-directory", "DATA_STORES_DIRECTORY", "./mithril/stores",
     "directory of the aggregator's SQLite store", 0},
    {"--snapshot-directory", "SNAPSHOT_DIRECTORY", "./mithril/snapshots",
     "directory of the produced snapshots", 0},
    {"--server-ip", "SERVER_IP", "127.0.0.1", "IPv4 address to listen on", 0},
    {"--server-port", "SERVER_PORT", "8080", "TCP port (0 = any free port)", 0},
    {"--genesis-verification-key", "GENESIS_VERIFICATION_KEY", "",
     "genesis verification key (JSON-hex) or a file holding it", 0},
    {"--protocol-parameters", "PROTOCOL_PARAMETERS", "{\"k\":5,\"m\":100,\"phi_f\":0.65}",
     "STM parameters as JSON {k, m, phi_f}", 0},
    {"--signed-entity-types", "SIGNED_ENTITY_TYPES", "MithrilStakeDistribution",
     "comma-separated signed entity types", 0},
    {"--run-interval", "RUN_INTERVAL", "1000", "state machine period in milliseconds", 0},
    {"--port-file", "PORT_FILE", "", "write the bound port to this file", 0},
    {"--stake-distribution-file", "STAKE_DISTRIBUTION_FILE", "",
     "JSON {party_id: stake} (devnet stand-in for the chain observer)", 0},
    {"--current-epoch", "CURRENT_EPOCH", "",
     "current epoch (devnet stand-in; default: latest certified epoch)", 0},
    {"--network-magic", "NETWORK_MAGIC", "", "network magic for cardano-cli (none: --mainnet)", 0},
    {"--cardano-node-socket-path", "CARDANO_NODE_SOCKET_PATH", "",
     "Cardano node socket (given to cardano-cli)", 0},
    {"--store-retention-limit", "STORE_RETENTION_LIMIT", "",
     "epochs of signer keys/stakes/signatures kept (none: keep all)", 0},
    {"--ancillary-files-signer-config", "ANCILLARY_FILES_SIGNER_CONFIG", "",
     "{\"type\":\"secret-key\",\"secret_key\":JSON-hex} (see tools generate-ancillary-keypair)", 0},
    {"--public-server-url", "PUBLIC_SERVER_URL", "",
     "public URL of this aggregator (artifact locations); default "
     "http://SERVER_IP:PORT/aggregator",
     0},
    {"--zstandard-level", "ZSTANDARD_PARAMETERS__LEVEL", "9", "zstd level of snapshot archives", 0},
    {"--ancillary-secret-key-path", "ANCILLARY_SECRET_KEY_PATH", "",
     "file of the ancillary Ed25519 secret key (tools generate-ancillary-keypair)", 0},
    {"--cardano-node-version", "CARDANO_NODE_VERSION", "10.5.1",
     "Cardano node version (ledger snapshot layout in the ancillary archive)", 0},
    {"--slots-per-kes-period", "SLOTS_PER_KES_PERIOD", "129600",
     "slots per KES period (genesis slotsPerKESPeriod): current KES period = slot / this", 0},
    {"--allow-skip-signer-certification", "ALLOW_SKIP_SIGNER_CERTIFICATION", "false",
     "TESTS ONLY: accept registrations without pool credentials (party id unverified)", 1},
    {"--http-threads", "HTTP_THREADS", "4", "HTTP server epoll worker threads", 0},
    {"--http-max-connections", "HTTP_MAX_CONNECTIONS", "4096", "open HTTP connections, total", 0},
    {"--http-per-ip-connections", "HTTP_PER_IP_CONNECTIONS", "64",
     "open HTTP connections per client address", 0},
    {"--http-request-deadline", "HTTP_REQUEST_DEADLINE", "10000",
     "milliseconds a client has to send a whole request (then the connection is closed)", 0},
    {"--max-open-messages", "MAX_OPEN_MESSAGES", "64",
     "open messages collecting signatures at a time (a signature for one more: 503)", 0},
};
enum {
    S_NETWORK,
    S_CLI,
    S_DB,
    S_STORES,
    S_SNAP,
    S_IP,
    S_PORT,
    S_GVK,
    S_PARAMS,
    S_SET,
    S_RUN,
    S_PORTFILE,
    S_STAKES,
    S_EPOCH,
    S_MAGIC,
    S_SOCKET,
    S_RETENTION,
    S_ANCILLARY,
    S_URL,
    S_ZSTD,
    S_ANCILLARY_PATH,
    S_NODE_VERSION,
    S_KES_SLOTS,
    S_SKIP_CERT,
    S_HTTP_THREADS,
    S_HTTP_MAX,
    S_HTTP_PER_IP,
    S_HTTP_DEADLINE,
    S_MAX_OPEN,
    S_COUNT
};

void agg_config_usage(FILE *out)
{
    fprintf(out, "usage: mithril-aggregator [-v...] [--json] <command> [options]\n"
                 "commands:\n"
                 "  serve                         run the aggregator HTTP server\n"
                 "  genesis generate-keypair --target-path DIR\n"
                 "  genesis bootstrap --genesis-secret-key JSON_HEX\n"
                 "  genesis export --target-path F\n"
                 "  genesis sign --to-sign-payload-path F --target-signed-payload-path G\n"
                 "               --genesis-secret-key-path K\n"
                 "  genesis import --signed-payload-path G\n"
                 "  tools import-certificates --file F   load a certificate chain into the store\n"
                 "  tools generate-ancillary-keypair --target-path DIR\n"
                 "genesis bootstrap/export/import read the chain and the store like serve (same\n"
                 "options); they may run while serve runs: the store is SQLite in WAL mode and\n"
                 "serve picks the new genesis certificate up on its next RUN_INTERVAL tick.\n"
                 "A devnet: start serve; signers register (keys registered at epoch e sign from\n"
                 "e+2); retry genesis bootstrap (same env) until it succeeds: it exits 1 naming\n"
                 "what is missing until the signers registered at E-1 are known in the current\n"
                 "epoch E. The genesis certificate of E carries their AVK; multi-signed\n"
                 "certificates follow from epoch E+1.\n"
                 "options (flag, environment variable, default):\n");
    mtl_settings_usage(out, SETTINGS, S_COUNT);
}

static mtl_err parse_params(const char *s, struct mtl_stm_params *p)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    MTL_CHECK(j, MTL_ERR_CONFIG, "PROTOCOL_PARAMETERS: invalid JSON: %s", je.text);
    json_t *k = json_object_get(j, "k"), *m = json_object_get(j, "m"),
           *phi = json_object_get(j, "phi_f");
    mtl_err e = MTL_OK;
    if (!json_is_integer(k) || !json_is_integer(m) || !json_is_number(phi) ||
        json_integer_value(k) <= 0 || json_integer_value(m) <= 0)
        e = mtl_seterr(MTL_ERR_CONFIG,
                       "PROTOCOL_PARAMETERS: need positive integers k, m and a number phi_f");
    else {
        p->k = (uint64_t)json_integer_value(k);
        p->m = (uint64_t)json_integer_value(m);
        p->phi_f = json_number_value(phi);
        e = mtl_stm_params_check(p);
        if (e != MTL_OK)
            e = mtl_err_wrap(MTL_ERR_CONFIG, "PROTOCOL_PARAMETERS");
    }
    json_decref(j);
    return e;
}

mtl_err agg_config_load(struct agg_config *c, int argc, char **argv, int first)
{
    const char *v[S_COUNT];
    MTL_TRY(mtl_settings_load(SETTINGS, S_COUNT, v, argc, argv, first));
    uint64_t n;
    memset(c, 0, sizeof(*c));
    c->network = v[S_NETWORK];
    c->cardano_cli_path = v[S_CLI];
    c->db_directory = v[S_DB];
    c->data_stores_directory = v[S_STORES];
    c->snapshot_directory = v[S_SNAP];
    c->server_ip = v[S_IP];
    c->genesis_verification_key = v[S_GVK];
    c->signed_entity_types = v[S_SET];
    c->port_file = v[S_PORTFILE];
    c->stake_distribution_file = v[S_STAKES];
    c->current_epoch = -1;
    if (v[S_EPOCH][0]) {
        MTL_TRY(mtl_settings_u64("CURRENT_EPOCH", v[S_EPOCH], INT64_MAX, &n));
        c->current_epoch = (int64_t)n;
    }
    c->cardano_node_socket_path = v[S_SOCKET];
    c->ancillary_secret_key = v[S_ANCILLARY];
    c->ancillary_secret_key_path = v[S_ANCILLARY_PATH];
    c->cardano_node_version = v[S_NODE_VERSION];
    c->server_url = v[S_URL];
    if (v[S_MAGIC][0]) {
        MTL_TRY(mtl_settings_u64("NETWORK_MAGIC", v[S_MAGIC], UINT32_MAX, &n));
        c->network_magic = n;
    }
    if (v[S_RETENTION][0]) {
        MTL_TRY(mtl_settings_u64("STORE_RETENTION_LIMIT", v[S_RETENTION], 1000000, &n));
        c->store_retention_limit = (unsigned)n;
    }
    MTL_TRY(mtl_settings_u64("ZSTANDARD_PARAMETERS__LEVEL", v[S_ZSTD], 22, &n));
    c->zstd_level = (unsigned)n;
    MTL_TRY(agg_entities_parse(c->signed_entity_types, &c->signed_entity_mask));
    MTL_CHECK(c->network[0], MTL_ERR_CONFIG, "NETWORK: empty");
    MTL_TRY(mtl_settings_u64("SERVER_PORT", v[S_PORT], 65535, &n));
    c->server_port = (uint16_t)n;
    MTL_TRY(mtl_settings_u64("RUN_INTERVAL", v[S_RUN], 3600000, &n));
    MTL_CHECK(n > 0, MTL_ERR_CONFIG, "RUN_INTERVAL: must be > 0");
    c->run_interval_ms = (unsigned)n;
    MTL_TRY(parse_params(v[S_PARAMS], &c->params));
    MTL_TRY(mtl_settings_u64("SLOTS_PER_KES_PERIOD", v[S_KES_SLOTS], UINT32_MAX, &n));
    MTL_CHECK(n > 0, MTL_ERR_CONFIG, "SLOTS_PER_KES_PERIOD: must be > 0");
    c->slots_per_kes_period = n;
    MTL_TRY(mtl_settings_bool("ALLOW_SKIP_SIGNER_CERTIFICATION", v[S_SKIP_CERT],
                              &c->allow_skip_signer_certification));
    static const struct {
        int idx;
        const char *name;
        uint64_t max;
    } http[] = {{S_HTTP_THREADS, "HTTP_THREADS", 256},
                {S_HTTP_MAX, "HTTP_MAX_CONNECTIONS", 1000000},
                {S_HTTP_PER_IP, "HTTP_PER_IP_CONNECTIONS", 1000000},
                {S_HTTP_DEADLINE, "HTTP_REQUEST_DEADLINE", 3600000},
                {S_MAX_OPEN, "MAX_OPEN_MESSAGES", 1000000}};
    unsigned *dst[] = {&c->http_threads, &c->http_max_connections, &c->http_per_ip,
                       &c->http_deadline_ms, &c->max_open_messages};
    for (size_t i = 0; i < MTL_ARRAY_LEN(http); i++) {
        MTL_TRY(mtl_settings_u64(http[i].name, v[http[i].idx], http[i].max, &n));
        MTL_CHECK(n > 0, MTL_ERR_CONFIG, "%s: must be > 0", http[i].name);
        *dst[i] = (unsigned)n;
    }
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
