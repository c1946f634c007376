/* bench_follower_sync.c - how long a follower aggregator takes to
 * synchronise a leader's chain: NCERTS certificates (genesis, then one
 * multi-signed certificate per epoch) of NSIGNERS signers, served over HTTP
 * by a stand-in leader; the follower fetches them (a fetcher thread ahead of
 * the walk), verifies every one with libmithril's chain walk and stores them
 * from genesis up (agg_follower_sync_chain). The chain is made once and kept
 * in follower-sync-chain.json next to the program (making it signs ~100
 * single signatures per certificate). Figures: the whole synchronisation,
 * the walk alone over the chain in memory (verification only), and the
 * difference (fetching and storing that verification does not hide).
 *   bench_follower_sync [--json] [--certs N] [--signers N] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "bench_util.h"
#include "common/common_int.h"
#include "httpd.h"
#include "mithril/mithril.h"

static const struct mtl_stm_params P = {.m = 105, .k = 70, .phi_f = 0.95}; /* the devnet's */

struct chain {
    json_t *by_hash; /* hash -> certificate JSON text */
    char genesis[MTL_HASH_HEX_BYTES], latest[MTL_HASH_HEX_BYTES];
    uint64_t latest_epoch;
    char *vk_text; /* genesis verification key, JSON-hex */
};

static void die(const char *what)
{
    fprintf(stderr, "bench_follower_sync: %s: %s\n", what, mtl_err_detail());
    exit(1);
}

/* ---- making the chain ----------------------------------------------------------- */

static void put(struct chain *ch, struct mtl_certificate *c)
{
    char *json = NULL;
    if (mtl_certificate_to_json(c, &json) != MTL_OK)
        die("certificate JSON");
    json_object_set_new(ch->by_hash, mtl_certificate_hash(c), json_string(json));
    snprintf(ch->latest, sizeof(ch->latest), "%s", mtl_certificate_hash(c));
    ch->latest_epoch = mtl_certificate_epoch(c);
    mtl_free(json);
}

/* Certificate of epoch e chained to prev, signed by as few signers as reach
 * the quorum, largest stakes first (signatures made here need no check). */
static struct mtl_certificate *signed_cert(uint64_t e, const char *prev,
                                           struct mtl_stm_initializer **init, size_t n,
                                           const struct mtl_stm_closed_reg *closed,
                                           const char *avk)
{
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = e};
    struct mtl_signed_entity_view v = {.next_avk = avk, .next_params = &P};
    struct mtl_protocol_message *pm = NULL;
    if (mtl_signed_entity_message(&pm, &t, &v) != MTL_OK)
        die("protocol message");
    char sm[MTL_HASH_HEX_BYTES], *ms = NULL;
    mtl_protocol_message_hash(pm, sm);
    char **sigs = mtl_calloc(n, sizeof(char *));
    struct mtl_party_stake *st = mtl_calloc(n, sizeof(*st));
    char(*names)[40] = mtl_calloc(n, sizeof(*names));
    size_t ns = 0, won_total = 0;
    for (size_t i = 0; i < n && !ms; i++) {
        size_t won = 0;
        if (mtl_stm_sign(init[i], closed, (const uint8_t *)sm, 64, &sigs[ns], &won) != MTL_OK)
            continue;
        snprintf(names[ns], sizeof(names[ns]), "pool1bench%zu", i);
        st[ns].party_id = names[ns];
        st[ns].stake = mtl_stm_initializer_stake(init[i]);
        ns++;
        won_total += won;
        if (won_total >= P.k + P.k / 4 &&
            mtl_stm_aggregate_preverified_jsonhex(closed, &P, (const char *const *)sigs, ns,
                                                  (const uint8_t *)sm, 64, &ms) != MTL_OK)
            mtl_err_clear();
    }
    if (!ms)
        die("no quorum");
    struct mtl_certificate_params cp = {.previous_hash = prev,
                                        .epoch = e,
                                        .signed_entity = t,
                                        .network = "devnet",
                                        .version = "0.1.0",
                                        .params = P,
                                        .initiated_at_ns = 1700000000000000000LL + (int64_t)e,
                                        .sealed_at_ns = 1700000000000000000LL + (int64_t)e * 2,
                                        .signers = st,
                                        .nsigners = ns,
                                        .message = pm,
                                        .avk_jsonhex = avk,
                                        .multisig_jsonhex = ms};
    struct mtl_certificate *c = NULL;
    if (mtl_certificate_build(&c, &cp) != MTL_OK)
        die("certificate");
    for (size_t i = 0; i < ns; i++)
        mtl_free(sigs[i]);
    mtl_free(sigs);
    mtl_free(st);
    mtl_free(names);
    mtl_free(ms);
    mtl_protocol_message_free(pm);
    return c;
}

/* Genesis of epoch 1, then epochs 2..ncerts, the same signers throughout. */
static void make_chain(struct chain *ch, size_t ncerts, size_t nsigners)
{
    struct mtl_stm_initializer **init = mtl_calloc(nsigners, sizeof(*init));
    struct mtl_stm_keyreg *reg = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    char *avk = NULL;
    if (!init || mtl_stm_keyreg_new(&reg) != MTL_OK)
        die("keys");
    for (size_t i = 0; i < nsigners; i++) {
        char *vk = NULL;
        /* Skewed like a real distribution: stake 1/(i+1), a few pools hold most. */
        if (mtl_stm_initializer_new(&init[i], &P, 1000000000000 / (i + 1), NULL) != MTL_OK ||
            mtl_stm_initializer_vk_jsonhex(init[i], &vk) != MTL_OK ||
            mtl_stm_keyreg_register_jsonhex(reg, mtl_stm_initializer_stake(init[i]), vk) != MTL_OK)
            die("registration");
        mtl_free(vk);
    }
    if (mtl_stm_keyreg_close(reg, &closed) != MTL_OK ||
        mtl_stm_closed_reg_avk_jsonhex(closed, &avk) != MTL_OK)
        die("closed registration");
    uint8_t sk[MTL_GENESIS_SK_BYTES], vk[MTL_GENESIS_VK_BYTES];
    mtl_genesis_keypair(sk, vk);
    if (mtl_genesis_key_encode(&ch->vk_text, vk) != MTL_OK)
        die("genesis key");
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = 1};
    struct mtl_signed_entity_view v = {.next_avk = avk, .next_params = &P};
    struct mtl_protocol_message *pm = NULL;
    struct mtl_certificate *c = NULL;
    if (mtl_signed_entity_message(&pm, &t, &v) != MTL_OK)
        die("genesis message");
    struct mtl_certificate_params cp = {.previous_hash = "",
                                        .epoch = 1,
                                        .signed_entity = t,
                                        .network = "devnet",
                                        .version = "0.1.0",
                                        .params = P,
                                        .initiated_at_ns = 1700000000000000000LL,
                                        .sealed_at_ns = 1700000000000000000LL,
                                        .message = pm,
                                        .avk_jsonhex = avk,
                                        .genesis_sk = sk};
    if (mtl_certificate_build(&c, &cp) != MTL_OK)
        die("genesis certificate");
    mtl_memzero(sk, sizeof(sk));
    mtl_protocol_message_free(pm);
    put(ch, c);
    snprintf(ch->genesis, sizeof(ch->genesis), "%s", mtl_certificate_hash(c));
    for (uint64_t e = 2; e <= ncerts; e++) {
        struct mtl_certificate *next = signed_cert(e, mtl_certificate_hash(c), init, nsigners,
                                                   closed, avk);
        mtl_certificate_free(c);
        c = next;
        put(ch, c);
        if (e % 50 == 0)
            fprintf(stderr, "bench_follower_sync: made %llu of %zu certificates\n",
                    (unsigned long long)e, ncerts);
    }
    mtl_certificate_free(c);
    for (size_t i = 0; i < nsigners; i++)
        mtl_stm_initializer_free(init[i]);
    mtl_free(init);
    mtl_stm_keyreg_free(reg);
    mtl_stm_closed_reg_free(closed);
    mtl_free(avk);
}

/* The chain of the cache file when it has these sizes, else a new one saved. */
static void load_chain(struct chain *ch, size_t ncerts, size_t nsigners)
{
    char path[4096];
    bench_build_path(path, sizeof(path), "bench/follower-sync-chain.json");
    json_t *f = json_load_file(path, 0, NULL);
    ch->by_hash = json_object();
    if (f && (size_t)json_integer_value(json_object_get(f, "certs")) == ncerts &&
        (size_t)json_integer_value(json_object_get(f, "signers")) == nsigners) {
        json_decref(ch->by_hash);
        ch->by_hash = json_incref(json_object_get(f, "chain"));
        snprintf(ch->genesis, sizeof(ch->genesis), "%s",
                 json_string_value(json_object_get(f, "genesis")));
        snprintf(ch->latest, sizeof(ch->latest), "%s",
                 json_string_value(json_object_get(f, "latest")));
        ch->latest_epoch = (uint64_t)json_integer_value(json_object_get(f, "latest_epoch"));
        ch->vk_text = mtl_strdup(json_string_value(json_object_get(f, "genesis_vk")));
        json_decref(f);
        return;
    }
    json_decref(f);
    double t0 = bench_now();
    make_chain(ch, ncerts, nsigners);
    bench_report("follower_sync.chain_made_once_s", bench_now() - t0, "s");
    f = json_pack("{s:I,s:I,s:s,s:s,s:I,s:s,s:O}", "certs", (json_int_t)ncerts, "signers",
                  (json_int_t)nsigners, "genesis", ch->genesis, "latest", ch->latest,
                  "latest_epoch", (json_int_t)ch->latest_epoch, "genesis_vk", ch->vk_text,
                  "chain", ch->by_hash);
    if (!f || json_dump_file(f, path, JSON_COMPACT) != 0)
        fprintf(stderr, "bench_follower_sync: could not save %s (made again next time)\n", path);
    json_decref(f);
}

/* ---- the stand-in leader ------------------------------------------------------------ */

static void leader_routes(void *ctx, const char *method, const char *path, const char *body,
                          size_t len, struct app_http_response *r)
{
    struct chain *ch = ctx;
    (void)method, (void)body, (void)len;
    const char *text = NULL;
    char *list = NULL;
    if (strcmp(path, "/aggregator/certificates") == 0) {
        json_t *l = json_pack("[{s:s,s:I}]", "hash", ch->latest, "epoch",
                              (json_int_t)ch->latest_epoch);
        char *s = json_dumps(l, JSON_COMPACT);
        json_decref(l);
        list = s ? mtl_strdup(s) : NULL;
        free(s);
        text = list;
    } else if (strcmp(path, "/aggregator/certificate/genesis") == 0)
        text = json_string_value(json_object_get(ch->by_hash, ch->genesis));
    else if (strncmp(path, "/aggregator/certificate/", 24) == 0)
        text = json_string_value(json_object_get(ch->by_hash, path + 24));
    if (text)
        app_http_json(r, 200, text);
    else
        app_http_error(r, 404, "not_found", "%s", path);
    mtl_free(list);
}

static mtl_err memory_fetch(void *ctx, const char *hash, char **json, size_t *len)
{
    const char *t = json_string_value(json_object_get((json_t *)ctx, hash));
    if (!t)
        return mtl_seterr(MTL_ERR_NOT_FOUND, "no %s", hash);
    *json = mtl_strdup(t);
    *len = strlen(t);
    return *json ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
}

int main(int argc, char **argv)
{
    size_t ncerts = 500, nsigners = 300;
    bench_parse_args(argc, argv);
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--certs") == 0)
            ncerts = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--signers") == 0)
            nsigners = strtoul(argv[i + 1], NULL, 10);
    }
    if (mtl_init() != MTL_OK || ncerts < 2 || nsigners < 1)
        die("init");
    struct chain ch;
    memset(&ch, 0, sizeof(ch));
    load_chain(&ch, ncerts, nsigners);
    uint8_t vk[MTL_GENESIS_VK_BYTES];
    if (mtl_genesis_vkey_decode(vk, ch.vk_text) != MTL_OK)
        die("genesis key");

    /* Verification alone: the walk over the chain in memory. */
    struct mtl_chain_verify_opts o = {.fetch = memory_fetch, .fetch_ctx = ch.by_hash};
    size_t checked = 0;
    double t0 = bench_now();
    if (mtl_certificate_chain_verify(ch.latest, vk, &o, &checked) != MTL_OK)
        die("chain verify");
    double verify_s = bench_now() - t0;

    /* The follower: HTTP fetches, verification, storage. */
    struct app_httpd *h = NULL;
    if (app_httpd_start(&h, "127.0.0.1", 0, 4096, leader_routes, &ch) != MTL_OK)
        die("leader server");
    char url[128], dir[] = "/tmp/bench-follower-XXXXXX";
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/aggregator", (unsigned)app_httpd_port(h));
    if (!mkdtemp(dir))
        die("temporary directory");
    struct agg *a = mtl_calloc(1, sizeof(*a));
    if (!a)
        die("out of memory");
    a->cfg.genesis_verification_key = ch.vk_text;
    a->cfg.leader_aggregator_endpoint = url;
    if (agg_store_open(&a->store, dir) != MTL_OK || agg_follower_new(&a->follower, &a->cfg) != MTL_OK)
        die("follower");
    t0 = bench_now();
    mtl_err e = agg_follower_sync_chain(a, ch.latest_epoch, 0);
    double sync_s = bench_now() - t0;
    if (e != MTL_OK)
        die("synchronisation");
    uint64_t last = 0;
    int found = 0;
    if (agg_store_latest_epoch(&a->store, &last, &found) != MTL_OK || !found ||
        last != ch.latest_epoch)
        die("the follower's store does not end at the leader's latest epoch");
    agg_follower_free(a->follower);
    agg_store_close(&a->store);
    mtl_free(a);
    app_httpd_stop(h);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_follower_sync: could not remove %s\n", dir);

    if (!bench_json)
        printf("follower sync: %zu certificates, %zu signers, k=%llu m=%llu\n", ncerts, nsigners,
               (unsigned long long)P.k, (unsigned long long)P.m);
    bench_report("follower_sync.total_s (goal < 20)", sync_s, "s");
    bench_report("follower_sync.per_certificate_ms", sync_s * 1000 / (double)ncerts, "ms");
    bench_report("follower_sync.verify_only_s (walk in memory)", verify_s, "s");
    bench_report("follower_sync.verify_share", verify_s / sync_s, "ratio");
    bench_report("follower_sync.fetch_store_overhead_s", sync_s - verify_s, "s");
    json_decref(ch.by_hash);
    mtl_free(ch.vk_text);
    return checked == ncerts ? 0 : 1;
}
