/* aggregator_cardano_stake_distribution.c - the CardanoStakeDistribution
 * signed entity: the Cardano stake distribution at the end of epoch E (read
 * from the chain during E+1, recorded under key E+2), signed during E+1; its
 * open message, its artifact (the reference's CardanoStakeDistributionMessage)
 * and its routes. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

/* The reference's CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET: the stakes
 * of beacon E are those recorded under key E + 2. */
#define CSD_SNAPSHOT_OFFSET 2

/* One distribution, in pool id order (the reference's BTreeMap). */
struct csd_stakes {
    size_t n;
    const char **pool; /* borrowed from doc */
    uint64_t *stake;
    json_t *doc;
};

static void csd_stakes_clear(struct csd_stakes *s)
{
    mtl_free(s->pool);
    mtl_free(s->stake);
    json_decref(s->doc);
    memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The stake distribution recorded under key_epoch (MTL_ERR_NOT_FOUND when
 * the chain was not read during key_epoch - 1). */
static mtl_err csd_stakes_load(struct agg *a, uint64_t key_epoch, struct csd_stakes *s)
{
    char key[24], *txt = NULL;
    memset(s, 0, sizeof(*s));
    snprintf(key, sizeof(key), "%llu", (unsigned long long)key_epoch);
    MTL_TRY(agg_store_query_text(&a->store,
                                 "SELECT json_group_object(party_id, stake) FROM stake_distribution"
                                 " WHERE epoch = CAST(?1 AS INTEGER) HAVING COUNT(*) > 0",
                                 key, &txt, "stake distribution"));
    s->doc = json_loads(txt, 0, NULL);
    mtl_free(txt);
    s->n = json_object_size(s->doc);
    s->pool = mtl_calloc(s->n ? s->n : 1, sizeof(*s->pool));
    s->stake = mtl_calloc(s->n ? s->n : 1, sizeof(*s->stake));
    if (!s->doc || !s->pool || !s->stake) {
        csd_stakes_clear(s);
        return mtl_seterr(MTL_ERR_NOMEM, "stake distribution of key epoch %s: out of memory", key);
    }
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach(s->doc, k, v) s->pool[i++] = k;
    mtl_sort(s->pool, s->n, sizeof(*s->pool), cmp_str);
    for (i = 0; i < s->n; i++)
        s->stake[i] = (uint64_t)json_integer_value(json_object_get(s->doc, s->pool[i]));
    return MTL_OK;
}

static void csd_open(struct agg *a, uint64_t epoch)
{
    if (epoch == 0)
        return; /* beacon epoch - 1 */
    struct mtl_signed_entity_type t = {.kind = MTL_SET_CARDANO_STAKE_DISTRIBUTION,
                                       .epoch = epoch - 1};
    char *key = NULL, *root = NULL;
    struct agg_open_message m;
    struct csd_stakes s = {0};
    if (mtl_signed_entity_type_to_json(&t, &key) != MTL_OK)
        return;
    mtl_err e = agg_store_open_message_get(&a->store, key, &m);
    agg_open_message_clear(&m);
    if (e == MTL_ERR_NOT_FOUND) {
        mtl_err_clear();
        e = csd_stakes_load(a, t.epoch + CSD_SNAPSHOT_OFFSET, &s);
        if (e == MTL_OK)
            e = mtl_csd_merkle_root(&root, s.pool, s.stake, s.n);
        if (e == MTL_OK)
            e = agg_open_message_with_root(a, &t, root);
    }
    /* once per epoch: the runtime thread calls this every tick */
    static uint64_t logged_epoch = UINT64_MAX;
    if (e != MTL_OK && logged_epoch != epoch) {
        log_error("open_message", "entity=%s error=\"%s\"", key, mtl_err_detail());
        logged_epoch = epoch;
    }
    mtl_err_clear();
    mtl_free(root);
    csd_stakes_clear(&s);
    mtl_free(key);
}

/* The artifact: the reference's CardanoStakeDistributionMessage, fields in
 * its order, the distribution in pool id order. */
static mtl_err csd_json(uint64_t epoch, const char *hash, const char *cert_hash,
                        const struct csd_stakes *s, int64_t created_ns, char **out)
{
    char created[40];
    agg_rfc3339(created_ns, created);
    json_t *d = json_object(), *j = json_object();
    for (size_t i = 0; d && i < s->n; i++)
        json_object_set_new(d, s->pool[i], json_integer((json_int_t)s->stake[i]));
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "hash", json_string(hash));
    json_object_set_new(j, "certificate_hash", json_string(cert_hash));
    json_object_set_new(j, "stake_distribution", d);
    json_object_set_new(j, "created_at", json_string(created));
    char *txt = mtl_json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    *out = txt ? mtl_strdup(txt) : NULL;
    free(txt);
    MTL_CHECK(*out, MTL_ERR_NOMEM, "out of memory");
    return MTL_OK;
}

static mtl_err csd_build(struct agg *a, const struct agg_open_message *m,
                         const struct mtl_certificate *cert, int64_t sealed_ns,
                         struct agg_artifact *art)
{
    struct csd_stakes s;
    char *root = NULL;
    MTL_TRY(csd_stakes_load(a, m->type.epoch + CSD_SNAPSHOT_OFFSET, &s));
    mtl_err e = mtl_csd_merkle_root(&root, s.pool, s.stake, s.n);
    /* the certified message, not a re-read of the stored JSON */
    const char *signed_root = mtl_protocol_message_get(mtl_certificate_protocol_message(cert),
                                                       "cardano_stake_distribution_merkle_root");
    if (e == MTL_OK && (!signed_root || strcmp(root, signed_root) != 0))
        e = mtl_seterr(MTL_ERR_INTEGRITY,
                       "stake distribution of epoch %llu changed since its message was opened",
                       (unsigned long long)m->type.epoch);
    if (e == MTL_OK)
        e = mtl_csd_hash(art->hash, m->type.epoch, s.pool, s.stake, s.n);
    if (e == MTL_OK)
        e = csd_json(m->type.epoch, art->hash, mtl_certificate_hash(cert), &s, sealed_ns,
                     &art->json);
    if (e == MTL_OK) /* what a client will check */
        e = mtl_csd_verify(art->json, strlen(art->json), cert, NULL);
    mtl_free(root);
    csd_stakes_clear(&s);
    return e;
}

/* ---- routes ---------------------------------------------------------------------- */

/* openapi CardanoStakeDistributionListMessage item. */
static json_t *csd_list_item(const char *json)
{
    static const char *const keys[] = {"epoch", "hash", "certificate_hash", "created_at"};
    return agg_json_pick(json, keys, MTL_ARRAY_LEN(keys));
}

static json_t *csd_whole(const char *json)
{
    return json_loads(json, 0, NULL);
}

/* The one artifact of an epoch (404 when none). */
static void route_by_epoch(struct agg *a, uint64_t epoch, struct app_http_response *r)
{
    char *list = NULL, *out = NULL;
    mtl_err e = agg_store_artifact_list(&a->store, MTL_SET_CARDANO_STAKE_DISTRIBUTION,
                                        (int64_t)epoch, 1, csd_whole, &list);
    json_t *arr = e == MTL_OK ? json_loads(list, JSON_PRESERVE_ORDER, NULL) : NULL;
    mtl_free(list);
    if (e == MTL_OK && json_array_size(arr) == 0)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no cardano stake distribution of epoch %llu",
                       (unsigned long long)epoch);
    if (e == MTL_OK) {
        char *txt = mtl_json_dumps(json_array_get(arr, 0), AGG_JSON_FLAGS);
        out = txt ? mtl_strdup(txt) : NULL;
        free(txt);
        if (!out)
            e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    }
    json_decref(arr);
    agg_route_reply(r, e, out, "cardano stake distribution");
}

static int csd_route(struct agg *a, const char *p, struct app_http_response *r)
{
    static const char list[] = "/artifact/cardano-stake-distributions",
                      item[] = "/artifact/cardano-stake-distribution/", by_epoch[] = "epoch/";
    const size_t il = sizeof(item) - 1, el = sizeof(by_epoch) - 1;
    uint64_t epoch;
    if (strcmp(p, list) == 0)
        agg_route_artifact_list(a, MTL_SET_CARDANO_STAKE_DISTRIBUTION, -1, csd_list_item,
                                "cardano stake distributions", r);
    else if (strncmp(p, item, il) != 0)
        return 0;
    else if (strncmp(p + il, by_epoch, el) != 0)
        agg_route_artifact(a, MTL_SET_CARDANO_STAKE_DISTRIBUTION, p + il,
                           "cardano stake distribution", r);
    /* "latest" is the last epoch whose distribution is complete: current - 1 */
    else if (agg_route_epoch_param(a, p + il + el, 1, AGG_MAX_ARTIFACT_EPOCH_OFFSET, &epoch, r))
        route_by_epoch(a, epoch, r);
    return 1;
}

const struct agg_entity_handler agg_csd_handler = {
    .kind = MTL_SET_CARDANO_STAKE_DISTRIBUTION,
    .open = csd_open,
    .build_artifact = csd_build,
    .route = csd_route,
};
