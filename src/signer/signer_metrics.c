/* signer_metrics.c - the signer's metrics, named as the reference's
 * mithril-signer metrics/service.rs so that its dashboards apply. */
#include "metrics.h"
#include "signer_int.h"

static const struct app_metric_def DEFS[SIGNER_M_COUNT] = {
    [SIGNER_M_REGISTRATION_SUCCESS] =
        {"mithril_signer_signer_registration_success_since_startup",
         "Number of successful signer registrations since startup on a Mithril signer node",
         MTL_METRIC_COUNTER, NULL},
    [SIGNER_M_REGISTRATION_TOTAL] =
        {"mithril_signer_signer_registration_total_since_startup",
         "Number of signer registrations since startup on a Mithril signer node",
         MTL_METRIC_COUNTER, NULL},
    [SIGNER_M_REGISTRATION_LAST_EPOCH] =
        {"mithril_signer_signer_registration_success_last_epoch",
         "Latest epoch at which signer successfully registered on a Mithril signer node",
         MTL_METRIC_GAUGE, NULL},
    [SIGNER_M_SIGNATURE_SUCCESS] =
        {"mithril_signer_signature_registration_success_since_startup",
         "Number of successful signature registrations since startup on a Mithril signer node",
         MTL_METRIC_COUNTER, NULL},
    [SIGNER_M_SIGNATURE_TOTAL] =
        {"mithril_signer_signature_registration_total_since_startup",
         "Number of signature registrations since startup on a Mithril signer node",
         MTL_METRIC_COUNTER, NULL},
    [SIGNER_M_SIGNATURE_LAST_EPOCH] =
        {"mithril_signer_signature_registration_success_last_epoch",
         "Latest epoch at which signature successfully registered on a Mithril signer node",
         MTL_METRIC_GAUGE, NULL},
    [SIGNER_M_CYCLE_SUCCESS] = {"mithril_signer_runtime_cycle_success_since_startup",
                                "Number of successful runtime cycles since startup on a Mithril "
                                "signer node",
                                MTL_METRIC_COUNTER, NULL},
    [SIGNER_M_CYCLE_TOTAL] = {"mithril_signer_runtime_cycle_total_since_startup",
                              "Number of runtime cycles since startup on a Mithril signer node",
                              MTL_METRIC_COUNTER, NULL},
};

mtl_err signer_metrics_new(struct app_metrics **out)
{
    return app_metrics_new(out, DEFS, SIGNER_M_COUNT);
}
