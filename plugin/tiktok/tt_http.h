/*
 * tt_http.h - TikTok Marketing API v1.3 requests over libcurl.
 *
 * One tt_http per connection or per request-class call: it owns a reusable
 * easy handle (keep-alive), copies of the host options it needs, and the
 * per-connection statistics for the run report. It never keeps the host
 * pointer: every call receives it again (the ABI forbids keeping it).
 *
 * Safety rules enforced here for every request:
 *   - the token travels only in the Access-Token header, never in a URL,
 *     never in a log line;
 *   - TLS peer and host verification are always on; a custom CA comes only
 *     from the host option ca_file;
 *   - redirects are never followed (a 3xx is an error), so a token cannot
 *     be sent to another host; only http and https are allowed;
 *   - every request has a connect timeout and either a whole-request timeout
 *     or (uploads) a low-speed limit plus a hard cap; bodies are capped.
 *
 * Not thread-safe per object: one thread uses a tt_http at a time.
 */
#ifndef TT_HTTP_H
#define TT_HTTP_H

#include <aconn/aconn.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "tiktok/tt_status.h"

#define TT_DEFAULT_API_BASE "https://business-api.tiktok.com"
#define TT_API_PREFIX "/open_api/v1.3/"
#define TT_HTTP_CONNECT_TIMEOUT_MS 10000L
#define TT_HTTP_TIMEOUT_MS 60000L
#define TT_HTTP_UPLOAD_CAP_MS (30L * 60 * 1000)  /* hard cap for one upload */
#define TT_HTTP_LOW_SPEED_BPS 1024L              /* uploads: abort below this... */
#define TT_HTTP_LOW_SPEED_S 60L                  /* ...for this many seconds */
#define TT_HTTP_MAX_BODY (16u * 1024 * 1024)
#define TT_HTTP_MAX_ATTEMPTS 4
#define TT_HTTP_BACKOFF_BASE_MS 200
#define TT_HTTP_BACKOFF_CAP_MS 2000
#define TT_HTTP_STATS_MAX 24

typedef enum tt_method {
    TT_GET = 0,
    TT_POST_JSON,
    TT_POST_MULTIPART
} tt_method;

/** The fields of a customer-file upload (multipart/form-data). Borrowed. */
typedef struct tt_upload_form {
    const char *advertiser_id;
    const char *calculate_type;    /* e.g. "EMAIL_SHA256" */
    const char *file_signature;    /* lower-case MD5 hex of the file */
    const char *file_path;         /* local file, streamed from disk */
    const char *file_name;         /* name sent to TikTok; must end in .txt */
} tt_upload_form;

/** One logical API call. Everything is borrowed for the call. */
typedef struct tt_request {
    tt_method method;
    const char *endpoint;          /* e.g. "dmp/custom_audience/list" */
    json_object *query;            /* GET parameters: strings as they are,
                                      anything else (arrays: ["1","2"]) as
                                      JSON text; may be NULL */
    json_object *body;             /* TT_POST_JSON body */
    const char *body_text;         /* TT_POST_JSON body already serialised,
                                      used instead of body: bodies with a
                                      secret (tt_secret_json()), which the
                                      caller wipes after the call; libcurl
                                      is given this very buffer */
    size_t body_text_len;
    const tt_upload_form *upload;  /* TT_POST_MULTIPART fields */
    const char *token;             /* Access-Token header value, or NULL */
    const char *profile;           /* named in re-authorize messages */
    const char *advertiser_id;     /* named in permission messages */
    int sensitive;                 /* request or answer carries a secret:
                                      wipe the buffers we own after use */
    int no_blind_retry;            /* create, update: retry only when the
                                      request surely did nothing (never left,
                                      or TikTok answered with a code) */
    int max_attempts;              /* 0: the tt_http default */
} tt_request;

/** A parsed envelope. Free with tt_response_free(). */
typedef struct tt_response {
    long http_status;
    long code;                     /* TikTok's code, 0 on success */
    char message[512];
    char request_id[72];
    json_object *root;             /* owned */
    json_object *data;             /* borrowed from root; NULL if absent */
} tt_response;

typedef struct tt_http_endpoint_stats {
    char endpoint[64];
    uint64_t calls;                /* attempts sent, retries included */
    uint64_t failures;             /* attempts that did not return OK */
} tt_http_endpoint_stats;

typedef struct tt_http_stats {
    uint64_t calls;
    uint64_t retries;
    uint64_t bytes_uploaded;
    size_t nendpoints;
    tt_http_endpoint_stats endpoints[TT_HTTP_STATS_MAX];
} tt_http_stats;

typedef struct tt_http {
    char *api_base;                /* without a trailing slash */
    char *ca_file;                 /* NULL: the system store */
    long connect_timeout_ms;
    long timeout_ms;               /* non-upload requests */
    long upload_cap_ms;
    long low_speed_bps;
    long low_speed_s;
    size_t max_body;
    int max_attempts;
    int max_parallel;              /* tt_http_call_many() concurrency */
    CURL *easy;                    /* reused for keep-alive */
    int openssl_tls;               /* libcurl's TLS is OpenSSL: received
                                      plaintext is wiped (tt_http_xfer.c) */
    char app_id[64];               /* names the shared rate-limit pauses */
    tt_http_stats stats;
    /* Called with 1 when a request starts waiting (a transfer, a backoff,
       its turn in the pace) and with 0 before it goes on, so a caller
       that runs several tt_http on threads under one lock lets the others
       run meanwhile (delivery/tt_par.c); NULL: nothing to do. */
    void (*idle)(void *arg, int waiting);
    void *idle_arg;
} tt_http;

/* http->idle(http->idle_arg, waiting) when set. */
void tt_http_idle(tt_http *http, int waiting);

/*
 * Reads api_base and ca_file from the host, sets the defaults above.
 * An api_base that is not an http(s) URL is ACONN_ERR_INVALID (field
 * "api_base"). Free with tt_http_cleanup().
 */
aconn_status tt_http_init(tt_http *http, const aconn_host *host, aconn_error *err);
void tt_http_cleanup(tt_http *http);

/* One attempt (the attempt-th of the call: how a failure is logged),
   classified. resp is filled whatever the status. */
aconn_status tt_http_once(tt_http *http, const aconn_host *host, const tt_request *req,
                          int attempt, tt_response *resp, aconn_error *err);

/*
 * One logical call with bounded retries: up to max_attempts attempts for
 * outcomes tt_status_retry_in_call() allows, short jittered backoffs
 * (200 ms x 2^k, capped at 2 s; at least 1 s after a rate limit), polling
 * host->cancelled() between attempts and while waiting. After the last
 * attempt returns the classified status with err->retry_after_ms.
 */
aconn_status tt_http_call(tt_http *http, const aconn_host *host, const tt_request *req,
                          tt_response *resp, aconn_error *err);

/*
 * n independent calls in parallel (curl multi, at most max_parallel at
 * once), each retried and classified on its own: statuses[i], resps[i] and
 * errs[i] (caller-owned; errs[i].struct_size set) belong to reqs[i].
 * Returns ACONN_OK when all succeeded, else the status of the first failure.
 */
aconn_status tt_http_call_many(tt_http *http, const aconn_host *host,
                               const tt_request *reqs, size_t n, tt_response *resps,
                               aconn_status *statuses, aconn_error *errs);

void tt_response_free(tt_response *resp);

/* ---- exposed for tests ---- */

/*
 * <api_base>/open_api/v1.3/<endpoint>/?query, built with CURLU
 * (CURLU_APPENDQUERY | CURLU_URLENCODE). *out is heap (free()).
 */
aconn_status tt_http_build_url(const char *api_base, const char *endpoint,
                               json_object *query, char **out, aconn_error *err);

/*
 * Parses an HTTP 200 body into resp. Returns TT_TRANSPORT_OK or
 * TT_TRANSPORT_BAD_BODY with a short reason in detail.
 */
tt_transport tt_http_parse_envelope(const char *body, size_t len, tt_response *resp,
                                    char *detail, size_t detail_len);

/* Maps a libcurl result to a transport class. */
tt_transport tt_http_transport_of(CURLcode rc);

/* Backoff before attempt (attempt + 1); random supplies the jitter. */
int64_t tt_http_backoff_ms(int attempt, const aconn_error *err, uint32_t random);

/* The stats row of an endpoint, or NULL. */
const tt_http_endpoint_stats *tt_http_stats_find(const tt_http_stats *stats,
                                                 const char *endpoint);

#endif
