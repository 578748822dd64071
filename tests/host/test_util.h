/*
 * test_util.h - helpers for the host tests: temporary directories, files,
 * and running connector-host as a child process.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

/* Exit status of a child killed by a signal: 128 + signal number. */

typedef struct test_result {
    int status;     /* exit code, 128 + signal, or -1 when it could not run */
    char *out;      /* stdout, NUL-terminated (never NULL after test_run) */
    char *err;      /* stderr */
} test_result;

/* A new empty directory under $TMPDIR (or /tmp); heap path. */
char *test_tmpdir(const char *tag);

/* rm -rf dir (nothing outside it). */
void test_rm_rf(const char *dir);

/* Writes text to path (mode 0644). 0 or -1. */
int test_write_file(const char *path, const char *text);

/* Appends text to path. 0 or -1. */
int test_append_file(const char *path, const char *text);

/* Reads a whole file; heap, NUL-terminated; NULL on error. *len optional. */
char *test_read_file(const char *path, size_t *len);

/* Non-zero when needle occurs in hay[0..len). */
int test_memmem(const char *hay, size_t len, const char *needle);

/*
 * Runs argv[0] with argv (NULL-terminated) and, when env is non-NULL, the
 * extra "NAME=value" entries of env (NULL-terminated) added to ours.
 * stdin gets `input` (NULL: empty). Captures stdout and stderr; kills the
 * child after timeout_s seconds. Free with test_result_free().
 */
void test_run(const char *const *argv, const char *const *env, const char *input,
              int timeout_s, test_result *res);
void test_result_free(test_result *res);

/* Starts argv like test_run but with stdout/stderr to /dev/null and
   returns its pid (or -1). */
pid_t test_spawn(const char *const *argv, const char *const *env);

/* Waits for pid; returns its status as test_run does. */
int test_wait(pid_t pid);

/* Runs $TT_HOST args... --home home (args NULL-terminated, at most 40)
   with env and input as test_run does. */
void test_host(const char *home, const char *const *env, const char *input,
               const char *const *args, test_result *res);

/* $name or a failure message on stderr and NULL. */
const char *test_env(const char *name);

/* $TT_BUILDDIR/tests/host/<file>; heap. */
char *test_build_path(const char *file);

/* "a.b.0.c" into nested objects (a number indexes an array); NULL when
   absent. Borrowed from o. */
json_object *jget(json_object *o, const char *path);
/* The integer at path, or -999 when absent. */
int64_t jint(json_object *o, const char *path);
/* The string at path, or "" when absent or not a string. */
const char *jstr(json_object *o, const char *path);
/* Non-zero when path holds true. */
int jtrue(json_object *o, const char *path);

#endif /* TEST_UTIL_H */
