/* client_http.c - JSON GETs against the aggregator (libcurl easy, capped body). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "client_int.h"

struct sink {
    struct mtl_buf buf;
    mtl_err err;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    struct sink *s = ud;
    if (mtl_buf_append(&s->buf, p, sz * n) != MTL_OK) {
        s->err = MTL_ERR_TOO_BIG;
        return 0; /* aborts the transfer */
    }
    return sz * n;
}

mtl_err client_get(const struct client *cl, const char *route, char **body, size_t *len)
{
    char url[4096];
    int n = snprintf(url, sizeof(url), "%s%s", cl->endpoint, route);
    MTL_CHECK(n > 0 && (size_t)n < sizeof(url), MTL_ERR_INVALID_ARG, "URL too long: %s", route);
    CURL *c = curl_easy_init();
    MTL_CHECK(c, MTL_ERR_NOMEM, "curl_easy_init failed");
    struct sink s = {.err = MTL_OK};
    mtl_buf_init(&s.buf, CLIENT_JSON_MAX);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mithril-client-c");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    mtl_err e = MTL_OK;
    if (s.err != MTL_OK)
        e = mtl_seterr(s.err, "GET %s: response larger than %u bytes", url, CLIENT_JSON_MAX);
    else if (rc != CURLE_OK)
        e = mtl_seterr(MTL_ERR_HTTP, "GET %s: %s", url, curl_easy_strerror(rc));
    else if (status == 404)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "GET %s: not found (HTTP 404)", url);
    else if (status < 200 || status > 299)
        e = mtl_seterr(MTL_ERR_HTTP, "GET %s: HTTP status %ld", url, status);
    else
        e = mtl_buf_nul(&s.buf);
    if (e != MTL_OK) {
        mtl_buf_free(&s.buf);
        return e;
    }
    *body = (char *)mtl_buf_take(&s.buf, len);
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
    CURL *c = curl_easy_init();
    MTL_CHECK(c, MTL_ERR_NOMEM, "curl_easy_init failed");
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct sink s = {.err = MTL_OK};
    mtl_buf_init(&s.buf, 1 << 16);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json ? json : "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    mtl_buf_free(&s.buf);
    if (rc != CURLE_OK)
        return mtl_seterr(MTL_ERR_HTTP, "POST %s: %s", url, curl_easy_strerror(rc));
    MTL_CHECK(status >= 200 && status <= 299, MTL_ERR_HTTP, "POST %s: HTTP status %ld", url,
              status);
    return MTL_OK;
}
