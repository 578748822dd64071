/*
 * ch_run_impl.h - the run's state shared by its files: ch_run.c (the
 * passes, batch by batch), ch_run_deliver.c (choosing the range, the
 * report, recording the outcome) and ch_run_current.c (a deliver with no
 * new rows). Internal to them.
 */
#ifndef CH_RUN_IMPL_H
#define CH_RUN_IMPL_H

#include "ch_run.h"
#include "ch_buf.h"
#include "ch_dataset.h"
#include "ch_prefetch.h"
#include "ch_report.h"

#include <pthread.h>
#include <stdint.h>

#include <json-c/json.h>

struct ch_run {
    ch_host *host;
    ch_dataset *ds;
    ch_prefetch *pf;            /* the reader thread, during a pass */
    aconn_batch batch;
    uint64_t batch_last;        /* last line of the batch in progress */
    pthread_t thread;           /* the thread inside deliver_batch() */
    int in_call;
    int read_failed;            /* the dataset could not be read: retry */
    char read_error[256];
    uint64_t records_read;
    ch_rejects host_rejects;    /* the reader's */
    ch_rejects plugin_rejects;  /* reported through reject() */
    int progress;
    int64_t progress_ms;
    uint64_t catch_up_from;     /* request_catch_up()'s smallest row; 0 = none */
};

/* One pass of rows [first, last] through the plugin. */
typedef struct ch_pass {
    const char *run_id;
    uint64_t first, last;
    uint32_t attempt;
    uint32_t flags;           /* ACONN_BATCH_FULL_REFRESH, _CATCH_UP */
} ch_pass;

/* Feeds the pass's rows to the plugin batch by batch and returns its
   status; the report of the END batch goes to out (ch_run.c). */
aconn_status ch_run_pass(ch_host *h, const ch_plugin *p, ch_run *r,
                         const ch_connection *c, const ch_run_options *opt,
                         const ch_pass *ps, ch_buf *out, aconn_error *perr,
                         uint32_t *batches);

/* "delivered", "partial" or the status's name (ch_run_deliver.c). */
const char *ch_run_status_word(aconn_status s);
/* A plugin's error as JSON for the report (ch_run_deliver.c). */
json_object *ch_run_error_json(const aconn_error *e);
/* Marks the profile e names (else c's) reauthorize_required after a
   reauthorize status, so the next deliver asks for the authorization
   before any call (ch_run_deliver.c). 0, or -1 with err. */
int ch_run_mark_reauthorize(ch_host *h, const ch_connection *c, const aconn_error *e,
                            char *err, size_t errlen);

#endif /* CH_RUN_IMPL_H */
