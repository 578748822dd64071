/*
 * test_targets_idle.c - targets that are behind, between and without new
 * rows (issue #18): a deliver with no new rows says partial while a target
 * is behind, and catches a recovered one up; a target never created
 * because the profile cannot reach its Ad Account (TikTok 40106) costs no
 * call while nothing changed, only an access probe an hour later or after
 * the profile was looked at again (authorize --status, as the fix
 * says); a catch-up with no new rows that meets a revoked token ends as a
 * reauthorize, the profile marked. connector-host + the plugin + the
 * sandbox over HTTPS; calls are counted per Ad Account by the sandbox.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#include <CUnit/Basic.h>

#include "e2e.h"

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static char *connect_two(e2e *e, const char *dataset, const char *name, const char *a,
                         const char *b)
{
    char text[512];

    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", name, a, b);
    return e2e_connect(e, dataset, text);
}

/* deliver; the exit code, with the report's top-level target of adv's
   state in state (may be NULL). */
static int deliver(e2e *e, const char *conn, const char *adv, char *state, size_t len)
{
    e2e_out o;
    int rc;

    if (e2e_deliver(e, conn, &o) != 0)
        return -1;
    rc = o.exit_code;
    if (state != NULL) {
        json_object *t = e2e_target_of(o.json, "", adv);
        snprintf(state, len, "%s", t != NULL ? ts_world_get(t, "state") : "(none)");
    }
    if (rc != 0 && rc != 5)
        fprintf(stderr, "deliver exit %d: %s\n%s\n", rc, o.out ? o.out : "", o.err ? o.err : "");
    e2e_out_free(&o);
    return rc;
}

/* A fixture with a new connection `name` to the first two Crowded
   accounts (*a, *b) over rows generated rows (seed) in dataset: its id. */
static char *two_targets(e2e *e, char *dataset, unsigned long rows, unsigned long seed,
                         const char *name, const char **a, const char **b)
{
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(e, NULL) == 0);
    *a = e2e_account(e, 0, "Crowded");
    *b = e2e_account(e, 1, "Crowded");
    snprintf(dataset, E2E_PATH, "%s/data.jsonl", e->dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, rows, seed, 1, 2, 0, 0) == 0);
    conn = connect_two(e, dataset, name, *a, *b);
    CU_ASSERT_FATAL(conn != NULL);
    return conn;
}

/* Delivered once, then b's role revoked and rows (seed) appended: the
   next deliver is partial, b behind. */
static void make_behind(e2e *e, const char *conn, const char *b, const char *dataset,
                        unsigned long rows, unsigned long seed)
{
    char state[32];

    CU_ASSERT_EQUAL(deliver(e, conn, b, NULL, 0), 0);
    CU_ASSERT_FATAL(e2e_set_role(e, b, NULL) == 0);
    CU_ASSERT_FATAL(e2e_gen(dataset, rows, seed, 1, 2, 0, 1) == 0);
    CU_ASSERT_EQUAL(deliver(e, conn, b, state, sizeof(state)), 5);
    CU_ASSERT_STRING_EQUAL(state, "behind");
}

/* Both audiences `name` hold exactly the dataset, and a was sent no
   update since it had ops_a. */
static void assert_caught_up(e2e *e, const char *a, const char *b, const char *name,
                             const char *dataset, int ops_a)
{
    CU_ASSERT(e2e_exact(e, b, name, dataset, NULL));
    CU_ASSERT(e2e_exact(e, a, name, dataset, NULL));
    CU_ASSERT_EQUAL(e2e_update_ops(e, a), ops_a);
}

/* A role revoked after the audience was made, then restored while the
   dataset does not grow: the deliver with no new rows says partial while
   it is behind (one probe), and catches it up once it answers; the other
   account is sent nothing. */
static void test_recovers_without_new_rows(void)
{
    e2e e;
    char dataset[E2E_PATH], state[32];
    const char *a, *b;
    char *conn;

    conn = two_targets(&e, dataset, 3000, 121, "Idle", &a, &b);
    make_behind(&e, conn, b, dataset, 1500, 122);
    CU_ASSERT(e2e_exact(&e, a, "Idle", dataset, NULL));

    /* No new rows, b still without a role: partial, not up_to_date. */
    int ops_a = e2e_update_ops(&e, a);
    long calls_b = e2e_requests_for(&e, b);
    CU_ASSERT_EQUAL(deliver(&e, conn, b, state, sizeof(state)), 5);
    CU_ASSERT_STRING_EQUAL(state, "behind");
    CU_ASSERT(e2e_requests_for(&e, b) - calls_b <= 1);   /* its probe */
    {
        /* On a terminal: behind since when, how many rows it misses. */
        e2e_out o;
        char want[96];
        const char *args[] = {"connections", "show", conn, NULL};
        setenv("CONNECTOR_HOST_FORCE_TTY", "1", 1);
        CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
        unsetenv("CONNECTOR_HOST_FORCE_TTY");
        snprintf(want, sizeof(want), "advertiser %s audience ", b);
        CU_ASSERT_PTR_NOT_NULL(o.out != NULL ? strstr(o.out, want) : NULL);
        CU_ASSERT_PTR_NOT_NULL(o.out != NULL ? strstr(o.out, " behind since 20") : NULL);
        CU_ASSERT_PTR_NOT_NULL(o.out != NULL ? strstr(o.out, "missing rows 1500") : NULL);
        e2e_out_free(&o);
    }

    /* Restored, still no new rows: caught up exactly; a sent nothing. */
    CU_ASSERT_FATAL(e2e_set_role(&e, b, "ADMIN") == 0);
    CU_ASSERT_EQUAL(deliver(&e, conn, b, state, sizeof(state)), 0);
    CU_ASSERT_STRING_EQUAL(state, "healthy");
    assert_caught_up(&e, a, b, "Idle", dataset, ops_a);

    /* Healthy again and nothing new: up to date, no call at all. */
    {
        e2e_out o;
        long calls = e2e_requests_to(&e, "/open_api/");
        CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "status"), "up_to_date");
        e2e_out_free(&o);
        CU_ASSERT_EQUAL(e2e_requests_to(&e, "/open_api/"), calls);
    }
    /* connections shows both targets healthy (the catch-up was recorded). */
    {
        e2e_out o;
        const char *args[] = {"connections", "show", conn, "--json", NULL};
        CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
        json_object *t = e2e_target_of(o.json, "", b);
        CU_ASSERT(t != NULL && strcmp(ts_world_get(t, "state"), "healthy") == 0);
        e2e_out_free(&o);
    }
    free(conn);
    e2e_teardown(&e);
}

static int is(const char *s, const char *want)
{
    return s != NULL && strcmp(s, want) == 0;
}

/* The user cancels the app's authorization while a target is behind and
   the dataset does not grow: the deliver's catch-up meets TikTok's 40105
   and ends as any deliver that meets it (exit 3, "reauthorize", the fix
   runnable as printed), the profile marked, so the next deliver asks for
   the authorization before any call; the target is still behind for the
   catch-up after it. */
static void test_catch_up_meets_revoked_token(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], body[128], want[E2E_PATH + 64];
    const char *a, *b;
    char *conn;

    conn = two_targets(&e, dataset, 2000, 151, "Revoked", &a, &b);
    make_behind(&e, conn, b, dataset, 600, 152);

    snprintf(body, sizeof(body), "{\"user_id\":\"%s\"}", e.user_id);
    CU_ASSERT_EQUAL_FATAL(e2e_ctl_post(&e, "/sandbox/tokens/revoke", body), 200);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 3);
    CU_ASSERT(is(ts_world_get(o.json, "status"), "reauthorize"));
    CU_ASSERT(is(ts_world_get(o.json, "error.code"), "token_invalid"));
    snprintf(want, sizeof(want), "fix: connector-host authorize --plugin %s --profile %s",
             plugin(), e.profile);
    CU_ASSERT_PTR_NOT_NULL(o.err != NULL ? strstr(o.err, want) : NULL);
    if (o.exit_code != 3 || getenv("E2E_VERBOSE") != NULL)
        fprintf(stderr, "deliver exit %d: %s\n%s\n", o.exit_code, o.out ? o.out : "",
                o.err ? o.err : "");
    e2e_out_free(&o);

    /* Marked: refused before any call, naming the fix. */
    long calls = e2e_requests_to(&e, "/open_api/");
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 3);
    CU_ASSERT_PTR_NOT_NULL(o.err != NULL ? strstr(o.err, "must be authorized again") : NULL);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "/open_api/"), calls);
    {
        const char *args[] = {"connections", "show", conn, "--json", NULL};
        CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
        json_object *t = e2e_target_of(o.json, "", b);
        CU_ASSERT(t != NULL && is(ts_world_get(t, "state"), "behind"));
        e2e_out_free(&o);
    }
    free(conn);
    e2e_teardown(&e);
}

/* Runs the command the target's fix names ("connector-host authorize
   --plugin ... --status": it looks at the profile's accounts again, so its
   record is rewritten), as a person does after an Admin restored the role. */
static void run_fix(e2e *e, const char *conn, const char *adv)
{
    e2e_out o, f;
    const char *args[] = {"connections", "show", conn, "--json", NULL};
    const char *fix, *cmd;
    char line[1024], *save = NULL, *tok;
    const char *argv[16];
    size_t n = 0;

    CU_ASSERT_FATAL(e2e_host(e, &o, args) == 0);
    json_object *t = e2e_target_of(o.json, "", adv);
    fix = t != NULL ? ts_world_get(t, "fix") : NULL;
    cmd = fix != NULL ? strstr(fix, "connector-host authorize ") : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
    snprintf(line, sizeof(line), "%.*s", (int) strcspn(cmd, ",;("), cmd);
    for (tok = strtok_r(line, " ", &save); tok != NULL && n < 15; tok = strtok_r(NULL, " ", &save))
        if (strcmp(tok, "connector-host") != 0)
            argv[n++] = tok;
    argv[n] = NULL;
    /* The fix as stored names no plugin (the host adds it when printing). */
    CU_ASSERT_STRING_EQUAL(argv[0], "authorize");
    const char *full[20] = {"authorize", "--plugin", plugin()};
    for (size_t i = 1; i <= n; i++)
        full[i + 2] = argv[i];
    CU_ASSERT_FATAL(e2e_host(e, &f, full) == 0);
    if (f.exit_code != 0)
        fprintf(stderr, "%s: %s\n%s\n", cmd, f.out ? f.out : "", f.err ? f.err : "");
    CU_ASSERT_EQUAL(f.exit_code, 0);
    e2e_out_free(&f);
    e2e_out_free(&o);
}

/* The profile has no role on b from the start: b's audience is never
   created. While nothing changes, deliveries cost b no call (no upload, no
   create); an hour later one access probe; after the role is restored and
   the profile looked at again, the next deliver creates b's audience with
   every row, and a is not sent anything twice. */
static void test_never_created_waits_for_access(void)
{
    e2e e;
    char dataset[E2E_PATH], state[32];
    const char *a, *b;
    char *conn;
    long calls_b;

    conn = two_targets(&e, dataset, 2500, 131, "Access", &a, &b);
    CU_ASSERT_FATAL(e2e_set_role(&e, b, NULL) == 0);
    {
        /* The HTTP layer's warning names the account and its fix, not
           "reauthorize" (the profile stays connected for a). */
        e2e_out o;
        char want[128];
        CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 5);
        snprintf(want, sizeof(want), "code 40106 request_id ");
        CU_ASSERT_PTR_NOT_NULL(o.err != NULL ? strstr(o.err, want) : NULL);
        snprintf(want, sizeof(want), "has no role on Ad Account %s (that account only", b);
        CU_ASSERT_PTR_NOT_NULL(o.err != NULL ? strstr(o.err, want) : NULL);
        CU_ASSERT_PTR_NULL(o.err != NULL ? strstr(o.err, ": reauthorize") : "");
        json_object *t = e2e_target_of(o.json, "", b);
        CU_ASSERT(t != NULL && strcmp(ts_world_get(t, "state"), "behind") == 0);
        e2e_out_free(&o);
    }
    CU_ASSERT_EQUAL(e2e_audiences_named(&e, b, "Access", NULL), 0);
    calls_b = e2e_requests_for(&e, b);
    CU_ASSERT(calls_b > 0);

    /* New rows twice, then none: a gets them; b costs nothing. */
    for (int run = 0; run < 3; run++) {
        if (run < 2)
            CU_ASSERT_FATAL(e2e_gen(dataset, 700, 132 + run, 1, 2, 0, 1) == 0);
        CU_ASSERT_EQUAL(deliver(&e, conn, b, state, sizeof(state)), 5);
        CU_ASSERT_STRING_EQUAL(state, "behind");
        CU_ASSERT_EQUAL(e2e_requests_for(&e, b), calls_b);
    }
    CU_ASSERT(e2e_exact(&e, a, "Access", dataset, NULL));

    /* An hour on: one cheap probe (custom_audience/list), still refused. */
    e.clock_offset_ms += 61LL * 60 * 1000;
    long lists = e2e_requests_to(&e, "custom_audience/list");
    CU_ASSERT_EQUAL(deliver(&e, conn, b, state, sizeof(state)), 5);
    CU_ASSERT_STRING_EQUAL(state, "behind");
    CU_ASSERT_EQUAL(e2e_requests_for(&e, b), calls_b + 1);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "custom_audience/list"), lists + 1);
    calls_b = e2e_requests_for(&e, b);
    CU_ASSERT_EQUAL(deliver(&e, conn, b, state, sizeof(state)), 5);
    CU_ASSERT_EQUAL(e2e_requests_for(&e, b), calls_b);

    /* The role comes back and the profile is looked at again: the next
       deliver (no new rows) probes at once and creates b with every row. */
    CU_ASSERT_FATAL(e2e_set_role(&e, b, "ADMIN") == 0);
    run_fix(&e, conn, b);
    int ops_a = e2e_update_ops(&e, a);
    CU_ASSERT_EQUAL(deliver(&e, conn, b, state, sizeof(state)), 0);
    CU_ASSERT_STRING_EQUAL(state, "healthy");
    assert_caught_up(&e, a, b, "Access", dataset, ops_a);
    free(conn);
    e2e_teardown(&e);
}

/* Runs `connector-host worker --poll-ms 100` for about ms milliseconds
   (the fixture's options), then stops it with SIGTERM; its exit code. */
static int worker_for(e2e *e, long ms)
{
    const char *argv[24];
    char offset[32];
    size_t n = 0;
    pid_t pid;
    int status = 0;
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};

    argv[n++] = getenv("TT_HOST");
    argv[n++] = "worker";
    argv[n++] = "--poll-ms";
    argv[n++] = "100";
    argv[n++] = "--home";
    argv[n++] = e->home;
    argv[n++] = "--api-base";
    argv[n++] = ts_sandbox_base_url(e->sb);
    argv[n++] = "--ca-file";
    argv[n++] = ts_sandbox_ca_file(e->sb);
    if (e->clock_offset_ms != 0) {
        snprintf(offset, sizeof(offset), "%lld", e->clock_offset_ms);
        argv[n++] = "--clock-offset-ms";
        argv[n++] = offset;
    }
    argv[n] = NULL;
    if (posix_spawn(&pid, argv[0], NULL, NULL, (char *const *) argv, environ) != 0)
        return -1;
    nanosleep(&pause, NULL);
    kill(pid, SIGTERM);
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The worker visits every connection each poll: with no new rows it tries
   a behind target at most every 15 minutes (one probe), while the
   connection stays due (new rows go out at once); a worker whose clock is
   past that catches the target up. */
static void test_worker_waits_between_tries(void)
{
    e2e e;
    char dataset[E2E_PATH];
    const char *a, *b;
    char *conn;
    long calls_b;

    conn = two_targets(&e, dataset, 2000, 141, "Worker", &a, &b);
    make_behind(&e, conn, b, dataset, 800, 142);

    /* About 15 polls in 1.5 s: one probe of b, not one per poll. */
    calls_b = e2e_requests_for(&e, b);
    CU_ASSERT_EQUAL(worker_for(&e, 1500), 0);
    CU_ASSERT_EQUAL(e2e_requests_for(&e, b), calls_b + 1);

    /* Restored, and a worker 16 minutes on: caught up; a sent nothing. */
    CU_ASSERT_FATAL(e2e_set_role(&e, b, "ADMIN") == 0);
    int ops_a = e2e_update_ops(&e, a);
    e.clock_offset_ms += 16LL * 60 * 1000;
    CU_ASSERT_EQUAL(worker_for(&e, 1500), 0);
    assert_caught_up(&e, a, b, "Worker", dataset, ops_a);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"a behind target: partial with no new rows, caught up when it answers",
         test_recovers_without_new_rows},
        {"a target never created for want of access costs no call until a probe is due",
         test_never_created_waits_for_access},
        {"the worker tries a behind target with no new rows every 15 minutes",
         test_worker_waits_between_tries},
        {"a catch-up that meets a revoked token asks to authorize the profile again",
         test_catch_up_meets_revoked_token},
    };

    return e2e_run_suite("targets between runs", tests, sizeof(tests) / sizeof(tests[0]));
}
