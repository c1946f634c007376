/* bench_digest.c - Cardano DB digest throughput (libmithril
 * mtl_cardano_db_digest) on a generated DB of ~26 MB chunk files, against
 * OpenSSL's own SHA-256 speed measured in the same run.
 *
 *   bench_digest [--json] [--quick] [--size-gb G]
 *
 * Default ~4 GB (--quick ~256 MB), created in a temp dir under $BENCH_DIR or
 * /tmp and removed at the end. Figures: full digest GB/s with 1 and 2 threads
 * "cold" (pages dropped with fdatasync + POSIX_FADV_DONTNEED, residency
 * measured with mincore) and "hot" (in page cache), then the incremental
 * time with a filled digest cache when one new ~26 MB trio is added, and
 * `openssl speed -evp sha256` (16384-byte column) per core. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "mithril/mithril.h"

#define CHUNK_BYTES (26u * 1000u * 1000u)
#define PRIMARY_BYTES 86409u   /* 1 + 4 * (21600 + 2): a final mainnet primary index */
#define SECONDARY_BYTES 56000u /* ~1000 blocks of 56-byte entries */
#define TRIO_BYTES ((uint64_t)CHUNK_BYTES + PRIMARY_BYTES + SECONDARY_BYTES)
#define WBLOCK (1u << 20)

static char g_dir[4096], g_imm[4200];
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static void fill_random(uint8_t *b, size_t n)
{
    /* xorshift64*: fast, incompressible enough for hashing */
    for (size_t i = 0; i + 8 <= n; i += 8) {
        g_rng ^= g_rng >> 12;
        g_rng ^= g_rng << 25;
        g_rng ^= g_rng >> 27;
        uint64_t v = g_rng * 0x2545f4914f6cdd1dull;
        memcpy(b + i, &v, 8);
    }
}

static int write_file(const char *path, uint64_t size, uint8_t *buf)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    uint64_t left = size;
    while (left > 0) {
        size_t n = left < WBLOCK ? (size_t)left : WBLOCK;
        fill_random(buf, WBLOCK);
        if (write(fd, buf, n) != (ssize_t)n) {
            close(fd);
            return -1;
        }
        left -= n;
    }
    return close(fd);
}

static int write_trio(unsigned k, uint8_t *buf)
{
    static const char *ext[] = {"chunk", "primary", "secondary"};
    static const uint64_t sz[] = {CHUNK_BYTES, PRIMARY_BYTES, SECONDARY_BYTES};
    for (int e = 0; e < 3; e++) {
        char p[4400];
        snprintf(p, sizeof(p), "%s/%05u.%s", g_imm, k, ext[e]);
        if (write_file(p, sz[e], buf) != 0) {
            fprintf(stderr, "bench_digest: writing %s: %s\n", p, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Write back and drop (drop=1) or only measure (drop=0) the page cache of
 * the immutable files numbered from..upto; returns the resident fraction before
 * dropping. */
static double page_cache(int drop, uint64_t from, uint64_t upto)
{
    struct mtl_immutable_list l;
    if (mtl_immutable_list_all(g_dir, &l) != MTL_OK)
        return -1;
    uint64_t pages = 0, resident = 0;
    long psz = sysconf(_SC_PAGESIZE);
    unsigned char *vec = malloc(CHUNK_BYTES / (size_t)psz + 2);
    for (size_t i = 0; i < l.count && l.files[i].number <= upto; i++) {
        if (l.files[i].number < from)
            continue;
        int fd = open(l.files[i].path, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        size_t np = ((size_t)st.st_size + (size_t)psz - 1) / (size_t)psz;
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (m != MAP_FAILED && vec && np <= CHUNK_BYTES / (size_t)psz + 2 &&
            mincore(m, (size_t)st.st_size, vec) == 0)
            for (size_t p = 0; p < np; p++)
                resident += vec[p] & 1;
        if (m != MAP_FAILED)
            munmap(m, (size_t)st.st_size);
        pages += np;
        if (drop) {
            fdatasync(fd);
            posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        }
        close(fd);
    }
    free(vec);
    mtl_immutable_list_free(&l);
    return pages ? (double)resident / (double)pages : 0;
}

/* Read a trio's files (puts them in page cache). */
static void read_trio(unsigned k, uint8_t *buf)
{
    static const char *ext[] = {"chunk", "primary", "secondary"};
    for (int e = 0; e < 3; e++) {
        char p[4400];
        snprintf(p, sizeof(p), "%s/%05u.%s", g_imm, k, ext[e]);
        int fd = open(p, O_RDONLY);
        if (fd < 0)
            continue;
        while (read(fd, buf, WBLOCK) > 0)
            ;
        close(fd);
    }
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* `openssl speed -seconds 2 -evp sha256`: bytes/s of the 16384-byte column. */
static double openssl_sha256_speed(void)
{
    FILE *f = popen("openssl speed -seconds 2 -evp sha256 2>/dev/null", "r");
    if (!f)
        return 0;
    char line[512];
    double v = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "sha256", 6) != 0 && strncmp(line, "SHA256", 6) != 0)
            continue;
        /* last field, e.g. "1790534.73k" (1000s of bytes per second) */
        char *last = NULL, *save = NULL;
        for (char *t = strtok_r(line, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
            last = t;
        if (last)
            v = strtod(last, NULL) * (strchr(last, 'k') ? 1000.0 : 1.0);
    }
    pclose(f);
    return v;
}

struct run {
    double secs;
    double cpu; /* user + system seconds of all threads */
    uint64_t bytes;
    size_t hashed;
};

static int digest_run(uint64_t n, unsigned threads, struct mtl_digest_cache *cache, struct run *r)
{
    struct mtl_digest_opts o = {
        .network = "mainnet", .epoch = 1, .threads = threads, .cache = cache};
    struct mtl_db_digests d;
    struct rusage u0, u1;
    getrusage(RUSAGE_SELF, &u0);
    double t0 = bench_now();
    mtl_err e = mtl_cardano_db_digest(g_dir, n, &o, &d);
    r->secs = bench_now() - t0;
    getrusage(RUSAGE_SELF, &u1);
    r->cpu = (double)(u1.ru_utime.tv_sec - u0.ru_utime.tv_sec) +
             (double)(u1.ru_utime.tv_usec - u0.ru_utime.tv_usec) / 1e6 +
             (double)(u1.ru_stime.tv_sec - u0.ru_stime.tv_sec) +
             (double)(u1.ru_stime.tv_usec - u0.ru_stime.tv_usec) / 1e6;
    if (e != MTL_OK) {
        fprintf(stderr, "bench_digest: digest failed: %s\n", mtl_err_detail());
        return -1;
    }
    r->bytes = d.total_bytes;
    r->hashed = d.hashed;
    mtl_db_digests_free(&d);
    return 0;
}

int main(int argc, char **argv)
{
    bench_parse_args(argc, argv);
    double size_gb = 4.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            size_gb = 0.256;
        else if (strcmp(argv[i], "--size-gb") == 0 && i + 1 < argc)
            size_gb = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--help") == 0) {
            puts("bench_digest [--json] [--quick] [--size-gb G]  (temp DB under $BENCH_DIR or "
                 "/tmp)");
            return 0;
        }
    }
    if (size_gb <= 0 || size_gb > 1000) {
        fprintf(stderr, "bench_digest: --size-gb: expected 0..1000\n");
        return 2;
    }
    if (mtl_init() != MTL_OK)
        return 1;
    const char *base = getenv("BENCH_DIR");
    snprintf(g_dir, sizeof(g_dir), "%s/mtl-bench-digest-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(g_dir)) {
        fprintf(stderr, "bench_digest: mkdtemp %s: %s\n", g_dir, strerror(errno));
        return 1;
    }
    snprintf(g_imm, sizeof(g_imm), "%s/immutable", g_dir);
    mkdir(g_imm, 0755);
    int rc = 1;
    uint8_t *buf = malloc(WBLOCK);
    unsigned trios = (unsigned)(size_gb * 1e9 / (double)TRIO_BYTES + 0.5);
    if (trios < 2)
        trios = 2;
    /* trios 0..trios-1 complete, trio `trios` being written (full size too) */
    double t0 = bench_now();
    for (unsigned k = 0; buf && k <= trios; k++)
        if (write_trio(k, buf) != 0)
            goto out;
    double gen = bench_now() - t0;
    uint64_t n = trios - 1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    fprintf(stderr, "bench_digest: %u trios (%.2f GB) generated in %s in %.1f s; %ld online CPUs\n",
            trios, (double)trios * (double)TRIO_BYTES / 1e9, g_dir, gen, cores);
    double load0[3] = {0};
    if (getloadavg(load0, 3) > 0)
        bench_report("machine_load_average_1min_at_start", load0[0], "runnable");
    bench_report("digest_db_size", (double)trios * (double)TRIO_BYTES / 1e9, "GB");

    struct run r;
    double gbps[3] = {0}, cpu_gbps[3] = {0};
    for (unsigned t = 1; t <= 2; t++) {
        page_cache(1, 0, UINT64_MAX);
        double after = page_cache(0, 0, n);
        if (digest_run(n, t, NULL, &r) != 0)
            goto out;
        char name[96];
        snprintf(name, sizeof(name), "digest_cold_%ut_page_cache_resident_before", t);
        bench_report(name, after * 100, "%");
        snprintf(name, sizeof(name), "digest_cold_%ut_throughput", t);
        bench_report(name, (double)r.bytes / r.secs / 1e9, "GB/s");
    }
    for (unsigned t = 1; t <= 2; t++) {
        if (t == 1 && digest_run(n, t, NULL, &r) != 0) /* make sure all pages are in */
            goto out;
        double res = page_cache(0, 0, n);
        if (digest_run(n, t, NULL, &r) != 0)
            goto out;
        char name[96];
        snprintf(name, sizeof(name), "digest_hot_%ut_page_cache_resident_before", t);
        bench_report(name, res * 100, "%");
        snprintf(name, sizeof(name), "digest_hot_%ut_throughput", t);
        gbps[t] = (double)r.bytes / r.secs / 1e9;
        bench_report(name, gbps[t], "GB/s");
        /* per CPU-second, like `openssl speed` (user time): robust on a shared machine */
        snprintf(name, sizeof(name), "digest_hot_%ut_bytes_per_cpu_second", t);
        cpu_gbps[t] = r.cpu > 0 ? (double)r.bytes / r.cpu / 1e9 : 0;
        bench_report(name, cpu_gbps[t], "GB/s");
    }

    /* incremental: cache filled up to n, then one new trio completes n+1 */
    char cpath[4400];
    snprintf(cpath, sizeof(cpath), "%s/digests-cache.json", g_dir);
    struct mtl_digest_cache *cache = NULL;
    if (mtl_digest_cache_open(&cache, cpath) != MTL_OK || digest_run(n, 0, cache, &r) != 0)
        goto out;
    bench_report("digest_cache_fill_time", r.secs * 1000, "ms");
    mtl_digest_cache_free(cache);
    /* Two increments, each a new trio that makes the previous one certifiable:
     * first with that trio in page cache (the node wrote it recently), then
     * with it dropped (read from disk). A node writes a trio over hours, so its
     * data is on disk before the signer digests it: sync() first, else the
     * cache file's fsync would flush it inside the timing. Times include
     * loading the cache, listing, stats, hashing and saving the cache. */
    for (int hot = 1; hot >= 0; hot--) {
        unsigned k = trios + (hot ? 0 : 1); /* the trio becoming certifiable */
        if (write_trio(k + 1, buf) != 0)
            goto out;
        sync();
        if (hot)
            read_trio(k, buf);
        else
            page_cache(1, k, k);
        const char *tag = hot ? "hot" : "cold";
        char name[96];
        snprintf(name, sizeof(name), "digest_incremental_%s_new_trio_page_cache_resident", tag);
        bench_report(name, page_cache(0, k, k) * 100, "%");
        cache = NULL;
        double t1 = bench_now();
        if (mtl_digest_cache_open(&cache, cpath) != MTL_OK || digest_run(k, 0, cache, &r) != 0)
            goto out;
        double inc = bench_now() - t1;
        mtl_digest_cache_free(cache);
        snprintf(name, sizeof(name), "digest_incremental_%s_one_new_trio_time", tag);
        bench_report(name, inc * 1000, "ms");
        snprintf(name, sizeof(name), "digest_incremental_%s_files_hashed", tag);
        bench_report(name, (double)r.hashed, "files");
    }
    /* nothing new: cache load, listing and stats only */
    double t1 = bench_now();
    if (mtl_digest_cache_open(&cache, cpath) != MTL_OK || digest_run(trios + 1, 0, cache, &r) != 0)
        goto out;
    mtl_digest_cache_free(cache);
    bench_report("digest_incremental_nothing_new_time", (bench_now() - t1) * 1000, "ms");

    double sha = openssl_sha256_speed();
    if (sha > 0) {
        bench_report("openssl_sha256_16k_per_core", sha / 1e9, "GB/s");
        bench_report("digest_hot_1t_vs_sha256x1", gbps[1] / (sha / 1e9), "ratio");
        double c = cores < 2 ? (double)cores : 2.0;
        bench_report("digest_hot_2t_vs_sha256xcores", gbps[2] / (sha / 1e9 * c), "ratio");
        bench_report("digest_hot_2t_per_cpu_second_vs_sha256", cpu_gbps[2] / (sha / 1e9), "ratio");
    } else {
        fprintf(stderr, "bench_digest: openssl speed unavailable\n");
    }
    double load[3] = {0};
    if (getloadavg(load, 3) > 0)
        bench_report("machine_load_average_1min_at_end", load[0], "runnable");
    rc = 0;
out:
    free(buf);
    nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
