/* cardano_cli.c - a cardano-cli compatible shim for the devnet: answers
 *   cardano-cli [latest|conway] query tip|stake-distribution|stake-snapshot|kes-period-info|utxo
 *       [--all-stake-pools | --stake-pool-id pool1...]... [--op-cert-file F] [--address A]
 *       (--testnet-magic N | --mainnet) [--socket-path P] [--out-file F]
 * from the JSON state file that cardano-node-sim keeps at the socket path
 * ($CARDANO_NODE_SOCKET_PATH), printing what the real cardano-cli prints
 * (spec cardano-db.md 6.1). `query utxo` answers from utxo.json beside the
 * node state, {address: {"txid#ix": utxo}} in cardano-cli's shape (the devnet
 * puts the era markers datum there). Failures go to stderr with exit status 1. */
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/pool_identity.h"
#include "mithril/util.h"

#define MAINNET_MAGIC 764824073ULL

static const char *USAGE =
    "usage: cardano-cli [latest|conway] query tip|stake-distribution|stake-snapshot\n"
    "         [--all-stake-pools | --stake-pool-id POOL_ID ...]\n"
    "         (--testnet-magic N | --mainnet) [--socket-path P] [--out-file F]\n"
    "       cardano-cli [latest|conway] query kes-period-info --op-cert-file FILE\n"
    "         (--testnet-magic N | --mainnet) [--socket-path P] [--out-file F]\n"
    "       cardano-cli [latest|conway] query utxo --address ADDRESS\n"
    "         (--testnet-magic N | --mainnet) [--socket-path P] [--out-file F]\n"
    "       cardano-cli --version\n"
    "Shim of cardano-cli for the simulated devnet (tools/cardano-node-sim): reads the\n"
    "node state from the file at $CARDANO_NODE_SOCKET_PATH (or --socket-path), UTxOs\n"
    "from utxo.json in the same directory.\n";

static int fail(const char *cmd, const char *fmt, ...) MTL_PRINTF(2, 3);
static int fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "Command failed: %s\nError: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int usage_error(const char *fmt, ...) MTL_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n\n%s", USAGE);
    va_end(ap);
    return 1;
}

/* Haskell showEFloat (Just 3): "2.493e-3" (no exponent padding or '+'). */
static void show_efloat3(char *out, size_t cap, double v)
{
    if (v == 0.0) {
        snprintf(out, cap, "0.000e0");
        return;
    }
    int e = (int)floor(log10(v));
    double m = v / pow(10.0, e);
    m = round(m * 1000.0) / 1000.0;
    if (m >= 10.0) {
        m /= 10.0;
        e++;
    }
    snprintf(out, cap, "%.3fe%d", m, e);
}

struct pool {
    char hex[57], bech32[64];
    json_int_t mark, set, go;
};

static int emit(const char *out_file, const char *text)
{
    if (!out_file) {
        fputs(text, stdout);
        return 0;
    }
    FILE *f = fopen(out_file, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "Command failed: cannot write --out-file %s\n", out_file);
        return 1;
    }
    return 0;
}

static int emit_json(const char *out_file, json_t *j, size_t flags)
{
    char *txt = json_dumps(j, JSON_INDENT(4) | flags);
    json_decref(j);
    if (!txt)
        return 1;
    size_t n = strlen(txt);
    char *t2 = realloc(txt, n + 2);
    if (!t2) {
        free(txt);
        return 1;
    }
    t2[n] = '\n';
    t2[n + 1] = '\0';
    int rc = emit(out_file, t2);
    free(t2);
    return rc;
}

/* `query utxo --address A`: A's UTxOs from utxo.json beside the node state
 * ({} when the file or the address is absent, as for an address with none). */
static int utxo(const char *cmd, const char *socket, const char *address, const char *out_file)
{
    char path[4096];
    const char *slash = strrchr(socket, '/');
    snprintf(path, sizeof path, "%.*sutxo.json", slash ? (int)(slash - socket + 1) : 0, socket);
    json_t *all = NULL;
    FILE *f = fopen(path, "r");
    if (f) {
        json_error_t jerr;
        all = json_loadf(f, 0, &jerr);
        fclose(f);
        if (!json_is_object(all)) {
            json_decref(all);
            return fail(cmd, "%s is not a JSON object: %s", path, jerr.text);
        }
    }
    json_t *mine = json_object_get(all, address);
    int rc = emit_json(out_file, json_is_object(mine) ? json_deep_copy(mine) : json_object(),
                       JSON_PRESERVE_ORDER);
    json_decref(all);
    return rc;
}

static uint64_t st_u64(json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* `query kes-period-info`: the check-mark lines, then the JSON (also
 * written to --out-file), computed from the node state and the opcert file
 * like cardano-cli does. The shim has no wall clock for the chain, so
 * qKesKesKeyExpiry is null. */
static int kes_period_info(const char *cmd, json_t *st, const char *path, const char *out_file)
{
    struct mtl_opcert oc;
    if (mtl_opcert_read_file(&oc, path) != MTL_OK)
        return fail(cmd, "%s", mtl_err_detail());
    uint64_t spkp = st_u64(st, "slotsPerKESPeriod"), max_evo = st_u64(st, "maxKESEvolutions");
    uint64_t slot = st_u64(json_object_get(st, "tip"), "slot");
    if (spkp == 0)
        return fail(cmd, "the node state has no slotsPerKESPeriod (cardano-node-sim too old?)%s",
                    "");
    uint64_t cur = slot / spkp, start = oc.start_kes_period, end = start + max_evo;
    uint8_t hash[28];
    char hex[57];
    crypto_generichash(hash, sizeof hash, oc.cold_vk, sizeof oc.cold_vk, NULL, 0);
    mtl_hex_encode(hex, sizeof hex, hash, sizeof hash);
    json_t *pool = json_object_get(json_object_get(st, "pools"), hex);
    json_t *node_counter = json_object_get(pool, "opcertCounter");
    bool within = start <= cur && cur < end;
    if (within)
        printf("\342\234\223 Operational certificate's KES period is within the correct KES "
               "period interval\n");
    else
        printf("\342\234\227 Node operational certificate at: %s has an incorrectly specified "
               "starting KES period.\nCurrent KES period: %llu\nOperational certificate's "
               "starting KES period: %llu\nOperational certificate's expiry KES period: %llu\n",
               path, (unsigned long long)cur, (unsigned long long)start, (unsigned long long)end);
    if (!json_is_integer(node_counter))
        printf("\342\234\227 No blocks minted so far with the operational certificate at: %s\n"
               "On disk operational certificate counter: %llu\n",
               path, (unsigned long long)oc.issue_number);
    else if ((uint64_t)json_integer_value(node_counter) <= oc.issue_number)
        printf("\342\234\223 The operational certificate counter agrees with the node protocol "
               "state counter\n");
    else
        printf("\342\234\227 The protocol state counter is greater than the counter in the "
               "operational certificate at: %s\nOn disk operational certificate counter: %llu\n"
               "Protocol state counter: %lld\n",
               path, (unsigned long long)oc.issue_number,
               (long long)json_integer_value(node_counter));
    json_t *j = json_object();
    json_object_set_new(j, "qKesCurrentKesPeriod", json_integer((json_int_t)cur));
    json_object_set_new(j, "qKesEndKesInterval", json_integer((json_int_t)end));
    json_object_set_new(j, "qKesKesKeyExpiry", json_null());
    json_object_set_new(j, "qKesMaxKESEvolutions", json_integer((json_int_t)max_evo));
    json_object_set_new(j, "qKesNodeStateOperationalCertificateNumber",
                        json_is_integer(node_counter) ? json_incref(node_counter) : json_null());
    json_object_set_new(j, "qKesOnDiskOperationalCertificateNumber",
                        json_integer((json_int_t)oc.issue_number));
    json_object_set_new(j, "qKesRemainingSlotsInKesPeriod",
                        within ? json_integer((json_int_t)(end * spkp - slot)) : json_null());
    json_object_set_new(j, "qKesSlotsPerKesPeriod", json_integer((json_int_t)spkp));
    json_object_set_new(j, "qKesStartKesInterval", json_integer((json_int_t)start));
    /* cardano-cli prints the JSON and also writes it to --out-file */
    json_t *copy = out_file ? json_deep_copy(j) : NULL;
    int rc = emit_json(NULL, j, JSON_SORT_KEYS);
    if (rc == 0 && copy)
        rc = emit_json(out_file, copy, JSON_SORT_KEYS);
    else
        json_decref(copy);
    return rc;
}

/* The query's options (after `query WHAT`). */
struct opts {
    const char *what, *out_file, *socket, *opcert, *address;
    const char *pool_ids[64];
    size_t npool_ids;
    bool all_pools, have_net, json_out;
    unsigned long long magic;
};

/* argv from i into o: -1 to go on, else the exit code. */
static int parse_opts(int argc, char **argv, int i, struct opts *o)
{
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = !strcmp(a, "--testnet-magic") || !strcmp(a, "--out-file") ||
                     !strcmp(a, "--stake-pool-id") || !strcmp(a, "--socket-path") ||
                     !strcmp(a, "--op-cert-file") || !strcmp(a, "--address");
        if (takes && !v)
            return usage_error("The option `%s' expects an argument.", a);
        if (!strcmp(a, "--testnet-magic")) {
            char *end;
            o->magic = strtoull(v, &end, 10);
            if (!*v || *end)
                return usage_error("option --testnet-magic: cannot parse value `%s'", v);
            o->have_net = true;
            i++;
        } else if (!strcmp(a, "--mainnet")) {
            o->magic = MAINNET_MAGIC;
            o->have_net = true;
        } else if (!strcmp(a, "--out-file")) {
            o->out_file = v;
            i++;
        } else if (!strcmp(a, "--socket-path")) {
            o->socket = v;
            i++;
        } else if (!strcmp(a, "--op-cert-file") && !strcmp(o->what, "kes-period-info")) {
            o->opcert = v;
            i++;
        } else if (!strcmp(a, "--address") && !strcmp(o->what, "utxo")) {
            o->address = v;
            i++;
        } else if (!strcmp(a, "--stake-pool-id") && !strcmp(o->what, "stake-snapshot")) {
            if (o->npool_ids == MTL_ARRAY_LEN(o->pool_ids))
                return usage_error("too many %s", a);
            o->pool_ids[o->npool_ids++] = v;
            i++;
        } else if (!strcmp(a, "--all-stake-pools") && !strcmp(o->what, "stake-snapshot")) {
            o->all_pools = true;
        } else if (!strcmp(a, "--output-json")) {
            o->json_out = true;
        } else if (!strcmp(a, "--output-text")) {
            o->json_out = false;
        } else {
            return usage_error("Invalid option `%s'", a);
        }
    }
    if (!o->have_net)
        return usage_error("Missing: (--mainnet | --testnet-magic NATURAL)%s", "");
    if (!strcmp(o->what, "kes-period-info") && !o->opcert)
        return usage_error("Missing: --op-cert-file FILEPATH%s", "");
    if (!strcmp(o->what, "utxo") && !o->address)
        return usage_error("Missing: --address ADDRESS%s", "");
    if (!strcmp(o->what, "stake-snapshot") && !o->all_pools && o->npool_ids == 0)
        return usage_error("Missing: (--all-stake-pools | (--stake-pool-id STAKE_POOL_ID)%s)", "");
    return -1;
}

/* Read the node state at o->socket and check it is for o->magic: 0, or the
 * exit code after the error is printed. */
static int load_state(const char *cmd, const struct opts *o, json_t **st, json_t **tip,
                      json_t **pools)
{
    json_error_t jerr;
    *st = json_load_file(o->socket, 0, &jerr);
    if (!*st) {
        FILE *probe = fopen(o->socket, "r");
        if (!probe)
            return fail(cmd,
                        "Network.Socket.connect: <socket: 11>: does not exist (No such file or "
                        "directory): %s",
                        o->socket);
        fclose(probe);
        return fail(cmd,
                    "the node state at %s is not valid JSON (is it a cardano-node-sim "
                    "socket?)",
                    o->socket);
    }
    *tip = json_object_get(*st, "tip");
    *pools = json_object_get(*st, "pools");
    json_int_t node_magic = json_integer_value(json_object_get(*st, "magic"));
    if (!json_is_object(*tip) || !json_is_object(*pools)) {
        json_decref(*st);
        return fail(cmd, "the node state at %s has no tip/pools", o->socket);
    }
    if ((unsigned long long)node_magic != o->magic) {
        char msg[160];
        snprintf(msg, sizeof msg, "%lld", (long long)node_magic);
        json_decref(*st);
        fprintf(stderr,
                "Command failed: %s\nError: HandshakeError (Refused NodeToClientV_20 \"version "
                "data mismatch: NetworkMagic {unNetworkMagic = %s} /= NetworkMagic "
                "{unNetworkMagic = %llu}\")\n",
                cmd, msg, o->magic);
        return 1;
    }
    return 0;
}

/* stake-distribution and stake-snapshot over the node state's pools. */
static int stake_query(const char *cmd, const struct opts *o, json_t *pools)
{
    int rc = 1;
    size_t n = json_object_size(pools), k = 0;
    struct pool *ps = calloc(n ? n : 1, sizeof *ps);
    const char *key;
    json_t *v;
    json_int_t tot_mark = 0, tot_set = 0, tot_go = 0;
    json_object_foreach(pools, key, v)
    {
        struct pool *p = &ps[k++];
        snprintf(p->hex, sizeof p->hex, "%s", key);
        if (mtl_pool_id_bech32(key, p->bech32) != MTL_OK) {
            fail(cmd, "bad pool key hash in node state: %s", key);
            free(ps);
            return 1;
        }
        p->mark = json_integer_value(json_object_get(v, "stakeMark"));
        p->set = json_integer_value(json_object_get(v, "stakeSet"));
        p->go = json_integer_value(json_object_get(v, "stakeGo"));
        tot_mark += p->mark;
        tot_set += p->set;
        tot_go += p->go;
    }
    if (!strcmp(o->what, "stake-distribution")) {
        /* The ledger's pool distribution (the "set" snapshot), as fractions. */
        struct mtl_buf b;
        mtl_buf_init(&b, 1 << 24);
        if (o->json_out) {
            json_t *j = json_object();
            for (size_t p = 0; p < n; p++)
                json_object_set_new(j, ps[p].bech32,
                                    json_real(tot_set ? (double)ps[p].set / (double)tot_set : 0));
            rc = emit_json(o->out_file, j, JSON_SORT_KEYS);
        } else {
            mtl_buf_append_str(&b, "                           PoolId                           "
                                   "      Stake frac\n");
            mtl_buf_append_str(&b, "------------------------------------------------------------"
                                   "------------------\n");
            for (size_t p = 0; p < n; p++) {
                char fr[32];
                show_efloat3(fr, sizeof fr, tot_set ? (double)ps[p].set / (double)tot_set : 0);
                mtl_buf_printf(&b, "%s   %s\n", ps[p].bech32, fr);
            }
            mtl_buf_nul(&b);
            rc = b.data ? emit(o->out_file, (const char *)b.data) : 1;
        }
        mtl_buf_free(&b);
    } else if (o->npool_ids == 1 && !o->all_pools) {
        /* Per-pool answer in the shape the reference's fallback parses. */
        json_int_t m = 0, s = 0, g = 0;
        for (size_t p = 0; p < n; p++)
            if (!strcmp(ps[p].bech32, o->pool_ids[0]) || !strcmp(ps[p].hex, o->pool_ids[0])) {
                m = ps[p].mark;
                s = ps[p].set;
                g = ps[p].go;
            }
        json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "poolStakeGo", g, "poolStakeSet", s,
                              "poolStakeMark", m, "activeStakeGo", tot_go, "activeStakeSet",
                              tot_set, "activeStakeMark", tot_mark);
        rc = emit_json(o->out_file, j, JSON_PRESERVE_ORDER);
    } else {
        json_t *j = json_object(), *jp = json_object();
        for (size_t p = 0; p < n; p++) {
            bool want = o->all_pools;
            for (size_t q = 0; q < o->npool_ids && !want; q++)
                want = !strcmp(ps[p].bech32, o->pool_ids[q]) || !strcmp(ps[p].hex, o->pool_ids[q]);
            if (want)
                json_object_set_new(jp, ps[p].hex,
                                    json_pack("{s:I,s:I,s:I}", "stakeGo", ps[p].go, "stakeMark",
                                              ps[p].mark, "stakeSet", ps[p].set));
        }
        json_object_set_new(j, "pools", jp);
        json_object_set_new(j, "total",
                            json_pack("{s:I,s:I,s:I}", "stakeGo", tot_go, "stakeMark", tot_mark,
                                      "stakeSet", tot_set));
        rc = emit_json(o->out_file, j, JSON_SORT_KEYS);
    }
    free(ps);
    return rc;
}

int main(int argc, char **argv)
{
    int i = 1;
    if (i < argc && (!strcmp(argv[i], "--version") || !strcmp(argv[i], "version"))) {
        /* the first line as the real cardano-cli prints it (the node version
         * is read from it); the shim's own version on the second */
        printf("cardano-cli 10.11.0.0 - linux-x86_64 - ghc-9.6\n"
               "git rev 0000000000000000000000000000000000000000 (mithril-c %s devnet shim)\n",
               mtl_version());
        return 0;
    }
    if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (i < argc && (!strcmp(argv[i], "latest") || !strcmp(argv[i], "conway")))
        i++;
    if (i >= argc || strcmp(argv[i], "query") != 0)
        return usage_error("Invalid argument `%s'", i < argc ? argv[i] : "");
    i++;
    if (i >= argc)
        return usage_error("Missing: COMMAND%s", "");
    const char *what = argv[i++];
    char cmd[64];
    snprintf(cmd, sizeof cmd, "query %s", what);
    if (strcmp(what, "tip") && strcmp(what, "stake-distribution") &&
        strcmp(what, "stake-snapshot") && strcmp(what, "kes-period-info") && strcmp(what, "utxo"))
        return usage_error("Invalid argument `%s'", what);

    struct opts o = {.what = what, .socket = getenv("CARDANO_NODE_SOCKET_PATH")};
    int done = parse_opts(argc, argv, i, &o);
    if (done >= 0)
        return done;
    if (!o.socket || !*o.socket)
        return fail(cmd, "Environment variable CARDANO_NODE_SOCKET_PATH not set%s", "");

    json_t *st = NULL, *tip = NULL, *pools = NULL;
    int bad = load_state(cmd, &o, &st, &tip, &pools);
    if (bad)
        return bad;
    int rc = 1;
    if (!strcmp(what, "tip")) {
        rc = emit_json(o.out_file, json_deep_copy(tip), JSON_SORT_KEYS);
        goto out;
    }
    if (!strcmp(what, "utxo")) {
        rc = utxo(cmd, o.socket, o.address, o.out_file);
        goto out;
    }
    if (!strcmp(what, "kes-period-info")) {
        rc = kes_period_info(cmd, st, o.opcert, o.out_file);
        goto out;
    }

    rc = stake_query(cmd, &o, pools);
out:
    json_decref(st);
    return rc;
}
