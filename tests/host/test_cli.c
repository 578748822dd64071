/*
 * test_cli.c - connector-host as a user runs it (fork/exec of the built
 * binary with a temporary --home and the test plugin): exit codes and
 * outputs of every command, and the delivery-run semantics (checkpoint
 * only on OK, retry keeps the run, permanent extends it, kill -9 resumes).
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test_util.h"
#include "ts_cunit.h"

typedef struct fx {
    char *dir;
    char home[4096];
    char dataset[4200];
    char settings[4200];
    char *plugin;
} fx;

static int fx_init(fx *f, const char *data, const char *settings)
{
    memset(f, 0, sizeof(*f));
    f->dir = test_tmpdir("cli");
    f->plugin = test_build_path("test_plugin.la");
    if (f->dir == NULL || f->plugin == NULL || test_env("TT_HOST") == NULL)
        return -1;
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->dataset, sizeof(f->dataset), "%s/data.jsonl", f->dir);
    snprintf(f->settings, sizeof(f->settings), "%s/settings.json", f->dir);
    if (test_write_file(f->dataset, data) != 0 || test_write_file(f->settings, settings) != 0)
        return -1;
    return 0;
}

static void fx_free(fx *f)
{
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->plugin);
}

/* Runs connector-host ARGS... (NULL-terminated) --home HOME with the test
   plugin in `mode`. */
static void host(fx *f, const char *mode, const char *input, test_result *r, ...)
{
    const char *argv[40];
    char envmode[128];
    const char *env[] = { envmode, NULL };
    const char *a;
    va_list ap;
    int n = 0;

    snprintf(envmode, sizeof(envmode), "CH_TEST_PLUGIN_MODE=%s", mode != NULL ? mode : "ok");
    argv[n++] = test_env("TT_HOST");
    va_start(ap, r);
    while ((a = va_arg(ap, const char *)) != NULL && n < 36)
        argv[n++] = a;
    va_end(ap);
    argv[n++] = "--home";
    argv[n++] = f->home;
    argv[n] = NULL;
    test_run(argv, env, input, 120, r);
    if (r->err[0] != '\0' && getenv("CH_TEST_VERBOSE") != NULL)
        fprintf(stderr, "[%s]\n", r->err);
}

/* Authorizes profile p1 (against api_base/ca_file when not NULL: the
   profile is bound to that API) and connects it. */
static char *connect_fx_at(fx *f, const char *mode, const char *api_base, const char *ca_file)
{
    test_result r;
    char id[64] = "";

    /* connect refuses a profile that is not connected: authorize it. */
    if (api_base != NULL)
        host(f, NULL, NULL, &r, "authorize", "--plugin", f->plugin, "--profile", "p1",
             "--callback", "https://127.0.0.1/callback?code=good", "--api-base", api_base,
             "--ca-file", ca_file, NULL);
    else
        host(f, NULL, NULL, &r, "authorize", "--plugin", f->plugin, "--profile", "p1",
             "--callback", "https://127.0.0.1/callback?code=good", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(f, mode, NULL, &r, "connect", "--plugin", f->plugin, "--profile", "p1",
         "--dataset", f->dataset, "--settings", f->settings, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    sscanf(r.out, "%63s", id);
    test_result_free(&r);
    CU_ASSERT_EQUAL(strncmp(id, "c_", 2), 0);
    return strdup(id);
}

static char *connect_fx(fx *f, const char *mode)
{
    return connect_fx_at(f, mode, NULL, NULL);
}

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

/* ---- delivery runs ----------------------------------------------------- */

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
    /* Every host service behaved as the ABI says. */
    CU_ASSERT(jtrue(o, "plugin.services.log"));
    CU_ASSERT(jtrue(o, "plugin.services.missing_option_null"));
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.api_base"), "https://127.0.0.1:1");
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.ca_file"), "/x/ca.pem");
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.redirect_uri"),
                           "https://127.0.0.1/callback");
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.services.home"), f.home);
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
    o = deliver(&f, conn, "ok", 0, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT_EQUAL(jint(o, "attempt"), 2);
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
    {
        const char *argv[] = { test_env("TT_HOST"), "deliver", "--connection", conn,
                               "--batch-records", "10", "--home", f.home, NULL };
        const char *env[] = { "CH_TEST_PLUGIN_MODE=slow:200", NULL };
        pid = test_spawn(argv, env);
    }
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(wait_for_run(&f, conn, run1, sizeof(run1)), 0);
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
    o = deliver(&f, conn, "ok", 0, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT_EQUAL(jint(o, "attempt"), 2);
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
    {
        const char *argv[] = { test_env("TT_HOST"), "deliver", "--connection", conn,
                               "--home", f.home, NULL };
        const char *env[] = { "CH_TEST_PLUGIN_MODE=wait_cancel", NULL };
        pid = test_spawn(argv, env);
    }
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(wait_for_run(&f, conn, run1, sizeof(run1)), 0);
    nanosleep(&ts, NULL);
    kill(pid, SIGTERM);
    /* cancelled() turned on; the plugin saved and returned RETRY_CANCELLED. */
    CU_ASSERT_EQUAL(test_wait(pid), 75);
    o = deliver(&f, conn, "ok", 0, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "run_id"), run1);
    CU_ASSERT_EQUAL(jint(o, "attempt"), 2);
    json_object_put(o);
    free(conn);
    free(data);
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
        {"cli", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
