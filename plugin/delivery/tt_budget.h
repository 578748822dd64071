/*
 * tt_budget.h - TikTok's 24 update operations per Ad Account per day, kept
 * so that it holds whichever day TikTok counts by, shared by every worker
 * through the host's compare-and-set store.
 *
 * Whose day TikTok counts by is unconfirmed: UTC, or the advertiser's own
 * time zone (advertiser/info), whose days are 23 or 25 hours long when
 * daylight saving time starts or ends. So the budget is a rolling window of
 * 25 hours, not a calendar day: at most 24 reservations in any 25 hours.
 * Every calendar day in every time zone, DST days included, is at most 25
 * hours long and so lies inside one such window: it can never hold more
 * than 24, whatever TikTok's day is. The price is that a connection that
 * uses all 24 in a burst waits 25 hours instead of until midnight.
 *
 * Why every 25-hour interval, not only the one ending now: a reservation at
 * t is granted only when (t - 25 h, t] holds fewer than 24; the last
 * reservation of any 25-hour interval saw every other one of it in its own
 * window. (Workers' clocks are assumed to agree to well within an hour.)
 *
 * State: key "budget/<advertiser_id>" holds {"at_ms":[t, ...]}, the times
 * (ms since the epoch, ascending) of the reservations of the last 25 hours;
 * older ones are dropped on every write, so the value stays small.
 * A reservation is a CAS append, so eight hosts on one state database can
 * never reserve more than the limit together. A reservation is never given
 * back: an update whose response was lost may still have been counted by
 * TikTok, and over-counting only defers work, while under-counting would
 * make TikTok refuse it.
 *
 * Upgrade: releases before this one counted per UTC day under
 * "budget/<adv>/<YYYY-MM-DD>". When the new key does not exist yet and that
 * UTC day's legacy counter does, its count N is carried over as N
 * reservations at 00:00 UTC of that day, so an upgrade mid-day never
 * over-spends (they leave the window at 01:00 UTC the next day).
 */
#ifndef TT_BUDGET_H
#define TT_BUDGET_H

#include <stdint.h>

#include <aconn/aconn.h>

#define TT_BUDGET_UPDATES_PER_DAY 24
/* The rolling window: the longest calendar day of any time zone (DST). */
#define TT_BUDGET_WINDOW_MS (25LL * 60 * 60 * 1000)

/*
 * Reserves one update for advertiser_id at now_ms. Returns ACONN_OK, or
 * ACONN_RETRY_DEFERRED when `limit` reservations are already in the window
 * (now_ms - 25 h, now_ms], with err->retry_after_ms set to the time until
 * the oldest that must leave does (oldest + 25 h - now_ms, at least 1) and
 * a message naming the account, when (UTC) and why. ACONN_RETRY when the
 * key is too contended or the store unreadable; ACONN_ERR_FATAL when the
 * stored value was not written by this plugin (the message names the key).
 */
aconn_status tt_budget_reserve(const aconn_host *host, const char *advertiser_id,
                               int64_t now_ms, uint32_t limit, aconn_error *err);

/*
 * Formats at_ms for people: "2026-12-04 01:00 UTC (in 3 h 12 min)", the
 * wait from now_ms rounded up to a minute. For deferral messages.
 */
void tt_budget_format_when(int64_t at_ms, int64_t now_ms, char *buf, size_t size);

/* Milliseconds from now_ms to the next 00:00 UTC. */
int64_t tt_budget_ms_to_next_utc_day(int64_t now_ms);

#endif
