/*
 * test_secrets.c - secrets.json: permissions (0644 refused with the chmod
 * fix, 0600 accepted, new files 0600 whatever the umask), get/put/delete,
 * concurrent writers, the CLI's `secret set`, and a scan proving secret
 * values never reach stdout, stderr or state.db.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ch_secrets.h"
#include "test_util.h"
#include "ts_cunit.h"

static char *test_dir;

static int suite_init(void)
{
    test_dir = test_tmpdir("secrets");
    return test_dir != NULL ? 0 : -1;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    return 0;
}

static void test_permissions(void)
{
    char path[4096], err[1024] = "", expect[4200];
    struct stat st;
    mode_t old;

    snprintf(path, sizeof(path), "%s/perm.json", test_dir);
    CU_ASSERT_EQUAL(ch_secrets_check(path, err, sizeof(err)), 0);   /* missing: fine */
    /* A new file is 0600 even with a permissive umask. */
    old = umask(0);
    CU_ASSERT_EQUAL(ch_secrets_put(path, "p/a", "value-a", 7, err, sizeof(err)), ACONN_OK);
    umask(old);
    CU_ASSERT_FATAL(stat(path, &st) == 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL(ch_secrets_check(path, err, sizeof(err)), 0);
    /* Group/world readable: refused, with the fix in the message. */
    CU_ASSERT_FATAL(chmod(path, 0644) == 0);
    CU_ASSERT_EQUAL(ch_secrets_check(path, err, sizeof(err)), -1);
    snprintf(expect, sizeof(expect), "chmod 600 %s", path);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, expect));
    CU_ASSERT_PTR_NULL(strstr(err, "value-a"));
    {
        char buf[64];
        size_t len = 0;
        CU_ASSERT_EQUAL(ch_secrets_get(path, "p/a", buf, sizeof(buf), &len, err,
                                       sizeof(err)), ACONN_ERR_FATAL);
        CU_ASSERT_EQUAL(ch_secrets_put(path, "p/b", "x", 1, err, sizeof(err)),
                        ACONN_ERR_FATAL);
    }
    CU_ASSERT_FATAL(chmod(path, 0640) == 0);
    CU_ASSERT_EQUAL(ch_secrets_check(path, err, sizeof(err)), -1);
    CU_ASSERT_FATAL(chmod(path, 0600) == 0);
    CU_ASSERT_EQUAL(ch_secrets_check(path, err, sizeof(err)), 0);
}

static void test_get_put_delete(void)
{
    char path[4096], err[1024] = "", buf[64], small[4];
    size_t len = 0;

    snprintf(path, sizeof(path), "%s/gpd.json", test_dir);
    CU_ASSERT_EQUAL(ch_secrets_get(path, "p/x", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ch_secrets_put(path, "p/x", "hello \"world\"", 13, err, sizeof(err)),
                    ACONN_OK);
    CU_ASSERT_EQUAL(ch_secrets_get(path, "p/x", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_OK);
    CU_ASSERT_STRING_EQUAL(buf, "hello \"world\"");
    CU_ASSERT_EQUAL(len, 13);
    CU_ASSERT_EQUAL(ch_secrets_get(path, "p/x", small, sizeof(small), &len, err,
                                   sizeof(err)), ACONN_ERR_TOO_SMALL);
    CU_ASSERT_EQUAL(len, 13);
    /* Other plugins' names are separate keys. */
    CU_ASSERT_EQUAL(ch_secrets_get(path, "q/x", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ch_secrets_put(path, "p/x", NULL, 0, err, sizeof(err)), ACONN_OK);
    CU_ASSERT_EQUAL(ch_secrets_get(path, "p/x", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_ERR_NOT_FOUND);
    /* A value with a NUL byte cannot be returned intact: refused. */
    CU_ASSERT_EQUAL(ch_secrets_put(path, "p/nul", "a\0b", 3, err, sizeof(err)),
                    ACONN_ERR_INVALID);
}

static void test_concurrent_writers(void)
{
    char path[4096], err[1024] = "", key[64], buf[64];
    size_t len = 0;
    pid_t kids[2];
    int k, i, ok = 1;

    snprintf(path, sizeof(path), "%s/conc.json", test_dir);
    fflush(NULL);
    for (k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            for (i = 0; i < 40; i++) {
                snprintf(key, sizeof(key), "p/k%d-%d", k, i);
                if (ch_secrets_put(path, key, key, strlen(key), err, sizeof(err)) != ACONN_OK)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (k = 0; k < 2; k++) {
        int st = 0;
        CU_ASSERT_EQUAL(waitpid(kids[k], &st, 0), kids[k]);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    /* The flock serialized the read-modify-write: nothing was lost. */
    for (k = 0; k < 2; k++) {
        for (i = 0; i < 40; i++) {
            snprintf(key, sizeof(key), "p/k%d-%d", k, i);
            if (ch_secrets_get(path, key, buf, sizeof(buf), &len, err, sizeof(err)) != ACONN_OK
                || strcmp(buf, key) != 0)
                ok = 0;
        }
    }
    CU_ASSERT(ok);
}

/* Runs connector-host with the standard --home; returns the result. */
static void host_run(const char *home, const char *const *args, const char *const *env,
                     const char *input, test_result *r)
{
    const char *argv[32];
    int n = 0, i;

    argv[n++] = test_env("TT_HOST");
    for (i = 0; args[i] != NULL && n < 28; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = home;
    argv[n] = NULL;
    test_run(argv, env, input, 120, r);
}

static int leaks(const char *text, size_t len)
{
    return test_memmem(text, len, "Leak-Canary-42")
           || test_memmem(text, len, "tok-prof-SECRET")
           || test_memmem(text, len, "probe-secret-value");
}

/* secret set stored the value 0600, one trailing newline trimmed. */
static void check_stored_secret(const char *home)
{
    char path[4200];
    size_t len = 0;

    snprintf(path, sizeof(path), "%s/secrets.json", home);
    {
        struct stat st;
        char buf[64];
        char err[512];
        CU_ASSERT_FATAL(stat(path, &st) == 0);
        CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
        /* One trailing newline trimmed, nothing else. */
        CU_ASSERT_EQUAL(ch_secrets_get(path, "test-plugin/app_secret", buf, sizeof(buf),
                                       &len, err, sizeof(err)), ACONN_OK);
        CU_ASSERT_STRING_EQUAL(buf, "S3cr3t-Leak-Canary-42");
    }
}

/* Whether any state file under home holds a secret. */
static int state_files_leak(const char *home)
{
    char path[4200];
    const char *files[] = { "state.db", "state.db-wal", "state.db-shm" };
    char *text;
    size_t i, len = 0;
    int leaked = 0;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", home, files[i]);
        text = test_read_file(path, &len);
        if (text != NULL) {
            leaked |= leaks(text, len);
            free(text);
        }
    }
    return leaked;
}

/* A world-readable secrets.json, a bad name and an empty value are refused. */
static void check_refusals(const char *home, const char *plugin, const char *conn)
{
    char path[4200];
    test_result r;

    /* Make secrets.json world-readable: every command refuses, naming the fix. */
    snprintf(path, sizeof(path), "%s/secrets.json", home);
    CU_ASSERT_FATAL(chmod(path, 0644) == 0);
    {
        const char *a[] = { "deliver", "--connection", conn, NULL };
        host_run(home, a, NULL, NULL, &r);
    }
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "chmod 600"));
    CU_ASSERT_FALSE(leaks(r.err, strlen(r.err)));
    test_result_free(&r);
    {
        const char *a[] = { "secret", "set", "--plugin", plugin, "other", NULL };
        host_run(home, a, NULL, "x", &r);
    }
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "chmod 600"));
    test_result_free(&r);
    chmod(path, 0600);
    {
        const char *a[] = { "secret", "set", "--plugin", plugin, "bad name!", NULL };
        host_run(home, a, NULL, "x", &r);
    }
    CU_ASSERT_EQUAL(r.status, 2);
    test_result_free(&r);
    {
        const char *a[] = { "secret", "set", "--plugin", plugin, "empty", NULL };
        host_run(home, a, NULL, "\n", &r);
    }
    CU_ASSERT_EQUAL(r.status, 1);
    test_result_free(&r);
}

static void test_cli_and_no_leaks(void)
{
    char home[4096], settings[4200], dataset[4200];
    char *plugin = test_build_path("test_plugin.la");
    test_result r;
    int leaked = 0;
    char conn[64] = "";

    CU_ASSERT_FATAL(plugin != NULL && test_env("TT_HOST") != NULL);
    snprintf(home, sizeof(home), "%s/home", test_dir);
    snprintf(settings, sizeof(settings), "%s/settings.json", test_dir);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", test_dir);
    CU_ASSERT_FATAL(test_write_file(settings, "{\"audience_name\":\"A\"}") == 0);
    CU_ASSERT_FATAL(test_write_file(dataset, "{\"e\":{\"value\":\"v1\"}}\n"
                                             "{\"e\":{\"value\":\"v2\"}}\n") == 0);
    {
        const char *a[] = { "secret", "set", "--plugin", plugin, "app_secret", NULL };
        host_run(home, a, NULL, "S3cr3t-Leak-Canary-42\n", &r);
    }
    CU_ASSERT_EQUAL(r.status, 0);
    leaked |= leaks(r.out, strlen(r.out)) || leaks(r.err, strlen(r.err));
    test_result_free(&r);
    check_stored_secret(home);
    {
        const char *a[] = { "authorize", "--plugin", plugin, "--profile", "prof",
                            "--callback", "https://127.0.0.1/callback?code=good", NULL };
        host_run(home, a, NULL, NULL, &r);
    }
    CU_ASSERT_EQUAL(r.status, 0);
    leaked |= leaks(r.out, strlen(r.out)) || leaks(r.err, strlen(r.err));
    test_result_free(&r);
    {
        const char *a[] = { "connect", "--plugin", plugin, "--profile", "prof",
                            "--dataset", dataset, "--settings", settings, NULL };
        host_run(home, a, NULL, NULL, &r);
    }
    CU_ASSERT_EQUAL(r.status, 0);
    sscanf(r.out, "%63s", conn);
    leaked |= leaks(r.out, strlen(r.out)) || leaks(r.err, strlen(r.err));
    test_result_free(&r);
    {
        const char *a[] = { "deliver", "--connection", conn, "--verbose", NULL };
        host_run(home, a, NULL, NULL, &r);
    }
    CU_ASSERT_EQUAL(r.status, 0);
    /* The plugin saw the secret (its length), but nobody printed it. */
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"app_secret_len\":21"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "\"secret_get\":true"));
    leaked |= leaks(r.out, strlen(r.out)) || leaks(r.err, strlen(r.err));
    test_result_free(&r);
    leaked |= state_files_leak(home);
    CU_ASSERT_EQUAL(leaked, 0);

    check_refusals(home, plugin, conn);
    free(plugin);
}

/* secret list prints names, sorted, never a value; delete removes one and
   refuses a name that is not there (a typo is not a deletion). */
static void test_cli_list_delete(void)
{
    char home[4096], path[4200], buf[64], err[512];
    char *plugin = test_build_path("test_plugin.la");
    size_t len = 0;
    test_result r;

    CU_ASSERT_FATAL(plugin != NULL);
    snprintf(home, sizeof(home), "%s/home-list", test_dir);
    {
        const char *a[] = { "secret", "set", "--plugin", plugin, "zeta", NULL };
        host_run(home, a, NULL, "Leak-Canary-42-zeta\n", &r);
        CU_ASSERT_EQUAL(r.status, 0);
        test_result_free(&r);
    }
    {
        const char *a[] = { "secret", "set", "--plugin", plugin, "app_secret", NULL };
        host_run(home, a, NULL, "Leak-Canary-42-app\n", &r);
        CU_ASSERT_EQUAL(r.status, 0);
        test_result_free(&r);
    }
    /* Another plugin's secret is not listed. */
    snprintf(path, sizeof(path), "%s/secrets.json", home);
    CU_ASSERT_EQUAL(ch_secrets_put(path, "other-plugin/hidden", "x", 1, err, sizeof(err)),
                    ACONN_OK);
    {
        const char *a[] = { "secret", "list", "--plugin", plugin, NULL };
        host_run(home, a, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r.status, 0);
        CU_ASSERT_STRING_EQUAL(r.out, "app_secret\nzeta\n");
        CU_ASSERT_FALSE(leaks(r.out, strlen(r.out)) || leaks(r.err, strlen(r.err)));
        test_result_free(&r);
    }
    {
        const char *a[] = { "secret", "delete", "--plugin", plugin, "zet", NULL };
        host_run(home, a, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r.status, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "no secret 'zet'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "secret list --plugin"));
        test_result_free(&r);
    }
    {
        const char *a[] = { "secret", "delete", "--plugin", plugin, "zeta", NULL };
        host_run(home, a, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r.status, 0);
        test_result_free(&r);
    }
    CU_ASSERT_EQUAL(ch_secrets_get(path, "test-plugin/zeta", buf, sizeof(buf), &len, err,
                                   sizeof(err)), ACONN_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ch_secrets_get(path, "test-plugin/app_secret", buf, sizeof(buf), &len,
                                   err, sizeof(err)), ACONN_OK);
    {
        const char *a[] = { "secret", "delete", "--plugin", plugin, NULL };
        host_run(home, a, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r.status, 2);    /* NAME missing */
        test_result_free(&r);
    }
    {
        const char *a[] = { "secret", "show", "--plugin", plugin, "zeta", NULL };
        host_run(home, a, NULL, NULL, &r);
        CU_ASSERT_EQUAL(r.status, 2);    /* no way to read a value back */
        test_result_free(&r);
    }
    free(plugin);
}

int main(void)
{
    static const ts_test tests[] = {
        {"permissions", test_permissions},
        {"get, put, delete", test_get_put_delete},
        {"concurrent writers", test_concurrent_writers},
        {"CLI secret set; no leaks", test_cli_and_no_leaks},
        {"CLI secret list and delete", test_cli_list_delete},
    };
    static const ts_suite suites[] = {
        {"secrets", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
