/*
 * test_budget.c - the rolling 25-hour update budget (tt_budget) against the
 * mock host's CAS store: window boundaries, the 25th deferred with the
 * right retry-after, expiry, lost CAS races retried, concurrent workers,
 * every calendar day of every time zone within 24, the legacy migration.
 */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "mock_host.h"
#include "delivery/tt_budget.h"
#include "ts_cunit.h"

#define T0 1700000000000LL /* 2023-11-14 22:13:20 UTC */
#define DAY0 1699920000000LL /* 2023-11-14 00:00:00 UTC */
#define MIN_MS (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)
#define W TT_BUDGET_WINDOW_MS
#define ADV "7001"

static aconn_status reserve(mock_host *m, int64_t now, aconn_error *err)
{
    mock_error_init(err);
    return tt_budget_reserve(&m->host, ADV, now, TT_BUDGET_UPDATES_PER_DAY, err);
}

/* The stored reservation times, or -1 when the key is absent or odd. */
static int stored(mock_host *m, int64_t *at, int cap)
{
    const char *text = mock_host_state(m, "budget/" ADV);
    json_object *v, *list;
    int n = -1;

    if (text == NULL || (v = json_tokener_parse(text)) == NULL)
        return -1;
    if (json_object_object_get_ex(v, "at_ms", &list) &&
        json_object_is_type(list, json_type_array)) {
        n = (int) json_object_array_length(list);
        for (int i = 0; i < n && i < cap; i++)
            at[i] = json_object_get_int64(json_object_array_get_idx(list, i));
    }
    json_object_put(v);
    return n;
}

/* Reservations in adv's stored window that count at now, (now - W, now],
   counted here from the raw state value: an oracle independent of the
   plugin's reader. 0 when the key is absent. */
static int in_window(mock_host *m, const char *adv, int64_t now)
{
    char key[64];
    const char *text;
    json_object *v, *list;
    int n = 0;

    snprintf(key, sizeof(key), "budget/%s", adv);
    text = mock_host_state(m, key);
    if (text == NULL || (v = json_tokener_parse(text)) == NULL)
        return 0;
    if (json_object_object_get_ex(v, "at_ms", &list))
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            int64_t at = json_object_get_int64(json_object_array_get_idx(list, i));
            n += at > now - W && at <= now;
        }
    json_object_put(v);
    return n;
}

static void put_state(mock_host *m, const char *key, const char *value)
{
    uint64_t v = 0;
    CU_ASSERT_EQUAL(m->host.state_cas(m->host.ctx, key, 0, value, strlen(value), &v), ACONN_OK);
}

static void test_first_reservation(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    int64_t at[4];

    CU_ASSERT_EQUAL(stored(m, at, 4), -1);
    CU_ASSERT_EQUAL(reserve(m, T0, &err), ACONN_OK);
    CU_ASSERT_EQUAL(stored(m, at, 4), 1);
    CU_ASSERT_EQUAL(at[0], T0);
    CU_ASSERT_EQUAL(in_window(m, ADV, T0), 1);
    /* Another account has its own budget. */
    CU_ASSERT_PTR_NULL(mock_host_state(m, "budget/7002"));
    /* No per-day key is written any more. */
    CU_ASSERT_PTR_NULL(mock_host_state(m, "budget/" ADV "/2023-11-14"));
    mock_host_free(m);
}

/* 24 a minute apart; the 25th is deferred until the first is 25 h old. */
static void test_24_then_deferred(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    int64_t now = T0 + 30 * MIN_MS;

    for (int i = 0; i < 24; i++)
        CU_ASSERT_EQUAL(reserve(m, T0 + i * MIN_MS, &err), ACONN_OK);
    CU_ASSERT_EQUAL(in_window(m, ADV, now), 24);
    CU_ASSERT_EQUAL(reserve(m, now, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.status, ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.retry_after_ms, T0 + W - now);
    CU_ASSERT_STRING_EQUAL(err.code, "daily_update_limit");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "Ad Account " ADV));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "last 25 hours"));
    /* T0 + 25 h = 2023-11-15 23:13:20 UTC, 24 h 30 min from now. */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "2023-11-15 23:13 UTC (in 24 h 30 min)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "time zone"));
    /* Refused reservations are not recorded. */
    CU_ASSERT_EQUAL(stored(m, NULL, 0), 24);
    mock_host_free(m);
}

/* The window is (now - 25 h, now]: the oldest counts until exactly 25 h. */
static void test_window_boundaries(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    int64_t at[32];

    for (int i = 0; i < 24; i++)
        CU_ASSERT_EQUAL(reserve(m, T0 + i * HOUR_MS / 2, &err), ACONN_OK);
    CU_ASSERT_EQUAL(reserve(m, T0 + W - 1, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.retry_after_ms, 1);
    CU_ASSERT_EQUAL(in_window(m, ADV, T0 + W - 1), 24);
    CU_ASSERT_EQUAL(in_window(m, ADV, T0 + W), 23);
    CU_ASSERT_EQUAL(reserve(m, T0 + W, &err), ACONN_OK);
    /* The expired one is dropped from the stored value. */
    CU_ASSERT_EQUAL(stored(m, at, 32), 24);
    CU_ASSERT_EQUAL(at[0], T0 + HOUR_MS / 2);
    CU_ASSERT_EQUAL(at[23], T0 + W);
    /* Full again; the next frees at the second one's 25 h. */
    CU_ASSERT_EQUAL(reserve(m, T0 + W + 1, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.retry_after_ms, T0 + HOUR_MS / 2 + W - (T0 + W + 1));
    mock_host_free(m);
}

/* Everything expires: a day and more later the window is empty. */
static void test_entries_expire(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    int64_t at[32];

    for (int i = 0; i < 24; i++)
        CU_ASSERT_EQUAL(reserve(m, T0 + i, &err), ACONN_OK);
    CU_ASSERT_EQUAL(reserve(m, T0 + 24 * HOUR_MS, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(in_window(m, ADV, T0 + 2 * W), 0);
    CU_ASSERT_EQUAL(reserve(m, T0 + 2 * W, &err), ACONN_OK);
    CU_ASSERT_EQUAL(stored(m, at, 32), 1);
    CU_ASSERT_EQUAL(at[0], T0 + 2 * W);
    mock_host_free(m);
}

/* A lower limit than the window holds: wait until enough have left. */
static void test_lower_limit(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(reserve(m, T0 + i * MIN_MS, &err), ACONN_OK);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&m->host, ADV, T0 + HOUR_MS, 8, &err),
                    ACONN_RETRY_DEFERRED);
    /* 10 held, 8 allowed: the third-oldest must leave. */
    CU_ASSERT_EQUAL(err.retry_after_ms, T0 + 2 * MIN_MS + W - (T0 + HOUR_MS));
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&m->host, ADV, T0, 0, &err), ACONN_ERR_INVALID);
    mock_host_free(m);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/*
 * Reservations asked at random over ten days, in bursts: no 25-hour
 * interval, and so no calendar day of any time zone (offsets -12 h to
 * +14 h in quarter hours, and 23- and 25-hour DST days), ever holds more
 * than 24 granted.
 */
static void test_any_day_holds_24(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    int64_t granted[2000], t = T0;
    int n = 0, refused = 0;

    srand(11);
    while (t < T0 + 10 * 24 * HOUR_MS && n < 2000) {
        t += rand() % 4 == 0 ? rand() % (3 * HOUR_MS) : rand() % (2 * MIN_MS);
        if (reserve(m, t, &err) == ACONN_OK)
            granted[n++] = t;
        else
            refused++;
    }
    CU_ASSERT(n > 150);
    CU_ASSERT(refused > 0);
    qsort(granted, (size_t) n, sizeof(granted[0]), cmp_i64);
    for (int i = 0; i < n; i++) {
        int in = 0;
        for (int j = i; j < n && granted[j] < granted[i] + W; j++)
            in++;
        CU_ASSERT(in <= 24);
    }
    for (int64_t off = -12 * 4; off <= 14 * 4; off++) {
        for (int64_t day = DAY0 - off * 15 * MIN_MS; day < t; day += 24 * HOUR_MS) {
            for (int len = 23; len <= 25; len++) {
                int in = 0;
                for (int j = 0; j < n; j++)
                    in += granted[j] >= day && granted[j] < day + len * HOUR_MS;
                if (in > 24)
                    CU_FAIL("a calendar day holds more than 24 updates");
            }
        }
    }
    mock_host_free(m);
}

/* A store that lets another worker reserve just before our first CAS. */
typedef struct racing_host {
    mock_host *m;
    int cas_calls;
    int races;   /* how many CAS calls lose to a rival first */
} racing_host;

static aconn_status racing_get(void *ctx, const char *key, char *buf, size_t buflen,
                               size_t *len, uint64_t *version)
{
    racing_host *r = ctx;
    return r->m->host.state_get(r->m->host.ctx, key, buf, buflen, len, version);
}

static aconn_status racing_cas(void *ctx, const char *key, uint64_t expected,
                               const char *value, size_t len, uint64_t *new_version)
{
    racing_host *r = ctx;

    if (r->cas_calls++ < r->races) {
        aconn_error e;
        mock_error_init(&e);
        CU_ASSERT_EQUAL(tt_budget_reserve(&r->m->host, ADV, T0 - r->cas_calls, 24, &e), ACONN_OK);
    }
    return r->m->host.state_cas(r->m->host.ctx, key, expected, value, len, new_version);
}

static void test_cas_conflict_retried(void)
{
    mock_host *m = mock_host_new();
    racing_host r = {m, 0, 3};
    aconn_host h = m->host;
    aconn_error err;
    int64_t at[8];

    h.ctx = &r;
    h.state_get = racing_get;
    h.state_cas = racing_cas;
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&h, ADV, T0, 24, &err), ACONN_OK);
    CU_ASSERT_EQUAL(r.cas_calls, 4);   /* three lost races, then ours */
    CU_ASSERT_EQUAL(stored(m, at, 8), 4);
    CU_ASSERT_EQUAL(at[3], T0);        /* nobody's reservation was lost */
    CU_ASSERT_EQUAL(at[0], T0 - 3);

    /* The rivals fill the window: the loser is deferred, not over budget. */
    r.cas_calls = 0;
    r.races = 100;
    for (int i = 0; i < 19; i++)
        CU_ASSERT_EQUAL(reserve(m, T0 + 1, &err), ACONN_OK);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&h, ADV, T0 + 2, 24, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(in_window(m, ADV, T0 + 2), 24);
    mock_host_free(m);
}

typedef struct worker {
    mock_host *m;
    int ok, deferred;
} worker;

static void *worker_run(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < 5; i++) {
        aconn_error err;
        aconn_status st;

        mock_error_init(&err);
        st = tt_budget_reserve(&w->m->host, ADV, T0 + i, 24, &err);
        w->ok += st == ACONN_OK;
        w->deferred += st == ACONN_RETRY_DEFERRED;
    }
    return NULL;
}

/* Eight workers asking 40 together get exactly 24. */
static void test_concurrent_workers(void)
{
    mock_host *m = mock_host_new();
    pthread_t th[8];
    worker w[8];
    int ok = 0, deferred = 0;

    for (int i = 0; i < 8; i++) {
        w[i] = (worker){m, 0, 0};
        CU_ASSERT_FATAL(pthread_create(&th[i], NULL, worker_run, &w[i]) == 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
        deferred += w[i].deferred;
    }
    CU_ASSERT_EQUAL(ok, 24);
    CU_ASSERT_EQUAL(deferred, 16);
    CU_ASSERT_EQUAL(in_window(m, ADV, T0 + 5), 24);
    mock_host_free(m);
}

/* An upgrade mid-day: today's legacy counter is carried over at 00:00. */
static void test_migration_from_legacy(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    int64_t at[32];

    put_state(m, "budget/" ADV "/2023-11-14", "20");
    put_state(m, "budget/" ADV "/2023-11-13", "24");   /* yesterday: not carried */
    CU_ASSERT_EQUAL(stored(m, at, 32), -1);   /* carried over by the first reservation */
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(reserve(m, T0 + i, &err), ACONN_OK);
    CU_ASSERT_EQUAL(stored(m, at, 32), 24);
    CU_ASSERT_EQUAL(at[0], DAY0);
    CU_ASSERT_EQUAL(at[19], DAY0);
    CU_ASSERT_EQUAL(at[20], T0);
    CU_ASSERT_EQUAL(reserve(m, T0 + 10, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.retry_after_ms, DAY0 + W - (T0 + 10));
    /* Once the new key exists the legacy one is never read again: all 24
       are there. */
    put_state(m, "budget/7003/2023-11-14", "5");
    put_state(m, "budget/7003", "{\"at_ms\":[]}");
    for (int i = 0; i < 24; i++) {
        mock_error_init(&err);
        CU_ASSERT_EQUAL(tt_budget_reserve(&m->host, "7003", T0 + i, 24, &err), ACONN_OK);
    }
    /* At 01:00 UTC the next day the carried-over ones have left. */
    CU_ASSERT_EQUAL(in_window(m, ADV, DAY0 + W), 4);
    mock_host_free(m);
}

/* A legacy key of another day, or none: nothing carried over. */
static void test_migration_other_day(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    put_state(m, "budget/" ADV "/2023-11-13", "24");
    CU_ASSERT_EQUAL(reserve(m, T0, &err), ACONN_OK);
    CU_ASSERT_EQUAL(stored(m, NULL, 0), 1);
    mock_host_free(m);
}

static void test_corrupt_value(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    put_state(m, "budget/" ADV, "{\"at_ms\":[\"x\"]}");
    CU_ASSERT_EQUAL(reserve(m, T0, &err), ACONN_ERR_FATAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "budget/" ADV));
    put_state(m, "budget/7002", "17");
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&m->host, "7002", T0, 24, &err), ACONN_ERR_FATAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "budget/7002"));
    CU_ASSERT_STRING_EQUAL(mock_host_state(m, "budget/7002"), "17");   /* left as it was */
    mock_host_free(m);
}

int main(void)
{
    static const ts_test tests[] = {
        {"first reservation", test_first_reservation},
        {"24 then deferred with the right retry_after", test_24_then_deferred},
        {"window boundaries (now - 25 h, now]", test_window_boundaries},
        {"entries expire", test_entries_expire},
        {"a lower limit than the window holds", test_lower_limit},
        {"any calendar day of any time zone holds at most 24", test_any_day_holds_24},
        {"lost CAS races are retried", test_cas_conflict_retried},
        {"eight concurrent workers get exactly 24", test_concurrent_workers},
        {"migration from today's legacy counter", test_migration_from_legacy},
        {"a legacy counter of another day is not carried", test_migration_other_day},
        {"a corrupt value is refused, naming the key", test_corrupt_value},
    };
    static const ts_suite suites[] = {
        {"tt_budget", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
