/*
 * tt_http_xfer.c - one transfer: an easy handle configured for a request
 * (tt_xfer_setup), and its outcome classified and counted (tt_xfer_finish).
 * The serial path (tt_http_once) and the parallel one (tt_http_call_many,
 * curl multi) share both, so a request is built and judged in one place.
 */
#include <config.h>

#include "tiktok/tt_http.h"
#include "tiktok/tt_http_xfer.h"
#include "tiktok/tt_pace.h"
#include "common/tt_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

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
    if (x->host != NULL && x->host->cancelled(x->host->ctx)) {
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
    return host != NULL ? host->now_ms(host->ctx) : 0;
}

/*
 * OpenSSL keeps the plaintext of the last TLS record it decrypted (for the
 * token exchange: the answer with the token) in its read buffer until the
 * next one overwrites it, and frees it as it is; SSL_OP_CLEANSE_PLAINTEXT
 * (OpenSSL 3.0) wipes it once libcurl has it. Only given to a libcurl
 * whose TLS library is OpenSSL (tt_http.openssl_tls): another hands this
 * callback a context of its own kind.
 */
static CURLcode tt_xfer_ssl_ctx(CURL *easy, void *ssl_ctx, void *userp)
{
    (void) easy;
    (void) userp;
    (void) SSL_CTX_set_options((SSL_CTX *) ssl_ctx, SSL_OP_CLEANSE_PLAINTEXT);
    return CURLE_OK;
}

/* The options every request has: TLS, timeouts, limits, callbacks.
   Returns nonzero when libcurl refused one. */
static int tt_xfer_options(const tt_http *http, tt_xfer *x, CURL *easy, const tt_request *req)
{
    int bad = 0;

    bad |= curl_easy_setopt(easy, CURLOPT_URL, x->url) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    if (http->ca_file != NULL)
        bad |= curl_easy_setopt(easy, CURLOPT_CAINFO, http->ca_file) != CURLE_OK;
    if (http->openssl_tls)
        bad |= curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, tt_xfer_ssl_ctx) != CURLE_OK;
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
    return bad;
}

/* Accept, no Expect, and the token; the token copy is wiped. -1 on OOM. */
static int tt_xfer_headers(tt_xfer *x, const tt_request *req)
{
    char *hdr;
    size_t hlen;
    int bad;

    if (tt_header_add(&x->headers, "Accept: application/json") != 0)
        return -1;
    /* Curl adds "Expect: 100-continue" to large POSTs; TikTok gains nothing. */
    if (tt_header_add(&x->headers, "Expect:") != 0)
        return -1;
    if (req->token == NULL)
        return 0;
    hlen = strlen("Access-Token: ") + strlen(req->token) + 1;
    hdr = malloc(hlen);
    if (hdr == NULL)
        return -1;
    snprintf(hdr, hlen, "Access-Token: %s", req->token);
    bad = tt_header_add(&x->headers, hdr);
    OPENSSL_cleanse(hdr, hlen);
    free(hdr);
    return bad;
}

/* The method and its body: 0, -1 on OOM or a refused option, -2 when the
   upload cannot be prepared. */
static int tt_xfer_body(tt_xfer *x, CURL *easy, const tt_request *req)
{
    const char *json;
    int bad = 0;

    switch (req->method) {
    case TT_GET:
        bad |= curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L) != CURLE_OK;
        break;
    case TT_POST_JSON:
        if (tt_header_add(&x->headers, "Content-Type: application/json") != 0)
            return -1;
        if (req->body_text != NULL) {
            /* CURLOPT_POSTFIELDS (not COPYPOSTFIELDS): libcurl keeps the
               pointer and makes no copy of its own to free unwiped; the
               caller owns the text and wipes it after the call. (A small
               body still passes through libcurl's send buffer: see
               host/README.md, what cannot be wiped.) */
            bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body_text) != CURLE_OK;
            bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                                    (curl_off_t) req->body_text_len) != CURLE_OK;
            break;
        }
        json = req->body != NULL
                   ? json_object_to_json_string_ext(req->body, JSON_C_TO_STRING_PLAIN
                                                    | JSON_C_TO_STRING_NOSLASHESCAPE)
                   : "{}";
        if (json == NULL)
            return -1;
        x->post_len = strlen(json);
        x->post = tt_strdup(json);
        if (x->post == NULL)
            return -1;
        /* Our own copy (not COPYPOSTFIELDS) so we can wipe it afterwards. */
        bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, x->post) != CURLE_OK;
        bad |= curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) x->post_len) != CURLE_OK;
        break;
    case TT_POST_MULTIPART:
        if (req->upload == NULL || tt_xfer_mime(x, req->upload) != 0)
            return -2;
        bad |= curl_easy_setopt(easy, CURLOPT_MIMEPOST, x->mime) != CURLE_OK;
        break;
    }
    return bad ? -1 : 0;
}

aconn_status tt_xfer_setup(tt_http *http, const aconn_host *host, tt_xfer *x, CURL *easy,
                           const tt_request *req, aconn_error *err)
{
    aconn_status st;
    int rc;

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
    if (tt_xfer_options(http, x, easy, req) != 0 || tt_xfer_headers(x, req) != 0)
        goto oom;
    rc = tt_xfer_body(x, easy, req);
    if (rc == -2) {
        tt_xfer_cleanup(x);
        return aconn_error_set(err, ACONN_ERR_FATAL, "upload_setup_failed", NULL,
                               "Could not prepare the upload for %s (missing field, "
                               "unreadable file or out of memory).", req->endpoint);
    }
    if (rc != 0 || curl_easy_setopt(easy, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK)
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

    if (host == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    host->log(host->ctx, level, line);
}

int tt_http_may_retry(const tt_request *req, const aconn_error *err)
{
    /* The parallel path passes &errs[i]; the analyzer cannot know errs is
       never NULL there, and an error we cannot read is not retried. */
    if (err == NULL || !tt_status_retry_in_call(err))
        return 0;
    /* A call that must not be repeated blindly is repeated only when it
       surely did nothing: it never reached TikTok, or TikTok answered it
       with an envelope code (rate limit, 5xxxx), which ends the request
       there. An attempt without such an answer (timeout, dropped
       connection, a bare HTTP 5xx) is for the caller to settle. */
    if (req->no_blind_retry && tt_status_class(err) == TT_CLASS_OUTCOME_UNKNOWN)
        return 0;
    if (req->no_blind_retry)
        return strcmp(err->code, "connect_failed") == 0 ||
               (err->http_status == 200 && err->remote_code[0] != '\0');
    return 1;
}

int tt_http_attempts(const tt_http *http, const tt_request *req)
{
    int n = req->max_attempts > 0 ? req->max_attempts : http->max_attempts;
    return n < 1 ? 1 : n;
}

/* What follows a failed attempt, for its log line, and the line's level:
   one request refused again and again (a create meeting 40100 until
   TikTok's second is over) is one event, so its first refusal is a
   warning that says it is retried, the retries at debug level, and only
   the last failure, if the call ends on one, a warning again. */
static int32_t tt_xfer_next(const tt_http *http, const tt_request *req, int attempt,
                            const aconn_error *err, char *next, size_t len)
{
    int max = tt_http_attempts(http, req);

    if (attempt < max && tt_http_may_retry(req, err)) {
        if (attempt > 1) {
            snprintf(next, len, "; retried (attempt %d of %d)", attempt, max);
            return ACONN_LOG_DEBUG;
        }
        snprintf(next, len, "; retried in this call, up to %d attempts (the retries are "
                 "logged at debug level)", max);
        return ACONN_LOG_WARN;
    }
    if (attempt > 1)
        snprintf(next, len, " after %d attempts; not retried again in this call", attempt);
    else
        next[0] = '\0';
    return ACONN_LOG_WARN;
}

/* After one request: the call counted (per endpoint, failures, bytes
   uploaded) and logged, never with a secret. */
static void tt_xfer_record(tt_http *http, const aconn_host *host, tt_xfer *x,
                           const tt_request *req, const tt_response *resp,
                           tt_transport transport, long http_status, aconn_status st,
                           int attempt, const aconn_error *err)
{
    char next[128] = "";
    int32_t level = ACONN_LOG_DEBUG;
    tt_http_endpoint_stats *row;
    curl_off_t uploaded = 0;

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
    if (ACONN_STATUS_IS_REAUTHORIZE(st) && transport == TT_TRANSPORT_OK
        && resp->code == 40106 && req->advertiser_id != NULL && req->advertiser_id[0] != '\0')
        /* A 40106 about one Ad Account is that account's failure
           (tt_coverage.h): "reauthorize" here would send the user to fix
           the whole profile when only one account's role is missing. */
        tt_log(host, ACONN_LOG_WARN, "tiktok: %s %s -> HTTP %ld code 40106 request_id %s: "
               "profile %s's TikTok user has no role on Ad Account %s (that account only; "
               "the profile stays connected): an Admin of Ad Account %s must grant this "
               "user the Admin or Operator role", req->method == TT_GET ? "GET" : "POST",
               req->endpoint, http_status,
               resp->request_id[0] != '\0' ? resp->request_id : "-",
               req->profile != NULL && req->profile[0] != '\0' ? req->profile : "(unnamed)",
               req->advertiser_id, req->advertiser_id);
    else {
        if (st != ACONN_OK)
            level = tt_xfer_next(http, req, attempt, err, next, sizeof(next));
        tt_log(host, level, "tiktok: %s %s -> HTTP %ld code %ld request_id %s: %s%s",
               req->method == TT_GET ? "GET" : "POST", req->endpoint, http_status,
               transport == TT_TRANSPORT_OK ? resp->code : -1L,
               resp->request_id[0] != '\0' ? resp->request_id : "-",
               aconn_status_name(st), next);
    }
}

aconn_status tt_xfer_finish(tt_http *http, const aconn_host *host, tt_xfer *x, CURLcode rc,
                            const tt_request *req, int attempt, tt_response *resp,
                            aconn_error *err)
{
    tt_status_input in;
    char detail[CURL_ERROR_SIZE + 64];
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
        in.transport = tt_http_parse_answer(x->body, x->body_len, req->sensitive, resp, detail,
                                            sizeof(detail));
        in.code = resp->code;
        in.message = resp->message;
        in.request_id = resp->request_id;
    }
    in.detail = detail;
    st = tt_status_classify(&in, err);
    /* The app's rate (not an advertiser's, not a field's): the shared
       budget is pushed back for every worker before anyone retries. */
    if (err != NULL && st == ACONN_RETRY_THROTTLED && strcmp(err->code, "rate_limited") == 0)
        tt_pace_refused(http, host, req);
    tt_backoff_after(host, &x->backoff, in.now_ms, req->endpoint, in.message, err);
    if (err != NULL)
        st = err->status;

    tt_xfer_record(http, host, x, req, resp, in.transport, http_status, st, attempt, err);
    return st;
}
