/* aggregator_msd.c - the MithrilStakeDistribution signed entity: its open
 * message each epoch, its artifact (prepared off the quorum-to-certificate
 * path and completed with the certificate hash and creation time at
 * certification) and its routes. */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "log.h"

/* SHA-256 over the signer's fields (hex) and stake, as the reference's
 * SignerWithStake::compute_hash; the MSD hash is over epoch || those. */
static void sha_str(crypto_hash_sha256_state *st, const char *s)
{
    if (s && *s)
        crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
}

/* Placeholders as long as what replaces them (a hash, an agg_rfc3339 time):
 * certification writes over them in place instead of copying megabytes. */
#define MSD_CERT_HASH "@mtl-certificate-hash@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
#define MSD_CREATED_AT "@mtl-created-at@@@@@@@@@@@@@@@"

/* The artifact of epoch from its registrations text (regs), with
 * placeholders for what only certification knows. */
static mtl_err msd_prepare(struct agg *a, uint64_t epoch, const char *txt,
                           char hash_out[MTL_HASH_HEX_BYTES], char **json_out)
{
    struct mtl_stm_params np;
    MTL_TRY(agg_store_params(&a->store, epoch, &np));
    json_t *regs = json_loads(txt, 0, NULL);
    MTL_CHECK(regs, MTL_ERR_INTERNAL, "registrations: bad JSON");
    crypto_hash_sha256_state all;
    uint8_t md[32], be[8];
    char h[MTL_HASH_HEX_BYTES];
    crypto_hash_sha256_init(&all);
    mtl_be64_put(be, epoch);
    crypto_hash_sha256_update(&all, be, 8);
    json_t *signers = json_array(), *r;
    size_t i;
    json_array_foreach(regs, i, r)
    {
        crypto_hash_sha256_state st;
        crypto_hash_sha256_init(&st);
        json_t *s = json_object();
        static const char *const keys[] = {"party_id", "verification_key",
                                           "verification_key_signature", "operational_certificate"};
        for (size_t k = 0; k < MTL_ARRAY_LEN(keys); k++) {
            const char *v = json_string_value(json_object_get(r, keys[k]));
            sha_str(&st, v);
            if (v)
                json_object_set_new(s, keys[k], json_string(v));
        }
        /* kes_period is published but not part of the signer's hash */
        json_t *kes = json_object_get(r, "kes_period");
        if (json_is_integer(kes))
            json_object_set(s, "kes_period", kes);
        json_int_t stake = json_integer_value(json_object_get(r, "stake"));
        json_object_set_new(s, "stake", json_integer(stake));
        mtl_be64_put(be, (uint64_t)stake);
        crypto_hash_sha256_update(&st, be, 8);
        crypto_hash_sha256_final(&st, md);
        mtl_hex_encode(h, sizeof(h), md, 32);
        sha_str(&all, h);
        json_array_append_new(signers, s);
    }
    crypto_hash_sha256_final(&all, md);
    mtl_hex_encode(hash_out, MTL_HASH_HEX_BYTES, md, 32);
    json_t *j = json_object();
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    json_object_set_new(j, "signers", signers);
    json_object_set_new(j, "hash", json_string(hash_out));
    json_object_set_new(j, "certificate_hash", json_string(MSD_CERT_HASH));
    json_object_set_new(j, "created_at", json_string(MSD_CREATED_AT));
    json_object_set_new(j, "protocol_parameters",
                        json_pack("{s:I,s:I,s:f}", "k", (json_int_t)np.k, "m", (json_int_t)np.m,
                                  "phi_f", np.phi_f));
    char *out = mtl_json_dumps(j, AGG_JSON_FLAGS);
    json_decref(j);
    json_decref(regs);
    MTL_CHECK(out, MTL_ERR_NOMEM, "out of memory");
    *json_out = mtl_strdup(out);
    free(out);
    MTL_CHECK(*json_out, MTL_ERR_NOMEM, "out of memory");
    return MTL_OK;
}

/* Last occurrence of needle in hay (the placeholders follow the signers). */
static const char *last_of(const char *hay, const char *needle)
{
    size_t hn = strlen(hay), nn = strlen(needle);
    for (size_t i = hn >= nn ? hn - nn + 1 : 0; i-- > 0;)
        if (memcmp(hay + i, needle, nn) == 0)
            return hay + i;
    return NULL;
}

/* Prepare (or reuse) the artifact of epoch: kept when the registrations
 * are the same text as when it was prepared. */
static mtl_err msd_ready(struct agg *a, uint64_t epoch)
{
    char *txt = NULL, *text = NULL, hash[MTL_HASH_HEX_BYTES];
    uint8_t digest[32];
    MTL_TRY(agg_store_registrations_digest(&a->store, epoch, digest));
    if (a->rt.msd_text && a->rt.msd_epoch == epoch &&
        memcmp(a->rt.msd_regs, digest, sizeof(digest)) == 0)
        return MTL_OK;
    MTL_TRY(agg_store_registrations(&a->store, epoch, &txt));
    mtl_err e = msd_prepare(a, epoch, txt, hash, &text);
    mtl_free(txt);
    MTL_TRY(e);
    mtl_free(a->rt.msd_text);
    a->rt.msd_text = text;
    a->rt.msd_epoch = epoch;
    memcpy(a->rt.msd_regs, digest, sizeof(digest));
    memcpy(a->rt.msd_hash, hash, sizeof(hash));
    return MTL_OK;
}

static mtl_err msd_artifact(struct agg *a, uint64_t epoch, const char *cert_hash, int64_t now,
                            char hash_out[MTL_HASH_HEX_BYTES], char **json_out)
{
    /* One prepared during this epoch is final: the registrations of key
     * epoch closed when the runtime entered it (the registration round). */
    if (!a->rt.msd_text || a->rt.msd_epoch != epoch)
        MTL_TRY(msd_ready(a, epoch));
    char created[40];
    agg_rfc3339(now, created);
    char *t = a->rt.msd_text, *p1 = (char *)last_of(t, MSD_CERT_HASH),
         *p2 = (char *)last_of(t, MSD_CREATED_AT);
    MTL_CHECK(p1 && p2 && p1 < p2, MTL_ERR_INTERNAL, "stake distribution artifact: no placeholder");
    MTL_CHECK(strlen(cert_hash) == strlen(MSD_CERT_HASH) && strlen(created) == strlen(MSD_CREATED_AT),
              MTL_ERR_INTERNAL, "stake distribution artifact: unexpected certificate hash or time");
    /* The prepared text becomes the artifact (a failed certification
     * prepares it again). */
    memcpy(p1, cert_hash, strlen(MSD_CERT_HASH));
    memcpy(p2, created, strlen(MSD_CREATED_AT));
    a->rt.msd_text = NULL;
    memcpy(hash_out, a->rt.msd_hash, MTL_HASH_HEX_BYTES);
    *json_out = t;
    return MTL_OK;
}

/* ---- the handler ------------------------------------------------------------------ */

static void msd_open(struct agg *a, uint64_t epoch)
{
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = epoch};
    if (agg_open_message_with_root(a, &t, NULL) != MTL_OK)
        log_error("open_message", "entity=MithrilStakeDistribution error=\"%s\"", mtl_err_detail());
    /* Its artifact, prepared before the quorum (once per epoch). */
    if (a->rt.msd_epoch != epoch || !a->rt.msd_text) {
        if (msd_ready(a, epoch) != MTL_OK) {
            log_debug("msd_prepare", "epoch=%llu error=\"%s\"", (unsigned long long)epoch,
                      mtl_err_detail());
            mtl_err_clear();
        }
    }
}

static mtl_err msd_build(struct agg *a, const struct agg_open_message *m,
                         const struct mtl_certificate *cert, int64_t sealed_ns,
                         struct agg_artifact *art)
{
    /* not re-verified here: the proofs of possession of every signer would
     * sit on the quorum-to-certificate path (clients check it) */
    return msd_artifact(a, m->type.epoch, mtl_certificate_hash(cert), sealed_ns, art->hash,
                        &art->json);
}

/* openapi MithrilStakeDistributionListItemMessage. */
static json_t *msd_list_item(const char *json)
{
    static const char *const keys[] = {"epoch", "hash", "certificate_hash", "created_at"};
    return agg_json_pick(json, keys, MTL_ARRAY_LEN(keys));
}

static int msd_route(struct agg *a, const char *p, struct app_http_response *r)
{
    static const char item[] = "/artifact/mithril-stake-distribution/";
    if (strcmp(p, "/artifact/mithril-stake-distributions") == 0)
        agg_route_artifact_list(a, MTL_SET_MITHRIL_STAKE_DISTRIBUTION, -1, msd_list_item,
                                "stake distributions", r);
    else if (strncmp(p, item, sizeof(item) - 1) == 0)
        agg_route_artifact(a, MTL_SET_MITHRIL_STAKE_DISTRIBUTION, p + sizeof(item) - 1,
                           "stake distribution", r);
    else
        return 0;
    return 1;
}

const struct agg_entity_handler agg_msd_handler = {
    .kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION,
    .open = msd_open,
    .build_artifact = msd_build,
    .route = msd_route,
};
