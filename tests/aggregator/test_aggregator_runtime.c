/* test_aggregator_runtime.c - mithril-aggregator end to end on a chain
 * stand-in with in-process signers (real STM keys over HTTP): genesis then
 * multi-signed certificates over 3 epochs with changing stakes, the chain and
 * the MSD artifacts verified with libmithril, bad inputs refused with 4xx
 * JSON and nothing stored, kill -9 inside the certificate transaction then a
 * restart that resumes, retention, and every route against the openapi. */
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agg_sim.h"
#include "chain_observer.h"
#include "harness.h"
#include "mithril/util.h"

#define NSIGNERS 5
#define MAXKEY 12

static struct sim_agg S;
static char PARTY[NSIGNERS][64];
static struct sim_pool POOL[NSIGNERS]; /* the signers' pool identities (chain stand-in) */
static struct mtl_stm_initializer *INIT[MAXKEY][NSIGNERS]; /* by key epoch */
static const struct mtl_stm_params PARAMS = {.m = 24, .k = 15, .phi_f = 0.9};

static uint64_t stake_at(uint64_t epoch, size_t i)
{
    /* stakes change every epoch */
    return 1000 + 300 * ((epoch * 7 + i * 3) % 5) + 50 * i;
}

/* Node-sim mode: the chain is tools/cardano-node-sim read through the
 * cardano-cli shim by the aggregator's chain observer. */
static int OBS;
static char SIM_BIN[512], DB_SIM[400], CLI_BIN[512], SOCK[450];
static uint64_t OBS_STAKE[NSIGNERS];

static void sim_advance(uint64_t epoch)
{
    char cmd[1500];
    /* from an epoch-end tip, --epochs 1 produces exactly the next epoch */
    snprintf(cmd, sizeof(cmd),
             "%s --db %s --epochs %d --pools %d --epoch-length 50 --security-param 2 --seed 7"
             " >/dev/null 2>&1",
             SIM_BIN, DB_SIM, epoch == 1 ? 2 : 1, NSIGNERS);
    CHECK(system(cmd) == 0);
    struct app_chain_observer *o = NULL;
    struct app_chain_tip tip;
    struct app_pool_stake *pools = NULL;
    size_t n = 0;
    CHECK_OK(app_chain_observer_new(&o, CLI_BIN, 42, SOCK));
    CHECK_OK(app_chain_observer_tip(o, &tip));
    CHECK_EQ_INT(tip.epoch, epoch);
    CHECK_OK(app_chain_observer_stake_distribution(o, &pools, &n));
    CHECK_EQ_INT(n, NSIGNERS);
    for (size_t i = 0; i < n && i < NSIGNERS; i++) {
        snprintf(PARTY[i], 64, "%s", pools[i].pool_id);
        OBS_STAKE[i] = pools[i].stake;
    }
    mtl_free(pools);
    app_chain_observer_free(o);
}

static uint64_t stake_of(uint64_t epoch, size_t i)
{
    return OBS ? OBS_STAKE[i] : stake_at(epoch, i);
}

static void set_chain(uint64_t epoch)
{
    if (OBS) {
        sim_advance(epoch);
        if (th_cur_failed)
            return;
        CHECK(sim_wait_epoch(&S, epoch) == 0);
        return;
    }
    uint64_t st[NSIGNERS];
    for (size_t i = 0; i < NSIGNERS; i++)
        st[i] = stake_at(epoch, i);
    CHECK(sim_set_chain(&S, epoch, PARTY, st, NSIGNERS) == 0);
    CHECK(sim_wait_epoch(&S, epoch) == 0);
}

static void register_all(uint64_t epoch)
{
    for (size_t i = 0; i < NSIGNERS; i++) {
        uint8_t seed[32] = {0};
        mtl_stm_initializer_free(INIT[epoch + 1][i]);
        INIT[epoch + 1][i] = NULL;
        seed[0] = (uint8_t)epoch;
        seed[1] = (uint8_t)i;
        seed[2] = 0x5a;
        CHECK_OK(mtl_stm_initializer_new(&INIT[epoch + 1][i], &PARAMS, stake_of(epoch, i), seed));
        /* the node-sim's pools have no credentials here (skip switch on) */
        CHECK_EQ_INT(
            sim_register(&S, NULL, epoch, PARTY[i], INIT[epoch + 1][i], OBS ? NULL : &POOL[i]),
            201);
    }
}

static long post(const char *route, const char *body, size_t len, char **resp)
{
    char url[256];
    snprintf(url, sizeof(url), "%s%s", S.url, route);
    return sim_post(NULL, url, body, len, resp);
}

/* POST and expect a 4xx answer that is a JSON {label, message}. */
static void expect_4xx(const char *route, const char *body, size_t len, long want, const char *what)
{
    char *resp = NULL;
    long st = post(route, body, len, &resp);
    json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
    int ok = st == want && json_is_string(json_object_get(j, "message"));
    if (!ok)
        fprintf(stderr, "%s: got %ld %s\n", what, st, resp ? resp : "");
    json_decref(j);
    free(resp);
    if (!ok)
        TH_FAIL("%s: want %ld with a JSON {label, message}", what, want);
}

/* expect_4xx on a signature body built by sim_signature_body, which gives
 * NULL when no signer won a lottery: then the check could not run, and that
 * is a failure, not a silent pass. Frees body. */
static void expect_refused(char *body, long want, const char *what)
{
    if (!body)
        TH_FAIL("%s: no signer won a lottery, the check did not run", what);
    expect_4xx("/register-signatures", body, strlen(body), want, what);
    free(body);
}

static int db_count(const char *sql)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/stores/aggregator.sqlite3", S.dir);
    sqlite3 *db = NULL;
    int n = -1;
    sqlite3_stmt *st = NULL;
    /* the aggregator writes concurrently: wait out its locks */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(db, 30000) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static char DB_DIR[400];

/* Post one signature per signer of key epoch-1 over (entity, message). */
static void post_all(uint64_t epoch, const struct sim_epoch *ep, const char *entity,
                     const char *msg, int may_die)
{
    size_t posted = 0;
    for (size_t i = 0; ep->closed && i < NSIGNERS; i++) {
        char *body = sim_signature_body(INIT[epoch - 1][i], ep->closed, entity, PARTY[i], msg, msg);
        if (!body)
            continue; /* no lottery won */
        char *resp = NULL;
        long st = sim_post_signature(&S, NULL, body, &resp);
        /* 202: buffered before its message opened (counted when it opens) */
        if (st != 201 && st != 202 && st != 410 && !(may_die && st == 0)) {
            fprintf(stderr, "signature of %s for %s: %ld %s\n", PARTY[i], entity, st, resp);
            free(resp);
            free(body);
            TH_FAIL("signature refused");
        }
        posted += st == 201 || st == 202;
        free(resp);
        free(body);
    }
    printf("%s: %zu signatures accepted\n", entity, posted);
}

/* Signers of key epoch-1 sign MithrilStakeDistribution(epoch) and
 * CardanoDatabase(epoch, N), each message recomputed on the signer's side. */
static void sign_all(uint64_t epoch, int may_die, char cdb_entity[160])
{
    struct sim_epoch ep;
    char msg[MTL_HASH_HEX_BYTES];
    CHECK(sim_epoch_load(&S, NULL, epoch, &ep) == 0);
    post_all(epoch, &ep, ep.entity, ep.signed_message, may_die);
    if (sim_cardano_db_message(&ep, DB_DIR, cdb_entity, msg) != 0) {
        sim_epoch_clear(&ep);
        TH_FAIL("cardano db message of epoch %llu", (unsigned long long)epoch);
    }
    post_all(epoch, &ep, cdb_entity, msg, may_die);
    sim_epoch_clear(&ep);
}

/* A node DB: immutable trios 0..5 (N = 4 certifiable) and a ledger snapshot. */
static void make_db(const char *db)
{
    static const char *const ext[] = {"chunk", "primary", "secondary"};
    char p[600];
    TH_FMT(p, "mkdir -p %s/immutable %s/ledger/200", db, db);
    CHECK(system(p) == 0);
    for (unsigned n = 0; n <= 5; n++)
        for (unsigned k = 0; k < 3; k++) {
            size_t len = 3000 + n * 500 + k * 100;
            uint8_t *b = malloc(len);
            for (size_t i = 0; i < len; i++)
                b[i] = (uint8_t)((i * 31 + n * 7 + k) % 97);
            snprintf(p, sizeof(p), "%s/immutable/%05u.%s", db, n, ext[k]);
            CHECK(mtl_atomic_write(p, b, len, 0644) == MTL_OK);
            free(b);
        }
    const char *meta = "{\"backend\":\"utxohd-mem\",\"checksum\":1,\"tablesCodecVersion\":1}";
    snprintf(p, sizeof(p), "%s/ledger/200/meta", db);
    CHECK(mtl_atomic_write(p, meta, strlen(meta), 0644) == MTL_OK);
    snprintf(p, sizeof(p), "%s/ledger/200/state", db);
    CHECK(mtl_atomic_write(p, "state", 5, 0644) == MTL_OK);
    snprintf(p, sizeof(p), "%s/ledger/200/tables", db);
    CHECK(mtl_atomic_write(p, "tables", 6, 0644) == MTL_OK);
}

/* The runtime opens an epoch's messages on the tick after it enters the
 * epoch: wait until entity's is stored (the aggregator's own store). */
static void wait_open_message(const char *entity)
{
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM open_message WHERE json(signed_entity) = json('%s')", entity);
    for (int waited = 0; db_count(sql) != 1; waited += 50) {
        if (waited >= SIM_WAIT_MS) {
            TH_FAIL("open message of %s never stored", entity);
            return;
        }
        usleep(50 * 1000);
    }
}

static void bad_inputs(uint64_t epoch)
{
    struct sim_epoch ep;

    CHECK(sim_epoch_load(&S, NULL, epoch, &ep) == 0);
    /* the checks below expect refusals of a signature for an open message */
    wait_open_message(ep.entity);
    int before = db_count("SELECT COUNT(*) FROM single_signature");
    expect_4xx("/register-signatures", "{\"party_id\":", 12, 400, "malformed JSON");
    const char *wrong = "{\"entity_type\":{\"MithrilStakeDistribution\":\"3\"},\"party_id\":5,"
                        "\"signature\":1,\"indexes\":\"x\",\"signed_message\":[]}";
    expect_4xx("/register-signatures", wrong, strlen(wrong), 400, "wrong types");
    size_t big = 2u << 20;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    expect_4xx("/register-signatures", huge, big, 413, "huge body");
    free(huge);
    /* a party not in the registration (a fresh key under an unknown name) */
    struct mtl_stm_initializer *stranger = NULL;
    CHECK_OK(mtl_stm_initializer_new(&stranger, &PARAMS, 5000, NULL));
    char *body = NULL;
    for (size_t i = 0; i < NSIGNERS && !body; i++)
        body = sim_signature_body(INIT[epoch - 1][i], ep.closed, ep.entity, "pool1nobody",
                                  ep.signed_message, ep.signed_message);
    expect_refused(body, 400, "unknown party");
    mtl_stm_initializer_free(stranger);
    /* a signature over another message, claiming the open one */
    const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
    body = NULL;
    size_t who = 0;
    for (; who < NSIGNERS && !body; who++)
        body = sim_signature_body(INIT[epoch - 1][who], ep.closed, ep.entity, PARTY[who], other,
                                  ep.signed_message);
    expect_refused(body, 400, "signature over another message");
    /* signed_message that is not the open message */
    body = NULL;
    for (who = 0; who < NSIGNERS && !body; who++)
        body = sim_signature_body(INIT[epoch - 1][who], ep.closed, ep.entity, PARTY[who], other,
                                  other);
    expect_refused(body, 400, "other signed_message");
    /* a signature of party A posted as party B */
    body = NULL;
    for (who = 0; who < NSIGNERS && !body; who++)
        body =
            sim_signature_body(INIT[epoch - 1][who], ep.closed, ep.entity,
                               PARTY[(who + 1) % NSIGNERS], ep.signed_message, ep.signed_message);
    expect_refused(body, 400, "signature of another party");
    /* an epoch with no open message */
    body = NULL;
    for (who = 0; who < NSIGNERS && !body; who++)
        body =
            sim_signature_body(INIT[epoch - 1][who], ep.closed, "{\"MithrilStakeDistribution\":99}",
                               PARTY[who], ep.signed_message, ep.signed_message);
    expect_refused(body, 404, "no open message");
    /* register-signer: malformed, unknown party, other epoch */
    expect_4xx("/register-signer", "[1,2", 4, 400, "register malformed");
    char *vk = NULL, reg[2048];
    CHECK_OK(mtl_stm_initializer_vk_jsonhex(INIT[epoch - 1][0], &vk));
    snprintf(reg, sizeof(reg),
             "{\"epoch\":%llu,\"party_id\":\"pool1nobody\","
             "\"verification_key\":\"%s\"}",
             (unsigned long long)epoch + 1, vk);
    expect_4xx("/register-signer", reg, strlen(reg), 400, "register unknown party");
    snprintf(reg, sizeof(reg), "{\"epoch\":%llu,\"party_id\":\"%s\",\"verification_key\":\"%s\"}",
             (unsigned long long)epoch, PARTY[0], vk);
    /* the reference answers a registration for another round's epoch 500 */
    CHECK_EQ_INT(post("/register-signer", reg, strlen(reg), NULL), 500);
    mtl_free(vk);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM single_signature"), before);
    /* a duplicate: the first is stored, the second acknowledged (201, as the
     * reference) without a second row */
    body = NULL;
    for (who = 0; who < NSIGNERS && !body; who++)
        body = sim_signature_body(INIT[epoch - 1][who], ep.closed, ep.entity, PARTY[who],
                                  ep.signed_message, ep.signed_message);
    CHECK(body != NULL); /* else no signer won a lottery: the check cannot run */
    long first = post("/register-signatures", body, strlen(body), NULL);
    CHECK_EQ_INT(post("/register-signatures", body, strlen(body), NULL), 201);
    CHECK_EQ_INT(first, 201);
    free(body);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM single_signature"), before + 1);
    char url[256];
    snprintf(url, sizeof(url), "%s/status", S.url);
    CHECK_EQ_INT(sim_get(NULL, url, NULL), 200);
    sim_epoch_clear(&ep);
}

/* Fetch every artifact of a list route (want of them) with the certificate
 * that signed it, and hand both to check(). */
static void each_artifact(const char *list_route, const char *item_route, size_t want,
                          void (*check)(const char *art, const struct mtl_certificate *c))
{
    char url[300], *list = NULL;
    snprintf(url, sizeof(url), "%s%s", S.url, list_route);
    CHECK_EQ_INT(sim_get(NULL, url, &list), 200);
    json_t *arr = json_loads(list, 0, NULL), *v;
    free(list);
    CHECK_EQ_INT(json_array_size(arr), want);
    size_t i;
    json_array_foreach(arr, i, v)
    {
        char *art = NULL, *cert = NULL;
        snprintf(url, sizeof(url), "%s%s%s", S.url, item_route,
                 json_string_value(json_object_get(v, "hash")));
        CHECK_EQ_INT(sim_get(NULL, url, &art), 200);
        snprintf(url, sizeof(url), "%s/certificate/%s", S.url,
                 json_string_value(json_object_get(v, "certificate_hash")));
        CHECK_EQ_INT(sim_get(NULL, url, &cert), 200);
        struct mtl_certificate *c = NULL;
        CHECK_OK(mtl_certificate_from_json(&c, cert, strlen(cert)));
        if (c)
            check(art, c);
        mtl_certificate_free(c);
        free(art);
        free(cert);
    }
    json_decref(arr);
}

/* An MSD artifact verifies against its certificate; a tampered one does not. */
static void check_msd(const char *art, const struct mtl_certificate *c)
{
    CHECK_OK(mtl_msd_verify(art, strlen(art), c, NULL));
    json_t *j = json_loads(art, 0, NULL);
    json_t *s0 = json_array_get(json_object_get(j, "signers"), 0);
    json_object_set_new(s0, "stake",
                        json_integer(json_integer_value(json_object_get(s0, "stake")) + 1));
    char *bad = json_dumps(j, JSON_COMPACT);
    CHECK(mtl_msd_verify(bad, strlen(bad), c, NULL) != MTL_OK);
    free(bad);
    json_decref(j);
}

/* Likewise a CardanoDatabase artifact, tampered through its Merkle root. */
static void check_cdb(const char *art, const struct mtl_certificate *c)
{
    CHECK_OK(mtl_cardano_database_verify(art, strlen(art), c));
    json_t *j = json_loads(art, 0, NULL);
    json_object_set_new(j, "merkle_root",
                        json_string("00000000000000000000000000000000"
                                    "00000000000000000000000000000000"));
    char *bad = json_dumps(j, JSON_COMPACT);
    CHECK(mtl_cardano_database_verify(bad, strlen(bad), c) != MTL_OK);
    free(bad);
    json_decref(j);
}

/* Every MSD artifact verifies against its certificate. */
static void verify_artifacts(size_t want)
{
    each_artifact("/artifact/mithril-stake-distributions", "/artifact/mithril-stake-distribution/",
                  want, check_msd);
}

/* Every CardanoDatabase artifact verifies against its certificate, the
 * digests route gives its Merkle root, and its files are served. */
static void verify_cardano_databases(size_t want, size_t digests)
{
    char url[300];
    each_artifact("/artifact/cardano-database", "/artifact/cardano-database/", want, check_cdb);
    /* the digests route: leaves of the latest artifact's Merkle root */
    char *dg = NULL;
    snprintf(url, sizeof(url), "%s/artifact/cardano-database/digests", S.url);
    CHECK_EQ_INT(sim_get(NULL, url, &dg), 200);
    json_t *d = json_loads(dg, 0, NULL);
    free(dg);
    CHECK(json_array_size(d) > 0);
    if (digests)
        CHECK_EQ_INT(json_array_size(d), digests);
    json_decref(d);
    /* an archive is served, a traversal attempt is not */
    snprintf(url, sizeof(url), "%s/cardano-database-download/immutable/00000.tar.zst", S.url);
    char *tz = NULL;
    CHECK_EQ_INT(sim_get(NULL, url, &tz), 200);
    free(tz);
    snprintf(url, sizeof(url), "%s/cardano-database-download/immutable/..%%2f..%%2fchain.json",
             S.url);
    CHECK_EQ_INT(sim_get(NULL, url, NULL), 404);
}

/* Every phi_f served reads 0.9 (the setup's), as serde writes it, and
 * never 0.90000000000000002: one rendering on every route. */
static int phi_as_serde(const char *body)
{
    int n = 0;
    for (const char *p = body; p && (p = strstr(p, "\"phi_f\":")) != NULL; n++) {
        p += strlen("\"phi_f\":");
        if (strncmp(p, "0.9", 3) != 0 || !strchr(",}", p[3]))
            return -1;
    }
    return n;
}

/* Responses against the openapi schemas (python3-jsonschema). */
static void openapi_checks(void)
{
    const char *shared = th_shared_dir();
    const char *src = getenv("MTL_SOURCE_DIR");
    if (!shared || !src) {
        printf("SKIP openapi checks: MTL_SHARED_DIR/MTL_SOURCE_DIR unset\n");
        return;
    }
    static const struct {
        const char *route, *schema;
        int array;
    } R[] = {
        {"/", "AggregatorFeaturesMessage", 0},
        {"/status", "AggregatorStatusMessage", 0},
        {"/epoch-settings", "EpochSettingsMessage", 0},
        {"/protocol-configuration/4", "ProtocolConfigurationMessage", 0},
        {"/certificates", "CertificateListMessage", 0},
        {"/certificate/genesis", "CertificateMessage", 0},
        {"/artifact/mithril-stake-distributions", "MithrilStakeDistributionListMessage", 0},
        {"/artifact/cardano-database", "CardanoDatabaseSnapshotListMessage", 0},
        {"/artifact/cardano-database/epoch/latest", "CardanoDatabaseSnapshotListMessage", 0},
        {"/artifact/cardano-database/digests", "CardanoDatabaseDigestListMessage", 0},
        {"/signers/registered/3", "SignerRegistrationsMessage", 0},
        {"/artifact/cardano-database/epoch/5", "CardanoDatabaseSnapshotListMessage", 0},
        {"/artifact/cardano-database/epoch/latest-1", "CardanoDatabaseSnapshotListMessage", 0},
        {"/artifact/cardano-database/epoch/latest-9", "Error", 0},
        {"/signers/registered/latest-2", "SignerRegistrationsMessage", 0},
        {"/signers/tickers", "SignersTickersMessage", 0},
        {"/artifact/cardano-stake-distributions", "CardanoStakeDistributionListMessage", 0},
        {"/certificate/xyz", "Error", 0},
    };
    for (size_t i = 0; i < sizeof(R) / sizeof(R[0]); i++) {
        char url[256], path[400], cmd[1500], *body = NULL;
        snprintf(url, sizeof(url), "%s%s", S.url, R[i].route);
        long st = sim_get(NULL, url, &body);
        CHECK(st == 200 || st == 400);
        int nphi = phi_as_serde(body);
        int carries_phi = strncmp(R[i].route, "/certificate", 12) == 0 ||
                          strstr(R[i].route, "-settings") || strstr(R[i].route, "-configuration");
        if (nphi < 0 || (st == 200 && carries_phi && nphi == 0))
            TH_FAIL("GET %s: phi_f missing or not written as 0.9", R[i].route);
        snprintf(path, sizeof(path), "%s/resp%zu.json", S.dir, i);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(body, f);
            fclose(f);
        }
        free(body);
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 %s/tests/aggregator/openapi_check.py "
                 "%s/reference-data/openapi.yaml %s %s %s",
                 src, shared, R[i].schema, path, R[i].array ? "--array" : "");
        if (system(cmd) != 0)
            TH_FAIL("GET %s does not match %s", R[i].route, R[i].schema);
    }
    /* the latest artifact of each kind too */
    static const char *const items[][3] = {
        {"/artifact/mithril-stake-distributions", "/artifact/mithril-stake-distribution/",
         "MithrilStakeDistributionMessage"},
        {"/artifact/cardano-database", "/artifact/cardano-database/",
         "CardanoDatabaseSnapshotMessage"},
        {"/certificates", "/certificate/", "CertificateMessage"},
    };
    for (size_t k = 0; k < 3; k++) {
        char url[256], *list = NULL;
        snprintf(url, sizeof(url), "%s%s", S.url, items[k][0]);
        sim_get(NULL, url, &list);
        json_t *arr = json_loads(list, 0, NULL);
        free(list);
        const char *h = json_string_value(json_object_get(json_array_get(arr, 0), "hash"));
        CHECK(h != NULL);
        char path[400], cmd[1500], *body = NULL;
        snprintf(url, sizeof(url), "%s%s%s", S.url, items[k][1], h ? h : "");
        json_decref(arr);
        sim_get(NULL, url, &body);
        if (k == 2 && phi_as_serde(body) != 1)
            TH_FAIL("GET /certificate/%s: phi_f not written as 0.9", h ? h : "");
        snprintf(path, sizeof(path), "%s/item%zu.json", S.dir, k);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(body, f);
            fclose(f);
        }
        free(body);
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 %s/tests/aggregator/openapi_check.py "
                 "%s/reference-data/openapi.yaml %s %s",
                 src, shared, items[k][2], path);
        if (system(cmd) != 0)
            TH_FAIL("%s does not match %s", items[k][1], items[k][2]);
    }
}

TEST(devnet_lifecycle)
{
    char bin[512], hash[65], entity[64], cdb[160];
    const char *build = getenv("MTL_BUILD_DIR");
    snprintf(bin, sizeof(bin), "%s/src/aggregator/mithril-aggregator", build ? build : ".");
    CHECK(sim_setup(&S, bin, "{\"k\":15,\"m\":24,\"phi_f\":0.9}") == 0);
    static char env_db[512], env_anc[512];
    snprintf(DB_DIR, sizeof(DB_DIR), "%s/db", S.dir);
    make_db(DB_DIR);
    char keys[400];
    snprintf(keys, sizeof(keys), "%s", S.dir);
    const char *anc[] = {"tools", "generate-ancillary-keypair", "--target-path", keys, NULL};
    CHECK_EQ_INT(sim_run(&S, anc), 0);
    snprintf(env_db, sizeof(env_db), "DB_DIRECTORY=%s", DB_DIR);
    snprintf(env_anc, sizeof(env_anc), "ANCILLARY_SECRET_KEY_PATH=%s/ancillary.sk", S.dir);
    S.extra_env[0] = "STORE_RETENTION_LIMIT=3";
    S.extra_env[1] = "SIGNED_ENTITY_TYPES=MithrilStakeDistribution,CardanoDatabase";
    S.extra_env[2] = env_db;
    S.extra_env[3] = env_anc;
    for (size_t i = 0; i < NSIGNERS; i++)
        TH_FMT(PARTY[i], "%s", POOL[i].pool_id);
    uint64_t st0[NSIGNERS];
    for (size_t i = 0; i < NSIGNERS; i++)
        st0[i] = stake_at(1, i);
    CHECK(sim_set_chain(&S, 1, PARTY, st0, NSIGNERS) == 0);
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 1) == 0);
    register_all(1);
    if (th_cur_failed)
        return;
    set_chain(2);
    if (th_cur_failed)
        return;
    register_all(2);
    if (th_cur_failed)
        return;
    /* genesis while serve runs: same store (WAL) */
    CHECK(sim_genesis(&S) == 0);
    set_chain(3);
    if (th_cur_failed)
        return;
    register_all(3);
    if (th_cur_failed)
        return;
    bad_inputs(3);
    if (th_cur_failed)
        return;
    sign_all(3, 0, cdb);
    if (th_cur_failed)
        return;
    snprintf(entity, sizeof(entity), "{\"MithrilStakeDistribution\":3}");
    CHECK(sim_wait_certificate(&S, entity, hash, SIM_WAIT_MS) == 0);
    CHECK(sim_wait_certificate(&S, cdb, hash, SIM_WAIT_MS) == 0);
    /* a signature after certification: 410 */
    {
        struct sim_epoch ep;
        CHECK(sim_epoch_load(&S, NULL, 3, &ep) == 0);
        char *body = NULL;
        for (size_t i = 0; i < NSIGNERS && !body; i++)
            body = sim_signature_body(INIT[2][i], ep.closed, ep.entity, PARTY[i], ep.signed_message,
                                      ep.signed_message);
        sim_epoch_clear(&ep);
        expect_refused(body, 410, "signature after certification");
    }
    set_chain(4);
    if (th_cur_failed)
        return;
    register_all(4);
    if (th_cur_failed)
        return;
    /* a signature for the closed epoch 3 */
    {

        const char *late = "{\"entity_type\":{\"MithrilStakeDistribution\":2},\"party_id\":"
                           "\"pool1signer0\",\"signature\":\"7b7d\",\"indexes\":[1],"
                           "\"signed_message\":\"00\"}";
        expect_4xx("/register-signatures", late, strlen(late), 410, "closed epoch");
    }
    sign_all(4, 0, cdb);
    if (th_cur_failed)
        return;
    snprintf(entity, sizeof(entity), "{\"MithrilStakeDistribution\":4}");
    CHECK(sim_wait_certificate(&S, entity, hash, SIM_WAIT_MS) == 0);
    CHECK(sim_wait_certificate(&S, cdb, hash, SIM_WAIT_MS) == 0);
    set_chain(5);
    if (th_cur_failed)
        return;
    register_all(5);
    if (th_cur_failed)
        return;

    /* Crash: the aggregator dies (SIGKILL) inside the transaction writing
     * the certificate of epoch 5 and its artifact. */
    int stopped = sim_stop(&S, 0, NULL);
    CHECK(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0);
    S.extra_env[4] = "MTL_AGG_TEST_CRASH=after_artifact";
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 5) == 0);
    int certs_before = db_count("SELECT COUNT(*) FROM certificate");
    sign_all(5, 1, cdb);
    int st = sim_wait_exit(&S, SIM_WAIT_MS);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == 9);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM certificate"), certs_before);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM certificate WHERE epoch = 5"), 0);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM artifact WHERE kind = 0"), 2);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM artifact WHERE kind = 4"), 2);
    CHECK(db_count("SELECT COUNT(*) FROM single_signature WHERE epoch = 5") > 0);
    /* restart: the runtime resumes from the stored signatures (signers
     * that could not post before the crash post again; stored ones get 201) */
    S.extra_env[4] = NULL;
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 5) == 0);
    sign_all(5, 0, cdb);
    snprintf(entity, sizeof(entity), "{\"MithrilStakeDistribution\":5}");
    CHECK(sim_wait_certificate(&S, entity, hash, SIM_WAIT_MS) == 0);
    CHECK(sim_wait_certificate(&S, cdb, hash, SIM_WAIT_MS) == 0);

    /* every certificate's chain verifies to the genesis */
    {
        char url[256], *list = NULL;
        snprintf(url, sizeof(url), "%s/certificates", S.url);
        CHECK_EQ_INT(sim_get(NULL, url, &list), 200);
        json_t *arr = json_loads(list, 0, NULL), *c;
        free(list);
        CHECK_EQ_INT(json_array_size(arr), 7); /* genesis(2) + 2 per epoch 3..5 */
        size_t i;
        json_array_foreach(arr, i, c)
        {
            size_t checked = 0;
            if (sim_verify_chain(&S, json_string_value(json_object_get(c, "hash")), &checked))
                TH_FAIL("chain from certificate %zu does not verify: %s", i, mtl_err_detail());
            CHECK(checked >= 1 && checked <= 5);
        }
        json_decref(arr);
    }
    verify_artifacts(3);
    verify_cardano_databases(3, 15); /* trios 0..=4 */
    /* retention: keys of epochs < 5-3 pruned, certificates kept */
    set_chain(6);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM signer_registration WHERE epoch < 3"), 0);
    CHECK(db_count("SELECT COUNT(*) FROM signer_registration WHERE epoch >= 3") > 0);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM certificate"), 7);
    openapi_checks();
    int stop = sim_stop(&S, 0, NULL);
    CHECK(WIFEXITED(stop) && WEXITSTATUS(stop) == 0);
    FILE *f = fopen(S.log_path, "r");
    char line[4096];
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, "Sanitizer") || strstr(line, "runtime error"))
            TH_FAIL("aggregator log: %s", line);
    if (f)
        fclose(f);
    sim_cleanup(&S, th_cur_failed);
}

/* The air-gapped genesis: export the payload, sign it offline with the
 * secret key file, import the signature; a tampered signature is refused. */
TEST(genesis_export_sign_import)
{
    struct sim_agg keep = S;
    char bin[512], path[3][400], sk_path[400];
    const char *build = getenv("MTL_BUILD_DIR");
    snprintf(bin, sizeof(bin), "%s/src/aggregator/mithril-aggregator", build ? build : ".");
    CHECK(sim_setup(&S, bin, "{\"k\":15,\"m\":24,\"phi_f\":0.9}") == 0);
    uint64_t st0[NSIGNERS];
    for (size_t i = 0; i < NSIGNERS; i++)
        st0[i] = stake_at(1, i);
    CHECK(sim_set_chain(&S, 1, PARTY, st0, NSIGNERS) == 0);
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 1) == 0);
    for (size_t i = 0; i < NSIGNERS; i++) {
        mtl_stm_initializer_free(INIT[2][i]);
        INIT[2][i] = NULL;
    }
    register_all(1);
    if (th_cur_failed)
        return;
    set_chain(2);
    if (th_cur_failed)
        return;
    snprintf(path[0], sizeof(path[0]), "%s/to-sign.payload", S.dir);
    snprintf(path[1], sizeof(path[1]), "%s/signed.payload", S.dir);
    snprintf(path[2], sizeof(path[2]), "%s/keys", S.dir);
    TH_FMT(sk_path, "%s/genesis.sk", path[2]);
    const char *gen[] = {"genesis", "generate-keypair", "--target-path", path[2], NULL};
    CHECK(mkdir(path[2], 0700) == 0);
    CHECK_EQ_INT(sim_run(&S, gen), 0);
    /* the serve above trusts the key generated in sim_setup: use that one */
    CHECK(mtl_atomic_write(sk_path, S.genesis_sk, strlen(S.genesis_sk), 0600) == MTL_OK);
    const char *exp[] = {"genesis", "export", "--target-path", path[0], NULL};
    CHECK_EQ_INT(sim_run(&S, exp), 0);
    const char *sign[] = {"genesis",
                          "sign",
                          "--to-sign-payload-path",
                          path[0],
                          "--target-signed-payload-path",
                          path[1],
                          "--genesis-secret-key-path",
                          sk_path,
                          NULL};
    CHECK_EQ_INT(sim_run(&S, sign), 0);
    /* tampered signature: refused, nothing stored */
    uint8_t *sig = NULL;
    size_t len = 0;
    CHECK_OK(mtl_read_file(path[1], 4096, &sig, &len));
    CHECK_EQ_INT(len, 64);
    sig[5] ^= 1;
    char bad[420];
    snprintf(bad, sizeof(bad), "%s.bad", path[1]);
    CHECK(mtl_atomic_write(bad, sig, len, 0644) == MTL_OK);
    mtl_free(sig);
    const char *imp_bad[] = {"genesis", "import", "--signed-payload-path", bad, NULL};
    CHECK(sim_run(&S, imp_bad) != 0);
    CHECK_EQ_INT(db_count("SELECT COUNT(*) FROM certificate"), 0);
    const char *imp[] = {"genesis", "import", "--signed-payload-path", path[1], NULL};
    CHECK_EQ_INT(sim_run(&S, imp), 0);
    char hash[65];
    CHECK(sim_wait_certificate(&S, "{\"MithrilStakeDistribution\":2}", hash, SIM_WAIT_MS) == 0);
    size_t checked = 0;
    CHECK(sim_verify_chain(&S, hash, &checked) == 0);
    CHECK_EQ_INT(checked, 1);
    /* ancillary keypair for the snapshotter: secret 0600, both decodable */
    const char *anc[] = {"tools", "generate-ancillary-keypair", "--target-path", path[2], NULL};
    CHECK_EQ_INT(sim_run(&S, anc), 0);
    struct stat stt;
    TH_FMT(path[0], "%s/ancillary.sk", path[2]);
    CHECK(stat(path[0], &stt) == 0 && (stt.st_mode & 0777) == 0600);
    int stop = sim_stop(&S, 0, NULL);
    CHECK(WIFEXITED(stop) && WEXITSTATUS(stop) == 0);
    sim_cleanup(&S, th_cur_failed);
    S = keep;
}

/* The same life on the simulated node: the aggregator's chain observer runs
 * the cardano-cli shim; stakes drift every epoch; the node DB and ledger are
 * the simulator's; MSD and CardanoDatabase certified over 3 epochs. */
TEST(devnet_node_sim)
{
    char bin[512], hash[65], entity[64], cdb[160];
    const char *build = getenv("MTL_BUILD_DIR");
    snprintf(bin, sizeof(bin), "%s/src/aggregator/mithril-aggregator", build ? build : ".");
    snprintf(SIM_BIN, sizeof(SIM_BIN), "%s/tools/cardano-node-sim/cardano-node-sim",
             build ? build : ".");
    snprintf(CLI_BIN, sizeof(CLI_BIN), "%s/tools/cardano-cli/cardano-cli", build ? build : ".");
    if (access(SIM_BIN, X_OK) != 0 || access(CLI_BIN, X_OK) != 0) {
        printf("SKIP devnet_node_sim: %s or %s not built\n", SIM_BIN, CLI_BIN);
        return;
    }
    CHECK(sim_setup(&S, bin, "{\"k\":15,\"m\":24,\"phi_f\":0.9}") == 0);
    S.chain_file[0] = 0;
    OBS = 1;
    snprintf(DB_SIM, sizeof(DB_SIM), "%s/db", S.dir);
    snprintf(SOCK, sizeof(SOCK), "%s/node.socket", DB_SIM);
    snprintf(DB_DIR, sizeof(DB_DIR), "%s", DB_SIM);
    static char env[4][600];
    snprintf(env[0], sizeof(env[0]), "CARDANO_CLI_PATH=%s", CLI_BIN);
    snprintf(env[1], sizeof(env[1]), "CARDANO_NODE_SOCKET_PATH=%s", SOCK);
    snprintf(env[2], sizeof(env[2]), "DB_DIRECTORY=%s", DB_SIM);
    snprintf(env[3], sizeof(env[3]), "ANCILLARY_SECRET_KEY_PATH=%s/ancillary.sk", S.dir);
    for (int i = 0; i < 4; i++)
        S.extra_env[i] = env[i];
    S.extra_env[4] = "NETWORK_MAGIC=42";
    S.extra_env[5] = "SIGNED_ENTITY_TYPES=MithrilStakeDistribution,CardanoDatabase";
    /* The node-sim's pools are read through the chain observer; this test
     * holds none of their cold keys, so their identity goes unchecked. */
    S.extra_env[6] = "ALLOW_SKIP_SIGNER_CERTIFICATION=true";
    char dir[300];
    snprintf(dir, sizeof(dir), "%s", S.dir);
    const char *anc[] = {"tools", "generate-ancillary-keypair", "--target-path", dir, NULL};
    CHECK_EQ_INT(sim_run(&S, anc), 0);
    sim_advance(1);
    if (th_cur_failed)
        return;
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 1) == 0);
    register_all(1);
    set_chain(2);
    register_all(2);
    if (th_cur_failed)
        return;
    CHECK(sim_genesis(&S) == 0);
    for (uint64_t e = 3; e <= 5 && !th_cur_failed; e++) {
        set_chain(e);
        register_all(e);
        sign_all(e, 0, cdb);
        if (th_cur_failed)
            return;
        snprintf(entity, sizeof(entity), "{\"MithrilStakeDistribution\":%llu}",
                 (unsigned long long)e);
        CHECK(sim_wait_certificate(&S, entity, hash, SIM_WAIT_MS) == 0);
        CHECK(sim_wait_certificate(&S, cdb, hash, SIM_WAIT_MS) == 0);
    }
    size_t checked = 0;
    CHECK(sim_verify_chain(&S, hash, &checked) == 0);
    CHECK(checked >= 4);
    verify_artifacts(3);
    verify_cardano_databases(3, 0);
    int stop = sim_stop(&S, 0, NULL);
    CHECK(WIFEXITED(stop) && WEXITSTATUS(stop) == 0);
    OBS = 0;
    sim_cleanup(&S, th_cur_failed);
}

int main(void)
{
    if (mtl_init() != MTL_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    for (size_t i = 0; i < NSIGNERS; i++)
        if (sim_pool_init(&POOL[i], (uint32_t)i, 0) != 0)
            return 1;
    /* a test that failed half-way leaves its aggregator running: stop it
     * before the next one's sim_setup forgets it */
    RUN(devnet_lifecycle);
    if (S.pid)
        sim_stop(&S, 1, NULL);
    RUN(genesis_export_sign_import);
    if (S.pid)
        sim_stop(&S, 1, NULL);
    RUN(devnet_node_sim);
    for (size_t k = 0; k < MAXKEY; k++)
        for (size_t i = 0; i < NSIGNERS; i++)
            mtl_stm_initializer_free(INIT[k][i]);
    if (S.pid)
        sim_stop(&S, 1, NULL);
    for (size_t i = 0; i < NSIGNERS; i++)
        sim_pool_clear(&POOL[i]);
    curl_global_cleanup();
    return DONE();
}
