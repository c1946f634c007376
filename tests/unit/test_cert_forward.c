/* test_cert_forward.c - what we serve of a certificate reads as the
 * reference serves it (phi_f 0.95, serde's shortest round-trip, never
 * 0.94999999999999996), and the optional SNARK-era fields
 * ancillary_prover_data / ancillary_verifier_data are parsed, hashed as the
 * reference hashes them (their raw bytes appended after the signature) and
 * re-emitted, so a chain that starts carrying them still verifies. */
#include <jansson.h>

#include "cert/cert_int.h"
#include "cert_fetch.h"
#include "common/json_int.h"
#include "harness.h"

static json_t *certs;
static char *ref_text; /* certificates.json as the reference wrote it */
static uint8_t genesis_vk[32];
static char latest[65];

static void load(void)
{
    const char *shared = REQUIRE_SHARED();
    char path[4096];
    size_t len;
    snprintf(path, sizeof(path), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             shared);
    certs = json_load_file(path, JSON_PRESERVE_ORDER, NULL);
    if (mtl_read_file(path, 1 << 24, (uint8_t **)&ref_text, &len) != MTL_OK)
        ref_text = NULL;
    snprintf(path, sizeof(path), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey", shared);
    uint8_t *vk;
    if (!certs || !ref_text || mtl_read_file(path, 4096, &vk, &len) != MTL_OK ||
        mtl_genesis_vkey_decode(genesis_vk, (char *)vk) != MTL_OK) {
        fprintf(stderr, "cannot load reference data: %s\n", mtl_err_detail());
        exit(1);
    }
    mtl_free(vk);
    const char *h, *h2;
    json_t *c, *c2;
    json_object_foreach(certs, h, c)
    {
        int referenced = 0;
        json_object_foreach(certs, h2, c2) referenced |=
            strcmp(json_string_value(json_object_get(c2, "previous_hash")), h) == 0;
        if (!referenced)
            snprintf(latest, sizeof(latest), "%s", h);
    }
}

/* The number token written after the first "phi_f": at or after *pos. */
static int phi_token(const char **pos, char out[40])
{
    const char *p = strstr(*pos, "\"phi_f\":");
    if (!p)
        return 0;
    p += strlen("\"phi_f\":");
    while (*p == ' ')
        p++;
    size_t n = strspn(p, "0123456789.eE+-");
    if (n == 0 || n >= 40)
        return 0;
    memcpy(out, p, n);
    out[n] = 0;
    *pos = p + n;
    return 1;
}

TEST(phi_f_reads_as_the_reference_writes_it)
{
    /* the reference file's own rendering, certificate by certificate */
    const char *pos = ref_text;
    char want[40], got[40];
    size_t nref = 0;
    while (phi_token(&pos, want)) {
        CHECK_EQ_STR(want, "0.95");
        nref++;
    }
    CHECK_EQ_INT((int)nref, (int)json_object_size(certs));
    const char *h;
    json_t *c;
    json_object_foreach(certs, h, c)
    {
        char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
        struct mtl_certificate *cert;
        CHECK_OK(mtl_certificate_from_json(&cert, s, strlen(s)));
        free(s);
        char *mine;
        CHECK_OK(mtl_certificate_to_json(cert, &mine));
        const char *p = mine;
        CHECK(phi_token(&p, got));
        CHECK_EQ_STR(got, "0.95");
        mtl_free(mine);
        mtl_certificate_free(cert);
    }
}

/* Rust's {} (serde_json) writes the shortest text that reads back as the
 * same double: these are its renderings. */
TEST(reals_are_shortest_round_trip)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.95, "[0.95]"},
        {0.65, "[0.65]"},
        {0.2, "[0.2]"},
        {1.0, "[1.0]"},
        {0.1 + 0.2, "[0.30000000000000004]"},
        {0.94999999999999996, "[0.95]"},
        {0.123456789012345, "[0.123456789012345]"},
    };
    for (size_t i = 0; i < MTL_ARRAY_LEN(cases); i++) {
        json_t *a = json_pack("[f]", cases[i].v);
        char *s = mtl_json_dumps(a, JSON_COMPACT);
        CHECK_EQ_STR(s, cases[i].want);
        free(s);
        json_decref(a);
    }
    /* several reals in one document each keep their short form */
    json_t *a = json_pack("{s:f,s:f,s:i}", "phi_f", 0.95, "other", 0.65, "k", 5);
    char *s = mtl_json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_EQ_STR(s, "{\"phi_f\":0.95,\"other\":0.65,\"k\":5}");
    free(s);
    json_decref(a);
}

/* Re-hash c (a certificate JSON), from our own parse of it. */
static void rehash(json_t *c, char out[65])
{
    char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct mtl_certificate *cert;
    CHECK_OK(mtl_certificate_from_json(&cert, s, strlen(s)));
    CHECK_OK(mtl_certificate_compute_hash(cert, out));
    mtl_certificate_free(cert);
    free(s);
    json_object_set_new(c, "hash", json_string(out));
}

/* Hash of the latest reference certificate with the given optional fields
 * (NULL = absent). */
static void hash_with(const char *prover, const char *verifier, char out[65])
{
    json_t *c = json_deep_copy(json_object_get(certs, latest));
    if (prover)
        json_object_set_new(c, "ancillary_prover_data", json_string(prover));
    if (verifier)
        json_object_set_new(c, "ancillary_verifier_data", json_string(verifier));
    rehash(c, out);
    json_decref(c);
}

TEST(ancillary_bytes_are_appended_to_the_hash)
{
    char none[65], a[65], b[65], c[65], d[65], e[65];
    hash_with(NULL, NULL, none);
    CHECK_EQ_STR(none, latest); /* absent: nothing changes */
    /* the reference feeds the raw bytes of the prover data, then of the
     * verifier data: the split between them and the hex case do not count,
     * the bytes do */
    hash_with("aabbcc", NULL, a);
    hash_with("aa", "bbcc", b);
    hash_with(NULL, "AABBCC", c);
    hash_with(NULL, "aabbcd", d);
    hash_with(NULL, NULL, e);
    CHECK(strcmp(a, none) != 0);
    CHECK_EQ_STR(a, b);
    CHECK_EQ_STR(a, c);
    CHECK(strcmp(d, a) != 0);
    CHECK_EQ_STR(e, none);
    /* null is absent, as serde's default */
    json_t *j = json_deep_copy(json_object_get(certs, latest));
    json_object_set_new(j, "ancillary_prover_data", json_null());
    char *s = json_dumps(j, JSON_COMPACT), *back;
    struct mtl_certificate *cert;
    CHECK_OK(mtl_certificate_from_json(&cert, s, strlen(s)));
    CHECK_OK(mtl_certificate_compute_hash(cert, e));
    CHECK_EQ_STR(e, none);
    CHECK_OK(mtl_certificate_to_json(cert, &back));
    CHECK(strstr(back, "ancillary") == NULL);
    mtl_free(back);
    mtl_certificate_free(cert);
    free(s);
    json_decref(j);
}

TEST(malformed_ancillary_fields_are_named)
{
    static const char *bad[] = {"abc", "zz", ""};
    for (size_t i = 0; i < MTL_ARRAY_LEN(bad); i++) {
        json_t *j = json_deep_copy(json_object_get(certs, latest));
        json_object_set_new(j, "ancillary_verifier_data", json_string(bad[i]));
        char *s = json_dumps(j, JSON_COMPACT);
        struct mtl_certificate *cert;
        CHECK_ERR(mtl_certificate_from_json(&cert, s, strlen(s)), MTL_ERR_BAD_ENCODING);
        CHECK(strstr(mtl_err_detail(), "ancillary_verifier_data") != NULL);
        free(s);
        json_decref(j);
    }
    json_t *j = json_deep_copy(json_object_get(certs, latest));
    json_object_set_new(j, "ancillary_prover_data", json_integer(7));
    char *s = json_dumps(j, JSON_COMPACT);
    struct mtl_certificate *cert;
    CHECK_ERR(mtl_certificate_from_json(&cert, s, strlen(s)), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "ancillary_prover_data") != NULL);
    free(s);
    json_decref(j);
}

/* A copy of the chain whose last depth+1 certificates carry the fields,
 * every hash from there to the latest recomputed; *start is the new latest. */
static json_t *carrying(int depth, char start[65])
{
    json_t *copy = json_deep_copy(certs);
    char path[8][65];
    snprintf(path[0], 65, "%s", latest);
    for (int i = 1; i <= depth; i++)
        snprintf(path[i], 65, "%s",
                 json_string_value(
                     json_object_get(json_object_get(copy, path[i - 1]), "previous_hash")));
    char prev[65] = "";
    for (int i = depth; i >= 0; i--) {
        json_t *c = json_deep_copy(json_object_get(copy, path[i]));
        json_object_set_new(c, "ancillary_prover_data", json_string("0102030405"));
        json_object_set_new(c, "ancillary_verifier_data", json_string("a0b1c2d3"));
        if (prev[0])
            json_object_set_new(c, "previous_hash", json_string(prev));
        rehash(c, prev);
        json_object_del(copy, path[i]);
        json_object_set_new(copy, prev, c);
    }
    snprintf(start, 65, "%s", prev);
    return copy;
}

TEST(chain_carrying_ancillary_fields_verifies)
{
    size_t checked;
    char start[65];
    json_t *copy = carrying(3, start);
    CHECK(strcmp(start, latest) != 0);
    struct mtl_chain_verify_opts o = {.fetch = fetch_from, .fetch_ctx = copy};
    CHECK_OK(mtl_certificate_chain_verify(start, genesis_vk, &o, &checked));
    /* the fields are kept and served again, and read back to the same hash */
    json_t *c = json_object_get(copy, start);
    char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER), *mine, h[65];
    struct mtl_certificate *cert, *back;
    CHECK_OK(mtl_certificate_from_json(&cert, s, strlen(s)));
    CHECK_OK(mtl_certificate_to_json(cert, &mine));
    CHECK(strstr(mine, "\"ancillary_prover_data\":\"0102030405\"") != NULL);
    CHECK(strstr(mine, "\"ancillary_verifier_data\":\"a0b1c2d3\"") != NULL);
    CHECK_OK(mtl_certificate_from_json(&back, mine, strlen(mine)));
    CHECK_OK(mtl_certificate_compute_hash(back, h));
    CHECK_EQ_STR(h, start);
    mtl_certificate_free(back);
    mtl_certificate_free(cert);
    mtl_free(mine);
    free(s);
    /* altered without recomputing the hash: refused, at the latest and
     * further down the chain */
    json_object_set_new(c, "ancillary_verifier_data", json_string("a0b1c2d4"));
    CHECK_ERR(mtl_certificate_chain_verify(start, genesis_vk, &o, &checked), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "hash does not match") != NULL);
    json_decref(copy);

    copy = carrying(3, start);
    o.fetch_ctx = copy;
    const char *p =
        json_string_value(json_object_get(json_object_get(copy, start), "previous_hash"));
    json_object_set_new(json_object_get(copy, p), "ancillary_prover_data",
                        json_string("0102030406"));
    CHECK_ERR(mtl_certificate_chain_verify(start, genesis_vk, &o, &checked), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "hash does not match") != NULL);
    /* dropped without recomputing the hash: refused too */
    json_decref(copy);
    copy = carrying(0, start);
    o.fetch_ctx = copy;
    json_object_del(json_object_get(copy, start), "ancillary_prover_data");
    CHECK_ERR(mtl_certificate_chain_verify(start, genesis_vk, &o, &checked), MTL_ERR_INTEGRITY);
    json_decref(copy);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    load();
    RUN(phi_f_reads_as_the_reference_writes_it);
    RUN(reals_are_shortest_round_trip);
    RUN(ancillary_bytes_are_appended_to_the_hash);
    RUN(malformed_ancillary_fields_are_named);
    RUN(chain_carrying_ancillary_fields_verifies);
    json_decref(certs);
    mtl_free(ref_text);
    return DONE();
}
