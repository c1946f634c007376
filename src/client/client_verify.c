/* client_verify.c - what the client verifies before it uses anything: the
 * certificate chain to genesis (with the verified-hash cache), Cardano
 * database and Mithril stake distribution artifacts against the certificate
 * the walk verified, and the signers' pool credentials. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "client_services.h"
#include "log.h"
#include "mithril/pool_identity.h"

void client_emit(const struct client_events *ev, const struct client_event *e)
{
    if (ev && ev->emit)
        ev->emit(ev->ctx, e);
}

void client_emitf(const struct client_events *ev, enum client_event_kind kind, int step,
                  const char *fmt, ...)
{
    if (!ev || !ev->emit)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct client_event e = {.kind = kind, .step = step, .total_steps = 6, .message = msg};
    ev->emit(ev->ctx, &e);
}

mtl_err client_key_decode(const char *t, const char *what, uint8_t vk[MTL_GENESIS_VK_BYTES])
{
    struct stat st;
    if (strlen(t) < 4096 && stat(t, &st) == 0 && S_ISREG(st.st_mode)) {
        uint8_t *data;
        size_t len;
        MTL_TRY(mtl_read_file(t, 4096, &data, &len));
        char *s = mtl_strndup((const char *)data, len);
        mtl_free(data);
        MTL_CHECK(s, MTL_ERR_NOMEM, "%s copy", what);
        mtl_err e = mtl_genesis_vkey_decode(vk, s);
        mtl_free(s);
        if (e != MTL_OK)
            return mtl_err_wrap(e, "%s file %s", what, t);
        return MTL_OK;
    }
    mtl_err e = mtl_genesis_vkey_decode(vk, t);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "%s", what);
    return MTL_OK;
}

mtl_err client_genesis_vk(const struct client *cl, uint8_t vk[MTL_GENESIS_VK_BYTES])
{
    const char *t = cl->genesis_vk_text;
    MTL_CHECK(t && *t, MTL_ERR_CONFIG,
              "no genesis verification key (--genesis-verification-key or "
              "GENESIS_VERIFICATION_KEY)");
    return client_key_decode(t, "genesis verification key", vk);
}

static mtl_err fetch_cb(void *ctx, const char *hash, char **json, size_t *len)
{
    const struct client *cl = ctx;
    char route[128];
    snprintf(route, sizeof(route), "/certificate/%s", hash);
    return client_get(cl->endpoint, route, json, len);
}

static void checked_cb(void *ctx, const struct mtl_certificate *c, int from_cache)
{
    const struct client *cl = ctx;
    log_info("certificate_checked", "hash=%s epoch=%llu kind=%s cached=%d", mtl_certificate_hash(c),
             (unsigned long long)mtl_certificate_epoch(c),
             mtl_certificate_is_genesis(c) ? "genesis" : "standard", from_cache);
    struct client_event e = {.kind = CLIENT_EVENT_CERTIFICATE, .cert = c, .from_cache = from_cache};
    client_emit(&cl->events, &e);
}

mtl_err client_verify_chain(const struct client *cl, const char *hash, size_t *count,
                            struct mtl_certificate **verified)
{
    uint8_t vk[MTL_GENESIS_VK_BYTES];
    MTL_TRY(client_genesis_vk(cl, vk));
    char cache[4200];
    struct mtl_chain_verify_opts o = {.fetch = fetch_cb,
                                      .fetch_ctx = (void *)cl,
                                      .progress = checked_cb,
                                      .progress_ctx = (void *)cl};
    if (cl->cache_dir && *cl->cache_dir) {
        MTL_TRY(client_mkdir_p(cl->cache_dir, 0700));
        snprintf(cache, sizeof(cache), "%s/verified-certificates", cl->cache_dir);
        o.cache_path = cache;
    }
    size_t n = 0;
    mtl_err e = mtl_certificate_chain_verify_get(verified, hash, vk, &o, &n);
    if (count)
        *count = n;
    return e;
}

/* The artifact's certificate_hash (64 hex) into out, or "". */
static void certificate_hash_of(const char *body, size_t len, char out[MTL_HASH_HEX_BYTES])
{
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *ch = json_string_value(json_object_get(j, "certificate_hash"));
    out[0] = '\0';
    if (ch && strlen(ch) == 64)
        memcpy(out, ch, 65);
    json_decref(j);
}

mtl_err client_verify_cardano_db(const struct client *cl, const char *body, size_t len)
{
    char cert_hash[MTL_HASH_HEX_BYTES];
    certificate_hash_of(body, len, cert_hash);
    MTL_CHECK(*cert_hash, MTL_ERR_BAD_ENCODING, "cardano database: no valid 'certificate_hash'");
    struct mtl_certificate *cert;
    MTL_TRY(client_verify_chain(cl, cert_hash, NULL, &cert));
    mtl_err e = mtl_cardano_database_verify(body, len, cert);
    mtl_certificate_free(cert);
    return e;
}

mtl_err client_verify_csd(const struct client *cl, const char *body, size_t len,
                          char hash_out[MTL_HASH_HEX_BYTES], uint64_t *epoch)
{
    char cert_hash[MTL_HASH_HEX_BYTES];
    certificate_hash_of(body, len, cert_hash);
    MTL_CHECK(*cert_hash, MTL_ERR_BAD_ENCODING,
              "cardano stake distribution: no valid 'certificate_hash'");
    struct mtl_certificate *cert = NULL;
    MTL_TRY(client_verify_chain(cl, cert_hash, NULL, &cert));
    mtl_err e = mtl_csd_verify(body, len, cert, hash_out);
    struct mtl_signed_entity_type t; /* verified: the artifact's epoch is the beacon's */
    mtl_certificate_signed_entity(cert, &t);
    *epoch = t.epoch;
    mtl_certificate_free(cert);
    return e;
}

static mtl_err verify_tx_snapshot(const struct client *cl, bool blocks, const char *body,
                                  size_t len)
{
    char cert_hash[MTL_HASH_HEX_BYTES];
    certificate_hash_of(body, len, cert_hash);
    MTL_CHECK(*cert_hash, MTL_ERR_BAD_ENCODING, "%s snapshot: no valid 'certificate_hash'",
              blocks ? "cardano blocks transactions" : "cardano transactions");
    struct mtl_certificate *cert;
    MTL_TRY(client_verify_chain(cl, cert_hash, NULL, &cert));
    mtl_err e = blocks ? mtl_cardano_blocks_transactions_snapshot_verify(body, len, cert)
                       : mtl_cardano_transactions_snapshot_verify(body, len, cert);
    mtl_certificate_free(cert);
    return e;
}

mtl_err client_verify_cardano_transactions(const struct client *cl, const char *body, size_t len)
{
    return verify_tx_snapshot(cl, false, body, len);
}

mtl_err client_verify_cardano_blocks_transactions(const struct client *cl, const char *body,
                                                  size_t len)
{
    return verify_tx_snapshot(cl, true, body, len);
}

static mtl_err msd_verify(const struct client *cl, const char *hash, const char *body, size_t len)
{
    char cert_hash[MTL_HASH_HEX_BYTES], got[MTL_HASH_HEX_BYTES];
    certificate_hash_of(body, len, cert_hash);
    MTL_CHECK(*cert_hash, MTL_ERR_BAD_ENCODING,
              "mithril stake distribution %s: no valid 'certificate_hash'", hash);
    log_info("verify_chain", "certificate=%s", cert_hash);
    struct mtl_certificate *cert = NULL;
    MTL_TRY(client_verify_chain(cl, cert_hash, NULL, &cert));
    mtl_err e = mtl_msd_verify(body, len, cert, got);
    mtl_certificate_free(cert);
    if (e != MTL_OK)
        return mtl_err_wrap(e, "mithril stake distribution %s", hash);
    MTL_CHECK(strcmp(got, hash) == 0, MTL_ERR_INTEGRITY,
              "mithril stake distribution: asked for %s, got %s", hash, got);
    return MTL_OK;
}

mtl_err client_msd_fetch_verified(const struct client *cl, const char *hash, char **body,
                                  size_t *len)
{
    char route[160];
    snprintf(route, sizeof(route), "/artifact/mithril-stake-distribution/%s", hash);
    MTL_TRY(client_get(cl->endpoint, route, body, len));
    mtl_err e = msd_verify(cl, hash, *body, *len);
    if (e != MTL_OK) {
        mtl_free(*body);
        *body = NULL;
    }
    return e;
}

/* One signer: 1 when authenticated, 0 when it publishes no credentials. */
static mtl_err authenticate_signer(json_t *s, int *authenticated)
{
    const char *party = json_string_value(json_object_get(s, "party_id"));
    const char *vk = json_string_value(json_object_get(s, "verification_key"));
    const char *oc = json_string_value(json_object_get(s, "operational_certificate"));
    const char *sig = json_string_value(json_object_get(s, "verification_key_signature"));
    json_t *kp = json_object_get(s, "kes_period");
    *authenticated = 0;
    if ((!oc || !*oc) && (!sig || !*sig))
        return MTL_OK;
    MTL_CHECK(party && vk && oc && *oc && sig && *sig && json_is_integer(kp) &&
                  json_integer_value(kp) >= 0,
              MTL_ERR_BAD_ENCODING,
              "signer %s: needs operational_certificate, verification_key_signature and "
              "kes_period together",
              party ? party : "(no party_id)");
    mtl_err e = mtl_signer_credentials_verify(party, vk, oc, sig, (uint64_t)json_integer_value(kp));
    if (e != MTL_OK)
        return mtl_err_wrap(e, "signer %s is not authenticated by its pool", party);
    *authenticated = 1;
    return MTL_OK;
}

mtl_err client_msd_authenticate(const char *body, size_t len, size_t *authenticated, size_t *total)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *signers = json_object_get(j, "signers");
    mtl_err e = json_is_array(signers)
                    ? MTL_OK
                    : mtl_seterr(MTL_ERR_BAD_ENCODING, "stake distribution: no signers array");
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(signers, i, s)
    {
        int ok = 0;
        if (e == MTL_OK && (e = authenticate_signer(s, &ok)) == MTL_OK)
            n += (size_t)ok;
    }
    *authenticated = n;
    *total = json_array_size(signers);
    json_decref(j);
    return e;
}
