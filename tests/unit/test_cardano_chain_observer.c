/* test_cardano_chain_observer.c - the cardano-cli chain observer against
 * tests/cardano/fake-cardano-cli.sh: real output shapes (reference
 * test_cli_runner.rs), the stake-distribution fallback, failures, garbage,
 * timeouts, the exact command lines and the socket environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain_observer.h"
#include "harness.h"
#include "mithril/util.h"

static char cli[4096], logfile[4096];

static struct app_chain_observer *obs(uint64_t magic)
{
    struct app_chain_observer *o = NULL;
    if (app_chain_observer_new(&o, cli, magic, "/tmp/observer-test.socket") != MTL_OK)
        return NULL;
    return o;
}

static void mode(const char *m)
{
    setenv("FAKE_CLI_MODE", m, 1);
    unlink(logfile);
}

/* Lines of the fixture's argument log ("" when absent). */
static char *log_text(void)
{
    static char buf[8192];
    buf[0] = '\0';
    FILE *f = fopen(logfile, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

TEST(tip_real_shape)
{
    mode("real");
    struct app_chain_observer *o = obs(42);
    CHECK(o);
    struct app_chain_tip t;
    CHECK_OK(app_chain_observer_tip(o, &t));
    CHECK_EQ_INT(t.epoch, 299);
    CHECK_EQ_INT(t.slot, 25886617);
    CHECK_EQ_INT(t.block, 1270276);
    CHECK_EQ_STR(t.hash, "7383b17d7b05b0953cf0649abff60173995eb9febe556889333e20e1e5b7ca84");
    CHECK_EQ_STR(t.era, "Conway");
    /* exact command line, no shell, socket in the environment */
    CHECK_EQ_STR(log_text(), "latest query tip --testnet-magic 42 | /tmp/observer-test.socket\n");
    app_chain_observer_free(o);

    o = obs(0);
    unlink(logfile);
    CHECK_OK(app_chain_observer_tip(o, &t));
    CHECK_EQ_STR(log_text(), "latest query tip --mainnet | /tmp/observer-test.socket\n");
    app_chain_observer_free(o);
}

TEST(tip_optional_fields_and_prefix)
{
    mode("nohash");
    struct app_chain_observer *o = obs(42);
    struct app_chain_tip t;
    CHECK_OK(app_chain_observer_tip(o, &t));
    CHECK_EQ_INT(t.epoch, 3);
    CHECK_EQ_INT(t.slot, 5);
    CHECK_EQ_INT(t.block, 0);
    CHECK_EQ_STR(t.hash, "");
    mode("prefix"); /* text before the first '{' is ignored */
    CHECK_OK(app_chain_observer_tip(o, &t));
    CHECK_EQ_INT(t.epoch, 299);
    app_chain_observer_free(o);
}

TEST(tip_errors_name_the_problem)
{
    struct app_chain_observer *o = obs(42);
    struct app_chain_tip t;
    mode("fail");
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "query tip --testnet-magic 42` failed with exit status 1"));
    CHECK(strstr(mtl_err_detail(), "does not exist")); /* the program's stderr */
    mode("garbage");
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "not a JSON object"));
    CHECK(strstr(mtl_err_detail(), "this is not json"));
    mode("badepoch");
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "field 'epoch'"));
    mode("badhash");
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "field 'hash'"));
    mode("signal");
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "killed by signal 9"));
    app_chain_observer_free(o);
}

TEST(timeout_kills_the_program)
{
    mode("slow");
    struct app_chain_observer *o = obs(42);
    CHECK_OK(app_chain_observer_set_timeout(o, 300));
    struct app_chain_tip t;
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "timed out after 300 ms"));
    CHECK(strstr(mtl_err_detail(), "query tip"));
    mode("detach"); /* closes stdout/stderr, keeps running */
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "timed out after 300 ms"));
    CHECK_ERR(app_chain_observer_set_timeout(o, 0), MTL_ERR_INVALID_ARG);
    app_chain_observer_free(o);
}

TEST(missing_program)
{
    struct app_chain_observer *o = NULL;
    CHECK_OK(app_chain_observer_new(&o, "/nonexistent/cardano-cli", 42, NULL));
    struct app_chain_tip t;
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "cannot run '/nonexistent/cardano-cli'"));
    app_chain_observer_free(o);
    CHECK_ERR(app_chain_observer_new(&o, "", 42, NULL), MTL_ERR_INVALID_ARG);
}

TEST(stake_distribution_all_pools)
{
    mode("real");
    struct app_chain_observer *o = obs(42);
    struct app_pool_stake *p = NULL;
    size_t n = 0;
    CHECK_OK(app_chain_observer_stake_distribution(o, &p, &n));
    CHECK_EQ_INT(n, 3); /* the pool with stakeMark 0 is dropped */
    if (n == 3) {
        /* sorted by pool id; stakeMark; ids are V11 */
        CHECK_EQ_STR(p[0].pool_id, "pool1qqqqpanw9zc0rzh0yp247nzf2s35uvnsm7aaesfl2nnejaev0uc");
        CHECK_EQ_INT(p[0].stake, 600000000001LL);
        CHECK_EQ_STR(p[1].pool_id, "pool1qqqqqdk4zhsjuxxd8jyvwncf5eucfskz0xjjj64fdmlgj735lr9");
        CHECK_EQ_INT(p[1].stake, 300000000001LL);
        CHECK_EQ_STR(p[2].pool_id, "pool1qqqqzyqf8mlm70883zht60n4q6uqxg4a8x266sewv8ad2grkztl");
        CHECK_EQ_INT(p[2].stake, 1200000000001LL);
    }
    CHECK_EQ_STR(log_text(), "latest query stake-snapshot --all-stake-pools --testnet-magic 42 | "
                             "/tmp/observer-test.socket\n");
    mtl_free(p);
    app_chain_observer_free(o);
}

/* A node that lists no pool (a fresh devnet): an empty distribution, no
 * error (and no sort of a missing array: UBSan stopped the signer there). */
TEST(stake_distribution_empty)
{
    mode("emptypools");
    struct app_chain_observer *o = obs(42);
    struct app_pool_stake *p = NULL;
    size_t n = 7;
    CHECK_OK(app_chain_observer_stake_distribution(o, &p, &n));
    CHECK_EQ_INT(n, 0);
    mtl_free(p);
    app_chain_observer_free(o);
}

TEST(stake_distribution_fallback)
{
    mode("fallback");
    struct app_chain_observer *o = obs(42);
    struct app_pool_stake *p = NULL;
    size_t n = 0;
    CHECK_OK(app_chain_observer_stake_distribution(o, &p, &n));
    /* 8 pools listed, pool1qpqvz90w... has poolStakeMark 0 */
    CHECK_EQ_INT(n, 7);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_INT(p[i].stake, 3000000);
        CHECK(strcmp(p[i].pool_id, "pool1qpqvz90w7qsex2al2ejjej0rfgrwsguch307w8fraw7a7adf6g8"));
        if (i)
            CHECK(strcmp(p[i - 1].pool_id, p[i].pool_id) < 0);
    }
    const char *lg = log_text();
    CHECK(strstr(lg, "latest query stake-distribution --testnet-magic 42 |"));
    CHECK(strstr(lg,
                 "latest query stake-snapshot --stake-pool-id "
                 "pool1qz2vzszautc2c8mljnqre2857dpmheq7kgt6vav0s38tvvhxm6w --testnet-magic 42"));
    mtl_free(p);
    app_chain_observer_free(o);
}

TEST(stake_distribution_errors)
{
    struct app_chain_observer *o = obs(42);
    struct app_pool_stake *p = NULL;
    size_t n = 0;
    mode("fallbackbad"); /* both paths fail: both reasons reported */
    CHECK_ERR(app_chain_observer_stake_distribution(o, &p, &n), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "could not parse stake from 'abc'"));
    CHECK(strstr(mtl_err_detail(), "--all-stake-pools"));
    CHECK(p == NULL && n == 0);
    mode("fail");
    CHECK_ERR(app_chain_observer_stake_distribution(o, &p, &n), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "exit status 1"));
    /* a garbled all-pools answer falls back; the fixture's fallback works */
    mode("badmark");
    CHECK_OK(app_chain_observer_stake_distribution(o, &p, &n));
    CHECK_EQ_INT(n, 7);
    mtl_free(p);
    p = NULL;
    mode("garbage");
    CHECK_ERR(app_chain_observer_stake_distribution(o, &p, &n), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "not a JSON object"));
    CHECK(strstr(mtl_err_detail(), "no 'PoolId' header line"));
    app_chain_observer_free(o);
}

TEST(kes_period_from_tip)
{
    mode("real");
    struct app_chain_observer *o = obs(42);
    uint64_t p = 0;
    /* the reference: slot 25886617 / 129600 */
    CHECK_OK(app_chain_observer_kes_period(o, 129600, &p));
    CHECK_EQ_INT(p, 199);
    CHECK_OK(app_chain_observer_kes_period(o, 100, &p));
    CHECK_EQ_INT(p, 258866);
    CHECK_EQ_STR(log_text(), "latest query tip --testnet-magic 42 | /tmp/observer-test.socket\n"
                             "latest query tip --testnet-magic 42 | /tmp/observer-test.socket\n");
    CHECK_ERR(app_chain_observer_kes_period(o, 0, &p), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "slots_per_kes_period"));
    mode("fail");
    CHECK_ERR(app_chain_observer_kes_period(o, 129600, &p), MTL_ERR_EXTERNAL);
    app_chain_observer_free(o);
}

TEST(kes_period_info_real_shape)
{
    mode("real");
    struct app_chain_observer *o = obs(42);
    struct app_kes_period_info k;
    /* check-mark lines before the JSON are skipped */
    CHECK_OK(app_chain_observer_kes_period_info(o, "/pool/opcert.cert", &k));
    CHECK_EQ_INT(k.current_kes_period, 404);
    CHECK_EQ_INT(k.slots_per_kes_period, 129600);
    CHECK_EQ_INT(k.start_kes_period, 404);
    CHECK_EQ_INT(k.end_kes_period, 466);
    CHECK_EQ_INT(k.max_kes_evolutions, 62);
    CHECK_EQ_INT(k.on_disk_counter, 6);
    CHECK_EQ_INT(k.node_counter, 6);
    CHECK_EQ_STR(log_text(), "latest query kes-period-info --op-cert-file /pool/opcert.cert "
                             "--testnet-magic 42 | /tmp/observer-test.socket\n");
    mode("nullnode"); /* a pool that never forged: no node counter; optional fields absent */
    CHECK_OK(app_chain_observer_kes_period_info(o, "/pool/opcert.cert", &k));
    CHECK_EQ_INT(k.node_counter, -1);
    CHECK_EQ_INT(k.start_kes_period, 400);
    CHECK_EQ_INT(k.end_kes_period, 0);
    app_chain_observer_free(o);
}

TEST(kes_period_info_errors)
{
    struct app_chain_observer *o = obs(42);
    struct app_kes_period_info k;
    mode("badkes");
    CHECK_ERR(app_chain_observer_kes_period_info(o, "/pool/opcert.cert", &k), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "field 'qKesCurrentKesPeriod'"));
    mode("zerokes");
    CHECK_ERR(app_chain_observer_kes_period_info(o, "/pool/opcert.cert", &k), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "qKesSlotsPerKesPeriod is 0"));
    mode("fail");
    CHECK_ERR(app_chain_observer_kes_period_info(o, "/pool/opcert.cert", &k), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "kes-period-info --op-cert-file /pool/opcert.cert"));
    mode("garbage");
    CHECK_ERR(app_chain_observer_kes_period_info(o, "/pool/opcert.cert", &k), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "not a JSON object"));
    CHECK_ERR(app_chain_observer_kes_period_info(o, "", &k), MTL_ERR_INVALID_ARG);
    app_chain_observer_free(o);
}

/* `cardano-cli --version`: the version word of real output, the devnet
 * shim's answer through the observer, garbage refused naming the command. */
TEST(version)
{
    char v[APP_NODE_VERSION_MAX];
    CHECK_OK(app_cli_version_parse("cli", "cardano-cli 10.1.1.0 - linux-x86_64 - ghc-9.6\n"
                                          "git rev 01e5b8e9a4a0f5ad7a6e3e1e3b0b9a1ee2c3d4f5\n",
                                   v));
    CHECK_EQ_STR(v, "10.1.1.0");
    static const char *const bad[] = {"", "cardano-node 10.1.1 - linux", "cardano-cli  - x",
                                      "cardano-cli 1234567890123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_ERR(app_cli_version_parse("cardano-cli --version", bad[i], v), MTL_ERR_EXTERNAL);
        CHECK(strstr(mtl_err_detail(), "cardano-cli --version") != NULL);
    }
    const char *build = getenv("MTL_BUILD_DIR");
    char shim[4096];
    snprintf(shim, sizeof shim, "%s/tools/cardano-cli/cardano-cli", build ? build : ".");
    struct app_chain_observer *o = NULL;
    if (build && access(shim, X_OK) == 0 && app_chain_observer_new(&o, shim, 42, NULL) == MTL_OK) {
        CHECK_OK(app_chain_observer_version(o, v));
        CHECK_EQ_STR(v, "10.11.0.0");
    }
    app_chain_observer_free(o);
}

int main(void)
{
    const char *src = getenv("MTL_SOURCE_DIR");
    if (!src)
        SKIP_ALL("MTL_SOURCE_DIR not set");
    snprintf(cli, sizeof cli, "%s/tests/cardano/fake-cardano-cli.sh", src);
    snprintf(logfile, sizeof logfile, "/tmp/observer-test-%ld.log", (long)getpid());
    setenv("FAKE_CLI_LOG", logfile, 1);
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(tip_real_shape);
    RUN(tip_optional_fields_and_prefix);
    RUN(tip_errors_name_the_problem);
    RUN(timeout_kills_the_program);
    RUN(missing_program);
    RUN(stake_distribution_all_pools);
    RUN(stake_distribution_empty);
    RUN(stake_distribution_fallback);
    RUN(stake_distribution_errors);
    RUN(kes_period_from_tip);
    RUN(kes_period_info_real_shape);
    RUN(kes_period_info_errors);
    RUN(version);
    unlink(logfile);
    return DONE();
}
