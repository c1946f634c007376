/* test_sim_observer.c - the chain observer reading cardano-node-sim through
 * the cardano-cli shim: epochs advance, stakes change at each epoch boundary
 * (mark = the previous epoch's live stake), pool ids are the bech32 of the
 * sim's key hashes, and the fallback path (no --all-stake-pools) agrees with
 * the preferred one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "mithril/chain_observer.h"
#include "mithril/util.h"

static char sim[4096], cli[4096], fallback_cli[4096], dir[256], sock[512];

static int run_sim(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' --db '%s' --seed 21 --epochs 1 --pools 4", sim, dir);
    return system(cmd);
}

static int cmp_dist(const struct mtl_pool_stake *a, size_t na, const struct mtl_pool_stake *b,
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
    struct mtl_chain_observer *o = NULL, *fb = NULL;
    CHECK_OK(mtl_chain_observer_new(&o, cli, 42, sock));
    setenv("REAL_CARDANO_CLI", cli, 1);
    CHECK_OK(mtl_chain_observer_new(&fb, fallback_cli, 42, sock));
    struct mtl_pool_stake *prev = NULL;
    size_t nprev = 0;
    for (uint64_t epoch = 0; epoch < 3; epoch++) {
        CHECK_EQ_INT(run_sim(), 0);
        struct mtl_chain_tip t;
        CHECK_OK(mtl_chain_observer_tip(o, &t));
        CHECK_EQ_INT(t.epoch, epoch);
        CHECK_EQ_INT(t.slot, epoch * 100 + 99);
        CHECK_EQ_INT(t.block, epoch * 100 + 99); /* active slot coefficient 1 */
        CHECK_EQ_INT(strlen(t.hash), 64);
        CHECK_EQ_STR(t.era, "Conway");

        struct mtl_pool_stake *p = NULL, *q = NULL;
        size_t n = 0, nq = 0;
        CHECK_OK(mtl_chain_observer_stake_distribution(o, &p, &n));
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
        CHECK_OK(mtl_chain_observer_stake_distribution(fb, &q, &nq));
        CHECK(cmp_dist(p, n, q, nq) == 0);
        mtl_free(q);
        mtl_free(prev);
        prev = p;
        nprev = n;
    }
    mtl_free(prev);
    mtl_chain_observer_free(o);
    mtl_chain_observer_free(fb);
}

TEST(wrong_magic_is_reported)
{
    struct mtl_chain_observer *o = NULL;
    CHECK_OK(mtl_chain_observer_new(&o, cli, 1, sock));
    struct mtl_chain_tip t;
    CHECK_ERR(mtl_chain_observer_tip(o, &t), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "--testnet-magic 1` failed with exit status 1"));
    CHECK(strstr(mtl_err_detail(), "unNetworkMagic = 42"));
    mtl_chain_observer_free(o);
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
    RUN(wrong_magic_is_reported);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return DONE();
}
