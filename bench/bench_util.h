/* bench_util.h - timing and output helpers shared by the benchmarks. */
#ifndef MTL_BENCH_UTIL_H
#define MTL_BENCH_UTIL_H

#include <stdio.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
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

#endif
