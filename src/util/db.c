/* db.c - SQLite open/migrate/transaction helpers. */
#include <stdio.h>
#include <string.h>

#include "common/common_int.h"
#include "db.h"

mtl_err app_db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        mtl_err e =
            mtl_seterr(MTL_ERR_DB, "sqlite: %s (in '%.60s')", msg ? msg : sqlite3_errmsg(db), sql);
        sqlite3_free(msg);
        return e;
    }
    return MTL_OK;
}

mtl_err app_db_begin(sqlite3 *db)
{
    return app_db_exec(db, "BEGIN IMMEDIATE");
}

mtl_err app_db_commit(sqlite3 *db)
{
    return app_db_exec(db, "COMMIT");
}

void app_db_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

mtl_err app_db_end(sqlite3 *db, mtl_err e)
{
    if (e == MTL_OK)
        e = app_db_commit(db);
    if (e != MTL_OK)
        app_db_rollback(db);
    return e;
}

mtl_err app_db_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return mtl_seterr(MTL_ERR_DB, "sqlite: %s (preparing '%.60s')", sqlite3_errmsg(db), sql);
    return MTL_OK;
}

mtl_err app_db_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st = NULL;
    MTL_TRY(app_db_prepare(db, &st, "PRAGMA user_version"));
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    MTL_CHECK(rc == SQLITE_ROW, MTL_ERR_DB, "sqlite: cannot read user_version: %s",
              sqlite3_errmsg(db));
    return MTL_OK;
}

static mtl_err migrate(sqlite3 *db, const struct app_db_migration *migs, size_t nmigs)
{
    int v;
    MTL_TRY(app_db_version(db, &v));
    MTL_CHECK(v >= 0 && (size_t)v <= nmigs, MTL_ERR_DB,
              "database schema version %d is newer than this program knows (%zu)", v, nmigs);
    for (size_t i = (size_t)v; i < nmigs; i++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %zu", i + 1);
        MTL_TRY(app_db_begin(db));
        mtl_err e = app_db_exec(db, migs[i].sql);
        if (e == MTL_OK)
            e = app_db_exec(db, bump);
        if ((e = app_db_end(db, e)) != MTL_OK)
            return mtl_err_wrap(e, "migration %zu", i + 1);
    }
    return MTL_OK;
}

mtl_err app_db_open(sqlite3 **out, const char *path, const struct app_db_migration *migs,
                    size_t nmigs)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        mtl_err e = mtl_seterr(MTL_ERR_DB, "sqlite: cannot open %s: %s", path,
                               db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return e;
    }
    sqlite3_busy_timeout(db, 5000);
    /* 16 KiB pages (a new file only; an existing one keeps its size): a
     * certificate's commit writes ~14 MB (certificate, stake distribution
     * artifact) and with 4 KiB pages SQLite's per-page work (overflow
     * chain, WAL frame header and checksum, one write each) was most of the
     * commit's CPU; same journal, same synchronous, same durability. */
    mtl_err e = app_db_exec(db, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;"
                                " PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
    if (e == MTL_OK)
        e = migrate(db, migs, nmigs);
    if (e != MTL_OK) {
        sqlite3_close(db);
        return mtl_err_wrap(e, "database %s", path);
    }
    *out = db;
    return MTL_OK;
}

void app_db_close(sqlite3 *db)
{
    if (db)
        sqlite3_close(db);
}
