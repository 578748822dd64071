/*
 * ch_run.h - the delivery-run driver (docs/ARCHITECTURE.md, "Delivery
 * runs"): opens or resumes a connection's pending run, feeds its lines to
 * deliver_batch() in batches, and moves the checkpoint only when the END
 * batch returns ACONN_OK.
 */
#ifndef CH_RUN_H
#define CH_RUN_H

#include <aconn/aconn.h>

#include <stdint.h>

#include <json-c/json.h>

#include "ch_plugin.h"
#include "ch_services.h"
#include "ch_state.h"

#define CH_DEFAULT_BATCH_LINES ((uint64_t) 1000000)

typedef struct ch_run ch_run;

typedef struct ch_run_options {
    uint64_t batch_lines;   /* dataset lines per deliver_batch() call */
    const char *spool_dir;  /* the connection's spool directory */
    int progress;           /* print progress on stderr */
    int dry_run;            /* preview: plugin option dry_run, nothing recorded */
    int resync;             /* the file is a new snapshot: full refresh from line 1 */
    /* With no new rows, try the behind targets at most every idle_wait_ms:
       *idle_next (in and out) is when next (ch_run_current.c). NULL: every
       time (a person's deliver). */
    int64_t idle_wait_ms;
    int64_t *idle_next;
} ch_run_options;

/*
 * Runs one delivery run of connection c (its row as read under the
 * connection's lock) and returns the command's exit code. *report gets the
 * run report (also stored in the runs table); err gets a message for
 * failures that happen before any report exists.
 */
int ch_run_deliver(ch_host *h, const ch_plugin *p, ch_connection *c,
                   const ch_run_options *opt, json_object **report,
                   char *err, size_t errlen);

/*
 * The pass a run asks for when a target can be served again (ch_run.c):
 * rows from..c->run_last for the targets that fell behind only, flagged
 * ACONN_BATCH_CATCH_UP; *report gets its report. Returns the catch-up's
 * status when it succeeded, else `status`; *cu_err (may be NULL) gets the
 * catch-up's own status and error (its status ACONN_OK when it did not run).
 */
aconn_status ch_run_catch_up(ch_host *h, const ch_plugin *p, const ch_connection *c,
                             const ch_run_options *opt, uint64_t from,
                             aconn_status status, json_object **report, aconn_error *cu_err);

/*
 * A deliver with no new rows (*report is the "up_to_date" short report;
 * ch_run_current.c): while the last run left a target behind it runs that
 * target's catch-up (its probe, then its rows if it answers) and records
 * it; while one is dead it says so. Returns the exit code: 0 when every
 * target is healthy, CH_EXIT_PARTIAL (5) while one is behind or dead.
 */
int ch_run_current(ch_host *h, const ch_plugin *p, ch_connection *c,
                   const ch_run_options *opt, json_object **report, char *err,
                   size_t errlen);

/* aconn_host.batch_next / reject for the call in progress. */
aconn_status ch_run_next(ch_run *r, const aconn_batch *batch,
                         const aconn_record *const **records, size_t *count);
/* aconn_host.request_catch_up (ABI 1.1) for the call in progress. */
void ch_run_request_catch_up(ch_run *r, const aconn_batch *batch, uint64_t from_seq);
void ch_run_reject(ch_run *r, const aconn_batch *batch, uint64_t seq,
                   uint32_t attr_index, const char *reason, const char *detail);

#endif /* CH_RUN_H */
