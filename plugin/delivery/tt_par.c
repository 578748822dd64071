/* tt_par.c - creates and updates for several Ad Accounts at once (see tt_par.h). */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/tt_par.h"
#include "delivery/tt_relay.h"

/* The run's threads; their host calls go through relay (tt_relay.h). */
typedef struct tt_par {
    tt_relay relay;              /* its table is the threads' host */
    pthread_mutex_t big;         /* the run's memory (tt_par.h) */
    tt_apply_ctx *x;
    tt_par_apply_fn fn;
    tt_par_after_fn after;
    const char **accounts;       /* one per group, in target order */
    size_t naccounts, next;
    int stop;
} tt_par;

/* ------------------------------------------------------------------ */
/* The threads                                                         */
/* ------------------------------------------------------------------ */

typedef struct tt_par_worker {
    tt_par *p;
    tt_apply_ctx x;              /* a copy of the run's, with its own session */
    pthread_t thread;
} tt_par_worker;

/* tt_http.idle: the lock is let go while a request waits. */
static void tt_par_idle(void *arg, int waiting)
{
    tt_par *p = arg;

    if (waiting)
        pthread_mutex_unlock(&p->big);
    else
        pthread_mutex_lock(&p->big);
}

static void tt_par_stats_add(tt_http_stats *to, const tt_http_stats *from)
{
    to->calls += from->calls;
    to->retries += from->retries;
    to->bytes_uploaded += from->bytes_uploaded;
    for (size_t i = 0; i < from->nendpoints; i++) {
        const tt_http_endpoint_stats *e = &from->endpoints[i];
        size_t j = 0;

        while (j < to->nendpoints && strcmp(to->endpoints[j].endpoint, e->endpoint) != 0)
            j++;
        if (j == to->nendpoints) {
            if (j == TT_HTTP_STATS_MAX)
                continue;
            memcpy(to->endpoints[j].endpoint, e->endpoint, sizeof(e->endpoint));
            to->nendpoints++;
        }
        to->endpoints[j].calls += e->calls;
        to->endpoints[j].failures += e->failures;
    }
}

/* Every target of the next account until none is left or the run stops;
   without a session, the accounts left fail with its error (the lock
   held). */
static void tt_par_drain(tt_par_worker *w, const aconn_error *session_err)
{
    tt_par *p = w->p;

    while (!p->stop && p->next < p->naccounts) {
        const char *adv = p->accounts[p->next++];

        for (size_t i = 0; i < p->x->ntargets; i++) {
            tt_dest *t = &p->x->targets[i];

            if (t->skip || t->status != ACONN_OK || strcmp(t->advertiser_id, adv) != 0)
                continue;
            if (session_err != NULL)
                tt_apply_target_fail(t, session_err);
            else if (p->fn(&w->x, t) != 0) {
                p->stop = 1;
                break;
            }
        }
        if (session_err != NULL || p->stop)
            continue;
        p->after(&w->x, adv);
        for (size_t i = 0; i < p->x->ntargets; i++)
            if (strcmp(p->x->targets[i].advertiser_id, adv) == 0)
                p->x->targets[i].sized = 1;
    }
}

static void *tt_par_thread(void *arg)
{
    tt_par_worker *w = arg;
    tt_par *p = w->p;
    aconn_error e = {.struct_size = sizeof(e)};

    pthread_mutex_lock(&p->big);
    w->x = *p->x;
    w->x.owner = p->x;
    w->x.host = &p->relay.table;
    w->x.api = NULL;
    if (tt_session_open(&w->x.session, &p->relay.table, p->x->batch->profile, &e) == ACONN_OK) {
        w->x.session.http.idle = tt_par_idle;
        w->x.session.http.idle_arg = p;
        w->x.api = &w->x.session.api;
        tt_par_drain(w, NULL);
        tt_par_stats_add(&p->x->session.http.stats, &w->x.session.http.stats);
    } else {
        tt_par_drain(w, &e);
    }
    tt_session_close(&w->x.session);
    pthread_mutex_unlock(&p->big);
    tt_relay_leave(&p->relay);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The caller's side                                                   */
/* ------------------------------------------------------------------ */

int tt_par_cap(const aconn_host *host)
{
    const char *v = host->option(host->ctx, "parallel_accounts");
    char *end = NULL;
    long n;

    if (v == NULL || *v == '\0')
        return TT_PAR_DEFAULT;
    n = strtol(v, &end, 10);
    if (end == NULL || *end != '\0' || n < 1)
        return TT_PAR_DEFAULT;
    return n > TT_PAR_MAX ? TT_PAR_MAX : (int) n;
}

/* The accounts with a target to apply, each once, in target order. */
static size_t tt_par_accounts(const tt_apply_ctx *x, const char **out)
{
    size_t n = 0;

    for (size_t i = 0; i < x->ntargets; i++) {
        const tt_dest *t = &x->targets[i];
        size_t j = 0;

        if (t->skip || t->status != ACONN_OK)
            continue;
        while (j < n && strcmp(out[j], t->advertiser_id) != 0)
            j++;
        if (j == n)
            out[n++] = t->advertiser_id;
    }
    return n;
}

int tt_par_apply(tt_apply_ctx *x, int cap, tt_par_apply_fn fn, tt_par_after_fn after)
{
    tt_par p;
    tt_par_worker *w = NULL;
    size_t nthreads, started = 0;
    int rc = -1;

    memset(&p, 0, sizeof(p));
    p.x = x;
    p.fn = fn;
    p.after = after;
    p.accounts = calloc(x->ntargets ? x->ntargets : 1, sizeof(*p.accounts));
    if (p.accounts == NULL)
        return -1;
    p.naccounts = tt_par_accounts(x, p.accounts);
    nthreads = p.naccounts < (size_t) cap ? p.naccounts : (size_t) cap;
    if (nthreads < 2 || (w = calloc(nthreads, sizeof(*w))) == NULL)
        goto cleanup;
    tt_relay_init(&p.relay, x->host);
    pthread_mutex_init(&p.big, NULL);
    for (; started < nthreads; started++) {
        w[started].p = &p;
        tt_relay_enter(&p.relay);
        if (pthread_create(&w[started].thread, NULL, tt_par_thread, &w[started]) != 0) {
            tt_relay_leave(&p.relay);
            break;
        }
    }
    /* With no thread nothing was done: the caller goes one by one. */
    if (started > 0) {
        tt_relay_serve(&p.relay);
        for (size_t i = 0; i < started; i++)
            pthread_join(w[i].thread, NULL);
        rc = 0;
    }
    pthread_mutex_destroy(&p.big);
    tt_relay_destroy(&p.relay);
cleanup:
    free(w);
    free(p.accounts);
    return rc;
}
