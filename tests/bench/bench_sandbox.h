/*
 * bench_sandbox.h - the TikTok sandbox as the end-to-end benchmark uses it:
 * started on a free loopback port over plain HTTP, asked over its control
 * API, stopped with its own resource usage.
 */
#ifndef BENCH_SANDBOX_H
#define BENCH_SANDBOX_H

#include <json-c/json.h>
#include <sys/types.h>

#include "bench_proc.h"

typedef struct bench_sandbox {
    pid_t pid;
    char base_url[128];      /* http://127.0.0.1:PORT */
} bench_sandbox;

/* Starts `exe --listen 127.0.0.1:0 --world world` and waits (10 s at most)
   for its ready line. 0, or -1 with the reason on stderr. */
int bench_sandbox_start(const char *exe, const char *world, const char *log_path,
                        bench_sandbox *sb);

/* Stops it; res gets its exit code and rusage. 0 or -1. */
int bench_sandbox_stop(bench_sandbox *sb, bench_proc_result *res);

/* GET base_url + path; the parsed JSON answer (caller puts), or NULL. */
json_object *bench_sandbox_get_json(const bench_sandbox *sb, const char *path);

/*
 * GET url without following redirects; the Location it answers with goes
 * to *location (malloc'd). 0, or -1. (The consent page.)
 */
int bench_http_redirect(const char *url, char **location);

/* POST a JSON body; the parsed JSON answer (caller puts), or NULL. */
json_object *bench_http_post_json(const char *url, const char *body);

/* Writes the benchmark's world to path: the default world of `sandbox
   --print-world` with its Ad Accounts replaced by 10 ("Bench 01".."Bench
   10", ids 72129000000000000NN) that the first user administers, inside a
   Business Center the user belongs to, so 1, 3 and 10 targets are all
   writable. 0, or -1 with the reason on stderr. */
int bench_world_write(const char *sandbox, const char *path);

#endif
