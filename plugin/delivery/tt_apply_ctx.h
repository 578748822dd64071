/*
 * tt_apply_ctx.h - what the parts of one run's apply share (tt_apply.c
 * drives; tt_targets, tt_runrec, tt_upload, tt_create, tt_update and
 * tt_health each do one step). Internal to plugin/delivery.
 */
#ifndef TT_APPLY_CTX_H
#define TT_APPLY_CTX_H

#include <json-c/json.h>

#include <aconn/aconn.h>

#include "delivery/tt_conn.h"
#include "delivery/tt_dest.h"
#include "delivery/tt_spool.h"
#include "tiktok/tt_session.h"

/* TikTok: "recommended size <50 per request to ensure stability". */
#define TT_FILE_PATHS_PER_CALL 50
/* How long a create or update whose fate is unknown (no answer from TikTok)
   may still land at TikTok. Until then a missing audience is not created
   again (it may only be slow to appear), and no later action of the run is
   sent (a late APPEND must not overtake the run's REMOVE). */
#define TT_SETTLE_MS (5 * 60 * 1000)

typedef struct tt_apply_ctx {
    tt_conn *c;
    const aconn_host *host;
    const aconn_batch *batch;
    const tt_spool_files *files;
    tt_session session;
    const tt_api *api;            /* &session.api once open */
    json_object *run;             /* run/<cid>/<run_id>: uploads + done */
    uint64_t run_version;
    char run_key[256];
    tt_dest *targets;
    size_t ntargets, cap;
    int full_refresh;             /* ACONN_BATCH_FULL_REFRESH */
    int catch_up;                 /* ACONN_BATCH_CATCH_UP */
    int per_type;                 /* the connection's layout */
    size_t early_uploads;         /* uploads made while spooling, used (tt_early.h) */
    /* Non-NULL in a copy that applies some targets on a thread of its own
       (tt_par.c): the run record (run, run_version, run_key) is the
       owner's, shared by every copy under tt_par's lock. */
    struct tt_apply_ctx *owner;
} tt_apply_ctx;

/* TikTok answered with an envelope code: the request is finished there and
   changed nothing. */
int tt_apply_answered(const aconn_error *err);

/* Appends op to t->ops ("CREATE,APPEND"). */
void tt_apply_ops_append(tt_dest *t, const char *op);

/* Marks t failed with e: "deferred" for a retry status, else "failed". */
void tt_apply_target_fail(tt_dest *t, const aconn_error *e);

#endif
