/*
 * test_http.c - the pure parts of tt_http: URL and query building,
 * envelope parsing, libcurl result mapping, backoff, init from host options.
 */
#include <config.h>

#include <stdlib.h>

#include <CUnit/Basic.h>

#include "mock_host.h"
#include "tiktok/tt_http.h"
#include "tiktok/tt_url.h"
#include "ts_cunit.h"

static char *url_for(const char *base, const char *endpoint, json_object *q, aconn_status *st)
{
    aconn_error err;
    char *url = NULL;

    mock_error_init(&err);
    *st = tt_http_build_url(base, endpoint, q, &url, &err);
    return url;
}

static void test_url_trailing_slash(void)
{
    aconn_status st;
    char *u;

    u = url_for("https://business-api.tiktok.com", "dmp/custom_audience/list", NULL, &st);
    CU_ASSERT_EQUAL(st, ACONN_OK);
    CU_ASSERT_STRING_EQUAL(u, "https://business-api.tiktok.com/open_api/v1.3/dmp/custom_audience/list/");
    free(u);
    /* A base with a trailing slash or a prefix path still yields one slash. */
    u = url_for("https://127.0.0.1:8443/", "bc/get", NULL, &st);
    CU_ASSERT_STRING_EQUAL(u, "https://127.0.0.1:8443/open_api/v1.3/bc/get/");
    free(u);
    u = url_for("http://127.0.0.1:8080/proxy//", "bc/get", NULL, &st);
    CU_ASSERT_STRING_EQUAL(u, "http://127.0.0.1:8080/proxy/open_api/v1.3/bc/get/");
    free(u);
    /* A query or fragment in the base is dropped, never forwarded. */
    u = url_for("https://h.example/?x=1#frag", "bc/get", NULL, &st);
    CU_ASSERT_STRING_EQUAL(u, "https://h.example/open_api/v1.3/bc/get/");
    free(u);
}

static void test_url_query_encoding(void)
{
    json_object *q = json_object_new_object();
    json_object *ids = json_object_new_array();
    aconn_status st;
    char *u;

    json_object_array_add(ids, json_object_new_string("1"));
    json_object_array_add(ids, json_object_new_string("2"));
    json_object_object_add(q, "advertiser_id", json_object_new_string("7001"));
    json_object_object_add(q, "custom_audience_ids", ids);
    json_object_object_add(q, "page", json_object_new_int(3));
    json_object_object_add(q, "name", json_object_new_string("a b&c=d/é"));
    json_object_object_add(q, "skipped", NULL);
    u = url_for("https://business-api.tiktok.com", "dmp/custom_audience/get", q, &st);
    CU_ASSERT_EQUAL(st, ACONN_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    /* ["1","2"] as a JSON-array string, percent-encoded. */
    CU_ASSERT_PTR_NOT_NULL(strstr(u, "custom_audience_ids=%5b%221%22%2c%222%22%5d")
                           != NULL ? u : strstr(u, "custom_audience_ids=%5B%221%22%2C%222%22%5D"));
    CU_ASSERT_PTR_NOT_NULL(strstr(u, "/dmp/custom_audience/get/?advertiser_id=7001&"));
    CU_ASSERT_PTR_NOT_NULL(strstr(u, "&page=3"));
    /* Reserved characters in a value never split the query. */
    CU_ASSERT_PTR_NULL(strstr(u, "b&c"));
    CU_ASSERT_PTR_NULL(strstr(u, "c=d"));
    CU_ASSERT_PTR_NULL(strstr(u, "skipped"));
    CU_ASSERT_PTR_NULL(strchr(u, ' '));
    free(u);
    json_object_put(q);
}

static void test_url_rejects(void)
{
    aconn_error err;
    char *u = NULL;

    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_http_build_url("ftp://h.example", "bc/get", NULL, &u, &err),
                    ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.field, "api_base");
    CU_ASSERT_PTR_NULL(u);
    CU_ASSERT_EQUAL(tt_http_build_url("not a url", "bc/get", NULL, &u, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(tt_http_build_url(NULL, "bc/get", NULL, &u, &err), ACONN_ERR_INVALID);
    /* Endpoints are fixed names: no dots, no leading or doubled slashes. */
    CU_ASSERT_NOT_EQUAL(tt_http_build_url("https://h.example", "../x", NULL, &u, &err), ACONN_OK);
    CU_ASSERT_NOT_EQUAL(tt_http_build_url("https://h.example", "/bc/get", NULL, &u, &err), ACONN_OK);
    CU_ASSERT_NOT_EQUAL(tt_http_build_url("https://h.example", "bc//get", NULL, &u, &err), ACONN_OK);
    CU_ASSERT_NOT_EQUAL(tt_http_build_url("https://h.example", "bc/get/", NULL, &u, &err), ACONN_OK);
    CU_ASSERT_PTR_NULL(u);
}

/* Plain http only to this machine; refused before any request, naming api_base. */
static void test_url_cleartext(void)
{
    static const char *const ok[] = {
        "https://business-api.tiktok.com", "http://127.0.0.1:8080", "http://127.1",
        "http://127.255.0.9/x", "http://localhost:1", "http://LocalHost", "http://[::1]:9",
        "http://[0:0:0:0:0:0:0:1]", "http://2130706433", "http://[::ffff:127.0.0.2]",
    };
    static const char *const refused[] = {
        "http://business-api.tiktok.com", "http://10.0.0.1:8080", "http://128.0.0.1",
        "http://126.255.255.255", "http://[::2]", "http://localhost.example.com",
        "http://127.0.0.1.nip.io", "http://user@example.com", "http://[::ffff:10.0.0.1]",
        "HTTP://example.com",
    };
    aconn_error err;
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *u = NULL;
        mock_error_init(&err);
        CU_ASSERT_EQUAL(tt_http_build_url(ok[i], "bc/get", NULL, &u, &err), ACONN_OK);
        if (u == NULL)
            fprintf(stderr, "refused %s: %s\n", ok[i], err.message);
        free(u);
    }
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char *u = NULL;
        mock_error_init(&err);
        CU_ASSERT_EQUAL(tt_http_build_url(refused[i], "bc/get", NULL, &u, &err),
                        ACONN_ERR_INVALID);
        CU_ASSERT_PTR_NULL(u);
        CU_ASSERT_STRING_EQUAL(err.code, "api_base_insecure");
        CU_ASSERT_STRING_EQUAL(err.field, "api_base");
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "api_base"));
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "https://"));
        free(u);
    }
    CU_ASSERT_TRUE(tt_url_host_is_loopback("127.0.0.1"));
    CU_ASSERT_TRUE(tt_url_host_is_loopback("[::1]"));
    CU_ASSERT_FALSE(tt_url_host_is_loopback("::1x"));
    CU_ASSERT_FALSE(tt_url_host_is_loopback("[fe80::1%25lo]"));
    CU_ASSERT_FALSE(tt_url_host_is_loopback(NULL));
    CU_ASSERT_FALSE(tt_url_host_is_loopback(""));
}

static tt_transport parse(const char *body, tt_response *r, char *detail, size_t n)
{
    return tt_http_parse_envelope(body, strlen(body), r, detail, n);
}

static void test_envelope(void)
{
    tt_response r;
    char detail[128];
    json_object *v;

    memset(&r, 0, sizeof(r));
    CU_ASSERT_EQUAL(parse("{\"code\":0,\"message\":\"OK\",\"request_id\":\"abc\","
                          "\"data\":{\"file_path\":\"0123456789abcdef\"}}\n", &r, detail,
                          sizeof(detail)), TT_TRANSPORT_OK);
    CU_ASSERT_EQUAL(r.code, 0);
    CU_ASSERT_STRING_EQUAL(r.message, "OK");
    CU_ASSERT_STRING_EQUAL(r.request_id, "abc");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.data);
    CU_ASSERT_TRUE(json_object_object_get_ex(r.data, "file_path", &v));

    /* Non-zero code: still a valid envelope, the classifier decides. */
    CU_ASSERT_EQUAL(parse("{\"code\":40002,\"message\":\"Parameter error\",\"request_id\":\"x\","
                          "\"data\":{}}", &r, detail, sizeof(detail)), TT_TRANSPORT_OK);
    CU_ASSERT_EQUAL(r.code, 40002);
    CU_ASSERT_STRING_EQUAL(r.message, "Parameter error");

    /* Missing message, request_id and data are tolerated. */
    CU_ASSERT_EQUAL(parse("{\"code\":0}", &r, detail, sizeof(detail)), TT_TRANSPORT_OK);
    CU_ASSERT_PTR_NULL(r.data);
    CU_ASSERT_STRING_EQUAL(r.request_id, "");
    tt_response_free(&r);
    CU_ASSERT_PTR_NULL(r.root);
}

static void test_envelope_bad(void)
{
    static const struct {
        const char *body;
        const char *detail;
    } cases[] = {
        {"", "empty body"},
        {"<html>502 Bad Gateway</html>", "not JSON"},
        {"{\"code\":0,\"data\":{\"list\":[", "truncated JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"message\":\"OK\"}", "no integer \"code\" field"},
        {"{\"code\":\"0\"}", "no integer \"code\" field"},
        {"{\"code\":0} garbage", "trailing data after the JSON value"},
    };
    tt_response r;
    char detail[128];
    size_t i;

    memset(&r, 0, sizeof(r));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CU_ASSERT_EQUAL(parse(cases[i].body, &r, detail, sizeof(detail)), TT_TRANSPORT_BAD_BODY);
        CU_ASSERT_STRING_EQUAL(detail, cases[i].detail);
        CU_ASSERT_PTR_NULL(r.root);
    }
    tt_response_free(&r);
}

static void test_bad_body_names_endpoint(void)
{
    tt_status_input in = {
        .transport = TT_TRANSPORT_BAD_BODY, .http_status = 200,
        .endpoint = "dmp/custom_audience/get", .detail = "truncated JSON",
    };
    aconn_error err;

    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_status_classify(&in, &err), ACONN_RETRY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "dmp/custom_audience/get"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "truncated JSON"));
}

static void test_transport_of(void)
{
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_OK), TT_TRANSPORT_OK);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_COULDNT_CONNECT), TT_TRANSPORT_CONNECT);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_COULDNT_RESOLVE_HOST), TT_TRANSPORT_CONNECT);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_OPERATION_TIMEDOUT), TT_TRANSPORT_TIMEOUT);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_GOT_NOTHING), TT_TRANSPORT_DROPPED);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_RECV_ERROR), TT_TRANSPORT_DROPPED);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_PARTIAL_FILE), TT_TRANSPORT_DROPPED);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_PEER_FAILED_VERIFICATION), TT_TRANSPORT_TLS);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_SSL_CONNECT_ERROR), TT_TRANSPORT_TLS);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_ABORTED_BY_CALLBACK), TT_TRANSPORT_CANCELLED);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_READ_ERROR), TT_TRANSPORT_LOCAL);
    CU_ASSERT_EQUAL(tt_http_transport_of(CURLE_FILESIZE_EXCEEDED), TT_TRANSPORT_TOO_LARGE);
}

static void test_backoff(void)
{
    aconn_error thr, plain;
    int a;

    mock_error_init(&thr);
    mock_error_init(&plain);
    thr.status = ACONN_RETRY_THROTTLED;
    plain.status = ACONN_RETRY;
    /* 200 ms x 2^k plus at most 50% jitter, capped at 2 s. */
    CU_ASSERT_EQUAL(tt_http_backoff_ms(1, &plain, 0), 200);
    CU_ASSERT_EQUAL(tt_http_backoff_ms(1, &plain, 100), 300);
    CU_ASSERT_EQUAL(tt_http_backoff_ms(1, &plain, 101), 200);
    CU_ASSERT_EQUAL(tt_http_backoff_ms(2, &plain, 0), 400);
    CU_ASSERT_EQUAL(tt_http_backoff_ms(3, &plain, 0), 800);
    CU_ASSERT_EQUAL(tt_http_backoff_ms(4, &plain, 0), 1600);
    CU_ASSERT_EQUAL(tt_http_backoff_ms(5, &plain, 0), TT_HTTP_BACKOFF_CAP_MS);
    CU_ASSERT_EQUAL(tt_http_backoff_ms(60, &plain, 0xffffffffu), TT_HTTP_BACKOFF_CAP_MS);
    for (a = 1; a < 8; a++) {
        CU_ASSERT(tt_http_backoff_ms(a, &thr, 12345) >= 1000);
        CU_ASSERT(tt_http_backoff_ms(a, &plain, 0xffffffffu) <= TT_HTTP_BACKOFF_CAP_MS);
    }
}

static void test_init_options(void)
{
    mock_host *m = mock_host_new();
    tt_http http;
    aconn_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_http_init(&http, &m->host, &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(http.api_base, TT_DEFAULT_API_BASE);
    CU_ASSERT_PTR_NULL(http.ca_file);
    CU_ASSERT_EQUAL(http.timeout_ms, TT_HTTP_TIMEOUT_MS);
    CU_ASSERT_EQUAL(http.connect_timeout_ms, TT_HTTP_CONNECT_TIMEOUT_MS);
    tt_http_cleanup(&http);

    mock_host_set_option(m, "api_base", "https://127.0.0.1:4443///");
    mock_host_set_option(m, "ca_file", "/tmp/ca.pem");
    CU_ASSERT_EQUAL(tt_http_init(&http, &m->host, &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(http.api_base, "https://127.0.0.1:4443");
    CU_ASSERT_STRING_EQUAL(http.ca_file, "/tmp/ca.pem");
    tt_http_cleanup(&http);

    /* A mistyped production URL: refused at init, before any request. */
    mock_host_set_option(m, "api_base", "http://business-api.tiktok.com");
    CU_ASSERT_EQUAL(tt_http_init(&http, &m->host, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.code, "api_base_insecure");
    CU_ASSERT_STRING_EQUAL(err.field, "api_base");
    CU_ASSERT_PTR_NULL(http.api_base);

    mock_host_set_option(m, "api_base", "gopher://x");
    CU_ASSERT_EQUAL(tt_http_init(&http, &m->host, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.field, "api_base");
    CU_ASSERT_PTR_NULL(http.api_base);
    mock_host_free(m);
}

int main(void)
{
    static const ts_test tests[] = {
        {"URL paths end in a slash", test_url_trailing_slash},
        {"query: JSON arrays, encoding", test_url_query_encoding},
        {"bad api_base and endpoints refused", test_url_rejects},
        {"plain http only to loopback", test_url_cleartext},
        {"envelope: good and code != 0", test_envelope},
        {"envelope: truncated, non-JSON, missing code", test_envelope_bad},
        {"bad body error names the endpoint", test_bad_body_names_endpoint},
        {"libcurl results mapped", test_transport_of},
        {"backoff bounds", test_backoff},
        {"init reads host options", test_init_options},
    };
    static const ts_suite suites[] = {
        {"tt_http (no network)", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
