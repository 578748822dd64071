/*
 * test_crash_resume.c - crash and resume: the host SIGKILLs itself at
 * deterministic points of a delivery (test hooks of the reference host),
 * then the delivery is rerun; connector-host + the plugin + the TikTok
 * sandbox over HTTPS. Then the checks of e2e_reliability.h: nothing lost or
 * doubled, the daily budget kept.
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_reliability.h"

#define REL_KILLED (128 + SIGKILL)

/* One deliver with a kill hook set to n. Returns the exit code. */
static int deliver_with_hook(e2e *e, const char *conn, const char *hook, int n)
{
    char value[16];
    e2e_out o;
    int code;

    snprintf(value, sizeof(value), "%d", n);
    CU_ASSERT_FATAL(setenv(hook, value, 1) == 0);
    CU_ASSERT_FATAL(rel_deliver(e, conn, &o) == 0);
    unsetenv(hook);
    code = o.exit_code;
    e2e_out_free(&o);
    return code;
}

/* A kill point: the hook, its N, and whether it hits the connection's first
   run (spool, upload, intent, create, audience record, REMOVE update) or its
   second (spool, upload, APPEND and REMOVE updates). */
typedef struct kill_point {
    const char *hook;
    int n;
    int second_run;
} kill_point;

#define KILL_WRITE "CONNECTOR_HOST_TEST_KILL_BEFORE_WRITE"
#define KILL_CHUNK "CONNECTOR_HOST_TEST_KILL_AT_CHUNK"

/*
 * For each point, a fresh connection (two Ad Accounts, four identifier
 * types) is delivered up to the point, where the host SIGKILLs itself; the
 * kill must happen. Then deliver is rerun until the run completes: every
 * audience holds exactly the dataset's members, once.
 */
static void test_crash_and_resume(void)
{
    /* The plugin's state writes of a run with 2 Ad Accounts (one
       MULTIPLE_TYPES audience each), in order (traced from the host): in
       the first run, write 1 decides the connection's layout (at BEGIN);
       2-5 record the 4 uploads (an add and a remove file x 2 accounts, the
       accounts in parallel); then per target: intent, [create], audience
       record, claim, intent cleared, run record (6-10 for the first
       target, 11-15 the second; no REMOVE after a create); 16 drops the
       run record. In the second run: 1-4 the uploads, then per audience
       and action: budget reservation, [update], run record (5-6 APPEND,
       7-8 REMOVE of the first audience, 9-12 the second's). */
    static const kill_point points[] = {
        /* First run. */
        {KILL_CHUNK, 1, 0}, {KILL_CHUNK, 2, 0},        /* spooling */
        {KILL_WRITE, 1, 0},                            /* before the layout is recorded */
        {KILL_WRITE, 2, 0}, {KILL_WRITE, 4, 0},        /* between uploads */
        {KILL_WRITE, 6, 0},                            /* before the first intent */
        {KILL_WRITE, 7, 0},                            /* between create and its record */
        {KILL_WRITE, 8, 0}, {KILL_WRITE, 9, 0},        /* record written, claim / intent not */
        {KILL_WRITE, 10, 0},                           /* before the create's run record */
        {KILL_WRITE, 11, 0},                           /* before the second intent */
        {KILL_WRITE, 12, 0},                           /* second create, before its record */
        {KILL_WRITE, 14, 0},                           /* second intent not cleared */
        {KILL_WRITE, 16, 0},                           /* done, run record not dropped */
        /* Second run. */
        {KILL_CHUNK, 1, 1},                            /* spooling */
        {KILL_WRITE, 1, 1}, {KILL_WRITE, 3, 1},        /* uploads */
        {KILL_WRITE, 5, 1},                            /* before the first reservation */
        {KILL_WRITE, 6, 1},                            /* APPEND applied, not recorded */
        {KILL_WRITE, 8, 1},                            /* REMOVE applied, not recorded */
        {KILL_WRITE, 10, 1},                           /* other account's APPEND, ditto */
    };
    e2e e;
    const char *acc[2];
    int kills = 0;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    acc[0] = e2e_account(&e, 0, "Crowded");
    acc[1] = e2e_account(&e, 1, "Crowded");
    CU_ASSERT_FATAL(acc[0] != NULL && acc[1] != NULL);
    for (size_t p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
        char dataset[E2E_PATH], settings[512], name[32];
        char *conn;
        int code;

        /* A fresh day: the killed attempts' update reservations are never
           given back (tt_budget.h), so each point gets its own budget. */
        rel_next_day(&e);
        snprintf(name, sizeof(name), "Kill%02zu", p);
        snprintf(dataset, sizeof(dataset), "%s/%s.jsonl", e.dir, name);
        CU_ASSERT_FATAL(e2e_gen(dataset, 4500, 500 + p, 1, 1, 0, 0) == 0);
        snprintf(settings, sizeof(settings),
                 "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
                 "\"create_new_for\":[\"%s\",\"%s\"]}", name, acc[0], acc[1]);
        conn = rel_connect_dataset(&e, name, dataset, settings);
        CU_ASSERT_FATAL(conn != NULL);
        if (points[p].second_run) {
            CU_ASSERT(rel_deliver_until_done(&e, conn, 5) > 0);
            rel_next_day(&e);
            CU_ASSERT_FATAL(e2e_gen(dataset, 900, 600 + p, 1, 10, 0, 1) == 0);
        }
        code = deliver_with_hook(&e, conn, points[p].hook, points[p].n);
        if (rel_verbose())
            fprintf(stderr, "%s=%d in run %d: exit %d\n", points[p].hook, points[p].n,
                    points[p].second_run + 1, code);
        CU_ASSERT_EQUAL(code, REL_KILLED);     /* the kill happened */
        kills += code == REL_KILLED;
        CU_ASSERT(rel_deliver_until_done(&e, conn, 10) > 0);
        rel_assert_new_audiences(&e, dataset, name, acc, 2);
        rel_assert_budget(&e, acc, 2);
        free(conn);
    }
    fprintf(stderr, "\ncrash and resume: %d kills survived\n", kills);
    CU_ASSERT(kills >= 21);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"SIGKILL at deterministic points, rerun: nothing lost or doubled",
         test_crash_and_resume},
    };

    return e2e_run_suite("reliability end to end: crash and resume", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
