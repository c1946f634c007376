/* test_aggregator_csd.c - the aggregator certifies CardanoStakeDistribution:
 * a real mithril-aggregator on a chain stand-in, in-process signers that
 * recompute the message (beacon epoch - 1, Merkle root of the stakes read
 * during the current epoch, computed here from the MKTree leaves directly)
 * and sign it. The artifact is the reference's encoding (fields in its
 * order, pools sorted, its hash), checks against its certificate, which
 * chains to genesis; the routes (list, hash, epoch, latest, latest-N and
 * their errors), /signers/tickers and /status match the openapi. */
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agg_sim.h"
#include "harness.h"
#include "mithril/mktree.h"
#include "mithril/util.h"

#define NSIGNERS 3

static struct sim_agg S;
static char PARTY[NSIGNERS][64];
static struct sim_pool POOL[NSIGNERS];
static struct mtl_stm_initializer *INIT[8][NSIGNERS]; /* by key epoch */
static const struct mtl_stm_params PARAMS = {.m = 24, .k = 15, .phi_f = 0.9};

static uint64_t stake_at(uint64_t epoch, size_t i)
{
    return 1000000 + 37 * epoch + 1000 * (NSIGNERS - i); /* not in pool id order */
}

static void set_chain(uint64_t epoch)
{
    uint64_t st[NSIGNERS];
    for (size_t i = 0; i < NSIGNERS; i++)
        st[i] = stake_at(epoch, i);
    CHECK(sim_set_chain(&S, epoch, PARTY, st, NSIGNERS) == 0);
    CHECK(sim_wait_epoch(&S, epoch) == 0);
}

static void register_all(uint64_t epoch)
{
    for (size_t i = 0; i < NSIGNERS; i++) {
        uint8_t seed[32] = {(uint8_t)epoch, (uint8_t)i, 0xc5};
        CHECK_OK(mtl_stm_initializer_new(&INIT[epoch + 1][i], &PARAMS, stake_at(epoch, i), seed));
        CHECK_EQ_INT(sim_register(&S, NULL, epoch, PARTY[i], INIT[epoch + 1][i], &POOL[i]), 201);
    }
}

static int cmp_party(const void *a, const void *b)
{
    return strcmp(((const char(*)[64])a)[0], ((const char(*)[64])b)[0]);
}

/* The pools sorted by id with their stakes of epoch (the reference's BTreeMap). */
static void sorted_pools(uint64_t epoch, char (*pool)[64], uint64_t *stake)
{
    memcpy(pool, PARTY, sizeof(PARTY));
    qsort(pool, NSIGNERS, 64, cmp_party);
    for (size_t j = 0; j < NSIGNERS; j++)
        for (size_t i = 0; i < NSIGNERS; i++)
            if (strcmp(pool[j], PARTY[i]) == 0)
                stake[j] = stake_at(epoch, i);
}

/* The stakes' Merkle root built here from the MKTree itself (leaves
 * "<pool><stake>" in pool order), not through mtl_csd_merkle_root. */
static void expected_root(uint64_t read_epoch, char root[65])
{
    char pool[NSIGNERS][64], leaf[100];
    uint64_t stake[NSIGNERS];
    sorted_pools(read_epoch, pool, stake);
    struct mtl_mktree *t = NULL;
    CHECK_OK(mtl_mktree_new(&t));
    for (size_t j = 0; t && j < NSIGNERS; j++) {
        int n = snprintf(leaf, sizeof(leaf), "%s%" PRIu64, pool[j], stake[j]);
        CHECK_OK(mtl_mktree_append(t, leaf, (size_t)n));
    }
    CHECK_OK(mtl_mktree_root_hex(t, root, 65));
    mtl_mktree_free(t);
}

/* Every signer of key epoch-1 signs MithrilStakeDistribution(epoch) and
 * CardanoStakeDistribution(epoch - 1). */
static void sign_all(uint64_t epoch, char csd_entity[64])
{
    struct sim_epoch ep;
    CHECK(sim_epoch_load(&S, NULL, epoch, &ep) == 0);
    if (th_cur_failed)
        return;
    char root[65], msg[MTL_HASH_HEX_BYTES];
    expected_root(epoch, root);
    struct mtl_signed_entity_type t = {.kind = MTL_SET_CARDANO_STAKE_DISTRIBUTION,
                                       .epoch = epoch - 1};
    struct mtl_signed_entity_view v = {
        .next_avk = ep.next_avk, .next_params = &ep.next_params, .merkle_root = root};
    struct mtl_protocol_message *pm = NULL;
    char *ent = NULL;
    CHECK_OK(mtl_signed_entity_message(&pm, &t, &v));
    CHECK_OK(mtl_signed_entity_type_to_json(&t, &ent));
    if (pm && ent) {
        mtl_protocol_message_hash(pm, msg);
        snprintf(csd_entity, 64, "%s", ent);
        const char *entities[2] = {ep.entity, csd_entity}, *msgs[2] = {ep.signed_message, msg};
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; i < NSIGNERS; i++) {
                char *body = sim_signature_body(INIT[epoch - 1][i], ep.closed, entities[k],
                                                PARTY[i], msgs[k], msgs[k]);
                if (!body)
                    continue;
                char *resp = NULL;
                long st = sim_post_signature(&S, NULL, body, &resp);
                if (st != 201 && st != 410)
                    TH_FAIL("signature of %s for %s: %ld %s", PARTY[i], entities[k], st,
                            resp ? resp : "");
                free(resp);
                free(body);
            }
    }
    mtl_free(ent);
    mtl_protocol_message_free(pm);
    sim_epoch_clear(&ep);
}

static long get(const char *route, char **body)
{
    char url[300];
    snprintf(url, sizeof(url), "%s%s", S.url, route);
    return sim_get(NULL, url, body);
}

/* GET route, expect status, and check the body against an openapi schema. */
static void openapi(const char *route, long want, const char *schema)
{
    const char *shared = th_shared_dir(), *src = getenv("MTL_SOURCE_DIR");
    char *body = NULL, path[400], cmd[1500];
    long st = get(route, &body);
    if (st != want)
        TH_FAIL("GET %s: %ld, want %ld (%s)", route, st, want, body ? body : "");
    if (shared && src && body) {
        snprintf(path, sizeof(path), "%s/openapi.json", S.dir);
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(body, f);
            fclose(f);
        }
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 %s/tests/aggregator/openapi_check.py "
                 "%s/reference-data/openapi.yaml %s %s",
                 src, shared, schema, path);
        if (system(cmd) != 0)
            TH_FAIL("GET %s does not match %s", route, schema);
    }
    free(body);
}

/* The artifact text exactly as the reference serialises it, up to created_at. */
static void check_encoding(const char *body, const char *cert_hash, uint64_t epoch)
{
    char pool[NSIGNERS][64], want[1024], hash[65];
    uint64_t stake[NSIGNERS];
    const char *pp[NSIGNERS];
    sorted_pools(epoch + 1, pool, stake);
    for (size_t j = 0; j < NSIGNERS; j++)
        pp[j] = pool[j];
    CHECK_OK(mtl_csd_hash(hash, epoch, pp, stake, NSIGNERS));
    int n = snprintf(want, sizeof(want),
                     "{\"epoch\":%" PRIu64 ",\"hash\":\"%s\",\"certificate_hash\":\"%s\","
                     "\"stake_distribution\":{",
                     epoch, hash, cert_hash);
    for (size_t j = 0; j < NSIGNERS; j++)
        n += snprintf(want + n, sizeof(want) - (size_t)n, "%s\"%s\":%" PRIu64, j ? "," : "",
                      pool[j], stake[j]);
    snprintf(want + n, sizeof(want) - (size_t)n, "},\"created_at\":\"");
    if (strncmp(body, want, strlen(want)) != 0)
        TH_FAIL("artifact encoding:\n got %s\nwant %s...", body, want);
}

TEST(certify_cardano_stake_distribution)
{
    char bin[512], hash[65], csd[64] = "", *body = NULL;
    const char *build = getenv("MTL_BUILD_DIR");
    snprintf(bin, sizeof(bin), "%s/src/aggregator/mithril-aggregator", build ? build : ".");
    CHECK(sim_setup(&S, bin, "{\"k\":15,\"m\":24,\"phi_f\":0.9}") == 0);
    S.extra_env[0] = "SIGNED_ENTITY_TYPES=MithrilStakeDistribution,CardanoStakeDistribution";
    for (size_t i = 0; i < NSIGNERS; i++)
        TH_FMT(PARTY[i], "%s", POOL[i].pool_id);
    uint64_t st0[NSIGNERS];
    for (size_t i = 0; i < NSIGNERS; i++)
        st0[i] = stake_at(1, i);
    CHECK(sim_set_chain(&S, 1, PARTY, st0, NSIGNERS) == 0);
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 1) == 0);
    register_all(1);
    set_chain(2);
    register_all(2);
    CHECK(sim_genesis(&S) == 0);
    set_chain(3);
    register_all(3);
    if (th_cur_failed)
        return;
    sign_all(3, csd);
    CHECK_EQ_STR(csd, "{\"CardanoStakeDistribution\":2}");
    CHECK(sim_wait_certificate(&S, csd, hash, SIM_WAIT_MS) == 0);
    if (th_cur_failed)
        return;

    /* the certificate: signed during epoch 3, chains to genesis, signs our root */
    char route[200], root[65];
    snprintf(route, sizeof(route), "/certificate/%s", hash);
    CHECK_EQ_INT(get(route, &body), 200);
    struct mtl_certificate *cert = NULL;
    CHECK_OK(mtl_certificate_from_json(&cert, body, strlen(body)));
    free(body);
    body = NULL;
    size_t checked = 0;
    CHECK(sim_verify_chain(&S, hash, &checked) == 0);
    expected_root(3, root);
    if (cert) {
        CHECK_EQ_INT(mtl_certificate_epoch(cert), 3);
        CHECK_EQ_STR(mtl_protocol_message_get(mtl_certificate_protocol_message(cert),
                                              "cardano_stake_distribution_merkle_root"),
                     root);
        CHECK_EQ_STR(mtl_protocol_message_get(mtl_certificate_protocol_message(cert),
                                              "cardano_stake_distribution_epoch"),
                     "2");
    }

    /* the artifact: list, by hash, by epoch, latest; the reference's encoding */
    CHECK_EQ_INT(get("/artifact/cardano-stake-distributions", &body), 200);
    json_t *list = json_loads(body ? body : "", JSON_PRESERVE_ORDER, NULL);
    free(body);
    body = NULL;
    json_t *it = json_array_get(list, 0);
    CHECK_EQ_INT(json_array_size(list), 1);
    const char *ah = json_string_value(json_object_get(it, "hash"));
    CHECK(ah && json_object_size(it) == 4);
    CHECK_EQ_STR(json_string_value(json_object_get(it, "certificate_hash")), hash);
    snprintf(route, sizeof(route), "/artifact/cardano-stake-distribution/%s", ah ? ah : "");
    CHECK_EQ_INT(get(route, &body), 200);
    if (body && cert) {
        check_encoding(body, hash, 2);
        CHECK_OK(mtl_csd_verify(body, strlen(body), cert, NULL));
    }
    static const char *const same[] = {"/artifact/cardano-stake-distribution/epoch/2",
                                       "/artifact/cardano-stake-distribution/epoch/latest",
                                       "/artifact/cardano-stake-distribution/epoch/latest-0"};
    for (size_t k = 0; body && k < 3; k++) {
        char *b = NULL;
        CHECK_EQ_INT(get(same[k], &b), 200);
        if (b && strcmp(b, body) != 0)
            TH_FAIL("%s is not the artifact: %s", same[k], b);
        free(b);
    }
    free(body);
    body = NULL;
    json_decref(list);
    CHECK_EQ_INT(get("/artifact/cardano-stake-distribution/epoch/latest-1", NULL), 404);
    CHECK_EQ_INT(get("/artifact/cardano-stake-distribution/epoch/7", NULL), 404);
    CHECK_EQ_INT(get("/artifact/cardano-stake-distribution/" /* a hash nobody has */
                     "0000000000000000000000000000000000000000000000000000000000000000",
                     NULL),
                 404);

    /* a signature once certified, and one for a closed epoch: 410 */
    {
        struct sim_epoch ep;
        char *sig = NULL;
        CHECK(sim_epoch_load(&S, NULL, 3, &ep) == 0);
        for (size_t i = 0; i < NSIGNERS && !sig; i++)
            sig = sim_signature_body(INIT[2][i], ep.closed, csd, PARTY[i], ep.signed_message,
                                     ep.signed_message);
        CHECK(sig != NULL);
        char url[300], *resp = NULL;
        snprintf(url, sizeof(url), "%s/register-signatures", S.url);
        if (sig)
            CHECK_EQ_INT(sim_post(NULL, url, sig, strlen(sig), &resp), 410);
        free(resp);
        free(sig);
        const char *late = "{\"entity_type\":{\"CardanoStakeDistribution\":1},\"party_id\":"
                           "\"pool1x\",\"signature\":\"7b7d\",\"indexes\":[1],"
                           "\"signed_message\":\"00\"}";
        resp = NULL;
        CHECK_EQ_INT(sim_post(NULL, url, late, strlen(late), &resp), 410);
        free(resp);
        sim_epoch_clear(&ep);
    }

    /* shapes: the CSD routes, latest-N, tickers, status */
    openapi("/artifact/cardano-stake-distributions", 200, "CardanoStakeDistributionListMessage");
    openapi("/artifact/cardano-stake-distribution/epoch/latest", 200,
            "CardanoStakeDistributionMessage");
    openapi("/artifact/cardano-stake-distribution/epoch/latest-6", 400, "Error");
    openapi("/artifact/cardano-stake-distribution/epoch/latest-", 400, "Error");
    openapi("/artifact/cardano-stake-distribution/epoch/-1", 400, "Error");
    openapi("/signers/registered/latest-1", 200, "SignerRegistrationsMessage");
    openapi("/signers/registered/latest-x", 400, "Error");
    openapi("/signers/tickers", 200, "SignersTickersMessage");
    openapi("/status", 200, "AggregatorStatusMessage");
    CHECK_EQ_INT(get("/signers/tickers", &body), 200);
    json_t *tk = json_loads(body ? body : "", 0, NULL);
    free(body);
    body = NULL;
    CHECK_EQ_STR(json_string_value(json_object_get(tk, "network")), "devnet");
    CHECK_EQ_INT(json_array_size(json_object_get(tk, "signers")), NSIGNERS);
    json_t *s0 = json_array_get(json_object_get(tk, "signers"), 0);
    CHECK(json_is_true(json_object_get(s0, "has_registered")));
    json_decref(tk);
    CHECK_EQ_INT(get("/status", &body), 200);
    json_t *status = json_loads(body ? body : "", 0, NULL);
    free(body);
    body = NULL;
    CHECK_EQ_STR(json_string_value(json_object_get(status, "aggregator_node_version")),
                 mtl_version());
    json_decref(status);

    mtl_certificate_free(cert);
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

int main(void)
{
    if (mtl_init() != MTL_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    for (size_t i = 0; i < NSIGNERS; i++)
        if (sim_pool_init(&POOL[i], (uint32_t)i, 0) != 0)
            return 1;
    RUN(certify_cardano_stake_distribution);
    if (S.pid)
        sim_stop(&S, 1, NULL);
    for (size_t k = 0; k < 8; k++)
        for (size_t i = 0; i < NSIGNERS; i++)
            mtl_stm_initializer_free(INIT[k][i]);
    for (size_t i = 0; i < NSIGNERS; i++)
        sim_pool_clear(&POOL[i]);
    curl_global_cleanup();
    return DONE();
}
