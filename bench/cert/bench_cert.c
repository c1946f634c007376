/* bench_cert.c - time to verify the reference's 43-certificate chain, cold
 * (every certificate checked) and warm (verified-hash cache).
 *   bench_cert [--json] [SHARED_DIR]   (default: $MTL_SHARED_DIR or ../shared) */
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_certs.h"
#include "bench_util.h"
#include "mithril/mithril.h"

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    const char *shared = bench_shared_dir(argc, argv);
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json", shared);
    json_t *certs = json_load_file(p, 0, NULL);
    snprintf(p, sizeof(p), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey", shared);
    uint8_t *vktext, vk[32];
    size_t len;
    mtl_init();
    if (!certs || mtl_read_file(p, 4096, &vktext, &len) != MTL_OK ||
        mtl_genesis_vkey_decode(vk, (char *)vktext) != MTL_OK) {
        printf("bench_cert: reference data not found under %s: skipped\n", shared);
        return 0;
    }
    char cache[] = "/tmp/mtl-bench-cache-XXXXXX";
    int fd = mkstemp(cache);
    close(fd);
    unlink(cache);
    struct mtl_chain_verify_opts o = {.fetch = bench_fetch, .fetch_ctx = certs, .cache_path = cache};
    size_t total = 0, checked;
    double t0 = bench_now();
    const char *h;
    json_t *c;
    json_object_foreach(certs, h, c)
    {
        if (mtl_certificate_chain_verify(h, vk, &o, &checked) != MTL_OK) {
            fprintf(stderr, "bench_cert: %s\n", mtl_err_detail());
            return 1;
        }
        total += checked;
    }
    double cold = bench_now() - t0;
    t0 = bench_now();
    json_object_foreach(certs, h, c) if (mtl_certificate_chain_verify(h, vk, &o, &checked) != MTL_OK) return 1;
    double warm = bench_now() - t0;
    /* a single walk from the newest leaf without any cache */
    struct mtl_chain_verify_opts nocache = {.fetch = bench_fetch, .fetch_ctx = certs};
    t0 = bench_now();
    json_object_foreach(certs, h, c) if (mtl_certificate_chain_verify(h, vk, &nocache, &checked) != MTL_OK) return 1;
    double nocache_all = bench_now() - t0;
    bench_report("reference chain: certificates verified (cold)", (double)total, "count");
    bench_report("reference chain: verify all 43 cold (cache filling)", cold * 1e3, "ms");
    bench_report("reference chain: per certificate cold", cold * 1e3 / (double)total, "ms");
    bench_report("reference chain: verify all 43 warm (cache)", warm * 1e3, "ms");
    bench_report("reference chain: every leaf walked to genesis, no cache", nocache_all * 1e3, "ms");
    unlink(cache);
    mtl_free(vktext);
    json_decref(certs);
    return 0;
}
