/* test_cert_proofs_json.c - proof messages whose long strings are lifted
 * out of jansson's way (src/cert/json_lift.c) read exactly as before: the
 * reference's v2 message verifies, its proof with an escape in it (not
 * lifted) too, and a forged placeholder ("\u0000" and an index, beside the
 * real proof moved to another field) is refused instead of reading that
 * other string. */
#include <jansson.h>

#include "harness.h"
#include "mithril/mithril.h"

static json_t *message;      /* a reference v2 message */
static const char *kept_key; /* its transaction */

static mtl_err check_json(const json_t *m)
{
    char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct mtl_certified_set set;
    mtl_err rc = mtl_proofs_check(&set, MTL_PROOFS_TRANSACTIONS_V2, s, strlen(s));
    if (rc == MTL_OK) {
        if (!mtl_certified_set_has(&set, kept_key))
            rc = MTL_ERR_INTERNAL;
        mtl_certified_set_free(&set);
    }
    free(s);
    return rc;
}

static json_t *certified(json_t *m)
{
    return json_object_get(m, "certified_transactions");
}

TEST(reference_message_verifies)
{
    const char *proof = json_string_value(json_object_get(certified(message), "proof"));
    CHECK(proof && strlen(proof) > 256); /* long enough to be lifted */
    CHECK_OK(check_json(message));
}

TEST(escaped_proof_is_read_by_jansson)
{
    json_t *m = json_deep_copy(message);
    const char *proof = json_string_value(json_object_get(certified(m), "proof"));
    /* the same hex, its first digit escaped: jansson decodes it */
    char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *at = strstr(s, proof);
    CHECK(at != NULL);
    size_t n = strlen(s) + 8;
    char *t = malloc(n);
    snprintf(t, n, "%.*s\\u%04x%s", (int)(at - s), s, (unsigned)at[0], at + 1);
    struct mtl_certified_set set;
    CHECK_OK(mtl_proofs_check(&set, MTL_PROOFS_TRANSACTIONS_V2, t, strlen(t)));
    CHECK(mtl_certified_set_has(&set, kept_key));
    mtl_certified_set_free(&set);
    free(t);
    free(s);
    json_decref(m);
}

TEST(forged_placeholder_is_refused)
{
    json_t *m = json_deep_copy(message);
    json_t *c = certified(m);
    /* the real proof moved to an unknown field (lifted first), the proof
     * field a placeholder naming it */
    json_object_set(m, "a_first_field", json_object_get(c, "proof"));
    json_object_set_new(c, "proof",
                        json_stringn("\0"
                                     "0",
                                     2));
    char *s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK(s && strstr(s, "\\u00000"));
    struct mtl_certified_set set;
    CHECK_ERR(mtl_proofs_check(&set, MTL_PROOFS_TRANSACTIONS_V2, s, strlen(s)),
              MTL_ERR_BAD_ENCODING);
    free(s);
    /* the moved proof alone is not a proof */
    json_object_set_new(c, "proof", json_string("00"));
    CHECK_ERR(check_json(m), MTL_ERR_BAD_ENCODING);
    json_decref(m);
}

int main(void)
{
    const char *shared = REQUIRE_SHARED();
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/ctx-proofs-v2.json",
             shared);
    json_t *all = json_load_file(p, 0, NULL);
    void *it = json_object_iter(all);
    if (!it) {
        fprintf(stderr, "cannot read %s\n", p);
        return 1;
    }
    kept_key = json_object_iter_key(it);
    message = json_object_iter_value(it);
    RUN(reference_message_verifies);
    RUN(escaped_proof_is_read_by_jansson);
    RUN(forged_placeholder_is_refused);
    json_decref(all);
    return DONE();
}
