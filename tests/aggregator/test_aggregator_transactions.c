/* test_aggregator_transactions.c - CardanoTransactions and
 * CardanoBlocksTransactions end to end on the reference's immutable fragment:
 * the real mithril-aggregator imports it and opens both messages at the
 * signing cadence it publishes; in-process signers compute each message with
 * the signer's own code (signer_entities.c over its own store), and the
 * certificates that follow carry exactly that message; the artifacts check
 * against their certificate; every proof route answers proofs that
 * mtl_proofs_verify accepts, a flipped byte is refused, unknown hashes are
 * listed as not certified, bad hashes get a 400; every new route matches the
 * openapi. */
#define _GNU_SOURCE /* memmem */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agg_sim.h"
#include "harness.h"
#include "mithril/util.h"
#include "signer_int.h"
#include "tx_importer.h"
#include "tx_store.h"

#define NSIGNERS 5

static struct sim_agg S;
static char PARTY[NSIGNERS][64];
static struct sim_pool POOL[NSIGNERS];
static struct mtl_stm_initializer *INIT[8][NSIGNERS];
static const struct mtl_stm_params PARAMS = {.m = 24, .k = 15, .phi_f = 0.9};
static char DB_DIR[400], SAMPLES[512];

/* What the block reader decodes from the certifiable chunks. */
static struct {
    uint8_t hash[32], block_hash[32];
    uint64_t block;
} TXS[64];
static size_t NTX;
static uint8_t BLOCK_HASH[400][32];
static uint64_t NBLOCKS, TIP;

static void read_chain(void)
{
    uint64_t last = 0;
    CHECK_OK(mtl_immutable_last_certifiable(SAMPLES, &last));
    for (uint64_t c = 0; c <= last; c++) {
        struct mtl_chunk_reader *r = NULL;
        CHECK_OK(mtl_chunk_reader_open(&r, SAMPLES, c));
        struct mtl_cardano_block b;
        bool done = false;
        while (mtl_chunk_reader_next(r, &b, &done) == MTL_OK && !done) {
            if (NBLOCKS < 400)
                memcpy(BLOCK_HASH[NBLOCKS++], b.hash, 32);
            TIP = b.block_number;
            for (size_t i = 0; i < b.tx_count && NTX < 64; i++, NTX++) {
                memcpy(TXS[NTX].hash, b.tx_hashes[i], 32);
                memcpy(TXS[NTX].block_hash, b.hash, 32);
                TXS[NTX].block = b.block_number;
            }
        }
        mtl_chunk_reader_free(r);
    }
}

static void copy_db(void)
{
    char cmd[1500];
    TH_FMT(cmd, "mkdir -p %s/immutable && cp %s/0000[0-3].* %s/immutable/ && chmod u+w %s/immutable/*",
           DB_DIR, SAMPLES, DB_DIR, DB_DIR);
    CHECK(system(cmd) == 0);
}

static void set_chain(uint64_t epoch)
{
    uint64_t st[NSIGNERS];
    for (size_t i = 0; i < NSIGNERS; i++)
        st[i] = 1000 + 100 * i + epoch;
    CHECK(sim_set_chain(&S, epoch, PARTY, st, NSIGNERS) == 0);
    CHECK(sim_wait_epoch(&S, epoch) == 0);
}

static void register_all(uint64_t epoch)
{
    for (size_t i = 0; i < NSIGNERS; i++) {
        uint8_t seed[32] = {(uint8_t)epoch, (uint8_t)i, 0x7c};
        CHECK_OK(mtl_stm_initializer_new(&INIT[epoch + 1][i], &PARAMS, 1000 + 100 * i + epoch,
                                         seed));
        CHECK_EQ_INT(sim_register(&S, NULL, epoch, PARTY[i], INIT[epoch + 1][i], &POOL[i]), 201);
    }
}

static void post_all(uint64_t epoch, const struct sim_epoch *ep, const char *entity,
                     const char *msg)
{
    for (size_t i = 0; ep->closed && i < NSIGNERS; i++) {
        char *body = sim_signature_body(INIT[epoch - 1][i], ep->closed, entity, PARTY[i], msg, msg);
        if (!body)
            continue;
        char *resp = NULL;
        long st = sim_post_signature(&S, NULL, body, &resp);
        if (st != 201 && st != 410)
            fprintf(stderr, "signature of %s for %s: %ld %s\n", PARTY[i], entity, st, resp);
        CHECK(st == 201 || st == 410);
        free(resp);
        free(body);
    }
}

static json_t *get_json(const char *route, long want)
{
    char url[1024], *body = NULL;
    snprintf(url, sizeof(url), "%s%s", S.url, route);
    long st = sim_get(NULL, url, &body);
    if (st != want)
        fprintf(stderr, "GET %s: %ld %s\n", route, st, body ? body : "");
    json_t *j = st == want && body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    return j;
}

/* The signer's message of kind: its rows (beacon, root) over its own store,
 * with the signing configuration the aggregator publishes. */
static void signer_message(uint64_t epoch, const struct sim_epoch *ep,
                           enum mtl_signed_entity_kind kind, char entity[160], char msg[65])
{
    char route[64], path[600];
    snprintf(route, sizeof(route), "/protocol-configuration/%llu", (unsigned long long)epoch - 1);
    json_t *pc = get_json(route, 200);
    const char *name = kind == MTL_SET_CARDANO_TRANSACTIONS
                           ? "cardano_transactions_signing_config"
                           : "cardano_blocks_transactions_signing_config";
    json_t *c = json_object_get(pc, name);
    struct app_tx_signing cfg = {
        (uint64_t)json_integer_value(json_object_get(c, "security_parameter")),
        (uint64_t)json_integer_value(json_object_get(c, "step"))};
    CHECK(json_is_object(c));
    json_decref(pc);
    struct signer_config sc = {.db_directory = DB_DIR};
    struct app_tx_store *tx = NULL;
    snprintf(path, sizeof(path), "%s/signer-tx.sqlite3", S.dir);
    CHECK_OK(app_tx_store_open(&tx, path));
    struct signer_node n = {.cfg = &sc, .tx = tx, .ctx_signing = &cfg, .cbtx_signing = &cfg};
    const struct signer_entity *se = signer_entity(kind);
    CHECK(se != NULL);
    struct mtl_signed_entity_type t = {.kind = kind, .epoch = epoch};
    char root[65];
    CHECK_OK(se->beacon(&n, &t));
    CHECK_OK(se->root(&n, &t, root));
    app_tx_store_free(tx);
    CHECK(sim_entity_message(ep, &t, root, entity, msg) == 0);
}

static struct mtl_certificate *get_cert(const char *hash)
{
    char route[128], url[512], *body = NULL;
    snprintf(route, sizeof(route), "/certificate/%s", hash);
    snprintf(url, sizeof(url), "%s%s", S.url, route);
    struct mtl_certificate *c = NULL;
    if (sim_get(NULL, url, &body) == 200)
        mtl_certificate_from_json(&c, body, strlen(body));
    free(body);
    return c;
}

static void hexs(char *out, const uint8_t *h)
{
    mtl_hex_encode(out, 65, h, 32);
}

/* GET a proof route for the hashes and verify its answer against its
 * certificate; a byte flipped in its proof must be refused. */
static void check_proof(enum mtl_proofs_kind kind, const char *route, const char *param,
                        const uint8_t (*asked)[32], size_t n, size_t want_certified)
{
    char q[8192];
    size_t off = (size_t)snprintf(q, sizeof(q), "%s?%s=", route, param);
    for (size_t i = 0; i < n; i++) {
        hexs(q + off, asked[i]);
        off += 64;
        q[off++] = i + 1 < n ? ',' : 0;
    }
    char url[9000], *body = NULL;
    snprintf(url, sizeof(url), "%s%s", S.url, q);
    CHECK_EQ_INT(sim_get(NULL, url, &body), 200);
    json_t *j = json_loads(body, 0, NULL);
    struct mtl_certificate *cert =
        get_cert(json_string_value(json_object_get(j, "certificate_hash")));
    CHECK(cert != NULL);
    struct mtl_certified_set set;
    mtl_err e = mtl_proofs_verify(&set, kind, body, strlen(body), cert);
    if (e != MTL_OK)
        fprintf(stderr, "%s: %s\n%s\n", route, mtl_err_detail(), body);
    CHECK_OK(e);
    CHECK_EQ_INT(set.count, want_certified);
    size_t certified = 0;
    for (size_t i = 0; i < n; i++) {
        char h[65];
        hexs(h, asked[i]);
        certified += mtl_certified_set_has(&set, h);
    }
    CHECK_EQ_INT(certified, want_certified);
    json_t *missing = json_object_get(j, kind == MTL_PROOFS_BLOCKS ? "non_certified_blocks"
                                                                   : "non_certified_transactions");
    CHECK_EQ_INT(json_array_size(missing), n - want_certified);
    mtl_certified_set_free(&set);
    /* a flipped nibble in the middle of the proof */
    char *p = strstr(body, "\"proof\":\"");
    CHECK(p != NULL);
    p += 9;
    size_t plen = strcspn(p, "\"");
    p[plen / 2] = p[plen / 2] == '0' ? '1' : '0';
    CHECK(mtl_proofs_verify(&set, kind, body, strlen(body), cert) != MTL_OK);
    mtl_certificate_free(cert);
    json_decref(j);
    free(body);
}

static void expect_400(const char *route, const char *label)
{
    char url[8192], *body = NULL;
    snprintf(url, sizeof(url), "%s%s", S.url, route);
    long st = sim_get(NULL, url, &body);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    const char *l = json_string_value(json_object_get(j, "label"));
    if (st != 400 || !l || strcmp(l, label) != 0 ||
        !json_is_string(json_object_get(j, "message")))
        TH_FAIL("GET %.80s: want 400 %s, got %ld %s", route, label, st, body ? body : "");
    json_decref(j);
    free(body);
}

static void bad_hashes(void)
{
    char route[8192], h[65];
    hexs(h, TXS[0].hash);
    expect_400("/proof/cardano-transaction?transaction_hashes=zz", "invalid_transaction_hashes");
    snprintf(route, sizeof(route), "/proof/v2/cardano-transaction?transaction_hashes=%s,", h);
    expect_400(route, "invalid_transaction_hashes"); /* an empty one */
    snprintf(route, sizeof(route), "/proof/v2/cardano-block?block_hashes=%.63sg", h);
    expect_400(route, "invalid_block_hashes");
    expect_400("/proof/cardano-transaction", "invalid_transaction_hashes");
    size_t off = (size_t)snprintf(route, sizeof(route), "/proof/cardano-transaction?"
                                                        "transaction_hashes=");
    for (int i = 0; i < 101; i++)
        off += (size_t)snprintf(route + off, sizeof(route) - off, "%s%.64s", i ? "," : "", h);
    expect_400(route, "invalid_transaction_hashes");
}

static void openapi(const char *route, const char *schema)
{
    const char *shared = th_shared_dir(), *src = getenv("MTL_SOURCE_DIR");
    if (!shared || !src)
        return;
    char url[9000], path[400], cmd[1500], *body = NULL;
    snprintf(url, sizeof(url), "%s%s", S.url, route);
    sim_get(NULL, url, &body);
    snprintf(path, sizeof(path), "%s/openapi.json", S.dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(body ? body : "", f);
        fclose(f);
    }
    free(body);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 %s/tests/aggregator/openapi_check.py "
             "%s/reference-data/openapi.yaml %s %s",
             src, shared, schema, path);
    if (system(cmd) != 0)
        TH_FAIL("GET %.100s does not match %s", route, schema);
}

static void routes_and_proofs(const char *ctx_cert, const char *cbtx_cert)
{
    /* the artifacts, checked against their certificates */
    static const struct {
        const char *list, *item;
        enum mtl_signed_entity_kind kind;
    } A[] = {
        {"/artifact/cardano-transactions", "/artifact/cardano-transaction/",
         MTL_SET_CARDANO_TRANSACTIONS},
        {"/artifact/cardano-blocks-transactions", "/artifact/cardano-blocks-transactions/",
         MTL_SET_CARDANO_BLOCKS_TRANSACTIONS},
    };
    for (size_t k = 0; k < 2; k++) {
        json_t *list = get_json(A[k].list, 200);
        const char *h = json_string_value(json_object_get(json_array_get(list, 0), "hash"));
        CHECK(h != NULL);
        char route[256], url[512], *body = NULL;
        snprintf(route, sizeof(route), "%s%s", A[k].item, h);
        snprintf(url, sizeof(url), "%s%s", S.url, route);
        CHECK_EQ_INT(sim_get(NULL, url, &body), 200);
        struct mtl_certificate *c = get_cert(k == 0 ? ctx_cert : cbtx_cert);
        CHECK(c != NULL);
        CHECK_OK(k == 0 ? mtl_cardano_transactions_snapshot_verify(body, strlen(body), c)
                        : mtl_cardano_blocks_transactions_snapshot_verify(body, strlen(body), c));
        openapi(A[k].list, k == 0 ? "CardanoTransactionSnapshotListMessage"
                                  : "CardanoBlocksTransactionsSnapshotListMessage");
        openapi(route, k == 0 ? "CardanoTransactionSnapshotMessage"
                              : "CardanoBlocksTransactionsSnapshotMessage");
        mtl_certificate_free(c);
        free(body);
        json_decref(list);
    }
    /* every transaction the reader decoded, and one nobody knows */
    uint8_t asked[65][32];
    size_t n = 0, v1 = 0, v2 = 0;
    for (size_t i = 0; i < NTX; i++) {
        memcpy(asked[n++], TXS[i].hash, 32);
        v1 += TXS[i].block <= TIP / 15 * 15 - 1;
        v2 += TXS[i].block <= (TIP - 5) / 10 * 10;
    }
    memset(asked[n++], 0x42, 32);
    CHECK(v1 > 0 && v2 > 0);
    check_proof(MTL_PROOFS_TRANSACTIONS_V1, "/proof/cardano-transaction", "transaction_hashes",
                (const uint8_t(*)[32])asked, n, v1);
    check_proof(MTL_PROOFS_TRANSACTIONS_V2, "/proof/v2/cardano-transaction", "transaction_hashes",
                (const uint8_t(*)[32])asked, n, v2);
    /* blocks: some in complete ranges, the partial range's, one past the beacon */
    uint8_t blocks[6][32];
    memcpy(blocks[0], BLOCK_HASH[3], 32);
    memcpy(blocks[1], BLOCK_HASH[150], 32);
    memcpy(blocks[2], BLOCK_HASH[287], 32);
    memcpy(blocks[3], BLOCK_HASH[290], 32);
    memcpy(blocks[4], BLOCK_HASH[291], 32); /* past the beacon 290 */
    memset(blocks[5], 0x17, 32);
    check_proof(MTL_PROOFS_BLOCKS, "/proof/v2/cardano-block", "block_hashes",
                (const uint8_t(*)[32])blocks, 6, 4);
    char route[300], h[65];
    hexs(h, TXS[0].hash);
    snprintf(route, sizeof(route), "/proof/cardano-transaction?transaction_hashes=%s", h);
    openapi(route, "CardanoTransactionProofMessage");
    snprintf(route, sizeof(route), "/proof/v2/cardano-transaction?transaction_hashes=%s", h);
    openapi(route, "CardanoTransactionProofV2Message");
    hexs(h, BLOCK_HASH[3]);
    snprintf(route, sizeof(route), "/proof/v2/cardano-block?block_hashes=%s", h);
    openapi(route, "CardanoBlockProofMessage");
    openapi("/protocol-configuration/3", "ProtocolConfigurationMessage");
    openapi("/epoch-settings", "EpochSettingsMessage");
    bad_hashes();
}

/* A new aggregator (not started) in S. */
static void new_sim(void)
{
    static char bin[512]; /* S keeps it */
    const char *build = getenv("MTL_BUILD_DIR");
    snprintf(bin, sizeof(bin), "%s/src/aggregator/mithril-aggregator", build ? build : ".");
    CHECK(sim_setup(&S, bin, "{\"k\":15,\"m\":24,\"phi_f\":0.9}") == 0);
}

/* S started signing both transactions kinds over DB_DIR, at epoch 3 with a
 * genesis certificate and the signers registered. */
static void start_at_epoch3(void)
{
    static char env_db[512];
    snprintf(env_db, sizeof(env_db), "DB_DIRECTORY=%s", DB_DIR);
    S.extra_env[0] = "SIGNED_ENTITY_TYPES=CardanoTransactions,CardanoBlocksTransactions";
    S.extra_env[1] = env_db;
    S.extra_env[2] = "CARDANO_TRANSACTIONS_SIGNING_CONFIG__SECURITY_PARAMETER=0";
    S.extra_env[3] = "CARDANO_TRANSACTIONS_SIGNING_CONFIG__STEP=15";
    S.extra_env[4] = "CARDANO_BLOCKS_TRANSACTIONS_SIGNING_CONFIG__SECURITY_PARAMETER=5";
    S.extra_env[5] = "CARDANO_BLOCKS_TRANSACTIONS_SIGNING_CONFIG__STEP=10";
    uint64_t st0[NSIGNERS];
    for (size_t i = 0; i < NSIGNERS; i++)
        st0[i] = 1000 + 100 * i + 1; /* set_chain's stakes */
    CHECK(sim_set_chain(&S, 1, PARTY, st0, NSIGNERS) == 0);
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 1) == 0);
    register_all(1);
    set_chain(2);
    register_all(2);
    CHECK(sim_genesis(&S) == 0);
    set_chain(3);
    register_all(3);
}

TEST(transactions_certified_and_proven)
{
    char hash[65], ctx_entity[160], cbtx_entity[160], msg[2][65];
    new_sim();
    snprintf(DB_DIR, sizeof(DB_DIR), "%s/db", S.dir);
    copy_db();
    for (size_t i = 0; i < NSIGNERS; i++)
        TH_FMT(PARTY[i], "%s", POOL[i].pool_id);
    start_at_epoch3();
    if (th_cur_failed)
        return;
    /* no snapshot yet: the proof routes answer 404 */
    char h0[65], route[200];
    hexs(h0, TXS[0].hash);
    snprintf(route, sizeof(route), "/proof/cardano-transaction?transaction_hashes=%s", h0);
    json_decref(get_json(route, 404));
    struct sim_epoch ep;
    CHECK(sim_epoch_load(&S, NULL, 3, &ep) == 0);
    signer_message(3, &ep, MTL_SET_CARDANO_TRANSACTIONS, ctx_entity, msg[0]);
    signer_message(3, &ep, MTL_SET_CARDANO_BLOCKS_TRANSACTIONS, cbtx_entity, msg[1]);
    if (th_cur_failed) {
        sim_epoch_clear(&ep);
        return;
    }
    /* the cadence: tip 299 -> 284 (v1), (299 - 5) / 10 * 10 = 290 with offset 5 */
    char want[2][96];
    snprintf(want[0], sizeof(want[0]), "{\"CardanoTransactions\":[3,%llu]}",
             (unsigned long long)(TIP / 15 * 15 - 1));
    snprintf(want[1], sizeof(want[1]), "{\"CardanoBlocksTransactions\":[3,%llu,5]}",
             (unsigned long long)((TIP - 5) / 10 * 10));
    CHECK(strcmp(ctx_entity, want[0]) == 0);
    CHECK(strcmp(cbtx_entity, want[1]) == 0);
    post_all(3, &ep, ctx_entity, msg[0]);
    post_all(3, &ep, cbtx_entity, msg[1]);
    sim_epoch_clear(&ep);
    char ctx_cert[65], cbtx_cert[65];
    CHECK(sim_wait_certificate(&S, ctx_entity, ctx_cert, SIM_WAIT_MS) == 0);
    CHECK(sim_wait_certificate(&S, cbtx_entity, cbtx_cert, SIM_WAIT_MS) == 0);
    /* the certificates sign the signer's message */
    for (int k = 0; k < 2; k++) {
        struct mtl_certificate *c = get_cert(k == 0 ? ctx_cert : cbtx_cert);
        CHECK(c != NULL);
        if (c)
            CHECK(strcmp(mtl_certificate_signed_message(c), msg[k]) == 0);
        mtl_certificate_free(c);
    }
    size_t checked = 0;
    CHECK(sim_verify_chain(&S, cbtx_cert, &checked) == 0);
    (void)hash;
    if (th_cur_failed)
        return;
    routes_and_proofs(ctx_cert, cbtx_cert);
}

/* ---- the import beside the runtime (issue #19) ------------------------------------- */

static int log_has(const char *what)
{
    char *text = NULL;
    size_t len = 0;
    int has = mtl_read_file(S.log_path, 64u << 20, (uint8_t **)&text, &len) == MTL_OK &&
              memmem(text, len, what, strlen(what)) != NULL;
    mtl_free(text);
    mtl_err_clear();
    return has;
}

/* The number following the last `key` in the log (-1: none). */
static long long log_last_number(const char *key)
{
    char *text = NULL;
    size_t len = 0;
    long long v = -1;
    if (mtl_read_file(S.log_path, 64u << 20, (uint8_t **)&text, &len) == MTL_OK)
        for (char *p = text; (p = memmem(p, len - (size_t)(p - text), key, strlen(key)));
             p += strlen(key))
            v = strtoll(p + strlen(key), NULL, 10);
    mtl_free(text);
    mtl_err_clear();
    return v;
}

static void wait_log(const char *what)
{
    for (int i = 0; i < SIM_WAIT_MS / 20; i++) {
        if (log_has(what))
            return;
        usleep(20000);
    }
    TH_FAIL("the aggregator never logged '%s'", what);
}

/* A fresh aggregator for the next test. */
static void reset_sim(void)
{
    sim_stop(&S, 0, NULL);
    sim_cleanup(&S, th_failed);
    for (size_t e = 0; e < 8; e++)
        for (size_t i = 0; i < NSIGNERS; i++) {
            mtl_stm_initializer_free(INIT[e][i]);
            INIT[e][i] = NULL;
        }
}

/* The signer's beacon with its importer on its own thread (as the daemon
 * runs it): asked at once, it does not wait for the import of the long chain
 * but answers that it has not caught up; asked again later, it is given. */
static void signer_imports_beside(void)
{
    char path[600];
    struct app_tx_store *rd = NULL, *wr = NULL;
    struct app_tx_importer *imp = NULL;
    snprintf(path, sizeof(path), "%s/signer-tx.sqlite3", S.dir);
    CHECK_OK(app_tx_store_open(&rd, path));
    CHECK_OK(app_tx_store_open(&wr, path));
    char imm[500];
    TH_FMT(imm, "%s/immutable", DB_DIR);
    if (!rd || !wr) {
        app_tx_store_free(rd);
        app_tx_store_free(wr);
        return;
    }
    if (app_tx_importer_start(&imp, wr, imm, 50) != MTL_OK) { /* wr freed */
        app_tx_store_free(rd);
        TH_FAIL("signer importer: %s", mtl_err_detail());
    }
    struct app_tx_signing cfg = {0, 15};
    struct signer_config sc = {.db_directory = DB_DIR};
    struct signer_node n = {.cfg = &sc, .tx = rd, .importer = imp, .ctx_signing = &cfg};
    const struct signer_entity *se = signer_entity(MTL_SET_CARDANO_TRANSACTIONS);
    struct mtl_signed_entity_type t = {.kind = MTL_SET_CARDANO_TRANSACTIONS, .epoch = 3};
    CHECK_ERR(se->beacon(&n, &t), MTL_ERR_STATE);
    mtl_err e = MTL_ERR_STATE;
    for (int i = 0; i < SIM_WAIT_MS / 20 && e == MTL_ERR_STATE; i++) {
        usleep(20000);
        e = se->beacon(&n, &t);
    }
    CHECK_OK(e);
    uint64_t tip = 0;
    int found = 0;
    CHECK_OK(app_tx_highest_block(rd, &tip, &found));
    CHECK(found && t.a == app_tx_beacon_transactions(&cfg, tip));
    app_tx_importer_stop(imp);
    app_tx_store_free(rd);
}

/* A chain of ~130 chunks and ~500 000 transactions (cardano-node-sim, in
 * /dev/shm when there is one) appears in the node's directory once epoch 3
 * is open: while it is imported, the runtime keeps serving /status and
 * certifies MithrilStakeDistribution (the signatures are sent after the
 * import started, and the certificate comes before it ends: on the runtime
 * thread the tick was held by the import); a stop mid-import exits cleanly
 * between two chunks, the next start resumes at the next chunk, and once the
 * import has caught up both transactions kinds are certified with the
 * signer's message (whose beacon, asked while its own importer thread runs,
 * does not wait for it). */
static void import_beside(const char *base)
{
    char chain[400], cmd[1500];
    const char *build = getenv("MTL_BUILD_DIR");
    new_sim();
    TH_FMT(DB_DIR, "%s/db", base);
    TH_FMT(chain, "%s/chain", base);
    TH_FMT(cmd,
           "%s/tools/cardano-node-sim/cardano-node-sim --db %s --seed 19 --epochs 40 "
           "--security-param 3 --tx-density 120 >/dev/null && mkdir -p %s/immutable",
           build ? build : ".", chain, DB_DIR);
    CHECK(system(cmd) == 0);
    start_at_epoch3();
    if (th_cur_failed)
        return;
    /* the node's chunks appear: the import starts */
    char from[400], to[400];
    TH_FMT(from, "%s/immutable", chain);
    TH_FMT(to, "%s/immutable", DB_DIR);
    CHECK(rmdir(to) == 0 && rename(from, to) == 0);
    wait_log("event=transactions_import_started");
    if (th_cur_failed)
        return;
    struct sim_epoch ep;
    CHECK(sim_epoch_load(&S, NULL, 3, &ep) == 0);
    post_all(3, &ep, ep.entity, ep.signed_message);
    sim_epoch_clear(&ep);
    char hash[65], *status = NULL, url[300];
    CHECK(sim_wait_certificate(&S, "{\"MithrilStakeDistribution\":3}", hash, SIM_WAIT_MS) == 0);
    TH_FMT(url, "%s/status", S.url);
    CHECK_EQ_INT(sim_get(NULL, url, &status), 200);
    free(status);
    /* ... all while the import was running */
    CHECK(!log_has("event=transactions_imported"));
    CHECK(log_has("event=transactions_not_ready")); /* the handlers answered, the tick went on */
    /* a stop mid-import: a clean exit after the chunk being imported */
    int st = sim_stop(&S, 0, NULL);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(log_has("caught_up=0"));
    long long next = log_last_number("event=transactions_importer_stopped next_chunk=");
    CHECK(next > 0);
    CHECK(sim_start(&S) == 0);
    wait_log("caught_up=1");
    if (th_cur_failed)
        return;
    /* the second start went on from the next chunk */
    CHECK_EQ_INT(log_last_number("from_chunk="), next);
    CHECK(sim_epoch_load(&S, NULL, 3, &ep) == 0);
    char entity[2][160], msg[2][65], cert[2][65];
    signer_imports_beside();
    signer_message(3, &ep, MTL_SET_CARDANO_TRANSACTIONS, entity[0], msg[0]);
    signer_message(3, &ep, MTL_SET_CARDANO_BLOCKS_TRANSACTIONS, entity[1], msg[1]);
    for (int k = 0; k < 2 && !th_cur_failed; k++)
        post_all(3, &ep, entity[k], msg[k]);
    sim_epoch_clear(&ep);
    for (int k = 0; k < 2 && !th_cur_failed; k++) {
        CHECK(sim_wait_certificate(&S, entity[k], cert[k], SIM_WAIT_MS) == 0);
        struct mtl_certificate *c = get_cert(cert[k]);
        CHECK(c && strcmp(mtl_certificate_signed_message(c), msg[k]) == 0);
        mtl_certificate_free(c);
    }
}

TEST(import_runs_beside_the_runtime)
{
    char base[300], cmd[400];
    struct stat sb;
    TH_FMT(base, "%s/mtl-txw.XXXXXX", stat("/dev/shm", &sb) == 0 ? "/dev/shm" : "/tmp");
    CHECK(mkdtemp(base) != NULL);
    import_beside(base);
    sim_stop(&S, 0, NULL); /* before its chain goes, even on failure (the chain is large) */
    TH_FMT(cmd, "rm -rf %s", base);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    const char *shared = th_shared_dir();
    if (!shared)
        SKIP_ALL("../shared reference data not found");
    snprintf(SAMPLES, sizeof(SAMPLES), "%s/reference-data/cardano-node-samples/immutable", shared);
    read_chain();
    for (uint32_t i = 0; i < NSIGNERS; i++)
        if (sim_pool_init(&POOL[i], i, 0) != 0)
            return 1;
    RUN(transactions_certified_and_proven);
    reset_sim();
    RUN(import_runs_beside_the_runtime);
    reset_sim();
    for (size_t i = 0; i < NSIGNERS; i++)
        sim_pool_clear(&POOL[i]);
    return DONE();
}
