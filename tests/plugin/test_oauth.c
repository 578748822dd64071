/*
 * test_oauth.c - the authorize() flow without TikTok: BEGIN's URL and
 * output, every COMPLETE error that happens before the token exchange,
 * callback parsing, account classification, and a scan proving no secret
 * reaches a log line, an output or an error.
 */
#include <config.h>

#include <stdlib.h>

#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "profile/tt_coverage.h"
#include "tiktok/tt_status.h"
#include "mock_host.h"
#include "profile/tt_accounts.h"
#include "profile/tt_oauth.h"
#include "profile/tt_state.h"
#include "ts_cunit.h"

#define APP_ID "7237383493024481281"
#define APP_SECRET "app-secret-DO-NOT-LEAK-5f1c"
#define REDIRECT "https://connector.example/oauth/callback?x=1"
/* Port 1 on loopback: nothing listens, so a token exchange fails fast. */
#define DEAD_BASE "http://127.0.0.1:1"

static mock_host *new_host(void)
{
    mock_host *m = mock_host_new();

    if (m == NULL)
        return NULL;
    mock_host_set_option(m, "api_base", DEAD_BASE);
    mock_host_set_option(m, "redirect_uri", REDIRECT);
    mock_host_set_secret(m, "app_id", APP_ID);
    mock_host_set_secret(m, "app_secret", APP_SECRET);
    return m;
}

static aconn_status run(mock_host *m, uint32_t phase, const char *profile,
                        const char *callback, aconn_error *err)
{
    aconn_authorize_request req;

    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.phase = phase;
    req.profile = profile;
    req.callback_url = callback;
    mock_error_init(err);
    return tt_authorize(&m->host, &req, &m->out, err);
}

/* Runs BEGIN and returns the state parameter of the URL (heap). */
static char *begin(mock_host *m, const char *profile)
{
    aconn_error err;
    json_object *o = NULL, *v;
    char *state = NULL, *tmp = NULL, *code = NULL;
    char cb[4096];

    mock_host_clear_output(m);
    CU_ASSERT_EQUAL_FATAL(run(m, ACONN_AUTHORIZE_BEGIN, profile, NULL, &err), ACONN_OK);
    o = json_tokener_parse(m->output);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(o, "url", &v));
    /* The URL's query parses like a callback: reuse the parser for state. */
    snprintf(cb, sizeof(cb), "%s", json_object_get_string(v));
    CU_ASSERT_EQUAL(tt_oauth_parse_callback(cb, &code, &tmp, &err), ACONN_OK);
    state = tmp;
    free(code);
    json_object_put(o);
    return state;
}

static void test_begin_output(void)
{
    mock_host *m = new_host();
    aconn_error err;
    json_object *o, *v;
    const char *url;
    CURLU *u;
    char *q = NULL, *state, *host = NULL, *path = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mock_host_set_option(m, "api_base", "https://127.0.0.1:4443/");
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "acme", NULL, &err), ACONN_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m->output);
    o = json_tokener_parse(m->output);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "expires_at_ms", &v));
    CU_ASSERT_EQUAL(json_object_get_int64(v), m->now_ms + TT_STATE_LIFETIME_MS);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "profile", &v));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "acme");
    CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(o, "url", &v));
    url = json_object_get_string(v);
    u = curl_url();
    CU_ASSERT_EQUAL(curl_url_set(u, CURLUPART_URL, url, 0), CURLUE_OK);
    CU_ASSERT_EQUAL(curl_url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK);
    CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
    CU_ASSERT_EQUAL(curl_url_get(u, CURLUPART_PATH, &path, 0), CURLUE_OK);
    CU_ASSERT_STRING_EQUAL(path, "/portal/auth");
    CU_ASSERT_EQUAL(curl_url_get(u, CURLUPART_QUERY, &q, 0), CURLUE_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(q, "app_id=" APP_ID "&state="));
    /* redirect_uri is percent-encoded, its own '?' and '=' included. */
    CU_ASSERT_PTR_NOT_NULL(strstr(q, "&redirect_uri=https%3a%2f%2fconnector.example%2foauth"
                                     "%2fcallback%3fx%3d1") != NULL
                               ? q : strstr(q, "&redirect_uri=https%3A%2F%2Fconnector.example"
                                               "%2Foauth%2Fcallback%3Fx%3D1"));
    curl_free(q);
    curl_free(host);
    curl_free(path);
    curl_url_cleanup(u);
    json_object_put(o);

    /* The state's nonce is pending in host state; the key was created. */
    state = begin(m, "acme");
    CU_ASSERT_PTR_NOT_NULL(state);
    CU_ASSERT_PTR_NOT_NULL(mock_host_secret(m, "state_key"));
    /* nonce 1, the profile's newest link (now nonce 2), nonce 2 */
    CU_ASSERT_EQUAL(m->nstate, 3);
    CU_ASSERT_STRING_EQUAL(m->state[1].key, "profile/acme/link");
    CU_ASSERT_STRING_EQUAL(m->state[2].value, "pending");
    CU_ASSERT_PTR_NOT_NULL(strstr(m->state[1].value, m->state[2].key + strlen("oauth/nonce/")));
    CU_ASSERT_FALSE(mock_host_leaks(m, &err, APP_SECRET));
    CU_ASSERT_FALSE(mock_host_leaks(m, &err, mock_host_secret(m, "state_key")));
    free(state);
    mock_host_free(m);
}

static void test_begin_errors(void)
{
    mock_host *m = new_host();
    aconn_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "", NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.field, "profile");
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "a/b", NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, NULL, NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(run(m, 99, "acme", NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.code, "bad_phase");

    mock_host_set_option(m, "redirect_uri", NULL);
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "acme", NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.field, "redirect_uri");
    /* An auth_code must not travel in clear: plain http only to loopback. */
    mock_host_set_option(m, "redirect_uri", "http://connector.example/oauth/callback");
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "acme", NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.code, "redirect_uri_insecure");
    CU_ASSERT_STRING_EQUAL(err.field, "redirect_uri");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "--listen"));
    mock_host_set_option(m, "redirect_uri", "not a url");
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "acme", NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.code, "redirect_uri_invalid");
    CU_ASSERT_PTR_NULL(m->output);
    mock_host_set_option(m, "redirect_uri", "http://127.0.0.1:8765/callback");
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "acme", NULL, &err), ACONN_OK);
    CU_ASSERT_PTR_NOT_NULL(m->output);
    mock_host_clear_output(m);
    /* And the API base: refused before the app secret goes anywhere. */
    mock_host_set_option(m, "api_base", "http://business-api.tiktok.com");
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "acme", NULL, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.field, "api_base");
    CU_ASSERT_PTR_NULL(m->output);
    mock_host_set_option(m, "api_base", DEAD_BASE);
    mock_host_set_option(m, "redirect_uri", REDIRECT);

    mock_host_set_secret(m, "app_id", NULL);
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_BEGIN, "acme", NULL, &err), ACONN_ERR_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.code, "secret_missing");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "app_id"));
    CU_ASSERT_PTR_NULL(m->output);
    mock_host_free(m);
}

static char *callback(const char *code, const char *state)
{
    char *escaped = state != NULL ? curl_easy_escape(NULL, state, 0) : NULL;
    char *url = malloc(8192);

    if (url == NULL)
        return NULL;
    snprintf(url, 8192, "https://connector.example/oauth/callback?x=1%s%s%s%s",
             code != NULL ? "&auth_code=" : "", code != NULL ? code : "",
             escaped != NULL ? "&state=" : "", escaped != NULL ? escaped : "");
    curl_free(escaped);
    return url;
}

static void expect_flow_error(mock_host *m, const char *profile, const char *url,
                              const char *code)
{
    aconn_error err;

    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_COMPLETE, profile, url, &err), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, code);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "connector-host authorize --profile"));
    CU_ASSERT_FALSE(mock_host_leaks(m, &err, APP_SECRET));
    CU_ASSERT_FALSE(mock_host_leaks(m, &err, mock_host_secret(m, "state_key")));
    if (strcmp(err.code, code) != 0)
        fprintf(stderr, "expected %s, got %s: %s\n", code, err.code, err.message);
}

static void test_complete_state_errors(void)
{
    mock_host *m = new_host();
    char *state, *url, *tampered;
    size_t n;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    state = begin(m, "acme");
    CU_ASSERT_PTR_NOT_NULL_FATAL(state);

    url = callback("code123", NULL);
    expect_flow_error(m, "acme", url, "state_missing");
    free(url);

    url = callback("code123", "garbage");
    expect_flow_error(m, "acme", url, "state_malformed");
    free(url);

    tampered = strdup(state);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tampered);
    n = strlen(tampered);
    tampered[n - 2] = tampered[n - 2] == 'A' ? 'B' : 'A';
    url = callback("code123", tampered);
    expect_flow_error(m, "acme", url, "state_tampered");
    free(url);
    free(tampered);

    url = callback("code123", state);
    expect_flow_error(m, "globex", url, "state_foreign");
    free(url);

    /* Valid state without auth_code: refused, and the link stays usable. */
    url = callback(NULL, state);
    expect_flow_error(m, "acme", url, "auth_code_missing");
    free(url);

    /* 24 h + 1 ms later the same link has expired. */
    m->now_ms += TT_STATE_LIFETIME_MS + 1;
    url = callback("code123", state);
    expect_flow_error(m, "acme", url, "state_expired");
    {
        aconn_error err;
        run(m, ACONN_AUTHORIZE_COMPLETE, "acme", url, &err);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "valid for 24 hours"));
    }
    free(url);
    free(state);
    mock_host_free(m);
}

static void test_complete_foreign_key_and_reuse(void)
{
    mock_host *a = new_host(), *b = new_host();
    char *state, *url;
    aconn_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    /* A state from host A is foreign to host B (another state_key). */
    state = begin(a, "acme");
    CU_ASSERT_PTR_NOT_NULL_FATAL(state);
    free(begin(b, "acme"));
    url = callback("code123", state);
    expect_flow_error(b, "acme", url, "state_foreign");

    /* On host A the exchange fails (nothing listens) before TikTok took the
       code: retry later, and the same link is still good for the retry
       (reuse after a completed exchange is covered end to end). */
    for (int attempt = 0; attempt < 2; attempt++) {
        CU_ASSERT_EQUAL(run(a, ACONN_AUTHORIZE_COMPLETE, "acme", url, &err), ACONN_RETRY);
        CU_ASSERT_STRING_EQUAL(err.code, "connect_failed");
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "oauth2/access_token"));
        CU_ASSERT_FALSE(mock_host_leaks(a, &err, APP_SECRET));
        CU_ASSERT_FALSE(mock_host_leaks(a, &err, "code123"));
        CU_ASSERT_PTR_NULL(mock_host_secret(a, "token/acme"));
    }
    free(url);
    free(state);
    mock_host_free(a);
    mock_host_free(b);
}

static void test_complete_without_state_key(void)
{
    mock_host *m = new_host();
    char *url = callback("code123", "abc.def");

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    expect_flow_error(m, "acme", url, "state_foreign");
    free(url);
    mock_host_free(m);
}

/* A 40106 about one advertiser becomes a permission failure of that
   advertiser; a token rejected as a whole stays re-authorize. */
static void test_coverage_scope(void)
{
    tt_status_input in;
    aconn_error err;
    aconn_status st;

    memset(&in, 0, sizeof(in));
    in.transport = TT_TRANSPORT_OK;
    in.http_status = 200;
    in.code = 40106;
    in.message = "The core user is invalid";
    in.request_id = "rid-1";
    in.endpoint = "dmp/custom_audience/file/upload";
    in.profile = "acme";
    in.advertiser_id = "7212000000000000005";
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    st = tt_status_classify(&in, &err);
    CU_ASSERT_EQUAL(st, ACONN_REAUTHORIZE);
    st = tt_coverage_scope(st, &err, "acme", in.advertiser_id);
    CU_ASSERT_EQUAL(st, ACONN_ERR_PERMISSION);
    CU_ASSERT_EQUAL(err.status, ACONN_ERR_PERMISSION);
    CU_ASSERT_FALSE(ACONN_STATUS_IS_REAUTHORIZE(st) || ACONN_STATUS_IS_RETRY(st));
    CU_ASSERT_STRING_EQUAL(err.code, "advertiser_not_covered");
    CU_ASSERT_STRING_EQUAL(err.profile, "");
    CU_ASSERT_STRING_EQUAL(err.remote_code, "40106");
    CU_ASSERT_STRING_EQUAL(err.request_id, "rid-1");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "Ad Account 7212000000000000005"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "Admin of Ad Account"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "re-authorize profile acme"));
    CU_ASSERT_TRUE(tt_coverage_is_target_failure(&err));

    /* Revoked token (40105): the profile's failure, untouched. */
    in.code = 40105;
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    st = tt_coverage_scope(tt_status_classify(&in, &err), &err, "acme", in.advertiser_id);
    CU_ASSERT_EQUAL(st, ACONN_REAUTHORIZE);
    CU_ASSERT_STRING_EQUAL(err.profile, "acme");
    CU_ASSERT_FALSE(tt_coverage_is_target_failure(&err));

    /* 40106 on a call about no advertiser: the token as a whole. */
    in.code = 40106;
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    st = tt_coverage_scope(tt_status_classify(&in, &err), &err, "acme", NULL);
    CU_ASSERT_EQUAL(st, ACONN_REAUTHORIZE);
    CU_ASSERT_EQUAL(tt_coverage_scope(ACONN_RETRY, NULL, "acme", "1"), ACONN_RETRY);
}

static void test_status_without_token(void)
{
    mock_host *m = new_host();
    aconn_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    /* Never authorized: not "re-authorize", and nothing is written. */
    CU_ASSERT_EQUAL(run(m, ACONN_AUTHORIZE_STATUS, "acme", NULL, &err), ACONN_ERR_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.code, "not_authorized");
    CU_ASSERT_STRING_EQUAL(err.profile, "");
    CU_ASSERT_EQUAL(m->nstate, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "connector-host authorize --profile acme"));
    mock_host_free(m);
}

static void test_parse_callback(void)
{
    aconn_error err;
    char *code = NULL, *state = NULL;

    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_oauth_parse_callback("https://x.example/cb?state=a%2Eb&auth_code=c%20d"
                                            "&code=zzz", &code, &state, &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(code, "c d");
    CU_ASSERT_STRING_EQUAL(state, "a.b");
    free(code);
    free(state);
    /* No query, empty values, and names that only start alike. */
    CU_ASSERT_EQUAL(tt_oauth_parse_callback("https://x.example/cb", &code, &state, &err), ACONN_OK);
    CU_ASSERT_PTR_NULL(code);
    CU_ASSERT_PTR_NULL(state);
    CU_ASSERT_EQUAL(tt_oauth_parse_callback("https://x.example/cb?auth_code=&state_x=1&xstate=2",
                                            &code, &state, &err), ACONN_OK);
    CU_ASSERT_PTR_NULL(code);
    CU_ASSERT_PTR_NULL(state);
    CU_ASSERT_EQUAL(tt_oauth_parse_callback("not a url at all", &code, &state, &err),
                    ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "callback_malformed");
    /* A custom scheme (desktop apps) still parses. */
    CU_ASSERT_EQUAL(tt_oauth_parse_callback("myapp://cb?auth_code=k&state=s", &code, &state,
                                            &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(code, "k");
    free(code);
    free(state);
}

/* A modifiable string: the result structs hold char *. */
#define S(x) ((char[]){x})

static void test_accounts_classify(void)
{
    tt_advertiser advs[] = {
        {S("1"), S("Operator account")}, {S("2"), S("Analyst account")}, {S("3"), S("Owned by my BC")},
        {S("4"), S("Outside any BC")}, {S("5"), S("Pending link")}, {S("6"), S("Admin in second BC")},
        {S("7"), S("Owned by BC where I am STANDARD")},
    };
    tt_bc bcs[] = {{S("100"), S("Main BC"), S("ADMIN")}, {S("200"), S("Partner BC"), S("STANDARD")}};
    tt_bc_asset a1[] = {
        {S("1"), S("Operator account"), S("OWNER_PARTNER"), S("BOUND"), S("OPERATOR")},
        {S("2"), S("Analyst account"), S("OWNER_PARTNER"), S("BOUND"), S("ANALYST")},
        {S("3"), S("Owned by my BC"), S("OWNER_BC"), S("BOUND"), NULL},
        {S("5"), S("Pending link"), S("OWNER_PARTNER"), S("PENDING"), S("ADMIN")},
    };
    tt_bc_asset a2[] = {
        {S("6"), S("Admin in second BC"), S("OWNER_PARTNER"), S("BOUND"), S("ADMIN")},
        {S("7"), S("Owned by BC where I am STANDARD"), S("OWNER_BC"), S("BOUND"), S("ANALYST")},
    };
    tt_advertiser_list al = {advs, 7};
    tt_bc_list bl = {bcs, 2};
    tt_bc_asset_list assets[2] = {{a1, 4}, {a2, 2}};
    tt_account_set set;
    json_object *u, *e;

    CU_ASSERT_EQUAL_FATAL(tt_accounts_classify(&al, &bl, assets, &set), 0);
    CU_ASSERT_EQUAL_FATAL(set.nusable, 3);
    CU_ASSERT_STRING_EQUAL(set.usable[0].advertiser_id, "1");
    CU_ASSERT_STRING_EQUAL(set.usable[0].role, "OPERATOR");
    CU_ASSERT_STRING_EQUAL(set.usable[0].bc_name, "Main BC");
    CU_ASSERT_STRING_EQUAL(set.usable[1].advertiser_id, "3");
    CU_ASSERT_STRING_EQUAL(set.usable[1].role, "OWNER");
    CU_ASSERT_STRING_EQUAL(set.usable[2].advertiser_id, "6");
    CU_ASSERT_STRING_EQUAL(set.usable[2].role, "ADMIN");
    CU_ASSERT_STRING_EQUAL(set.usable[2].bc_id, "200");
    CU_ASSERT_EQUAL_FATAL(set.nexcluded, 4);
    CU_ASSERT_STRING_EQUAL(set.excluded[0].advertiser_id, "2");
    CU_ASSERT_STRING_EQUAL(set.excluded[0].reason, "read_only_role");
    CU_ASSERT_PTR_NOT_NULL(strstr(set.excluded[0].detail, "ANALYST"));
    CU_ASSERT_STRING_EQUAL(set.excluded[1].advertiser_id, "4");
    CU_ASSERT_STRING_EQUAL(set.excluded[1].reason, "outside_business_center");
    CU_ASSERT_STRING_EQUAL(set.excluded[2].advertiser_id, "5");
    CU_ASSERT_STRING_EQUAL(set.excluded[2].reason, "not_bound");
    CU_ASSERT_STRING_EQUAL(set.excluded[3].advertiser_id, "7");
    CU_ASSERT_STRING_EQUAL(set.excluded[3].reason, "read_only_role");
    u = tt_accounts_usable_json(&set);
    e = tt_accounts_excluded_json(&set);
    CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(json_object_array_get_idx(u, 1),
                                                          JSON_C_TO_STRING_PLAIN),
                           "{\"advertiser_id\":\"3\",\"name\":\"Owned by my BC\","
                           "\"bc_id\":\"100\",\"bc_name\":\"Main BC\",\"role\":\"OWNER\"}");
    CU_ASSERT_EQUAL(json_object_array_length(e), 4);
    json_object_put(u);
    json_object_put(e);
    tt_account_set_free(&set);
    CU_ASSERT_EQUAL(set.nusable, 0);
}

int main(void)
{
    static const ts_test tests[] = {
        {"BEGIN writes url, expiry, profile", test_begin_output},
        {"BEGIN errors: profile, redirect_uri, app_id", test_begin_errors},
        {"COMPLETE state errors", test_complete_state_errors},
        {"COMPLETE foreign key; nonce reuse", test_complete_foreign_key_and_reuse},
        {"COMPLETE on a host that never began", test_complete_without_state_key},
        {"STATUS never authorized: not_authorized, nothing written", test_status_without_token},
        {"40106 on one Ad Account: that account's failure", test_coverage_scope},
        {"callback parsing", test_parse_callback},
        {"Ad Account roles: usable and excluded", test_accounts_classify},
    };
    static const ts_suite suites[] = {
        {"tt_oauth (no TikTok)", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
    curl_global_cleanup();
    return rc;
}
