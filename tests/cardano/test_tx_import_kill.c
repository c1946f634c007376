/* test_tx_import_kill.c - the transactions store survives kill -9: a chain of
 * many chunks written by cardano-node-sim is imported by a child process
 * (app_tx_import, the importer of the signer and of the aggregator's
 * worker) that is SIGKILLed at random moments of several rounds, each round
 * resuming the last one's store; the import then resumed to the end gives a
 * store that passes PRAGMA integrity_check and holds exactly what an
 * uninterrupted import of the same chain holds (counts, both trees' roots at
 * several beacons), and every transaction of the simulator's --tx-log is
 * proven by app_tx_prove against the root at the tip. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common_int.h"
#include "harness.h"
#include "mithril/util.h"
#include "util/db.h"
#include "util/tx_store.h"

#define ROUNDS 8

static char DIR_[256], IMM[320], TXLOG[320];

struct counts {
    uint64_t blocks, txs, ranges, high;
};

static mtl_err store_counts(const char *path, struct counts *c)
{
    struct app_tx_store *s = NULL;
    int found = 0;
    MTL_TRY(app_tx_store_open(&s, path));
    mtl_err e = app_tx_counts(s, &c->blocks, &c->txs, &c->ranges);
    if (e == MTL_OK)
        e = app_tx_highest_block(s, &c->high, &found);
    app_tx_store_free(s);
    return e;
}

static mtl_err import_all(const char *path)
{
    struct app_tx_store *s = NULL;
    MTL_TRY(app_tx_store_open(&s, path));
    mtl_err e = app_tx_import(s, IMM, UINT64_MAX, NULL);
    app_tx_store_free(s);
    return e;
}

/* SIGKILL from inside (raise is async-signal-safe): the process dies at
 * whatever instruction the timer interrupted, as under kill -9. */
static void die_now(int sig)
{
    (void)sig;
    raise(SIGKILL);
}

/* One round: a child imports into path and is SIGKILLed once it has spent
 * cpu_us of CPU time (a profiling timer: the kill falls inside the import
 * whatever the machine's load, anywhere in a chunk being written or its
 * commit). *killed: 1 when it died of SIGKILL, 0 when it finished first. */
static void killed_round(const char *path, unsigned cpu_us, int *killed)
{
    *killed = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct itimerval t = {.it_value = {.tv_sec = cpu_us / 1000000,
                                           .tv_usec = cpu_us % 1000000}};
        signal(SIGPROF, die_now);
        setitimer(ITIMER_PROF, &t, NULL);
        _exit(import_all(path) == MTL_OK ? 0 : 3);
    }
    int status = 0;
    if (pid < 0)
        TH_FAIL("fork failed");
    if (waitpid(pid, &status, 0) != pid || (WIFEXITED(status) && WEXITSTATUS(status) != 0))
        TH_FAIL("the importing child failed (status %d)", status);
    *killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static void integrity_ok(const char *path)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    const char *r = (const char *)sqlite3_column_text(st, 0);
    if (!r || strcmp(r, "ok") != 0)
        TH_FAIL("integrity_check: %s", r ? r : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Both trees' roots at beacons spread over the chain, and the last one. */
static void same_roots(struct app_tx_store *a, struct app_tx_store *b, uint64_t high)
{
    uint64_t beacons[] = {14, 15, high / 3, high / 2 - 1, high - 16, high - 1, high};
    size_t compared = 0;
    for (size_t i = 0; i < MTL_ARRAY_LEN(beacons); i++)
        for (int t = 0; t < 2; t++) {
            char ra[MTL_HASH_HEX_BYTES], rb[MTL_HASH_HEX_BYTES];
            mtl_err ea = app_tx_root(a, (enum app_tx_tree)t, beacons[i], ra);
            mtl_err eb = app_tx_root(b, (enum app_tx_tree)t, beacons[i], rb);
            mtl_err_clear();
            CHECK_EQ_INT(ea, eb);
            if (ea == MTL_OK && eb == MTL_OK) {
                CHECK_EQ_STR(ra, rb);
                compared++;
            }
        }
    CHECK(compared >= 12);
}

/* Every transaction of the simulator's log in an imported block is proven
 * (v2, at the tip) and the proof's root is the tip's root. */
static void log_proven(struct app_tx_store *s, uint64_t high, uint64_t want_txs)
{
    FILE *f = fopen(TXLOG, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    size_t cap = 1024, n = 0;
    uint8_t(*h)[32] = malloc(cap * 32);
    char line[1 << 16];
    while (fgets(line, sizeof(line), f)) {
        char *save = NULL, *tok = strtok_r(line, " \n", &save);
        uint64_t number = tok ? strtoull(tok, NULL, 10) : UINT64_MAX;
        strtok_r(NULL, " \n", &save); /* slot */
        strtok_r(NULL, " \n", &save); /* block hash */
        if (number > high)
            continue; /* volatile, or in the chunk being written */
        while ((tok = strtok_r(NULL, " \n", &save))) {
            if (n == cap)
                h = realloc(h, (cap *= 2) * 32);
            size_t got = 0;
            CHECK(mtl_hex_decode(h[n], 32, &got, tok, strlen(tok)) == MTL_OK && got == 32);
            n++;
        }
    }
    fclose(f);
    CHECK_EQ_INT(n, want_txs);
    char root[MTL_HASH_HEX_BYTES];
    CHECK_OK(app_tx_root(s, APP_TX_TREE_BLOCKS, high, root));
    size_t proven = 0;
    for (size_t i = 0; i < n; i += 100) { /* 100 hashes a request, as the routes allow */
        size_t k = n - i < 100 ? n - i : 100;
        struct app_tx_item *items = NULL;
        size_t ni = 0;
        struct mtl_mkproof *p = NULL;
        CHECK_OK(app_tx_prove(s, MTL_PROOFS_TRANSACTIONS_V2, high, (const uint8_t(*)[32])h + i, k,
                              &items, &ni, &p));
        proven += ni;
        const uint8_t *r = NULL;
        size_t rl = 0;
        char rh[MTL_HASH_HEX_BYTES] = "";
        if (p) {
            CHECK_OK(mtl_mkproof_verify(p));
            mtl_mkproof_root(p, &r, &rl);
            mtl_hex_encode(rh, sizeof(rh), r, rl);
        }
        CHECK_EQ_STR(rh, root);
        mtl_free(items);
        mtl_mkproof_free(p);
    }
    CHECK_EQ_INT(proven, n);
    free(h);
}

TEST(killed_imports_resume_to_the_uninterrupted_store)
{
    char ref_path[400], path[400];
    TH_FMT(ref_path, "%s/ref.sqlite3", DIR_);
    TH_FMT(path, "%s/killed.sqlite3", DIR_);
    CHECK_OK(import_all(ref_path));
    struct counts ref = {0};
    CHECK_OK(store_counts(ref_path, &ref));
    CHECK(ref.blocks > 1000 && ref.txs > 10000);
    /* the store exists before the children open it (no migration race) */
    struct app_tx_store *s = NULL;
    CHECK_OK(app_tx_store_open(&s, path));
    app_tx_store_free(s);
    srand((unsigned)getpid());
    int kills = 0;
    uint64_t prev = 0;
    for (int round = 0; round < ROUNDS && !th_cur_failed; round++) {
        struct counts c = {0};
        CHECK_OK(store_counts(path, &c));
        CHECK(c.blocks >= prev); /* a round never loses what a previous one committed */
        prev = c.blocks;
        /* 2-14 ms of the child's CPU: opening the store, then some chunks
         * (the whole chain takes ~200 ms of CPU, more under ASan) */
        unsigned cpu_us = 2000 + (unsigned)rand() % 12000;
        int k = 0;
        killed_round(path, cpu_us, &k);
        kills += k;
        printf("round %d: from %llu blocks, %s after %u us of CPU\n", round,
               (unsigned long long)c.blocks, k ? "killed" : "finished", cpu_us);
        if (!k)
            break;
    }
    CHECK(kills >= ROUNDS / 2); /* else the kills did not fall mid-import */
    integrity_ok(path);
    struct counts mid = {0};
    CHECK_OK(store_counts(path, &mid));
    CHECK(mid.blocks <= ref.blocks);
    CHECK_OK(import_all(path));
    integrity_ok(path);
    struct counts got = {0};
    CHECK_OK(store_counts(path, &got));
    CHECK_EQ_INT(got.blocks, ref.blocks);
    CHECK_EQ_INT(got.txs, ref.txs);
    CHECK_EQ_INT(got.ranges, ref.ranges);
    CHECK_EQ_INT(got.high, ref.high);
    struct app_tx_store *a = NULL, *b = NULL;
    CHECK_OK(app_tx_store_open(&a, ref_path));
    CHECK_OK(app_tx_store_open(&b, path));
    if (a && b) {
        same_roots(a, b, ref.high);
        log_proven(b, ref.high, ref.txs);
    }
    app_tx_store_free(a);
    app_tx_store_free(b);
}

int main(void)
{
    const char *build = getenv("MTL_BUILD_DIR");
    char cmd[1200];
    struct stat sb; /* memory when there is some: the simulator's writes are synced */
    snprintf(DIR_, sizeof(DIR_), "%s/tx_import_kill.XXXXXX",
             stat("/dev/shm", &sb) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(DIR_))
        return 1;
    snprintf(IMM, sizeof(IMM), "%s/chain/immutable", DIR_);
    snprintf(TXLOG, sizeof(TXLOG), "%s/tx.log", DIR_);
    /* ~130 chunks of 30 slots, ~20 transactions a block */
    snprintf(cmd, sizeof(cmd),
             "%s/tools/cardano-node-sim/cardano-node-sim --db %s/chain --seed 11 --epochs 40 "
             "--security-param 3 --tx-density 20 --tx-log %s >/dev/null",
             build ? build : ".", DIR_, TXLOG);
    if (system(cmd) != 0) {
        printf("FAIL: %s\n", cmd);
        return 1;
    }
    RUN(killed_imports_resume_to_the_uninterrupted_store);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", DIR_);
    if (system(cmd) != 0)
        return 1;
    return DONE();
}
