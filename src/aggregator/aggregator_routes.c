/* aggregator_routes.c - the HTTP API (openapi.yaml shapes, JSON errors). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aggregator_int.h"
#include "chain_observer.h"
#include "common/common_int.h"
#include "log.h"

#define PREFIX "/aggregator"
#define LIST_LIMIT 20

/* A 64-digit lowercase hex hash (anything else is a 400, not a lookup). */
static int is_hash(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 64;
}

void agg_route_reply(struct app_http_response *r, mtl_err e, char *json, const char *what)
{
    if (e == MTL_OK) {
        r->status = 200;
        r->body = json;
        r->len = strlen(json);
        return;
    }
    if (e == MTL_ERR_NOT_FOUND) {
        /* The reference answers 404 with an empty body for a missing item. */
        r->status = 404;
        r->body = NULL;
        r->len = 0;
        return;
    }
    log_error("route_failed", "what=%s error=\"%s\"", what, mtl_err_detail());
    app_http_error(r, 500, "internal_error", "%s: %s", what, mtl_err_detail());
}

/* Epoch the aggregator is in: the runtime's (chain), else the configured or
 * latest certified one (a store served without a chain). */
uint64_t agg_current_epoch(struct agg *a)
{
    uint64_t epoch = 0;
    int have = 0;
    agg_runtime_release(a, agg_runtime_signers(a, NULL, &epoch, &have));
    if (have)
        return epoch;
    if (a->cfg.current_epoch >= 0)
        return (uint64_t)a->cfg.current_epoch;
    uint64_t e = 0;
    int found = 0;
    if (agg_store_latest_epoch(&a->store, &e, &found) != MTL_OK)
        return 0;
    return e;
}

/* Parameters recorded for an epoch key, else the configured ones. */
static struct mtl_stm_params params_at(struct agg *a, uint64_t epoch)
{
    struct mtl_stm_params p;
    if (agg_store_params(&a->store, epoch, &p) != MTL_OK) {
        mtl_err_clear();
        p = a->cfg.params;
    }
    return p;
}

static json_t *params_json(const struct mtl_stm_params *p)
{
    return json_pack("{s:I,s:I,s:f}", "k", (json_int_t)p->k, "m", (json_int_t)p->m, "phi_f",
                     p->phi_f);
}

/* The Cardano side for /status: the tip's era (Conway until the chain said)
 * and the node tools' version, asked once from the chain observer
 * (`cardano-cli --version`), else the configured CARDANO_NODE_VERSION. */
static void cardano_side(struct agg *a, char era[24], char version[32])
{
    pthread_mutex_lock(&a->rt.mu);
    snprintf(era, 24, "%s", a->rt.cardano_era[0] ? a->rt.cardano_era : "Conway");
    snprintf(version, 32, "%s", a->rt.node_version);
    pthread_mutex_unlock(&a->rt.mu);
    if (version[0])
        return;
    struct app_chain_observer *o = NULL;
    if (a->cfg.stake_distribution_file[0] ||
        app_chain_observer_new(&o, a->cfg.cardano_cli_path, a->cfg.network_magic,
                               a->cfg.cardano_node_socket_path[0]
                                   ? a->cfg.cardano_node_socket_path
                                   : NULL) != MTL_OK ||
        app_chain_observer_version(o, version) != MTL_OK) {
        if (o)
            log_warn("cardano_node_version", "error=\"%s\"", mtl_err_detail());
        mtl_err_clear();
        snprintf(version, 32, "%s", a->cfg.cardano_node_version);
    }
    app_chain_observer_free(o);
    pthread_mutex_lock(&a->rt.mu);
    snprintf(a->rt.node_version, sizeof(a->rt.node_version), "%s", version);
    pthread_mutex_unlock(&a->rt.mu);
}

static void route_status(struct agg *a, struct app_http_response *r)
{
    uint64_t epoch = agg_current_epoch(a);
    char *signers = NULL, *next = NULL;
    int n = 0, nn = 0;
    json_int_t stake = 0, next_stake = 0;
    struct mtl_stm_params cur = params_at(a, epoch ? epoch - 1 : 0), nxt = params_at(a, epoch);
    if (agg_store_list_signers(&a->store, epoch ? epoch - 1 : 0, &signers, &n) == MTL_OK &&
        agg_store_list_signers(&a->store, epoch, &next, &nn) == MTL_OK) {
        json_t *s = json_loads(signers, 0, NULL), *ns = json_loads(next, 0, NULL), *v;
        size_t i;
        json_array_foreach(s, i, v) stake += json_integer_value(json_object_get(v, "stake"));
        json_array_foreach(ns, i, v) next_stake += json_integer_value(json_object_get(v, "stake"));
        json_decref(s);
        json_decref(ns);
    }
    mtl_free(signers);
    mtl_free(next);
    json_t *j = json_object();
    char era[MTL_ERA_NAME_MAX], cardano_era[24], node_version[32];
    agg_era_name(a, era);
    cardano_side(a, cardano_era, node_version);
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "cardano_era", json_string(cardano_era));
    json_object_set_new(j, "cardano_network", json_string(a->cfg.network));
    json_object_set_new(j, "mithril_era", json_string(era));
    json_object_set_new(j, "cardano_node_version", json_string(node_version));
    /* one version for every program: CMake's project version */
    json_object_set_new(j, "aggregator_node_version", json_string(mtl_version()));
    json_object_set_new(j, "protocol", params_json(&cur));
    json_object_set_new(j, "next_protocol", params_json(&nxt));
    agg_follower_status(a, j);
    json_object_set_new(j, "total_signers", json_integer(n));
    json_object_set_new(j, "total_next_signers", json_integer(nn));
    json_object_set_new(j, "total_stakes_signers", json_integer(stake));
    json_object_set_new(j, "total_next_stakes_signers", json_integer(next_stake));
    /* Cardano side: the stake distribution the current signers were weighed
     * with (read during e-1, key e); signers' totals when the chain is unread. */
    char key[24], *txt = NULL;
    json_int_t spo = nn, total = next_stake;
    snprintf(key, sizeof(key), "%llu", (unsigned long long)epoch);
    if (agg_store_query_text(&a->store,
                             "SELECT CAST(COUNT(*) AS TEXT) || ' ' ||"
                             " CAST(COALESCE(SUM(stake), 0) AS TEXT) FROM stake_distribution"
                             " WHERE epoch = CAST(?1 AS INTEGER) HAVING COUNT(*) > 0",
                             key, &txt, "stake distribution") == MTL_OK) {
        long long c = 0, t = 0;
        if (sscanf(txt, "%lld %lld", &c, &t) == 2) {
            spo = (json_int_t)c;
            total = (json_int_t)t;
        }
    } else
        mtl_err_clear();
    mtl_free(txt);
    json_object_set_new(j, "total_cardano_spo", json_integer(spo));
    json_object_set_new(j, "total_cardano_stake", json_integer(total));
    /* Beyond the openapi, only while blocked: the state and why. */
    char state[32], reason[320];
    if (agg_runtime_blocked(a, state, reason)) {
        json_object_set_new(j, "runtime_state", json_string(state));
        json_object_set_new(j, "blocked_reason", json_string(reason));
    }
    char *out = mtl_json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    app_http_json(r, 200, out ? out : "{}");
    free(out);
}

/* Signers (Signer schema) of a key epoch: registrations without the stake. */
static json_t *signers_json(struct agg *a, uint64_t key_epoch)
{
    char *txt = NULL;
    json_t *out = json_array();
    if (agg_store_registrations(&a->store, key_epoch, &txt) == MTL_OK) {
        json_t *arr = json_loads(txt, 0, NULL), *v;
        size_t i;
        json_array_foreach(arr, i, v)
        {
            json_t *s = json_deep_copy(v);
            json_object_del(s, "stake");
            json_array_append_new(out, s);
        }
        json_decref(arr);
    } else
        mtl_err_clear();
    mtl_free(txt);
    return out;
}

static void reply_obj(struct app_http_response *r, int status, json_t *j)
{
    char *out = j ? mtl_json_dumps(j, AGG_JSON_FLAGS) : NULL;
    json_decref(j);
    app_http_json(r, status, out ? out : "{}");
    free(out);
}

/* A signing configuration, set when its kind is signed (the reference's
 * Option: absent when the kind is disabled). */
static void set_signing(struct agg *a, json_t *j, enum mtl_signed_entity_kind k, const char *name,
                        const struct app_tx_signing *c)
{
    if (a->cfg.signed_entity_mask & MTL_SET_BIT(k))
        json_object_set_new(j, name,
                            json_pack("{s:I,s:I}", "security_parameter",
                                      (json_int_t)c->security_parameter, "step",
                                      (json_int_t)c->step));
}

/* current_signers: key e-1 (sign this epoch); next_signers: key e. */
static void route_epoch_settings(struct agg *a, struct app_http_response *r)
{
    uint64_t epoch = agg_current_epoch(a);
    struct mtl_stm_params reg = params_at(a, epoch + 1);
    json_t *j = json_object();
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "signer_registration_protocol", params_json(&reg));
    json_object_set_new(j, "current_signers", signers_json(a, epoch ? epoch - 1 : 0));
    json_object_set_new(j, "next_signers", signers_json(a, epoch));
    set_signing(a, j, MTL_SET_CARDANO_TRANSACTIONS, "cardano_transactions_signing_config",
                &a->cfg.ctx_signing);
    reply_obj(r, 200, j);
}

/* Up to 19 decimal digits, nothing else. */
static int parse_u64(const char *s, uint64_t *v)
{
    char *end = NULL;
    if (!*s || *s < '0' || *s > '9' || strlen(s) > 19)
        return 0;
    *v = strtoull(s, &end, 10);
    return *end == 0;
}

/* The reference's EpochSpecifier: a number, "latest" or "latest-N" (its
 * route lower-cases the text first). *latest: 1 when relative to the
 * current epoch, with offset N (0 for "latest"). */
static int epoch_spec(const char *arg, int *latest, uint64_t *n)
{
    *latest = 0;
    *n = 0;
    if (strncasecmp(arg, "latest", 6) != 0)
        return parse_u64(arg, n);
    *latest = 1;
    return arg[6] == 0 || (arg[6] == '-' && parse_u64(arg + 7, n));
}

int agg_route_epoch(struct agg *a, const char *arg, uint64_t *epoch)
{
    int latest;
    uint64_t n;
    if (!epoch_spec(arg, &latest, &n))
        return 0;
    uint64_t cur = latest ? agg_current_epoch(a) : 0;
    *epoch = !latest ? n : cur > n ? cur - n : 0;
    return 1;
}

int agg_route_epoch_param(struct agg *a, const char *arg, uint64_t extra, uint64_t max_offset,
                          uint64_t *epoch, struct app_http_response *r)
{
    int latest;
    uint64_t n;
    if (!epoch_spec(arg, &latest, &n)) {
        app_http_error(r, 400, "invalid_epoch",
                       "invalid epoch '%.64s': expected a number, 'latest' or 'latest-N'", arg);
        return 0;
    }
    if (latest && n > max_offset) {
        app_http_error(r, 400, "invalid_epoch",
                       "offset greater than maximum allowed value: epoch:`%.64s`, max offset:`%llu`",
                       arg, (unsigned long long)max_offset);
        return 0;
    }
    uint64_t cur = latest ? agg_current_epoch(a) : 0, back = n + extra;
    *epoch = !latest ? n : cur > back ? cur - back : 0;
    return 1;
}

void agg_route_artifact(struct agg *a, enum mtl_signed_entity_kind k, const char *hash,
                        const char *what, struct app_http_response *r)
{
    if (!is_hash(hash)) {
        app_http_error(r, 400, "invalid_hash", "artifact hash must be 64 hex digits");
        return;
    }
    char *json = NULL;
    mtl_err e = agg_store_artifact_get(&a->store, k, hash, &json);
    agg_route_reply(r, e, json, what);
}

void agg_route_artifact_list(struct agg *a, enum mtl_signed_entity_kind k, int64_t epoch,
                             json_t *(*item)(const char *), const char *what,
                             struct app_http_response *r)
{
    char *json = NULL;
    mtl_err e = agg_store_artifact_list(&a->store, k, epoch, LIST_LIMIT, item, &json);
    agg_route_reply(r, e, json, what);
}

static void route_protocol_configuration(struct agg *a, const char *arg,
                                         struct app_http_response *r)
{
    uint64_t epoch;
    if (!agg_route_epoch(a, arg, &epoch)) {
        app_http_error(r, 400, "invalid_epoch", "'%s' is not an epoch", arg);
        return;
    }
    struct mtl_stm_params p;
    if (agg_store_params(&a->store, epoch, &p) != MTL_OK) {
        mtl_err_clear();
        r->status = 404;
        return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "protocol_parameters", params_json(&p));
    set_signing(a, j, MTL_SET_CARDANO_TRANSACTIONS, "cardano_transactions_signing_config",
                &a->cfg.ctx_signing);
    set_signing(a, j, MTL_SET_CARDANO_BLOCKS_TRANSACTIONS,
                "cardano_blocks_transactions_signing_config", &a->cfg.cbtx_signing);
    json_object_set_new(j, "available_signed_entity_types", agg_entities_json(a));
    reply_obj(r, 200, j);
}

static void route_root(struct agg *a, struct app_http_response *r)
{
    json_t *j = json_pack("{s:s,s:s,s:{}}", "open_api_version", MTL_API_VERSION,
                          "documentation_url", "https://mithril.network", "capabilities");
    json_t *caps = json_object_get(j, "capabilities");
    json_object_set_new(caps, "signed_entity_types", agg_entities_json(a));
    json_object_set_new(caps, "aggregate_signature_type", json_string("Concatenation"));
    char *out = mtl_json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    app_http_json(r, 200, out ? out : "{}");
    free(out);
}

static void route_registered(struct agg *a, const char *arg, struct app_http_response *r)
{
    uint64_t epoch;
    if (!agg_route_epoch_param(a, arg, 0, UINT64_MAX, &epoch, r))
        return;
    char *list = NULL;
    /* Registered at e = recorded under key e+1 (reference offset). The
     * items are the whole records (the openapi allows more than party_id
     * and stake): followers take the open round's registrations from here. */
    mtl_err e = agg_store_registrations(&a->store, epoch + 1, &list);
    if (e != MTL_OK) {
        agg_route_reply(r, e, NULL, "signers");
        return;
    }
    /* The list is complete JSON; wrap it without reparsing. */
    char *out = NULL;
    size_t len = strlen(list) + 96;
    out = mtl_malloc(len);
    if (out)
        snprintf(out, len, "{\"registered_at\":%llu,\"signing_at\":%llu,\"registrations\":%s}",
                 (unsigned long long)epoch, (unsigned long long)epoch + 2, list);
    mtl_free(list);
    if (!out) {
        app_http_error(r, 500, "internal_error", "out of memory");
        return;
    }
    r->status = 200;
    r->body = out;
    r->len = strlen(out);
}

/* Signers known: every party registered at some epoch still in the store
 * (has_registered) and every pool of a recorded stake distribution. The
 * chain view has no pool metadata, so no pool_ticker is given (optional in
 * the openapi). */
static void route_tickers(struct agg *a, struct app_http_response *r)
{
    char *txt = NULL;
    mtl_err e = agg_store_query_text(
        &a->store,
        "SELECT json_group_array(json_object('party_id', party_id, 'has_registered',"
        " json(CASE WHEN reg THEN 'true' ELSE 'false' END))) FROM"
        " (SELECT party_id, MAX(reg) AS reg FROM"
        "  (SELECT party_id, 1 AS reg FROM signer_registration"
        "   UNION ALL SELECT party_id, 0 FROM stake_distribution)"
        "  GROUP BY party_id ORDER BY party_id)",
        NULL, &txt, "signers");
    json_t *signers = e == MTL_OK ? json_loads(txt, JSON_PRESERVE_ORDER, NULL) : NULL;
    mtl_free(txt);
    if (!signers) {
        app_http_error(r, 500, "internal_error", "signers: %s",
                       e != MTL_OK ? mtl_err_detail() : "bad JSON from the store");
        return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "network", json_string(a->cfg.network));
    json_object_set_new(j, "signers", signers);
    reply_obj(r, 200, j);
}

static void get_route(struct agg *a, const char *p, struct app_http_response *r)
{
    char *json = NULL;
    mtl_err e;
    if (strcmp(p, "") == 0 || strcmp(p, "/") == 0)
        route_root(a, r);
    else if (strcmp(p, "/status") == 0)
        route_status(a, r);
    else if (strcmp(p, "/epoch-settings") == 0)
        route_epoch_settings(a, r);
    else if (strcmp(p, "/certificates") == 0) {
        e = agg_store_list_certificates(&a->store, LIST_LIMIT, &json);
        agg_route_reply(r, e, json, "certificates");
    } else if (strcmp(p, "/certificate/genesis") == 0) {
        e = agg_store_get_genesis(&a->store, &json);
        agg_route_reply(r, e, json, "genesis certificate");
    } else if (strncmp(p, "/certificate/", 13) == 0) {
        if (!is_hash(p + 13)) {
            app_http_error(r, 400, "invalid_hash", "certificate hash must be 64 hex digits");
            return;
        }
        e = agg_store_get_certificate(&a->store, p + 13, &json);
        agg_route_reply(r, e, json, "certificate");
    } else if (strncmp(p, "/protocol-configuration/", 24) == 0)
        route_protocol_configuration(a, p + 24, r);
    else if (strcmp(p, "/signers/tickers") == 0)
        route_tickers(a, r);
    else if (strncmp(p, "/signers/registered/", 20) == 0)
        route_registered(a, p + 20, r);
    else if (!agg_entities_route(a, p, r)) /* the signed entities' artifacts */
        app_http_error(r, 404, "not_found", "no route GET %s", p);
}

/* POST /statistics/cardano-database/...: clients report restorations; we
 * check the message and log one event (no store, like a metrics counter). */
static void route_statistics(struct agg *a, const char *what, const char *body, size_t len,
                             struct app_http_response *r)
{
    static const char *const events[] = {"immutable-files-restored", "ancillary-files-restored",
                                         "complete-restoration", "partial-restoration"};
    size_t i = 0;
    while (i < MTL_ARRAY_LEN(events) && strcmp(what, events[i]) != 0)
        i++;
    if (i == MTL_ARRAY_LEN(events)) {
        app_http_error(r, 404, "not_found", "no route POST /statistics/cardano-database/%s", what);
        return;
    }
    json_int_t n = 0;
    if (i == 0) {
        json_error_t je;
        json_t *j = json_loadb(body ? body : "", len, 0, &je);
        json_t *v = json_is_object(j) ? json_object_get(j, "nb_immutable_files") : NULL;
        int ok = json_is_integer(v) && json_integer_value(v) >= 0;
        n = ok ? json_integer_value(v) : 0;
        json_decref(j);
        if (!ok) {
            app_http_error(r, 400, "invalid_message",
                           "statistics: need {\"nb_immutable_files\": non-negative integer}");
            return;
        }
    }
    log_info("restoration_reported", "kind=%s nb_immutable_files=%lld", what, (long long)n);
    /* the counters follow the events' order; immutable files count their number */
    agg_metrics_client(a, AGG_M_CDB_IMMUTABLE_RESTORED + i, i == 0 ? (uint64_t)n : 1);
    app_http_json(r, 201, "");
}

/* Details served, counted per client type and origin tag (the reference
 * counts the request, found or not). */
static void count_detail(struct agg *a, const char *p)
{
    if (strncmp(p, "/certificate/", 13) == 0)
        agg_metrics_client(a, AGG_M_CERTIFICATE_DETAIL_SERVED, 1);
    else if (strncmp(p, "/artifact/mithril-stake-distribution/", 37) == 0)
        agg_metrics_client(a, AGG_M_MSD_DETAIL_SERVED, 1);
    else if (strncmp(p, "/artifact/cardano-stake-distribution/", 37) == 0)
        agg_metrics_client(a, AGG_M_CSD_DETAIL_SERVED, 1);
    else if (strncmp(p, "/artifact/cardano-database/", 27) == 0 && strcmp(p + 27, "digests") != 0 &&
             strncmp(p + 27, "epoch/", 6) != 0)
        agg_metrics_client(a, AGG_M_CDB_DETAIL_SERVED, 1);
}

void agg_routes_handle(void *ctx, const char *method, const char *path, const char *body,
                       size_t body_len, struct app_http_response *resp)
{
    struct agg *a = ctx;
    if (agg_explorer_route(a, method, path, resp))
        return;
    if (strncmp(path, PREFIX, strlen(PREFIX)) != 0) {
        app_http_error(resp, 404, "not_found", "routes are under " PREFIX);
        return;
    }
    const char *p = path + strlen(PREFIX);
    log_debug("request", "method=%s path=%s", method, path);
    if (strcmp(method, "GET") == 0) {
        get_route(a, p, resp);
        count_detail(a, p);
    } else if (strcmp(method, "POST") == 0 && strcmp(p, "/register-signer") == 0) {
        agg_metrics_origin(a, AGG_M_SIGNER_REGISTRATION_RECEIVED);
        agg_register_signer(a, body, body_len, resp);
        if (resp->status / 100 == 2)
            agg_metrics_origin(a, AGG_M_SIGNER_REGISTRATION_OK);
    } else if (strcmp(method, "POST") == 0 && strcmp(p, "/register-signatures") == 0) {
        agg_metrics_origin(a, AGG_M_SIGNATURE_RECEIVED);
        agg_register_signatures(a, body, body_len, resp);
        if (resp->status / 100 == 2)
            agg_metrics_origin(a, AGG_M_SIGNATURE_OK);
    } else if (strcmp(method, "POST") == 0 && strncmp(p, "/statistics/cardano-database/", 29) == 0)
        route_statistics(a, p + 29, body, body_len, resp);
    else if (strcmp(method, "POST") == 0)
        app_http_error(resp, 404, "not_found", "no route POST %s", p);
    else
        app_http_error(resp, 405, "method_not_allowed", "method %s not allowed", method);
}
