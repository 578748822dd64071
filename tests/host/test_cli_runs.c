/*
 * test_cli_runs.c - connector-host deliver as a user runs it (fork/exec of
 * the built binary with a temporary --home and the test plugin): the
 * delivery-run semantics (checkpoint only on OK, retry keeps the run,
 * permanent extends it, kill -9 resumes, SIGTERM cancels). The other
 * commands are test_cli.c.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli_fixture.h"
#include "test_util.h"
#include "ts_cunit.h"

static json_object *deliver(fx *f, const char *conn, const char *mode, int expect,
                            const char *extra1, const char *extra2)
{
    test_result r;
    json_object *o;

    host(f, mode, NULL, &r, "deliver", "--connection", conn, extra1, extra2, NULL);
    CU_ASSERT_EQUAL(r.status, expect);
    if (r.status != expect)
        fprintf(stderr, "deliver (%s): exit %d, want %d\nstdout: %s\nstderr: %s\n", mode,
                r.status, expect, r.out, r.err);
    o = json_tokener_parse(r.out);
    CU_ASSERT_PTR_NOT_NULL(o);
    test_result_free(&r);
    return o;
}

/* A deliver that goes on with run run1 (a second attempt): its summary
   (caller puts). */
static json_object *deliver_resumed(fx *f, const char *conn, const char *run1)
{
    json_object *o = deliver(f, conn, "ok", 0, NULL, NULL);

    CU_ASSERT_STRING_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT_EQUAL(jint(o, "attempt"), 2);
    return o;
}

static char *lines(int from, int to)
{
    size_t cap = (size_t) (to - from + 1) * 64 + 1, used = 0;
    char *s = malloc(cap);
    int i;

    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (i = from; i <= to; i++)
        used += (size_t) snprintf(s + used, cap - used,
                                  "{\"sha256_hashed_email\":{\"value\":\"v%06d\"}}\n", i);
    return s;
}

/* ---- delivery runs ----------------------------------------------------- */

/* The first run of test_deliver_ok_and_rejects: its summary and what the
   plugin saw. */
static void check_first_run(json_object *o, const char *conn)
{
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "delivered");
    CU_ASSERT_EQUAL(jint(o, "first_line"), 1);
    CU_ASSERT_EQUAL(jint(o, "last_line"), 10);
    CU_ASSERT_EQUAL(jint(o, "attempt"), 1);
    CU_ASSERT_EQUAL(jint(o, "batches"), 4);
    CU_ASSERT_EQUAL(jint(o, "records_read"), 8);
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 10);
    CU_ASSERT_EQUAL(jint(o, "rejected.total"), 2);
    CU_ASSERT_EQUAL(jint(o, "rejected.by_reason.invalid_json.count"), 1);
    CU_ASSERT_STRING_EQUAL(json_object_to_json_string(
        jget(o, "rejected.by_reason.invalid_json.first_lines")), "[ 3 ]");
    CU_ASSERT_STRING_EQUAL(json_object_to_json_string(
        jget(o, "rejected.by_reason.bad_op.first_lines")), "[ 6 ]");
    CU_ASSERT(jint(o, "duration_ms") >= 0);
    /* What the plugin saw. */
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 8);
    CU_ASSERT_EQUAL(jint(o, "plugin.removes"), 1);
    CU_ASSERT_EQUAL(jint(o, "plugin.batches"), 4);
    CU_ASSERT_STRING_EQUAL(json_object_to_json_string(jget(o, "plugin.seqs")),
                           "[ 1, 2, 4, 5, 7, 8, 9, 10 ]");
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.run_id"), jstr(o, "run_id"));
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.profile"), "p1");
    CU_ASSERT(jtrue(o, "plugin.order_ok"));
    CU_ASSERT(jtrue(o, "plugin.flags_ok"));
    CU_ASSERT_PTR_NOT_NULL(strstr(jstr(o, "plugin.spool_dir"), conn));
}

/* The same run: every host service behaved as the ABI says. */
static void check_services(json_object *o, const fx *f)
{
    CU_ASSERT(jtrue(o, "plugin.services.log"));
    CU_ASSERT(jtrue(o, "plugin.services.missing_option_null"));
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.api_base"), "https://127.0.0.1:1");
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.ca_file"), "/x/ca.pem");
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.redirect_uri"),
                           "https://127.0.0.1/callback");
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.home"), f->home);
    CU_ASSERT(jint(o, "plugin.services.now_ms") > 1600000000000LL);
    CU_ASSERT_EQUAL(jint(o, "plugin.services.cancelled"), 0);
    CU_ASSERT(jtrue(o, "plugin.services.secret_missing_not_found"));
    CU_ASSERT(jtrue(o, "plugin.services.secret_put"));
    CU_ASSERT(jtrue(o, "plugin.services.secret_too_small"));
    CU_ASSERT(jtrue(o, "plugin.services.secret_get"));
    CU_ASSERT(jtrue(o, "plugin.services.secret_delete"));
    CU_ASSERT(jtrue(o, "plugin.services.state_not_found"));
    CU_ASSERT(jtrue(o, "plugin.services.state_cas_create"));
    CU_ASSERT(jtrue(o, "plugin.services.state_conflict"));
    CU_ASSERT(jtrue(o, "plugin.services.state_too_small"));
    CU_ASSERT(jtrue(o, "plugin.services.state_get"));
    CU_ASSERT(jtrue(o, "plugin.services.state_update"));
    CU_ASSERT(jtrue(o, "plugin.services.state_delete"));
}

static void test_deliver_ok_and_rejects(void)
{
    fx f;
    json_object *o;
    char *conn, *more;
    const char *data =
        "{\"sha256_hashed_email\":{\"value\":\"v1\"}}\n"
        "{\"sha256_hashed_email\":{\"value\":\"v2\"}}\n"
        "not json\n"
        "{\"sha256_hashed_email\":{\"value\":\"v4\"},\"_op\":\"remove\"}\n"
        "{\"sha256_hashed_email\":{\"value\":\"v5\"}}\n"
        "{\"sha256_hashed_email\":{\"value\":\"v6\"},\"_op\":\"zap\"}\n"
        "{\"sha256_hashed_email\":{\"value\":\"v7\"}}\n"
        "{\"sha256_hashed_email\":{\"value\":\"v8\"}}\n"
        "{\"sha256_hashed_email\":{\"value\":\"v9\"}}\n"
        "{\"sha256_hashed_email\":{\"value\":\"v10\"}}\n";
    char run1[64];

    CU_ASSERT_FATAL(fx_init(&f, data, "{\"audience_name\":\"A\"}") == 0);
    /* The profile is bound to the API it was authorized against: the one
       this delivery names. */
    conn = connect_fx_at(&f, NULL, "https://127.0.0.1:1", "/x/ca.pem");
    {
        test_result r;
        host(&f, NULL, NULL, &r, "deliver", "--connection", conn, "--batch-records", "3",
             "--api-base", "https://127.0.0.1:1", "--ca-file", "/x/ca.pem", NULL);
        CU_ASSERT_EQUAL(r.status, 0);
        o = json_tokener_parse(r.out);
        test_result_free(&r);
    }
    CU_ASSERT_FATAL(o != NULL);
    check_first_run(o, conn);
    check_services(o, &f);
    CU_ASSERT_EQUAL(jint(o, "plugin.deliveries"), 1);
    snprintf(run1, sizeof(run1), "%s", jstr(o, "run_id"));
    json_object_put(o);

    /* Nothing new: up to date, the plugin is not called. */
    o = deliver(&f, conn, NULL, 0, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "up_to_date");
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 10);
    json_object_put(o);

    /* New lines: a new run over just them; plugin rejects are counted. */
    more = lines(11, 13);
    CU_ASSERT_FATAL(more != NULL && test_append_file(f.dataset, more) == 0);
    free(more);
    o = deliver(&f, conn, "reject_odd", 0, NULL, NULL);
    CU_ASSERT_EQUAL(jint(o, "first_line"), 11);
    CU_ASSERT_EQUAL(jint(o, "last_line"), 13);
    CU_ASSERT_EQUAL(jint(o, "batches"), 1);
    CU_ASSERT_STRING_NOT_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT_EQUAL(jint(o, "plugin_rejected.by_reason.test_odd.count"), 2);
    CU_ASSERT_STRING_EQUAL(json_object_to_json_string(
        jget(o, "plugin_rejected.by_reason.test_odd.first_lines")), "[ 11, 13 ]");
    CU_ASSERT_EQUAL(jint(o, "plugin.deliveries"), 2);   /* state persisted */
    json_object_put(o);
    free(conn);
    fx_free(&f);
}

static void test_deliver_retry_keeps_run(void)
{
    fx f;
    json_object *o;
    char *conn, *data = lines(1, 5), *more = lines(6, 7);
    char run1[64];

    CU_ASSERT_FATAL(data != NULL && more != NULL);
    CU_ASSERT_FATAL(fx_init(&f, data, "{}") == 0);
    conn = connect_fx(&f, NULL);
    o = deliver(&f, conn, "retry:60000", 75, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "retry_throttled");
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 0);
    CU_ASSERT_EQUAL(jint(o, "error.retry_after_ms"), 60000);
    CU_ASSERT_STRING_EQUAL(jstr(o, "error.code"), "rate_limited");
    CU_ASSERT(jint(o, "not_before_ms") > 0);
    snprintf(run1, sizeof(run1), "%s", jstr(o, "run_id"));
    json_object_put(o);
    /* Too early: the host waits (75) without calling the plugin. */
    o = deliver(&f, conn, "ok", 75, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "not_before");
    CU_ASSERT_STRING_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT(jint(o, "retry_after_ms") > 50000);
    json_object_put(o);
    /* Later (clock moved), with new lines: the same run, same range. */
    CU_ASSERT_FATAL(test_append_file(f.dataset, more) == 0);
    o = deliver(&f, conn, "ok", 0, "--clock-offset-ms", "61000");
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "delivered");
    CU_ASSERT_STRING_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT_EQUAL(jint(o, "attempt"), 2);
    CU_ASSERT_EQUAL(jint(o, "plugin.attempt"), 2);
    CU_ASSERT_EQUAL(jint(o, "first_line"), 1);
    CU_ASSERT_EQUAL(jint(o, "last_line"), 5);
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 5);
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 5);
    json_object_put(o);
    o = deliver(&f, conn, "ok", 0, NULL, NULL);
    CU_ASSERT_EQUAL(jint(o, "first_line"), 6);
    CU_ASSERT_EQUAL(jint(o, "last_line"), 7);
    CU_ASSERT_EQUAL(jint(o, "attempt"), 1);
    json_object_put(o);
    free(conn);
    free(data);
    free(more);
    fx_free(&f);
}

static void test_deliver_permanent_extends(void)
{
    fx f;
    json_object *o;
    char *conn, *data = lines(1, 4), *more = lines(5, 9);
    char run1[64];

    CU_ASSERT_FATAL(data != NULL && more != NULL);
    CU_ASSERT_FATAL(fx_init(&f, data, "{}") == 0);
    conn = connect_fx(&f, NULL);
    o = deliver(&f, conn, "permanent", 1, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "limit");
    CU_ASSERT_STRING_EQUAL(jstr(o, "error.code"), "min_audience_size");
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 0);
    snprintf(run1, sizeof(run1), "%s", jstr(o, "run_id"));
    json_object_put(o);
    CU_ASSERT_FATAL(test_append_file(f.dataset, more) == 0);
    o = deliver(&f, conn, "ok", 0, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "delivered");
    CU_ASSERT_STRING_NOT_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT_EQUAL(jint(o, "first_line"), 1);      /* nothing lost */
    CU_ASSERT_EQUAL(jint(o, "last_line"), 9);       /* reaches the new end */
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 9);
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 9);
    json_object_put(o);
    free(conn);
    free(data);
    free(more);
    fx_free(&f);
}

static void test_deliver_reauthorize(void)
{
    fx f;
    json_object *o;
    test_result r;
    char *conn, *data = lines(1, 3);
    char run1[64];

    CU_ASSERT_FATAL(data != NULL && fx_init(&f, data, "{}") == 0);
    conn = connect_fx(&f, NULL);
    o = deliver(&f, conn, "reauth", 3, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "reauthorize");
    CU_ASSERT_STRING_EQUAL(jstr(o, "error.profile"), "p1");
    snprintf(run1, sizeof(run1), "%s", jstr(o, "run_id"));
    json_object_put(o);
    host(&f, NULL, NULL, &r, "profiles", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"status\":\"reauthorize_required\""));
    test_result_free(&r);
    /* Refused before the plugin runs until the profile is authorized. */
    host(&f, "ok", NULL, &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "authorize"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--callback", "https://127.0.0.1/callback?code=good", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    o = deliver_resumed(&f, conn, run1);
    json_object_put(o);
    free(conn);
    free(data);
    fx_free(&f);
}

static void test_deliver_fatal_and_partial(void)
{
    fx f;
    json_object *o;
    char *conn, *data = lines(1, 7);

    CU_ASSERT_FATAL(data != NULL && fx_init(&f, data, "{}") == 0);
    conn = connect_fx(&f, NULL);
    o = deliver(&f, conn, "fatal", 70, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "fatal");
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 0);
    json_object_put(o);
    /* Batches the plugin returns from unread are skipped by the host. */
    o = deliver(&f, conn, "partial", 0, "--batch-records", "3");
    CU_ASSERT_EQUAL(jint(o, "batches"), 3);
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 1);    /* only line 7 */
    CU_ASSERT_EQUAL(jint(o, "plugin.first_seq"), 7);
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 7);
    json_object_put(o);
    free(conn);
    free(data);
    fx_free(&f);
}

static void test_historical_false(void)
{
    fx f;
    json_object *o;
    char *conn, *data = lines(1, 4), *more = lines(5, 6);

    CU_ASSERT_FATAL(data != NULL && more != NULL);
    CU_ASSERT_FATAL(fx_init(&f, data, "{\"start_at_end\":true}") == 0);
    conn = connect_fx(&f, NULL);
    o = deliver(&f, conn, "ok", 0, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "up_to_date");
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 4);
    json_object_put(o);
    CU_ASSERT_FATAL(test_append_file(f.dataset, more) == 0);
    o = deliver(&f, conn, "ok", 0, NULL, NULL);
    CU_ASSERT_EQUAL(jint(o, "first_line"), 5);
    CU_ASSERT_EQUAL(jint(o, "last_line"), 6);
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 2);
    json_object_put(o);
    free(conn);
    free(data);
    free(more);
    fx_free(&f);
}

/* Polls `connections` until the connection has a pending run; its id. */
static int wait_for_run(fx *f, const char *conn, char *run_id, size_t len)
{
    int i;

    for (i = 0; i < 200; i++) {
        test_result r;
        json_object *o;
        struct timespec ts = { 0, 50 * 1000000L };
        host(f, NULL, NULL, &r, "connections", NULL);
        o = json_tokener_parse(r.out);
        test_result_free(&r);
        if (o != NULL && json_object_array_length(o) == 1) {
            json_object *c = json_object_array_get_idx(o, 0);
            if (strcmp(jstr(c, "id"), conn) == 0 && *jstr(c, "run_id") != '\0'
                && strcmp(jstr(c, "run_outcome"), "running") == 0) {
                snprintf(run_id, len, "%s", jstr(c, "run_id"));
                json_object_put(o);
                return 0;
            }
        }
        json_object_put(o);
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* A deliver of conn started in the background with the test plugin in
   mode (CH_TEST_PLUGIN_MODE) and extra options (may be NULL), once its run
   is under way: its pid, the run's id in run_id. */
static pid_t deliver_in_background(fx *f, const char *conn, const char *mode,
                                   const char *extra1, const char *extra2, char *run_id,
                                   size_t len)
{
    const char *argv[] = { test_env("TT_HOST"), "deliver", "--connection", conn,
                           "--home", f->home, extra1, extra2, NULL };
    char env_mode[64];
    const char *env[] = { env_mode, NULL };
    pid_t pid;

    snprintf(env_mode, sizeof(env_mode), "CH_TEST_PLUGIN_MODE=%s", mode);
    pid = test_spawn(argv, env);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(wait_for_run(f, conn, run_id, len), 0);
    return pid;
}

static void test_kill9_resumes_same_run(void)
{
    fx f;
    json_object *o;
    char *conn, *data = lines(1, 300);
    char run1[64] = "";
    pid_t pid;
    struct timespec ts = { 0, 300 * 1000000L };

    CU_ASSERT_FATAL(data != NULL && fx_init(&f, data, "{}") == 0);
    conn = connect_fx(&f, NULL);
    pid = deliver_in_background(&f, conn, "slow:200", "--batch-records", "10", run1,
                                sizeof(run1));
    {
        /* A second deliver of the same connection meanwhile: retry later. */
        test_result r;
        host(&f, "ok", NULL, &r, "deliver", "--connection", conn, NULL);
        CU_ASSERT_EQUAL(r.status, 75);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "another process"));
        test_result_free(&r);
    }
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    CU_ASSERT_EQUAL(test_wait(pid), 128 + SIGKILL);
    o = deliver_resumed(&f, conn, run1);
    CU_ASSERT_EQUAL(jint(o, "first_line"), 1);
    CU_ASSERT_EQUAL(jint(o, "last_line"), 300);
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 300);
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 300);
    json_object_put(o);
    free(conn);
    free(data);
    fx_free(&f);
}

static void test_sigterm_cancels(void)
{
    fx f;
    json_object *o;
    char *conn, *data = lines(1, 3);
    char run1[64] = "";
    pid_t pid;
    struct timespec ts = { 0, 200 * 1000000L };

    CU_ASSERT_FATAL(data != NULL && fx_init(&f, data, "{}") == 0);
    conn = connect_fx(&f, NULL);
    pid = deliver_in_background(&f, conn, "wait_cancel", NULL, NULL, run1, sizeof(run1));
    nanosleep(&ts, NULL);
    kill(pid, SIGTERM);
    /* cancelled() turned on; the plugin saved and returned RETRY_CANCELLED. */
    CU_ASSERT_EQUAL(test_wait(pid), 75);
    o = deliver_resumed(&f, conn, run1);
    json_object_put(o);
    free(conn);
    free(data);
    fx_free(&f);
}

int main(void)
{
    static const ts_test tests[] = {
        {"deliver OK, rejects, services", test_deliver_ok_and_rejects},
        {"retry keeps the run", test_deliver_retry_keeps_run},
        {"permanent extends the run", test_deliver_permanent_extends},
        {"reauthorize", test_deliver_reauthorize},
        {"fatal and partial batches", test_deliver_fatal_and_partial},
        {"historical data off", test_historical_false},
        {"kill -9 resumes the same run", test_kill9_resumes_same_run},
        {"SIGTERM cancels", test_sigterm_cancels},
    };
    static const ts_suite suites[] = {
        {"cli runs", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
