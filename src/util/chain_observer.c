/* chain_observer.c - the chain as cardano-cli reports it (the reference's
 * cli_observer, spec cardano-db.md 6.1): every query runs
 *   <cli> latest query <what> ... (--testnet-magic N | --mainnet)
 * with CARDANO_NODE_SOCKET_PATH in its environment, no shell, stdout and
 * stderr through pipes, killed when it outlives the timeout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain_observer.h"
#include "common/common_int.h"

extern char **environ;

#define STDOUT_CAP ((size_t)256 << 20) /* a mainnet stake snapshot is ~1 MB */
#define STDERR_CAP ((size_t)64 << 10)
#define DEFAULT_TIMEOUT_MS 60000u

struct app_chain_observer {
    char *cli, *socket;
    uint64_t magic;
    unsigned timeout_ms;
};

mtl_err app_chain_observer_new(struct app_chain_observer **out, const char *cli_path,
                               uint64_t network_magic, const char *socket_path)
{
    MTL_CHECK(out && cli_path && *cli_path, MTL_ERR_INVALID_ARG,
              "chain observer: cli_path is required");
    *out = NULL;
    struct app_chain_observer *o = mtl_calloc(1, sizeof *o);
    MTL_CHECK(o, MTL_ERR_NOMEM, "chain observer: out of memory");
    o->cli = mtl_strdup(cli_path);
    o->socket = socket_path ? mtl_strdup(socket_path) : NULL;
    o->magic = network_magic;
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!o->cli || (socket_path && !o->socket)) {
        app_chain_observer_free(o);
        return mtl_seterr(MTL_ERR_NOMEM, "chain observer: out of memory");
    }
    *out = o;
    return MTL_OK;
}

void app_chain_observer_free(struct app_chain_observer *o)
{
    if (!o)
        return;
    mtl_free(o->cli);
    mtl_free(o->socket);
    mtl_free(o);
}

mtl_err app_chain_observer_set_timeout(struct app_chain_observer *o, unsigned timeout_ms)
{
    MTL_CHECK(o && timeout_ms > 0, MTL_ERR_INVALID_ARG, "chain observer: timeout must be > 0");
    o->timeout_ms = timeout_ms;
    return MTL_OK;
}

/* ------------------------------------------------------------ running */

struct cmd {
    const char *argv[16];
    int argc;
    char magic[24];
    char text[512]; /* "cardano-cli latest query tip --testnet-magic 42" for errors */
};

static void cmd_build(struct cmd *c, const struct app_chain_observer *o, const char *const *what)
{
    c->argc = 0;
    c->argv[c->argc++] = o->cli;
    c->argv[c->argc++] = "latest";
    c->argv[c->argc++] = "query";
    for (; *what && c->argc < 12; what++)
        c->argv[c->argc++] = *what;
    if (o->magic == 0) {
        c->argv[c->argc++] = "--mainnet";
    } else {
        snprintf(c->magic, sizeof c->magic, "%llu", (unsigned long long)o->magic);
        c->argv[c->argc++] = "--testnet-magic";
        c->argv[c->argc++] = c->magic;
    }
    c->argv[c->argc] = NULL;
    size_t n = 0;
    c->text[0] = '\0';
    for (int i = 0; i < c->argc && n < sizeof c->text; i++)
        n += (size_t)snprintf(c->text + n, sizeof c->text - n, "%s%s", i ? " " : "", c->argv[i]);
}

/* environ with CARDANO_NODE_SOCKET_PATH replaced (mtl_malloc'ed array). */
static char **child_env(const struct app_chain_observer *o, char **sock_var)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = mtl_calloc(n + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    static const char KEY[] = "CARDANO_NODE_SOCKET_PATH=";
    for (size_t i = 0; i < n; i++)
        if (!o->socket || strncmp(environ[i], KEY, sizeof KEY - 1) != 0)
            env[k++] = environ[i];
    *sock_var = NULL;
    if (o->socket) {
        size_t l = sizeof KEY + strlen(o->socket);
        *sock_var = mtl_malloc(l);
        if (!*sock_var) {
            mtl_free(env);
            return NULL;
        }
        snprintf(*sock_var, l, "%s%s", KEY, o->socket);
        env[k++] = *sock_var;
    }
    env[k] = NULL;
    return env;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* stderr, trimmed and shortened, for error messages. */
static const char *err_text(struct mtl_buf *e)
{
    if (!e->data || mtl_buf_nul(e) != MTL_OK)
        return "";
    char *s = (char *)e->data;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\r'))
        s[--n] = '\0';
    while (*s == '\n' || *s == ' ')
        s++;
    if (strlen(s) > 600)
        s[600] = '\0';
    return s;
}

/* Read the child's stdout into out and stderr into err until both close; on
 * a timeout, a poll error or too much stdout the child's group is killed. */
static mtl_err read_output(const struct app_chain_observer *o, const struct cmd *c, pid_t pid,
                           long long deadline, int *po, int *pe, struct mtl_buf *out,
                           struct mtl_buf *err)
{
    struct pollfd pf[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
    int open_fds = 2;
    while (open_fds > 0) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            kill(-pid, SIGKILL);
            return mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: timed out after %u ms (killed)", c->text,
                              o->timeout_ms);
        }
        int pr = poll(pf, 2, (int)(left > 1000 ? 1000 : left));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            kill(-pid, SIGKILL);
            return mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: poll: %s", c->text, strerror(errno));
        }
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[65536];
            ssize_t r = read(pf[i].fd, buf, sizeof buf);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                close(pf[i].fd);
                if (i == 0)
                    po[0] = -1;
                else
                    pe[0] = -1;
                pf[i].fd = -1;
                open_fds--;
                continue;
            }
            mtl_err ar = mtl_buf_append(i == 0 ? out : err, buf, (size_t)r);
            if (ar != MTL_OK && i == 0) {
                kill(-pid, SIGKILL);
                return mtl_seterr(MTL_ERR_TOO_BIG, "`%s`: output larger than %zu bytes", c->text,
                                  STDOUT_CAP);
            }
            /* stderr past its cap is dropped, the child keeps running. */
        }
    }
    return MTL_OK;
}

/* Start o->cli with c's arguments in its own process group. */
static mtl_err spawn_child(const struct app_chain_observer *o, const struct cmd *c,
                           const posix_spawn_file_actions_t *fa, char **env, pid_t *pid)
{
    /* Own process group, so a timeout kills what the program started too. */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    int se = posix_spawnp(pid, o->cli, fa, &at, (char *const *)c->argv, env);
    posix_spawnattr_destroy(&at);
    if (se != 0) {
        *pid = -1;
        return mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: cannot run '%s': %s", c->text, o->cli,
                          strerror(se));
    }
    return MTL_OK;
}

/* Run the command; on success *out holds stdout (NUL-terminated). */
static mtl_err run(const struct app_chain_observer *o, const struct cmd *c, struct mtl_buf *out)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    char *sock_var = NULL, **env = NULL;
    posix_spawn_file_actions_t fa;
    bool fa_ok = false;
    pid_t pid = -1;
    struct mtl_buf err;
    mtl_err rc = MTL_OK;
    int status = 0;
    mtl_buf_init(out, STDOUT_CAP);
    mtl_buf_init(&err, STDERR_CAP);
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: pipe: %s", c->text, strerror(errno));
        goto done;
    }
    env = child_env(o, &sock_var);
    if (!env) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "`%s`: out of memory", c->text);
        goto done;
    }
    if (posix_spawn_file_actions_init(&fa) != 0) {
        rc = mtl_seterr(MTL_ERR_NOMEM, "`%s`: out of memory", c->text);
        goto done;
    }
    fa_ok = true;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    rc = spawn_child(o, c, &fa, env, &pid);
    if (rc != MTL_OK)
        goto done;
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;

    long long deadline = now_ms() + o->timeout_ms;
    rc = read_output(o, c, pid, deadline, po, pe, out, &err);
    if (rc != MTL_OK)
        goto reap;
    /* Pipes closed: the program may still run (it closed them early). */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) {
            pid = -1;
            goto reaped;
        }
        if (now_ms() >= deadline) {
            kill(-pid, SIGKILL);
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: timed out after %u ms (killed)", c->text,
                            o->timeout_ms);
            break;
        }
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
reap:
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
reaped:
    if (rc == MTL_OK) {
        if (WIFSIGNALED(status))
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s` was killed by signal %d: %s", c->text,
                            WTERMSIG(status), err_text(&err));
        else if (WEXITSTATUS(status) != 0)
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s` failed with exit status %d: %s", c->text,
                            WEXITSTATUS(status), err_text(&err));
        else
            rc = mtl_buf_nul(out);
    }
done:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    mtl_free(env);
    mtl_free(sock_var);
    mtl_buf_free(&err);
    if (rc != MTL_OK)
        mtl_buf_free(out);
    return rc;
}

/* Parse stdout as one JSON object (text before the first '{' is ignored,
 * like the reference does for the tip). */
static mtl_err parse_object(const char *cmd, const char *s, json_t **obj)
{
    const char *brace = strchr(s, '{');
    json_error_t je;
    *obj = brace ? json_loads(brace, 0, &je) : NULL;
    if (!*obj) {
        char head[81];
        snprintf(head, sizeof head, "%s", s);
        for (char *p = head; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        return mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: output is not a JSON object (%s): '%s'", cmd,
                          brace ? je.text : "no '{'", head);
    }
    MTL_CHECK(json_is_object(*obj), MTL_ERR_EXTERNAL, "`%s`: output is not a JSON object", cmd);
    return MTL_OK;
}

/* Run `cardano-cli <what>` and parse its stdout as one JSON object (NULL on
 * error); c keeps the command text for the caller's messages. */
static mtl_err query_object(const struct app_chain_observer *o, const char *const *what,
                            struct cmd *c, json_t **obj)
{
    *obj = NULL;
    cmd_build(c, o, what);
    struct mtl_buf out;
    MTL_TRY(run(o, c, &out));
    mtl_err rc = parse_object(c->text, out.data ? (const char *)out.data : "", obj);
    mtl_buf_free(&out);
    if (rc != MTL_OK) {
        json_decref(*obj);
        *obj = NULL;
    }
    return rc;
}

static bool get_u64(json_t *o, const char *key, uint64_t *v)
{
    json_t *j = json_object_get(o, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return false;
    *v = (uint64_t)json_integer_value(j);
    return true;
}

/* ---------------------------------------------------------------- tip */

mtl_err app_chain_observer_tip(struct app_chain_observer *o, struct app_chain_tip *tip)
{
    MTL_CHECK(o && tip, MTL_ERR_INVALID_ARG, "chain observer tip: NULL argument");
    memset(tip, 0, sizeof *tip);
    static const char *const what[] = {"tip", NULL};
    struct cmd c;
    struct mtl_buf out;
    cmd_build(&c, o, what);
    MTL_TRY(run(o, &c, &out));
    mtl_err rc = app_cli_tip_parse(c.text, out.data ? (const char *)out.data : "", tip);
    mtl_buf_free(&out);
    return rc;
}

mtl_err app_cli_tip_parse(const char *cmd, const char *out, struct app_chain_tip *tip)
{
    memset(tip, 0, sizeof *tip);
    json_t *j;
    MTL_TRY(parse_object(cmd, out, &j));
    mtl_err rc = MTL_OK;
    if (!get_u64(j, "epoch", &tip->epoch)) {
        rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: field 'epoch' missing or not an unsigned integer",
                        cmd);
        goto out;
    }
    /* slot/block default to 0, hash and era may be absent (reference). */
    const char *const opt_key[] = {"slot", "block"};
    uint64_t *const opt_val[] = {&tip->slot, &tip->block};
    for (size_t i = 0; i < 2; i++)
        if (json_object_get(j, opt_key[i]) && !get_u64(j, opt_key[i], opt_val[i])) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: field '%s' is not an unsigned integer", cmd,
                            opt_key[i]);
            goto out;
        }
    json_t *v;
    if ((v = json_object_get(j, "hash")) && !json_is_null(v)) {
        const char *h = json_string_value(v);
        uint8_t raw[32];
        size_t n;
        if (!h || strlen(h) != 64 || mtl_hex_decode(raw, sizeof raw, &n, h, 64) != MTL_OK) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: field 'hash' is not 64 hex digits", cmd);
            goto out;
        }
        for (int i = 0; i < 64; i++)
            tip->hash[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] + 32 : h[i]);
        tip->hash[64] = '\0';
    }
    if ((v = json_object_get(j, "era")) && !json_is_null(v)) {
        const char *e = json_string_value(v);
        if (!e || strlen(e) >= sizeof tip->era) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: field 'era' is not a short string", cmd);
            goto out;
        }
        snprintf(tip->era, sizeof tip->era, "%s", e);
    }
out:
    json_decref(j);
    return rc;
}

mtl_err app_chain_observer_version(struct app_chain_observer *o, char out[APP_NODE_VERSION_MAX])
{
    MTL_CHECK(o && out, MTL_ERR_INVALID_ARG, "chain observer version: NULL argument");
    out[0] = '\0';
    struct cmd c = {.argv = {o->cli, "--version", NULL}, .argc = 2};
    snprintf(c.text, sizeof c.text, "%s --version", o->cli);
    struct mtl_buf out_buf;
    MTL_TRY(run(o, &c, &out_buf));
    mtl_err rc = app_cli_version_parse(c.text, out_buf.data ? (const char *)out_buf.data : "", out);
    mtl_buf_free(&out_buf);
    return rc;
}

mtl_err app_cli_version_parse(const char *cmd, const char *text, char out[APP_NODE_VERSION_MAX])
{
    /* "cardano-cli 10.11.0.0 - linux-x86_64 - ghc-9.6": the second word */
    const char *v = strncmp(text, "cardano-cli ", 12) == 0 ? text + 12 : NULL;
    size_t n = v ? strspn(v, "0123456789.") : 0;
    MTL_CHECK(n > 0 && n < APP_NODE_VERSION_MAX && (v[n] == ' ' || v[n] == '\n' || !v[n]),
              MTL_ERR_EXTERNAL, "`%s`: expected 'cardano-cli <version> ...', got '%.40s'", cmd,
              text);
    memcpy(out, v, n);
    out[n] = '\0';
    return MTL_OK;
}

/* ------------------------------------------------------ stake distribution */

struct dist {
    struct app_pool_stake *v;
    size_t n, cap;
};

static mtl_err dist_add(struct dist *d, const char *pool_id, uint64_t stake)
{
    if (stake == 0)
        return MTL_OK; /* the reference drops pools without stake */
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        struct app_pool_stake *nv = mtl_realloc(d->v, nc * sizeof *nv);
        MTL_CHECK(nv, MTL_ERR_NOMEM, "stake distribution: out of memory");
        d->v = nv;
        d->cap = nc;
    }
    snprintf(d->v[d->n].pool_id, sizeof d->v[d->n].pool_id, "%s", pool_id);
    d->v[d->n++].stake = stake;
    return MTL_OK;
}

static mtl_err all_pools(struct app_chain_observer *o, struct dist *d)
{
    static const char *const what[] = {"stake-snapshot", "--all-stake-pools", NULL};
    struct cmd c;
    struct mtl_buf out;
    cmd_build(&c, o, what);
    MTL_TRY(run(o, &c, &out));
    mtl_err rc =
        app_cli_stake_snapshot_parse(c.text, out.data ? (const char *)out.data : "", &d->v, &d->n);
    d->cap = d->n;
    mtl_buf_free(&out);
    return rc;
}

mtl_err app_cli_stake_snapshot_parse(const char *cmd, const char *out, struct app_pool_stake **list,
                                     size_t *count)
{
    struct dist dist = {0}, *d = &dist;
    json_t *j;
    *list = NULL;
    *count = 0;
    MTL_TRY(parse_object(cmd, out, &j));
    mtl_err rc = MTL_OK;
    json_t *pools = json_object_get(j, "pools"), *v;
    const char *key;
    if (!json_is_object(pools)) {
        rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: field 'pools' missing or not an object", cmd);
        goto out;
    }
    json_object_foreach(pools, key, v)
    {
        char id[64];
        uint64_t stake;
        if (mtl_pool_id_bech32(key, id) != MTL_OK) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: pool key '%.60s' is not a 28-byte hex hash",
                            cmd, key);
            goto out;
        }
        if (!get_u64(v, "stakeMark", &stake)) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL,
                            "`%s`: field 'stakeMark' of pool %s missing or not an unsigned integer",
                            cmd, id);
            goto out;
        }
        if ((rc = dist_add(d, id, stake)) != MTL_OK)
            goto out;
    }
out:
    json_decref(j);
    if (rc != MTL_OK) {
        mtl_free(d->v);
        return rc;
    }
    *list = d->v;
    *count = d->n;
    return MTL_OK;
}

static bool plausible_pool_id(const char *w)
{
    static const char CH[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    if (strncmp(w, "pool1", 5) != 0 || strlen(w) >= 64)
        return false;
    for (const char *p = w + 5; *p; p++)
        if (!strchr(CH, *p))
            return false;
    return true;
}

static mtl_err pool_stake(struct app_chain_observer *o, const char *pool_id, uint64_t *stake)
{
    const char *const what[] = {"stake-snapshot", "--stake-pool-id", pool_id, NULL};
    struct cmd c;
    json_t *j;
    MTL_TRY(query_object(o, what, &c, &j));
    mtl_err rc = MTL_OK;
    if (!get_u64(j, "poolStakeMark", stake))
        rc = mtl_seterr(MTL_ERR_EXTERNAL,
                        "`%s`: field 'poolStakeMark' missing or not an unsigned integer", c.text);
    json_decref(j);
    return rc;
}

struct legacy_ctx {
    struct app_chain_observer *o;
    struct dist *d;
};

static mtl_err legacy_pool(void *ud, const char *pool_id)
{
    struct legacy_ctx *x = ud;
    uint64_t stake = 0;
    MTL_TRY(pool_stake(x->o, pool_id, &stake));
    return dist_add(x->d, pool_id, stake);
}

/* Legacy path: the text table, then one stake-snapshot per pool (the
 * fractions are of the wrong epoch, so only the pool list is used). */
static mtl_err legacy(struct app_chain_observer *o, struct dist *d)
{
    static const char *const what[] = {"stake-distribution", NULL};
    struct cmd c;
    cmd_build(&c, o, what);
    struct mtl_buf out;
    MTL_TRY(run(o, &c, &out));
    struct legacy_ctx x = {o, d};
    mtl_err rc = app_cli_stake_table_parse(c.text, out.data ? (char *)out.data : (char *)"",
                                           legacy_pool, &x);
    mtl_buf_free(&out);
    return rc;
}

mtl_err app_cli_stake_table_parse(const char *cmd, char *text,
                                  mtl_err (*pool)(void *ud, const char *pool_id), void *ud)
{
    mtl_err rc = MTL_OK;
    while (*text == '\n' || *text == ' ' || *text == '\r' || *text == '\t')
        text++; /* stdout is trimmed before the 2 header lines are skipped */
    int line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rc == MTL_OK;
         line = strtok_r(NULL, "\n", &save), line_no++) {
        char w1[128], w2[128], extra[2];
        if (line_no == 0 && !strstr(line, "PoolId")) {
            /* the reference would return an empty distribution here */
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: no 'PoolId' header line, got '%.80s'", cmd,
                            line);
            break;
        }
        if (line_no < 2)
            continue;
        if (sscanf(line, "%127s %127s %1s", w1, w2, extra) != 2)
            continue; /* not "<pool> <frac>": skipped like the reference */
        char *end;
        strtod(w2, &end);
        if (end == w2 || *end) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: could not parse stake from '%s'", cmd, w2);
            break;
        }
        if (!plausible_pool_id(w1)) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: '%s' is not a pool1... id", cmd, w1);
            break;
        }
        rc = pool(ud, w1);
    }
    return rc;
}

static int cmp_pool(const void *a, const void *b)
{
    return strcmp(((const struct app_pool_stake *)a)->pool_id,
                  ((const struct app_pool_stake *)b)->pool_id);
}

mtl_err app_chain_observer_stake_distribution(struct app_chain_observer *o,
                                              struct app_pool_stake **pools, size_t *n)
{
    MTL_CHECK(o && pools && n, MTL_ERR_INVALID_ARG, "stake distribution: NULL argument");
    *pools = NULL;
    *n = 0;
    struct dist d = {0};
    mtl_err rc = all_pools(o, &d);
    if (rc != MTL_OK) {
        char first[512];
        snprintf(first, sizeof first, "%s", mtl_err_detail());
        mtl_free(d.v);
        memset(&d, 0, sizeof d);
        rc = legacy(o, &d);
        if (rc != MTL_OK) {
            mtl_free(d.v);
            return mtl_err_wrap(rc, "stake distribution: %s; fallback failed too", first);
        }
    }
    mtl_sort(d.v, d.n, sizeof *d.v, cmp_pool);
    for (size_t i = 1; i < d.n; i++)
        if (strcmp(d.v[i - 1].pool_id, d.v[i].pool_id) == 0) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "stake distribution: pool %s listed twice",
                            d.v[i].pool_id);
            mtl_free(d.v);
            return rc;
        }
    *pools = d.v;
    *n = d.n;
    return MTL_OK;
}

/* ------------------------------------------------------------ KES period */

mtl_err app_chain_observer_kes_period(struct app_chain_observer *o, uint64_t slots_per_kes_period,
                                      uint64_t *period)
{
    MTL_CHECK(o && period, MTL_ERR_INVALID_ARG, "chain observer KES period: NULL argument");
    MTL_CHECK(slots_per_kes_period > 0, MTL_ERR_INVALID_ARG,
              "chain observer KES period: slots_per_kes_period must be > 0");
    struct app_chain_tip tip;
    MTL_TRY(app_chain_observer_tip(o, &tip));
    *period = tip.slot / slots_per_kes_period;
    return MTL_OK;
}

mtl_err app_chain_observer_kes_period_info(struct app_chain_observer *o, const char *opcert_path,
                                           struct app_kes_period_info *info)
{
    MTL_CHECK(o && opcert_path && *opcert_path && info, MTL_ERR_INVALID_ARG,
              "kes-period-info: NULL argument or empty opcert path");
    memset(info, 0, sizeof *info);
    info->node_counter = -1;
    const char *const what[] = {"kes-period-info", "--op-cert-file", opcert_path, NULL};
    struct cmd c;
    json_t *j;
    MTL_TRY(query_object(o, what, &c, &j));
    mtl_err rc = MTL_OK;
    static const char *const req_key[] = {"qKesCurrentKesPeriod", "qKesSlotsPerKesPeriod",
                                          "qKesStartKesInterval"};
    uint64_t *const req_val[] = {&info->current_kes_period, &info->slots_per_kes_period,
                                 &info->start_kes_period};
    for (size_t i = 0; i < MTL_ARRAY_LEN(req_key); i++)
        if (!get_u64(j, req_key[i], req_val[i])) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: field '%s' missing or not an unsigned integer",
                            c.text, req_key[i]);
            goto out;
        }
    if (info->slots_per_kes_period == 0) {
        rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: qKesSlotsPerKesPeriod is 0", c.text);
        goto out;
    }
    static const char *const opt_key[] = {"qKesEndKesInterval", "qKesMaxKESEvolutions",
                                          "qKesOnDiskOperationalCertificateNumber",
                                          "qKesNodeStateOperationalCertificateNumber"};
    uint64_t counter = 0;
    uint64_t *const opt_val[] = {&info->end_kes_period, &info->max_kes_evolutions,
                                 &info->on_disk_counter, &counter};
    for (size_t i = 0; i < MTL_ARRAY_LEN(opt_key); i++) {
        json_t *v = json_object_get(j, opt_key[i]);
        if (!v || json_is_null(v))
            continue;
        if (!get_u64(j, opt_key[i], opt_val[i]) || (i == 3 && counter > INT64_MAX)) {
            rc = mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: field '%s' is not an unsigned integer", c.text,
                            opt_key[i]);
            goto out;
        }
        if (i == 3)
            info->node_counter = (int64_t)counter;
    }
out:
    json_decref(j);
    return rc;
}

/* --------------------------------------------------------------- utxo */

void app_chain_datums_free(char **datums, size_t n)
{
    for (size_t i = 0; datums && i < n; i++)
        mtl_free(datums[i]);
    mtl_free(datums);
}

mtl_err app_cli_utxo_parse(const char *cmd, const char *out, char ***datums, size_t *n)
{
    *datums = NULL;
    *n = 0;
    json_error_t je;
    json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return mtl_seterr(MTL_ERR_EXTERNAL, "`%s`: the UTxO set is not a JSON object (%s)", cmd,
                          j ? "another JSON value" : je.text);
    }
    size_t cap = json_object_size(j), k = 0;
    char **v = mtl_calloc(cap ? cap : 1, sizeof *v);
    mtl_err rc = v ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "`%s`: out of memory", cmd);
    const char *txin;
    json_t *u;
    json_object_foreach(j, txin, u)
    {
        json_t *d = json_object_get(u, "inlineDatum");
        if (rc != MTL_OK || !d || json_is_null(d))
            continue; /* no inline datum: nothing there for us */
        char *txt = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
        v[k] = txt ? mtl_strdup(txt) : NULL;
        free(txt);
        if (!v[k])
            rc = mtl_seterr(MTL_ERR_NOMEM, "`%s`: out of memory", cmd);
        else
            k++;
    }
    json_decref(j);
    if (rc != MTL_OK) {
        app_chain_datums_free(v, k);
        return rc;
    }
    *datums = v;
    *n = k;
    return MTL_OK;
}

mtl_err app_chain_observer_datums(struct app_chain_observer *o, const char *address, char ***datums,
                                  size_t *n)
{
    MTL_CHECK(o && address && datums && n, MTL_ERR_INVALID_ARG,
              "chain observer datums: NULL argument");
    *datums = NULL;
    *n = 0;
    size_t alen = strlen(address);
    MTL_CHECK(alen > 0 && alen < 200 &&
                  strspn(address, "abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == alen,
              MTL_ERR_INVALID_ARG, "chain observer datums: '%.200s' is not a Cardano address",
              address);
    /* cardano-cli writes the UTxO set to a file; a fresh one, removed after. */
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/mithril-utxo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "chain observer datums: cannot create %s: %s", path,
              strerror(errno));
    close(fd);
    const char *const what[] = {"utxo", "--address", address, "--out-file", path, NULL};
    struct cmd c;
    struct mtl_buf out;
    uint8_t *data = NULL;
    size_t len = 0;
    cmd_build(&c, o, what);
    mtl_err rc = run(o, &c, &out);
    mtl_buf_free(&out);
    if (rc == MTL_OK) {
        rc = mtl_read_file(path, STDOUT_CAP, &data, &len);
        if (rc != MTL_OK)
            rc = mtl_err_wrap(MTL_ERR_EXTERNAL, "`%s`: --out-file", c.text);
    }
    unlink(path);
    if (rc == MTL_OK)
        rc = app_cli_utxo_parse(c.text, (const char *)data, datums, n);
    mtl_free(data);
    return rc;
}
