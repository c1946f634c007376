/* fuzz_register_signer.c - a POST /register-signer body never crashes the
 * decoding the aggregator applies to it, and what passes is re-encoded
 * consistently.
 *
 * agg_register_signer (src/aggregator/aggregator_register.c) takes the
 * round lock, reads the runtime's epoch and the SQLite store before the key
 * is decoded, so it cannot run without a whole aggregator. This target
 * applies the same steps in the route's order, through the libmithril
 * functions it calls: JSON object, party_id / verification_key / integer
 * epoch, the open round's epoch (current 24, as in the reference's
 * epoch-settings.json), the party's stake (the reference's stake
 * distribution: both pools 20000000001), the vk + proof of possession
 * (mtl_stm_keyreg_register_jsonhex), then the stored record. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"
#include "mithril/stm.h"

#define CURRENT_EPOCH 24

static const char *const parties[] = {"pool12yrsxkh8j0ame86et230rgefc9y6jxx6u4a6d4662wt65yxknwj",
                                      "pool1rkyqttkmw75xswfudh3g68trlgfvgg5c3kmau0gp2s0d7rz6y4x"};

static int stake_of(const char *party, uint64_t *stake)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(parties); i++)
        if (strcmp(party, parties[i]) == 0) {
            *stake = 20000000001ull;
            return 1;
        }
    return 0;
}

/* The record the route stores: party_id, verification_key, stake and the
 * optional KES fields when they are strings. */
static void check_record(json_t *j, const char *party, const char *vk, uint64_t stake)
{
    json_t *rec = json_pack("{s:s,s:s,s:I}", "party_id", party, "verification_key", vk, "stake",
                            (json_int_t)stake);
    if (!rec)
        return;
    const char *opt[] = {"verification_key_signature", "operational_certificate"};
    for (size_t i = 0; i < MTL_ARRAY_LEN(opt); i++)
        if (json_is_string(json_object_get(j, opt[i])))
            json_object_set(rec, opt[i], json_object_get(j, opt[i]));
    char *txt = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (txt) {
        /* the stored text must load back to the same party and key */
        json_t *back = json_loads(txt, 0, NULL);
        MTL_ASSERT(back);
        MTL_ASSERT(strcmp(json_string_value(json_object_get(back, "party_id")), party) == 0);
        MTL_ASSERT(strcmp(json_string_value(json_object_get(back, "verification_key")), vk) == 0);
        json_decref(back);
        free(txt);
    }
    json_decref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return 0;
    }
    const char *party = json_string_value(json_object_get(j, "party_id"));
    const char *vk = json_string_value(json_object_get(j, "verification_key"));
    json_t *ep = json_object_get(j, "epoch");
    uint64_t stake;
    if (!json_is_integer(ep) || json_integer_value(ep) < 0 || !party || !*party || !vk ||
        (uint64_t)json_integer_value(ep) != CURRENT_EPOCH + 1 || !stake_of(party, &stake)) {
        json_decref(j);
        return 0;
    }
    struct mtl_stm_keyreg *reg = NULL;
    mtl_err e = mtl_stm_keyreg_new(&reg);
    if (e == MTL_OK)
        e = mtl_stm_keyreg_register_jsonhex(reg, stake, vk);
    if (e == MTL_OK) {
        /* an accepted key closes into a registration of one party */
        struct mtl_stm_closed_reg *closed;
        MTL_ASSERT(mtl_stm_keyreg_close(reg, &closed) == MTL_OK);
        MTL_ASSERT(mtl_stm_closed_reg_count(closed) == 1);
        MTL_ASSERT(mtl_stm_closed_reg_total_stake(closed) == stake);
        mtl_stm_closed_reg_free(closed);
        check_record(j, party, vk, stake);
    } else {
        MTL_ASSERT(mtl_err_detail()[0] != '\0'); /* the 400 names what is wrong */
    }
    mtl_stm_keyreg_free(reg);
    json_decref(j);
    return 0;
}
