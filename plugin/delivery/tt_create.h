/*
 * tt_create.h - create a target's new audience exactly once.
 *
 * Before the create, an intent is written (conn/<cid>/intent/<adv>/<slot>)
 * with the time and the ids of every audience that already has the name
 * (listed just before). A create TikTok answered with an error made
 * nothing: the intent goes. A create whose answer was lost (timeout,
 * dropped connection, bare 5xx, 50002) may have made the audience: it is
 * looked for, and adopted only if this create can have made it:
 *   - same name and calculate_type, not claimed by another connection;
 *   - not among the audiences that existed before the create (a
 *     marketer's own audience of the same name is never taken);
 *   - created at or after the intent's time less TT_CREATE_SKEW_MS:
 *     TikTok's create_time has no zone, and we read it as UTC, so a day
 *     and two hours cover any advertiser time zone and clock skew.
 * None qualifies: no second create before TT_SETTLE_MS has passed since
 * the lost answer (the first may still appear); after that, create again.
 * A create TikTok refuses because it lost the uploaded files (40905/40910)
 * uploads them again and creates once more.
 */
#ifndef TT_CREATE_H
#define TT_CREATE_H

#include "delivery/tt_apply_ctx.h"

#define TT_CREATE_SKEW_MS (26LL * 60 * 60 * 1000)

/* Creates (or adopts) t's audience from its add files; on success
   t->audience_id is set and remembered. No add files: nothing to do. */
aconn_status tt_create_audience(tt_apply_ctx *x, tt_dest *t, aconn_error *err);

/* The "done" key of t's create in the run record. */
void tt_create_done_key(const tt_dest *t, char *buf, size_t n);

#endif
