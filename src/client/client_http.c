/* client_http.c - JSON GETs/POSTs against the aggregator (util/http_client). */
#include <stdio.h>
#include <string.h>

#include "client_int.h"
#include "http_client.h"

mtl_err client_get(const struct client *cl, const char *route, char **body, size_t *len)
{
    char url[4096];
    int n = snprintf(url, sizeof(url), "%s%s", cl->endpoint, route);
    MTL_CHECK(n > 0 && (size_t)n < sizeof(url), MTL_ERR_INVALID_ARG, "URL too long: %s", route);
    struct mtl_http_opts o = {.max_body = CLIENT_JSON_MAX, .user_agent = "mithril-client-c"};
    struct mtl_http_reply r;
    MTL_TRY(mtl_http_request("GET", url, NULL, &o, &r));
    mtl_err e = MTL_OK;
    if (r.status == 404)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "GET %s: not found (HTTP 404)", url);
    else if (r.status < 200 || r.status > 299)
        e = mtl_seterr(MTL_ERR_HTTP, "GET %s: HTTP status %ld", url, r.status);
    if (e != MTL_OK) {
        mtl_free(r.body);
        return e;
    }
    *body = r.body;
    *len = r.len;
    return MTL_OK;
}

mtl_err client_get_json(const struct client *cl, const char *route, json_t **out)
{
    char *body;
    size_t len;
    MTL_TRY(client_get(cl, route, &body, &len));
    json_error_t je;
    *out = json_loadb(body, len, JSON_PRESERVE_ORDER, &je);
    mtl_free(body);
    MTL_CHECK(*out, MTL_ERR_BAD_ENCODING, "GET %s%s: invalid JSON: %s (line %d)", cl->endpoint,
              route, je.text, je.line);
    return MTL_OK;
}

mtl_err client_resolve_hash(const struct client *cl, const char *list_route, const char *arg,
                            char out[MTL_HASH_HEX_BYTES])
{
    if (strcmp(arg, "latest") != 0) {
        size_t n = strlen(arg);
        MTL_CHECK(n == 64 && strspn(arg, "0123456789abcdef") == 64, MTL_ERR_INVALID_ARG,
                  "'%s' is not a hash (64 lower-case hex digits) nor 'latest'", arg);
        memcpy(out, arg, 65);
        return MTL_OK;
    }
    json_t *list;
    MTL_TRY(client_get_json(cl, list_route, &list));
    json_t *first = json_is_array(list) ? json_array_get(list, 0) : NULL;
    const char *h = json_string_value(json_object_get(first, "hash"));
    mtl_err e = MTL_OK;
    if (!json_is_array(list))
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: expected a JSON array", list_route);
    else if (!first)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "%s: the list is empty, no 'latest'", list_route);
    else if (!h || strlen(h) != 64)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "%s: first item has no valid 'hash'", list_route);
    else
        memcpy(out, h, 65);
    json_decref(list);
    return e;
}

mtl_err client_post(const struct client *cl, const char *route, const char *json)
{
    char url[4096];
    int n = snprintf(url, sizeof(url), "%s%s", cl->endpoint, route);
    MTL_CHECK(n > 0 && (size_t)n < sizeof(url), MTL_ERR_INVALID_ARG, "URL too long: %s", route);
    struct mtl_http_opts o = {
        .timeout_ms = 30000, .max_body = 1 << 16, .user_agent = "mithril-client-c"};
    struct mtl_http_reply r;
    MTL_TRY(mtl_http_request("POST", url, json, &o, &r));
    mtl_free(r.body);
    MTL_CHECK(r.status >= 200 && r.status <= 299, MTL_ERR_HTTP, "POST %s: HTTP status %ld", url,
              r.status);
    return MTL_OK;
}
