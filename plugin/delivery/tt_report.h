/*
 * tt_report.h - the run report a delivery's END batch writes for the host.
 *
 * JSON, one object:
 *   {"run_id", "status", "full_refresh", "dry_run",
 *    "records", "removal_records",
 *    "identifiers": {"accepted": {"EMAIL_SHA256": n, ...},
 *                    "rejected": {"not_hex": n, ...}},
 *    "spooled": {"EMAIL_SHA256": {"add": n, "remove": n}, ...},
 *    "files": [{"type", "op", "lines", "bytes", "md5"}],
 *    "targets": [{"advertiser_id", "audience_id", "kind", "calculate_type",
 *                 "operations", "outcome", "cover_num", "is_valid",
 *                 "code", "message"}],
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

/* Writes the report to out (borrowed). stats may be NULL (no calls made). */
void tt_report_write(aconn_output *out, const tt_conn *c, const tt_dest *targets,
                     size_t ntargets, const tt_spool_files *files, const tt_http_stats *stats,
                     int full_refresh, int dry_run, aconn_status status);

#endif
