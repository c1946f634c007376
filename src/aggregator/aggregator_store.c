/* aggregator_store.c - the aggregator's SQLite store: certificates, the
 * artifacts of every signed entity kind and signer registrations, one file. */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "db.h"
#include "tx_store.h"

static const struct app_db_migration MIGRATIONS[] = {
    {"CREATE TABLE certificate ("
     "  hash TEXT PRIMARY KEY,"
     "  previous_hash TEXT NOT NULL,"
     "  epoch INTEGER NOT NULL,"
     "  is_genesis INTEGER NOT NULL,"
     "  json TEXT NOT NULL,"
     "  seq INTEGER NOT NULL UNIQUE);"
     "CREATE INDEX certificate_epoch ON certificate(epoch);"
     "CREATE TABLE msd ("
     "  hash TEXT PRIMARY KEY,"
     "  epoch INTEGER NOT NULL,"
     "  certificate_hash TEXT NOT NULL REFERENCES certificate(hash),"
     "  json TEXT NOT NULL,"
     "  seq INTEGER NOT NULL UNIQUE);"
     "CREATE TABLE signer_registration ("
     "  epoch INTEGER NOT NULL,"
     "  party_id TEXT NOT NULL,"
     "  json TEXT NOT NULL,"
     "  stake INTEGER NOT NULL,"
     "  PRIMARY KEY (epoch, party_id));"},
    /* 2: runtime (stakes, parameters, open messages, signatures), Cardano DB. */
    {"CREATE TABLE stake_distribution ("
     "  epoch INTEGER NOT NULL,"
     "  party_id TEXT NOT NULL,"
     "  stake INTEGER NOT NULL,"
     "  PRIMARY KEY (epoch, party_id));"
     "CREATE TABLE epoch_settings ("
     "  epoch INTEGER PRIMARY KEY,"
     "  protocol_parameters TEXT NOT NULL);"
     "CREATE TABLE open_message ("
     "  signed_entity TEXT PRIMARY KEY,"
     "  kind INTEGER NOT NULL,"
     "  epoch INTEGER NOT NULL,"
     "  immutable_file_number INTEGER NOT NULL,"
     "  protocol_message TEXT NOT NULL,"
     "  signed_message TEXT NOT NULL,"
     "  is_certified INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL);"
     "CREATE INDEX open_message_epoch ON open_message(epoch);"
     "CREATE TABLE single_signature ("
     "  signed_entity TEXT NOT NULL REFERENCES open_message(signed_entity) ON DELETE CASCADE,"
     "  party_id TEXT NOT NULL,"
     "  epoch INTEGER NOT NULL,"
     "  signature TEXT NOT NULL,"
     "  won INTEGER NOT NULL,"
     "  PRIMARY KEY (signed_entity, party_id));"
     "CREATE TABLE cardano_database ("
     "  hash TEXT PRIMARY KEY,"
     "  epoch INTEGER NOT NULL,"
     "  immutable_file_number INTEGER NOT NULL,"
     "  certificate_hash TEXT NOT NULL REFERENCES certificate(hash),"
     "  json TEXT NOT NULL,"
     "  digests TEXT NOT NULL,"
     "  seq INTEGER NOT NULL UNIQUE);"},
    /* 3: the list item of each certificate, so /certificates does not parse
     * multi-signatures (MBs with thousands of signers). */
    {"ALTER TABLE certificate ADD COLUMN item TEXT;"},
    /* 4: a Mithril key stands for one pool per epoch (NULLs, from before,
     * are distinct for the index). */
    {"ALTER TABLE signer_registration ADD COLUMN verification_key TEXT;"
     "CREATE UNIQUE INDEX signer_registration_key ON signer_registration(epoch,"
     " verification_key);"},
    /* 5: one artifact table keyed by kind (enum mtl_signed_entity_kind, the
     * reference's SignedEntityTypeId) for every signed entity; extra holds a
     * kind's side document (CardanoDatabase: its digests). The rows of the
     * per-kind tables move over, seq keeping each kind's order. */
    {"CREATE TABLE artifact ("
     "  kind INTEGER NOT NULL,"
     "  hash TEXT NOT NULL,"
     "  epoch INTEGER NOT NULL,"
     "  signed_entity TEXT NOT NULL,"
     "  certificate_hash TEXT NOT NULL REFERENCES certificate(hash),"
     "  json TEXT NOT NULL,"
     "  extra TEXT,"
     "  seq INTEGER NOT NULL UNIQUE,"
     "  PRIMARY KEY (kind, hash));"
     "CREATE INDEX artifact_kind_epoch ON artifact(kind, epoch);"
     "INSERT INTO artifact(kind, hash, epoch, signed_entity, certificate_hash, json, extra, seq)"
     " SELECT 0, hash, epoch, '{\"MithrilStakeDistribution\":' || epoch || '}',"
     " certificate_hash, json, NULL, seq FROM msd;"
     "INSERT INTO artifact(kind, hash, epoch, signed_entity, certificate_hash, json, extra, seq)"
     " SELECT 4, hash, epoch, '{\"CardanoDatabase\":{\"epoch\":' || epoch ||"
     " ',\"immutable_file_number\":' || immutable_file_number || '}}', certificate_hash, json,"
     " digests, seq + (SELECT COALESCE(MAX(seq), 0) FROM msd) FROM cardano_database;"
     "DROP TABLE msd;"
     "DROP TABLE cardano_database;"},
    /* 6: Cardano blocks and transactions imported from the node, block
     * range roots, import progress (src/util/tx_store.h). */
    {APP_TX_SCHEMA},
    /* 7: the transactions' hash index per chunk instead of per transaction;
     * the transactions store is emptied and imported again. */
    {APP_TX_INDEX_MIGRATION},
};

mtl_err agg_store_open(struct agg_store *s, const char *dir)
{
    memset(s, 0, sizeof(*s));
    char path[4096];
    MTL_CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST, MTL_ERR_IO,
              "DATA_STORES_DIRECTORY %s: cannot create: %s", dir, strerror(errno));
    MTL_TRY(mtl_path_fmt(path, sizeof(path), "%s/aggregator.sqlite3", dir));
    MTL_TRY(app_db_open(&s->db, path, MIGRATIONS, MTL_ARRAY_LEN(MIGRATIONS)));
    pthread_mutex_init(&s->lock, NULL);
    /* Checkpoints are run by the runtime after each tick (agg_store_checkpoint),
     * not inside a commit: a certificate's commit would otherwise copy and
     * sync megabytes of WAL on the quorum-to-certificate path. The automatic
     * one stays as a bound (64 MiB of WAL). */
    mtl_err e = app_db_exec(s->db, "PRAGMA wal_autocheckpoint = 16384");
    if (e != MTL_OK)
        agg_store_close(s);
    return e;
}

mtl_err agg_store_connect(struct agg_store *s, sqlite3 **db)
{
    const char *path = sqlite3_db_filename(s->db, "main");
    MTL_CHECK(path && *path, MTL_ERR_STATE, "store: no file to connect to");
    return app_db_open(db, path, MIGRATIONS, MTL_ARRAY_LEN(MIGRATIONS));
}

void agg_store_checkpoint(struct agg_store *s)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    pthread_mutex_unlock(&s->lock);
}

void agg_store_close(struct agg_store *s)
{
    if (!s->db)
        return;
    app_db_close(s->db);
    pthread_mutex_destroy(&s->lock);
    s->db = NULL;
}

/* Run a one-row query binding text args; column 0 of the row as a string. */
mtl_err agg_store_query_text(struct agg_store *s, const char *sql, const char *arg, char **out,
                             const char *what)
{
    *out = NULL;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->lock);
    mtl_err e = app_db_prepare(s->db, &st, sql);
    if (e == MTL_OK) {
        if (arg)
            sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = mtl_strdup((const char *)sqlite3_column_text(st, 0));
            e = *out ? MTL_OK : mtl_seterr(MTL_ERR_NOMEM, "store: out of memory");
        } else if (rc == SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_NOT_FOUND, "%s not found", what);
        else
            e = mtl_seterr(MTL_ERR_DB, "store: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return e;
}

/* The openapi list item of a certificate: metadata.signers becomes total_signers. */
static json_t *certificate_list_item(const char *json)
{
    json_t *c = json_loads(json, 0, NULL);
    if (!c)
        return NULL;
    json_t *item = json_object();
    static const char *const keys[] = {
        "hash",     "previous_hash",    "epoch",          "signed_entity_type",
        "metadata", "protocol_message", "signed_message", "aggregate_verification_key"};
    for (size_t i = 0; i < MTL_ARRAY_LEN(keys); i++) {
        json_t *v = json_object_get(c, keys[i]);
        if (i == 4 && json_is_object(v)) {
            json_t *m = json_deep_copy(v);
            json_t *signers = json_object_get(m, "signers");
            json_object_set_new(m, "total_signers",
                                json_integer((json_int_t)json_array_size(signers)));
            json_object_del(m, "signers");
            json_object_set_new(item, keys[i], m);
        } else if (v)
            json_object_set(item, keys[i], v);
    }
    json_decref(c);
    return item;
}

/* Build a JSON array from the json column of a query (with a LIMIT ?1),
 * each row mapped by fn (or kept as is). */
mtl_err agg_store_query_list(struct agg_store *s, const char *sql, int64_t arg,
                             json_t *(*fn)(const char *), char **out)
{
    *out = NULL;
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    MTL_CHECK(arr, MTL_ERR_NOMEM, "store: out of memory");
    pthread_mutex_lock(&s->lock);
    mtl_err e = app_db_prepare(s->db, &st, sql);
    int rc = SQLITE_DONE;
    if (e == MTL_OK) {
        sqlite3_bind_int64(st, 1, arg);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *j = (const char *)sqlite3_column_text(st, 0);
            json_t *v = fn ? fn(j) : json_loads(j, 0, NULL);
            if (!v) {
                e = mtl_seterr(MTL_ERR_INTERNAL, "store: a stored row is not valid JSON");
                break;
            }
            json_array_append_new(arr, v);
        }
        if (e == MTL_OK && rc != SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_DB, "store: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    if (e == MTL_OK) {
        char *txt = mtl_json_dumps(arr, AGG_JSON_FLAGS);
        *out = txt ? mtl_strdup(txt) : NULL;
        free(txt);
        if (!*out)
            e = mtl_seterr(MTL_ERR_NOMEM, "store: out of memory");
    }
    json_decref(arr);
    return e;
}

mtl_err agg_store_cert_item(const char *json, char **item_out)
{
    /* The multi-signature is most of the text and no part of the item:
     * cut out of what is parsed (a hex string: no escaped quote in it). */
    static const char ms[] = ",\"multi_signature\":\"";
    const char *from = strstr(json, ms), *to = from ? strchr(from + sizeof(ms) - 1, '"') : NULL;
    json_t *item = NULL;
    if (to) {
        size_t head = (size_t)(from - json), len = head + strlen(to + 1);
        char *cut = mtl_malloc(len + 1);
        MTL_CHECK(cut, MTL_ERR_NOMEM, "certificate list item: out of memory");
        memcpy(cut, json, head);
        memcpy(cut + head, to + 1, len - head + 1);
        item = certificate_list_item(cut);
        mtl_free(cut);
    } else {
        item = certificate_list_item(json);
    }
    *item_out = item ? mtl_json_dumps(item, AGG_JSON_FLAGS) : NULL;
    json_decref(item);
    MTL_CHECK(*item_out, MTL_ERR_BAD_ENCODING, "certificate list item: not a certificate");
    return MTL_OK;
}

mtl_err agg_store_cert_prepare(const char *json, struct mtl_certificate **out, char **item_out)
{
    *out = NULL;
    *item_out = NULL;
    struct mtl_certificate *c = NULL;
    MTL_TRY(mtl_certificate_from_json(&c, json, strlen(json)));
    char hash[MTL_HASH_HEX_BYTES];
    mtl_err e = mtl_certificate_compute_hash(c, hash);
    if (e == MTL_OK && strcmp(hash, mtl_certificate_hash(c)) != 0)
        e = mtl_seterr(MTL_ERR_INTEGRITY, "certificate %s: hash does not match its content (%s)",
                       mtl_certificate_hash(c), hash);
    char *item_txt = NULL;
    if (e == MTL_OK)
        e = agg_store_cert_item(json, &item_txt);
    if (e != MTL_OK) {
        free(item_txt);
        mtl_certificate_free(c);
        return e;
    }
    *out = c;
    *item_out = item_txt;
    return MTL_OK;
}

mtl_err agg_store_cert_insert_locked(struct agg_store *s, const struct mtl_certificate *c,
                                     const char *json, const char *item_txt)
{
    sqlite3_stmt *st = NULL;
    /* A certificate chains to one stored here (a genesis certificate starts
     * a chain): no row when its previous one is missing. */
    mtl_err e =
        app_db_prepare(s->db, &st,
                       "INSERT INTO certificate(hash, previous_hash, epoch, is_genesis, json,"
                       " seq, item) SELECT ?1, ?2, ?3, ?4, ?5,"
                       " (SELECT COALESCE(MAX(seq), 0) + 1 FROM certificate), ?6"
                       " WHERE ?4 = 1 OR EXISTS (SELECT 1 FROM certificate WHERE hash = ?2)");
    if (e == MTL_OK) {
        sqlite3_bind_text(st, 1, mtl_certificate_hash(c), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, mtl_certificate_previous_hash(c), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)mtl_certificate_epoch(c));
        sqlite3_bind_int(st, 4, mtl_certificate_is_genesis(c) ? 1 : 0);
        sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, item_txt, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT)
            e = mtl_seterr(MTL_ERR_CONFLICT, "certificate %s already stored",
                           mtl_certificate_hash(c));
        else if (rc != SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_DB, "store: inserting certificate: %s", sqlite3_errmsg(s->db));
        else if (sqlite3_changes(s->db) == 0)
            e = mtl_seterr(MTL_ERR_INTEGRITY,
                           "certificate %s: its previous certificate %s is not stored",
                           mtl_certificate_hash(c), mtl_certificate_previous_hash(c));
    }
    sqlite3_finalize(st);
    return e;
}

/* Insert a certificate with the lock held (inside a transaction or not). */
mtl_err agg_store_insert_certificate_locked(struct agg_store *s, const char *json)
{
    struct mtl_certificate *c = NULL;
    char *item_txt = NULL;
    MTL_TRY(agg_store_cert_prepare(json, &c, &item_txt));
    mtl_err e = agg_store_cert_insert_locked(s, c, json, item_txt);
    free(item_txt);
    mtl_certificate_free(c);
    return e;
}

mtl_err agg_store_put_certificate(struct agg_store *s, const char *json)
{
    pthread_mutex_lock(&s->lock);
    mtl_err e = agg_store_insert_certificate_locked(s, json);
    pthread_mutex_unlock(&s->lock);
    return e;
}

mtl_err agg_store_get_certificate(struct agg_store *s, const char *hash, char **json)
{
    return agg_store_query_text(s, "SELECT json FROM certificate WHERE hash = ?1", hash, json,
                                "certificate");
}

mtl_err agg_store_get_genesis(struct agg_store *s, char **json)
{
    return agg_store_query_text(
        s,
        "SELECT json FROM certificate WHERE is_genesis = 1 ORDER BY seq DESC"
        " LIMIT 1",
        NULL, json, "genesis certificate");
}

/* A stored item, or the item of a full certificate (rows of schema < 3). */
static json_t *stored_list_item(const char *json)
{
    if (strncmp(json, "{\"item\":", 8) == 0) {
        json_t *w = json_loads(json, 0, NULL);
        json_t *item = json_incref(json_object_get(w, "item"));
        json_decref(w);
        return item;
    }
    return certificate_list_item(json);
}

mtl_err agg_store_list_certificates(struct agg_store *s, unsigned n, char **json)
{
    return agg_store_query_list(s,
                                "SELECT CASE WHEN item IS NULL THEN json ELSE"
                                " '{\"item\":' || item || '}' END FROM certificate"
                                " ORDER BY seq DESC LIMIT ?1",
                                n, stored_list_item, json);
}

mtl_err agg_store_latest_epoch(struct agg_store *s, uint64_t *epoch, int *found)
{
    char *txt = NULL;
    mtl_err e = agg_store_query_text(s,
                                     "SELECT CAST(MAX(epoch) AS TEXT) FROM certificate"
                                     " HAVING COUNT(*) > 0",
                                     NULL, &txt, "certificate");
    *found = e == MTL_OK;
    *epoch = txt ? strtoull(txt, NULL, 10) : 0;
    mtl_free(txt);
    if (e == MTL_ERR_NOT_FOUND) {
        mtl_err_clear();
        return MTL_OK;
    }
    return e;
}

json_t *agg_json_pick(const char *json, const char *const *keys, size_t n)
{
    json_t *a = json_loads(json, 0, NULL);
    if (!a)
        return NULL;
    json_t *item = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(a, keys[i]);
        if (v)
            json_object_set(item, keys[i], v);
    }
    json_decref(a);
    return item;
}

/* ---- artifacts ----------------------------------------------------------------- */

mtl_err agg_store_artifact_get(struct agg_store *s, enum mtl_signed_entity_kind k, const char *hash,
                               char **json)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT json FROM artifact WHERE kind = %d AND hash = ?1", (int)k);
    return agg_store_query_text(s, sql, hash, json, mtl_signed_entity_kind_name(k));
}

mtl_err agg_store_artifact_list(struct agg_store *s, enum mtl_signed_entity_kind k, int64_t epoch,
                                unsigned n, json_t *(*item)(const char *), char **json)
{
    char sql[128];
    if (epoch < 0) { /* the latest n; an epoch's list is not cut */
        snprintf(sql, sizeof(sql),
                 "SELECT json FROM artifact WHERE kind = %d ORDER BY seq DESC"
                 " LIMIT ?1",
                 (int)k);
        return agg_store_query_list(s, sql, n, item, json);
    }
    snprintf(sql, sizeof(sql),
             "SELECT json FROM artifact WHERE kind = %d AND epoch = ?1"
             " ORDER BY seq DESC",
             (int)k);
    return agg_store_query_list(s, sql, epoch, item, json);
}

mtl_err agg_store_artifact_extra(struct agg_store *s, enum mtl_signed_entity_kind k, char **json)
{
    char sql[128];
    snprintf(sql, sizeof(sql),
             "SELECT extra FROM artifact WHERE kind = %d AND extra IS NOT NULL"
             " ORDER BY seq DESC LIMIT 1",
             (int)k);
    return agg_store_query_text(s, sql, NULL, json, "artifact side document");
}

/* openapi SignerRegistrationsListItemMessage: party_id and stake. */
static json_t *registration_item(const char *json)
{
    static const char *const keys[] = {"party_id", "stake"};
    return agg_json_pick(json, keys, MTL_ARRAY_LEN(keys));
}

mtl_err agg_store_list_signers(struct agg_store *s, uint64_t epoch, char **json, int *count)
{
    MTL_TRY(agg_store_query_list(s,
                                 "SELECT json FROM signer_registration WHERE epoch = ?1"
                                 " ORDER BY party_id",
                                 (int64_t)epoch, registration_item, json));
    json_t *a = json_loads(*json, 0, NULL);
    *count = (int)json_array_size(a);
    json_decref(a);
    return MTL_OK;
}

/* Column 0 (text) of the first row of sql over ?1 epoch, ?2 party, ?3 key
 * into out ("" when no row). */
static mtl_err registration_lookup_locked(struct agg_store *s, const char *sql, uint64_t epoch,
                                          const char *party_id, const char *vk, char *out,
                                          size_t cap)
{
    sqlite3_stmt *st = NULL;
    out[0] = 0;
    MTL_TRY(app_db_prepare(s->db, &st, sql));
    sqlite3_bind_int64(st, 1, (int64_t)epoch);
    sqlite3_bind_text(st, 2, party_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, vk, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    mtl_err e =
        rc == SQLITE_ROW || rc == SQLITE_DONE
            ? MTL_OK
            : mtl_seterr(MTL_ERR_DB, "store: registration lookup: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return e;
}

mtl_err agg_store_put_registration(struct agg_store *s, uint64_t epoch, const char *party_id,
                                   const char *vk, uint64_t stake, const char *json, int *existing)
{
    sqlite3_stmt *st = NULL;
    char held[8], owner[256];
    *existing = 0;
    MTL_CHECK(stake <= INT64_MAX, MTL_ERR_INVALID_ARG, "stake %llu too large",
              (unsigned long long)stake);
    pthread_mutex_lock(&s->lock);
    /* The lookups and the insert under one lock: a concurrent registration
     * of the same party or key cannot slip between them. */
    mtl_err e = registration_lookup_locked(
        s,
        "SELECT CASE WHEN verification_key IS ?3 THEN 'same' ELSE 'other' END"
        " FROM signer_registration WHERE epoch = ?1 AND party_id = ?2",
        epoch, party_id, vk, held, sizeof(held));
    if (e == MTL_OK && strcmp(held, "same") == 0)
        *existing = 1;
    else if (e == MTL_OK && held[0])
        e = mtl_seterr(MTL_ERR_CONFLICT,
                       "%s is already registered for epoch %llu with another verification key"
                       " (a registration is never replaced)",
                       party_id, (unsigned long long)epoch);
    if (e == MTL_OK && !*existing)
        e = registration_lookup_locked(s,
                                       "SELECT party_id FROM signer_registration WHERE epoch = ?1"
                                       " AND verification_key = ?3 AND party_id <> ?2",
                                       epoch, party_id, vk, owner, sizeof(owner));
    if (e == MTL_OK && !*existing && owner[0])
        e = mtl_seterr(MTL_ERR_CONFLICT,
                       "this verification key is already registered for epoch %llu by %s (one"
                       " Mithril key stands for one pool)",
                       (unsigned long long)epoch, owner);
    if (e == MTL_OK && !*existing)
        e = app_db_prepare(s->db, &st,
                           "INSERT INTO signer_registration(epoch, party_id, json, stake,"
                           " verification_key) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (st) {
        sqlite3_bind_int64(st, 1, (int64_t)epoch);
        sqlite3_bind_text(st, 2, party_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)stake);
        sqlite3_bind_text(st, 5, vk, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_DB, "store: recording signer: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return e;
}

mtl_err agg_store_registrations(struct agg_store *s, uint64_t epoch, char **json)
{
    return agg_store_query_list(s,
                                "SELECT json FROM signer_registration WHERE epoch = ?1"
                                " ORDER BY party_id",
                                (int64_t)epoch, NULL, json);
}

mtl_err agg_store_registrations_digest(struct agg_store *s, uint64_t epoch, uint8_t out[32])
{
    sqlite3_stmt *st = NULL;
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    pthread_mutex_lock(&s->lock);
    mtl_err e = app_db_prepare(s->db, &st,
                               "SELECT json FROM signer_registration WHERE epoch = ?1"
                               " ORDER BY party_id");
    if (e == MTL_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)epoch);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            /* length first: row boundaries are part of the digest */
            uint8_t be[8];
            size_t n = (size_t)sqlite3_column_bytes(st, 0);
            mtl_be64_put(be, (uint64_t)n);
            crypto_generichash_update(&h, be, 8);
            crypto_generichash_update(&h, sqlite3_column_text(st, 0), n);
        }
        if (rc != SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_DB, "store: registrations: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    crypto_generichash_final(&h, out, 32);
    return e;
}
