/* signer_aggregator.c - the signer's requests to the aggregator (util/http_client
 * with the configured timeout); failures name the route and status. */
#include <string.h>

#include "http_client.h"
#include "signer_int.h"

static void url_of(char *out, size_t cap, const struct signer_config *c, const char *route)
{
    size_t n = strlen(c->aggregator_endpoint);
    int slash = n && c->aggregator_endpoint[n - 1] == '/' && route[0] == '/';
    snprintf(out, cap, "%.*s%s", (int)(n - (size_t)slash), c->aggregator_endpoint, route);
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
static mtl_err call(const struct signer_config *c, const char *method, const char *route,
                    const char *body, char *url, size_t url_cap, struct app_http_reply *r,
                    long *status)
{
    url_of(url, url_cap, c, route);
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
    MTL_TRY(call(c, "POST", route, json, url, sizeof(url), &r, status));
    mtl_free(r.body);
    return MTL_OK;
}
