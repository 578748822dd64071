/* tt_par.c - creates and updates for several Ad Accounts at once (see tt_par.h). */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/tt_par.h"

/* ------------------------------------------------------------------ */
/* The relay: service calls of the threads, run on the calling thread  */
/* ------------------------------------------------------------------ */

typedef struct tt_relay_req tt_relay_req;

/* One service call in flight; its arguments are the caller's (on its
   stack, borrowed until done). */
struct tt_relay_req {
    void (*run)(tt_relay_req *r, const aconn_host *real);
    tt_relay_req *next;
    int done;
    const char *s1, *s2;
    char *buf;
    size_t buflen, len, *plen;
    uint64_t u1, *pu;
    int32_t i1;
    uint32_t n, flags;
    int64_t *pi;
    aconn_status st;
    const char *ret_s;
    int64_t ret_i;
};

typedef struct tt_par {
    aconn_host table;            /* what the threads get; ctx = this */
    const aconn_host *real;      /* deliver_batch()'s table */
    pthread_mutex_t mu;          /* the queue and live */
    pthread_cond_t to_main, to_workers;
    tt_relay_req *head, *tail;
    int live;                    /* threads not finished yet */
    pthread_mutex_t big;         /* the run's memory (tt_par.h) */
    tt_apply_ctx *x;
    tt_par_apply_fn fn;
    tt_par_after_fn after;
    const char **accounts;       /* one per group, in target order */
    size_t naccounts, next;
    int stop;
} tt_par;

static void tt_relay(tt_par *p, tt_relay_req *r)
{
    pthread_mutex_lock(&p->mu);
    if (p->tail != NULL)
        p->tail->next = r;
    else
        p->head = r;
    p->tail = r;
    pthread_cond_signal(&p->to_main);
    while (!r->done)
        pthread_cond_wait(&p->to_workers, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void run_log(tt_relay_req *r, const aconn_host *h) { h->log(h->ctx, r->i1, r->s1); }
static void run_option(tt_relay_req *r, const aconn_host *h) { r->ret_s = h->option(h->ctx, r->s1); }
static void run_now(tt_relay_req *r, const aconn_host *h) { r->ret_i = h->now_ms(h->ctx); }
static void run_cancelled(tt_relay_req *r, const aconn_host *h) { r->ret_i = h->cancelled(h->ctx); }

static void run_secret_get(tt_relay_req *r, const aconn_host *h)
{
    r->st = h->secret_get(h->ctx, r->s1, r->buf, r->buflen, r->plen);
}

static void run_secret_put(tt_relay_req *r, const aconn_host *h)
{
    r->st = h->secret_put(h->ctx, r->s1, r->s2, r->len);
}

static void run_state_get(tt_relay_req *r, const aconn_host *h)
{
    r->st = h->state_get(h->ctx, r->s1, r->buf, r->buflen, r->plen, r->pu);
}

static void run_state_cas(tt_relay_req *r, const aconn_host *h)
{
    r->st = h->state_cas(h->ctx, r->s1, r->u1, r->s2, r->len, r->pu);
}

static void run_pace(tt_relay_req *r, const aconn_host *h)
{
    r->st = h->pace(h->ctx, r->s1, r->n, r->flags, r->pi);
}

static void r_log(void *ctx, int32_t level, const char *msg)
{
    tt_relay_req r = {.run = run_log, .i1 = level, .s1 = msg};
    tt_relay(ctx, &r);
}

static const char *r_option(void *ctx, const char *name)
{
    tt_relay_req r = {.run = run_option, .s1 = name};
    tt_relay(ctx, &r);
    return r.ret_s;
}

static int64_t r_now_ms(void *ctx)
{
    tt_relay_req r = {.run = run_now};
    tt_relay(ctx, &r);
    return r.ret_i;
}

static int32_t r_cancelled(void *ctx)
{
    tt_relay_req r = {.run = run_cancelled};
    tt_relay(ctx, &r);
    return (int32_t) r.ret_i;
}

static aconn_status r_secret_get(void *ctx, const char *name, char *buf, size_t buflen,
                                 size_t *len)
{
    tt_relay_req r = {.run = run_secret_get, .s1 = name, .buf = buf, .buflen = buflen,
                      .plen = len};
    tt_relay(ctx, &r);
    return r.st;
}

static aconn_status r_secret_put(void *ctx, const char *name, const char *value, size_t len)
{
    tt_relay_req r = {.run = run_secret_put, .s1 = name, .s2 = value, .len = len};
    tt_relay(ctx, &r);
    return r.st;
}

static aconn_status r_state_get(void *ctx, const char *key, char *buf, size_t buflen,
                                size_t *len, uint64_t *version)
{
    tt_relay_req r = {.run = run_state_get, .s1 = key, .buf = buf, .buflen = buflen,
                      .plen = len, .pu = version};
    tt_relay(ctx, &r);
    return r.st;
}

static aconn_status r_state_cas(void *ctx, const char *key, uint64_t expected,
                                const char *value, size_t len, uint64_t *new_version)
{
    tt_relay_req r = {.run = run_state_cas, .s1 = key, .u1 = expected, .s2 = value,
                      .len = len, .pu = new_version};
    tt_relay(ctx, &r);
    return r.st;
}

static aconn_status r_pace(void *ctx, const char *key, uint32_t n, uint32_t flags,
                           int64_t *wait_ms)
{
    tt_relay_req r = {.run = run_pace, .s1 = key, .n = n, .flags = flags, .pi = wait_ms};
    tt_relay(ctx, &r);
    return r.st;
}

/* The dataset belongs to the deliver_batch() thread alone. */
static aconn_status r_batch_next(void *ctx, const aconn_batch *batch,
                                 const aconn_record *const **records, size_t *count)
{
    (void) ctx;
    (void) batch;
    if (records != NULL)
        *records = NULL;
    if (count != NULL)
        *count = 0;
    return ACONN_ERR_INVALID;
}

static void r_reject(void *ctx, const aconn_batch *batch, uint64_t seq, uint32_t attr_index,
                     const char *reason, const char *detail)
{
    (void) ctx, (void) batch, (void) seq, (void) attr_index, (void) reason, (void) detail;
}

static void tt_par_table(tt_par *p)
{
    aconn_host *t = &p->table;
    const aconn_host *h = p->real;

    memset(t, 0, sizeof(*t));
    t->struct_size = sizeof(*t);
    t->abi_major = h->abi_major;
    t->abi_minor = h->abi_minor;
    t->ctx = p;
    t->log = r_log;
    t->option = r_option;
    t->now_ms = r_now_ms;
    t->cancelled = r_cancelled;
    t->secret_get = r_secret_get;
    t->secret_put = r_secret_put;
    t->state_get = r_state_get;
    t->state_cas = r_state_cas;
    t->batch_next = r_batch_next;
    t->reject = r_reject;
    t->request_catch_up = NULL;   /* the caller asks, after the threads */
    t->pace = ACONN_HAS(h, aconn_host, pace) && h->pace != NULL ? r_pace : NULL;
}

/* Runs the threads' service calls until every thread has finished. */
static void tt_par_serve(tt_par *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->live > 0 || p->head != NULL) {
        tt_relay_req *r = p->head;

        if (r == NULL) {
            pthread_cond_wait(&p->to_main, &p->mu);
            continue;
        }
        p->head = r->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        r->run(r, p->real);
        pthread_mutex_lock(&p->mu);
        r->done = 1;
        pthread_cond_broadcast(&p->to_workers);
    }
    pthread_mutex_unlock(&p->mu);
}

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
    w->x.host = &p->table;
    w->x.api = NULL;
    if (tt_session_open(&w->x.session, &p->table, p->x->batch->profile, &e) == ACONN_OK) {
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
    pthread_mutex_lock(&p->mu);
    p->live--;
    pthread_cond_signal(&p->to_main);
    pthread_mutex_unlock(&p->mu);
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
    p.real = x->host;
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
    tt_par_table(&p);
    pthread_mutex_init(&p.mu, NULL);
    pthread_mutex_init(&p.big, NULL);
    pthread_cond_init(&p.to_main, NULL);
    pthread_cond_init(&p.to_workers, NULL);
    pthread_mutex_lock(&p.mu);
    for (; started < nthreads; started++) {
        w[started].p = &p;
        if (pthread_create(&w[started].thread, NULL, tt_par_thread, &w[started]) != 0)
            break;
        p.live++;
    }
    pthread_mutex_unlock(&p.mu);
    /* With no thread nothing was done: the caller goes one by one. */
    if (started > 0) {
        tt_par_serve(&p);
        for (size_t i = 0; i < started; i++)
            pthread_join(w[i].thread, NULL);
        rc = 0;
    }
    pthread_cond_destroy(&p.to_workers);
    pthread_cond_destroy(&p.to_main);
    pthread_mutex_destroy(&p.big);
    pthread_mutex_destroy(&p.mu);
cleanup:
    free(w);
    free(p.accounts);
    return rc;
}
