/*
 * ch_state_run.c - the connections and their delivery-run bookkeeping in
 * the state (ch_state.h): rows, fingerprints, a run's start and end, each
 * write one transaction.
 */
#include <config.h>

#include "ch_state_impl.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records c->fp for c (inside the caller's transaction). */
static ch_db_rc ch_state_fp_put(ch_state *st, const ch_connection *c)
{
    const ch_sql_arg args[] = { CH_T(c->id), CH_I(c->fp.lines), CH_I(c->fp.bytes),
                                CH_I(c->fp.dev), CH_I(c->fp.ino), CH_T(c->fp.digest) };

    if (!c->fp.valid)
        return CH_DB_OK;
    return ch_state_q(st, "INSERT INTO fingerprints (connection_id, lines, bytes, dev, ino,"
                      " digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (connection_id)"
                      " DO UPDATE SET lines = ?2, bytes = ?3, dev = ?4, ino = ?5, digest = ?6",
                      args, 6, NULL, NULL);
}

/* Loads c's fingerprint into c->fp (valid 0 when there is none). */
static ch_db_rc ch_state_fp_get(ch_state *st, ch_connection *c)
{
    const ch_sql_arg args[] = { CH_T(c->id) };
    ch_rows r;
    ch_db_rc rc;

    memset(&c->fp, 0, sizeof(c->fp));
    rc = ch_state_q(st, "SELECT lines, bytes, dev, ino, digest FROM fingerprints"
                    " WHERE connection_id = ?1", args, 1, &r, NULL);
    if (rc != CH_DB_OK)
        return rc;
    if (r.nrows > 0 && !ch_rows_is_null(&r, 0, 4)) {
        c->fp.valid = 1;
        c->fp.lines = (uint64_t) ch_rows_int(&r, 0, 0);
        c->fp.bytes = (uint64_t) ch_rows_int(&r, 0, 1);
        c->fp.dev = (uint64_t) ch_rows_int(&r, 0, 2);
        c->fp.ino = (uint64_t) ch_rows_int(&r, 0, 3);
        snprintf(c->fp.digest, sizeof(c->fp.digest), "%s", ch_rows_cell(&r, 0, 4)->s);
    }
    ch_rows_free(&r);
    return CH_DB_OK;
}

static ch_db_rc ch_state_insert_body(ch_state *st, void *ctx, char *err, size_t errlen)
{
    const ch_connection *c = ctx;
    const ch_sql_arg args[] = { CH_T(c->id), CH_T(c->plugin_path), CH_T(c->plugin_id),
                                CH_T(c->profile), CH_T(c->dataset_path),
                                CH_T(c->settings_json), CH_I(c->created_at_ms),
                                CH_I(c->lines_at_connect), CH_I(c->historical),
                                CH_I(c->delivered_through) };
    ch_db_rc rc = ch_state_q(st, "INSERT INTO connections (id, plugin_path, plugin_id,"
                             " profile, dataset_path, settings_json, created_at_ms,"
                             " dataset_lines_at_connect, historical, delivered_through,"
                             " last_full_refresh_ms)"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?7)",
                             args, 10, NULL, NULL);

    return rc != CH_DB_OK ? rc : ch_state_fp_put(st, c);
}

int ch_state_connection_insert(ch_state *st, const ch_connection *c,
                               char *err, size_t errlen)
{
    return ch_state_txn(st, "saving a connection", ch_state_insert_body, (void *) c,
                        err, errlen);
}

int ch_state_connection_from_row(const ch_rows *r, size_t i, ch_connection *c)
{
    memset(c, 0, sizeof(*c));
    c->id = ch_rows_strdup(r, i, 0);
    c->plugin_path = ch_rows_strdup(r, i, 1);
    c->plugin_id = ch_rows_strdup(r, i, 2);
    c->profile = ch_rows_strdup(r, i, 3);
    c->dataset_path = ch_rows_strdup(r, i, 4);
    c->settings_json = ch_rows_strdup(r, i, 5);
    c->created_at_ms = ch_rows_int(r, i, 6);
    c->lines_at_connect = (uint64_t) ch_rows_int(r, i, 7);
    c->historical = (int) ch_rows_int(r, i, 8);
    c->delivered_through = (uint64_t) ch_rows_int(r, i, 9);
    if (!ch_rows_is_null(r, i, 10)) {
        c->run_id = ch_rows_strdup(r, i, 10);
        c->run_first = (uint64_t) ch_rows_int(r, i, 11);
        c->run_last = (uint64_t) ch_rows_int(r, i, 12);
        c->run_attempt = (uint32_t) ch_rows_int(r, i, 13);
        c->run_outcome = ch_rows_strdup(r, i, 14);
        c->run_status = ch_rows_strdup(r, i, 15);
        if (c->run_id == NULL || c->run_outcome == NULL)
            return -1;
    }
    c->not_before_ms = ch_rows_int(r, i, 16);
    c->run_full_refresh = (int) ch_rows_int(r, i, 17);
    c->last_full_refresh_ms = ch_rows_int(r, i, 18);
    c->paused = (int) ch_rows_int(r, i, 19);
    c->disconnected_ms = ch_rows_int(r, i, 20);
    if (c->id == NULL || c->plugin_path == NULL || c->plugin_id == NULL
        || c->profile == NULL || c->dataset_path == NULL || c->settings_json == NULL)
        return -1;
    return 0;
}

int ch_state_connection_get(ch_state *st, const char *id, ch_connection *c,
                            char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(id) };
    ch_rows r;
    ch_db_rc rc;
    int out = -1;

    memset(c, 0, sizeof(*c));
    memset(&r, 0, sizeof(r));
    pthread_mutex_lock(&st->mu);
    rc = ch_state_q(st, "SELECT " CH_CONN_COLUMNS " FROM connections WHERE id = ?1",
                    args, 1, &r, NULL);
    if (rc != CH_DB_OK) {
        ch_state_fail(st, rc, "reading a connection", err, errlen);
        goto cleanup;
    }
    if (r.nrows == 0) {
        out = 1;
        goto cleanup;
    }
    if (ch_state_connection_from_row(&r, 0, c) != 0) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    if ((rc = ch_state_fp_get(st, c)) != CH_DB_OK) {
        ch_state_fail(st, rc, "reading a connection's fingerprint", err, errlen);
        goto cleanup;
    }
    out = 0;
cleanup:
    ch_rows_free(&r);
    pthread_mutex_unlock(&st->mu);
    if (out != 0)
        ch_connection_clear(c);
    return out;
}

int ch_state_connection_set_plugin(ch_state *st, const char *id, const char *plugin_path,
                                   char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(id), CH_T(plugin_path) };
    int64_t changes = 0;

    if (ch_state_exec(st, "relinking a connection", "UPDATE connections SET plugin_path = ?2"
                      " WHERE id = ?1", args, 2, NULL, &changes, err, errlen) != 0)
        return -1;
    return changes == 1 ? 0 : 1;
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

typedef struct ch_run_rec {
    const ch_connection *c;
    const char *outcome, *status, *report_json;
    int64_t not_before_ms, now_ms;
} ch_run_rec;

static ch_db_rc ch_state_begin_body(ch_state *st, void *ctx, char *err, size_t errlen)
{
    const ch_run_rec *rr = ctx;
    const ch_connection *c = rr->c;
    const ch_sql_arg up[] = { CH_T(c->id), CH_T(c->run_id), CH_I(c->run_first),
                              CH_I(c->run_last), CH_I(c->run_attempt),
                              CH_T(CH_OUTCOME_RUNNING), CH_I(c->run_full_refresh) };
    const ch_sql_arg ins[] = { CH_T(c->run_id), CH_I(c->run_attempt), CH_T(c->id),
                               CH_I(c->run_first), CH_I(c->run_last), CH_I(rr->now_ms) };
    ch_db_rc rc = ch_state_fence_check(st, err, errlen);

    if (rc == CH_DB_OK)
        rc = ch_state_q(st, "UPDATE connections SET run_id = ?2, run_first = ?3,"
                        " run_last = ?4, run_attempt = ?5, run_outcome = ?6,"
                        " run_status = NULL, run_full_refresh = ?7 WHERE id = ?1",
                        up, 7, NULL, NULL);
    if (rc == CH_DB_OK)
        rc = ch_state_q(st, "INSERT INTO runs (run_id, attempt, connection_id, first_line,"
                        " last_line, status, started_ms) VALUES (?1, ?2, ?3, ?4, ?5,"
                        " 'running', ?6) ON CONFLICT (run_id, attempt) DO UPDATE SET"
                        " connection_id = ?3, first_line = ?4, last_line = ?5,"
                        " status = 'running', report_json = NULL, started_ms = ?6,"
                        " finished_ms = NULL", ins, 6, NULL, NULL);
    return rc;
}

int ch_state_run_begin(ch_state *st, const ch_connection *c, int64_t now_ms,
                       char *err, size_t errlen)
{
    ch_run_rec rr = { c, NULL, NULL, NULL, 0, now_ms };

    return ch_state_txn(st, "opening a run", ch_state_begin_body, &rr, err, errlen);
}

static ch_db_rc ch_state_end_body(ch_state *st, void *ctx, char *err, size_t errlen)
{
    const ch_run_rec *rr = ctx;
    const ch_connection *c = rr->c;
    const ch_sql_arg args[] = { CH_T(c->id), CH_T(c->run_id), CH_I(c->run_last),
                                CH_T(rr->outcome), CH_T(rr->status), CH_I(rr->not_before_ms),
                                CH_I(rr->now_ms) };
    const ch_sql_arg run[] = { CH_T(c->run_id), CH_I(c->run_attempt), CH_T(rr->status),
                               CH_T(rr->report_json), CH_I(rr->now_ms) };
    int64_t changes = 0;
    ch_db_rc rc = ch_state_fence_check(st, err, errlen);

    if (rc != CH_DB_OK)
        return rc;
    /* Finished: move the checkpoint past the run, only if the run is still
       the one we opened. Otherwise keep it pending with its outcome. */
    if (rr->outcome == NULL)
        rc = ch_state_q(st, "UPDATE connections SET delivered_through = ?3,"
                        " run_id = NULL, run_first = NULL, run_last = NULL,"
                        " run_attempt = NULL, run_outcome = NULL, run_status = NULL,"
                        " not_before_ms = 0, last_full_refresh_ms = CASE WHEN"
                        " run_full_refresh <> 0 THEN ?7 ELSE last_full_refresh_ms END,"
                        " run_full_refresh = 0 WHERE id = ?1 AND run_id = ?2",
                        args, 7, NULL, &changes);
    else
        rc = ch_state_q(st, "UPDATE connections SET run_outcome = ?4, run_status = ?5,"
                        " not_before_ms = ?6 WHERE id = ?1 AND run_id = ?2",
                        args, 6, NULL, &changes);
    if (rc != CH_DB_OK)
        return rc;
    if (changes != 1) {
        ch_errf(err, errlen, "connection %s no longer has run %s pending; another "
                "process changed it", c->id, c->run_id);
        return CH_DB_ERROR;
    }
    /* The new checkpoint and the fingerprint of what it covers commit
       together. */
    if (rr->outcome == NULL && (rc = ch_state_fp_put(st, c)) != CH_DB_OK)
        return rc;
    return ch_state_q(st, "UPDATE runs SET status = ?3, report_json = ?4, finished_ms = ?5"
                      " WHERE run_id = ?1 AND attempt = ?2", run, 5, NULL, NULL);
}

int ch_state_run_end(ch_state *st, const ch_connection *c, const char *outcome,
                     const char *status, int64_t not_before_ms,
                     const char *report_json, int64_t now_ms,
                     char *err, size_t errlen)
{
    ch_run_rec rr = { c, outcome, status, report_json, not_before_ms, now_ms };

    return ch_state_txn(st, "closing a run", ch_state_end_body, &rr, err, errlen);
}

json_object *ch_state_last_report(ch_state *st, const char *connection_id, int *failed,
                                  char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(connection_id) };
    json_object *report = NULL;
    ch_rows r;

    *failed = 0;
    if (ch_state_exec(st, "reading the last report", "SELECT report_json FROM runs"
                      " WHERE connection_id = ?1 AND finished_ms IS NOT NULL"
                      " AND report_json IS NOT NULL"
                      " ORDER BY finished_ms DESC, attempt DESC LIMIT 1",
                      args, 1, &r, NULL, err, errlen) != 0) {
        *failed = 1;
        return NULL;
    }
    if (r.nrows > 0 && !ch_rows_is_null(&r, 0, 0))
        report = json_tokener_parse(ch_rows_cell(&r, 0, 0)->s);
    ch_rows_free(&r);
    return report;
}

int ch_state_run_record(ch_state *st, const char *connection_id, const char *run_id,
                        uint64_t first, uint64_t last, const char *status,
                        const char *report_json, int64_t started_ms, int64_t now_ms,
                        char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(run_id), CH_T(connection_id), CH_I(first), CH_I(last),
                                CH_T(status), CH_T(report_json), CH_I(started_ms),
                                CH_I(now_ms) };

    return ch_state_exec(st, "recording a catch-up", "INSERT INTO runs (run_id, attempt,"
                         " connection_id, first_line, last_line, status, report_json,"
                         " started_ms, finished_ms) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7,"
                         " ?8)", args, 8, NULL, NULL, err, errlen);
}
