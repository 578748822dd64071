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
    return ok ? CH_DB_OK : CH_DB_CONSTRAINT;
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
