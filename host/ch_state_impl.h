/*
 * ch_state_impl.h - what the parts of ch_state (ch_state.c,
 * ch_state_run.c, ch_lease.c) share: the handle, one statement, one
 * transaction.
 */
#ifndef CH_STATE_IMPL_H
#define CH_STATE_IMPL_H

#include "ch_state.h"
#include "ch_store.h"

#include <pthread.h>

struct ch_state {
    const ch_store_ops *ops;
    void *db;
    pthread_mutex_t mu;     /* one caller of the driver at a time */
    int last_down;          /* the last failure: the server was unreachable */
    ch_db_rc last_txn;      /* how the last ch_state_txn ended */
    /* The lease the host's writes are fenced by (ch_state_fence): a
       write is refused once another holder was granted the connection. */
    char *fence_connection;
    char *fence_holder;
    int64_t fence_token;
};

/* One statement (the caller holds st->mu). */
ch_db_rc ch_state_q(ch_state *st, const char *sql, const ch_sql_arg *args, int nargs,
                    ch_rows *rows, int64_t *changes);

/* A transaction body: runs statements with ch_state_q; may write its own
   message into err (then returns CH_DB_ERROR). */
typedef ch_db_rc (*ch_state_body)(ch_state *st, void *ctx, char *err, size_t errlen);

/*
 * Runs body in one write transaction, under st->mu, and commits; retries
 * it (a few times) when the database was busy or the transaction lost a
 * serialization race. 0, or -1 with "state database: WHAT: ..." in err
 * (st->last_down set when the server could not be reached).
 */
int ch_state_txn(ch_state *st, const char *what, ch_state_body body, void *ctx,
                 char *err, size_t errlen);

/* Sets err from the driver's last message, naming what failed. */
void ch_state_fail(ch_state *st, ch_db_rc rc, const char *what, char *err, size_t errlen);

/* The fence check inside a transaction: CH_DB_OK while st holds no fence
   or its lease is still the newest grant; CH_DB_FENCED (err set) when it
   was lost. */
ch_db_rc ch_state_fence_check(ch_state *st, char *err, size_t errlen);

#endif /* CH_STATE_IMPL_H */
