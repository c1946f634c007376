/* agg_sim.c - see agg_sim.h. */
#include "agg_sim.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mithril/cardano_db.h"
#include "mithril/util.h"

struct sim_http {
    CURL *c;
};

struct sim_http *sim_http_new(void)
{
    struct sim_http *h = calloc(1, sizeof(*h));
    if (h)
        h->c = curl_easy_init();
    return h;
}

void sim_http_free(struct sim_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->c);
    free(h);
}

struct buf {
    char *p;
    size_t n;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *ud)
{
    struct buf *b = ud;
    size_t k = sz * nm;
    char *q = realloc(b->p, b->n + k + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, d, k);
    b->n += k;
    q[b->n] = 0;
    b->p = q;
    return k;
}

static long request(struct sim_http *h, const char *url, const char *post, size_t len, char **body)
{
    struct sim_http *own = h ? NULL : sim_http_new();
    CURL *c = h ? h->c : own->c;
    struct buf b = {NULL, 0};
    struct curl_slist *hdr = NULL;
    long status = 0;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    hdr = curl_slist_append(hdr, "mithril-api-version: 0.1.68");
    if (post) {
        hdr = curl_slist_append(hdr, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    if (body)
        *body = b.p ? b.p : strdup("");
    else
        free(b.p);
    sim_http_free(own);
    return status;
}

long sim_get(struct sim_http *h, const char *url, char **body)
{
    return request(h, url, NULL, 0, body);
}

long sim_post(struct sim_http *h, const char *url, const char *json, size_t len, char **body)
{
    return request(h, url, json, len, body);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits are bounded by the clock, not by a number of polls: on a loaded
 * machine (or under ASan) each poll's request can itself take long. */
static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sim_setup(struct sim_agg *s, const char *bin, const char *params_json)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/mtl-agg-sim-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    s->bin = bin;
    snprintf(s->params_json, sizeof(s->params_json), "%s", params_json);
    snprintf(s->chain_file, sizeof(s->chain_file), "%s/chain.json", s->dir);
    snprintf(s->log_path, sizeof(s->log_path), "%s/aggregator.log", s->dir);
    uint8_t sk[32], vk[32];
    char *skt = NULL, *vkt = NULL;
    mtl_genesis_keypair(sk, vk);
    if (mtl_genesis_key_encode(&skt, sk) != MTL_OK || mtl_genesis_key_encode(&vkt, vk) != MTL_OK)
        return -1;
    snprintf(s->genesis_sk, sizeof(s->genesis_sk), "%s", skt);
    snprintf(s->genesis_vk, sizeof(s->genesis_vk), "%s", vkt);
    mtl_memzero(sk, sizeof(sk));
    mtl_free(skt);
    mtl_free(vkt);
    return 0;
}

void sim_cleanup(struct sim_agg *s, int failed)
{
    char cmd[400];
    if (failed) {
        printf("aggregator work dir kept: %s\n", s->dir);
        return;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", s->dir);
}

int sim_set_chain(struct sim_agg *s, uint64_t epoch, char (*party)[64], const uint64_t *stake,
                  size_t n)
{
    json_t *d = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(d, party[i], json_integer((json_int_t)stake[i]));
    json_t *j = json_pack("{s:I,s:I,s:o}", "epoch", (json_int_t)epoch, "slot", (json_int_t)s->slot,
                          "stake_distribution", d);
    char *txt = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int rc = txt && mtl_atomic_write(s->chain_file, txt, strlen(txt), 0644) == MTL_OK ? 0 : -1;
    free(txt);
    return rc;
}

static void child_env(struct sim_agg *s)
{
    char v[512];
    snprintf(v, sizeof(v), "%s/stores", s->dir);
    setenv("DATA_STORES_DIRECTORY", v, 1);
    if (s->chain_file[0])
        setenv("STAKE_DISTRIBUTION_FILE", s->chain_file, 1);
    setenv("SERVER_PORT", "0", 1);
    snprintf(v, sizeof(v), "%s/port", s->dir);
    setenv("PORT_FILE", v, 1);
    setenv("RUN_INTERVAL", "50", 1);
    snprintf(v, sizeof(v), "%d", SIM_SLOTS_PER_KES_PERIOD);
    setenv("SLOTS_PER_KES_PERIOD", v, 1);
    setenv("PROTOCOL_PARAMETERS", s->params_json, 1);
    setenv("GENESIS_VERIFICATION_KEY", s->genesis_vk, 1);
    setenv("NETWORK", "devnet", 1);
    snprintf(v, sizeof(v), "%s/snapshots", s->dir);
    setenv("SNAPSHOT_DIRECTORY", v, 1);
    for (size_t i = 0; i < 8 && s->extra_env[i]; i++)
        putenv((char *)s->extra_env[i]);
    int fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        dup2(fd, 1);
        close(fd);
    }
}

int sim_start(struct sim_agg *s)
{
    char port_path[300];
    snprintf(port_path, sizeof(port_path), "%s/port", s->dir);
    unlink(port_path);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* dies with the test, even when the test is killed (ctest timeout) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        child_env(s);
        execl(s->bin, s->bin, "-vv", "serve", (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    for (long long end = now_ms() + SIM_WAIT_MS; now_ms() < end;) {
        FILE *f = fopen(port_path, "r");
        unsigned port = 0;
        if (f) {
            int ok = fscanf(f, "%u", &port) == 1;
            fclose(f);
            if (ok && port) {
                snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u/aggregator", port);
                return 0;
            }
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            return -1;
        }
        sleep_ms(25);
    }
    return -1;
}

int sim_stop(struct sim_agg *s, int hard, long *rss_kb)
{
    if (!s->pid)
        return -1;
    kill(s->pid, hard ? SIGKILL : SIGTERM);
    int st = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    wait4(s->pid, &st, 0, &ru);
    if (rss_kb)
        *rss_kb = ru.ru_maxrss;
    s->pid = 0;
    return st;
}

int sim_wait_exit(struct sim_agg *s, int timeout_ms)
{
    int st = 0;
    for (long long end = now_ms() + timeout_ms; now_ms() < end;) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return st;
        }
        sleep_ms(20);
    }
    return -1;
}

int sim_wait_epoch(struct sim_agg *s, uint64_t epoch)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/epoch-settings", s->url);
    for (long long end = now_ms() + SIM_WAIT_MS; now_ms() < end;) {
        char *body = NULL;
        long st = sim_get(NULL, url, &body);
        json_t *j = st == 200 ? json_loads(body, 0, NULL) : NULL;
        uint64_t e = (uint64_t)json_integer_value(json_object_get(j, "epoch"));
        json_decref(j);
        free(body);
        if (st == 200 && e == epoch)
            return 0;
        sleep_ms(25);
    }
    return -1;
}

int sim_genesis(struct sim_agg *s)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        child_env(s);
        /* the environment, not argv: a secret on a command line is in ps */
        setenv("GENESIS_SECRET_KEY", s->genesis_sk, 1);
        execl(s->bin, s->bin, "genesis", "bootstrap", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int sim_run(struct sim_agg *s, const char *const *args)
{
    const char *argv[16] = {s->bin};
    size_t n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        child_env(s);
        execv(s->bin, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long sim_post_signature(struct sim_agg *s, struct sim_http *h, const char *json, char **body)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/register-signatures", s->url);
    long long end = now_ms() + SIM_WAIT_MS;
    for (;;) {
        long st = sim_post(h, url, json, strlen(json), body);
        if (st != 404 || now_ms() >= end)
            return st;
        if (body) {
            free(*body);
            *body = NULL;
        }
        sleep_ms(50);
    }
}

int sim_wait_certificate(struct sim_agg *s, const char *entity_json, char hash[65], int timeout_ms)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/certificates", s->url);
    json_t *want = json_loads(entity_json, 0, NULL);
    int rc = -1;
    for (long long end = now_ms() + timeout_ms; rc && now_ms() < end;) {
        char *body = NULL;
        if (sim_get(NULL, url, &body) == 200) {
            json_t *arr = json_loads(body, 0, NULL), *c;
            size_t i;
            json_array_foreach(arr, i, c)
            {
                if (json_equal(json_object_get(c, "signed_entity_type"), want) &&
                    json_string_length(json_object_get(c, "multi_signature")) == 0 &&
                    json_is_string(json_object_get(c, "hash"))) {
                    /* list items have no signatures: any match is the certificate */
                    snprintf(hash, 65, "%s", json_string_value(json_object_get(c, "hash")));
                    rc = 0;
                    break;
                }
            }
            json_decref(arr);
        }
        free(body);
        if (rc)
            sleep_ms(20);
    }
    json_decref(want);
    return rc;
}

/* Closed registration of the signers registered at epoch r (key r+1): keys
 * from the given epoch-settings list, stakes from /signers/registered/r. */
static int closed_of(struct sim_agg *s, struct sim_http *h, json_t *signers, uint64_t r,
                     struct mtl_stm_closed_reg **out)
{
    char url[256], *body = NULL;
    snprintf(url, sizeof(url), "%s/signers/registered/%llu", s->url, (unsigned long long)r);
    if (sim_get(h, url, &body) != 200) {
        free(body);
        return -1;
    }
    json_t *reg = json_loads(body, 0, NULL);
    free(body);
    json_t *list = json_object_get(reg, "registrations"), *v, *w;
    struct mtl_stm_keyreg *kr = NULL;
    int rc = mtl_stm_keyreg_new(&kr) == MTL_OK ? 0 : -1;
    size_t i, k;
    json_array_foreach(signers, i, v)
    {
        uint64_t stake = 0;
        json_array_foreach(list, k, w) if (json_equal(json_object_get(w, "party_id"),
                                                      json_object_get(v, "party_id"))) stake =
            (uint64_t)json_integer_value(json_object_get(w, "stake"));
        if (rc == 0 &&
            mtl_stm_keyreg_register_jsonhex(
                kr, stake, json_string_value(json_object_get(v, "verification_key"))) != MTL_OK)
            rc = -1;
    }
    if (rc == 0 && mtl_stm_keyreg_close(kr, out) != MTL_OK)
        rc = -1;
    mtl_stm_keyreg_free(kr);
    json_decref(reg);
    return rc;
}

/* Entity JSON and signed_message of t as a signer of ep computes them. */
static int sim_message(const struct sim_epoch *ep, const struct mtl_signed_entity_type *t,
                       const char *merkle_root, char *entity, size_t entity_size,
                       char signed_message[MTL_HASH_HEX_BYTES])
{
    struct mtl_signed_entity_view v = {
        .next_avk = ep->next_avk, .next_params = &ep->next_params, .merkle_root = merkle_root};
    struct mtl_protocol_message *pm = NULL;
    char *json = NULL;
    int rc = mtl_signed_entity_message(&pm, t, &v) == MTL_OK &&
                     mtl_signed_entity_type_to_json(t, &json) == MTL_OK &&
                     strlen(json) < entity_size
                 ? 0
                 : -1;
    if (rc == 0) {
        mtl_protocol_message_hash(pm, signed_message);
        snprintf(entity, entity_size, "%s", json);
    }
    mtl_free(json);
    mtl_protocol_message_free(pm);
    return rc;
}

int sim_epoch_load(struct sim_agg *s, struct sim_http *h, uint64_t epoch, struct sim_epoch *out)
{
    memset(out, 0, sizeof(*out));
    out->epoch = epoch;
    char url[256], *body = NULL;
    snprintf(url, sizeof(url), "%s/epoch-settings", s->url);
    if (sim_get(h, url, &body) != 200) {
        free(body);
        return -1;
    }
    json_t *es = json_loads(body, 0, NULL);
    free(body);
    struct mtl_stm_closed_reg *next = NULL;
    char *avk = NULL;
    int rc = (uint64_t)json_integer_value(json_object_get(es, "epoch")) == epoch ? 0 : -1;
    if (rc == 0)
        rc = closed_of(s, h, json_object_get(es, "current_signers"), epoch - 2, &out->closed);
    if (rc == 0)
        rc = closed_of(s, h, json_object_get(es, "next_signers"), epoch - 1, &next);
    if (rc == 0)
        rc = mtl_stm_closed_reg_avk_jsonhex(next, &avk) == MTL_OK ? 0 : -1;
    /* parameters: next = key e, current = key e-1 */
    for (int which = 0; rc == 0 && which < 2; which++) {
        snprintf(url, sizeof(url), "%s/protocol-configuration/%llu", s->url,
                 (unsigned long long)(epoch - (uint64_t)which));
        if (sim_get(h, url, &body) != 200) {
            rc = -1;
        } else {
            json_t *pc = json_loads(body, 0, NULL);
            json_t *p = json_object_get(pc, "protocol_parameters");
            struct mtl_stm_params *dst = which ? &out->params : &out->next_params;
            dst->k = (uint64_t)json_integer_value(json_object_get(p, "k"));
            dst->m = (uint64_t)json_integer_value(json_object_get(p, "m"));
            dst->phi_f = json_number_value(json_object_get(p, "phi_f"));
            json_decref(pc);
        }
        free(body);
        body = NULL;
    }
    if (rc == 0) {
        out->next_avk = avk;
        avk = NULL;
        struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION,
                                           .epoch = epoch};
        rc = sim_message(out, &t, NULL, out->entity, sizeof(out->entity), out->signed_message);
    }
    mtl_free(avk);
    mtl_stm_closed_reg_free(next);
    json_decref(es);
    if (rc)
        sim_epoch_clear(out);
    return rc;
}

int sim_cardano_db_message(const struct sim_epoch *ep, const char *db_dir, char entity[160],
                           char signed_message[MTL_HASH_HEX_BYTES])
{
    struct mtl_signed_entity_type t = {.kind = MTL_SET_CARDANO_DATABASE, .epoch = ep->epoch};
    struct mtl_db_digests d;
    memset(&d, 0, sizeof(d));
    struct mtl_digest_opts o = {.threads = 1};
    int rc = mtl_immutable_last_certifiable(db_dir, &t.a) == MTL_OK &&
                     mtl_cardano_db_digest(db_dir, t.a, &o, &d) == MTL_OK
                 ? 0
                 : -1;
    if (rc == 0)
        rc = sim_message(ep, &t, d.merkle_root, entity, 160, signed_message);
    mtl_db_digests_free(&d);
    return rc;
}

int sim_entity_message(const struct sim_epoch *ep, const struct mtl_signed_entity_type *t,
                       const char *merkle_root, char entity[160],
                       char signed_message[MTL_HASH_HEX_BYTES])
{
    return sim_message(ep, t, merkle_root, entity, 160, signed_message);
}

void sim_epoch_clear(struct sim_epoch *e)
{
    mtl_free(e->next_avk);
    mtl_stm_closed_reg_free(e->closed);
    memset(e, 0, sizeof(*e));
}

long sim_register(struct sim_agg *s, struct sim_http *h, uint64_t epoch, const char *party,
                  const struct mtl_stm_initializer *init, const struct sim_pool *pool)
{
    char url[256], *txt = sim_register_body(s, epoch, party, init, pool);
    if (!txt)
        return 0;
    snprintf(url, sizeof(url), "%s/register-signer", s->url);
    long st = sim_post(h, url, txt, strlen(txt), NULL);
    free(txt);
    return st;
}

char *sim_signature_body(const struct mtl_stm_initializer *init,
                         const struct mtl_stm_closed_reg *closed, const char *entity,
                         const char *party, const char *msg_signed, const char *msg_claimed)
{
    char *sig = NULL;
    uint64_t *idx = NULL, si = 0;
    size_t n = 0, won = 0;
    if (mtl_stm_sign(init, closed, (const uint8_t *)msg_signed, strlen(msg_signed), &sig, &won) !=
        MTL_OK)
        return NULL;
    if (mtl_stm_single_sig_info_jsonhex(sig, &si, &idx, &n) != MTL_OK) {
        mtl_free(sig);
        return NULL;
    }
    json_t *ix = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ix, json_integer((json_int_t)idx[i]));
    json_t *j =
        json_pack("{s:o,s:s,s:s,s:o,s:s}", "entity_type", json_loads(entity, 0, NULL), "party_id",
                  party, "signature", sig, "indexes", ix, "signed_message", msg_claimed);
    char *txt = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    mtl_free(sig);
    mtl_free(idx);
    return txt;
}

static mtl_err fetch_cert(void *ctx, const char *hash, char **json, size_t *len)
{
    struct sim_agg *s = ctx;
    char url[256], *body = NULL;
    snprintf(url, sizeof(url), "%s/certificate/%s", s->url, hash);
    long st = sim_get(NULL, url, &body);
    if (st != 200) {
        free(body);
        return st == 404 ? MTL_ERR_NOT_FOUND : MTL_ERR_IO;
    }
    *len = strlen(body);
    *json = mtl_strdup(body);
    free(body);
    return *json ? MTL_OK : MTL_ERR_NOMEM;
}

int sim_verify_chain(struct sim_agg *s, const char *hash, size_t *checked)
{
    uint8_t vk[32];
    if (mtl_genesis_vkey_decode(vk, s->genesis_vk) != MTL_OK)
        return -1;
    struct mtl_chain_verify_opts o = {.fetch = fetch_cert, .fetch_ctx = s};
    return mtl_certificate_chain_verify(hash, vk, &o, checked) == MTL_OK ? 0 : -1;
}
