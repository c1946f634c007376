/* aggregator_config.c - configuration: flags > environment > defaults. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"

/* One setting: its flag, environment variable and default. */
struct setting {
    const char *flag, *env, *def, *help;
};

static const struct setting SETTINGS[] = {
    {"--network", "NETWORK", "devnet", "Cardano network (devnet, preview, mainnet...)"},
    {"--cardano-cli-path", "CARDANO_CLI_PATH", "cardano-cli", "cardano-cli program"},
    {"--db-directory", "DB_DIRECTORY", "./db", "Cardano node database directory"},
    {"--data-stores-directory", "DATA_STORES_DIRECTORY", "./mithril/stores",
     "directory of the aggregator's SQLite store"},
    {"--snapshot-directory", "SNAPSHOT_DIRECTORY", "./mithril/snapshots",
     "directory of the produced snapshots"},
    {"--server-ip", "SERVER_IP", "127.0.0.1", "IPv4 address to listen on"},
    {"--server-port", "SERVER_PORT", "8080", "TCP port (0 = any free port)"},
    {"--genesis-verification-key", "GENESIS_VERIFICATION_KEY", "",
     "genesis verification key (JSON-hex) or a file holding it"},
    {"--protocol-parameters", "PROTOCOL_PARAMETERS", "{\"k\":5,\"m\":100,\"phi_f\":0.65}",
     "STM parameters as JSON {k, m, phi_f}"},
    {"--signed-entity-types", "SIGNED_ENTITY_TYPES", "MithrilStakeDistribution",
     "comma-separated signed entity types"},
    {"--run-interval", "RUN_INTERVAL", "1000", "state machine period in milliseconds"},
    {"--port-file", "PORT_FILE", "", "write the bound port to this file"},
    {"--stake-distribution-file", "STAKE_DISTRIBUTION_FILE", "",
     "JSON {party_id: stake} (devnet stand-in for the chain observer)"},
    {"--current-epoch", "CURRENT_EPOCH", "",
     "current epoch (devnet stand-in; default: latest certified epoch)"},
};
enum { S_NETWORK, S_CLI, S_DB, S_STORES, S_SNAP, S_IP, S_PORT, S_GVK, S_PARAMS, S_SET, S_RUN,
       S_PORTFILE, S_STAKES, S_EPOCH, S_COUNT };

void agg_config_usage(FILE *out)
{
    fprintf(out, "usage: mithril-aggregator [-v...] [--json] <command> [options]\n"
                 "commands:\n"
                 "  serve                         run the aggregator HTTP server\n"
                 "  genesis generate-keypair --target-path DIR\n"
                 "  tools import-certificates --file F   load a certificate chain into the store\n"
                 "options (flag, environment variable, default):\n");
    for (size_t i = 0; i < S_COUNT; i++)
        fprintf(out, "  %-28s %-26s %s\n      %s\n", SETTINGS[i].flag, SETTINGS[i].env,
                SETTINGS[i].def[0] ? SETTINGS[i].def : "(none)", SETTINGS[i].help);
}

static mtl_err parse_u64(const char *name, const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    MTL_CHECK(*s >= '0' && *s <= '9' && end && *end == '\0' && errno == 0 && v <= max,
              MTL_ERR_CONFIG, "%s: '%s' is not an integer in [0, %llu]", name, s,
              (unsigned long long)max);
    *out = v;
    return MTL_OK;
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
    for (size_t i = 0; i < S_COUNT; i++) {
        const char *e = getenv(SETTINGS[i].env);
        v[i] = e ? e : SETTINGS[i].def;
    }
    for (int a = first; a < argc; a++) {
        size_t i = 0;
        const char *val = NULL;
        for (; i < S_COUNT; i++) {
            size_t fl = strlen(SETTINGS[i].flag);
            if (strcmp(argv[a], SETTINGS[i].flag) == 0) {
                MTL_CHECK(a + 1 < argc, MTL_ERR_CONFIG, "%s needs a value", argv[a]);
                val = argv[++a];
                break;
            }
            if (strncmp(argv[a], SETTINGS[i].flag, fl) == 0 && argv[a][fl] == '=') {
                val = argv[a] + fl + 1;
                break;
            }
        }
        MTL_CHECK(i < S_COUNT, MTL_ERR_CONFIG, "unknown option '%s' (see --help)", argv[a]);
        v[i] = val;
    }
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
        MTL_TRY(parse_u64("CURRENT_EPOCH", v[S_EPOCH], INT64_MAX, &n));
        c->current_epoch = (int64_t)n;
    }
    MTL_CHECK(c->network[0], MTL_ERR_CONFIG, "NETWORK: empty");
    MTL_TRY(parse_u64("SERVER_PORT", v[S_PORT], 65535, &n));
    c->server_port = (uint16_t)n;
    MTL_TRY(parse_u64("RUN_INTERVAL", v[S_RUN], 3600000, &n));
    MTL_CHECK(n > 0, MTL_ERR_CONFIG, "RUN_INTERVAL: must be > 0");
    c->run_interval_ms = (unsigned)n;
    MTL_TRY(parse_params(v[S_PARAMS], &c->params));
    return MTL_OK;
}
