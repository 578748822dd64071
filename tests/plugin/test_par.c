/*
 * test_par.c - creates and updates of several Ad Accounts at once
 * (delivery/tt_par.c), with a stand-in for one target's work that calls
 * host services and waits on "the network" as a real one does: every
 * target is applied once, one account's targets in order, accounts
 * overlap while they wait, every host service call runs on the thread that
 * called tt_par_apply (aconn.h section 8), and a target that stops the run
 * keeps further accounts from starting.
 */
#include <config.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "mock_host.h"
#include "thread_host.h"
#include "ts_cunit.h"

#include "delivery/tt_par.h"

#define NTARGETS 8

/* The caller's host table: the mock's, its calls counted (thread_host). */
static mock_host *mock;
static aconn_host wrap;

/* What the stand-in saw. */
static int order[NTARGETS], norder, applied[NTARGETS], sized[4], stop_at = -1;
static atomic_int waiting, most_waiting;

static int fake_apply(tt_apply_ctx *x, tt_dest *t)
{
    int i = (int) (t - x->targets);
    char key[32];
    uint64_t nv = 0;
    struct timespec ts = {0, 100 * 1000000L};
    int now;

    order[norder++] = i;
    applied[i]++;
    CU_ASSERT(x->host != &wrap);        /* a thread's relay, not the caller's table */
    snprintf(key, sizeof(key), "t/%d", i);
    CU_ASSERT_EQUAL(x->host->state_cas(x->host->ctx, key, 0, "1", 1, &nv), ACONN_OK);
    (void) x->host->now_ms(x->host->ctx);
    x->host->log(x->host->ctx, ACONN_LOG_DEBUG, "fake target");
    /* A request in flight: the lock is let go meanwhile (tt_http.idle). */
    tt_http_idle(&x->session.http, 1);
    now = atomic_fetch_add(&waiting, 1) + 1;
    if (now > atomic_load(&most_waiting))
        atomic_store(&most_waiting, now);
    nanosleep(&ts, NULL);
    atomic_fetch_sub(&waiting, 1);
    tt_http_idle(&x->session.http, 0);
    t->outcome = "applied";
    return i == stop_at;
}

static void fake_after(tt_apply_ctx *x, const char *adv)
{
    (void) x;
    sized[adv[0] - 'a']++;
}

static void setup(tt_apply_ctx *x, tt_dest *t, aconn_batch *b, tt_conn *c)
{
    static const char *advs = "abcdaabc";   /* 4 accounts, a with three targets */

    mock = mock_host_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(mock);
    mock_host_set_secret(mock, "token/unit", "tok-unit");
    thread_host_wrap(&wrap, mock);
    atomic_store(&most_waiting, 0);
    memset(t, 0, sizeof(*t) * NTARGETS);
    for (int i = 0; i < NTARGETS; i++)
        snprintf(t[i].advertiser_id, sizeof(t[i].advertiser_id), "%c", advs[i]);
    memset(x, 0, sizeof(*x));
    memset(b, 0, sizeof(*b));
    memset(c, 0, sizeof(*c));
    b->struct_size = sizeof(*b);
    b->profile = "unit";
    x->c = c;
    x->host = &wrap;
    x->batch = b;
    x->targets = t;
    x->ntargets = NTARGETS;
    memset(order, 0, sizeof(order));
    memset(applied, 0, sizeof(applied));
    memset(sized, 0, sizeof(sized));
    norder = 0;
}

static void test_accounts_at_once(void)
{
    tt_apply_ctx x;
    tt_dest t[NTARGETS];
    aconn_batch b;
    tt_conn c;
    int pos[NTARGETS];

    setup(&x, t, &b, &c);
    stop_at = -1;
    t[7].skip = 1;                      /* left out of this run */
    CU_ASSERT_EQUAL(tt_par_apply(&x, 3, fake_apply, fake_after), 0);
    for (int i = 0; i < NTARGETS; i++)
        CU_ASSERT_EQUAL(applied[i], i == 7 ? 0 : 1);
    for (int k = 0; k < norder; k++)
        pos[order[k]] = k;
    /* Account a's targets 0, 4, 5 in their order. */
    CU_ASSERT(pos[0] < pos[4] && pos[4] < pos[5]);
    for (int a = 0; a < 4; a++)
        CU_ASSERT_EQUAL(sized[a], 1);
    CU_ASSERT(atomic_load(&most_waiting) >= 2);   /* they overlapped */
    CU_ASSERT(thread_host_calls() > 0);
    CU_ASSERT_EQUAL(thread_host_off_thread(), 0);
    CU_ASSERT_STRING_EQUAL(mock_host_state(mock, "t/5"), "1");
    CU_ASSERT_PTR_NULL(mock_host_state(mock, "t/7"));
    mock_host_free(mock);
}

static void test_stop_keeps_accounts_from_starting(void)
{
    tt_apply_ctx x;
    tt_dest t[NTARGETS];
    aconn_batch b;
    tt_conn c;
    int started = 0;

    setup(&x, t, &b, &c);
    stop_at = 0;                        /* the first target stops the run */
    CU_ASSERT_EQUAL(tt_par_apply(&x, 2, fake_apply, fake_after), 0);
    for (int i = 0; i < NTARGETS; i++)
        started += applied[i];
    /* Target 0 and whatever the other thread had begun, never all. */
    CU_ASSERT(started >= 1 && started < NTARGETS - 1);
    CU_ASSERT_EQUAL(sized[0], 0);
    CU_ASSERT_EQUAL(thread_host_off_thread(), 0);
    mock_host_free(mock);
}

static void test_one_account_is_not_threaded(void)
{
    tt_apply_ctx x;
    tt_dest t[NTARGETS];
    aconn_batch b;
    tt_conn c;

    setup(&x, t, &b, &c);
    for (int i = 0; i < NTARGETS; i++)
        snprintf(t[i].advertiser_id, sizeof(t[i].advertiser_id), "a");
    CU_ASSERT_EQUAL(tt_par_apply(&x, 4, fake_apply, fake_after), -1);
    CU_ASSERT_EQUAL(norder, 0);         /* the caller goes one by one */
    mock_host_free(mock);
}

int main(void)
{
    static const ts_test tests[] = {
        {"accounts at once, in order, host calls on the caller's thread",
         test_accounts_at_once},
        {"a stop keeps further accounts from starting", test_stop_keeps_accounts_from_starting},
        {"one account: not threaded", test_one_account_is_not_threaded},
    };

    return ts_cunit_run_one("parallel accounts", tests, sizeof(tests) / sizeof(tests[0]));
}
