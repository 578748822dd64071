/* ts_sandbox.c: start tiktok-sandbox on a free loopback port and stop it
 * again. The sandbox chooses the port (--listen 127.0.0.1:0) and reports
 * it in its ready line, so parallel tests never race for ports. */
#include "ts.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000

struct ts_sandbox {
    pid_t pid;
    char base_url[128];
    ts_certs certs;
    bool tls;
    char owned_dir[TS_PATH_MAX];   /* cert dir we made, or "" */
};

void ts_sandbox_opts_init(ts_sandbox_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = -1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads one line from fd within the deadline into buf. */
static int read_line(int fd, char *buf, size_t len, int timeout_ms)
{
    size_t n = 0;
    int64_t deadline = mono_ms() + timeout_ms;

    while (n + 1 < len) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(deadline - mono_ms());
        ssize_t r;
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            return -1;
        }
        r = read(fd, buf + n, 1);
        if (r <= 0) {
            return -1;
        }
        if (buf[n] == '\n') {
            break;
        }
        n++;
    }
    buf[n] = '\0';
    return 0;
}

/* Number buffers that build_argv's argv points into. */
typedef struct {
    char seed[32], delay[32], qps[32];
} sandbox_nums;

/* Fills argv (cap entries, NULL-terminated) from opts; -1 if too many. */
static int build_argv(const ts_sandbox_opts *opts, const ts_sandbox *s, const char *bin,
                      sandbox_nums *nums, const char **argv, int cap)
{
    int argc = 0;

    argv[argc++] = bin;
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    if (s->tls) {
        argv[argc++] = "--tls-cert";
        argv[argc++] = s->certs.server_pem;
        argv[argc++] = "--tls-key";
        argv[argc++] = s->certs.server_key;
    }
    if (opts->world_file != NULL) {
        argv[argc++] = "--world";
        argv[argc++] = opts->world_file;
    }
    if (opts->faults != NULL) {
        argv[argc++] = "--faults";
        argv[argc++] = opts->faults;
    }
    if (opts->seed >= 0) {
        snprintf(nums->seed, sizeof nums->seed, "%lld", opts->seed);
        argv[argc++] = "--seed";
        argv[argc++] = nums->seed;
    }
    if (opts->processing_delay_ms > 0) {
        snprintf(nums->delay, sizeof nums->delay, "%ld", opts->processing_delay_ms);
        argv[argc++] = "--processing-delay-ms";
        argv[argc++] = nums->delay;
    }
    if (opts->qps > 0) {
        snprintf(nums->qps, sizeof nums->qps, "%ld", opts->qps);
        argv[argc++] = "--qps";
        argv[argc++] = nums->qps;
    }
    if (opts->data_dir != NULL) {
        argv[argc++] = "--data-dir";
        argv[argc++] = opts->data_dir;
    }
    for (size_t i = 0; opts->extra_args != NULL && opts->extra_args[i] != NULL; i++) {
        if (argc >= cap - 1) {
            fprintf(stderr, "ts: too many sandbox arguments\n");
            return -1;
        }
        argv[argc++] = opts->extra_args[i];
    }
    argv[argc] = NULL;
    return 0;
}

/* Forks and execs the sandbox with stdout on pfd[1]; sets s->pid. */
static int spawn_sandbox(ts_sandbox *s, const char *bin, const char **argv, int pfd[2])
{
    pid_t parent;

    if (pipe(pfd) != 0) {
        return -1;
    }
    parent = getpid();
    s->pid = fork();
    if (s->pid < 0) {
        return -1;
    }
    if (s->pid == 0) {
#ifdef __linux__
        /* A test that crashes or is killed must not leave its sandbox
         * running forever: the kernel sends SIGTERM when we die. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(1);
        }
#else
        (void)parent;
#endif
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execv(bin, (char *const *)argv);
        fprintf(stderr, "ts: exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    pfd[1] = -1;
    return 0;
}

/* Reads the sandbox's JSON ready line and stores its base_url in s. */
static int read_ready(ts_sandbox *s, int fd)
{
    char line[512];
    json_object *ready = NULL, *v;
    int rc = -1;

    if (read_line(fd, line, sizeof line, READY_TIMEOUT_MS) != 0) {
        fprintf(stderr, "ts: the sandbox printed no ready line within %d ms\n",
                READY_TIMEOUT_MS);
        goto cleanup;
    }
    ready = json_tokener_parse(line);
    if (ready == NULL || !json_object_object_get_ex(ready, "base_url", &v)
        || !json_object_is_type(v, json_type_string)
        || (size_t)json_object_get_string_len(v) >= sizeof s->base_url) {
        fprintf(stderr, "ts: unexpected ready line: %.200s\n", line);
        goto cleanup;
    }
    snprintf(s->base_url, sizeof s->base_url, "%s", json_object_get_string(v));
    rc = 0;
cleanup:
    json_object_put(ready);
    return rc;
}

int ts_sandbox_start(const ts_sandbox_opts *opts, ts_sandbox **out)
{
    ts_sandbox_opts def;
    const char *bin = getenv("TT_SANDBOX");
    const char *argv[48];
    sandbox_nums nums;
    int pfd[2] = {-1, -1};
    ts_sandbox *s = NULL;

    if (opts == NULL) {
        ts_sandbox_opts_init(&def);
        opts = &def;
    }
    if (bin == NULL || *bin == '\0') {
        fprintf(stderr, "ts: TT_SANDBOX is not set (run through make check)\n");
        return -1;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        return -1;
    }
    s->pid = -1;
    s->tls = !opts->plain_http;
    if (s->tls) {
        if (opts->certs != NULL) {
            s->certs = *opts->certs;
        } else if (ts_tmpdir_make(s->owned_dir, sizeof s->owned_dir) != 0
                   || ts_certs_make(s->owned_dir, &s->certs) != 0) {
            goto fail;
        }
    }
    if (build_argv(opts, s, bin, &nums, argv, (int)(sizeof argv / sizeof argv[0])) != 0
        || spawn_sandbox(s, bin, argv, pfd) != 0 || read_ready(s, pfd[0]) != 0) {
        goto fail;
    }
    close(pfd[0]);
    *out = s;
    return 0;
fail:
    if (pfd[0] >= 0) {
        close(pfd[0]);
    }
    if (pfd[1] >= 0) {
        close(pfd[1]);
    }
    ts_sandbox_stop(s);
    return -1;
}

int ts_sandbox_stop(ts_sandbox *s)
{
    int status = 0, rc = -1;
    int64_t deadline;

    if (s == NULL) {
        return 0;
    }
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        deadline = mono_ms() + STOP_TIMEOUT_MS;
        for (;;) {
            pid_t w = waitpid(s->pid, &status, WNOHANG);
            if (w == s->pid) {
                rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
                if (rc != 0) {
                    fprintf(stderr, "ts: the sandbox exited with status 0x%x\n", status);
                }
                break;
            }
            if (w < 0 || mono_ms() > deadline) {
                fprintf(stderr, "ts: the sandbox ignored SIGTERM; killing it\n");
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &status, 0);
                break;
            }
            nanosleep(&(struct timespec){0, 5000000L}, NULL);
        }
    }
    if (s->owned_dir[0] != '\0') {
        ts_tmpdir_remove(s->owned_dir);
    }
    free(s);
    return rc;
}

const char *ts_sandbox_base_url(const ts_sandbox *s)
{
    return s->base_url;
}

const char *ts_sandbox_ca_file(const ts_sandbox *s)
{
    return s->tls ? s->certs.ca_pem : NULL;
}

const ts_certs *ts_sandbox_certs(const ts_sandbox *s)
{
    return s->tls ? &s->certs : NULL;
}

pid_t ts_sandbox_pid(const ts_sandbox *s)
{
    return s->pid;
}

char *ts_sandbox_url(const ts_sandbox *s, const char *path)
{
    size_t n = strlen(s->base_url) + strlen(path) + 1;
    char *u = malloc(n);

    if (u != NULL) {
        snprintf(u, n, "%s%s", s->base_url, path);
    }
    return u;
}

json_object *ts_sandbox_world(const ts_sandbox *s)
{
    char *url = ts_sandbox_url(s, "/sandbox/world"), *body = NULL;
    long status = 0;
    json_object *w = NULL;

    if (url != NULL && ts_http_get(url, ts_sandbox_ca_file(s), &status, &body) == 0
        && status == 200) {
        w = json_tokener_parse(body);
    }
    if (w == NULL) {
        fprintf(stderr, "ts: GET /sandbox/world failed (HTTP %ld)\n", status);
    }
    free(url);
    free(body);
    return w;
}

static int post_ctl(const ts_sandbox *s, const char *path, const char *body)
{
    char *url = ts_sandbox_url(s, path), *resp = NULL;
    long status = 0;
    int rc = -1;

    if (url != NULL && ts_http_post_json(url, ts_sandbox_ca_file(s), body, &status, &resp) == 0
        && status == 200) {
        rc = 0;
    } else {
        fprintf(stderr, "ts: POST %s failed (HTTP %ld)\n", path, status);
    }
    free(url);
    free(resp);
    return rc;
}

int ts_sandbox_advance_clock(const ts_sandbox *s, long long ms)
{
    char body[64];

    snprintf(body, sizeof body, "{\"advance_ms\":%lld}", ms);
    return post_ctl(s, "/sandbox/clock", body);
}

int ts_sandbox_reset(const ts_sandbox *s)
{
    return post_ctl(s, "/sandbox/reset", "");
}

int ts_sandbox_authorize(const ts_sandbox *s, const char *user_id, char **token)
{
    json_object *w = ts_sandbox_world(s), *env = NULL, *data = NULL, *v;
    const char *app_id, *secret, *redirect;
    char *url = NULL, *code_start, body[512];
    size_t n;
    ts_http_resp r = {0};
    int code = -1, rc = -1;

    *token = NULL;
    if (w == NULL) {
        return -1;
    }
    app_id = ts_world_get(w, "apps.0.app_id");
    secret = ts_world_get(w, "apps.0.secret");
    redirect = ts_world_get(w, "apps.0.redirect_uris.0");
    if (app_id == NULL || secret == NULL || redirect == NULL) {
        fprintf(stderr, "ts: the world has no app with a redirect_uri\n");
        goto cleanup;
    }
    n = strlen(s->base_url) + strlen(app_id) + strlen(redirect) * 3 + 128;
    url = malloc(n);
    if (url == NULL) {
        goto cleanup;
    }
    /* redirect_uris in the default world need no escaping beyond ':' '/'. */
    snprintf(url, n, "%s/portal/auth?app_id=%s&state=ts&redirect_uri=%s%s%s", s->base_url,
             app_id, redirect, user_id != NULL ? "&user_id=" : "",
             user_id != NULL ? user_id : "");
    if (ts_http_request("GET", url, ts_sandbox_ca_file(s), NULL, NULL, 0, &r) != 0
        || r.status != 302 || r.location == NULL
        || (code_start = strstr(r.location, "auth_code=")) == NULL) {
        fprintf(stderr, "ts: the consent page did not redirect with an auth_code "
                "(HTTP %ld)\n", r.status);
        goto cleanup;
    }
    code_start += strlen("auth_code=");
    code_start[strcspn(code_start, "&")] = '\0';
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"%s\",\"auth_code\":\"%s\"}",
             app_id, secret, code_start);
    free(url);
    url = ts_sandbox_url(s, "/open_api/v1.3/oauth2/access_token/");
    ts_http_resp_free(&r);
    {
        static const char *const hdr[] = {"Content-Type: application/json", NULL};
        if (url == NULL || ts_http_request("POST", url, ts_sandbox_ca_file(s), hdr, body,
                                           strlen(body), &r) != 0) {
            goto cleanup;
        }
    }
    env = ts_envelope(r.body, &code, &data);
    if (env == NULL || code != 0 || !json_object_object_get_ex(data, "access_token", &v)) {
        fprintf(stderr, "ts: oauth2/access_token/ failed with code %d\n", code);
        goto cleanup;
    }
    *token = strdup(json_object_get_string(v));
    rc = *token != NULL ? 0 : -1;
cleanup:
    json_object_put(env);
    json_object_put(w);
    ts_http_resp_free(&r);
    free(url);
    return rc;
}
