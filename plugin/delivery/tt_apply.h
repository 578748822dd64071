/*
 * tt_apply.h - apply one finished spool to every target audience.
 *
 * For each target Ad Account of the connection:
 *   - new audiences: one Custom Audience per TikTok identifier type (TikTok
 *     gives a customer-file audience exactly one calculate_type, and every
 *     file in it must match), named "<audience_name> (<type>)", created once
 *     and then updated;
 *   - existing audiences: each listed audience takes the identifier types
 *     its calculate_type accepts.
 * Each spool file is uploaded once per Ad Account (a file_path belongs to
 * the advertiser that uploaded it), uploads of different accounts in
 * parallel; then one create or one update per action (APPEND, REMOVE, or
 * REPLACE on a full refresh) per audience, at most 50 file_paths a call,
 * several Ad Accounts at once (tt_par.h; one account's in order).
 *
 * Exactly once in effect. Everything that must survive a crash lives in the
 * host's state store:
 *   conn/<cid>/audience/<adv>/<type>  the audience created for a new target
 *   conn/<cid>/intent/<adv>/<type>    written before a create; on recovery
 *                                     the audience is found by name and
 *                                     adopted instead of created twice
 *   claim/<adv>/<audience_id>         which connection owns an audience
 *   run/<cid>/<run_id>                uploads and operations done by this
 *                                     run, so a re-run skips them
 *   budget/<adv>/<day>                the day's update operations (tt_budget)
 * A create that TikTok answered with an error made nothing, so its intent
 * goes. A create or update that got no answer (timeout, dropped connection,
 * bare HTTP 5xx) may still land later: it is not sent again within the same
 * attempt, and the run is retried only after a 5-minute settle window. Then
 * a missing audience is looked for before any second create, and an update
 * is simply applied again (APPEND and REMOVE are idempotent) before the
 * run's next action, so a late APPEND can never overtake the run's REMOVE.
 */
#ifndef TT_APPLY_H
#define TT_APPLY_H

#include <aconn/aconn.h>

#include "delivery/tt_conn.h"
#include "delivery/tt_spool.h"
#include "delivery/tt_dest.h"

/*
 * Applies the run's files (borrowed) and writes the run report to
 * batch->report. Returns the status the host should act on: ACONN_OK when
 * every target is done; otherwise the most urgent of the targets' statuses
 * (fatal, reauthorize, retry, permanent, in that order), with err filled.
 */
aconn_status tt_apply_run(tt_conn *c, const aconn_host *host, const aconn_batch *batch,
                          const tt_spool_files *files, aconn_error *err);

/*
 * Non-zero when the host set option "dry_run" to "1": the run is hashed and
 * spooled and its report written, but nothing is sent to TikTok. The host
 * MUST NOT move its checkpoint after a dry run.
 */
int tt_apply_is_dry_run(const aconn_host *host);

#endif
