/*
 * test_wipe.c - no secret is left in freed memory (issue #21, point 4).
 *
 * Runs connector-host with the free_scan shim preloaded (free_scan.c:
 * every freed or realloc()ed-away block is searched for marker secrets)
 * through `secret set` and its overwrite, `authorize` (a token stored, then
 * replaced), and a delivery run whose self-test writes, reads and deletes
 * a secret. Any marker found in a freed block fails the test, naming it.
 *
 * Skipped (exit 77) where the shim cannot be preloaded: a sanitizer build
 * (its runtime must come first) or a libc without __libc_free.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "ts_cunit.h"

#define MARKERS "Leak-Canary-42,Second-Canary-77,tok-prof-SECRET,tok-other-SECRET," \
                "probe-secret-value"

static char *test_dir, *shim, *plugin;
static char env_preload[4400], env_markers[256], env_report[4400], report[4300];

static int suite_init(void)
{
    const char *b = test_env("TT_BUILDDIR");

    test_dir = test_tmpdir("wipe");
    plugin = test_build_path("test_plugin.la");
    if (test_dir == NULL || b == NULL || plugin == NULL || test_env("TT_HOST") == NULL)
        return -1;
    shim = malloc(strlen(b) + 64);
    if (shim == NULL)
        return -1;
    sprintf(shim, "%s/tests/host/.libs/free_scan.so", b);
    snprintf(report, sizeof(report), "%s/found.txt", test_dir);
    snprintf(env_preload, sizeof(env_preload), "LD_PRELOAD=%s", shim);
    snprintf(env_markers, sizeof(env_markers), "CH_FREE_SCAN_MARKERS=%s", MARKERS);
    snprintf(env_report, sizeof(env_report), "CH_FREE_SCAN_REPORT=%s", report);
    return 0;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    free(shim);
    free(plugin);
    return 0;
}

/* Runs the host under the shim; returns its exit status. */
static int host(const char *const *args, const char *input, char **out)
{
    const char *env[] = { env_preload, env_markers, env_report, NULL };
    const char *argv[32];
    char home[4300];
    test_result r;
    int n = 0, i, st;

    snprintf(home, sizeof(home), "%s/home", test_dir);
    argv[n++] = test_env("TT_HOST");
    for (i = 0; args[i] != NULL && n < 28; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = home;
    argv[n] = NULL;
    test_run(argv, env, input, 120, &r);
    st = r.status;
    if (st != 0)
        fprintf(stderr, "test_wipe: %s %s: exit %d: %s\n", args[0],
                args[1] != NULL ? args[1] : "", st, r.err);
    if (out != NULL) {
        *out = r.out;
        r.out = NULL;
    }
    test_result_free(&r);
    return st;
}

/* The shim's findings so far (also printed); 0 when none. */
static int findings(void)
{
    size_t len = 0;
    char *text = test_read_file(report, &len);
    int found = text != NULL && len > 0;

    if (found)
        fprintf(stderr, "test_wipe: secrets left in freed memory:\n%s", text);
    free(text);
    return found;
}

static void test_scan(void)
{
    char settings[4300], dataset[4300], conn[64] = "";
    char *out = NULL;

    snprintf(settings, sizeof(settings), "%s/settings.json", test_dir);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", test_dir);
    CU_ASSERT_FATAL(test_write_file(settings, "{\"audience_name\":\"A\"}") == 0);
    CU_ASSERT_FATAL(test_write_file(dataset, "{\"e\":{\"value\":\"v1\"}}\n") == 0);
    {
        const char *a[] = { "secret", "set", "--plugin", plugin, "app_secret", NULL };
        CU_ASSERT_EQUAL(host(a, "S3cr3t-Leak-Canary-42\n", NULL), 0);
        CU_ASSERT_EQUAL(findings(), 0);
        /* The overwrite: the old value is in the file read back. */
        CU_ASSERT_EQUAL(host(a, "S3cr3t-Second-Canary-77\n", NULL), 0);
        CU_ASSERT_EQUAL(findings(), 0);
    }
    {
        const char *a[] = { "authorize", "--plugin", plugin, "--profile", "prof",
                            "--callback", "https://127.0.0.1/callback?code=good", NULL };
        const char *b[] = { "authorize", "--plugin", plugin, "--profile", "other",
                            "--callback", "https://127.0.0.1/callback?code=good", NULL };
        CU_ASSERT_EQUAL(host(a, NULL, NULL), 0);
        CU_ASSERT_EQUAL(host(b, NULL, NULL), 0);
        CU_ASSERT_EQUAL(host(a, NULL, NULL), 0);   /* token replaced */
        CU_ASSERT_EQUAL(findings(), 0);
    }
    {
        const char *a[] = { "connect", "--plugin", plugin, "--profile", "prof",
                            "--dataset", dataset, "--settings", settings, NULL };
        CU_ASSERT_EQUAL(host(a, NULL, &out), 0);
        if (out != NULL)
            sscanf(out, "%63s", conn);
        free(out);
        out = NULL;
    }
    {
        const char *a[] = { "deliver", "--connection", conn, NULL };
        CU_ASSERT_EQUAL(host(a, NULL, &out), 0);
        /* The self-test ran: a secret was put, read and deleted. */
        CU_ASSERT(out != NULL && strstr(out, "\"secret_delete\":true") != NULL);
        CU_ASSERT(out != NULL && strstr(out, "\"app_secret_len\":23") != NULL);
        free(out);
    }
    CU_ASSERT_EQUAL(findings(), 0);
}

/* The shim itself finds a marker in a block freed unwiped: the test can
   fail. */
static void test_shim_finds(void)
{
    const char *env[] = { env_preload, env_markers, env_report, NULL };
    const char *argv[] = { "/bin/sh", "-c", "x=Leak-Canary-42; x=gone", NULL };
    test_result r;

    unlink(report);
    test_run(argv, env, NULL, 60, &r);
    test_result_free(&r);
    CU_ASSERT_EQUAL(findings(), 1);
    unlink(report);
}

/* A sanitizer runtime refuses to come after the shim: skip then. */
static int shim_usable(void)
{
    const char *env[] = { env_preload, NULL };
    const char *argv[] = { test_env("TT_HOST"), "--version", NULL };
    test_result r;
    int ok;

    if (access(shim, R_OK) != 0)
        return 0;
    test_run(argv, env, NULL, 60, &r);
    ok = r.status == 0 && strstr(r.err, "ERROR") == NULL;
    test_result_free(&r);
    return ok;
}

int main(void)
{
    static const ts_test tests[] = {
        {"shim finds an unwiped marker", test_shim_finds},
        {"no secret in freed memory", test_scan},
    };
    static const ts_suite suites[] = {
        {"wipe", NULL, suite_clean, tests, sizeof tests / sizeof tests[0]},
    };
    int rc;

    if (suite_init() != 0)
        return 1;
    if (!shim_usable()) {
        fprintf(stderr, "test_wipe: cannot preload %s (a sanitizer build?): skipped\n",
                shim);
        suite_clean();
        return 77;
    }
    rc = ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
    return rc;
}
