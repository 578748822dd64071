/*
 * ch_run.c - a run's passes: the rows fed to the plugin batch by batch
 * (batch_next, reject, request_catch_up and the progress line), and the
 * catch-up pass. Choosing the range and recording the outcome are in
 * ch_run_deliver.c.
 */
#include <config.h>

#include "ch_run.h"
#include "ch_run_impl.h"
#include "ch_buf.h"
#include "ch_dataset.h"
#include "ch_prefetch.h"
#include "ch_report.h"
#include "ch_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ch_run_on_reader_reject(void *ctx, uint64_t line, const char *reason,
                                    const char *detail)
{
    ch_run *r = ctx;

    (void) detail;
    ch_rejects_add(&r->host_rejects, reason, line);
}

/* The last line handed to the plugin (the reader thread reads ahead). */
static uint64_t ch_run_line(const ch_run *r)
{
    return r->pf != NULL ? ch_prefetch_line(r->pf) : ch_dataset_line(r->ds);
}

static int ch_run_chunk(ch_run *r, const aconn_record *const **records, size_t *count)
{
    if (r->pf != NULL)
        return ch_prefetch_next(r->pf, r->batch_last, records, count, r->read_error,
                                sizeof(r->read_error));
    return ch_dataset_next_chunk(r->ds, r->batch_last, records, count, r->read_error,
                                 sizeof(r->read_error));
}

static void ch_run_progress(ch_run *r, int final)
{
    int64_t now = ch_wall_ms();

    if (!r->progress || (!final && now - r->progress_ms < 250))
        return;
    r->progress_ms = now;
    fprintf(stderr, "\rconnector-host: line %llu of %llu, %llu records%s",
            (unsigned long long) ch_run_line(r),
            (unsigned long long) r->batch.run_last_seq,
            (unsigned long long) r->records_read, final ? "\n" : "");
}

aconn_status ch_run_next(ch_run *r, const aconn_batch *batch,
                         const aconn_record *const **records, size_t *count)
{
    *records = NULL;
    *count = 0;
    if (!r->in_call || batch != &r->batch || !pthread_equal(r->thread, pthread_self()))
        return ACONN_ERR_INVALID;
    if (r->read_failed)
        return ACONN_RETRY;
    if (ch_run_line(r) >= r->batch_last)
        return ACONN_OK;
    if (ch_run_chunk(r, records, count) != 0) {
        r->read_failed = 1;
        *count = 0;
        return ACONN_RETRY;
    }
    if (*count == 0 && ch_run_line(r) < r->batch_last) {
        ch_errf(r->read_error, sizeof(r->read_error), "the dataset ended at line %llu, "
                "before the run's line %llu: was it truncated or replaced?",
                (unsigned long long) ch_run_line(r),
                (unsigned long long) r->batch_last);
        r->read_failed = 1;
        return ACONN_RETRY;
    }
    r->records_read += *count;
    ch_run_progress(r, 0);
    return ACONN_OK;
}

void ch_run_reject(ch_run *r, const aconn_batch *batch, uint64_t seq,
                   uint32_t attr_index, const char *reason, const char *detail)
{
    (void) attr_index;
    (void) detail;
    if (!r->in_call || batch != &r->batch || !pthread_equal(r->thread, pthread_self()))
        return;
    ch_rejects_add(&r->plugin_rejects, reason, seq);
}

void ch_run_request_catch_up(ch_run *r, const aconn_batch *batch, uint64_t from_seq)
{
    if (!r->in_call || batch != &r->batch || !pthread_equal(r->thread, pthread_self()))
        return;
    if (from_seq < 1)
        from_seq = 1;
    if (r->catch_up_from == 0 || from_seq < r->catch_up_from)
        r->catch_up_from = from_seq;
}

/* Reads the lines of the batch the plugin did not pull, so the next batch
   starts where it should. 0, or -1 when the dataset cannot be read. */
static int ch_run_drain(ch_run *r)
{
    const aconn_record *const *recs;
    size_t n;

    while (ch_run_line(r) < r->batch_last) {
        if (ch_run_chunk(r, &recs, &n) != 0)
            return -1;
        if (n == 0 && ch_run_line(r) < r->batch_last)
            return -1;
    }
    return 0;
}

/* Opens the dataset at the pass's first row, and the reader thread when
   wanted. ACONN_OK, or the RETRY set in perr. */
static aconn_status ch_run_pass_open(ch_run *r, const ch_connection *c, const ch_pass *ps,
                                     uint64_t per, aconn_error *perr)
{
    char err[512];

    if (ch_dataset_open(c->dataset_path, &r->ds, err, sizeof(err)) != 0)
        return aconn_error_set(perr, ACONN_RETRY, "dataset_unreadable", NULL, "%s", err);
    ch_dataset_on_reject(r->ds, ch_run_on_reader_reject, r);
    if (ch_dataset_seek_line(r->ds, ps->first, r->read_error, sizeof(r->read_error)) != 0)
        return aconn_error_set(perr, ACONN_RETRY, "dataset_unreadable", NULL,
                               "cannot reach line %llu of the dataset",
                               (unsigned long long) ps->first);
    /* Reading and parsing overlap the plugin's work (host/README.md,
       "Reading ahead"); batch_next stays on this thread. */
    if (ch_prefetch_wanted()
        && ch_prefetch_start(r->ds, ps->first, ps->last, per, &r->pf, err, sizeof(err)) != 0)
        return aconn_error_set(perr, ACONN_RETRY, "dataset_unreadable", NULL, "%s", err);
    return ACONN_OK;
}

/* The batch of rows [bfirst, blast] of the pass; the last one carries the
   report output (out, through *output). */
static void ch_run_batch_fill(ch_run *r, const ch_connection *c, const ch_run_options *opt,
                              const ch_pass *ps, uint64_t bfirst, uint64_t blast,
                              ch_buf *out, aconn_output *output)
{
    memset(&r->batch, 0, sizeof(r->batch));
    r->batch.struct_size = sizeof(r->batch);
    r->batch.flags = (bfirst == ps->first ? ACONN_BATCH_RUN_BEGIN : 0)
                     | (blast == ps->last ? ACONN_BATCH_RUN_END : 0)
                     | ps->flags;
    r->batch.connection_id = c->id;
    r->batch.run_id = ps->run_id;
    r->batch.profile = c->profile;
    r->batch.settings_json = c->settings_json;
    r->batch.spool_dir = opt->spool_dir;
    r->batch.run_first_seq = ps->first;
    r->batch.run_last_seq = ps->last;
    r->batch.run_attempt = ps->attempt;
    if (blast == ps->last) {
        ch_buf_output(out, output);
        r->batch.report = output;
    }
    r->batch_last = blast;
}

/* Feeds the pass's rows to the plugin batch by batch and returns its
   status; the report of the END batch goes to out. */
aconn_status ch_run_pass(ch_host *h, const ch_plugin *p, ch_run *r,
                         const ch_connection *c, const ch_run_options *opt,
                         const ch_pass *ps, ch_buf *out, aconn_error *perr,
                         uint32_t *batches)
{
    uint64_t bfirst, blast, per = opt->batch_lines > 0 ? opt->batch_lines
                                                        : CH_DEFAULT_BATCH_LINES;
    aconn_status status = ACONN_OK;
    aconn_output output;
    void *conn_ctx = NULL;
    char err[512];

    if ((status = ch_run_pass_open(r, c, ps, per, perr)) != ACONN_OK)
        return status;
    h->run = r;
    for (bfirst = ps->first;; bfirst = blast + 1) {
        blast = ps->last - bfirst + 1 > per ? bfirst + per - 1 : ps->last;
        ch_run_batch_fill(r, c, opt, ps, bfirst, blast, out, &output);
        if (ch_host_cancel_requested()) {
            status = aconn_error_set(perr, ACONN_RETRY_CANCELLED, "cancelled", NULL,
                                     "the host was asked to stop; the run resumes "
                                     "next time");
            break;
        }
        r->thread = pthread_self();
        r->in_call = 1;
        status = p->desc->deliver_batch(&h->table, &conn_ctx, &r->batch, perr);
        r->in_call = 0;
        (*batches)++;
        if (ACONN_STATUS_IS_OK(status) && r->read_failed) {
            /* Never move the checkpoint over lines the plugin did not get. */
            status = aconn_error_set(perr, ACONN_RETRY, "dataset_unreadable", NULL,
                                     "%s", r->read_error);
        }
        if (!ACONN_STATUS_IS_OK(status))
            break;
        if (ch_run_line(r) < blast) {
            h->table.log(h, ACONN_LOG_WARN, "the plugin returned before reading its "
                         "whole batch; the host skipped the rest");
            if (ch_run_drain(r) != 0) {
                status = aconn_error_set(perr, ACONN_RETRY, "dataset_unreadable", NULL,
                                         "%s", r->read_error);
                break;
            }
        }
        if (blast == ps->last)
            break;
    }
    if (ch_prefetch_stop(r->pf, err, sizeof(err)) != 0)
        h->table.log(h, ACONN_LOG_WARN, err);
    r->pf = NULL;
    h->run = NULL;
    p->desc->teardown(&h->table, conn_ctx);
    ch_run_progress(r, 1);
    return status;
}

/* After a run the plugin asked for it: rows from_seq..checkpoint again, for
   the targets that fell behind only; the checkpoint does not move. Returns the
   status the delivery ends with (the catch-up's when it succeeded: it
   knows the targets' standing last); cu_err (may be NULL) the catch-up's
   own outcome. */
aconn_status ch_run_catch_up(ch_host *h, const ch_plugin *p, const ch_connection *c,
                             const ch_run_options *opt, uint64_t from,
                             aconn_status status, json_object **report, aconn_error *cu_err)
{
    ch_run *r = calloc(1, sizeof(*r));
    aconn_error perr;
    ch_buf out = { 0 };
    uint32_t batches = 0;
    char id[40];
    ch_pass pass = { id, from <= c->run_last ? from : c->run_last, c->run_last, 1,
                     ACONN_BATCH_CATCH_UP };
    aconn_status cu;
    json_object *o = json_object_new_object();

    memset(&perr, 0, sizeof(perr));
    perr.struct_size = sizeof(perr);
    if (cu_err != NULL)
        *cu_err = perr;
    if (r == NULL || o == NULL || ch_random_id("cu_", 12, id, sizeof(id)) != 0) {
        free(r);
        json_object_put(o);
        return status;
    }
    r->host = h;
    r->progress = opt->progress;
    cu = ch_run_pass(h, p, r, c, opt, &pass, &out, &perr, &batches);
    h->run = NULL;
    json_object_object_add(o, "run_id", json_object_new_string(id));
    json_object_object_add(o, "status", json_object_new_string(ch_run_status_word(cu)));
    json_object_object_add(o, "first_line", json_object_new_uint64(pass.first));
    json_object_object_add(o, "last_line", json_object_new_uint64(c->run_last));
    if (!ACONN_STATUS_IS_OK(cu))
        json_object_object_add(o, "error", ch_run_error_json(&perr));
    json_object_object_add(o, "plugin", out.len > 0 ? json_tokener_parse(out.data) : NULL);
    *report = o;
    if (cu_err != NULL) {
        *cu_err = perr;
        cu_err->status = cu;
    }
    ch_buf_free(&out);
    ch_dataset_close(r->ds);
    free(r);
    return ACONN_STATUS_IS_OK(cu) ? cu : status;
}
