/*
 * bench_proc.h - child processes for the end-to-end benchmark: run a
 * command to completion with its resource usage, or start one and keep it
 * (the sandbox). Resource figures come from wait4(), so each child is
 * measured on its own, never mixed with the driver's.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

typedef struct bench_proc_result {
    int exit_code;           /* 0-255, or 128+signal */
    double wall_s;           /* from fork to reaped */
    struct rusage ru;        /* the child's own (ru_maxrss in kB) */
} bench_proc_result;

/*
 * Runs argv[0] (a path) with `in` on stdin (NULL: /dev/null), stderr
 * appended to err_path (NULL: inherited) and stdout either captured into
 * *out (malloc'd, NUL-terminated, caller frees; out may be NULL to discard)
 * or written to out_path. Gives up after timeout_s seconds (the child is
 * killed). Returns 0 when the child ran (see res->exit_code), -1 when it
 * could not be run or timed out.
 */
int bench_proc_run(const char *const argv[], const char *in, char **out, const char *out_path,
                   const char *err_path, double timeout_s, bench_proc_result *res);

/*
 * Starts argv[0] with stdout on a pipe (*out_fd, caller closes; out_fd NULL:
 * stdout to /dev/null) and stderr appended to err_path. Returns the pid, or -1.
 */
pid_t bench_proc_start(const char *const argv[], const char *err_path, int *out_fd);

/* Waits for a started child (t0: bench_now() when it was started; the wall
   time counts from there), killing it after timeout_s. 0, or -1. */
int bench_proc_wait(pid_t pid, double t0, double timeout_s, bench_proc_result *res);

/*
 * Stops a started child: SIGTERM, then SIGKILL after grace_s seconds.
 * Fills res (exit code, rusage). Returns 0, or -1 when it could not be reaped.
 */
int bench_proc_stop(pid_t pid, double grace_s, bench_proc_result *res);

/* Peak resident set (VmHWM, kB) of a running process, or -1. */
long bench_proc_hwm_kb(pid_t pid);

/* Removes a directory tree (the benchmark's own work files). 0 or -1. */
int bench_rm_tree(const char *path);

#endif
