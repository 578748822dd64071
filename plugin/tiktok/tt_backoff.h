/*
 * tt_backoff.h - TikTok's rate-limit recovery, shared by every worker.
 *
 * TikTok signals throttling only in the envelope (40100, 40016, 40133,
 * 61000; no Retry-After) and asks (TikTok's rate-limit page; docs/tiktok-answers.md):
 * per-second breach: retry next second; per-minute: suspend 5 minutes;
 * per-day: wait until 00:00:00 UTC. Which limit was hit is read from the
 * message when it says so, otherwise from how long throttling has lasted
 * without a success: a minute of it is the per-minute quota, throttling
 * again after the 5-minute pause is the per-day one.
 *
 * The pause lives in the host's state store under
 * throttle/<app_id>/ep/<endpoint> (app-level, per endpoint) or
 * throttle/<app_id>/adv/<advertiser_id> (40133), so every run, every worker
 * and every host on one store obeys it. Pauses of a second are recorded
 * but not enforced across workers (the in-call backoff covers them).
 */
#ifndef TT_BACKOFF_H
#define TT_BACKOFF_H

#include <stdint.h>

#include <aconn/aconn.h>

#define TT_BACKOFF_SECOND_MS 1000
#define TT_BACKOFF_MINUTE_MS 300000       /* "suspend calls for 5 minutes" */
#define TT_BACKOFF_MINUTE_AFTER_MS 60000  /* throttled this long: the per-minute quota */
#define TT_BACKOFF_STREAK_GAP_MS 60000  /* quiet this long after a pause: a new streak */
#define TT_BACKOFF_KEY_MAX 192

typedef enum tt_limit {
    TT_LIMIT_NONE = 0,
    TT_LIMIT_SECOND,
    TT_LIMIT_MINUTE,
    TT_LIMIT_DAY
} tt_limit;

/* The scopes one request is subject to; built by tt_backoff_scopes(). */
typedef struct tt_backoff_scopes {
    char endpoint_key[TT_BACKOFF_KEY_MAX];
    char advertiser_key[TT_BACKOFF_KEY_MAX]; /* "" without an advertiser */
    uint64_t endpoint_version;               /* 0: no streak recorded */
    uint64_t advertiser_version;
} tt_backoff_scopes;

/* Fills the keys for app_id (NULL: "default"), endpoint and advertiser_id. */
void tt_backoff_scopes_init(tt_backoff_scopes *sc, const char *app_id, const char *endpoint,
                            const char *advertiser_id);

/* Pure: the limit after a throttled answer. prev is the streak's limit so far. */
tt_limit tt_backoff_limit(const char *message, int64_t streak_ms, tt_limit prev,
                          int prev_pause_over);

/* Pure: how long to pause for limit at now_ms (UTC). */
int64_t tt_backoff_pause_ms(tt_limit limit, int64_t now_ms);

const char *tt_limit_name(tt_limit limit);

/*
 * Before a request: ACONN_OK, or ACONN_RETRY_THROTTLED (reason
 * "rate_limit_pause", retry_after_ms = time left) while a per-minute or
 * per-day pause of any scope is running. Remembers which scopes have a
 * streak. Without a state store: ACONN_OK.
 */
aconn_status tt_backoff_before(const aconn_host *host, tt_backoff_scopes *sc, int64_t now_ms,
                               const char *endpoint, aconn_error *err);

/*
 * After a classified answer: a throttled one extends the streak and
 * rewrites err's hint and message with the limit hit; a success ends the
 * streaks that were seen before. Failures of the store only lose the
 * sharing, never the answer.
 */
void tt_backoff_after(const aconn_host *host, tt_backoff_scopes *sc, int64_t now_ms,
                      const char *endpoint, const char *message, aconn_error *err);

#endif
