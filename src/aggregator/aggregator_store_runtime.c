/* aggregator_store_runtime.c - the runtime's tables: stake distributions,
 * protocol parameters per epoch, open messages, single signatures, Cardano
 * database artifacts, the one-transaction certification and retention. */
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "aggregator_int.h"
#include "common/common_int.h"
#include "db.h"
#include "log.h"

#define LOCK(s) pthread_mutex_lock(&(s)->lock)
#define UNLOCK(s) pthread_mutex_unlock(&(s)->lock)

static mtl_err step_done(struct agg_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return MTL_OK;
    if (rc == SQLITE_CONSTRAINT)
        return mtl_seterr(MTL_ERR_CONFLICT, "%s: already stored", what);
    return mtl_seterr(MTL_ERR_DB, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

void agg_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        mtl_free(v[i]);
    mtl_free(v);
}

mtl_err agg_store_put_stakes(struct agg_store *s, uint64_t key_epoch, const char *const *party,
                             const uint64_t *stake, size_t n)
{
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_begin(s->db);
    if (e == MTL_OK)
        e = app_db_prepare(s->db, &st,
                           "INSERT OR IGNORE INTO stake_distribution(epoch, party_id, stake)"
                           " VALUES (?1, ?2, ?3)");
    for (size_t i = 0; e == MTL_OK && i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t)key_epoch);
        sqlite3_bind_text(st, 2, party[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)stake[i]);
        e = step_done(s, st, "recording stake distribution");
    }
    sqlite3_finalize(st);
    e = app_db_end(s->db, e);
    UNLOCK(s);
    return e;
}

mtl_err agg_store_stake(struct agg_store *s, uint64_t key_epoch, const char *party, uint64_t *stake)
{
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_prepare(s->db, &st,
                               "SELECT stake FROM stake_distribution WHERE epoch = ?1 AND"
                               " party_id = ?2");
    if (e == MTL_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)key_epoch);
        sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *stake = (uint64_t)sqlite3_column_int64(st, 0);
        else if (rc == SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_NOT_FOUND,
                           "party %s is not in the stake distribution of epoch %llu", party,
                           (unsigned long long)key_epoch - 1);
        else
            e = mtl_seterr(MTL_ERR_DB, "store: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mtl_err agg_store_put_params(struct agg_store *s, uint64_t epoch, const struct mtl_stm_params *p)
{
    char txt[128];
    snprintf(txt, sizeof(txt), "{\"k\":%llu,\"m\":%llu,\"phi_f\":%.17g}", (unsigned long long)p->k,
             (unsigned long long)p->m, p->phi_f);
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_prepare(s->db, &st,
                               "INSERT OR IGNORE INTO epoch_settings(epoch, protocol_parameters)"
                               " VALUES (?1, ?2)");
    if (e == MTL_OK) {
        sqlite3_bind_int64(st, 1, (int64_t)epoch);
        sqlite3_bind_text(st, 2, txt, -1, SQLITE_STATIC);
        e = step_done(s, st, "recording protocol parameters");
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mtl_err agg_store_params(struct agg_store *s, uint64_t epoch, struct mtl_stm_params *p)
{
    char key[24], *txt = NULL;
    snprintf(key, sizeof(key), "%llu", (unsigned long long)epoch);
    MTL_TRY(agg_store_query_text(s,
                                 "SELECT protocol_parameters FROM epoch_settings WHERE"
                                 " epoch = CAST(?1 AS INTEGER)",
                                 key, &txt, "protocol parameters of the epoch"));
    json_t *j = json_loads(txt, 0, NULL);
    mtl_free(txt);
    MTL_CHECK(j, MTL_ERR_INTERNAL, "stored protocol parameters are not JSON");
    p->k = (uint64_t)json_integer_value(json_object_get(j, "k"));
    p->m = (uint64_t)json_integer_value(json_object_get(j, "m"));
    p->phi_f = json_number_value(json_object_get(j, "phi_f"));
    json_decref(j);
    return MTL_OK;
}

void agg_open_message_clear(struct agg_open_message *m)
{
    mtl_free(m->protocol_message);
    mtl_free(m->signed_entity);
    memset(m, 0, sizeof(*m));
}

mtl_err agg_store_open_message_create(struct agg_store *s, const struct agg_open_message *m)
{
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_prepare(s->db, &st,
                               "INSERT INTO open_message(signed_entity, kind, epoch,"
                               " immutable_file_number, protocol_message, signed_message,"
                               " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (e == MTL_OK) {
        sqlite3_bind_text(st, 1, m->signed_entity, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)m->type.kind);
        /* the epoch it is signed during (CardanoStakeDistribution: beacon + 1) */
        sqlite3_bind_int64(st, 3, (int64_t)mtl_signed_entity_signed_epoch(&m->type));
        sqlite3_bind_int64(st, 4, (int64_t)m->type.a);
        sqlite3_bind_text(st, 5, m->protocol_message, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, m->signed_message, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, m->created_at_ns);
        e = step_done(s, st, "creating open message");
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mtl_err agg_store_open_message_get(struct agg_store *s, const char *signed_entity,
                                   struct agg_open_message *m)
{
    memset(m, 0, sizeof(*m));
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_prepare(s->db, &st,
                               "SELECT kind, epoch, immutable_file_number, protocol_message,"
                               " signed_message, is_certified, created_at FROM open_message"
                               " WHERE signed_entity = ?1");
    if (e == MTL_OK) {
        sqlite3_bind_text(st, 1, signed_entity, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            m->signed_entity = mtl_strdup(signed_entity);
            /* the key is the entity's JSON: its whole beacon */
            e = mtl_signed_entity_type_from_json(&m->type, signed_entity, strlen(signed_entity));
            m->protocol_message = mtl_strdup((const char *)sqlite3_column_text(st, 3));
            snprintf(m->signed_message, sizeof(m->signed_message), "%s",
                     (const char *)sqlite3_column_text(st, 4));
            m->is_certified = sqlite3_column_int(st, 5);
            m->created_at_ns = sqlite3_column_int64(st, 6);
            if (e == MTL_OK && (!m->protocol_message || !m->signed_entity))
                e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
        } else if (rc == SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_NOT_FOUND, "open message %s not found", signed_entity);
        else
            e = mtl_seterr(MTL_ERR_DB, "store: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

/* Column 0 of every row as strings. */
static mtl_err query_strings(struct agg_store *s, const char *sql, const char *text_arg,
                             int64_t int_arg, char ***out, char ***out2, size_t *n)
{
    *out = NULL;
    if (out2)
        *out2 = NULL;
    *n = 0;
    size_t cap = 0;
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_prepare(s->db, &st, sql);
    int rc = SQLITE_DONE;
    if (e == MTL_OK) {
        if (text_arg)
            sqlite3_bind_text(st, 1, text_arg, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 1, int_arg);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                char **v = mtl_realloc(*out, cap * sizeof(char *));
                char **v2 = out2 ? mtl_realloc(*out2, cap * sizeof(char *)) : NULL;
                if (v)
                    *out = v;
                if (v2)
                    *out2 = v2;
                if (!v || (out2 && !v2)) {
                    e = mtl_seterr(MTL_ERR_NOMEM, "out of memory");
                    break;
                }
            }
            (*out)[*n] = mtl_strdup((const char *)sqlite3_column_text(st, 0));
            if (out2)
                (*out2)[*n] = mtl_strdup((const char *)sqlite3_column_text(st, 1));
            (*n)++;
        }
        if (e == MTL_OK && rc != SQLITE_DONE)
            e = mtl_seterr(MTL_ERR_DB, "store: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    if (e != MTL_OK) {
        agg_strv_free(*out, *n);
        if (out2)
            agg_strv_free(*out2, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

mtl_err agg_store_open_messages_pending(struct agg_store *s, uint64_t epoch, char ***keys,
                                        size_t *n)
{
    return query_strings(s,
                         "SELECT signed_entity FROM open_message WHERE epoch = ?1 AND"
                         " is_certified = 0 ORDER BY kind",
                         NULL, (int64_t)epoch, keys, NULL, n);
}

mtl_err agg_store_put_signature(struct agg_store *s, const char *signed_entity, uint64_t epoch,
                                const char *party, const char *sig, size_t won)
{
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_prepare(s->db, &st,
                               "INSERT INTO single_signature(signed_entity, party_id, epoch,"
                               " signature, won) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (e == MTL_OK) {
        sqlite3_bind_text(st, 1, signed_entity, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)epoch);
        sqlite3_bind_text(st, 4, sig, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (int64_t)won);
        e = step_done(s, st, "single signature");
        if (e == MTL_ERR_CONFLICT)
            mtl_seterr(MTL_ERR_CONFLICT, "party %s already signed %s", party, signed_entity);
    }
    sqlite3_finalize(st);
    UNLOCK(s);
    return e;
}

mtl_err agg_store_signatures(struct agg_store *s, const char *signed_entity, char ***party,
                             char ***sigs, size_t *n)
{
    return query_strings(s,
                         "SELECT party_id, signature FROM single_signature WHERE"
                         " signed_entity = ?1 ORDER BY party_id",
                         signed_entity, 0, party, sigs, n);
}

mtl_err agg_store_master_certificate(struct agg_store *s, uint64_t epoch, char **json)
{
    char key[24];
    snprintf(key, sizeof(key), "%llu", (unsigned long long)epoch);
    /* First certificate of each epoch (genesis or parent in another epoch),
     * the latest of those within [epoch-1, epoch]. */
    return agg_store_query_text(
        s,
        "SELECT c.json FROM certificate c LEFT JOIN certificate p ON p.hash = c.previous_hash"
        " WHERE c.epoch BETWEEN CAST(?1 AS INTEGER) - 1 AND CAST(?1 AS INTEGER)"
        " AND (c.is_genesis = 1 OR p.hash IS NULL OR p.epoch != c.epoch)"
        " ORDER BY c.seq DESC LIMIT 1",
        key, json, "master certificate");
}

/* Test hook: die inside the transaction, like a kill -9 mid-write. */
static void crash_point(const char *where)
{
    const char *w = getenv("MTL_AGG_TEST_CRASH");
    if (w && strcmp(w, where) == 0) {
        log_warn("test_crash", "at=%s", where);
        raise(SIGKILL);
    }
}

static mtl_err certify_tx(struct agg_store *s, const char *signed_entity,
                          const struct mtl_certificate *c, const char *cert_json, const char *item,
                          const struct agg_artifact *art)
{
    sqlite3_stmt *st = NULL;
    LOCK(s);
    mtl_err e = app_db_begin(s->db);
    if (e == MTL_OK)
        e = agg_store_cert_insert_locked(s, c, cert_json, item);
    if (e == MTL_OK)
        crash_point("after_certificate");
    char *entity = NULL;
    if (e == MTL_OK && art)
        e = mtl_signed_entity_type_to_json(&art->entity, &entity);
    if (e == MTL_OK && art) {
        e = app_db_prepare(
            s->db, &st,
            "INSERT INTO artifact(kind, hash, epoch, signed_entity,"
            " certificate_hash, json, extra, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
            " (SELECT COALESCE(MAX(seq), 0) + 1 FROM artifact))");
        if (e == MTL_OK) {
            sqlite3_bind_int(st, 1, (int)art->entity.kind);
            sqlite3_bind_text(st, 2, art->hash, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, (int64_t)art->entity.epoch);
            sqlite3_bind_text(st, 4, entity, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, mtl_certificate_hash(c), -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 6, art->json, -1, SQLITE_STATIC);
            if (art->extra)
                sqlite3_bind_text(st, 7, art->extra, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, 7);
            e = step_done(s, st, "artifact");
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (e == MTL_OK)
        crash_point("after_artifact");
    if (e == MTL_OK && signed_entity) {
        e = app_db_prepare(s->db, &st,
                           "UPDATE open_message SET is_certified = 1 WHERE signed_entity = ?1");
        if (e == MTL_OK) {
            sqlite3_bind_text(st, 1, signed_entity, -1, SQLITE_STATIC);
            e = step_done(s, st, "open message");
        }
        sqlite3_finalize(st);
    }
    e = app_db_end(s->db, e);
    UNLOCK(s);
    mtl_free(entity);
    return e;
}

mtl_err agg_store_certify(struct agg_store *s, const char *signed_entity, const char *cert_json,
                          const struct agg_artifact *art)
{
    struct mtl_certificate *c = NULL;
    char *item = NULL;
    /* Parsed and checked before the lock: HTTP threads are not held up. */
    MTL_TRY(agg_store_cert_prepare(cert_json, &c, &item));
    mtl_err e = certify_tx(s, signed_entity, c, cert_json, item, art);
    free(item);
    mtl_certificate_free(c);
    return e;
}

mtl_err agg_store_certify_built(struct agg_store *s, const char *signed_entity,
                                const struct mtl_certificate *c, const char *cert_json,
                                const struct agg_artifact *art)
{
    char *item = NULL;
    MTL_TRY(agg_store_cert_item(cert_json, &item));
    mtl_err e = certify_tx(s, signed_entity, c, cert_json, item, art);
    free(item);
    return e;
}

mtl_err agg_store_prune(struct agg_store *s, uint64_t min_epoch, int *changes)
{
    static const char *const sql[] = {
        "DELETE FROM signer_registration WHERE epoch < ?1",
        "DELETE FROM stake_distribution WHERE epoch < ?1",
        "DELETE FROM single_signature WHERE epoch < ?1",
        "DELETE FROM open_message WHERE epoch < ?1",
    };
    *changes = 0;
    LOCK(s);
    mtl_err e = app_db_begin(s->db);
    for (size_t i = 0; e == MTL_OK && i < MTL_ARRAY_LEN(sql); i++) {
        sqlite3_stmt *st = NULL;
        e = app_db_prepare(s->db, &st, sql[i]);
        if (e == MTL_OK) {
            sqlite3_bind_int64(st, 1, (int64_t)min_epoch);
            e = step_done(s, st, "pruning");
            *changes += sqlite3_changes(s->db);
        }
        sqlite3_finalize(st);
    }
    e = app_db_end(s->db, e);
    UNLOCK(s);
    return e;
}
