/*
 * test_replace.c - one REPLACE per audience per 24 hours (tt_replace)
 * against the mock host's store: never replaced, recorded, deferred with
 * the right retry-after and a message naming the audience and when, the
 * boundary, audiences and accounts independent, a corrupt record, a
 * refused REPLACE's record forgotten (and only it).
 */
#include <config.h>

#include <string.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "mock_host.h"
#include "delivery/tt_replace.h"
#include "ts_cunit.h"

#define T0 1700000000000LL /* 2023-11-14 22:13:20 UTC */
#define WAIT (TT_REPLACE_INTERVAL_MS + TT_REPLACE_MARGIN_MS)

static aconn_status check(mock_host *m, const char *adv, const char *aud, int64_t now,
                          aconn_error *err)
{
    mock_error_init(err);
    return tt_replace_check(&m->host, adv, aud, now, err);
}

static aconn_status record(mock_host *m, const char *adv, const char *aud, int64_t now)
{
    aconn_error err;
    mock_error_init(&err);
    return tt_replace_record(&m->host, adv, aud, now, &err);
}

static void test_never_replaced(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0, &err), ACONN_OK);
    CU_ASSERT_EQUAL(err.retry_after_ms, 0);
    CU_ASSERT_PTR_NULL(mock_host_state(m, "replace/7001/aud1"));   /* a check writes nothing */
    mock_host_free(m);
}

static void test_record_then_deferred(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    const char *text;
    json_object *v, *at;

    CU_ASSERT_EQUAL(record(m, "7001", "aud1", T0), ACONN_OK);
    text = mock_host_state(m, "replace/7001/aud1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    v = json_tokener_parse(text);
    CU_ASSERT_FATAL(v != NULL && json_object_object_get_ex(v, "at_ms", &at));
    CU_ASSERT_EQUAL(json_object_get_int64(at), T0);
    json_object_put(v);

    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + 3600000, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.status, ACONN_RETRY_DEFERRED);
    CU_ASSERT_STRING_EQUAL(err.code, "daily_replace_limit");
    CU_ASSERT_EQUAL(err.retry_after_ms, T0 + WAIT - (T0 + 3600000));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "audience aud1 of Ad Account 7001"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "2023-11-14 22:13 UTC"));     /* when it was */
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "2023-11-15 22:23 UTC (in 23 h 10 min)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "24 hours"));
    mock_host_free(m);
}

/* Deferred until exactly 24 h + margin after the recorded REPLACE. */
static void test_boundary(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    CU_ASSERT_EQUAL(record(m, "7001", "aud1", T0), ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + TT_REPLACE_INTERVAL_MS, &err),
                    ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.retry_after_ms, TT_REPLACE_MARGIN_MS);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + WAIT - 1, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.retry_after_ms, 1);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + WAIT, &err), ACONN_OK);
    /* The next REPLACE's record moves the wait on. */
    CU_ASSERT_EQUAL(record(m, "7001", "aud1", T0 + WAIT), ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + WAIT + 1, &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT_EQUAL(err.retry_after_ms, WAIT - 1);
    mock_host_free(m);
}

/* One audience's REPLACE says nothing about another's, or another account's. */
static void test_independent(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    CU_ASSERT_EQUAL(record(m, "7001", "aud1", T0), ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7001", "aud2", T0 + 1, &err), ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7002", "aud1", T0 + 1, &err), ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + 1, &err), ACONN_RETRY_DEFERRED);
    mock_host_free(m);
}

static void test_corrupt_and_bad_input(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    char longid[300];
    uint64_t v = 0;
    const char *bad = "{\"at_ms\":\"yesterday\"}";

    CU_ASSERT_EQUAL(m->host.state_cas(m->host.ctx, "replace/7001/aud1", 0, bad, strlen(bad), &v),
                    ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0, &err), ACONN_ERR_FATAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "replace/7001/aud1"));
    /* A record overwrites whatever was there. */
    CU_ASSERT_EQUAL(record(m, "7001", "aud1", T0), ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + WAIT, &err), ACONN_OK);

    memset(longid, '9', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    CU_ASSERT_EQUAL(check(m, "7001", longid, T0, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(record(m, "7001", longid, T0), ACONN_ERR_INVALID);
    /* The store failing is reported, not taken for "never replaced". */
    m->fail_state_cas = 100;
    CU_ASSERT_NOT_EQUAL(record(m, "7001", "aud3", T0), ACONN_OK);
    m->fail_state_cas = 0;
    mock_host_free(m);
}

/* A refused REPLACE is forgotten, but only the record that it made. */
static void test_forget(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    CU_ASSERT_EQUAL(record(m, "7001", "aud1", T0), ACONN_OK);
    mock_error_init(&err);
    /* Not the record of this REPLACE (a later one's): kept. */
    CU_ASSERT_EQUAL(tt_replace_forget(&m->host, "7001", "aud1", T0 - 1, &err), ACONN_OK);
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + 1000, &err), ACONN_RETRY_DEFERRED);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_replace_forget(&m->host, "7001", "aud1", T0, &err), ACONN_OK);
    CU_ASSERT_PTR_NULL(mock_host_state(m, "replace/7001/aud1"));
    CU_ASSERT_EQUAL(check(m, "7001", "aud1", T0 + 1000, &err), ACONN_OK);
    /* Nothing recorded: nothing to do. */
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_replace_forget(&m->host, "7001", "aud2", T0, &err), ACONN_OK);
    mock_host_free(m);
}

int main(void)
{
    static const ts_test tests[] = {
        {"never replaced: allowed", test_never_replaced},
        {"recorded, then deferred with retry_after", test_record_then_deferred},
        {"24 h + margin boundary", test_boundary},
        {"audiences and accounts are independent", test_independent},
        {"corrupt record, ids too long, store failing", test_corrupt_and_bad_input},
        {"a refused REPLACE's record is forgotten", test_forget},
    };
    static const ts_suite suites[] = {
        {"tt_replace", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
