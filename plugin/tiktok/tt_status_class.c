/*
 * tt_status_class.c - from the stable reason tt_status_classify() wrote to
 * the recovery a caller runs. A reason table rather than a field in the
 * error, so the ABI's aconn_error needs no new member.
 */
#include <config.h>

#include "tiktok/tt_status.h"

#include <string.h>

typedef struct tt_reason_class {
    const char *reason;
    tt_class cls;
} tt_reason_class;

static const tt_reason_class tt_reason_classes[] = {
    {"ok", TT_CLASS_OK},
    {"partial_success", TT_CLASS_PARTIAL},
    {"rate_limited", TT_CLASS_RATE_LIMITED},
    {"rate_limited_advertiser", TT_CLASS_RATE_LIMITED},
    {"rate_limited_field", TT_CLASS_RATE_LIMITED},
    {"rate_limit_pause", TT_CLASS_RATE_LIMITED},
    {"http_429", TT_CLASS_RATE_LIMITED},
    {"remote_error", TT_CLASS_TRANSIENT},
    {"remote_maintenance", TT_CLASS_TRANSIENT},
    {"remote_busy", TT_CLASS_TRANSIENT},
    {"write_conflict", TT_CLASS_TRANSIENT},
    {"connect_failed", TT_CLASS_TRANSIENT},
    {"tls_failed", TT_CLASS_TRANSIENT},
    {"curl_multi_failed", TT_CLASS_TRANSIENT},
    /* Something reached TikTok and no complete answer came back. */
    {"outcome_unknown", TT_CLASS_OUTCOME_UNKNOWN},
    {"timeout", TT_CLASS_OUTCOME_UNKNOWN},
    {"connection_dropped", TT_CLASS_OUTCOME_UNKNOWN},
    {"http_5xx", TT_CLASS_OUTCOME_UNKNOWN},
    {"http_408", TT_CLASS_OUTCOME_UNKNOWN},
    {"bad_response", TT_CLASS_OUTCOME_UNKNOWN},
    {"response_too_large", TT_CLASS_OUTCOME_UNKNOWN},
    {"audience_processing", TT_CLASS_PROCESSING},
    {"update_limit", TT_CLASS_DEFERRED},
    {"remote_deferred", TT_CLASS_DEFERRED},
    {"file_gone", TT_CLASS_FILE_GONE},
    {"token_expired", TT_CLASS_AUTH},
    {"token_missing", TT_CLASS_AUTH},
    {"token_invalid", TT_CLASS_AUTH},
    {"token_not_authorized", TT_CLASS_AUTH},
    {"token_refresh_invalid", TT_CLASS_AUTH},
    {"scope_not_authorized", TT_CLASS_AUTH},
    {"auth_code_invalid", TT_CLASS_AUTH_CODE},
    {"app_credentials_invalid", TT_CLASS_APP_CREDENTIALS},
    {"app_mismatch", TT_CLASS_APP_CREDENTIALS},
    {"no_permission", TT_CLASS_PERMISSION},
    {"not_allowlisted", TT_CLASS_PERMISSION},
    {"object_not_found", TT_CLASS_NOT_FOUND},
    {"advertiser_not_found", TT_CLASS_NOT_FOUND},
    {"parameter_error", TT_CLASS_PARAMETER},
    {"below_minimum_size", TT_CLASS_LIMIT},
    {"audience_limit", TT_CLASS_LIMIT},
    {"cancelled", TT_CLASS_CANCELLED},
    {"local_error", TT_CLASS_LOCAL},
    {"out_of_memory", TT_CLASS_LOCAL},
};

static const char *const tt_class_names[] = {
    "ok", "partial", "rate_limited", "transient", "outcome_unknown", "processing",
    "deferred", "file_gone", "auth", "auth_code", "app_credentials", "permission",
    "not_found", "parameter", "limit", "rejected", "cancelled", "local",
};

tt_class tt_status_class(const aconn_error *err)
{
    size_t i;

    if (err == NULL)
        return TT_CLASS_LOCAL;
    for (i = 0; i < sizeof(tt_reason_classes) / sizeof(tt_reason_classes[0]); i++)
        if (strcmp(err->code, tt_reason_classes[i].reason) == 0)
            return tt_reason_classes[i].cls;
    /* Unknown reasons follow the status band, never more hopeful than it. */
    if (err->status == ACONN_OK)
        return TT_CLASS_OK;
    if (err->status == ACONN_RETRY_CANCELLED)
        return TT_CLASS_CANCELLED;
    if (err->status == ACONN_RETRY_DEFERRED)
        return TT_CLASS_DEFERRED;
    if (err->status == ACONN_RETRY_THROTTLED)
        return TT_CLASS_RATE_LIMITED;
    if (ACONN_STATUS_IS_RETRY(err->status))
        return TT_CLASS_TRANSIENT;
    if (ACONN_STATUS_IS_REAUTHORIZE(err->status))
        return TT_CLASS_AUTH;
    if (ACONN_STATUS_IS_FATAL(err->status))
        return TT_CLASS_LOCAL;
    return TT_CLASS_REJECTED;
}

const char *tt_class_name(tt_class cls)
{
    if ((size_t) cls >= sizeof(tt_class_names) / sizeof(tt_class_names[0]))
        return "unknown";
    return tt_class_names[cls];
}
