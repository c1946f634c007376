/* test_stm_reference.c - every multi-signed certificate the reference made
 * verifies with our STM code; tampering with any part is rejected; decoded
 * reference objects re-encode to the same JSON-hex. */
#include <jansson.h>

#include "harness.h"
#include "stm/stm_int.h"

static json_t *certs;

static void load(void)
{
    const char *shared = REQUIRE_SHARED();
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             shared);
    json_error_t e;
    certs = json_load_file(path, 0, &e);
    if (!certs) {
        fprintf(stderr, "cannot load %s: %s\n", path, e.text);
        exit(1);
    }
}

static void params_of(const json_t *c, struct mtl_stm_params *p)
{
    const json_t *pp = json_object_get(json_object_get(c, "metadata"), "parameters");
    p->k = (uint64_t)json_integer_value(json_object_get(pp, "k"));
    p->m = (uint64_t)json_integer_value(json_object_get(pp, "m"));
    p->phi_f = json_real_value(json_object_get(pp, "phi_f"));
}

#define FOR_MULTISIGNED(c)                                                                         \
    const char *key_;                                                                              \
    json_t *c;                                                                                     \
    json_object_foreach(                                                                           \
        certs, key_, c) if (strlen(json_string_value(json_object_get(c, "multi_signature"))) > 0)

TEST(all_reference_multisignatures_verify)
{
    int n = 0;
    FOR_MULTISIGNED(c)
    {
        struct mtl_stm_params p;
        params_of(c, &p);
        const char *msg = json_string_value(json_object_get(c, "signed_message"));
        CHECK_OK(mtl_stm_verify_multisig_jsonhex(
            json_string_value(json_object_get(c, "multi_signature")),
            json_string_value(json_object_get(c, "aggregate_verification_key")),
            (const uint8_t *)msg, strlen(msg), &p));
        n++;
    }
    CHECK(n >= 40);
    printf("verified %d reference multi-signatures\n", n);
}

/* Decode the multi-signature JSON, apply a change, re-encode it. */
static char *mutate(const char *hex, void (*f)(json_t *))
{
    char *text, *out;
    size_t len;
    if (mtl_jsonhex_decode(&text, &len, hex) != MTL_OK)
        return NULL;
    json_t *j = json_loads(text, 0, NULL);
    mtl_free(text);
    f(j);
    char *t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    mtl_jsonhex_encode(&out, t, strlen(t));
    free(t);
    return out;
}

static json_t *first_sig(json_t *ms)
{
    return json_array_get(json_array_get(json_object_get(ms, "signatures"), 0), 0);
}
static void flip_sigma(json_t *ms)
{
    json_t *a = json_object_get(first_sig(ms), "sigma");
    json_array_set_new(a, 10, json_integer(json_integer_value(json_array_get(a, 10)) ^ 1));
}
static void change_index(json_t *ms)
{
    json_t *a = json_object_get(first_sig(ms), "indexes");
    json_array_set_new(a, 0, json_integer(json_integer_value(json_array_get(a, 0)) + 1000));
}
static void duplicate_index(json_t *ms)
{
    json_t *s0 = json_object_get(first_sig(ms), "indexes");
    json_t *s1 = json_object_get(
        json_array_get(json_array_get(json_object_get(ms, "signatures"), 1), 0), "indexes");
    if (s1)
        json_array_append_new(s1, json_integer(json_integer_value(json_array_get(s0, 0))));
}
static void change_stake(json_t *ms)
{
    json_t *party = json_array_get(json_array_get(json_object_get(ms, "signatures"), 0), 1);
    json_array_set_new(party, 1, json_integer(json_integer_value(json_array_get(party, 1)) + 1));
}
static void drop_signature(json_t *ms)
{
    json_array_remove(json_object_get(ms, "signatures"), 1);
}
static void avk_root(json_t *avk)
{
    json_t *r = json_object_get(json_object_get(avk, "mt_commitment"), "root");
    json_array_set_new(r, 0, json_integer(json_integer_value(json_array_get(r, 0)) ^ 0x80));
}
static void avk_stake(json_t *avk)
{
    json_object_set_new(avk, "total_stake",
                        json_integer(json_integer_value(json_object_get(avk, "total_stake")) * 2));
}

TEST(tampered_reference_multisignatures_are_rejected)
{
    int tested = 0;
    FOR_MULTISIGNED(c)
    {
        struct mtl_stm_params p;
        params_of(c, &p);
        const char *msg = json_string_value(json_object_get(c, "signed_message"));
        const char *ms = json_string_value(json_object_get(c, "multi_signature"));
        const char *avk = json_string_value(json_object_get(c, "aggregate_verification_key"));
        void (*ms_muts[])(json_t *) = {flip_sigma, change_index, duplicate_index, change_stake,
                                       drop_signature};
        for (size_t i = 0; i < MTL_ARRAY_LEN(ms_muts); i++) {
            char *bad = mutate(ms, ms_muts[i]);
            CHECK(bad);
            if (strcmp(bad, ms) != 0)
                CHECK(mtl_stm_verify_multisig_jsonhex(bad, avk, (const uint8_t *)msg, strlen(msg),
                                                      &p) != MTL_OK);
            mtl_free(bad);
        }
        void (*avk_muts[])(json_t *) = {avk_root, avk_stake};
        for (size_t i = 0; i < MTL_ARRAY_LEN(avk_muts); i++) {
            char *bad = mutate(avk, avk_muts[i]);
            CHECK(mtl_stm_verify_multisig_jsonhex(ms, bad, (const uint8_t *)msg, strlen(msg), &p) !=
                  MTL_OK);
            mtl_free(bad);
        }
        char other[65];
        memcpy(other, msg, 65);
        other[0] = other[0] == '0' ? '1' : '0';
        CHECK_ERR(mtl_stm_verify_multisig_jsonhex(ms, avk, (const uint8_t *)other, 64, &p),
                  MTL_ERR_VERIFY_FAIL);
        struct mtl_stm_params q = p;
        q.k = p.m * 10;
        CHECK_ERR(mtl_stm_verify_multisig_jsonhex(ms, avk, (const uint8_t *)msg, 64, &q),
                  MTL_ERR_NOT_ENOUGH_SIGS);
        if (++tested == 5)
            break;
    }
    CHECK(tested == 5);
}

TEST(reference_objects_reencode_identically)
{
    int n = 0;
    FOR_MULTISIGNED(c)
    {
        const char *avkhex = json_string_value(json_object_get(c, "aggregate_verification_key"));
        json_t *j;
        struct stm_avk avk;
        CHECK_OK(stm_json_load_hex(&j, avkhex, "avk"));
        CHECK_OK(stm_avk_from_json(&avk, j));
        json_decref(j);
        char *again;
        CHECK_OK(stm_json_dump_hex(&again, stm_avk_to_json(&avk)));
        CHECK_EQ_STR(again, avkhex);
        mtl_free(again);
        /* each single signature of the multi-signature */
        const char *mshex = json_string_value(json_object_get(c, "multi_signature"));
        CHECK_OK(stm_json_load_hex(&j, mshex, "ms"));
        size_t i;
        json_t *pair;
        json_array_foreach(json_object_get(j, "signatures"), i, pair)
        {
            struct stm_single s;
            CHECK_OK(stm_single_from_json(&s, json_array_get(pair, 0)));
            json_t *back = stm_single_to_json(&s);
            CHECK(json_equal(back, json_array_get(pair, 0)));
            char *t1 = json_dumps(back, JSON_COMPACT | JSON_PRESERVE_ORDER);
            char *t2 = json_dumps(json_array_get(pair, 0), JSON_COMPACT | JSON_PRESERVE_ORDER);
            CHECK_EQ_STR(t1, t2);
            free(t1);
            free(t2);
            json_decref(back);
            stm_single_clear(&s);
        }
        json_decref(j);
        n++;
    }
    CHECK(n > 0);
}

/* The reference's single signatures, re-aggregated by our clerk, give its
 * multi-signatures byte for byte: each MithrilStakeDistribution artifact's
 * signers (keys + PoP, stakes) registered with us give a closed registration
 * whose AVK is that of the certificates it signs; the single signatures
 * inside those certificates' multi-signatures go through
 * mtl_stm_aggregate_jsonhex again. */
TEST(reference_single_signatures_reaggregate_identically)
{
    char path[4096];
    snprintf(path, sizeof(path),
             "%s/reference-data/aggregator-fake-2026-05-21/"
             "mithril-stake-distributions.json",
             th_shared_dir());
    json_t *msds = json_load_file(path, 0, NULL), *msd;
    CHECK(msds && json_object_size(msds) > 0);
    struct mtl_stm_closed_reg *closed[32] = {0};
    char *avks[32] = {0};
    size_t nreg = 0;
    const char *mk;
    json_object_foreach(msds, mk, msd)
    {
        struct mtl_stm_keyreg *reg;
        size_t i;
        json_t *sg;
        if (nreg == MTL_ARRAY_LEN(closed) || mtl_stm_keyreg_new(&reg) != MTL_OK)
            break;
        json_array_foreach(json_object_get(msd, "signers"), i, sg)
            CHECK_OK(mtl_stm_keyreg_register_jsonhex(
                reg, (uint64_t)json_integer_value(json_object_get(sg, "stake")),
                json_string_value(json_object_get(sg, "verification_key"))));
        mtl_err rc = mtl_stm_keyreg_close(reg, &closed[nreg]);
        mtl_stm_keyreg_free(reg);
        CHECK_OK(rc);
        CHECK_OK(mtl_stm_closed_reg_avk_jsonhex(closed[nreg], &avks[nreg]));
        nreg++;
    }
    json_decref(msds);
    int same = 0;
    FOR_MULTISIGNED(c)
    {
        const char *avk = json_string_value(json_object_get(c, "aggregate_verification_key"));
        const char *ms = json_string_value(json_object_get(c, "multi_signature"));
        const char *msg = json_string_value(json_object_get(c, "signed_message"));
        size_t r = 0;
        while (r < nreg && strcmp(avks[r], avk) != 0)
            r++;
        if (r == nreg)
            continue; /* signed by a registration no artifact lists */
        struct mtl_stm_params p;
        params_of(c, &p);
        char *text, *sigs[16] = {0}, *again = NULL;
        size_t len, n = 0, i;
        CHECK_OK(mtl_jsonhex_decode(&text, &len, ms));
        json_t *j = json_loads(text, 0, NULL), *pair;
        mtl_free(text);
        json_array_foreach(json_object_get(j, "signatures"), i, pair)
        {
            char *t = json_dumps(json_array_get(pair, 0), JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (n < MTL_ARRAY_LEN(sigs) && t &&
                mtl_jsonhex_encode(&sigs[n], t, strlen(t)) == MTL_OK)
                n++;
            free(t);
        }
        json_decref(j);
        mtl_err rc = mtl_stm_aggregate_jsonhex(closed[r], &p, (const char *const *)sigs, n,
                                               (const uint8_t *)msg, strlen(msg), &again);
        for (i = 0; i < n; i++)
            mtl_free(sigs[i]);
        CHECK_OK(rc);
        CHECK_EQ_STR(again, ms);
        mtl_free(again);
        same++;
    }
    for (size_t r = 0; r < nreg; r++) {
        mtl_stm_closed_reg_free(closed[r]);
        mtl_free(avks[r]);
    }
    printf("re-aggregated %d reference multi-signatures identically\n", same);
    CHECK(same >= 20);
}

TEST(decoders_reject_garbage)
{
    struct mtl_stm_params p = {105, 70, 0.95};
    const uint8_t msg[4] = "abcd";
    CHECK_ERR(mtl_stm_verify_multisig_jsonhex("zz", "7b7d", msg, 4, &p), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_stm_verify_multisig_jsonhex("7b7d", "7b7d", msg, 4, &p), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "mt_commitment") != NULL);
    /* trailing garbage after the JSON text */
    char *hex;
    const char *t = "{\"mt_commitment\":{\"root\":[1],\"nr_leaves\":1,\"hasher\":null},"
                    "\"total_stake\":1}xx";
    CHECK_OK(mtl_jsonhex_encode(&hex, t, strlen(t)));
    CHECK_ERR(mtl_stm_verify_multisig_jsonhex("7b7d", hex, msg, 4, &p), MTL_ERR_BAD_ENCODING);
    mtl_free(hex);
}

int main(void)
{

    mtl_init();
    load();
    RUN(all_reference_multisignatures_verify);
    RUN(tampered_reference_multisignatures_are_rejected);
    RUN(reference_objects_reencode_identically);
    RUN(reference_single_signatures_reaggregate_identically);
    RUN(decoders_reject_garbage);
    json_decref(certs);
    return DONE();
}
