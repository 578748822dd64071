/*
 * ops_fixture.c - the fixture test_ops and test_ops_state share (see
 * ops_fixture.h).
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_fixture.h"

int fx_init(fx *f)
{
    return fx_make(f, "ops", "{\"e\":{\"value\":\"a\"}}\n{\"e\":{\"value\":\"b\"}}\n",
                   "{\"audience_name\":\"A\"}");
}

void runv(fx *f, const char *const *env, test_result *r, const char *const *args)
{
    test_host(f->home, env, NULL, args, r);
}

void host(fx *f, const char *mode, test_result *r, ...)
{
    const char *args[40];
    char envmode[128];
    const char *env[] = { envmode, NULL };
    va_list ap;
    int n = 0;

    snprintf(envmode, sizeof(envmode), "CH_TEST_PLUGIN_MODE=%s", mode != NULL ? mode : "ok");
    va_start(ap, r);
    while (n < 39 && (args[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    args[n] = NULL;
    runv(f, env, r, args);
}

int is_iso_utc(const char *s)
{
    regex_t re;
    int ok;

    if (regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                REG_EXTENDED | REG_NOSUB) != 0)
        return 0;
    ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

void authorize(fx *f, const char *profile, const char *base)
{
    test_result r;

    host(f, NULL, &r, "authorize", "--plugin", f->plugin, "--profile", profile,
         "--callback", GOOD_CALLBACK, base != NULL ? "--api-base" : NULL, base, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
}

char *connect_fx(fx *f, const char *profile)
{
    test_result r;
    char *id;

    /* connect refuses a profile that is not connected (#19): authorize it. */
    host(f, NULL, &r, "authorize", "--plugin", f->plugin, "--profile", profile, "--callback",
         "https://127.0.0.1/callback?code=good", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
    host(f, NULL, &r, "connect", "--plugin", f->plugin, "--profile", profile, "--dataset",
         f->dataset, "--settings", f->settings, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    id = strndup(r.out, strcspn(r.out, "\n"));
    test_result_free(&r);
    return id;
}
