/*
 * test_audiences.c - `connector-host audiences` (issue 15): a connection's
 * audiences as TikTok holds them, through the plugin's inspect() entry
 * point (ABI 1.1). The sandbox's processing delay makes "processing" and
 * then "ready" visible; sizes are checked against the sandbox's own
 * count (control API), never against what the plugin reported. A 1.0
 * plugin still loads and `audiences` says it does not support it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e.h"

#define DELAY_MS (2LL * 60 * 60 * 1000)   /* two hours of sandbox clock */
#define RUN_TIMEOUT_MS (2 * 60 * 1000)

static int has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && v != NULL ? json_object_get_string(v)
                                                               : NULL;
}

static int is(const char *s, const char *want)
{
    return s != NULL && strcmp(s, want) == 0;
}

/* The audience's row of `audiences --json` whose account is adv. */
static json_object *row_for(json_object *res, const char *adv)
{
    json_object *t = ts_json_at(res, "targets");

    for (size_t i = 0; t != NULL && i < json_object_array_length(t); i++)
        if (is(jstr(json_object_array_get_idx(t, i), "account"), adv))
            return json_object_array_get_idx(t, i);
    return NULL;
}

/* What the sandbox says of one audience: its size (members of all types). */
static long long sandbox_size(e2e *e, const char *audience_id)
{
    char *url = ts_sandbox_url(e->sb, "/sandbox/audiences"), *body = NULL;
    json_object *o = NULL, *list;
    long status = 0;
    long long size = -1;

    if (url != NULL && ts_http_get(url, ts_sandbox_ca_file(e->sb), &status, &body) == 0
        && (o = json_tokener_parse(body)) != NULL && (list = ts_json_at(o, "audiences")) != NULL)
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *a = json_object_array_get_idx(list, i);
            if (is(jstr(a, "audience_id"), audience_id))
                size = json_object_get_int64(ts_json_at(a, "size"));
        }
    json_object_put(o);
    free(body);
    free(url);
    return size;
}

static int set_processing_delay(e2e *e, long long ms)
{
    char *url = ts_sandbox_url(e->sb, "/sandbox/options"), *resp = NULL, body[96];
    long status = 0;
    int rc;

    snprintf(body, sizeof(body), "{\"processing_delay_ms\":%lld}", ms);
    rc = url != NULL && ts_http_post_json(url, ts_sandbox_ca_file(e->sb), body, &status,
                                          &resp) == 0 && status == 200 ? 0 : -1;
    free(resp);
    free(url);
    return rc;
}

/* E2E_VERBOSE=1 shows what the commands printed (for a person reading). */
static void show(const e2e_out *o)
{
    if (getenv("E2E_VERBOSE") != NULL)
        fprintf(stderr, "%s%s", o->out != NULL ? o->out : "", o->err != NULL ? o->err : "");
}

static void audiences(e2e *e, const char *conn, e2e_out *o)
{
    const char *args[] = {"audiences", "--connection", conn, "--json", NULL};
    CU_ASSERT_EQUAL_FATAL(e2e_host(e, o, args), 0);
    show(o);
}

/* Connects a "both" connection: a new audience for adv_new, the existing
   one for adv_old. Returns the connection id (caller frees). */
static char *connect_both(e2e *e, const char *path, const char *adv_new, const char *adv_old,
                          const char *existing)
{
    e2e_out o;
    char settings[512], *conn = NULL;

    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"both\",\"audience_name\":\"Status 15\","
             "\"create_new_for\":[\"%s\"],\"existing_audiences\":{\"%s\":[\"%s\"]}}",
             adv_new, adv_old, existing);
    {
        char spath[E2E_PATH];
        snprintf(spath, sizeof(spath), "%s/settings.json", e->dir);
        CU_ASSERT_EQUAL_FATAL(e2e_write(spath, settings), 0);
        const char *args[] = {"connect", "--plugin", getenv("TT_PLUGIN"), "--profile",
                              e->profile, "--dataset", path, "--settings", spath, NULL};
        CU_ASSERT_EQUAL_FATAL(e2e_host(e, &o, args), 0);
        CU_ASSERT_EQUAL_FATAL(o.exit_code, 0);
        conn = strdup(o.out);
        conn[strcspn(conn, "\n")] = '\0';
        e2e_out_free(&o);
    }
    return conn;
}

/* Before any run: the new audience is not created yet. */
static void check_before_run(e2e *e, const char *conn, const char *adv_new, const char *adv_old)
{
    e2e_out o;
    json_object *r;

    audiences(e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    r = row_for(o.json, adv_new);
    CU_ASSERT(r != NULL && is(jstr(r, "status"), "not_created"));
    r = row_for(o.json, adv_old);
    CU_ASSERT(r != NULL && is(jstr(r, "status"), "ready") && is(jstr(r, "name"), "Theirs"));
    CU_ASSERT(r != NULL && json_object_get_int64(ts_json_at(r, "size")) == 1500);
    e2e_out_free(&o);
}

/* After the run, while TikTok processes: both "processing". Copies the
   new audience's id into new_id. */
static void check_processing(e2e *e, const char *conn, const char *adv_new, const char *adv_old,
                             const char *existing, char *new_id, size_t new_id_size)
{
    e2e_out o;
    json_object *r;

    audiences(e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(is(jstr(o.json, "connection_id"), conn));
    CU_ASSERT(ts_json_at(o.json, "last_run.run_id") != NULL);
    r = row_for(o.json, adv_new);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT(is(jstr(r, "status"), "processing"));
    CU_ASSERT(json_object_get_boolean(ts_json_at(r, "processing")));
    CU_ASSERT(!json_object_get_boolean(ts_json_at(r, "is_valid")));
    CU_ASSERT(is(jstr(r, "name"), "Status 15"));
    CU_ASSERT(is(jstr(r, "calculate_type"), "MULTIPLE_TYPES"));
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(r, "identifier_types")), 4);
    CU_ASSERT(is(jstr(r, "last_outcome"), "applied"));
    CU_ASSERT(jstr(r, "expires_at") != NULL);
    snprintf(new_id, new_id_size, "%s", jstr(r, "audience_id") ? jstr(r, "audience_id") : "");
    r = row_for(o.json, adv_old);
    CU_ASSERT(r != NULL && is(jstr(r, "status"), "processing"));
    CU_ASSERT(r != NULL && is(jstr(r, "audience_id"), existing));
    CU_ASSERT(r != NULL && is(jstr(r, "last_outcome"), "applied"));
    e2e_out_free(&o);
}

/* Two hours later at TikTok: ready, with TikTok's own count. */
static void check_ready(e2e *e, const char *conn, const char *adv_new, const char *adv_old,
                        const char *new_id, const char *existing)
{
    e2e_out o;
    json_object *r;

    CU_ASSERT_EQUAL_FATAL(ts_sandbox_advance_clock(e->sb, DELAY_MS + 1000), 0);
    audiences(e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    r = row_for(o.json, adv_new);
    CU_ASSERT(r != NULL && is(jstr(r, "status"), "ready"));
    CU_ASSERT(r != NULL && json_object_get_boolean(ts_json_at(r, "is_valid")));
    CU_ASSERT(r != NULL && json_object_get_int64(ts_json_at(r, "size"))
                               == sandbox_size(e, new_id));
    CU_ASSERT(r != NULL && json_object_get_int64(ts_json_at(r, "cover_num")) > 1000);
    r = row_for(o.json, adv_old);
    CU_ASSERT(r != NULL && is(jstr(r, "status"), "ready"));
    CU_ASSERT(r != NULL && json_object_get_int64(ts_json_at(r, "size"))
                               == sandbox_size(e, existing));
    e2e_out_free(&o);
}

/* On a terminal the table; piped without --json JSON; an unknown
   connection refused. */
static void check_table_pipe_unknown(e2e *e, const char *conn)
{
    e2e_out o;

    setenv("CONNECTOR_HOST_FORCE_TTY", "1", 1);
    {
        const char *args[] = {"audiences", "--connection", conn, NULL};
        CU_ASSERT_EQUAL_FATAL(e2e_host(e, &o, args), 0);
    }
    unsetenv("CONNECTOR_HOST_FORCE_TTY");
    show(&o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(has(o.out, "ACCOUNT"));
    CU_ASSERT(has(o.out, "STATUS"));
    CU_ASSERT(has(o.out, "Status 15"));
    CU_ASSERT(has(o.out, "EMAIL,PHONE,IDFA,GAID"));
    CU_ASSERT(has(o.out, "ready"));
    CU_ASSERT(o.json == NULL);
    e2e_out_free(&o);
    /* Piped without --json: JSON, as the other listings. */
    {
        const char *args[] = {"audiences", "--connection", conn, NULL};
        CU_ASSERT_EQUAL_FATAL(e2e_host(e, &o, args), 0);
        CU_ASSERT(o.json != NULL && ts_json_at(o.json, "targets") != NULL);
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"audiences", "--connection", "c_0000000000000000", NULL};
        CU_ASSERT_EQUAL_FATAL(e2e_host(e, &o, args), 0);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.err, "no such connection"));
        e2e_out_free(&o);
    }
}

/* A new audience and an existing one, delivered while TikTok processes
   for two hours: both "processing", then "ready" with TikTok's size. */
static void test_processing_then_ready(void)
{
    e2e e;
    e2e_out o;
    e2e_set theirs = {0};
    char path[E2E_PATH], existing[32], new_id[32], *conn = NULL;
    const char *adv_new, *adv_old;

    CU_ASSERT_EQUAL_FATAL(e2e_setup(&e, NULL), 0);
    adv_new = e2e_account(&e, 0, "Crowded");
    adv_old = e2e_account(&e, 1, "Crowded");
    CU_ASSERT_FATAL(adv_new != NULL && adv_old != NULL);
    CU_ASSERT_EQUAL_FATAL(e2e_make_existing_audience(&e, adv_old, "Theirs", 1500, existing,
                                                     &theirs), 0);
    CU_ASSERT_EQUAL_FATAL(set_processing_delay(&e, DELAY_MS), 0);
    snprintf(path, sizeof(path), "%s/data.jsonl", e.dir);
    CU_ASSERT_EQUAL_FATAL(e2e_gen(path, 3000, 15, 0, 0, 0, 0), 0);
    conn = connect_both(&e, path, adv_new, adv_old, existing);
    check_before_run(&e, conn, adv_new, adv_old);

    CU_ASSERT_EQUAL_FATAL(e2e_deliver(&e, conn, &o), 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);

    check_processing(&e, conn, adv_new, adv_old, existing, new_id, sizeof(new_id));
    check_ready(&e, conn, adv_new, adv_old, new_id, existing);
    check_table_pipe_unknown(&e, conn);
    e2e_set_free(&theirs);
    free(conn);
    e2e_teardown(&e);
}

/* Deletes an audience at TikTok, as a marketer would in Ads Manager. */
static int delete_audience(e2e *e, const char *adv, const char *id)
{
    char *token = NULL, *url = ts_sandbox_url(e->sb, "/open_api/v1.3/dmp/custom_audience/delete/");
    char hdr[512], body[256];
    const char *headers[] = {hdr, "Content-Type: application/json", NULL};
    ts_http_resp r = {0};
    int rc = -1;

    if (url != NULL && ts_sandbox_authorize(e->sb, e->user_id, &token) == 0) {
        snprintf(hdr, sizeof(hdr), "Access-Token: %s", token);
        snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"]}",
                 adv, id);
        if (ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), headers, body, strlen(body),
                            &r) == 0 && r.status == 200 && has(r.body, "\"code\":0"))
            rc = 0;
    }
    ts_http_resp_free(&r);
    free(token);
    free(url);
    return rc;
}

/* Two existing audiences in one Ad Account, one deleted at TikTok: TikTok
   answers 40007 for a get naming both, so each is asked alone and only
   the deleted one is "not_found". */
static void test_one_of_two_deleted(void)
{
    e2e e;
    e2e_out o;
    e2e_set m1 = {0}, m2 = {0};
    char spath[E2E_PATH], settings[512], keep[32], gone[32];
    const char *adv;
    json_object *t;
    int seen_keep = 0, seen_gone = 0;

    CU_ASSERT_EQUAL_FATAL(e2e_setup(&e, NULL), 0);
    adv = e2e_account(&e, 0, "Crowded");
    CU_ASSERT_FATAL(adv != NULL);
    CU_ASSERT_EQUAL_FATAL(e2e_make_existing_audience(&e, adv, "Keep", 1200, keep, &m1), 0);
    CU_ASSERT_EQUAL_FATAL(e2e_make_existing_audience(&e, adv, "Gone", 1200, gone, &m2), 0);
    snprintf(settings, sizeof(settings), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\",\"%s\"]}}", adv, keep, gone);
    snprintf(spath, sizeof(spath), "%s/settings.json", e.dir);
    CU_ASSERT_EQUAL_FATAL(e2e_write(spath, settings), 0);
    {
        char data[E2E_PATH];
        snprintf(data, sizeof(data), "%s/data.jsonl", e.dir);
        CU_ASSERT_EQUAL_FATAL(e2e_gen(data, 100, 3, 0, 0, 0, 0), 0);
        const char *args[] = {"connect", "--plugin", getenv("TT_PLUGIN"), "--profile",
                              e.profile, "--dataset", data, "--settings", spath, NULL};
        CU_ASSERT_EQUAL_FATAL(e2e_host(&e, &o, args), 0);
        CU_ASSERT_EQUAL_FATAL(o.exit_code, 0);
    }
    char *conn = strdup(o.out);
    conn[strcspn(conn, "\n")] = '\0';
    e2e_out_free(&o);
    CU_ASSERT_EQUAL_FATAL(delete_audience(&e, adv, gone), 0);
    audiences(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    t = ts_json_at(o.json, "targets");
    for (size_t i = 0; t != NULL && i < json_object_array_length(t); i++) {
        json_object *r = json_object_array_get_idx(t, i);
        if (is(jstr(r, "audience_id"), keep))
            seen_keep = is(jstr(r, "status"), "ready") && is(jstr(r, "name"), "Keep");
        if (is(jstr(r, "audience_id"), gone))
            seen_gone = is(jstr(r, "status"), "not_found");
    }
    CU_ASSERT(seen_keep);
    CU_ASSERT(seen_gone);
    e2e_out_free(&o);
    /* Delivery tells them apart too: only the deleted one is dead. */
    CU_ASSERT_EQUAL_FATAL(e2e_deliver(&e, conn, &o), 0);
    CU_ASSERT_EQUAL(o.exit_code, 5);
    t = ts_json_at(o.json, "plugin.targets");
    seen_keep = seen_gone = 0;
    for (size_t i = 0; t != NULL && i < json_object_array_length(t); i++) {
        json_object *r = json_object_array_get_idx(t, i);
        if (is(jstr(r, "audience_id"), keep))
            seen_keep = is(jstr(r, "state"), "healthy") && is(jstr(r, "outcome"), "applied");
        if (is(jstr(r, "audience_id"), gone))
            seen_gone = is(jstr(r, "state"), "dead");
    }
    CU_ASSERT(seen_keep);
    CU_ASSERT(seen_gone);
    e2e_out_free(&o);
    free(conn);
    e2e_set_free(&m1);
    e2e_set_free(&m2);
    e2e_teardown(&e);
}

/* $TT_BUILDDIR/<name>.la */
static char *test_plugin(const char *name)
{
    char *p = malloc(E2E_PATH);
    if (p != NULL)
        snprintf(p, E2E_PATH, "%s/%s.la", getenv("TT_BUILDDIR"), name);
    return p;
}

/* A plugin without inspect: the example as it is (built against this
   header, inspect NULL) and the same code with a true 1.0 descriptor
   (struct_size ends at teardown). Both load, deliver, and `audiences`
   says they do not support it, without calling past struct_size. */
static void check_old_plugin(const char *name, const char *abi)
{
    char dir[TS_PATH_MAX], home[E2E_PATH], data[E2E_PATH], set[E2E_PATH], *plugin, *conn;
    int code = -1;
    char *out = NULL, *err = NULL;

    CU_ASSERT_EQUAL_FATAL(ts_tmpdir_make(dir, sizeof(dir)), 0);
    plugin = test_plugin(name);
    snprintf(home, sizeof(home), "%s/home", dir);
    snprintf(data, sizeof(data), "%s/d.jsonl", dir);
    snprintf(set, sizeof(set), "%s/s.json", dir);
    CU_ASSERT_EQUAL_FATAL(e2e_write(data, "{\"sha256_hashed_email\":{\"value\":\"5e884898da"
                                          "28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d"
                                          "1542d8\"}}\n"), 0);
    CU_ASSERT_EQUAL_FATAL(e2e_write(set, "{}"), 0);
    {
        /* connect needs a connected profile; the example connects any. */
        const char *argv[] = {getenv("TT_HOST"), "authorize", "--plugin", plugin, "--profile",
                              "p", "--callback", "about:blank", "--home", home, NULL};
        CU_ASSERT_EQUAL_FATAL(ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &code, &out, &err), 0);
        CU_ASSERT_EQUAL_FATAL(code, 0);
        free(out);
        free(err);
    }
    {
        const char *argv[] = {getenv("TT_HOST"), "connect", "--plugin", plugin, "--profile",
                              "p", "--dataset", data, "--settings", set, "--home", home, NULL};
        CU_ASSERT_EQUAL_FATAL(ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &code, &out, &err), 0);
        CU_ASSERT_EQUAL_FATAL(code, 0);
    }
    conn = out;
    conn[strcspn(conn, "\n")] = '\0';
    free(err);
    {
        const char *argv[] = {getenv("TT_HOST"), "deliver", "--connection", conn, "--home",
                              home, NULL};
        CU_ASSERT_EQUAL_FATAL(ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &code, &out, &err), 0);
        CU_ASSERT_EQUAL(code, 0);
        CU_ASSERT(has(out, "\"records\":1"));
        free(out);
        free(err);
    }
    {
        const char *argv[] = {getenv("TT_HOST"), "audiences", "--connection", conn, "--home",
                              home, NULL};
        CU_ASSERT_EQUAL_FATAL(ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &code, &out, &err), 0);
        CU_ASSERT_EQUAL(code, 1);
        CU_ASSERT(has(err, "does not support audiences"));
        CU_ASSERT(has(err, abi));
        CU_ASSERT(has(err, "connections show"));
        CU_ASSERT(!has(out, "poison"));
        CU_ASSERT_STRING_EQUAL(out, "");
        free(out);
        free(err);
    }
    free(conn);
    free(plugin);
    if (getenv("E2E_KEEP") == NULL)
        ts_tmpdir_remove(dir);
}

static void test_plugin_without_inspect(void)
{
    /* The example test_example drives, built once (tests/host/local.mk). */
    check_old_plugin("examples/minimal_connector", "ABI 1.1");
    check_old_plugin("tests/e2e/plugin_abi10", "ABI 1.0");
}

int main(void)
{
    static const e2e_test tests[] = {
        {"audiences: not created, processing, then ready", test_processing_then_ready},
        {"audiences: one of two audiences deleted at TikTok", test_one_of_two_deleted},
        {"audiences: a plugin without inspect (1.0) loads; unsupported", test_plugin_without_inspect},
    };

    return e2e_run_suite("audiences", tests, sizeof(tests) / sizeof(tests[0]));
}
