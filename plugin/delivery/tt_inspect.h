/*
 * tt_inspect.h - the inspect entry point (ABI 1.1): a connection's
 * audiences as TikTok holds them now, for `connector-host audiences`.
 *
 * The targets come from the settings and the delivery state keys
 * (tt_dkeys.h): the audience each new target created, each existing one,
 * their standing (tt_health.h). TikTok is asked with one
 * custom_audience/get per Ad Account (at most 100 ids each) for the name,
 * calculate_type, size (cover_num), is_valid and expired_time. The last
 * run's outcome of each target comes from the report the host passes.
 *
 * Read-only, as the ABI requires: it writes no state, so it may run while
 * the same connection delivers. A TikTok failure for one Ad Account is
 * reported on its targets ("status":"unknown", "error"); only a token that
 * no longer works fails the call (ACONN_REAUTHORIZE, nothing written).
 */
#ifndef TT_INSPECT_H
#define TT_INSPECT_H

#include <aconn/aconn.h>

aconn_inspect_fn tt_inspect;

/*
 * What a person should read from TikTok's fields. TikTok's is_valid is
 * false both while it processes an audience and when the audience cannot
 * be used; it does not say which, so: "expired" once expired_time (ms,
 * -1 unknown) has passed, "too_small" for 1-999 matched users (TikTok
 * keeps it unusable below 1,000), else "processing" (0 users: a create
 * still being matched; 1,000 or more: an update still being applied).
 * Static string.
 */
const char *tt_inspect_status(int is_valid, int64_t cover_num, int64_t expired_ms,
                              int64_t now_ms);

#endif
