/*
 * tt_http.c - one TikTok API request: URL, headers, body, transfer, envelope.
 *
 * A request goes through three steps so the serial path (tt_http_once) and
 * the parallel path (tt_http_call_many, curl multi) share all the code:
 * tt_xfer_setup() configures an easy handle, libcurl performs it, and
 * tt_xfer_finish() classifies the outcome.
 */
#include <config.h>

#include "tiktok/tt_http.h"
#include "tiktok/tt_url.h"
#include "tiktok/tt_http_xfer.h"
#include "common/tt_secret.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

static char *tt_strdup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);

    if (d != NULL)
        memcpy(d, s, n + 1);
    return d;
}

/* ------------------------------------------------------------------ */
/* URLs                                                                */
/* ------------------------------------------------------------------ */

static int tt_endpoint_ok(const char *endpoint)
{
    const char *p;

    if (endpoint == NULL || endpoint[0] == '\0' || endpoint[0] == '/')
        return 0;
    for (p = endpoint; *p != '\0'; p++)
        if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_'
              || (*p == '/' && p[1] != '/' && p[1] != '\0')))
            return 0;
    return 1;
}

/* Appends name=value (encoded by libcurl) to the URL's query. */
static CURLUcode tt_url_add_param(CURLU *u, const char *name, json_object *value)
{
    const char *text;
    char *kv;
    size_t n;
    CURLUcode rc;

    if (json_object_is_type(value, json_type_string))
        text = json_object_get_string(value);
    else
        text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN
                                                     | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text == NULL)
        return CURLUE_OUT_OF_MEMORY;
    n = strlen(name) + 1 + strlen(text) + 1;
    kv = malloc(n);
    if (kv == NULL)
        return CURLUE_OUT_OF_MEMORY;
    snprintf(kv, n, "%s=%s", name, text);
    rc = curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE);
    /* Query values may carry the app secret (oauth2/advertiser/get). */
    OPENSSL_cleanse(kv, n);
    free(kv);
    return rc;
}

aconn_status tt_http_build_url(const char *api_base, const char *endpoint,
                               json_object *query, char **out, aconn_error *err)
{
    CURLU *u = NULL;
    char *scheme = NULL, *path = NULL, *url = NULL, *newpath = NULL;
    size_t plen, n;
    aconn_status st = ACONN_ERR_FATAL;

    *out = NULL;
    if (!tt_endpoint_ok(endpoint)) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "bad_endpoint", NULL,
                             "Internal error: invalid endpoint name.");
        goto cleanup;
    }
    u = curl_url();
    if (u == NULL)
        goto oom;
    if (api_base == NULL || curl_url_set(u, CURLUPART_URL, api_base, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "api_base_invalid", "api_base",
                             "The host option api_base is not an http(s) URL. Use e.g. "
                             "https://business-api.tiktok.com");
        goto cleanup;
    }
    /* The app secret, tokens and auth codes go to this URL: plain http
       only where no network is crossed (the sandbox on loopback). */
    if (!tt_url_transport_ok(u)) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "api_base_insecure", "api_base",
                             "The host option api_base (%s) is plain http:// to a host "
                             "that is not this machine: the app secret and access tokens "
                             "would travel unencrypted, so nothing was sent. Use https:// "
                             "(e.g. https://business-api.tiktok.com); plain http is accepted "
                             "only for a loopback host (127.0.0.0/8, ::1, localhost).",
                             api_base);
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        goto oom;
    plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    /* Every TikTok path ends in '/': without it TikTok answers 404. */
    n = plen + strlen(TT_API_PREFIX) + strlen(endpoint) + 2;
    newpath = malloc(n);
    if (newpath == NULL)
        goto oom;
    snprintf(newpath, n, "%.*s%s%s/", (int) plen, path, TT_API_PREFIX, endpoint);
    if (curl_url_set(u, CURLUPART_PATH, newpath, 0) != CURLUE_OK
        || curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK
        || curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
        goto oom;
    if (query != NULL) {
        json_object_object_foreach(query, name, value) {
            if (value == NULL)
                continue;   /* a JSON null means "not sent" */
            if (tt_url_add_param(u, name, value) != CURLUE_OK)
                goto oom;
        }
    }
    if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
        goto oom;
    *out = tt_strdup(url);
    if (*out == NULL)
        goto oom;
    st = ACONN_OK;
    goto cleanup;
oom:
    st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                         "Out of memory building the URL for %s.",
                         endpoint != NULL ? endpoint : "?");
cleanup:
    if (url != NULL) {
        OPENSSL_cleanse(url, strlen(url));
        curl_free(url);
    }
    curl_free(scheme);
    curl_free(path);
    free(newpath);
    curl_url_cleanup(u);
    return st;
}

/* ------------------------------------------------------------------ */
/* Envelope                                                            */
/* ------------------------------------------------------------------ */

void tt_response_free(tt_response *resp)
{
    if (resp == NULL)
        return;
    json_object_put(resp->root);
    memset(resp, 0, sizeof(*resp));
}

tt_transport tt_http_parse_envelope(const char *body, size_t len, tt_response *resp,
                                    char *detail, size_t detail_len)
{
    json_tokener *tok = NULL;
    json_object *root = NULL, *v;
    size_t i;
    tt_transport t = TT_TRANSPORT_BAD_BODY;

    json_object_put(resp->root);
    resp->root = NULL;
    resp->data = NULL;
    resp->code = -1;
    resp->message[0] = '\0';
    resp->request_id[0] = '\0';
    if (len == 0) {
        snprintf(detail, detail_len, "empty body");
        goto cleanup;
    }
    if (len > INT32_MAX) {
        snprintf(detail, detail_len, "body too large");
        goto cleanup;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        snprintf(detail, detail_len, "out of memory");
        goto cleanup;
    }
    root = json_tokener_parse_ex(tok, body, (int) len);
    if (root == NULL) {
        snprintf(detail, detail_len, "%s",
                 json_tokener_get_error(tok) == json_tokener_continue
                     ? "truncated JSON" : "not JSON");
        goto cleanup;
    }
    for (i = (size_t) json_tokener_get_parse_end(tok); i < len; i++) {
        if (!isspace((unsigned char) body[i])) {
            snprintf(detail, detail_len, "trailing data after the JSON value");
            goto cleanup;
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(detail, detail_len, "not a JSON object");
        goto cleanup;
    }
    if (!json_object_object_get_ex(root, "code", &v) || !json_object_is_type(v, json_type_int)) {
        snprintf(detail, detail_len, "no integer \"code\" field");
        goto cleanup;
    }
    resp->code = (long) json_object_get_int64(v);
    if (json_object_object_get_ex(root, "message", &v) && json_object_is_type(v, json_type_string))
        ACONN_STRSET(resp->message, json_object_get_string(v));
    if (json_object_object_get_ex(root, "request_id", &v)
        && json_object_is_type(v, json_type_string))
        ACONN_STRSET(resp->request_id, json_object_get_string(v));
    if (json_object_object_get_ex(root, "data", &v) && json_object_is_type(v, json_type_object))
        resp->data = v;
    resp->root = root;
    root = NULL;
    t = TT_TRANSPORT_OK;
cleanup:
    json_object_put(root);
    if (tok != NULL)
        json_tokener_free(tok);   /* json-c 0.16 crashes on NULL */
    return t;
}

/* ------------------------------------------------------------------ */
/* Transfers                                                           */
/* ------------------------------------------------------------------ */

tt_transport tt_http_transport_of(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return TT_TRANSPORT_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return TT_TRANSPORT_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return TT_TRANSPORT_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return TT_TRANSPORT_TLS;
    case CURLE_ABORTED_BY_CALLBACK:
        return TT_TRANSPORT_CANCELLED;
    case CURLE_FILESIZE_EXCEEDED:
        return TT_TRANSPORT_TOO_LARGE;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_READ_ERROR:
    case CURLE_FILE_COULDNT_READ_FILE:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
        return TT_TRANSPORT_LOCAL;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    default:
        return TT_TRANSPORT_DROPPED;
    }
}

static size_t tt_xfer_write(char *data, size_t size, size_t nmemb, void *userp)
{
    tt_xfer *x = userp;
    size_t n = size * nmemb;
    size_t need;
    char *p;

    if (n > x->max_body || x->body_len > x->max_body - n) {
        x->too_large = 1;
        return 0;   /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    need = x->body_len + n + 1;
    if (need > x->body_cap) {
        size_t cap = x->body_cap < 4096 ? 4096 : x->body_cap;
        while (cap < need)
            cap *= 2;
        p = malloc(cap);
        if (p == NULL)
            return 0;
        if (x->body != NULL) {
            memcpy(p, x->body, x->body_len);
            /* Wipe the old block: it may hold a token (oauth2/access_token). */
            OPENSSL_cleanse(x->body, x->body_cap);
            free(x->body);
        }
        x->body = p;
        x->body_cap = cap;
    }
    memcpy(x->body + x->body_len, data, n);
    x->body_len += n;
    x->body[x->body_len] = '\0';
    return n;
}

static int tt_xfer_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
                            curl_off_t ultotal, curl_off_t ulnow)
{
    tt_xfer *x = userp;

    (void) dltotal;
    (void) dlnow;
    (void) ultotal;
    (void) ulnow;
    /* Long uploads stop promptly when the host wants to stop. */
    if (x->host != NULL && x->host->cancelled != NULL && x->host->cancelled(x->host->ctx)) {
        x->cancelled = 1;
        return 1;
    }
    return 0;
}

static int tt_xfer_mime(tt_xfer *x, const tt_upload_form *f)
{
    static const char *const names[] = {"advertiser_id", "calculate_type", "file_signature"};
    const char *values[3];
    curl_mimepart *part;
    size_t i;

    values[0] = f->advertiser_id;
    values[1] = f->calculate_type;
    values[2] = f->file_signature;
    x->mime = curl_mime_init(x->easy);
    if (x->mime == NULL)
        return -1;
    for (i = 0; i < 3; i++) {
        if (values[i] == NULL)
            return -1;
        part = curl_mime_addpart(x->mime);
        if (part == NULL || curl_mime_name(part, names[i]) != CURLE_OK
            || curl_mime_data(part, values[i], CURL_ZERO_TERMINATED) != CURLE_OK)
            return -1;
    }
    part = curl_mime_addpart(x->mime);
    /* Streamed from disk: an upload never needs the file in memory. */
    if (part == NULL || f->file_path == NULL || f->file_name == NULL
        || curl_mime_name(part, "file") != CURLE_OK
        || curl_mime_filedata(part, f->file_path) != CURLE_OK
        || curl_mime_filename(part, f->file_name) != CURLE_OK
        || curl_mime_type(part, "text/plain") != CURLE_OK)
        return -1;
    return 0;
}

static void tt_slist_wipe_free(struct curl_slist *list)
{
    struct curl_slist *p;

    for (p = list; p != NULL; p = p->next)
        if (p->data != NULL)
            OPENSSL_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(list);
}

void tt_xfer_cleanup(tt_xfer *x)
{
    if (x == NULL)
        return;
    tt_slist_wipe_free(x->headers);
    curl_mime_free(x->mime);
    if (x->post != NULL) {
        OPENSSL_cleanse(x->post, x->post_len);
        free(x->post);
    }
    if (x->url != NULL) {
        OPENSSL_cleanse(x->url, strlen(x->url));
        free(x->url);
    }
    if (x->body != NULL) {
        OPENSSL_cleanse(x->body, x->body_cap);
        free(x->body);
    }
    memset(x, 0, sizeof(*x));
}

static int tt_header_add(struct curl_slist **list, const char *line)
{
    struct curl_slist *n = curl_slist_append(*list, line);

    if (n == NULL)
        return -1;
    *list = n;
    return 0;
}

static int64_t tt_host_now(const aconn_host *host)
{
    return (host != NULL && host->now_ms != NULL) ? host->now_ms(host->ctx) : 0;
}

/* The app_id secret only names the pause keys; without it, "default". */
static void tt_http_read_app_id(tt_http *http, const aconn_host *host)
{
    tt_secret id;

    memset(&id, 0, sizeof(id));
    if (host != NULL && host->secret_get != NULL
        && tt_secret_get(host, "app_id", &id, NULL) == ACONN_OK && id.value != NULL)
        snprintf(http->app_id, sizeof(http->app_id), "%s", id.value);
    tt_secret_free(&id);
}

aconn_status tt_xfer_setup(tt_http *http, const aconn_host *host, tt_xfer *x, CURL *easy,
                           const tt_request *req, aconn_error *err)
{
    const char *json;
    char *hdr = NULL;
    size_t hlen;
    int bad = 0;
    aconn_status st;

    memset(x, 0, sizeof(*x));
    x->easy = easy;
    x->host = host;
    x->max_body = http->max_body;
    /* A pause TikTok asked for holds for every worker: do not send. */
    tt_backoff_scopes_init(&x->backoff, http->app_id, req->endpoint, req->advertiser_id);
    st = tt_backoff_before(host, &x->backoff, tt_host_now(host), req->endpoint, err);
    if (st != ACONN_OK)
        return st;
    st = tt_http_build_url(http->api_base, req->endpoint, req->method == TT_GET ? req->query : NULL,
                           &x->url, err);
    if (st != ACONN_OK)
        return st;

    bad |= curl_easy_setopt(easy, CURLOPT_URL, x->url) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    if (http->ca_file != NULL)
        bad |= curl_easy_setopt(easy, CURLOPT_CAINFO, http->ca_file) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) http->max_body) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, tt_xfer_write) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_WRITEDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, tt_xfer_progress) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_XFERINFODATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_USERAGENT, "tiktok-audience-connector/" PACKAGE_VERSION) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
    /* libcurl silently sends a request again when a reused keep-alive
       connection dies before any answer arrives. For a create whose answer
       TikTok lost after applying it, that second send would make a second
       audience: non-idempotent calls get a connection of their own, on which
       libcurl never repeats anything. (Set every time: the handle is reused.) */
    bad |= curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, req->no_blind_retry ? 1L : 0L) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, req->no_blind_retry ? 1L : 0L) != CURLE_OK;
    if (req->method == TT_POST_MULTIPART) {
        /* Large files: no whole-request timeout, but a stall is an error
           and a hard cap keeps the call bounded. */
        bad |= curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, http->upload_cap_ms) != CURLE_OK;
        bad |= curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, http->low_speed_bps) != CURLE_OK;
        bad |= curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, http->low_speed_s) != CURLE_OK;
    } else {
        bad |= curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, http->timeout_ms) != CURLE_OK;
    }
    if (bad)
        goto oom;

    if (tt_header_add(&x->headers, "Accept: application/json") != 0)
        goto oom;
    /* Curl adds "Expect: 100-continue" to large POSTs; TikTok gains nothing. */
    if (tt_header_add(&x->headers, "Expect:") != 0)
        goto oom;
    if (req->token != NULL) {
        hlen = strlen("Access-Token: ") + strlen(req->token) + 1;
        hdr = malloc(hlen);
        if (hdr == NULL)
            goto oom;
        snprintf(hdr, hlen, "Access-Token: %s", req->token);
        bad = tt_header_add(&x->headers, hdr);
        OPENSSL_cleanse(hdr, hlen);
        free(hdr);
        if (bad)
            goto oom;
    }
    switch (req->method) {
    case TT_GET:
        bad |= curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L) != CURLE_OK;
        break;
    case TT_POST_JSON:
        if (tt_header_add(&x->headers, "Content-Type: application/json") != 0)
            goto oom;
        json = req->body != NULL
                   ? json_object_to_json_string_ext(req->body, JSON_C_TO_STRING_PLAIN
                                                    | JSON_C_TO_STRING_NOSLASHESCAPE)
                   : "{}";
        if (json == NULL)
            goto oom;
        x->post_len = strlen(json);
        x->post = tt_strdup(json);
        if (x->post == NULL)
            goto oom;
        /* Our own copy (not COPYPOSTFIELDS) so we can wipe it afterwards. */
        bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, x->post) != CURLE_OK;
        bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) x->post_len) != CURLE_OK;
        break;
    case TT_POST_MULTIPART:
        if (req->upload == NULL || tt_xfer_mime(x, req->upload) != 0) {
            tt_xfer_cleanup(x);
            return aconn_error_set(err, ACONN_ERR_FATAL, "upload_setup_failed", NULL,
                                   "Could not prepare the upload for %s (missing field, "
                                   "unreadable file or out of memory).", req->endpoint);
        }
        bad |= curl_easy_setopt(easy, CURLOPT_MIMEPOST, x->mime) != CURLE_OK;
        break;
    }
    bad |= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK;
    if (bad)
        goto oom;
    return ACONN_OK;
oom:
    tt_xfer_cleanup(x);
    return aconn_error_set(err, ACONN_ERR_FATAL, "curl_setup_failed", NULL,
                           "Could not configure the request for %s (out of memory or "
                           "libcurl lacks a needed feature).", req->endpoint);
}

static tt_http_endpoint_stats *tt_stats_row(tt_http_stats *s, const char *endpoint)
{
    size_t i;

    for (i = 0; i < s->nendpoints; i++)
        if (strcmp(s->endpoints[i].endpoint, endpoint) == 0)
            return &s->endpoints[i];
    if (s->nendpoints >= TT_HTTP_STATS_MAX)
        return NULL;
    ACONN_STRSET(s->endpoints[s->nendpoints].endpoint, endpoint);
    return &s->endpoints[s->nendpoints++];
}

const tt_http_endpoint_stats *tt_http_stats_find(const tt_http_stats *stats,
                                                 const char *endpoint)
{
    size_t i;

    for (i = 0; i < stats->nendpoints; i++)
        if (strcmp(stats->endpoints[i].endpoint, endpoint) == 0)
            return &stats->endpoints[i];
    return NULL;
}

static void tt_log(const aconn_host *host, int32_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void tt_log(const aconn_host *host, int32_t level, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (host == NULL || host->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    host->log(host->ctx, level, line);
}

aconn_status tt_xfer_finish(tt_http *http, const aconn_host *host, tt_xfer *x, CURLcode rc,
                            const tt_request *req, tt_response *resp, aconn_error *err)
{
    tt_status_input in;
    char detail[CURL_ERROR_SIZE + 64];
    tt_http_endpoint_stats *row;
    curl_off_t uploaded = 0;
    long http_status = 0;
    aconn_status st;

    memset(&in, 0, sizeof(in));
    detail[0] = '\0';
    tt_response_free(resp);
    in.endpoint = req->endpoint;
    in.now_ms = tt_host_now(host);
    in.profile = req->profile;
    in.advertiser_id = req->advertiser_id;
    in.transport = tt_http_transport_of(rc);
    if (x->cancelled)
        in.transport = TT_TRANSPORT_CANCELLED;
    else if (x->too_large)
        in.transport = TT_TRANSPORT_TOO_LARGE;
    (void) curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &http_status);
    in.http_status = http_status;
    resp->http_status = http_status;
    if (in.transport != TT_TRANSPORT_OK) {
        /* libcurl's text names hosts and reasons, never headers; for a
           request carrying a secret in its URL keep to the generic text. */
        snprintf(detail, sizeof(detail), "%s",
                 (x->errbuf[0] != '\0' && !req->sensitive) ? x->errbuf
                                                           : curl_easy_strerror(rc));
    } else if (http_status >= 300 && http_status <= 399) {
        in.transport = TT_TRANSPORT_REDIRECT;
    } else if (http_status == 200) {
        in.transport = tt_http_parse_envelope(x->body, x->body_len, resp, detail, sizeof(detail));
        in.code = resp->code;
        in.message = resp->message;
        in.request_id = resp->request_id;
    }
    in.detail = detail;
    st = tt_status_classify(&in, err);
    tt_backoff_after(host, &x->backoff, in.now_ms, req->endpoint, in.message, err);
    if (err != NULL)
        st = err->status;

    http->stats.calls++;
    row = tt_stats_row(&http->stats, req->endpoint);
    if (row != NULL) {
        row->calls++;
        if (st != ACONN_OK)
            row->failures++;
    }
    if (req->method == TT_POST_MULTIPART && st == ACONN_OK
        && curl_easy_getinfo(x->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded) == CURLE_OK
        && uploaded > 0)
        http->stats.bytes_uploaded += (uint64_t) uploaded;
    tt_log(host, st == ACONN_OK ? ACONN_LOG_DEBUG : ACONN_LOG_WARN,
           "tiktok: %s %s -> HTTP %ld code %ld request_id %s: %s",
           req->method == TT_GET ? "GET" : "POST", req->endpoint, http_status,
           in.transport == TT_TRANSPORT_OK ? resp->code : -1L,
           resp->request_id[0] != '\0' ? resp->request_id : "-",
           aconn_status_name(st));
    return st;
}

/* ------------------------------------------------------------------ */
/* Client                                                              */
/* ------------------------------------------------------------------ */

static aconn_status tt_http_oom(aconn_error *err)
{
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                           "Out of memory setting up HTTP.");
}

/*
 * Host option "request_timeout_ms": the whole-request timeout of non-upload
 * requests (uploads keep their stall detection and cap). Hosts lower it so a
 * hung answer is given up sooner; fault tests lower it below the sandbox's
 * slow_ms. Returns 0 with *ms set, or -1 when the text is not an integer in
 * 100..600000.
 */
static int tt_http_timeout_option(const char *text, long *ms)
{
    char *end;
    long v;

    if (text == NULL || *text == '\0')
        return 0;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 100 || v > 600000)
        return -1;
    *ms = v;
    return 0;
}

aconn_status tt_http_init(tt_http *http, const aconn_host *host, aconn_error *err)
{
    const char *base = NULL, *ca = NULL, *timeout = NULL;
    char *probe = NULL;
    size_t n;
    aconn_status st;

    memset(http, 0, sizeof(*http));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return aconn_error_set(err, ACONN_ERR_FATAL, "curl_init_failed", NULL,
                               "libcurl could not be initialised.");
    if (host != NULL && host->option != NULL) {
        base = host->option(host->ctx, "api_base");
        ca = host->option(host->ctx, "ca_file");
        timeout = host->option(host->ctx, "request_timeout_ms");
    }
    if (base == NULL || base[0] == '\0')
        base = TT_DEFAULT_API_BASE;
    http->api_base = tt_strdup(base);
    if (http->api_base == NULL)
        return tt_http_oom(err);
    n = strlen(http->api_base);
    while (n > 0 && http->api_base[n - 1] == '/')
        http->api_base[--n] = '\0';
    /* Refuse a bad api_base now, with the field named, not on every call. */
    st = tt_http_build_url(http->api_base, "advertiser/info", NULL, &probe, err);
    free(probe);
    if (st != ACONN_OK)
        goto fail;
    if (ca != NULL && ca[0] != '\0') {
        http->ca_file = tt_strdup(ca);
        if (http->ca_file == NULL) {
            st = tt_http_oom(err);
            goto fail;
        }
    }
    tt_http_read_app_id(http, host);
    http->connect_timeout_ms = TT_HTTP_CONNECT_TIMEOUT_MS;
    http->timeout_ms = TT_HTTP_TIMEOUT_MS;
    if (tt_http_timeout_option(timeout, &http->timeout_ms) != 0) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "bad_option", "request_timeout_ms",
                             "The host option request_timeout_ms must be a whole number "
                             "of milliseconds from 100 to 600000.");
        goto fail;
    }
    http->upload_cap_ms = TT_HTTP_UPLOAD_CAP_MS;
    http->low_speed_bps = TT_HTTP_LOW_SPEED_BPS;
    http->low_speed_s = TT_HTTP_LOW_SPEED_S;
    http->max_body = TT_HTTP_MAX_BODY;
    http->max_attempts = TT_HTTP_MAX_ATTEMPTS;
    http->max_parallel = 4;
    return ACONN_OK;
fail:
    tt_http_cleanup(http);
    return st;
}

void tt_http_cleanup(tt_http *http)
{
    if (http == NULL)
        return;
    if (http->easy != NULL)
        curl_easy_cleanup(http->easy);
    free(http->api_base);
    free(http->ca_file);
    memset(http, 0, sizeof(*http));
}

aconn_status tt_http_once(tt_http *http, const aconn_host *host, const tt_request *req,
                          tt_response *resp, aconn_error *err)
{
    tt_xfer x;
    CURLcode rc;
    aconn_status st;

    if (http->easy == NULL) {
        http->easy = curl_easy_init();
        if (http->easy == NULL)
            return tt_http_oom(err);
    } else {
        /* Reset options but keep live connections for keep-alive. */
        curl_easy_reset(http->easy);
    }
    st = tt_xfer_setup(http, host, &x, http->easy, req, err);
    if (st != ACONN_OK)
        return st;
    rc = curl_easy_perform(http->easy);
    st = tt_xfer_finish(http, host, &x, rc, req, resp, err);
    /* The handle keeps pointers into x (headers, body); drop them. */
    curl_easy_reset(http->easy);
    tt_xfer_cleanup(&x);
    return st;
}

json_object *tt_http_stats_json(const tt_http_stats *stats)
{
    json_object *o = json_object_new_object(), *eps = json_object_new_object();
    size_t i;

    if (o == NULL || eps == NULL)
        goto fail;
    for (i = 0; i < stats->nendpoints; i++) {
        json_object *n = json_object_new_int64((int64_t) stats->endpoints[i].calls);
        if (n == NULL || json_object_object_add(eps, stats->endpoints[i].endpoint, n) != 0) {
            json_object_put(n);
            goto fail;
        }
    }
    if (json_object_object_add(o, "api_calls", json_object_new_int64((int64_t) stats->calls)) != 0
        || json_object_object_add(o, "api_calls_by_endpoint", eps) != 0)
        goto fail;
    eps = NULL;
    if (json_object_object_add(o, "retries", json_object_new_int64((int64_t) stats->retries)) != 0
        || json_object_object_add(o, "bytes_uploaded",
                                  json_object_new_int64((int64_t) stats->bytes_uploaded)) != 0)
        goto fail;
    return o;
fail:
    json_object_put(eps);
    json_object_put(o);
    return NULL;
}
