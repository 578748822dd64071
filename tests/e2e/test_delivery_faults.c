/*
 * test_delivery_faults.c - deliveries under faults from a seed and a host
 * killed mid-delivery, end to end over HTTPS: rerun until done, each target
 * has exactly one audience and exactly the members computed from the
 * dataset file.
 */
#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "e2e_delivery.h"

extern char **environ;

/* Faults from a seed: rate limits, server errors, dropped connections and
   creates/updates applied with their answers lost. Rerun until done: the
   members are exact and each target has exactly one audience per type. */
static void test_faults_exactly_once(void)
{
    static const char *seeds[] = {"1", "2", "3"};
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        e2e e;
        char faults[256], dataset[E2E_PATH], settings[512];
        e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];
        e2e_out o;
        char *conn;
        int done = 0;

        snprintf(faults, sizeof(faults),
                 "seed=%s,rate_limit=0.1,server_error=0.05,drop=0.02,lost_response=0.2,"
                 "endpoints=dmp/", seeds[s]);
        CU_ASSERT_FATAL(e2e_setup(&e, faults) == 0);
        const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
        snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
        CU_ASSERT_FATAL(e2e_gen(dataset, 8000, 40 + s, 2, 2, 0, 0) == 0);
        snprintf(settings, sizeof(settings),
                 "{\"connection_type\":\"new\",\"audience_name\":\"Faulty\","
                 "\"create_new_for\":[\"%s\",\"%s\"]}", a, b);
        conn = e2e_connect(&e, dataset, settings);
        CU_ASSERT_FATAL(conn != NULL);
        for (int attempt = 0; attempt < 40 && !done; attempt++) {
            CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
            if (o.exit_code != 0 && o.exit_code != 75)
                fprintf(stderr, "deliver under faults: exit %d: %s\n", o.exit_code, o.out);
            CU_ASSERT(o.exit_code == 0 || o.exit_code == 75);
            done = o.exit_code == 0;
            if (getenv("E2E_VERBOSE") && o.json != NULL)
                fprintf(stderr, "attempt %d targets: %s\n", attempt,
                        json_object_to_json_string(ts_json_at(o.json, "plugin.targets")));
            if (!done && getenv("E2E_VERBOSE") && o.json != NULL)
                fprintf(stderr, "attempt %d: %s\n", attempt,
                        json_object_to_json_string(ts_json_at(o.json, "error")));
            e2e_out_free(&o);
        }
        CU_ASSERT(done);
        CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
        {
            e2e_set want[E2E_NTYPES];
            dl_wants_from(dataset, 1, want);
            dl_assert_new_audience(&e, a, "Faulty", want);
            dl_assert_new_audience(&e, b, "Faulty", want);
            e2e_sets_free(want);
        }
        CU_ASSERT(e2e_update_ops(&e, a) <= 24 && e2e_update_ops(&e, b) <= 24);
        if (getenv("E2E_VERBOSE")) {
            char p1[128], *u, *body = NULL;
            long status;
            snprintf(p1, sizeof(p1), "/sandbox/oplog?advertiser_id=%s", a);
            u = ts_sandbox_url(e.sb, p1);
            ts_http_get(u, ts_sandbox_ca_file(e.sb), &status, &body);
            fprintf(stderr, "OPLOG %s\n", body);
            free(u);
            free(body);
        }
        e2e_sets_free(adds);
        e2e_sets_free(removes);
        free(conn);
        e2e_teardown(&e);
    }
}

/* SIGKILL the host at several moments of a delivery, then rerun until it
   completes: nothing committed is lost and no audience is created twice. */
static void test_kill9_then_rerun(void)
{
    static const int kill_after_ms[] = {30, 120, 250, 400, 700};
    e2e e;
    char dataset[E2E_PATH], settings[512], conn_arg[64];
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 60000, 51, 1, 1, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Killed\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, b);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    snprintf(conn_arg, sizeof(conn_arg), "%s", conn);
    for (size_t k = 0; k < sizeof(kill_after_ms) / sizeof(kill_after_ms[0]); k++) {
        const char *argv[] = {getenv("TT_HOST"), "deliver", "--connection", conn_arg,
                              "--home", e.home, "--api-base", ts_sandbox_base_url(e.sb),
                              "--ca-file", ts_sandbox_ca_file(e.sb), NULL};
        posix_spawn_file_actions_t fa;
        struct timespec ts = {0, kill_after_ms[k] * 1000000L};
        pid_t pid;
        int status;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        CU_ASSERT_FATAL(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *) argv,
                                    environ) == 0);
        posix_spawn_file_actions_destroy(&fa);
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    int done = 0;
    for (int attempt = 0; attempt < 10 && !done; attempt++) {
        CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
        done = o.exit_code == 0;
        e2e_out_free(&o);
    }
    CU_ASSERT(done);
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    {
        e2e_set want[E2E_NTYPES];
        dl_wants_from(dataset, 1, want);
        dl_assert_new_audience(&e, a, "Killed", want);
        dl_assert_new_audience(&e, b, "Killed", want);
        e2e_sets_free(want);
    }
    e2e_sets_free(adds);
    e2e_sets_free(removes);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"faults and lost answers: exactly one audience, exact members",
         test_faults_exactly_once},
        {"kill -9 mid-delivery, rerun: same audiences", test_kill9_then_rerun},
    };

    return e2e_run_suite("delivery end to end: faults and kill -9", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
