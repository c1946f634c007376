/* test_cert_artifacts.c - each reference Mithril stake distribution checks
 * against its certificate; a changed stake or signer is rejected. Each
 * reference CardanoDatabase checks; with its hash recomputed around an
 * altered merkle_root or beacon it is still rejected, by the signed-root and
 * beacon checks behind the hash check. */
#include <jansson.h>
#include <sodium.h>

#include "cert/cert_int.h"
#include "harness.h"

static json_t *certs, *msds, *dbs;

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

static mtl_err check(json_t *msd)
{
    struct mtl_certificate *cert =
        cert_of(json_string_value(json_object_get(msd, "certificate_hash")));
    if (!cert)
        return MTL_ERR_NOT_FOUND;
    char *s = json_dumps(msd, JSON_COMPACT | JSON_PRESERVE_ORDER), h[65];
    mtl_err rc = mtl_msd_verify(s, strlen(s), cert, h);
    free(s);
    mtl_certificate_free(cert);
    return rc;
}

TEST(reference_stake_distributions_check)
{
    const char *k;
    json_t *m;
    int n = 0;
    json_object_foreach(msds, k, m)
    {
        CHECK_OK(check(m));
        n++;
    }
    CHECK_EQ_INT(n, 9);
}

TEST(tampered_stake_distributions_fail)
{
    const char *k;
    json_t *m;
    json_object_foreach(msds, k, m)
    {
        json_t *c = json_deep_copy(m);
        json_t *s0 = json_array_get(json_object_get(c, "signers"), 0);
        json_object_set_new(s0, "stake", json_integer(json_integer_value(json_object_get(s0, "stake")) + 1));
        CHECK_ERR(check(c), MTL_ERR_INTEGRITY);
        CHECK(strstr(mtl_err_detail(), "hash") != NULL);
        json_decref(c);
        /* consistent hash but different signers: the AVK gives another message */
        c = json_deep_copy(m);
        json_array_remove(json_object_get(c, "signers"), 1);
        char *s = json_dumps(c, JSON_COMPACT), h[65];
        struct mtl_certificate *cert =
            cert_of(json_string_value(json_object_get(c, "certificate_hash")));
        mtl_err rc = mtl_msd_verify(s, strlen(s), cert, h); /* learn the hash it expects */
        CHECK_ERR(rc, MTL_ERR_INTEGRITY);
        json_object_set_new(c, "hash", json_string(h));
        free(s);
        s = json_dumps(c, JSON_COMPACT);
        CHECK_ERR(mtl_msd_verify(s, strlen(s), cert, NULL), MTL_ERR_INTEGRITY);
        CHECK(strstr(mtl_err_detail(), "do not give the message") != NULL);
        free(s);
        mtl_certificate_free(cert);
        json_decref(c);
        break;
    }
}

/* Check a CardanoDatabase message after recomputing its hash the way the
 * client does (SHA-256 of epoch u64 BE || merkle_root), as a lying server
 * would: only the checks behind the hash can refuse it. */
static mtl_err db_check_rehashed(json_t *art, const struct mtl_certificate *cert)
{
    uint8_t buf[8 + 64], md[32];
    char hex[65];
    mtl_be64_put(buf, (uint64_t)json_integer_value(
                          json_object_get(json_object_get(art, "beacon"), "epoch")));
    memcpy(buf + 8, json_string_value(json_object_get(art, "merkle_root")), 64);
    crypto_hash_sha256(md, buf, sizeof(buf));
    mtl_hex_encode(hex, sizeof(hex), md, 32);
    json_object_set_new(art, "hash", json_string(hex));
    char *s = json_dumps(art, JSON_COMPACT);
    mtl_err rc = mtl_cardano_database_verify(s, strlen(s), cert);
    free(s);
    return rc;
}

TEST(reference_cardano_databases_check)
{
    const char *k;
    json_t *d;
    int n = 0;
    json_object_foreach(dbs, k, d)
    {
        struct mtl_certificate *cert =
            cert_of(json_string_value(json_object_get(d, "certificate_hash")));
        CHECK(cert != NULL);
        char *s = json_dumps(d, JSON_COMPACT);
        CHECK_OK(mtl_cardano_database_verify(s, strlen(s), cert));
        free(s);
        /* another merkle root, with a consistent hash, is not what was signed */
        json_t *c = json_deep_copy(d);
        char root[65];
        snprintf(root, sizeof(root), "%s", json_string_value(json_object_get(c, "merkle_root")));
        root[0] = root[0] == 'a' ? 'b' : 'a';
        json_object_set_new(c, "merkle_root", json_string(root));
        CHECK_ERR(db_check_rehashed(c, cert), MTL_ERR_INTEGRITY);
        CHECK(strstr(mtl_err_detail(), "cardano_database_merkle_root is not the one") != NULL);
        json_decref(c);
        /* another beacon: immutable number (not hashed), epoch (re-hashed) */
        for (int field = 0; field < 2; field++) {
            c = json_deep_copy(d);
            json_t *b = json_object_get(c, "beacon");
            const char *key = field ? "epoch" : "immutable_file_number";
            json_object_set_new(b, key,
                                json_integer(json_integer_value(json_object_get(b, key)) + 1));
            CHECK_ERR(db_check_rehashed(c, cert), MTL_ERR_INTEGRITY);
            CHECK(strstr(mtl_err_detail(), "beacon is not what certificate") != NULL);
            json_decref(c);
        }
        mtl_certificate_free(cert);
        n++;
    }
    CHECK_EQ_INT(n, 11);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    const char *shared = REQUIRE_SHARED();
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json", shared);
    certs = json_load_file(p, 0, NULL);
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/mithril-stake-distributions.json", shared);
    msds = json_load_file(p, JSON_PRESERVE_ORDER, NULL);
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/cardano-databases.json", shared);
    dbs = json_load_file(p, 0, NULL);
    if (!certs || !msds || !dbs)
        return 1;
    RUN(reference_stake_distributions_check);
    RUN(tampered_stake_distributions_fail);
    RUN(reference_cardano_databases_check);
    json_decref(certs);
    json_decref(msds);
    json_decref(dbs);
    return DONE();
}
