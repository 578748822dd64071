/*
 * ch_store_sqlite.c - the SQLite state driver (ch_store.h): state.db in
 * WAL mode, synchronous=FULL, shared by the processes of one machine.
 */
#include <config.h>

#include "ch_store.h"
#include "ch_file.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* Long enough for another process's transaction, short enough that a
   stuck peer surfaces as a retry instead of a hang. */
#define CH_SQ_BUSY_MS 15000

/* Schema steps: step[v - 1] brings a database from version v - 1 to v.
   Step 1 is written with IF NOT EXISTS so a state.db of the releases
   before schema versions (version 0, tables present) passes it. */
static const char ch_sq_step1[] =
    "CREATE TABLE IF NOT EXISTS profiles ("
    "  plugin_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
    "  status_json TEXT, updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (plugin_id, name));"
    "CREATE TABLE IF NOT EXISTS connections ("
    "  id TEXT PRIMARY KEY, plugin_path TEXT NOT NULL, plugin_id TEXT NOT NULL,"
    "  profile TEXT NOT NULL, dataset_path TEXT NOT NULL, settings_json TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL, dataset_lines_at_connect INTEGER NOT NULL,"
    "  historical INTEGER NOT NULL, delivered_through INTEGER NOT NULL,"
    "  run_id TEXT, run_first INTEGER, run_last INTEGER, run_attempt INTEGER,"
    "  run_outcome TEXT, run_status TEXT,"
    "  not_before_ms INTEGER NOT NULL DEFAULT 0,"
    "  run_full_refresh INTEGER NOT NULL DEFAULT 0,"
    "  last_full_refresh_ms INTEGER NOT NULL DEFAULT 0);"
    /* Settings are immutable once connected: enforced by the database,
       not only by the code that happens to write it today. */
    "CREATE TRIGGER IF NOT EXISTS connections_immutable"
    "  BEFORE UPDATE OF id, plugin_id, profile, dataset_path, settings_json,"
    "  created_at_ms, historical ON connections"
    "  BEGIN SELECT RAISE(ABORT, 'connection settings are immutable'); END;"
    "CREATE TABLE IF NOT EXISTS kv ("
    "  namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
    "  version INTEGER NOT NULL, PRIMARY KEY (namespace, key));"
    "CREATE TABLE IF NOT EXISTS runs ("
    "  run_id TEXT NOT NULL, attempt INTEGER NOT NULL, connection_id TEXT NOT NULL,"
    "  first_line INTEGER NOT NULL, last_line INTEGER NOT NULL, status TEXT NOT NULL,"
    "  report_json TEXT, started_ms INTEGER NOT NULL, finished_ms INTEGER,"
    "  PRIMARY KEY (run_id, attempt));"
    "CREATE INDEX IF NOT EXISTS runs_by_connection ON runs (connection_id, finished_ms);"
    "CREATE TABLE IF NOT EXISTS fingerprints ("
    "  connection_id TEXT PRIMARY KEY, lines INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  dev INTEGER NOT NULL, ino INTEGER NOT NULL, digest TEXT NOT NULL);";

/* Step 2 (with its columns in ch_sq_added). */
static const char ch_sq_step2[] =
    /* One row per connection ever leased: token only grows (fencing). */
    "CREATE TABLE IF NOT EXISTS leases ("
    "  connection_id TEXT PRIMARY KEY, holder TEXT NOT NULL DEFAULT '',"
    "  token INTEGER NOT NULL DEFAULT 0, expires_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS secrets ("
    "  name TEXT PRIMARY KEY, sealed BLOB NOT NULL, updated_ms INTEGER NOT NULL);";

/* Step 3: request budgets (aconn_host.pace); next_us only grows. */
static const char ch_sq_step3[] =
    "CREATE TABLE IF NOT EXISTS pace ("
    "  namespace TEXT NOT NULL, key TEXT NOT NULL, next_us INTEGER NOT NULL,"
    "  at_us INTEGER NOT NULL, PRIMARY KEY (namespace, key));";

static const char *const ch_sq_steps[CH_STORE_SCHEMA_VERSION] = { ch_sq_step1, ch_sq_step2,
                                                                  ch_sq_step3 };

/* ch_store.h, pace_sql: one autocommit upsert takes SQLite's write lock
   for the length of one row write (RETURNING: SQLite 3.35). The clock is
   read by the statement, after the lock is taken: a process that waited
   for the lock must not be granted a slot by the time it asked; and the
   wait is counted from the slot's time once the commit (an fsync) is over
   (pace_local_clock). */
#define CH_SQ_NOW_US "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
static const char ch_sq_pace[] =
    "INSERT INTO pace (namespace, key, next_us, at_us)"
    " VALUES (?1, ?2, " CH_SQ_NOW_US " + ?4 + ?3, " CH_SQ_NOW_US ")"
    " ON CONFLICT (namespace, key) DO UPDATE SET"
    " next_us = max(next_us, " CH_SQ_NOW_US " + ?4) + ?3, at_us = " CH_SQ_NOW_US
    " RETURNING next_us - ?3 - at_us, next_us - ?3";

/* Columns added after a table's first release: table, column, type; a
   migration adds those missing. ALTER TABLE ADD COLUMN keeps every row. */
static const char *const ch_sq_added[][3] = {
    /* The API a profile was authorized against ("" = the plugin's
       default); NULL in rows from before it was recorded. */
    { "profiles", "api_base", "TEXT" },
    { "profiles", "ca_file", "TEXT" },
    /* Schema 2: a connection's life around the worker. */
    { "connections", "paused", "INTEGER NOT NULL DEFAULT 0" },
    { "connections", "disconnected_ms", "INTEGER NOT NULL DEFAULT 0" },
};

static ch_db_rc ch_sq_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return CH_DB_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return CH_DB_BUSY;
    case SQLITE_CONSTRAINT:
        return CH_DB_CONSTRAINT;
    default:
        return CH_DB_ERROR;
    }
}

static ch_db_rc ch_sq_exec(void *db, const char *sql, const ch_sql_arg *args, int nargs,
                           ch_rows *rows, int64_t *changes)
{
    sqlite3_stmt *stmt = NULL;
    int i, n, step;
    ch_db_rc rc = CH_DB_ERROR;

    if (rows != NULL)
        memset(rows, 0, sizeof(*rows));
    if ((step = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL)) != SQLITE_OK)
        return ch_sq_rc(step) == CH_DB_OK ? CH_DB_ERROR : ch_sq_rc(step);
    for (i = 0; i < nargs; i++) {
        const ch_sql_arg *a = &args[i];
        if (a->type == 'i')
            sqlite3_bind_int64(stmt, i + 1, a->i);
        else if (a->type == 'b')
            sqlite3_bind_blob(stmt, i + 1, a->len > 0 ? a->s : "", (int) a->len,
                              SQLITE_STATIC);
        else if (a->s != NULL)
            sqlite3_bind_text(stmt, i + 1, a->s, -1, SQLITE_STATIC);
    }
    n = sqlite3_column_count(stmt);
    if (rows != NULL && ch_rows_init(rows, n) != 0)
        goto cleanup;
    for (i = 0; rows != NULL && i < n; i++)
        if (ch_rows_set_name(rows, i, sqlite3_column_name(stmt, i)) != 0)
            goto cleanup;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        ch_cell *cells;
        if (rows == NULL)
            continue;
        if ((cells = ch_rows_add_row(rows)) == NULL)
            goto cleanup;
        for (i = 0; i < n; i++) {
            int t = sqlite3_column_type(stmt, i);
            if (t == SQLITE_INTEGER) {
                cells[i].type = 'i';
                cells[i].i = sqlite3_column_int64(stmt, i);
            } else if (t != SQLITE_NULL) {
                const void *v = t == SQLITE_BLOB ? sqlite3_column_blob(stmt, i)
                                                 : (const void *) sqlite3_column_text(stmt, i);
                if (ch_cell_set_text(&cells[i], v, (size_t) sqlite3_column_bytes(stmt, i)) != 0)
                    goto cleanup;
            }
        }
    }
    rc = ch_sq_rc(step);
    if (rc == CH_DB_OK && changes != NULL)
        *changes = sqlite3_changes(db);
cleanup:
    sqlite3_finalize(stmt);
    if (rc != CH_DB_OK && rows != NULL)
        ch_rows_free(rows);
    return rc;
}

static ch_db_rc ch_sq_simple(void *db, const char *sql)
{
    return ch_sq_rc(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

static ch_db_rc ch_sq_begin(void *db)
{
    return ch_sq_simple(db, "BEGIN IMMEDIATE;");
}

static ch_db_rc ch_sq_commit(void *db)
{
    return ch_sq_simple(db, "COMMIT;");
}

static void ch_sq_rollback(void *db)
{
    sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
}

static const char *ch_sq_errmsg(void *db)
{
    return sqlite3_errmsg(db);
}

/* Adds the columns an older state.db lacks; inside the migration's
   transaction. */
static int ch_sq_add_columns(sqlite3 *db)
{
    size_t i;

    for (i = 0; i < sizeof(ch_sq_added) / sizeof(ch_sq_added[0]); i++) {
        char sql[256];
        ch_rows r;
        int have;

        snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'",
                 ch_sq_added[i][0], ch_sq_added[i][1]);
        if (ch_sq_exec(db, sql, NULL, 0, &r, NULL) != CH_DB_OK)
            return -1;
        have = r.nrows > 0;
        ch_rows_free(&r);
        if (have)
            continue;
        snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", ch_sq_added[i][0],
                 ch_sq_added[i][1], ch_sq_added[i][2]);
        if (ch_sq_simple(db, sql) != CH_DB_OK)
            return -1;
    }
    return 0;
}

/* Creates or migrates the schema in one transaction; a newer one is
   refused before anything is written. */
static ch_db_rc ch_sq_schema(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    ch_rows r;
    int64_t version;
    ch_db_rc rc;
    char sql[128];

    if ((rc = ch_sq_begin(db)) != CH_DB_OK) {
        ch_errf(err, errlen, "cannot prepare state database %s: %s", path, sqlite3_errmsg(db));
        return rc;
    }
    rc = ch_sq_simple(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    if (rc == CH_DB_OK)
        rc = ch_sq_exec(db, "SELECT coalesce(max(version), 0) FROM schema_version", NULL, 0,
                        &r, NULL);
    if (rc != CH_DB_OK)
        goto failed;
    version = ch_rows_int(&r, 0, 0);
    ch_rows_free(&r);
    if (version > CH_STORE_SCHEMA_VERSION) {
        ch_sq_rollback(db);
        ch_errf(err, errlen, "state database %s has schema version %lld, newer than this "
                "host knows (%d): it was left untouched; run a connector-host at least as "
                "new as the one that wrote it", path, (long long) version,
                CH_STORE_SCHEMA_VERSION);
        return CH_DB_ERROR;
    }
    for (; version < CH_STORE_SCHEMA_VERSION; version++) {
        if ((rc = ch_sq_simple(db, ch_sq_steps[version])) != CH_DB_OK)
            goto failed;
        if (ch_sq_add_columns(db) != 0) {
            rc = CH_DB_ERROR;
            goto failed;
        }
        snprintf(sql, sizeof(sql), "DELETE FROM schema_version; INSERT INTO schema_version"
                 " VALUES (%lld)", (long long) version + 1);
        if ((rc = ch_sq_simple(db, sql)) != CH_DB_OK)
            goto failed;
    }
    if ((rc = ch_sq_commit(db)) == CH_DB_OK)
        return CH_DB_OK;
failed:
    ch_errf(err, errlen, "cannot create the schema in %s: %s", path, sqlite3_errmsg(db));
    ch_sq_rollback(db);
    return rc != CH_DB_OK ? rc : CH_DB_ERROR;
}

static ch_db_rc ch_sq_open(const char *path, void **out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    ch_db_rc rc = CH_DB_ERROR;

    *out = NULL;
    /* Created 0600 here, so SQLite gives the -wal and -shm files it makes
       the same mode; an unsafe existing file is refused (ch_file.h). */
    if (ch_file_check_database(path, err, errlen) != 0)
        return CH_DB_ERROR;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        ch_errf(err, errlen, "cannot open state database %s: %s", path,
                db != NULL ? sqlite3_errmsg(db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(db, CH_SQ_BUSY_MS);
    /* WAL lets readers and one writer proceed together across processes;
       synchronous=FULL makes a commit durable before we report success. */
    if (ch_sq_simple(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     " PRAGMA foreign_keys=ON;") != CH_DB_OK) {
        ch_errf(err, errlen, "cannot prepare state database %s: %s", path, sqlite3_errmsg(db));
        goto cleanup;
    }
    if ((rc = ch_sq_schema(db, path, err, errlen)) != CH_DB_OK)
        goto cleanup;
    *out = db;
    db = NULL;
cleanup:
    sqlite3_close(db);
    return rc;
}

static void ch_sq_close(void *db)
{
    sqlite3_close(db);
}

const ch_store_ops ch_store_sqlite = {
    "sqlite", ch_sq_open, ch_sq_close, ch_sq_exec, ch_sq_begin, ch_sq_commit,
    ch_sq_rollback, ch_sq_errmsg, "", ch_sq_pace, 1,
};
