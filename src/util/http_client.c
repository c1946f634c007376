/* http_client.c - JSON HTTP requests with libcurl easy (capped body, timeouts,
 * mithril-api-version header). */
#include "http_client.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/common_int.h"
#include "httpd.h"

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

mtl_err app_http_request(const char *method, const char *url, const char *json_body,
                         const struct app_http_opts *opts, struct app_http_reply *reply)
{
    static const struct app_http_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    memset(reply, 0, sizeof(*reply));
    int post = strcmp(method, "POST") == 0;
    MTL_CHECK(post || strcmp(method, "GET") == 0, MTL_ERR_INVALID_ARG, "method %s", method);
    size_t cap = opts->max_body ? opts->max_body : (64u << 20);
    CURL *c = curl_easy_init();
    MTL_CHECK(c, MTL_ERR_NOMEM, "curl_easy_init failed");
    struct curl_slist *h = curl_slist_append(NULL, "mithril-api-version: " MTL_API_VERSION);
    struct curl_slist *h2 = h ? curl_slist_append(h, "Accept: application/json") : NULL;
    if (h2 && post)
        h2 = curl_slist_append(h2, "Content-Type: application/json");
    for (const char *const *x = opts->headers; h2 && x && *x; x++)
        h2 = curl_slist_append(h2, *x);
    if (!h2) {
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return mtl_seterr(MTL_ERR_NOMEM, "curl header list");
    }
    h = h2;
    struct sink s = {.err = MTL_OK};
    mtl_buf_init(&s.buf, cap);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body ? json_body : "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, post ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opts->timeout_ms > 0 ? opts->timeout_ms : 300000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, opts->user_agent ? opts->user_agent : "mithril-c");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    mtl_err e = MTL_OK;
    if (s.err != MTL_OK)
        e = mtl_seterr(s.err, "%s %s: response larger than %zu bytes", method, url, cap);
    else if (rc != CURLE_OK)
        e = mtl_seterr(MTL_ERR_HTTP, "%s %s: %s", method, url, curl_easy_strerror(rc));
    else
        e = mtl_buf_nul(&s.buf);
    if (e != MTL_OK) {
        mtl_buf_free(&s.buf);
        return e;
    }
    reply->body = (char *)mtl_buf_take(&s.buf, &reply->len);
    if (!reply->body) { /* empty body: still hand back a string */
        reply->body = mtl_strdup("");
        MTL_CHECK(reply->body, MTL_ERR_NOMEM, "out of memory");
    }
    return MTL_OK;
}

void app_http_error_text(const struct app_http_reply *r, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    if (!r->body)
        return;
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    const char *m = json_string_value(json_object_get(j, "message"));
    /* a body that is not JSON: its first bytes, never past its length */
    snprintf(out, cap, "%.*s", m ? (int)(cap - 1) : (int)(r->len < 200 ? r->len : 200),
             m ? m : r->body);
    json_decref(j);
    /* one log line: no newlines or quotes */
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '"')
            *p = ' ';
}
