/*
 * test_wipe_tiktok.c - no secret of the TikTok plugin is left in freed
 * memory (issue #21, point 4), through the real plugin and the sandbox
 * over HTTPS.
 *
 * The sandbox's world gives the app a marker secret and marks every auth
 * code and token it issues (tests/sandbox/README.md, code_marker and
 * token_marker). connector-host runs with tests/host/free_scan.so
 * preloaded, which searches every freed or realloc()ed-away block for the
 * markers and names the shared object that freed it, through:
 *   - secret set of app_id and the app secret, authorize begin, the
 *     consent, authorize --callback (oauth2/access_token: app secret and
 *     auth code in the body, the token in the answer), as e2e_setup does;
 *   - a second authorization: the token replaced, the old one revoked
 *     (oauth2/revoke_token: app secret and token in the body);
 *   - the auth code's failure paths: a spent link again (refused before
 *     sending), a code TikTok does not know (sent, refused);
 *   - secret set overwriting the app secret;
 *   - connect (oauth2/advertiser/get with the app secret in the query)
 *     and a delivery (the token in the Access-Token header).
 * A marker freed by any code but libcurl's fails the test. libcurl's own
 * copies (the URL, the request headers and a small POST body in its send
 * buffer) are the documented exception (host/README.md, "What the host
 * cannot wipe"): they are counted and printed, not failed.
 *
 * Skipped (77) where the shim cannot be preloaded: a sanitizer build,
 * whose runtime must come first, or no shim built.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "e2e.h"

#define APP_SECRET "AppSecret-Canary-5150"
#define CODE_MARKER "CodeCanary"
#define TOKEN_MARKER "TokCanary"
#define MARKERS APP_SECRET "," CODE_MARKER "," TOKEN_MARKER

/* Where libcurl keeps copies nobody outside it can wipe. */
#define EXEMPT_OBJECT "libcurl.so"

static char dir[TS_PATH_MAX];
static char shim[TS_PATH_MAX + 64], world_file[TS_PATH_MAX + 64];
static char report[TS_PATH_MAX + 64];
static char env_preload[TS_PATH_MAX + 96], env_markers[256], env_report[TS_PATH_MAX + 96];

static const char *need_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "test_wipe_tiktok: %s is not set; run through `make check`\n", name);
        exit(99);
    }
    return v;
}

/* The built-in world with the marker secret and the issue markers. */
static int write_world(void)
{
    const char *argv[] = {need_env("TT_SANDBOX"), "--print-world", NULL};
    json_object *w = NULL, *app;
    char *out = NULL;
    int code = -1, rc = -1;

    if (ts_run_capture(argv, NULL, 30000, &code, &out, NULL) != 0 || code != 0)
        goto cleanup;
    w = json_tokener_parse(out);
    app = ts_json_at(w, "apps.0");
    if (app == NULL)
        goto cleanup;
    json_object_object_add(app, "secret", json_object_new_string(APP_SECRET));
    json_object_object_add(app, "code_marker", json_object_new_string(CODE_MARKER));
    json_object_object_add(app, "token_marker", json_object_new_string(TOKEN_MARKER));
    rc = e2e_write(world_file, json_object_to_json_string(w));
cleanup:
    if (rc != 0)
        fprintf(stderr, "test_wipe_tiktok: could not write the world file\n");
    json_object_put(w);
    free(out);
    return rc;
}

/* A sanitizer runtime refuses to come after the shim: skip then. */
static int shim_usable(void)
{
    const char *env[] = {env_preload, NULL};
    const char *argv[] = {need_env("TT_HOST"), "--version", NULL};
    char *err = NULL;
    int code = -1, ok;

    if (access(shim, R_OK) != 0)
        return 0;
    ok = ts_run_capture_env(argv, env, NULL, 30000, &code, NULL, &err) == 0 && code == 0
         && (err == NULL || strstr(err, "ERROR") == NULL);
    free(err);
    return ok;
}

/* Reads and empties the shim's report: adds to *ours the blocks freed
   outside libcurl (each printed with the stage), to *curl libcurl's. */
static void findings(const char *stage, size_t *ours, size_t *curl)
{
    FILE *f = fopen(report, "r");
    char line[1024];

    if (f == NULL)
        return;   /* no file: nothing found */
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, " " EXEMPT_OBJECT) != NULL) {
            (*curl)++;
            continue;
        }
        (*ours)++;
        fprintf(stderr, "test_wipe_tiktok: %s: left in freed memory: %s", stage, line);
    }
    fclose(f);
    unlink(report);
}

/* Begin, then the consent as the world's first user: the callback URL
   (free()), or NULL. */
static char *consent(e2e *e)
{
    const char *begin[] = {"authorize", "--plugin", need_env("TT_PLUGIN"), "--profile",
                           e->profile, NULL};
    ts_http_resp r = {0};
    e2e_out o;
    char url[4096], *cb = NULL;

    if (e2e_host(e, &o, begin) != 0 || o.exit_code != 0 || o.out == NULL) {
        e2e_out_free(&o);
        return NULL;
    }
    o.out[strcspn(o.out, "\r\n")] = '\0';
    snprintf(url, sizeof(url), "%s&user_id=%s", o.out, e->user_id);
    e2e_out_free(&o);
    if (ts_http_request("GET", url, ts_sandbox_ca_file(e->sb), NULL, NULL, 0, &r) == 0
        && r.location != NULL) {
        if (strstr(r.location, CODE_MARKER) == NULL)
            fprintf(stderr, "test_wipe_tiktok: the auth code carries no marker\n");
        else
            cb = strdup(r.location);
    }
    ts_http_resp_free(&r);
    return cb;
}

/* authorize --callback cb: the exit code, or -1 when it did not run. */
static int complete(e2e *e, const char *cb)
{
    const char *a[] = {"authorize", "--plugin", need_env("TT_PLUGIN"), "--profile",
                       e->profile, "--callback", cb, NULL};
    e2e_out o;
    int rc = -1;

    if (e2e_host(e, &o, a) == 0)
        rc = o.exit_code;
    e2e_out_free(&o);
    return rc;
}

/* The stored token carries the marker: what is scanned for was used. */
static int token_marked(e2e *e)
{
    char path[E2E_PATH + 32], buf[8192];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/secrets.json", e->home);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, TOKEN_MARKER) != NULL && strstr(buf, APP_SECRET) != NULL;
}

static void test_oauth_and_delivery(void)
{
    const char *env[] = {env_preload, env_markers, env_report, NULL};
    char dataset[E2E_PATH + 32], settings[256];
    ts_sandbox_opts opts;
    size_t ours = 0, curl = 0;
    e2e_out o;
    char *conn = NULL, *cb = NULL;
    const char *adv;
    e2e e;

    ts_sandbox_opts_init(&opts);
    opts.world_file = world_file;
    CU_ASSERT_FATAL(e2e_setup_with(&e, &opts, env) == 0);
    CU_ASSERT(token_marked(&e));
    findings("secret set, authorize", &ours, &curl);
    /* Re-authorized: the token is replaced and the old one revoked. */
    cb = consent(&e);
    CU_ASSERT_FATAL(cb != NULL);
    CU_ASSERT_EQUAL(complete(&e, cb), 0);
    CU_ASSERT(e2e_requests_to(&e, "oauth2/revoke_token") >= 1);
    findings("authorize again", &ours, &curl);
    /* The auth code on its failure paths: a spent link is refused before
       anything is sent; a code TikTok does not know (one digit changed) is
       sent and refused (40101). */
    CU_ASSERT_NOT_EQUAL(complete(&e, cb), 0);
    findings("a spent link", &ours, &curl);
    free(cb);
    cb = consent(&e);
    CU_ASSERT_FATAL(cb != NULL);
    {
        char *code = strstr(cb, "auth_code=" CODE_MARKER);
        long sent = e2e_requests_to(&e, "oauth2/access_token");

        CU_ASSERT_FATAL(code != NULL);
        code += strlen("auth_code=" CODE_MARKER);
        *code = *code == '0' ? '1' : '0';
        CU_ASSERT_NOT_EQUAL(complete(&e, cb), 0);
        CU_ASSERT_EQUAL(e2e_requests_to(&e, "oauth2/access_token"), sent + 1);
    }
    findings("a refused auth code", &ours, &curl);
    {
        const char *a[] = {"secret", "set", "--plugin", need_env("TT_PLUGIN"), "app_secret",
                           NULL};
        CU_ASSERT(e2e_host_input(&e, &o, APP_SECRET "\n", a) == 0 && o.exit_code == 0);
        e2e_out_free(&o);
    }
    findings("secret set overwrite", &ours, &curl);
    adv = e2e_account(&e, 0, NULL);
    CU_ASSERT_FATAL(adv != NULL);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 50, 5150, 0, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings), "{\"connection_type\":\"new\",\"audience_name\":"
             "\"Wipe\",\"create_new_for\":[\"%s\"]}", adv);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    findings("connect", &ours, &curl);
    CU_ASSERT(e2e_deliver(&e, conn, &o) == 0 && o.exit_code == 0);
    e2e_out_free(&o);
    CU_ASSERT(e2e_requests_to(&e, "oauth2/access_token") >= 2);
    CU_ASSERT(e2e_requests_to(&e, "oauth2/advertiser/get") >= 1);
    findings("deliver", &ours, &curl);
    fprintf(stderr, "test_wipe_tiktok: %zu block(s) with a marker freed by our code, %zu "
            "inside libcurl (documented)\n", ours, curl);
    CU_ASSERT_EQUAL(ours, 0);
    free(conn);
    free(cb);
    e2e_teardown(&e);
}

/* The shim and this test's reading of it find a block freed unwiped. */
static void test_shim_finds(void)
{
    const char *env[] = {env_preload, env_markers, env_report, NULL};
    const char *argv[] = {"/bin/sh", "-c", "x=" APP_SECRET "; x=gone", NULL};
    size_t ours = 0, curl = 0;
    int code = -1;

    unlink(report);
    CU_ASSERT(ts_run_capture_env(argv, env, NULL, 30000, &code, NULL, NULL) == 0);
    findings("shim check", &ours, &curl);
    CU_ASSERT(ours >= 1);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"the shim finds an unwiped marker", test_shim_finds},
        {"OAuth, token replacement, secret set and a delivery leave no secret in freed "
         "memory", test_oauth_and_delivery},
    };
    int rc;

    if (ts_tmpdir_make(dir, sizeof(dir)) != 0)
        return 99;
    snprintf(shim, sizeof(shim), "%s/tests/host/.libs/free_scan.so", need_env("TT_BUILDDIR"));
    snprintf(world_file, sizeof(world_file), "%s/world.json", dir);
    snprintf(report, sizeof(report), "%s/found.txt", dir);
    snprintf(env_preload, sizeof(env_preload), "LD_PRELOAD=%s", shim);
    snprintf(env_markers, sizeof(env_markers), "CH_FREE_SCAN_MARKERS=%s", MARKERS);
    snprintf(env_report, sizeof(env_report), "CH_FREE_SCAN_REPORT=%s", report);
    if (!shim_usable()) {
        fprintf(stderr, "test_wipe_tiktok: cannot preload %s (a sanitizer build?): "
                "skipped\n", shim);
        ts_tmpdir_remove(dir);
        return 77;
    }
    if (write_world() != 0) {
        ts_tmpdir_remove(dir);
        return 99;
    }
    rc = e2e_run_suite("secrets wiped through the TikTok plugin", tests,
                       sizeof(tests) / sizeof(tests[0]));
    ts_tmpdir_remove(dir);
    return rc;
}
