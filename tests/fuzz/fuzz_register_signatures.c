/* fuzz_register_signatures.c - a POST /register-signatures body never
 * crashes the decoding and checks the aggregator applies to it, and the
 * batched check it runs first agrees with the single check it falls back to.
 *
 * agg_register_signatures (src/aggregator/aggregator_signatures.c) needs the
 * runtime's signers and the store's open message, so this target applies
 * its steps in the same order to a fixed open round: JSON object (duplicate
 * keys refused), the fields, the entity type, the open message of that
 * entity (a real certificate's signed_message and beacon), the party's
 * signer index, mtl_stm_sig_decode_jsonhex, the indexes given against the
 * decoded ones, then mtl_stm_sigs_verify_batch and
 * mtl_stm_single_sig_verify_jsonhex. The two signers are built from fixed
 * seeds, so the corpus can hold signatures that verify. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/certificate.h"
#include "mithril/stm.h"

/* certificates.json of the reference data: CardanoDatabase epoch 20, file 5 */
#define OPEN_KEY "{\"CardanoDatabase\":{\"epoch\":20,\"immutable_file_number\":5}}"
#define OPEN_MSG "5deeed11cd62f29f3302218f3ad04ce8e745f9237dbd4e32d52c358b15a81f81"

static const char *const parties[] = {"pool12yrsxkh8j0ame86et230rgefc9y6jxx6u4a6d4662wt65yxknwj",
                                      "pool1rkyqttkmw75xswfudh3g68trlgfvgg5c3kmau0gp2s0d7rz6y4x"};

struct round {
    struct mtl_stm_params params;
    struct mtl_stm_initializer *init[2];
    struct mtl_stm_closed_reg *closed;
};

/* Two signers of equal stake, keys from seeds 1 and 2; parties[i] is
 * signer index i of the closed registration. Built once. */
static const struct round *open_round(void)
{
    static struct round r;
    if (r.closed)
        return &r;
    r.params = (struct mtl_stm_params){.m = 16, .k = 4, .phi_f = 0.95};
    struct mtl_stm_keyreg *reg;
    MTL_ASSERT(mtl_stm_keyreg_new(&reg) == MTL_OK);
    for (int i = 0; i < 2; i++) {
        uint8_t seed[32] = {(uint8_t)(i + 1)};
        char *vk;
        MTL_ASSERT(mtl_stm_initializer_new(&r.init[i], &r.params, 1000, seed) == MTL_OK);
        MTL_ASSERT(mtl_stm_initializer_vk_jsonhex(r.init[i], &vk) == MTL_OK);
        MTL_ASSERT(mtl_stm_keyreg_register_jsonhex(reg, 1000, vk) == MTL_OK);
        mtl_free(vk);
    }
    MTL_ASSERT(mtl_stm_keyreg_close(reg, &r.closed) == MTL_OK);
    mtl_stm_keyreg_free(reg);
    return &r;
}

/* The entity_type member, parsed as the aggregator does (the seam's strict
 * mtl_signed_entity_type_from_json). */
static int entity_of(json_t *j, struct mtl_signed_entity_type *t)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int ok = s && mtl_signed_entity_type_from_json(t, s, strlen(s)) == MTL_OK;
    free(s);
    return ok;
}

static void check_signature(const struct round *r, const char *sig, size_t pos, json_t *indexes)
{
    struct mtl_stm_sig *dec = NULL;
    if (mtl_stm_sig_decode_jsonhex(&dec, sig) != MTL_OK)
        return;
    size_t nidx;
    const uint64_t *won = mtl_stm_sig_indexes(dec, &nidx);
    int same = json_array_size(indexes) == nidx && mtl_stm_sig_signer_index(dec) == pos;
    for (size_t i = 0; same && i < nidx; i++)
        same = json_is_integer(json_array_get(indexes, i)) &&
               (uint64_t)json_integer_value(json_array_get(indexes, i)) == won[i];
    if (same) {
        const struct mtl_stm_sig *one[1] = {dec};
        int ok = 0;
        MTL_ASSERT(mtl_stm_sigs_verify_batch(r->closed, &r->params, one, 1,
                                             (const uint8_t *)OPEN_MSG, 64, &ok) == MTL_OK);
        mtl_err single = mtl_stm_single_sig_verify_jsonhex(r->closed, &r->params, sig,
                                                           (const uint8_t *)OPEN_MSG, 64);
        MTL_ASSERT(ok == (single == MTL_OK));
    }
    mtl_stm_sig_free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct round *r = open_round();
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    struct mtl_signed_entity_type t;
    char *key = NULL;
    const char *party = json_string_value(json_object_get(j, "party_id"));
    const char *sig = json_string_value(json_object_get(j, "signature"));
    const char *msg = json_string_value(json_object_get(j, "signed_message"));
    json_t *indexes = json_object_get(j, "indexes");
    if (!json_is_object(j) || !party || !*party || !sig || !msg || !json_is_array(indexes) ||
        !entity_of(json_object_get(j, "entity_type"), &t))
        goto done;
    MTL_ASSERT(mtl_signed_entity_type_to_json(&t, &key) == MTL_OK);
    if (strcmp(key, OPEN_KEY) != 0 || strcmp(msg, OPEN_MSG) != 0)
        goto done; /* 404 no open message / 400 wrong_message */
    for (size_t pos = 0; pos < MTL_ARRAY_LEN(parties); pos++)
        if (strcmp(party, parties[pos]) == 0)
            check_signature(r, sig, pos, indexes);
done:
    mtl_free(key);
    json_decref(j);
    return 0;
}
