/*
 * test_httpd.c - the HTTP server under a slow-socket attack, on loopback only.
 *
 * 1,100 sockets from 127.0.0.1 and 300 from 127.0.0.2-6 each send a request
 * line and then one header line every 500 ms, never finishing; meanwhile a
 * client on 127.0.0.20 makes 200 requests, and every one must be answered 200.
 * Also: the total connection limit holds, the whole-request deadline closes a
 * connection that trickles bytes (an idle timer never would), and a body over
 * its route's bound is refused 413 naming the bound. No timing assertions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common_int.h"
#include "harness.h"
#include "util/httpd.h"

static const struct app_httpd_route_limit LIMITS[] = {
    {"POST", "/aggregator/register-signer", 1024},
    {"POST", "/aggregator/register-signatures", 4096},
};

static void handler(void *ctx, const char *method, const char *path, const char *body, size_t len,
                    struct app_http_response *r)
{
    (void)ctx;
    (void)body;
    char json[64];
    snprintf(json, sizeof(json), "{\"method\":\"%s\",\"len\":%zu}", method, len);
    if (strcmp(path, "/aggregator/certificates") == 0 ||
        strncmp(path, "/aggregator/register-", 21) == 0 ||
        strncmp(path, "/aggregator/statistics/", 23) == 0)
        app_http_json(r, 200, json);
    else
        app_http_error(r, 404, "not_found", "no route %s", path);
}

static struct app_httpd *start(unsigned max_conn, unsigned per_ip, unsigned deadline_ms)
{
    struct app_httpd_opts o = {.max_body = 512,
                               .limits = LIMITS,
                               .n_limits = MTL_ARRAY_LEN(LIMITS),
                               .threads = 2,
                               .max_connections = max_conn,
                               .per_ip = per_ip,
                               .deadline_ms = deadline_ms};
    struct app_httpd *h = NULL;
    if (app_httpd_start_opts(&h, "127.0.0.1", 0, &o, handler, NULL) != MTL_OK)
        return NULL;
    return h;
}

/* A TCP connection from 127.0.0.<from> to the server; -1 on failure. A 30 s
 * receive timeout only keeps a broken server from hanging the test. */
static int dial(uint16_t port, int from)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
    me.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)from);
    to.sin_addr.s_addr = htonl(0x7f000001u);
    to.sin_port = htons(port);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One request on a fresh connection; the status (0 when none) and the body. */
static int request(uint16_t port, int from, const char *head, const char *body, char *out,
                   size_t cap)
{
    int fd = dial(port, from);
    if (fd < 0)
        return 0;
    char req[8192];
    int n = snprintf(req, sizeof(req), "%s\r\nHost: x\r\nConnection: close\r\n\r\n%s", head,
                     body ? body : "");
    size_t got = 0;
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
        ssize_t k;
        while (got + 1 < cap && (k = recv(fd, out + got, cap - 1 - got, 0)) > 0)
            got += (size_t)k;
    }
    out[got] = 0;
    close(fd);
    int status = 0;
    if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
        return 0;
    return status;
}

static const char *body_of(const char *resp)
{
    const char *b = strstr(resp, "\r\n\r\n");
    return b ? b + 4 : "";
}

/* ---- the attack ---------------------------------------------------------- */
#define SLOW_LOCAL 1100
#define SLOW_OTHER 300 /* 60 from each of 127.0.0.2..6 */
struct attack {
    uint16_t port;
    int fds[SLOW_LOCAL + SLOW_OTHER];
    volatile int stop;
    unsigned rounds, reopened;
};

static int slow_open(uint16_t port, int from)
{
    int fd = dial(port, from);
    static const char line[] = "GET /aggregator/certificates HTTP/1.1\r\nHost: x\r\n";
    if (fd >= 0 && send(fd, line, sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Every 500 ms each socket sends one more header line; a socket the server
 * closed is reopened. At most 40 rounds. */
static void *attack_run(void *arg)
{
    struct attack *a = arg;
    int total = SLOW_LOCAL + SLOW_OTHER;
    for (int i = 0; i < total; i++)
        a->fds[i] = slow_open(a->port, i < SLOW_LOCAL ? 1 : 2 + (i - SLOW_LOCAL) / 60);
    for (a->rounds = 0; !a->stop && a->rounds < 40; a->rounds++) {
        usleep(500000);
        for (int i = 0; i < total; i++) {
            if (a->fds[i] >= 0 &&
                send(a->fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL | MSG_DONTWAIT) == 11)
                continue;
            if (a->fds[i] >= 0)
                close(a->fds[i]);
            a->fds[i] = slow_open(a->port, i < SLOW_LOCAL ? 1 : 2 + (i - SLOW_LOCAL) / 60);
            a->reopened++;
        }
    }
    for (int i = 0; i < total; i++)
        if (a->fds[i] >= 0)
            close(a->fds[i]);
    return NULL;
}

TEST(slow_sockets_do_not_starve_clients)
{
    struct app_httpd *h = start(400, 64, 2000);
    CHECK(h);
    static struct attack a;
    memset(&a, 0, sizeof(a));
    a.port = app_httpd_port(h);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, attack_run, &a) == 0);
    usleep(1000000); /* the attack is in place */
    int ok = 0, max_open = 0;
    char resp[4096];
    for (int i = 0; i < 200; i++) {
        int st = i % 2 ? request(a.port, 20, "GET /aggregator/certificates HTTP/1.1", NULL, resp,
                                 sizeof(resp))
                       : request(a.port, 20,
                                 "POST /aggregator/register-signatures HTTP/1.1\r\n"
                                 "Content-Length: 2",
                                 "{}", resp, sizeof(resp));
        ok += st == 200;
        usleep(25000); /* spread over a few deadlines */
        int open = (int)app_httpd_connections(h);
        max_open = open > max_open ? open : max_open;
    }
    a.stop = 1;
    pthread_join(t, NULL);
    printf("answered %d/200, open connections at most %d, slow sockets reopened %u, "
           "closed at deadline %llu\n",
           ok, max_open, a.reopened, (unsigned long long)app_httpd_deadline_closes(h));
    CHECK_EQ_INT(ok, 200);
    /* Per address: 64 from 127.0.0.1, 60 from each other one, our client. */
    CHECK(max_open <= 64 + SLOW_OTHER + 1);
    CHECK(max_open >= 64 + SLOW_OTHER - 10);
    app_httpd_stop(h);
}

TEST(total_limit_then_deadline_frees_slots)
{
    struct app_httpd *h = start(100, 64, 1500);
    CHECK(h);
    uint16_t port = app_httpd_port(h);
    int fds[192];
    for (int i = 0; i < 192; i++)
        fds[i] = slow_open(port, 2 + i / 64);
    int max_open = 0;
    for (int i = 0; i < 20; i++) {
        int open = (int)app_httpd_connections(h);
        max_open = open > max_open ? open : max_open;
        usleep(20000);
    }
    CHECK(max_open <= 100);
    CHECK(max_open >= 90);
    /* The slow ones are closed at their deadline; a client then gets in. */
    char resp[4096];
    CHECK_EQ_INT(
        request(port, 20, "GET /aggregator/certificates HTTP/1.1", NULL, resp, sizeof(resp)), 200);
    CHECK(app_httpd_deadline_closes(h) >= 90);
    for (int i = 0; i < 192; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    app_httpd_stop(h);
}

TEST(deadline_closes_trickling_connection)
{
    struct app_httpd *h = start(100, 64, 1000);
    CHECK(h);
    int fd = slow_open(app_httpd_port(h), 1);
    CHECK(fd >= 0);
    /* One byte every 100 ms keeps MHD's idle timer (2 s here) from ever
     * firing: only the deadline can end this. At most 100 bytes (10 s). */
    int sent = 0, closed = 0;
    for (; sent < 100 && !closed; sent++) {
        usleep(100000);
        if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
            closed = 1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char c;
        if (poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
            closed = 1;
    }
    printf("closed after %d bytes\n", sent);
    CHECK(closed);
    CHECK_EQ_INT(app_httpd_deadline_closes(h), 1);
    close(fd);
    app_httpd_stop(h);
}

/* 413 with a JSON error naming the bound, for a declared and a chunked body. */
static void check_too_big(uint16_t port, const char *path, size_t bound)
{
    char head[256], resp[4096], want[64];
    char *body = calloc(1, bound + 2);
    memset(body, 'a', bound + 1);
    snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nContent-Length: %zu", path, bound + 1);
    snprintf(want, sizeof(want), "larger than %zu bytes", bound);
    CHECK_EQ_INT(request(port, 20, head, body, resp, sizeof(resp)), 413);
    json_t *j = json_loads(body_of(resp), 0, NULL);
    CHECK(j);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "label")), "payload_too_large");
    CHECK(strstr(json_string_value(json_object_get(j, "message")), want));
    json_decref(j);
    /* The same without a length: chunked, over the bound in two chunks. */
    char chunked[8192];
    snprintf(chunked, sizeof(chunked), "%zx\r\n%s\r\n1\r\nb\r\n0\r\n\r\n", bound, body + 1);
    snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nTransfer-Encoding: chunked", path);
    CHECK_EQ_INT(request(port, 20, head, chunked, resp, sizeof(resp)), 413);
    CHECK(strstr(body_of(resp), want));
    /* At the bound exactly: served. */
    snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nContent-Length: %zu", path, bound);
    CHECK_EQ_INT(request(port, 20, head, body + 1, resp, sizeof(resp)), 200);
    free(body);
}

TEST(body_bound_per_route)
{
    struct app_httpd *h = start(100, 64, 5000);
    CHECK(h);
    uint16_t port = app_httpd_port(h);
    check_too_big(port, "/aggregator/register-signer", 1024);
    check_too_big(port, "/aggregator/register-signatures", 4096);
    check_too_big(port, "/aggregator/statistics/cardano-database/x", 512);
    app_httpd_stop(h);
}

int main(void)
{
    /* 1,400 attack sockets plus the server's side of them. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
        rl.rlim_cur = 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    RUN(body_bound_per_route);
    RUN(deadline_closes_trickling_connection);
    RUN(total_limit_then_deadline_frees_slots);
    RUN(slow_sockets_do_not_starve_clients);
    return DONE();
}
