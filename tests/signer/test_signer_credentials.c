/* test_signer_credentials.c - the signer's pool identity: its opcert and KES
 * key files give the party id; what it signs verifies as the aggregator
 * checks it (library mtl_signer_credentials_verify*); an opcert starting in
 * the future, a KES key past its 64 periods, a KES key that is not the
 * opcert's, a tampered opcert, another pool's opcert are refused; and the
 * settings: credentials or PARTY_ID behind the explicit test switch. */
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "signer_int.h"

static char dir[64], kes_path[128], opcert_path[128];

/* kes.skey from seed byte `kes_seed`; opcert of the cold key from
 * `cold_seed` for that KES key, starting at `start`, issue `issue`. When
 * tamper is set the issue number is changed after signing. */
static void write_creds(uint8_t cold_seed, uint8_t kes_seed, uint64_t start, uint64_t issue,
                        int tamper, char pool_id[MTL_POOL_ID_MAX])
{
    uint8_t seed[32], cold_vk[32], cold_sk[64], kes_vk[32];
    struct mtl_kes_sk *sk = NULL;
    struct mtl_opcert oc;
    memset(seed, cold_seed, sizeof seed);
    crypto_sign_seed_keypair(cold_vk, cold_sk, seed);
    memset(seed, kes_seed, sizeof seed);
    CHECK_OK(mtl_kes_sk_keygen(&sk, kes_vk, seed));
    CHECK_OK(mtl_kes_sk_write_file(sk, kes_path)); /* cardano-cli's form, 0600 */
    mtl_kes_sk_free(sk);
    CHECK_OK(mtl_opcert_issue(&oc, kes_vk, issue, start, cold_sk));
    if (tamper)
        oc.issue_number++;
    CHECK_OK(mtl_opcert_write_file(&oc, opcert_path));
    if (pool_id)
        CHECK_OK(mtl_cold_vk_pool_id(cold_vk, pool_id));
    mtl_memzero(cold_sk, sizeof cold_sk);
}

/* A Mithril verification key (JSON-hex) from seed byte `seed`. */
static void mithril_vk(uint8_t seed, char **vk)
{
    struct mtl_stm_params p = {.m = 50, .k = 5, .phi_f = 0.9};
    struct mtl_stm_initializer *init = NULL;
    uint8_t s[32] = {seed};
    *vk = NULL;
    CHECK_OK(mtl_stm_initializer_new(&init, &p, 1000, s));
    CHECK_OK(mtl_stm_initializer_vk_jsonhex(init, vk));
    mtl_stm_initializer_free(init);
}

TEST(signs_at_the_current_period)
{
    char pool[MTL_POOL_ID_MAX], loaded[MTL_POOL_ID_MAX];
    write_creds(1, 2, 10, 3, 0, pool);
    CHECK_OK(signer_credentials_load(kes_path, opcert_path, loaded));
    CHECK_EQ_STR(loaded, pool);
    CHECK(strncmp(loaded, "pool1", 5) == 0);
    char *vk = NULL, *other_vk = NULL;
    mithril_vk(7, &vk);
    mithril_vk(8, &other_vk);
    struct signer_credentials_out out;
    /* opcert from period 10, chain at 15: key evolved 5 times */
    CHECK_OK(signer_credentials_sign(kes_path, opcert_path, pool, 15, vk, &out));
    CHECK_EQ_INT(out.kes_evolutions, 5);
    CHECK_OK(mtl_signer_credentials_verify(pool, vk, out.opcert, out.signature, 5));
    CHECK_OK(mtl_signer_credentials_verify_at(pool, vk, out.opcert, out.signature, 15, NULL));
    /* the signature is for period 5 only, for this key only, for this pool only */
    CHECK(mtl_signer_credentials_verify(pool, vk, out.opcert, out.signature, 4) != MTL_OK);
    CHECK(mtl_signer_credentials_verify(pool, other_vk, out.opcert, out.signature, 5) != MTL_OK);
    signer_credentials_out_free(&out);
    /* the last period of the key (63 evolutions) still signs */
    CHECK_OK(signer_credentials_sign(kes_path, opcert_path, pool, 10 + 63, vk, &out));
    CHECK_EQ_INT(out.kes_evolutions, 63);
    CHECK_OK(mtl_signer_credentials_verify(pool, vk, out.opcert, out.signature, 63));
    signer_credentials_out_free(&out);
    mtl_free(other_vk);
    mtl_free(vk);
}

TEST(refusals_name_the_problem)
{
    char pool[MTL_POOL_ID_MAX], loaded[MTL_POOL_ID_MAX];
    char *vk = NULL;
    mithril_vk(7, &vk);
    struct signer_credentials_out out;
    write_creds(1, 2, 10, 0, 0, pool);
    /* opcert starting after the chain's current period */
    CHECK_ERR(signer_credentials_sign(kes_path, opcert_path, pool, 9, vk, &out), MTL_ERR_STATE);
    CHECK(strstr(mtl_err_detail(), "starts at KES period 10, after the chain's current period 9"));
    CHECK(out.signature == NULL && out.opcert == NULL);
    /* KES key past its 64 periods */
    CHECK_ERR(signer_credentials_sign(kes_path, opcert_path, pool, 10 + 64, vk, &out),
              MTL_ERR_STATE);
    CHECK(strstr(mtl_err_detail(), "KES key expired: 64 evolutions"));
    /* another pool's party id */
    CHECK_ERR(signer_credentials_sign(kes_path, opcert_path,
                                      "pool1qqqqpanw9zc0rzh0yp247nzf2s35uvnsm7aaesfl2nnejaev0uc",
                                      12, vk, &out),
              MTL_ERR_STATE);
    CHECK(strstr(mtl_err_detail(), pool));
    /* the KES key of another opcert */
    write_creds(1, 2, 10, 0, 0, NULL);
    char kes_keep[160];
    snprintf(kes_keep, sizeof kes_keep, "%s.keep", kes_path);
    CHECK(rename(kes_path, kes_keep) == 0);
    write_creds(1, 3, 10, 0, 0, NULL);      /* opcert for KES key 3 ... */
    CHECK(rename(kes_keep, kes_path) == 0); /* ... with KES key 2 */
    CHECK_ERR(signer_credentials_load(kes_path, opcert_path, loaded), MTL_ERR_VERIFY_FAIL);
    CHECK(strstr(mtl_err_detail(), "not the KES key of the operational certificate"));
    CHECK_ERR(signer_credentials_sign(kes_path, opcert_path, pool, 12, vk, &out),
              MTL_ERR_VERIFY_FAIL);
    /* an opcert changed after the cold key signed it */
    write_creds(1, 2, 10, 0, 1, NULL);
    CHECK(signer_credentials_load(kes_path, opcert_path, loaded) != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "OPERATIONAL_CERTIFICATE_PATH"));
    /* missing files name the setting */
    CHECK(signer_credentials_load("/nonexistent/kes.skey", opcert_path, loaded) != MTL_OK);
    write_creds(1, 2, 10, 0, 0, NULL);
    CHECK(signer_credentials_load("/nonexistent/kes.skey", opcert_path, loaded) != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "KES_SECRET_KEY_PATH"));
    mtl_free(vk);
}

static mtl_err load(struct signer_config *c, const char *const *extra)
{
    const char *argv[24] = {"mithril-signer", "--aggregator-endpoint", "http://x", "--network",
                            "mainnet"};
    int argc = 5;
    for (; *extra && argc < 23; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    return signer_config_load(c, argc, (char **)argv, 1);
}

TEST(settings_identity)
{
    char pool[MTL_POOL_ID_MAX];
    struct signer_config c;
    unsetenv("PARTY_ID");
    unsetenv("KES_SECRET_KEY_PATH");
    unsetenv("OPERATIONAL_CERTIFICATE_PATH");
    unsetenv("ALLOW_UNAUTHENTICATED_SIGNER");
    write_creds(4, 5, 0, 0, 0, pool);
    /* nothing: refused, naming both settings and the switch */
    const char *none[] = {NULL};
    CHECK_ERR(load(&c, none), MTL_ERR_CONFIG);
    CHECK(strstr(mtl_err_detail(), "KES_SECRET_KEY_PATH and OPERATIONAL_CERTIFICATE_PATH"));
    CHECK(strstr(mtl_err_detail(), "ALLOW_UNAUTHENTICATED_SIGNER"));
    /* PARTY_ID alone: still refused without the switch */
    const char *party_only[] = {"--party-id", pool, NULL};
    CHECK_ERR(load(&c, party_only), MTL_ERR_CONFIG);
    const char *test_mode[] = {"--party-id", pool, "--allow-unauthenticated-signer", NULL};
    CHECK_OK(load(&c, test_mode));
    CHECK(c.allow_unauthenticated && c.kes_secret_key_path == NULL);
    CHECK_EQ_STR(c.party_id, pool);
    /* one of the two files: the other one is named */
    const char *kes_only[] = {"--kes-secret-key-path", kes_path, NULL};
    CHECK_ERR(load(&c, kes_only), MTL_ERR_CONFIG);
    CHECK(strstr(mtl_err_detail(), "OPERATIONAL_CERTIFICATE_PATH: required with"));
    /* credentials: the party id is the opcert's pool id */
    const char *creds[] = {"--kes-secret-key-path", kes_path, "--operational-certificate-path",
                           opcert_path, NULL};
    CHECK_OK(load(&c, creds));
    CHECK_EQ_STR(c.party_id, pool);
    CHECK(!c.allow_unauthenticated);
    /* a PARTY_ID that is not the opcert's pool id */
    const char *wrong[] = {"--kes-secret-key-path",
                           kes_path,
                           "--operational-certificate-path",
                           opcert_path,
                           "--party-id",
                           "pool1qqqqpanw9zc0rzh0yp247nzf2s35uvnsm7aaesfl2nnejaev0uc",
                           NULL};
    CHECK_ERR(load(&c, wrong), MTL_ERR_CONFIG);
    CHECK(strstr(mtl_err_detail(), "is not the pool id of the operational certificate"));
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    snprintf(dir, sizeof dir, "/tmp/signer-creds.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(kes_path, sizeof kes_path, "%s/kes.skey", dir);
    snprintf(opcert_path, sizeof opcert_path, "%s/opcert.cert", dir);
    RUN(signs_at_the_current_period);
    RUN(refusals_name_the_problem);
    RUN(settings_identity);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return DONE();
}
