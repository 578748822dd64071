/*
 * ch_pace.c - the shared request budgets behind aconn_host.pace (ABI 1.2).
 *
 * Why in the state backend: TikTok limits requests per developer app, and
 * every worker of every machine on one state uses the same app, so the
 * budget must be where they all meet. It is a virtual-time bucket (GCRA
 * without burst): each key keeps next_us, the earliest time the next
 * request may go; a grant takes base = max(next_us, now) and moves next_us
 * on by one interval (1 s / rate) per request, so requests leave at least
 * an interval apart whichever process sends them. A refusal by the remote
 * pushes next_us to a second from now, which drains the bucket for
 * everyone. One upsert per request, on one small row.
 */
#include <config.h>

#include "ch_state_impl.h"

#include <string.h>
#include <time.h>

/* The pace service keys ("<plugin>" namespace, "<app>/<endpoint>"). */
#define CH_PACE_KEY_MAX 200

static int64_t ch_pace_wall_us(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

aconn_status ch_state_pace(ch_state *st, const char *ns, const char *key, int64_t cost_us,
                           int64_t push_us, int64_t *wait_us, int64_t *slot_us)
{
    ch_sql_arg args[4];
    ch_rows r;
    ch_db_rc rc;

    if (wait_us != NULL)
        *wait_us = 0;
    if (st == NULL || ns == NULL || key == NULL || key[0] == '\0'
        || strlen(key) > CH_PACE_KEY_MAX || cost_us < 0 || push_us < 0 || wait_us == NULL)
        return ACONN_ERR_INVALID;
    args[0] = CH_T(ns);
    args[1] = CH_T(key);
    args[2] = CH_I(cost_us);
    args[3] = CH_I(push_us);
    pthread_mutex_lock(&st->mu);
    rc = ch_state_q(st, st->ops->pace_sql, args, 4, &r, NULL);
    pthread_mutex_unlock(&st->mu);
    if (rc != CH_DB_OK)
        return rc == CH_DB_BUSY || rc == CH_DB_DOWN ? ACONN_RETRY : ACONN_ERR_FATAL;
    if (r.nrows == 1 && slot_us != NULL)
        *slot_us = ch_rows_int(&r, 0, 1);
    if (r.nrows == 1)
        *wait_us = st->ops->pace_local_clock ? ch_rows_int(&r, 0, 1) - ch_pace_wall_us()
                                             : ch_rows_int(&r, 0, 0);
    if (*wait_us < 0)
        *wait_us = 0;
    ch_rows_free(&r);
    return ACONN_OK;
}
