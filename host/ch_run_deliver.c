/*
 * ch_run_deliver.c - one delivery run: check the dataset and choose the
 * range, record it, run its passes (ch_run.c), build the report and
 * record the outcome.
 */
#include <config.h>

#include "ch_run.h"
#include "ch_run_impl.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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
const char *ch_run_status_word(aconn_status s)
{
    if (s == ACONN_OK_PARTIAL)
        return "partial";
    return ACONN_STATUS_IS_OK(s) ? "delivered" : aconn_status_name(s);
}

json_object *ch_run_error_json(const aconn_error *e)
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

int ch_run_mark_reauthorize(ch_host *h, const ch_connection *c, const aconn_error *e,
                            char *err, size_t errlen)
{
    return ch_state_profile_set(h->state, c->plugin_id,
                                e->profile[0] != '\0' ? e->profile : c->profile,
                                "reauthorize_required", NULL, ch_host_now_ms(h), err, errlen);
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

/* What one delivery gathers on its way, for its report and its record. */
typedef struct ch_run_result {
    int64_t started, not_before;
    aconn_status status;
    aconn_error perr;
    ch_buf out;               /* the plugin's report (the END batch's) */
    uint32_t batches;
    json_object *catch_up;    /* the catch-up's report, or NULL */
    const char *changed;      /* how the dataset changed (--resync), or NULL */
} ch_run_result;

/* A dry run's range: a preview of the rows the next run would carry, under
   a run id of its own so no record of the real run is touched; nothing
   about it is stored. 1 to run, 0 nothing to do (*report, *exitc), -1
   error. */
static int ch_run_choose_dry(ch_connection *c, const ch_run_options *opt, uint64_t end,
                             json_object **report, int *exitc, char *err, size_t errlen)
{
    char id[40];

    if (ch_random_id("dry_", 12, id, sizeof(id)) != 0) {
        ch_errf(err, errlen, "cannot make a run id");
        return -1;
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
        *exitc = *report != NULL ? CH_EXIT_OK : CH_EXIT_INTERNAL;
        return 0;
    }
    return 1;
}

/* Which rows the run carries (c->run_*): the dataset checked against its
   fingerprint, then the pending run resumed or a new one chosen, and
   recorded before the plugin sees a record. 1 to run, 0 nothing to run or
   refused (*exitc; *report when there is one), -1 error (err). */
static int ch_run_prepare(ch_host *h, const ch_plugin *p, ch_connection *c,
                          const ch_run_options *opt, ch_run_result *res,
                          json_object **report, int *exitc, char *err, size_t errlen)
{
    uint64_t end = 0;
    int pending_full;

    /* A rewritten, truncated or replaced dataset is never read as an
       append (ch_fprint.h): refused, or with --resync delivered whole. */
    /* A pending full refresh from line 1 (a deferred --resync) carries
       the file as it is: what it replaces needs no fingerprint. */
    pending_full = c->run_id != NULL && c->run_full_refresh && c->run_first == 1;
    switch (ch_fprint_before_run(c, opt->resync || pending_full, &end, &res->changed, report,
                                 err, errlen)) {
    case 0:
        break;
    case 1:
        *exitc = CH_EXIT_FAILED;
        return 0;
    default:
        return -1;
    }
    if (opt->resync) {
        /* A new snapshot: a pending run of the old file is dropped. */
        free(c->run_id);
        c->run_id = NULL;
    }
    if (opt->dry_run)
        return ch_run_choose_dry(c, opt, end, report, exitc, err, errlen);
    switch (ch_run_choose(h, c, end, ch_plugin_refresh_period_ms(p), opt->resync,
                          report, exitc, err, errlen)) {
    case 1:
        break;
    case 0:
        /* No new rows: still not up to date while a target is behind
           or dead (ch_run_current.c). */
        if (*exitc == CH_EXIT_OK)
            *exitc = ch_run_current(h, p, c, opt, report, err, errlen);
        return 0;
    default:
        return -1;
    }
    /* Record the run before the plugin sees a record, so a host killed
       from here on resumes the same run id and range. */
    return ch_state_run_begin(h->state, c, res->started, err, errlen) == 0 ? 1 : -1;
}

/* The run's pass over c->run_first..run_last, then the catch-up the plugin
   asked for; res->status is the status the delivery ends with (its error
   never without a message), res->not_before when to try again. */
static void ch_run_passes(ch_host *h, const ch_plugin *p, ch_run *r, const ch_connection *c,
                          const ch_run_options *opt, ch_run_result *res)
{
    ch_pass pass;
    aconn_status status;

    pass.run_id = c->run_id;
    pass.first = c->run_first;
    pass.last = c->run_last;
    pass.attempt = c->run_attempt;
    pass.flags = c->run_full_refresh ? ACONN_BATCH_FULL_REFRESH : 0;
    status = ch_run_pass(h, p, r, c, opt, &pass, &res->out, &res->perr, &res->batches);
    if (ACONN_STATUS_IS_OK(status) && r->catch_up_from > 0 && !opt->dry_run)
        status = ch_run_catch_up(h, p, c, opt, r->catch_up_from, status, &res->catch_up, NULL);
    res->perr.status = status;
    if (!ACONN_STATUS_IS_OK(status) && res->perr.message[0] == '\0')
        snprintf(res->perr.message, sizeof(res->perr.message), "the plugin returned %s "
                 "without a message", aconn_status_name(status));
    if (ACONN_STATUS_IS_RETRY(status)) {
        int64_t wait = res->perr.retry_after_ms > 0 ? res->perr.retry_after_ms : 0;
        res->not_before = ch_host_now_ms(h) + wait;
    }
    res->status = status;
}

/* The run's report: the host's, the plugin's, the catch-up's, the
   targets' final standing, and what --resync and --dry-run add. NULL when
   out of memory. */
static json_object *ch_run_make_report(ch_host *h, ch_run *r, const ch_connection *c,
                                       const ch_run_options *opt, ch_run_result *res)
{
    json_object *report = ch_run_report(r, c, res->status, &res->perr, res->batches,
                                        res->not_before, ch_host_now_ms(h) - res->started,
                                        &res->out);

    if (report == NULL)
        return NULL;
    if (res->catch_up != NULL) {
        json_object_object_add(report, "catch_up", res->catch_up);
        res->catch_up = NULL;
    }
    ch_run_final_targets(report);
    if (opt->resync) {
        json_object_object_add(report, "resync", json_object_new_boolean(1));
        if (res->changed != NULL)
            json_object_object_add(report, "dataset_changed",
                                   json_object_new_string(res->changed));
    }
    if (opt->dry_run) {
        json_object_object_add(report, "dry_run", json_object_new_boolean(1));
        if (ACONN_STATUS_IS_OK(res->status))
            json_object_object_add(report, "status", json_object_new_string("previewed"));
    }
    return report;
}

/* Records the run's end: after a success the dataset's fingerprint and the
   checkpoint, the outcome and report, and a profile that must be
   authorized again. The exit code. */
static int ch_run_record(ch_host *h, ch_run *r, ch_connection *c, const ch_run_result *res,
                         json_object *report, char *err, size_t errlen)
{
    aconn_status status = res->status;

    if (ACONN_STATUS_IS_OK(status)) {
        char why[256] = "";
        ch_fprint_after_run(c, r->ds, why, sizeof(why));
        if (!c->fp.valid)
            h->table.log(h, ACONN_LOG_WARN, why);
    }
    if (ch_state_run_end(h->state, c, ch_run_outcome(status), ch_run_status_word(status),
                         res->not_before,
                         json_object_to_json_string_ext(report, JSON_C_TO_STRING_PLAIN),
                         ch_host_now_ms(h), err, errlen) != 0)
        return CH_EXIT_INTERNAL;
    if (ACONN_STATUS_IS_REAUTHORIZE(status)
        && ch_run_mark_reauthorize(h, c, &res->perr, err, errlen) != 0)
        return CH_EXIT_INTERNAL;
    if (ACONN_STATUS_IS_OK(status))
        c->delivered_through = c->run_last;
    return ch_exit_for_status(status);
}

int ch_run_deliver(ch_host *h, const ch_plugin *p, ch_connection *c,
                   const ch_run_options *opt, json_object **report,
                   char *err, size_t errlen)
{
    int exitc = CH_EXIT_INTERNAL, go;
    ch_run *r = NULL;
    ch_run_result res;

    *report = NULL;
    memset(&res, 0, sizeof(res));
    res.perr.struct_size = sizeof(res.perr);
    res.started = ch_host_now_ms(h);
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    r->host = h;
    r->progress = opt->progress;
    go = ch_run_prepare(h, p, c, opt, &res, report, &exitc, err, errlen);
    if (go <= 0) {
        if (go < 0)
            exitc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    ch_run_passes(h, p, r, c, opt, &res);
    *report = ch_run_make_report(h, r, c, opt, &res);
    if (*report == NULL) {
        ch_errf(err, errlen, "out of memory building the report");
        goto cleanup;
    }
    /* A dry run records nothing. */
    exitc = opt->dry_run ? ch_exit_for_status(res.status)
                         : ch_run_record(h, r, c, &res, *report, err, errlen);
cleanup:
    h->run = NULL;
    json_object_put(res.catch_up);
    ch_buf_free(&res.out);
    if (r != NULL)
        ch_dataset_close(r->ds);
    free(r);
    return exitc;
}
