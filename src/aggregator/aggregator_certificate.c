/* aggregator_certificate.c - from the multi-signature of an open message to
 * its certificate: chained to the master certificate (link checked), its
 * artifact built, both stored with the message certified in one transaction
 * (a kill -9 leaves all of it or none). */
#include <jansson.h>
#include <string.h>

#include "aggregator_certifier.h"
#include "common/common_int.h"
#include "log.h"

/* What one certification makes (freed by made_clear). */
struct made {
    struct mtl_certificate *cert, *prev;
    char *cert_json;
    struct agg_artifact art;
    int64_t sealed, t_cert, t_built;
    int64_t cpu_cert, cpu_built; /* the runtime thread's CPU time at t_cert, t_built */
};

static void made_clear(struct made *x)
{
    mtl_certificate_free(x->cert);
    mtl_certificate_free(x->prev);
    mtl_free(x->cert_json);
    agg_artifact_clear(&x->art);
    memset(x, 0, sizeof(*x));
}

/* The certificate, chained to the master certificate of m's epoch. */
static mtl_err build_certificate(struct agg *a, struct agg_signers *g,
                                 const struct mtl_stm_params *p, const struct agg_open_message *m,
                                 const struct agg_cert_sigs *s, struct made *x)
{
    char *prev_json = NULL;
    struct mtl_protocol_message *pm = NULL;
    struct mtl_party_stake *ps = mtl_calloc(s->n ? s->n : 1, sizeof(*ps));
    MTL_CHECK(ps, MTL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        ps[i].party_id = g->party[s->pos[i]];
        ps[i].stake = g->stake[s->pos[i]];
    }
    uint64_t epoch = mtl_signed_entity_signed_epoch(&m->type);
    mtl_err e = agg_store_master_certificate(&a->store, epoch, &prev_json);
    if (e == MTL_OK)
        e = mtl_certificate_from_json(&x->prev, prev_json, strlen(prev_json));
    if (e == MTL_OK)
        e = mtl_protocol_message_from_json(&pm, m->protocol_message, strlen(m->protocol_message));
    x->sealed = agg_now_ns();
    if (e == MTL_OK) {
        struct mtl_certificate_params cp = {
            .previous_hash = mtl_certificate_hash(x->prev),
            .epoch = epoch,
            .signed_entity = m->type,
            .network = a->cfg.network,
            .version = "0.1.0",
            .params = *p,
            .initiated_at_ns = m->created_at_ns,
            .sealed_at_ns = x->sealed,
            .signers = ps,
            .nsigners = s->n,
            .message = pm,
            .avk_jsonhex = g->avk,
            .multisig_jsonhex = s->multisig,
        };
        e = mtl_certificate_build(&x->cert, &cp);
    }
    if (e == MTL_OK)
        e = mtl_certificate_verify_link(x->cert, x->prev);
    if (e == MTL_OK)
        e = mtl_certificate_to_json(x->cert, &x->cert_json);
    mtl_protocol_message_free(pm);
    mtl_free(prev_json);
    mtl_free(ps);
    return e;
}

static double ms(int64_t from, int64_t to)
{
    return (double)(to - from) / 1e6;
}

mtl_err agg_certificate_make(struct agg *a, struct agg_signers *g, const struct mtl_stm_params *p,
                             const struct agg_open_message *m, const struct agg_cert_sigs *s)
{
    struct made x;
    memset(&x, 0, sizeof(x));
    mtl_err e = build_certificate(a, g, p, m, s, &x);
    x.t_cert = agg_now_ns();
    x.cpu_cert = agg_thread_cpu_ns();
    if (e == MTL_OK) /* by the kind's handler (aggregator_entities.c) */
        e = agg_entity_build_artifact(a, m, x.cert, x.sealed, &x.art);
    x.t_built = agg_now_ns();
    x.cpu_built = agg_thread_cpu_ns();
    if (e == MTL_OK)
        e = agg_store_certify_built(&a->store, m->signed_entity, x.cert, x.cert_json,
                                    x.art.json ? &x.art : NULL);
    if (e == MTL_OK) {
        app_metrics_inc(a->metrics, AGG_M_CERTIFICATES);
        if (x.art.json)
            app_metrics_inc(a->metrics, m->type.kind == MTL_SET_CARDANO_DATABASE ? AGG_M_CDB_PRODUCED
                                        : m->type.kind == MTL_SET_CARDANO_STAKE_DISTRIBUTION
                                            ? AGG_M_CSD_PRODUCED
                                            : AGG_M_MSD_PRODUCED);
        int64_t t1 = agg_now_ns(), cpu1 = agg_thread_cpu_ns();
        log_info(
            "certificate_created",
            "hash=%s epoch=%llu entity=%s signatures=%zu decoded_on_arrival=%zu previous=%s"
            " aggregate_ms=%.1f"
            " quorum_to_certificate_ms=%.1f load_ms=%.1f clerk_ms=%.1f verify_ms=%.1f"
            " build_ms=%.1f certificate_ms=%.1f artifact_ms=%.1f store_ms=%.1f thread_cpu_ms=%.1f"
            " cpu_aggregate_ms=%.1f cpu_certificate_ms=%.1f cpu_artifact_ms=%.1f cpu_store_ms=%.1f",
            mtl_certificate_hash(x.cert), (unsigned long long)mtl_certificate_epoch(x.cert),
            m->signed_entity, s->n,
            s->n, mtl_certificate_hash(x.prev), ms(s->t0, t1),
            s->quorum_at_ns ? ms(s->quorum_at_ns, t1) : 0.0, ms(s->t0, s->t_loaded),
            ms(s->t_loaded, s->t_aggregated), ms(s->t_aggregated, x.sealed),
            ms(x.sealed, x.t_built), ms(x.sealed, x.t_cert), ms(x.t_cert, x.t_built),
            ms(x.t_built, t1), ms(s->cpu0, cpu1), ms(s->cpu0, s->cpu_aggregated),
            ms(s->cpu_aggregated, x.cpu_cert), ms(x.cpu_cert, x.cpu_built), ms(x.cpu_built, cpu1));
    }
    made_clear(&x);
    return e;
}
