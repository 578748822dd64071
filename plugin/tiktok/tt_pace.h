/*
 * tt_pace.h - asking the host's shared request budget (aconn_host.pace,
 * ABI 1.2) before each TikTok request, so that every worker of one app
 * together stays under TikTok's per-app, per-endpoint rate (10 requests
 * per second on the basic tier) instead of being refused with 40100 and
 * backing off afterwards.
 *
 * The budget's key is "<app_id>/<endpoint>": TikTok applies its limits per
 * developer app and per endpoint (docs/tiktok-answers.md). A host without
 * the service (ABI 1.0, 1.1) or whose store fails leaves requests unpaced,
 * as before: pacing only avoids refusals, it never blocks a delivery.
 */
#ifndef TT_PACE_H
#define TT_PACE_H

#include <stdint.h>

#include <aconn/aconn.h>

#include "tiktok/tt_http.h"

/* A wait longer than this means the budget is oversubscribed (many workers
   queueing on one endpoint): the run is retried later rather than sleep
   (aconn.h section 8: no long sleeps in a plugin). */
#define TT_PACE_MAX_WAIT_MS 10000

/*
 * Reserves one slot of req's budget and sets *wait_ms to when it may go
 * (0: now; also 0 without the service or when the store failed). Returns
 * ACONN_OK, or ACONN_RETRY_THROTTLED ("rate_limit_queue", retry_after_ms
 * set) when the wait would exceed TT_PACE_MAX_WAIT_MS.
 */
aconn_status tt_pace_ask(const tt_http *http, const aconn_host *host, const tt_request *req,
                         int64_t *wait_ms, aconn_error *err);

/* TikTok refused req for the app's rate (40100, 40016, 61000): every worker
   of the app waits the next second. */
void tt_pace_refused(const tt_http *http, const aconn_host *host, const tt_request *req);

#endif
