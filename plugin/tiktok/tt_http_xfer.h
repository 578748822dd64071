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

/* Classifies a finished transfer into resp/err and updates the stats. */
aconn_status tt_xfer_finish(tt_http *http, const aconn_host *host, tt_xfer *x, CURLcode rc,
                            const tt_request *req, tt_response *resp, aconn_error *err);

/* tt_http_parse_envelope(); when sensitive (the answer may carry a token),
   json-c's scratch copies of it are kept from realloc() and wiped. */
tt_transport tt_http_parse_answer(const char *body, size_t len, int sensitive,
                                  tt_response *resp, char *detail, size_t detail_len);

/* Wipes and frees what x owns (not the easy handle). */
void tt_xfer_cleanup(tt_xfer *x);

#endif
