/*
 * fz_transport.c - see fz_transport.h.
 */
#include <config.h>

#include "fz_transport.h"

#include <stdio.h>
#include <string.h>

#include "tiktok/tt_status.h"

/* The ABI 1.0 services (aconn.h: never NULL), as a host with nothing in
   it: no options, a clock at 0, no secrets, an empty store that accepts
   and forgets writes, no records. */
static void fz_log(void *ctx, int32_t level, const char *msg)
{
    (void) ctx;
    (void) level;
    (void) msg;
}

static const char *fz_option(void *ctx, const char *name)
{
    (void) ctx;
    (void) name;
    return NULL;
}

static int64_t fz_now(void *ctx)
{
    (void) ctx;
    return 0;   /* as before the services were filled in: the corpora assume it */
}

static int32_t fz_cancelled(void *ctx)
{
    (void) ctx;
    return 0;
}

static aconn_status fz_secret_get(void *ctx, const char *name, char *buf, size_t buflen,
                                  size_t *len)
{
    (void) ctx;
    (void) name;
    (void) buf;
    (void) buflen;
    *len = 0;
    return ACONN_ERR_NOT_FOUND;
}

static aconn_status fz_secret_put(void *ctx, const char *name, const char *value, size_t len)
{
    (void) ctx;
    (void) name;
    (void) value;
    (void) len;
    return ACONN_OK;
}

static aconn_status fz_state_get(void *ctx, const char *key, char *buf, size_t buflen,
                                 size_t *len, uint64_t *version)
{
    (void) ctx;
    (void) key;
    (void) buf;
    (void) buflen;
    *len = 0;
    *version = 0;
    return ACONN_ERR_NOT_FOUND;
}

static aconn_status fz_state_cas(void *ctx, const char *key, uint64_t expected,
                                 const char *value, size_t len, uint64_t *new_version)
{
    (void) ctx;
    (void) key;
    (void) value;
    (void) len;
    if (new_version != NULL)
        *new_version = expected + 1;
    return ACONN_OK;
}

static aconn_status fz_batch_next(void *ctx, const aconn_batch *batch,
                                  const aconn_record *const **records, size_t *count)
{
    (void) ctx;
    (void) batch;
    *records = NULL;
    *count = 0;
    return ACONN_OK;
}

static void fz_reject(void *ctx, const aconn_batch *batch, uint64_t seq, uint32_t attr_index,
                      const char *reason, const char *detail)
{
    (void) ctx;
    (void) batch;
    (void) seq;
    (void) attr_index;
    (void) reason;
    (void) detail;
}

void fz_feed_host(fz_feed *feed, aconn_host *host)
{
    memset(host, 0, sizeof(*host));
    host->struct_size = sizeof(*host);
    host->abi_major = ACONN_ABI_MAJOR;
    host->abi_minor = ACONN_ABI_MINOR;
    host->ctx = feed;
    host->log = fz_log;
    host->option = fz_option;
    host->now_ms = fz_now;
    host->cancelled = fz_cancelled;
    host->secret_get = fz_secret_get;
    host->secret_put = fz_secret_put;
    host->state_get = fz_state_get;
    host->state_cas = fz_state_cas;
    host->batch_next = fz_batch_next;
    host->reject = fz_reject;
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
        return req->body == NULL && req->body_text == NULL && req->upload == NULL;
    case TT_POST_JSON:
        /* Exactly one of the two: a json-c object, or (when it carries a
           secret) text the caller serialised into a buffer it wipes. */
        return (req->body != NULL) != (req->body_text != NULL) && req->upload == NULL;
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
