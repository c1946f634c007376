/* bench_restore.c - mithril-client restore of a simulated DB served over
 * loopback by aggregator-fake, against the same bytes through
 * `curl | zstd -d | tar x` (one archive after the other) and against `cp -r`;
 * peak RSS of the client; cold and warm `certificate verify` on the
 * reference chain.
 *   bench_restore [--size-gb X (default 0.1)] [--parallel N] [--shared DIR] [--json]
 *                 [--work DIR (reuse/keep a prepared fixture there; not removed)] */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "mithril/util.h"
#include "restore_fixture.h"

static char bindir[PATH_MAX];
static double last_cpu; /* user + system seconds of the last run() */

/* Run argv with extra env; returns exit status, *secs wall time, *rss_kb peak. */
static int run(char *const argv[], double *secs, long *rss_kb, int quiet)
{
    double t0 = bench_now();
    pid_t p = fork();
    if (p == 0) {
        if (quiet) {
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    wait4(p, &st, 0, &ru);
    if (secs)
        *secs = bench_now() - t0;
    if (rss_kb)
        *rss_kb = ru.ru_maxrss;
    last_cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static pid_t start_fake(const char *data, const char *files, const char *portfile, int *port)
{
    char fake[PATH_MAX + 64];
    snprintf(fake, sizeof(fake), "%s/../tools/aggregator-fake/aggregator-fake", bindir);
    unlink(portfile);
    pid_t p = fork();
    if (p == 0) {
        freopen("/dev/null", "w", stdout);
        if (files)
            execl(fake, fake, "--data-dir", data, "--files-dir", files, "--port-file", portfile,
                  (char *)NULL);
        else
            execl(fake, fake, "--data-dir", data, "--port-file", portfile, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(portfile, "r");
        if (f && fscanf(f, "%d", port) == 1) {
            fclose(f);
            return p;
        }
        if (f)
            fclose(f);
        usleep(20000);
    }
    kill(p, SIGTERM);
    return -1;
}

static void stop(pid_t p)
{
    if (p > 0) {
        kill(p, SIGTERM);
        waitpid(p, NULL, 0);
    }
}

int main(int argc, char **argv)
{
    double gb = 0.1;
    int parallel = 4;
    const char *shared = getenv("MTL_SHARED_DIR");
    const char *keep = NULL; /* --work: fixture kept for repeated runs */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size-gb") && i + 1 < argc)
            gb = atof(argv[++i]);
        else if (!strcmp(argv[i], "--parallel") && i + 1 < argc)
            parallel = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shared") && i + 1 < argc)
            shared = argv[++i];
        else if (!strcmp(argv[i], "--work") && i + 1 < argc)
            keep = argv[++i];
    }
    bench_parse_args(argc, argv);
    mtl_init();
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    snprintf(bindir, sizeof(bindir), "%s", dirname(self));
    char client[PATH_MAX + 64];
    snprintf(client, sizeof(client), "%s/../src/client/mithril-client", bindir);

    char tmpl[] = "/tmp/bench-restore-XXXXXX";
    char *w = keep ? (char *)keep : mkdtemp(tmpl);
    if (!w || (keep && mkdir(w, 0755) != 0 && errno != EEXIST))
        return 1;
    char db[512], data[512], files[512], out[512], pf[512], cmd[4096];
    snprintf(db, sizeof(db), "%s/db", w);
    snprintf(data, sizeof(data), "%s/data", w);
    snprintf(files, sizeof(files), "%s/files", w);
    snprintf(pf, sizeof(pf), "%s/port", w);
    uint64_t total = (uint64_t)(gb * 1073741824.0);
    uint64_t chunk = total / 16 < (16u << 20) ? total / 16 : (16u << 20);
    if (chunk < 65536)
        chunk = 65536;
    uint64_t last = total / chunk - 1;
    double t0 = bench_now();
    char ready[600];
    snprintf(ready, sizeof(ready), "%s/.fixture-%llu-%llu", w, (unsigned long long)last,
             (unsigned long long)chunk);
    int reuse = keep && access(ready, F_OK) == 0;
    if (!reuse && (fixture_make_db(db, last, chunk) != MTL_OK ||
                   fixture_publish(db, data, files, 7) != MTL_OK)) {
        fprintf(stderr, "bench_restore: fixture: %s\n", mtl_err_detail());
        return 1;
    }
    if (keep && !reuse)
        mtl_atomic_write(ready, "", 0, 0644);
    fprintf(stderr, "bench_restore: %llu archives of ~%llu MiB prepared in %.1fs\n",
            (unsigned long long)last + 1, (unsigned long long)(chunk >> 20), bench_now() - t0);
    int port;
    pid_t fake = start_fake(data, files, pf, &port);
    if (fake < 0)
        return 1;
    char ep[128], vk[600], par[16];
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/aggregator", port);
    snprintf(vk, sizeof(vk), "%s/genesis.vkey", data);
    snprintf(par, sizeof(par), "%d", parallel);
    setenv("AGGREGATOR_ENDPOINT", ep, 1);
    setenv("GENESIS_VERIFICATION_KEY", vk, 1);
    setenv("MITHRIL_CLIENT_CACHE_DIR", "", 1); /* no cache: each run verifies in full */

    if (keep) { /* outputs of an earlier run */
        snprintf(cmd, sizeof(cmd), "rm -rf %s/restore %s/shell %s/cp", w, w, w);
        char *rm0[] = {"sh", "-c", cmd, NULL};
        run(rm0, NULL, NULL, 0);
    }
    snprintf(out, sizeof(out), "%s/restore", w);
    double secs, client_secs = 0;
    long rss;
    char *dl[] = {client, "cardano-db", "download", "latest", "--download-dir",
                  out,    "--parallel", par,        NULL};
    int rc = run(dl, &secs, &rss, 1);
    double mib = (double)total / 1048576.0;
    if (rc != 0) {
        fprintf(stderr, "bench_restore: mithril-client failed (%d)\n", rc);
    } else {
        bench_report("restore: size", mib, "MiB");
        bench_report("restore: mithril-client cardano-db download (wall)", secs, "s");
        client_secs = secs;
        bench_report("restore: mithril-client throughput", mib / secs, "MiB/s");
        bench_report("restore: mithril-client peak RSS", (double)rss / 1024.0, "MiB");
        /* on a shared machine the CPU it needed says more than the wall time */
        bench_report("restore: mithril-client CPU (user+sys)", last_cpu, "s");
    }
    /* the same archives through curl | zstd -d | tar x, one after the other */
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s/shell && cd %s/files/immutable && for f in *.tar.zst; do "
             "curl -sf http://127.0.0.1:%d/aggregator/cardano-database-download/immutable/$f | "
             "zstd -dq | tar x -C %s/shell || exit 1; done",
             w, w, port, w);
    char *sh[] = {"sh", "-c", cmd, NULL};
    if (run(sh, &secs, NULL, 0) == 0)
        bench_report("restore: curl | zstd -d | tar x (sequential, no verification)", secs, "s");
    snprintf(cmd, sizeof(cmd), "cp -r %s/immutable %s/cp", db, w);
    char *cp[] = {"sh", "-c", cmd, NULL};
    double slowest = 0;
    if (run(cp, &secs, NULL, 0) == 0) {
        bench_report("restore: cp -r of the uncompressed files", secs, "s");
        slowest = secs;
    }
    /* the pipeline's stages one by one, each over all the data (one core each) */
    static const char *stage_names[] = {"stage: download only (curl > /dev/null)",
                                        "stage: decompress only (zstd -d > /dev/null)",
                                        "stage: hash only (openssl dgst -sha256 of the files)"};
    for (int i = 0; i < 3; i++) {
        char c2[2048];
        if (i == 0)
            snprintf(c2, sizeof(c2),
                     "cd %s/files/immutable && for f in *.tar.zst; do curl -sf "
                     "http://127.0.0.1:%d/aggregator/cardano-database-download/immutable/$f "
                     ">/dev/null || exit 1; done",
                     w, port);
        else if (i == 1)
            snprintf(c2, sizeof(c2), "cd %s/files/immutable && cat *.tar.zst | zstd -dq >/dev/null",
                     w);
        else
            snprintf(c2, sizeof(c2), "cd %s/cp && openssl dgst -sha256 * >/dev/null", w);
        char *st[] = {"sh", "-c", c2, NULL};
        if (run(st, &secs, NULL, 0) == 0) {
            bench_report(stage_names[i], secs, "s");
            if (secs > slowest)
                slowest = secs;
        }
    }
    if (rc == 0 && slowest > 0)
        bench_report("restore: mithril-client wall / slowest stage (goal <= 1.05)",
                     client_secs / slowest, "x");
    stop(fake);

    /* certificate verify on the reference chain: cold, then warm (cache) */
    if (shared) {
        char ref[600], rvk[600], cache[600];
        snprintf(ref, sizeof(ref), "%s/reference-data/aggregator-fake-2026-05-21", shared);
        snprintf(rvk, sizeof(rvk), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey",
                 shared);
        snprintf(cache, sizeof(cache), "%s/cache", w);
        if (access(ref, R_OK) == 0 && (fake = start_fake(ref, NULL, pf, &port)) > 0) {
            snprintf(ep, sizeof(ep), "http://127.0.0.1:%d/aggregator", port);
            setenv("AGGREGATOR_ENDPOINT", ep, 1);
            setenv("GENESIS_VERIFICATION_KEY", rvk, 1);
            char *cv[] = {client, "--cache-dir", cache, "certificate", "verify", "latest", NULL};
            if (run(cv, &secs, &rss, 1) == 0)
                bench_report("certificate verify latest, reference chain, cold", secs * 1e3, "ms");
            if (run(cv, &secs, &rss, 1) == 0)
                bench_report("certificate verify latest, reference chain, warm (cache)", secs * 1e3,
                             "ms");
            stop(fake);
        }
    }
    if (keep)
        snprintf(cmd, sizeof(cmd), "rm -rf %s/restore %s/shell %s/cp", w, w, w);
    else
        snprintf(cmd, sizeof(cmd), "rm -rf %s", w);
    char *rm[] = {"sh", "-c", cmd, NULL};
    run(rm, NULL, NULL, 0);
    return rc == 0 ? 0 : 1;
}
