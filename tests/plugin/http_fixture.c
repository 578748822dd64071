/*
 * http_fixture.c - the loopback server and the tt_http fixture that
 * test_http_retry and test_http_transport share (see http_fixture.h).
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "http_fixture.h"

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

/* One request once its body is in: the server, the connection, the body
 * (NULL if none) and the custom_audience_ids argument (NULL if none). */
typedef struct route_req {
    srv *s;
    struct MHD_Connection *c;
    const char *data;
    const char *ids;
} route_req;

/* JSON bodies up to 64 KiB (big/) plus room for the rest. */
#define ROUTE_BODY_MAX (65536 + 64)

static void bump(srv *s, int *counter)
{
    pthread_mutex_lock(&s->lock);
    (*counter)++;
    pthread_mutex_unlock(&s->lock);
}

static enum MHD_Result r_ok(const route_req *r)
{
    bump(r->s, &r->s->hits_ok);
    return reply(r->c, 200, "{\"code\":0,\"message\":\"OK\",\"request_id\":\"rid-ok\","
                            "\"data\":{\"list\":[]}}", NULL);
}

static enum MHD_Result r_echo(const route_req *r)
{
    pthread_mutex_lock(&r->s->lock);
    snprintf(r->s->last_body, sizeof(r->s->last_body), "%s", r->data != NULL ? r->data : "");
    pthread_mutex_unlock(&r->s->lock);
    return reply(r->c, 200, "{\"code\":0,\"message\":\"OK\",\"data\":{}}", NULL);
}

static enum MHD_Result r_http503(const route_req *r)
{
    bump(r->s, &r->s->hits_http503);
    return reply(r->c, 503, "<html>Service Unavailable</html>", NULL);
}

static enum MHD_Result r_flaky(const route_req *r)
{
    int n;

    pthread_mutex_lock(&r->s->lock);
    n = ++r->s->hits_flaky;
    pthread_mutex_unlock(&r->s->lock);
    return reply(r->c, 200, n <= 2 ? "{\"code\":50002,\"message\":\"busy\",\"request_id\":\"r\"}"
                                   : "{\"code\":0,\"message\":\"OK\",\"data\":{}}", NULL);
}

static enum MHD_Result r_throttled(const route_req *r)
{
    bump(r->s, &r->s->hits_throttled);
    return reply(r->c, 200, "{\"code\":40100,\"message\":\"Too many requests\"}", NULL);
}

static enum MHD_Result r_rejected(const route_req *r)
{
    bump(r->s, &r->s->hits_rejected);
    return reply(r->c, 200, "{\"code\":40002,\"message\":\"Parameter error: invalid audience "
                            "ID\",\"request_id\":\"rid-40002\",\"data\":{}}", NULL);
}

static enum MHD_Result r_drop(const route_req *r)
{
    bump(r->s, &r->s->hits_drop);
    return MHD_NO;   /* close the connection without an answer */
}

static enum MHD_Result r_create(const route_req *r)
{
    bump(r->s, &r->s->hits_create);
    return MHD_NO;   /* close the connection without an answer */
}

static enum MHD_Result r_redirect(const route_req *r)
{
    char loc[sizeof(r->s->base) + 64];

    snprintf(loc, sizeof(loc), "%s" P "ok/", r->s->base);
    return reply(r->c, 302, "", loc);
}

static enum MHD_Result r_slow(const route_req *r)
{
    struct timespec ts = {1, 500000000L};

    nanosleep(&ts, NULL);
    return reply(r->c, 200, "{\"code\":0,\"message\":\"OK\",\"data\":{}}", NULL);
}

static enum MHD_Result r_notjson(const route_req *r)
{
    return reply(r->c, 200, "<html>oops</html>", NULL);
}

static enum MHD_Result r_truncated(const route_req *r)
{
    return reply(r->c, 200, "{\"code\":0,\"data\":{\"list\":[{\"audience_id\":", NULL);
}

static enum MHD_Result r_big(const route_req *r)
{
    char body[ROUTE_BODY_MAX];

    memset(body, ' ', 65536);
    memcpy(body, "{\"code\":0}", 10);
    body[65536] = '\0';
    return reply(r->c, 200, body, NULL);
}

static enum MHD_Result r_get(const route_req *r)
{
    char body[ROUTE_BODY_MAX];
    const char *ids = r->ids;

    /* ids is the JSON-array text: ["gone"], ["busy"] or another id. */
    if (ids != NULL && strstr(ids, "\"gone\"") != NULL)
        return reply(r->c, 200, "{\"code\":40007,\"message\":\"The custom audience does "
                                "not exist\",\"request_id\":\"r7\",\"data\":{}}", NULL);
    snprintf(body, sizeof(body),
             "{\"code\":0,\"message\":\"OK\",\"data\":{\"list\":[{\"audience_id\":"
             "\"%s\",\"name\":\"A\",\"is_valid\":%s,\"cover_num\":1234}]}}",
             ids != NULL && strstr(ids, "busy") != NULL ? "busy" : "77",
             ids != NULL && strstr(ids, "busy") != NULL ? "false" : "true");
    return reply(r->c, 200, body, NULL);
}

static enum MHD_Result r_list(const route_req *r)
{
    char body[ROUTE_BODY_MAX];
    const char *page = MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, "page");
    int p = page != NULL ? atoi(page) : 1;

    bump(r->s, &r->s->hits_list);
    /* IDs as JSON numbers, as TikTok may send them. */
    snprintf(body, sizeof(body),
             "{\"code\":0,\"message\":\"OK\",\"data\":{\"page_info\":{\"page\":%d,"
             "\"total_page\":3},\"list\":[{\"audience_id\":%d01,\"name\":\"a\","
             "\"cover_num\":1500,\"is_valid\":true},{\"audience_id\":\"%d02\","
             "\"name\":\"b\",\"is_valid\":false}]}}", p, p, p);
    return reply(r->c, 200, body, NULL);
}

static enum MHD_Result r_upload(const route_req *r)
{
    char body[ROUTE_BODY_MAX], adv[64];

    pthread_mutex_lock(&r->s->lock);
    r->s->hits_upload++;
    snprintf(r->s->last_upload, sizeof(r->s->last_upload), "%s",
             r->data != NULL ? r->data : "");
    pthread_mutex_unlock(&r->s->lock);
    upload_advertiser(r->data != NULL ? r->data : "", adv, sizeof(adv));
    if (strcmp(adv, "adv-denied") == 0)
        return reply(r->c, 200, "{\"code\":40001,\"message\":\"No permission\","
                                "\"request_id\":\"rid-perm\",\"data\":{}}", NULL);
    snprintf(body, sizeof(body), "{\"code\":0,\"message\":\"OK\",\"data\":"
                                 "{\"file_path\":\"fp-%s\"}}", adv);
    return reply(r->c, 200, body, NULL);
}

static const struct route {
    const char *path;
    enum MHD_Result (*fn)(const route_req *r);
} routes[] = {
    {P "ok/", r_ok},
    {P "echo/", r_echo},
    {P "http503/", r_http503},
    {P "flaky/", r_flaky},
    {P "throttled/", r_throttled},
    {P "rejected/", r_rejected},
    {P "drop/", r_drop},
    {P "dmp/custom_audience/create/", r_create},
    {P "redirect/", r_redirect},
    {P "slow/", r_slow},
    {P "notjson/", r_notjson},
    {P "truncated/", r_truncated},
    {P "big/", r_big},
    {P "dmp/custom_audience/get/", r_get},
    {P "dmp/custom_audience/list/", r_list},
    {P "dmp/custom_audience/file/upload/", r_upload},
};

/* Records what every request carried: token, query arguments, ids. */
static const char *record_request(srv *s, struct MHD_Connection *c)
{
    const char *tok, *ids;

    pthread_mutex_lock(&s->lock);
    tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Token");
    snprintf(s->last_token, sizeof(s->last_token), "%s", tok != NULL ? tok : "");
    s->last_args[0] = '\0';
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, s);
    ids = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "custom_audience_ids");
    snprintf(s->last_ids, sizeof(s->last_ids), "%s", ids != NULL ? ids : "");
    pthread_mutex_unlock(&s->lock);
    return ids;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    srv *s = cls;
    req_buf *b = *con_cls;
    route_req r;

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
    r = (route_req){s, c, b->data, record_request(s, c)};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(url, routes[i].path) == 0)
            return routes[i].fn(&r);
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

int srv_start(srv *s, const char *key_pem, const char *cert_pem)
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

void srv_stop(srv *s)
{
    if (s->d != NULL)
        MHD_stop_daemon(s->d);
    s->d = NULL;
    pthread_mutex_destroy(&s->lock);
}

srv plain;

int fixture_init(fixture *f, const char *base, const char *ca_file)
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

void fixture_free(fixture *f)
{
    /* Nothing secret may reach the log, an error or an output. */
    CU_ASSERT_FALSE(mock_host_leaks(f->m, &f->err, TOKEN));
    tt_response_free(&f->resp);
    tt_http_cleanup(&f->http);
    mock_host_free(f->m);
}

aconn_status call(fixture *f, const char *endpoint, json_object *query)
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

static int suite_init(void)
{
    return srv_start(&plain, NULL, NULL);
}

static int suite_clean(void)
{
    srv_stop(&plain);
    return 0;
}

int http_fixture_run(const char *name, const ts_test *tests, size_t ntests)
{
    const ts_suite suites[] = {
        {name, suite_init, suite_clean, tests, ntests},
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
    curl_global_cleanup();
    return rc;
}
