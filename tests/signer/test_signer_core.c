/* test_signer_core.c - the signer's store (modes, atomic files, pruning) and
 * its message computation (its own AVK through the signed-entity seam)
 * against the reference aggregator's epoch 24. */
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "signer_int.h"

static const char *shared;

static json_t *load_ref(const char *name)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/%s", shared, name);
    return json_load_file(p, 0, NULL);
}

/* The reference certificate of a signed entity (JSON text of its type). */
static json_t *find_cert(json_t *certs, const char *entity)
{
    const char *k;
    json_t *c;
    json_object_foreach(certs, k, c)
    {
        char *t = json_dumps(json_object_get(c, "signed_entity_type"), JSON_COMPACT);
        int same = t && strcmp(t, entity) == 0;
        free(t);
        if (same)
            return c;
    }
    return NULL;
}

static json_t *stakes_of(json_t *cert)
{
    json_t *st = json_object(), *s;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(cert, "metadata"), "signers"), i, s)
        json_object_set(st, json_string_value(json_object_get(s, "party_id")),
                        json_object_get(s, "stake"));
    return st;
}

static const struct mtl_stm_params REF_PARAMS = {.m = 105, .k = 70, .phi_f = 0.95};

TEST(reference_msd_message)
{
    json_t *settings = load_ref("epoch-settings.json"), *certs = load_ref("certificates.json");
    CHECK(settings && certs);
    json_t *cert = find_cert(certs, "{\"MithrilStakeDistribution\":24}");
    CHECK(cert);
    json_t *stakes = stakes_of(cert);
    json_t *parts = json_object_get(json_object_get(cert, "protocol_message"), "message_parts");
    char *avk = NULL, *next_avk = NULL;
    /* Current signers with their stakes give the certificate's AVK ... */
    CHECK_OK(signer_avk(json_object_get(settings, "current_signers"), stakes, &avk));
    CHECK_EQ_STR(avk, json_string_value(json_object_get(cert, "aggregate_verification_key")));
    /* ... the next signers its next AVK (stakes are constant on this devnet). */
    CHECK_OK(signer_avk(json_object_get(settings, "next_signers"), stakes, &next_avk));
    CHECK_EQ_STR(next_avk,
                 json_string_value(json_object_get(parts, "next_aggregate_verification_key")));
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = 24};
    struct mtl_signed_entity_view v = {.next_avk = next_avk, .next_params = &REF_PARAMS};
    struct mtl_protocol_message *pm = NULL;
    char hash[MTL_HASH_HEX_BYTES];
    CHECK_OK(mtl_signed_entity_message(&pm, &t, &v));
    mtl_protocol_message_hash(pm, hash);
    CHECK_EQ_STR(hash, json_string_value(json_object_get(cert, "signed_message")));
    mtl_protocol_message_free(pm);
    mtl_free(avk);
    mtl_free(next_avk);
    json_decref(stakes);
    json_decref(settings);
    json_decref(certs);
}

TEST(reference_cardano_database_message)
{
    json_t *settings = load_ref("epoch-settings.json"), *certs = load_ref("certificates.json");
    CHECK(settings && certs);
    json_t *cert =
        find_cert(certs, "{\"CardanoDatabase\":{\"epoch\":24,\"immutable_file_number\":6}}");
    CHECK(cert);
    json_t *stakes = stakes_of(cert);
    json_t *parts = json_object_get(json_object_get(cert, "protocol_message"), "message_parts");
    const char *root = json_string_value(json_object_get(parts, "cardano_database_merkle_root"));
    char *next_avk = NULL;
    CHECK_OK(signer_avk(json_object_get(settings, "next_signers"), stakes, &next_avk));
    struct mtl_signed_entity_type t = {.kind = MTL_SET_CARDANO_DATABASE, .epoch = 24, .a = 6};
    struct mtl_signed_entity_view v = {
        .next_avk = next_avk, .next_params = &REF_PARAMS, .merkle_root = root};
    struct mtl_protocol_message *pm = NULL;
    char hash[MTL_HASH_HEX_BYTES];
    CHECK_OK(mtl_signed_entity_message(&pm, &t, &v));
    mtl_protocol_message_hash(pm, hash);
    CHECK_EQ_STR(hash, json_string_value(json_object_get(cert, "signed_message")));
    mtl_protocol_message_free(pm);
    /* Another DB (one digest changed) gives another message: never the certified one. */
    char other[65];
    snprintf(other, sizeof(other), "%s", root);
    other[0] = other[0] == '0' ? '1' : '0';
    v.merkle_root = other;
    CHECK_OK(mtl_signed_entity_message(&pm, &t, &v));
    mtl_protocol_message_hash(pm, hash);
    CHECK(strcmp(hash, json_string_value(json_object_get(cert, "signed_message"))) != 0);
    mtl_protocol_message_free(pm);
    /* Without its root the message is refused, not signed partial. */
    v.merkle_root = NULL;
    CHECK_ERR(mtl_signed_entity_message(&pm, &t, &v), MTL_ERR_INVALID_ARG);
    mtl_free(next_avk);
    json_decref(stakes);
    json_decref(settings);
    json_decref(certs);
}

/* The kinds this signer reads from its node: the Mithril stake distribution
 * needs no root, the Cardano stake distribution, the Cardano database and the
 * two transactions kinds a beacon and a root; the legacy kind is not signed. */
TEST(signer_entity_rows)
{
    const struct signer_entity *msd = signer_entity(MTL_SET_MITHRIL_STAKE_DISTRIBUTION);
    const struct signer_entity *cdb = signer_entity(MTL_SET_CARDANO_DATABASE);
    CHECK(msd && !msd->beacon && !msd->root);
    CHECK(cdb && cdb->beacon && cdb->root);
    const struct signer_entity *ctx = signer_entity(MTL_SET_CARDANO_TRANSACTIONS);
    const struct signer_entity *cbtx = signer_entity(MTL_SET_CARDANO_BLOCKS_TRANSACTIONS);
    CHECK(ctx && ctx->beacon && ctx->root);
    CHECK(cbtx && cbtx->beacon && cbtx->root);
    const struct signer_entity *csd = signer_entity(MTL_SET_CARDANO_STAKE_DISTRIBUTION);
    CHECK(csd && csd->beacon && csd->root);
    CHECK(signer_entity(MTL_SET_CARDANO_IMMUTABLE_FILES_FULL) == NULL);
}

TEST(stakes_must_match)
{
    json_t *settings = load_ref("epoch-settings.json"), *certs = load_ref("certificates.json");
    CHECK(settings && certs);
    json_t *cert = find_cert(certs, "{\"MithrilStakeDistribution\":24}");
    json_t *stakes = stakes_of(cert);
    json_t *parts = json_object_get(json_object_get(cert, "protocol_message"), "message_parts");
    const char *want = json_string_value(json_object_get(parts, "next_aggregate_verification_key"));
    const char *party = "pool1rkyqttkmw75xswfudh3g68trlgfvgg5c3kmau0gp2s0d7rz6y4x";
    char *avk = NULL;
    /* A different view of the stakes gives a different AVK ... */
    json_object_set_new(stakes, party, json_integer(20000000002));
    CHECK_OK(signer_avk(json_object_get(settings, "next_signers"), stakes, &avk));
    CHECK(strcmp(avk, want) != 0);
    mtl_free(avk);
    avk = NULL;
    /* ... and a signer without stake is an error naming it. */
    json_object_del(stakes, party);
    CHECK_ERR(signer_avk(json_object_get(settings, "next_signers"), stakes, &avk),
              MTL_ERR_NOT_FOUND);
    CHECK(strstr(mtl_err_detail(), party) != NULL);
    json_decref(stakes);
    json_decref(settings);
    json_decref(certs);
}

static char g_dir[256];

static void make_dir(void)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/test_signer_store.XXXXXX");
    if (!mkdtemp(g_dir))
        g_dir[0] = '\0';
}

static void remove_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
}

TEST(store_initializer)
{
    make_dir();
    CHECK(g_dir[0]);
    struct mtl_stm_params p = {.m = 20, .k = 5, .phi_f = 0.65};
    uint8_t seed[32] = {7};
    struct mtl_stm_initializer *a = NULL, *b = NULL;
    CHECK_OK(mtl_stm_initializer_new(&a, &p, 1234, seed));
    CHECK_OK(signer_store_get_initializer(g_dir, 12, &b));
    CHECK(b == NULL); /* absent is not an error */
    CHECK_OK(signer_store_put_initializer(g_dir, 12, a));
    char path[400];
    snprintf(path, sizeof(path), "%s/protocol_initializer-12.key", g_dir);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_OK(signer_store_get_initializer(g_dir, 12, &b));
    CHECK(b);
    uint8_t va[MTL_STM_VK_BYTES], vb[MTL_STM_VK_BYTES];
    mtl_stm_initializer_vk(a, va);
    mtl_stm_initializer_vk(b, vb);
    CHECK_MEM(va, vb, sizeof(va));
    CHECK_EQ_INT(mtl_stm_initializer_stake(b), 1234);
    mtl_stm_initializer_free(b);
    b = NULL;
    /* A key file others can read is refused. */
    CHECK(chmod(path, 0644) == 0);
    CHECK_ERR(signer_store_get_initializer(g_dir, 12, &b), MTL_ERR_STATE);
    CHECK(strstr(mtl_err_detail(), "0600") != NULL);
    /* A damaged key file is an error naming it, never a new key. */
    CHECK(chmod(path, 0600) == 0);
    CHECK_OK(mtl_atomic_write(path, "garbage", 7, 0600));
    CHECK(signer_store_get_initializer(g_dir, 12, &b) != MTL_OK);
    CHECK(strstr(mtl_err_detail(), "protocol_initializer-12") != NULL);
    mtl_stm_initializer_free(a);
    CHECK(!signer_store_is_registered(g_dir, 12));
    CHECK_OK(signer_store_mark_registered(g_dir, 12));
    CHECK(signer_store_is_registered(g_dir, 12));
    remove_dir();
}

TEST(store_stakes_signed_prune)
{
    make_dir();
    CHECK(g_dir[0]);
    json_t *st = json_pack("{s:I,s:I}", "pool1a", (json_int_t)10, "pool1b", (json_int_t)20), *got;
    for (uint64_t e = 1; e <= 10; e++) {
        CHECK_OK(signer_store_put_stakes(g_dir, e, st));
        CHECK_OK(signer_store_mark_signed(g_dir, e, "{\"MithrilStakeDistribution\":1}"));
        struct mtl_stm_params p = {.m = 20, .k = 5, .phi_f = 0.65};
        struct mtl_stm_initializer *a = NULL;
        CHECK_OK(mtl_stm_initializer_new(&a, &p, 10, NULL));
        CHECK_OK(signer_store_put_initializer(g_dir, e, a));
        CHECK_OK(signer_store_mark_registered(g_dir, e));
        mtl_stm_initializer_free(a);
    }
    CHECK_OK(signer_store_get_stakes(g_dir, 3, &got));
    CHECK(got && json_equal(got, st));
    json_decref(got);
    CHECK_OK(signer_store_get_stakes(g_dir, 11, &got));
    CHECK(got == NULL);
    CHECK(signer_store_is_signed(g_dir, 4, "{\"MithrilStakeDistribution\":1}"));
    CHECK(!signer_store_is_signed(g_dir, 4, "{\"MithrilStakeDistribution\":2}"));
    CHECK(!signer_store_is_signed(g_dir, 11, "{\"MithrilStakeDistribution\":1}"));
    unsigned removed = 0;
    /* At epoch 8: keys 1..6 are useless (8 signs with 7, next AVK uses 8);
     * retention 3 keeps stakes/signed of 5..10. */
    CHECK_OK(signer_store_prune(g_dir, 8, 3, &removed));
    CHECK_EQ_INT(removed, 6 * 2 + 4 * 2);
    struct mtl_stm_initializer *b = NULL;
    CHECK_OK(signer_store_get_initializer(g_dir, 6, &b));
    CHECK(b == NULL);
    CHECK(!signer_store_is_registered(g_dir, 6));
    CHECK_OK(signer_store_get_initializer(g_dir, 7, &b));
    CHECK(b != NULL);
    mtl_stm_initializer_free(b);
    CHECK_OK(signer_store_get_stakes(g_dir, 4, &got));
    CHECK(got == NULL);
    CHECK_OK(signer_store_get_stakes(g_dir, 5, &got));
    CHECK(got != NULL);
    json_decref(got);
    /* No retention: only keys are pruned. */
    CHECK_OK(signer_store_prune(g_dir, 10, 0, &removed));
    CHECK_EQ_INT(removed, 2 * 2);
    json_decref(st);
    remove_dir();
}

TEST(signature_message)
{
    struct mtl_stm_params p = {.m = 50, .k = 5, .phi_f = 0.9};
    uint8_t s1[32] = {1}, s2[32] = {2};
    struct mtl_stm_initializer *a = NULL, *b = NULL;
    CHECK_OK(mtl_stm_initializer_new(&a, &p, 100, s1));
    CHECK_OK(mtl_stm_initializer_new(&b, &p, 300, s2));
    char *va = NULL, *vb = NULL;
    CHECK_OK(mtl_stm_initializer_vk_jsonhex(a, &va));
    CHECK_OK(mtl_stm_initializer_vk_jsonhex(b, &vb));
    json_t *signers = json_pack("[{s:s,s:s},{s:s,s:s}]", "party_id", "pool1a", "verification_key",
                                va, "party_id", "pool1b", "verification_key", vb);
    json_t *stakes = json_pack("{s:I,s:I}", "pool1a", (json_int_t)100, "pool1b", (json_int_t)300);
    struct mtl_stm_closed_reg *closed = NULL;
    CHECK_OK(signer_closed_reg(signers, stakes, &closed));
    const char *msg = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char *sig = NULL, *json = NULL;
    size_t won = 0;
    CHECK_OK(mtl_stm_sign(b, closed, (const uint8_t *)msg, 64, &sig, &won));
    CHECK(won > 0);
    struct mtl_signed_entity_type t = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = 9};
    struct mtl_stm_sig *typed = NULL;
    CHECK_OK(mtl_stm_sig_decode_jsonhex(&typed, sig));
    CHECK_OK(signer_signature_message(&t, "pool1b", typed, msg, &json));
    mtl_stm_sig_free(typed);
    json_t *j = json_loads(json, 0, NULL);
    CHECK(j);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(j, "entity_type"),
                                                    "MithrilStakeDistribution")),
                 9);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "party_id")), "pool1b");
    CHECK_EQ_STR(json_string_value(json_object_get(j, "signature")), sig);
    CHECK_EQ_STR(json_string_value(json_object_get(j, "signed_message")), msg);
    CHECK_EQ_INT(json_array_size(json_object_get(j, "indexes")), won);
    /* The aggregator side accepts it for this message only. */
    CHECK_OK(mtl_stm_single_sig_verify_jsonhex(closed, &p, sig, (const uint8_t *)msg, 64));
    char other[65];
    memcpy(other, msg, 65);
    other[0] = '1';
    CHECK(mtl_stm_single_sig_verify_jsonhex(closed, &p, sig, (const uint8_t *)other, 64) != MTL_OK);
    json_decref(j);
    mtl_free(json);
    mtl_free(sig);
    mtl_stm_closed_reg_free(closed);
    json_decref(signers);
    json_decref(stakes);
    mtl_free(va);
    mtl_free(vb);
    mtl_stm_initializer_free(a);
    mtl_stm_initializer_free(b);
}

int main(void)
{
    /* Before any check: a skip after the store tests ran would hide their result. */
    shared = REQUIRE_SHARED();
    RUN(store_initializer);
    RUN(store_stakes_signed_prune);
    RUN(signature_message);
    RUN(reference_msd_message);
    RUN(reference_cardano_database_message);
    RUN(signer_entity_rows);
    RUN(stakes_must_match);
    return DONE();
}
