/*
 * e2e_worker.h - the worker tests' fixture (e2e_worker.c), for
 * test_worker.c: workers as processes over one throwaway PostgreSQL
 * cluster, and the checks the tests share.
 */
#ifndef E2E_WORKER_H
#define E2E_WORKER_H

#include <sys/types.h>

#include "e2e.h"

/* Workers a round starts at the same time. */
#define NWORKERS 3

/* The cluster main() starts for the whole program. */
extern ts_pg *worker_cluster;

/* Each test its own database NAME; CONNECTOR_HOST_STATE points at it. */
void fresh_database(const char *name);
/* The cluster's psql on the current test's database; *out caller-owned. */
int psql_here(const char *sql, char **out);
/* `connector-host worker ARGS`, stdout to out_path (stderr to .err);
   kill_env: an extra NAME=value for this worker only. */
pid_t spawn_worker(e2e *e, const char *out_path, const char *const *args,
                   const char *kill_env);
/* pid's exit code (128 + signal) within timeout_s, else -1 (killed). */
int wait_worker(pid_t pid, int timeout_s);
/* Lines of connection id with status `status` in n workers' outputs. */
int count_lines(char paths[][E2E_PATH], int n, const char *id, const char *status);
/* The one audience name in adv holds exactly what dataset makes. */
void assert_exact(e2e *e, const char *adv, const char *name, const char *dataset);
/* No two runs of one connection overlapped in time. */
void assert_no_overlap(void);
/* A file's first 64 KiB as text (caller-owned), or NULL. */
char *worker_read_text(const char *path);
/* NWORKERS workers --once at the same time; each exits 0. */
void round_of_workers(e2e *e, int round, char paths[][E2E_PATH]);
/* 0 once the output at path[0] has a delivered line for id (30 s). */
int wait_delivered(char path[][E2E_PATH], const char *id);
/* The sandbox's uploads take ms each. */
void slow_uploads(e2e *e, int ms);
/* The monotonic clock in seconds. */
double mono_s(void);

#endif /* E2E_WORKER_H */
