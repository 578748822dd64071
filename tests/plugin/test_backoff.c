/*
 * test_backoff.c - TikTok's rate-limit recovery: the limit read from the
 * answer or from how long throttling lasts, and the pause kept in the
 * host's state store so a second run (or worker) obeys it.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include "mock_host.h"
#include "tiktok/tt_backoff.h"
#include "tiktok/tt_status.h"
#include "ts_cunit.h"

#define EP "dmp/custom_audience/update"
#define HOUR_MS 3600000LL

static void throttled(mock_host *m, tt_backoff_scopes *sc, long code, const char *message,
                      aconn_error *err)
{
    tt_status_input in = {
        .transport = TT_TRANSPORT_OK, .http_status = 200, .code = code, .message = message,
        .request_id = "rq-7", .endpoint = EP, .advertiser_id = "7001", .now_ms = m->now_ms,
    };

    mock_error_init(err);
    tt_status_classify(&in, err);
    tt_backoff_after(&m->host, sc, m->now_ms, EP, message, err);
}

static void test_limit_rules(void)
{
    CU_ASSERT_EQUAL(tt_backoff_limit("exceeded its QPS limit", 0, TT_LIMIT_NONE, 0), TT_LIMIT_SECOND);
    CU_ASSERT_EQUAL(tt_backoff_limit("QPM limit reached", 0, TT_LIMIT_NONE, 0), TT_LIMIT_MINUTE);
    CU_ASSERT_EQUAL(tt_backoff_limit("requests per minute", 0, TT_LIMIT_NONE, 0), TT_LIMIT_MINUTE);
    CU_ASSERT_EQUAL(tt_backoff_limit("QPD limit", 0, TT_LIMIT_NONE, 0), TT_LIMIT_DAY);
    CU_ASSERT_EQUAL(tt_backoff_limit(NULL, 0, TT_LIMIT_NONE, 0), TT_LIMIT_SECOND);
    /* A minute of throttling is the per-minute quota, whatever the words. */
    CU_ASSERT_EQUAL(tt_backoff_limit(NULL, 60000, TT_LIMIT_SECOND, 1), TT_LIMIT_MINUTE);
    CU_ASSERT_EQUAL(tt_backoff_limit(NULL, 59999, TT_LIMIT_SECOND, 1), TT_LIMIT_SECOND);
    /* Throttled again after the 5-minute pause: the day's quota is spent. */
    CU_ASSERT_EQUAL(tt_backoff_limit(NULL, 400000, TT_LIMIT_MINUTE, 1), TT_LIMIT_DAY);
    CU_ASSERT_EQUAL(tt_backoff_limit(NULL, 100000, TT_LIMIT_MINUTE, 0), TT_LIMIT_MINUTE);
    CU_ASSERT_EQUAL(tt_backoff_pause_ms(TT_LIMIT_SECOND, 5), 1000);
    CU_ASSERT_EQUAL(tt_backoff_pause_ms(TT_LIMIT_MINUTE, 5), 300000);
    /* 14:00 UTC: 10 hours to midnight. */
    CU_ASSERT_EQUAL(tt_backoff_pause_ms(TT_LIMIT_DAY, 1700000000000LL / 86400000 * 86400000
                                                      + 14 * HOUR_MS), 10 * HOUR_MS);
    CU_ASSERT_STRING_EQUAL(tt_limit_name(TT_LIMIT_MINUTE), "per-minute");
}

/* A per-minute breach pauses 5 minutes, and a later run obeys it. */
static void test_minute_pause_across_runs(void)
{
    mock_host *m = mock_host_new();
    tt_backoff_scopes run1, run2;
    aconn_error err;

    tt_backoff_scopes_init(&run1, "app-1", EP, "7001");
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &run1, m->now_ms, EP, &err), ACONN_OK);
    throttled(m, &run1, 40100, "QPM limit exceeded", &err);
    CU_ASSERT_EQUAL(err.status, ACONN_RETRY_THROTTLED);
    CU_ASSERT_EQUAL(err.retry_after_ms, 300000);
    CU_ASSERT_STRING_EQUAL(err.code, "rate_limit_pause");
    CU_ASSERT_STRING_EQUAL(err.remote_code, "40100");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "per-minute"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "5 minutes"));
    CU_ASSERT_FALSE(tt_status_retry_in_call(&err));
    CU_ASSERT_PTR_NOT_NULL(mock_host_state(m, "throttle/app-1/ep/" EP));

    /* A second run two minutes later sends nothing. */
    m->now_ms += 120000;
    tt_backoff_scopes_init(&run2, "app-1", EP, "7001");
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &run2, m->now_ms, EP, &err), ACONN_RETRY_THROTTLED);
    CU_ASSERT_EQUAL(err.retry_after_ms, 180000);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "per-minute"));
    /* Another app and another endpoint are not paused. */
    tt_backoff_scopes_init(&run2, "app-2", EP, "7001");
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &run2, m->now_ms, EP, &err), ACONN_OK);
    tt_backoff_scopes_init(&run2, "app-1", "dmp/custom_audience/list", "7001");
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &run2, m->now_ms, "dmp/custom_audience/list",
                                      &err), ACONN_OK);

    /* After the pause: sent; throttled again means the day is spent. */
    m->now_ms += 180001;
    tt_backoff_scopes_init(&run2, "app-1", EP, "7001");
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &run2, m->now_ms, EP, &err), ACONN_OK);
    throttled(m, &run2, 40100, "Too many requests", &err);
    CU_ASSERT_STRING_EQUAL(err.code, "rate_limit_pause");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "per-day"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "00:00 UTC"));
    CU_ASSERT_EQUAL(err.retry_after_ms, tt_backoff_pause_ms(TT_LIMIT_DAY, m->now_ms));

    /* Past midnight and a success: the streak is over. */
    m->now_ms += err.retry_after_ms + 1;
    tt_backoff_scopes_init(&run1, "app-1", EP, "7001");
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &run1, m->now_ms, EP, &err), ACONN_OK);
    throttled(m, &run1, 0, "OK", &err);
    CU_ASSERT_EQUAL(err.status, ACONN_OK);
    CU_ASSERT_PTR_NULL(mock_host_state(m, "throttle/app-1/ep/" EP));
    mock_host_free(m);
}

/* Per-second throttling stays at a second until it has lasted a minute. */
static void test_climb_by_duration(void)
{
    mock_host *m = mock_host_new();
    tt_backoff_scopes sc;
    aconn_error err;
    int i;

    tt_backoff_scopes_init(&sc, NULL, EP, "7001");
    for (i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &sc, m->now_ms, EP, &err), ACONN_OK);
        throttled(m, &sc, 61000, "TOO_MANY_REQUESTS_BL", &err);
        CU_ASSERT_EQUAL(err.retry_after_ms, 1000);
        CU_ASSERT_STRING_EQUAL(err.code, "rate_limited");
        CU_ASSERT_TRUE(tt_status_retry_in_call(&err));
        m->now_ms += 10000;
    }
    throttled(m, &sc, 61000, "TOO_MANY_REQUESTS_BL", &err);
    CU_ASSERT_EQUAL(err.retry_after_ms, 300000);
    CU_ASSERT_PTR_NOT_NULL(mock_host_state(m, "throttle/default/ep/" EP));
    /* A day later (the clock jumped, nothing since): a new streak, 1 s. */
    m->now_ms += 86400000LL;
    throttled(m, &sc, 40100, "Too many requests", &err);
    CU_ASSERT_EQUAL(err.retry_after_ms, 1000);
    CU_ASSERT_STRING_EQUAL(err.code, "rate_limited");
    mock_host_free(m);
}

/* 40133 pauses the Ad Account, on every endpoint. */
static void test_advertiser_scope(void)
{
    mock_host *m = mock_host_new();
    tt_backoff_scopes sc;
    aconn_error err;

    tt_backoff_scopes_init(&sc, "app-1", EP, "7001");
    throttled(m, &sc, 40133, "advertiser QPM limit", &err);
    CU_ASSERT_EQUAL(err.retry_after_ms, 300000);
    CU_ASSERT_PTR_NOT_NULL(mock_host_state(m, "throttle/app-1/adv/7001"));
    CU_ASSERT_PTR_NULL(mock_host_state(m, "throttle/app-1/ep/" EP));
    tt_backoff_scopes_init(&sc, "app-1", "dmp/custom_audience/list", "7001");
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &sc, m->now_ms + 1000, "x", &err),
                    ACONN_RETRY_THROTTLED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "Ad Account"));
    tt_backoff_scopes_init(&sc, "app-1", "dmp/custom_audience/list", "7002");
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &sc, m->now_ms + 1000, "x", &err), ACONN_OK);
    mock_host_free(m);
}

/* A store that fails, or no host: the answer is kept, nothing crashes
   (every ABI 1.0 host has a store: aconn.h promises its services). */
static void test_store_failures(void)
{
    mock_host *m = mock_host_new();
    tt_backoff_scopes sc;
    aconn_error err;

    tt_backoff_scopes_init(&sc, "app-1", EP, NULL);
    m->fail_state_cas = 10;
    throttled(m, &sc, 40100, "QPM", &err);
    CU_ASSERT_EQUAL(err.status, ACONN_RETRY_THROTTLED);
    CU_ASSERT(err.retry_after_ms >= 1000);
    /* The failed writes left no pause behind that would block. */
    CU_ASSERT_EQUAL(tt_backoff_before(&m->host, &sc, m->now_ms, EP, &err), ACONN_OK);
    tt_backoff_after(&m->host, &sc, m->now_ms, EP, "x", NULL);
    tt_backoff_after(NULL, &sc, m->now_ms, EP, "x", &err);
    mock_host_free(m);
}

int main(void)
{
    static const ts_test tests[] = {
        {"which limit, how long", test_limit_rules},
        {"per-minute pause honoured across runs, then per-day", test_minute_pause_across_runs},
        {"a minute of throttling climbs to 5 minutes", test_climb_by_duration},
        {"40133 pauses the Ad Account", test_advertiser_scope},
        {"store missing or failing", test_store_failures},
    };
    static const ts_suite suites[] = {
        {"tt_backoff", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
