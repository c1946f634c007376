/*
 * httpd.h - a small libmicrohttpd wrapper for the programs: a route callback
 * gets method, path and body; responses are JSON with the mithril API
 * version header, CORS, and JSON error bodies {"label":..,"message":..}.
 */
#ifndef MTL_UTIL_HTTPD_H
#define MTL_UTIL_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "mithril/err.h"

#define MTL_API_VERSION "0.1.68"

struct mtl_httpd;

struct mtl_http_response {
    int status;
    char *body;              /* mtl_malloc'ed; freed by the server */
    size_t len;
    const char *content_type; /* default application/json */
    const char *file_path;    /* when set, the file is streamed instead of body */
};

/* Called on a server thread for each request; the body is capped. */
typedef void (*mtl_httpd_handler)(void *ctx, const char *method, const char *path,
                                  const char *body, size_t body_len,
                                  struct mtl_http_response *resp);

/* Start listening on ip:port (port 0 = any free port; see mtl_httpd_port). */
mtl_err mtl_httpd_start(struct mtl_httpd **out, const char *ip, uint16_t port, size_t max_body,
                        mtl_httpd_handler handler, void *ctx);
uint16_t mtl_httpd_port(const struct mtl_httpd *h);
void mtl_httpd_stop(struct mtl_httpd *h);

/* Helpers to fill a response. */
void mtl_http_json(struct mtl_http_response *r, int status, const char *json);
void mtl_http_error(struct mtl_http_response *r, int status, const char *label, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

#endif
