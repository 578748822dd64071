/*
 * tt_update.h - bring one target up to date with the run, in the fewest
 * operations TikTok allows:
 *   a new audience    one CREATE from add files that already exclude the
 *                     run's opt-outs (no REMOVE after it);
 *   an existing one   at most one APPEND and one REMOVE per run (more only
 *                     past 50 files a call);
 *   a full refresh    one REPLACE (the add files are the final membership;
 *                     the files after the first 50 are APPENDed);
 *   a catch-up        the missed rows, as an existing audience's run.
 * Every update reserves one of the Ad Account's updates (tt_budget.h)
 * first. A REPLACE is first checked against the one-a-day rule
 * (tt_replace.h): within 24 hours of the last it is deferred, never sent
 * (it cannot be emulated with APPEND and REMOVE: TikTok does not say who
 * is in the audience); it is recorded before it is sent, and the record
 * is dropped again when TikTok refuses it (nothing was replaced). TikTok's
 * own refusal of it (an audience replaced outside the connection) defers
 * the refresh a day. Each finished operation is recorded in the run record, so an
 * attempt after a crash sends only what is missing; an update whose answer
 * was lost is sent again (APPEND, REMOVE and REPLACE are idempotent) after
 * TT_SETTLE_MS and before the run's next action, so a late APPEND can never
 * overtake the run's REMOVE.
 */
#ifndef TT_UPDATE_H
#define TT_UPDATE_H

#include "delivery/tt_apply_ctx.h"

aconn_status tt_update_target(tt_apply_ctx *x, tt_dest *t, aconn_error *err);

#endif
