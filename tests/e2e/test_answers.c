/*
 * test_answers.c - TikTok's answers as TikTok gives them, end to end: the
 * sandbox answers what a test injects (/sandbox/inject) and connector-host
 * with the plugin reacts over HTTPS as a user would see it.
 *   - 40100 naming the per-minute limit: a 5-minute pause that a second
 *     run obeys (no request sent), then delivery resumes;
 *   - 40101 "Secret and app ID do not match" at the token exchange: the
 *     app-credentials message, not "the code was used";
 *   - 40002 "under processing" on an update: retry later, not permanent;
 *   - throttling wording never seen before: classified by its code;
 *   - 40910/40905 (the uploaded file is gone): uploaded again, once;
 *   - an unknown 40002 on update: processing (a get says so) or refused;
 *   - 50002 on a create TikTok carried out: adopted, never created twice;
 *   - 40100 on a create retried in the call: one warning, not one per attempt.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e.h"

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static int has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

static void run(e2e *e, e2e_out *o, const char *const *args)
{
    CU_ASSERT_FATAL(e2e_host(e, o, args) == 0);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "[%s] exit %d\n%s\n%s\n", args[0], o->exit_code,
                o->out ? o->out : "", o->err ? o->err : "");
}

/* The fixture set up and a "new" connection called name for its first
   Ad Account (*adv), over 2000 rows: its id. */
static char *setup_new(e2e *e, const char *name, const char **adv)
{
    char dataset[E2E_PATH], *conn;

    CU_ASSERT_FATAL(e2e_setup(e, NULL) == 0);
    *adv = e2e_account(e, 0, "Crowded");
    CU_ASSERT_FATAL(*adv != NULL);
    snprintf(dataset, sizeof(dataset), "%s/data-%s.jsonl", e->dir, name);
    CU_ASSERT_FATAL(e2e_gen(dataset, 2000, 5, 0, 0, 0, 0) == 0);
    conn = e2e_connect_new(e, dataset, name, *adv, NULL);
    CU_ASSERT_FATAL(conn != NULL);
    return conn;
}

static void deliver_raw(e2e *e, const char *conn, e2e_out *o)
{
    const char *args[] = {"deliver", "--connection", conn, NULL};
    run(e, o, args);
}

/* A per-minute breach: every later run within 5 minutes sends nothing. */
static void test_minute_pause_across_runs(void)
{
    e2e e;
    e2e_out o;
    char *conn;
    long before, after;

    const char *adv = NULL;
    conn = setup_new(&e, "Paused", &adv);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/file/upload\",\"code\":40100,"
                             "\"message\":\"Too many requests: QPM limit exceeded.\","
                             "\"count\":1}"), 200);
    deliver_raw(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT(has(o.out, "per-minute") || has(o.err, "per-minute"));
    e2e_out_free(&o);
    /* Two minutes later, a new run: the pause still holds; nothing is sent. */
    before = e2e_requests_to(&e, "file/upload");
    e.clock_offset_ms += 2 * 60 * 1000;
    deliver_raw(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    after = e2e_requests_to(&e, "file/upload");
    CU_ASSERT_EQUAL(after, before);
    e2e_out_free(&o);
    /* After the five minutes, delivery resumes and completes. */
    e.clock_offset_ms += 3 * 60 * 1000 + 1000;
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    if (o.exit_code == 75) {
        e2e_out_free(&o);
        CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    }
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(e2e_requests_to(&e, "file/upload") > after);
    e2e_out_free(&o);
    free(conn);
    e2e_teardown(&e);
}

/* Throttling in words the sandbox never uses is still throttling. */
static void test_unknown_wording_by_code(void)
{
    e2e e;
    e2e_out o;
    char *conn;

    const char *adv = NULL;
    conn = setup_new(&e, "Variant", &adv);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/file/upload\",\"code\":61000,"
                             "\"message\":\"TOO_MANY_REQUESTS_BL\",\"count\":1}"), 200);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    /* Retried (in the call or by the next run), never a permanent failure. */
    if (o.exit_code == 75) {
        e2e_out_free(&o);
        CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    }
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    free(conn);
    e2e_teardown(&e);
}

/* An audience TikTok is still processing is retried later, not given up. */
static void test_processing_is_retry(void)
{
    e2e e;
    e2e_out o;
    char existing[32];
    e2e_set initial = {0};
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *adv = e2e_account(&e, 0, "Crowded");
    conn = e2e_existing_connection(&e, adv, "Busy", "busy", 1500, 9, existing, &initial);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/update\",\"code\":40002,"
                             "\"message\":\"The custom audience is under processing, please "
                             "try again later.\",\"count\":1}"), 200);
    deliver_raw(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    e2e_out_free(&o);
    e.clock_offset_ms += 60LL * 60 * 1000;
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    e2e_set_free(&initial);
    free(conn);
    e2e_teardown(&e);
}

/* TikTok lost the uploaded files (40910) at the update: they are uploaded
   again once and the update goes through; lost twice in one attempt, the
   run is retried later rather than looping. */
static void test_file_gone_reuploads_once(void)
{
    e2e e;
    e2e_out o;
    char existing[32], dataset[E2E_PATH];
    e2e_set initial = {0}, got = {0};
    char *conn;
    long uploads;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *adv = e2e_account(&e, 0, "Crowded");
    conn = e2e_existing_connection(&e, adv, "Gone", "gone", 1500, 21, existing, &initial);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/update\",\"code\":40910,"
                             "\"message\":\"File not found.\",\"count\":1}"), 200);
    uploads = e2e_requests_to(&e, "file/upload");
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    /* The one file, and once again. */
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "file/upload") - uploads, 2);
    uploads = e2e_requests_to(&e, "file/upload");
    CU_ASSERT_FATAL(e2e_members(&e, existing, &got) == 0);
    CU_ASSERT(got.n > initial.n);         /* the run's rows are in */
    e2e_set_free(&got);

    /* Lost again right after the re-upload: retry later, no third upload. */
    snprintf(dataset, sizeof(dataset), "%s/gone.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 200, 22, 0, 0, 0, 1) == 0);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/update\",\"code\":40905,"
                             "\"message\":\"File expired.\",\"count\":2}"), 200);
    e.clock_offset_ms += 60LL * 60 * 1000;
    deliver_raw(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "file/upload"), uploads + 2);
    e2e_out_free(&o);
    e.clock_offset_ms += 60LL * 60 * 1000;
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    e2e_set_free(&initial);
    free(conn);
    e2e_teardown(&e);
}

/* A 40002 in words we do not know: a get decides. The audience is
   processing: retry later; it is not: the refusal stands. */
static void test_unknown_40002_asks_get(void)
{
    e2e e;
    e2e_out o;
    char existing[32], body[256];
    e2e_set initial = {0};
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *adv = e2e_account(&e, 0, "Crowded");
    conn = e2e_existing_connection(&e, adv, "Odd", "odd", 1500, 23, existing, &initial);
    snprintf(body, sizeof(body), "{\"audience_id\":\"%s\",\"for_ms\":3600000}", existing);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/audience/processing", body), 200);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/update\",\"code\":40002,"
                             "\"message\":\"Audience status abnormal.\",\"count\":1}"), 200);
    deliver_raw(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT(has(o.out, "still being processed"));
    e2e_out_free(&o);

    /* Ready now; the same words again are a refusal, not a wait. */
    snprintf(body, sizeof(body), "{\"audience_id\":\"%s\",\"for_ms\":0}", existing);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/audience/processing", body), 200);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/update\",\"code\":40002,"
                             "\"message\":\"Audience status abnormal.\",\"count\":1}"), 200);
    e.clock_offset_ms += 2LL * 60 * 60 * 1000;
    deliver_raw(&e, conn, &o);
    CU_ASSERT_NOT_EQUAL(o.exit_code, 75);
    CU_ASSERT_NOT_EQUAL(o.exit_code, 0);
    CU_ASSERT(!has(o.out, "still being processed"));
    CU_ASSERT(has(o.out, "Audience status abnormal"));
    e2e_out_free(&o);
    e2e_set_free(&initial);
    free(conn);
    e2e_teardown(&e);
}

/* 50002 after TikTok made the audience: the next attempt adopts it, and no
   second audience is created. */
static void test_create_lost_50002_adopted(void)
{
    e2e e;
    e2e_out o;
    char id[32];
    char *conn;

    const char *adv = NULL;
    conn = setup_new(&e, "Lost", &adv);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/create\",\"code\":50002,"
                             "\"message\":\"Internal error.\",\"count\":1,\"apply\":true}"),
                    200);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    if (o.exit_code == 75) {
        e2e_out_free(&o);
        e.clock_offset_ms += 60LL * 60 * 1000;
        CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    }
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "custom_audience/create"), 1);
    CU_ASSERT_EQUAL(e2e_audiences_named(&e, adv, "Lost", id), 1);
    free(conn);
    e2e_teardown(&e);
}

/* 20001 "partially successful" after TikTok did the update: applied, the
   checkpoint moves, and the next run does not send it again. */
static void test_partial_success_is_applied(void)
{
    e2e e;
    e2e_out o;
    char existing[32];
    e2e_set initial = {0};
    char *conn;
    long updates;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *adv = e2e_account(&e, 0, "Crowded");
    conn = e2e_existing_connection(&e, adv, "Part", "part", 1500, 25, existing, &initial);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                                 "{\"endpoint\":\"custom_audience/update\",\"code\":20001,"
                                 "\"message\":\"Partially successful.\",\"count\":1,"
                                 "\"apply\":true}"), 200);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "checkpoint")), 1500);
    e2e_out_free(&o);
    updates = e2e_requests_to(&e, "custom_audience/update");
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "custom_audience/update"), updates);
    e2e_out_free(&o);
    e2e_set_free(&initial);
    free(conn);
    e2e_teardown(&e);
}

/* A wrong app secret at the exchange says so, and re-authorizing is not the fix. */
static void test_exchange_wrong_secret(void)
{
    e2e e;
    e2e_out o;
    char *url, *full, *cb = NULL;
    ts_http_resp r = {0};

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "p2", NULL};
        run(&e, &o, args);
        CU_ASSERT_FATAL(o.exit_code == 0 && o.out != NULL);
        url = strdup(o.out);
        url[strcspn(url, "\r\n")] = '\0';
        e2e_out_free(&o);
    }
    full = malloc(strlen(url) + strlen(e.user_id) + 16);
    CU_ASSERT_FATAL(full != NULL);
    sprintf(full, "%s&user_id=%s", url, e.user_id);
    CU_ASSERT(ts_http_request("GET", full, ts_sandbox_ca_file(e.sb), NULL, NULL, 0, &r) == 0);
    if (r.location != NULL)
        cb = strdup(r.location);
    ts_http_resp_free(&r);
    CU_ASSERT_FATAL(cb != NULL);
    {
        const char *args[] = {"secret", "set", "--plugin", plugin(), "app_secret", NULL};
        CU_ASSERT_FATAL(e2e_host_input(&e, &o, "not-the-secret", args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "p2",
                              "--callback", cb, NULL};
        run(&e, &o, args);
        CU_ASSERT_NOT_EQUAL(o.exit_code, 0);
        CU_ASSERT(has(o.err, "app_credentials_invalid"));
        CU_ASSERT(has(o.err, "do not match"));
        CU_ASSERT(!has(o.err, "already used"));
        CU_ASSERT(!has(o.err, "not-the-secret"));
        e2e_out_free(&o);
    }
    free(cb);
    free(full);
    free(url);
    e2e_teardown(&e);
}

/* Lines of text holding both a and b. */
static int lines_with(const char *text, const char *a, const char *b)
{
    int n = 0;

    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t) (end - p) : strlen(p);
        char line[1024];

        snprintf(line, sizeof(line), "%.*s", (int) (len < sizeof(line) ? len : sizeof(line) - 1),
                 p);
        n += strstr(line, a) != NULL && strstr(line, b) != NULL;
        p = end != NULL ? end + 1 : NULL;
    }
    return n;
}

#define QPS_40100 "{\"endpoint\":\"custom_audience/create\",\"code\":40100,\"message\":" \
                  "\"Too many requests: the app's request rate for this endpoint exceeded " \
                  "its QPS limit. Please retry later.\",\"count\":%d}"

/* A create TikTok refuses with 40100 (its per-second limit) twice before it
   takes it is one event: one warning naming the endpoint and the code and
   saying the call retries it, the retries at debug level (--verbose). A
   create refused on every attempt gets one more warning, the last, that
   says so. */
static void test_create_throttled_warns_once(void)
{
    e2e e;
    e2e_out o;
    char *conn, *conn2, body[512], dataset[E2E_PATH];
    const char *adv = NULL, *adv2;
    const char *warn = "warning: tiktok: POST dmp/custom_audience/create";

    conn = setup_new(&e, "Throttled", &adv);
    snprintf(body, sizeof(body), QPS_40100, 2);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject", body), 200);
    {
        const char *args[] = {"deliver", "--connection", conn, "--verbose", NULL};
        run(&e, &o, args);
    }
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "custom_audience/create"), 3);
    CU_ASSERT_EQUAL(lines_with(o.err, warn, "code 40100"), 1);
    CU_ASSERT_EQUAL(lines_with(o.err, warn, "retried in this call"), 1);
    CU_ASSERT_EQUAL(lines_with(o.err, "debug: tiktok: POST dmp/custom_audience/create",
                               "code 40100"), 1);
    if (getenv("E2E_VERBOSE") == NULL && lines_with(o.err, warn, "code 40100") != 1)
        fprintf(stderr, "%s\n", o.err != NULL ? o.err : "");
    e2e_out_free(&o);

    /* Refused on every attempt: the first warning and the last. */
    adv2 = e2e_account(&e, 1, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data-throttled2.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 2000, 6, 0, 0, 0, 0) == 0);
    conn2 = e2e_connect_new(&e, dataset, "Throttled 2", adv2, NULL);
    CU_ASSERT_FATAL(conn2 != NULL);
    snprintf(body, sizeof(body), QPS_40100, 50);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject", body), 200);
    long creates = e2e_requests_to(&e, "custom_audience/create");
    deliver_raw(&e, conn2, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "custom_audience/create") - creates, 4);
    CU_ASSERT_EQUAL(lines_with(o.err, warn, "code 40100"), 2);
    CU_ASSERT_EQUAL(lines_with(o.err, warn, "after 4 attempts"), 1);
    if (getenv("E2E_VERBOSE") == NULL && lines_with(o.err, warn, "code 40100") != 2)
        fprintf(stderr, "%s\n", o.err != NULL ? o.err : "");
    e2e_out_free(&o);
    free(conn2);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"40100 per-minute: a 5-minute pause honoured across runs", test_minute_pause_across_runs},
        {"unknown throttling wording classified by code", test_unknown_wording_by_code},
        {"40002 under processing on update: retry, not permanent", test_processing_is_retry},
        {"40101 at the exchange: the app secret, not the code", test_exchange_wrong_secret},
        {"40910/40905: the files uploaded again, once", test_file_gone_reuploads_once},
        {"unknown 40002 on update: a get decides", test_unknown_40002_asks_get},
        {"50002 on create after it was made: adopted, one audience", test_create_lost_50002_adopted},
        {"20001 partially successful: applied, not sent again", test_partial_success_is_applied},
        {"40100 on a create, retried: one warning, the retries at debug level",
         test_create_throttled_warns_once},
    };

    return e2e_run_suite("answers", tests, sizeof(tests) / sizeof(tests[0]));
}
