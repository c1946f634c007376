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

static void reply_json(struct mtl_http_response *r, mtl_err e, char *json, const char *what)
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
    mtl_http_error(r, 500, "internal_error", "%s: %s", what, mtl_err_detail());
}

/* Epoch the aggregator is in: the latest certified one (no chain observer yet). */
uint64_t agg_current_epoch(struct agg *a)
{
    if (a->cfg.current_epoch >= 0)
        return (uint64_t)a->cfg.current_epoch;
    uint64_t e = 0;
    int found = 0;
    if (agg_store_latest_epoch(&a->store, &e, &found) != MTL_OK)
        return 0;
    return e;
}

static json_t *params_json(const struct mtl_stm_params *p)
{
    return json_pack("{s:I,s:I,s:f}", "k", (json_int_t)p->k, "m", (json_int_t)p->m, "phi_f",
                     p->phi_f);
}

static void route_status(struct agg *a, struct mtl_http_response *r)
{
    uint64_t epoch = agg_current_epoch(a);
    char *signers = NULL, *next = NULL;
    int n = 0, nn = 0;
    json_int_t stake = 0, next_stake = 0;
    if (agg_store_list_signers(&a->store, epoch, &signers, &n) == MTL_OK &&
        agg_store_list_signers(&a->store, epoch + 1, &next, &nn) == MTL_OK) {
        json_t *s = json_loads(signers, 0, NULL), *ns = json_loads(next, 0, NULL), *v;
        size_t i;
        json_array_foreach(s, i, v) stake += json_integer_value(json_object_get(v, "stake"));
        json_array_foreach(ns, i, v) next_stake +=
            json_integer_value(json_object_get(v, "stake"));
        json_decref(s);
        json_decref(ns);
    }
    mtl_free(signers);
    mtl_free(next);
    json_t *j = json_object();
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "cardano_era", json_string("Conway"));
    json_object_set_new(j, "cardano_network", json_string(a->cfg.network));
    json_object_set_new(j, "mithril_era", json_string("pythagoras"));
    json_object_set_new(j, "cardano_node_version", json_string("unknown"));
    json_object_set_new(j, "aggregator_node_version", json_string("0.1.0"));
    json_object_set_new(j, "protocol", params_json(&a->cfg.params));
    json_object_set_new(j, "next_protocol", params_json(&a->cfg.params));
    json_object_set_new(j, "total_signers", json_integer(n));
    json_object_set_new(j, "total_next_signers", json_integer(nn));
    json_object_set_new(j, "total_stakes_signers", json_integer(stake));
    json_object_set_new(j, "total_next_stakes_signers", json_integer(next_stake));
    json_object_set_new(j, "total_cardano_spo", json_integer(nn));
    json_object_set_new(j, "total_cardano_stake", json_integer(next_stake));
    char *out = json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    mtl_http_json(r, 200, out ? out : "{}");
    free(out);
}

static void route_epoch_settings(struct agg *a, struct mtl_http_response *r)
{
    uint64_t epoch = agg_current_epoch(a);
    json_t *j = json_object();
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "signer_registration_protocol", params_json(&a->cfg.params));
    json_object_set_new(j, "current_signers", json_array());
    json_object_set_new(j, "next_signers", json_array());
    char *out = json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    mtl_http_json(r, 200, out ? out : "{}");
    free(out);
}

static void route_root(struct agg *a, struct mtl_http_response *r)
{
    json_t *j = json_pack("{s:s,s:s,s:{}}", "open_api_version", MTL_API_VERSION,
                          "documentation_url", "https://mithril.network", "capabilities");
    json_t *caps = json_object_get(j, "capabilities");
    json_t *set = json_array();
    char *types = mtl_strdup(a->cfg.signed_entity_types);
    for (char *save = NULL, *t = types ? strtok_r(types, ",", &save) : NULL; t;
         t = strtok_r(NULL, ",", &save))
        json_array_append_new(set, json_string(t));
    mtl_free(types);
    json_object_set_new(caps, "signed_entity_types", set);
    json_object_set_new(caps, "aggregate_signature_type", json_string("Concatenation"));
    char *out = json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    mtl_http_json(r, 200, out ? out : "{}");
    free(out);
}

static void route_registered(struct agg *a, const char *arg, struct mtl_http_response *r)
{
    uint64_t epoch;
    if (strcmp(arg, "latest") == 0)
        epoch = agg_current_epoch(a);
    else {
        char *end = NULL;
        if (!*arg || *arg < '0' || *arg > '9') {
            mtl_http_error(r, 400, "invalid_epoch", "'%s' is not an epoch", arg);
            return;
        }
        epoch = strtoull(arg, &end, 10);
        if (*end) {
            mtl_http_error(r, 400, "invalid_epoch", "'%s' is not an epoch", arg);
            return;
        }
    }
    char *list = NULL;
    int n = 0;
    mtl_err e = agg_store_list_signers(&a->store, epoch, &list, &n);
    if (e != MTL_OK) {
        reply_json(r, e, NULL, "signers");
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
        mtl_http_error(r, 500, "internal_error", "out of memory");
        return;
    }
    r->status = 200;
    r->body = out;
    r->len = strlen(out);
}

static void get_route(struct agg *a, const char *p, struct mtl_http_response *r)
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
        reply_json(r, e, json, "certificates");
    } else if (strcmp(p, "/certificate/genesis") == 0) {
        e = agg_store_get_genesis(&a->store, &json);
        reply_json(r, e, json, "genesis certificate");
    } else if (strncmp(p, "/certificate/", 13) == 0) {
        if (!is_hash(p + 13)) {
            mtl_http_error(r, 400, "invalid_hash", "certificate hash must be 64 hex digits");
            return;
        }
        e = agg_store_get_certificate(&a->store, p + 13, &json);
        reply_json(r, e, json, "certificate");
    } else if (strcmp(p, "/artifact/mithril-stake-distributions") == 0) {
        e = agg_store_list_msd(&a->store, LIST_LIMIT, &json);
        reply_json(r, e, json, "stake distributions");
    } else if (strncmp(p, "/artifact/mithril-stake-distribution/", 37) == 0) {
        if (!is_hash(p + 37)) {
            mtl_http_error(r, 400, "invalid_hash", "artifact hash must be 64 hex digits");
            return;
        }
        e = agg_store_get_msd(&a->store, p + 37, &json);
        reply_json(r, e, json, "stake distribution");
    } else if (strncmp(p, "/signers/registered/", 20) == 0)
        route_registered(a, p + 20, r);
    else
        mtl_http_error(r, 404, "not_found", "no route GET %s", p);
}

void agg_routes_handle(void *ctx, const char *method, const char *path, const char *body,
                       size_t body_len, struct mtl_http_response *resp)
{
    struct agg *a = ctx;
    if (strncmp(path, PREFIX, strlen(PREFIX)) != 0) {
        mtl_http_error(resp, 404, "not_found", "routes are under " PREFIX);
        return;
    }
    const char *p = path + strlen(PREFIX);
    log_debug("request", "method=%s path=%s", method, path);
    if (strcmp(method, "GET") == 0)
        get_route(a, p, resp);
    else if (strcmp(method, "POST") == 0 && strcmp(p, "/register-signer") == 0)
        agg_register_signer(a, body, body_len, resp);
    else if (strcmp(method, "POST") == 0)
        mtl_http_error(resp, 404, "not_found", "no route POST %s", p);
    else
        mtl_http_error(resp, 405, "method_not_allowed", "method %s not allowed", method);
}
