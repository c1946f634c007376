/* bench_snapshotter.c - the Cardano Database v2 snapshotter on a simulated
 * DB (restore_fixture's compressible chunks + a ledger snapshot): time and
 * throughput of a first artifact (every immutable archive written and
 * verified), of a second one (archives reused), compression ratio, and
 * `tar -c | zstd -9` on the same files as a baseline.
 *   bench_snapshotter [--size-gb X (default 0.1)] [--threads N] [--json] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "mithril/certificate.h"
#include "mithril/util.h"
#include "restore_fixture.h"
#include "snapshotter.h"

#define CHUNK_BYTES (8u << 20)

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static uint64_t du(const char *dir)
{
    char cmd[600];
    int n = snprintf(cmd, sizeof(cmd), "du -sb --apparent-size %s | cut -f1", dir);
    FILE *p = n > 0 && (size_t)n < sizeof(cmd) ? popen(cmd, "r") : NULL;
    unsigned long long v = 0;
    if (p) {
        if (fscanf(p, "%llu", &v) != 1)
            v = 0;
        pclose(p);
    }
    return v;
}

static int sha_file(const char *path, char hex[65], uint64_t *size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    static uint8_t buf[1 << 20];
    ssize_t n;
    uint8_t md[32];
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        EVP_DigestUpdate(c, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    close(fd);
    unsigned l;
    EVP_DigestFinal_ex(c, md, &l);
    EVP_MD_CTX_free(c);
    return mtl_hex_encode(hex, 65, md, 32) == MTL_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    double gb = 0.1;
    int threads = 0;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--size-gb"))
            gb = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
    }
    mtl_init();
    char root[] = "/tmp/bench_snapshotter.XXXXXX";
    if (!mkdtemp(root))
        return 1;
    char db[300], out[300], p[2000];
    snprintf(db, sizeof(db), "%s/db", root);
    snprintf(out, sizeof(out), "%s/out", root);
    uint64_t n = (uint64_t)(gb * 1e9 / CHUNK_BYTES);
    if (n < 2)
        n = 2;
    /* trios 0..n complete, n+1 in progress */
    if (fixture_make_db(db, n + 1, CHUNK_BYTES) != MTL_OK) {
        fprintf(stderr, "fixture: %s\n", mtl_err_detail());
        return 1;
    }
    int len = snprintf(p, sizeof(p),
                       "mkdir -p %s/ledger/1000 && echo -n '{\"backend\":\"utxohd-mem\"}' > "
                       "%s/ledger/1000/meta && head -c 20000000 %s/immutable/00001.chunk > "
                       "%s/ledger/1000/state && "
                       "head -c 30000000 %s/immutable/00002.chunk > %s/ledger/1000/tables",
                       db, db, db, db, db, db);
    if (len < 0 || (size_t)len >= sizeof(p) || system(p) != 0)
        return 1;
    struct mtl_db_digests d = {0};
    d.count = 3 * (n + 1);
    d.files = calloc(d.count, sizeof(*d.files));
    static const char *ext[] = {"chunk", "primary", "secondary"};
    for (uint64_t i = 0; i <= n; i++)
        for (int k = 0; k < 3; k++) {
            struct mtl_file_digest *f = &d.files[i * 3 + (uint64_t)k];
            f->number = i;
            snprintf(f->name, sizeof(f->name), "%05llu.%s", (unsigned long long)i, ext[k]);
            snprintf(p, sizeof(p), "%s/immutable/%s", db, f->name);
            if (sha_file(p, f->digest, &d.total_bytes) != 0)
                return 1;
        }
    memset(d.merkle_root, 'a', 64); /* not checked by the snapshotter */
    uint8_t sk[32], vk[32];
    mtl_genesis_keypair(sk, vk);
    struct snap_config c = {.db_dir = db,
                            .out_dir = out,
                            .base_url = "http://127.0.0.1:8080/aggregator",
                            .network = "devnet",
                            .zstd_level = 9,
                            .ancillary_sk = sk,
                            .cardano_node_version = "10.5.1",
                            .zstd_threads = threads};
    char *json = NULL, hash[65];
    double t0 = bench_now();
    if (snap_cardano_database(&c, 10, n, &d, "00", &json, hash) != MTL_OK) {
        fprintf(stderr, "snapshotter: %s\n", mtl_err_detail());
        return 1;
    }
    double t1 = bench_now();
    mtl_free(json);
    if (snap_cardano_database(&c, 10, n, &d, "00", &json, hash) != MTL_OK)
        return 1;
    double t2 = bench_now();
    mtl_free(json);
    snprintf(p, sizeof(p), "%s/immutable", out);
    uint64_t comp = du(p);
    double mb = (double)d.total_bytes / 1e6;
    bench_report("snapshotter immutables archived (MB)", mb, "MB");
    bench_report("snapshotter first artifact (all archives + ancillary ~17 MB)", t1 - t0, "s");
    bench_report("snapshotter immutables throughput (incl. verify)", mb / (t1 - t0), "MB/s");
    bench_report("snapshotter compression ratio (zstd 9)", (double)d.total_bytes / (double)comp,
                 "x");
    bench_report("snapshotter second artifact (archives reused)", t2 - t1, "s");
    /* baseline: one tar | zstd -9 stream of the same immutable files, no verify */
    snprintf(p, sizeof(p), "cd %s && tar -cf - immutable | zstd -9 -q -T%d > %s/baseline.tar.zst",
             db, threads > 1 ? threads : 1, root);
    double t3 = bench_now();
    if (system(p) == 0)
        bench_report("baseline tar | zstd -9 (one stream, no verify)", bench_now() - t3, "s");
    free(d.files);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
