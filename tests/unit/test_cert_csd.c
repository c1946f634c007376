/* test_cert_csd.c - the reference's CardanoStakeDistribution artifacts: our
 * Merkle root of each one's stake distribution is the root its certificate
 * signed, its hash recomputes, and each checks against its certificate; a
 * changed stake, an added or dropped pool, a forged root or a wrong epoch is
 * refused even with the artifact's hash recomputed around the change. */
#include <jansson.h>

#include "cert/cert_int.h"
#include "harness.h"
#include "mithril/signed_entity.h"

static json_t *certs, *csds;

static struct mtl_certificate *cert_of(const char *hash)
{
    json_t *c = json_object_get(certs, hash);
    if (!c)
        return NULL;
    char *s = json_dumps(c, JSON_COMPACT);
    struct mtl_certificate *cert = NULL;
    if (mtl_certificate_from_json(&cert, s, strlen(s)) != MTL_OK)
        cert = NULL;
    free(s);
    return cert;
}

/* The artifact's pools and stakes (borrowed from the JSON). */
static size_t pools_of(const json_t *a, const char *pool[8], uint64_t stake[8])
{
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(a, "stake_distribution"), k, v)
    {
        if (n == 8)
            break;
        pool[n] = k;
        stake[n++] = (uint64_t)json_integer_value(v);
    }
    return n;
}

static mtl_err check(const json_t *a, char hash[65])
{
    struct mtl_certificate *cert =
        cert_of(json_string_value(json_object_get(a, "certificate_hash")));
    if (!cert)
        return mtl_seterr(MTL_ERR_NOT_FOUND, "no certificate");
    char *s = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    mtl_err rc = mtl_csd_verify(s, strlen(s), cert, hash);
    free(s);
    mtl_certificate_free(cert);
    return rc;
}

TEST(reference_roots_and_hashes)
{
    const char *h;
    json_t *a;
    int n = 0;
    json_object_foreach(csds, h, a)
    {
        const char *pool[8];
        uint64_t stake[8];
        size_t np = pools_of(a, pool, stake);
        CHECK(np == 2);
        char *root = NULL, hash[65];
        CHECK_OK(mtl_csd_merkle_root(&root, pool, stake, np));
        struct mtl_certificate *cert =
            cert_of(json_string_value(json_object_get(a, "certificate_hash")));
        CHECK(cert != NULL);
        if (!cert || !root) {
            mtl_free(root);
            continue;
        }
        const struct mtl_protocol_message *pm = mtl_certificate_protocol_message(cert);
        CHECK_EQ_STR(root, mtl_protocol_message_get(pm, "cardano_stake_distribution_merkle_root"));
        CHECK_OK(mtl_csd_hash(hash, (uint64_t)json_integer_value(json_object_get(a, "epoch")), pool,
                              stake, np));
        CHECK_EQ_STR(hash, h);
        /* order of the input does not matter: the reference sorts by pool id */
        const char *rp[2] = {pool[1], pool[0]};
        uint64_t rs[2] = {stake[1], stake[0]};
        char *root2 = NULL;
        CHECK_OK(mtl_csd_merkle_root(&root2, rp, rs, 2));
        CHECK_EQ_STR(root2, root);
        mtl_free(root2);
        mtl_free(root);
        mtl_certificate_free(cert);
        char got[65];
        CHECK_OK(check(a, got));
        CHECK_EQ_STR(got, h);
        n++;
    }
    CHECK_EQ_INT(n, 9);
}

/* Change the artifact with change(), recompute its hash so that only the
 * deeper checks can catch it, and expect MTL_ERR_INTEGRITY naming why. */
static void expect_refused(const json_t *a, void (*change)(json_t *), const char *why)
{
    json_t *c = json_deep_copy(a);
    change(c);
    char h[65];
    mtl_err rc = check(c, h);
    if (rc == MTL_ERR_INTEGRITY && strstr(mtl_err_detail(), "hash")) {
        json_object_set_new(c, "hash", json_string(h)); /* hash recomputed around the change */
        rc = check(c, NULL);
    }
    CHECK_ERR(rc, MTL_ERR_INTEGRITY);
    if (!strstr(mtl_err_detail(), why))
        TH_FAIL("refused for \"%s\", want \"%s\"", mtl_err_detail(), why);
    json_decref(c);
}

static void add_one_stake(json_t *c)
{
    json_t *d = json_object_get(c, "stake_distribution");
    const char *k = json_object_iter_key(json_object_iter(d));
    json_object_set_new(d, k, json_integer(json_integer_value(json_object_get(d, k)) + 1));
}

static void drop_pool(json_t *c)
{
    json_t *d = json_object_get(c, "stake_distribution");
    json_object_del(d, json_object_iter_key(json_object_iter(d)));
}

static void add_pool(json_t *c)
{
    json_object_set_new(json_object_get(c, "stake_distribution"),
                        "pool1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", json_integer(5));
}

static void next_epoch(json_t *c)
{
    json_object_set_new(c, "epoch", json_integer(json_integer_value(json_object_get(c, "epoch")) + 1));
}

TEST(tampered_artifacts_refused)
{
    const char *h;
    json_t *a;
    json_object_foreach(csds, h, a)
    {
        expect_refused(a, add_one_stake, "Merkle root");
        expect_refused(a, drop_pool, "Merkle root");
        expect_refused(a, add_pool, "Merkle root");
        expect_refused(a, next_epoch, "is not what certificate");
        /* the hash field itself altered */
        json_t *c = json_deep_copy(a);
        json_object_set_new(c, "hash", json_string("00"));
        CHECK_ERR(check(c, NULL), MTL_ERR_INTEGRITY);
        CHECK(strstr(mtl_err_detail(), "does not match its content") != NULL);
        json_decref(c);
    }
}

TEST(bad_inputs)
{
    char *root = NULL, h[65];
    const char *p2[2] = {"pool1a", "pool1a"};
    uint64_t s2[2] = {1, 2};
    CHECK_ERR(mtl_csd_merkle_root(&root, p2, s2, 0), MTL_ERR_INVALID_ARG);
    CHECK_ERR(mtl_csd_merkle_root(&root, p2, s2, 2), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "listed twice") != NULL);
    CHECK_ERR(mtl_csd_hash(h, 1, p2, s2, 2), MTL_ERR_INVALID_ARG);
    /* one pool: the MKTree's root is the leaf itself */
    CHECK_OK(mtl_csd_merkle_root(&root, p2, s2, 1));
    CHECK_EQ_STR(root, "706f6f6c316131"); /* hex of "pool1a1" */
    /* the seam signs such a root for this kind only */
    struct mtl_stm_params prm = {.m = 10, .k = 5, .phi_f = 0.5};
    struct mtl_signed_entity_view v = {.next_avk = "7b7d", .next_params = &prm,
                                       .merkle_root = root};
    struct mtl_signed_entity_type csd = {.kind = MTL_SET_CARDANO_STAKE_DISTRIBUTION, .epoch = 3},
                                  cdb = {.kind = MTL_SET_CARDANO_DATABASE, .epoch = 3, .a = 1};
    struct mtl_protocol_message *pm = NULL;
    CHECK_OK(mtl_signed_entity_message(&pm, &csd, &v));
    if (pm)
        CHECK_EQ_STR(mtl_protocol_message_get(pm, "cardano_stake_distribution_merkle_root"), root);
    mtl_protocol_message_free(pm);
    pm = NULL;
    CHECK_ERR(mtl_signed_entity_message(&pm, &cdb, &v), MTL_ERR_INVALID_ARG);
    v.merkle_root = "706f6f6c31613";
    CHECK_ERR(mtl_signed_entity_message(&pm, &csd, &v), MTL_ERR_INVALID_ARG);
    mtl_free(root);
    struct mtl_certificate *cert = NULL;
    const char *any = json_object_iter_key(json_object_iter(csds));
    cert = cert_of(json_string_value(
        json_object_get(json_object_get(csds, any), "certificate_hash")));
    CHECK(cert != NULL);
    static const char *const bad[] = {
        "not json",
        "{\"epoch\":16,\"hash\":\"00\"}",
        "{\"epoch\":16,\"hash\":\"00\",\"stake_distribution\":{}}",
        "{\"epoch\":16,\"hash\":\"00\",\"stake_distribution\":{\"pool1a\":-1}}",
        "{\"epoch\":16,\"hash\":\"00\",\"stake_distribution\":{\"pool1a\":\"5\"}}",
        "{\"epoch\":-1,\"hash\":\"00\",\"stake_distribution\":{\"pool1a\":5}}",
        "{\"epoch\":16,\"hash\":\"00\",\"stake_distribution\":{\"pool1a\":5,\"pool1a\":6}}",
    };
    for (size_t i = 0; cert && i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_ERR(mtl_csd_verify(bad[i], strlen(bad[i]), cert, NULL), MTL_ERR_BAD_ENCODING);
    mtl_certificate_free(cert);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    const char *shared = REQUIRE_SHARED();
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json", shared);
    certs = json_load_file(p, 0, NULL);
    snprintf(p, sizeof(p),
             "%s/reference-data/aggregator-fake-2026-05-21/cardano-stake-distributions.json",
             shared);
    csds = json_load_file(p, JSON_PRESERVE_ORDER, NULL);
    if (!certs || !csds)
        return 1;
    RUN(reference_roots_and_hashes);
    RUN(tampered_artifacts_refused);
    RUN(bad_inputs);
    json_decref(certs);
    json_decref(csds);
    return DONE();
}
