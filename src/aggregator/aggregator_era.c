/* aggregator_era.c - the Mithril era the aggregator runs in: checked at start
 * and at every new epoch (reference runtime update_era_checker), served on
 * /status. An era this software does not support stops the aggregator. */
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"
#include "program.h"

mtl_err agg_era_open(struct agg *a)
{
    const struct agg_config *c = &a->cfg;
    app_era_checker_init(&a->era);
    MTL_TRY(app_era_reader_new(&a->era_reader, c->era_reader_adapter_type,
                               c->era_reader_adapter_params, c->cardano_cli_path, c->network_magic,
                               c->cardano_node_socket_path));
    struct agg_chain_state ch;
    uint64_t epoch;
    if (agg_chain_read(c, &ch) == MTL_OK) {
        epoch = ch.epoch;
        agg_chain_state_clear(&ch);
    } else {
        /* No chain yet: the last epoch known (store), checked again at the
         * runtime's first chain read. */
        log_warn("era_at_last_known_epoch", "reason=\"the chain cannot be read yet: %s\"",
                 mtl_err_detail());
        mtl_err_clear();
        epoch = agg_current_epoch(a);
    }
    return app_era_checker_update(&a->era, a->era_reader, epoch);
}

void agg_era_close(struct agg *a)
{
    app_era_reader_free(a->era_reader);
    a->era_reader = NULL;
    app_era_checker_destroy(&a->era);
}

mtl_err agg_era_check(struct agg *a, uint64_t epoch)
{
    static char last_err[256];
    mtl_err e = app_era_checker_update(&a->era, a->era_reader, epoch);
    if (e == MTL_OK) {
        last_err[0] = '\0';
        return MTL_OK;
    }
    if (e == MTL_ERR_STATE) {
        log_error("unsupported_era", "epoch=%llu error=\"%s\"", (unsigned long long)epoch,
                  mtl_err_detail());
        a->exit_code = 1;
        app_prog_stop = 1;
    } else if (strcmp(last_err, mtl_err_detail()) != 0) {
        snprintf(last_err, sizeof(last_err), "%s", mtl_err_detail());
        log_warn("era_read",
                 "epoch=%llu error=\"%s\" detail=\"the epoch starts once the era "
                 "is known; retried every RUN_INTERVAL\"",
                 (unsigned long long)epoch, last_err);
    }
    return e;
}

void agg_era_name(struct agg *a, char out[MTL_ERA_NAME_MAX])
{
    app_era_checker_get(&a->era, out, NULL);
    if (!out[0])
        snprintf(out, MTL_ERA_NAME_MAX, "unknown");
}
