/* bench_http_load.c - a real mithril-aggregator (chain stand-in, no
 * certificate yet) under C concurrent keep-alive clients, spread over
 * 127.0.0.10.. (50 per address), first alone, then with S slow sockets from
 * 127.0.0.1..4 sending one header line every 2 s (closed ones reopened).
 * Figures per route and phase: requests/s, p50/p99 latency, errors (a
 * connection lost or a request unanswered); aggregator RSS idle, at peak and
 * after. POST /register-signatures carries a well-formed body for an epoch
 * with no open message: the route parses it and answers 4xx (counted apart).
 *
 * Each phase runs twice: saturated (every client sends its next request at
 * once: requests/s, latency is queueing), then paced (each client waits
 * --think ms on average between requests: the latency a client sees).
 *
 *   bench_http_load [--clients C (1000)] [--slow S (1000)] [--seconds D (5)]
 *                   [--think MS (500)] [--quick] [--json] [--aggregator PATH] [--threads N]
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agg_sim.h"
#include "bench_util.h"
#include "mithril/util.h"

static size_t C = 1000, S = 1000;
static double D = 5, THINK = 0.5;
static uint16_t PORT;
static const char SIG_BODY[] =
    "{\"entity_type\":{\"MithrilStakeDistribution\":1},\"party_id\":\"pool1bench\","
    "\"signature\":\"7b7d\",\"indexes\":[1,2,3],\"signed_message\":"
    "\"0000000000000000000000000000000000000000000000000000000000000000\"}";

static int dial(int from, int nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in me = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
    me.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)from);
    to.sin_addr.s_addr = htonl(0x7f000001u);
    to.sin_port = htons(PORT);
    if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
        (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- slow sockets (own thread) --------------------------------------------- */
static atomic_int slow_stop;
static atomic_size_t slow_reopened;
static void *slow_run(void *arg)
{
    (void)arg;
    int *fds = calloc(S, sizeof(int));
    static const char line[] = "GET /aggregator/certificates HTTP/1.1\r\nHost: x\r\n";
    for (size_t i = 0; i < S; i++) {
        fds[i] = dial(1 + (int)(i % 4), 1);
        usleep(200); /* connect completes before the first line */
        if (fds[i] >= 0)
            send(fds[i], line, sizeof(line) - 1, MSG_NOSIGNAL);
    }
    while (!atomic_load(&slow_stop)) {
        for (int t = 0; t < 20 && !atomic_load(&slow_stop); t++)
            usleep(100000);
        for (size_t i = 0; i < S; i++) {
            if (fds[i] >= 0 && send(fds[i], "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) == 11)
                continue;
            if (fds[i] >= 0)
                close(fds[i]);
            fds[i] = dial(1 + (int)(i % 4), 1);
            if (fds[i] >= 0)
                send(fds[i], line, sizeof(line) - 1, MSG_NOSIGNAL);
            atomic_fetch_add(&slow_reopened, 1);
        }
    }
    for (size_t i = 0; i < S; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    return NULL;
}

/* ---- normal clients: one epoll loop, keep-alive, one request in flight ------- */
struct client {
    int fd, from;
    double t0, due; /* due: next request after the think time (0 = none waiting) */
    char in[8192];
    size_t got;
};
struct run {
    double *lat;
    size_t n, cap, errors, non200, lost, late;
};

static void send_req(struct client *c, int post, int ep)
{
    char req[1024];
    int n = post ? snprintf(req, sizeof(req),
                            "POST /aggregator/register-signatures HTTP/1.1\r\nHost: x\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                            sizeof(SIG_BODY) - 1, SIG_BODY)
                 : snprintf(req, sizeof(req), "GET /aggregator/certificates HTTP/1.1\r\nHost: x\r\n\r\n");
    if (c->fd < 0) {
        c->fd = dial(c->from, 0);
        if (c->fd < 0)
            return;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    c->got = 0;
    c->t0 = bench_now();
    if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(c->fd);
        c->fd = -1;
    }
}

/* A whole response in c->in: its status, -1 when incomplete. */
static int complete(struct client *c)
{
    c->in[c->got] = 0;
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end)
        return -1;
    const char *cl = strcasestr(c->in, "Content-Length:");
    size_t len = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
    if (c->got < (size_t)(end + 4 - c->in) + len)
        return -1;
    int st = 0;
    sscanf(c->in, "HTTP/1.%*d %d", &st);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* think: seconds a client waits between an answer and its next request (on
 * average; 0 = at once, the server saturated). */
static void load(int post, double think, struct run *r)
{
    struct client *cs = calloc(C, sizeof(*cs));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    for (size_t i = 0; i < C; i++) {
        cs[i].fd = -1;
        cs[i].from = 10 + (int)(i / 50);
        if (think > 0) { /* paced clients start spread over one think time */
            cs[i].due = bench_now() + think * (double)rand() / RAND_MAX;
            continue;
        }
        send_req(&cs[i], post, ep);
        if (cs[i].fd < 0)
            r->errors++;
    }
    double t_end = bench_now() + D;
    struct epoll_event evs[256];
    while (bench_now() < t_end) {
        int n = epoll_wait(ep, evs, 256, think > 0 ? 5 : 100);
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            ssize_t k = recv(c->fd, c->in + c->got, sizeof(c->in) - 1 - c->got, 0);
            if (k <= 0) { /* lost mid-request: an error, then a new connection */
                r->errors++;
                r->lost++;
                close(c->fd);
                c->fd = -1;
                send_req(c, post, ep);
                continue;
            }
            c->got += (size_t)k;
            int st = complete(c);
            if (st < 0)
                continue;
            if (r->n == r->cap) {
                r->cap = r->cap ? 2 * r->cap : 65536;
                r->lat = realloc(r->lat, r->cap * sizeof(double));
            }
            r->lat[r->n++] = bench_now() - c->t0;
            r->non200 += st != 200;
            if (think > 0)
                c->due = bench_now() + think * (0.5 + (double)rand() / RAND_MAX);
            else
                send_req(c, post, ep);
        }
        for (size_t i = 0; think > 0 && i < C; i++)
            if (cs[i].due > 0 && bench_now() >= cs[i].due) {
                cs[i].due = 0;
                send_req(&cs[i], post, ep);
            }
    }
    /* Requests still in flight at the end were not answered within the run:
     * a client waiting over 1 s counts as an error. */
    for (size_t i = 0; i < C; i++) {
        if (cs[i].fd >= 0 && !cs[i].due && bench_now() - cs[i].t0 > 1.0) {
            r->errors++;
            r->late++;
        }
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    }
    close(ep);
    free(cs);
}

static long proc_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = atol(line + strlen(key) + 1);
    if (f)
        fclose(f);
    return v;
}

static void report(const char *phase, const char *route, struct run *r)
{
    char name[128];
    qsort(r->lat, r->n, sizeof(double), cmp_double);
    snprintf(name, sizeof(name), "%s %s requests/s", phase, route);
    bench_report(name, (double)r->n / D, "req/s");
    snprintf(name, sizeof(name), "%s %s p50", phase, route);
    bench_report(name, r->n ? r->lat[r->n / 2] * 1e3 : -1, "ms");
    snprintf(name, sizeof(name), "%s %s p99", phase, route);
    bench_report(name, r->n ? r->lat[r->n * 99 / 100] * 1e3 : -1, "ms");
    snprintf(name, sizeof(name), "%s %s errors", phase, route);
    bench_report(name, (double)r->errors, "");
    if (r->errors)
        fprintf(stderr, "  (%zu connections lost, %zu requests unanswered after 1 s)\n", r->lost,
                r->late);
    snprintf(name, sizeof(name), "%s %s answers not 200", phase, route);
    bench_report(name, (double)r->non200, "");
    free(r->lat);
    memset(r, 0, sizeof(*r));
}

/* Open descriptors of the aggregator. */
static pid_t AGG_PID;
static size_t IDLE_FDS;
static size_t fd_count(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)AGG_PID);
    DIR *d = opendir(path);
    size_t n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* Until the server has closed the previous phase's connections (else the
 * per-address limit refuses the next phase's first ones), at most 10 s. */
static void settle(int slow_running)
{
    for (int i = 0; i < 100 && fd_count() > IDLE_FDS + (slow_running ? 4 * 64 : 0) + 8; i++)
        usleep(100000);
}

/* Saturated (requests/s), then paced (latency of clients that are not
 * queueing behind each other), for both routes. */
static void phases(const char *attack, struct run *r)
{
    static const char *const route[2] = {"GET /certificates", "POST /register-signatures (4xx)"};
    char name[96];
    for (int paced = 0; paced < 2; paced++)
        for (int post = 0; post < 2; post++) {
            settle(strcmp(attack, "alone") != 0);
            load(post, paced ? THINK : 0, r);
            snprintf(name, sizeof(name), "%s, %s", attack, paced ? "paced" : "saturated");
            report(name, route[post], r);
        }
}

int main(int argc, char **argv)
{
    char bin[PATH_MAX] = "", threads_env[64] = "";
    bench_parse_args(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            C = 200;
            S = 200;
            D = 2;
        } else if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            C = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--slow") == 0 && i + 1 < argc)
            S = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--think") == 0 && i + 1 < argc)
            THINK = atof(argv[++i]) / 1000;
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            D = atof(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            snprintf(threads_env, sizeof(threads_env), "HTTP_THREADS=%s", argv[++i]);
        else if (strcmp(argv[i], "--aggregator") == 0 && i + 1 < argc)
            snprintf(bin, sizeof(bin), "%s", argv[++i]);
        else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: bench_http_load [--clients C] [--slow S] [--seconds D] [--quick]"
                   " [--think MS] [--json] [--aggregator PATH] [--threads N]\n");
            return 0;
        }
    }
    if (C < 1 || C > 5000 || S > 5000 || D <= 0 || D > 60) {
        fprintf(stderr, "bench_http_load: need 1 <= --clients <= 5000, --slow <= 5000,"
                        " 0 < --seconds <= 60\n");
        return 2;
    }
    if (!bin[0])
        bench_build_path(bin, sizeof(bin), "src/aggregator/mithril-aggregator");
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (mtl_init() != MTL_OK)
        return 1;
    static struct sim_agg A;
    char party[1][64] = {"pool1bench"};
    uint64_t stake[1] = {1000};
    if (sim_setup(&A, bin, "{\"k\":5,\"m\":100,\"phi_f\":0.65}") != 0)
        return 1;
    if (threads_env[0])
        A.extra_env[0] = threads_env;
    if (sim_set_chain(&A, 1, party, stake, 1) != 0 || sim_start(&A) != 0 ||
        sim_wait_epoch(&A, 1) != 0) {
        fprintf(stderr, "bench_http_load: aggregator did not start (log %s)\n", A.log_path);
        sim_cleanup(&A, 1);
        return 1;
    }
    sscanf(strrchr(A.url, ':') + 1, "%hu", &PORT);
    usleep(500000);
    AGG_PID = A.pid;
    IDLE_FDS = fd_count();
    bench_report("aggregator idle RSS", (double)proc_kb(A.pid, "VmRSS:"), "kB");
    struct run r = {0};
    phases("alone", &r);
    pthread_t t;
    pthread_create(&t, NULL, slow_run, NULL);
    sleep(3); /* the slow sockets are in place */
    phases("slow sockets", &r);
    atomic_store(&slow_stop, 1);
    pthread_join(t, NULL);
    bench_report("slow sockets reopened (closed by the server)", (double)slow_reopened, "");
    bench_report("aggregator peak RSS (VmHWM)", (double)proc_kb(A.pid, "VmHWM:"), "kB");
    sleep(3); /* the sweep trims after the burst */
    bench_report("aggregator RSS 3 s after the load", (double)proc_kb(A.pid, "VmRSS:"), "kB");
    sim_stop(&A, 0, NULL);
    sim_cleanup(&A, 0);
    return 0;
}
