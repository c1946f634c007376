/*
 * harness.h - the tiny unit-test harness (redis testhelp.h in spirit).
 *
 *   TEST(name) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_OK(call()); }
 *   int main(void) { RUN(name); return DONE(); }
 *
 * A failed CHECK prints file:line and the expression, marks the test failed
 * and returns from it. SKIP_ALL("why") exits 77, which CTest reports as skipped,
 * but only before the first RUN: once a check ran, a skip is a failure (exit 1),
 * so a skip can never hide the failures of earlier tests. With env CI set, a
 * missing ../shared is a failure too (a CI run must exercise the reference data).
 */
#ifndef MTL_TEST_HARNESS_H
#define MTL_TEST_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mithril/mithril.h"

static int th_failed, th_run, th_cur_failed, th_started;

#define TEST(name) static void name(void)
#define RUN(name)                                                                                \
    do {                                                                                         \
        th_cur_failed = 0;                                                                       \
        th_started = 1;                                                                          \
        mtl_err_clear();                                                                         \
        name();                                                                                  \
        th_run++;                                                                                \
        if (th_cur_failed)                                                                       \
            th_failed++;                                                                         \
        printf("%s %s\n", th_cur_failed ? "FAIL" : "ok  ", #name);                               \
        fflush(stdout);                                                                          \
    } while (0)
#define DONE()                                                                                   \
    (printf("%d passed, %d failed\n", th_run - th_failed, th_failed), th_failed ? 1 : 0)

#define TH_FAIL(...)                                                                             \
    do {                                                                                         \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                          \
        fprintf(stderr, __VA_ARGS__);                                                            \
        fputc('\n', stderr);                                                                     \
        th_cur_failed = 1;                                                                       \
        return;                                                                                  \
    } while (0)
/* snprintf into a char array, exiting the test binary when it does not fit
 * (a cut path or command would test something else). */
#define TH_FMT(buf, ...)                                                                         \
    do {                                                                                         \
        int th_n_ = snprintf((buf), sizeof(buf), __VA_ARGS__);                                   \
        if (th_n_ < 0 || (size_t)th_n_ >= sizeof(buf)) {                                         \
            fprintf(stderr, "%s:%d: %s: %d bytes do not fit in %zu\n", __FILE__, __LINE__,       \
                    #buf, th_n_, sizeof(buf));                                                   \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)
#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond))                                                                             \
            TH_FAIL("CHECK(%s) failed (detail: %s)", #cond, mtl_err_detail());                   \
    } while (0)
#define CHECK_OK(expr)                                                                           \
    do {                                                                                         \
        mtl_err th_rc_ = (expr);                                                                 \
        if (th_rc_ != MTL_OK)                                                                    \
            TH_FAIL("%s returned %s: %s", #expr, mtl_strerror(th_rc_), mtl_err_detail());        \
    } while (0)
#define CHECK_ERR(expr, want)                                                                    \
    do {                                                                                         \
        mtl_err th_rc_ = (expr);                                                                 \
        if (th_rc_ != (want))                                                                    \
            TH_FAIL("%s returned %s, want %s (detail: %s)", #expr, mtl_strerror(th_rc_),         \
                    mtl_strerror(want), mtl_err_detail());                                       \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                                       \
    do {                                                                                         \
        long long th_a_ = (long long)(a), th_b_ = (long long)(b);                                \
        if (th_a_ != th_b_)                                                                      \
            TH_FAIL("%s == %s failed: %lld != %lld", #a, #b, th_a_, th_b_);                      \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                                       \
    do {                                                                                         \
        const char *th_a_ = (a), *th_b_ = (b);                                                   \
        if (!th_a_ || !th_b_ || strcmp(th_a_, th_b_) != 0)                                       \
            TH_FAIL("%s == %s failed: \"%s\" != \"%s\"", #a, #b, th_a_ ? th_a_ : "(null)",       \
                    th_b_ ? th_b_ : "(null)");                                                   \
    } while (0)
#define CHECK_MEM(a, b, n)                                                                       \
    do {                                                                                         \
        if (memcmp((a), (b), (n)) != 0)                                                          \
            TH_FAIL("%s and %s differ over %zu bytes", #a, #b, (size_t)(n));                     \
    } while (0)

static inline _Noreturn void th_skip_all(const char *why)
{
    if (th_started) {
        printf("FAIL: skip requested after checks ran (%d tests, %d failed): %s\n", th_run,
               th_failed, why);
        exit(1);
    }
    printf("SKIP: %s\n", why);
    exit(77);
}

/* Under CI (env CI non-empty) a missing ../shared fails the binary. */
static inline void th_shared_missing(void)
{
    const char *ci = getenv("CI");
    if (ci && *ci) {
        printf("FAIL: CI is set and ../shared/reference-data is missing (MTL_SHARED_DIR=%s)\n",
               getenv("MTL_SHARED_DIR") ? getenv("MTL_SHARED_DIR") : "(unset)");
        exit(1);
    }
}
#define SKIP_ALL(why) th_skip_all(why)

/* Path to ../shared (MTL_SHARED_DIR from CTest), or NULL when absent (under
 * CI, absent exits 1 instead). */
static inline const char *th_shared_dir(void)
{
    const char *d = getenv("MTL_SHARED_DIR");
    static char probe[4096];
    if (!d || !*d) {
        th_shared_missing();
        return NULL;
    }
    snprintf(probe, sizeof(probe), "%s/reference-data/README.md", d);
    FILE *f = fopen(probe, "r");
    if (!f) {
        th_shared_missing();
        return NULL;
    }
    fclose(f);
    return d;
}
/* Skip the whole binary with a message when ../shared is missing. */
static inline const char *th_require_shared(void)
{
    const char *d = th_shared_dir();
    if (!d)
        th_skip_all("../shared/reference-data not found (set MTL_SHARED_DIR)");
    return d;
}
#define REQUIRE_SHARED() th_require_shared()

/* Remove an SQLite file and its -wal and -shm companions (absent is fine). */
static inline void th_remove_sqlite(const char *path)
{
    char p[4200];
    remove(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    remove(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    remove(p);
}

#endif
