/*
 * test_metrics.c - the Prometheus text exposition of src/util/metrics.c: the
 * exact text (HELP, TYPE, series, label escaping), unlabelled metrics shown
 * at 0 and labelled ones once updated, bounded series, atomic updates from
 * several threads, and GET /metrics over loopback.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common_int.h"
#include "harness.h"
#include "util/metrics.h"

enum { M_CYCLES, M_EPOCH, M_SERVED, M_COUNT };
static const struct app_metric_def DEFS[] = {
    {"x_runtime_cycle_total_since_startup", "Number of runtime cycles", MTL_METRIC_COUNTER, NULL},
    {"x_last_epoch", "Latest epoch", MTL_METRIC_GAUGE, NULL},
    {"x_served", "Served", MTL_METRIC_COUNTER, "origin_tag,client_type"},
};

TEST(exposition_text)
{
    struct app_metrics *m = NULL;
    char *txt = NULL;
    size_t len = 0;
    CHECK_OK(app_metrics_new(&m, DEFS, M_COUNT));
    /* Before any update: unlabelled metrics at 0, the labelled one absent. */
    CHECK_OK(app_metrics_render(m, &txt, &len));
    CHECK_EQ_STR(txt, "# HELP x_runtime_cycle_total_since_startup Number of runtime cycles\n"
                      "# TYPE x_runtime_cycle_total_since_startup counter\n"
                      "x_runtime_cycle_total_since_startup 0\n"
                      "# HELP x_last_epoch Latest epoch\n"
                      "# TYPE x_last_epoch gauge\n"
                      "x_last_epoch 0\n");
    CHECK_EQ_INT(len, strlen(txt));
    mtl_free(txt);
    app_metrics_inc(m, M_CYCLES);
    app_metrics_add(m, M_CYCLES, 4);
    app_metrics_set(m, M_EPOCH, 17);
    app_metrics_set(m, M_EPOCH, 12); /* a gauge is set, not added */
    const char *cli[] = {"CI", "CLI"}, *odd[] = {"a\"b\\c\nd", "NA"};
    app_metrics_add_labels(m, M_SERVED, cli, 2);
    app_metrics_add_labels(m, M_SERVED, odd, 1);
    app_metrics_add_labels(m, M_SERVED, cli, 1);
    app_metrics_add_labels(NULL, M_SERVED, cli, 1); /* no registry: no-op */
    app_metrics_inc(m, M_COUNT);                    /* unknown id: no-op */
    CHECK_OK(app_metrics_render(m, &txt, &len));
    CHECK_EQ_STR(txt, "# HELP x_runtime_cycle_total_since_startup Number of runtime cycles\n"
                      "# TYPE x_runtime_cycle_total_since_startup counter\n"
                      "x_runtime_cycle_total_since_startup 5\n"
                      "# HELP x_last_epoch Latest epoch\n"
                      "# TYPE x_last_epoch gauge\n"
                      "x_last_epoch 12\n"
                      "# HELP x_served Served\n"
                      "# TYPE x_served counter\n"
                      "x_served{origin_tag=\"CI\",client_type=\"CLI\"} 3\n"
                      "x_served{origin_tag=\"a\\\"b\\\\c\\nd\",client_type=\"NA\"} 1\n");
    mtl_free(txt);
    CHECK_EQ_INT(app_metrics_get(m, M_SERVED, cli), 3);
    CHECK_EQ_INT(app_metrics_get(m, M_EPOCH, NULL), 12);
    app_metrics_free(m);
    app_metrics_free(NULL);
}

TEST(bad_label_names_refused)
{
    static const struct app_metric_def bad[] = {{"y", "y", MTL_METRIC_COUNTER, "a,b,c"}};
    struct app_metrics *m = NULL;
    CHECK_ERR(app_metrics_new(&m, bad, 1), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "y: bad label names") != NULL);
    CHECK(m == NULL);
}

/* Label values chosen by clients cannot grow the registry without bound. */
TEST(series_are_bounded)
{
    struct app_metrics *m = NULL;
    CHECK_OK(app_metrics_new(&m, DEFS, M_COUNT));
    char tag[16];
    for (int i = 0; i < MTL_METRICS_MAX_SERIES + 10; i++) {
        snprintf(tag, sizeof(tag), "t%d", i);
        const char *v[] = {tag, "NA"};
        app_metrics_add_labels(m, M_SERVED, v, 1);
    }
    CHECK_EQ_INT(app_metrics_dropped(m), 10);
    const char *last[] = {"t31", "NA"}, *over[] = {"t32", "NA"};
    CHECK_EQ_INT(app_metrics_get(m, M_SERVED, last), 1);
    CHECK_EQ_INT(app_metrics_get(m, M_SERVED, over), 0);
    app_metrics_free(m);
}

static void *bump(void *arg)
{
    const char *v[] = {"EXPLORER", "WASM"};
    for (int i = 0; i < 20000; i++) {
        app_metrics_inc(arg, M_CYCLES);
        app_metrics_add_labels(arg, M_SERVED, v, 1);
    }
    return NULL;
}

TEST(updates_from_threads)
{
    struct app_metrics *m = NULL;
    pthread_t t[4];
    CHECK_OK(app_metrics_new(&m, DEFS, M_COUNT));
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, bump, m);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    const char *v[] = {"EXPLORER", "WASM"};
    CHECK_EQ_INT(app_metrics_get(m, M_CYCLES, NULL), 80000);
    CHECK_EQ_INT(app_metrics_get(m, M_SERVED, v), 80000);
    app_metrics_free(m);
}

/* One HTTP/1.0 request to 127.0.0.1:port; the whole answer in out. */
static int http_get(uint16_t port, const char *path, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        return -1;
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n)
        return -1;
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = read(fd, out + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = 0;
    close(fd);
    return (int)got;
}

TEST(served_on_get_metrics)
{
    struct app_metrics *m = NULL;
    struct app_httpd *h = NULL;
    char *want = NULL;
    size_t len = 0;
    static char got[8192];
    CHECK_OK(app_metrics_new(&m, DEFS, M_COUNT));
    app_metrics_add(m, M_CYCLES, 42);
    CHECK_ERR(app_metrics_serve(m, "not-an-ip", 0, &h), MTL_ERR_CONFIG);
    CHECK_OK(app_metrics_serve(m, "127.0.0.1", 0, &h));
    CHECK_OK(app_metrics_render(m, &want, &len));
    CHECK(http_get(app_httpd_port(h), "/metrics", got, sizeof(got)) > 0);
    CHECK(strncmp(got, "HTTP/1.1 200", 12) == 0 || strncmp(got, "HTTP/1.0 200", 12) == 0);
    CHECK(strstr(got, "Content-Type: text/plain; version=0.0.4\r\n") != NULL);
    const char *body = strstr(got, "\r\n\r\n");
    CHECK(body && strcmp(body + 4, want) == 0);
    CHECK(strstr(got, "x_runtime_cycle_total_since_startup 42\n") != NULL);
    CHECK(http_get(app_httpd_port(h), "/other", got, sizeof(got)) > 0);
    CHECK(strstr(got, " 404 ") != NULL);
    mtl_free(want);
    app_httpd_stop(h);
    app_metrics_free(m);
}

int main(void)
{
    RUN(exposition_text);
    RUN(bad_label_names_refused);
    RUN(series_are_bounded);
    RUN(updates_from_threads);
    RUN(served_on_get_metrics);
    return DONE();
}
