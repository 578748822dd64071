/*
 * tt_upload.h - upload a run's spool files to the Ad Accounts whose targets
 * take them. Each file is uploaded once per (Ad Account, calculate_type):
 * a file_path belongs to the advertiser that uploaded it. Uploads of
 * different accounts go in parallel; a failed account fails only its own
 * targets. What is uploaded is recorded in the run record (tt_runrec.h),
 * so an attempt after a crash uploads only what is missing.
 */
#ifndef TT_UPLOAD_H
#define TT_UPLOAD_H

#include "delivery/tt_apply_ctx.h"

/* Non-zero when target t takes file f (and is live in this run). */
int tt_upload_wanted(const tt_dest *t, const tt_spool_file *f);

/* The calculate_type file f is uploaded with to an audience of calculate_type
   calc taking types (bits of tt_id_type): a MAID audience (FIRST_SHA256,
   MAID_SHA256) takes IDFA and GAID files under its own type. Static or calc. */
const char *tt_upload_calc(unsigned types, const char *calc, const tt_spool_file *f);

/* The run record's key of an upload: "adv|calc|md5". */
void tt_upload_key(char *buf, size_t n, const char *adv, const char *calc, const char *md5);

aconn_status tt_upload_all(tt_apply_ctx *x, aconn_error *err);

/* TikTok lost t's uploaded files (TT_CLASS_FILE_GONE: 40905/40910): forget
   them and upload them again, once per target and attempt. ACONN_OK when
   they are there again; otherwise the error, or err as it was when the
   target already had its one re-upload. */
aconn_status tt_upload_renew(tt_apply_ctx *x, tt_dest *t, aconn_error *err);

/* The uploaded file_paths of target t for op, in spool order (borrowed from
   the run record); with out NULL only counts them. */
size_t tt_upload_paths(tt_apply_ctx *x, const tt_dest *t, tt_spool_op op, const char **out,
                       size_t cap);

#endif
