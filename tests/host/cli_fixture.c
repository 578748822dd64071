/*
 * cli_fixture.c - the fixture test_cli and test_cli_runs share (see
 * cli_fixture.h).
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_fixture.h"

int fx_init(fx *f, const char *data, const char *settings)
{
    return fx_make(f, "cli", data, settings);
}

/* Runs connector-host ARGS... (NULL-terminated) --home HOME with the test
   plugin in `mode`. */
void host(fx *f, const char *mode, const char *input, test_result *r, ...)
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
char *connect_fx_at(fx *f, const char *mode, const char *api_base, const char *ca_file)
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

char *connect_fx(fx *f, const char *mode)
{
    return connect_fx_at(f, mode, NULL, NULL);
}
