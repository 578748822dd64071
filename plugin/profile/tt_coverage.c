/*
 * tt_coverage.c - a token that does not cover one Ad Account is that
 * account's failure.
 */
#include <config.h>

#include "profile/tt_coverage.h"

#include <stdio.h>
#include <string.h>

#define TT_NOT_COVERED TT_COVERAGE_NOT_COVERED

aconn_status tt_coverage_scope(aconn_status st, aconn_error *err, const char *profile,
                               const char *advertiser_id)
{
    char request_id[sizeof(err->request_id)], remote[sizeof(err->remote_code)];
    int32_t http_status;
    const char *prof = profile != NULL && profile[0] != '\0' ? profile : "NAME";

    if (!ACONN_STATUS_IS_REAUTHORIZE(st) || err == NULL || advertiser_id == NULL
        || advertiser_id[0] == '\0' || !ACONN_HAS(err, aconn_error, request_id)
        || strcmp(err->remote_code, "40106") != 0)
        return st;
    /* aconn_error_set resets the TikTok fields; keep them for support. */
    ACONN_STRSET(request_id, err->request_id);
    ACONN_STRSET(remote, err->remote_code);
    http_status = err->http_status;
    st = aconn_error_set(err, ACONN_ERR_PERMISSION, TT_NOT_COVERED, NULL,
                         "Profile \"%s\" cannot reach Ad Account %s: its TikTok user has no "
                         "role on that account (TikTok code 40106; request_id %s). Its "
                         "other Ad Accounts are not affected. Ask an Admin of Ad Account %s "
                         "to grant this user the Admin or Operator role, or re-authorize "
                         "profile %s as a user who has one (connector-host authorize "
                         "--profile %s), or deliver to %s with another profile.",
                         prof, advertiser_id, request_id[0] != '\0' ? request_id : "none",
                         advertiser_id, prof, prof, advertiser_id);
    ACONN_STRSET(err->request_id, request_id);
    ACONN_STRSET(err->remote_code, remote);
    err->http_status = http_status;
    if (ACONN_HAS(err, aconn_error, profile))
        err->profile[0] = '\0';
    return st;
}

int tt_coverage_is_target_failure(const aconn_error *err)
{
    return err != NULL && err->status == ACONN_ERR_PERMISSION
           && strcmp(err->code, TT_NOT_COVERED) == 0;
}
