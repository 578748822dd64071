/*
 * ch_run_current.c - a deliver with no new rows while a target is behind
 * or dead (README "Delivery semantics").
 *
 * A run that left a target behind ends partial; the next run's probe is
 * what finds out the target can be served again. With no new rows there is
 * no run, so without this a recovered target would wait for the dataset to
 * grow, and `deliver` would say "up_to_date" (exit 0) of a connection one
 * of whose Ad Accounts misses rows. Instead:
 *   - a target behind (or waiting for its catch-up): the host runs that
 *     catch-up pass now, rows since_seq..checkpoint flagged
 *     ACONN_BATCH_CATCH_UP, which the plugin serves to the targets that
 *     fell behind only (healthy ones are sent nothing): its probe, then
 *     the rows if it answers. The pass moves no checkpoint; when it
 *     changed a target's standing it is recorded as a run of its own, so
 *     `connections` shows where the targets stand now;
 *   - only dead targets: nothing to try (a dead target costs no call):
 *     the last report's targets are repeated, status "partial", exit 5;
 *   - a catch-up that meets a token TikTok no longer takes ends as any
 *     deliver that meets one: "reauthorize", exit 3, the profile marked.
 * The targets' standing is read from the last finished run's report
 * ("targets": the plugin's per-target state, since_seq, reason, fix).
 * `deliver` (a person, who just fixed the cause) tries every time; the
 * worker, which visits every connection each poll, at most every
 * opt->idle_wait_ms (kept in memory: opt->idle_next), so a behind target
 * costs it one pass (a probe, the rows read again) per interval, not per
 * poll; the connection stays due, so new rows are not delayed.
 */
#include <config.h>

#include "ch_run.h"
#include "ch_run_impl.h"
#include "ch_util.h"

#include <stdio.h>
#include <string.h>

/* What the last report says of the targets: the smallest since_seq of a
   behind (or catch_up) target in *from (0: none), whether one is dead. */
static void ch_current_scan(json_object *targets, uint64_t *from, int *dead)
{
    size_t i;

    *from = 0;
    *dead = 0;
    for (i = 0; targets != NULL && i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i), *v = NULL;
        const char *state = json_object_object_get_ex(t, "state", &v)
                                ? json_object_get_string(v) : NULL;
        uint64_t since;

        if (state == NULL)
            continue;
        if (strcmp(state, "dead") == 0) {
            *dead = 1;
            continue;
        }
        if (strcmp(state, "behind") != 0 && strcmp(state, "catch_up") != 0)
            continue;
        since = json_object_object_get_ex(t, "since_seq", &v)
                    ? (uint64_t) json_object_get_int64(v) : 1;
        if (since < 1)
            since = 1;
        if (*from == 0 || since < *from)
            *from = since;
    }
}

static const char *ch_current_str(json_object *o, const char *key)
{
    json_object *v = NULL;

    return json_object_object_get_ex(o, key, &v) && v != NULL ? json_object_get_string(v) : "";
}

/* Whether every target stands where it stood (same accounts, same states):
   a pass that changed nothing is not worth a run in the history. */
static int ch_current_same(json_object *was, json_object *now)
{
    size_t i, n = was != NULL ? json_object_array_length(was) : 0;

    if (now == NULL || json_object_array_length(now) != n)
        return 0;
    for (i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(was, i), *b = json_object_array_get_idx(now, i);
        if (strcmp(ch_current_str(a, "advertiser_id"), ch_current_str(b, "advertiser_id")) != 0
            || strcmp(ch_current_str(a, "state"), ch_current_str(b, "state")) != 0
            || ch_current_str(b, "operations")[0] != '\0')
            return 0;
    }
    return 1;
}

/* A catch-up that met a token TikTok no longer takes ends as a deliver
   that meets one does (ch_run_deliver.c): the status word and code of a
   reauthorize, its error at the top (the message and fix the terminal
   prints). The targets are the plugin's, or where they stood (was) when
   it stopped before it could name them: the catch-up after the new
   authorization starts from them. Returns the status word. */
static const char *ch_current_reauthorize(json_object *report, json_object *cu,
                                          const aconn_error *e, json_object *targets,
                                          json_object *was)
{
    json_object *v = NULL;
    const char *word = ch_run_status_word(e->status);

    json_object_object_add(report, "status", json_object_new_string(word));
    json_object_object_add(report, "status_code", json_object_new_int(e->status));
    if (json_object_object_get_ex(cu, "error", &v))
        json_object_object_add(report, "error", json_object_get(v));
    if (targets == NULL || json_object_array_length(targets) == 0)
        json_object_object_add(report, "targets", json_object_get(was));
    return word;
}

/* The catch-up pass over from..checkpoint, recorded unless it changed
   nothing (was: the last report's targets); its exit code. */
static int ch_current_catch_up(ch_host *h, const ch_plugin *p, ch_connection *c,
                               const ch_run_options *opt, uint64_t from, json_object *was,
                               json_object *report, char *err, size_t errlen)
{
    int64_t started = ch_host_now_ms(h);
    uint64_t saved_last = c->run_last;
    json_object *cu = NULL, *v = NULL, *plugin = NULL, *targets = NULL;
    aconn_status st;
    aconn_error cerr;
    const char *word, *run_id = "";
    int reauth;

    c->run_last = c->delivered_through;
    st = ch_run_catch_up(h, p, c, opt, from, ACONN_OK_PARTIAL, &cu, &cerr);
    c->run_last = saved_last;
    if (cu == NULL) {
        ch_errf(err, errlen, "out of memory running a catch-up");
        return CH_EXIT_INTERNAL;
    }
    reauth = ACONN_STATUS_IS_REAUTHORIZE(cerr.status);
    word = st == ACONN_OK ? "delivered" : "partial";
    json_object_object_add(report, "status", json_object_new_string(word));
    if (json_object_object_get_ex(cu, "plugin", &plugin)
        && json_object_object_get_ex(plugin, "targets", &targets))
        json_object_object_add(report, "targets", json_object_get(targets));
    if (json_object_object_get_ex(cu, "run_id", &v))
        run_id = json_object_get_string(v);
    json_object_object_add(report, "run_id", json_object_new_string(run_id));
    json_object_object_add(report, "first_line", json_object_new_uint64(from));
    json_object_object_add(report, "last_line", json_object_new_uint64(c->delivered_through));
    json_object_object_add(report, "catch_up", cu);
    if (reauth)
        word = ch_current_reauthorize(report, cu, &cerr, targets, was);
    else if (st != ACONN_OK && ch_current_same(was, targets))
        return CH_EXIT_PARTIAL;
    if (ch_state_run_record(h->state, c->id, run_id, from, c->delivered_through, word,
                            json_object_to_json_string_ext(report, JSON_C_TO_STRING_PLAIN),
                            started, ch_host_now_ms(h), err, errlen) != 0)
        return CH_EXIT_INTERNAL;
    if (reauth)
        return ch_run_mark_reauthorize(h, c, &cerr, err, errlen) != 0
                   ? CH_EXIT_INTERNAL : ch_exit_for_status(cerr.status);
    return st == ACONN_OK ? CH_EXIT_OK : CH_EXIT_PARTIAL;
}

/* Nothing tried: the standing of the last report, marked "unchanged" (a
   worker does not print it every poll). */
static void ch_current_as_last(json_object *report, json_object *targets)
{
    json_object_object_add(report, "status", json_object_new_string("partial"));
    json_object_object_add(report, "unchanged", json_object_new_boolean(1));
    json_object_object_add(report, "targets", json_object_get(targets));
}

int ch_run_current(ch_host *h, const ch_plugin *p, ch_connection *c,
                   const ch_run_options *opt, json_object **report, char *err,
                   size_t errlen)
{
    json_object *last, *targets = NULL;
    uint64_t from;
    int dead, failed, rc = CH_EXIT_OK;

    if (opt->dry_run || *report == NULL || c->delivered_through == 0)
        return CH_EXIT_OK;
    last = ch_state_last_report(h->state, c->id, &failed, err, errlen);
    if (failed)
        return CH_EXIT_INTERNAL;
    if (last == NULL || !json_object_object_get_ex(last, "targets", &targets))
        goto cleanup;
    ch_current_scan(targets, &from, &dead);
    if (from > 0 && opt->idle_next != NULL && ch_host_now_ms(h) < *opt->idle_next) {
        ch_current_as_last(*report, targets);
        json_object_object_add(*report, "next_try_ms", json_object_new_int64(*opt->idle_next));
        rc = CH_EXIT_PARTIAL;
    } else if (from > 0) {
        rc = ch_current_catch_up(h, p, c, opt, from, targets, *report, err, errlen);
        if (opt->idle_next != NULL)
            *opt->idle_next = rc == CH_EXIT_PARTIAL ? ch_host_now_ms(h) + opt->idle_wait_ms : 0;
    } else if (dead) {
        ch_current_as_last(*report, targets);
        rc = CH_EXIT_PARTIAL;
    }
cleanup:
    json_object_put(last);
    return rc;
}
