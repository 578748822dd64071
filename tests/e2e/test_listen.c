/*
 * test_listen.c - signing in as the people who run the host do (issue 15):
 * tokens never travel in clear text (a plain-http API base or redirect URI
 * to another host is refused before anything is sent), and `authorize
 * --listen` serves the loopback redirect URI itself, driven here by libcurl
 * following the sandbox's consent redirect as a browser would.
 */
#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <CUnit/Basic.h>
#include <curl/curl.h>

#include "e2e.h"

#define RUN_TIMEOUT_MS (2 * 60 * 1000)

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static int has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

/* connector-host with exactly args (no fixture options) and --home home,
   stdin fed from input (may be NULL). */
static void host_in(const char *home, const char *input, const char *const *args, e2e_out *o)
{
    const char *argv[40];
    size_t n = 0;

    memset(o, 0, sizeof(*o));
    argv[n++] = getenv("TT_HOST");
    for (size_t i = 0; args[i] != NULL && n < 36; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = home;
    argv[n] = NULL;
    CU_ASSERT_EQUAL_FATAL(ts_run_capture(argv, input, RUN_TIMEOUT_MS, &o->exit_code, &o->out,
                                         &o->err), 0);
    if (o->out != NULL)
        o->json = json_tokener_parse(o->out);
}

static void host_raw(const char *home, const char *const *args, e2e_out *o)
{
    host_in(home, NULL, args, o);
}

/* A mistyped http:// API base or a plain-http redirect URI to another
   host: refused by the plugin with the option named, nothing recorded.
   No sandbox runs and the hosts named do not resolve here: a request,
   had one been tried, would fail with a network error, not this one. */
static void test_cleartext_refused(void)
{
    char dir[TS_PATH_MAX], home[E2E_PATH];
    e2e_out o;

    CU_ASSERT_EQUAL_FATAL(ts_tmpdir_make(dir, sizeof(dir)), 0);
    snprintf(home, sizeof(home), "%s/home", dir);
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "acme",
                              "--api-base", "http://business-api.tiktok.com", NULL};
        host_raw(home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.err, "api_base_insecure"));
        CU_ASSERT(has(o.err, "field: api_base"));
        CU_ASSERT(has(o.err, "nothing was sent"));
        CU_ASSERT(has(o.err, "https://"));
        CU_ASSERT_STRING_EQUAL(o.out, "");
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "acme",
                              "--api-base", "https://127.0.0.1:1",
                              "--redirect-uri", "http://connector.example/tiktok/cb", NULL};
        host_raw(home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.err, "redirect_uri_insecure"));
        CU_ASSERT(has(o.err, "field: redirect_uri"));
        CU_ASSERT(has(o.err, "--listen"));
        CU_ASSERT_STRING_EQUAL(o.out, "");
        e2e_out_free(&o);
    }
    {
        /* Nothing was recorded for the profile. */
        const char *args[] = {"profiles", "--json", NULL};
        host_raw(home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(o.json != NULL && json_object_is_type(o.json, json_type_array)
                  && json_object_array_length(o.json) == 0);
        e2e_out_free(&o);
    }
    if (getenv("E2E_KEEP") == NULL)
        ts_tmpdir_remove(dir);
}

/* ---- authorize --listen ------------------------------------------------ */

typedef struct lfix {
    ts_sandbox *sb;
    json_object *world;
    char dir[TS_PATH_MAX];
    char home[E2E_PATH];
    unsigned port;
    char listen[32];
    char redirect[64];
} lfix;

/* A loopback port nothing listens on now (the kernel's pick). */
static unsigned free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0
        && getsockname(fd, (struct sockaddr *) &a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* A sandbox whose app has the loopback redirect URI registered (TikTok
   matches it exactly, port included), and a home with the app's secrets. */
static int lfix_setup(lfix *f)
{
    const char *argv[] = {getenv("TT_SANDBOX"), "--print-world", NULL};
    char *out = NULL, path[E2E_PATH];
    json_object *w = NULL;
    ts_sandbox_opts o;
    e2e_out r;
    int code = -1, rc = -1;

    memset(f, 0, sizeof(*f));
    if (ts_tmpdir_make(f->dir, sizeof(f->dir)) != 0 || (f->port = free_port()) == 0)
        return -1;
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->listen, sizeof(f->listen), "127.0.0.1:%u", f->port);
    snprintf(f->redirect, sizeof(f->redirect), "http://127.0.0.1:%u/callback", f->port);
    if (ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &code, &out, NULL) != 0 || code != 0
        || (w = json_tokener_parse(out)) == NULL)
        goto cleanup;
    json_object_array_add(ts_json_at(w, "apps.0.redirect_uris"),
                          json_object_new_string(f->redirect));
    snprintf(path, sizeof(path), "%s/world.json", f->dir);
    if (e2e_write(path, json_object_to_json_string(w)) != 0)
        goto cleanup;
    ts_sandbox_opts_init(&o);
    o.world_file = path;
    if (ts_sandbox_start(&o, &f->sb) != 0 || (f->world = ts_sandbox_world(f->sb)) == NULL)
        goto cleanup;
    {
        const char *a1[] = {"secret", "set", "--plugin", plugin(), "app_id", NULL};
        const char *a2[] = {"secret", "set", "--plugin", plugin(), "app_secret", NULL};
        host_in(f->home, ts_world_get(f->world, "apps.0.app_id"), a1, &r);
        code = r.exit_code;
        e2e_out_free(&r);
        host_in(f->home, ts_world_get(f->world, "apps.0.secret"), a2, &r);
        if (code != 0 || r.exit_code != 0) {
            e2e_out_free(&r);
            goto cleanup;
        }
        e2e_out_free(&r);
    }
    rc = 0;
cleanup:
    json_object_put(w);
    free(out);
    return rc;
}

static void lfix_teardown(lfix *f)
{
    ts_sandbox_stop(f->sb);
    json_object_put(f->world);
    if (f->dir[0] != '\0' && getenv("E2E_KEEP") == NULL)
        ts_tmpdir_remove(f->dir);
}

/* authorize --listen in the background, stdout and stderr to files. */
static pid_t spawn_listen(lfix *f, const char *profile, const char *timeout_s)
{
    char out[E2E_PATH], err[E2E_PATH];
    const char *argv[] = {getenv("TT_HOST"), "authorize", "--plugin", plugin(), "--profile",
                          profile, "--home", f->home, "--api-base", ts_sandbox_base_url(f->sb),
                          "--ca-file", ts_sandbox_ca_file(f->sb), "--listen", f->listen,
                          "--listen-timeout", timeout_s, NULL};
    pid_t pid;

    snprintf(out, sizeof(out), "%s/%s.out", f->dir, profile);
    snprintf(err, sizeof(err), "%s/%s.err", f->dir, profile);
    pid = fork();
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execv(argv[0], (char *const *) argv);
        _exit(127);
    }
    return pid;
}

static char *read_text(lfix *f, const char *profile, const char *ext)
{
    char path[E2E_PATH];
    FILE *fp;
    char *buf = calloc(1, 65536);
    size_t n;

    snprintf(path, sizeof(path), "%s/%s.%s", f->dir, profile, ext);
    if (buf == NULL || (fp = fopen(path, "r")) == NULL)
        return buf;
    n = fread(buf, 1, 65535, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The authorization URL, once the host printed it (its first line). */
static char *wait_url(lfix *f, const char *profile)
{
    for (int i = 0; i < 200; i++) {
        char *t = read_text(f, profile, "out"), *nl = t != NULL ? strchr(t, '\n') : NULL;
        if (nl != NULL) {
            *nl = '\0';
            return t;
        }
        free(t);
        sleep_ms(50);
    }
    return NULL;
}

/* Waits (20 s at most) for pid's exit code; -1 if it did not end. */
static int wait_exit(pid_t pid)
{
    int status;

    for (int i = 0; i < 400; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

typedef struct page {
    char *body;
    size_t len;
} page;

static size_t page_write(char *data, size_t size, size_t n, void *ctx)
{
    page *p = ctx;
    char *nb = realloc(p->body, p->len + size * n + 1);

    if (nb == NULL)
        return 0;
    memcpy(nb + p->len, data, size * n);
    p->len += size * n;
    nb[p->len] = '\0';
    p->body = nb;
    return size * n;
}

/* GET url as a browser would, following redirects (the sandbox's consent
   page sends it to the loopback redirect URI). Returns the final status. */
static long browse(lfix *f, const char *url, page *p, char **final_url)
{
    CURL *c = curl_easy_init();
    long status = 0;
    char *eff = NULL;

    memset(p, 0, sizeof(*p));
    if (c == NULL)
        return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_CAINFO, ts_sandbox_ca_file(f->sb));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, page_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, p);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (final_url != NULL && curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK
            && eff != NULL)
            *final_url = strdup(eff);
    }
    curl_easy_cleanup(c);
    return status;
}

/* The whole flow: the host listens, the "browser" consents and is sent
   back to the host, which completes the profile and answers the page. */
static void test_listen_flow(void)
{
    lfix f;
    pid_t pid;
    char *url = NULL, *consent = NULL, *final = NULL, *out = NULL, base[96];
    page p;
    e2e_out o;

    CU_ASSERT_EQUAL_FATAL(lfix_setup(&f), 0);
    pid = spawn_listen(&f, "web", "60");
    CU_ASSERT_FATAL(pid > 0);
    url = wait_url(&f, "web");
    CU_ASSERT_PTR_NOT_NULL_FATAL(url);
    CU_ASSERT(has(url, "/portal/auth?"));
    CU_ASSERT(has(url, "redirect_uri=http%3A%2F%2F127.0.0.1%3A") || has(url, "redirect_uri=http%3a"));
    /* Visits that are not TikTok's redirect do not end the wait. */
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", f.port);
    {
        char u[128];
        snprintf(u, sizeof(u), "%s/favicon.ico", base);
        CU_ASSERT_EQUAL(browse(&f, u, &p, NULL), 404);
        free(p.body);
        snprintf(u, sizeof(u), "%s/callback", base);
        CU_ASSERT_EQUAL(browse(&f, u, &p, NULL), 400);
        CU_ASSERT(has(p.body, "Waiting for TikTok"));
        free(p.body);
    }
    consent = malloc(strlen(url) + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(consent);
    sprintf(consent, "%s&user_id=%s", url, ts_world_get(f.world, "users.0.user_id"));
    CU_ASSERT_EQUAL(browse(&f, consent, &p, &final), 200);
    CU_ASSERT(has(final, base));
    CU_ASSERT(has(final, "auth_code="));
    CU_ASSERT(has(p.body, "Signed in"));
    CU_ASSERT(has(p.body, "Profile web is connected. You can close this window"));
    free(p.body);
    CU_ASSERT_EQUAL(wait_exit(pid), 0);
    out = read_text(&f, "web", "out");
    CU_ASSERT(has(out, "\"status\":\"connected\""));
    {
        const char *args[] = {"profiles", "--json", NULL};
        host_raw(f.home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(has(o.out, "\"name\":\"web\"") || has(o.out, "\"profile\":\"web\""));
        CU_ASSERT(has(o.out, "\"status\":\"connected\""));
        e2e_out_free(&o);
    }
    free(out);
    free(final);
    free(consent);
    free(url);
    lfix_teardown(&f);
}

/* A redirect whose state was altered: the browser is told what went
   wrong with the plugin's message as the terminal prints it (the command
   it names runnable as shown, with --plugin), and the host exits 1. */
static void test_listen_failure_page(void)
{
    lfix f;
    pid_t pid;
    char *url = NULL, cb[256], *err = NULL, fix[TS_PATH_MAX + 64];
    page p;

    CU_ASSERT_EQUAL_FATAL(lfix_setup(&f), 0);
    pid = spawn_listen(&f, "bad", "60");
    CU_ASSERT_FATAL(pid > 0);
    url = wait_url(&f, "bad");
    CU_ASSERT_PTR_NOT_NULL_FATAL(url);
    snprintf(cb, sizeof(cb), "http://127.0.0.1:%u/callback?auth_code=abc&state=v1.tampered.x",
             f.port);
    CU_ASSERT_EQUAL(browse(&f, cb, &p, NULL), 400);
    CU_ASSERT(has(p.body, "Sign-in failed"));
    CU_ASSERT(has(p.body, "state_"));
    snprintf(fix, sizeof(fix), "connector-host authorize --plugin %s --profile bad", plugin());
    CU_ASSERT(has(p.body, fix));
    free(p.body);
    CU_ASSERT_EQUAL(wait_exit(pid), 1);
    err = read_text(&f, "bad", "err");
    CU_ASSERT(has(err, "authorize failed: auth_flow"));
    CU_ASSERT(has(err, fix));
    free(err);
    free(url);
    lfix_teardown(&f);
}

/* Nobody comes back: the timeout ends the wait cleanly (exit 75, the
   port released); other addresses than loopback are refused. */
static void test_listen_timeout_and_refusals(void)
{
    lfix f;
    pid_t pid;
    char *err = NULL, *url = NULL;
    e2e_out o;

    CU_ASSERT_EQUAL_FATAL(lfix_setup(&f), 0);
    pid = spawn_listen(&f, "late", "1");
    CU_ASSERT_FATAL(pid > 0);
    url = wait_url(&f, "late");
    CU_ASSERT_PTR_NOT_NULL(url);
    CU_ASSERT_EQUAL(wait_exit(pid), 75);
    err = read_text(&f, "late", "err");
    CU_ASSERT(has(err, "timed out before the browser came back"));
    free(err);
    free(url);
    {
        static const char *const bad[] = {"0.0.0.0:8765", "192.0.2.1:8765", "[::]:8765",
                                          "example.com:8765"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "x",
                                  "--api-base", ts_sandbox_base_url(f.sb), "--ca-file",
                                  ts_sandbox_ca_file(f.sb), "--listen", bad[i], NULL};
            host_raw(f.home, args, &o);
            CU_ASSERT_EQUAL(o.exit_code, 2);
            CU_ASSERT(has(o.err, "--listen"));
            CU_ASSERT_STRING_EQUAL(o.out, "");   /* no URL printed */
            e2e_out_free(&o);
        }
    }
    {
        /* Not the port listened on: refused, naming both. */
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "x",
                              "--listen", f.listen, "--redirect-uri",
                              "http://127.0.0.1:1/callback", NULL};
        host_raw(f.home, args, &o);
        CU_ASSERT_EQUAL(o.exit_code, 2);
        CU_ASSERT(has(o.err, "does not match --listen"));
        e2e_out_free(&o);
    }
    lfix_teardown(&f);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"plain http to another host refused, nothing sent", test_cleartext_refused},
        {"authorize --listen: consent, redirect, connected", test_listen_flow},
        {"authorize --listen: a failed completion told to the browser", test_listen_failure_page},
        {"authorize --listen: timeout; loopback only", test_listen_timeout_and_refusals},
    };

    return e2e_run_suite("listen", tests, sizeof(tests) / sizeof(tests[0]));
}
