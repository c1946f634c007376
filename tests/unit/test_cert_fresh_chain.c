/* test_cert_fresh_chain.c - a chain made by our own code: a genesis
 * certificate, then multi-signed certificates over 3 epochs whose stake
 * distribution changes; it verifies, and its JSON decodes back identically;
 * certificates breaking one link rule each (previous epoch's keys, a skipped
 * epoch, another previous certificate, a lowered quorum) and a source
 * answering another certificate are refused. */
#include <jansson.h>
#include <sodium.h>

#include "cert/cert_int.h"
#include "harness.h"

#define NPARTIES 5
static const struct mtl_stm_params P = {.m = 60, .k = 12, .phi_f = 0.65};

struct epoch_keys {
    struct mtl_stm_initializer *init[NPARTIES];
    struct mtl_stm_closed_reg *closed;
    char *avk;
};

static mtl_err keys_for_epoch(struct epoch_keys *e, uint64_t epoch)
{
    struct mtl_stm_keyreg *reg;
    MTL_TRY(mtl_stm_keyreg_new(&reg));
    for (int i = 0; i < NPARTIES; i++) {
        uint8_t seed[32] = {(uint8_t)epoch, (uint8_t)i, 7};
        uint64_t stake = 1000 * (uint64_t)(i + 1) + 250 * epoch * (uint64_t)i; /* drifts */
        MTL_TRY(mtl_stm_initializer_new(&e->init[i], &P, stake, seed));
        char *vk;
        MTL_TRY(mtl_stm_initializer_vk_jsonhex(e->init[i], &vk));
        mtl_err rc = mtl_stm_keyreg_register_jsonhex(reg, stake, vk);
        mtl_free(vk);
        MTL_TRY(rc);
    }
    mtl_err rc = mtl_stm_keyreg_close(reg, &e->closed);
    mtl_stm_keyreg_free(reg);
    MTL_TRY(rc);
    return mtl_stm_closed_reg_avk_jsonhex(e->closed, &e->avk);
}

static void keys_free(struct epoch_keys *e)
{
    for (int i = 0; i < NPARTIES; i++)
        mtl_stm_initializer_free(e->init[i]);
    mtl_stm_closed_reg_free(e->closed);
    mtl_free(e->avk);
}

static struct mtl_protocol_message *message_for(uint64_t epoch, const char *next_avk)
{
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = epoch};
    struct mtl_signed_entity_view v = {.next_avk = next_avk, .next_params = &P};
    struct mtl_protocol_message *pm = NULL;
    return mtl_signed_entity_message(&pm, &t, &v) == MTL_OK ? pm : NULL;
}

static json_t *store;

static mtl_err fetch_store(void *ctx, const char *hash, char **json, size_t *len)
{
    const json_t *v = json_object_get((json_t *)ctx, hash);
    if (!v)
        return mtl_seterr(MTL_ERR_NOT_FOUND, "no %s", hash);
    *json = mtl_strdup(json_string_value(v));
    *len = strlen(*json);
    return MTL_OK;
}

static mtl_err put(struct mtl_certificate *c)
{
    char *json;
    MTL_TRY(mtl_certificate_to_json(c, &json));
    json_object_set_new(store, mtl_certificate_hash(c), json_string(json));
    /* the JSON decodes back to the very same certificate */
    struct mtl_certificate *back;
    mtl_err rc = mtl_certificate_from_json(&back, json, strlen(json));
    if (rc == MTL_OK) {
        char *again;
        rc = mtl_certificate_to_json(back, &again);
        if (rc == MTL_OK && strcmp(again, json) != 0)
            rc = mtl_seterr(MTL_ERR_INTERNAL, "JSON round trip changed the certificate");
        mtl_free(again);
        mtl_certificate_free(back);
    }
    mtl_free(json);
    return rc;
}

/* A certificate of `epoch` signed by the parties of `signers` under the
 * parameters p, chained to prev_hash, handing over next_avk (NULL when it
 * cannot be made, e.g. below quorum). */
static struct mtl_certificate *signed_cert(uint64_t epoch, const struct epoch_keys *signers,
                                           const char *next_avk, const char *prev_hash,
                                           const struct mtl_stm_params *p)
{
    struct mtl_protocol_message *pm = message_for(epoch, next_avk);
    char sm[65], *sigs[NPARTIES], *ms = NULL;
    size_t ns = 0;
    struct mtl_party_stake st[NPARTIES];
    struct mtl_certificate *c = NULL;
    mtl_protocol_message_hash(pm, sm);
    for (int i = 0; i < NPARTIES; i++) {
        mtl_err rc = mtl_stm_sign(signers->init[i], signers->closed, (const uint8_t *)sm, 64,
                                  &sigs[ns], NULL);
        if (rc != MTL_OK)
            continue;
        st[ns].party_id = i % 2 ? "pool1odd" : "pool1even";
        st[ns].stake = mtl_stm_initializer_stake(signers->init[i]);
        ns++;
    }
    if (mtl_stm_aggregate_jsonhex(signers->closed, p, (const char *const *)sigs, ns,
                                  (const uint8_t *)sm, 64, &ms) == MTL_OK) {
        struct mtl_certificate_params mp = {
            .previous_hash = prev_hash,
            .epoch = epoch,
            .signed_entity = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = epoch},
            .network = "devnet",
            .version = "0.1.0",
            .params = *p,
            .initiated_at_ns = 1700000000000000000LL + (int64_t)epoch * 1000000,
            .sealed_at_ns = 1700000000000000000LL + (int64_t)epoch * 2000000,
            .signers = st,
            .nsigners = ns,
            .message = pm,
            .avk_jsonhex = signers->avk,
            .multisig_jsonhex = ms};
        if (mtl_certificate_build(&c, &mp) != MTL_OK)
            c = NULL;
    }
    for (size_t i = 0; i < ns; i++)
        mtl_free(sigs[i]);
    mtl_free(ms);
    mtl_protocol_message_free(pm);
    return c;
}

static struct epoch_keys keys[5];
static uint8_t gsk[32], gvk[32];
static struct mtl_certificate *chain[4]; /* chain[e]: the certificate of epoch e */

TEST(fresh_chain_over_three_epochs)
{
    mtl_genesis_keypair(gsk, gvk);
    store = json_object();
    for (uint64_t e = 1; e <= 4; e++)
        CHECK_OK(keys_for_epoch(&keys[e], e));
    /* genesis at epoch 1: its AVK is epoch 1's, it hands over epoch 2's */
    struct mtl_protocol_message *pm = message_for(1, keys[2].avk);
    struct mtl_certificate_params cp = {
        .previous_hash = "",
        .epoch = 1,
        .signed_entity = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = 1},
        .network = "devnet",
        .version = "0.1.0",
        .params = P,
        .initiated_at_ns = 1700000000123456789LL,
        .sealed_at_ns = 1700000000223000000LL,
        .message = pm,
        .avk_jsonhex = keys[1].avk,
        .genesis_sk = gsk};
    mtl_err rc = mtl_certificate_build(&chain[1], &cp);
    mtl_protocol_message_free(pm);
    CHECK_OK(rc);
    CHECK_OK(put(chain[1]));
    for (uint64_t e = 2; e <= 3; e++) {
        chain[e] =
            signed_cert(e, &keys[e], keys[e + 1].avk, mtl_certificate_hash(chain[e - 1]), &P);
        CHECK(chain[e]);
        CHECK_OK(mtl_certificate_verify_integrity(chain[e], gvk));
        CHECK_OK(mtl_certificate_verify_link(chain[e], chain[e - 1]));
        CHECK_OK(put(chain[e]));
    }
    struct mtl_chain_verify_opts o = {.fetch = fetch_store, .fetch_ctx = store};
    size_t checked;
    CHECK_OK(mtl_certificate_chain_verify(mtl_certificate_hash(chain[3]), gvk, &o, &checked));
    CHECK_EQ_INT(checked, 3);
}

/* A certificate an attacker made (c, freed here) is sound on its own, but
 * its link to prev is refused for `why`, and so is the chain from it. */
static void refused_at_link(struct mtl_certificate *c, const struct mtl_certificate *prev,
                            const char *why)
{
    if (!c)
        TH_FAIL("the certificate could not be made");
    mtl_err integrity = mtl_certificate_verify_integrity(c, gvk);
    mtl_err link = mtl_certificate_verify_link(c, prev);
    int named = link != MTL_OK && strstr(mtl_err_detail(), why);
    mtl_err stored = put(c);
    struct mtl_chain_verify_opts o = {.fetch = fetch_store, .fetch_ctx = store};
    size_t checked;
    mtl_err walk = mtl_certificate_chain_verify(mtl_certificate_hash(c), gvk, &o, &checked);
    int walk_named = walk != MTL_OK && strstr(mtl_err_detail(), why);
    mtl_certificate_free(c);
    CHECK_OK(integrity);
    CHECK_OK(stored);
    CHECK_ERR(link, MTL_ERR_CHAIN);
    CHECK_ERR(walk, MTL_ERR_CHAIN);
    if (!named || !walk_named)
        TH_FAIL("refused, but not for \"%s\"", why);
}

/* AVK continuity: whoever holds epoch 2's keys makes an epoch-3 certificate,
 * chained to the real epoch-2 certificate; epoch 2 handed over epoch 3's
 * AVK, so it is refused. */
TEST(old_keys_cannot_sign_the_next_epoch)
{
    CHECK(chain[2]);
    refused_at_link(signed_cert(3, &keys[2], keys[4].avk, mtl_certificate_hash(chain[2]), &P),
                    chain[2], "next_aggregate_verification_key");
}

/* The link rules a chain walk alone does not reach: a certificate that
 * skips an epoch (chained to the genesis of epoch 1, with the AVK and
 * parameters the genesis handed over: only the epoch gap is wrong), and a
 * previous certificate that is not the one named by previous_hash. */
TEST(epoch_gap_and_previous_hash)
{
    CHECK(chain[1] && chain[3]);
    refused_at_link(signed_cert(3, &keys[2], keys[4].avk, mtl_certificate_hash(chain[1]), &P),
                    chain[1], "is not next to epoch");
    /* same epoch, AVK and parameters, but not the certificate it names */
    CHECK_ERR(mtl_certificate_verify_link(chain[3], chain[3]), MTL_ERR_CHAIN);
    CHECK(strstr(mtl_err_detail(), "previous_hash") != NULL);
}

/* A source that answers another (valid) certificate than the one asked for:
 * nothing about the hash asked for was verified, so the walk must fail. */
static mtl_err fetch_genesis_instead(void *ctx, const char *hash, char **json, size_t *len)
{
    (void)hash;
    return fetch_store(ctx, mtl_certificate_hash(chain[1]), json, len);
}

TEST(source_answering_another_certificate)
{
    CHECK(chain[1] && chain[3]);
    struct mtl_chain_verify_opts o = {.fetch = fetch_genesis_instead, .fetch_ctx = store};
    size_t checked;
    CHECK_ERR(mtl_certificate_chain_verify(mtl_certificate_hash(chain[3]), gvk, &o, &checked),
              MTL_ERR_INTEGRITY);
    /* the content is re-hashed before anything else looks at it */
    CHECK(strstr(mtl_err_detail(), "hash does not match its content") != NULL);
}

/* Parameters: epoch 2 announced P for epoch 3. A certificate of epoch 3 by
 * epoch 3's own parties under a quorum lowered by two is refused. */
TEST(lowered_quorum_is_refused)
{
    CHECK(chain[2]);
    struct mtl_stm_params q = P;
    q.k = P.k - 2;
    refused_at_link(signed_cert(3, &keys[3], keys[4].avk, mtl_certificate_hash(chain[2]), &q),
                    chain[2], "next_protocol_parameters");
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    RUN(fresh_chain_over_three_epochs);
    RUN(old_keys_cannot_sign_the_next_epoch);
    RUN(epoch_gap_and_previous_hash);
    RUN(source_answering_another_certificate);
    RUN(lowered_quorum_is_refused);
    for (int e = 1; e <= 3; e++)
        mtl_certificate_free(chain[e]);
    for (int e = 1; e <= 4; e++)
        keys_free(&keys[e]);
    json_decref(store);
    return DONE();
}
