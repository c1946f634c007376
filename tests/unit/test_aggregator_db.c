/* SQLite helpers: WAL mode, foreign keys, migrations applied once and in
 * order, a failing migration rolled back, a newer schema refused. */
#include <unistd.h>

#include "harness.h"
#include "util/db.h"

static const struct app_db_migration migs[] = {
    {"CREATE TABLE parent(id INTEGER PRIMARY KEY);"},
    {"CREATE TABLE child(id INTEGER PRIMARY KEY, p INTEGER NOT NULL REFERENCES parent(id));"},
};

static void tmp_path(char *out, size_t n)
{
    snprintf(out, n, "/tmp/test_aggregator_db_%d.sqlite3", (int)getpid());
}

static void cleanup(const char *path)
{
    th_remove_sqlite(path);
}

static int count_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (app_db_prepare(db, &st, sql) != MTL_OK)
        return -1;
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

TEST(migrations_wal_fk)
{
    char path[256];
    tmp_path(path, sizeof(path));
    cleanup(path);
    sqlite3 *db = NULL;
    CHECK_OK(app_db_open(&db, path, migs, 1));
    int v = 0;
    CHECK_OK(app_db_version(db, &v));
    CHECK_EQ_INT(v, 1);
    app_db_close(db);
    /* Reopening with one more migration applies only the new one. */
    CHECK_OK(app_db_open(&db, path, migs, 2));
    CHECK_OK(app_db_version(db, &v));
    CHECK_EQ_INT(v, 2);
    sqlite3_stmt *st = NULL;
    CHECK_OK(app_db_prepare(db, &st, "PRAGMA journal_mode"));
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_EQ_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    /* Foreign keys are enforced. */
    CHECK_ERR(app_db_exec(db, "INSERT INTO child(id, p) VALUES (1, 42)"), MTL_ERR_DB);
    CHECK(strstr(mtl_err_detail(), "FOREIGN KEY") != NULL);
    /* A rolled-back transaction leaves nothing. */
    CHECK_OK(app_db_begin(db));
    CHECK_OK(app_db_exec(db, "INSERT INTO parent(id) VALUES (7)"));
    app_db_rollback(db);
    CHECK_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM parent"), 0);
    CHECK_OK(app_db_begin(db));
    CHECK_OK(app_db_exec(db, "INSERT INTO parent(id) VALUES (7)"));
    CHECK_OK(app_db_commit(db));
    CHECK_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM parent"), 1);
    app_db_close(db);
    /* A program knowing fewer migrations than the file refuses it. */
    CHECK_ERR(app_db_open(&db, path, migs, 1), MTL_ERR_DB);
    CHECK(strstr(mtl_err_detail(), "newer") != NULL);
    CHECK(db == NULL);
    cleanup(path);
}

TEST(bad_migration_rolled_back)
{
    char path[256];
    tmp_path(path, sizeof(path));
    cleanup(path);
    static const struct app_db_migration bad[] = {
        {"CREATE TABLE a(x);"},
        {"CREATE TABLE b(y); CREATE TABLE oops SYNTAX ERROR;"},
    };
    sqlite3 *db = NULL;
    CHECK_ERR(app_db_open(&db, path, bad, 2), MTL_ERR_DB);
    CHECK(strstr(mtl_err_detail(), "migration 2") != NULL);
    CHECK_OK(app_db_open(&db, path, bad, 1));
    int v = 0;
    CHECK_OK(app_db_version(db, &v));
    CHECK_EQ_INT(v, 1);
    /* Table b from the failed migration was rolled back. */
    CHECK_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM sqlite_master WHERE name='b'"), 0);
    app_db_close(db);
    cleanup(path);
}

TEST(open_unwritable_path)
{
    sqlite3 *db = NULL;
    CHECK_ERR(app_db_open(&db, "/nonexistent-dir/x/db.sqlite3", migs, 2), MTL_ERR_DB);
    CHECK(strstr(mtl_err_detail(), "/nonexistent-dir") != NULL);
}

int main(void)
{
    RUN(migrations_wal_fk);
    RUN(bad_migration_rolled_back);
    RUN(open_unwritable_path);
    return DONE();
}
