/* client_proofs.c - "are these transactions (blocks) on the chain?": fetch
 * the aggregator's proof for a list of hashes, check its Merkle proofs
 * (libmithril, stricter than the reference), verify the chain of the
 * certificate it names back to genesis, then bind the proof to that very
 * certificate (its signed message recomputed with the proof's root). Also
 * the transaction snapshot artifacts against their certificate. */
#include <stdio.h>
#include <string.h>

#include "client_services.h"
#include "log.h"

static const struct {
    const char *route, *param, *certified;
} PROOF_ROUTES[] = {
    [MTL_PROOFS_TRANSACTIONS_V1] = {"/proof/cardano-transaction", "transaction_hashes",
                                    "certified_transactions"},
    [MTL_PROOFS_TRANSACTIONS_V2] = {"/proof/v2/cardano-transaction", "transaction_hashes",
                                    "certified_transactions"},
    [MTL_PROOFS_BLOCKS] = {"/proof/v2/cardano-block", "block_hashes", "certified_blocks"},
};

static void step(const struct client *cl, int n, const char *msg)
{
    struct client_event e = {
        .kind = CLIENT_EVENT_STEP, .step = n, .total_steps = 4, .message = msg};
    client_emit(&cl->events, &e);
}

static bool is_hash(const char *h)
{
    if (strlen(h) != MTL_HASH_HEX_BYTES - 1)
        return false;
    for (const char *p = h; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* <route>?<param>=h1,h2,... (mtl_free). */
static mtl_err proof_route(enum mtl_proofs_kind kind, const char *const *hashes, size_t n,
                           char **out)
{
    struct mtl_buf b;
    mtl_buf_init(&b, CLIENT_JSON_MAX);
    mtl_err e = mtl_buf_printf(&b, "%s?%s=", PROOF_ROUTES[kind].route, PROOF_ROUTES[kind].param);
    for (size_t i = 0; i < n && e == MTL_OK; i++)
        e = mtl_buf_printf(&b, "%s%s", i ? "," : "", hashes[i]);
    if (e == MTL_OK)
        e = mtl_buf_nul(&b);
    if (e != MTL_OK) {
        mtl_buf_free(&b);
        return e;
    }
    *out = (char *)mtl_buf_take(&b, NULL);
    return MTL_OK;
}

/* Whether the message certifies nothing: v1 an empty certified_transactions
 * array, v2 and blocks a null certified_* (what an aggregator answers when
 * none of the hashes is in its certified set). */
static bool certifies_nothing(enum mtl_proofs_kind kind, const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *c = json_object_get(j, PROOF_ROUTES[kind].certified);
    bool none = kind == MTL_PROOFS_TRANSACTIONS_V1 ? json_is_array(c) && json_array_size(c) == 0
                                                   : c && json_is_null(c);
    json_decref(j);
    return none;
}

/* Steps 2 to 4 on a fetched message. */
static mtl_err verify_message(const struct client *cl, enum mtl_proofs_kind kind, const char *body,
                              size_t len, struct mtl_certified_set *out)
{
    struct mtl_certified_set set;
    step(cl, 2, "Verifying the proof");
    MTL_TRY(mtl_proofs_check(&set, kind, body, len));
    step(cl, 3, "Fetching the associated certificate and verifying the certificate chain");
    log_info("verify_chain", "certificate=%s", set.certificate_hash);
    struct mtl_certificate *cert = NULL;
    mtl_err e = client_verify_chain(cl, set.certificate_hash, NULL, &cert);
    if (e == MTL_OK) {
        step(cl, 4, "Verifying that the proof is signed in the associated certificate");
        e = mtl_certified_set_bind(&set, cert); /* the proofs checked at step 2 */
    }
    mtl_certificate_free(cert);
    if (e != MTL_OK) {
        mtl_certified_set_free(&set);
        return e;
    }
    *out = set;
    return MTL_OK;
}

mtl_err client_proofs_fetch_verified(const struct client *cl, enum mtl_proofs_kind kind,
                                     const char *const *hashes, size_t n,
                                     struct mtl_certified_set *out)
{
    memset(out, 0, sizeof(*out));
    MTL_CHECK(kind >= MTL_PROOFS_TRANSACTIONS_V1 && kind <= MTL_PROOFS_BLOCKS && n > 0,
              MTL_ERR_INVALID_ARG, "proofs: nothing to certify");
    for (size_t i = 0; i < n; i++)
        MTL_CHECK(is_hash(hashes[i]), MTL_ERR_INVALID_ARG,
                  "'%s' is not a hash (64 lower-case hex digits)", hashes[i]);
    char *route = NULL, *body = NULL;
    size_t len = 0;
    step(cl, 1,
         kind == MTL_PROOFS_BLOCKS ? "Fetching a proof for the given blocks"
                                   : "Fetching a proof for the given transactions");
    MTL_TRY(proof_route(kind, hashes, n, &route));
    mtl_err e = client_get(cl->endpoint, route, &body, &len);
    if (e == MTL_OK && certifies_nothing(kind, body, len))
        e = mtl_seterr(MTL_ERR_NOT_FOUND,
                       "the aggregator certifies none of the given %s (Mithril may not have "
                       "signed them yet)",
                       kind == MTL_PROOFS_BLOCKS ? "blocks" : "transactions");
    else if (e == MTL_OK)
        e = verify_message(cl, kind, body, len, out);
    mtl_free(body);
    mtl_free(route);
    return e;
}
