/*
 * test_http_transport.c - tt_http against a tiny loopback server started in
 * this process (libmicrohttpd), for transport edge cases only: HTTP 5xx,
 * dropped connections, redirects not followed, timeouts, oversized and
 * non-JSON bodies, retries, the Access-Token header, multipart uploads in
 * parallel, and TLS with a trusted and an untrusted certificate. TikTok's
 * semantics are the sandbox's job; this server knows just enough to answer.
 */
#include <config.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mock_host.h"
#include "tiktok/tt_api.h"
#include "tiktok/tt_http.h"
#include "ts_cunit.h"

#define TOKEN "tok-SECRET-9f8e7d6c5b4a"
#define P "/open_api/v1.3/"

/* ------------------------------------------------------------------ */
/* Loopback server                                                     */
/* ------------------------------------------------------------------ */

typedef struct srv {
    struct MHD_Daemon *d;
    unsigned port;
    pthread_mutex_t lock;
    int hits_ok, hits_flaky, hits_throttled, hits_rejected, hits_create, hits_list,
        hits_upload, hits_drop, hits_http503;
    char last_token[128];
    char last_args[2048];
    char last_ids[256];
    char last_upload[4096];
    char last_body[512];        /* the body of the last POST to echo/ */
    char base[64];
} srv;

typedef struct req_buf {
    char *data;
    size_t len;
} req_buf;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    srv *s = cls;
    size_t n = strlen(s->last_args);

    (void) kind;
    snprintf(s->last_args + n, sizeof(s->last_args) - n, "%s=%s&", key,
             value != NULL ? value : "");
    return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             const char *location)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *) body,
                                                             MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (location != NULL)
        MHD_add_response_header(r, "Location", location);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The advertiser_id field of a multipart body, for the answer. */
static void upload_advertiser(const char *body, char *out, size_t n)
{
    const char *p = strstr(body, "name=\"advertiser_id\"\r\n\r\n");
    size_t i = 0;

    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen("name=\"advertiser_id\"\r\n\r\n");
    while (p[i] != '\0' && p[i] != '\r' && i + 1 < n) {
        out[i] = p[i];
        i++;
    }
    out[i] = '\0';
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    srv *s = cls;
    req_buf *b = *con_cls;
    char body[65536 + 64], adv[64];
    const char *tok, *ids;

    (void) method;
    (void) version;
    if (b == NULL) {
        b = calloc(1, sizeof(*b));
        if (b == NULL)
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        char *p = realloc(b->data, b->len + *upload_data_size + 1);
        if (p == NULL)
            return MHD_NO;
        memcpy(p + b->len, upload_data, *upload_data_size);
        b->len += *upload_data_size;
        p[b->len] = '\0';
        b->data = p;
        *upload_data_size = 0;
        return MHD_YES;
    }

    pthread_mutex_lock(&s->lock);
    tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Token");
    snprintf(s->last_token, sizeof(s->last_token), "%s", tok != NULL ? tok : "");
    s->last_args[0] = '\0';
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, s);
    ids = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "custom_audience_ids");
    snprintf(s->last_ids, sizeof(s->last_ids), "%s", ids != NULL ? ids : "");
    pthread_mutex_unlock(&s->lock);

    if (strcmp(url, P "ok/") == 0) {
        pthread_mutex_lock(&s->lock);
        s->hits_ok++;
        pthread_mutex_unlock(&s->lock);
        return reply(c, 200, "{\"code\":0,\"message\":\"OK\",\"request_id\":\"rid-ok\","
                             "\"data\":{\"list\":[]}}", NULL);
    }
    if (strcmp(url, P "echo/") == 0) {
        pthread_mutex_lock(&s->lock);
        snprintf(s->last_body, sizeof(s->last_body), "%s", b->data != NULL ? b->data : "");
        pthread_mutex_unlock(&s->lock);
        return reply(c, 200, "{\"code\":0,\"message\":\"OK\",\"data\":{}}", NULL);
    }
    if (strcmp(url, P "http503/") == 0) {
        pthread_mutex_lock(&s->lock);
        s->hits_http503++;
        pthread_mutex_unlock(&s->lock);
        return reply(c, 503, "<html>Service Unavailable</html>", NULL);
    }
    if (strcmp(url, P "flaky/") == 0) {
        int n;
        pthread_mutex_lock(&s->lock);
        n = ++s->hits_flaky;
        pthread_mutex_unlock(&s->lock);
        return reply(c, 200, n <= 2 ? "{\"code\":50002,\"message\":\"busy\",\"request_id\":\"r\"}"
                                    : "{\"code\":0,\"message\":\"OK\",\"data\":{}}", NULL);
    }
    if (strcmp(url, P "throttled/") == 0) {
        pthread_mutex_lock(&s->lock);
        s->hits_throttled++;
        pthread_mutex_unlock(&s->lock);
        return reply(c, 200, "{\"code\":40100,\"message\":\"Too many requests\"}", NULL);
    }
    if (strcmp(url, P "rejected/") == 0) {
        pthread_mutex_lock(&s->lock);
        s->hits_rejected++;
        pthread_mutex_unlock(&s->lock);
        return reply(c, 200, "{\"code\":40002,\"message\":\"Parameter error: invalid audience "
                             "ID\",\"request_id\":\"rid-40002\",\"data\":{}}", NULL);
    }
    if (strcmp(url, P "drop/") == 0 || strcmp(url, P "dmp/custom_audience/create/") == 0) {
        pthread_mutex_lock(&s->lock);
        if (strcmp(url, P "drop/") == 0)
            s->hits_drop++;
        else
            s->hits_create++;
        pthread_mutex_unlock(&s->lock);
        return MHD_NO;   /* close the connection without an answer */
    }
    if (strcmp(url, P "redirect/") == 0) {
        snprintf(body, sizeof(body), "%s" P "ok/", s->base);
        return reply(c, 302, "", body);
    }
    if (strcmp(url, P "slow/") == 0) {
        struct timespec ts = {1, 500000000L};
        nanosleep(&ts, NULL);
        return reply(c, 200, "{\"code\":0,\"message\":\"OK\",\"data\":{}}", NULL);
    }
    if (strcmp(url, P "notjson/") == 0)
        return reply(c, 200, "<html>oops</html>", NULL);
    if (strcmp(url, P "truncated/") == 0)
        return reply(c, 200, "{\"code\":0,\"data\":{\"list\":[{\"audience_id\":", NULL);
    if (strcmp(url, P "big/") == 0) {
        memset(body, ' ', 65536);
        memcpy(body, "{\"code\":0}", 10);
        body[65536] = '\0';
        return reply(c, 200, body, NULL);
    }
    if (strcmp(url, P "dmp/custom_audience/get/") == 0) {
        /* ids is the JSON-array text: ["gone"], ["busy"] or another id. */
        if (ids != NULL && strstr(ids, "\"gone\"") != NULL)
            return reply(c, 200, "{\"code\":40007,\"message\":\"The custom audience does "
                                 "not exist\",\"request_id\":\"r7\",\"data\":{}}", NULL);
        snprintf(body, sizeof(body),
                 "{\"code\":0,\"message\":\"OK\",\"data\":{\"list\":[{\"audience_id\":"
                 "\"%s\",\"name\":\"A\",\"is_valid\":%s,\"cover_num\":1234}]}}",
                 ids != NULL && strstr(ids, "busy") != NULL ? "busy" : "77",
                 ids != NULL && strstr(ids, "busy") != NULL ? "false" : "true");
        return reply(c, 200, body, NULL);
    }
    if (strcmp(url, P "dmp/custom_audience/list/") == 0) {
        const char *page = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page");
        int p = page != NULL ? atoi(page) : 1;
        pthread_mutex_lock(&s->lock);
        s->hits_list++;
        pthread_mutex_unlock(&s->lock);
        /* IDs as JSON numbers, as TikTok may send them. */
        snprintf(body, sizeof(body),
                 "{\"code\":0,\"message\":\"OK\",\"data\":{\"page_info\":{\"page\":%d,"
                 "\"total_page\":3},\"list\":[{\"audience_id\":%d01,\"name\":\"a\","
                 "\"cover_num\":1500,\"is_valid\":true},{\"audience_id\":\"%d02\","
                 "\"name\":\"b\",\"is_valid\":false}]}}", p, p, p);
        return reply(c, 200, body, NULL);
    }
    if (strcmp(url, P "dmp/custom_audience/file/upload/") == 0) {
        pthread_mutex_lock(&s->lock);
        s->hits_upload++;
        snprintf(s->last_upload, sizeof(s->last_upload), "%s", b->data != NULL ? b->data : "");
        pthread_mutex_unlock(&s->lock);
        upload_advertiser(b->data != NULL ? b->data : "", adv, sizeof(adv));
        if (strcmp(adv, "adv-denied") == 0)
            return reply(c, 200, "{\"code\":40001,\"message\":\"No permission\","
                                 "\"request_id\":\"rid-perm\",\"data\":{}}", NULL);
        snprintf(body, sizeof(body), "{\"code\":0,\"message\":\"OK\",\"data\":"
                                     "{\"file_path\":\"fp-%s\"}}", adv);
        return reply(c, 200, body, NULL);
    }
    return reply(c, 404, "page not found", NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    req_buf *b = *con_cls;

    (void) cls;
    (void) c;
    (void) toe;
    if (b != NULL) {
        free(b->data);
        free(b);
        *con_cls = NULL;
    }
}

static int srv_start(srv *s, const char *key_pem, const char *cert_pem)
{
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;

    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (key_pem != NULL) {
        s->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handler, s,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                                MHD_OPTION_HTTPS_MEM_KEY, key_pem,
                                MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_END);
    } else {
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, s,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
    }
    if (s->d == NULL)
        return -1;
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL)
        return -1;
    s->port = info->port;
    snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%u", key_pem != NULL ? "https" : "http",
             s->port);
    return 0;
}

static void srv_stop(srv *s)
{
    if (s->d != NULL)
        MHD_stop_daemon(s->d);
    s->d = NULL;
    pthread_mutex_destroy(&s->lock);
}

static srv plain;

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

typedef struct fixture {
    mock_host *m;
    tt_http http;
    aconn_error err;
    tt_response resp;
} fixture;

static int fixture_init(fixture *f, const char *base, const char *ca_file)
{
    memset(f, 0, sizeof(*f));
    f->m = mock_host_new();
    if (f->m == NULL)
        return -1;
    mock_host_set_option(f->m, "api_base", base);
    if (ca_file != NULL)
        mock_host_set_option(f->m, "ca_file", ca_file);
    mock_error_init(&f->err);
    if (tt_http_init(&f->http, &f->m->host, &f->err) != ACONN_OK)
        return -1;
    f->http.timeout_ms = 3000;
    return 0;
}

static void fixture_free(fixture *f)
{
    /* Nothing secret may reach the log, an error or an output. */
    CU_ASSERT_FALSE(mock_host_leaks(f->m, &f->err, TOKEN));
    tt_response_free(&f->resp);
    tt_http_cleanup(&f->http);
    mock_host_free(f->m);
}

static aconn_status call(fixture *f, const char *endpoint, json_object *query)
{
    tt_request req;

    memset(&req, 0, sizeof(req));
    req.method = TT_GET;
    req.endpoint = endpoint;
    req.query = query;
    req.token = TOKEN;
    req.profile = "acme";
    mock_error_init(&f->err);
    return tt_http_call(&f->http, &f->m->host, &req, &f->resp, &f->err);
}

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

static void test_redirect_not_followed(void)
{
    fixture f;
    int before = plain.hits_ok;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    CU_ASSERT_EQUAL(call(&f, "redirect", NULL), ACONN_ERR_REJECTED);
    CU_ASSERT_STRING_EQUAL(f.err.code, "redirect_refused");
    CU_ASSERT_EQUAL(f.err.http_status, 302);
    CU_ASSERT_EQUAL(plain.hits_ok - before, 0);
    fixture_free(&f);
}

static void test_timeout(void)
{
    fixture f;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    f.http.timeout_ms = 300;
    f.http.max_attempts = 1;
    CU_ASSERT_EQUAL(call(&f, "slow", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "timeout");
    fixture_free(&f);
}

static void test_bad_bodies(void)
{
    fixture f;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    f.http.max_attempts = 1;
    CU_ASSERT_EQUAL(call(&f, "notjson", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "bad_response");
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.message, "notjson"));
    CU_ASSERT_EQUAL(call(&f, "truncated", NULL), ACONN_RETRY);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.message, "truncated JSON"));
    f.http.max_body = 4096;
    CU_ASSERT_EQUAL(call(&f, "big", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "response_too_large");
    CU_ASSERT_EQUAL(call(&f, "no/such/endpoint", NULL), ACONN_ERR_REJECTED);
    CU_ASSERT_STRING_EQUAL(f.err.code, "http_404");
    fixture_free(&f);
}

static void test_connect_refused_and_cancel(void)
{
    fixture f;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "http://127.0.0.1:1", NULL), 0);
    f.http.max_attempts = 2;
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "connect_failed");
    CU_ASSERT_EQUAL(f.http.stats.retries, 1);
    fixture_free(&f);

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    plain.hits_flaky = 0;
    f.m->cancelled = 1;
    CU_ASSERT_EQUAL(call(&f, "flaky", NULL), ACONN_RETRY_CANCELLED);
    CU_ASSERT_EQUAL(plain.hits_flaky, 0);
    fixture_free(&f);
}

static void test_list_pages(void)
{
    fixture f;
    tt_api api;
    tt_audience_list l;
    int before = plain.hits_list;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    api.http = &f.http;
    api.host = &f.m->host;
    api.token = TOKEN;
    api.profile = "acme";
    CU_ASSERT_EQUAL_FATAL(tt_api_audience_list(&api, "7001", &l, &f.err), ACONN_OK);
    CU_ASSERT_EQUAL(plain.hits_list - before, 3);
    CU_ASSERT_EQUAL_FATAL(l.count, 6);
    CU_ASSERT_STRING_EQUAL(l.items[0].audience_id, "101");
    CU_ASSERT_EQUAL(l.items[0].cover_num, 1500);
    CU_ASSERT_TRUE(l.items[0].is_valid);
    CU_ASSERT_STRING_EQUAL(l.items[5].audience_id, "302");
    CU_ASSERT_EQUAL(l.items[5].cover_num, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_args, "page_size=100&"));
    tt_audience_list_free(&l);
    fixture_free(&f);
}

static void test_parallel_upload(void)
{
    fixture f;
    tt_api api;
    char dir[] = "/tmp/tt_upload_XXXXXX";
    char path[64];
    const char *advs[] = {"adv-1", "adv-denied", "adv-3"};
    tt_upload_result res[3];
    /* The file's MD5 (md5sum of content): the spool computes it as it
       writes; here it is a constant so a wrong signature sent shows. */
    static const char md5[] = "63ab4e2b2f23dc4e447dfbe641d225c9";
    int fd, before = plain.hits_upload;
    static const char content[] = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8\n";

    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/tt_upload_ids.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, content, strlen(content)), (ssize_t) strlen(content));
    close(fd);
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    api.http = &f.http;
    api.host = &f.m->host;
    api.token = TOKEN;
    api.profile = "acme";
    /* Each upload waits its own turn in the pace (ABI 1.2). */
    mock_host_enable_pace(f.m, 20);
    CU_ASSERT_EQUAL(tt_api_file_upload_many(&api, advs, 3, "EMAIL_SHA256", path, md5, res),
                    ACONN_ERR_PERMISSION);
    CU_ASSERT_EQUAL(plain.hits_upload - before, 3);
    CU_ASSERT_EQUAL(f.m->pace_grants, 3);
    CU_ASSERT_STRING_EQUAL(f.m->pace_key, "default/dmp/custom_audience/file/upload");
    CU_ASSERT_EQUAL(res[0].status, ACONN_OK);
    CU_ASSERT_STRING_EQUAL(res[0].file_path, "fp-adv-1");
    CU_ASSERT_EQUAL(res[1].status, ACONN_ERR_PERMISSION);
    CU_ASSERT_PTR_NULL(res[1].file_path);
    CU_ASSERT_PTR_NOT_NULL(strstr(res[1].err.message, "adv-denied"));
    CU_ASSERT_EQUAL(res[2].status, ACONN_OK);
    CU_ASSERT_STRING_EQUAL(res[2].file_path, "fp-adv-3");
    /* The multipart body carried every field and the file itself. */
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, "name=\"calculate_type\"\r\n\r\nEMAIL_SHA256"));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, "name=\"file_signature\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, md5));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, "filename=\"tt_upload_"));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, content));
    CU_ASSERT_EQUAL(f.http.stats.bytes_uploaded > 2 * strlen(content), 1);
    tt_upload_results_free(res, 3);
    fixture_free(&f);
    unlink(path);
    rmdir(dir);
}

/* ---- TLS ---- */

typedef struct tls_id {
    char *key_pem;
    char *cert_pem;
    char ca_path[64];
} tls_id;

static char *bio_text(BIO *bio)
{
    char *data = NULL, *out;
    long n = BIO_get_mem_data(bio, &data);

    out = malloc((size_t) n + 1);
    if (out != NULL) {
        memcpy(out, data, (size_t) n);
        out[n] = '\0';
    }
    return out;
}

/* A self-signed certificate for 127.0.0.1, usable as its own CA. */
static int tls_id_make(tls_id *id, long serial)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    FILE *f;
    int fd, rc = -1;

    memset(id, 0, sizeof(*id));
    if (pkey == NULL || x == NULL || kb == NULL || cb == NULL)
        goto cleanup;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "127.0.0.1",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    if (ext == NULL)
        goto cleanup;
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    if (ext == NULL)
        goto cleanup;
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (X509_sign(x, pkey, EVP_sha256()) == 0
        || PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1
        || PEM_write_bio_X509(cb, x) != 1)
        goto cleanup;
    id->key_pem = bio_text(kb);
    id->cert_pem = bio_text(cb);
    snprintf(id->ca_path, sizeof(id->ca_path), "/tmp/tt_ca_XXXXXX");
    fd = mkstemp(id->ca_path);
    if (fd < 0 || id->key_pem == NULL || id->cert_pem == NULL)
        goto cleanup;
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        goto cleanup;
    }
    fputs(id->cert_pem, f);
    fclose(f);
    rc = 0;
cleanup:
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

static void tls_id_free(tls_id *id)
{
    if (id->ca_path[0] != '\0')
        unlink(id->ca_path);
    free(id->key_pem);
    free(id->cert_pem);
}

static void test_tls(void)
{
    tls_id good, other;
    srv tls;
    fixture f;

    CU_ASSERT_TRUE_FATAL(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES);
    CU_ASSERT_EQUAL_FATAL(tls_id_make(&good, 1), 0);
    CU_ASSERT_EQUAL_FATAL(tls_id_make(&other, 2), 0);
    CU_ASSERT_EQUAL_FATAL(srv_start(&tls, good.key_pem, good.cert_pem), 0);

    /* Trusted through ca_file: works. */
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, tls.base, good.ca_path), 0);
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_OK);
    fixture_free(&f);

    /* Another CA: refused, and not retried within the call. */
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, tls.base, other.ca_path), 0);
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "tls_failed");
    CU_ASSERT_EQUAL(f.http.stats.retries, 0);
    fixture_free(&f);

    /* The system store does not know a throwaway CA either. */
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, tls.base, NULL), 0);
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "tls_failed");
    fixture_free(&f);

    CU_ASSERT_EQUAL(tls.hits_ok, 1);
    srv_stop(&tls);
    tls_id_free(&good);
    tls_id_free(&other);
}

static int suite_init(void)
{
    return srv_start(&plain, NULL, NULL);
}

static int suite_clean(void)
{
    srv_stop(&plain);
    return 0;
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
        {"redirect not followed", test_redirect_not_followed},
        {"timeout", test_timeout},
        {"non-JSON, truncated, oversized, 404", test_bad_bodies},
        {"connection refused; cancelled", test_connect_refused_and_cancel},
        {"list follows total_page", test_list_pages},
        {"parallel multipart upload", test_parallel_upload},
        {"TLS: trusted CA, wrong CA, system store", test_tls},
    };
    static const ts_suite suites[] = {
        {"tt_http on loopback", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]},
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
    curl_global_cleanup();
    return rc;
}
