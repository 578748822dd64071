/*
 * tt_health.h - each target's standing across runs, so one broken target
 * never holds back the others.
 *
 * A target whose delivery fails for good (its audience deleted, the
 * profile's role revoked, the account out of the Business Center, below
 * TikTok's minimum, the account's audience limit) no longer fails the run:
 * the run finishes for the other targets and the checkpoint moves. The
 * failed target is recorded under conn/<cid>/target/<adv>/<slot>
 * (tt_dkeys.h) as
 *   behind   since a row (since_seq): it is tried again on every run (one
 *            cheap call); once it answers it waits for a catch-up run: the
 *            rows from since_seq to the checkpoint for that target alone
 *            (APPEND and REMOVE, or one CREATE when it never had an
 *            audience; one never created for want of access waits for
 *            tt_health_probe_due instead of trying the create on every
 *            run). Not a REPLACE: an existing audience keeps the
 *            members it had before the connection, and no REPLACE-per-day
 *            limit is spent. No healthy target is sent anything twice;
 *   dead     its audience is gone (deleted at TikTok, or a type the
 *            connector can never deliver): reported on every run with the
 *            fix (a new connection; connections are immutable) and never
 *            called again.
 * Transient failures (rate limits, 5xx, network) are not recorded here:
 * they make the run retry later, as before.
 */
#ifndef TT_HEALTH_H
#define TT_HEALTH_H

#include "delivery/tt_apply_ctx.h"

/* Reads t's standing (absent = healthy). */
aconn_status tt_health_load(tt_apply_ctx *x, tt_dest *t, aconn_error *err);

/* After t failed in this run: records it behind or dead when the failure
   is permanent for that target alone, and returns 1; returns 0 when the
   failure belongs to the run (retry, fatal, a token that no longer works). */
int tt_health_absorb(tt_apply_ctx *x, tt_dest *t);

/* How often a behind target that was never created because the profile
   cannot reach its Ad Account (TikTok 40106) is probed for access. */
#define TT_HEALTH_PROBE_MS (60LL * 60 * 1000)

/* A behind target never created for want of access costs no call while
   nothing changed: 1 when it is due an access probe (TT_HEALTH_PROBE_MS
   since the last try, or the profile's record rewritten since: a
   re-authorization or a fresh look at its accounts), else 0. */
int tt_health_probe_due(tt_apply_ctx *x, const tt_dest *t);

/* Stamps t as tried for access now (with the profile record's version). */
void tt_health_probed(tt_apply_ctx *x, tt_dest *t);

/* t answered a probe (or was delivered): behind -> catch_up. */
void tt_health_reachable(tt_apply_ctx *x, tt_dest *t);

/* Writes t's standing after the run (deletes the key when healthy). */
aconn_status tt_health_save(tt_apply_ctx *x, tt_dest *t, aconn_error *err);

/* "healthy", "behind", "catch_up", "dead". Static. */
const char *tt_health_name(tt_health_state s);

#endif
