/*
 * httpd.h - a small libmicrohttpd wrapper for the programs: a route callback
 * gets method, path and body; responses are JSON with the mithril API
 * version header, CORS as the reference sends it (the request's Origin echoed;
 * preflights answered here), and JSON error bodies {"label":..,"message":..}.
 */
#ifndef MTL_UTIL_HTTPD_H
#define MTL_UTIL_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"

#define MTL_API_VERSION "0.1.68"

struct app_httpd;

struct app_http_response {
    int status;
    char *body; /* mtl_malloc'ed; freed by the server */
    size_t len;
    const char *content_type; /* default application/json (a file: application/octet-stream) */
    const char *file_path;    /* when set, the file is streamed instead of body */
    const char *location;     /* when set, a Location header (redirects) */
};

/* Called on a server thread for each request; the body is capped. */
typedef void (*app_httpd_handler)(void *ctx, const char *method, const char *path, const char *body,
                                  size_t body_len, struct app_http_response *resp);

/* Body bound of the requests whose method is `method` and path starts with
 * `prefix` (the first matching row wins). */
struct app_httpd_route_limit {
    const char *method, *prefix;
    size_t max_body;
};

/* Limits against slow or greedy clients; a 0 field takes the default. */
struct app_httpd_opts {
    size_t max_body;                            /* routes not in `limits`; 1 MiB */
    const struct app_httpd_route_limit *limits; /* optional per-route bounds */
    size_t n_limits;
    unsigned threads;         /* epoll worker threads; 4 */
    unsigned max_connections; /* total; 4096 (the descriptor soft limit is raised) */
    unsigned per_ip;          /* connections per client address; 64 */
    unsigned deadline_ms;     /* a request must be fully received this long after the
                                 connection opened or its previous answer; 10000 */
};

/* Start listening on ip:port (port 0 = any free port; see app_httpd_port).
 * The server uses epoll worker threads; a connection still sending its request
 * at the deadline is closed; a body over its bound is answered 413. */
mtl_err app_httpd_start_opts(struct app_httpd **out, const char *ip, uint16_t port,
                             const struct app_httpd_opts *opts, app_httpd_handler handler,
                             void *ctx);
/* The same with default limits and one body bound for every route. */
mtl_err app_httpd_start(struct app_httpd **out, const char *ip, uint16_t port, size_t max_body,
                        app_httpd_handler handler, void *ctx);
/* Connections closed at their deadline since the start, and open now. */
uint64_t app_httpd_deadline_closes(const struct app_httpd *h);
unsigned app_httpd_connections(struct app_httpd *h);
uint16_t app_httpd_port(const struct app_httpd *h);
void app_httpd_stop(struct app_httpd *h);

/* A header of the request being handled, or NULL; only valid on the thread
 * running the handler, during the call. */
const char *app_httpd_header(const char *name);
/* A query argument of that request (decoded), or NULL; same validity. */
const char *app_httpd_query(const char *name);

/* Helpers to fill a response. */
void app_http_json(struct app_http_response *r, int status, const char *json);
void app_http_error(struct app_http_response *r, int status, const char *label, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

#endif
