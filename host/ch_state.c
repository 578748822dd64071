/*
 * ch_state.c - SQLite state: schema, key-value compare-and-set, profiles,
 * connections and the delivery-run bookkeeping.
 */
#include <config.h>

#include "ch_state.h"
#include "ch_file.h"
#include "ch_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/* Long enough for another process's transaction, short enough that a
   stuck peer surfaces as a retry instead of a hang. */
#define CH_STATE_BUSY_MS 15000

struct ch_state {
    sqlite3 *db;
    pthread_mutex_t mu;
};

static const char ch_state_schema[] =
    "CREATE TABLE IF NOT EXISTS profiles ("
    "  plugin_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  status_json TEXT,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (plugin_id, name));"
    "CREATE TABLE IF NOT EXISTS connections ("
    "  id TEXT PRIMARY KEY,"
    "  plugin_path TEXT NOT NULL,"
    "  plugin_id TEXT NOT NULL,"
    "  profile TEXT NOT NULL,"
    "  dataset_path TEXT NOT NULL,"
    "  settings_json TEXT NOT NULL,"
    "  created_at_ms INTEGER NOT NULL,"
    "  dataset_lines_at_connect INTEGER NOT NULL,"
    "  historical INTEGER NOT NULL,"
    "  delivered_through INTEGER NOT NULL,"
    "  run_id TEXT,"
    "  run_first INTEGER,"
    "  run_last INTEGER,"
    "  run_attempt INTEGER,"
    "  run_outcome TEXT,"
    "  run_status TEXT,"
    "  not_before_ms INTEGER NOT NULL DEFAULT 0,"
    "  run_full_refresh INTEGER NOT NULL DEFAULT 0,"
    "  last_full_refresh_ms INTEGER NOT NULL DEFAULT 0);"
    /* Settings are immutable once connected: enforce it in the database,
       not only in the code that happens to write it today. */
    "CREATE TRIGGER IF NOT EXISTS connections_immutable"
    "  BEFORE UPDATE OF id, plugin_id, profile, dataset_path, settings_json,"
    "  created_at_ms, historical ON connections"
    "  BEGIN SELECT RAISE(ABORT, 'connection settings are immutable'); END;"
    "CREATE TABLE IF NOT EXISTS kv ("
    "  namespace TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value BLOB NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (namespace, key));"
    "CREATE TABLE IF NOT EXISTS runs ("
    "  run_id TEXT NOT NULL,"
    "  attempt INTEGER NOT NULL,"
    "  connection_id TEXT NOT NULL,"
    "  first_line INTEGER NOT NULL,"
    "  last_line INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  report_json TEXT,"
    "  started_ms INTEGER NOT NULL,"
    "  finished_ms INTEGER,"
    "  PRIMARY KEY (run_id, attempt));"
    /* connections / runs --connection read a connection's latest runs. */
    "CREATE INDEX IF NOT EXISTS runs_by_connection ON runs (connection_id, finished_ms);"
    /* The fingerprint of what the checkpoint covers (ch_fprint.h); a table
       of its own so state made before it needs no migration. */
    "CREATE TABLE IF NOT EXISTS fingerprints ("
    "  connection_id TEXT PRIMARY KEY,"
    "  lines INTEGER NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  dev INTEGER NOT NULL,"
    "  ino INTEGER NOT NULL,"
    "  digest TEXT NOT NULL);";

/* Columns added after the first release, so an existing state.db gains
   them on open: table, column, type. ALTER TABLE ADD COLUMN keeps every row. */
static const char *const ch_state_added[][3] = {
    /* The API a profile was authorized against ("" = the plugin's
       default); NULL in rows from before it was recorded. */
    { "profiles", "api_base", "TEXT" },
    { "profiles", "ca_file", "TEXT" },
};

static void ch_state_err(ch_state *st, char *err, size_t errlen, const char *what)
{
    ch_errf(err, errlen, "state database: %s: %s", what, sqlite3_errmsg(st->db));
}

/* Adds the columns an older state.db lacks; inside the open transaction. */
static int ch_state_migrate(sqlite3 *db, char **msg)
{
    size_t i;

    for (i = 0; i < sizeof(ch_state_added) / sizeof(ch_state_added[0]); i++) {
        char sql[256];
        sqlite3_stmt *stmt = NULL;
        int have = 0;

        snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'",
                 ch_state_added[i][0], ch_state_added[i][1]);
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
            return -1;
        have = sqlite3_step(stmt) == SQLITE_ROW;
        sqlite3_finalize(stmt);
        if (have)
            continue;
        snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", ch_state_added[i][0],
                 ch_state_added[i][1], ch_state_added[i][2]);
        if (sqlite3_exec(db, sql, NULL, NULL, msg) != SQLITE_OK)
            return -1;
    }
    return 0;
}

int ch_state_open(const char *path, ch_state **out, char *err, size_t errlen)
{
    int rc = -1;
    ch_state *st = NULL;
    char *msg = NULL;

    *out = NULL;
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        free(st);
        st = NULL;
        ch_errf(err, errlen, "cannot create a mutex");
        goto cleanup;
    }
    /* Created 0600 here, so SQLite gives the -wal and -shm files it makes
       the same mode; an unsafe existing file is refused (ch_file.h). */
    if (ch_file_check_database(path, err, errlen) != 0)
        goto cleanup;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                        | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        ch_errf(err, errlen, "cannot open state database %s: %s", path,
                st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(st->db, CH_STATE_BUSY_MS);
    /* WAL lets readers and one writer proceed together across processes;
       synchronous=FULL makes a commit durable before we report success. */
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     " PRAGMA foreign_keys=ON;", NULL, NULL, &msg) != SQLITE_OK
        || sqlite3_exec(st->db, "BEGIN IMMEDIATE;", NULL, NULL, &msg) != SQLITE_OK) {
        ch_errf(err, errlen, "cannot prepare state database %s: %s", path,
                msg != NULL ? msg : sqlite3_errmsg(st->db));
        goto cleanup;
    }
    if (sqlite3_exec(st->db, ch_state_schema, NULL, NULL, &msg) != SQLITE_OK
        || ch_state_migrate(st->db, &msg) != 0
        || sqlite3_exec(st->db, "COMMIT;", NULL, NULL, &msg) != SQLITE_OK) {
        ch_errf(err, errlen, "cannot create the schema in %s: %s", path,
                msg != NULL ? msg : sqlite3_errmsg(st->db));
        sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
        goto cleanup;
    }
    *out = st;
    st = NULL;
    rc = 0;
cleanup:
    sqlite3_free(msg);
    if (st != NULL)
        ch_state_close(st);
    return rc;
}

void ch_state_close(ch_state *st)
{
    if (st == NULL)
        return;
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

static sqlite3_stmt *ch_state_prepare(ch_state *st, const char *sql)
{
    sqlite3_stmt *stmt = NULL;

    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return NULL;
    return stmt;
}

static int ch_state_is_busy(int rc)
{
    rc &= 0xff;
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

static char *ch_state_col_text(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return t != NULL ? strdup((const char *) t) : NULL;
}

/* ---- key-value store --------------------------------------------------- */

aconn_status ch_state_kv_get(ch_state *st, const char *ns, const char *key,
                             char *buf, size_t buflen, size_t *len,
                             uint64_t *version)
{
    aconn_status status = ACONN_ERR_FATAL;
    sqlite3_stmt *stmt = NULL;
    int rc;

    if (version != NULL)
        *version = 0;
    if (key == NULL || ns == NULL)
        return ACONN_ERR_INVALID;
    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "SELECT value, version FROM kv"
                            " WHERE namespace = ?1 AND key = ?2");
    if (stmt == NULL)
        goto cleanup;
    sqlite3_bind_text(stmt, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        status = ACONN_ERR_NOT_FOUND;
    } else if (rc == SQLITE_ROW) {
        const void *v = sqlite3_column_blob(stmt, 0);
        size_t n = (size_t) sqlite3_column_bytes(stmt, 0);
        if (len != NULL)
            *len = n;
        if (version != NULL)
            *version = (uint64_t) sqlite3_column_int64(stmt, 1);
        if (buf == NULL || buflen <= n) {
            status = ACONN_ERR_TOO_SMALL;
        } else {
            if (n > 0)
                memcpy(buf, v, n);
            buf[n] = '\0';
            status = ACONN_OK;
        }
    } else if (ch_state_is_busy(rc)) {
        status = ACONN_RETRY;
    }
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return status;
}

aconn_status ch_state_kv_cas(ch_state *st, const char *ns, const char *key,
                             uint64_t expected, const char *value, size_t len,
                             uint64_t *new_version)
{
    aconn_status status = ACONN_ERR_FATAL;
    sqlite3_stmt *stmt = NULL;
    uint64_t current = 0;
    int in_txn = 0;
    int rc;

    if (ns == NULL || key == NULL || *key == '\0' || strlen(key) > CH_STATE_KEY_MAX
        || (value != NULL && len > CH_STATE_VALUE_MAX))
        return ACONN_ERR_INVALID;
    pthread_mutex_lock(&st->mu);
    /* IMMEDIATE takes the write lock before the read, so no other process
       can change the version between our check and our write. */
    rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = ch_state_is_busy(rc) ? ACONN_RETRY : ACONN_ERR_FATAL;
        goto cleanup;
    }
    in_txn = 1;
    stmt = ch_state_prepare(st, "SELECT version FROM kv WHERE namespace = ?1 AND key = ?2");
    if (stmt == NULL)
        goto cleanup;
    sqlite3_bind_text(stmt, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        current = (uint64_t) sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE)
        goto cleanup;
    sqlite3_finalize(stmt);
    stmt = NULL;
    if (current != expected) {
        status = ACONN_ERR_CONFLICT;
        goto cleanup;
    }
    if (value == NULL) {
        stmt = ch_state_prepare(st, "DELETE FROM kv WHERE namespace = ?1 AND key = ?2");
    } else {
        stmt = ch_state_prepare(st, "INSERT OR REPLACE INTO kv (namespace, key, value,"
                                " version) VALUES (?1, ?2, ?3, ?4)");
    }
    if (stmt == NULL)
        goto cleanup;
    sqlite3_bind_text(stmt, 1, ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    if (value != NULL) {
        sqlite3_bind_blob(stmt, 3, len > 0 ? value : "", (int) len, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 4, (sqlite3_int64) (expected + 1));
    }
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        status = ch_state_is_busy(rc) ? ACONN_RETRY : ACONN_ERR_FATAL;
        goto cleanup;
    }
    rc = sqlite3_exec(st->db, "COMMIT;", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        status = ch_state_is_busy(rc) ? ACONN_RETRY : ACONN_ERR_FATAL;
        goto cleanup;
    }
    in_txn = 0;
    if (new_version != NULL)
        *new_version = value != NULL ? expected + 1 : 0;
    status = ACONN_OK;
cleanup:
    sqlite3_finalize(stmt);
    if (in_txn)
        sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
    pthread_mutex_unlock(&st->mu);
    return status;
}

/* ---- profiles ---------------------------------------------------------- */

int ch_state_profile_set(ch_state *st, const char *plugin_id, const char *name,
                         const char *status, const char *status_json,
                         int64_t now_ms, char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *stmt = NULL;

    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "INSERT INTO profiles (plugin_id, name, status,"
                            " status_json, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
                            " ON CONFLICT (plugin_id, name) DO UPDATE SET"
                            " status = ?3, status_json = COALESCE(?4, status_json),"
                            " updated_ms = ?5");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "saving a profile");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, plugin_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, status, -1, SQLITE_STATIC);
    if (status_json != NULL)
        sqlite3_bind_text(stmt, 4, status_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, now_ms);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        ch_state_err(st, err, errlen, "saving a profile");
        goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ch_state_profile_get(ch_state *st, const char *plugin_id, const char *name,
                         char **status, char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *stmt = NULL;
    int step;

    *status = NULL;
    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "SELECT status FROM profiles WHERE plugin_id = ?1"
                            " AND name = ?2");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "reading a profile");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, plugin_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_DONE) {
        rc = 1;
    } else if (step == SQLITE_ROW) {
        *status = ch_state_col_text(stmt, 0);
        rc = *status != NULL ? 0 : -1;
    } else {
        ch_state_err(st, err, errlen, "reading a profile");
    }
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ch_state_profile_endpoint_set(ch_state *st, const char *plugin_id, const char *name,
                                  const char *api_base, const char *ca_file,
                                  char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *stmt = NULL;

    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "UPDATE profiles SET api_base = ?3, ca_file = ?4"
                            " WHERE plugin_id = ?1 AND name = ?2");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "saving a profile's API base");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, plugin_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, api_base != NULL ? api_base : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, ca_file != NULL ? ca_file : "", -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        ch_state_err(st, err, errlen, "saving a profile's API base");
        goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ch_state_profile_endpoint_get(ch_state *st, const char *plugin_id, const char *name,
                                  char **api_base, char **ca_file, char *err, size_t errlen)
{
    int rc = -1, step;
    sqlite3_stmt *stmt = NULL;

    *api_base = *ca_file = NULL;
    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "SELECT api_base, ca_file FROM profiles"
                            " WHERE plugin_id = ?1 AND name = ?2 AND api_base IS NOT NULL");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "reading a profile's API base");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, plugin_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, name, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_DONE) {
        rc = 1;
    } else if (step == SQLITE_ROW) {
        *api_base = ch_state_col_text(stmt, 0);
        *ca_file = strdup(sqlite3_column_type(stmt, 1) == SQLITE_NULL ? ""
                          : (const char *) sqlite3_column_text(stmt, 1));
        rc = *api_base != NULL && *ca_file != NULL ? 0 : -1;
        if (rc != 0)
            ch_errf(err, errlen, "out of memory");
    } else {
        ch_state_err(st, err, errlen, "reading a profile's API base");
    }
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ---- connections ------------------------------------------------------- */

static int ch_state_step_once(sqlite3_stmt *stmt);

/* Records c->fp for c (inside the caller's transaction). 0, or -1. */
static int ch_state_fp_put(ch_state *st, const ch_connection *c)
{
    sqlite3_stmt *stmt;

    if (!c->fp.valid)
        return 0;
    stmt = ch_state_prepare(st, "INSERT OR REPLACE INTO fingerprints (connection_id,"
                            " lines, bytes, dev, ino, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (stmt == NULL)
        return -1;
    sqlite3_bind_text(stmt, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64) c->fp.lines);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64) c->fp.bytes);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64) c->fp.dev);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64) c->fp.ino);
    sqlite3_bind_text(stmt, 6, c->fp.digest, -1, SQLITE_STATIC);
    return ch_state_step_once(stmt) == SQLITE_DONE ? 0 : -1;
}

/* Loads c's fingerprint into c->fp (valid 0 when there is none). */
static int ch_state_fp_get(ch_state *st, ch_connection *c)
{
    sqlite3_stmt *stmt = ch_state_prepare(st, "SELECT lines, bytes, dev, ino, digest"
                                          " FROM fingerprints WHERE connection_id = ?1");
    int step, rc = -1;

    memset(&c->fp, 0, sizeof(c->fp));
    if (stmt == NULL)
        return -1;
    sqlite3_bind_text(stmt, 1, c->id, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW && sqlite3_column_text(stmt, 4) != NULL) {
        c->fp.valid = 1;
        c->fp.lines = (uint64_t) sqlite3_column_int64(stmt, 0);
        c->fp.bytes = (uint64_t) sqlite3_column_int64(stmt, 1);
        c->fp.dev = (uint64_t) sqlite3_column_int64(stmt, 2);
        c->fp.ino = (uint64_t) sqlite3_column_int64(stmt, 3);
        snprintf(c->fp.digest, sizeof(c->fp.digest), "%s",
                 (const char *) sqlite3_column_text(stmt, 4));
    }
    rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(stmt);
    return rc;
}

int ch_state_connection_insert(ch_state *st, const ch_connection *c,
                               char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *stmt = NULL;

    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "INSERT INTO connections (id, plugin_path, plugin_id,"
                            " profile, dataset_path, settings_json, created_at_ms,"
                            " dataset_lines_at_connect, historical, delivered_through,"
                            " last_full_refresh_ms)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?7)");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "saving a connection");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->plugin_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, c->plugin_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, c->profile, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, c->dataset_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, c->settings_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 7, c->created_at_ms);
    sqlite3_bind_int64(stmt, 8, (sqlite3_int64) c->lines_at_connect);
    sqlite3_bind_int(stmt, 9, c->historical);
    sqlite3_bind_int64(stmt, 10, (sqlite3_int64) c->delivered_through);
    if (sqlite3_step(stmt) != SQLITE_DONE || ch_state_fp_put(st, c) != 0) {
        ch_state_err(st, err, errlen, "saving a connection");
        goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ch_state_connection_get(ch_state *st, const char *id, ch_connection *c,
                            char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *stmt = NULL;
    int step;

    memset(c, 0, sizeof(*c));
    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "SELECT id, plugin_path, plugin_id, profile,"
                            " dataset_path, settings_json, created_at_ms,"
                            " dataset_lines_at_connect, historical, delivered_through,"
                            " run_id, run_first, run_last, run_attempt, run_outcome,"
                            " run_status, not_before_ms, run_full_refresh,"
                            " last_full_refresh_ms FROM connections WHERE id = ?1");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "reading a connection");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_DONE) {
        rc = 1;
        goto cleanup;
    }
    if (step != SQLITE_ROW) {
        ch_state_err(st, err, errlen, "reading a connection");
        goto cleanup;
    }
    c->id = ch_state_col_text(stmt, 0);
    c->plugin_path = ch_state_col_text(stmt, 1);
    c->plugin_id = ch_state_col_text(stmt, 2);
    c->profile = ch_state_col_text(stmt, 3);
    c->dataset_path = ch_state_col_text(stmt, 4);
    c->settings_json = ch_state_col_text(stmt, 5);
    c->created_at_ms = sqlite3_column_int64(stmt, 6);
    c->lines_at_connect = (uint64_t) sqlite3_column_int64(stmt, 7);
    c->historical = sqlite3_column_int(stmt, 8);
    c->delivered_through = (uint64_t) sqlite3_column_int64(stmt, 9);
    if (sqlite3_column_type(stmt, 10) != SQLITE_NULL) {
        c->run_id = ch_state_col_text(stmt, 10);
        c->run_first = (uint64_t) sqlite3_column_int64(stmt, 11);
        c->run_last = (uint64_t) sqlite3_column_int64(stmt, 12);
        c->run_attempt = (uint32_t) sqlite3_column_int64(stmt, 13);
        c->run_outcome = ch_state_col_text(stmt, 14);
        c->run_status = ch_state_col_text(stmt, 15);
        if (c->run_id == NULL || c->run_outcome == NULL) {
            ch_errf(err, errlen, "out of memory");
            goto cleanup;
        }
    }
    c->not_before_ms = sqlite3_column_int64(stmt, 16);
    c->run_full_refresh = sqlite3_column_int(stmt, 17);
    c->last_full_refresh_ms = sqlite3_column_int64(stmt, 18);
    if (c->id != NULL && ch_state_fp_get(st, c) != 0) {
        ch_state_err(st, err, errlen, "reading a connection's fingerprint");
        goto cleanup;
    }
    if (c->id == NULL || c->plugin_path == NULL || c->plugin_id == NULL
        || c->profile == NULL || c->dataset_path == NULL || c->settings_json == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    rc = 0;
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    if (rc != 0)
        ch_connection_clear(c);
    return rc;
}

int ch_state_connection_set_plugin(ch_state *st, const char *id, const char *plugin_path,
                                   char *err, size_t errlen)
{
    int rc = -1;
    sqlite3_stmt *stmt = NULL;

    pthread_mutex_lock(&st->mu);
    stmt = ch_state_prepare(st, "UPDATE connections SET plugin_path = ?2 WHERE id = ?1");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "relinking a connection");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, plugin_path, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        ch_state_err(st, err, errlen, "relinking a connection");
        goto cleanup;
    }
    rc = sqlite3_changes(st->db) == 1 ? 0 : 1;
cleanup:
    sqlite3_finalize(stmt);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

void ch_connection_clear(ch_connection *c)
{
    free(c->id);
    free(c->plugin_path);
    free(c->plugin_id);
    free(c->profile);
    free(c->dataset_path);
    free(c->settings_json);
    free(c->run_id);
    free(c->run_outcome);
    free(c->run_status);
    memset(c, 0, sizeof(*c));
}

/* ---- delivery runs ----------------------------------------------------- */

/* Runs `stmt` to completion and finalizes it. SQLITE_DONE or an error. */
static int ch_state_step_once(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc;
}

int ch_state_run_begin(ch_state *st, const ch_connection *c, int64_t now_ms,
                       char *err, size_t errlen)
{
    int rc = -1;
    int in_txn = 0;
    sqlite3_stmt *stmt;

    pthread_mutex_lock(&st->mu);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) != SQLITE_OK) {
        ch_state_err(st, err, errlen, "opening a run");
        goto cleanup;
    }
    in_txn = 1;
    stmt = ch_state_prepare(st, "UPDATE connections SET run_id = ?2, run_first = ?3,"
                            " run_last = ?4, run_attempt = ?5, run_outcome = ?6,"
                            " run_status = NULL, run_full_refresh = ?7 WHERE id = ?1");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "opening a run");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64) c->run_first);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64) c->run_last);
    sqlite3_bind_int64(stmt, 5, c->run_attempt);
    sqlite3_bind_text(stmt, 6, CH_OUTCOME_RUNNING, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 7, c->run_full_refresh);
    if (ch_state_step_once(stmt) != SQLITE_DONE) {
        ch_state_err(st, err, errlen, "opening a run");
        goto cleanup;
    }
    stmt = ch_state_prepare(st, "INSERT OR REPLACE INTO runs (run_id, attempt,"
                            " connection_id, first_line, last_line, status, started_ms)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "opening a run");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, c->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, c->run_attempt);
    sqlite3_bind_text(stmt, 3, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64) c->run_first);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64) c->run_last);
    sqlite3_bind_int64(stmt, 6, now_ms);
    if (ch_state_step_once(stmt) != SQLITE_DONE
        || sqlite3_exec(st->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
        ch_state_err(st, err, errlen, "opening a run");
        goto cleanup;
    }
    in_txn = 0;
    rc = 0;
cleanup:
    if (in_txn)
        sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ch_state_run_end(ch_state *st, const ch_connection *c, const char *outcome,
                     const char *status, int64_t not_before_ms,
                     const char *report_json, int64_t now_ms,
                     char *err, size_t errlen)
{
    int rc = -1;
    int in_txn = 0;
    sqlite3_stmt *stmt;

    pthread_mutex_lock(&st->mu);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL) != SQLITE_OK) {
        ch_state_err(st, err, errlen, "closing a run");
        goto cleanup;
    }
    in_txn = 1;
    if (outcome == NULL) {
        /* Finished: move the checkpoint past the run, only if the run is
           still the one we opened. */
        stmt = ch_state_prepare(st, "UPDATE connections SET delivered_through = ?3,"
                                " run_id = NULL, run_first = NULL, run_last = NULL,"
                                " run_attempt = NULL, run_outcome = NULL,"
                                " run_status = NULL, not_before_ms = 0,"
                                " last_full_refresh_ms = CASE WHEN run_full_refresh"
                                "   THEN ?7 ELSE last_full_refresh_ms END,"
                                " run_full_refresh = 0"
                                " WHERE id = ?1 AND run_id = ?2");
    } else {
        stmt = ch_state_prepare(st, "UPDATE connections SET run_outcome = ?4,"
                                " run_status = ?5, not_before_ms = ?6"
                                " WHERE id = ?1 AND run_id = ?2");
    }
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "closing a run");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, c->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64) c->run_last);
    if (outcome == NULL)
        sqlite3_bind_int64(stmt, 7, now_ms);
    if (outcome != NULL) {
        sqlite3_bind_text(stmt, 4, outcome, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 5, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 6, not_before_ms);
    }
    if (ch_state_step_once(stmt) != SQLITE_DONE) {
        ch_state_err(st, err, errlen, "closing a run");
        goto cleanup;
    }
    if (sqlite3_changes(st->db) != 1) {
        ch_errf(err, errlen, "connection %s no longer has run %s pending; another "
                "process changed it", c->id, c->run_id);
        goto cleanup;
    }
    /* The new checkpoint and the fingerprint of what it covers commit
       together. */
    if (outcome == NULL && ch_state_fp_put(st, c) != 0) {
        ch_state_err(st, err, errlen, "recording the dataset's fingerprint");
        goto cleanup;
    }
    stmt = ch_state_prepare(st, "UPDATE runs SET status = ?3, report_json = ?4,"
                            " finished_ms = ?5 WHERE run_id = ?1 AND attempt = ?2");
    if (stmt == NULL) {
        ch_state_err(st, err, errlen, "closing a run");
        goto cleanup;
    }
    sqlite3_bind_text(stmt, 1, c->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, c->run_attempt);
    sqlite3_bind_text(stmt, 3, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, report_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, now_ms);
    if (ch_state_step_once(stmt) != SQLITE_DONE
        || sqlite3_exec(st->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
        ch_state_err(st, err, errlen, "closing a run");
        goto cleanup;
    }
    in_txn = 0;
    rc = 0;
cleanup:
    if (in_txn)
        sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ---- listings ---------------------------------------------------------- */

int ch_state_select_json(ch_state *st, const char *sql, const char *const *binds,
                         int nbinds, json_object **out, char *err, size_t errlen)
{
    int rc = -1, step, b;
    sqlite3_stmt *stmt = NULL;
    json_object *arr = NULL;

    *out = NULL;
    pthread_mutex_lock(&st->mu);
    arr = json_object_new_array();
    stmt = ch_state_prepare(st, sql);
    if (arr == NULL || stmt == NULL) {
        ch_state_err(st, err, errlen, "listing");
        goto cleanup;
    }
    for (b = 0; b < nbinds; b++)
        sqlite3_bind_text(stmt, b + 1, binds[b], -1, SQLITE_STATIC);
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_object *row = json_object_new_object();
        int i, n = sqlite3_column_count(stmt);
        if (row == NULL || json_object_array_add(arr, row) != 0) {
            json_object_put(row);
            ch_errf(err, errlen, "out of memory");
            goto cleanup;
        }
        for (i = 0; i < n; i++) {
            json_object *v = NULL;
            switch (sqlite3_column_type(stmt, i)) {
            case SQLITE_INTEGER:
                v = json_object_new_int64(sqlite3_column_int64(stmt, i));
                break;
            case SQLITE_NULL:
                break;
            default:
                v = json_object_new_string((const char *) sqlite3_column_text(stmt, i));
                break;
            }
            json_object_object_add(row, sqlite3_column_name(stmt, i), v);
        }
    }
    if (step != SQLITE_DONE) {
        ch_state_err(st, err, errlen, "listing");
        goto cleanup;
    }
    *out = arr;
    arr = NULL;
    rc = 0;
cleanup:
    sqlite3_finalize(stmt);
    json_object_put(arr);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int ch_state_list(ch_state *st, const char *what, json_object **out,
                  char *err, size_t errlen)
{
    const char *sql;

    *out = NULL;
    if (strcmp(what, "profiles") == 0)
        sql = "SELECT plugin_id, name, status, updated_ms, api_base, ca_file FROM profiles"
              " ORDER BY plugin_id, name";
    else if (strcmp(what, "connections") == 0)
        sql = "SELECT id, plugin_id, profile, dataset_path, created_at_ms, historical,"
              " delivered_through, run_id, run_first, run_last, run_attempt,"
              " run_outcome, run_status, not_before_ms FROM connections"
              " ORDER BY created_at_ms, id";
    else if (strcmp(what, "runs") == 0)
        sql = "SELECT run_id, attempt, connection_id, first_line, last_line, status,"
              " started_ms, finished_ms FROM runs ORDER BY started_ms, attempt";
    else {
        ch_errf(err, errlen, "unknown listing %s", what);
        return -1;
    }
    return ch_state_select_json(st, sql, NULL, 0, out, err, errlen);
}
