/*
 * e2e_worker.h - helpers of the tests that run `connector-host worker`
 * processes over one throwaway PostgreSQL cluster (e2e_worker.c).
 */
#ifndef E2E_WORKER_H
#define E2E_WORKER_H

#include <sys/types.h>

#include "e2e.h"

/* The cluster of the test program (started by its main). */
extern ts_pg *ew_cluster;

/* A new database `name` in the cluster, and CONNECTOR_HOST_STATE at it. */
void ew_fresh_database(const char *name);

/* The cluster's psql on the current test's database. */
int ew_psql_here(const char *sql, char **out);

/* Starts `connector-host worker ARGS` with the fixture's options, stdout
   to out_path (stderr to out_path.err); kill_env: an extra NAME=value for
   this worker only (may be NULL). */
pid_t ew_spawn_worker(e2e *e, const char *out_path, const char *const *args,
                      const char *kill_env);

/* Waits for pid at most timeout_s; its exit code (128 + signal), or -1
   (then it was killed). */
int ew_wait_worker(pid_t pid, int timeout_s);

/* Lines of connection id with status `status` over the workers' outputs. */
int ew_count_lines(char paths[][E2E_PATH], int n, const char *id, const char *status);

/* The one audience named name in adv holds exactly what dataset makes. */
void ew_assert_exact(e2e *e, const char *adv, const char *name, const char *dataset);

/* No two runs of one connection overlapped in time (runs table). */
void ew_assert_no_overlap(void);

/* The first 64 KiB of a file (malloc'd), or NULL. */
char *ew_ts_read_text(const char *path);

#define EW_MAX_WORKERS 16

/* nworkers (at most EW_MAX_WORKERS) workers --once --lease-ms lease_ms at the same time, outputs
   in paths[w] (e->dir/tag-round-w.out); each must exit 0 within
   timeout_s, or its stderr is shown. */
void ew_round(e2e *e, const char *tag, int round, int nworkers, const char *lease_ms,
              int timeout_s, char paths[][E2E_PATH]);

/* The monotonic clock, in seconds. */
double ew_mono_s(void);

/* A worker program's main: SKIP (77) without PostgreSQL, else the suite
   run over a throwaway cluster (ew_cluster) with every worker sharing the
   secrets key key_hex (the secrets live sealed in the database). */
int ew_main(const char *suite_name, const e2e_test *tests, size_t n, const char *key_hex);

#endif
