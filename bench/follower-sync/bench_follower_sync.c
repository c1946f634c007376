/* bench_follower_sync.c - how long a follower aggregator takes to
 * synchronise a leader's chain: NCERTS certificates (genesis, then one
 * multi-signed certificate per epoch) of NSIGNERS signers, served over HTTP
 * by a stand-in leader; the follower fetches them (a fetcher thread ahead of
 * the walk), verifies every one with libmithril's chain walk and stores them
 * from genesis up (agg_follower_sync_chain). The chain is made once and kept
 * in follower-sync-chain.json next to the program (tests/aggregator/
 * follower_fixture.c makes it). Figures: the whole synchronisation,
 * the walk alone over the chain in memory (verification only), the
 * difference (fetching and storing that verification does not hide), and
 * the CPU time of the verifying thread (what the machine's load does not
 * stretch).
 *   bench_follower_sync [--json] [--certs N] [--signers N] */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "bench_util.h"
#include "common/common_int.h"
#include "follower_fixture.h"

static const struct mtl_stm_params P = {.m = 105, .k = 70, .phi_f = 0.95}; /* the devnet's */

/* CPU time of this thread (s): a figure the machine's load does not stretch. */
static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_follower_sync: %s: %s\n", what, mtl_err_detail());
    exit(1);
}

static void made(size_t done)
{
    fprintf(stderr, "bench_follower_sync: made %zu certificates\n", done);
}

/* The chain of the cache file when it has these sizes, else a new one saved. */
static void load_chain(struct ff_chain *ch, size_t ncerts, size_t nsigners)
{
    char path[4096];
    bench_build_path(path, sizeof(path), "bench/follower-sync-chain.json");
    json_t *f = json_load_file(path, 0, NULL);
    memset(ch, 0, sizeof(*ch));
    if (f && (size_t)json_integer_value(json_object_get(f, "certs")) == ncerts &&
        (size_t)json_integer_value(json_object_get(f, "signers")) == nsigners) {
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
    if (ff_chain_make(ch, ncerts, nsigners, &P, made) != MTL_OK)
        die("making the chain");
    bench_report("follower_sync.chain_made_once_s", bench_now() - t0, "s");
    f = json_pack("{s:I,s:I,s:s,s:s,s:I,s:s,s:O}", "certs", (json_int_t)ncerts, "signers",
                  (json_int_t)nsigners, "genesis", ch->genesis, "latest", ch->latest,
                  "latest_epoch", (json_int_t)ch->latest_epoch, "genesis_vk", ch->vk_text, "chain",
                  ch->by_hash);
    if (!f || json_dump_file(f, path, JSON_COMPACT) != 0)
        fprintf(stderr, "bench_follower_sync: could not save %s (made again next time)\n", path);
    json_decref(f);
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
    struct ff_chain ch;
    load_chain(&ch, ncerts, nsigners);
    uint8_t vk[MTL_GENESIS_VK_BYTES];
    if (mtl_genesis_vkey_decode(vk, ch.vk_text) != MTL_OK)
        die("genesis key");

    /* Verification alone: the walk over the chain in memory. */
    struct mtl_chain_verify_opts o = {.fetch = ff_memory_fetch, .fetch_ctx = ch.by_hash};
    size_t checked = 0;
    double t0 = bench_now(), c0 = thread_cpu();
    if (mtl_certificate_chain_verify(ch.latest, vk, &o, &checked) != MTL_OK)
        die("chain verify");
    double verify_s = bench_now() - t0, verify_cpu = thread_cpu() - c0;

    /* The follower: HTTP fetches, verification, storage. */
    struct app_httpd *h = NULL;
    char url[128], dir[] = "/tmp/bench-follower-XXXXXX";
    if (ff_leader_start(&h, &ch, url) != MTL_OK)
        die("leader server");
    if (!mkdtemp(dir))
        die("temporary directory");
    struct agg *a = mtl_calloc(1, sizeof(*a));
    if (!a)
        die("out of memory");
    a->cfg.genesis_verification_key = ch.vk_text;
    a->cfg.leader_aggregator_endpoint = url;
    if (agg_store_open(&a->store, dir) != MTL_OK ||
        agg_follower_new(&a->follower, &a->cfg) != MTL_OK)
        die("follower");
    t0 = bench_now();
    c0 = thread_cpu();
    mtl_err e = agg_follower_sync_chain(a, ch.latest_epoch, 0);
    double sync_s = bench_now() - t0, sync_cpu = thread_cpu() - c0;
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
    bench_report("follower_sync.verify_only_cpu_s", verify_cpu, "s");
    bench_report("follower_sync.walk_and_store_thread_cpu_s", sync_cpu, "s");
    ff_chain_clear(&ch);
    return checked == ncerts ? 0 : 1;
}
