/*
 * test_util.c - helpers for the host tests.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include <config.h>

#include "test_util.h"
#include "ts.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


char *test_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path;
    size_t n;

    if (base == NULL || *base == '\0')
        base = "/tmp";
    n = strlen(base) + strlen(tag) + 32;
    path = malloc(n);
    if (path == NULL)
        return NULL;
    snprintf(path, n, "%s/ch-%s-XXXXXX", base, tag);
    if (mkdtemp(path) == NULL) {
        free(path);
        return NULL;
    }
    return path;
}

static int test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

void test_rm_rf(const char *dir)
{
    if (dir != NULL)
        nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int test_write_mode(const char *path, const char *text, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    size_t off = 0, len = strlen(text);

    if (fd < 0)
        return -1;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t) n;
    }
    return close(fd);
}

int test_write_file(const char *path, const char *text)
{
    return test_write_mode(path, text, O_TRUNC);
}

int test_append_file(const char *path, const char *text)
{
    return test_write_mode(path, text, O_APPEND);
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t used = 0, cap = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        size_t n;
        if (cap - used < 4096) {
            char *bigger = realloc(buf, cap + 65536);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
            cap += 65536;
        }
        n = fread(buf + used, 1, cap - used - 1, f);
        used += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}

int test_memmem(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle), i;

    if (hay == NULL || n == 0 || n > len)
        return 0;
    for (i = 0; i + n <= len; i++) {
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return 1;
    }
    return 0;
}

static void test_child_env(const char *const *env)
{
    size_t i;

    for (i = 0; env != NULL && env[i] != NULL; i++)
        putenv((char *) env[i]);
}

static int test_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

/* The one process runner of the tests (tests/support/ts_proc.c). */
void test_run(const char *const *argv, const char *const *env, const char *input,
              int timeout_s, test_result *res)
{
    int code = -1;

    res->status = -1;
    res->out = NULL;
    res->err = NULL;
    if (ts_run_capture_env(argv, env, input, timeout_s * 1000, &code, &res->out, &res->err) == 0)
        res->status = code;
    if (res->out == NULL)
        res->out = calloc(1, 1);
    if (res->err == NULL)
        res->err = calloc(1, 1);
}

void test_result_free(test_result *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

pid_t test_spawn(const char *const *argv, const char *const *env)
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        test_child_env(env);
        execv(argv[0], (char *const *) argv);
        _exit(127);
    }
    return pid;
}

int test_wait(pid_t pid)
{
    int st = 0;

    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return test_status(st);
}

const char *test_env(const char *name)
{
    const char *v = getenv(name);

    if (v == NULL || *v == '\0') {
        fprintf(stderr, "test: %s is not set; run the tests with make check\n", name);
        return NULL;
    }
    return v;
}

char *test_build_path(const char *file)
{
    const char *b = test_env("TT_BUILDDIR");
    size_t n;
    char *p;

    if (b == NULL)
        return NULL;
    n = strlen(b) + strlen(file) + 16;
    p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/tests/host/%s", b, file);
    return p;
}

json_object *jget(json_object *o, const char *path)
{
    char buf[256], *save = NULL, *tok;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL;
         tok = strtok_r(NULL, ".", &save)) {
        json_object *next = NULL;
        if (json_object_is_type(o, json_type_array))
            next = json_object_array_get_idx(o, (size_t) atoi(tok));
        else if (!json_object_object_get_ex(o, tok, &next))
            return NULL;
        o = next;
    }
    return o;
}

int64_t jint(json_object *o, const char *path)
{
    json_object *v = jget(o, path);
    return v != NULL ? json_object_get_int64(v) : -999;
}

const char *jstr(json_object *o, const char *path)
{
    json_object *v = jget(o, path);
    return v != NULL && json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : "";
}

int jtrue(json_object *o, const char *path)
{
    json_object *v = jget(o, path);
    return v != NULL && json_object_is_type(v, json_type_boolean)
           && json_object_get_boolean(v);
}

void test_host(const char *home, const char *const *env, const char *input,
               const char *const *args, test_result *res)
{
    const char *argv[44];
    size_t n = 0;

    argv[n++] = test_env("TT_HOST");
    while (n < 41 && args[n - 1] != NULL) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n++] = "--home";
    argv[n++] = home;
    argv[n] = NULL;
    test_run(argv, env, input, 120, res);
}
