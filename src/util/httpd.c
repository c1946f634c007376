/*
 * httpd.c - libmicrohttpd server with bounded requests and JSON responses.
 *
 * Against slow clients (one header line every few seconds on many sockets):
 * epoll worker threads instead of a thread per connection, total and
 * per-address connection limits, and a whole-request deadline. MHD only has an
 * idle timer (reset by any byte), so each connection is recorded when it opens
 * and a sweep thread shuts down the socket of any connection whose request is
 * still incomplete at its deadline; MHD then sees EOF and closes it. Bodies are
 * bounded per route, refused from Content-Length before being read.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/common_int.h"
#include "httpd.h"
#include "log.h"

/* One open connection, between MHD's STARTED and CLOSED notifications. */
struct conn {
    struct conn *prev, *next;
    int fd;
    int answering; /* request received: the deadline no longer applies */
    int shut;      /* shut down by the sweep already */
    uint64_t since_ms;
};

struct app_httpd {
    struct MHD_Daemon *d;
    app_httpd_handler handler;
    void *ctx;
    struct app_httpd_opts o;
    uint16_t port;
    pthread_mutex_t lock; /* conns, n_conns, peak */
    struct conn conns;    /* list head */
    unsigned n_conns, peak;
    pthread_t sweeper;
    atomic_int stopping;
    atomic_uint_fast64_t deadline_closes;
};

struct req {
    struct mtl_buf body;
    size_t max_body;
    int too_big;
};

/* The connection whose request the handler of this thread is answering. */
static _Thread_local struct MHD_Connection *current;

const char *app_httpd_header(const char *name)
{
    return current ? MHD_lookup_connection_value(current, MHD_HEADER_KIND, name) : NULL;
}

const char *app_httpd_query(const char *name)
{
    return current ? MHD_lookup_connection_value(current, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void app_http_json(struct app_http_response *r, int status, const char *json)
{
    r->status = status;
    r->body = mtl_strdup(json);
    r->len = r->body ? strlen(r->body) : 0;
}

void app_http_error(struct app_http_response *r, int status, const char *label, const char *fmt,
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

/* CORS as the reference aggregator sends it (warp's cors filter: any origin,
 * these request headers and methods): a request with an Origin gets that
 * origin back in Access-Control-Allow-Origin; one without is not CORS and
 * gets no CORS header. Vary: Origin keeps shared caches from mixing answers. */
static const char *const CORS_HEADERS[] = {"content-type", "mithril-api-version",
                                           "mithril-origin-tag", "mithril-client-type"};
#define CORS_HEADERS_TEXT "content-type, mithril-api-version, mithril-origin-tag, mithril-client-type"
#define CORS_METHODS_TEXT "GET, POST, OPTIONS"

static const char *request_origin(struct MHD_Connection *c)
{
    const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    return o && *o ? o : NULL;
}

static void add_headers(struct MHD_Connection *c, struct MHD_Response *resp,
                        const struct app_http_response *r, const char *ctype)
{
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "mithril-api-version", MTL_API_VERSION);
    if (r->location)
        MHD_add_response_header(resp, "Location", r->location);
    const char *origin = request_origin(c);
    if (origin) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(resp, "Vary", "Origin");
    }
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct app_http_response *r)
{
    struct MHD_Response *resp = NULL;
    const char *ctype = r->content_type ? r->content_type : "application/json";
    if (r->file_path) {
        int fd = open(r->file_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
            if (!r->content_type)
                ctype = "application/octet-stream";
        } else {
            if (fd >= 0)
                close(fd);
            mtl_free(r->body);
            app_http_error(r, 404, "not_found", "file not found");
            r->file_path = NULL;
            r->content_type = NULL;
            ctype = "application/json";
        }
    }
    if (!resp)
        resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"",
                                               MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    add_headers(c, resp, r, ctype);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Is every name of a comma-separated Access-Control-Request-Headers allowed
 * (case-insensitive, blanks around names ignored)? */
static int cors_headers_allowed(const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ",");
        size_t len = n;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        int ok = 0;
        for (size_t i = 0; len && i < MTL_ARRAY_LEN(CORS_HEADERS); i++)
            ok |= strlen(CORS_HEADERS[i]) == len && strncasecmp(CORS_HEADERS[i], p, len) == 0;
        if (!ok)
            return 0;
        p += n;
        if (*p == ',')
            p++;
    }
    return 1;
}

/* A preflight (OPTIONS with an Origin): 200 with what is allowed, or 403
 * naming what is not, like warp's cors filter. */
static enum MHD_Result answer_preflight(struct MHD_Connection *c)
{
    const char *m = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Method");
    const char *hs =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
    const char *why = NULL;
    if (!m || (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0 && strcmp(m, "OPTIONS") != 0))
        why = "CORS request forbidden: requested method not allowed";
    else if (hs && !cors_headers_allowed(hs))
        why = "CORS request forbidden: header not allowed";
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        why ? strlen(why) : 0, (void *)(why ? why : ""), MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    if (why) {
        MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
        log_warn("http_refused", "status=403 label=cors message=\"%s\"", why);
    } else {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", request_origin(c));
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", CORS_HEADERS_TEXT);
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", CORS_METHODS_TEXT);
        MHD_add_response_header(resp, "Vary", "Origin");
    }
    enum MHD_Result ret = MHD_queue_response(c, why ? 403 : 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

static size_t route_bound(const struct app_httpd *h, const char *method, const char *url)
{
    for (size_t i = 0; i < h->o.n_limits; i++) {
        const struct app_httpd_route_limit *l = &h->o.limits[i];
        if (strcmp(l->method, method) == 0 && strncmp(url, l->prefix, strlen(l->prefix)) == 0)
            return l->max_body;
    }
    return h->o.max_body;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

/* The request is in: from now on the connection is answering, not late. */
static void mark_answering(struct app_httpd *h, struct MHD_Connection *c, int answering)
{
    struct conn *k = conn_of(c);
    if (!k)
        return;
    pthread_mutex_lock(&h->lock);
    k->answering = answering;
    k->since_ms = now_ms();
    pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result refuse_too_big(struct app_httpd *h, struct MHD_Connection *c,
                                      const char *method, const char *url, size_t bound)
{
    struct app_http_response r = {.status = 500};
    (void)h;
    app_http_error(&r, 413, "payload_too_large",
                   "request body larger than %zu bytes, the bound of %s %s", bound, method, url);
    mark_answering(h, c, 1);
    enum MHD_Result ret = send_resp(c, &r);
    mtl_free(r.body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct app_httpd *h = cls;
    struct req *rq = *con_cls;
    (void)version;
    if (!rq) {
        rq = mtl_calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        rq->max_body = route_bound(h, method, url);
        mtl_buf_init(&rq->body, rq->max_body);
        *con_cls = rq;
        /* A declared length over the bound is refused before reading a byte. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > rq->max_body) {
            rq->too_big = 1;
            return refuse_too_big(h, c, method, url, rq->max_body);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && (rq->body.len + *upload_size > rq->max_body ||
                             mtl_buf_append(&rq->body, upload, *upload_size) != MTL_OK)) {
            rq->too_big = 1; /* chunked: drop the rest, answer 413 at the end */
            mtl_buf_free(&rq->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return refuse_too_big(h, c, method, url, rq->max_body);
    struct app_http_response r = {.status = 500};
    mark_answering(h, c, 1);
    if (strcmp(method, "OPTIONS") == 0 && request_origin(c))
        return answer_preflight(c);
    mtl_buf_nul(&rq->body);
    current = c;
    h->handler(h->ctx, method, url, rq->body.data ? (char *)rq->body.data : "", rq->body.len, &r);
    current = NULL;
    enum MHD_Result ret = send_resp(c, &r);
    mtl_free(r.body);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct app_httpd *h = cls;
    struct req *rq = *con_cls;
    (void)toe;
    if (rq) {
        mtl_buf_free(&rq->body);
        mtl_free(rq);
        *con_cls = NULL;
    }
    /* Keep-alive: the next request has its own deadline from now. */
    mark_answering(h, c, 0);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct app_httpd *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *k = mtl_calloc(1, sizeof(*k));
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!k || !i) {
            mtl_free(k);
            return; /* untracked: MHD's idle timeout still applies */
        }
        k->fd = i->connect_fd;
        k->since_ms = now_ms();
        pthread_mutex_lock(&h->lock);
        k->next = h->conns.next;
        k->prev = &h->conns;
        h->conns.next->prev = k;
        h->conns.next = k;
        if (++h->n_conns > h->peak)
            h->peak = h->n_conns;
        pthread_mutex_unlock(&h->lock);
        *socket_context = k;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct conn *k = *socket_context;
        /* Unlinked before MHD closes the descriptor: the sweep never shuts a
         * reused one. */
        pthread_mutex_lock(&h->lock);
        k->prev->next = k->next;
        k->next->prev = k->prev;
        h->n_conns--;
        pthread_mutex_unlock(&h->lock);
        mtl_free(k);
        *socket_context = NULL;
    }
}

/* Every tenth of the deadline (at most 250 ms): shut down late connections; after a burst
 * (connections down to a quarter of the peak) hand freed memory back. */
static void *sweep(void *arg)
{
    struct app_httpd *h = arg;
    unsigned step = h->o.deadline_ms / 10 > 250 ? 250 : h->o.deadline_ms / 10;
    struct timespec ts = {.tv_sec = step / 1000, .tv_nsec = (long)(step % 1000) * 1000000};
    while (!atomic_load(&h->stopping)) {
        nanosleep(&ts, NULL);
        uint64_t now = now_ms(), closed = 0;
        int trim = 0;
        pthread_mutex_lock(&h->lock);
        for (struct conn *k = h->conns.next; k != &h->conns; k = k->next) {
            if (!k->answering && !k->shut && now - k->since_ms > h->o.deadline_ms) {
                atomic_fetch_add(&h->deadline_closes, 1); /* counted before the peer sees it */
                shutdown(k->fd, SHUT_RDWR);
                k->shut = 1;
                closed++;
            }
        }
        if (h->peak >= 64 && h->n_conns <= h->peak / 4) {
            trim = 1;
            h->peak = h->n_conns;
        }
        pthread_mutex_unlock(&h->lock);
        if (closed)
            log_info("http_deadline", "closed=%" PRIu64 " deadline_ms=%u", closed,
                     h->o.deadline_ms);
        if (trim)
            malloc_trim(0);
    }
    return NULL;
}

/* MHD's own messages (a peer that closed mid-request...) at debug level: an
 * attack must not flood the log. */
MTL_PRINTF(2, 0) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = 0;
    log_debug("http_mhd", "message=\"%s\"", msg);
}

mtl_err app_httpd_start_opts(struct app_httpd **out, const char *ip, uint16_t port,
                             const struct app_httpd_opts *opts, app_httpd_handler handler,
                             void *ctx)
{
    *out = NULL;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    MTL_CHECK(inet_pton(AF_INET, ip, &sa.sin_addr) == 1, MTL_ERR_CONFIG,
              "server: '%s' is not an IPv4 address", ip);
    struct app_httpd *h = mtl_calloc(1, sizeof(*h));
    MTL_CHECK(h, MTL_ERR_NOMEM, "server: out of memory");
    h->handler = handler;
    h->ctx = ctx;
    h->o = *opts;
    if (!h->o.max_body)
        h->o.max_body = 1 << 20;
    if (!h->o.threads)
        h->o.threads = 4;
    if (!h->o.max_connections)
        h->o.max_connections = 4096;
    /* Each connection is a descriptor: lift the soft limit to fit them. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < h->o.max_connections + 256u) {
        rl.rlim_cur =
            rl.rlim_max < h->o.max_connections + 256u ? rl.rlim_max : h->o.max_connections + 256u;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!h->o.per_ip)
        h->o.per_ip = 64;
    if (!h->o.deadline_ms)
        h->o.deadline_ms = 10000;
    if (h->o.deadline_ms < 10)
        h->o.deadline_ms = 10;
    h->conns.next = h->conns.prev = &h->conns;
    pthread_mutex_init(&h->lock, NULL);
    /* The idle timer stays as a backstop for answers a client stops reading. */
    unsigned idle_s = h->o.deadline_ms / 1000 + 1;
    h->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, port, NULL, NULL,
                            on_request, h, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED,
                            on_done, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                            MHD_OPTION_THREAD_POOL_SIZE, h->o.threads, MHD_OPTION_CONNECTION_LIMIT,
                            h->o.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->o.per_ip,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
                            MHD_OPTION_CONNECTION_TIMEOUT, idle_s, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                            1024u, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (!h->d) {
        pthread_mutex_destroy(&h->lock);
        mtl_free(h);
        return mtl_seterr(MTL_ERR_IO, "server: cannot listen on %s:%u", ip, port);
    }
    if (pthread_create(&h->sweeper, NULL, sweep, h) != 0) {
        MHD_stop_daemon(h->d);
        pthread_mutex_destroy(&h->lock);
        mtl_free(h);
        return mtl_seterr(MTL_ERR_IO, "server: cannot start the deadline thread");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    *out = h;
    return MTL_OK;
}

mtl_err app_httpd_start(struct app_httpd **out, const char *ip, uint16_t port, size_t max_body,
                        app_httpd_handler handler, void *ctx)
{
    struct app_httpd_opts o = {.max_body = max_body};
    return app_httpd_start_opts(out, ip, port, &o, handler, ctx);
}

uint16_t app_httpd_port(const struct app_httpd *h)
{
    return h->port;
}

uint64_t app_httpd_deadline_closes(const struct app_httpd *h)
{
    return atomic_load(&h->deadline_closes);
}

unsigned app_httpd_connections(struct app_httpd *h)
{
    pthread_mutex_lock(&h->lock);
    unsigned n = h->n_conns;
    pthread_mutex_unlock(&h->lock);
    return n;
}

void app_httpd_stop(struct app_httpd *h)
{
    if (!h)
        return;
    atomic_store(&h->stopping, 1);
    pthread_join(h->sweeper, NULL);
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->lock);
    mtl_free(h);
}
