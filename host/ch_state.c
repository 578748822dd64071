/*
 * ch_state.c - the host's state: which backend a --state URL names, the
 * statement and transaction helpers every part uses, the plugins'
 * key-value compare-and-set, profiles and the listings. The connections
 * and runs are in ch_state_run.c, the worker's leases in ch_lease.c.
 */
#include <config.h>

#include "ch_state_impl.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A transaction that lost a race (busy, serialization, deadlock) is run
   again this many times before the caller sees a retry. */
#define CH_STATE_TXN_TRIES 5

ch_db_rc ch_state_q(ch_state *st, const char *sql, const ch_sql_arg *args, int nargs,
                    ch_rows *rows, int64_t *changes)
{
    ch_db_rc rc = st->ops->exec(st->db, sql, args, nargs, rows, changes);

    st->last_down = rc == CH_DB_DOWN;
    return rc;
}

void ch_state_fail(ch_state *st, ch_db_rc rc, const char *what, char *err, size_t errlen)
{
    st->last_down = rc == CH_DB_DOWN;
    ch_errf(err, errlen, "state database: %s: %s", what, st->ops->errmsg(st->db));
}

int ch_state_txn(ch_state *st, const char *what, ch_state_body body, void *ctx,
                 char *err, size_t errlen)
{
    ch_db_rc rc = CH_DB_ERROR;
    int tries;

    if (errlen > 0)
        err[0] = '\0';
    pthread_mutex_lock(&st->mu);
    for (tries = 0; tries < CH_STATE_TXN_TRIES; tries++) {
        if ((rc = st->ops->begin(st->db)) != CH_DB_OK)
            break;
        rc = body(st, ctx, err, errlen);
        if (rc == CH_DB_OK && (rc = st->ops->commit(st->db)) == CH_DB_OK)
            break;
        st->ops->rollback(st->db);
        if (rc != CH_DB_BUSY)
            break;
    }
    if (rc != CH_DB_OK && (errlen == 0 || err[0] == '\0'))
        ch_state_fail(st, rc, what, err, errlen);
    st->last_down = rc == CH_DB_DOWN;
    st->last_txn = rc;
    pthread_mutex_unlock(&st->mu);
    return rc == CH_DB_OK ? 0 : -1;
}

/* Which driver a --state target names, and what it opens. */
static int ch_state_target(const char *url, const ch_store_ops **ops, const char **target,
                           char *err, size_t errlen)
{
    if (strncmp(url, "sqlite:", 7) == 0) {
        *ops = &ch_store_sqlite;
        *target = url + 7;
        if (**target == '\0') {
            ch_errf(err, errlen, "--state %s: name the file, as in sqlite:/path/state.db", url);
            return -1;
        }
        return 0;
    }
    if (strncmp(url, "postgresql:", 11) == 0 || strncmp(url, "postgres:", 9) == 0) {
#ifdef HAVE_LIBPQ
        *ops = &ch_store_pg;
        *target = url;
        return 0;
#else
        ch_errf(err, errlen, "--state: this connector-host was built without PostgreSQL "
                "support (configure found no libpq); install libpq (Debian: libpq-dev) and "
                "build it again, or use a sqlite: state");
        return -1;
#endif
    }
    if (strstr(url, "://") != NULL) {
        ch_errf(err, errlen, "--state: unknown kind of state URL (give sqlite:PATH or "
                "postgresql://USER@HOST/DATABASE)");
        return -1;
    }
    /* A bare path is an SQLite file, as state.db always was. */
    *ops = &ch_store_sqlite;
    *target = url;
    return 0;
}

int ch_state_open(const char *url, ch_state **out, char *err, size_t errlen)
{
    ch_state *st = NULL;
    const char *target = NULL;
    ch_db_rc rc;

    *out = NULL;
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        ch_errf(err, errlen, "out of memory");
        return -1;
    }
    if (ch_state_target(url, &st->ops, &target, err, errlen) != 0) {
        free(st);
        return -1;
    }
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        free(st);
        ch_errf(err, errlen, "cannot create a mutex");
        return -1;
    }
    if ((rc = st->ops->open(target, &st->db, err, errlen)) != CH_DB_OK) {
        pthread_mutex_destroy(&st->mu);
        free(st);
        return rc == CH_DB_DOWN ? CH_STATE_UNREACHABLE : -1;
    }
    *out = st;
    return 0;
}

void ch_state_close(ch_state *st)
{
    if (st == NULL)
        return;
    st->ops->close(st->db);
    pthread_mutex_destroy(&st->mu);
    free(st->fence_connection);
    free(st->fence_holder);
    free(st);
}

const char *ch_state_backend(const ch_state *st)
{
    return st->ops->name;
}

int ch_state_unreachable(const ch_state *st)
{
    return st->last_down;
}

/* ---- key-value store --------------------------------------------------- */

static aconn_status ch_state_kv_status(ch_db_rc rc)
{
    return rc == CH_DB_BUSY || rc == CH_DB_DOWN ? ACONN_RETRY : ACONN_ERR_FATAL;
}

aconn_status ch_state_kv_get(ch_state *st, const char *ns, const char *key,
                             char *buf, size_t buflen, size_t *len,
                             uint64_t *version)
{
    const ch_sql_arg args[] = { CH_T(ns), CH_T(key) };
    aconn_status status;
    const ch_cell *v;
    ch_rows r;
    ch_db_rc rc;

    if (version != NULL)
        *version = 0;
    if (key == NULL || ns == NULL)
        return ACONN_ERR_INVALID;
    pthread_mutex_lock(&st->mu);
    rc = ch_state_q(st, "SELECT value, version FROM kv WHERE namespace = ?1 AND key = ?2",
                    args, 2, &r, NULL);
    pthread_mutex_unlock(&st->mu);
    if (rc != CH_DB_OK)
        return ch_state_kv_status(rc);
    if (r.nrows == 0) {
        ch_rows_free(&r);
        return ACONN_ERR_NOT_FOUND;
    }
    v = ch_rows_cell(&r, 0, 0);
    if (len != NULL)
        *len = v->len;
    if (version != NULL)
        *version = (uint64_t) ch_rows_int(&r, 0, 1);
    if (buf == NULL || buflen <= v->len) {
        status = ACONN_ERR_TOO_SMALL;
    } else {
        if (v->len > 0)
            memcpy(buf, v->s, v->len);
        buf[v->len] = '\0';
        status = ACONN_OK;
    }
    ch_rows_free(&r);
    return status;
}

typedef struct ch_kv_write {
    const char *ns, *key, *value;
    size_t len;
    uint64_t expected;
    int64_t changes;
} ch_kv_write;

/* The conditional write itself: one statement that writes only when the
   version is still `expected`, so no update is lost between machines. */
static ch_db_rc ch_state_kv_write(ch_state *st, void *ctx, char *err, size_t errlen)
{
    ch_kv_write *w = ctx;
    ch_sql_arg args[5] = { CH_T(w->ns), CH_T(w->key), CH_B(w->value, w->len),
                           CH_I(w->expected), CH_I(w->expected + 1) };
    ch_db_rc rc = ch_state_fence_check(st, err, errlen);
    ch_rows r;

    if (rc != CH_DB_OK)
        return rc;
    if (w->value == NULL && w->expected == 0) {
        /* Deleting what is absent succeeds; anything present conflicts. */
        if ((rc = ch_state_q(st, "SELECT 1 FROM kv WHERE namespace = ?1 AND key = ?2",
                             args, 2, &r, NULL)) != CH_DB_OK)
            return rc;
        w->changes = r.nrows == 0;
        ch_rows_free(&r);
        return CH_DB_OK;
    }
    if (w->value == NULL) {
        args[2] = CH_I(w->expected);
        return ch_state_q(st, "DELETE FROM kv WHERE namespace = ?1 AND key = ?2"
                          " AND version = ?3", args, 3, NULL, &w->changes);
    }
    if (w->expected == 0)
        return ch_state_q(st, "INSERT INTO kv (namespace, key, value, version)"
                          " VALUES (?1, ?2, ?3, 1) ON CONFLICT (namespace, key) DO NOTHING",
                          args, 3, NULL, &w->changes);
    return ch_state_q(st, "UPDATE kv SET value = ?3, version = ?5 WHERE namespace = ?1"
                      " AND key = ?2 AND version = ?4", args, 5, NULL, &w->changes);
}

aconn_status ch_state_kv_cas(ch_state *st, const char *ns, const char *key,
                             uint64_t expected, const char *value, size_t len,
                             uint64_t *new_version)
{
    ch_kv_write w = { ns, key, value, len, expected, 0 };
    char err[512];
    ch_db_rc rc;

    if (ns == NULL || key == NULL || *key == '\0' || strlen(key) > CH_STATE_KEY_MAX
        || (value != NULL && len > CH_STATE_VALUE_MAX) || expected >= INT64_MAX)
        return ACONN_ERR_INVALID;
    if (st->fence_connection != NULL) {
        /* Fenced: the lease check and the write commit together. */
        if (ch_state_txn(st, "writing plugin state", ch_state_kv_write, &w, err,
                         sizeof(err)) != 0) {
            /* A stale lease holder must not write again: fatal for its run
               (the new holder resumes it). */
            if (st->last_txn == CH_DB_FENCED)
                return ACONN_ERR_FATAL;
            return ch_state_kv_status(st->last_txn);
        }
    } else {
        pthread_mutex_lock(&st->mu);
        rc = ch_state_kv_write(st, &w, err, sizeof(err));
        pthread_mutex_unlock(&st->mu);
        if (rc != CH_DB_OK)
            return ch_state_kv_status(rc);
    }
    if (w.changes != 1)
        return ACONN_ERR_CONFLICT;
    if (new_version != NULL)
        *new_version = value != NULL ? expected + 1 : 0;
    return ACONN_OK;
}

/* ---- profiles ---------------------------------------------------------- */

/* One statement under the mutex; 0 or -1 with err naming `what`. */
static int ch_state_one(ch_state *st, const char *what, const char *sql,
                        const ch_sql_arg *args, int nargs, ch_rows *rows,
                        int64_t *changes, char *err, size_t errlen)
{
    ch_db_rc rc;

    pthread_mutex_lock(&st->mu);
    rc = ch_state_q(st, sql, args, nargs, rows, changes);
    if (rc != CH_DB_OK)
        ch_state_fail(st, rc, what, err, errlen);
    pthread_mutex_unlock(&st->mu);
    return rc == CH_DB_OK ? 0 : -1;
}

int ch_state_exec(ch_state *st, const char *what, const char *sql, const ch_sql_arg *args,
                  int nargs, ch_rows *rows, int64_t *changes, char *err, size_t errlen)
{
    return ch_state_one(st, what, sql, args, nargs, rows, changes, err, errlen);
}

int ch_state_profile_set(ch_state *st, const char *plugin_id, const char *name,
                         const char *status, const char *status_json,
                         int64_t now_ms, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(plugin_id), CH_T(name), CH_T(status),
                                CH_T(status_json), CH_I(now_ms) };

    return ch_state_one(st, "saving a profile", "INSERT INTO profiles (plugin_id, name,"
                        " status, status_json, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
                        " ON CONFLICT (plugin_id, name) DO UPDATE SET status = ?3,"
                        " status_json = COALESCE(?4, profiles.status_json), updated_ms = ?5",
                        args, 5, NULL, NULL, err, errlen);
}

int ch_state_profile_get(ch_state *st, const char *plugin_id, const char *name,
                         char **status, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(plugin_id), CH_T(name) };
    ch_rows r;
    int rc;

    *status = NULL;
    if (ch_state_one(st, "reading a profile", "SELECT status FROM profiles WHERE"
                     " plugin_id = ?1 AND name = ?2", args, 2, &r, NULL, err, errlen) != 0)
        return -1;
    rc = r.nrows == 0 ? 1 : (*status = ch_rows_strdup(&r, 0, 0)) != NULL ? 0 : -1;
    if (rc < 0)
        ch_errf(err, errlen, "out of memory");
    ch_rows_free(&r);
    return rc;
}

int ch_state_profile_endpoint_set(ch_state *st, const char *plugin_id, const char *name,
                                  const char *api_base, const char *ca_file,
                                  char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(plugin_id), CH_T(name),
                                CH_T(api_base != NULL ? api_base : ""),
                                CH_T(ca_file != NULL ? ca_file : "") };

    return ch_state_one(st, "saving a profile's API base", "UPDATE profiles SET"
                        " api_base = ?3, ca_file = ?4 WHERE plugin_id = ?1 AND name = ?2",
                        args, 4, NULL, NULL, err, errlen);
}

int ch_state_profile_begin(ch_state *st, const char *plugin_id, const char *name,
                           const char *api_base, const char *ca_file, int64_t now_ms,
                           char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(plugin_id), CH_T(name),
                                CH_T(api_base != NULL ? api_base : ""),
                                CH_T(ca_file != NULL ? ca_file : ""), CH_I(now_ms) };

    return ch_state_one(st, "saving where an authorization began", "INSERT INTO profiles"
                        " (plugin_id, name, status, updated_ms, api_base, ca_file) VALUES"
                        " (?1, ?2, '" CH_PROFILE_AUTHORIZING "', ?5, ?3, ?4) ON CONFLICT"
                        " (plugin_id, name) DO UPDATE SET api_base = ?3, ca_file = ?4,"
                        " updated_ms = ?5 WHERE profiles.status = '" CH_PROFILE_AUTHORIZING "'",
                        args, 5, NULL, NULL, err, errlen);
}

int ch_state_profile_endpoint_get(ch_state *st, const char *plugin_id, const char *name,
                                  char **api_base, char **ca_file, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(plugin_id), CH_T(name) };
    ch_rows r;
    int rc = -1;

    *api_base = *ca_file = NULL;
    if (ch_state_one(st, "reading a profile's API base", "SELECT api_base, ca_file FROM"
                     " profiles WHERE plugin_id = ?1 AND name = ?2 AND api_base IS NOT NULL",
                     args, 2, &r, NULL, err, errlen) != 0)
        return -1;
    if (r.nrows == 0) {
        rc = 1;
    } else {
        *api_base = ch_rows_strdup(&r, 0, 0);
        *ca_file = ch_rows_is_null(&r, 0, 1) ? strdup("") : ch_rows_strdup(&r, 0, 1);
        rc = *api_base != NULL && *ca_file != NULL ? 0 : -1;
        if (rc != 0)
            ch_errf(err, errlen, "out of memory");
    }
    ch_rows_free(&r);
    return rc;
}

/* ---- listings ---------------------------------------------------------- */

int ch_state_select_json(ch_state *st, const char *sql, const char *const *binds,
                         int nbinds, json_object **out, char *err, size_t errlen)
{
    ch_sql_arg args[8];
    json_object *arr = NULL;
    ch_rows r;
    size_t i;
    int b, rc = -1;

    *out = NULL;
    if (nbinds > 8) {
        ch_errf(err, errlen, "listing: too many parameters");
        return -1;
    }
    for (b = 0; b < nbinds; b++)
        args[b] = CH_T(binds[b]);
    if (ch_state_one(st, "listing", sql, args, nbinds, &r, NULL, err, errlen) != 0)
        return -1;
    if ((arr = json_object_new_array()) == NULL)
        goto cleanup;
    for (i = 0; i < r.nrows; i++) {
        json_object *row = json_object_new_object();
        if (row == NULL || json_object_array_add(arr, row) != 0) {
            json_object_put(row);
            goto cleanup;
        }
        for (b = 0; b < r.ncols; b++) {
            const ch_cell *c = ch_rows_cell(&r, i, b);
            json_object *v = c->type == 'i' ? json_object_new_int64(c->i)
                             : c->type == 't' ? json_object_new_string_len(c->s, (int) c->len)
                             : NULL;
            json_object_object_add(row, r.names[b], v);
        }
    }
    *out = arr;
    arr = NULL;
    rc = 0;
cleanup:
    if (rc != 0)
        ch_errf(err, errlen, "out of memory");
    json_object_put(arr);
    ch_rows_free(&r);
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
