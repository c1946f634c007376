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

enum mtl_metric_kind { MTL_METRIC_COUNTER, MTL_METRIC_GAUGE };

/* Label values of one series, at most this many per metric and this long;
 * further series are dropped (and counted in mtl_metrics_dropped) so that a
 * client choosing label values cannot grow the registry. */
#define MTL_METRICS_MAX_SERIES 32
#define MTL_METRICS_MAX_LABEL 64

struct mtl_metric_def {
    const char *name, *help;
    enum mtl_metric_kind kind;
    /* NULL: one unlabelled series (always exposed, 0 included); else up to
     * two comma-separated label names, e.g. "origin_tag,client_type": a
     * series is exposed once it was updated (as the prometheus crate does). */
    const char *labels;
};

struct mtl_metrics;

/* A registry of n metrics (defs is borrowed: it must outlive the registry). */
mtl_err mtl_metrics_new(struct mtl_metrics **out, const struct mtl_metric_def *defs, size_t n);
void mtl_metrics_free(struct mtl_metrics *m);

/* Counter id += 1 / += n. */
void mtl_metrics_inc(struct mtl_metrics *m, size_t id);
void mtl_metrics_add(struct mtl_metrics *m, size_t id, uint64_t n);
/* Gauge id = v. */
void mtl_metrics_set(struct mtl_metrics *m, size_t id, int64_t v);
/* Labelled counter: the series of these label values (as many as the
 * metric's label names) += n. */
void mtl_metrics_add_labels(struct mtl_metrics *m, size_t id, const char *const *values,
                            uint64_t n);
/* Value of an unlabelled metric, or of a labelled series (0 when absent). */
int64_t mtl_metrics_get(struct mtl_metrics *m, size_t id, const char *const *values);
uint64_t mtl_metrics_dropped(struct mtl_metrics *m);

/* The text exposition: for each metric "# HELP", "# TYPE" and its series,
 * label values escaped (\\, \", \n). *out is mtl_malloc'ed. */
mtl_err mtl_metrics_render(struct mtl_metrics *m, char **out, size_t *len);

/* Serve GET /metrics on ip:port (port 0: any free one, see mtl_httpd_port)
 * with a small server of its own; stop it with mtl_httpd_stop. */
mtl_err mtl_metrics_serve(struct mtl_metrics *m, const char *ip, uint16_t port,
                          struct mtl_httpd **out);

#endif
