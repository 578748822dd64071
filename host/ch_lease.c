/*
 * ch_lease.c - leases on connections, held in the state backend, and the
 * fencing of the writes made under one (docs: host/README.md, "Running at
 * scale"; /work/shared/docs/scale-out.md).
 *
 * A lease is a row of `leases` per connection: holder, an expiry and a
 * fencing token. Every grant increments the token, so it only grows. A
 * worker renews its lease while a run is in progress; one that dies loses
 * it at the expiry and another takes the connection. A worker that was
 * stopped past its expiry (a pause, a partition) may wake up after
 * another was granted the connection: every write it makes under the
 * lease checks, in the same transaction, that its token is still the
 * newest, so a stale holder's write is refused rather than applied.
 */
#include <config.h>

#include "ch_lease.h"
#include "ch_state_impl.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ch_db_rc ch_state_fence_check(ch_state *st, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(st->fence_connection) };
    char sql[160];
    ch_rows r;
    ch_db_rc rc;
    int ok;

    if (st->fence_connection == NULL)
        return CH_DB_OK;
    /* Read-locked until commit, so a grant to another worker waits for
       this write (PostgreSQL); SQLite's write transaction excludes it. */
    snprintf(sql, sizeof(sql), "SELECT token, holder FROM leases WHERE connection_id = ?1%s",
             st->ops->lock_read);
    if ((rc = ch_state_q(st, sql, args, 1, &r, NULL)) != CH_DB_OK)
        return rc;
    ok = r.nrows == 1 && ch_rows_int(&r, 0, 0) == st->fence_token
         && ch_rows_cell(&r, 0, 1)->type == 't'
         && strcmp(ch_rows_cell(&r, 0, 1)->s, st->fence_holder) == 0;
    if (!ok)
        ch_errf(err, errlen, "the lease on connection %s was lost (fencing token %lld is no "
                "longer the newest: another worker was granted it); this run stops before "
                "it writes again", st->fence_connection, (long long) st->fence_token);
    ch_rows_free(&r);
    return ok ? CH_DB_OK : CH_DB_FENCED;
}

int ch_state_fence(ch_state *st, const char *connection_id, const char *holder, int64_t token)
{
    char *c = NULL, *h = NULL;

    if (connection_id != NULL && ((c = strdup(connection_id)) == NULL
                                  || (h = strdup(holder)) == NULL)) {
        free(c);
        return -1;
    }
    pthread_mutex_lock(&st->mu);
    free(st->fence_connection);
    free(st->fence_holder);
    st->fence_connection = c;
    st->fence_holder = h;
    st->fence_token = token;
    pthread_mutex_unlock(&st->mu);
    return 0;
}

/* ---- grants, renewals, releases ---------------------------------------- */

typedef struct ch_lease_req {
    const char *id, *holder, *steal;
    int64_t now, until, token;
    int granted;
} ch_lease_req;

static ch_db_rc ch_lease_take_body(ch_state *st, void *ctx, char *err, size_t errlen)
{
    ch_lease_req *q = ctx;
    /* steal "": a released lease is free whatever its cool-down. */
    const ch_sql_arg args[] = { CH_T(q->id), CH_T(q->holder), CH_I(q->until), CH_I(q->now),
                                CH_T(q->steal != NULL && q->steal[0] != '\0' ? q->steal : ""),
                                CH_I(q->steal != NULL) };
    ch_rows r;
    int64_t changes = 0;
    ch_db_rc rc;

    q->granted = 0;
    /* A connection paused or disconnected since it was listed is not
       taken: those are never due. */
    if ((rc = ch_state_q(st, "SELECT 1 FROM connections WHERE id = ?1 AND paused = 0"
                         " AND disconnected_ms = 0", args, 1, &r, NULL)) != CH_DB_OK)
        return rc;
    changes = (int64_t) r.nrows;
    ch_rows_free(&r);
    if (changes == 0)
        return CH_DB_OK;
    /* The grant is one conditional write: only a lease that expired (or
       was released and cooled down) is taken, and its token grows. Two
       workers racing for it serialize on the row; the loser's condition
       is evaluated on the winner's grant and fails. */
    if ((rc = ch_state_q(st, "INSERT INTO leases (connection_id, holder, token, expires_ms)"
                         " VALUES (?1, ?2, 1, ?3) ON CONFLICT (connection_id) DO UPDATE SET"
                         " holder = ?2, token = leases.token + 1, expires_ms = ?3"
                         " WHERE leases.expires_ms <= ?4 OR (?6 <> 0 AND leases.holder = ?5)",
                         args, 6, NULL, &changes)) != CH_DB_OK
        || changes != 1)
        return rc;
    if ((rc = ch_state_q(st, "SELECT token FROM leases WHERE connection_id = ?1", args, 1,
                         &r, NULL)) != CH_DB_OK)
        return rc;
    q->token = ch_rows_int(&r, 0, 0);
    q->granted = r.nrows == 1;
    ch_rows_free(&r);
    return CH_DB_OK;
}

int ch_lease_take(ch_state *st, const char *id, const char *holder, const char *steal,
                  int64_t now, int64_t lease_ms, int64_t *token, char *err, size_t errlen)
{
    ch_lease_req q = { id, holder, steal, now, now + lease_ms, 0, 0 };

    if (ch_state_txn(st, "taking a lease", ch_lease_take_body, &q, err, errlen) != 0)
        return -1;
    *token = q.token;
    return q.granted;
}

int ch_lease_holder(ch_state *st, const char *id, char **holder, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(id) };
    ch_rows r;

    *holder = NULL;
    if (ch_state_exec(st, "reading a lease", "SELECT holder FROM leases WHERE connection_id = ?1",
                      args, 1, &r, NULL, err, errlen) != 0)
        return -1;
    if (r.nrows > 0)
        *holder = ch_rows_strdup(&r, 0, 0);
    ch_rows_free(&r);
    return 0;
}

int ch_lease_renew(ch_state *st, const char *id, const char *holder, int64_t token,
                   int64_t until, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(id), CH_T(holder), CH_I(token), CH_I(until) };
    int64_t changes = 0;

    /* Still ours while no other grant happened, even past the expiry:
       the token, not the clock, says who may write. */
    if (ch_state_exec(st, "renewing a lease", "UPDATE leases SET expires_ms = ?4 WHERE"
                      " connection_id = ?1 AND holder = ?2 AND token = ?3", args, 4, NULL,
                      &changes, err, errlen) != 0)
        return -1;
    return changes == 1;
}

int ch_lease_release(ch_state *st, const char *id, const char *holder, int64_t token,
                     int64_t free_at, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(id), CH_T(holder), CH_I(token), CH_I(free_at) };
    int64_t changes = 0;

    if (ch_state_exec(st, "releasing a lease", "UPDATE leases SET holder = '', expires_ms = ?4"
                      " WHERE connection_id = ?1 AND holder = ?2 AND token = ?3", args, 4,
                      NULL, &changes, err, errlen) != 0)
        return -1;
    return changes == 1;
}

int ch_lease_candidates(ch_state *st, int64_t now, size_t max, char ***ids, size_t *n,
                        char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_I(now), CH_I((int64_t) max) };
    ch_rows r;
    size_t i;

    *ids = NULL;
    *n = 0;
    if (ch_state_exec(st, "listing due connections", "SELECT id FROM connections WHERE"
                      " paused = 0 AND disconnected_ms = 0 AND not_before_ms <= ?1"
                      " AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.connection_id ="
                      " connections.id AND leases.expires_ms > ?1)"
                      " ORDER BY not_before_ms, created_at_ms, id LIMIT ?2", args, 2, &r,
                      NULL, err, errlen) != 0)
        return -1;
    if (r.nrows > 0 && (*ids = calloc(r.nrows, sizeof(**ids))) == NULL) {
        ch_rows_free(&r);
        ch_errf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < r.nrows; i++)
        if (((*ids)[(*n)++] = ch_rows_strdup(&r, i, 0)) == NULL) {
            ch_rows_free(&r);
            ch_errf(err, errlen, "out of memory");
            return -1;   /* what was filled: the caller frees it */
        }
    ch_rows_free(&r);
    return 0;
}

void ch_lease_ids_free(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}
