/*
 * test_oauth_errors.c - every OAuth error of authorize --callback, end to
 * end: a state expired, tampered with, made for another profile or by
 * another home, or used twice; an auth code used twice or missing. Each is
 * refused naming its status band, code and fix, and leaves the real link
 * usable where it still is.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_profiles.h"

#define DAY_MS (24LL * 60 * 60 * 1000)

/* A callback URL with exactly these parameters (NULL = left out). */
static char *make_callback(const char *auth_code, const char *state)
{
    char *cb = malloc(strlen(REDIRECT) + (auth_code ? strlen(auth_code) : 0) +
                      (state ? strlen(state) : 0) + 32);
    CU_ASSERT_FATAL(cb != NULL);
    strcpy(cb, REDIRECT);
    strcat(cb, "?");
    if (auth_code != NULL) {
        strcat(cb, "auth_code=");
        strcat(cb, auth_code);
        if (state != NULL)
            strcat(cb, "&");
    }
    if (state != NULL) {
        strcat(cb, "state=");
        strcat(cb, state);
    }
    return cb;
}

static void test_state_expired(void)
{
    e2e e;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = ep_fresh_callback(&e, "late");
    e.clock_offset_ms = DAY_MS + 60 * 1000;
    ep_complete(&e, "late", cb, &o);
    ep_assert_failure(&o, 1, "auth_flow", "state_expired", "valid for 24 hours");
    CU_ASSERT(ep_has_nocase(o.err, "start again"));
    CU_ASSERT(ep_has(o.err, "--profile late"));
    CU_ASSERT(o.json == NULL);
    e2e_out_free(&o);

    /* Within 24 hours the same link still works. */
    e.clock_offset_ms = DAY_MS - 60 * 1000;
    ep_complete(&e, "late", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(ep_is_str(ts_world_get(o.json, "status"), "connected"));
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

static void test_state_tampered(void)
{
    e2e e;
    e2e_out o;
    char *cb, *code, *state, *bad, *dot;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = ep_fresh_callback(&e, "p2");
    code = ep_query_value(cb, "auth_code");
    state = ep_query_value(cb, "state");
    CU_ASSERT_FATAL(code != NULL && state != NULL);
    dot = strchr(state, '.');
    CU_ASSERT_FATAL(dot != NULL && strlen(dot) > 8);
    /* A middle character of the signature: every bit of it counts. */
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    bad = make_callback(code, state);
    ep_complete(&e, "p2", bad, &o);
    ep_assert_failure(&o, 1, "auth_flow", "state_tampered", "--profile p2");
    e2e_out_free(&o);

    /* The real link is untouched by the attempt. */
    ep_complete(&e, "p2", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    free(bad);
    free(code);
    free(state);
    free(cb);
    e2e_teardown(&e);
}

static void test_state_foreign_profile(void)
{
    e2e e;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = ep_fresh_callback(&e, "alpha");
    ep_complete(&e, "beta", cb, &o);
    ep_assert_failure(&o, 1, "auth_flow", "state_foreign", "--profile alpha");
    CU_ASSERT(ep_has(o.err, "\"beta\""));
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

static void test_state_foreign_home(void)
{
    e2e e, other;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    /* Another installation: its own home, so its own state key. */
    other = e;
    snprintf(other.home, sizeof(other.home), "%s/other-home", e.dir);
    ep_store_app_secrets(&other);
    cb = ep_fresh_callback(&other, "p1");
    ep_complete(&e, "p1", cb, &o);
    ep_assert_failure(&o, 1, "auth_flow", "state_foreign", "--profile p1");
    CU_ASSERT(ep_has(o.err, "another connector installation"));
    e2e_out_free(&o);
    /* A home that never began a flow has no key at all. */
    {
        e2e fresh = e;
        snprintf(fresh.home, sizeof(fresh.home), "%s/fresh-home", e.dir);
        ep_store_app_secrets(&fresh);
        ep_complete(&fresh, "p1", cb, &o);
        ep_assert_failure(&o, 1, "auth_flow", "state_foreign", "--profile p1");
        e2e_out_free(&o);
    }
    /* ...where it does complete. */
    ep_complete(&other, "p1", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

static void test_state_reused(void)
{
    e2e e;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = ep_fresh_callback(&e, "twice");
    ep_complete(&e, "twice", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    ep_complete(&e, "twice", cb, &o);
    ep_assert_failure(&o, 1, "auth_flow", "state_reused", "--profile twice");
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

static void test_auth_code_reused(void)
{
    e2e e;
    e2e_out o;
    char *cb1, *url2, *code1, *state2, *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb1 = ep_fresh_callback(&e, "p2");
    ep_complete(&e, "p2", cb1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    /* A fresh, valid state with the code TikTok already exchanged. */
    url2 = ep_begin(&e, "p2");
    code1 = ep_query_value(cb1, "auth_code");
    state2 = ep_query_value(url2, "state");
    CU_ASSERT_FATAL(code1 != NULL && state2 != NULL);
    cb = make_callback(code1, state2);
    ep_complete(&e, "p2", cb, &o);
    ep_assert_failure(&o, 1, "auth_flow", "auth_code_invalid", "--profile p2");
    e2e_out_free(&o);
    free(cb);
    free(code1);
    free(state2);
    free(url2);
    free(cb1);
    e2e_teardown(&e);
}

static void test_auth_code_missing(void)
{
    e2e e;
    e2e_out o;
    char *cb1, *state, *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb1 = ep_fresh_callback(&e, "p2");
    state = ep_query_value(cb1, "state");
    CU_ASSERT_FATAL(state != NULL);
    cb = make_callback(NULL, state);
    ep_complete(&e, "p2", cb, &o);
    ep_assert_failure(&o, 1, "auth_flow", "auth_code_missing", "--profile p2");
    CU_ASSERT(ep_has(o.err, "Confirm"));
    e2e_out_free(&o);
    /* No state at all: its own code. */
    free(cb);
    cb = make_callback("abc", NULL);
    ep_complete(&e, "p2", cb, &o);
    ep_assert_failure(&o, 1, "auth_flow", "state_missing", "--profile p2");
    e2e_out_free(&o);
    free(cb);
    free(state);
    free(cb1);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"OAuth: expired state (24 hours)", test_state_expired},
        {"OAuth: tampered state", test_state_tampered},
        {"OAuth: state made for another profile", test_state_foreign_profile},
        {"OAuth: state made by another home", test_state_foreign_home},
        {"OAuth: state used twice", test_state_reused},
        {"OAuth: auth code used twice", test_auth_code_reused},
        {"OAuth: no auth code, no state", test_auth_code_missing},
    };

    return ep_run_suite("profiles end to end: OAuth errors", tests,
                        sizeof(tests) / sizeof(tests[0]));
}
