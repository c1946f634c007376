/* tx_importer.c - the transactions import on its own thread (tx_importer.h):
 * a pass every interval (or when woken) imports the chunks from its cursor
 * to the last completed one, one app_tx_import call each. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "common/common_int.h"
#include "log.h"
#include "mithril/cardano_db.h"
#include "tx_importer.h"

struct app_tx_importer {
    struct app_tx_store *s; /* the thread's */
    char dir[4096];
    unsigned interval_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, wake; /* under mu */
    /* Under mu: caught_up when every chunk up to through (the last completed
     * one at the end of its pass) is imported; tip, the highest block
     * imported (have_tip: one is). */
    int caught_up, have_tip;
    uint64_t through, tip;
};

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int stopping(struct app_tx_importer *w)
{
    pthread_mutex_lock(&w->mu);
    int s = w->stop;
    pthread_mutex_unlock(&w->mu);
    return s;
}

static void publish(struct app_tx_importer *w, int caught_up, uint64_t through)
{
    uint64_t tip = 0;
    int found = 0;
    if (app_tx_highest_block(w->s, &tip, &found) != MTL_OK)
        mtl_err_clear();
    pthread_mutex_lock(&w->mu);
    w->have_tip = found;
    w->tip = tip;
    w->caught_up = caught_up;
    w->through = through;
    pthread_mutex_unlock(&w->mu);
}

/* One pass: the chunks from the cursor up to the last completed one. */
static void import_pass(struct app_tx_importer *w, uint64_t *cursor, int *have_cursor)
{
    const char *dir = w->dir;
    uint64_t last = 0;
    mtl_err e = mtl_immutable_last_certifiable(dir, &last);
    if (e == MTL_ERR_NOT_FOUND) { /* nothing complete yet */
        mtl_err_clear();
        return;
    }
    if (e == MTL_OK && !*have_cursor) {
        e = app_tx_next_chunk(w->s, cursor);
        *have_cursor = e == MTL_OK;
    }
    struct app_tx_import_stats sum = {0};
    int64_t t0 = now_ns(CLOCK_MONOTONIC), cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    if (e == MTL_OK && *cursor <= last)
        log_info("transactions_import_started", "from_chunk=%llu to_chunk=%llu",
                 (unsigned long long)*cursor, (unsigned long long)last);
    for (uint64_t c = *cursor; e == MTL_OK && c <= last && !stopping(w); c++) {
        struct app_tx_import_stats st;
        e = app_tx_import(w->s, dir, c, &st);
        if (e != MTL_OK)
            break;
        sum.chunks += st.chunks;
        sum.blocks += st.blocks;
        sum.transactions += st.transactions;
        sum.ranges += st.ranges;
        sum.bytes += st.bytes;
        *cursor = c + 1;
        publish(w, 0, c);
    }
    if (e != MTL_OK)
        log_error("transactions_import", "error=\"%s\"", mtl_err_detail());
    int caught_up = e == MTL_OK && *cursor > last;
    if (caught_up)
        publish(w, 1, last);
    if (sum.chunks)
        log_info("transactions_imported",
                 "chunks=%llu blocks=%llu transactions=%llu ranges=%llu bytes=%llu ms=%.1f "
                 "cpu_ms=%.1f caught_up=%d",
                 (unsigned long long)sum.chunks, (unsigned long long)sum.blocks,
                 (unsigned long long)sum.transactions, (unsigned long long)sum.ranges,
                 (unsigned long long)sum.bytes, (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6,
                 (double)(now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / 1e6, caught_up);
    mtl_err_clear();
}

static void *importer_main(void *arg)
{
    struct app_tx_importer *w = arg;
    uint64_t cursor = 0;
    int have_cursor = 0;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        w->wake = 0;
        pthread_mutex_unlock(&w->mu);
        import_pass(w, &cursor, &have_cursor);
        pthread_mutex_lock(&w->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)w->interval_ms * 1000000;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        while (!w->stop && !w->wake && pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&w->mu);
    log_info("transactions_importer_stopped", "next_chunk=%llu", (unsigned long long)cursor);
    return NULL;
}

int app_tx_importer_ready(struct app_tx_importer *w, uint64_t *tip)
{
    pthread_mutex_lock(&w->mu);
    int caught_up = w->caught_up, have = w->have_tip;
    uint64_t through = w->through;
    *tip = w->tip;
    w->wake = 1; /* look for new chunks now */
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    uint64_t last = 0;
    if (!caught_up) {
        log_debug("transactions_not_ready", "reason=\"import in progress\"");
        return 0;
    }
    if (mtl_immutable_last_certifiable(w->dir, &last) != MTL_OK) {
        mtl_err_clear();
        return 0;
    }
    if (last != through) { /* a new chunk, soon imported */
        log_debug("transactions_not_ready", "imported_through=%llu last_chunk=%llu",
                  (unsigned long long)through, (unsigned long long)last);
        return 0;
    }
    return have;
}

mtl_err app_tx_importer_start(struct app_tx_importer **out, struct app_tx_store *s,
                              const char *immutable_dir, unsigned interval_ms)
{
    *out = NULL;
    struct app_tx_importer *w = mtl_calloc(1, sizeof(*w));
    mtl_err e = w ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "transactions importer: out of memory");
    if (e == MTL_OK)
        e = mtl_path_fmt(w->dir, sizeof(w->dir), "%s", immutable_dir);
    if (e != MTL_OK) {
        mtl_free(w);
        app_tx_store_free(s);
        return e;
    }
    w->s = s;
    w->interval_ms = interval_ms;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, importer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        mtl_free(w);
        app_tx_store_free(s);
        return mtl_seterr(MTL_ERR_IO, "transactions importer: cannot start thread");
    }
    *out = w;
    return MTL_OK;
}

void app_tx_importer_stop(struct app_tx_importer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    app_tx_store_free(w->s);
    mtl_free(w);
}
