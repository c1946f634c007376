/* httpd.c - libmicrohttpd server with capped bodies and JSON responses. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common_int.h"
#include "httpd.h"
#include "log.h"

struct mtl_httpd {
    struct MHD_Daemon *d;
    mtl_httpd_handler handler;
    void *ctx;
    size_t max_body;
    uint16_t port;
};

struct req {
    struct mtl_buf body;
    int too_big;
};

void mtl_http_json(struct mtl_http_response *r, int status, const char *json)
{
    r->status = status;
    r->body = mtl_strdup(json);
    r->len = r->body ? strlen(r->body) : 0;
}

void mtl_http_error(struct mtl_http_response *r, int status, const char *label, const char *fmt,
                    ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct mtl_buf b;
    mtl_buf_init(&b, 4096);
    mtl_buf_printf(&b, "{\"label\":\"%s\",\"message\":\"", label);
    for (const char *p = msg; *p; p++) {
        if (*p == '"' || *p == '\\')
            mtl_buf_printf(&b, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            mtl_buf_printf(&b, "\\u%04x", *p);
        else
            mtl_buf_append(&b, p, 1);
    }
    mtl_buf_append_str(&b, "\"}");
    r->status = status;
    r->body = (char *)mtl_buf_take(&b, &r->len);
    /* Refused requests leave a trace: one line per refusal. */
    log_warn("http_refused", "status=%d label=%s message=\"%s\"", status, label, msg);
}

static void add_headers(struct MHD_Response *resp, const char *ctype)
{
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "mithril-api-version", MTL_API_VERSION);
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", "*");
    MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct mtl_http_response *r)
{
    struct MHD_Response *resp = NULL;
    if (r->file_path) {
        int fd = open(r->file_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
        } else {
            if (fd >= 0)
                close(fd);
            mtl_free(r->body);
            mtl_http_error(r, 404, "not_found", "file not found");
            r->file_path = NULL;
        }
    }
    if (!resp)
        resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"",
                                               MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    add_headers(resp, r->file_path ? "application/octet-stream"
                                   : r->content_type ? r->content_type : "application/json");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct mtl_httpd *h = cls;
    struct req *rq = *con_cls;
    if (!rq) {
        rq = mtl_calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        mtl_buf_init(&rq->body, h->max_body);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && mtl_buf_append(&rq->body, upload, *upload_size) != MTL_OK)
            rq->too_big = 1; /* keep reading, answer 413 at the end */
        *upload_size = 0;
        return MHD_YES;
    }
    struct mtl_http_response r = {.status = 500};
    if (rq->too_big)
        mtl_http_error(&r, 413, "payload_too_large", "request body larger than %zu bytes",
                       h->max_body);
    else if (strcmp(method, "OPTIONS") == 0)
        mtl_http_json(&r, 204, "");
    else {
        mtl_buf_nul(&rq->body);
        h->handler(h->ctx, method, url, rq->body.data ? (char *)rq->body.data : "", rq->body.len,
                   &r);
    }
    enum MHD_Result ret = send_resp(c, &r);
    mtl_free(r.body);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;
    if (rq) {
        mtl_buf_free(&rq->body);
        mtl_free(rq);
        *con_cls = NULL;
    }
}

mtl_err mtl_httpd_start(struct mtl_httpd **out, const char *ip, uint16_t port, size_t max_body,
                        mtl_httpd_handler handler, void *ctx)
{
    *out = NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    MTL_CHECK(inet_pton(AF_INET, ip, &sa.sin_addr) == 1, MTL_ERR_CONFIG,
              "server: '%s' is not an IPv4 address", ip);
    struct mtl_httpd *h = mtl_calloc(1, sizeof(*h));
    MTL_CHECK(h, MTL_ERR_NOMEM, "server: out of memory");
    h->handler = handler;
    h->ctx = ctx;
    h->max_body = max_body;
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                MHD_USE_ERROR_LOG,
                            port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!h->d) {
        mtl_free(h);
        return mtl_seterr(MTL_ERR_IO, "server: cannot listen on %s:%u", ip, port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    *out = h;
    return MTL_OK;
}

uint16_t mtl_httpd_port(const struct mtl_httpd *h)
{
    return h->port;
}

void mtl_httpd_stop(struct mtl_httpd *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    mtl_free(h);
}
