/*
 * metrics.h - counters and gauges of a program in the Prometheus text
 * exposition format (version 0.0.4), served on GET /metrics by its own httpd
 * (the reference's mithril-metric: ENABLE_METRICS_SERVER, METRICS_SERVER_IP,
 * METRICS_SERVER_PORT).
 *
 * A registry is built from a table of metric definitions; a metric is named
 * by its index in that table. Updates are lock-free atomics (labelled series:
 * a mutex to find the series, then an atomic), safe from any thread. Every
 * update function takes a NULL registry as a no-op.
 */
#ifndef MTL_UTIL_METRICS_H
#define MTL_UTIL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "httpd.h"
#include "mithril/err.h"

enum app_metric_kind { MTL_METRIC_COUNTER, MTL_METRIC_GAUGE };

/* Label values of one series, at most this many per metric and this long;
 * further series are dropped (and counted in app_metrics_dropped) so that a
 * client choosing label values cannot grow the registry. */
#define MTL_METRICS_MAX_SERIES 32
#define MTL_METRICS_MAX_LABEL 64

struct app_metric_def {
    const char *name, *help;
    enum app_metric_kind kind;
    /* NULL: one unlabelled series (always exposed, 0 included); else up to
     * two comma-separated label names, e.g. "origin_tag,client_type": a
     * series is exposed once it was updated (as the prometheus crate does). */
    const char *labels;
};

struct app_metrics;

/* A registry of n metrics (defs is borrowed: it must outlive the registry). */
mtl_err app_metrics_new(struct app_metrics **out, const struct app_metric_def *defs, size_t n);
void app_metrics_free(struct app_metrics *m);

/* Counter id += 1 / += n. */
void app_metrics_inc(struct app_metrics *m, size_t id);
void app_metrics_add(struct app_metrics *m, size_t id, uint64_t n);
/* Gauge id = v. */
void app_metrics_set(struct app_metrics *m, size_t id, int64_t v);
/* Labelled counter: the series of these label values (as many as the
 * metric's label names) += n. */
void app_metrics_add_labels(struct app_metrics *m, size_t id, const char *const *values,
                            uint64_t n);
/* Value of an unlabelled metric, or of a labelled series (0 when absent). */
int64_t app_metrics_get(struct app_metrics *m, size_t id, const char *const *values);
uint64_t app_metrics_dropped(struct app_metrics *m);

/* The text exposition: for each metric "# HELP", "# TYPE" and its series,
 * label values escaped (\\, \", \n). *out is mtl_malloc'ed. */
mtl_err app_metrics_render(struct app_metrics *m, char **out, size_t *len);

/* Serve GET /metrics on ip:port (port 0: any free one, see app_httpd_port)
 * with a small server of its own; stop it with app_httpd_stop. */
mtl_err app_metrics_serve(struct app_metrics *m, const char *ip, uint16_t port,
                          struct app_httpd **out);

#endif
