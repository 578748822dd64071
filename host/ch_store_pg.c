/*
 * ch_store_pg.c - the PostgreSQL state driver (ch_store.h) through libpq:
 * one state shared by the hosts of many machines.
 *
 * Statements arrive with ?N parameters and are sent as $N with explicit
 * types (text, int8, bytea), so the server never has to guess. Results are
 * read in text form; integers and bytea are decoded by column type. A
 * connection the server dropped (a restart) is re-established at the next
 * statement outside a transaction; while it cannot be, every call answers
 * CH_DB_DOWN, which the host turns into a retry-later naming the server.
 */
#include <config.h>

#include "ch_store.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

/* Type OIDs of pg_type (stable since PostgreSQL 7). */
#define CH_PG_BOOL 16
#define CH_PG_BYTEA 17
#define CH_PG_INT8 20
#define CH_PG_INT2 21
#define CH_PG_INT4 23
#define CH_PG_TEXT 25

#define CH_PG_MAX_ARGS 16

/* Session settings, again after a reconnect: a stuck peer surfaces as a
   retry, as SQLite's busy timeout does; and a host frozen inside one of
   its (millisecond) transactions, holding row locks, is cut off by the
   server after 5 s, so it cannot keep another worker from taking over a
   lease it lost. */
#define CH_PG_SESSION "SET lock_timeout = '15s'; SET idle_in_transaction_session_timeout = '5s'"

typedef struct ch_pg {
    PGconn *conn;
    int in_txn;
    char server[384];   /* what errors name: host, port, database (no password) */
    char msg[1536];
} ch_pg;

/* Serializes the first use by many workers: schema changes run one at a
   time under this advisory lock ("chost" in ASCII). */
#define CH_PG_SCHEMA_LOCK "SELECT pg_advisory_xact_lock(426836357236)"

static const char ch_pg_step1[] =
    "CREATE TABLE profiles ("
    "  plugin_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
    "  status_json TEXT, updated_ms BIGINT NOT NULL, api_base TEXT, ca_file TEXT,"
    "  PRIMARY KEY (plugin_id, name));"
    "CREATE TABLE connections ("
    "  id TEXT PRIMARY KEY, plugin_path TEXT NOT NULL, plugin_id TEXT NOT NULL,"
    "  profile TEXT NOT NULL, dataset_path TEXT NOT NULL, settings_json TEXT NOT NULL,"
    "  created_at_ms BIGINT NOT NULL, dataset_lines_at_connect BIGINT NOT NULL,"
    "  historical BIGINT NOT NULL, delivered_through BIGINT NOT NULL,"
    "  run_id TEXT, run_first BIGINT, run_last BIGINT, run_attempt BIGINT,"
    "  run_outcome TEXT, run_status TEXT,"
    "  not_before_ms BIGINT NOT NULL DEFAULT 0,"
    "  run_full_refresh BIGINT NOT NULL DEFAULT 0,"
    "  last_full_refresh_ms BIGINT NOT NULL DEFAULT 0);"
    /* Settings are immutable once connected, enforced by the database as
       the SQLite trigger does. */
    "CREATE FUNCTION ch_connections_immutable() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$ BEGIN RAISE EXCEPTION 'connection settings are immutable'"
    "  USING ERRCODE = 'integrity_constraint_violation'; END $$;"
    "CREATE TRIGGER connections_immutable"
    "  BEFORE UPDATE OF id, plugin_id, profile, dataset_path, settings_json,"
    "  created_at_ms, historical ON connections"
    "  FOR EACH ROW EXECUTE FUNCTION ch_connections_immutable();"
    "CREATE TABLE kv ("
    "  namespace TEXT NOT NULL, key TEXT NOT NULL, value BYTEA NOT NULL,"
    "  version BIGINT NOT NULL, PRIMARY KEY (namespace, key));"
    "CREATE TABLE runs ("
    "  run_id TEXT NOT NULL, attempt BIGINT NOT NULL, connection_id TEXT NOT NULL,"
    "  first_line BIGINT NOT NULL, last_line BIGINT NOT NULL, status TEXT NOT NULL,"
    "  report_json TEXT, started_ms BIGINT NOT NULL, finished_ms BIGINT,"
    "  PRIMARY KEY (run_id, attempt));"
    "CREATE INDEX runs_by_connection ON runs (connection_id, finished_ms);"
    "CREATE TABLE fingerprints ("
    "  connection_id TEXT PRIMARY KEY, lines BIGINT NOT NULL, bytes BIGINT NOT NULL,"
    "  dev BIGINT NOT NULL, ino BIGINT NOT NULL, digest TEXT NOT NULL);";

static const char ch_pg_step2[] =
    "ALTER TABLE connections ADD COLUMN paused BIGINT NOT NULL DEFAULT 0,"
    "  ADD COLUMN disconnected_ms BIGINT NOT NULL DEFAULT 0;"
    "CREATE TABLE leases ("
    "  connection_id TEXT PRIMARY KEY, holder TEXT NOT NULL DEFAULT '',"
    "  token BIGINT NOT NULL DEFAULT 0, expires_ms BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE secrets ("
    "  name TEXT PRIMARY KEY, sealed BYTEA NOT NULL, updated_ms BIGINT NOT NULL);";

static const char ch_pg_step3[] =
    "CREATE TABLE pace ("
    "  namespace TEXT NOT NULL, key TEXT NOT NULL, next_us BIGINT NOT NULL,"
    "  at_us BIGINT NOT NULL, PRIMARY KEY (namespace, key));";

static const char *const ch_pg_steps[CH_STORE_SCHEMA_VERSION] = { ch_pg_step1, ch_pg_step2,
                                                                  ch_pg_step3 };

/* ch_store.h, pace_sql: one upsert under the row's lock, timed by the
   server's clock so that workers on machines whose clocks differ share
   one budget; the clock is read in SET, once the row lock is held, so a
   statement that waited for it is not granted a slot in the past. */
#define CH_PG_NOW_US "CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS BIGINT)"
static const char ch_pg_pace[] =
    "INSERT INTO pace AS p (namespace, key, next_us, at_us)"
    " VALUES (?1, ?2, " CH_PG_NOW_US " + ?4 + ?3, " CH_PG_NOW_US ")"
    " ON CONFLICT (namespace, key) DO UPDATE SET"
    " next_us = GREATEST(p.next_us, " CH_PG_NOW_US " + ?4) + ?3, at_us = " CH_PG_NOW_US
    " RETURNING p.next_us - ?3 - p.at_us, p.next_us - ?3";

/* The server as errors name it, from the URI (never its password). */
static void ch_pg_describe(ch_pg *pg, const char *uri)
{
    PQconninfoOption *opts = PQconninfoParse(uri, NULL), *o;
    const char *host = NULL, *port = NULL, *dbname = NULL;

    for (o = opts; o != NULL && o->keyword != NULL; o++) {
        if (o->val == NULL || o->val[0] == '\0')
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            dbname = o->val;
    }
    snprintf(pg->server, sizeof(pg->server), "PostgreSQL server %s%s%s%s (database %s)",
             host != NULL && host[0] == '/' ? "at socket directory " : "",
             host != NULL ? host : "localhost", port != NULL ? ":" : "",
             port != NULL ? port : "", dbname != NULL ? dbname : "(the user's)");
    PQconninfoFree(opts);
}

/* The first line of libpq's message. */
static void ch_pg_keep_msg(ch_pg *pg, const char *m)
{
    size_t n;

    snprintf(pg->msg, sizeof(pg->msg), "%s", m != NULL && m[0] != '\0' ? m : "unknown error");
    n = strcspn(pg->msg, "\n");
    pg->msg[n] = '\0';
}

/* Classifies a failed result (or a dead connection). */
static ch_db_rc ch_pg_fail(ch_pg *pg, const PGresult *res)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    ch_pg_keep_msg(pg, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
    if (PQstatus(pg->conn) == CONNECTION_BAD || state == NULL
        || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
        char m[sizeof(pg->msg)];
        snprintf(m, sizeof(m), "%s", pg->msg);
        snprintf(pg->msg, sizeof(pg->msg), "%s is unreachable: %.600s", pg->server, m);
        return CH_DB_DOWN;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0
        || strcmp(state, "55P03") == 0)
        return CH_DB_BUSY;
    if (strncmp(state, "23", 2) == 0)
        return CH_DB_CONSTRAINT;
    return CH_DB_ERROR;
}

/* A dropped connection is re-established between transactions. */
static ch_db_rc ch_pg_alive(ch_pg *pg)
{
    if (PQstatus(pg->conn) == CONNECTION_OK)
        return CH_DB_OK;
    if (!pg->in_txn) {
        PQreset(pg->conn);
        if (PQstatus(pg->conn) == CONNECTION_OK) {
            PQclear(PQexec(pg->conn, CH_PG_SESSION));
            return CH_DB_OK;
        }
    }
    return ch_pg_fail(pg, NULL);
}

/* One statement without parameters (DDL, BEGIN, COMMIT). */
static ch_db_rc ch_pg_simple(ch_pg *pg, const char *sql)
{
    PGresult *res;
    ch_db_rc rc = ch_pg_alive(pg);

    if (rc != CH_DB_OK)
        return rc;
    res = PQexec(pg->conn, sql);
    rc = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK
         ? CH_DB_OK : ch_pg_fail(pg, res);
    PQclear(res);
    return rc;
}

/* Copies a text-format result into rows. */
static int ch_pg_copy(const PGresult *res, ch_rows *rows)
{
    int i, n = PQnfields(res), t, nt = PQntuples(res);

    if (ch_rows_init(rows, n) != 0)
        return -1;
    for (i = 0; i < n; i++)
        if (ch_rows_set_name(rows, i, PQfname(res, i)) != 0)
            return -1;
    for (t = 0; t < nt; t++) {
        ch_cell *cells = ch_rows_add_row(rows);
        if (cells == NULL)
            return -1;
        for (i = 0; i < n; i++) {
            const char *v = PQgetvalue(res, t, i);
            Oid type = PQftype(res, i);
            if (PQgetisnull(res, t, i))
                continue;
            if (type == CH_PG_INT8 || type == CH_PG_INT4 || type == CH_PG_INT2) {
                cells[i].type = 'i';
                cells[i].i = strtoll(v, NULL, 10);
            } else if (type == CH_PG_BOOL) {
                cells[i].type = 'i';
                cells[i].i = v[0] == 't';
            } else if (type == CH_PG_BYTEA) {
                size_t len = 0;
                unsigned char *b = PQunescapeBytea((const unsigned char *) v, &len);
                int bad = b == NULL || ch_cell_set_text(&cells[i], (const char *) b, len) != 0;
                PQfreemem(b);
                if (bad)
                    return -1;
            } else if (ch_cell_set_text(&cells[i], v, (size_t) PQgetlength(res, t, i)) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* "?N" -> "$N": the statements never hold a '?' elsewhere. */
static char *ch_pg_sql(const char *sql)
{
    char *s = strdup(sql), *p;

    for (p = s; p != NULL && *p != '\0'; p++)
        if (*p == '?')
            *p = '$';
    return s;
}

static ch_db_rc ch_pg_exec(void *db, const char *sql, const ch_sql_arg *args, int nargs,
                           ch_rows *rows, int64_t *changes)
{
    ch_pg *pg = db;
    Oid types[CH_PG_MAX_ARGS];
    const char *values[CH_PG_MAX_ARGS];
    int lengths[CH_PG_MAX_ARGS], formats[CH_PG_MAX_ARGS], i;
    char ints[CH_PG_MAX_ARGS][24];
    char *q = NULL;
    PGresult *res = NULL;
    ch_db_rc rc;

    if (rows != NULL)
        memset(rows, 0, sizeof(*rows));
    if (nargs > CH_PG_MAX_ARGS)
        return CH_DB_ERROR;
    if ((rc = ch_pg_alive(pg)) != CH_DB_OK)
        return rc;
    for (i = 0; i < nargs; i++) {
        const ch_sql_arg *a = &args[i];
        lengths[i] = 0;
        formats[i] = 0;
        if (a->type == 'i') {
            types[i] = CH_PG_INT8;
            snprintf(ints[i], sizeof(ints[i]), "%lld", (long long) a->i);
            values[i] = ints[i];
        } else if (a->type == 'b') {
            types[i] = CH_PG_BYTEA;
            values[i] = a->len > 0 ? a->s : "";
            lengths[i] = (int) a->len;
            formats[i] = 1;
        } else {
            types[i] = CH_PG_TEXT;
            values[i] = a->s;
        }
    }
    if ((q = ch_pg_sql(sql)) == NULL)
        return CH_DB_ERROR;
    res = PQexecParams(pg->conn, q, nargs, types, values, lengths, formats, 0);
    free(q);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = ch_pg_fail(pg, res);
        goto cleanup;
    }
    if (rows != NULL && ch_pg_copy(res, rows) != 0) {
        ch_rows_free(rows);
        ch_pg_keep_msg(pg, "out of memory");
        rc = CH_DB_ERROR;
        goto cleanup;
    }
    if (changes != NULL)
        *changes = strtoll(PQcmdTuples(res), NULL, 10);
    rc = CH_DB_OK;
cleanup:
    PQclear(res);
    return rc;
}

static ch_db_rc ch_pg_begin(void *db)
{
    ch_pg *pg = db;
    ch_db_rc rc = ch_pg_simple(pg, "BEGIN");

    pg->in_txn = rc == CH_DB_OK;
    return rc;
}

static ch_db_rc ch_pg_commit(void *db)
{
    ch_pg *pg = db;
    ch_db_rc rc = ch_pg_simple(pg, "COMMIT");

    pg->in_txn = 0;
    return rc;
}

static void ch_pg_rollback(void *db)
{
    ch_pg *pg = db;

    if (PQstatus(pg->conn) == CONNECTION_OK)
        PQclear(PQexec(pg->conn, "ROLLBACK"));
    pg->in_txn = 0;
}

static const char *ch_pg_errmsg(void *db)
{
    return ((ch_pg *) db)->msg;
}

/* The server's notices (CREATE ... IF NOT EXISTS and the like) are not
   the user's business. */
static void ch_pg_quiet(void *arg, const char *message)
{
    (void) arg;
    (void) message;
}

static ch_db_rc ch_pg_schema(ch_pg *pg, char *err, size_t errlen)
{
    ch_rows r;
    int64_t version;
    ch_db_rc rc;
    char sql[128];

    if ((rc = ch_pg_begin(pg)) != CH_DB_OK || (rc = ch_pg_simple(pg, CH_PG_SCHEMA_LOCK)) != CH_DB_OK
        || (rc = ch_pg_simple(pg, "CREATE TABLE IF NOT EXISTS schema_version"
                              " (version BIGINT NOT NULL)")) != CH_DB_OK
        || (rc = ch_pg_exec(pg, "SELECT coalesce(max(version), 0) FROM schema_version",
                            NULL, 0, &r, NULL)) != CH_DB_OK)
        goto failed;
    version = ch_rows_int(&r, 0, 0);
    ch_rows_free(&r);
    if (version > CH_STORE_SCHEMA_VERSION) {
        ch_pg_rollback(pg);
        ch_errf(err, errlen, "the state database on the %s has schema version %lld, newer "
                "than this host knows (%d): it was left untouched; run a connector-host at "
                "least as new as the one that wrote it", pg->server, (long long) version,
                CH_STORE_SCHEMA_VERSION);
        return CH_DB_ERROR;
    }
    for (; version < CH_STORE_SCHEMA_VERSION; version++) {
        snprintf(sql, sizeof(sql), "DELETE FROM schema_version; INSERT INTO schema_version"
                 " VALUES (%lld)", (long long) version + 1);
        if ((rc = ch_pg_simple(pg, ch_pg_steps[version])) != CH_DB_OK
            || (rc = ch_pg_simple(pg, sql)) != CH_DB_OK)
            goto failed;
    }
    if ((rc = ch_pg_commit(pg)) == CH_DB_OK)
        return CH_DB_OK;
failed:
    ch_errf(err, errlen, "cannot create the state schema on the %s: %s", pg->server, pg->msg);
    ch_pg_rollback(pg);
    return rc != CH_DB_OK ? rc : CH_DB_ERROR;
}

static void ch_pg_close(void *db)
{
    ch_pg *pg = db;

    if (pg == NULL)
        return;
    PQfinish(pg->conn);
    free(pg);
}

static ch_db_rc ch_pg_open(const char *uri, void **out, char *err, size_t errlen)
{
    /* Defaults first: the URI's own values (expand_dbname) override them. */
    const char *const keys[] = { "connect_timeout", "application_name", "dbname", NULL };
    const char *const vals[] = { "10", "connector-host", uri, NULL };
    ch_pg *pg = calloc(1, sizeof(*pg));
    ch_db_rc rc = CH_DB_ERROR;

    *out = NULL;
    if (pg == NULL) {
        ch_errf(err, errlen, "out of memory");
        return CH_DB_ERROR;
    }
    ch_pg_describe(pg, uri);
    pg->conn = PQconnectdbParams(keys, vals, 1);
    if (pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK) {
        ch_pg_keep_msg(pg, pg->conn != NULL ? PQerrorMessage(pg->conn) : "out of memory");
        ch_errf(err, errlen, "cannot reach the state database: the %s: %s", pg->server,
                pg->msg);
        rc = CH_DB_DOWN;
        goto cleanup;
    }
    PQsetNoticeProcessor(pg->conn, ch_pg_quiet, NULL);
    if ((rc = ch_pg_simple(pg, CH_PG_SESSION)) != CH_DB_OK) {
        ch_errf(err, errlen, "the %s: %s", pg->server, pg->msg);
        goto cleanup;
    }
    if ((rc = ch_pg_schema(pg, err, errlen)) != CH_DB_OK)
        goto cleanup;
    *out = pg;
    pg = NULL;
cleanup:
    ch_pg_close(pg);
    return rc;
}

const ch_store_ops ch_store_pg = {
    "postgresql", ch_pg_open, ch_pg_close, ch_pg_exec, ch_pg_begin, ch_pg_commit,
    ch_pg_rollback, ch_pg_errmsg, " FOR SHARE", ch_pg_pace, 0,
};
