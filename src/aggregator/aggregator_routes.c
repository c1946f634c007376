/* aggregator_routes.c - the HTTP API (openapi.yaml shapes, JSON errors). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
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
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "cardano_era", json_string("Conway"));
    json_object_set_new(j, "cardano_network", json_string(a->cfg.network));
    char era[MTL_ERA_NAME_MAX];
    agg_era_name(a, era);
    json_object_set_new(j, "mithril_era", json_string(era));
    json_object_set_new(j, "cardano_node_version", json_string("unknown"));
    json_object_set_new(j, "aggregator_node_version", json_string("0.1.0"));
    json_object_set_new(j, "protocol", params_json(&cur));
    json_object_set_new(j, "next_protocol", params_json(&nxt));
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
    char *out = json_dumps(j, AGG_JSON_FLAGS);
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
    char *out = j ? json_dumps(j, AGG_JSON_FLAGS) : NULL;
    json_decref(j);
    app_http_json(r, status, out ? out : "{}");
    free(out);
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
    reply_obj(r, 200, j);
}

/* Parse a decimal epoch or "latest" (the current epoch). */
int agg_route_epoch(struct agg *a, const char *arg, uint64_t *epoch)
{
    if (strcmp(arg, "latest") == 0) {
        *epoch = agg_current_epoch(a);
        return 1;
    }
    char *end = NULL;
    if (!*arg || *arg < '0' || *arg > '9' || strlen(arg) > 19)
        return 0;
    *epoch = strtoull(arg, &end, 10);
    return *end == 0;
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
    char *out = json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    app_http_json(r, 200, out ? out : "{}");
    free(out);
}

static void route_registered(struct agg *a, const char *arg, struct app_http_response *r)
{
    uint64_t epoch;
    if (!agg_route_epoch(a, arg, &epoch)) {
        app_http_error(r, 400, "invalid_epoch", "'%s' is not an epoch", arg);
        return;
    }
    char *list = NULL;
    int n = 0;
    /* Registered at e = recorded under key e+1 (reference offset). */
    mtl_err e = agg_store_list_signers(&a->store, epoch + 1, &list, &n);
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
