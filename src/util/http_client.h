/*
 * http_client.h - blocking JSON HTTP requests to an aggregator (libcurl easy),
 * shared by mithril-client and mithril-signer. Every request carries the
 * `mithril-api-version` header, has connect and total timeouts, and caps the
 * response body.
 */
#ifndef MTL_UTIL_HTTP_CLIENT_H
#define MTL_UTIL_HTTP_CLIENT_H

#include <stddef.h>

#include "mithril/err.h"

struct app_http_opts {
    long connect_timeout_ms;    /* 0: 30 s */
    long timeout_ms;            /* 0: 300 s; whole transfer */
    size_t max_body;            /* 0: 64 MiB */
    const char *user_agent;     /* NULL: "mithril-c" */
    const char *const *headers; /* more "Name: value" lines, NULL-terminated (NULL: none) */
};

struct app_http_reply {
    long status; /* HTTP status (0 if the transfer failed before a response) */
    char *body;  /* NUL-terminated, mtl_malloc'ed (may be empty), never NULL on MTL_OK */
    size_t len;
};

/* method "GET" or "POST" (json_body sent as application/json, NULL = empty).
 * Returns MTL_OK whenever a response arrived, whatever its status (the caller
 * judges it); MTL_ERR_HTTP naming the URL on transport failure or timeout;
 * MTL_ERR_TOO_BIG past max_body. Free reply->body with mtl_free. */
mtl_err app_http_request(const char *method, const char *url, const char *json_body,
                         const struct app_http_opts *opts, struct app_http_reply *reply);

/* The "message" of a JSON error body {"label":..,"message":..}, else the
 * start of the body, into out (for logs). */
void app_http_error_text(const struct app_http_reply *r, char *out, size_t cap);

#endif
