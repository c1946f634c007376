/* test_sim_observer.c - the chain observer reading cardano-node-sim through
 * the cardano-cli shim: epochs advance, stakes change at each epoch boundary
 * (mark = the previous epoch's live stake), pool ids are the bech32 of the
 * sim's key hashes, and the fallback path (no --all-stake-pools) agrees with
 * the preferred one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain_observer.h"
#include "harness.h"
#include "mithril/pool_identity.h"
#include "mithril/util.h"

static char sim[4096], cli[4096], fallback_cli[4096], dir[256], sock[512];

static int run_sim(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' --seed 21 --epochs 1 --pools 4", sim, dir);
    return system(cmd);
}

static int cmp_dist(const struct app_pool_stake *a, size_t na, const struct app_pool_stake *b,
                    size_t nb)
{
    if (na != nb)
        return 1;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].pool_id, b[i].pool_id) || a[i].stake != b[i].stake)
            return 1;
    return 0;
}

TEST(epochs_advance_and_stakes_change)
{
    struct app_chain_observer *o = NULL, *fb = NULL;
    CHECK_OK(app_chain_observer_new(&o, cli, 42, sock));
    setenv("REAL_CARDANO_CLI", cli, 1);
    CHECK_OK(app_chain_observer_new(&fb, fallback_cli, 42, sock));
    struct app_pool_stake *prev = NULL;
    size_t nprev = 0;
    for (uint64_t epoch = 0; epoch < 3; epoch++) {
        CHECK_EQ_INT(run_sim(), 0);
        struct app_chain_tip t;
        CHECK_OK(app_chain_observer_tip(o, &t));
        CHECK_EQ_INT(t.epoch, epoch);
        CHECK_EQ_INT(t.slot, epoch * 100 + 99);
        CHECK_EQ_INT(t.block, epoch * 100 + 99); /* active slot coefficient 1 */
        CHECK_EQ_INT(strlen(t.hash), 64);
        CHECK_EQ_STR(t.era, "Conway");

        struct app_pool_stake *p = NULL, *q = NULL;
        size_t n = 0, nq = 0;
        CHECK_OK(app_chain_observer_stake_distribution(o, &p, &n));
        CHECK_EQ_INT(n, 4);
        for (size_t i = 0; i < n; i++)
            CHECK(strncmp(p[i].pool_id, "pool1", 5) == 0 && p[i].stake > 0);
        if (prev) {
            CHECK_EQ_INT(nprev, n);
            for (size_t i = 0; i < n && i < nprev; i++) {
                CHECK_EQ_STR(p[i].pool_id, prev[i].pool_id); /* same pools */
                CHECK(p[i].stake != prev[i].stake);          /* new mark snapshot */
            }
        }
        CHECK_OK(app_chain_observer_stake_distribution(fb, &q, &nq));
        CHECK(cmp_dist(p, n, q, nq) == 0);
        mtl_free(q);
        mtl_free(prev);
        prev = p;
        nprev = n;
    }
    mtl_free(prev);
    app_chain_observer_free(o);
    app_chain_observer_free(fb);
}

/* Every pool's SPO files: the opcert verifies under the cold key, the KES
 * key is the opcert's, the pool id is the chain's, and the node reports
 * the KES period of the opcert (slot 299, 129600 slots per period: 0). */
TEST(pool_credentials_match_the_chain)
{
    struct app_chain_observer *o = NULL;
    CHECK_OK(app_chain_observer_new(&o, cli, 42, sock));
    struct app_pool_stake *p = NULL;
    size_t n = 0;
    CHECK_OK(app_chain_observer_stake_distribution(o, &p, &n));
    CHECK_EQ_INT(n, 4);
    size_t matched = 0;
    for (int i = 0; i < 4; i++) {
        char path[600], id[64] = "";
        struct mtl_opcert oc;
        snprintf(path, sizeof path, "%s/pools/%d/opcert.cert", dir, i);
        CHECK_OK(mtl_opcert_read_file(&oc, path));
        CHECK_OK(mtl_opcert_verify(&oc));
        CHECK_EQ_INT(oc.issue_number, 0);
        CHECK_EQ_INT(oc.start_kes_period, 0);
        CHECK_OK(mtl_opcert_pool_id(&oc, id));
        for (size_t k = 0; k < n; k++)
            matched += strcmp(p[k].pool_id, id) == 0;
        snprintf(path, sizeof path, "%s/pools/%d/kes.skey", dir, i);
        struct stat st;
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
        struct mtl_kes_sk *sk = NULL;
        CHECK_OK(mtl_kes_sk_read_file(&sk, path));
        uint8_t vk[MTL_KES_VK_BYTES];
        if (sk)
            mtl_kes_sk_vk(sk, vk);
        CHECK(sk && mtl_kes_sk_period(sk) == 0 && memcmp(vk, oc.kes_vk, sizeof vk) == 0);
        mtl_kes_sk_free(sk);
        snprintf(path, sizeof path, "%s/pools/%d/opcert.cert", dir, i);
        struct app_kes_period_info k;
        CHECK_OK(app_chain_observer_kes_period_info(o, path, &k));
        CHECK_EQ_INT(k.current_kes_period, 0);
        CHECK_EQ_INT(k.slots_per_kes_period, 129600);
        CHECK_EQ_INT(k.start_kes_period, 0);
        CHECK_EQ_INT(k.end_kes_period, 62);
        CHECK_EQ_INT(k.node_counter, 0);
    }
    CHECK_EQ_INT(matched, 4); /* each pool's id is one of the chain's, all different */
    mtl_free(p);
    app_chain_observer_free(o);
}

TEST(wrong_magic_is_reported)
{
    struct app_chain_observer *o = NULL;
    CHECK_OK(app_chain_observer_new(&o, cli, 1, sock));
    struct app_chain_tip t;
    CHECK_ERR(app_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "--testnet-magic 1` failed with exit status 1"));
    CHECK(strstr(mtl_err_detail(), "unNetworkMagic = 42"));
    app_chain_observer_free(o);
}

int main(void)
{
    const char *b = getenv("MTL_BUILD_DIR"), *s = getenv("MTL_SOURCE_DIR");
    if (!b || !s)
        SKIP_ALL("MTL_BUILD_DIR/MTL_SOURCE_DIR not set");
    snprintf(sim, sizeof sim, "%s/tools/cardano-node-sim/cardano-node-sim", b);
    snprintf(cli, sizeof cli, "%s/tools/cardano-cli/cardano-cli", b);
    snprintf(fallback_cli, sizeof fallback_cli, "%s/tests/cardano/no-all-pools-cli.sh", s);
    snprintf(dir, sizeof dir, "/tmp/sim-observer.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(sock, sizeof sock, "%s/node.socket", dir);
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(epochs_advance_and_stakes_change);
    RUN(pool_credentials_match_the_chain);
    RUN(wrong_magic_is_reported);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return DONE();
}
