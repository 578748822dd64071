/*
 * test_ops.c - connector-host day to day (issue #20), run as a user runs it
 * (fork/exec of the built binary, a temporary --home, the test plugin):
 * the manners of the command line (per-command help, did you mean, options
 * a command does not take, all missing options at once), profiles that
 * remember their API base, a lost state.db, a moved plugin, plugin-loading
 * messages, and docs that name what --help names. State you can see and a
 * failed deliver's reason are test_ops_state.c.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "ops_fixture.h"
#include "test_util.h"
#include "ts_cunit.h"

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
    static const ts_test tests[] = {
        {"manners", test_manners},
        {"API base remembered", test_api_base_remembered},
        {"the link's API base", test_link_api_base},
        {"old state.db migrates", test_old_state_db_migrates},
        {"lost state.db refused", test_lost_state_db_refused},
        {"relink a moved plugin", test_relink},
        {"plugin-loading messages", test_plugin_load_messages},
        {"docs name every command", test_docs_match_help},
    };
    static const ts_suite suites[] = {
        {"ops", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
