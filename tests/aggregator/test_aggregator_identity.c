/* test_aggregator_identity.c - POST /register-signer on a real
 * mithril-aggregator checks pool identity: real cold keys, KES keys and
 * opcerts (agg_sim_pool.c). A valid registration is stored with the KES
 * period that verified; every forgery (bad opcert signature, party id of
 * another pool, KES signature of another key or outside the period window,
 * missing credentials, another pool's published credentials replayed, a
 * second key for a registered pool, one Mithril key for two pools) is
 * refused with a 4xx JSON error naming why, and leaves the store untouched.
 * The skip switch is off by default; on, it lets credential-less
 * registrations through and still checks the ones that carry credentials. */
#define _GNU_SOURCE /* strcasestr, memmem */
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "agg_sim.h"
#include "harness.h"
#include "mithril/util.h"

#define NPOOLS 6
#define STAKED 5       /* pools 0..4 have stake; pool 5 has none */
#define KES_NOW 10     /* the chain's current KES period */
#define OPCERT_START 8 /* so the evolutions now are 2, window [1, 3] */

static struct sim_agg S;
static struct sim_pool POOL[NPOOLS];
static struct sim_pool LATE_POOL; /* pool 4 with an opcert starting next KES period */
static struct mtl_stm_initializer *KEY[NPOOLS];
static char *VK[NPOOLS];
static char PARTY[NPOOLS][64];
static const struct mtl_stm_params PARAMS = {.m = 24, .k = 5, .phi_f = 0.9};

/* Every signer registration row, in one text (what "nothing stored" compares). */
static char *registrations(void)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/stores/aggregator.sqlite3", S.dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(db, 30000) == SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT COALESCE(group_concat(r, char(10)), '') FROM (SELECT epoch ||"
                           " ' ' || party_id || ' ' || json AS r FROM signer_registration"
                           " ORDER BY epoch, party_id)",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* The stored registration of party for key epoch 2 (NULL when none). */
static json_t *stored(const char *party)
{
    char *all = registrations(), prefix[128];
    json_t *j = NULL;
    snprintf(prefix, sizeof(prefix), "2 %s ", party);
    for (char *line = all; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            j = json_loads(line + strlen(prefix), 0, NULL);
        line = nl ? nl + 1 : NULL;
    }
    free(all);
    return j;
}

static long post_register(const char *body, char **resp)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/register-signer", S.url);
    return sim_post(NULL, url, body, strlen(body), resp);
}

/* Registration body of party with key k and pool p's opcert, the KES
 * signature made by pool `signer` at `evolutions` (recording epoch 2). */
static char *body_of(const char *party, size_t k, const struct sim_pool *p,
                     const struct sim_pool *signer, uint64_t evolutions)
{
    char *sig = sim_pool_sign_key(signer, VK[k], evolutions);
    char *b = sig ? sim_register_json(2, party, VK[k], p->opcert, sig, evolutions) : NULL;
    mtl_free(sig);
    return b;
}

/* POST body (freed): want status, a JSON {label, message} whose message
 * contains `why` (case-insensitive), and the store unchanged. */
static void refused(char *body, long want, const char *why, const char *what)
{
    char *before = registrations(), *resp = NULL, *after = NULL;
    long st = body ? post_register(body, &resp) : 0;
    json_t *j = resp ? json_loads(resp, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "message"));
    int ok =
        st == want && json_is_string(json_object_get(j, "label")) && msg && strcasestr(msg, why);
    if (ok) {
        after = registrations();
        ok = before && after && strcmp(before, after) == 0;
        if (!ok)
            fprintf(stderr, "%s: the store changed\n", what);
    }
    if (!ok)
        fprintf(stderr, "%s: got %ld %s (want %ld naming '%s')\n", what, st, resp ? resp : "", want,
                why);
    else
        printf("refused as expected: %s: %ld %s\n", what, st, msg);
    json_decref(j);
    free(resp);
    free(before);
    free(after);
    free(body);
    if (!ok)
        TH_FAIL("%s", what);
}

static void accepted(char *body, const char *what)
{
    char *resp = NULL;
    long st = body ? post_register(body, &resp) : 0;
    if (st != 201)
        fprintf(stderr, "%s: got %ld %s\n", what, st, resp ? resp : "");
    free(resp);
    free(body);
    if (st != 201)
        TH_FAIL("%s: want 201", what);
}

/* An opcert of pool p whose cold signature has one bit flipped. */
static char *tampered_opcert(const struct sim_pool *p)
{
    struct mtl_opcert oc;
    char *hex = NULL;
    if (mtl_opcert_from_jsonhex(&oc, p->opcert) != MTL_OK)
        return NULL;
    oc.sigma[7] ^= 0x10;
    if (mtl_opcert_to_jsonhex(&oc, &hex) != MTL_OK)
        return NULL;
    return hex;
}

static void start_aggregator(void)
{
    uint64_t stake[STAKED];
    for (size_t i = 0; i < STAKED; i++)
        stake[i] = 1000 + 100 * i;
    S.slot = KES_NOW * SIM_SLOTS_PER_KES_PERIOD + 42;
    CHECK(sim_set_chain(&S, 1, PARTY, stake, STAKED) == 0);
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 1) == 0);
}

TEST(register_with_pool_identity)
{
    static char bin[512]; /* S.bin points here for the later tests */
    const char *build = getenv("MTL_BUILD_DIR");
    snprintf(bin, sizeof(bin), "%s/src/aggregator/mithril-aggregator", build ? build : ".");
    CHECK(sim_setup(&S, bin, "{\"k\":5,\"m\":24,\"phi_f\":0.9}") == 0);
    start_aggregator();
    if (th_cur_failed)
        return;
    const uint64_t e = KES_NOW - OPCERT_START;

    /* valid: stored with the credentials and the KES period that verified */
    accepted(body_of(PARTY[0], 0, &POOL[0], &POOL[0], e), "valid registration");
    json_t *rec = stored(PARTY[0]);
    CHECK(rec != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(rec, "operational_certificate")),
                 POOL[0].opcert);
    CHECK_EQ_INT(json_integer_value(json_object_get(rec, "kes_period")), e);
    char *published_sig =
        strdup(json_string_value(json_object_get(rec, "verification_key_signature")));
    json_decref(rec);
    char *first = registrations();

    /* the same key again (even signed at another period in the window):
     * 201, the first record stands */
    accepted(body_of(PARTY[0], 0, &POOL[0], &POOL[0], e), "same registration again");
    accepted(body_of(PARTY[0], 0, &POOL[0], &POOL[0], e - 1), "same key, other period");
    char *again = registrations();
    CHECK(first && again && strcmp(first, again) == 0);
    free(first);
    free(again);

    /* forgeries: 400 naming the failed check, nothing stored */
    char *bad = tampered_opcert(&POOL[1]), *sig = sim_pool_sign_key(&POOL[1], VK[1], e);
    CHECK(bad && sig);
    refused(sim_register_json(2, PARTY[1], VK[1], bad, sig, e), 400, "operational certificate",
            "opcert with a bad cold signature");
    mtl_free(bad);
    mtl_free(sig);
    refused(body_of(PARTY[2], 1, &POOL[1], &POOL[1], e), 400, "not the pool id",
            "party id that is not the cold key's pool");
    refused(body_of(PARTY[1], 1, &POOL[1], &POOL[2], e), 400, "KES signature over the Mithril key",
            "KES signature of another pool's KES key");
    refused(body_of(PARTY[1], 1, &POOL[1], &POOL[1], e + 2), 400,
            "KES signature over the Mithril key", "KES signature two periods ahead");
    refused(body_of(PARTY[1], 1, &POOL[1], &POOL[1], e - 2), 400,
            "KES signature over the Mithril key", "KES signature two periods behind");
    /* missing credentials (skip switch off by default) */
    refused(sim_register_json(2, PARTY[1], VK[1], NULL, NULL, 0), 400, "operational_certificate",
            "no credentials");
    sig = sim_pool_sign_key(&POOL[1], VK[1], e);
    refused(sim_register_json(2, PARTY[1], VK[1], NULL, sig, 0), 400, "operational_certificate",
            "KES signature without opcert");
    mtl_free(sig);
    refused(sim_register_json(2, PARTY[1], VK[1], POOL[1].opcert, NULL, e), 400,
            "verification_key_signature", "opcert without KES signature");
    /* the victim's published opcert and KES signature, replayed with the
     * attacker's key */
    refused(sim_register_json(2, PARTY[0], VK[1], POOL[0].opcert, published_sig, e), 400,
            "KES signature over the Mithril key", "another pool's credentials with another key");
    free(published_sig);
    /* a pool without stake, credentials valid */
    refused(body_of(PARTY[5], 5, &POOL[5], &POOL[5], e), 400, "stake", "pool without stake");

    /* conflicts: 409, the first registration intact */
    refused(body_of(PARTY[0], 1, &POOL[0], &POOL[0], e), 409, "already registered",
            "a second, different key for a registered pool");
    refused(body_of(PARTY[3], 0, &POOL[3], &POOL[3], e), 409, PARTY[0],
            "pool 0's Mithril key registered for pool 3");
    rec = stored(PARTY[0]);
    char *vk0 = NULL;
    CHECK(rec && (vk0 = (char *)json_string_value(json_object_get(rec, "verification_key"))));
    CHECK_EQ_STR(vk0, VK[0]);
    json_decref(rec);
    rec = stored(PARTY[3]);
    CHECK(rec == NULL);

    /* the window's edges are accepted, stored with the period that verified */
    accepted(body_of(PARTY[1], 1, &POOL[1], &POOL[1], e - 1), "KES one period behind");
    accepted(body_of(PARTY[2], 2, &POOL[2], &POOL[2], e + 1), "KES one period ahead");
    rec = stored(PARTY[1]);
    CHECK_EQ_INT(json_integer_value(json_object_get(rec, "kes_period")), e - 1);
    json_decref(rec);
    rec = stored(PARTY[2]);
    CHECK_EQ_INT(json_integer_value(json_object_get(rec, "kes_period")), e + 1);
    json_decref(rec);
    /* an opcert starting one period ahead (the pool read a newer tip): as
     * the reference, the evolutions saturate at 0 and the window is [0, 1] */
    accepted(body_of(PARTY[4], 4, &LATE_POOL, &LATE_POOL, 0), "opcert starting next period");
    rec = stored(PARTY[4]);
    CHECK_EQ_INT(json_integer_value(json_object_get(rec, "kes_period")), 0);
    json_decref(rec);

    /* epoch 2: the registered signers are published with their credentials */
    uint64_t stake[STAKED];
    for (size_t i = 0; i < STAKED; i++)
        stake[i] = 1000 + 100 * i;
    CHECK(sim_set_chain(&S, 2, PARTY, stake, STAKED) == 0);
    CHECK(sim_wait_epoch(&S, 2) == 0);
    char url[256], *txt = NULL;
    snprintf(url, sizeof(url), "%s/epoch-settings", S.url);
    CHECK_EQ_INT(sim_get(NULL, url, &txt), 200);
    json_t *es = json_loads(txt, 0, NULL), *next = json_object_get(es, "next_signers"), *v;
    free(txt);
    size_t i, seen = 0;
    const char *opcert[STAKED] = {POOL[0].opcert, POOL[1].opcert, POOL[2].opcert, NULL,
                                  LATE_POOL.opcert};
    CHECK_EQ_INT(json_array_size(next), 4);
    json_array_foreach(next, i, v)
    {
        for (size_t p = 0; p < STAKED; p++)
            if (opcert[p] &&
                strcmp(json_string_value(json_object_get(v, "party_id")), PARTY[p]) == 0) {
                seen++;
                CHECK_EQ_STR(json_string_value(json_object_get(v, "operational_certificate")),
                             opcert[p]);
                CHECK(json_is_integer(json_object_get(v, "kes_period")));
            }
    }
    json_decref(es);
    CHECK_EQ_INT(seen, 4);
    int stop = sim_stop(&S, 0, NULL);
    CHECK(WIFEXITED(stop) && WEXITSTATUS(stop) == 0);
    /* the switch is off unless asked for: no warning was logged */
    char *log = NULL;
    size_t len = 0;
    CHECK_OK(mtl_read_file(S.log_path, 64 << 20, (uint8_t **)&log, &len));
    CHECK(memmem(log, len, "UNSAFE_allow_skip", 17) == NULL);
    CHECK(memmem(log, len, "Sanitizer", 9) == NULL &&
          memmem(log, len, "runtime error", 13) == NULL);
    mtl_free(log);
}

/* ALLOW_SKIP_SIGNER_CERTIFICATION=true (tests only): loudly logged,
 * credential-less registrations accepted unverified, credentials that are
 * given still checked. */
TEST(skip_switch)
{
    S.extra_env[0] = "ALLOW_SKIP_SIGNER_CERTIFICATION=true";
    CHECK(sim_start(&S) == 0);
    CHECK(sim_wait_epoch(&S, 2) == 0);
    const uint64_t e = KES_NOW - OPCERT_START;
    char *b = sim_register_json(3, PARTY[3], VK[3], NULL, NULL, 0);
    char *resp = NULL;
    CHECK_EQ_INT(post_register(b, &resp), 201);
    free(b);
    free(resp);
    char *bad = tampered_opcert(&POOL[4]), *sig = sim_pool_sign_key(&POOL[4], VK[4], e);
    CHECK(bad && sig);
    b = sim_register_json(3, PARTY[4], VK[4], bad, sig, e);
    CHECK_EQ_INT(post_register(b, &resp), 400);
    free(b);
    free(resp);
    mtl_free(bad);
    mtl_free(sig);
    int stop = sim_stop(&S, 0, NULL);
    CHECK(WIFEXITED(stop) && WEXITSTATUS(stop) == 0);
    char *log = NULL;
    size_t len = 0;
    CHECK_OK(mtl_read_file(S.log_path, 64 << 20, (uint8_t **)&log, &len));
    CHECK(memmem(log, len, "UNSAFE_allow_skip_signer_certification", 38) != NULL);
    CHECK(memmem(log, len, "UNVERIFIED=1", 12) != NULL);
    CHECK(memmem(log, len, "Sanitizer", 9) == NULL &&
          memmem(log, len, "runtime error", 13) == NULL);
    mtl_free(log);
}

int main(void)
{
    if (mtl_init() != MTL_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    int rc = 0;
    for (size_t i = 0; i < NPOOLS && rc == 0; i++) {
        uint8_t seed[32] = {0x1d, (uint8_t)i};
        rc = sim_pool_init(&POOL[i], (uint32_t)i, OPCERT_START) != 0 ||
             mtl_stm_initializer_new(&KEY[i], &PARAMS, 1000, seed) != MTL_OK ||
             mtl_stm_initializer_vk_jsonhex(KEY[i], &VK[i]) != MTL_OK;
        TH_FMT(PARTY[i], "%s", POOL[i].pool_id);
    }
    if (rc || sim_pool_init(&LATE_POOL, 4, KES_NOW + 1) != 0) {
        fprintf(stderr, "pool identities: %s\n", mtl_err_detail());
        return 1;
    }
    RUN(register_with_pool_identity);
    if (S.pid)
        sim_stop(&S, 1, NULL);
    if (!th_failed)
        RUN(skip_switch); /* on the same store, at epoch 2 */
    if (S.pid)
        sim_stop(&S, 1, NULL);
    for (size_t i = 0; i < NPOOLS; i++) {
        sim_pool_clear(&POOL[i]);
        mtl_stm_initializer_free(KEY[i]);
        mtl_free(VK[i]);
    }
    sim_pool_clear(&LATE_POOL);
    int failed = DONE();
    sim_cleanup(&S, failed);
    curl_global_cleanup();
    return failed;
}
