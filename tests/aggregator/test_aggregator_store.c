/* test_aggregator_store.c - the aggregator's store, linked from
 * aggregator_core: the reference's 43-certificate chain stored in chain
 * order and read back byte for byte; a certificate altered under its hash
 * is refused with nothing stored, one stored twice is a conflict. The
 * artifact table keyed by kind: a store written before it (schema 4: one
 * table per kind, msd and cardano_database) opens, its rows move into the
 * one table with their order, entities and digests, and the routes' queries
 * find them by kind only. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aggregator_int.h"
#include "harness.h"

static json_t *certs; /* hash -> certificate, the reference's certificates.json */
static char dir[256];

static char *dump(json_t *c)
{
    return json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* Insert every certificate whose previous one is stored, until all are. */
TEST(reference_chain_stored_and_read_back)
{
    struct agg_store s;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/chain", dir);
    CHECK_OK(agg_store_open(&s, sub));
    json_t *stored = json_object();
    for (int round = 0; round < 64 && json_object_size(stored) < json_object_size(certs); round++) {
        const char *h;
        json_t *c;
        json_object_foreach(certs, h, c)
        {
            const char *prev = json_string_value(json_object_get(c, "previous_hash"));
            if (json_object_get(stored, h) || (*prev && !json_object_get(stored, prev)))
                continue;
            char *j = dump(c);
            CHECK_OK(agg_store_put_certificate(&s, j));
            free(j);
            json_object_set_new(stored, h, json_true());
        }
    }
    CHECK_EQ_INT(json_object_size(stored), 43);
    const char *h;
    json_t *c;
    json_object_foreach(certs, h, c)
    {
        char *got = NULL, *want = dump(c);
        CHECK_OK(agg_store_get_certificate(&s, h, &got));
        CHECK_EQ_STR(got, want);
        mtl_free(got);
        free(want);
    }
    uint64_t epoch = 0;
    int found = 0;
    CHECK_OK(agg_store_latest_epoch(&s, &epoch, &found));
    CHECK(found);
    CHECK_EQ_INT(epoch, 25);
    json_decref(stored);
    agg_store_close(&s);
}

TEST(bad_certificates_refused)
{
    struct agg_store s;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/bad", dir);
    CHECK_OK(agg_store_open(&s, sub));
    const char *h;
    json_t *c, *genesis = NULL;
    json_object_foreach(certs, h, c)
    {
        if (!*json_string_value(json_object_get(c, "previous_hash")))
            genesis = c;
    }
    CHECK(genesis);
    /* the genesis certificate with another epoch, its hash kept */
    json_t *t = json_deep_copy(genesis);
    json_object_set_new(t, "epoch",
                        json_integer(json_integer_value(json_object_get(t, "epoch")) + 1));
    char *j = dump(t);
    CHECK_ERR(agg_store_put_certificate(&s, j), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "hash does not match its content") != NULL);
    free(j);
    json_decref(t);
    char *got = NULL;
    CHECK_ERR(agg_store_get_genesis(&s, &got), MTL_ERR_NOT_FOUND);
    /* the genuine one is stored once */
    j = dump(genesis);
    CHECK_OK(agg_store_put_certificate(&s, j));
    CHECK_ERR(agg_store_put_certificate(&s, j), MTL_ERR_CONFLICT);
    CHECK(strstr(mtl_err_detail(), "already stored") != NULL);
    free(j);
    CHECK_OK(agg_store_get_genesis(&s, &got));
    CHECK(strstr(got, json_string_value(json_object_get(genesis, "hash"))) != NULL);
    mtl_free(got);
    agg_store_close(&s);
}

/* A genuine certificate whose previous certificate is not stored is refused
 * (nothing stored); once its previous one is, it is taken. */
TEST(certificate_without_previous_refused)
{
    struct agg_store s;
    char sub[300];
    snprintf(sub, sizeof(sub), "%s/orphan", dir);
    CHECK_OK(agg_store_open(&s, sub));
    const char *h;
    json_t *c, *child = NULL, *parent = NULL;
    json_object_foreach(certs, h, c)
    {
        json_t *p = json_object_get(certs, json_string_value(json_object_get(c, "previous_hash")));
        if (p && !*json_string_value(json_object_get(p, "previous_hash"))) {
            child = c; /* its parent is the genesis certificate */
            parent = p;
        }
    }
    CHECK(child && parent);
    char *j = dump(child), *pj = dump(parent), *got = NULL;
    CHECK_ERR(agg_store_put_certificate(&s, j), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "previous certificate") != NULL);
    CHECK_ERR(agg_store_get_certificate(&s, json_string_value(json_object_get(child, "hash")), &got),
              MTL_ERR_NOT_FOUND);
    CHECK_OK(agg_store_put_certificate(&s, pj));
    CHECK_OK(agg_store_put_certificate(&s, j));
    free(j);
    free(pj);
    agg_store_close(&s);
}

static char old_dir[300]; /* the schema-4 store */

/* Schema 4 as the previous aggregator left it (its migrations 1 to 4), with
 * rows: two certificates, a stake distribution and a Cardano database
 * artifact for each. */
static const char OLD_STORE[] =
    "CREATE TABLE certificate (hash TEXT PRIMARY KEY, previous_hash TEXT NOT NULL,"
    " epoch INTEGER NOT NULL, is_genesis INTEGER NOT NULL, json TEXT NOT NULL,"
    " seq INTEGER NOT NULL UNIQUE, item TEXT);"
    "CREATE TABLE msd (hash TEXT PRIMARY KEY, epoch INTEGER NOT NULL,"
    " certificate_hash TEXT NOT NULL REFERENCES certificate(hash), json TEXT NOT NULL,"
    " seq INTEGER NOT NULL UNIQUE);"
    "CREATE TABLE signer_registration (epoch INTEGER NOT NULL, party_id TEXT NOT NULL,"
    " json TEXT NOT NULL, stake INTEGER NOT NULL, verification_key TEXT,"
    " PRIMARY KEY (epoch, party_id));"
    "CREATE TABLE stake_distribution (epoch INTEGER NOT NULL, party_id TEXT NOT NULL,"
    " stake INTEGER NOT NULL, PRIMARY KEY (epoch, party_id));"
    "CREATE TABLE epoch_settings (epoch INTEGER PRIMARY KEY, protocol_parameters TEXT NOT NULL);"
    "CREATE TABLE open_message (signed_entity TEXT PRIMARY KEY, kind INTEGER NOT NULL,"
    " epoch INTEGER NOT NULL, immutable_file_number INTEGER NOT NULL,"
    " protocol_message TEXT NOT NULL, signed_message TEXT NOT NULL,"
    " is_certified INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
    "CREATE TABLE single_signature (signed_entity TEXT NOT NULL REFERENCES"
    " open_message(signed_entity) ON DELETE CASCADE, party_id TEXT NOT NULL,"
    " epoch INTEGER NOT NULL, signature TEXT NOT NULL, won INTEGER NOT NULL,"
    " PRIMARY KEY (signed_entity, party_id));"
    "CREATE TABLE cardano_database (hash TEXT PRIMARY KEY, epoch INTEGER NOT NULL,"
    " immutable_file_number INTEGER NOT NULL,"
    " certificate_hash TEXT NOT NULL REFERENCES certificate(hash), json TEXT NOT NULL,"
    " digests TEXT NOT NULL, seq INTEGER NOT NULL UNIQUE);"
    "INSERT INTO certificate VALUES ('c3', '', 3, 1, '{}', 1, NULL),"
    " ('c4', 'c3', 4, 0, '{}', 2, NULL);"
    "INSERT INTO msd VALUES ('m3', 3, 'c3', '{\"epoch\":3,\"hash\":\"m3\"}', 1),"
    " ('m4', 4, 'c4', '{\"epoch\":4,\"hash\":\"m4\"}', 2);"
    "INSERT INTO cardano_database VALUES"
    " ('d3', 3, 7, 'c3', '{\"hash\":\"d3\",\"beacon\":{\"epoch\":3}}', '[\"x3\"]', 1),"
    " ('d4', 4, 8, 'c4', '{\"hash\":\"d4\",\"beacon\":{\"epoch\":4}}', '[\"x4\"]', 2);"
    "INSERT INTO open_message VALUES"
    " ('{\"CardanoDatabase\":{\"epoch\":4,\"immutable_file_number\":8}}', 4, 4, 8,"
    " '{\"message_parts\":{}}', 'ab', 1, 5);"
    "PRAGMA user_version = 4;";

static int write_old_store(void)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/aggregator.sqlite3", old_dir);
    sqlite3 *db = NULL;
    int ok = sqlite3_open(p, &db) == SQLITE_OK &&
             sqlite3_exec(db, OLD_STORE, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

static int count(struct agg_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

TEST(old_store_opens_with_its_artifacts)
{
    CHECK(write_old_store());
    struct agg_store s;
    CHECK_OK(agg_store_open(&s, old_dir));
    char *j = NULL;
    CHECK_OK(agg_store_artifact_get(&s, MTL_SET_MITHRIL_STAKE_DISTRIBUTION, "m3", &j));
    CHECK_EQ_STR(j, "{\"epoch\":3,\"hash\":\"m3\"}");
    mtl_free(j);
    /* keyed by kind: a stake distribution hash is no Cardano database */
    CHECK_ERR(agg_store_artifact_get(&s, MTL_SET_CARDANO_DATABASE, "m3", &j), MTL_ERR_NOT_FOUND);
    CHECK_ERR(agg_store_artifact_get(&s, MTL_SET_MITHRIL_STAKE_DISTRIBUTION, "d3", &j),
              MTL_ERR_NOT_FOUND);
    /* each kind's order kept, newest first */
    CHECK_OK(agg_store_artifact_list(&s, MTL_SET_MITHRIL_STAKE_DISTRIBUTION, -1, 20, NULL, &j));
    CHECK_EQ_STR(j, "[{\"epoch\":4,\"hash\":\"m4\"},{\"epoch\":3,\"hash\":\"m3\"}]");
    mtl_free(j);
    CHECK_OK(agg_store_artifact_list(&s, MTL_SET_CARDANO_DATABASE, -1, 1, NULL, &j));
    CHECK_EQ_STR(j, "[{\"hash\":\"d4\",\"beacon\":{\"epoch\":4}}]");
    mtl_free(j);
    CHECK_OK(agg_store_artifact_list(&s, MTL_SET_CARDANO_DATABASE, 3, 20, NULL, &j));
    CHECK_EQ_STR(j, "[{\"hash\":\"d3\",\"beacon\":{\"epoch\":3}}]");
    mtl_free(j);
    /* the digests of the newest snapshot */
    CHECK_OK(agg_store_artifact_extra(&s, MTL_SET_CARDANO_DATABASE, &j));
    CHECK_EQ_STR(j, "[\"x4\"]");
    mtl_free(j);
    CHECK_ERR(agg_store_artifact_extra(&s, MTL_SET_MITHRIL_STAKE_DISTRIBUTION, &j),
              MTL_ERR_NOT_FOUND);
    /* the entities the rows were certified for, as the seam writes them */
    CHECK_OK(agg_store_query_text(&s, "SELECT signed_entity FROM artifact WHERE hash = ?1", "d3",
                                  &j, "entity"));
    struct mtl_signed_entity_type t;
    CHECK_OK(mtl_signed_entity_type_from_json(&t, j, strlen(j)));
    CHECK(t.kind == MTL_SET_CARDANO_DATABASE && t.epoch == 3 && t.a == 7);
    mtl_free(j);
    CHECK_OK(agg_store_query_text(&s, "SELECT signed_entity FROM artifact WHERE hash = ?1", "m4",
                                  &j, "entity"));
    CHECK_EQ_STR(j, "{\"MithrilStakeDistribution\":4}");
    mtl_free(j);
    CHECK_EQ_INT(count(&s, "SELECT COUNT(*) FROM artifact"), 4);
    CHECK_EQ_INT(count(&s, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                           " ('msd', 'cardano_database')"),
                 0);
    /* an open message of before reads its entity from its key */
    struct agg_open_message m;
    CHECK_OK(agg_store_open_message_get(
        &s, "{\"CardanoDatabase\":{\"epoch\":4,\"immutable_file_number\":8}}", &m));
    CHECK(m.type.kind == MTL_SET_CARDANO_DATABASE && m.type.epoch == 4 && m.type.a == 8);
    CHECK(m.is_certified);
    agg_open_message_clear(&m);
    agg_store_close(&s);
    /* migrated once: it opens again as it is */
    CHECK_OK(agg_store_open(&s, old_dir));
    CHECK_EQ_INT(count(&s, "SELECT COUNT(*) FROM artifact"), 4);
    agg_store_close(&s);
}

int main(void)
{
    REQUIRE_SHARED();
    mtl_init();
    char p[4096];
    snprintf(p, sizeof(p), "%s/reference-data/aggregator-fake-2026-05-21/certificates.json",
             th_shared_dir());
    certs = json_load_file(p, JSON_PRESERVE_ORDER, NULL);
    if (!certs) {
        printf("FAIL: cannot read %s\n", p);
        return 1;
    }
    snprintf(dir, sizeof(dir), "/tmp/test_aggregator_store.%ld", (long)getpid());
    if (mkdir(dir, 0700) != 0) {
        printf("FAIL: mkdir %s\n", dir);
        return 1;
    }
    RUN(reference_chain_stored_and_read_back);
    RUN(bad_certificates_refused);
    RUN(certificate_without_previous_refused);
    snprintf(old_dir, sizeof(old_dir), "%s/old", dir);
    if (mkdir(old_dir, 0700) != 0) {
        printf("FAIL: mkdir %s\n", old_dir);
        return 1;
    }
    RUN(old_store_opens_with_its_artifacts);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    json_decref(certs);
    return DONE();
}
