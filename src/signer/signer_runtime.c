/* signer_runtime.c - the signer's state machine (reference mithril-signer
 * runtime/state_machine.rs and runner.rs):
 *   Init -> Unregistered{e} -> ReadyToSign{e} | RegisteredNotAbleToSign{e}
 * and back to Unregistered on every new epoch. Each failing step keeps the
 * state; the loop in signer_main.c retries at the next cycle. */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain_observer.h"
#include "era_reader.h"
#include "log.h"
#include "metrics.h"
#include "mithril/cardano_db.h"
#include "signer_int.h"
#include "tx_importer.h"
#include "tx_store.h"

/* What the aggregator said about the epoch (the reference's EpochData). */
struct epoch_data {
    int valid;
    uint64_t epoch; /* epoch of /epoch-settings */
    struct mtl_stm_params registration_params;
    json_t *current_signers, *next_signers;
    unsigned allowed; /* bit per enum mtl_signed_entity_kind */
    /* /protocol-configuration's signing configurations (have_*: given) */
    struct app_tx_signing ctx_signing, cbtx_signing;
    int have_ctx_signing, have_cbtx_signing;
};

struct signer_runtime {
    const struct signer_config *cfg;
    enum signer_state_kind state;
    uint64_t epoch;
    struct epoch_data ed;
    struct app_chain_observer *obs;
    struct mtl_digest_cache *cache;
    /* cardano-transactions.sqlite3, opened when first needed: the readers'
     * store and the importer's thread, with a store of its own */
    struct app_tx_store *tx;
    struct app_tx_importer *importer;
    int warned_no_protocol_configuration;
    struct app_metrics *metrics;
    struct app_era_reader *era_reader;
    struct app_era_checker era;
    int fatal; /* unsupported era */
    /* The leader could not be reached to register: the epoch's signatures
     * go to the followers meanwhile and the registration is retried. */
    int registration_pending;
    json_t *owed; /* signatures an endpoint missed this epoch (signer_owed_flush) */
};

static void epoch_data_clear(struct epoch_data *ed)
{
    json_decref(ed->current_signers);
    json_decref(ed->next_signers);
    memset(ed, 0, sizeof(*ed));
}

const char *signer_state_name(const struct signer_runtime *rt)
{
    static const char *const names[] = {"Init", "Unregistered", "ReadyToSign",
                                        "RegisteredNotAbleToSign"};
    return names[rt->state];
}

mtl_err signer_runtime_new(struct signer_runtime **out, const struct signer_config *c)
{
    struct signer_runtime *rt = mtl_calloc(1, sizeof(*rt));
    MTL_CHECK(rt, MTL_ERR_NOMEM, "out of memory");
    rt->cfg = c;
    rt->state = ST_INIT;
    app_era_checker_init(&rt->era);
    rt->owed = json_array();
    mtl_err e =
        rt->owed ? signer_metrics_new(&rt->metrics) : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    if (e == MTL_OK)
        e = signer_store_init(c->data_stores_directory);
    if (e == MTL_OK)
        e = app_era_reader_new(&rt->era_reader, c->era_reader_adapter_type,
                               c->era_reader_adapter_params, c->cardano_cli_path, c->network_magic,
                               c->cardano_node_socket_path);
    if (e == MTL_OK)
        e = app_chain_observer_new(&rt->obs, c->cardano_cli_path, c->network_magic,
                                   c->cardano_node_socket_path[0] ? c->cardano_node_socket_path
                                                                  : NULL);
    if (e == MTL_OK && !c->disable_digests_cache) {
        char p[4096];
        e = mtl_path_fmt(p, sizeof(p), "%s/digests-cache.json", c->data_stores_directory);
        if (e == MTL_OK && c->reset_digests_cache)
            unlink(p);
        if (e == MTL_OK)
            e = mtl_digest_cache_open(&rt->cache, p);
    }
    if (e != MTL_OK) {
        signer_runtime_free(rt);
        return e;
    }
    *out = rt;
    return MTL_OK;
}

void signer_runtime_free(struct signer_runtime *rt)
{
    if (!rt)
        return;
    epoch_data_clear(&rt->ed);
    json_decref(rt->owed);
    app_era_reader_free(rt->era_reader);
    app_era_checker_destroy(&rt->era);
    app_chain_observer_free(rt->obs);
    mtl_digest_cache_free(rt->cache);
    app_tx_importer_stop(rt->importer);
    app_tx_store_free(rt->tx);
    app_metrics_free(rt->metrics);
    mtl_free(rt);
}

struct app_metrics *signer_runtime_metrics(struct signer_runtime *rt)
{
    return rt->metrics;
}

static mtl_err current_epoch(struct signer_runtime *rt, uint64_t *epoch)
{
    struct app_chain_tip tip;
    mtl_err e = app_chain_observer_tip(rt->obs, &tip);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "could not read the chain tip");
    *epoch = tip.epoch;
    return MTL_OK;
}

int signer_runtime_fatal(const struct signer_runtime *rt)
{
    return rt->fatal;
}

/* The era at a new epoch (reference update_era_checker): an unsupported one
 * is fatal; markers that cannot be read keep the previous epoch, retried. */
static mtl_err check_era(struct signer_runtime *rt, uint64_t epoch)
{
    mtl_err e = app_era_checker_update(&rt->era, rt->era_reader, epoch);
    if (e == MTL_ERR_STATE)
        rt->fatal = 1;
    return e;
}

static void new_epoch(struct signer_runtime *rt, uint64_t epoch)
{
    log_info("new_epoch", "epoch=%llu previous_state=%s", (unsigned long long)epoch,
             signer_state_name(rt));
    rt->state = ST_UNREGISTERED;
    rt->epoch = epoch;
    epoch_data_clear(&rt->ed);
    json_array_clear(rt->owed); /* the messages of that epoch are closed */
    /* Upkeep: keys no longer usable are deleted, old data per retention. */
    unsigned removed = 0;
    if (signer_store_prune(rt->cfg->data_stores_directory, epoch, rt->cfg->store_retention_limit,
                           &removed) != MTL_OK)
        log_warn("store_prune_failed", "error=\"%s\"", mtl_err_detail());
    else if (removed)
        log_info("store_pruned", "epoch=%llu files=%u", (unsigned long long)epoch, removed);
}

/* When the chain's epoch `now` is past ours, check its Mithril era and start
 * it (*moved = 1) so the caller ends its cycle there. */
static mtl_err move_to(struct signer_runtime *rt, uint64_t now, int *moved)
{
    *moved = 0;
    if (now <= rt->epoch)
        return MTL_OK;
    MTL_TRY(check_era(rt, now));
    new_epoch(rt, now);
    *moved = 1;
    return MTL_OK;
}

/* Read the chain's epoch and follow it. */
static mtl_err follow_epoch(struct signer_runtime *rt, int *moved)
{
    uint64_t now = 0;
    *moved = 0;
    MTL_TRY(current_epoch(rt, &now));
    MTL_TRY(move_to(rt, now, moved));
    return MTL_OK;
}

/* ---- network configuration ------------------------------------------------ */

/* The types of a settings list; MithrilStakeDistribution is always allowed
 * (reference default). */
static mtl_err kinds_from_list(const char *list, unsigned *mask)
{
    MTL_TRY(mtl_signed_entity_kinds_parse(mask, list));
    *mask |= MTL_SET_BIT(MTL_SET_MITHRIL_STAKE_DISTRIBUTION);
    return MTL_OK;
}

/* /protocol-configuration/{e}: parameters and enabled types of an epoch.
 * MTL_ERR_NOT_FOUND when the aggregator does not serve the route. */
/* A signing configuration {security_parameter, step} of j when present. */
static int parse_signing(const json_t *j, const char *name, struct app_tx_signing *c)
{
    json_t *o = json_object_get(j, name), *k = json_object_get(o, "security_parameter"),
           *s = json_object_get(o, "step");
    if (!json_is_integer(k) || !json_is_integer(s) || json_integer_value(k) < 0 ||
        json_integer_value(s) < 0)
        return 0;
    c->security_parameter = (uint64_t)json_integer_value(k);
    c->step = (uint64_t)json_integer_value(s);
    return 1;
}

static mtl_err protocol_configuration(struct signer_runtime *rt, uint64_t epoch,
                                      struct mtl_stm_params *params, unsigned *allowed,
                                      struct epoch_data *ed)
{
    char route[64];
    snprintf(route, sizeof(route), "/protocol-configuration/%llu", (unsigned long long)epoch);
    json_t *j = NULL;
    long status = 0;
    MTL_TRY(signer_agg_get(rt->cfg, route, &j, &status));
    mtl_err e = signer_parse_params(json_object_get(j, "protocol_parameters"), params);
    json_t *types = json_object_get(j, "available_signed_entity_types");
    if (e == MTL_OK && ed) {
        ed->have_ctx_signing =
            parse_signing(j, "cardano_transactions_signing_config", &ed->ctx_signing);
        ed->have_cbtx_signing =
            parse_signing(j, "cardano_blocks_transactions_signing_config", &ed->cbtx_signing);
    }
    if (e == MTL_OK && allowed) {
        *allowed = MTL_SET_BIT(MTL_SET_MITHRIL_STAKE_DISTRIBUTION);
        size_t i;
        json_t *t;
        json_array_foreach(types, i, t)
        {
            /* types this signer does not know are skipped, as the reference does */
            enum mtl_signed_entity_kind k;
            const char *name = json_string_value(t);
            if (name && mtl_signed_entity_kind_parse(&k, name, strlen(name)) == MTL_OK)
                *allowed |= MTL_SET_BIT(k);
            else
                mtl_err_clear();
        }
    }
    json_decref(j);
    return e == MTL_OK ? MTL_OK : mtl_err_wrap(e, "%s", route);
}

/* The reference's get_network_configuration(e): enabled types of the
 * aggregation epoch e-1, registration parameters of e+1. Falls back on
 * /epoch-settings' signer_registration_protocol and SIGNED_ENTITY_TYPES when
 * the aggregator has no /protocol-configuration route. */
static mtl_err network_configuration(struct signer_runtime *rt, uint64_t epoch,
                                     const json_t *settings, struct epoch_data *ed)
{
    struct mtl_stm_params agg_params;
    mtl_err e =
        protocol_configuration(rt, epoch ? epoch - 1 : 0, &agg_params, &ed->allowed, ed);
    if (e == MTL_OK)
        e = protocol_configuration(rt, epoch + 1, &ed->registration_params, NULL, NULL);
    if (e != MTL_ERR_NOT_FOUND)
        return e;
    if (!rt->warned_no_protocol_configuration) {
        log_warn("no_protocol_configuration",
                 "detail=\"%s\" fallback=\"epoch-settings signer_registration_protocol and "
                 "SIGNED_ENTITY_TYPES\"",
                 mtl_err_detail());
        rt->warned_no_protocol_configuration = 1;
    }
    MTL_TRY(kinds_from_list(rt->cfg->signed_entity_types, &ed->allowed));
    e = signer_parse_params(json_object_get(settings, "signer_registration_protocol"),
                            &ed->registration_params);
    return e == MTL_OK ? MTL_OK : mtl_err_wrap(e, "/epoch-settings signer_registration_protocol");
}

/* ---- Unregistered ---------------------------------------------------------- */

/* The stakes of one epoch e, read between two reads of the chain's epoch
 * that both give e, recorded under e+1 (once). When the chain crossed into
 * another epoch between them the stakes may be the new epoch's (a key made
 * with them would carry the wrong stake and every signature of its epoch be
 * refused): they are dropped and read again, at most 3 times. The window is
 * three node queries, not the whole cycle, so a slow cycle still records. */
static mtl_err record_stakes(struct signer_runtime *rt, uint64_t *epoch)
{
    const char *dir = rt->cfg->data_stores_directory;
    for (int attempt = 1;; attempt++) {
        uint64_t before = 0, after = 0;
        MTL_TRY(current_epoch(rt, &before));
        uint64_t key = before + MTL_SIGNER_RECORDING_OFFSET;
        json_t *have = NULL;
        MTL_TRY(signer_store_get_stakes(dir, key, &have));
        size_t n_have = have ? json_object_size(have) : 0;
        json_decref(have);
        *epoch = before;
        if (n_have)
            return MTL_OK;
        struct app_pool_stake *pools = NULL;
        size_t n = 0;
        mtl_err e = app_chain_observer_stake_distribution(rt->obs, &pools, &n);
        if (e != MTL_OK)
            return mtl_err_wrap(e, "could not read the stake distribution");
        if ((e = current_epoch(rt, &after)) == MTL_OK && after == before) {
            json_t *obj = json_object();
            for (size_t i = 0; obj && i < n; i++)
                json_object_set_new(obj, pools[i].pool_id,
                                    json_integer((json_int_t)pools[i].stake));
            mtl_free(pools);
            e = obj ? signer_store_put_stakes(dir, key, obj) : mtl_seterr(MTL_ERR_NOMEM, "stakes");
            json_decref(obj);
            if (e == MTL_OK)
                log_info("stakes_recorded", "epoch=%llu pools=%zu", (unsigned long long)key, n);
            return e;
        }
        mtl_free(pools);
        MTL_TRY(e);
        log_warn("stakes_dropped",
                 "epoch=%llu chain_epoch=%llu reason=\"the chain left the epoch while its stake "
                 "distribution was read\"",
                 (unsigned long long)before, (unsigned long long)after);
        MTL_CHECK(attempt < 3, MTL_ERR_STATE,
                  "the chain changed epoch during each of 3 reads of its stake distribution");
    }
}

/* Stakes of the chain's current epoch recorded; when that is past ours
 * (the chain moved during the cycle), the new epoch starts (*moved) and the
 * next cycle registers there, its stakes already recorded. */
static mtl_err update_stake_distribution(struct signer_runtime *rt, int *moved)
{
    uint64_t epoch = 0;
    *moved = 0;
    MTL_TRY(record_stakes(rt, &epoch));
    MTL_TRY(move_to(rt, epoch, moved));
    return MTL_OK;
}

/* The credential fields of a registration: the chain's current KES period
 * for our opcert (cardano-cli query kes-period-info), then the KES signature
 * of the Mithril key at that period. An opcert the node already superseded,
 * one starting in the future, an expired or mismatched KES key: refused. */
static mtl_err add_credentials(struct signer_runtime *rt, const char *vk, json_t *msg)
{
    const struct signer_config *c = rt->cfg;
    struct app_kes_period_info info;
    mtl_err e = app_chain_observer_kes_period_info(rt->obs, c->operational_certificate_path, &info);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "could not read the current KES period");
    MTL_CHECK(info.node_counter < 0 || (uint64_t)info.node_counter <= info.on_disk_counter,
              MTL_ERR_STATE,
              "operational certificate issue number %llu is older than the node's counter %lld: "
              "a newer opcert was issued for this pool",
              (unsigned long long)info.on_disk_counter, (long long)info.node_counter);
    struct signer_credentials_out out;
    MTL_TRY(signer_credentials_sign(c->kes_secret_key_path, c->operational_certificate_path,
                                    c->party_id, info.current_kes_period, vk, &out));
    /* field order of the reference's RegisterSignerMessage */
    json_object_set_new(msg, "verification_key_signature", json_string(out.signature));
    json_object_set_new(msg, "operational_certificate", json_string(out.opcert));
    json_object_set_new(msg, "kes_period", json_integer((json_int_t)out.kes_evolutions));
    log_info("kes_signed", "kes_period=%llu evolutions=%llu slots_per_kes_period=%llu",
             (unsigned long long)info.current_kes_period, (unsigned long long)out.kes_evolutions,
             (unsigned long long)info.slots_per_kes_period);
    signer_credentials_out_free(&out);
    return MTL_OK;
}

/* The reference's register_signer_to_aggregator, made crash-safe: the key of
 * epoch E+1 is created once and stored (0600) *before* it is posted, so a
 * restart re-posts the same key instead of registering a different one. */
static mtl_err register_signer(struct signer_runtime *rt, int *round_not_open, int *unreachable)
{
    const struct signer_config *c = rt->cfg;
    uint64_t key = rt->ed.epoch + MTL_SIGNER_RECORDING_OFFSET;
    *round_not_open = 0;
    *unreachable = 0;
    if (signer_store_is_registered(c->data_stores_directory, key)) {
        log_debug("already_registered", "epoch=%llu", (unsigned long long)key);
        return MTL_OK;
    }
    struct mtl_stm_initializer *init = NULL;
    MTL_TRY(signer_store_get_initializer(c->data_stores_directory, key, &init));
    mtl_err e = MTL_OK;
    if (!init) {
        json_t *stakes = NULL;
        MTL_TRY(signer_store_get_stakes(c->data_stores_directory, key, &stakes));
        json_t *st = json_object_get(stakes, c->party_id);
        if (!stakes)
            e = mtl_seterr(MTL_ERR_NOT_FOUND, "no stakes recorded for epoch %llu",
                           (unsigned long long)key);
        else if (!json_is_integer(st) || json_integer_value(st) <= 0)
            e = mtl_seterr(MTL_ERR_NOT_FOUND,
                           "no stake associated with myself (%s) in the stake distribution",
                           c->party_id);
        else
            e = mtl_stm_initializer_new(&init, &rt->ed.registration_params,
                                        (uint64_t)json_integer_value(st), NULL);
        json_decref(stakes);
        if (e == MTL_OK)
            e = signer_store_put_initializer(c->data_stores_directory, key, init);
        if (e != MTL_OK) {
            mtl_stm_initializer_free(init);
            return e;
        }
        log_info("key_created", "epoch=%llu stake=%llu", (unsigned long long)key,
                 (unsigned long long)mtl_stm_initializer_stake(init));
    }
    char *vk = NULL;
    e = mtl_stm_initializer_vk_jsonhex(init, &vk);
    uint64_t stake = mtl_stm_initializer_stake(init);
    mtl_stm_initializer_free(init); /* wipes the secret key */
    MTL_TRY(e);
    json_t *msg = json_pack("{s:I,s:s,s:s}", "epoch", (json_int_t)key, "party_id", c->party_id,
                            "verification_key", vk);
    if (msg && c->kes_secret_key_path && (e = add_credentials(rt, vk, msg)) != MTL_OK) {
        log_error("registration_refused", "epoch=%llu party=%s reason=\"%s\"",
                  (unsigned long long)key, c->party_id, mtl_err_detail());
        json_decref(msg);
        mtl_free(vk);
        return mtl_err_wrap(e, "not registering for epoch %llu", (unsigned long long)key);
    }
    char *txt = msg ? json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(msg);
    mtl_free(vk);
    MTL_CHECK(txt, MTL_ERR_NOMEM, "out of memory");
    long status = 0;
    app_metrics_inc(rt->metrics, SIGNER_M_REGISTRATION_TOTAL);
    e = signer_agg_post(c, "/register-signer", txt, &status);
    free(txt);
    *unreachable = e != MTL_OK && status == 0;
    if (status == 550) { /* the reference's RegistrationRoundNotYetOpened */
        log_info("registration_round_not_open", "epoch=%llu", (unsigned long long)key);
        *round_not_open = 1;
        return MTL_OK;
    }
    if (e != MTL_OK)
        return mtl_err_wrap(e, "could not register to the aggregator for epoch %llu",
                            (unsigned long long)key);
    log_info("signer_registered", "epoch=%llu party=%s stake=%llu", (unsigned long long)key,
             c->party_id, (unsigned long long)stake);
    app_metrics_inc(rt->metrics, SIGNER_M_REGISTRATION_SUCCESS);
    app_metrics_set(rt->metrics, SIGNER_M_REGISTRATION_LAST_EPOCH, (int64_t)rt->epoch);
    return signer_store_mark_registered(c->data_stores_directory, key);
}

/* Can sign in this epoch: holds the key registered for it (stored under
 * E-1) and the aggregator lists it among the current signers. */
static mtl_err can_sign_current_epoch(struct signer_runtime *rt, int *can)
{
    *can = 0;
    if (rt->ed.epoch == 0)
        return MTL_OK;
    struct mtl_stm_initializer *init = NULL;
    MTL_TRY(signer_store_get_initializer(rt->cfg->data_stores_directory, rt->ed.epoch - 1, &init));
    if (!init) {
        log_warn("no_key_for_epoch", "epoch=%llu", (unsigned long long)rt->ed.epoch);
        return MTL_OK;
    }
    char *vk = NULL;
    mtl_err e = mtl_stm_initializer_vk_jsonhex(init, &vk);
    mtl_stm_initializer_free(init);
    MTL_TRY(e);
    size_t i;
    json_t *s;
    json_array_foreach(rt->ed.current_signers, i, s)
    {
        const char *p = json_string_value(json_object_get(s, "party_id"));
        const char *v = json_string_value(json_object_get(s, "verification_key"));
        if (p && v && strcmp(p, rt->cfg->party_id) == 0 && strcmp(v, vk) == 0)
            *can = 1;
    }
    if (!*can)
        log_info("not_in_current_signers", "epoch=%llu", (unsigned long long)rt->ed.epoch);
    mtl_free(vk);
    return MTL_OK;
}

/* A Signer list of /epoch-settings: objects with string party_id and
 * verification_key (as the reference's deserialisation requires). */
static mtl_err check_signers(const json_t *list, const char *name)
{
    MTL_CHECK(json_is_array(list), MTL_ERR_BAD_ENCODING, "/epoch-settings: %s is not an array",
              name);
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        MTL_CHECK(json_is_string(json_object_get(s, "party_id")) &&
                      json_is_string(json_object_get(s, "verification_key")),
                  MTL_ERR_BAD_ENCODING,
                  "/epoch-settings: %s[%zu] needs string party_id and verification_key", name, i);
    }
    return MTL_OK;
}

static mtl_err cycle_unregistered(struct signer_runtime *rt)
{
    int moved;
    MTL_TRY(follow_epoch(rt, &moved));
    if (moved)
        return MTL_OK;
    /* The stakes first, as early in the epoch as can be: the aggregator's
     * answers below may be slow and the stakes must be read in this epoch. */
    MTL_TRY(update_stake_distribution(rt, &moved));
    if (moved)
        return MTL_OK;
    json_t *settings = NULL;
    long status;
    mtl_err e = signer_agg_get(rt->cfg, "/epoch-settings", &settings, &status);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "could not retrieve epoch settings at epoch %llu",
                            (unsigned long long)rt->epoch);
    struct epoch_data ed = {0};
    json_t *ep = json_object_get(settings, "epoch");
    ed.current_signers = json_incref(json_object_get(settings, "current_signers"));
    ed.next_signers = json_incref(json_object_get(settings, "next_signers"));
    if (!json_is_integer(ep) || json_integer_value(ep) < 0)
        e = mtl_seterr(MTL_ERR_BAD_ENCODING, "/epoch-settings: need a non-negative epoch");
    if (e == MTL_OK)
        e = check_signers(ed.current_signers, "current_signers");
    if (e == MTL_OK)
        e = check_signers(ed.next_signers, "next_signers");
    if (e == MTL_OK) {
        ed.epoch = (uint64_t)json_integer_value(ep);
        e = network_configuration(rt, rt->epoch, settings, &ed);
    }
    json_decref(settings);
    if (e != MTL_OK) {
        epoch_data_clear(&ed);
        return e;
    }
    if (ed.epoch < rt->epoch) {
        log_info("aggregator_behind", "aggregator_epoch=%llu epoch=%llu",
                 (unsigned long long)ed.epoch, (unsigned long long)rt->epoch);
        epoch_data_clear(&ed);
        return MTL_OK;
    }
    ed.valid = 1;
    epoch_data_clear(&rt->ed);
    rt->ed = ed;
    /* Unregistered -> registered: stakes of this epoch, then registration. */
    int round_not_open = 0, can = 0, unreachable = 0;
    mtl_err re = register_signer(rt, &round_not_open, &unreachable);
    rt->registration_pending = 0;
    if (re != MTL_OK && unreachable && rt->cfg->follower_endpoints[0]) {
        /* Followers certify this epoch without the leader: sign for them,
         * register once the leader is back. */
        log_warn("registration_deferred", "epoch=%llu reason=\"%s\"", (unsigned long long)rt->epoch,
                 mtl_err_detail());
        mtl_err_clear();
        rt->registration_pending = 1;
    } else
        MTL_TRY(re);
    MTL_TRY(can_sign_current_epoch(rt, &can));
    rt->state = can ? ST_READY_TO_SIGN : ST_REGISTERED_NOT_ABLE;
    log_info("transition", "state=%s epoch=%llu", signer_state_name(rt),
             (unsigned long long)rt->epoch);
    return MTL_OK;
}

/* ---- ReadyToSign ------------------------------------------------------------ */

/* What the signer reads its chain with: the node DB, the digest cache, the
 * transactions store and its importer thread (started once; a failure is
 * logged and retried) and the signing configurations of the epoch. */
static struct signer_node node_of(struct signer_runtime *rt)
{
    unsigned tx_kinds =
        MTL_SET_BIT(MTL_SET_CARDANO_TRANSACTIONS) | MTL_SET_BIT(MTL_SET_CARDANO_BLOCKS_TRANSACTIONS);
    if (!rt->importer && (rt->ed.allowed & tx_kinds)) {
        char p[4096], imm[4096];
        struct app_tx_store *s = NULL;
        mtl_err e = mtl_path_fmt(p, sizeof(p), "%s/cardano-transactions.sqlite3",
                                 rt->cfg->data_stores_directory);
        if (e == MTL_OK)
            e = mtl_path_fmt(imm, sizeof(imm), "%s/immutable", rt->cfg->db_directory);
        if (e == MTL_OK && !rt->tx)
            e = app_tx_store_open(&rt->tx, p);
        if (e == MTL_OK)
            e = app_tx_store_open(&s, p);
        if (e == MTL_OK)
            e = app_tx_importer_start(&rt->importer, s, imm, rt->cfg->run_interval_ms);
        if (e != MTL_OK)
            log_warn("transactions_store", "error=\"%s\"", mtl_err_detail());
    }
    struct signer_node n = {
        .cfg = rt->cfg,
        .cache = rt->cache,
        .tx = rt->importer ? rt->tx : NULL,
        .importer = rt->importer,
        .ctx_signing = rt->ed.have_ctx_signing ? &rt->ed.ctx_signing : NULL,
        .cbtx_signing = rt->ed.have_cbtx_signing ? &rt->ed.cbtx_signing : NULL,
    };
    return n;
}

/* The reference's certifier get_beacon_to_sign: the first allowed signed
 * entity type of the current time point not signed yet. */
static mtl_err beacon_to_sign(struct signer_runtime *rt, struct mtl_signed_entity_type *t,
                              int *found)
{
    *found = 0;
    struct signer_node node = node_of(rt);
    for (int k = 0; k < MTL_SET_KIND_COUNT && !*found; k++) {
        const struct signer_entity *se = signer_entity((enum mtl_signed_entity_kind)k);
        if (!(rt->ed.allowed & MTL_SET_BIT(k)) || !se)
            continue;
        memset(t, 0, sizeof(*t));
        t->kind = (enum mtl_signed_entity_kind)k;
        t->epoch = rt->epoch;
        if (se->beacon && se->beacon(&node, t) != MTL_OK) {
            log_warn("no_beacon_to_sign", "entity=%s error=\"%s\"",
                     mtl_signed_entity_kind_name(t->kind), mtl_err_detail());
            continue;
        }
        char *json = NULL;
        MTL_TRY(mtl_signed_entity_type_to_json(t, &json));
        *found = !signer_store_is_signed(rt->cfg->data_stores_directory, rt->epoch, json);
        mtl_free(json);
    }
    return MTL_OK;
}

static mtl_err compute_message(struct signer_runtime *rt, const struct mtl_signed_entity_type *t,
                               struct mtl_protocol_message **pm)
{
    const char *dir = rt->cfg->data_stores_directory;
    uint64_t e_now = rt->ed.epoch;
    struct mtl_stm_initializer *next_init = NULL;
    json_t *stakes = NULL;
    char *avk = NULL;
    struct mtl_stm_params next_params;
    MTL_TRY(signer_store_get_initializer(dir, e_now, &next_init));
    MTL_CHECK(next_init, MTL_ERR_NOT_FOUND, "can not get protocol_initializer at epoch %llu",
              (unsigned long long)e_now);
    mtl_stm_initializer_params(next_init, &next_params);
    mtl_stm_initializer_free(next_init);
    mtl_err e = signer_store_get_stakes(dir, e_now, &stakes);
    if (e == MTL_OK && !stakes)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no stakes recorded for epoch %llu",
                       (unsigned long long)e_now);
    if (e == MTL_OK)
        e = signer_avk(rt->ed.next_signers, stakes, &avk);
    const struct signer_entity *se = signer_entity(t->kind);
    struct signer_node node = node_of(rt);
    char root[SIGNER_ROOT_MAX];
    if (e == MTL_OK && !se)
        e = mtl_seterr(MTL_ERR_INVALID_ARG, "%s is not signed by this signer",
                       mtl_signed_entity_kind_name(t->kind));
    if (e == MTL_OK && se->root)
        e = se->root(&node, t, root);
    if (e == MTL_OK) {
        struct mtl_signed_entity_view v = {
            .next_avk = avk,
            .next_params = &next_params,
            .merkle_root = se->root ? root : NULL,
        };
        e = mtl_signed_entity_message(pm, t, &v);
    }
    mtl_free(avk);
    json_decref(stakes);
    return e;
}

/* Sign with the key of this epoch (stored under E-1) within the current
 * signers; *sig NULL when no lottery is won. */
static mtl_err sign_message(struct signer_runtime *rt, const char *signed_message,
                            struct mtl_stm_sig **sig, size_t *won)
{
    const char *dir = rt->cfg->data_stores_directory;
    uint64_t key = rt->ed.epoch - 1;
    struct mtl_stm_initializer *init = NULL;
    struct mtl_stm_closed_reg *closed = NULL;
    json_t *stakes = NULL;
    *sig = NULL;
    *won = 0;
    MTL_TRY(signer_store_get_initializer(dir, key, &init));
    MTL_CHECK(init, MTL_ERR_NOT_FOUND, "no protocol initializer for epoch %llu",
              (unsigned long long)key);
    mtl_err e = signer_store_get_stakes(dir, key, &stakes);
    if (e == MTL_OK && !stakes)
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no stakes recorded for epoch %llu",
                       (unsigned long long)key);
    if (e == MTL_OK)
        e = signer_closed_reg(rt->ed.current_signers, stakes, &closed);
    if (e == MTL_OK) {
        e = mtl_stm_sign_sig(init, closed, (const uint8_t *)signed_message, 64, sig);
        if (e == MTL_ERR_INELIGIBLE)
            e = MTL_OK;
        if (*sig)
            mtl_stm_sig_indexes(*sig, won);
    }
    mtl_stm_closed_reg_free(closed);
    mtl_stm_initializer_free(init);
    json_decref(stakes);
    return e;
}

/* A registration deferred while the leader was down, tried again. */
static void retry_registration(struct signer_runtime *rt)
{
    int round_not_open = 0, unreachable = 0;
    if (!rt->registration_pending)
        return;
    if (register_signer(rt, &round_not_open, &unreachable) == MTL_OK && !round_not_open) {
        rt->registration_pending = 0;
        return;
    }
    log_debug("registration_retry", "epoch=%llu reason=\"%s\"", (unsigned long long)rt->epoch,
              mtl_err_detail());
    mtl_err_clear();
}

static mtl_err cycle_ready_to_sign(struct signer_runtime *rt)
{
    int moved;
    MTL_TRY(follow_epoch(rt, &moved));
    if (moved)
        return MTL_OK;
    retry_registration(rt);
    signer_owed_flush(rt->cfg, rt->owed);
    struct mtl_signed_entity_type t;
    int found = 0;
    MTL_TRY(beacon_to_sign(rt, &t, &found));
    if (!found) {
        log_debug("nothing_to_sign", "epoch=%llu", (unsigned long long)rt->epoch);
        return MTL_OK;
    }
    char *entity = NULL, *msg = NULL;
    struct mtl_stm_sig *sig = NULL;
    struct mtl_protocol_message *pm = NULL;
    char hash[MTL_HASH_HEX_BYTES];
    size_t won = 0;
    long status = 0;
    MTL_TRY(mtl_signed_entity_type_to_json(&t, &entity));
    mtl_err e = compute_message(rt, &t, &pm);
    if (e == MTL_OK) {
        mtl_protocol_message_hash(pm, hash);
        e = sign_message(rt, hash, &sig, &won);
    }
    if (e == MTL_OK && !sig)
        log_warn("lotteries_lost", "entity=%s signed_message=%s", entity, hash);
    if (e == MTL_OK && sig)
        e = signer_signature_message(&t, rt->cfg->party_id, sig, hash, &msg);
    if (e == MTL_OK && msg) {
        app_metrics_inc(rt->metrics, SIGNER_M_SIGNATURE_TOTAL);
        e = signer_agg_post_all(rt->cfg, "/register-signatures", msg, &status, rt->owed);
        if (status == 410) { /* too late or discontinued: nothing more to do */
            log_warn("signature_too_late", "entity=%s detail=\"%s\"", entity, mtl_err_detail());
            e = MTL_OK;
        } else if (status >= 400 && status < 500 && status != 404 && status != 408 &&
                   status != 429) {
            /* Refused for good (e.g. another signed_message: our DB differs).
             * The same deterministic signature would be refused again, and
             * retrying would hold back the other types. 404 (message not
             * open yet), timeouts and 5xx are retried at the next cycle. */
            log_error("signature_rejected", "entity=%s signed_message=%s detail=\"%s\"", entity,
                      hash, mtl_err_detail());
            e = MTL_OK;
        } else if (e == MTL_OK) {
            log_info("signature_published", "entity=%s signed_message=%s indexes=%zu", entity, hash,
                     won);
            app_metrics_inc(rt->metrics, SIGNER_M_SIGNATURE_SUCCESS);
            app_metrics_set(rt->metrics, SIGNER_M_SIGNATURE_LAST_EPOCH, (int64_t)rt->epoch);
        }
    }
    if (e == MTL_OK)
        e = signer_store_mark_signed(rt->cfg->data_stores_directory, rt->epoch, entity);
    else
        e = mtl_err_wrap(e, "could not sign %s", entity);
    mtl_free(msg);
    mtl_stm_sig_free(sig);
    mtl_protocol_message_free(pm);
    mtl_free(entity);
    return e;
}

static mtl_err cycle_registered_not_able(struct signer_runtime *rt)
{
    int moved;
    MTL_TRY(follow_epoch(rt, &moved));
    if (!moved)
        retry_registration(rt);
    return MTL_OK;
}

mtl_err signer_runtime_cycle(struct signer_runtime *rt)
{
    switch (rt->state) {
    case ST_INIT: {
        uint64_t now = 0;
        MTL_TRY(current_epoch(rt, &now));
        MTL_TRY(check_era(rt, now));
        new_epoch(rt, now);
        return MTL_OK;
    }
    case ST_UNREGISTERED:
        return cycle_unregistered(rt);
    case ST_READY_TO_SIGN:
        return cycle_ready_to_sign(rt);
    case ST_REGISTERED_NOT_ABLE:
        return cycle_registered_not_able(rt);
    }
    return mtl_seterr(MTL_ERR_INTERNAL, "bad state %d", (int)rt->state);
}
