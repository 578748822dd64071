/*
 * test_relay.c - the relay of the plugin's threads' host calls (tt_relay):
 * a thread's call runs on the owner's thread; cancelled() is answered on
 * the thread from what the owner last saw, with no round trip (libcurl asks
 * it many times a second per upload), and a cancellation still reaches the
 * thread, whether the owner polls (spooling) or serves (joining).
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "delivery/tt_relay.h"
#include "ts_cunit.h"

/* The real host: cancelled() and log(), each noting its thread. */
typedef struct {
    pthread_t owner;
    atomic_int cancel;
    atomic_int cancelled_calls, logs, off_owner;
} real_host;

static int32_t real_cancelled(void *ctx)
{
    real_host *h = ctx;

    atomic_fetch_add(&h->cancelled_calls, 1);
    if (!pthread_equal(pthread_self(), h->owner))
        atomic_fetch_add(&h->off_owner, 1);
    return atomic_load(&h->cancel);
}

static void real_log(void *ctx, int32_t level, const char *msg)
{
    real_host *h = ctx;

    (void) level;
    (void) msg;
    atomic_fetch_add(&h->logs, 1);
    if (!pthread_equal(pthread_self(), h->owner))
        atomic_fetch_add(&h->off_owner, 1);
}

typedef struct {
    tt_relay *relay;
    atomic_int asked;            /* the thread's cancelled() calls */
    atomic_int saw_cancel;
    int quick;                   /* calls made before waiting for the cancel */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    const aconn_host *t = &w->relay->table;
    struct timespec ms = {0, 1000000L};

    for (int i = 0; i < w->quick; i++) {
        (void) t->cancelled(t->ctx);
        atomic_fetch_add(&w->asked, 1);
    }
    /* Bounded: a cancellation never seen fails the test, it does not hang it. */
    for (int i = 0; i < 5000 && !atomic_load(&w->saw_cancel); i++) {
        if (t->cancelled(t->ctx))
            atomic_store(&w->saw_cancel, 1);
        else
            nanosleep(&ms, NULL);
    }
    t->log(t->ctx, ACONN_LOG_INFO, "relayed");
    tt_relay_leave(w->relay);
    return NULL;
}

static void setup(real_host *h, aconn_host *table, tt_relay *r)
{
    memset(h, 0, sizeof(*h));
    h->owner = pthread_self();
    memset(table, 0, sizeof(*table));
    table->struct_size = sizeof(*table);
    table->abi_major = ACONN_ABI_MAJOR;
    table->abi_minor = ACONN_ABI_MINOR;
    table->ctx = h;
    table->cancelled = real_cancelled;
    table->log = real_log;
    tt_relay_init(r, table);
}

/* Waits (bounded) until the thread has made its quick calls. */
static int wait_asked(worker *w, int n)
{
    struct timespec ms = {0, 1000000L};

    for (int i = 0; i < 5000; i++) {
        if (atomic_load(&w->asked) >= n)
            return 1;
        nanosleep(&ms, NULL);
    }
    return 0;
}

static void test_cancelled_without_round_trip_then_seen_while_serving(void)
{
    real_host h;
    aconn_host table;
    tt_relay r;
    worker w = {.relay = &r, .quick = 1000};
    pthread_t th;

    setup(&h, &table, &r);
    tt_relay_enter(&r);
    CU_ASSERT_FATAL(pthread_create(&th, NULL, worker_main, &w) == 0);
    /* The owner neither polls nor serves here: a cancelled() that needed
       the owner would never return. */
    CU_ASSERT(wait_asked(&w, 1000));
    CU_ASSERT_EQUAL(atomic_load(&h.cancelled_calls), 1);   /* tt_relay_enter's */
    atomic_store(&h.cancel, 1);
    tt_relay_serve(&r);   /* sees the cancel within its timed wait; runs the log */
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(atomic_load(&w.saw_cancel), 1);
    CU_ASSERT_EQUAL(atomic_load(&h.logs), 1);
    CU_ASSERT_EQUAL(atomic_load(&h.off_owner), 0);
    tt_relay_destroy(&r);
}

static void test_cancel_seen_through_polls(void)
{
    real_host h;
    aconn_host table;
    tt_relay r;
    worker w = {.relay = &r, .quick = 10};
    pthread_t th;
    struct timespec ms = {0, 1000000L};

    setup(&h, &table, &r);
    tt_relay_enter(&r);
    CU_ASSERT_FATAL(pthread_create(&th, NULL, worker_main, &w) == 0);
    CU_ASSERT(wait_asked(&w, 10));
    atomic_store(&h.cancel, 1);
    /* Spooling: one poll per record; the 256th looks at cancelled(). */
    for (int i = 0; i < 5000 && !atomic_load(&w.saw_cancel); i++) {
        for (int k = 0; k < 256; k++)
            tt_relay_poll(&r);
        nanosleep(&ms, NULL);
    }
    CU_ASSERT_EQUAL(atomic_load(&w.saw_cancel), 1);
    tt_relay_serve(&r);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(atomic_load(&h.logs), 1);
    CU_ASSERT_EQUAL(atomic_load(&h.off_owner), 0);
    tt_relay_destroy(&r);
}

int main(void)
{
    static const ts_test tests[] = {
        {"cancelled() without a round trip, a cancel seen while serving",
         test_cancelled_without_round_trip_then_seen_while_serving},
        {"a cancel seen through the owner's polls", test_cancel_seen_through_polls},
    };

    return ts_cunit_run_one("relay", tests, sizeof tests / sizeof tests[0]);
}
