/*
 * test_worker.c - connector-host worker end to end (issue #12): several
 * worker processes over one throwaway PostgreSQL ew_cluster and the sandbox
 * over HTTPS. Every run is delivered once, no connection twice at a time,
 * audiences exact (computed from the datasets, e2e_changes); a worker
 * killed in the middle of a run is finished by another after the lease
 * expires; pause, resume and disconnect; an unreachable database is a
 * retry-later naming the server. SKIP (77) where PostgreSQL is not
 * installed.
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "e2e.h"
#include "e2e_worker.h"


#define NCONN 6
#define NWORKERS 3

static void test_workers_deliver_each_run_once(void)
{
    e2e e;
    char data[NCONN][E2E_PATH], names[NCONN][16], paths[NWORKERS][E2E_PATH];
    const char *adv[NCONN];
    char *conn[NCONN];

    ew_fresh_database("w_once");
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    for (int i = 0; i < NCONN; i++) {
        adv[i] = e2e_account(&e, (size_t) i % 3, "Crowded");
        CU_ASSERT_FATAL(adv[i] != NULL);
        snprintf(data[i], sizeof(data[i]), "%s/w%d.jsonl", e.dir, i);
        snprintf(names[i], sizeof(names[i]), "W%d", i);
        CU_ASSERT_FATAL(e2e_gen(data[i], 1000, 100 + (unsigned long) i, 0, 5, 0, 0) == 0);
        conn[i] = e2e_connect_new(&e, data[i], names[i], adv[i], NULL);
        CU_ASSERT_FATAL(conn[i] != NULL);
    }
    for (int round = 0; round < 2; round++) {
        ew_round(&e, "worker", round, NWORKERS, "5000", 240, paths);
        for (int i = 0; i < NCONN; i++) {
            CU_ASSERT_EQUAL(ew_count_lines(paths, NWORKERS, conn[i], "delivered"), 1);
            ew_assert_exact(&e, adv[i], names[i], data[i]);
        }
        ew_assert_no_overlap();
        /* New rows between rounds. */
        for (int i = 0; round == 0 && i < NCONN; i++)
            CU_ASSERT_FATAL(e2e_gen(data[i], 200, 200 + (unsigned long) i, 0, 5, 0, 1) == 0);
    }
    for (int i = 0; i < NCONN; i++)
        free(conn[i]);
    e2e_teardown(&e);
}

/* Waits (30 s) until a worker's output has a delivered line for id. */
static int wait_delivered(char path[][E2E_PATH], const char *id)
{
    for (int i = 0; i < 300; i++) {
        if (ew_count_lines(path, 1, id, "delivered") > 0)
            return 0;
        struct timespec ts = { 0, 100000000L };
        nanosleep(&ts, NULL);
    }
    return -1;
}

static void test_killed_worker_finished_by_another(void)
{
    e2e e;
    char data[E2E_PATH], out[2][E2E_PATH], *res = NULL, sql[256];
    const char *once[] = {"--once", "--lease-ms", "2000", "--poll-ms", "100", NULL};
    const char *loop[] = {"--lease-ms", "2000", "--poll-ms", "200", NULL};
    const char *adv;
    char *conn;
    pid_t a, b;

    ew_fresh_database("w_kill");
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    adv = e2e_account(&e, 0, "Crowded");
    snprintf(data, sizeof(data), "%s/k.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(data, 300, 77, 0, 0, 0, 0) == 0);
    conn = e2e_connect_new(&e, data, "K", adv, NULL);
    CU_ASSERT_FATAL(conn != NULL);
    /* Worker A dies by SIGKILL before its 4th state write, mid-run. */
    snprintf(out[0], sizeof(out[0]), "%s/killed.out", e.dir);
    a = ew_spawn_worker(&e, out[0], once, "CONNECTOR_HOST_TEST_KILL_BEFORE_WRITE=4");
    CU_ASSERT_EQUAL(ew_wait_worker(a, 120), 128 + SIGKILL);
    /* Worker B waits for A's lease to expire, then resumes the run. */
    snprintf(out[1], sizeof(out[1]), "%s/rescuer.out", e.dir);
    b = ew_spawn_worker(&e, out[1], loop, NULL);
    CU_ASSERT_FATAL(b > 0);
    CU_ASSERT_EQUAL(wait_delivered(&out[1], conn), 0);
    kill(b, SIGTERM);
    CU_ASSERT_EQUAL(ew_wait_worker(b, 30), 0);
    ew_assert_exact(&e, adv, "K", data);
    /* The same run, attempt 2, finished it; attempt 1 never ended. */
    snprintf(sql, sizeof(sql), "SELECT string_agg(attempt || ':' || status, ',' ORDER BY"
             " attempt) || ' ' || count(DISTINCT run_id) FROM runs WHERE connection_id = '%s'",
             conn);
    CU_ASSERT_EQUAL(ew_psql_here(sql, &res), 0);
    if (res == NULL || strcmp(res, "1:running,2:delivered 1\n") != 0)
        fprintf(stderr, "runs: %s\n", res != NULL ? res : "(none)");
    CU_ASSERT(res != NULL && strcmp(res, "1:running,2:delivered 1\n") == 0);
    free(res);
    free(conn);
    e2e_teardown(&e);
}

static void test_pause_resume_disconnect(void)
{
    e2e e;
    char data[E2E_PATH], out[1][E2E_PATH];
    const char *once[] = {"--once", "--poll-ms", "100", NULL};
    const char *adv;
    char *conn;
    e2e_out o;

    ew_fresh_database("w_life");
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    {
        /* The app's secret is in the database, sealed: not in plain text. */
        const char *secret = ts_world_get(e.world, "apps.0.secret");
        char sql[512], *res = NULL;
        CU_ASSERT_FATAL(secret != NULL);
        snprintf(sql, sizeof(sql), "SELECT count(*) || ' ' || count(*) FILTER (WHERE"
                 " position(convert_to('%s', 'UTF8') in sealed) > 0) FROM secrets", secret);
        CU_ASSERT_EQUAL(ew_psql_here(sql, &res), 0);
        CU_ASSERT(res != NULL && res[0] != '0' && strstr(res, " 0\n") != NULL);
        free(res);
    }
    adv = e2e_account(&e, 1, "Crowded");
    snprintf(data, sizeof(data), "%s/p.jsonl", e.dir);
    snprintf(out[0], sizeof(out[0]), "%s/p.out", e.dir);
    CU_ASSERT_FATAL(e2e_gen(data, 80, 5, 0, 0, 0, 0) == 0);
    conn = e2e_connect_new(&e, data, "P", adv, NULL);
    CU_ASSERT_FATAL(conn != NULL);
    const char *pause[] = {"pause", "--connection", conn, NULL};
    const char *resume[] = {"resume", "--connection", conn, NULL};
    const char *disconnect[] = {"disconnect", "--connection", conn, NULL};
    const char *show[] = {"connections", "--connection", conn, "--json", NULL};

    CU_ASSERT_FATAL(e2e_host(&e, &o, pause) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "state"), "paused");
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(ew_wait_worker(ew_spawn_worker(&e, out[0], once, NULL), 60), 0);
    CU_ASSERT_EQUAL(ew_count_lines(out, 1, conn, "delivered"), 0);
    CU_ASSERT_FATAL(e2e_host(&e, &o, show) == 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "0.state"), "paused");
    CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "0.next_due"), "when resumed");
    e2e_out_free(&o);

    CU_ASSERT_FATAL(e2e_host(&e, &o, resume) == 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "state"), "active");
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(ew_wait_worker(ew_spawn_worker(&e, out[0], once, NULL), 60), 0);
    CU_ASSERT_EQUAL(ew_count_lines(out, 1, conn, "delivered"), 1);
    ew_assert_exact(&e, adv, "P", data);

    /* Disconnected: never delivered again, its audience listed. */
    CU_ASSERT_FATAL(e2e_host(&e, &o, disconnect) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "state"), "disconnected");
    CU_ASSERT(ts_world_get(o.json, "audiences.0.audience_id") != NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.err, "stay in TikTok"));
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_gen(data, 20, 6, 0, 0, 0, 1) == 0);
    CU_ASSERT_EQUAL(ew_wait_worker(ew_spawn_worker(&e, out[0], once, NULL), 60), 0);
    CU_ASSERT_EQUAL(ew_count_lines(out, 1, conn, "delivered"), 0);
    CU_ASSERT_FATAL(e2e_host(&e, &o, resume) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    e2e_out_free(&o);
    free(conn);
    e2e_teardown(&e);
}

static void test_unreachable_database(void)
{
    e2e e;
    e2e_out o;
    const char *args[] = {"connections", "--json", NULL};
    const char *bad[] = {"profiles", "--state", "postgresql://u:hunter2@127.0.0.1:1/db", NULL};
    const char *worker[] = {"worker", "--once", NULL};

    ew_fresh_database("w_down");
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    CU_ASSERT_FATAL(e2e_host(&e, &o, bad) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.err, "127.0.0.1:1"));
    CU_ASSERT_PTR_NULL(strstr(o.err, "hunter2"));
    e2e_out_free(&o);
    /* The ew_cluster's server stopped: the same answer, naming its socket;
       started again, everything works. */
    CU_ASSERT_FATAL(ts_pg_stop_server(ew_cluster) == 0);
    CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.err, ts_pg_dir(ew_cluster)));
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_host(&e, &o, worker) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(ts_pg_start_server(ew_cluster) == 0);
    CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    e2e_teardown(&e);
}

/* Slow uploads, so runs stay under way for a while. */
static void slow_uploads(e2e *e, int ms)
{
    char *url = ts_sandbox_url(e->sb, "/sandbox/faults"), spec[128];
    ts_http_resp r;

    snprintf(spec, sizeof(spec), "slow=1,slow_ms=%d,endpoints=file/upload", ms);
    CU_ASSERT_EQUAL(ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), NULL, spec,
                                    strlen(spec), &r), 0);
    CU_ASSERT_EQUAL(r.status, 200);
    ts_http_resp_free(&r);
    free(url);
}

/* A worker frozen (SIGSTOP, at its 4th state write, mid-run) past its lease's
   expiry while another takes the run over: when it wakes up, its writes
   are refused (fencing), so the audience stays exact and single. */
static void test_stale_worker_fenced(void)
{
    e2e e;
    char data[E2E_PATH], out[2][E2E_PATH], *res = NULL, sql[256], home[E2E_PATH];
    const char *loop[] = {"--lease-ms", "1500", "--poll-ms", "100", NULL};
    const char *adv;
    char *conn;
    pid_t a, b;
    int status = 0;
    struct timespec ts = { 3, 0 };

    ew_fresh_database("w_fence");
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    adv = e2e_account(&e, 2, "Crowded");
    snprintf(data, sizeof(data), "%s/f.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(data, 1200, 91, 0, 0, 0, 0) == 0);
    conn = e2e_connect_new(&e, data, "F", adv, NULL);
    CU_ASSERT_FATAL(conn != NULL);
    snprintf(out[0], sizeof(out[0]), "%s/stale.out", e.dir);
    a = ew_spawn_worker(&e, out[0], loop, "CONNECTOR_HOST_TEST_STOP_BEFORE_WRITE=4");
    CU_ASSERT_FATAL(a > 0);
    CU_ASSERT_EQUAL_FATAL(waitpid(a, &status, WUNTRACED), a);
    CU_ASSERT_FATAL(WIFSTOPPED(status));
    /* The taker runs on "another machine": its own home (spool and
       machine lock); the state and the sealed secrets are shared. */
    snprintf(out[1], sizeof(out[1]), "%s/taker.out", e.dir);
    snprintf(home, sizeof(home), "%s", e.home);
    snprintf(e.home, sizeof(e.home), "%s/machine-b", e.dir);
    b = ew_spawn_worker(&e, out[1], loop, NULL);
    snprintf(e.home, sizeof(e.home), "%s", home);
    CU_ASSERT_FATAL(b > 0);
    CU_ASSERT_EQUAL(wait_delivered(&out[1], conn), 0);
    kill(a, SIGCONT);          /* wakes up holding a lease it lost */
    nanosleep(&ts, NULL);
    kill(a, SIGTERM);
    kill(b, SIGTERM);
    CU_ASSERT_EQUAL(ew_wait_worker(a, 30), 0);
    CU_ASSERT_EQUAL(ew_wait_worker(b, 30), 0);
    for (int i = 0; i < 2 && getenv("E2E_VERBOSE") != NULL; i++) {
        char path[E2E_PATH + 8], *text;
        snprintf(path, sizeof(path), "%.4200s.err", out[i]);
        text = ew_ts_read_text(path);
        fprintf(stderr, "worker %s: %s\n", i == 0 ? "stale" : "taker", text ? text : "");
        free(text);
    }
    CU_ASSERT_EQUAL(ew_count_lines(out, 1, conn, "delivered"), 0);
    ew_assert_exact(&e, adv, "F", data);
    snprintf(sql, sizeof(sql), "SELECT count(*) FILTER (WHERE status = 'delivered') FROM runs"
             " WHERE connection_id = '%s'", conn);
    CU_ASSERT_EQUAL(ew_psql_here(sql, &res), 0);
    CU_ASSERT(res != NULL && strcmp(res, "1\n") == 0);
    free(res);
    free(conn);
    e2e_teardown(&e);
}

/* PostgreSQL restarted in the middle of a round: the workers retry and
   go on; every connection ends delivered, exact. */
static void test_database_restart_mid_round(void)
{
    e2e e;
    char data[3][E2E_PATH], names[3][16], out[2][E2E_PATH], *res = NULL;
    const char *loop[] = {"--lease-ms", "3000", "--poll-ms", "100", NULL};
    const char *adv[3];
    char *conn[3];
    pid_t w[2];

    ew_fresh_database("w_restart");
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    for (int i = 0; i < 3; i++) {
        adv[i] = e2e_account(&e, (size_t) i, "Crowded");
        snprintf(data[i], sizeof(data[i]), "%s/r%d.jsonl", e.dir, i);
        snprintf(names[i], sizeof(names[i]), "R%d", i);
        CU_ASSERT_FATAL(e2e_gen(data[i], 1200, 300 + (unsigned long) i, 0, 0, 0, 0) == 0);
        conn[i] = e2e_connect_new(&e, data[i], names[i], adv[i], NULL);
        CU_ASSERT_FATAL(conn[i] != NULL);
    }
    slow_uploads(&e, 1500);   /* runs under way while the database goes */
    for (int i = 0; i < 2; i++) {
        snprintf(out[i], sizeof(out[i]), "%s/restart-%d.out", e.dir, i);
        w[i] = ew_spawn_worker(&e, out[i], loop, NULL);
        CU_ASSERT_FATAL(w[i] > 0);
    }
    /* Down while the first runs are under way, back a second later. */
    struct timespec ts = { 0, 700000000L };
    nanosleep(&ts, NULL);
    CU_ASSERT_FATAL(ts_pg_stop_server(ew_cluster) == 0);
    ts.tv_sec = 1;
    ts.tv_nsec = 0;
    nanosleep(&ts, NULL);
    CU_ASSERT_FATAL(ts_pg_start_server(ew_cluster) == 0);
    /* Everything delivered within 60 s. */
    for (int t = 0; t < 600; t++) {
        CU_ASSERT_EQUAL(ew_psql_here("SELECT count(*) FROM connections WHERE run_id IS NULL"
                                  " AND delivered_through = 1200", &res), 0);
        if (res != NULL && strcmp(res, "3\n") == 0)
            break;
        free(res);
        res = NULL;
        ts.tv_sec = 0;
        ts.tv_nsec = 100000000L;
        nanosleep(&ts, NULL);
    }
    CU_ASSERT(res != NULL && strcmp(res, "3\n") == 0);
    free(res);
    for (int i = 0; i < 2; i++) {
        char err_path[E2E_PATH + 8], *text;
        kill(w[i], SIGTERM);
        CU_ASSERT_EQUAL(ew_wait_worker(w[i], 30), 0);
        snprintf(err_path, sizeof(err_path), "%.4200s.err", out[i]);
        if (getenv("E2E_VERBOSE") && (text = ew_ts_read_text(err_path)) != NULL) {
            fprintf(stderr, "worker %d:\n%s\n", i, text);
            free(text);
        }
    }
    for (int i = 0; i < 3; i++) {
        ew_assert_exact(&e, adv[i], names[i], data[i]);
        free(conn[i]);
    }
    ew_assert_no_overlap();
    e2e_teardown(&e);
}

/* WORKER_BENCH=1: runs per minute with 1, 2 and 4 workers (--once, at the
   same time) on SQLite and on PostgreSQL, 12 connections of 1000 rows
   over 3 Ad Accounts; and the state's cost of a run that finds nothing new
   (a second round: listing, lease, connection read, dataset check,
   release). Figures on stderr. */
static void test_bench(void)
{
    static const int counts[] = { 1, 2, 4 };
    const char *args[] = {"--once", "--lease-ms", "30000", "--poll-ms", "100", NULL};

    for (int backend = 0; backend < 2; backend++) {
        for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
            e2e e;
            char data[E2E_PATH], name[32], out[E2E_PATH], db[32];
            pid_t pids[4];
            double t0, t1, t2;
            int n = counts[k];

            if (backend == 1) {
                snprintf(db, sizeof(db), "bench_%d", n);
                ew_fresh_database(db);
            } else {
                unsetenv("CONNECTOR_HOST_STATE");
            }
            CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
            for (int i = 0; i < 12; i++) {
                snprintf(data, sizeof(data), "%s/b%d.jsonl", e.dir, i);
                snprintf(name, sizeof(name), "B%d", i);
                CU_ASSERT_FATAL(e2e_gen(data, 1000, 500 + (unsigned long) i, 0, 0, 0, 0) == 0);
                free(e2e_connect_new(&e, data, name, e2e_account(&e, (size_t) i % 3, "Crowded"),
                                     NULL));
            }
            for (int round = 0; round < 2; round++) {
                t0 = ew_mono_s();
                for (int w = 0; w < n; w++) {
                    snprintf(out, sizeof(out), "%s/bench-%d-%d.out", e.dir, round, w);
                    pids[w] = ew_spawn_worker(&e, out, args, NULL);
                }
                for (int w = 0; w < n; w++)
                    CU_ASSERT_EQUAL(ew_wait_worker(pids[w], 300), 0);
                t1 = ew_mono_s();
                if (round == 0)
                    t2 = t1 - t0;
                else
                    fprintf(stderr, "bench: %s, %d worker(s): %.1f runs/min (12 runs in %.2f s); "
                            "a round with nothing new: %.1f ms per connection\n",
                            backend ? "postgresql" : "sqlite", n, 12 * 60.0 / t2, t2,
                            (t1 - t0) * 1000.0 / 12);
            }
            e2e_teardown(&e);
        }
    }
}

int main(void)
{
    static const e2e_test tests[] = {
        {"3 workers deliver every run once, exact", test_workers_deliver_each_run_once},
        {"a killed worker's run finished by another", test_killed_worker_finished_by_another},
        {"pause, resume, disconnect", test_pause_resume_disconnect},
        {"unreachable database is retry-later", test_unreachable_database},
        {"PostgreSQL restarted mid-round", test_database_restart_mid_round},
        {"a stale worker's writes are fenced", test_stale_worker_fenced},
    };
    static const e2e_test bench[] = { {"bench", test_bench} };
    /* The key every worker shares: the secrets live sealed in PostgreSQL. */
    static const char key[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    if (getenv("WORKER_BENCH") != NULL)
        return ew_main("workers benchmark", bench, 1, key);
    return ew_main("workers over PostgreSQL", tests, sizeof(tests) / sizeof(tests[0]), key);
}
