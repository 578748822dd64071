/*
 * test_ops.c - operating the host end to end (issue #20): the TikTok
 * plugin against the sandbox over HTTPS. After a failed and a successful
 * delivery, `connections` and `connections show` (on a terminal and as
 * JSON) show the outcome, its reason, the last delivery and the targets'
 * audience ids; the failed deliver's stderr says why and its fix command
 * runs as printed.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "e2e.h"

/* The advertiser id of the profile's account whose name contains part
   (want 1) or does not (want 0). */
static const char *account(e2e *e, const char *part, int want)
{
    json_object *list = ts_json_at(e->profile_status, "ad_accounts");

    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *a = json_object_array_get_idx(list, i);
        const char *name = ts_world_get(a, "name");
        if (name != NULL && (strstr(name, part) != NULL) == want)
            return ts_world_get(a, "advertiser_id");
    }
    return NULL;
}

/* Runs the "connector-host ..." command printed at text (to "(", ";" or
   the line's end) through e2e_host, which adds the sandbox options. */
static int run_printed(e2e *e, const char *text, e2e_out *o)
{
    const char *p = strstr(text, "connector-host ");
    char cmd[2048], *save = NULL, *tok;
    const char *args[32];
    size_t n = 0;

    if (p == NULL)
        return -1;
    p += strlen("connector-host ");
    snprintf(cmd, sizeof(cmd), "%.*s", (int) strcspn(p, "(;\n"), p);
    for (tok = strtok_r(cmd, " ", &save); tok != NULL && n < 30; tok = strtok_r(NULL, " ", &save))
        args[n++] = tok;
    args[n] = NULL;
    return e2e_host(e, o, args);
}

/* Connect checked the room (398 + 1); the marketer then fills the
   account to TikTok's 400 before the first run. */
static void fill_account(e2e *e, const char *crowded)
{
    for (int i = 0; i < 2; i++) {
        char name[32], id[32];
        e2e_set members;
        snprintf(name, sizeof(name), "Marketer %d", i);
        CU_ASSERT_FATAL(e2e_make_existing_audience(e, crowded, name, 1000, id, &members) == 0);
        e2e_set_free(&members);
    }
}

/* A partial deliver (the account is full: that target is behind): the
   reason and the fix on stderr, not only in JSON. */
static void check_partial_deliver(e2e *e, const char *bad)
{
    e2e_out o;
    const char *fix;

    CU_ASSERT_FATAL(e2e_deliver(e, bad, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 5);
    CU_ASSERT(strstr(o.err, "connector-host: deliver ") != NULL);
    CU_ASSERT(strstr(o.err, "audience_limit") != NULL);
    fix = strstr(o.err, "connector-host connections show c_");
    CU_ASSERT_PTR_NOT_NULL(fix);
    fprintf(stderr, "\n--- stderr of the failed deliver ---\n%s", o.err);
    if (fix != NULL) {
        e2e_out f;
        CU_ASSERT(run_printed(e, fix, &f) == 0);
        CU_ASSERT_EQUAL(f.exit_code, 0);
        CU_ASSERT(f.out != NULL && strstr(f.out, "audience_limit") != NULL);
        e2e_out_free(&f);
    }
    e2e_out_free(&o);
}

/* `connections show --json`: the good one delivered to plain's audience,
   the bad one with a reason and no finished delivery. */
static void check_show_json(e2e *e, const char *good, const char *bad, const char *plain)
{
    e2e_out o;

    {
        const char *args[] = {"connections", "show", good, "--json", NULL};
        CU_ASSERT_FATAL(e2e_host(e, &o, args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "last_run.status"), "delivered");
        CU_ASSERT_PTR_NOT_NULL(ts_world_get(o.json, "last_delivery.finished_at"));
        CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "targets.0.advertiser_id"), plain);
        CU_ASSERT(ts_world_get(o.json, "targets.0.audience_id") != NULL
                  && ts_world_get(o.json, "targets.0.audience_id")[0] != '\0');
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"connections", "show", bad, "--json", NULL};
        CU_ASSERT_FATAL(e2e_host(e, &o, args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(ts_world_get(o.json, "last_run.reason") != NULL);
        CU_ASSERT_PTR_NULL(ts_world_get(o.json, "last_delivery.finished_at"));
        e2e_out_free(&o);
    }
}

/* On a terminal (forced, as gh's GH_FORCE_TTY): what a person sees. */
static void check_terminal(e2e *e, const char *bad)
{
    e2e_out o;

    setenv("CONNECTOR_HOST_FORCE_TTY", "1", 1);
    {
        const char *args[] = {"connections", NULL};
        CU_ASSERT_FATAL(e2e_host(e, &o, args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(strstr(o.out, "last outcome   delivered") != NULL);
        CU_ASSERT(strstr(o.out, "reason ") != NULL);
        CU_ASSERT(strstr(o.out, "audience ") != NULL);
        fprintf(stderr, "--- connector-host connections ---\n%s", o.out);
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"connections", "show", bad, NULL};
        CU_ASSERT_FATAL(e2e_host(e, &o, args) == 0);
        fprintf(stderr, "--- connector-host connections show %s ---\n%s", bad, o.out);
        e2e_out_free(&o);
    }
    unsetenv("CONNECTOR_HOST_FORCE_TTY");
}

static void test_connections_after_failure_and_success(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH];
    const char *crowded, *plain;
    char *bad, *good;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    crowded = account(&e, "Crowded", 1);   /* 398 audiences */
    plain = account(&e, "Crowded", 0);
    CU_ASSERT_FATAL(crowded != NULL && plain != NULL);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 1500, 7, 0, 0, 0, 0) == 0);
    bad = e2e_connect_new(&e, dataset, "Ops full", crowded, NULL);
    good = e2e_connect_new(&e, dataset, "Ops buyers", plain, NULL);
    CU_ASSERT_FATAL(bad != NULL && good != NULL);
    fill_account(&e, crowded);
    check_partial_deliver(&e, bad);

    CU_ASSERT_FATAL(e2e_deliver(&e, good, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);

    check_show_json(&e, good, bad, plain);
    check_terminal(&e, bad);
    free(bad);
    free(good);
    e2e_teardown(&e);
}

/* A refused completion (a link of no use: its state tampered with): the
   plugin's "Start again with" names the command, and the host completes it
   with --plugin, so it runs as printed. */
static void test_refused_authorize_fix_runs(void)
{
    e2e e;
    e2e_out o;
    const char *fix;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    {
        const char *args[] = {"authorize", "--plugin", getenv("TT_PLUGIN"), "--profile", "p2",
                              "--callback",
                              "https://127.0.0.1/callback?auth_code=x&state=tampered", NULL};
        CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
    }
    CU_ASSERT_EQUAL(o.exit_code, 1);
    fix = o.err != NULL ? strstr(o.err, "connector-host authorize ") : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(fix);
    CU_ASSERT_EQUAL(strncmp(fix, "connector-host authorize --plugin ", 34), 0);
    {
        e2e_out f;
        CU_ASSERT(run_printed(&e, fix, &f) == 0);
        if (f.exit_code != 0)
            fprintf(stderr, "printed fix: %s\n", f.err);
        CU_ASSERT_EQUAL(f.exit_code, 0);
        CU_ASSERT(f.out != NULL && strncmp(f.out, "https://", 8) == 0);
        e2e_out_free(&f);
    }
    e2e_out_free(&o);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"connections after a failed and a successful delivery",
         test_connections_after_failure_and_success},
        {"a refused authorize prints a fix that runs", test_refused_authorize_fix_runs},
    };

    return e2e_run_suite("operating the host end to end", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
