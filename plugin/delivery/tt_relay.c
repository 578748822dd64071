/* tt_relay.c - the plugin's threads' host calls, run on deliver_batch()'s thread (see tt_relay.h). */
#include <config.h>

#include <string.h>
#include <time.h>

#include "delivery/tt_relay.h"

/* How often the owner, waiting for its threads, looks at cancelled(). */
#define RELAY_CANCEL_REFRESH_NS (100L * 1000 * 1000)

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

static void relay_call(tt_relay *p, tt_relay_req *r)
{
    pthread_mutex_lock(&p->mu);
    if (p->tail != NULL)
        p->tail->next = r;
    else
        p->head = r;
    p->tail = r;
    atomic_store(&p->pending, 1);
    pthread_cond_signal(&p->to_main);
    while (!r->done)
        pthread_cond_wait(&p->to_threads, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void run_log(tt_relay_req *r, const aconn_host *h) { h->log(h->ctx, r->i1, r->s1); }
static void run_option(tt_relay_req *r, const aconn_host *h) { r->ret_s = h->option(h->ctx, r->s1); }
static void run_now(tt_relay_req *r, const aconn_host *h) { r->ret_i = h->now_ms(h->ctx); }

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
    relay_call(ctx, &r);
}

static const char *r_option(void *ctx, const char *name)
{
    tt_relay_req r = {.run = run_option, .s1 = name};
    relay_call(ctx, &r);
    return r.ret_s;
}

static int64_t r_now_ms(void *ctx)
{
    tt_relay_req r = {.run = run_now};
    relay_call(ctx, &r);
    return r.ret_i;
}

static int32_t r_cancelled(void *ctx)
{
    tt_relay *p = ctx;

    return (int32_t) atomic_load(&p->cancelled);
}

/* On the owner's thread: what the threads' cancelled() answers. */
static void relay_refresh_cancelled(tt_relay *p)
{
    atomic_store(&p->cancelled, p->real->cancelled(p->real->ctx) != 0);
}

static aconn_status r_secret_get(void *ctx, const char *name, char *buf, size_t buflen,
                                 size_t *len)
{
    tt_relay_req r = {.run = run_secret_get, .s1 = name, .buf = buf, .buflen = buflen,
                      .plen = len};
    relay_call(ctx, &r);
    return r.st;
}

static aconn_status r_secret_put(void *ctx, const char *name, const char *value, size_t len)
{
    tt_relay_req r = {.run = run_secret_put, .s1 = name, .s2 = value, .len = len};
    relay_call(ctx, &r);
    return r.st;
}

static aconn_status r_state_get(void *ctx, const char *key, char *buf, size_t buflen,
                                size_t *len, uint64_t *version)
{
    tt_relay_req r = {.run = run_state_get, .s1 = key, .buf = buf, .buflen = buflen,
                      .plen = len, .pu = version};
    relay_call(ctx, &r);
    return r.st;
}

static aconn_status r_state_cas(void *ctx, const char *key, uint64_t expected,
                                const char *value, size_t len, uint64_t *new_version)
{
    tt_relay_req r = {.run = run_state_cas, .s1 = key, .u1 = expected, .s2 = value,
                      .len = len, .pu = new_version};
    relay_call(ctx, &r);
    return r.st;
}

static aconn_status r_pace(void *ctx, const char *key, uint32_t n, uint32_t flags,
                           int64_t *wait_ms)
{
    tt_relay_req r = {.run = run_pace, .s1 = key, .n = n, .flags = flags, .pi = wait_ms};
    relay_call(ctx, &r);
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

void tt_relay_set_host(tt_relay *p, const aconn_host *real)
{
    aconn_host *t = &p->table;
    const aconn_host *h = real;

    p->real = real;
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
    t->request_catch_up = NULL;   /* the owner asks, after the threads */
    t->pace = ACONN_HAS(h, aconn_host, pace) && h->pace != NULL ? r_pace : NULL;
}

void tt_relay_init(tt_relay *r, const aconn_host *real)
{
    pthread_condattr_t ca;

    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    /* The owner's timed waits must not jump with the wall clock. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->to_main, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&r->to_threads, NULL);
    atomic_init(&r->pending, 0);
    atomic_init(&r->cancelled, 0);
    tt_relay_set_host(r, real);
}

void tt_relay_enter(tt_relay *r)
{
    relay_refresh_cancelled(r);
    pthread_mutex_lock(&r->mu);
    r->live++;
    pthread_mutex_unlock(&r->mu);
}

void tt_relay_leave(tt_relay *r)
{
    pthread_mutex_lock(&r->mu);
    r->live--;
    pthread_cond_signal(&r->to_main);
    pthread_mutex_unlock(&r->mu);
}

/* Runs queued calls; with until_left, also waits for more until no thread
   is live. */
static void relay_run(tt_relay *p, int until_left)
{
    pthread_mutex_lock(&p->mu);
    for (;;) {
        tt_relay_req *r = p->head;

        if (r == NULL) {
            struct timespec ts;
            if (!until_left || p->live == 0)
                break;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += RELAY_CANCEL_REFRESH_NS;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            (void) pthread_cond_timedwait(&p->to_main, &p->mu, &ts);
            relay_refresh_cancelled(p);
            continue;
        }
        p->head = r->next;
        if (p->head == NULL) {
            p->tail = NULL;
            atomic_store(&p->pending, 0);
        }
        pthread_mutex_unlock(&p->mu);
        r->run(r, p->real);
        pthread_mutex_lock(&p->mu);
        r->done = 1;
        pthread_cond_broadcast(&p->to_threads);
    }
    pthread_mutex_unlock(&p->mu);
}

void tt_relay_poll(tt_relay *r)
{
    if (r == NULL)
        return;
    if ((++r->polls & 255u) == 0)
        relay_refresh_cancelled(r);
    if (atomic_load(&r->pending))
        relay_run(r, 0);
}

void tt_relay_serve(tt_relay *r)
{
    relay_run(r, 1);
}

void tt_relay_destroy(tt_relay *r)
{
    pthread_cond_destroy(&r->to_threads);
    pthread_cond_destroy(&r->to_main);
    pthread_mutex_destroy(&r->mu);
}
