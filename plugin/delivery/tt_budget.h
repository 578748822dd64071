/*
 * tt_budget.h - TikTok's 24 update operations per Ad Account per UTC day,
 * shared by every worker through the host's compare-and-set store.
 *
 * A worker reserves one unit before each update call (APPEND, REMOVE or
 * REPLACE). Reservation is a CAS increment of the day's counter, so eight
 * hosts on one state database can never reserve more than the limit
 * together. A reservation is never given back: an update whose response was
 * lost may still have been counted by TikTok, and over-counting only defers
 * work to the next day, while under-counting would make TikTok refuse it.
 */
#ifndef TT_BUDGET_H
#define TT_BUDGET_H

#include <stdint.h>

#include <aconn/aconn.h>

#define TT_BUDGET_UPDATES_PER_DAY 24

/*
 * Reserves one update for advertiser_id on the UTC day of now_ms. Returns
 * ACONN_OK, or ACONN_RETRY_DEFERRED with err->retry_after_ms set to the
 * time left until the next UTC midnight when the day's limit is used up.
 */
aconn_status tt_budget_reserve(const aconn_host *host, const char *advertiser_id,
                               int64_t now_ms, uint32_t limit, aconn_error *err);

/* Updates already reserved today (0 when none or unreadable). */
uint32_t tt_budget_used(const aconn_host *host, const char *advertiser_id, int64_t now_ms);

/* Milliseconds from now_ms to the next 00:00 UTC. */
int64_t tt_budget_ms_to_next_utc_day(int64_t now_ms);

#endif
