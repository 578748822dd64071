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
#include "tiktok/tt_pace.h"

#include <stdlib.h>
#include <string.h>
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
    return host != NULL && host->cancelled(host->ctx) != 0;
}

static int tt_sleep_slices(const aconn_host *host, int64_t ms)
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

/* Sleeps ms in slices; returns non-zero when cancelled meanwhile. Others
   sharing the caller's lock (tt_http.idle) run meanwhile. */
static int tt_sleep_ms(tt_http *http, const aconn_host *host, int64_t ms)
{
    int cancelled;

    tt_http_idle(http, 1);
    cancelled = tt_sleep_slices(host, ms);
    tt_http_idle(http, 0);
    return cancelled;
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

aconn_status tt_http_call(tt_http *http, const aconn_host *host, const tt_request *req,
                          tt_response *resp, aconn_error *err)
{
    int attempt, max = tt_http_attempts(http, req);
    aconn_status st = ACONN_ERR_FATAL;

    for (attempt = 1; attempt <= max; attempt++) {
        int64_t wait = 0;

        if (tt_cancelled(host))
            return tt_cancel_status(req, err);
        /* Every attempt is a request TikTok counts: each waits its turn. */
        st = tt_pace_ask(http, host, req, &wait, err);
        if (st != ACONN_OK)
            return st;
        if (wait > 0 && tt_sleep_ms(http, host, wait))
            return tt_cancel_status(req, err);
        st = tt_http_once(http, host, req, attempt, resp, err);
        if (st == ACONN_OK || attempt == max || !tt_http_may_retry(req, err))
            return st;
        http->stats.retries++;
        if (tt_sleep_ms(http, host, tt_http_backoff_ms(attempt, err, tt_random_u32())))
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
    int paced;              /* its turn in the pace is booked (not_before) */
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

/* One tt_http_call_many() in progress: the requests and their outcomes. */
typedef struct tt_many {
    tt_http *http;
    const aconn_host *host;
    CURLM *multi;
    const tt_request *reqs;
    size_t n;
    tt_response *resps;
    aconn_status *statuses;
    aconn_error *errs;
    tt_slot *slots;
    int64_t *not_before;    /* monotonic ms before which i is not retried */
    size_t running, finished;
    size_t booked;          /* paced, waiting for their turn: they count
                               against max_parallel like running ones */
    int cancelled;
} tt_many;

/* Books request i's turn in the pace; 1 when it may start now. */
static int tt_many_book(tt_many *m, size_t i, int64_t now)
{
    tt_slot *s = &m->slots[i];
    int64_t wait = 0;
    aconn_status st;

    if (s->paced)
        return 1;
    st = tt_pace_ask(m->http, m->host, &m->reqs[i], &wait, &m->errs[i]);
    if (st != ACONN_OK) {
        m->statuses[i] = st;
        s->done = 1;
        m->finished++;
        return 0;
    }
    s->paced = 1;
    m->booked++;
    m->not_before[i] = now + wait;
    return wait <= 0;
}

/* Starts every request that may start now, up to max_parallel at once
   (running or booked); once cancelled, finishes the waiting ones as
   cancelled instead. */
static void tt_many_start(tt_many *m)
{
    int64_t now = tt_mono_ms();
    size_t i, cap = (size_t) m->http->max_parallel;

    for (i = 0; i < m->n; i++) {
        tt_slot *s = &m->slots[i];

        if (s->done || s->active)
            continue;
        /* Cancelled: the waiting ones finish now, not when their turn or
           backoff is over. */
        if (m->cancelled) {
            if (s->paced)
                m->booked--;
            s->paced = 0;
            m->statuses[i] = tt_cancel_status(&m->reqs[i], &m->errs[i]);
            s->done = 1;
            m->finished++;
            continue;
        }
        if (m->not_before[i] > now)
            continue;
        if (!s->paced && m->running + m->booked >= cap)
            continue;
        if (!tt_many_book(m, i, now))
            continue;
        s->paced = 0;
        m->booked--;
        if (tt_slot_start(m->http, m->host, m->multi, s, &m->reqs[i], &m->statuses[i],
                          &m->errs[i]) != 0)
            m->finished++;
        else
            m->running++;
    }
}

/* How long to wait for libcurl before looking again: until the next
   booked or backing-off request may start, at most a slice. */
static int tt_many_next_ms(const tt_many *m)
{
    int64_t now = tt_mono_ms(), next = TT_SLEEP_SLICE_MS;
    size_t i;

    for (i = 0; i < m->n; i++)
        if (!m->slots[i].done && !m->slots[i].active && m->not_before[i] - now < next)
            next = m->not_before[i] - now;
    return next < 1 ? 1 : (int) next;
}

/* Classifies the transfers libcurl finished; schedules the retries. */
static void tt_many_collect(tt_many *m)
{
    CURLMsg *msg;
    int left = 0;
    size_t i;

    while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
        tt_slot *s = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        for (i = 0; i < m->n; i++)
            if (m->slots[i].active && m->slots[i].easy == msg->easy_handle) {
                s = &m->slots[i];
                break;
            }
        if (s == NULL)
            continue;
        (void) curl_multi_remove_handle(m->multi, s->easy);
        s->active = 0;
        m->running--;
        m->statuses[i] = tt_xfer_finish(m->http, m->host, &s->x, msg->data.result,
                                        &m->reqs[i], s->attempts, &m->resps[i], &m->errs[i]);
        tt_xfer_cleanup(&s->x);
        if (m->statuses[i] != ACONN_OK && s->attempts < tt_http_attempts(m->http, &m->reqs[i])
            && tt_http_may_retry(&m->reqs[i], &m->errs[i])) {
            m->http->stats.retries++;
            m->not_before[i] = tt_mono_ms() + tt_http_backoff_ms(s->attempts, &m->errs[i],
                                                                 tt_random_u32());
            continue;
        }
        s->done = 1;
        m->finished++;
    }
}

/* Each turn: start what may start, run libcurl, collect results. Bounded:
   every transfer has its own timeouts and a request is started at most
   max_attempts times. Returns when all finished or libcurl failed. */
static void tt_many_run(tt_many *m)
{
    while (m->finished < m->n) {
        int still = 0;
        CURLMcode mc;

        if (!m->cancelled && tt_cancelled(m->host))
            m->cancelled = 1;
        tt_many_start(m);
        if (m->running == 0) {
            if (m->finished >= m->n)
                break;
            /* Everyone left is backing off or waiting its turn. */
            if (tt_sleep_ms(m->http, m->host, tt_many_next_ms(m)))
                m->cancelled = 1;
            continue;
        }
        tt_http_idle(m->http, 1);
        mc = curl_multi_perform(m->multi, &still);
        if (mc == CURLM_OK)
            mc = curl_multi_poll(m->multi, NULL, 0, tt_many_next_ms(m), NULL);
        tt_http_idle(m->http, 0);
        if (mc != CURLM_OK)
            break;
        tt_many_collect(m);
    }
}

/* Anything still unfinished (a multi failure) is reported, not lost. */
static void tt_many_settle(tt_many *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        tt_slot *s = &m->slots[i];

        if (s->active) {
            (void) curl_multi_remove_handle(m->multi, s->easy);
            tt_xfer_cleanup(&s->x);
            s->active = 0;
        }
        if (!s->done) {
            m->statuses[i] = aconn_error_set(&m->errs[i], ACONN_RETRY, "curl_multi_failed",
                                             NULL, "The parallel request for %s could not "
                                             "run; retry later.", m->reqs[i].endpoint);
            m->errs[i].retry_after_ms = TT_HINT_NETWORK_MS;
        }
    }
}

aconn_status tt_http_call_many(tt_http *http, const aconn_host *host,
                               const tt_request *reqs, size_t n, tt_response *resps,
                               aconn_status *statuses, aconn_error *errs)
{
    tt_many m;
    aconn_status first = ACONN_OK;
    size_t i;

    if (n == 0)
        return ACONN_OK;
    memset(&m, 0, sizeof(m));
    m.http = http;
    m.host = host;
    m.reqs = reqs;
    m.n = n;
    m.resps = resps;
    m.statuses = statuses;
    m.errs = errs;
    m.slots = calloc(n, sizeof(*m.slots));
    m.not_before = calloc(n, sizeof(*m.not_before));
    m.multi = curl_multi_init();
    if (m.slots == NULL || m.not_before == NULL || m.multi == NULL) {
        for (i = 0; i < n; i++)
            statuses[i] = aconn_error_set(&errs[i], ACONN_ERR_FATAL, "out_of_memory", NULL,
                                          "Out of memory starting parallel requests.");
        first = ACONN_ERR_FATAL;
        goto cleanup;
    }
    (void) curl_multi_setopt(m.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) http->max_parallel);
    for (i = 0; i < n; i++)
        statuses[i] = ACONN_RETRY;
    tt_many_run(&m);
    tt_many_settle(&m);
    for (i = 0; i < n; i++)
        if (statuses[i] != ACONN_OK) {
            first = statuses[i];
            break;
        }
cleanup:
    if (m.slots != NULL) {
        for (i = 0; i < n; i++)
            if (m.slots[i].easy != NULL)
                curl_easy_cleanup(m.slots[i].easy);
    }
    free(m.slots);
    free(m.not_before);
    curl_multi_cleanup(m.multi);
    return first;
}
