/* bench_util.h - timing and output helpers shared by the benchmarks. */
#ifndef MTL_BENCH_UTIL_H
#define MTL_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time of the calling thread: the figure that matters on a loaded machine. */
static inline double bench_cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int bench_json;
static int bench_first = 1;

/* One figure per line ("name value unit"), or one JSON object per line. */
static inline void bench_report(const char *name, double value, const char *unit)
{
    if (bench_json)
        printf("{\"figure\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n", name, value, unit);
    else
        printf("%-58s %14.4f %s\n", name, value, unit);
    bench_first = 0;
    fflush(stdout);
}

static inline void bench_parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            bench_json = 1;
}

/* out = <build dir>/rel, the build dir being the parent of this program's;
 * exits when it does not fit in out[cap]. */
static inline void bench_build_path(char *out, size_t cap, const char *rel)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    int len = snprintf(out, cap, "%s/../%s", self, rel);
    if (len < 0 || (size_t)len >= cap) {
        fprintf(stderr, "bench: path of %s too long\n", rel);
        exit(1);
    }
}

/* The shared/ directory: the last non-option argument, else $MTL_SHARED_DIR,
 * else ../shared. */
static inline const char *bench_shared_dir(int argc, char **argv)
{
    const char *shared = getenv("MTL_SHARED_DIR");
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            shared = argv[i];
    return shared ? shared : "../shared";
}

#endif
