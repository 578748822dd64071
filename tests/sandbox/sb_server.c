/* sb_server.c: libmicrohttpd glue. Routing (exact paths, so a missing
 * trailing slash is a 404 like TikTok's), the response envelope, request
 * counting, fault injection, Access-Token checks and body collection.
 * Handlers only read the request and fill in an outcome; this file turns
 * the outcome into HTTP. */
#include "sb.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SB_MAX_JSON_BODY (4L * 1024 * 1024)

enum {
    R_TIKTOK = 1,     /* TikTok API: counted, faulted */
    R_TOKEN = 2,      /* needs Access-Token */
};

typedef struct {
    const char *path;
    const char *method;
    sb_handler fn;
    int body;
    int flags;
} sb_route;

#define API "/open_api/v1.3/"
static const sb_route routes[] = {
    {API "oauth2/access_token/", "POST", sb_h_access_token, SB_BODY_JSON, R_TIKTOK},
    {API "oauth2/advertiser/get/", "GET", sb_h_advertiser_get, SB_BODY_NONE, R_TIKTOK | R_TOKEN},
    {API "oauth2/revoke_token/", "POST", sb_h_revoke_token, SB_BODY_JSON, R_TIKTOK},
    {API "user/info/", "GET", sb_h_user_info, SB_BODY_NONE, R_TIKTOK | R_TOKEN},
    {API "bc/get/", "GET", sb_h_bc_get, SB_BODY_NONE, R_TIKTOK | R_TOKEN},
    {API "bc/asset/get/", "GET", sb_h_bc_asset_get, SB_BODY_NONE, R_TIKTOK | R_TOKEN},
    {API "advertiser/info/", "GET", sb_h_advertiser_info, SB_BODY_NONE, R_TIKTOK | R_TOKEN},
    {API "dmp/custom_audience/file/upload/", "POST", sb_h_upload, SB_BODY_MULTIPART,
     R_TIKTOK | R_TOKEN},
    {API "dmp/custom_audience/create/", "POST", sb_h_aud_create, SB_BODY_JSON, R_TIKTOK | R_TOKEN},
    {API "dmp/custom_audience/update/", "POST", sb_h_aud_update, SB_BODY_JSON, R_TIKTOK | R_TOKEN},
    {API "dmp/custom_audience/get/", "GET", sb_h_aud_get, SB_BODY_NONE, R_TIKTOK | R_TOKEN},
    {API "dmp/custom_audience/list/", "GET", sb_h_aud_list, SB_BODY_NONE, R_TIKTOK | R_TOKEN},
    {API "dmp/custom_audience/delete/", "POST", sb_h_aud_delete, SB_BODY_JSON, R_TIKTOK | R_TOKEN},
    {API "dmp/custom_audience/share/", "POST", sb_h_aud_share, SB_BODY_JSON, R_TIKTOK | R_TOKEN},
    {"/portal/auth", "GET", sb_h_portal_auth, SB_BODY_NONE, 0},
    {"/sandbox/world", "GET", sb_h_ctl_world, SB_BODY_NONE, 0},
    {"/sandbox/audiences", "GET", sb_h_ctl_audiences, SB_BODY_NONE, 0},
    {"/sandbox/audience/members", "GET", sb_h_ctl_members, SB_BODY_NONE, 0},
    {"/sandbox/world/lookalike", "POST", sb_h_ctl_world_lookalike, SB_BODY_RAW, 0},
    {"/sandbox/oplog", "GET", sb_h_ctl_oplog, SB_BODY_NONE, 0},
    {"/sandbox/requests", "GET", sb_h_ctl_requests, SB_BODY_NONE, 0},
    {"/sandbox/reset", "POST", sb_h_ctl_reset, SB_BODY_RAW, 0},
    {"/sandbox/clock", "GET", sb_h_ctl_clock, SB_BODY_NONE, 0},
    {"/sandbox/clock", "POST", sb_h_ctl_clock, SB_BODY_RAW, 0},
    {"/sandbox/faults", "GET", sb_h_ctl_faults, SB_BODY_NONE, 0},
    {"/sandbox/faults", "POST", sb_h_ctl_faults, SB_BODY_RAW, 0},
    {"/sandbox/inject", "GET", sb_h_ctl_inject, SB_BODY_NONE, 0},
    {"/sandbox/inject", "POST", sb_h_ctl_inject, SB_BODY_RAW, 0},
    {"/sandbox/world/role", "POST", sb_h_ctl_world_role, SB_BODY_RAW, 0},
    {"/sandbox/world/owner_bc", "POST", sb_h_ctl_world_owner_bc, SB_BODY_RAW, 0},
    {"/sandbox/world/bc_member", "POST", sb_h_ctl_world_bc_member, SB_BODY_RAW, 0},
    {"/sandbox/tokens/revoke", "POST", sb_h_ctl_tokens_revoke, SB_BODY_RAW, 0},
    {"/sandbox/world/state", "GET", sb_h_ctl_world_state, SB_BODY_NONE, 0},
    {"/sandbox/options", "GET", sb_h_ctl_options, SB_BODY_NONE, 0},
    {"/sandbox/options", "POST", sb_h_ctl_options, SB_BODY_RAW, 0},
    {"/sandbox/audience/processing", "POST", sb_h_ctl_aud_processing, SB_BODY_RAW, 0},
};

struct sb_server {
    struct MHD_Daemon *d;
    sb_ctx *ctx;
};

/* ---- outcome setters ------------------------------------------------------ */

void sb_fail(sb_req *req, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(req->message, sizeof req->message, fmt, ap);
    va_end(ap);
    req->code = code;
    json_object_put(req->data);
    req->data = NULL;
}

void sb_ok(sb_req *req, json_object *data)
{
    req->code = 0;
    snprintf(req->message, sizeof req->message, "OK");
    json_object_put(req->data);
    req->data = data;
}

void sb_raw_take(sb_req *req, unsigned status, const char *type, char *body)
{
    free(req->raw_body);
    req->http_status = status;
    req->raw_type = type;
    req->raw_body = body;
}

void sb_raw(sb_req *req, unsigned status, const char *type, const char *body)
{
    sb_raw_take(req, status, type, strdup(body));
}

const char *sb_query(sb_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

int sb_require_adv(sb_ctx *ctx, sb_req *req, const char *adv_id, bool write)
{
    json_object *n;

    /* Every API call about an account passes here (under ctx->lock), so
       tests can tell what one Ad Account cost, refused calls included. */
    if (ctx->by_advertiser != NULL && adv_id != NULL) {
        if (json_object_object_get_ex(ctx->by_advertiser, adv_id, &n))
            json_object_set_int64(n, json_object_get_int64(n) + 1);
        else
            json_object_object_add(ctx->by_advertiser, adv_id, json_object_new_int64(1));
    }
    return sb_check_adv(ctx, req, adv_id, write);
}

int sb_check_adv(sb_ctx *ctx, sb_req *req, const char *adv_id, bool write)
{
    int r = sb_w_role(ctx, req->user_id, adv_id);

    if (r == SB_ROLE_NONE) {
        sb_fail(req, 40106, "The core user is invalid: the access token does not "
                "cover advertiser_id %s.", adv_id);
        return -1;
    }
    if (write && r < SB_ROLE_OPERATOR) {
        sb_fail(req, 40001, "No permission to operate advertiser_id %s: the "
                "authorized user's role is %s; ADMIN or OPERATOR is required.",
                adv_id, sb_role_name(r));
        return -1;
    }
    return 0;
}

/* ---- sending ---------------------------------------------------------------- */

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status,
                                const char *type, char *body, size_t len,
                                const char *location)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    if (type != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    }
    if (location != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_outcome(sb_ctx *ctx, sb_req *req)
{
    json_object *env;
    char rid[64], ts[32];
    uint64_t n;
    char *body;
    time_t now = time(NULL);
    struct tm tm;

    if (req->http_status != 0) {
        char *b = req->raw_body != NULL ? req->raw_body : strdup("");
        req->raw_body = NULL;
        if (b == NULL) {
            return MHD_NO;
        }
        return send_buf(req->conn, req->http_status, req->raw_type, b, strlen(b),
                        req->location);
    }
    pthread_mutex_lock(&ctx->lock);
    n = ++ctx->request_counter;
    pthread_mutex_unlock(&ctx->lock);
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%d%H%M%S", &tm);
    snprintf(rid, sizeof rid, "%s%08llX%08llX", ts, (unsigned long long)n,
             (unsigned long long)(sb_splitmix64(n ^ ctx->rid_salt) & 0xffffffffULL));
    env = json_object_new_object();
    if (env == NULL) {
        return MHD_NO;
    }
    json_object_object_add(env, "code", json_object_new_int(req->code));
    json_object_object_add(env, "message", json_object_new_string(req->message));
    json_object_object_add(env, "request_id", json_object_new_string(rid));
    json_object_object_add(env, "data", req->data != NULL ? req->data : json_object_new_object());
    req->data = NULL;
    body = strdup(json_object_to_json_string_ext(env, SB_JSON_FLAGS));
    json_object_put(env);
    if (body == NULL) {
        return MHD_NO;
    }
    return send_buf(req->conn, MHD_HTTP_OK, "application/json", body, strlen(body), NULL);
}

/* ---- request lifecycle --------------------------------------------------------- */

static void req_free(sb_req *req)
{
    if (req == NULL) {
        return;
    }
    free(req->body);
    json_object_put(req->json);
    json_object_put(req->data);
    sb_upload_free(req->upload);
    free(req->raw_body);
    free(req->location);
    free(req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_free(*con_cls);
    *con_cls = NULL;
}

static const sb_route *resolve(const char *path, const char *method, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].path, path) == 0) {
            *path_known = true;
            if (strcmp(routes[i].method, method) == 0) {
                return &routes[i];
            }
        }
    }
    return NULL;
}

static void count_request(sb_ctx *ctx, const char *path)
{
    json_object *v;

    if (json_object_object_get_ex(ctx->by_endpoint, path, &v)) {
        json_object_set_int64(v, json_object_get_int64(v) + 1);
    } else {
        json_object_object_add(ctx->by_endpoint, path, json_object_new_int64(1));
    }
    ctx->total_requests++;
}

static void apply_fault(sb_req *req, enum sb_fault f)
{
    switch (f) {
    case SB_F_RATE_40100:
        sb_fail(req, 40100, "Too many requests: the app's request rate for this "
                "endpoint exceeded its QPS limit. Please retry later.");
        break;
    case SB_F_RATE_40133:
        sb_fail(req, 40133, "Too many requests: the advertiser's QPS limit was "
                "reached. Please retry later.");
        break;
    case SB_F_SERVER_50000:
        sb_fail(req, 50000, "System error. Please retry later.");
        break;
    case SB_F_SERVER_50002:
        sb_fail(req, 50002, "Error occurred while processing the request. "
                "Please retry later.");
        break;
    case SB_F_SERVER_HTTP503:
        sb_raw(req, 503, "text/plain", "503 Service Temporarily Unavailable\n");
        break;
    default:
        break;
    }
}

/* The Access-Token header to its user and app. 0 ok, else the answer
 * (40104 or 40105) has been set. */
static int sb_check_token(sb_ctx *ctx, struct MHD_Connection *c, sb_req *req)
{
    const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Token");
    bool found = false;

    if (tok == NULL || *tok == '\0') {
        sb_fail(req, 40104, "Access token is null, you should set it in http "
                "header with key Access-Token.");
        return -1;
    }
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->st.n_tokens; i++) {
        const sb_token *t = &ctx->st.tokens[i];
        if (!t->revoked && strcmp(t->token, tok) == 0) {
            snprintf(req->user_id, sizeof req->user_id, "%s", t->user_id);
            snprintf(req->app_id, sizeof req->app_id, "%s", t->app_id);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    if (!found) {
        sb_fail(req, 40105, "Access token is incorrect or has been revoked.");
        return -1;
    }
    return 0;
}

/* --qps: true when this app has used up the endpoint's rate (answered
 * 40100). Requests without a token share the "-" bucket. */
static bool sb_qps_refuse(sb_ctx *ctx, sb_req *req, const char *url)
{
    if (sb_qps_take(ctx->qps, req->app_id[0] != '\0' ? req->app_id : "-", url)) {
        return false;
    }
    pthread_mutex_lock(&ctx->lock);
    ctx->qps_refused++;
    pthread_mutex_unlock(&ctx->lock);
    sb_fail(req, 40100, "Too many requests: the app's request rate for this "
            "endpoint exceeded its QPS limit. Please retry later.");
    return true;
}

/* First call for a request: route, count, pick the fault, check the
 * Access-Token. An answer decided here (404, fault, token error) makes the
 * body be discarded unread; "slow" sleeps now, "lost_response" marks the
 * request so the final call drops the connection after the handler ran. */
static enum MHD_Result begin(sb_ctx *ctx, struct MHD_Connection *c,
                             const char *url, const char *method,
                             void **con_cls)
{
    sb_req *req = calloc(1, sizeof *req);
    const sb_route *rt;
    bool known;
    bool api = strncmp(url, "/open_api/", 10) == 0;
    enum sb_fault fault = SB_F_NONE;

    if (req == NULL) {
        return MHD_NO;
    }
    *con_cls = req;
    req->conn = c;
    req->path = url;
    req->method = method;
    rt = resolve(url, method, &known);
    req->route = rt;
    pthread_mutex_lock(&ctx->lock);
    if (api) {
        count_request(ctx, url);
    }
    if (rt != NULL && (rt->flags & R_TIKTOK)) {
        fault = sb_faults_pick(&ctx->faults, ctx->fault_counter++, url);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (rt == NULL) {
        if (known) {
            sb_raw(req, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "405 method not allowed\n");
        } else {
            sb_raw(req, MHD_HTTP_NOT_FOUND, "text/plain", "404 page not found\n");
        }
        return MHD_YES;
    }
    if (fault == SB_F_DROP) {
        return MHD_NO;
    }
    if (fault == SB_F_SLOW) {
        long ms = ctx->faults.slow_ms;
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    } else if (fault == SB_F_LOST_RESPONSE) {
        req->drop_after = true;
    } else if (fault != SB_F_NONE) {
        apply_fault(req, fault);
        return MHD_YES;
    }
    if ((rt->flags & R_TIKTOK) && sb_inject_take(ctx, req)) {
        return MHD_YES;
    }
    if ((rt->flags & R_TOKEN) && sb_check_token(ctx, c, req) != 0) {
        return MHD_YES;
    }
    if (ctx->qps != NULL && (rt->flags & R_TIKTOK) && sb_qps_refuse(ctx, req, url)) {
        return MHD_YES;
    }
    if (rt->body == SB_BODY_MULTIPART) {
        req->upload = sb_upload_begin(ctx, req);
        if (req->upload == NULL && req->code == 0) {
            sb_fail(req, 40002, "Content-Type: the upload must be multipart/form-data.");
        }
    }
    return MHD_YES;
}

static bool decided(const sb_req *req)
{
    return req->code != 0 || req->http_status != 0;
}

static void collect(sb_req *req, const char *data, size_t len)
{
    const sb_route *rt = req->route;

    if (rt == NULL || decided(req)) {
        return;     /* answer already known: discard the body */
    }
    if (rt->body == SB_BODY_MULTIPART) {
        if (req->upload != NULL) {
            sb_upload_feed(req->upload, data, len);
        }
        return;
    }
    if (req->body_too_large || req->body_len + len > (size_t)SB_MAX_JSON_BODY) {
        req->body_too_large = true;
        return;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t ncap = (req->body_len + len + 1) * 2;
        char *n = realloc(req->body, ncap);
        if (n == NULL) {
            req->body_too_large = true;
            return;
        }
        req->body = n;
        req->body_cap = ncap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
}

static void run_handler(sb_ctx *ctx, sb_req *req)
{
    const sb_route *rt = req->route;

    if (rt->body == SB_BODY_JSON) {
        json_tokener *tk;
        size_t end;
        if (req->body_too_large) {
            sb_fail(req, 40002, "Request body is too large (limit %ld bytes).",
                    SB_MAX_JSON_BODY);
            return;
        }
        if (req->body_len == 0) {
            sb_fail(req, 40002, "Request body is empty; send a JSON object.");
            return;
        }
        tk = json_tokener_new();
        if (tk == NULL) {
            sb_fail(req, 50000, "System error.");
            return;
        }
        req->json = json_tokener_parse_ex(tk, req->body, (int)req->body_len);
        end = json_tokener_get_parse_end(tk);
        while (end < req->body_len && strchr(" \t\r\n", req->body[end]) != NULL) {
            end++;
        }
        if (json_tokener_get_error(tk) != json_tokener_success || end != req->body_len
            || !json_object_is_type(req->json, json_type_object)) {
            json_tokener_free(tk);
            sb_fail(req, 40002, "Request body is not a valid JSON object.");
            return;
        }
        json_tokener_free(tk);
    }
    rt->fn(ctx, req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    sb_ctx *ctx = cls;
    sb_req *req = *con_cls;

    (void)version;
    if (req == NULL) {
        return begin(ctx, c, url, method, con_cls);
    }
    if (*upload_data_size > 0) {
        collect(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!decided(req)) {
        run_handler(ctx, req);
        sb_inject_finish(req);
    }
    if (req->drop_after) {
        return MHD_NO;  /* the change is applied; the answer is lost */
    }
    return send_outcome(ctx, req);
}

sb_server *sb_server_start(sb_ctx *ctx, const sb_server_opts *o,
                           unsigned *bound_port, char *err, size_t errlen)
{
    sb_server *s = calloc(1, sizeof *s);
    struct sockaddr_in sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    const union MHD_DaemonInfo *info;
    const char *host = o->host;

    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)o->port);
    if (strcmp(host, "localhost") == 0) {
        host = "127.0.0.1";
    }
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "--listen: '%s' is not an IPv4 address", o->host);
        free(s);
        return NULL;
    }
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES
             ? MHD_USE_EPOLL : MHD_USE_POLL;
    if (o->tls_cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "this libmicrohttpd was built without TLS support");
            free(s);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    s->ctx = ctx;
    if (o->tls_cert_pem != NULL) {
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, ctx,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_THREAD_POOL_SIZE, o->threads,
                                MHD_OPTION_CONNECTION_TIMEOUT, 120u,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, ctx,
                                MHD_OPTION_HTTPS_MEM_CERT, o->tls_cert_pem,
                                MHD_OPTION_HTTPS_MEM_KEY, o->tls_key_pem,
                                MHD_OPTION_END);
    } else {
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, ctx,
                                MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                MHD_OPTION_THREAD_POOL_SIZE, o->threads,
                                MHD_OPTION_CONNECTION_TIMEOUT, 120u,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, ctx,
                                MHD_OPTION_END);
    }
    if (s->d == NULL) {
        snprintf(err, errlen, "could not start the HTTP server on %s:%u (port in "
                 "use, or a bad TLS certificate/key)", o->host, o->port);
        free(s);
        return NULL;
    }
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info != NULL ? info->port : o->port;
    return s;
}

void sb_server_stop(sb_server *s)
{
    if (s == NULL) {
        return;
    }
    MHD_stop_daemon(s->d);
    free(s);
}
