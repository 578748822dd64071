/*
 * ch_run.c - one delivery run: choose the range, record it, feed it to the
 * plugin batch by batch, and record the outcome.
 */
#include <config.h>

#include "ch_run.h"
#include "ch_buf.h"
#include "ch_dataset.h"
#include "ch_prefetch.h"
#include "ch_report.h"
#include "ch_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char *ch_run_outcome(aconn_status s)
{
    if (ACONN_STATUS_IS_OK(s))
        return NULL;
    if (ACONN_STATUS_IS_RETRY(s))
        return CH_OUTCOME_RETRY;
    if (ACONN_STATUS_IS_REAUTHORIZE(s))
        return CH_OUTCOME_REAUTHORIZE;
    if (ACONN_STATUS_IS_PERMANENT(s))
        return CH_OUTCOME_PERMANENT;
    return CH_OUTCOME_FATAL;
}

/* "delivered", "partial" (some targets behind or dead), or the status. */
static const char *ch_run_status_word(aconn_status s)
{
    if (s == ACONN_OK_PARTIAL)
        return "partial";
    return ACONN_STATUS_IS_OK(s) ? "delivered" : aconn_status_name(s);
}

static json_object *ch_run_error_json(const aconn_error *e)
{
    json_object *o = json_object_new_object();

    if (o == NULL)
        return NULL;
    json_object_object_add(o, "status", json_object_new_string(aconn_status_name(e->status)));
    json_object_object_add(o, "code", json_object_new_string(e->code));
    json_object_object_add(o, "field", json_object_new_string(e->field));
    json_object_object_add(o, "message", json_object_new_string(e->message));
    json_object_object_add(o, "retry_after_ms", json_object_new_int64(e->retry_after_ms));
    json_object_object_add(o, "http_status", json_object_new_int(e->http_status));
    json_object_object_add(o, "remote_code", json_object_new_string(e->remote_code));
    json_object_object_add(o, "request_id", json_object_new_string(e->request_id));
    json_object_object_add(o, "profile", json_object_new_string(e->profile));
    return o;
}

/* A report for a deliver that did not start a run. */
static json_object *ch_run_short_report(const ch_connection *c, const char *status)
{
    json_object *o = json_object_new_object();

    if (o == NULL)
        return NULL;
    json_object_object_add(o, "connection_id", json_object_new_string(c->id));
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "checkpoint", json_object_new_uint64(c->delivered_through));
    return o;
}

/* Picks the run to do now: resume the pending one (same id and range) or
   open a new one from the checkpoint to the dataset's end. Returns 1 to
   run, 0 when there is nothing to do (*report set), -1 on error. */
static int ch_run_choose(ch_host *h, ch_connection *c, uint64_t end, int64_t refresh_ms,
                         int resync, json_object **report, int *exitc, char *err,
                         size_t errlen)
{
    int64_t now = ch_host_now_ms(h);
    char id[40];
    char *dup;

    if (c->run_id != NULL && strcmp(c->run_outcome, CH_OUTCOME_PERMANENT) != 0) {
        if (now < c->not_before_ms) {
            *report = ch_run_short_report(c, "not_before");
            if (*report == NULL)
                return -1;
            json_object_object_add(*report, "run_id", json_object_new_string(c->run_id));
            json_object_object_add(*report, "not_before_ms",
                                   json_object_new_int64(c->not_before_ms));
            json_object_object_add(*report, "retry_after_ms",
                                   json_object_new_int64(c->not_before_ms - now));
            *exitc = CH_EXIT_RETRY;
            return 0;
        }
        c->run_attempt++;
        return 1;
    }
    /* A policy refresh is due: this run carries the whole dataset so the
       plugin can replace membership. */
    int64_t last = c->last_full_refresh_ms > 0 ? c->last_full_refresh_ms : c->created_at_ms;
    c->run_full_refresh = resync
                          || (refresh_ms > 0 && end > 0 && now - last >= refresh_ms);
    /* New run; after a permanent failure it starts at the same checkpoint
       and reaches the current end, so nothing is lost. */
    if (end <= c->delivered_through && !c->run_full_refresh) {
        *report = ch_run_short_report(c, "up_to_date");
        *exitc = CH_EXIT_OK;
        return *report != NULL ? 0 : -1;
    }
    if (ch_random_id("r_", 12, id, sizeof(id)) != 0 || (dup = strdup(id)) == NULL) {
        ch_errf(err, errlen, "cannot make a run id");
        return -1;
    }
    free(c->run_id);
    c->run_id = dup;
    c->run_first = c->run_full_refresh ? 1 : c->delivered_through + 1;
    c->run_last = end;
    c->run_attempt = 1;
    c->not_before_ms = 0;
    return 1;
}

static json_object *ch_run_report(ch_run *r, const ch_connection *c, aconn_status status,
                                  const aconn_error *perr, uint32_t batches,
                                  int64_t not_before, int64_t duration_ms,
                                  const ch_buf *out)
{
    json_object *o = json_object_new_object();
    json_object *plugin = NULL;

    if (o == NULL)
        return NULL;
    json_object_object_add(o, "connection_id", json_object_new_string(c->id));
    json_object_object_add(o, "run_id", json_object_new_string(c->run_id));
    json_object_object_add(o, "attempt", json_object_new_int64(c->run_attempt));
    json_object_object_add(o, "status", json_object_new_string(ch_run_status_word(status)));
    json_object_object_add(o, "status_code", json_object_new_int(status));
    json_object_object_add(o, "first_line", json_object_new_uint64(c->run_first));
    json_object_object_add(o, "last_line", json_object_new_uint64(c->run_last));
    json_object_object_add(o, "lines_read", json_object_new_uint64(
        r->ds != NULL && ch_dataset_line(r->ds) >= c->run_first
            ? ch_dataset_line(r->ds) - c->run_first + 1 : 0));
    json_object_object_add(o, "records_read", json_object_new_uint64(r->records_read));
    json_object_object_add(o, "empty_lines", json_object_new_uint64(
        r->ds != NULL ? ch_dataset_empty_lines(r->ds) : 0));
    json_object_object_add(o, "batches", json_object_new_int64(batches));
    json_object_object_add(o, "rejected", ch_rejects_json(&r->host_rejects));
    json_object_object_add(o, "plugin_rejected", ch_rejects_json(&r->plugin_rejects));
    json_object_object_add(o, "checkpoint", json_object_new_uint64(
        ACONN_STATUS_IS_OK(status) ? c->run_last : c->delivered_through));
    if (!ACONN_STATUS_IS_OK(status)) {
        json_object_object_add(o, "error", ch_run_error_json(perr));
        if (ACONN_STATUS_IS_RETRY(status))
            json_object_object_add(o, "not_before_ms", json_object_new_int64(not_before));
    }
    json_object_object_add(o, "duration_ms", json_object_new_int64(duration_ms));
    if (out->len > 0) {
        plugin = json_tokener_parse(out->data);
        if (plugin == NULL)
            json_object_object_add(o, "plugin_report_invalid", json_object_new_boolean(1));
    }
    json_object_object_add(o, "plugin", plugin);
    return o;
}

/* Each target's standing after the delivery, at the top of the report (what
   `connections` shows): the catch-up's when one ran, it came last. */
static void ch_run_final_targets(json_object *report)
{
    json_object *cu = NULL, *plugin = NULL, *t = NULL;

    if (json_object_object_get_ex(report, "catch_up", &cu) &&
        json_object_object_get_ex(cu, "plugin", &plugin) &&
        json_object_object_get_ex(plugin, "targets", &t)) {
        json_object_object_add(report, "targets", json_object_get(t));
        return;
    }
    if (json_object_object_get_ex(report, "plugin", &plugin) &&
        json_object_object_get_ex(plugin, "targets", &t))
        json_object_object_add(report, "targets", json_object_get(t));
}

/* One pass of rows [first, last] through the plugin. */
typedef struct ch_pass {
    const char *run_id;
    uint64_t first, last;
    uint32_t attempt;
    uint32_t flags;           /* ACONN_BATCH_FULL_REFRESH, _CATCH_UP */
} ch_pass;

/* Feeds the pass's rows to the plugin batch by batch and returns its
   status; the report of the END batch goes to out. */
static aconn_status ch_run_pass(ch_host *h, const ch_plugin *p, ch_run *r,
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
    h->run = r;
    for (bfirst = ps->first;; bfirst = blast + 1) {
        blast = ps->last - bfirst + 1 > per ? bfirst + per - 1 : ps->last;
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
            ch_buf_output(out, &output);
            r->batch.report = &output;
        }
        r->batch_last = blast;
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
   knows the targets' standing last). */
aconn_status ch_run_catch_up(ch_host *h, const ch_plugin *p, const ch_connection *c,
                             const ch_run_options *opt, uint64_t from,
                             aconn_status status, json_object **report)
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
    ch_buf_free(&out);
    ch_dataset_close(r->ds);
    free(r);
    return ACONN_STATUS_IS_OK(cu) ? cu : status;
}

int ch_run_deliver(ch_host *h, const ch_plugin *p, ch_connection *c,
                   const ch_run_options *opt, json_object **report,
                   char *err, size_t errlen)
{
    int exitc = CH_EXIT_INTERNAL;
    ch_run *r = NULL;
    uint64_t end = 0;
    int64_t started = ch_host_now_ms(h), not_before = 0;
    aconn_status status = ACONN_OK;
    aconn_error perr;
    ch_buf out = { 0 };
    uint32_t batches = 0;
    const char *outcome;
    ch_pass pass;
    json_object *catch_up = NULL;
    const char *changed = NULL;
    int pending_full;

    *report = NULL;
    memset(&perr, 0, sizeof(perr));
    perr.struct_size = sizeof(perr);
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    r->host = h;
    r->progress = opt->progress;
    /* A rewritten, truncated or replaced dataset is never read as an
       append (ch_fprint.h): refused, or with --resync delivered whole. */
    /* A pending full refresh from line 1 (a deferred --resync) carries
       the file as it is: what it replaces needs no fingerprint. */
    pending_full = c->run_id != NULL && c->run_full_refresh && c->run_first == 1;
    switch (ch_fprint_before_run(c, opt->resync || pending_full, &end, &changed, report,
                                 err, errlen)) {
    case 0:
        break;
    case 1:
        exitc = CH_EXIT_FAILED;
        goto cleanup;
    default:
        goto cleanup;
    }
    if (opt->resync) {
        /* A new snapshot: a pending run of the old file is dropped. */
        free(c->run_id);
        c->run_id = NULL;
    }
    if (opt->dry_run) {
        /* A preview of the rows the next run would carry, under a run id of
           its own so no record of the real run is touched; nothing about
           it is stored. */
        char id[40];
        if (ch_random_id("dry_", 12, id, sizeof(id)) != 0) {
            ch_errf(err, errlen, "cannot make a run id");
            goto cleanup;
        }
        if (c->run_id == NULL)
            c->run_first = opt->resync ? 1 : c->delivered_through + 1;
        c->run_last = end;
        free(c->run_id);
        c->run_id = strdup(id);
        c->run_attempt = 1;
        c->run_full_refresh = opt->resync;
        if (c->run_id == NULL || end < c->run_first) {
            *report = ch_run_short_report(c, "up_to_date");
            exitc = *report != NULL ? CH_EXIT_OK : CH_EXIT_INTERNAL;
            goto cleanup;
        }
    } else {
        switch (ch_run_choose(h, c, end, ch_plugin_refresh_period_ms(p), opt->resync,
                              report, &exitc, err, errlen)) {
        case 1:
            break;
        case 0:
            /* No new rows: still not up to date while a target is behind
               or dead (ch_run_current.c). */
            if (exitc == CH_EXIT_OK)
                exitc = ch_run_current(h, p, c, opt, report, err, errlen);
            goto cleanup;
        default:
            exitc = CH_EXIT_INTERNAL;
            goto cleanup;
        }
        /* Record the run before the plugin sees a record, so a host killed
           from here on resumes the same run id and range. */
        if (ch_state_run_begin(h->state, c, started, err, errlen) != 0)
            goto cleanup;
    }
    pass.run_id = c->run_id;
    pass.first = c->run_first;
    pass.last = c->run_last;
    pass.attempt = c->run_attempt;
    pass.flags = c->run_full_refresh ? ACONN_BATCH_FULL_REFRESH : 0;
    status = ch_run_pass(h, p, r, c, opt, &pass, &out, &perr, &batches);
    if (ACONN_STATUS_IS_OK(status) && r->catch_up_from > 0 && !opt->dry_run)
        status = ch_run_catch_up(h, p, c, opt, r->catch_up_from, status, &catch_up);
    perr.status = status;
    if (!ACONN_STATUS_IS_OK(status) && perr.message[0] == '\0')
        snprintf(perr.message, sizeof(perr.message), "the plugin returned %s without "
                 "a message", aconn_status_name(status));
    outcome = ch_run_outcome(status);
    if (ACONN_STATUS_IS_RETRY(status)) {
        int64_t wait = perr.retry_after_ms > 0 ? perr.retry_after_ms : 0;
        not_before = ch_host_now_ms(h) + wait;
    }
    *report = ch_run_report(r, c, status, &perr, batches, not_before,
                            ch_host_now_ms(h) - started, &out);
    if (*report == NULL) {
        ch_errf(err, errlen, "out of memory building the report");
        goto cleanup;
    }
    if (catch_up != NULL) {
        json_object_object_add(*report, "catch_up", catch_up);
        catch_up = NULL;
    }
    ch_run_final_targets(*report);
    if (opt->resync) {
        json_object_object_add(*report, "resync", json_object_new_boolean(1));
        if (changed != NULL)
            json_object_object_add(*report, "dataset_changed",
                                   json_object_new_string(changed));
    }
    if (opt->dry_run) {
        json_object_object_add(*report, "dry_run", json_object_new_boolean(1));
        if (ACONN_STATUS_IS_OK(status))
            json_object_object_add(*report, "status", json_object_new_string("previewed"));
        exitc = ch_exit_for_status(status);
        goto cleanup;
    }
    if (ACONN_STATUS_IS_OK(status)) {
        char why[256] = "";
        ch_fprint_after_run(c, r->ds, why, sizeof(why));
        if (!c->fp.valid)
            h->table.log(h, ACONN_LOG_WARN, why);
    }
    if (ch_state_run_end(h->state, c, outcome, ch_run_status_word(status), not_before,
                         json_object_to_json_string_ext(*report, JSON_C_TO_STRING_PLAIN),
                         ch_host_now_ms(h), err, errlen) != 0) {
        exitc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    if (ACONN_STATUS_IS_REAUTHORIZE(status)
        && ch_state_profile_set(h->state, c->plugin_id, perr.profile[0] != '\0'
                                ? perr.profile : c->profile, "reauthorize_required",
                                NULL, ch_host_now_ms(h), err, errlen) != 0) {
        exitc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    if (ACONN_STATUS_IS_OK(status))
        c->delivered_through = c->run_last;
    exitc = ch_exit_for_status(status);
cleanup:
    h->run = NULL;
    json_object_put(catch_up);
    ch_buf_free(&out);
    if (r != NULL)
        ch_dataset_close(r->ds);
    free(r);
    return exitc;
}
