/*
 * fz_transport.c - see fz_transport.h.
 */
#include <config.h>

#include "fz_transport.h"

#include <stdio.h>
#include <string.h>

#include "tiktok/tt_status.h"

void fz_feed_host(fz_feed *feed, aconn_host *host)
{
    memset(host, 0, sizeof(*host));
    host->struct_size = sizeof(*host);
    host->abi_major = ACONN_ABI_MAJOR;
    host->abi_minor = ACONN_ABI_MINOR;
    host->ctx = feed;
}

/* The next body, or -1 when the feed is dry. */
static int fz_feed_take(fz_feed *f, const uint8_t **body, size_t *len)
{
    const uint8_t *nul;
    size_t n;

    if (f->left > 0) {
        nul = memchr(f->next, '\0', f->left);
        n = nul != NULL ? (size_t) (nul - f->next) : f->left;
        f->last = f->next;
        f->last_len = n;
        f->next += n;
        f->left -= n;
        if (nul != NULL) {
            f->next++;
            f->left--;
        }
        *body = f->last;
        *len = f->last_len;
        return 0;
    }
    if (!f->repeat_last || f->last == NULL)
        return -1;
    *body = f->last;
    *len = f->last_len;
    return 0;
}

/* What tt_http.h asks of every request the wrappers build. */
static int fz_request_ok(const tt_request *req)
{
    if (req->endpoint == NULL || req->endpoint[0] == '\0')
        return 0;
    switch (req->method) {
    case TT_GET:
        return req->body == NULL && req->upload == NULL;
    case TT_POST_JSON:
        return req->body != NULL && req->upload == NULL;
    case TT_POST_MULTIPART:
        return req->upload != NULL && req->upload->file_path != NULL
               && req->upload->file_name != NULL;
    }
    return 0;
}

aconn_status tt_http_call(tt_http *http, const aconn_host *host, const tt_request *req,
                          tt_response *resp, aconn_error *err)
{
    fz_feed *f = host->ctx;
    tt_status_input in;
    char detail[128];
    const uint8_t *body = NULL;
    size_t len = 0;

    memset(&in, 0, sizeof(in));
    detail[0] = '\0';
    tt_response_free(resp);
    f->calls++;
    http->stats.calls++;
    if (!fz_request_ok(req))
        f->bad_request = 1;
    in.endpoint = req->endpoint;
    in.profile = req->profile;
    in.advertiser_id = req->advertiser_id;
    if (fz_feed_take(f, &body, &len) != 0) {
        in.transport = TT_TRANSPORT_DROPPED;
        snprintf(detail, sizeof(detail), "fuzz feed is empty");
    } else {
        in.http_status = 200;
        resp->http_status = 200;
        in.transport = tt_http_parse_envelope((const char *) body, len, resp, detail,
                                              sizeof(detail));
        in.code = resp->code;
        in.message = resp->message;
        in.request_id = resp->request_id;
    }
    in.detail = detail;
    return tt_status_classify(&in, err);
}

aconn_status tt_http_call_many(tt_http *http, const aconn_host *host,
                               const tt_request *reqs, size_t n, tt_response *resps,
                               aconn_status *statuses, aconn_error *errs)
{
    aconn_status first = ACONN_OK;
    size_t i;

    for (i = 0; i < n; i++) {
        statuses[i] = tt_http_call(http, host, &reqs[i], &resps[i], &errs[i]);
        if (statuses[i] != ACONN_OK && first == ACONN_OK)
            first = statuses[i];
    }
    return first;
}
