/* metrics.c - counters and gauges in the Prometheus text format (metrics.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/common_int.h"
#include "metrics.h"

#define MAX_LABELS 2

struct series {
    char values[MAX_LABELS][MTL_METRICS_MAX_LABEL];
    atomic_int_fast64_t v;
};

struct metric {
    const struct app_metric_def *def;
    char label_names[MAX_LABELS][32];
    size_t n_labels;
    atomic_int_fast64_t v; /* unlabelled */
    size_t n_series;       /* under the registry lock; series never move */
    struct series series[MTL_METRICS_MAX_SERIES];
};

struct app_metrics {
    pthread_mutex_t lock;
    size_t n;
    atomic_uint_fast64_t dropped;
    struct metric *m;
};

mtl_err app_metrics_new(struct app_metrics **out, const struct app_metric_def *defs, size_t n)
{
    *out = NULL;
    struct app_metrics *r = mtl_calloc(1, sizeof(*r));
    struct metric *m = mtl_calloc(n ? n : 1, sizeof(*m));
    if (!r || !m) {
        mtl_free(r);
        mtl_free(m);
        return mtl_seterr(MTL_ERR_NOMEM, "metrics: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        m[i].def = &defs[i];
        for (const char *p = defs[i].labels; p && *p;) {
            size_t l = strcspn(p, ",");
            if (m[i].n_labels == MAX_LABELS || l == 0 || l >= sizeof(m[i].label_names[0])) {
                mtl_free(m);
                mtl_free(r);
                return mtl_seterr(MTL_ERR_INVALID_ARG, "metrics: %s: bad label names '%s'",
                                  defs[i].name, defs[i].labels);
            }
            memcpy(m[i].label_names[m[i].n_labels++], p, l);
            p += l + (p[l] == ',');
        }
    }
    pthread_mutex_init(&r->lock, NULL);
    r->n = n;
    r->m = m;
    *out = r;
    return MTL_OK;
}

void app_metrics_free(struct app_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    mtl_free(m->m);
    mtl_free(m);
}

void app_metrics_add(struct app_metrics *m, size_t id, uint64_t n)
{
    if (m && id < m->n)
        atomic_fetch_add(&m->m[id].v, (int_fast64_t)n);
}

void app_metrics_inc(struct app_metrics *m, size_t id)
{
    app_metrics_add(m, id, 1);
}

void app_metrics_set(struct app_metrics *m, size_t id, int64_t v)
{
    if (m && id < m->n)
        atomic_store(&m->m[id].v, v);
}

/* The series of these values; created when create is set and there is room. */
static struct series *find_series(struct app_metrics *r, struct metric *m,
                                  const char *const *values, int create)
{
    struct series *s = NULL;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < m->n_series && !s; i++) {
        size_t k = 0;
        while (k < m->n_labels &&
               strncmp(m->series[i].values[k], values[k], MTL_METRICS_MAX_LABEL - 1) == 0)
            k++;
        if (k == m->n_labels)
            s = &m->series[i];
    }
    if (!s && create && m->n_series < MTL_METRICS_MAX_SERIES) {
        s = &m->series[m->n_series];
        for (size_t k = 0; k < m->n_labels; k++)
            snprintf(s->values[k], sizeof(s->values[k]), "%s", values[k]);
        m->n_series++;
    }
    pthread_mutex_unlock(&r->lock);
    return s;
}

void app_metrics_add_labels(struct app_metrics *m, size_t id, const char *const *values, uint64_t n)
{
    if (!m || id >= m->n || !m->m[id].n_labels)
        return;
    struct series *s = find_series(m, &m->m[id], values, 1);
    if (s)
        atomic_fetch_add(&s->v, (int_fast64_t)n);
    else
        atomic_fetch_add(&m->dropped, 1);
}

int64_t app_metrics_get(struct app_metrics *m, size_t id, const char *const *values)
{
    if (!m || id >= m->n)
        return 0;
    if (!m->m[id].n_labels)
        return atomic_load(&m->m[id].v);
    struct series *s = values ? find_series(m, &m->m[id], values, 0) : NULL;
    return s ? atomic_load(&s->v) : 0;
}

uint64_t app_metrics_dropped(struct app_metrics *m)
{
    return m ? atomic_load(&m->dropped) : 0;
}

/* A label value in the text format: backslash, double quote and line feed escaped. */
static void put_label_value(struct mtl_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            mtl_buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            mtl_buf_append_str(b, "\\n");
        else
            mtl_buf_append(b, v, 1);
    }
}

mtl_err app_metrics_render(struct app_metrics *r, char **out, size_t *len)
{
    struct mtl_buf b;
    *out = NULL;
    *len = 0;
    mtl_buf_init(&b, 16 << 20);
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n; i++) {
        struct metric *m = &r->m[i];
        if (m->n_labels && !m->n_series)
            continue;
        mtl_buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", m->def->name, m->def->help, m->def->name,
                       m->def->kind == MTL_METRIC_GAUGE ? "gauge" : "counter");
        if (!m->n_labels)
            mtl_buf_printf(&b, "%s %lld\n", m->def->name, (long long)atomic_load(&m->v));
        for (size_t s = 0; s < m->n_series; s++) {
            mtl_buf_printf(&b, "%s{", m->def->name);
            for (size_t k = 0; k < m->n_labels; k++) {
                mtl_buf_printf(&b, "%s%s=\"", k ? "," : "", m->label_names[k]);
                put_label_value(&b, m->series[s].values[k]);
                mtl_buf_append_str(&b, "\"");
            }
            mtl_buf_printf(&b, "} %lld\n", (long long)atomic_load(&m->series[s].v));
        }
    }
    pthread_mutex_unlock(&r->lock);
    mtl_err e = mtl_buf_nul(&b);
    if (e != MTL_OK) {
        mtl_buf_free(&b);
        return mtl_seterr(e, "metrics: cannot render the exposition");
    }
    *out = (char *)mtl_buf_take(&b, len);
    return MTL_OK;
}

static void metrics_route(void *ctx, const char *method, const char *path, const char *body,
                          size_t body_len, struct app_http_response *r)
{
    (void)body, (void)body_len;
    if (strcmp(method, "GET") != 0 || strcmp(path, "/metrics") != 0) {
        app_http_error(r, 404, "not_found", "only GET /metrics here");
        return;
    }
    if (app_metrics_render(ctx, &r->body, &r->len) != MTL_OK) {
        app_http_error(r, 500, "internal", "%s", mtl_err_detail());
        return;
    }
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4";
}

mtl_err app_metrics_serve(struct app_metrics *m, const char *ip, uint16_t port,
                          struct app_httpd **out)
{
    /* Scrapers are few: two worker threads (MHD wants a pool of 2+), small bounds, no bodies. */
    struct app_httpd_opts o = {.max_body = 1, .threads = 2, .max_connections = 64, .per_ip = 16};
    mtl_err e = app_httpd_start_opts(out, ip, port, &o, metrics_route, m);
    return e == MTL_OK ? MTL_OK : mtl_err_wrap(e, "metrics server");
}
