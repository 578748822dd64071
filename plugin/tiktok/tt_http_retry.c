/*
 * tt_http_retry.c - bounded retries around tt_http_once(), and the parallel
 * variant on curl multi.
 *
 * Waits here are short (at most TT_HTTP_BACKOFF_CAP_MS): anything longer is
 * returned to the host as a retry status with retry_after_ms, as the ABI
 * asks ("a plugin never sleeps through a long wait").
 */
#include <config.h>

#include "tiktok/tt_http.h"
#include "tiktok/tt_http_xfer.h"

#include <stdlib.h>
#include <time.h>

#include <openssl/rand.h>

#define TT_SLEEP_SLICE_MS 50

int64_t tt_http_backoff_ms(int attempt, const aconn_error *err, uint32_t random)
{
    int64_t base, wait;
    int k = attempt < 1 ? 0 : attempt - 1;

    if (k > 10)
        k = 10;
    base = (int64_t) TT_HTTP_BACKOFF_BASE_MS << k;
    /* Up to +50% jitter so parallel workers do not retry in lockstep. */
    wait = base + (int64_t) (random % (uint32_t) (base / 2 + 1));
    if (wait > TT_HTTP_BACKOFF_CAP_MS)
        wait = TT_HTTP_BACKOFF_CAP_MS;
    /* TikTok's QPS window is one second: retrying sooner is wasted. */
    if (err != NULL && err->status == ACONN_RETRY_THROTTLED && wait < TT_HINT_THROTTLED_MS)
        wait = TT_HINT_THROTTLED_MS;
    return wait;
}

static uint32_t tt_random_u32(void)
{
    unsigned char b[4] = {0, 0, 0, 0};

    /* A failed RAND_bytes only loses jitter, never correctness. */
    (void) RAND_bytes(b, sizeof(b));
    return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
}

static int tt_cancelled(const aconn_host *host)
{
    return host != NULL && host->cancelled != NULL && host->cancelled(host->ctx) != 0;
}

/* Sleeps ms in slices; returns non-zero when cancelled meanwhile. */
static int tt_sleep_ms(const aconn_host *host, int64_t ms)
{
    while (ms > 0) {
        int64_t slice = ms < TT_SLEEP_SLICE_MS ? ms : TT_SLEEP_SLICE_MS;
        struct timespec ts = {0, (long) slice * 1000000L};

        if (tt_cancelled(host))
            return 1;
        (void) nanosleep(&ts, NULL);
        ms -= slice;
    }
    return tt_cancelled(host);
}

static int64_t tt_mono_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static aconn_status tt_cancel_status(const tt_request *req, aconn_error *err)
{
    tt_status_input in;

    memset(&in, 0, sizeof(in));
    in.transport = TT_TRANSPORT_CANCELLED;
    in.endpoint = req->endpoint;
    return tt_status_classify(&in, err);
}

/* Whether a failed attempt may be repeated for this request. */
static int tt_may_retry(const tt_request *req, const aconn_error *err)
{
    if (!tt_status_retry_in_call(err))
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

static int tt_attempts(const tt_http *http, const tt_request *req)
{
    int n = req->max_attempts > 0 ? req->max_attempts : http->max_attempts;
    return n < 1 ? 1 : n;
}

aconn_status tt_http_call(tt_http *http, const aconn_host *host, const tt_request *req,
                          tt_response *resp, aconn_error *err)
{
    int attempt, max = tt_attempts(http, req);
    aconn_status st = ACONN_ERR_FATAL;

    for (attempt = 1; attempt <= max; attempt++) {
        if (tt_cancelled(host))
            return tt_cancel_status(req, err);
        st = tt_http_once(http, host, req, resp, err);
        if (st == ACONN_OK || attempt == max || !tt_may_retry(req, err))
            return st;
        http->stats.retries++;
        if (tt_sleep_ms(host, tt_http_backoff_ms(attempt, err, tt_random_u32())))
            return tt_cancel_status(req, err);
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* Parallel                                                            */
/* ------------------------------------------------------------------ */

typedef struct tt_slot {
    CURL *easy;
    tt_xfer x;
    int active;
    int attempts;
    int done;
} tt_slot;

/* Starts request i; returns -1 (with the outcome recorded) on failure. */
static int tt_slot_start(tt_http *http, const aconn_host *host, CURLM *multi, tt_slot *s,
                         const tt_request *req, aconn_status *status, aconn_error *err)
{
    aconn_status st;

    if (s->easy == NULL) {
        s->easy = curl_easy_init();
        if (s->easy == NULL) {
            *status = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                                      "Out of memory starting a parallel request.");
            s->done = 1;
            return -1;
        }
    } else {
        curl_easy_reset(s->easy);
    }
    st = tt_xfer_setup(http, host, &s->x, s->easy, req, err);
    if (st == ACONN_OK && curl_multi_add_handle(multi, s->easy) != CURLM_OK) {
        tt_xfer_cleanup(&s->x);
        st = aconn_error_set(err, ACONN_ERR_FATAL, "curl_multi_failed", NULL,
                             "libcurl refused a parallel request.");
    }
    if (st != ACONN_OK) {
        *status = st;
        s->done = 1;
        return -1;
    }
    s->active = 1;
    s->attempts++;
    return 0;
}

aconn_status tt_http_call_many(tt_http *http, const aconn_host *host,
                               const tt_request *reqs, size_t n, tt_response *resps,
                               aconn_status *statuses, aconn_error *errs)
{
    CURLM *multi = NULL;
    tt_slot *slots = NULL;
    size_t i, running = 0, finished = 0;
    int64_t *not_before = NULL;
    int64_t now;
    aconn_status first = ACONN_OK;
    int cancelled = 0;

    if (n == 0)
        return ACONN_OK;
    slots = calloc(n, sizeof(*slots));
    not_before = calloc(n, sizeof(*not_before));
    multi = curl_multi_init();
    if (slots == NULL || not_before == NULL || multi == NULL) {
        for (i = 0; i < n; i++)
            statuses[i] = aconn_error_set(&errs[i], ACONN_ERR_FATAL, "out_of_memory", NULL,
                                          "Out of memory starting parallel requests.");
        first = ACONN_ERR_FATAL;
        goto cleanup;
    }
    (void) curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) http->max_parallel);
    for (i = 0; i < n; i++)
        statuses[i] = ACONN_RETRY;

    /* Each loop turn: start what may start, run libcurl, collect results.
       Bounded: every transfer has its own timeouts and a request is started
       at most max_attempts times. */
    while (finished < n) {
        CURLMsg *msg;
        int still = 0, left = 0;

        if (!cancelled && tt_cancelled(host))
            cancelled = 1;
        now = tt_mono_ms();
        for (i = 0; i < n && running < (size_t) http->max_parallel; i++) {
            if (slots[i].done || slots[i].active || not_before[i] > now)
                continue;
            if (cancelled) {
                statuses[i] = tt_cancel_status(&reqs[i], &errs[i]);
                slots[i].done = 1;
                finished++;
                continue;
            }
            if (tt_slot_start(http, host, multi, &slots[i], &reqs[i], &statuses[i],
                              &errs[i]) != 0)
                finished++;
            else
                running++;
        }
        if (running == 0) {
            if (finished >= n)
                break;
            /* Everyone left is backing off: sleep a slice. */
            if (tt_sleep_ms(host, TT_SLEEP_SLICE_MS))
                cancelled = 1;
            continue;
        }
        if (curl_multi_perform(multi, &still) != CURLM_OK)
            break;
        if (curl_multi_poll(multi, NULL, 0, TT_SLEEP_SLICE_MS, NULL) != CURLM_OK)
            break;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            tt_slot *s = NULL;

            if (msg->msg != CURLMSG_DONE)
                continue;
            for (i = 0; i < n; i++)
                if (slots[i].active && slots[i].easy == msg->easy_handle) {
                    s = &slots[i];
                    break;
                }
            if (s == NULL)
                continue;
            (void) curl_multi_remove_handle(multi, s->easy);
            s->active = 0;
            running--;
            statuses[i] = tt_xfer_finish(http, host, &s->x, msg->data.result, &reqs[i],
                                         &resps[i], &errs[i]);
            tt_xfer_cleanup(&s->x);
            if (statuses[i] != ACONN_OK && s->attempts < tt_attempts(http, &reqs[i])
                && tt_may_retry(&reqs[i], &errs[i])) {
                http->stats.retries++;
                not_before[i] = tt_mono_ms() + tt_http_backoff_ms(s->attempts, &errs[i],
                                                            tt_random_u32());
                continue;
            }
            s->done = 1;
            finished++;
        }
    }
    /* Anything still unfinished (a multi failure) is reported, not lost. */
    for (i = 0; i < n; i++) {
        if (slots[i].active) {
            (void) curl_multi_remove_handle(multi, slots[i].easy);
            tt_xfer_cleanup(&slots[i].x);
            slots[i].active = 0;
        }
        if (!slots[i].done) {
            statuses[i] = aconn_error_set(&errs[i], ACONN_RETRY, "curl_multi_failed", NULL,
                                          "The parallel request for %s could not run; "
                                          "retry later.", reqs[i].endpoint);
            errs[i].retry_after_ms = TT_HINT_NETWORK_MS;
        }
    }
    for (i = 0; i < n; i++)
        if (statuses[i] != ACONN_OK) {
            first = statuses[i];
            break;
        }
cleanup:
    if (slots != NULL) {
        for (i = 0; i < n; i++)
            if (slots[i].easy != NULL)
                curl_easy_cleanup(slots[i].easy);
    }
    free(slots);
    free(not_before);
    curl_multi_cleanup(multi);
    return first;
}
