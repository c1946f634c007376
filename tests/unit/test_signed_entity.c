/* test_signed_entity.c - the signed-entity seam against the reference's
 * devnet certificates: every kind's name round trip and exact-name refusals,
 * each certificate's signed_entity_type parsed and re-emitted byte for byte,
 * and each certificate's protocol message rebuilt from its entity and the
 * chain view (next AVK, parameters, Merkle root) equal to it, hashing to its
 * signed_message. */
#include <jansson.h>

#include "harness.h"

static json_t *certs; /* certificates.json, fields in the reference's order */

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

TEST(every_kind_name_round_trips)
{
    for (int k = 0; k < MTL_SET_KIND_COUNT; k++) {
        const char *name = mtl_signed_entity_kind_name((enum mtl_signed_entity_kind)k);
        enum mtl_signed_entity_kind got = (enum mtl_signed_entity_kind) - 1;
        CHECK_OK(mtl_signed_entity_kind_parse(&got, name, strlen(name)));
        CHECK_EQ_INT(got, k);
    }
    CHECK_EQ_STR(mtl_signed_entity_kind_name(MTL_SET_CARDANO_DATABASE), "CardanoDatabase");
    CHECK_EQ_STR(mtl_signed_entity_kind_name((enum mtl_signed_entity_kind)MTL_SET_KIND_COUNT),
                 "Unknown");
    CHECK(!mtl_signed_entity_kind_is_signable(MTL_SET_CARDANO_IMMUTABLE_FILES_FULL));
    CHECK(mtl_signed_entity_kind_is_signable(MTL_SET_CARDANO_BLOCKS_TRANSACTIONS));
}

/* Suffixes, prefixes, case and blanks are all other names. */
static const char *const NOT_NAMES[] = {
    "CardanoDatabaseX",
    "CardanoDatabas",
    "cardanodatabase",
    "CARDANODATABASE",
    "cardanoDatabase",
    " CardanoDatabase",
    "CardanoDatabase ",
    "Cardano",
    "",
    "CardanoDatabase,",
    "MithrilStakeDistributionCardanoDatabase",
};

TEST(inexact_names_are_refused)
{
    for (size_t i = 0; i < sizeof(NOT_NAMES) / sizeof(NOT_NAMES[0]); i++) {
        enum mtl_signed_entity_kind k;
        const char *n = NOT_NAMES[i];
        CHECK_ERR(mtl_signed_entity_kind_parse(&k, n, strlen(n)), MTL_ERR_BAD_ENCODING);
        CHECK(strstr(mtl_err_detail(), "unknown") != NULL);
    }
    /* a length shorter than the text: only those bytes are the name */
    enum mtl_signed_entity_kind k;
    CHECK_OK(mtl_signed_entity_kind_parse(&k, "CardanoDatabaseX", 15));
    CHECK_EQ_INT(k, MTL_SET_CARDANO_DATABASE);
    CHECK_ERR(mtl_signed_entity_kind_parse(&k, "CardanoDatabase", 14), MTL_ERR_BAD_ENCODING);
}

TEST(kind_lists_are_strict)
{
    unsigned m = 0;
    CHECK_OK(mtl_signed_entity_kinds_parse(&m, " MithrilStakeDistribution , CardanoDatabase,,"));
    CHECK_EQ_INT(m, MTL_SET_BIT(MTL_SET_MITHRIL_STAKE_DISTRIBUTION) |
                        MTL_SET_BIT(MTL_SET_CARDANO_DATABASE));
    CHECK_OK(mtl_signed_entity_kinds_parse(&m, ""));
    CHECK_EQ_INT(m, 0);
    m = 7;
    CHECK_ERR(mtl_signed_entity_kinds_parse(&m, "MithrilStakeDistribution,CardanoDatabaseX"),
              MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "'CardanoDatabaseX'") != NULL);
    CHECK_EQ_INT(m, 0);
    CHECK_ERR(mtl_signed_entity_kinds_parse(&m, "CardanoDatabase;MithrilStakeDistribution"),
              MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_signed_entity_kinds_parse(&m, "cardanodatabase"), MTL_ERR_BAD_ENCODING);
    CHECK_ERR(mtl_signed_entity_kinds_parse(&m, "CardanoImmutableFilesFull"), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "legacy") != NULL);
}

/* Each certificate's signed_entity_type, parsed and emitted again, is the
 * same text; the certificate parser reads the same entity. */
TEST(reference_beacons_round_trip)
{
    const char *hash;
    json_t *c;
    unsigned seen = 0;
    int n = 0;
    json_object_foreach(certs, hash, c)
    {
        char *want = dump(json_object_get(c, "signed_entity_type"));
        struct mtl_signed_entity_type t, from_cert;
        char *got = NULL;
        CHECK_OK(mtl_signed_entity_type_from_json(&t, want, strlen(want)));
        CHECK_OK(mtl_signed_entity_type_to_json(&t, &got));
        CHECK_EQ_STR(got, want);
        char *cj = dump(c);
        struct mtl_certificate *cert = NULL;
        CHECK_OK(mtl_certificate_from_json(&cert, cj, strlen(cj)));
        mtl_certificate_signed_entity(cert, &from_cert);
        CHECK(mtl_signed_entity_type_equal(&t, &from_cert));
        /* the certificate's epoch is the entity's signed epoch */
        CHECK_EQ_INT(mtl_certificate_epoch(cert), mtl_signed_entity_signed_epoch(&t));
        seen |= MTL_SET_BIT(t.kind);
        n++;
        mtl_certificate_free(cert);
        free(cj);
        mtl_free(got);
        free(want);
    }
    CHECK_EQ_INT(n, 43);
    /* every signable kind is in the reference data */
    for (int k = 0; k < MTL_SET_KIND_COUNT; k++)
        if (mtl_signed_entity_kind_is_signable((enum mtl_signed_entity_kind)k))
            CHECK(seen & MTL_SET_BIT(k));
}

static const char *const BAD_ENTITIES[] = {
    "{\"CardanoDatabaseX\":{\"epoch\":1,\"immutable_file_number\":2}}",
    "{\"cardanoDatabase\":{\"epoch\":1,\"immutable_file_number\":2}}",
    "{\"Cardano\":3}",
    "{\"MithrilStakeDistribution\":\"3\"}",
    "{\"MithrilStakeDistribution\":-1}",
    "{\"MithrilStakeDistribution\":1.5}",
    "{\"MithrilStakeDistribution\":[3]}",
    "{\"CardanoDatabase\":{\"epoch\":1}}",
    "{\"CardanoDatabase\":{\"epoch\":1,\"immutable_file_number\":2,\"network\":3}}",
    "{\"CardanoDatabase\":{\"epoch\":1,\"immutable\":2}}",
    "{\"CardanoDatabase\":[1,2]}",
    "{\"CardanoTransactions\":[1]}",
    "{\"CardanoTransactions\":[1,2,3]}",
    "{\"CardanoBlocksTransactions\":[1,2]}",
    "{\"CardanoBlocksTransactions\":[1,2,-3]}",
    /* two kinds in one object (parenthesised: one literal cut in two) */
    ("{\"MithrilStakeDistribution\":1,\"CardanoDatabase\":{\"epoch\":1,\"immutable_file_number\":2}"
     "}"),
    "{\"MithrilStakeDistribution\":1,\"MithrilStakeDistribution\":2}",
    "{}",
    "[\"MithrilStakeDistribution\",1]",
    "\"MithrilStakeDistribution\"",
    "{\"MithrilStakeDistribution\":1",
};

TEST(malformed_entities_are_refused)
{
    for (size_t i = 0; i < sizeof(BAD_ENTITIES) / sizeof(BAD_ENTITIES[0]); i++) {
        struct mtl_signed_entity_type t = {.kind = MTL_SET_CARDANO_DATABASE, .epoch = 9};
        const char *s = BAD_ENTITIES[i];
        CHECK_ERR(mtl_signed_entity_type_from_json(&t, s, strlen(s)), MTL_ERR_BAD_ENCODING);
        CHECK(*mtl_err_detail() != 0);
        CHECK_EQ_INT(t.epoch, 0);
    }
    struct mtl_signed_entity_type t;
    const char *s = "{\"CardanoDatabase\":{\"epoch\":1,\"immutable_file_number\":-2}}";
    CHECK_ERR(mtl_signed_entity_type_from_json(&t, s, strlen(s)), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "CardanoDatabase: immutable_file_number") != NULL);
    /* member order in a beacon object is free */
    s = "{\"CardanoDatabase\":{\"immutable_file_number\":2,\"epoch\":1}}";
    CHECK_OK(mtl_signed_entity_type_from_json(&t, s, strlen(s)));
    CHECK(t.kind == MTL_SET_CARDANO_DATABASE && t.epoch == 1 && t.a == 2);
    struct mtl_signed_entity_type bad = {.kind = (enum mtl_signed_entity_kind)MTL_SET_KIND_COUNT};
    char *j = NULL;
    CHECK_ERR(mtl_signed_entity_type_to_json(&bad, &j), MTL_ERR_INVALID_ARG);
    CHECK(j == NULL);
}

/* The part of a certificate's message that is the kind's Merkle root
 * (the reference's signable builders). */
static const char *root_part(enum mtl_signed_entity_kind k)
{
    switch (k) {
    case MTL_SET_CARDANO_STAKE_DISTRIBUTION:
        return "cardano_stake_distribution_merkle_root";
    case MTL_SET_CARDANO_TRANSACTIONS:
        return "cardano_transactions_merkle_root";
    case MTL_SET_CARDANO_DATABASE:
        return "cardano_database_merkle_root";
    case MTL_SET_CARDANO_BLOCKS_TRANSACTIONS:
        return "cardano_blocks_transactions_merkle_root";
    default:
        return NULL;
    }
}

/* Rebuild cert's message from its entity and the chain view it carries. */
static mtl_err rebuild(const json_t *c, const struct mtl_signed_entity_type *t,
                       struct mtl_protocol_message **pm)
{
    const json_t *parts = json_object_get(json_object_get(c, "protocol_message"), "message_parts");
    const json_t *p = json_object_get(json_object_get(c, "metadata"), "parameters");
    struct mtl_stm_params params = {
        .k = (uint64_t)json_integer_value(json_object_get(p, "k")),
        .m = (uint64_t)json_integer_value(json_object_get(p, "m")),
        .phi_f = json_number_value(json_object_get(p, "phi_f")),
    };
    const char *root = root_part(t->kind);
    struct mtl_signed_entity_view v = {
        .next_avk = json_string_value(json_object_get(parts, "next_aggregate_verification_key")),
        .next_params = &params,
        .merkle_root = root ? json_string_value(json_object_get(parts, root)) : NULL,
    };
    return mtl_signed_entity_message(pm, t, &v);
}

TEST(reference_messages_rebuilt)
{
    const char *hash;
    json_t *c;
    int n = 0;
    json_object_foreach(certs, hash, c)
    {
        char *ej = dump(json_object_get(c, "signed_entity_type"));
        char *want = dump(json_object_get(c, "protocol_message"));
        const char *signed_message = json_string_value(json_object_get(c, "signed_message"));
        struct mtl_signed_entity_type t;
        struct mtl_protocol_message *pm = NULL;
        char *got = NULL, h[MTL_HASH_HEX_BYTES];
        CHECK_OK(mtl_signed_entity_type_from_json(&t, ej, strlen(ej)));
        CHECK_OK(rebuild(c, &t, &pm));
        CHECK_OK(mtl_protocol_message_to_json(pm, &got));
        CHECK_EQ_STR(got, want);
        /* and read back as it is */
        struct mtl_protocol_message *back = NULL;
        char *again = NULL;
        CHECK_OK(mtl_protocol_message_from_json(&back, want, strlen(want)));
        CHECK_OK(mtl_protocol_message_to_json(back, &again));
        CHECK_EQ_STR(again, want);
        mtl_protocol_message_free(back);
        mtl_free(again);
        mtl_protocol_message_hash(pm, h);
        CHECK_EQ_STR(h, signed_message);
        mtl_protocol_message_free(pm);
        mtl_free(got);
        /* another beacon is another message */
        struct mtl_signed_entity_type t2 = t;
        if (t.kind == MTL_SET_CARDANO_TRANSACTIONS || t.kind == MTL_SET_CARDANO_BLOCKS_TRANSACTIONS)
            t2.a++;
        else
            t2.epoch++;
        CHECK_OK(rebuild(c, &t2, &pm));
        mtl_protocol_message_hash(pm, h);
        CHECK(strcmp(h, signed_message) != 0);
        mtl_protocol_message_free(pm);
        if (t.kind == MTL_SET_CARDANO_BLOCKS_TRANSACTIONS) {
            t2 = t;
            t2.b++;
            CHECK_OK(rebuild(c, &t2, &pm));
            mtl_protocol_message_hash(pm, h);
            CHECK(strcmp(h, signed_message) != 0);
            mtl_protocol_message_free(pm);
        }
        free(ej);
        free(want);
        n++;
    }
    CHECK_EQ_INT(n, 43);
}

TEST(protocol_message_json_is_strict)
{
    static const char *const bad[] = {
        "{\"message_parts\":{\"current_epoch\":3}}",
        "{\"message_parts\":{\"current_epochs\":\"3\"}}",
        "{\"message_parts\":[]}",
        "{\"parts\":{}}",
        "{\"message_parts\":{\"current_epoch\":\"3\",\"current_epoch\":\"4\"}}",
        "{\"message_parts\":{}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mtl_protocol_message *pm = (struct mtl_protocol_message *)1;
        CHECK_ERR(mtl_protocol_message_from_json(&pm, bad[i], strlen(bad[i])),
                  MTL_ERR_BAD_ENCODING);
        CHECK(pm == NULL);
    }
    struct mtl_protocol_message *pm = NULL;
    const char *ok = "{\"message_parts\":{\"current_epoch\":\"3\"}}";
    CHECK_OK(mtl_protocol_message_from_json(&pm, ok, strlen(ok)));
    CHECK_EQ_STR(mtl_protocol_message_get(pm, "current_epoch"), "3");
    mtl_protocol_message_free(pm);
}

TEST(chain_view_is_checked)
{
    const char *root = "9ceb7004c797bedf783a02f0b4730d98ae5f6dd065ff66477eacbfd7428cb2c2";
    struct mtl_stm_params p = {.k = 5, .m = 100, .phi_f = 0.65};
    struct mtl_signed_entity_type db = {.kind = MTL_SET_CARDANO_DATABASE, .epoch = 20, .a = 5};
    struct mtl_signed_entity_type msd = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = 20};
    struct mtl_signed_entity_view v = {.next_avk = "7b7d", .next_params = &p, .merkle_root = root};
    struct mtl_protocol_message *pm = NULL;
    CHECK_OK(mtl_signed_entity_message(&pm, &db, &v));
    CHECK_EQ_STR(mtl_protocol_message_get(pm, "cardano_database_merkle_root"), root);
    CHECK_EQ_STR(mtl_protocol_message_get(pm, "current_epoch"), "20");
    mtl_protocol_message_free(pm);
    /* MithrilStakeDistribution has no root; CardanoDatabase needs a well-formed one */
    CHECK_ERR(mtl_signed_entity_message(&pm, &msd, &v), MTL_ERR_INVALID_ARG);
    CHECK(pm == NULL);
    v.merkle_root = NULL;
    CHECK_OK(mtl_signed_entity_message(&pm, &msd, &v));
    mtl_protocol_message_free(pm);
    CHECK_ERR(mtl_signed_entity_message(&pm, &db, &v), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "CardanoDatabase message: the chain view's Merkle root is"
                                   " missing") != NULL);
    const char *bad_roots[] = {
        "9ceb7004c797bedf783a02f0b4730d98ae5f6dd065ff66477eacbfd7428cb2c",
        "9CEB7004C797BEDF783A02F0B4730D98AE5F6DD065FF66477EACBFD7428CB2C2",
        "9ceb7004c797bedf783a02f0b4730d98ae5f6dd065ff66477eacbfd7428cb2c2 ",
        "",
    };
    for (size_t i = 0; i < sizeof(bad_roots) / sizeof(bad_roots[0]); i++) {
        v.merkle_root = bad_roots[i];
        CHECK_ERR(mtl_signed_entity_message(&pm, &db, &v), MTL_ERR_INVALID_ARG);
    }
    v.merkle_root = root;
    v.next_avk = "";
    CHECK_ERR(mtl_signed_entity_message(&pm, &db, &v), MTL_ERR_INVALID_ARG);
    v.next_avk = "7b7d";
    v.next_params = NULL;
    CHECK_ERR(mtl_signed_entity_message(&pm, &db, &v), MTL_ERR_INVALID_ARG);
    v.next_params = &p;
    struct mtl_signed_entity_type legacy = {.kind = MTL_SET_CARDANO_IMMUTABLE_FILES_FULL};
    CHECK_ERR(mtl_signed_entity_message(&pm, &legacy, &v), MTL_ERR_INVALID_ARG);
    CHECK(strstr(mtl_err_detail(), "CardanoImmutableFilesFull") != NULL);
}

TEST(entity_equality_and_signed_epoch)
{
    struct mtl_signed_entity_type a = {.kind = MTL_SET_MITHRIL_STAKE_DISTRIBUTION, .epoch = 3};
    struct mtl_signed_entity_type b = a;
    b.a = 9; /* unused by the kind */
    CHECK(mtl_signed_entity_type_equal(&a, &b));
    b.kind = MTL_SET_CARDANO_STAKE_DISTRIBUTION;
    CHECK(!mtl_signed_entity_type_equal(&a, &b));
    CHECK_EQ_INT(mtl_signed_entity_signed_epoch(&b), 4);
    CHECK_EQ_INT(mtl_signed_entity_signed_epoch(&a), 3);
    struct mtl_signed_entity_type x = {.kind = MTL_SET_CARDANO_BLOCKS_TRANSACTIONS, 1, 2, 3};
    struct mtl_signed_entity_type y = x;
    y.b = 4;
    CHECK(!mtl_signed_entity_type_equal(&x, &y));
}

int main(void)
{
    const char *shared = REQUIRE_SHARED();
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             shared);
    certs = json_load_file(p, JSON_PRESERVE_ORDER, NULL);
    if (!certs)
        SKIP_ALL("certificates.json not readable");
    RUN(every_kind_name_round_trips);
    RUN(inexact_names_are_refused);
    RUN(kind_lists_are_strict);
    RUN(reference_beacons_round_trip);
    RUN(malformed_entities_are_refused);
    RUN(reference_messages_rebuilt);
    RUN(protocol_message_json_is_strict);
    RUN(chain_view_is_checked);
    RUN(entity_equality_and_signed_epoch);
    json_decref(certs);
    return DONE();
}
