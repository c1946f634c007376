/* aggregator_metrics.c - the aggregator's metrics, named as the reference's
 * mithril-aggregator metrics/service.rs (its dashboards apply), and the
 * request labels: origin_tag (mithril-origin-tag header, when white-listed:
 * EXPLORER, BENCHMARK, CI, NA and CUSTOM_ORIGIN_TAG_WHITE_LIST; else NA) and
 * client_type (mithril-client-type: CLI, WASM, LIBRARY, else NA). */
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "metrics.h"

#define NODE " since startup on a Mithril aggregator node"
#define P "mithril_aggregator_"
/* Exposed in label-name order, as the prometheus crate sorts them. */
#define CLIENT_LABELS "client_type,origin_tag"
#define COUNTER MTL_METRIC_COUNTER

static const struct app_metric_def DEFS[AGG_M_COUNT] = {
    /* (the reference's name has no prefix here) */
    [AGG_M_CERTIFICATE_DETAIL_SERVED] = {"certificate_detail_total_served_since_startup",
                                         "Number of certificate details served" NODE, COUNTER,
                                         CLIENT_LABELS},
    [AGG_M_CDB_IMMUTABLE_RESTORED] = {P "cardano_db_immutable_files_restored_since_startup",
                                      "Number of Cardano immutable files restored" NODE, COUNTER,
                                      CLIENT_LABELS},
    [AGG_M_CDB_ANCILLARY_RESTORED] = {P "cardano_db_ancillary_files_restored_since_startup",
                                      "Number of Cardano ancillary files restored" NODE, COUNTER,
                                      CLIENT_LABELS},
    [AGG_M_CDB_COMPLETE_RESTORATION] = {P "cardano_db_complete_restoration_since_startup",
                                        "Number of complete Cardano database restoration" NODE,
                                        COUNTER, CLIENT_LABELS},
    [AGG_M_CDB_PARTIAL_RESTORATION] = {P "cardano_db_partial_restoration_since_startup",
                                       "Number of partial Cardano database restoration" NODE,
                                       COUNTER, CLIENT_LABELS},
    [AGG_M_CDB_DETAIL_SERVED] = {P "artifact_detail_cardano_database_total_served_since_startup",
                                 "Number of Cardano database artifact details served" NODE, COUNTER,
                                 CLIENT_LABELS},
    [AGG_M_MSD_DETAIL_SERVED] = {P "artifact_detail_mithril_stake_distribution_total_served_"
                                   "since_startup",
                                 "Number of Mithril stake distribution artifact details "
                                 "served" NODE,
                                 COUNTER, CLIENT_LABELS},
    [AGG_M_SIGNER_REGISTRATION_RECEIVED] = {P "signer_registration_total_received_since_startup",
                                            "Number of signer registrations received" NODE, COUNTER,
                                            "origin_tag"},
    [AGG_M_SIGNER_REGISTRATION_OK] = {P "signer_registration_total_successful_since_startup",
                                      "Number of successful signer registrations received" NODE,
                                      COUNTER, "origin_tag"},
    [AGG_M_SIGNATURE_RECEIVED] = {P "signature_registration_total_received_since_startup",
                                  "Number of signature registrations received" NODE, COUNTER,
                                  "origin_tag"},
    [AGG_M_SIGNATURE_OK] = {P "signature_registration_total_successful_since_startup",
                            "Number of successful signature registrations received" NODE, COUNTER,
                            "origin_tag"},
    [AGG_M_CERTIFICATES] = {P "certificate_total_produced_since_startup",
                            "Number of certificates produced" NODE, COUNTER, NULL},
    [AGG_M_CDB_PRODUCED] = {P "artifact_cardano_database_total_produced_since_startup",
                            "Number of Cardano database artifacts produced" NODE, COUNTER, NULL},
    [AGG_M_MSD_PRODUCED] = {P "artifact_mithril_stake_distribution_total_produced_since_startup",
                            "Number of Mithril stake distribution artifacts produced" NODE, COUNTER,
                            NULL},
    [AGG_M_CYCLE_SUCCESS] = {P "runtime_cycle_success_since_startup",
                             "Number of successful runtime cycles since startup on a Mithril "
                             "aggregator",
                             COUNTER, NULL},
    [AGG_M_CYCLE_TOTAL] = {P "runtime_cycle_total_since_startup",
                           "Number of runtime cycles since startup on a Mithril aggregator",
                           COUNTER, NULL},
    [AGG_M_CSD_DETAIL_SERVED] = {P "artifact_detail_cardano_stake_distribution_total_served_"
                                   "since_startup",
                                 "Number of Cardano stake distribution artifact details "
                                 "served" NODE,
                                 COUNTER, CLIENT_LABELS},
    [AGG_M_CSD_PRODUCED] = {P "artifact_cardano_stake_distribution_total_produced_since_startup",
                            "Number of Cardano stake distribution artifacts produced" NODE, COUNTER,
                            NULL},
};

mtl_err agg_metrics_new(struct app_metrics **out)
{
    return app_metrics_new(out, DEFS, AGG_M_COUNT);
}

/* The origin tag of the request, when white-listed (reference with_origin_tag). */
static const char *origin_tag(const struct agg *a)
{
    static const char *const known[] = {"EXPLORER", "BENCHMARK", "CI", "NA"};
    const char *t = app_httpd_header("mithril-origin-tag");
    if (!t || !t[0])
        return "NA";
    for (size_t i = 0; i < MTL_ARRAY_LEN(known); i++)
        if (strcmp(t, known[i]) == 0)
            return t;
    /* CUSTOM_ORIGIN_TAG_WHITE_LIST: "A, B,C" (spaces around a tag ignored) */
    size_t l = strlen(t);
    for (const char *w = a->cfg.custom_origin_tag_white_list; w && *w;) {
        w += strspn(w, " ");
        size_t k = strcspn(w, ", ");
        if (k == l && strncmp(w, t, l) == 0)
            return t;
        w += k;
        w += strspn(w, " ");
        w += *w == ',';
    }
    return "NA";
}

static const char *client_type(void)
{
    static const char *const known[] = {"CLI", "WASM", "LIBRARY"};
    const char *t = app_httpd_header("mithril-client-type");
    for (size_t i = 0; t && i < MTL_ARRAY_LEN(known); i++)
        if (strcmp(t, known[i]) == 0)
            return t;
    return "NA";
}

void agg_metrics_client(struct agg *a, size_t id, uint64_t n)
{
    const char *v[] = {client_type(), origin_tag(a)};
    app_metrics_add_labels(a->metrics, id, v, n);
}

void agg_metrics_origin(struct agg *a, size_t id)
{
    const char *v[] = {origin_tag(a)};
    app_metrics_add_labels(a->metrics, id, v, 1);
}
