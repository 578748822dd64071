/*
 * tt_report.h - the run report a delivery's END batch writes for the host.
 *
 * JSON, one object:
 *   {"run_id", "status", "full_refresh", "dry_run",
 *    "records", "removal_records",
 *    "identifiers": {"accepted": {"EMAIL_SHA256": n, ...},
 *                    "rejected": {"not_hex": n, ...}},
 *    "layout": "multiple_types" | "per_type", "catch_up": bool,
 *    "spooled": {"EMAIL_SHA256": {"add": n, "remove": n}, ...},
 *    "adds_exclude_removes": bool,
 *    "files": [{"type", "op", "lines", "bytes", "md5"}],
 *    "targets": [{"advertiser_id", "audience_id", "kind", "calculate_type",
 *                 "operations", "outcome", "cover_num", "is_valid",
 *                 "state": "healthy" | "behind" | "catch_up" | "dead",
 *                 "since_ms", "missing_rows", "reason", "fix" (not healthy),
 *                 "skipped": {"PHONE_SHA256": n, ...} (identifiers of the
 *                 run the audience's calculate_type cannot take),
 *                 "status", "code", "message" (failed or deferred)}],
 *    "api": {"calls", "retries", "bytes_uploaded", "by_endpoint": {...}}}
 * It never holds identifiers or secrets.
 */
#ifndef TT_REPORT_H
#define TT_REPORT_H

#include <aconn/aconn.h>

#include "tiktok/tt_http.h"
#include "delivery/tt_conn.h"
#include "delivery/tt_spool.h"
#include "delivery/tt_dest.h"
#include "delivery/tt_apply_ctx.h"

/* Writes the report of run x, which ends with status, to out (borrowed). */
void tt_report_write(aconn_output *out, const tt_apply_ctx *x, aconn_status status);

#endif
