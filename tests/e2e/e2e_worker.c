/*
 * e2e_worker.c - what the tests that run `connector-host worker` processes
 * share (test_worker, test_scale): their main over one throwaway
 * PostgreSQL cluster, a database per test, spawning and waiting for
 * workers and whole rounds of them, their JSON lines, and the checks every
 * run must pass (exact audiences, no two runs of a connection at once).
 */
#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "e2e.h"
#include "e2e_worker.h"

extern char **environ;

ts_pg *ew_cluster;

/* Each test its own database in the cluster, so no test's workers see
   another's connections. */
void ew_fresh_database(const char *name)
{
    char sql[128], url[512];

    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    CU_ASSERT_FATAL(ts_pg_psql(ew_cluster, NULL, sql, NULL) == 0);
    snprintf(url, sizeof(url), "postgresql:///%s?host=%s&user=postgres", name,
             ts_pg_dir(ew_cluster));
    setenv("CONNECTOR_HOST_STATE", url, 1);
}

/* The ew_cluster's psql on the current test's database. */
int ew_psql_here(const char *sql, char **out)
{
    const char *url = getenv("CONNECTOR_HOST_STATE");
    const char *db = url + strlen("postgresql:///");
    char name[64];

    snprintf(name, sizeof(name), "%.*s", (int) strcspn(db, "?"), db);
    return ts_pg_psql(ew_cluster, name, sql, out);
}

/* Starts `connector-host worker ARGS` with the fixture's options, stdout
   to out_path; kill_env: an extra NAME=value for this worker only. */
pid_t ew_spawn_worker(e2e *e, const char *out_path, const char *const *args,
                          const char *kill_env)
{
    const char *argv[40];
    char offset[32], err_path[E2E_PATH + 8];
    posix_spawn_file_actions_t fa;
    size_t n = 0;
    pid_t pid = -1;

    argv[n++] = getenv("TT_HOST");
    argv[n++] = "worker";
    for (size_t i = 0; args[i] != NULL && n < 28; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = e->home;
    argv[n++] = "--api-base";
    argv[n++] = ts_sandbox_base_url(e->sb);
    argv[n++] = "--ca-file";
    argv[n++] = ts_sandbox_ca_file(e->sb);
    argv[n++] = "--redirect-uri";
    argv[n++] = "https://127.0.0.1/callback";
    if (e->clock_offset_ms != 0) {
        snprintf(offset, sizeof(offset), "%lld", e->clock_offset_ms);
        argv[n++] = "--clock-offset-ms";
        argv[n++] = offset;
    }
    argv[n] = NULL;
    snprintf(err_path, sizeof(err_path), "%s.err", out_path);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char name[128] = "";
    if (kill_env != NULL) {
        snprintf(name, sizeof(name), "%.*s", (int) strcspn(kill_env, "="), kill_env);
        setenv(name, strchr(kill_env, '=') + 1, 1);
    }
    if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *) argv, environ) != 0)
        pid = -1;
    if (kill_env != NULL)
        unsetenv(name);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* Waits for pid at most timeout_s; its exit code (128 + signal), or -1. */
int ew_wait_worker(pid_t pid, int timeout_s)
{
    int status = 0;

    for (int i = 0; i < timeout_s * 10; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        struct timespec ts = { 0, 100000000L };
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Counts, over the workers' output files, the lines of connection id with
   status `status`. */
int ew_count_lines(char paths[][E2E_PATH], int n, const char *id, const char *status)
{
    int count = 0;
    char line[8192];

    for (int i = 0; i < n; i++) {
        FILE *f = fopen(paths[i], "r");
        while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
            json_object *o = json_tokener_parse(line);
            const char *c = ts_world_get(o, "connection_id"), *s = ts_world_get(o, "status");
            if (c != NULL && s != NULL && strcmp(c, id) == 0 && strcmp(s, status) == 0)
                count++;
            json_object_put(o);
        }
        if (f != NULL)
            fclose(f);
    }
    return count;
}

/* The one audience named name in adv holds exactly the members lines
   1.. of dataset make. */
void ew_assert_exact(e2e *e, const char *adv, const char *name, const char *dataset)
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES], want = {0}, got = {0};
    char id[32];

    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        CU_ASSERT(e2e_set_apply(&want, &adds[t], &removes[t]) == 0);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
    CU_ASSERT_EQUAL(e2e_audiences_named(e, adv, name, id), 1);   /* never a duplicate */
    CU_ASSERT_FATAL(e2e_members(e, id, &got) == 0);
    if (!e2e_set_equal(&got, &want))
        fprintf(stderr, "audience %s: %zu members, expected %zu\n", name, got.n, want.n);
    CU_ASSERT(e2e_set_equal(&got, &want));
    e2e_set_free(&got);
    e2e_set_free(&want);
}

/* No two runs of one connection overlapped in time (runs table). */
void ew_assert_no_overlap(void)
{
    char *out = NULL;

    CU_ASSERT_FATAL(ew_psql_here("SELECT count(*) FROM runs a JOIN runs b ON"
                               " a.connection_id = b.connection_id AND a.run_id < b.run_id"
                               " AND a.started_ms < coalesce(b.finished_ms, 1e15)"
                               " AND b.started_ms < coalesce(a.finished_ms, 1e15)"
                               " AND a.status <> 'running' AND b.status <> 'running'",
                               &out) == 0);
    CU_ASSERT(out != NULL && strcmp(out, "0\n") == 0);
    free(out);
}

char *ew_ts_read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0;

    if (f == NULL)
        return NULL;
    buf = calloc(1, 65536);
    if (buf != NULL)
        n = fread(buf, 1, 65535, f);
    (void) n;
    fclose(f);
    return buf;
}


void ew_round(e2e *e, const char *tag, int round, int nworkers, const char *lease_ms,
              int timeout_s, char paths[][E2E_PATH])
{
    const char *args[] = {"--once", "--lease-ms", lease_ms, "--poll-ms", "100", NULL};
    pid_t pids[EW_MAX_WORKERS];

    if (nworkers > EW_MAX_WORKERS)
        CU_FAIL_FATAL("ew_round: more workers than EW_MAX_WORKERS");
    for (int w = 0; w < nworkers; w++) {
        snprintf(paths[w], E2E_PATH, "%s/%s-%d-%d.out", e->dir, tag, round, w);
        pids[w] = ew_spawn_worker(e, paths[w], args, NULL);
        CU_ASSERT_FATAL(pids[w] > 0);
    }
    for (int w = 0; w < nworkers; w++) {
        int code = ew_wait_worker(pids[w], timeout_s);
        CU_ASSERT_EQUAL(code, 0);
        if (code != 0) {
            char err_path[3 * E2E_PATH], *text;
            snprintf(err_path, sizeof(err_path), "%.4200s.err", paths[w]);
            text = ew_ts_read_text(err_path);
            fprintf(stderr, "worker %d of round %d: exit %d: %.2000s\n", w, round, code,
                    text != NULL ? text : "");
            free(text);
        }
    }
}

double ew_mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int ew_main(const char *suite_name, const e2e_test *tests, size_t n, const char *key_hex)
{
    char keydir[256], key[300], line[80];
    int rc = ts_pg_start_main(&ew_cluster);

    if (rc != 0)
        return rc;
    if (ts_tmpdir_make(keydir, sizeof(keydir)) != 0)
        return 1;
    snprintf(key, sizeof(key), "%s/secrets.key", keydir);
    snprintf(line, sizeof(line), "%s\n", key_hex);
    if (e2e_write(key, line) != 0 || chmod(key, 0600) != 0)
        return 1;
    setenv("CONNECTOR_HOST_SECRETS_KEY_FILE", key, 1);
    rc = e2e_run_suite(suite_name, tests, n);
    if (ts_pg_stop(ew_cluster) != 0)
        rc = 1;
    ts_tmpdir_remove(keydir);
    return rc;
}
