/* client_http.c - HTTP for the client: the aggregator's JSON routes
 * (util/http_client) and the one streaming GET every download goes through
 * (archives, ancillary archive, digests). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client_transport.h"
#include "http_client.h"
#include "httpd.h" /* MTL_API_VERSION */

#define USER_AGENT "mithril-client-c"

/* The identity headers every request carries (the reference's client sends
 * them too): set once by client_http_identity before any request. */
static char origin_header[160];
static const char CLIENT_TYPE_HEADER[] = "mithril-client-type: CLI";
static const char *identity[3] = {CLIENT_TYPE_HEADER, NULL, NULL};

mtl_err client_http_identity(const char *origin_tag)
{
    if (!origin_tag || !*origin_tag)
        return MTL_OK;
    size_t n = strlen(origin_tag);
    MTL_CHECK(n <= 100, MTL_ERR_INVALID_ARG, "origin tag: longer than 100 bytes");
    for (size_t i = 0; i < n; i++)
        MTL_CHECK(origin_tag[i] > 0x20 && origin_tag[i] < 0x7f, MTL_ERR_INVALID_ARG,
                  "origin tag '%s': only printable ASCII without spaces", origin_tag);
    snprintf(origin_header, sizeof(origin_header), "mithril-origin-tag: %s", origin_tag);
    identity[1] = origin_header;
    return MTL_OK;
}

static mtl_err route_url(char *url, size_t cap, const char *endpoint, const char *route)
{
    int n = snprintf(url, cap, "%s%s", endpoint, route);
    MTL_CHECK(n > 0 && (size_t)n < cap, MTL_ERR_INVALID_ARG, "URL too long: %s", route);
    return MTL_OK;
}

mtl_err client_get(const char *endpoint, const char *route, char **body, size_t *len)
{
    char url[4096];
    MTL_TRY(route_url(url, sizeof(url), endpoint, route));
    struct app_http_opts o = {
        .max_body = CLIENT_JSON_MAX, .user_agent = USER_AGENT, .headers = identity};
    struct app_http_reply r;
    MTL_TRY(app_http_request("GET", url, NULL, &o, &r));
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

mtl_err client_get_json(const char *endpoint, const char *route, json_t **out)
{
    char *body;
    size_t len;
    MTL_TRY(client_get(endpoint, route, &body, &len));
    json_error_t je;
    *out = json_loadb(body, len, JSON_PRESERVE_ORDER, &je);
    mtl_free(body);
    MTL_CHECK(*out, MTL_ERR_BAD_ENCODING, "GET %s%s: invalid JSON: %s (line %d)", endpoint, route,
              je.text, je.line);
    return MTL_OK;
}

mtl_err client_resolve_hash(const char *endpoint, const char *list_route, const char *arg,
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
    MTL_TRY(client_get_json(endpoint, list_route, &list));
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

mtl_err client_post(const char *endpoint, const char *route, const char *json)
{
    char url[4096];
    MTL_TRY(route_url(url, sizeof(url), endpoint, route));
    struct app_http_opts o = {
        .timeout_ms = 30000, .max_body = 1 << 16, .user_agent = USER_AGENT, .headers = identity};
    struct app_http_reply r;
    MTL_TRY(app_http_request("POST", url, json, &o, &r));
    mtl_free(r.body);
    MTL_CHECK(r.status >= 200 && r.status <= 299, MTL_ERR_HTTP, "POST %s: HTTP status %ld", url,
              r.status);
    return MTL_OK;
}

/* ---- the streaming GET --------------------------------------------------- */

struct stream_run {
    const struct client_stream *s;
    int stopped; /* by the sink or a cancellation */
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct stream_run *r = ud;
    if (r->s->write(r->s->ctx, (const uint8_t *)p, sz * n) != 0) {
        r->stopped = 1;
        return 0;
    }
    return sz * n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    struct stream_run *r = ud;
    if (r->s->cancelled && r->s->cancelled(r->s->ctx)) {
        r->stopped = 1;
        return 1;
    }
    return 0;
}

/* Everything a download shares: http(s) only (also for redirects), the API
 * version header, fail on HTTP errors, follow redirects, no signals, 30 s to
 * connect, give up after 120 s without a byte. */
static void set_common(CURL *c, const char *url, struct curl_slist *h, struct stream_run *r)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    if (r->s->cancelled) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
    }
    if (r->s->buffer_bytes > 0)
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, r->s->buffer_bytes);
    if (r->s->timeout_s > 0)
        curl_easy_setopt(c, CURLOPT_TIMEOUT, r->s->timeout_s);
}

mtl_err client_http_check_url(const char *url, const char *what)
{
    MTL_CHECK(strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0,
              MTL_ERR_BAD_ENCODING, "%s: location '%.200s' refused (only http:// and https://)",
              what, url);
    return MTL_OK;
}

mtl_err client_http_stream(const char *url, const struct client_stream *s)
{
    MTL_TRY(client_http_check_url(url, s->what));
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "mithril-api-version: " MTL_API_VERSION);
    for (const char *const *x = identity; h && *x; x++) {
        struct curl_slist *more = curl_slist_append(h, *x);
        if (!more)
            curl_slist_free_all(h);
        h = more;
    }
    if (!c || !h) {
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
        return mtl_seterr(MTL_ERR_NOMEM, "%s: cannot set up the transfer", s->what);
    }
    struct stream_run r = {.s = s};
    set_common(c, url, h, &r);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (rc == CURLE_OK)
        return MTL_OK;
    if (r.stopped)
        return mtl_seterr(MTL_ERR_STATE, "%s: GET %s: stopped", s->what, url);
    /* a 404 is an answer, not a transport failure: not worth retrying */
    return mtl_seterr(status == 404 ? MTL_ERR_NOT_FOUND : MTL_ERR_HTTP, "%s: GET %s: %s (HTTP %ld)",
                      s->what, url, curl_easy_strerror(rc), status);
}

struct mem_sink {
    struct mtl_buf b;
    int over;
};

static int mem_write(void *ctx, const uint8_t *p, size_t n)
{
    struct mem_sink *m = ctx;
    if (mtl_buf_append(&m->b, p, n) != MTL_OK) {
        m->over = 1;
        return 1;
    }
    return 0;
}

mtl_err client_http_fetch(const char *url, const char *what, size_t cap, char **out, size_t *len)
{
    struct mem_sink m = {.over = 0};
    mtl_buf_init(&m.b, cap);
    struct client_stream s = {.what = what, .write = mem_write, .ctx = &m, .timeout_s = 600};
    mtl_err e = client_http_stream(url, &s);
    if (e != MTL_OK && m.over)
        e = mtl_seterr(MTL_ERR_TOO_BIG, "GET %s: larger than %zu bytes", url, cap);
    if (e == MTL_OK)
        e = mtl_buf_nul(&m.b);
    if (e != MTL_OK) {
        mtl_buf_free(&m.b);
        return e;
    }
    *out = (char *)mtl_buf_take(&m.b, len);
    return MTL_OK;
}
