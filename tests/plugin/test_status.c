/*
 * test_status.c - the classification table of tt_status, row by row.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include "mock_host.h"
#include "tiktok/tt_status.h"
#include "ts_cunit.h"

typedef struct code_case {
    long code;
    const char *endpoint;
    aconn_status status;
    int64_t hint_ms;
    const char *reason;
} code_case;

static const code_case code_cases[] = {
    {0, "dmp/custom_audience/list", ACONN_OK, 0, "ok"},
    {40100, "dmp/custom_audience/update", ACONN_RETRY_THROTTLED, TT_HINT_THROTTLED_MS, "rate_limited"},
    {40016, "dmp/custom_audience/update", ACONN_RETRY_THROTTLED, TT_HINT_THROTTLED_MS, "rate_limited"},
    {40133, "dmp/custom_audience/update", ACONN_RETRY_THROTTLED, TT_HINT_THROTTLED_MS, "rate_limited_advertiser"},
    {40132, "dmp/custom_audience/update", ACONN_RETRY_THROTTLED, TT_HINT_THROTTLED_MS, "rate_limited_field"},
    {50000, "dmp/custom_audience/create", ACONN_RETRY, TT_HINT_REMOTE_ERROR_MS, "remote_error"},
    {50002, "dmp/custom_audience/create", ACONN_RETRY, TT_HINT_REMOTE_ERROR_MS, "outcome_unknown"},
    {51305, "dmp/custom_audience/create", ACONN_RETRY, TT_HINT_REMOTE_ERROR_MS, "remote_error"},
    {59999, "dmp/custom_audience/create", ACONN_RETRY, TT_HINT_REMOTE_ERROR_MS, "remote_error"},
    {60001, "dmp/custom_audience/create", ACONN_RETRY, TT_HINT_HTTP_5XX_MS, "remote_maintenance"},
    {40202, "dmp/custom_audience/update", ACONN_RETRY, TT_HINT_CONFLICT_MS, "write_conflict"},
    {40102, "dmp/custom_audience/list", ACONN_REAUTHORIZE, 0, "token_expired"},
    {40104, "dmp/custom_audience/list", ACONN_REAUTHORIZE, 0, "token_missing"},
    {40105, "dmp/custom_audience/list", ACONN_REAUTHORIZE, 0, "token_invalid"},
    {40106, "dmp/custom_audience/list", ACONN_REAUTHORIZE, 0, "token_not_authorized"},
    {40107, "dmp/custom_audience/list", ACONN_REAUTHORIZE, 0, "token_refresh_invalid"},
    {40001, "dmp/custom_audience/update", ACONN_ERR_PERMISSION, 0, "no_permission"},
    {40118, "dmp/custom_audience/update", ACONN_ERR_PERMISSION, 0, "not_allowlisted"},
    {40007, "dmp/custom_audience/get", ACONN_ERR_NOT_FOUND, 0, "object_not_found"},
    {40300, "dmp/custom_audience/get", ACONN_ERR_NOT_FOUND, 0, "advertiser_not_found"},
    {40000, "dmp/custom_audience/create", ACONN_ERR_REJECTED, 0, "rejected"},
    {40002, "dmp/custom_audience/update", ACONN_ERR_REJECTED, 0, "parameter_error"},
    {40900, "dmp/custom_audience/file/upload", ACONN_ERR_REJECTED, 0, "rejected"},
    {41001, "dmp/custom_audience/file/upload", ACONN_ERR_REJECTED, 0, "rejected"},
    {20001, "dmp/custom_audience/file/upload", ACONN_OK, 0, "partial_success"},
    {40110, "oauth2/access_token", ACONN_ERR_AUTH_FLOW, 0, "auth_code_invalid"},
    {40101, "oauth2/access_token", ACONN_ERR_REJECTED, 0, "app_credentials_invalid"},
    {40115, "oauth2/access_token", ACONN_ERR_AUTH_FLOW, 0, "auth_code_invalid"},
    {40101, "oauth2/advertiser/get", ACONN_ERR_REJECTED, 0, "app_credentials_invalid"},
    {40110, "oauth2/advertiser/get", ACONN_ERR_PERMISSION, 0, "no_permission"},
    {40113, "oauth2/advertiser/get", ACONN_ERR_REJECTED, 0, "app_mismatch"},
    {40113, "oauth2/access_token", ACONN_ERR_REJECTED, 0, "app_mismatch"},
    {61000, "dmp/custom_audience/update", ACONN_RETRY_THROTTLED, TT_HINT_THROTTLED_MS, "rate_limited"},
    {40700, "dmp/custom_audience/update", ACONN_RETRY, TT_HINT_REMOTE_ERROR_MS, "remote_error"},
    {40130, "dmp/custom_audience/list", ACONN_REAUTHORIZE, 0, "scope_not_authorized"},
    {40103, "oauth2/refresh_token", ACONN_REAUTHORIZE, 0, "token_expired"},
    {40905, "dmp/custom_audience/create", ACONN_RETRY, 0, "file_gone"},
    {40910, "dmp/custom_audience/update", ACONN_RETRY, 0, "file_gone"},
    {40050, "dmp/custom_audience/create", ACONN_RETRY, TT_HINT_REMOTE_ERROR_MS, "outcome_unknown"},
    /* Bands: codes without a row never default to permanent where waiting helps. */
    {40199, "dmp/custom_audience/list", ACONN_ERR_PERMISSION, 0, "no_permission"},
    {40201, "dmp/custom_audience/list", ACONN_RETRY, TT_HINT_CONFLICT_MS, "remote_busy"},
    {40301, "dmp/custom_audience/list", ACONN_ERR_NOT_FOUND, 0, "advertiser_not_found"},
    {61234, "dmp/custom_audience/list", ACONN_RETRY_DEFERRED, TT_HINT_HTTP_5XX_MS, "remote_deferred"},
};

static void test_code_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(code_cases) / sizeof(code_cases[0]); i++) {
        const code_case *c = &code_cases[i];
        tt_status_input in = {
            .transport = TT_TRANSPORT_OK, .http_status = 200, .code = c->code,
            .message = "TikTok says so", .request_id = "req-123",
            .endpoint = c->endpoint, .profile = "acme", .advertiser_id = "7001",
        };
        aconn_error err;
        aconn_status st;
        char remote[24];

        mock_error_init(&err);
        st = tt_status_classify(&in, &err);
        CU_ASSERT_EQUAL(st, c->status);
        CU_ASSERT_EQUAL(err.status, c->status);
        CU_ASSERT_EQUAL(err.retry_after_ms, c->hint_ms);
        CU_ASSERT_STRING_EQUAL(err.code, c->reason);
        CU_ASSERT_EQUAL(err.http_status, 200);
        snprintf(remote, sizeof(remote), "%ld", c->code);
        CU_ASSERT_STRING_EQUAL(err.remote_code, remote);
        CU_ASSERT_STRING_EQUAL(err.request_id, "req-123");
        CU_ASSERT(err.message[0] != '\0');
        if (st != c->status || strcmp(err.code, c->reason) != 0)
            fprintf(stderr, "mismatch for code %ld on %s: %d %s\n", c->code, c->endpoint,
                    st, err.code);
    }
}

static aconn_status classify_code(long code, aconn_error *err)
{
    tt_status_input in = {
        .transport = TT_TRANSPORT_OK, .http_status = 200, .code = code,
        .message = "Parameter error: invalid audience ID", .request_id = "rq-9",
        .endpoint = "dmp/custom_audience/update", .profile = "acme",
        .advertiser_id = "7001",
    };
    mock_error_init(err);
    return tt_status_classify(&in, err);
}

static void test_reauthorize_names_profile(void)
{
    aconn_error err;

    CU_ASSERT_EQUAL(classify_code(40105, &err), ACONN_REAUTHORIZE);
    CU_ASSERT_STRING_EQUAL(err.profile, "acme");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "connector-host authorize --profile acme"));
    /* Only the reauthorize band carries a profile. */
    CU_ASSERT_EQUAL(classify_code(40002, &err), ACONN_ERR_REJECTED);
    CU_ASSERT_STRING_EQUAL(err.profile, "");
}

static void test_permission_message(void)
{
    aconn_error err;

    CU_ASSERT_EQUAL(classify_code(40001, &err), ACONN_ERR_PERMISSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "Admin, Operator or Owner on Ad Account 7001"));
}

static void test_rejected_carries_remote(void)
{
    aconn_error err;

    CU_ASSERT_EQUAL(classify_code(40002, &err), ACONN_ERR_REJECTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "invalid audience ID"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "rq-9"));
    CU_ASSERT_STRING_EQUAL(err.remote_code, "40002");
    CU_ASSERT_STRING_EQUAL(err.request_id, "rq-9");
}

typedef struct http_case {
    long http;
    aconn_status status;
    int64_t hint_ms;
    const char *reason;
} http_case;

static void test_http_table(void)
{
    static const http_case cases[] = {
        {500, ACONN_RETRY, TT_HINT_HTTP_5XX_MS, "http_5xx"},
        {502, ACONN_RETRY, TT_HINT_HTTP_5XX_MS, "http_5xx"},
        {503, ACONN_RETRY, TT_HINT_HTTP_5XX_MS, "http_5xx"},
        {599, ACONN_RETRY, TT_HINT_HTTP_5XX_MS, "http_5xx"},
        {429, ACONN_RETRY_THROTTLED, TT_HINT_THROTTLED_MS, "http_429"},
        {408, ACONN_RETRY, TT_HINT_NETWORK_MS, "http_408"},
        {404, ACONN_ERR_REJECTED, 0, "http_404"},
        {400, ACONN_ERR_REJECTED, 0, "http_4xx"},
        {405, ACONN_ERR_REJECTED, 0, "http_4xx"},
        {418, ACONN_ERR_REJECTED, 0, "http_4xx"},
        {204, ACONN_ERR_REJECTED, 0, "http_unexpected"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* The code is ignored when HTTP is not 200: a proxy's 5xx says
           nothing about TikTok's envelope. */
        tt_status_input in = {
            .transport = TT_TRANSPORT_OK, .http_status = cases[i].http, .code = 0,
            .endpoint = "bc/get",
        };
        aconn_error err;

        mock_error_init(&err);
        CU_ASSERT_EQUAL(tt_status_classify(&in, &err), cases[i].status);
        CU_ASSERT_EQUAL(err.retry_after_ms, cases[i].hint_ms);
        CU_ASSERT_STRING_EQUAL(err.code, cases[i].reason);
        CU_ASSERT_EQUAL(err.http_status, cases[i].http);
        CU_ASSERT_STRING_EQUAL(err.remote_code, "");
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "bc/get"));
    }
}

typedef struct transport_case {
    tt_transport transport;
    aconn_status status;
    const char *reason;
    int retry_in_call;
} transport_case;

static void test_transport_table(void)
{
    static const transport_case cases[] = {
        {TT_TRANSPORT_CONNECT, ACONN_RETRY, "connect_failed", 1},
        {TT_TRANSPORT_TIMEOUT, ACONN_RETRY, "timeout", 1},
        {TT_TRANSPORT_DROPPED, ACONN_RETRY, "connection_dropped", 1},
        {TT_TRANSPORT_TLS, ACONN_RETRY, "tls_failed", 0},
        {TT_TRANSPORT_BAD_BODY, ACONN_RETRY, "bad_response", 1},
        {TT_TRANSPORT_TOO_LARGE, ACONN_RETRY, "response_too_large", 1},
        {TT_TRANSPORT_REDIRECT, ACONN_ERR_REJECTED, "redirect_refused", 0},
        {TT_TRANSPORT_CANCELLED, ACONN_RETRY_CANCELLED, "cancelled", 0},
        {TT_TRANSPORT_LOCAL, ACONN_ERR_FATAL, "local_error", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tt_status_input in = {
            .transport = cases[i].transport, .endpoint = "advertiser/info",
            .detail = "libcurl said so",
        };
        aconn_error err;

        mock_error_init(&err);
        CU_ASSERT_EQUAL(tt_status_classify(&in, &err), cases[i].status);
        CU_ASSERT_STRING_EQUAL(err.code, cases[i].reason);
        CU_ASSERT_EQUAL(tt_status_retry_in_call(&err), cases[i].retry_in_call);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "advertiser/info"));
        if (ACONN_STATUS_IS_RETRY(cases[i].status) && cases[i].status != ACONN_RETRY_CANCELLED)
            CU_ASSERT(err.retry_after_ms > 0);
    }
}

static void test_retry_in_call_for_codes(void)
{
    aconn_error err;

    classify_code(40100, &err);
    CU_ASSERT_TRUE(tt_status_retry_in_call(&err));
    classify_code(50002, &err);
    CU_ASSERT_TRUE(tt_status_retry_in_call(&err));
    classify_code(40002, &err);
    CU_ASSERT_FALSE(tt_status_retry_in_call(&err));
    classify_code(40105, &err);
    CU_ASSERT_FALSE(tt_status_retry_in_call(&err));
    CU_ASSERT_FALSE(tt_status_retry_in_call(NULL));
}

static void test_message_rows(void)
{
    static const struct {
        const char *message;
        aconn_status status;
        const char *reason;
        int retry_in_call;
    } cases[] = {
        {"The APPEND operation failed: audience size would be less than 1,000 after the "
         "operation (it would hold 256).", ACONN_ERR_LIMIT, "below_minimum_size", 0},
        {"Audience size is LESS THAN 1000", ACONN_ERR_LIMIT, "below_minimum_size", 0},
        {"The audience is currently being updated or under processing", ACONN_RETRY,
         "audience_processing", 0},
        {"Update limit reached: advertiser_id 7001 already made the daily limit of 24",
         ACONN_RETRY_DEFERRED, "update_limit", 0},
        {"The number of custom audiences in advertiser_id 7001 has reached the limit of 400",
         ACONN_ERR_LIMIT, "audience_limit", 0},
        {"Parameter error: invalid audience ID", ACONN_ERR_REJECTED, "parameter_error", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* 14:00 UTC: the daily limit resets in 10 hours. */
        tt_status_input in = {
            .transport = TT_TRANSPORT_OK, .http_status = 200, .code = 40002,
            .message = cases[i].message, .request_id = "rq-1",
            .endpoint = "dmp/custom_audience/update", .advertiser_id = "7001",
            .now_ms = 1700000000000LL / TT_DAY_MS * TT_DAY_MS + 14 * 3600000LL,
        };
        aconn_error err;

        mock_error_init(&err);
        CU_ASSERT_EQUAL(tt_status_classify(&in, &err), cases[i].status);
        CU_ASSERT_STRING_EQUAL(err.code, cases[i].reason);
        CU_ASSERT_STRING_EQUAL(err.remote_code, "40002");
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "7001"));
        CU_ASSERT_EQUAL(tt_status_retry_in_call(&err), cases[i].retry_in_call);
        if (cases[i].status == ACONN_RETRY_DEFERRED)
            CU_ASSERT_EQUAL(err.retry_after_ms, 10 * 3600000LL);
        if (cases[i].status == ACONN_RETRY)
            CU_ASSERT_EQUAL(err.retry_after_ms, TT_HINT_PROCESSING_MS);
    }
    /* The same message with another code is not refined. */
    {
        tt_status_input in = {.transport = TT_TRANSPORT_OK, .http_status = 200, .code = 40000,
                              .message = "less than 1,000"};
        aconn_error err;
        mock_error_init(&err);
        CU_ASSERT_EQUAL(tt_status_classify(&in, &err), ACONN_ERR_REJECTED);
        CU_ASSERT_STRING_EQUAL(err.code, "rejected");
    }
}

static void test_null_err_and_strings(void)
{
    tt_status_input in = {.transport = TT_TRANSPORT_OK, .http_status = 200, .code = 40002};

    /* All strings NULL and no error struct: still classified, no crash. */
    CU_ASSERT_EQUAL(tt_status_classify(&in, NULL), ACONN_ERR_REJECTED);
    in.code = 40105;
    CU_ASSERT_EQUAL(tt_status_classify(&in, NULL), ACONN_REAUTHORIZE);
}

static void test_small_error_struct(void)
{
    /* aconn.h: every caller's error is at least its ABI 1.0 size, which is
       all of aconn_error today; the fill stays inside it (guard after). */
    unsigned char buf[sizeof(aconn_error) + 16];
    aconn_error *err = (aconn_error *) buf;
    tt_status_input in = {.transport = TT_TRANSPORT_OK, .http_status = 200, .code = 40001,
                          .request_id = "rid-1"};

    memset(buf, 0xAB, sizeof(buf));
    memset(err, 0, sizeof(*err));
    err->struct_size = (uint32_t) sizeof(*err);
    tt_status_classify(&in, err);
    CU_ASSERT_EQUAL(err->status, ACONN_ERR_PERMISSION);
    CU_ASSERT_STRING_EQUAL(err->remote_code, "40001");
    CU_ASSERT_STRING_EQUAL(err->request_id, "rid-1");
    CU_ASSERT_EQUAL(buf[sizeof(aconn_error)], 0xAB);
    CU_ASSERT_EQUAL(buf[sizeof(buf) - 1], 0xAB);
}

/* Every row's class, so a caller's recovery is pinned by code. */
static void test_classes(void)
{
    static const struct {
        long code;
        const char *endpoint;
        const char *message;
        tt_class cls;
    } cases[] = {
        {0, "x", "OK", TT_CLASS_OK},
        {20001, "x", "partially successful", TT_CLASS_PARTIAL},
        {40100, "x", "too frequent", TT_CLASS_RATE_LIMITED},
        {61000, "x", "TOO_MANY_REQUESTS_BL", TT_CLASS_RATE_LIMITED},
        {40133, "x", "advertiser QPS", TT_CLASS_RATE_LIMITED},
        {50002, "dmp/custom_audience/create", "SYS_TIMEOUT", TT_CLASS_OUTCOME_UNKNOWN},
        {40050, "dmp/custom_audience/create", "duplicate", TT_CLASS_OUTCOME_UNKNOWN},
        {50000, "x", "system error", TT_CLASS_TRANSIENT},
        {40905, "x", "file not found", TT_CLASS_FILE_GONE},
        {40910, "x", "file expired", TT_CLASS_FILE_GONE},
        {40105, "x", "bad token", TT_CLASS_AUTH},
        {40130, "x", "scope", TT_CLASS_AUTH},
        {40113, "x", "mismatch", TT_CLASS_APP_CREDENTIALS},
        {40001, "x", "no permission", TT_CLASS_PERMISSION},
        {40007, "x", "not exist", TT_CLASS_NOT_FOUND},
        /* 40002: by code first; processing wording from any source is retry,
           anything else is a parameter error the caller checks with get. */
        {40002, "x", "The audience is under processing", TT_CLASS_PROCESSING},
        {40002, "x", "Custom audience is being updated, try later", TT_CLASS_PROCESSING},
        {40002, "x", "Something TikTok never said before", TT_CLASS_PARAMETER},
        {40002, "x", NULL, TT_CLASS_PARAMETER},
        {40002, "x", "audience size less than 1000", TT_CLASS_LIMIT},
        {40000, "x", "invalid parameters", TT_CLASS_REJECTED},
        /* At the exchange, 40101 blames the app unless the message blames the code. */
        {40101, "oauth2/access_token", "Secret and app ID do not match", TT_CLASS_APP_CREDENTIALS},
        {40101, "oauth2/access_token", "invalid app_id", TT_CLASS_APP_CREDENTIALS},
        {40101, "oauth2/access_token", "some new wording", TT_CLASS_APP_CREDENTIALS},
        {40101, "oauth2/access_token", "The auth_code has expired", TT_CLASS_AUTH_CODE},
        {40101, "oauth2/access_token", "Invalid authorization code", TT_CLASS_AUTH_CODE},
        {40110, "oauth2/access_token", "auth_code used", TT_CLASS_AUTH_CODE},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tt_status_input in = {
            .transport = TT_TRANSPORT_OK, .http_status = 200, .code = cases[i].code,
            .message = cases[i].message, .endpoint = cases[i].endpoint, .profile = "acme",
        };
        aconn_error err;

        mock_error_init(&err);
        tt_status_classify(&in, &err);
        CU_ASSERT_EQUAL(tt_status_class(&err), cases[i].cls);
        if (tt_status_class(&err) != cases[i].cls)
            fprintf(stderr, "class of %ld \"%s\": %s, want %s\n", cases[i].code,
                    cases[i].message ? cases[i].message : "(null)",
                    tt_class_name(tt_status_class(&err)), tt_class_name(cases[i].cls));
    }
}

static void test_class_transport_and_names(void)
{
    tt_status_input in = {.transport = TT_TRANSPORT_TIMEOUT, .endpoint = "x"};
    aconn_error err;

    mock_error_init(&err);
    tt_status_classify(&in, &err);
    CU_ASSERT_EQUAL(tt_status_class(&err), TT_CLASS_OUTCOME_UNKNOWN);
    in.transport = TT_TRANSPORT_DROPPED;
    tt_status_classify(&in, &err);
    CU_ASSERT_EQUAL(tt_status_class(&err), TT_CLASS_OUTCOME_UNKNOWN);
    in.transport = TT_TRANSPORT_CONNECT;
    tt_status_classify(&in, &err);
    CU_ASSERT_EQUAL(tt_status_class(&err), TT_CLASS_TRANSIENT);
    in.transport = TT_TRANSPORT_OK;
    in.http_status = 502;
    tt_status_classify(&in, &err);
    CU_ASSERT_EQUAL(tt_status_class(&err), TT_CLASS_OUTCOME_UNKNOWN);
    CU_ASSERT_EQUAL(tt_status_class(NULL), TT_CLASS_LOCAL);
    CU_ASSERT_STRING_EQUAL(tt_class_name(TT_CLASS_PARTIAL), "partial");
    CU_ASSERT_STRING_EQUAL(tt_class_name(TT_CLASS_FILE_GONE), "file_gone");
    CU_ASSERT_STRING_EQUAL(tt_class_name((tt_class) 999), "unknown");
}

static void test_exchange_messages(void)
{
    tt_status_input in = {
        .transport = TT_TRANSPORT_OK, .http_status = 200, .code = 40101,
        .message = "Secret and app ID do not match", .endpoint = "oauth2/access_token",
        .profile = "acme",
    };
    aconn_error err;

    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_status_classify(&in, &err), ACONN_ERR_REJECTED);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "app_secret"));
    CU_ASSERT_PTR_NULL(strstr(err.message, "already used"));
    in.message = "auth_code is expired";
    CU_ASSERT_EQUAL(tt_status_classify(&in, &err), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "authorize --profile acme"));
    /* 20001 is success, and its details reach the caller. */
    in.code = 20001;
    in.endpoint = "dmp/custom_audience/update";
    in.message = "Partial success: 3 of 4 ids applied";
    CU_ASSERT_EQUAL(tt_status_classify(&in, &err), ACONN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "3 of 4"));
    /* A file gone is not retried in the call: the caller uploads again. */
    in.code = 40910;
    CU_ASSERT_EQUAL(tt_status_classify(&in, &err), ACONN_RETRY);
    CU_ASSERT_FALSE(tt_status_retry_in_call(&err));
}

int main(void)
{
    static const ts_test tests[] = {
        {"TikTok code table", test_code_table},
        {"reauthorize names the profile", test_reauthorize_names_profile},
        {"permission message names roles and account", test_permission_message},
        {"rejected carries message and request_id", test_rejected_carries_remote},
        {"HTTP status table", test_http_table},
        {"transport table", test_transport_table},
        {"retry in call for codes", test_retry_in_call_for_codes},
        {"40002 refined by message", test_message_rows},
        {"NULL strings and NULL err", test_null_err_and_strings},
        {"a 1.0 aconn_error is filled, not past", test_small_error_struct},
        {"class of every row", test_classes},
        {"class of transport answers, names", test_class_transport_and_names},
        {"token exchange, partial success, file gone", test_exchange_messages},
    };
    static const ts_suite suites[] = {
        {"tt_status", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
