/*
 * test_ops.c - connector-host day to day (issue #20), run as a user runs it
 * (fork/exec of the built binary, a temporary --home, the test plugin):
 * profiles that remember their API base, state you can see (connections,
 * runs, show, filters, ISO times, targets of the last report), a failed
 * deliver's reason and fix on stderr (and the fix runs as printed), and
 * the manners of the command line (per-command help, did you mean, options
 * a command does not take, all missing options at once).
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "test_util.h"

#define BASE_A "https://127.0.0.1:1/a"
#define BASE_B "https://127.0.0.1:1/b"
#define GOOD_CALLBACK "https://127.0.0.1/callback?code=good"

typedef struct fx {
    char *dir;
    char home[4096];
    char dataset[4200];
    char settings[4200];
    char *plugin;
} fx;

static int fx_init(fx *f)
{
    memset(f, 0, sizeof(*f));
    f->dir = test_tmpdir("ops");
    f->plugin = test_build_path("test_plugin.la");
    if (f->dir == NULL || f->plugin == NULL || test_env("TT_HOST") == NULL)
        return -1;
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->dataset, sizeof(f->dataset), "%s/data.jsonl", f->dir);
    snprintf(f->settings, sizeof(f->settings), "%s/settings.json", f->dir);
    return test_write_file(f->dataset, "{\"e\":{\"value\":\"a\"}}\n{\"e\":{\"value\":\"b\"}}\n")
           | test_write_file(f->settings, "{\"audience_name\":\"A\"}");
}

static void fx_free(fx *f)
{
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->plugin);
}

/* connector-host ARGS... --home HOME; env: NULL-terminated extra entries. */
static void runv(fx *f, const char *const *env, test_result *r, const char *const *args)
{
    test_host(f->home, env, NULL, args, r);
}

static void host(fx *f, const char *mode, test_result *r, ...)
{
    const char *args[40];
    char envmode[128];
    const char *env[] = { envmode, NULL };
    va_list ap;
    int n = 0;

    snprintf(envmode, sizeof(envmode), "CH_TEST_PLUGIN_MODE=%s", mode != NULL ? mode : "ok");
    va_start(ap, r);
    while (n < 39 && (args[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    args[n] = NULL;
    runv(f, env, r, args);
}

static int is_iso_utc(const char *s)
{
    regex_t re;
    int ok;

    if (regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static void authorize(fx *f, const char *profile, const char *base)
{
    test_result r;

    host(f, NULL, &r, "authorize", "--plugin", f->plugin, "--profile", profile,
         "--callback", GOOD_CALLBACK, base != NULL ? "--api-base" : NULL, base, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
}

static char *connect_fx(fx *f, const char *profile)
{
    test_result r;
    char *id;

    /* connect refuses a profile that is not connected (#19): authorize it. */
    host(f, NULL, &r, "authorize", "--plugin", f->plugin, "--profile", profile, "--callback",
         "https://127.0.0.1/callback?code=good", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(f, NULL, &r, "connect", "--plugin", f->plugin, "--profile", profile, "--dataset",
         f->dataset, "--settings", f->settings, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    id = strndup(r.out, strcspn(r.out, "\n"));
    test_result_free(&r);
    return id;
}

/* ---- manners ----------------------------------------------------------- */

static void test_manners(void)
{
    fx f;
    test_result r;

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    host(&f, NULL, &r, "deliver", "--help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Usage: connector-host deliver --connection ID"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "Commands:"));   /* not the whole help */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "75 retry later"));
    test_result_free(&r);
    host(&f, NULL, &r, "help", "runs", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Usage: connector-host runs"));
    test_result_free(&r);
    host(&f, NULL, &r, "help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Commands:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "5 partial"));
    test_result_free(&r);
    host(&f, NULL, &r, "help", "delivr", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "did you mean deliver?"));
    test_result_free(&r);
    host(&f, NULL, &r, "conect", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "unknown command 'conect'; did you mean connect?"));
    test_result_free(&r);
    host(&f, NULL, &r, "deliver", "--conection", "c_x", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "did you mean --connection?"));
    test_result_free(&r);
    /* An option the command does not take is refused, not ignored. */
    host(&f, NULL, &r, "connections", "--plugin", "x", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "connections does not take --plugin"));
    test_result_free(&r);
    host(&f, NULL, &r, "deliver", "--connection", "c_x", "--plugin", "x", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "deliver does not take --plugin"));
    test_result_free(&r);
    /* Every missing option in one run. */
    host(&f, NULL, &r, "connect", "--profile", "p1", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "connect needs --plugin P, --dataset FILE, "
                                         "--settings FILE"));
    test_result_free(&r);
    host(&f, NULL, &r, "runs", "show", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    test_result_free(&r);
    /* A settings file that is not there is not called "not a JSON object". */
    host(&f, NULL, &r, "validate", "--plugin", f.plugin, "--settings", "nope.json", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"code\":\"unreadable\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "nope.json"));
    CU_ASSERT_PTR_NULL(strstr(r.out, "not a JSON object"));
    test_result_free(&r);
    fx_free(&f);
}

/* ---- the API base is remembered ---------------------------------------- */

/* authorize's link records its API base: the completing step inherits it,
   refuses another, and a new link may point elsewhere. */
static void test_link_api_base(void)
{
    fx f;
    test_result r;
    json_object *o;

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    host(&f, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--api-base", BASE_A, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(&f, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--callback", GOOD_CALLBACK, "--api-base", BASE_B, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "link was made for --api-base " BASE_A
                                         ", not " BASE_B));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "authorize --plugin "));
    test_result_free(&r);
    host(&f, NULL, &r, "profiles", "--json", NULL);
    o = json_tokener_parse(r.out);
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.status"), "authorizing");
    json_object_put(o);
    test_result_free(&r);
    /* The completing step without --api-base: the link's is used. */
    authorize(&f, "p1", NULL);
    host(&f, NULL, &r, "profiles", "--json", NULL);
    o = json_tokener_parse(r.out);
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.status"), "connected");
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.api_base"), BASE_A);
    json_object_put(o);
    test_result_free(&r);
    /* A link never completed is replaced by a new one for another API. */
    host(&f, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p2",
         "--api-base", BASE_A, NULL);
    test_result_free(&r);
    host(&f, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p2",
         "--api-base", BASE_B, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    authorize(&f, "p2", NULL);
    host(&f, NULL, &r, "profiles", "--json", NULL);
    o = json_tokener_parse(r.out);
    CU_ASSERT_STRING_EQUAL(jstr(o, "1.api_base"), BASE_B);
    json_object_put(o);
    test_result_free(&r);
    fx_free(&f);
}

static void test_api_base_remembered(void)
{
    fx f;
    test_result r;
    json_object *o;
    char *conn;

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    authorize(&f, "p1", BASE_A);
    host(&f, NULL, &r, "profiles", "--json", NULL);
    o = json_tokener_parse(r.out);
    CU_ASSERT_STRING_EQUAL(jstr(o, "0.api_base"), BASE_A);
    CU_ASSERT(is_iso_utc(jstr(o, "0.updated_at")));
    json_object_put(o);
    test_result_free(&r);
    conn = connect_fx(&f, "p1");
    /* Another API: refused before anything is sent or recorded. */
    host(&f, NULL, &r, "deliver", "--connection", conn, "--api-base", BASE_B, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "authorized against --api-base " BASE_A
                                         ", not " BASE_B));
    CU_ASSERT_STRING_EQUAL(r.out, "");
    test_result_free(&r);
    host(&f, NULL, &r, "runs", "--connection", conn, NULL);
    CU_ASSERT_STRING_EQUAL(r.out, "[]\n");
    test_result_free(&r);
    host(&f, NULL, &r, "connect", "--plugin", f.plugin, "--profile", "p1", "--dataset",
         f.dataset, "--settings", f.settings, "--api-base", BASE_B, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "authorized against"));
    test_result_free(&r);
    host(&f, NULL, &r, "validate", "--plugin", f.plugin, "--settings", f.settings,
         "--profile", "p1", "--api-base", BASE_B, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    test_result_free(&r);
    /* Without --api-base the profile's is used (the plugin sees it). */
    host(&f, NULL, &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"api_base\":\"" BASE_A "\""));
    test_result_free(&r);
    /* The same one given again is fine. */
    host(&f, NULL, &r, "deliver", "--connection", conn, "--api-base", BASE_A, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    /* Authorized without --api-base: the plugin's default is recorded,
       and a sandbox URL is refused for it too. */
    authorize(&f, "p2", NULL);
    host(&f, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p2", "--status",
         "--api-base", BASE_A, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "(the plugin's default)"));
    test_result_free(&r);
    free(conn);
    fx_free(&f);
}

/* A state.db from before profiles recorded their API base still opens,
   gains the columns, and its profiles are not refused. */
static void test_old_state_db_migrates(void)
{
    fx f;
    test_result r;
    sqlite3 *db = NULL;
    char path[4300];

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    host(&f, NULL, &r, "profiles", NULL);   /* creates the home */
    test_result_free(&r);
    snprintf(path, sizeof(path), "%s/state.db", f.home);
    CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
    /* Files of those releases had no schema_version either. */
    CU_ASSERT(sqlite3_exec(db, "DROP TABLE schema_version; DROP TABLE profiles;"
                           " CREATE TABLE profiles (plugin_id TEXT"
                           " NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
                           " status_json TEXT, updated_ms INTEGER NOT NULL, PRIMARY KEY"
                           " (plugin_id, name)); INSERT INTO profiles VALUES ('test-plugin',"
                           " 'old', 'connected', NULL, 1);", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    host(&f, NULL, &r, "profiles", "--json", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"name\":\"old\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"api_base\":null"));   /* not recorded */
    test_result_free(&r);
    host(&f, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "old", "--callback",
         GOOD_CALLBACK, "--api-base", BASE_B, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(&f, NULL, &r, "profiles", "--json", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"api_base\":\"" BASE_B "\""));
    test_result_free(&r);
    fx_free(&f);
}

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

/* ---- the host never starts over silently; a moved plugin relinks ------ */

static void test_lost_state_db_refused(void)
{
    fx f;
    test_result r;
    char path[4300];
    char *conn;

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    host(&f, NULL, &r, "secret", "set", "--plugin", f.plugin, "app_secret", NULL);
    test_result_free(&r);
    conn = connect_fx(&f, "p1");
    snprintf(path, sizeof(path), "%s/state.db", f.home);
    CU_ASSERT_FATAL(unlink(path) == 0);
    snprintf(path, sizeof(path), "%s/state.db-wal", f.home);
    (void) unlink(path);
    host(&f, NULL, &r, "connections", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "has no state.db"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--init"));
    test_result_free(&r);
    snprintf(path, sizeof(path), "%s/state.db", f.home);
    CU_ASSERT(access(path, F_OK) != 0);   /* nothing was created */
    host(&f, NULL, &r, "profiles", "--init", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(&f, NULL, &r, "connections", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_STRING_EQUAL(r.out, "[]\n");
    test_result_free(&r);
    free(conn);
    fx_free(&f);
}

static void test_relink(void)
{
    fx f;
    test_result r;
    char *conn, moved[4300], cmd[16000], la[4400];

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    /* A private copy of the plugin, so removing it is the test's to do. */
    snprintf(moved, sizeof(moved), "%s/plugin", f.dir);
    snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp -P %s %s/ && cp -rP %.*s.libs %s/",
             moved, f.plugin, moved, (int) (strrchr(f.plugin, '/') - f.plugin + 1), f.plugin,
             moved);
    CU_ASSERT_FATAL(system(cmd) == 0);
    snprintf(la, sizeof(la), "%s/test_plugin.la", moved);
    {
        test_result c;
        host(&f, NULL, &c, "authorize", "--plugin", la, "--profile", "p1", "--callback",
             "https://127.0.0.1/callback?code=good", NULL);
        CU_ASSERT_EQUAL(c.status, 0);
        test_result_free(&c);
        host(&f, NULL, &c, "connect", "--plugin", la, "--profile", "p1", "--dataset",
             f.dataset, "--settings", f.settings, NULL);
        CU_ASSERT_EQUAL_FATAL(c.status, 0);
        conn = strndup(c.out, strcspn(c.out, "\n"));
        test_result_free(&c);
    }
    test_rm_rf(moved);
    host(&f, NULL, &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "connector-host relink --connection"));
    test_result_free(&r);
    host(&f, NULL, &r, "relink", "--connection", conn, "--plugin", f.plugin, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(&f, NULL, &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    /* A plugin that cannot be loaded changes nothing. */
    host(&f, NULL, &r, "relink", "--connection", conn, "--plugin", la, NULL);
    CU_ASSERT_EQUAL(r.status, 4);
    test_result_free(&r);
    host(&f, NULL, &r, "deliver", "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    free(conn);
    fx_free(&f);
}

/* Plugin-loading errors say where the host looked and what the file is. */
static void test_plugin_load_messages(void)
{
    fx f;
    test_result r;
    char garbage[4300];

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    snprintf(garbage, sizeof(garbage), "%s/fake.so", f.dir);
    CU_ASSERT_FATAL(test_write_file(garbage, "not a library at all\n") == 0);
    host(&f, NULL, &r, "describe", "--plugin", garbage, NULL);
    CU_ASSERT_EQUAL(r.status, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "is not a shared object"));
    test_result_free(&r);
    host(&f, NULL, &r, "describe", "--plugin", "no_such_connector_module", NULL);
    CU_ASSERT_EQUAL(r.status, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no module no_such_connector_module (.la or .so) in /"));
    test_result_free(&r);
    host(&f, NULL, &r, "describe", "--plugin", "/nonexistent/x.so", NULL);
    CU_ASSERT_EQUAL(r.status, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no such file"));
    test_result_free(&r);
    fx_free(&f);
}

/* ---- the docs name what --help names ------------------------------------ */

static void test_docs_match_help(void)
{
    fx f;
    test_result r;
    const char *src = test_env("TT_SRCDIR");
    const char *docs[] = { "docs/ARCHITECTURE.md", "host/README.md" };
    const char *codes[] = { "| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 4 |", "| 5 |", "| 70 |",
                            "| 75 |" };
    char path[4300], needle[64], *text[2];
    const char *p;
    size_t i, ncmds = 0;

    CU_ASSERT_FATAL(fx_init(&f) == 0 && src != NULL);
    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", src, docs[i]);
        text[i] = test_read_file(path, NULL);
        CU_ASSERT_FATAL(text[i] != NULL);
    }
    host(&f, NULL, &r, "--help", NULL);
    p = strstr(r.out, "Commands:\n");
    CU_ASSERT_FATAL(p != NULL);
    /* Each "  name  synopsis" line up to the blank line. */
    for (p += strlen("Commands:\n"); p[0] == ' ' && p[1] == ' '; p = strchr(p, '\n') + 1) {
        size_t n = strcspn(p + 2, " \n");
        snprintf(needle, sizeof(needle), "| `%.*s", (int) n, p + 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(text[0], needle));
        CU_ASSERT_PTR_NOT_NULL(strstr(text[1], needle));
        if (strstr(text[0], needle) == NULL || strstr(text[1], needle) == NULL)
            fprintf(stderr, "docs lack the command %s\n", needle);
        ncmds++;
    }
    CU_ASSERT(ncmds >= 10);
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(text[1], codes[i]));
    test_result_free(&r);
    free(text[0]);
    free(text[1]);
    fx_free(&f);
}

int main(void)
{
    CU_pSuite s;
    int rc;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("ops", NULL, NULL);
    if (s == NULL
        || CU_add_test(s, "manners", test_manners) == NULL
        || CU_add_test(s, "API base remembered", test_api_base_remembered) == NULL
        || CU_add_test(s, "the link's API base", test_link_api_base) == NULL
        || CU_add_test(s, "old state.db migrates", test_old_state_db_migrates) == NULL
        || CU_add_test(s, "connections visible", test_connections_visible) == NULL
        || CU_add_test(s, "runs filters", test_runs_filters) == NULL
        || CU_add_test(s, "failed deliver says why", test_deliver_failure_says_why) == NULL
        || CU_add_test(s, "lost state.db refused", test_lost_state_db_refused) == NULL
        || CU_add_test(s, "relink a moved plugin", test_relink) == NULL
        || CU_add_test(s, "plugin-loading messages", test_plugin_load_messages) == NULL
        || CU_add_test(s, "docs name every command", test_docs_match_help) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    rc = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return rc;
}
