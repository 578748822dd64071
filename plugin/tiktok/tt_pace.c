/*
 * tt_pace.c - the shared request budget, from the plugin's side (see
 * tt_pace.h for why).
 */
#include <config.h>

#include "tiktok/tt_pace.h"

#include <stdio.h>

static int tt_pace_key(const tt_http *http, const tt_request *req, char *key, size_t n)
{
    const char *app = http->app_id[0] != '\0' ? http->app_id : "default";
    int len = snprintf(key, n, "%s/%s", app, req->endpoint != NULL ? req->endpoint : "-");

    return len > 0 && (size_t) len < n ? 0 : -1;
}

static int tt_pace_usable(const aconn_host *host)
{
    return host != NULL && ACONN_HAS(host, aconn_host, pace) && host->pace != NULL;
}

aconn_status tt_pace_ask(const tt_http *http, const aconn_host *host, const tt_request *req,
                         int64_t *wait_ms, aconn_error *err)
{
    char key[200];
    int64_t wait = 0;

    *wait_ms = 0;
    if (!tt_pace_usable(host) || tt_pace_key(http, req, key, sizeof(key)) != 0)
        return ACONN_OK;
    /* A store that fails costs the pacing, never the request. */
    if (host->pace(host->ctx, key, 1, 0, &wait) != ACONN_OK || wait <= 0)
        return ACONN_OK;
    if (wait > TT_PACE_MAX_WAIT_MS) {
        aconn_status st = aconn_error_set(err, ACONN_RETRY_THROTTLED, "rate_limit_queue", NULL,
                                          "Not sent: the app's request budget for %s is "
                                          "booked %lld s ahead by other workers; the run is "
                                          "retried then. Nothing was lost.",
                                          req->endpoint != NULL ? req->endpoint : "the API",
                                          (long long) ((wait + 999) / 1000));
        if (err != NULL)
            err->retry_after_ms = wait;
        return st;
    }
    *wait_ms = wait;
    return ACONN_OK;
}

void tt_pace_refused(const tt_http *http, const aconn_host *host, const tt_request *req)
{
    char key[200];
    int64_t wait = 0;

    if (tt_pace_usable(host) && tt_pace_key(http, req, key, sizeof(key)) == 0)
        (void) host->pace(host->ctx, key, 0, ACONN_PACE_REFUSED, &wait);
}
