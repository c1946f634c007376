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

static struct mtl_http_opts opts_of(const struct signer_config *c)
{
    struct mtl_http_opts o = {.connect_timeout_ms = c->http_timeout_ms,
                              .timeout_ms = c->http_timeout_ms,
                              .max_body = 16u << 20,
                              .user_agent = "mithril-signer-c"};
    return o;
}

mtl_err signer_agg_get(const struct signer_config *c, const char *route, json_t **out, long *status)
{
    char url[4096];
    url_of(url, sizeof(url), c, route);
    struct mtl_http_opts o = opts_of(c);
    struct mtl_http_reply r;
    *out = NULL;
    *status = 0;
    MTL_TRY(mtl_http_request("GET", url, NULL, &o, &r));
    *status = r.status;
    mtl_err e = MTL_OK;
    if (r.status < 200 || r.status > 299) {
        char why[200];
        mtl_http_error_text(&r, why, sizeof(why));
        e = mtl_seterr(r.status == 404 ? MTL_ERR_NOT_FOUND : MTL_ERR_HTTP, "GET %s: HTTP %ld %s",
                       url, r.status, why);
    } else {
        json_error_t je;
        *out = json_loadb(r.body, r.len, JSON_PRESERVE_ORDER, &je);
        if (!*out)
            e = mtl_seterr(MTL_ERR_BAD_ENCODING, "GET %s: invalid JSON: %s", url, je.text);
    }
    mtl_free(r.body);
    return e;
}

mtl_err signer_agg_post(const struct signer_config *c, const char *route, const char *json,
                        long *status)
{
    char url[4096];
    url_of(url, sizeof(url), c, route);
    struct mtl_http_opts o = opts_of(c);
    struct mtl_http_reply r;
    *status = 0;
    MTL_TRY(mtl_http_request("POST", url, json, &o, &r));
    *status = r.status;
    mtl_err e = MTL_OK;
    if (r.status < 200 || r.status > 299) {
        char why[200];
        mtl_http_error_text(&r, why, sizeof(why));
        e = mtl_seterr(MTL_ERR_HTTP, "POST %s: HTTP %ld %s", url, r.status, why);
    }
    mtl_free(r.body);
    return e;
}
