/*
 * tt_dkeys.h - every key delivery keeps in the host's state store, in one
 * place: crash recovery depends on these formats, so a copy that drifts
 * would silently break it. Each returns 0, or -1 when the key does not fit
 * (TT_DKEY_MAX bytes).
 *
 *   conn/<cid>/layout                 "per_type" | "multiple_types"
 *   conn/<cid>/audience/<adv>/<slot>  the audience created for a new target
 *   conn/<cid>/intent/<adv>/<slot>    written before a create (tt_create.h)
 *   conn/<cid>/target/<adv>/<slot>    a target's standing when not healthy:
 *                                     {"state","since_ms","since_seq","reason",
 *                                     "fix"[,"probed_ms","access_ver"]}
 *                                     (tt_health.c)
 *   claim/<adv>/<audience_id>         the connection that owns an audience
 *   calc/<adv>/<audience_id>          an audience's calculate_type (fixed)
 *   run/<cid>/<run_id>                uploads and operations of one run
 *   budget/<adv>                      the account's update budget (tt_budget.h)
 *   budget/<adv>/<YYYY-MM-DD>         the per-UTC-day counter of releases
 *                                     before the rolling window (read once,
 *                                     to carry it over; never written)
 *   replace/<adv>/<audience_id>       when its last REPLACE was sent
 *                                     (tt_replace.h)
 * <slot> is "multiple_types", a type slug ("email", ...) in the per-type
 * layout, or "a<audience_id>" for an existing audience.
 */
#ifndef TT_DKEYS_H
#define TT_DKEYS_H

#include <stddef.h>

#define TT_DKEY_MAX 256

int tt_dkey_layout(char *buf, size_t n, const char *cid);
int tt_dkey_audience(char *buf, size_t n, const char *cid, const char *adv, const char *slot);
int tt_dkey_intent(char *buf, size_t n, const char *cid, const char *adv, const char *slot);
int tt_dkey_target(char *buf, size_t n, const char *cid, const char *adv, const char *slot);
int tt_dkey_claim(char *buf, size_t n, const char *adv, const char *audience_id);
int tt_dkey_calc(char *buf, size_t n, const char *adv, const char *audience_id);
int tt_dkey_run(char *buf, size_t n, const char *cid, const char *run_id);
int tt_dkey_budget(char *buf, size_t n, const char *adv);
/* year, month 1-12, day 1-31 of the UTC day the legacy counter counted. */
int tt_dkey_budget_legacy(char *buf, size_t n, const char *adv, int year, int month, int day);
int tt_dkey_replace(char *buf, size_t n, const char *adv, const char *audience_id);

#endif
