/*
 * thread_host.c - a host table that forwards to a mock_host and notes the
 * calling thread of every service (see thread_host.h).
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>

#include "thread_host.h"

/* The services' ctx is the mock's own, so the forwarders find it here. */
static mock_host *mock;
static pthread_t main_thread;
static atomic_int off_thread, calls;

static void note(void)
{
    atomic_fetch_add(&calls, 1);
    if (!pthread_equal(pthread_self(), main_thread))
        atomic_fetch_add(&off_thread, 1);
}

static void w_log(void *c, int32_t l, const char *m) { note(); mock->host.log(c, l, m); }
static const char *w_option(void *c, const char *n) { note(); return mock->host.option(c, n); }
static int64_t w_now(void *c) { note(); return mock->host.now_ms(c); }
static int32_t w_cancelled(void *c) { note(); return mock->host.cancelled(c); }

static aconn_status w_secret_get(void *c, const char *n, char *b, size_t bl, size_t *l)
{
    note();
    return mock->host.secret_get(c, n, b, bl, l);
}

static aconn_status w_secret_put(void *c, const char *n, const char *v, size_t l)
{
    note();
    return mock->host.secret_put(c, n, v, l);
}

static aconn_status w_state_get(void *c, const char *k, char *b, size_t bl, size_t *l,
                                uint64_t *v)
{
    note();
    return mock->host.state_get(c, k, b, bl, l, v);
}

static aconn_status w_state_cas(void *c, const char *k, uint64_t e, const char *v, size_t l,
                                uint64_t *nv)
{
    note();
    return mock->host.state_cas(c, k, e, v, l, nv);
}

static aconn_status w_pace(void *c, const char *k, uint32_t n, uint32_t f, int64_t *w)
{
    note();
    return mock->host.pace(c, k, n, f, w);
}

void thread_host_wrap(aconn_host *wrap, mock_host *m)
{
    mock = m;
    *wrap = m->host;
    wrap->log = w_log;
    wrap->option = w_option;
    wrap->now_ms = w_now;
    wrap->cancelled = w_cancelled;
    wrap->secret_get = w_secret_get;
    wrap->secret_put = w_secret_put;
    wrap->state_get = w_state_get;
    wrap->state_cas = w_state_cas;
    /* A table without pace must stay without: the plugin tells by NULL. */
    if (m->host.pace != NULL)
        wrap->pace = w_pace;
    main_thread = pthread_self();
    thread_host_reset();
}

void thread_host_reset(void)
{
    atomic_store(&off_thread, 0);
    atomic_store(&calls, 0);
}

int thread_host_calls(void)
{
    return atomic_load(&calls);
}

int thread_host_off_thread(void)
{
    return atomic_load(&off_thread);
}
