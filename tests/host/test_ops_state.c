/*
 * test_ops_state.c - connector-host's state you can see (issue #20), run as
 * a user runs it (fork/exec of the built binary, a temporary --home, the
 * test plugin): connections, runs, show, filters, ISO times, targets of the
 * last report, and a failed deliver's reason and fix on stderr (the fix
 * runs as printed). The rest of day-to-day use is test_ops.c.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "ops_fixture.h"
#include "test_util.h"
#include "ts_cunit.h"

/* ---- state you can see ------------------------------------------------- */

/* Stands in for the lead's delivery report (#11/#18): top-level targets. */
static void put_targets(fx *f, const char *run_id)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char path[4300];

    snprintf(path, sizeof(path), "%s/state.db", f->home);
    CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "UPDATE runs SET report_json = json_set("
                                       "report_json, '$.targets', json(?2)) WHERE run_id = ?1"
                                       " AND attempt = (SELECT MAX(attempt) FROM runs"
                                       " WHERE run_id = ?1)",
                                       -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, "[{\"advertiser_id\":\"7001\",\"audience_id\":\"900123\","
                      "\"state\":\"healthy\"},{\"advertiser_id\":\"7002\",\"audience_id\":"
                      "\"900456\",\"state\":\"dead\",\"since\":\"2026-01-02T03:04:05Z\","
                      "\"reason\":\"the audience was deleted\",\"fix\":\"connector-host "
                      "connect ...\",\"missing_rows\":2}]", -1, SQLITE_STATIC);
    CU_ASSERT(sqlite3_step(st) == SQLITE_DONE);
    CU_ASSERT(sqlite3_changes(db) == 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_connections_visible(void)
{
    fx f;
    test_result r;
    json_object *o;
    char *conn, *other, run[64];
    const char *tty[] = { "CONNECTOR_HOST_FORCE_TTY=1", NULL };

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    authorize(&f, "p1", BASE_A);
    conn = connect_fx(&f, "p1");
    other = connect_fx(&f, "p1");
    host(&f, "retry", &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 75);
    test_result_free(&r);
    host(&f, NULL, &r, "connections", "show", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    o = json_tokener_parse(r.out);
    CU_ASSERT(json_object_is_type(o, json_type_object));   /* one object, whole */
    CU_ASSERT_STRING_EQUAL(jstr(o, "last_run.status"), "retry_throttled");
    CU_ASSERT_STRING_EQUAL(jstr(o, "last_run.reason"), "the test plugin asks to retry later");
    CU_ASSERT_STRING_EQUAL(jstr(o, "last_run.error.code"), "rate_limited");
    CU_ASSERT_STRING_EQUAL(jstr(o, "last_run.report.status"), "retry_throttled");
    CU_ASSERT_STRING_EQUAL(jstr(o, "settings.audience_name"), "A");
    CU_ASSERT(is_iso_utc(jstr(o, "created_at")));
    CU_ASSERT(is_iso_utc(jstr(o, "last_run.finished_at")));
    CU_ASSERT_PTR_NULL(jget(o, "last_delivery"));
    json_object_put(o);
    test_result_free(&r);
    host(&f, NULL, &r, "deliver", "--connection", conn, "--clock-offset-ms", "60000", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    o = json_tokener_parse(r.out);
    snprintf(run, sizeof(run), "%s", jstr(o, "run_id"));
    json_object_put(o);
    test_result_free(&r);
    put_targets(&f, run);
    host(&f, NULL, &r, "connections", "--json", NULL);
    o = json_tokener_parse(r.out);
    CU_ASSERT_EQUAL(json_object_array_length(o), 2);
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.last_delivery.run_id"), run);
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.targets.1.audience_id"), "900456");
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.targets.1.state"), "dead");
    CU_ASSERT_PTR_NULL(jget(o, "1.targets"));   /* never delivered: nothing */
    json_object_put(o);
    test_result_free(&r);
    /* On a terminal: readable, with the targets and their fixes. */
    {
        const char *args[] = { "connections", "show", conn, NULL };
        runv(&f, tty, &r, args);
    }
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "last outcome   delivered"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "last delivery"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "advertiser 7002 audience 900456 dead since "
                                         "2026-01-02T03:04:05Z missing rows 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "the audience was deleted"));
    CU_ASSERT_PTR_NULL(strchr(r.out, '\033'));   /* no colour codes */
    CU_ASSERT_PTR_NULL(strchr(r.out, '{'));
    test_result_free(&r);
    host(&f, NULL, &r, "connections", "show", "c_0000000000000000", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no connection c_0000000000000000"));
    test_result_free(&r);
    free(conn);
    free(other);
    fx_free(&f);
}

static void test_runs_filters(void)
{
    fx f;
    test_result r;
    json_object *o;
    char *a, *b, run[64];
    const char *tty[] = { "CONNECTOR_HOST_FORCE_TTY=1", NULL };

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    a = connect_fx(&f, "p1");
    b = connect_fx(&f, "p1");
    host(&f, "permanent", &r, "deliver", "--connection", a, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    test_result_free(&r);
    host(&f, NULL, &r, "deliver", "--connection", b, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    o = json_tokener_parse(r.out);
    snprintf(run, sizeof(run), "%s", jstr(o, "run_id"));
    json_object_put(o);
    test_result_free(&r);
    host(&f, NULL, &r, "runs", "--connection", a, NULL);
    o = json_tokener_parse(r.out);
    CU_ASSERT_EQUAL(json_object_array_length(o), 1);
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.connection_id"), a);
    CU_ASSERT(*jstr(o, "0.reason") != '\0');
    CU_ASSERT(*jstr(o, "0.error.code") != '\0');
    CU_ASSERT(is_iso_utc(jstr(o, "0.started_at")));
    CU_ASSERT_PTR_NULL(jget(o, "0.report"));   /* the listing stays short */
    json_object_put(o);
    test_result_free(&r);
    host(&f, NULL, &r, "runs", run, NULL);
    o = json_tokener_parse(r.out);
    CU_ASSERT_EQUAL(json_object_array_length(o), 1);
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.report.status"), "delivered");
    json_object_put(o);
    test_result_free(&r);
    host(&f, NULL, &r, "runs", "show", run, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, run));
    test_result_free(&r);
    host(&f, NULL, &r, "runs", "--connection", "c_nonexistent", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no connection c_nonexistent"));
    test_result_free(&r);
    host(&f, NULL, &r, "runs", "r_000000000000000000000000", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no run r_000000000000000000000000"));
    test_result_free(&r);
    host(&f, NULL, &r, "runs", "show", run, "--connection", a, NULL);
    CU_ASSERT_EQUAL(r.status, 1);   /* that run is b's */
    test_result_free(&r);
    {
        const char *args[] = { "runs", NULL };
        runv(&f, tty, &r, args);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "RUN"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "fewer than 1000 members"));
    CU_ASSERT_PTR_NULL(strchr(r.out, '{'));
    test_result_free(&r);
    free(a);
    free(b);
    fx_free(&f);
}

/* ---- a failed deliver says why, and its fix runs ------------------------ */

/* Runs the first "connector-host ..." command in text (up to " (", ";",
   "," or the line's end) as printed, with the built binary. */
static int run_printed(fx *f, const char *text, const char *mode, test_result *r)
{
    const char *p = strstr(text, "connector-host ");
    char cmd[2048], *save = NULL, *tok;
    const char *argv[40], *env[2];
    char envmode[128];
    size_t len;
    int n = 0;

    if (p == NULL)
        return -1;
    p += strlen("connector-host ");
    len = strcspn(p, "(;,\n");
    snprintf(cmd, sizeof(cmd), "%.*s", (int) len, p);
    argv[n++] = test_env("TT_HOST");
    for (tok = strtok_r(cmd, " ", &save); tok != NULL && n < 38; tok = strtok_r(NULL, " ", &save))
        argv[n++] = tok;
    argv[n] = NULL;
    snprintf(envmode, sizeof(envmode), "CH_TEST_PLUGIN_MODE=%s", mode);
    env[0] = envmode;
    env[1] = NULL;
    (void) f;
    test_run(argv, env, NULL, 120, r);
    return 0;
}

static void test_deliver_failure_says_why(void)
{
    fx f;
    test_result r, fix;
    char *conn;
    const char *nl;

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    conn = connect_fx(&f, "p1");
    host(&f, "reauth", &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "deliver c_"));
    /* The fix names the plugin and the home: it runs as printed. */
    nl = strstr(r.err, "  fix: connector-host authorize --plugin ");
    CU_ASSERT_PTR_NOT_NULL(nl);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, f.home));
    if (nl != NULL && run_printed(&f, nl, "ok", &fix) == 0) {
        CU_ASSERT_EQUAL(fix.status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(fix.out, "https://127.0.0.1/consent?profile=p1"));
        test_result_free(&fix);
    }
    test_result_free(&r);
    authorize(&f, "p1", NULL);
    host(&f, "permanent", &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    nl = strstr(r.err, "details: connector-host runs show r_");
    CU_ASSERT_PTR_NOT_NULL(nl);
    if (nl != NULL && run_printed(&f, nl, "ok", &fix) == 0) {
        CU_ASSERT_EQUAL(fix.status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(fix.out, "\"report\""));
        test_result_free(&fix);
    }
    test_result_free(&r);
    host(&f, "retry", &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 75);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "the test plugin asks to retry later"));
    nl = strstr(r.err, "  nothing to fix");
    CU_ASSERT_PTR_NOT_NULL(nl);
    if (nl != NULL && run_printed(&f, nl, "ok", &fix) == 0) {
        CU_ASSERT_EQUAL(fix.status, 0);   /* the retry is due: it delivers */
        test_result_free(&fix);
    }
    test_result_free(&r);
    free(conn);
    fx_free(&f);
}

int main(void)
{
    static const ts_test tests[] = {
        {"connections visible", test_connections_visible},
        {"runs filters", test_runs_filters},
        {"failed deliver says why", test_deliver_failure_says_why},
    };
    static const ts_suite suites[] = {
        {"ops state", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
