/*
 * db.h - SQLite helpers for the programs: one file opened in WAL mode with
 * foreign keys on, schema migrations tracked by PRAGMA user_version, and
 * transactions. Errors are recorded with mtl_seterr (MTL_ERR_DB).
 */
#ifndef MTL_UTIL_DB_H
#define MTL_UTIL_DB_H

#include <sqlite3.h>
#include <stddef.h>

#include "mithril/err.h"

/* Migration i (0-based) brings the schema from version i to i+1. Each is one
 * SQL script run inside a transaction together with the version bump. */
struct app_db_migration {
    const char *sql;
};

/* Open (creating) path, set WAL, foreign_keys, busy timeout, then apply the
 * migrations not yet applied. A database newer than the migrations known is
 * refused. *out is closed with app_db_close. */
mtl_err app_db_open(sqlite3 **out, const char *path, const struct app_db_migration *migs,
                    size_t nmigs);
void app_db_close(sqlite3 *db);
/* Run SQL without results; the error names what failed. */
mtl_err app_db_exec(sqlite3 *db, const char *sql);
mtl_err app_db_begin(sqlite3 *db); /* BEGIN IMMEDIATE */
mtl_err app_db_commit(sqlite3 *db);
void app_db_rollback(sqlite3 *db);
/* End a transaction begun with app_db_begin: commit when e is MTL_OK, else
 * (or when the commit fails) roll back. Returns the outcome. */
mtl_err app_db_end(sqlite3 *db, mtl_err e);
/* Prepare a statement; the error names the SQL. */
mtl_err app_db_prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql);
/* Schema version (PRAGMA user_version). */
mtl_err app_db_version(sqlite3 *db, int *version);

#endif
