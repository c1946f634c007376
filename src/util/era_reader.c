/* era_reader.c - era reader adapters and the era checker (reference
 * internal/mithril-era: era_reader.rs, era_checker.rs, adapters/). */
#include "era_reader.h"

#include <jansson.h>
#include <string.h>

#include "chain_observer.h"
#include "common/common_int.h"
#include "log.h"
#include "mithril/certificate.h"

#define MARKERS_FILE_MAX ((size_t)1 << 20)

enum adapter { AD_BOOTSTRAP, AD_BOOTSTRAP_LATEST, AD_FILE, AD_DUMMY, AD_CARDANO_CHAIN };

struct app_era_reader {
    enum adapter type;
    char *markers_file;           /* file */
    struct mtl_era_marker *fixed; /* dummy */
    size_t nfixed;
    char *address; /* cardano-chain */
    uint8_t vk[MTL_ERA_VK_BYTES];
    struct app_chain_observer *obs;
};

/* The string member `key` of the params object, as a new string. */
static mtl_err param_string(char **out, json_t *params, const char *key)
{
    json_t *v = json_object_get(params, key);
    MTL_CHECK(json_is_string(v) && json_string_length(v) > 0, MTL_ERR_CONFIG,
              "ERA_READER_ADAPTER_PARAMS: \"%s\" (a non-empty string) is required", key);
    *out = mtl_strdup(json_string_value(v));
    MTL_CHECK(*out, MTL_ERR_NOMEM, "out of memory");
    return MTL_OK;
}

static mtl_err build(struct app_era_reader *r, json_t *params, const char *cli_path, uint64_t magic,
                     const char *socket_path)
{
    switch (r->type) {
    case AD_BOOTSTRAP:
    case AD_BOOTSTRAP_LATEST:
        return MTL_OK;
    case AD_FILE:
        return param_string(&r->markers_file, params, "markers_file");
    case AD_DUMMY: {
        json_t *m = json_object_get(params, "markers");
        MTL_CHECK(m, MTL_ERR_CONFIG, "ERA_READER_ADAPTER_PARAMS: \"markers\" is required");
        char *txt = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
        MTL_CHECK(txt, MTL_ERR_NOMEM, "out of memory");
        mtl_err e = mtl_era_markers_parse(&r->fixed, &r->nfixed, txt, strlen(txt));
        free(txt);
        return e == MTL_OK ? MTL_OK : mtl_err_wrap(MTL_ERR_CONFIG, "ERA_READER_ADAPTER_PARAMS");
    }
    case AD_CARDANO_CHAIN: {
        char *vk = NULL;
        MTL_TRY(param_string(&r->address, params, "address"));
        MTL_TRY(param_string(&vk, params, "verification_key"));
        mtl_err e = mtl_genesis_vkey_decode(r->vk, vk);
        mtl_free(vk);
        if (e != MTL_OK)
            return mtl_err_wrap(MTL_ERR_CONFIG,
                                "ERA_READER_ADAPTER_PARAMS: verification_key (the era key)");
        e = app_chain_observer_new(&r->obs, cli_path, magic,
                                   socket_path && *socket_path ? socket_path : NULL);
        return e == MTL_OK ? MTL_OK : mtl_err_wrap(MTL_ERR_CONFIG, "era reader cardano-chain");
    }
    }
    return mtl_seterr(MTL_ERR_INTERNAL, "era reader: adapter %d", (int)r->type);
}

mtl_err app_era_reader_new(struct app_era_reader **out, const char *type, const char *params,
                           const char *cli_path, uint64_t network_magic, const char *socket_path)
{
    static const char *const NAMES[] = {"bootstrap", "bootstrap-latest", "file", "dummy",
                                        "cardano-chain"};
    *out = NULL;
    size_t t = 0;
    while (t < MTL_ARRAY_LEN(NAMES) && strcmp(type, NAMES[t]) != 0)
        t++;
    MTL_CHECK(t < MTL_ARRAY_LEN(NAMES), MTL_ERR_CONFIG,
              "ERA_READER_ADAPTER_TYPE: '%s' is not one of " MTL_ERA_ADAPTER_TYPES, type);
    json_t *p = NULL;
    if (t >= AD_FILE) {
        json_error_t je;
        MTL_CHECK(params && *params, MTL_ERR_CONFIG,
                  "ERA_READER_ADAPTER_PARAMS: required by the %s adapter", type);
        p = json_loads(params, 0, &je);
        if (!json_is_object(p)) {
            json_decref(p);
            return mtl_seterr(MTL_ERR_CONFIG, "ERA_READER_ADAPTER_PARAMS: not a JSON object (%s)",
                              p ? "another JSON value" : je.text);
        }
    }
    struct app_era_reader *r = mtl_calloc(1, sizeof(*r));
    mtl_err e = r ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "out of memory");
    if (e == MTL_OK) {
        r->type = (enum adapter)t;
        e = build(r, p, cli_path, network_magic, socket_path);
    }
    json_decref(p);
    if (e != MTL_OK) {
        app_era_reader_free(r);
        return e;
    }
    *out = r;
    return MTL_OK;
}

void app_era_reader_free(struct app_era_reader *r)
{
    if (!r)
        return;
    mtl_free(r->markers_file);
    mtl_free(r->fixed);
    mtl_free(r->address);
    app_chain_observer_free(r->obs);
    mtl_free(r);
}

static mtl_err read_file_markers(struct app_era_reader *r, struct mtl_era_marker **m, size_t *n)
{
    uint8_t *data = NULL;
    size_t len = 0;
    mtl_err e = mtl_read_file(r->markers_file, MARKERS_FILE_MAX, &data, &len);
    if (e == MTL_OK)
        e = mtl_era_markers_parse(m, n, (const char *)data, len);
    mtl_free(data);
    return e == MTL_OK ? MTL_OK : mtl_err_wrap(e, "era markers file %s", r->markers_file);
}

/* The first inline datum at the address whose payload the era key signed
 * (the reference's CardanoChainAdapter). */
static mtl_err read_chain_markers(struct app_era_reader *r, struct mtl_era_marker **m, size_t *n)
{
    char **datums = NULL, first[256] = "";
    size_t nd = 0;
    mtl_err e = app_chain_observer_datums(r->obs, r->address, &datums, &nd);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "era reader cardano-chain");
    e = MTL_ERR_NOT_FOUND;
    for (size_t i = 0; i < nd && e != MTL_OK; i++) {
        char *payload = NULL;
        e = mtl_era_tx_datum_payload(&payload, datums[i], strlen(datums[i]));
        if (e == MTL_OK)
            e = mtl_era_payload_verify(m, n, payload, r->vk);
        mtl_free(payload);
        if (e != MTL_OK && !first[0])
            snprintf(first, sizeof(first), "%s", mtl_err_detail());
    }
    app_chain_datums_free(datums, nd);
    if (e == MTL_OK)
        return MTL_OK;
    if (nd == 0)
        return mtl_seterr(MTL_ERR_NOT_FOUND,
                          "era reader cardano-chain: no UTxO at address %s has an inline datum",
                          r->address);
    return mtl_seterr(MTL_ERR_NOT_FOUND,
                      "era reader cardano-chain: none of the %zu inline datums at address %s holds"
                      " era markers signed by the era verification key (first: %s)",
                      nd, r->address, first);
}

mtl_err app_era_reader_token(struct app_era_reader *r, uint64_t epoch, struct mtl_era_token *t)
{
    struct mtl_era_marker boot = {.has_epoch = 1, .epoch = 0}, *m = NULL;
    size_t n = 0;
    mtl_err e = MTL_OK;
    switch (r->type) {
    case AD_BOOTSTRAP:
    case AD_BOOTSTRAP_LATEST:
        snprintf(
            boot.name, sizeof(boot.name), "%s",
            mtl_era_supported_name(r->type == AD_BOOTSTRAP ? 0 : mtl_era_supported_count() - 1));
        return mtl_era_token_compute(t, &boot, 1, epoch);
    case AD_DUMMY:
        return mtl_era_token_compute(t, r->fixed, r->nfixed, epoch);
    case AD_FILE:
        e = read_file_markers(r, &m, &n);
        break;
    case AD_CARDANO_CHAIN:
        e = read_chain_markers(r, &m, &n);
        break;
    }
    if (e == MTL_OK)
        e = mtl_era_token_compute(t, m, n, epoch);
    mtl_free(m);
    return e;
}

void app_era_checker_init(struct app_era_checker *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
}

void app_era_checker_destroy(struct app_era_checker *c)
{
    pthread_mutex_destroy(&c->mu);
}

static void supported_list(char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < mtl_era_supported_count() && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", mtl_era_supported_name(i));
}

mtl_err app_era_checker_update(struct app_era_checker *c, struct app_era_reader *r, uint64_t epoch)
{
    struct mtl_era_token t;
    char supported[128], previous[MTL_ERA_NAME_MAX];
    mtl_err e = app_era_reader_token(r, epoch, &t);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "cannot read the Mithril era at epoch %llu",
                            (unsigned long long)epoch);
    supported_list(supported, sizeof(supported));
    MTL_CHECK(mtl_era_is_supported(t.current.name), MTL_ERR_STATE,
              "unsupported Mithril era '%s' (active since epoch %llu, current epoch %llu): this "
              "software supports %s; upgrade it to run in this era",
              t.current.name, (unsigned long long)t.current.epoch, (unsigned long long)epoch,
              supported);
    pthread_mutex_lock(&c->mu);
    snprintf(previous, sizeof(previous), "%s", c->era);
    snprintf(c->era, sizeof(c->era), "%s", t.current.name);
    c->epoch = epoch;
    char next[sizeof(c->warned)] = "";
    if (t.has_next && !mtl_era_is_supported(t.next.name)) {
        snprintf(next, sizeof(next), "%s@%lld", t.next.name,
                 t.next.has_epoch ? (long long)t.next.epoch : -1LL);
        if (strcmp(next, c->warned) == 0)
            next[0] = '\0';
        else
            snprintf(c->warned, sizeof(c->warned), "%s", next);
    }
    pthread_mutex_unlock(&c->mu);
    if (strcmp(previous, t.current.name) != 0)
        log_info("era", "era=%s since_epoch=%llu epoch=%llu previous=%s", t.current.name,
                 (unsigned long long)t.current.epoch, (unsigned long long)epoch,
                 previous[0] ? previous : "none");
    if (next[0]) {
        char when[32] = "an epoch not decided yet";
        if (t.next.has_epoch)
            snprintf(when, sizeof(when), "epoch %llu", (unsigned long long)t.next.epoch);
        log_warn("unsupported_next_era",
                 "era=%s detail=\"the upcoming Mithril era '%s' (from %s) is not supported by "
                 "this software (it supports %s): upgrade before it starts\"",
                 t.next.name, t.next.name, when, supported);
    }
    return MTL_OK;
}

void app_era_checker_get(struct app_era_checker *c, char era[MTL_ERA_NAME_MAX], uint64_t *epoch)
{
    pthread_mutex_lock(&c->mu);
    memcpy(era, c->era, MTL_ERA_NAME_MAX);
    if (epoch)
        *epoch = c->epoch;
    pthread_mutex_unlock(&c->mu);
}
