/* tt_update.c - one target's operations for the run (see tt_update.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/tt_budget.h"
#include "delivery/tt_create.h"
#include "delivery/tt_replace.h"
#include "delivery/tt_runrec.h"
#include "delivery/tt_update.h"
#include "delivery/tt_upload.h"
#include "tiktok/tt_status.h"

/* TikTok answers an audience it is still processing with the generic 40002
   in wordings we may not know: when a get shows it is processing, the
   update waits; otherwise the refusal stands (docs/tiktok-answers.md). */
static aconn_status parameter_error(tt_apply_ctx *x, const tt_dest *t, aconn_status st,
                                    aconn_error *err)
{
    tt_audience_state as = {0};
    aconn_error ge = {.struct_size = sizeof(ge)};

    if (tt_api_audience_state(x->api, t->advertiser_id, t->audience_id, &as, &ge) != ACONN_OK
        || !as.found || as.is_valid)
        return st;
    return aconn_error_set(err, ACONN_RETRY, "audience_processing", NULL,
                           "audience %s in Ad Account %s is still being processed by "
                           "TikTok (it answered: %s); the update is retried later",
                           t->audience_id, t->advertiser_id, err->message);
}

/* TikTok refuses a REPLACE within 24 hours of the last one: "This replace
   operation is rejected as there is an existing unfinished replace
   operation for this audience" (tiktok-api.md §2.9). The connector never
   sends one that soon itself (tt_replace.h); this is an audience someone
   replaced outside it. Waiting the day is all that helps. */
static aconn_status replace_refused(tt_apply_ctx *x, const tt_dest *t, int64_t now_ms,
                                    aconn_status st, aconn_error *err)
{
    aconn_error re = {.struct_size = sizeof(re)};
    char said[400], when[96];
    int64_t wait = TT_REPLACE_INTERVAL_MS + TT_REPLACE_MARGIN_MS;

    if (err == NULL || strcmp(err->remote_code, "40002") != 0 ||
        strstr(err->message, "replace operation") == NULL)
        return st;
    /* TikTok does not say when the other REPLACE was: a day from now. */
    if (tt_replace_record(x->host, t->advertiser_id, t->audience_id, now_ms, &re) != ACONN_OK)
        return st;
    snprintf(said, sizeof(said), "%.399s", err->message);
    tt_budget_format_when(now_ms + wait, now_ms, when, sizeof(when));
    st = aconn_error_set(err, ACONN_RETRY_DEFERRED, "daily_replace_limit", NULL,
                         "audience %s of Ad Account %s was replaced less than 24 hours ago "
                         "outside this connection, and TikTok allows one REPLACE per audience "
                         "per 24 hours; this refresh of it resumes at %s, nothing is lost "
                         "[%s]", t->audience_id, t->advertiser_id, when, said);
    err->retry_after_ms = wait;
    return st;
}

/* The one-REPLACE-a-day rule before a REPLACE is sent: deferred until the
   day is over (a REPLACE cannot be emulated with APPEND and REMOVE: TikTok
   does not say who is in the audience, so who to remove is unknown), else
   recorded BEFORE sending, since one whose answer is lost may have landed. */
static aconn_status replace_gate(tt_apply_ctx *x, const tt_dest *t, int64_t now_ms,
                                 aconn_error *err)
{
    aconn_status st = tt_replace_check(x->host, t->advertiser_id, t->audience_id, now_ms,
                                       err);
    if (st != ACONN_OK)
        return st;
    st = tt_budget_reserve(x->host, t->advertiser_id, now_ms, TT_BUDGET_UPDATES_PER_DAY, err);
    if (st != ACONN_OK)
        return st;
    return tt_replace_record(x->host, t->advertiser_id, t->audience_id, now_ms, err);
}

/* One chunk of at most TT_FILE_PATHS_PER_CALL files. */
static aconn_status update_chunk(tt_apply_ctx *x, tt_dest *t, tt_update_action action,
                                 const char **paths, size_t k, size_t chunk, aconn_error *err)
{
    char done[200];
    size_t calls = 0;
    int64_t now_ms = x->host->now_ms(x->host->ctx);
    int replace = action == TT_UPDATE_REPLACE;
    aconn_status st;

    snprintf(done, sizeof(done), "%s|%s|%s|%zu", t->advertiser_id, t->audience_id,
             tt_update_action_name(action), chunk);
    if (tt_runrec_is_done(x, done))
        return ACONN_OK;
    st = replace ? replace_gate(x, t, now_ms, err)
                 : tt_budget_reserve(x->host, t->advertiser_id, now_ms,
                                     TT_BUDGET_UPDATES_PER_DAY, err);
    if (st != ACONN_OK)
        return st;
    st = tt_api_audience_update(x->api, t->advertiser_id, t->audience_id, action, paths, k,
                                &calls, err);
    if (st == ACONN_OK) {
        tt_apply_ops_append(t, tt_update_action_name(action));
        return tt_runrec_mark(x, "done", done, NULL, err);
    }
    if (replace && tt_apply_answered(err)) {
        /* Refused, so nothing was replaced: the record goes, or a retry
           (with renewed files, say) would wait a day for nothing. */
        aconn_error fe = {.struct_size = sizeof(fe)};
        (void) tt_replace_forget(x->host, t->advertiser_id, t->audience_id, now_ms, &fe);
        st = replace_refused(x, t, now_ms, st, err);
        if (st == ACONN_RETRY_DEFERRED)
            return st;
    }
    if (ACONN_STATUS_IS_RETRY(st) && !tt_apply_answered(err) && err != NULL &&
        err->retry_after_ms < TT_SETTLE_MS)
        err->retry_after_ms = TT_SETTLE_MS;   /* it may still land */
    if (tt_status_class(err) == TT_CLASS_PARAMETER)
        st = parameter_error(x, t, st, err);
    return st;
}

static aconn_status update_chunks(tt_apply_ctx *x, tt_dest *t, tt_spool_op op,
                                  tt_update_action action, aconn_error *err)
{
    const char **paths = calloc(x->files->count ? x->files->count : 1, sizeof(*paths));
    size_t n;
    aconn_status st = ACONN_OK;

    if (paths == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    n = tt_upload_paths(x, t, op, paths, x->files->count);
    for (size_t off = 0, chunk = 0; off < n && st == ACONN_OK;
         off += TT_FILE_PATHS_PER_CALL, chunk++) {
        size_t k = n - off < TT_FILE_PATHS_PER_CALL ? n - off : TT_FILE_PATHS_PER_CALL;
        /* Only the first chunk replaces; the rest add to it. */
        tt_update_action a = action == TT_UPDATE_REPLACE && chunk > 0 ? TT_UPDATE_APPEND
                                                                       : action;
        st = update_chunk(x, t, a, paths + off, k, chunk, err);
    }
    free(paths);
    return st;
}

static aconn_status update_action(tt_apply_ctx *x, tt_dest *t, tt_spool_op op,
                                  tt_update_action action, aconn_error *err)
{
    aconn_status st = update_chunks(x, t, op, action, err);

    /* Chunks already done are recorded and not sent again. */
    if (st != ACONN_OK && tt_status_class(err) == TT_CLASS_FILE_GONE
        && (st = tt_upload_renew(x, t, err)) == ACONN_OK)
        st = update_chunks(x, t, op, action, err);
    return st;
}

aconn_status tt_update_target(tt_apply_ctx *x, tt_dest *t, aconn_error *err)
{
    /* A catch-up carries the rows the target missed, not the whole dataset:
       APPEND and REMOVE, so members it had before are kept. */
    int full = x->full_refresh;
    char created[200];
    size_t nadd;
    int created_in_run, skip_remove;
    aconn_status st;

    if (t->is_new && t->audience_id[0] == '\0') {
        st = tt_create_audience(x, t, err);
        if (st != ACONN_OK || t->audience_id[0] == '\0')
            return st;    /* failed, or nothing to create it from yet */
    }
    tt_create_done_key(t, created, sizeof(created));
    created_in_run = t->is_new && tt_runrec_is_done(x, created);
    nadd = tt_upload_paths(x, t, TT_SPOOL_ADD, NULL, 0);
    /* An audience this run created (in any attempt) already holds the run's
       adds; appending them again after the run's REMOVE went through would
       bring removed members back. A create takes at most 50 files, so a
       bigger run appends them all (APPEND is idempotent). */
    if (!created_in_run || nadd > TT_FILE_PATHS_PER_CALL) {
        st = update_action(x, t, TT_SPOOL_ADD, full ? TT_UPDATE_REPLACE : TT_UPDATE_APPEND,
                           err);
        if (st != ACONN_OK)
            return st;
    }
    /* Adds without the run's opt-outs make a REMOVE needless after a create
       or a REPLACE; otherwise removals go last, so an opt-out wins. */
    skip_remove = x->files->adds_exclude_removes && (created_in_run || (full && nadd > 0));
    return skip_remove ? ACONN_OK : update_action(x, t, TT_SPOOL_REMOVE, TT_UPDATE_REMOVE, err);
}
