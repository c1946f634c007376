/* test_aggregator_follower.c - the follower's certificate chain
 * synchronisation (agg_follower_sync_chain) against a stand-in leader serving
 * a real chain (tests/aggregator/follower_fixture.c: genesis and multi-signed
 * certificates): the whole chain stored, the latest's open message certified;
 * no new fetch while the genesis is the same, one when forced; a tampered
 * certificate, a certificate swapped for another, a leader signed with
 * another genesis key, an epoch gap and an unreachable leader all refused,
 * naming why, with nothing stored. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "follower_fixture.h"
#include "harness.h"

static const struct mtl_stm_params P = {.m = 40, .k = 10, .phi_f = 0.8};
#define NCERTS 6

static struct ff_chain chain;
static struct app_httpd *leader;
static char url[128];

struct follower {
    struct agg a;
    char dir[64];
};

/* A follower of url with an empty store (genesis key vk_text). */
static mtl_err follower_open(struct follower *f, const char *endpoint, const char *vk_text)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test-follower-XXXXXX");
    MTL_CHECK(mkdtemp(f->dir), MTL_ERR_IO, "mkdtemp");
    f->a.cfg.genesis_verification_key = vk_text;
    f->a.cfg.leader_aggregator_endpoint = endpoint;
    MTL_TRY(agg_store_open(&f->a.store, f->dir));
    return agg_follower_new(&f->a.follower, &f->a.cfg);
}

static void follower_close(struct follower *f)
{
    agg_follower_free(f->a.follower);
    agg_store_close(&f->a.store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
}

static int stored_count(struct follower *f)
{
    int n = 0;
    json_t *v;
    const char *h;
    json_object_foreach(chain.by_hash, h, v)
    {
        char *json = NULL;
        if (agg_store_get_certificate(&f->a.store, h, &json) == MTL_OK)
            n++;
        mtl_free(json);
    }
    mtl_err_clear();
    return n;
}

static int store_empty(struct follower *f)
{
    uint64_t e = 0;
    int found = 1;
    return agg_store_latest_epoch(&f->a.store, &e, &found) == MTL_OK && !found;
}

TEST(synchronises_the_whole_chain)
{
    struct follower f;
    CHECK_OK(follower_open(&f, url, chain.vk_text));
    CHECK_OK(agg_follower_sync_chain(&f.a, chain.latest_epoch, 0));
    CHECK_EQ_INT(stored_count(&f), NCERTS);
    uint64_t e = 0;
    int found = 0;
    CHECK_OK(agg_store_latest_epoch(&f.a.store, &e, &found));
    CHECK(found && e == chain.latest_epoch);
    /* the latest's stake distribution is certified: not signed again here */
    char key[64];
    snprintf(key, sizeof(key), "{\"MithrilStakeDistribution\":%llu}",
             (unsigned long long)chain.latest_epoch);
    struct agg_open_message m;
    CHECK_OK(agg_store_open_message_get(&f.a.store, key, &m));
    CHECK(m.is_certified);
    agg_open_message_clear(&m);
    /* the same genesis on both: nothing fetched, even a new leader certificate */
    char latest[MTL_HASH_HEX_BYTES];
    memcpy(latest, chain.latest, sizeof(latest));
    json_t *saved = json_incref(json_object_get(chain.by_hash, chain.latest));
    json_object_del(chain.by_hash, chain.latest); /* would fail if it were fetched */
    CHECK_OK(agg_follower_sync_chain(&f.a, chain.latest_epoch, 0));
    json_object_set_new(chain.by_hash, latest, saved);
    follower_close(&f);
}

TEST(forced_sync_fetches_again)
{
    struct follower f;
    CHECK_OK(follower_open(&f, url, chain.vk_text));
    CHECK_OK(agg_follower_sync_chain(&f.a, chain.latest_epoch, 0));
    /* forced (our own chain has a gap): fetched and checked again; a leader
     * answering nothing now makes it fail, which a skipped fetch would not */
    json_t *saved = json_incref(json_object_get(chain.by_hash, chain.latest));
    json_object_del(chain.by_hash, chain.latest);
    CHECK(agg_follower_sync_chain(&f.a, chain.latest_epoch, 1) != MTL_OK);
    json_object_set_new(chain.by_hash, chain.latest, saved);
    CHECK_OK(agg_follower_sync_chain(&f.a, chain.latest_epoch, 1));
    CHECK_EQ_INT(stored_count(&f), NCERTS);
    follower_close(&f);
}

/* The certificate before the latest, served as `text` (NULL: the genuine). */
static char victim[MTL_HASH_HEX_BYTES];
static json_t *genuine;

static void serve_victim(const char *text)
{
    json_object_set_new(chain.by_hash, victim, text ? json_string(text) : json_incref(genuine));
}

/* A fresh follower refuses the leader's chain; the reason names want. */
static void refused(const char *what, const char *want)
{
    struct follower f;
    CHECK_OK(follower_open(&f, url, chain.vk_text));
    mtl_err e = agg_follower_sync_chain(&f.a, chain.latest_epoch, 0);
    if (e == MTL_OK || !strstr(mtl_err_detail(), want) ||
        !strstr(mtl_err_detail(), "does not verify"))
        printf("  %s: err %d detail \"%s\"\n", what, (int)e, mtl_err_detail());
    CHECK(e != MTL_OK);
    CHECK(strstr(mtl_err_detail(), want) != NULL);
    CHECK(store_empty(&f));
    follower_close(&f);
}

TEST(tampered_certificate_refused)
{
    json_t *j = json_loads(json_string_value(genuine), 0, NULL);
    CHECK(j);
    /* one digit of its signed message: content no longer hashes to it */
    char *sm = mtl_strdup(json_string_value(json_object_get(j, "signed_message")));
    sm[0] = sm[0] == '0' ? '1' : '0';
    json_object_set_new(j, "signed_message", json_string(sm));
    char *t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    serve_victim(t);
    refused("tampered", victim);
    /* the genesis certificate instead of it */
    serve_victim(json_string_value(json_object_get(chain.by_hash, chain.genesis)));
    refused("swapped", victim);
    serve_victim(NULL);
    free(t);
    mtl_free(sm);
    json_decref(j);
}

TEST(other_genesis_key_refused)
{
    struct follower f;
    uint8_t sk[MTL_GENESIS_SK_BYTES], vk[MTL_GENESIS_VK_BYTES];
    char *other = NULL;
    mtl_genesis_keypair(sk, vk);
    mtl_memzero(sk, sizeof(sk));
    CHECK_OK(mtl_genesis_key_encode(&other, vk));
    CHECK_OK(follower_open(&f, url, other));
    mtl_err e = agg_follower_sync_chain(&f.a, chain.latest_epoch, 0);
    CHECK(e != MTL_OK);
    CHECK(strstr(mtl_err_detail(), chain.genesis) != NULL);
    CHECK(store_empty(&f));
    follower_close(&f);
    mtl_free(other);
}

TEST(epoch_gap_and_unreachable_leader)
{
    struct follower f;
    CHECK_OK(follower_open(&f, url, chain.vk_text));
    CHECK(agg_follower_sync_chain(&f.a, chain.latest_epoch + 2, 0) == MTL_ERR_CHAIN);
    CHECK(strstr(mtl_err_detail(), "epoch gap") != NULL);
    CHECK(store_empty(&f));
    follower_close(&f);
    CHECK_OK(follower_open(&f, "http://127.0.0.1:1/aggregator", chain.vk_text));
    CHECK(agg_follower_sync_chain(&f.a, chain.latest_epoch, 0) == MTL_ERR_HTTP);
    CHECK(store_empty(&f));
    follower_close(&f);
}

TEST(config_needs_genesis_key_and_url)
{
    struct agg_config c;
    struct agg_follower *fl = NULL;
    memset(&c, 0, sizeof(c));
    c.genesis_verification_key = "";
    c.leader_aggregator_endpoint = url;
    CHECK(agg_follower_new(&fl, &c) == MTL_ERR_CONFIG);
    CHECK(strstr(mtl_err_detail(), "GENESIS_VERIFICATION_KEY") != NULL);
    c.genesis_verification_key = chain.vk_text;
    c.leader_aggregator_endpoint = "ftp://leader";
    CHECK(agg_follower_new(&fl, &c) == MTL_ERR_CONFIG);
    CHECK(strstr(mtl_err_detail(), "LEADER_AGGREGATOR_ENDPOINT") != NULL);
    CHECK(fl == NULL);
}

int main(void)
{
    if (mtl_init() != MTL_OK || ff_chain_make(&chain, NCERTS, 12, &P, NULL) != MTL_OK ||
        ff_leader_start(&leader, &chain, url) != MTL_OK) {
        printf("fixture: %s\n", mtl_err_detail());
        return 1;
    }
    json_t *latest =
        json_loads(json_string_value(json_object_get(chain.by_hash, chain.latest)), 0, NULL);
    snprintf(victim, sizeof(victim), "%s",
             json_string_value(json_object_get(latest, "previous_hash")));
    json_decref(latest);
    genuine = json_incref(json_object_get(chain.by_hash, victim));
    RUN(synchronises_the_whole_chain);
    RUN(forced_sync_fetches_again);
    RUN(tampered_certificate_refused);
    RUN(other_genesis_key_refused);
    RUN(epoch_gap_and_unreachable_leader);
    RUN(config_needs_genesis_key_and_url);
    app_httpd_stop(leader);
    json_decref(genuine);
    ff_chain_clear(&chain);
    return DONE();
}
