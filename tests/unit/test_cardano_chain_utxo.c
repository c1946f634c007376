/* test_cardano_chain_utxo.c - the chain observer's `query utxo` against
 * tests/cardano/fake-cardano-cli.sh: the reference's UTxO output
 * (test_cli_runner.rs launch_utxo) gives its one inline datum, the exact
 * command line with a fresh --out-file that is removed after, and clear
 * failures for a failing program, a bad UTxO set or a bad address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain_observer.h"
#include "harness.h"

static char cli[4096], logfile[4096];

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static struct app_chain_observer *obs(const char *mode)
{
    struct app_chain_observer *o = NULL;
    setenv("FAKE_CLI_MODE", mode, 1);
    unlink(logfile);
    if (app_chain_observer_new(&o, cli, 42, "/tmp/observer-test.socket") != MTL_OK)
        return NULL;
    return o;
}

TEST(utxo_reference_shape)
{
    struct app_chain_observer *o = obs("real");
    CHECK(o);
    char **d = NULL;
    size_t n = 0;
    CHECK_OK(app_chain_observer_datums(o,
                                       "addr_test1vpcr3he05gemue6eyy0c9clajqnnww8aa2l3jszjd"
                                       "lszjhq093qrn",
                                       &d, &n));
    CHECK_EQ_INT(n, 1);
    CHECK(starts(d[0], "{\"constructor\":0,\"fields\":[{\"bytes\":\"5b0a20207b0a"));
    /* The reference reads thales@123, pythagoras@null from it. */
    char *payload = NULL, *json = NULL;
    CHECK_OK(mtl_era_tx_datum_payload(&payload, d[0], strlen(d[0])));
    CHECK_OK(mtl_jsonhex_decode(&json, NULL, payload));
    struct mtl_era_marker *m = NULL;
    size_t nm = 0;
    CHECK_OK(mtl_era_markers_parse(&m, &nm, json, strlen(json)));
    CHECK(nm == 2 && m[0].epoch == 123 && strcmp(m[1].name, "pythagoras") == 0);
    mtl_free(m);
    mtl_free(json);
    mtl_free(payload);
    app_chain_datums_free(d, n);
    /* Exact command line; the --out-file is gone after. */
    FILE *f = fopen(logfile, "r");
    char line[1024] = "", tmp[512] = "";
    CHECK(f && fgets(line, sizeof line, f));
    fclose(f);
    static const char head[] = "latest query utxo --address addr_test1vpcr3he05gemue6eyy0c9clajqn"
                               "nww8aa2l3jszjdlszjhq093qrn --out-file ";
    CHECK(starts(line, head));
    CHECK(sscanf(line + strlen(head), "%511s", tmp) == 1);
    CHECK(strstr(tmp, "mithril-utxo-"));
    CHECK(strstr(line, " --testnet-magic 42 | /tmp/observer-test.socket\n"));
    CHECK(access(tmp, F_OK) != 0);
    app_chain_observer_free(o);
}

TEST(utxo_failures_are_named)
{
    char **d = NULL;
    size_t n = 0;
    struct app_chain_observer *o = obs("utxonone");
    CHECK_OK(app_chain_observer_datums(o, "addr_x", &d, &n));
    CHECK(n == 0);
    app_chain_datums_free(d, n);
    app_chain_observer_free(o);
    o = obs("utxobad");
    CHECK_ERR(app_chain_observer_datums(o, "addr_x", &d, &n), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "the UTxO set is not a JSON object"));
    app_chain_observer_free(o);
    o = obs("fail");
    CHECK_ERR(app_chain_observer_datums(o, "addr_x", &d, &n), MTL_ERR_EXTERNAL);
    CHECK(strstr(mtl_err_detail(), "query utxo --address addr_x"));
    CHECK_ERR(app_chain_observer_datums(o, "--mainnet", &d, &n), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "'--mainnet' is not a Cardano address"));
    CHECK(d == NULL && n == 0);
    app_chain_observer_free(o);
}

int main(void)
{
    const char *src = getenv("MTL_SOURCE_DIR");
    if (!src)
        SKIP_ALL("MTL_SOURCE_DIR not set");
    snprintf(cli, sizeof cli, "%s/tests/cardano/fake-cardano-cli.sh", src);
    snprintf(logfile, sizeof logfile, "/tmp/observer-utxo-test-%ld.log", (long)getpid());
    setenv("FAKE_CLI_LOG", logfile, 1);
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(utxo_reference_shape);
    RUN(utxo_failures_are_named);
    unlink(logfile);
    return DONE();
}
