/* test_cert_chain.c - the reference's 43-certificate chain verifies to its
 * genesis with the devnet genesis key; every tampered field is rejected with
 * the right error; loops and missing links end in errors; the cache works. */
#include <jansson.h>
#include <unistd.h>

#include "cert/cert_int.h"
#include "cert_fetch.h"
#include "harness.h"

static json_t *certs;
static uint8_t genesis_vk[32];
static char latest[65];

static void load(void)
{
    const char *shared = REQUIRE_SHARED();
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             shared);
    certs = json_load_file(path, JSON_PRESERVE_ORDER, NULL);
    snprintf(path, sizeof(path), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey", shared);
    uint8_t *vk;
    size_t len;
    if (!certs || mtl_read_file(path, 4096, &vk, &len) != MTL_OK ||
        mtl_genesis_vkey_decode(genesis_vk, (char *)vk) != MTL_OK) {
        fprintf(stderr, "cannot load reference data: %s\n", mtl_err_detail());
        exit(1);
    }
    mtl_free(vk);
    /* latest = the certificate no other certificate points back to */
    const char *h;
    json_t *c;
    json_object_foreach(certs, h, c)
    {
        int referenced = 0;
        const char *h2;
        json_t *c2;
        json_object_foreach(certs, h2, c2) referenced |=
            strcmp(json_string_value(json_object_get(c2, "previous_hash")), h) == 0;
        if (!referenced)
            snprintf(latest, sizeof(latest), "%s", h);
    }
}

/* A unique path that does not exist yet (the cache file to be). */
static int fresh_path(char *tmpl)
{
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return 0;
    close(fd);
    unlink(tmpl);
    return 1;
}

TEST(reference_hashes_recompute)
{
    const char *h;
    json_t *c;
    int n = 0;
    json_object_foreach(certs, h, c)
    {
        char *s = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
        struct mtl_certificate *cert;
        CHECK_OK(mtl_certificate_from_json(&cert, s, strlen(s)));
        free(s);
        char hash[65], sm[65];
        CHECK_OK(mtl_certificate_compute_hash(cert, hash));
        CHECK_EQ_STR(hash, h);
        mtl_protocol_message_hash(mtl_certificate_protocol_message(cert), sm);
        CHECK_EQ_STR(sm, mtl_certificate_signed_message(cert));
        /* our JSON of it decodes back to the same certificate hash */
        char *again;
        struct mtl_certificate *back;
        CHECK_OK(mtl_certificate_to_json(cert, &again));
        CHECK_OK(mtl_certificate_from_json(&back, again, strlen(again)));
        CHECK_OK(mtl_certificate_compute_hash(back, hash));
        CHECK_EQ_STR(hash, h);
        mtl_free(again);
        mtl_certificate_free(back);
        mtl_certificate_free(cert);
        n++;
    }
    CHECK_EQ_INT(n, 43);
}

/* The chain is a tree (certificates of an epoch link to its first one): every
 * one of the 43 certificates verifies down to the genesis certificate. */
TEST(reference_chain_verifies_to_genesis)
{
    struct mtl_chain_verify_opts o = {.fetch = fetch_from, .fetch_ctx = certs};
    size_t checked;
    const char *h;
    json_t *c;
    int n = 0;
    json_object_foreach(certs, h, c)
    {
        CHECK_OK(mtl_certificate_chain_verify(h, genesis_vk, &o, &checked));
        CHECK(checked >= 1);
        n++;
    }
    CHECK_EQ_INT(n, 43);
    CHECK_OK(mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked));
    /* another genesis key: the walk fails at the genesis certificate */
    uint8_t other[32];
    memcpy(other, genesis_vk, 32);
    other[0] ^= 1;
    CHECK(mtl_certificate_chain_verify(latest, other, &o, &checked) != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "genesis") != NULL);
}

TEST(cache_skips_verified_certificates)
{
    char path[] = "/tmp/mtl-cert-cache-XXXXXX";
    CHECK(fresh_path(path));
    struct mtl_chain_verify_opts o = {.fetch = fetch_from, .fetch_ctx = certs, .cache_path = path};
    size_t checked;
    /* cold: all 43 certificates get checked once across the walks */
    size_t total = 0;
    const char *h;
    json_t *c;
    json_object_foreach(certs, h, c)
    {
        CHECK_OK(mtl_certificate_chain_verify(h, genesis_vk, &o, &checked));
        total += checked;
    }
    CHECK_EQ_INT(total, 43);
    /* warm: nothing left to check */
    CHECK_OK(mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked));
    CHECK_EQ_INT(checked, 0);
    /* the cache is keyed by genesis key: another key verifies from scratch and fails */
    uint8_t other[32];
    memcpy(other, genesis_vk, 32);
    other[5] ^= 1;
    CHECK(mtl_certificate_chain_verify(latest, other, &o, &checked) != MTL_OK);
    unlink(path);
}

/* Tamper one field of one certificate in a copy of the chain. */
typedef void (*tamper_fn)(json_t *cert);
static void t_hash(json_t *c)
{
    json_object_set_new(c, "hash", json_string("00000000000000000000000000000000000000000000000000000"
                                               "00000000000"));
}
static void t_epoch(json_t *c)
{
    json_object_set_new(c, "epoch", json_integer(json_integer_value(json_object_get(c, "epoch")) + 1));
}
static void t_signers(json_t *c)
{
    json_t *s = json_array_get(json_object_get(json_object_get(c, "metadata"), "signers"), 0);
    if (s)
        json_object_set_new(s, "stake", json_integer(12345));
    else
        json_array_append_new(json_object_get(json_object_get(c, "metadata"), "signers"),
                              json_pack("{s:s,s:i}", "party_id", "pool1x", "stake", 1));
}
static void t_params(json_t *c)
{
    json_object_set_new(json_object_get(json_object_get(c, "metadata"), "parameters"), "k",
                        json_integer(71));
}
static void t_part(json_t *c)
{
    json_object_set_new(json_object_get(json_object_get(c, "protocol_message"), "message_parts"),
                        "next_protocol_parameters", json_string("00"));
}
static void t_signed_message(json_t *c)
{
    char s[65];
    snprintf(s, sizeof(s), "%s", json_string_value(json_object_get(c, "signed_message")));
    s[0] = s[0] == 'a' ? 'b' : 'a';
    json_object_set_new(c, "signed_message", json_string(s));
}
static void t_avk(json_t *c)
{
    const char *a = json_string_value(json_object_get(c, "aggregate_verification_key"));
    char *s = mtl_strdup(a);
    s[strlen(s) - 3] = s[strlen(s) - 3] == '1' ? '2' : '1'; /* a digit of total_stake */
    json_object_set_new(c, "aggregate_verification_key", json_string(s));
    mtl_free(s);
}
static void t_multisig(json_t *c)
{
    const char *a = json_string_value(json_object_get(c, "multi_signature"));
    if (!*a)
        return;
    char *s = mtl_strdup(a);
    /* first sigma byte: "7b227369676e617475726573223a5b5b7b227369676d61223a5b" then digits */
    size_t off = strlen("7b227369676e617475726573223a5b5b7b227369676d61223a5b");
    s[off + 1] = s[off + 1] == '1' ? '2' : '1';
    json_object_set_new(c, "multi_signature", json_string(s));
    mtl_free(s);
}
static void t_genesis_sig(json_t *c)
{
    const char *a = json_string_value(json_object_get(c, "genesis_signature"));
    if (!*a)
        return;
    char *s = mtl_strdup(a);
    s[10] = s[10] == '0' ? '1' : '0';
    json_object_set_new(c, "genesis_signature", json_string(s));
    mtl_free(s);
}
static void t_previous(json_t *c)
{
    const char *a = json_string_value(json_object_get(c, "previous_hash"));
    if (!*a)
        return;
    char *s = mtl_strdup(a);
    s[3] = s[3] == '0' ? '1' : '0';
    json_object_set_new(c, "previous_hash", json_string(s));
    mtl_free(s);
}

/* Tamper `field` of the certificate at position `depth` below the latest,
 * re-keying it under its (possibly recomputed) hash so that only the one
 * broken rule is exercised where possible. */
static mtl_err verify_tampered(tamper_fn f, int depth, int rehash)
{
    json_t *copy = json_deep_copy(certs);
    const char *h = latest;
    char cur[65];
    snprintf(cur, sizeof(cur), "%s", h);
    for (int i = 0; i < depth; i++) { /* stops at the genesis certificate */
        const char *p = json_string_value(json_object_get(json_object_get(copy, cur), "previous_hash"));
        if (!*p) {
            depth = i;
            break;
        }
        snprintf(cur, sizeof(cur), "%s", p);
    }
    json_t *c = json_deep_copy(json_object_get(copy, cur));
    f(c);
    char newhash[65];
    snprintf(newhash, sizeof(newhash), "%s", json_string_value(json_object_get(c, "hash")));
    if (rehash) {
        char *s = json_dumps(c, JSON_COMPACT);
        struct mtl_certificate *cert;
        if (mtl_certificate_from_json(&cert, s, strlen(s)) == MTL_OK) {
            mtl_certificate_compute_hash(cert, newhash);
            mtl_certificate_free(cert);
            json_object_set_new(c, "hash", json_string(newhash));
        }
        free(s);
    }
    json_object_del(copy, cur);
    json_object_set_new(copy, newhash, c);
    /* point the child at the new hash so the walk reaches it */
    char start[65];
    int is_genesis = !*json_string_value(json_object_get(c, "previous_hash"));
    snprintf(start, sizeof(start), "%s", depth == 0 || is_genesis ? newhash : latest);
    if (depth > 0) {
        const char *k;
        json_t *v;
        json_object_foreach(copy, k, v) if (strcmp(json_string_value(json_object_get(
                                                       v, "previous_hash")),
                                                   cur) == 0)
            json_object_set_new(v, "previous_hash", json_string(newhash));
    }
    struct mtl_chain_verify_opts o = {.fetch = fetch_from, .fetch_ctx = copy};
    size_t checked;
    mtl_err rc = mtl_certificate_chain_verify(start, genesis_vk, &o, &checked);
    json_decref(copy);
    return rc;
}

TEST(tampered_fields_are_rejected)
{
    struct {
        tamper_fn f;
        int depth, rehash;
        mtl_err want;
        const char *detail;
    } cases[] = {
        {t_hash, 0, 0, MTL_ERR_INTEGRITY, "hash does not match"},
        {t_epoch, 0, 1, MTL_ERR_CHAIN, "epoch"},
        {t_signers, 3, 0, MTL_ERR_INTEGRITY, "hash does not match"},
        {t_signers, 3, 1, MTL_ERR_INTEGRITY, "hash does not match"},
        {t_params, 0, 1, MTL_ERR_CHAIN, "protocol parameters"},
        {t_part, 0, 1, MTL_ERR_INTEGRITY, "signed_message"},
        {t_signed_message, 0, 1, MTL_ERR_INTEGRITY, "signed_message"},
        {t_avk, 0, 1, MTL_ERR_CHAIN, "AVK"},
        {t_multisig, 0, 1, MTL_ERR__COUNT /* any error */, "multi-signature"},
        {t_multisig, 0, 0, MTL_ERR_INTEGRITY, "hash does not match"},
        {t_genesis_sig, 42, 1, MTL_ERR_VERIFY_FAIL, "genesis"},
        {t_previous, 0, 1, MTL_ERR_CHAIN, "cannot retrieve"},
        {t_previous, 5, 1, MTL_ERR_INTEGRITY, "hash does not match"},
    };
    for (size_t i = 0; i < MTL_ARRAY_LEN(cases); i++) {
        mtl_err rc = verify_tampered(cases[i].f, cases[i].depth, cases[i].rehash);
        int code_ok = cases[i].want == MTL_ERR__COUNT ? rc != MTL_OK : rc == cases[i].want;
        if (!code_ok || !strstr(mtl_err_detail(), cases[i].detail)) {
            fprintf(stderr, "case %zu: got %s (%s)\n", i, mtl_strerror(rc), mtl_err_detail());
            CHECK(0);
        }
    }
}

TEST(loops_and_missing_links)
{
    /* a certificate whose previous_hash is itself: its content cannot hash
     * to the hash it names, which is what the walk sees first */
    json_t *copy = json_deep_copy(certs);
    json_t *c = json_object_get(copy, latest);
    json_object_set_new(c, "previous_hash", json_string(latest));
    struct mtl_chain_verify_opts o = {.fetch = fetch_from, .fetch_ctx = copy};
    size_t checked;
    CHECK_ERR(mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked), MTL_ERR_INTEGRITY);
    json_decref(copy);
    /* a missing link */
    copy = json_deep_copy(certs);
    const char *prev = json_string_value(json_object_get(json_object_get(copy, latest), "previous_hash"));
    char p[65];
    snprintf(p, sizeof(p), "%s", prev);
    json_object_del(copy, p);
    o.fetch_ctx = copy;
    mtl_err rc = mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked);
    CHECK_ERR(rc, MTL_ERR_CHAIN);
    CHECK(strstr(mtl_err_detail(), p) != NULL);
    json_decref(copy);
    /* bounded walk */
    o.fetch_ctx = certs;
    o.max_certificates = 3;
    CHECK_ERR(mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked), MTL_ERR_CHAIN);
}

TEST(malformed_certificates_name_the_field)
{
    struct mtl_certificate *c;
    CHECK_ERR(mtl_certificate_from_json(&c, "{", 1), MTL_ERR_BAD_ENCODING);
    json_t *one = json_deep_copy(json_object_get(certs, latest));
    json_object_del(one, "signed_message");
    char *s = json_dumps(one, JSON_COMPACT);
    CHECK_ERR(mtl_certificate_from_json(&c, s, strlen(s)), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "signed_message") != NULL);
    free(s);
    json_object_set_new(one, "signed_message", json_integer(3));
    json_object_set_new(json_object_get(one, "metadata"), "sealed_at", json_string("yesterday"));
    s = json_dumps(one, JSON_COMPACT);
    CHECK_ERR(mtl_certificate_from_json(&c, s, strlen(s)), MTL_ERR_BAD_ENCODING);
    free(s);
    json_decref(one);
}

/* A forged copy of certificate h: a protocol message part changed and
 * signed_message recomputed, or the multi-signature of another certificate;
 * its hash field kept (what a lying server answers). */
static json_t *forged(const char *h, int what)
{
    json_t *c = json_deep_copy(json_object_get(certs, h));
    if (what == 0) {
        json_object_set_new(
            json_object_get(json_object_get(c, "protocol_message"), "message_parts"),
            "next_protocol_parameters", json_string("00"));
        char *s = json_dumps(c, JSON_COMPACT);
        struct mtl_certificate *cert;
        char sm[65] = "";
        if (mtl_certificate_from_json(&cert, s, strlen(s)) == MTL_OK) {
            mtl_protocol_message_hash(mtl_certificate_protocol_message(cert), sm);
            mtl_certificate_free(cert);
        }
        free(s);
        json_object_set_new(c, "signed_message", json_string(sm));
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(certs, k,
                            v) if (strcmp(k, h) != 0 &&
                                   *json_string_value(json_object_get(v, "multi_signature")))
        {
            json_object_set(c, "multi_signature", json_object_get(v, "multi_signature"));
            break;
        }
    }
    return c;
}

/* Serves certificates, answering `forged_one` for `hash` from the
 * `genuine_first`+1-th request of it on. */
struct two_faced {
    json_t *all, *forged_one;
    const char *hash;
    int asked, genuine_first;
};

static mtl_err fetch_two_faced(void *ctx, const char *hash, char **json, size_t *len)
{
    struct two_faced *t = ctx;
    if (strcmp(hash, t->hash) != 0 || t->asked++ < t->genuine_first)
        return fetch_from(t->all, hash, json, len);
    char *s = json_dumps(t->forged_one, JSON_COMPACT | JSON_PRESERVE_ORDER);
    *json = mtl_strdup(s);
    *len = strlen(s);
    free(s);
    return MTL_OK;
}

/* With a warm cache, a certificate whose message or multi-signature was
 * altered under the same hash field is refused: a cache hit is for the
 * content verified before, never for a hash field. */
TEST(warm_cache_does_not_vouch_for_altered_content)
{
    char path[] = "/tmp/mtl-cert-cache-XXXXXX";
    CHECK(fresh_path(path));
    struct mtl_chain_verify_opts o = {.fetch = fetch_from, .fetch_ctx = certs, .cache_path = path};
    size_t checked;
    CHECK_OK(mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked));
    CHECK_OK(mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked));
    CHECK_EQ_INT(checked, 0); /* warm */
    for (int what = 0; what < 2; what++) {
        struct two_faced t = {certs, forged(latest, what), latest, 0, 0};
        o.fetch = fetch_two_faced;
        o.fetch_ctx = &t;
        CHECK_ERR(mtl_certificate_chain_verify(latest, genesis_vk, &o, &checked),
                  MTL_ERR_INTEGRITY);
        CHECK(strstr(mtl_err_detail(), "hash does not match its content") != NULL);
        json_decref(t.forged_one);
    }
    unlink(path);
}

/* The walk hands back the certificate it verified: a server answering the
 * genuine certificate first and a forged one afterwards cannot slip the
 * forged message to the artifact check. */
TEST(chain_verify_get_hands_back_the_verified_certificate)
{
    struct two_faced t = {certs, forged(latest, 0), latest, 0, 1};
    struct mtl_chain_verify_opts o = {.fetch = fetch_two_faced, .fetch_ctx = &t};
    struct mtl_certificate *got;
    size_t checked;
    CHECK_OK(mtl_certificate_chain_verify_get(&got, latest, genesis_vk, &o, &checked));
    CHECK(got != NULL);
    char h[65];
    CHECK_OK(mtl_certificate_compute_hash(got, h));
    CHECK_EQ_STR(h, latest);
    CHECK_EQ_STR(
        mtl_certificate_signed_message(got),
        json_string_value(json_object_get(json_object_get(certs, latest), "signed_message")));
    mtl_certificate_free(got);
    /* a failed walk hands back nothing */
    t.asked = 0;
    t.genuine_first = 0;
    got = (struct mtl_certificate *)&t;
    CHECK(mtl_certificate_chain_verify_get(&got, latest, genesis_vk, &o, &checked) != MTL_OK);
    CHECK(got == NULL);
    json_decref(t.forged_one);
}

int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    load();
    RUN(reference_hashes_recompute);
    RUN(reference_chain_verifies_to_genesis);
    RUN(cache_skips_verified_certificates);
    RUN(tampered_fields_are_rejected);
    RUN(loops_and_missing_links);
    RUN(malformed_certificates_name_the_field);
    RUN(warm_cache_does_not_vouch_for_altered_content);
    RUN(chain_verify_get_hands_back_the_verified_certificate);
    json_decref(certs);
    return DONE();
}
