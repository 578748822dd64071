/*
 * tt_http_xfer.h - internal: one transfer in flight (tt_http.c and
 * tt_http_retry.c only). Holds everything libcurl points into while a
 * request runs, so it can be wiped and freed in one place.
 */
#ifndef TT_HTTP_XFER_H
#define TT_HTTP_XFER_H

#include "tiktok/tt_http.h"
#include "tiktok/tt_backoff.h"

typedef struct tt_xfer {
    CURL *easy;                    /* borrowed */
    const aconn_host *host;        /* borrowed for the transfer */
    struct curl_slist *headers;    /* owned; wiped (Access-Token) */
    curl_mime *mime;               /* owned */
    char *url;                     /* owned; wiped (may carry app secret) */
    char *post;                    /* owned JSON body; wiped */
    size_t post_len;
    char *body;                    /* owned answer; wiped */
    size_t body_len;
    size_t body_cap;
    size_t max_body;
    int too_large;
    int cancelled;
    char errbuf[CURL_ERROR_SIZE];
    tt_backoff_scopes backoff;     /* the rate-limit scopes of this request */
} tt_xfer;

/* Configures easy for req; on failure x is clean and err filled. */
aconn_status tt_xfer_setup(tt_http *http, const aconn_host *host, tt_xfer *x, CURL *easy,
                           const tt_request *req, aconn_error *err);

/* Classifies a finished transfer (the attempt-th of its call) into
   resp/err, updates the stats and logs it: a failure the call retries is a
   warning the first time, at debug level after; the last one a warning. */
aconn_status tt_xfer_finish(tt_http *http, const aconn_host *host, tt_xfer *x, CURLcode rc,
                            const tt_request *req, int attempt, tt_response *resp,
                            aconn_error *err);

/* How many attempts a call of req gets, and whether a failed one may be
   repeated (both paths of tt_http_retry.c, and the log of each attempt). */
int tt_http_attempts(const tt_http *http, const tt_request *req);
int tt_http_may_retry(const tt_request *req, const aconn_error *err);

/* tt_http_parse_envelope(); when sensitive (the answer may carry a token),
   json-c's scratch copies of it are kept from realloc() and wiped. */
tt_transport tt_http_parse_answer(const char *body, size_t len, int sensitive,
                                  tt_response *resp, char *detail, size_t detail_len);

/* Wipes and frees what x owns (not the easy handle). */
void tt_xfer_cleanup(tt_xfer *x);

#endif
