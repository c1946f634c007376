/* sim_main.c - cardano-node-sim: a simulated Cardano node. It writes a
 * database laid out like a real node's (immutable trios, volatile blocks,
 * ledger snapshots, protocolMagicId) and a JSON state file at the --socket
 * path that the cardano-cli shim (tools/cardano-cli) answers queries from.
 * Everything derives from --seed: two runs with the same flags write the same
 * bytes. A DB written by an earlier run with the same flags is resumed from
 * its tip (DIR/node-sim.json is the checkpoint). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "program.h"
#include "sim.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cardano-node-sim --db DIR (--epochs E | --run) [options]\n"
            "Simulated Cardano node: writes a node-shaped database in DIR and a JSON\n"
            "state file at the socket path for the cardano-cli shim.\n"
            "  --db DIR                 database directory (created; resumed if it holds a chain)\n"
            "  --seed N                 PRNG seed (default 0); same flags+seed = same bytes\n"
            "  --epochs E               produce E epochs (from the current tip) fast, then exit\n"
            "  --run                    produce one slot per --slot-length until SIGTERM/SIGINT\n"
            "  --epoch-length SLOTS     slots per epoch (default 100)\n"
            "  --pools P                number of stake pools (default 3)\n"
            "  --security-param K       k; chunks are 10*K slots (default 10)\n"
            "  --slot-length MS         real-time slot length for --run (default 100)\n"
            "  --magic M                network magic (default 42)\n"
            "  --socket PATH            state file (default DIR/node.socket)\n"
            "  --tx-bytes N             average transaction padding bytes per block (default 0)\n"
            "  --tx-density N           about N transactions per block on average (default 4,\n"
            "                           0: empty blocks)\n"
            "  --tx-log FILE            append a line per block made: number, slot, hash and\n"
            "                           its transaction ids (hex)\n"
            "  --slots-per-kes-period N genesis slotsPerKESPeriod (default 129600)\n"
            "  --pools-dir DIR          SPO key files of each pool, DIR/<i>/{cold.vkey,cold.skey,\n"
            "                           kes.skey,kes.vkey,opcert.cert,pool.id} (default DB/pools)\n"
            "  --active-slot-coeff F    probability of a block per slot, 0<F<=1 (default 1.0)\n"
            "  --epoch-gate FILE        with --run, enter epoch e only once FILE holds a number\n"
            "                           >= e (a conductor paces epochs by what is done in them)\n"
            "  -v                       more logs (repeat), --json JSON log lines\n"
            "  -h, --help               this help\n");
}

static int parse_u64(const char *s, const char *flag, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v < min || v > max) {
        fprintf(stderr, "cardano-node-sim: %s: expected an integer in [%llu, %llu], got '%s'\n",
                flag, (unsigned long long)min, (unsigned long long)max, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* ------------------------------------------------------ state + checkpoint */

static json_t *tip_json(const struct sim *s)
{
    uint64_t slot = s->has_tip ? s->tip_slot : 0, L = s->p.epoch_length;
    json_t *t = json_object();
    if (s->has_tip)
        json_object_set_new(t, "block", json_integer((json_int_t)s->tip_block));
    json_object_set_new(t, "epoch", json_integer((json_int_t)(slot / L)));
    json_object_set_new(t, "era", json_string("Conway"));
    if (s->has_tip) {
        char hex[65];
        mtl_hex_encode(hex, sizeof hex, s->tip_hash, 32);
        json_object_set_new(t, "hash", json_string(hex));
        json_object_set_new(t, "slot", json_integer((json_int_t)slot));
    }
    json_object_set_new(t, "slotInEpoch", json_integer((json_int_t)(slot % L)));
    json_object_set_new(t, "slotsToEpochEnd", json_integer((json_int_t)(L - slot % L)));
    json_object_set_new(t, "syncProgress", json_string("100.00"));
    return t;
}

static mtl_err write_json(const char *path, json_t *j)
{
    char *txt = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    MTL_CHECK(txt, MTL_ERR_NOMEM, "%s: JSON encoding failed", path);
    mtl_err rc = mtl_atomic_write(path, txt, strlen(txt), 0644);
    free(txt);
    return rc;
}

/* The state file the cardano-cli shim reads (see tools/cardano-cli). */
static mtl_err write_state(struct sim *s)
{
    uint64_t epoch = s->has_tip ? s->tip_slot / s->p.epoch_length : 0;
    if (s->stake_epoch != epoch)
        sim_stakes_at_epoch(s, epoch);
    json_t *j = json_object(), *pools = json_object();
    json_object_set_new(j, "magic", json_integer((json_int_t)s->p.magic));
    json_object_set_new(j, "epochLength", json_integer((json_int_t)s->p.epoch_length));
    json_object_set_new(j, "securityParam", json_integer((json_int_t)s->p.k));
    json_object_set_new(j, "slotsPerKESPeriod",
                        json_integer((json_int_t)s->p.slots_per_kes_period));
    json_object_set_new(j, "maxKESEvolutions", json_integer(SIM_MAX_KES_EVOLUTIONS));
    json_object_set_new(j, "tip", tip_json(s));
    for (uint64_t i = 0; i < s->p.pools; i++) {
        char hex[57];
        mtl_hex_encode(hex, sizeof hex, s->pools[i].key_hash, 28);
        json_t *p = json_object();
        json_object_set_new(p, "stakeGo", json_integer((json_int_t)s->pools[i].go));
        json_object_set_new(p, "stakeMark", json_integer((json_int_t)s->pools[i].mark));
        json_object_set_new(p, "stakeSet", json_integer((json_int_t)s->pools[i].set));
        /* the node's protocol-state counter: the issue number its blocks carry */
        json_object_set_new(p, "opcertCounter",
                            json_integer((json_int_t)s->pools[i].opcert.issue_number));
        json_object_set_new(pools, hex, p);
    }
    json_object_set_new(j, "pools", pools);
    return write_json(s->p.socket, j);
}

static void checkpoint_path(const struct sim *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s/node-sim.json", s->p.db);
}

static json_t *params_json(const struct sim_params *p)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I}", "seed", (json_int_t)p->seed,
                     "securityParam", (json_int_t)p->k, "epochLength", (json_int_t)p->epoch_length,
                     "pools", (json_int_t)p->pools, "magic", (json_int_t)p->magic, "txBytes",
                     (json_int_t)p->tx_bytes, "txDensity", (json_int_t)p->tx_density,
                     "activeSlotCoeff", p->f, "slotsPerKESPeriod",
                     (json_int_t)p->slots_per_kes_period);
}

static mtl_err write_checkpoint(struct sim *s)
{
    char path[4200], hex[65];
    checkpoint_path(s, path, sizeof path);
    json_t *j = json_object(), *vol = json_object();
    json_object_set_new(j, "version", json_integer(3));
    json_object_set_new(j, "params", params_json(&s->p));
    json_object_set_new(j, "nextSlot", json_integer((json_int_t)s->next_slot));
    json_object_set_new(j, "nextBlock", json_integer((json_int_t)s->next_block));
    if (s->has_tip) {
        mtl_hex_encode(hex, sizeof hex, s->tip_hash, 32);
        json_object_set_new(j, "tip",
                            json_pack("{s:I,s:I,s:s}", "slot", (json_int_t)s->tip_slot, "block",
                                      (json_int_t)s->tip_block, "hash", hex));
    }
    json_t *ch =
        json_pack("{s:I,s:I,s:I,s:I}", "no", (json_int_t)s->ch.no, "chunkBytes",
                  (json_int_t)s->ch.chunk_len, "secondaryBytes", (json_int_t)s->ch.secondary_len,
                  "primaryOffsets", (json_int_t)s->ch.n_offsets);
    if (s->ch.has_block)
        json_object_set_new(ch, "lastSlot", json_integer((json_int_t)s->ch.last_slot));
    json_object_set_new(j, "chunk", ch);
    /* volatile/blocks-<n>.dat hold the rest: first block number and count */
    json_object_set_new(vol, "first", json_integer((json_int_t)(s->nvol ? s->vol[0].block_no : 0)));
    json_object_set_new(vol, "count", json_integer((json_int_t)s->nvol));
    json_object_set_new(j, "volatile", vol);
    return write_json(path, j);
}

static uint64_t ju(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 ? (uint64_t)json_integer_value(v)
                                                            : UINT64_MAX;
}

static mtl_err hex32(uint8_t out[32], json_t *v, const char *what)
{
    size_t n;
    const char *h = json_string_value(v);
    MTL_CHECK(h && mtl_hex_decode(out, 32, &n, h, strlen(h)) == MTL_OK && n == 32,
              MTL_ERR_BAD_ENCODING, "checkpoint: %s is not 32 bytes of hex", what);
    return MTL_OK;
}

/* Continue the chain of an earlier run: same parameters required. */
static mtl_err resume(struct sim *s, const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "%s: %s", path, jerr.text);
    mtl_err rc = MTL_OK;
    json_t *want = params_json(&s->p), *have = json_object_get(j, "params");
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v)
    {
        if (!json_equal(v, json_object_get(have, key))) {
            char *a = json_dumps(v, JSON_ENCODE_ANY),
                 *b = json_dumps(json_object_get(have, key), JSON_ENCODE_ANY);
            rc = mtl_seterr(MTL_ERR_CONFIG,
                            "%s: the chain in this DB was made with %s=%s, not %s; refusing to "
                            "resume (use another --db)",
                            path, key, b ? b : "?", a ? a : "?");
            free(a);
            free(b);
            goto out;
        }
    }
    s->next_slot = ju(j, "nextSlot");
    s->next_block = ju(j, "nextBlock");
    json_t *tip = json_object_get(j, "tip"), *ch = json_object_get(j, "chunk");
    if (s->next_slot == UINT64_MAX || s->next_block == UINT64_MAX || !json_is_object(ch)) {
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: nextSlot/nextBlock/chunk missing", path);
        goto out;
    }
    if (tip) {
        s->has_tip = true;
        s->tip_slot = ju(tip, "slot");
        s->tip_block = ju(tip, "block");
        if ((rc = hex32(s->tip_hash, json_object_get(tip, "hash"), "tip.hash")) != MTL_OK)
            goto out;
    }
    if (json_object_get(ch, "lastSlot")) {
        s->ch.has_block = true;
        s->ch.last_slot = ju(ch, "lastSlot");
    }
    rc = sim_chunk_resume(s, ju(ch, "no"), ju(ch, "chunkBytes"), ju(ch, "secondaryBytes"),
                          ju(ch, "primaryOffsets"));
    if (rc != MTL_OK)
        goto out;
    json_t *vol = json_object_get(j, "volatile");
    uint64_t first = ju(vol, "first"), count = ju(vol, "count");
    if (ju(j, "version") != 3 || count > s->p.k || first == UINT64_MAX ||
        (count && (!s->has_tip || first + count != s->tip_block + 1))) {
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: bad version or volatile range", path);
        goto out;
    }
    for (uint64_t i = 0; i < count; i++) {
        struct sim_block *b = &s->vol[s->nvol];
        memset(b, 0, sizeof *b);
        b->block_no = first + i;
        if ((rc = sim_volatile_read(s, b)) != MTL_OK)
            goto out;
        s->nvol++;
    }
    if (count && memcmp(s->vol[count - 1].hash, s->tip_hash, 32) != 0) {
        rc = mtl_seterr(MTL_ERR_INTEGRITY, "%s: the last volatile block is not the tip", path);
        goto out;
    }
out:
    json_decref(want);
    json_decref(j);
    return rc;
}

static bool dir_has_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *de;
    bool any = false;
    while (!any && (de = readdir(d)))
        any = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return any;
}

static mtl_err mkdir_p(const char *path)
{
    MTL_CHECK(mkdir(path, 0755) == 0 || errno == EEXIST, MTL_ERR_IO, "%s: mkdir: %s", path,
              strerror(errno));
    return MTL_OK;
}

static mtl_err open_db(struct sim *s)
{
    char path[4200];
    MTL_TRY(mkdir_p(s->p.db));
    static const char *subs[3] = {"immutable", "volatile", "ledger"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", s->p.db, subs[i]);
        MTL_TRY(mkdir_p(path));
    }
    checkpoint_path(s, path, sizeof path);
    if (access(path, F_OK) == 0) {
        MTL_TRY(resume(s, path));
        snprintf(path, sizeof path, "%s/clean", s->p.db);
        unlink(path); /* re-created on a clean exit, like the node */
        log_info("resume", "db=%s next_slot=%llu next_block=%llu", s->p.db,
                 (unsigned long long)s->next_slot, (unsigned long long)s->next_block);
        return MTL_OK;
    }
    snprintf(path, sizeof path, "%s/immutable", s->p.db);
    char vpath[4200];
    snprintf(vpath, sizeof vpath, "%s/volatile", s->p.db);
    MTL_CHECK(!dir_has_entries(path) && !dir_has_entries(vpath), MTL_ERR_STATE,
              "%s holds a database without node-sim.json (not written by cardano-node-sim); "
              "refusing to touch it",
              s->p.db);
    char magic[24];
    int n = snprintf(magic, sizeof magic, "%llu", (unsigned long long)s->p.magic);
    snprintf(path, sizeof path, "%s/protocolMagicId", s->p.db);
    MTL_TRY(sim_write_plain(path, magic, (size_t)n));
    return sim_chunk_open_fresh(s);
}

/* ---------------------------------------------------------------- loop */

/* One slot. The checkpoint and state file are rewritten when a block was
 * made or must_save (every slot with --run, epoch ends and the last slot
 * with --epochs: empty slots of a sparse fast run cost no fsync). */
static mtl_err step(struct sim *s, uint64_t slot, bool must_save)
{
    struct sim_block b;
    bool made;
    MTL_TRY(sim_make_block(s, slot, &b, &made));
    if (made) {
        mtl_err rc = sim_volatile_write(s, &b);
        if (rc != MTL_OK) {
            mtl_free(b.bytes);
            return rc;
        }
        if (s->nvol == s->p.k) { /* the oldest block is now k deep */
            struct sim_block old = s->vol[0];
            memmove(s->vol, s->vol + 1, (s->nvol - 1) * sizeof *s->vol);
            s->nvol--;
            rc = sim_immutable_append(s, &old);
            if (rc == MTL_OK)
                rc = sim_volatile_remove(s, old.block_no);
            mtl_free(old.bytes);
            if (rc != MTL_OK) {
                mtl_free(b.bytes);
                return rc;
            }
        }
        s->vol[s->nvol++] = b;
        s->has_tip = true;
        s->tip_slot = slot;
        s->tip_block = b.block_no;
        memcpy(s->tip_hash, b.hash, 32);
        s->next_block++;
        log_debug("block", "slot=%llu block=%llu size=%zu", (unsigned long long)slot,
                  (unsigned long long)b.block_no, b.len);
    }
    s->next_slot = slot + 1;
    if (!made && !must_save)
        return MTL_OK;
    /* Checkpoint first: a crash between the two leaves a state file behind
     * the checkpoint, never ahead of the DB. */
    MTL_TRY(write_checkpoint(s));
    return write_state(s);
}

static void sleep_until(const struct timespec *t)
{
    while (!app_prog_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
        ;
}

/* --epoch-gate: the highest epoch the node may enter (0 while the file is
 * missing or unreadable: a conductor writes it atomically). */
static const char *epoch_gate;
static const char *tx_log_path; /* --tx-log */

static uint64_t gate_epoch(void)
{
    FILE *f = fopen(epoch_gate, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return (uint64_t)v;
}

/* Hold the first slot of epoch e until the gate allows it; the slot clock
 * restarts after a hold (no burst of catch-up slots). */
static void wait_gate(uint64_t e, struct timespec *next)
{
    if (!epoch_gate || gate_epoch() >= e)
        return;
    log_info("epoch_gate_hold", "epoch=%llu gate=%s", (unsigned long long)e, epoch_gate);
    while (!app_prog_stop && gate_epoch() < e) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, next);
}

/* The long options (values past 255: no short form). */
enum opt_id {
    O_DB = 256,
    O_SEED,
    O_EPOCHS,
    O_RUN,
    O_EPLEN,
    O_POOLS,
    O_K,
    O_SLOTLEN,
    O_MAGIC,
    O_SOCKET,
    O_TXB,
    O_F,
    O_JSON,
    O_GATE,
    O_SPKP,
    O_POOLSDIR,
    O_TXDENS,
    O_TXLOG
};
static const struct option OPTS[] = {
    {"db", required_argument, 0, O_DB},
    {"seed", required_argument, 0, O_SEED},
    {"epochs", required_argument, 0, O_EPOCHS},
    {"run", no_argument, 0, O_RUN},
    {"epoch-length", required_argument, 0, O_EPLEN},
    {"pools", required_argument, 0, O_POOLS},
    {"security-param", required_argument, 0, O_K},
    {"slot-length", required_argument, 0, O_SLOTLEN},
    {"magic", required_argument, 0, O_MAGIC},
    {"socket", required_argument, 0, O_SOCKET},
    {"tx-bytes", required_argument, 0, O_TXB},
    {"active-slot-coeff", required_argument, 0, O_F},
    {"json", no_argument, 0, O_JSON},
    {"epoch-gate", required_argument, 0, O_GATE},
    {"slots-per-kes-period", required_argument, 0, O_SPKP},
    {"pools-dir", required_argument, 0, O_POOLSDIR},
    {"tx-density", required_argument, 0, O_TXDENS},
    {"tx-log", required_argument, 0, O_TXLOG},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The socket and pools paths, by default in the database directory; false
 * when a path is too long. */
static bool set_paths(struct sim *s, const char *socket, const char *pools_dir)
{
    return strlen(s->p.db) <= SIM_DIR_MAX &&
           mtl_path_fmt(s->p.socket, SIM_DIR_MAX + 1, "%s%s", socket ? socket : s->p.db,
                        socket ? "" : "/node.socket") == MTL_OK &&
           mtl_path_fmt(s->p.pools_dir, SIM_DIR_MAX + 1, "%s%s", pools_dir ? pools_dir : s->p.db,
                        pools_dir ? "" : "/pools") == MTL_OK;
}

/* Options into s, verbosity and json: -1 to go on, else the exit code. */
/* --active-slot-coeff F: 0 < F <= 1; 1 (and a message) when it is not. */
static int parse_coeff(const char *arg, double *f)
{
    char *end;
    *f = strtod(arg, &end);
    if (*arg && !*end && *f > 0.0 && *f <= 1.0)
        return 0;
    fprintf(stderr, "cardano-node-sim: --active-slot-coeff: expected 0 < F <= 1, got '%s'\n", arg);
    return 1;
}

static int parse_args(int argc, char **argv, struct sim *s, int *verbosity, bool *json)
{
    if (app_prog_version("cardano-node-sim", argc, argv))
        return 0;
    bool have_epochs = false;
    const char *socket = NULL, *pools_dir = NULL;
    const uint64_t I63 = (uint64_t)INT64_MAX;
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "hv", OPTS, NULL)) != -1) {
        switch (c) {
        case O_DB:
            s->p.db = optarg;
            break;
        case O_SEED:
            bad |= parse_u64(optarg, "--seed", 0, I63, &s->p.seed);
            break;
        case O_EPOCHS:
            bad |= parse_u64(optarg, "--epochs", 1, 1000000, &s->p.epochs);
            have_epochs = true;
            break;
        case O_RUN:
            s->p.run = true;
            break;
        case O_EPLEN:
            bad |= parse_u64(optarg, "--epoch-length", 1, 1u << 30, &s->p.epoch_length);
            break;
        case O_POOLS:
            bad |= parse_u64(optarg, "--pools", 1, 10000, &s->p.pools);
            break;
        case O_K:
            bad |= parse_u64(optarg, "--security-param", 1, 100000, &s->p.k);
            break;
        case O_SLOTLEN:
            bad |= parse_u64(optarg, "--slot-length", 1, 3600000, &s->p.slot_length_ms);
            break;
        case O_MAGIC:
            bad |= parse_u64(optarg, "--magic", 0, UINT32_MAX, &s->p.magic);
            break;
        case O_SOCKET:
            socket = optarg;
            break;
        case O_TXB:
            bad |= parse_u64(optarg, "--tx-bytes", 0, 64u << 20, &s->p.tx_bytes);
            break;
        case O_TXDENS:
            bad |= parse_u64(optarg, "--tx-density", 0, 10000, &s->p.tx_density);
            break;
        case O_TXLOG:
            tx_log_path = optarg;
            break;
        case O_F:
            bad |= parse_coeff(optarg, &s->p.f);
            break;
        case O_JSON:
            *json = true;
            break;
        case O_GATE:
            epoch_gate = optarg;
            break;
        case O_SPKP:
            bad |= parse_u64(optarg, "--slots-per-kes-period", 1, I63, &s->p.slots_per_kes_period);
            break;
        case O_POOLSDIR:
            pools_dir = optarg;
            break;
        case 'v':
            (*verbosity)++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (bad)
        return 2;
    if (optind < argc || !s->p.db || have_epochs == s->p.run) {
        fprintf(stderr, "cardano-node-sim: %s\n",
                optind < argc ? "unexpected argument"
                : !s->p.db    ? "--db DIR is required"
                              : "give exactly one of --epochs E or --run");
        usage(stderr);
        return 2;
    }
    if (!set_paths(s, socket, pools_dir)) {
        fprintf(stderr, "cardano-node-sim: --db, --socket and --pools-dir: at most %d bytes\n",
                SIM_DIR_MAX);
        return 2;
    }
    return -1;
}

/* Make slots up to end (or until stopped), paced by the slot length and held
 * by the epoch gate with --run. */
static mtl_err run_slots(struct sim *s, uint64_t end)
{
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    mtl_err rc = MTL_OK;
    while (rc == MTL_OK && !app_prog_stop && s->next_slot < end) {
        uint64_t slot = s->next_slot;
        if (s->p.run && slot % s->p.epoch_length == 0) {
            wait_gate(slot / s->p.epoch_length, &next);
            if (app_prog_stop)
                break;
        }
        if (slot % s->p.epoch_length == 0)
            log_info("epoch", "epoch=%llu slot=%llu",
                     (unsigned long long)(slot / s->p.epoch_length), (unsigned long long)slot);
        bool save = s->p.run || slot + 1 == end || (slot + 1) % s->p.epoch_length == 0;
        rc = step(s, slot, save);
        if (s->p.run && rc == MTL_OK) {
            next.tv_nsec += (long)(s->p.slot_length_ms % 1000) * 1000000L;
            next.tv_sec += (time_t)(s->p.slot_length_ms / 1000) + next.tv_nsec / 1000000000L;
            next.tv_nsec %= 1000000000L;
            sleep_until(&next);
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct sim s;
    memset(&s, 0, sizeof s);
    s.p.epoch_length = 100;
    s.p.pools = 3;
    s.p.k = 10;
    s.p.slot_length_ms = 100;
    s.p.magic = 42;
    s.p.f = 1.0;
    s.p.tx_density = 4;
    s.p.slots_per_kes_period = 129600; /* mainnet/preprod/preview genesis */
    s.ch.fd_chunk = s.ch.fd_secondary = s.ch.fd_primary = -1;
    s.stake_epoch = UINT64_MAX;
    int verbosity = 0;
    bool json = false;
    int done = parse_args(argc, argv, &s, &verbosity, &json);
    if (done >= 0)
        return done;
    app_log_setup("cardano-node-sim", verbosity, json);
    if (mtl_init() != MTL_OK) {
        log_error("init", "detail=\"%s\"", mtl_err_detail());
        return 1;
    }
    s.chunk_size = 10 * s.p.k;
    s.pools = mtl_calloc(s.p.pools, sizeof *s.pools);
    s.vol = mtl_calloc(s.p.k, sizeof *s.vol);
    if (!s.pools || !s.vol) {
        log_error("init", "detail=\"out of memory\"");
        return 1;
    }
    app_prog_catch_stop();

    mtl_buf_init(&s.tx_ids, (size_t)1 << 31);
    if (tx_log_path && !(s.tx_log = fopen(tx_log_path, "ae"))) {
        fprintf(stderr, "cardano-node-sim: --tx-log %s: %s\n", tx_log_path, strerror(errno));
        return 1;
    }
    mtl_err rc = sim_pools_init(&s);
    if (rc == MTL_OK)
        rc = open_db(&s);
    if (rc == MTL_OK)
        rc = sim_pools_write(&s);
    if (rc == MTL_OK)
        rc = write_state(&s);
    uint64_t end = UINT64_MAX;
    if (!s.p.run)
        end = (s.next_slot / s.p.epoch_length + s.p.epochs) * s.p.epoch_length;
    log_info("start", "db=%s socket=%s seed=%llu from_slot=%llu end_slot=%llu", s.p.db, s.p.socket,
             (unsigned long long)s.p.seed, (unsigned long long)s.next_slot,
             (unsigned long long)end);
    if (rc == MTL_OK)
        rc = run_slots(&s, end);
    if (rc == MTL_OK && app_prog_stop && (rc = write_checkpoint(&s)) == MTL_OK)
        rc = write_state(&s); /* interrupted between two saves */
    sim_chunk_close(&s);
    if (rc == MTL_OK) {
        char path[4200];
        snprintf(path, sizeof path, "%s/clean", s.p.db);
        rc = sim_write_plain(path, "", 0);
    }
    for (size_t i = 0; i < s.nvol; i++)
        mtl_free(s.vol[i].bytes);
    mtl_free(s.vol);
    mtl_free(s.pools);
    mtl_buf_free(&s.tx_ids);
    if (s.tx_log && fclose(s.tx_log) != 0 && rc == MTL_OK)
        rc = mtl_seterr(MTL_ERR_IO, "--tx-log %s: close failed", tx_log_path);
    if (rc != MTL_OK) {
        log_error("failed", "error=\"%s\" detail=\"%s\"", mtl_strerror(rc), mtl_err_detail());
        fprintf(stderr, "cardano-node-sim: %s\n", mtl_err_detail());
        return 1;
    }
    log_info("stop", "next_slot=%llu tip_block=%llu immutable_chunk=%llu",
             (unsigned long long)s.next_slot, (unsigned long long)s.tip_block,
             (unsigned long long)s.ch.no);
    return 0;
}
