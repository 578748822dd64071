/*
 * test_http_retry.c - tt_http's statuses and retries against the loopback
 * server of http_fixture.c: the Access-Token header and the query, HTTP 5xx
 * and TikTok's retryable codes retried within bounds, the host's pacing,
 * rejections and writes that are never blindly resent, a dropped
 * connection, the audience state. The transport's edges are
 * test_http_transport.c.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "http_fixture.h"
#include "mock_host.h"
#include "tiktok/tt_api.h"
#include "tiktok/tt_http.h"
#include "ts_cunit.h"

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_ok_header_and_query(void)
{
    fixture f;
    json_object *q = json_object_new_object(), *ids = json_object_new_array();

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    json_object_array_add(ids, json_object_new_string("1"));
    json_object_array_add(ids, json_object_new_string("2"));
    json_object_object_add(q, "custom_audience_ids", ids);
    json_object_object_add(q, "advertiser_id", json_object_new_string("7001"));
    CU_ASSERT_EQUAL(call(&f, "ok", q), ACONN_OK);
    CU_ASSERT_EQUAL(f.resp.http_status, 200);
    CU_ASSERT_STRING_EQUAL(f.resp.request_id, "rid-ok");
    CU_ASSERT_PTR_NOT_NULL(f.resp.data);
    /* The server decoded the JSON-array string intact. */
    CU_ASSERT_STRING_EQUAL(plain.last_ids, "[\"1\",\"2\"]");
    /* The token arrived as a header and nowhere in the query. */
    CU_ASSERT_STRING_EQUAL(plain.last_token, TOKEN);
    CU_ASSERT_PTR_NULL(strstr(plain.last_args, TOKEN));
    CU_ASSERT_PTR_NULL(strstr(plain.last_args, "Access-Token"));
    CU_ASSERT_EQUAL(f.http.stats.calls, 1);
    CU_ASSERT_EQUAL(tt_http_stats_find(&f.http.stats, "ok")->calls, 1);
    json_object_put(q);
    fixture_free(&f);
}

/* A body given as text (a body with a secret, tt_secret_json()) is sent
   as it is, wins over a json-c body, and stays the caller's. */
static void test_body_text(void)
{
    static const char text[] = "{\"app_id\":\"1\",\"secret\":\"s\\\"x\"}";
    json_object *other = json_object_new_object();
    char *copy = strdup(text);
    tt_request req;
    fixture f;

    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    json_object_object_add(other, "ignored", json_object_new_string("yes"));
    memset(&req, 0, sizeof(req));
    req.method = TT_POST_JSON;
    req.endpoint = "echo";
    req.body = other;
    req.body_text = copy;
    req.body_text_len = strlen(copy);
    req.sensitive = 1;
    mock_error_init(&f.err);
    CU_ASSERT_EQUAL(tt_http_call(&f.http, &f.m->host, &req, &f.resp, &f.err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(plain.last_body, text);
    CU_ASSERT_STRING_EQUAL(copy, text);   /* untouched: the caller wipes it */
    free(copy);
    json_object_put(other);
    fixture_free(&f);
}

static void test_http_5xx(void)
{
    fixture f;
    int before = plain.hits_http503;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    f.http.max_attempts = 2;
    CU_ASSERT_EQUAL(call(&f, "http503", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "http_5xx");
    CU_ASSERT_EQUAL(f.err.http_status, 503);
    CU_ASSERT_EQUAL(f.err.retry_after_ms, TT_HINT_HTTP_5XX_MS);
    CU_ASSERT_EQUAL(plain.hits_http503 - before, 2);
    CU_ASSERT_EQUAL(f.http.stats.retries, 1);
    fixture_free(&f);
}

static void test_retry_then_success(void)
{
    fixture f;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    plain.hits_flaky = 0;
    CU_ASSERT_EQUAL(call(&f, "flaky", NULL), ACONN_OK);
    CU_ASSERT_EQUAL(plain.hits_flaky, 3);
    CU_ASSERT_EQUAL(f.http.stats.retries, 2);
    CU_ASSERT_EQUAL(tt_http_stats_find(&f.http.stats, "flaky")->failures, 2);
    /* Every attempt is counted, per endpoint too; nothing was uploaded. */
    CU_ASSERT_EQUAL(f.http.stats.calls, 3);
    CU_ASSERT_EQUAL(f.http.stats.nendpoints, 1);
    CU_ASSERT_EQUAL(tt_http_stats_find(&f.http.stats, "flaky")->calls, 3);
    CU_ASSERT_EQUAL(f.http.stats.bytes_uploaded, 0);
    fixture_free(&f);
}

static void test_throttled_bounded(void)
{
    fixture f;
    int before = plain.hits_throttled;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    f.http.max_attempts = 2;
    CU_ASSERT_EQUAL(call(&f, "throttled", NULL), ACONN_RETRY_THROTTLED);
    CU_ASSERT_EQUAL(f.err.retry_after_ms, TT_HINT_THROTTLED_MS);
    CU_ASSERT_STRING_EQUAL(f.err.remote_code, "40100");
    CU_ASSERT_EQUAL(plain.hits_throttled - before, 2);
    fixture_free(&f);
}

/* ABI 1.2: every attempt asks the host's pace first and waits its turn; a
   40100 is reported so every worker waits; a turn too far away is a retry
   later, sent to nobody. */
static void test_paced(void)
{
    fixture f;
    struct timespec t0, t1;
    int before = plain.hits_throttled, ok_before = plain.hits_ok;
    long ms;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    mock_host_enable_pace(f.m, 150);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CU_ASSERT(ms >= 150);
    CU_ASSERT_EQUAL(f.m->pace_grants, 1);
    CU_ASSERT_STRING_EQUAL(f.m->pace_key, "default/ok");
    CU_ASSERT_EQUAL(f.m->pace_refusals, 0);
    f.m->pace_wait_ms = 0;
    f.http.max_attempts = 2;
    CU_ASSERT_EQUAL(call(&f, "throttled", NULL), ACONN_RETRY_THROTTLED);
    CU_ASSERT_EQUAL(plain.hits_throttled - before, 2);
    CU_ASSERT_EQUAL(f.m->pace_grants, 3);
    CU_ASSERT_EQUAL(f.m->pace_refusals, 2);
    CU_ASSERT_STRING_EQUAL(f.m->pace_key, "default/throttled");
    f.m->pace_wait_ms = 60000;
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_RETRY_THROTTLED);
    CU_ASSERT_STRING_EQUAL(f.err.code, "rate_limit_queue");
    CU_ASSERT_EQUAL(f.err.retry_after_ms, 60000);
    CU_ASSERT_EQUAL(plain.hits_ok - ok_before, 1);
    fixture_free(&f);
}

static void test_rejected_not_retried(void)
{
    fixture f;
    int before = plain.hits_rejected;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    CU_ASSERT_EQUAL(call(&f, "rejected", NULL), ACONN_ERR_REJECTED);
    CU_ASSERT_STRING_EQUAL(f.err.request_id, "rid-40002");
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.message, "invalid audience ID"));
    CU_ASSERT_EQUAL(plain.hits_rejected - before, 1);
    fixture_free(&f);
}

static void test_dropped(void)
{
    fixture f;
    int before = plain.hits_drop;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    f.http.max_attempts = 2;
    CU_ASSERT_EQUAL(call(&f, "drop", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "connection_dropped");
    CU_ASSERT_EQUAL(plain.hits_drop - before, 2);
    fixture_free(&f);
}

static void test_create_not_blindly_retried(void)
{
    fixture f;
    tt_api api;
    const char *paths[] = {"0123456789abcdef"};
    char *id = NULL;
    int before = plain.hits_create;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    api.http = &f.http;
    api.host = &f.m->host;
    api.token = TOKEN;
    api.profile = "acme";
    CU_ASSERT_EQUAL(tt_api_audience_create(&api, "7001", "Aud", "EMAIL_SHA256", paths, 1, 0,
                                           &id, &f.err), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "connection_dropped");
    CU_ASSERT_PTR_NULL(id);
    /* The answer was lost after the request left: one attempt only. */
    CU_ASSERT_EQUAL(plain.hits_create - before, 1);
    fixture_free(&f);
}

/* 50002 (SYS_TIMEOUT) may have done the work: a create/update is not
   repeated in the call, while a read is. */
static void test_outcome_unknown_not_resent(void)
{
    fixture f;
    tt_request req;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    plain.hits_flaky = 0;
    memset(&req, 0, sizeof(req));
    req.method = TT_GET;
    req.endpoint = "flaky";
    req.token = TOKEN;
    req.no_blind_retry = 1;
    CU_ASSERT_EQUAL(tt_http_call(&f.http, &f.m->host, &req, &f.resp, &f.err), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "outcome_unknown");
    CU_ASSERT_EQUAL(tt_status_class(&f.err), TT_CLASS_OUTCOME_UNKNOWN);
    CU_ASSERT_EQUAL(plain.hits_flaky, 1);
    plain.hits_flaky = 0;
    fixture_free(&f);
}

/* tt_api_audience_state: found / is_valid / cover_num; 40007 = not found. */
static void test_audience_state(void)
{
    fixture f;
    tt_api api;
    tt_audience_state st;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    api.http = &f.http;
    api.host = &f.m->host;
    api.token = TOKEN;
    api.profile = "acme";
    CU_ASSERT_EQUAL(tt_api_audience_state(&api, "7001", "77", &st, &f.err), ACONN_OK);
    CU_ASSERT_TRUE(st.found);
    CU_ASSERT_TRUE(st.is_valid);
    CU_ASSERT_EQUAL(st.cover_num, 1234);
    CU_ASSERT_EQUAL(tt_api_audience_state(&api, "7001", "busy", &st, &f.err), ACONN_OK);
    CU_ASSERT_TRUE(st.found);
    CU_ASSERT_FALSE(st.is_valid);
    CU_ASSERT_EQUAL(tt_api_audience_state(&api, "7001", "gone", &st, &f.err), ACONN_OK);
    CU_ASSERT_FALSE(st.found);
    CU_ASSERT_EQUAL(st.cover_num, -1);
    /* An id the answer does not list is not found either. */
    CU_ASSERT_EQUAL(tt_api_audience_state(&api, "7001", "88", &st, &f.err), ACONN_OK);
    CU_ASSERT_FALSE(st.found);
    fixture_free(&f);
}

int main(void)
{
    static const ts_test tests[] = {
        {"OK: header token, JSON-array query", test_ok_header_and_query},
        {"POST body given as text, sent as it is", test_body_text},
        {"HTTP 503 retried, then retry status", test_http_5xx},
        {"50002 twice, then success", test_retry_then_success},
        {"40100 bounded, throttled hint", test_throttled_bounded},
        {"paced by the host (ABI 1.2)", test_paced},
        {"40002 not retried", test_rejected_not_retried},
        {"dropped connection", test_dropped},
        {"create is not blindly retried", test_create_not_blindly_retried},
        {"audience state: found, processing, gone", test_audience_state},
        {"50002 on a write is not resent in the call", test_outcome_unknown_not_resent},
    };

    return http_fixture_run("tt_http retries on loopback", tests, sizeof tests / sizeof tests[0]);
}
