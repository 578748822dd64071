/* bench_proc.c - child processes with their own resource usage. */
#define _DEFAULT_SOURCE 1 /* wait4(), nftw() */
#define _XOPEN_SOURCE 700
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_proc.h"
#include "bench_util.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* In the child after fork(): wire fds and exec. Never returns. */
static void child_exec(const char *const argv[], int in_fd, int out_fd, const char *err_path)
{
    int err_fd;

    if (in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0)
        _exit(127);
    if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
        _exit(127);
    if (err_path != NULL) {
        err_fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (err_fd < 0 || dup2(err_fd, STDERR_FILENO) < 0)
            _exit(127);
    }
    execv(argv[0], (char *const *) argv);
    fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void fill_result(int status, const struct rusage *ru, double t0, bench_proc_result *res)
{
    res->wall_s = bench_now() - t0;
    res->ru = *ru;
    if (WIFEXITED(status))
        res->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        res->exit_code = 128 + WTERMSIG(status);
    else
        res->exit_code = -1;
}

/* Reaps pid within timeout_s (polling, so a hung child cannot hang the
   benchmark); kills it when the time is up. 0 reaped, -1 timed out. */
static int reap(pid_t pid, double t0, double timeout_s, bench_proc_result *res)
{
    int status = 0;
    struct rusage ru;

    for (;;) {
        pid_t r = wait4(pid, &status, WNOHANG, &ru);
        if (r == pid) {
            fill_result(status, &ru, t0, res);
            return 0;
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (bench_now() - t0 > timeout_s) {
            fprintf(stderr, "bench: %ld did not finish in %.0f s; killing it\n", (long) pid,
                    timeout_s);
            kill(pid, SIGKILL);
            (void) wait4(pid, &status, 0, &ru);
            return -1;
        }
        sleep_ms(5);
    }
}

/* Reads fd to end of file into a growing buffer, giving up at deadline. */
static int slurp(int fd, char **out, double deadline)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);

    if (buf == NULL)
        return -1;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int) ((deadline - bench_now()) * 1000), pr;
        ssize_t n;

        pr = left > 0 ? poll(&p, 1, left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            free(buf);
            return -1;
        }
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return -1;
            }
            buf = bigger;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
    }
    buf[len] = '\0';
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    return 0;
}

int bench_proc_run(const char *const argv[], const char *in, char **out, const char *out_path,
                   const char *err_path, double timeout_s, bench_proc_result *res)
{
    int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, file_fd = -1;
    int rc = -1;
    double t0;
    pid_t pid;

    memset(res, 0, sizeof(*res));
    if (out != NULL)
        *out = NULL;
    if (pipe(in_pipe) != 0)
        goto cleanup;
    if (out_path != NULL) {
        file_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (file_fd < 0)
            goto cleanup;
    } else if (pipe(out_pipe) != 0) {
        goto cleanup;
    }
    t0 = bench_now();
    pid = fork();
    if (pid < 0)
        goto cleanup;
    if (pid == 0) {
        close(in_pipe[1]);
        if (out_pipe[0] >= 0)
            close(out_pipe[0]);
        child_exec(argv, in_pipe[0], file_fd >= 0 ? file_fd : out_pipe[1], err_path);
    }
    close(in_pipe[0]);
    in_pipe[0] = -1;
    /* Inputs are a few bytes (a secret): the pipe holds them, no deadlock. */
    if (in != NULL && write(in_pipe[1], in, strlen(in)) != (ssize_t) strlen(in))
        fprintf(stderr, "bench: short write to %s\n", argv[0]);
    close(in_pipe[1]);
    in_pipe[1] = -1;
    if (out_pipe[1] >= 0) {
        close(out_pipe[1]);
        out_pipe[1] = -1;
        if (slurp(out_pipe[0], out, t0 + timeout_s) != 0) {
            kill(pid, SIGKILL);
            (void) reap(pid, t0, timeout_s + 5, res);
            goto cleanup;
        }
    }
    rc = reap(pid, t0, timeout_s, res);
cleanup:
    if (rc != 0 && out != NULL) {
        free(*out);
        *out = NULL;
    }
    for (int i = 0; i < 2; i++) {
        if (in_pipe[i] >= 0)
            close(in_pipe[i]);
        if (out_pipe[i] >= 0)
            close(out_pipe[i]);
    }
    if (file_fd >= 0)
        close(file_fd);
    return rc;
}

pid_t bench_proc_start(const char *const argv[], const char *err_path, int *out_fd)
{
    int p[2] = {-1, -1};
    pid_t pid;

    if (out_fd != NULL && pipe(p) != 0)
        return -1;
    if (out_fd == NULL && (p[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        if (p[0] >= 0)
            close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        if (p[0] >= 0)
            close(p[0]);
        child_exec(argv, -1, p[1], err_path);
    }
    close(p[1]);
    if (out_fd != NULL)
        *out_fd = p[0];
    return pid;
}

int bench_proc_wait(pid_t pid, double t0, double timeout_s, bench_proc_result *res)
{
    memset(res, 0, sizeof(*res));
    return reap(pid, t0, timeout_s, res);
}

int bench_proc_stop(pid_t pid, double grace_s, bench_proc_result *res)
{
    double t0 = bench_now();

    memset(res, 0, sizeof(*res));
    if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
        return -1;
    return reap(pid, t0, grace_s, res);
}

long bench_proc_hwm_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long) pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb;
    (void) flag;
    (void) ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int bench_rm_tree(const char *path)
{
    if (access(path, F_OK) != 0)
        return 0;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
