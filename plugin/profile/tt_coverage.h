/*
 * tt_coverage.h - whose failure a TikTok refusal is: the profile's or one
 * Ad Account's.
 *
 * TikTok answers 40106 ("the access token does not cover advertiser_id X")
 * when the authorized user has no role on one account. The token itself
 * still works for every other account, so that is a permanent permission
 * failure of the target, not a reason to mark the whole profile
 * reauthorize_required. A token rejected as a whole (40104, 40105, 40102,
 * 40107, or 40106 on a call about no advertiser) stays ACONN_REAUTHORIZE.
 *
 * Pure: no I/O, no globals.
 */
#ifndef TT_COVERAGE_H
#define TT_COVERAGE_H

#include <aconn/aconn.h>

/* The error code (and a behind target's reason) of a per-account 40106. */
#define TT_COVERAGE_NOT_COVERED "advertiser_not_covered"

/*
 * Call after any failed API call made for one Ad Account, with the status
 * it returned and the error it filled. When the refusal is TikTok's 40106
 * about that account, rewrites err to ACONN_ERR_PERMISSION code
 * "advertiser_not_covered" (err->profile cleared, so no host marks the
 * profile) naming the account, the profile and the fix, and returns that
 * status; otherwise returns st unchanged. err may be NULL (st is returned).
 */
aconn_status tt_coverage_scope(aconn_status st, aconn_error *err, const char *profile,
                               const char *advertiser_id);

/* Non-zero when err is the per-account failure made by tt_coverage_scope. */
int tt_coverage_is_target_failure(const aconn_error *err);

#endif
