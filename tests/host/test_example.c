/*
 * test_example.c - examples/minimal_connector.c, the file a connector
 * author copies first, driven by the reference host as a user would: it
 * loads (a 1.0 plugin in a 1.x host), refuses settings it does not take,
 * delivers a run with a reject(), answers an apply that comes too soon
 * with a retry and retry_after_ms, and on the retry of that run does not
 * upload again (state_cas by run_id).
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "test_util.h"
#include "ts_cunit.h"

typedef struct fx {
    char *dir;
    char home[4096];
    char dataset[4200];
    char settings[4200];
    char bad_settings[4200];
    char plugin[4200];
} fx;

static int fx_init(fx *f)
{
    memset(f, 0, sizeof(*f));
    f->dir = test_tmpdir("example");
    if (f->dir == NULL || test_env("TT_HOST") == NULL || test_env("TT_BUILDDIR") == NULL)
        return -1;
    snprintf(f->plugin, sizeof(f->plugin), "%s/examples/minimal_connector.la",
             test_env("TT_BUILDDIR"));
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->dataset, sizeof(f->dataset), "%s/data.jsonl", f->dir);
    snprintf(f->settings, sizeof(f->settings), "%s/settings.json", f->dir);
    snprintf(f->bad_settings, sizeof(f->bad_settings), "%s/bad.json", f->dir);
    return test_write_file(f->settings, " {}\n") == 0
                   && test_write_file(f->bad_settings, "{\"audience\":\"x\"}") == 0
                   && test_write_file(f->dataset,
                                      "{\"sha256_hashed_email\":{\"value\":\"a1\"}}\n"
                                      "{\"sha256_hashed_email\":{\"value\":\"\"}}\n"
                                      "{\"sha256_hashed_email\":{\"value\":\"a3\"}}\n") == 0
               ? 0 : -1;
}

static void fx_free(fx *f)
{
    test_rm_rf(f->dir);
    free(f->dir);
}

static void host(fx *f, test_result *r, const char *const *args)
{
    const char *env[] = { NULL };

    test_host(f->home, env, NULL, args, r);
}

static json_object *deliver(fx *f, const char *conn, int expect, const char *offset)
{
    test_result r;
    json_object *o;

    const char *args[] = { "deliver", "--connection", conn,
                           offset != NULL ? "--clock-offset-ms" : NULL, offset, NULL };

    host(f, &r, args);
    CU_ASSERT_EQUAL(r.status, expect);
    if (r.status != expect)
        fprintf(stderr, "deliver: exit %d, want %d\nstdout: %s\nstderr: %s\n", r.status,
                expect, r.out, r.err);
    o = json_tokener_parse(r.out);
    test_result_free(&r);
    return o;
}

static void test_example_delivers(void)
{
    fx f;
    test_result r;
    json_object *o;
    char conn[64] = "";
    const char *validate[] = { "validate", "--plugin", f.plugin, "--settings", f.bad_settings,
                               NULL };
    const char *authorize[] = { "authorize", "--plugin", f.plugin, "--profile", "p1", NULL };
    const char *complete[] = { "authorize", "--plugin", f.plugin, "--profile", "p1",
                               "--callback", "https://127.0.0.1/callback?code=x", NULL };
    const char *connect[] = { "connect", "--plugin", f.plugin, "--profile", "p1", "--dataset",
                              f.dataset, "--settings", f.settings, NULL };

    CU_ASSERT_FATAL(fx_init(&f) == 0);
    /* Settings it does not take are refused, naming the fix. */
    host(&f, &r, validate);
    CU_ASSERT_NOT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "write {}"));
    test_result_free(&r);
    /* authorize BEGIN: the host shows the url. */
    host(&f, &r, authorize);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "about:blank"));
    test_result_free(&r);
    /* COMPLETE: the profile is connected (connect wants one that is). */
    host(&f, &r, complete);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);

    host(&f, &r, connect);
    CU_ASSERT_EQUAL_FATAL(r.status, 0);
    sscanf(r.out, "%63s", conn);
    test_result_free(&r);

    /* Run 1: three records, the empty identifier given back. */
    o = deliver(&f, conn, 0, NULL);
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 3);
    CU_ASSERT_EQUAL(jint(o, "plugin.identifiers"), 2);
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.upload"), "done");
    CU_ASSERT_EQUAL(jint(o, "plugin_rejected.by_reason.empty.count"), 1);
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 3);
    json_object_put(o);

    /* Run 2 right after: uploaded, but the apply must wait: a retry with
       the time to wait, and the checkpoint stays. */
    CU_ASSERT_FATAL(test_append_file(f.dataset, "{\"sha256_hashed_email\":{\"value\":\"a4\"}}\n")
                    == 0);
    o = deliver(&f, conn, 75, NULL);
    CU_ASSERT_STRING_EQUAL(jstr(o, "status"), "retry_throttled");
    CU_ASSERT(jint(o, "error.retry_after_ms") > 0 && jint(o, "error.retry_after_ms") <= 60000);
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 3);
    json_object_put(o);

    /* A minute later the same run is retried: applied, not uploaded again. */
    o = deliver(&f, conn, 0, "61000");
    CU_ASSERT_EQUAL(jint(o, "plugin.records"), 1);
    CU_ASSERT_EQUAL(jint(o, "plugin.attempt"), 2);
    CU_ASSERT_STRING_EQUAL(jstr(o, "plugin.upload"), "done_before");
    CU_ASSERT_EQUAL(jint(o, "checkpoint"), 4);
    json_object_put(o);
    fx_free(&f);
}

int main(void)
{
    static const ts_test tests[] = {
        {"a full deliver, a retry, no second upload", test_example_delivers},
    };

    return ts_cunit_run_one("examples/minimal_connector", tests, sizeof tests / sizeof tests[0]);
}
