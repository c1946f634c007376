/* aggregator_entities.c - the registry of signed entity handlers: which
 * kinds this aggregator signs, and the dispatch of opening messages,
 * building artifacts and serving artifact routes to each kind's handler.
 * A new kind is its handler file plus one row of HANDLERS. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

static const struct agg_entity_handler *const HANDLERS[] = {
    &agg_msd_handler,
    &agg_cardano_db_handler,
    &agg_csd_handler,
    &agg_cardano_transactions_handler,
    &agg_cardano_blocks_transactions_handler,
};

const struct agg_entity_handler *agg_entity_handler(enum mtl_signed_entity_kind k)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(HANDLERS); i++)
        if (HANDLERS[i]->kind == k)
            return HANDLERS[i];
    return NULL;
}

mtl_err agg_entities_parse(const char *list, unsigned *mask)
{
    unsigned m = 0;
    if (mtl_signed_entity_kinds_parse(&m, list) != MTL_OK)
        return mtl_err_wrap(MTL_ERR_CONFIG, "SIGNED_ENTITY_TYPES");
    for (int k = 0; k < MTL_SET_KIND_COUNT; k++)
        MTL_CHECK(!(m & MTL_SET_BIT(k)) || agg_entity_handler((enum mtl_signed_entity_kind)k),
                  MTL_ERR_CONFIG, "SIGNED_ENTITY_TYPES: %s is not signed by this aggregator",
                  mtl_signed_entity_kind_name((enum mtl_signed_entity_kind)k));
    /* always signed, like the reference: it carries the next signers */
    *mask = m | MTL_SET_BIT(MTL_SET_MITHRIL_STAKE_DISTRIBUTION);
    return MTL_OK;
}

static int enabled(const struct agg *a, enum mtl_signed_entity_kind k)
{
    return (a->cfg.signed_entity_mask & MTL_SET_BIT(k)) != 0;
}

void agg_entities_open(struct agg *a, uint64_t epoch)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(HANDLERS); i++)
        if (enabled(a, HANDLERS[i]->kind))
            HANDLERS[i]->open(a, epoch);
}

void agg_artifact_clear(struct agg_artifact *art)
{
    mtl_free(art->json);
    mtl_free(art->extra);
    memset(art, 0, sizeof(*art));
}

mtl_err agg_entity_build_artifact(struct agg *a, const struct agg_open_message *m,
                                  const struct mtl_certificate *cert, int64_t sealed_ns,
                                  struct agg_artifact *art)
{
    memset(art, 0, sizeof(*art));
    const struct agg_entity_handler *h = agg_entity_handler(m->type.kind);
    MTL_CHECK(h, MTL_ERR_STATE, "%s: no handler in this aggregator", m->signed_entity);
    art->entity = m->type;
    mtl_err e = h->build_artifact(a, m, cert, sealed_ns, art);
    if (e != MTL_OK)
        agg_artifact_clear(art);
    return e;
}

/* Every kind's routes, enabled or not: a store keeps what it certified. */
int agg_entities_route(struct agg *a, const char *p, struct app_http_response *r)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(HANDLERS); i++)
        if (HANDLERS[i]->route(a, p, r))
            return 1;
    return 0;
}

json_t *agg_entities_json(const struct agg *a)
{
    json_t *set = json_array();
    for (int k = 0; set && k < MTL_SET_KIND_COUNT; k++)
        if (enabled(a, (enum mtl_signed_entity_kind)k))
            json_array_append_new(
                set, json_string(mtl_signed_entity_kind_name((enum mtl_signed_entity_kind)k)));
    return set;
}
