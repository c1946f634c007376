/* signer_aggregator.c - the signer's requests to the aggregator (util/http_client
 * with the configured timeout); failures name the route and status. With
 * FOLLOWER_AGGREGATOR_ENDPOINTS, signatures also go to each follower (the
 * reference spreads them over its DMQ network) and reads fall back to the
 * followers while the leader cannot be reached; registrations go to the
 * leader only. */
#include <string.h>

#include "log.h"

#include "http_client.h"
#include "signer_int.h"

/* base: an endpoint of n bytes (a list item need not end with NUL). */
static void url_of(char *out, size_t cap, const char *base, size_t n, const char *route)
{
    int slash = n && base[n - 1] == '/' && route[0] == '/';
    snprintf(out, cap, "%.*s%s", (int)(n - (size_t)slash), base, route);
}

/* The i-th follower endpoint of the comma-separated list: 0 when none. */
static int follower_at(const struct signer_config *c, size_t i, const char **base, size_t *n)
{
    const char *p = c->follower_endpoints ? c->follower_endpoints : "";
    for (;;) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            return 0;
        size_t len = strcspn(p, ", ");
        if (i-- == 0) {
            *base = p;
            *n = len;
            return 1;
        }
        p += len;
    }
}

static struct app_http_opts opts_of(const struct signer_config *c)
{
    struct app_http_opts o = {.connect_timeout_ms = c->http_timeout_ms,
                              .timeout_ms = c->http_timeout_ms,
                              .max_body = 16u << 20,
                              .user_agent = "mithril-signer-c"};
    return o;
}

/* One request: the reply in *r (the caller frees r->body) and its status in
 * *status; a non-2xx status is an error naming the URL (MTL_ERR_NOT_FOUND for
 * a GET answered 404). url receives the URL for the caller's messages. */
static mtl_err call_at(const struct signer_config *c, const char *base, size_t n,
                       const char *method, const char *route, const char *body, char *url,
                       size_t url_cap, struct app_http_reply *r, long *status)
{
    url_of(url, url_cap, base, n, route);
    struct app_http_opts o = opts_of(c);
    *status = 0;
    MTL_TRY(app_http_request(method, url, body, &o, r));
    *status = r->status;
    if (r->status >= 200 && r->status <= 299)
        return MTL_OK;
    char why[200];
    app_http_error_text(r, why, sizeof(why));
    mtl_err e = mtl_seterr(r->status == 404 && strcmp(method, "GET") == 0 ? MTL_ERR_NOT_FOUND
                                                                          : MTL_ERR_HTTP,
                           "%s %s: HTTP %ld %s", method, url, r->status, why);
    mtl_free(r->body);
    r->body = NULL;
    return e;
}

/* The leader; when it cannot be reached (no HTTP status), each follower in
 * turn: their epoch settings are the leader's, synchronised. */
static mtl_err call(const struct signer_config *c, const char *method, const char *route,
                    const char *body, char *url, size_t url_cap, struct app_http_reply *r,
                    long *status)
{
    const char *base = c->aggregator_endpoint;
    size_t n = strlen(base);
    mtl_err e = call_at(c, base, n, method, route, body, url, url_cap, r, status);
    for (size_t i = 0; e != MTL_OK && *status == 0 && follower_at(c, i, &base, &n); i++) {
        log_debug("leader_unreachable", "route=%s error=\"%s\" fallback=\"%.*s\"", route,
                  mtl_err_detail(), (int)n, base);
        e = call_at(c, base, n, method, route, body, url, url_cap, r, status);
    }
    return e;
}

mtl_err signer_agg_get(const struct signer_config *c, const char *route, json_t **out, long *status)
{
    char url[4096];
    struct app_http_reply r;
    *out = NULL;
    MTL_TRY(call(c, "GET", route, NULL, url, sizeof(url), &r, status));
    json_error_t je;
    *out = json_loadb(r.body, r.len, JSON_PRESERVE_ORDER, &je);
    mtl_free(r.body);
    MTL_CHECK(*out, MTL_ERR_BAD_ENCODING, "GET %s: invalid JSON: %s", url, je.text);
    return MTL_OK;
}

mtl_err signer_agg_post(const struct signer_config *c, const char *route, const char *json,
                        long *status)
{
    char url[4096];
    struct app_http_reply r;
    const char *base = c->aggregator_endpoint;
    mtl_err e = call_at(c, base, strlen(base), "POST", route, json, url, sizeof(url), &r, status);
    if (e == MTL_OK)
        mtl_free(r.body);
    return e;
}

/* An answer worth sending again later: none (down), message not open yet,
 * busy (as the runtime retries a first send). */
static int retryable(mtl_err e, long st)
{
    return e != MTL_OK && (st == 0 || st == 404 || st == 408 || st == 429 || st >= 500);
}

/* Keep json for the endpoint base[0..n) ("" = the leader). */
static void owe(json_t *owed, const char *base, size_t n, const char *json)
{
    json_t *o = json_pack("{s:s%,s:s}", "to", base, n, "body", json);
    if (o)
        json_array_append_new(owed, o);
}

mtl_err signer_agg_post_all(const struct signer_config *c, const char *route, const char *json,
                            long *status, json_t *owed)
{
    mtl_err e = signer_agg_post(c, route, json, status);
    int leader_down = e != MTL_OK && *status == 0, taken = 0;
    char why[512];
    snprintf(why, sizeof(why), "%s", e == MTL_OK ? "" : mtl_err_detail());
    const char *base;
    size_t n;
    for (size_t i = 0; follower_at(c, i, &base, &n); i++) {
        char url[4096];
        struct app_http_reply r;
        long st = 0;
        mtl_err fe = call_at(c, base, n, "POST", route, json, url, sizeof(url), &r, &st);
        if (fe == MTL_OK) {
            mtl_free(r.body);
            log_debug("follower_accepted", "url=%s", url);
            taken = 1;
        } else if (retryable(fe, st)) {
            log_debug("follower_later", "url=%s status=%ld", url, st);
            owe(owed, base, n, json);
        } else /* 409/410: it has it already, or it is too late: nothing lost */
            app_log(st == 409 || st == 410 ? MTL_LOG_DEBUG : MTL_LOG_WARN, "follower_refused",
                    "url=%s status=%ld detail=\"%s\"", url, st, mtl_err_detail());
    }
    /* The leader's answer decides, unless it could not be reached and a
     * follower took the signature: then it is kept for the leader (without
     * a follower, the caller sends it again itself). */
    if (leader_down && taken) {
        owe(owed, "", 0, json);
        *status = 201;
        return MTL_OK;
    }
    if (e != MTL_OK)
        mtl_seterr(e, "%s", why);
    return e;
}

void signer_owed_flush(const struct signer_config *c, json_t *owed)
{
    for (size_t i = 0; i < json_array_size(owed);) {
        json_t *o = json_array_get(owed, i);
        const char *to = json_string_value(json_object_get(o, "to"));
        const char *body = json_string_value(json_object_get(o, "body"));
        char url[4096];
        struct app_http_reply r;
        long st = 0;
        const char *base = to && *to ? to : c->aggregator_endpoint;
        mtl_err e = call_at(c, base, strlen(base), "POST", "/register-signatures", body ? body : "",
                            url, sizeof(url), &r, &st);
        if (e == MTL_OK)
            mtl_free(r.body);
        if (retryable(e, st)) {
            mtl_err_clear();
            i++;
            continue;
        }
        log_info("signature_sent_again", "url=%s status=%ld detail=\"%s\"", url, st,
                 e == MTL_OK ? "" : mtl_err_detail());
        mtl_err_clear();
        json_array_remove(owed, i);
    }
}
