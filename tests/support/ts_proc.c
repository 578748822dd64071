/* ts_proc.c: temporary directories and running a command with captured
 * output and a hard timeout, so no test can hang on a child. */
#define _XOPEN_SOURCE 700 /* putenv() */
#include "ts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

int ts_tmpdir_make(char *buf, size_t len)
{
    const char *base = getenv("TMPDIR");

    if (base == NULL || *base == '\0') {
        base = "/tmp";
    }
    if ((size_t)snprintf(buf, len, "%s/tt-test-XXXXXX", base) >= len) {
        fprintf(stderr, "ts: tmpdir path buffer too small\n");
        return -1;
    }
    if (mkdtemp(buf) == NULL) {
        fprintf(stderr, "ts: mkdtemp %s: %s\n", buf, strerror(errno));
        return -1;
    }
    return 0;
}

static int remove_tree(const char *path, int depth)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (depth > 64) {
        return -1;
    }
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return unlink(path);
    }
    d = opendir(path);
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char child[TS_PATH_MAX];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        if ((size_t)snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= sizeof child
            || remove_tree(child, depth + 1) != 0) {
            rc = -1;
        }
    }
    closedir(d);
    if (rmdir(path) != 0) {
        rc = -1;
    }
    return rc;
}

int ts_tmpdir_remove(const char *dir)
{
    if (dir == NULL || *dir == '\0' || strcmp(dir, "/") == 0) {
        return -1;
    }
    if (remove_tree(dir, 0) != 0) {
        fprintf(stderr, "ts: could not remove %s completely\n", dir);
        return -1;
    }
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
    char *buf;
    size_t len, cap;
} growbuf;

static int gb_append(growbuf *g, const char *data, size_t n)
{
    if (g->len + n + 1 > g->cap) {
        size_t ncap = (g->len + n + 1) * 2;
        char *nb = realloc(g->buf, ncap);
        if (nb == NULL) {
            return -1;
        }
        g->buf = nb;
        g->cap = ncap;
    }
    memcpy(g->buf + g->len, data, n);
    g->len += n;
    g->buf[g->len] = '\0';
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

int ts_run_capture(const char *const argv[], const char *stdin_data, int timeout_ms,
                   int *exit_code, char **out, char **err)
{
    return ts_run_capture_env(argv, NULL, stdin_data, timeout_ms, exit_code, out, err);
}

/* In the child: wire the pipes to fds 0-2, add env, exec. Never returns. */
_Noreturn static void child_exec(const char *const argv[], const char *const env[], pid_t parent,
                                 int in_p[2], int out_p[2], int err_p[2])
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* never outlive a crashed test */
    if (getppid() != parent) {
        _exit(127);
    }
#else
    (void)parent;
#endif
    dup2(in_p[0], 0);
    dup2(out_p[1], 1);
    dup2(err_p[1], 2);
    close(in_p[0]); close(in_p[1]);
    close(out_p[0]); close(out_p[1]);
    close(err_p[0]); close(err_p[1]);
    for (size_t e = 0; env != NULL && env[e] != NULL; e++) {
        putenv((char *)env[e]);
    }
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "ts: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Feeds stdin and collects stdout/stderr until both close or the deadline
 * passes (then the child is killed and *pid set to -1). */
static int pump_io(const char *const argv[], int timeout_ms, int64_t deadline, pid_t *pid,
                   const char *stdin_data, size_t in_len, int in_p[2], int out_p[2],
                   int err_p[2], growbuf *go, growbuf *ge)
{
    size_t in_off = 0;
    int status = 0;

    while (out_p[0] >= 0 || err_p[0] >= 0) {
        struct pollfd fds[3];
        int nfds = 0, left = (int)(deadline - mono_ms());
        if (left <= 0) {
            fprintf(stderr, "ts: %s timed out after %d ms; killed\n", argv[0], timeout_ms);
            kill(*pid, SIGKILL);
            waitpid(*pid, &status, 0);
            *pid = -1;
            return -1;
        }
        if (out_p[0] >= 0) {
            fds[nfds++] = (struct pollfd){out_p[0], POLLIN, 0};
        }
        if (err_p[0] >= 0) {
            fds[nfds++] = (struct pollfd){err_p[0], POLLIN, 0};
        }
        if (in_p[1] >= 0) {
            fds[nfds++] = (struct pollfd){in_p[1], POLLOUT, 0};
        }
        if (poll(fds, (nfds_t)nfds, left) < 0 && errno != EINTR) {
            return -1;
        }
        for (int i = 0; i < nfds; i++) {
            if (fds[i].revents == 0) {
                continue;
            }
            if (fds[i].fd == in_p[1]) {
                ssize_t w = write(in_p[1], stdin_data + in_off, in_len - in_off);
                if (w > 0) {
                    in_off += (size_t)w;
                }
                if (w < 0 || in_off == in_len) {
                    close_fd(&in_p[1]);
                }
            } else {
                char buf[4096];
                ssize_t r = read(fds[i].fd, buf, sizeof buf);
                growbuf *g = fds[i].fd == out_p[0] ? go : ge;
                if (r > 0) {
                    if (gb_append(g, buf, (size_t)r) != 0) {
                        return -1;
                    }
                } else {
                    close_fd(fds[i].fd == out_p[0] ? &out_p[0] : &err_p[0]);
                }
            }
        }
    }
    return 0;
}

/* Output closed; the child is exiting. Still bounded by the deadline.
 * *pid becomes -1 whether it was reaped or killed. */
static int reap_child(const char *const argv[], int64_t deadline, pid_t *pid, int *status)
{
    for (;;) {
        pid_t w = waitpid(*pid, status, WNOHANG);
        if (w == *pid) {
            break;
        }
        if (w < 0 || mono_ms() > deadline) {
            kill(*pid, SIGKILL);
            waitpid(*pid, status, 0);
            *pid = -1;
            fprintf(stderr, "ts: %s did not exit in time; killed\n", argv[0]);
            return -1;
        }
        nanosleep(&(struct timespec){0, 2000000L}, NULL);
    }
    *pid = -1;
    return 0;
}

int ts_run_capture_env(const char *const argv[], const char *const env[],
                       const char *stdin_data, int timeout_ms, int *exit_code, char **out,
                       char **err)
{
    int in_p[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
    growbuf go = {0}, ge = {0};
    size_t in_len = stdin_data != NULL ? strlen(stdin_data) : 0;
    int64_t deadline = mono_ms() + timeout_ms;
    pid_t pid = -1, parent;
    int status = 0, rc = -1;

    if (pipe(in_p) != 0 || pipe(out_p) != 0 || pipe(err_p) != 0) {
        fprintf(stderr, "ts: pipe: %s\n", strerror(errno));
        goto cleanup;
    }
    parent = getpid();
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "ts: fork: %s\n", strerror(errno));
        goto cleanup;
    }
    if (pid == 0) {
        child_exec(argv, env, parent, in_p, out_p, err_p);
    }
    close_fd(&in_p[0]);
    close_fd(&out_p[1]);
    close_fd(&err_p[1]);
    signal(SIGPIPE, SIG_IGN);
    if (in_len == 0) {
        close_fd(&in_p[1]);
    } else {
        fcntl(in_p[1], F_SETFL, fcntl(in_p[1], F_GETFL) | O_NONBLOCK);
    }
    if (pump_io(argv, timeout_ms, deadline, &pid, stdin_data, in_len, in_p, out_p, err_p,
                &go, &ge) != 0) {
        goto cleanup;
    }
    close_fd(&in_p[1]);
    if (reap_child(argv, deadline, &pid, &status) != 0) {
        goto cleanup;
    }
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (gb_append(&go, "", 0) != 0 || gb_append(&ge, "", 0) != 0) {
        goto cleanup;
    }
    if (out != NULL) {
        *out = go.buf;
        go.buf = NULL;
    }
    if (err != NULL) {
        *err = ge.buf;
        ge.buf = NULL;
    }
    rc = 0;
cleanup:
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    close_fd(&in_p[0]); close_fd(&in_p[1]);
    close_fd(&out_p[0]); close_fd(&out_p[1]);
    close_fd(&err_p[0]); close_fd(&err_p[1]);
    free(go.buf);
    free(ge.buf);
    return rc;
}
