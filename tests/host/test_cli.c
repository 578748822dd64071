/*
 * test_cli.c - connector-host's commands as a user runs them (fork/exec of
 * the built binary with a temporary --home and the test plugin): exit codes
 * and outputs of usage, describe, validate, authorize and connect. The
 * delivery runs are test_cli_runs.c.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli_fixture.h"
#include "test_util.h"
#include "ts_cunit.h"

/* ---- commands ---------------------------------------------------------- */

static void test_usage_help_version(void)
{
    fx f;
    test_result r;

    CU_ASSERT_FATAL(fx_init(&f, "", "{}") == 0);
    host(&f, NULL, NULL, &r, "--help", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Usage: connector-host COMMAND"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "75 retry later"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "deliver", "--version", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "connector ABI 1.2"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "frobnicate", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "unknown command 'frobnicate'"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "describe", "--no-such-option", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--no-such-option"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "deliver", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--connection ID"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "deliver", "--connection", "x", "--clock-offset-ms", "soon",
         NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "deliver", "--connection", "c_nope", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no such connection"));
    test_result_free(&r);
    /* An id is never a path. */
    host(&f, NULL, NULL, &r, "deliver", "--connection", "../../x", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "is not a connection id"));
    test_result_free(&r);
    fx_free(&f);
}

static void test_describe(void)
{
    fx f;
    test_result r;
    json_object *o;

    CU_ASSERT_FATAL(fx_init(&f, "", "{}") == 0);
    host(&f, NULL, NULL, &r, "describe", "--plugin", f.plugin, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    o = json_tokener_parse(r.out);
    CU_ASSERT_STRING_EQUAL(jstr(o, "id"), "test-plugin");
    json_object_put(o);
    test_result_free(&r);
    fx_free(&f);
}

static void test_validate(void)
{
    fx f;
    test_result r;
    json_object *o;
    char bad[4300], changed[4300], notjson[4300];
    char *conn;

    CU_ASSERT_FATAL(fx_init(&f, "", "{\"audience_name\":\"Buyers\"}") == 0);
    snprintf(bad, sizeof(bad), "%s/bad.json", f.dir);
    snprintf(changed, sizeof(changed), "%s/changed.json", f.dir);
    snprintf(notjson, sizeof(notjson), "%s/notjson.json", f.dir);
    CU_ASSERT_FATAL(test_write_file(bad, "{\"audience_name\":\"\",\"bad_field\":1}") == 0);
    CU_ASSERT_FATAL(test_write_file(changed, "{\"audience_name\":\"Other\"}") == 0);
    CU_ASSERT_FATAL(test_write_file(notjson, "{\"audience_name\":") == 0);

    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", f.settings, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_STRING_EQUAL(r.out, "{\"valid\":true}\n");
    test_result_free(&r);

    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", bad, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    o = json_tokener_parse(r.out);
    CU_ASSERT_FALSE(jtrue(o, "valid"));
    CU_ASSERT_EQUAL(json_object_array_length(jget(o, "errors")), 2);
    if (json_object_array_length(jget(o, "errors")) == 2) {
        json_object *e0 = json_object_array_get_idx(jget(o, "errors"), 0);
        json_object *e1 = json_object_array_get_idx(jget(o, "errors"), 1);
        CU_ASSERT_STRING_EQUAL(jstr(e0, "field"), "audience_name");
        CU_ASSERT_STRING_EQUAL(jstr(e0, "code"), "invalid_length");
        CU_ASSERT_STRING_EQUAL(jstr(e1, "field"), "bad_field");
        CU_ASSERT(strlen(jstr(e1, "message")) > 0);
    }
    json_object_put(o);
    test_result_free(&r);

    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", notjson, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"valid\":false"));
    test_result_free(&r);

    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", f.settings,
         "--remote", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    test_result_free(&r);

    /* Remote check without a token: the plugin says re-authorize (exit 3). */
    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", f.settings,
         "--remote", "--profile", "p1", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "token_missing"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--callback", "https://127.0.0.1/callback?code=good", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", f.settings,
         "--remote", "--profile", "p1", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);

    /* --connection passes the stored settings: the plugin refuses a change. */
    conn = connect_fx(&f, NULL);
    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", changed,
         "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "immutable"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "validate", "--plugin", f.plugin, "--settings", f.settings,
         "--connection", conn, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    free(conn);
    fx_free(&f);
}

static void test_authorize(void)
{
    fx f;
    test_result r;
    json_object *o;

    CU_ASSERT_FATAL(fx_init(&f, "", "{}") == 0);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "https://127.0.0.1/consent?profile=p1"
                                         "&redirect_uri=https://127.0.0.1/callback\n"));
    CU_ASSERT_PTR_NULL(strchr(r.out, '{'));   /* the URL only, one line */
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--redirect-uri", "https://127.0.0.1:9/cb", NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "redirect_uri=https://127.0.0.1:9/cb"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--callback", "https://127.0.0.1/callback?code=evil", NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "state_invalid"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--status", NULL);
    CU_ASSERT_EQUAL(r.status, 3);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--callback", "https://127.0.0.1/callback?code=good", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    o = json_tokener_parse(r.out);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "connected");
    json_object_put(o);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "profiles", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    o = json_tokener_parse(r.out);
    CU_ASSERT_EQUAL(json_object_array_length(o), 1);
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(o, 0), "status"), "connected");
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(o, 0), "name"), "p1");
    json_object_put(o);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, "--profile", "p1",
         "--status", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "authorize", "--plugin", f.plugin, NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    test_result_free(&r);
    fx_free(&f);
}

static void test_connect(void)
{
    fx f;
    test_result r;
    json_object *o;
    char *conn;
    char bad[4300];

    CU_ASSERT_FATAL(fx_init(&f, "{\"e\":{\"value\":\"a\"}}\n", "{\"audience_name\":\"A\"}") == 0);
    snprintf(bad, sizeof(bad), "%s/bad.json", f.dir);
    CU_ASSERT_FATAL(test_write_file(bad, "{\"bad_field\":true}") == 0);
    conn = connect_fx(&f, NULL);
    host(&f, NULL, NULL, &r, "connections", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    o = json_tokener_parse(r.out);
    CU_ASSERT_EQUAL(json_object_array_length(o), 1);
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(o, 0), "id"), conn);
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(o, 0), "dataset_path"), f.dataset);
    CU_ASSERT_EQUAL(jint(json_object_array_get_idx(o, 0), "delivered_through"), 0);
    json_object_put(o);
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "connect", "--plugin", f.plugin, "--profile", "p1",
         "--dataset", f.dataset, "--settings", bad, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "bad_field"));
    CU_ASSERT_STRING_EQUAL(r.out, "");
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "connect", "--plugin", f.plugin, "--profile", "p1",
         "--dataset", "/nonexistent/data.jsonl", "--settings", f.settings, NULL);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--dataset"));
    test_result_free(&r);
    host(&f, NULL, NULL, &r, "connect", "--plugin", f.plugin, "--profile", "p1",
         "--settings", f.settings, NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    test_result_free(&r);
    free(conn);
    fx_free(&f);
}

int main(void)
{
    static const ts_test tests[] = {
        {"usage, help, version", test_usage_help_version},
        {"describe", test_describe},
        {"validate", test_validate},
        {"authorize", test_authorize},
        {"connect", test_connect},
    };
    static const ts_suite suites[] = {
        {"cli", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
