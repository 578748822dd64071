/* bench_session.c - a fresh sandbox + host home, authorized and connected. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_session.h"

#define REDIRECT_URI "http://127.0.0.1/callback"

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int copy_str(char *dst, size_t cap, const char *src)
{
    if (src == NULL || strlen(src) >= cap)
        return -1;
    strcpy(dst, src);
    return 0;
}

/*
 * Runs connector-host with the session's home and the sandbox's base URL.
 * args ends with NULL; stdout is captured into *out (may be NULL) or
 * written to out_path. Returns the exit code, or -1.
 */
static int host_cmd(const bench_session *s, const char *const *args, const char *in,
                    char **out, const char *out_path, double timeout_s,
                    bench_proc_result *res)
{
    const char *argv[32];
    char home[600], log[600], offset[32];
    bench_proc_result local;
    size_t n = 0;

    if (res == NULL)
        res = &local;
    snprintf(home, sizeof(home), "%s/home", s->dir);
    snprintf(log, sizeof(log), "%s/host.log", s->dir);
    argv[n++] = s->paths->host;
    for (; *args != NULL && n < 24; args++)
        argv[n++] = *args;
    argv[n++] = "--home";
    argv[n++] = home;
    argv[n++] = "--api-base";
    argv[n++] = s->sb.base_url;
    argv[n++] = "--redirect-uri";
    argv[n++] = REDIRECT_URI;
    if (s->clock_offset_ms != 0) {
        snprintf(offset, sizeof(offset), "%lld", s->clock_offset_ms);
        argv[n++] = "--clock-offset-ms";
        argv[n++] = offset;
    }
    argv[n] = NULL;
    if (bench_proc_run(argv, in, out, out_path, log, timeout_s, res) != 0)
        return -1;
    if (res->exit_code != 0)
        fprintf(stderr, "bench: connector-host %s exited %d; see %s\n", argv[1],
                res->exit_code, log);
    return res->exit_code;
}

/* The app and the signed-in user come from the world the sandbox runs. */
static int read_world(bench_session *s)
{
    json_object *w = bench_sandbox_get_json(&s->sb, "/sandbox/world");
    json_object *apps, *users, *v;
    int rc = -1;

    if (w == NULL || !json_object_object_get_ex(w, "apps", &apps)
        || !json_object_object_get_ex(w, "users", &users)
        || json_object_array_length(apps) < 1 || json_object_array_length(users) < 1)
        goto cleanup;
    if (!json_object_object_get_ex(json_object_array_get_idx(apps, 0), "app_id", &v)
        || copy_str(s->app_id, sizeof(s->app_id), json_object_get_string(v)) != 0)
        goto cleanup;
    if (!json_object_object_get_ex(json_object_array_get_idx(apps, 0), "secret", &v)
        || copy_str(s->app_secret, sizeof(s->app_secret), json_object_get_string(v)) != 0)
        goto cleanup;
    if (!json_object_object_get_ex(json_object_array_get_idx(users, 0), "user_id", &v)
        || copy_str(s->user_id, sizeof(s->user_id), json_object_get_string(v)) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (rc != 0)
        fprintf(stderr, "bench: the sandbox's world has no app or user\n");
    json_object_put(w);
    return rc;
}

/* authorize, consent (as the world's first user), authorize --callback. */
static int authorize(bench_session *s)
{
    const char *begin[] = {"authorize", "--plugin", s->paths->plugin, "--profile", "bench", NULL};
    char *url = NULL, *consent = NULL, *callback = NULL, *profile = NULL;
    json_object *p = NULL, *accts;
    size_t n;
    int rc = -1;

    if (host_cmd(s, begin, NULL, &url, NULL, 60, NULL) != 0)
        goto cleanup;
    chomp(url);
    if ((consent = malloc(strlen(url) + 64)) == NULL)
        goto cleanup;
    sprintf(consent, "%s&user_id=%s", url, s->user_id);
    if (bench_http_redirect(consent, &callback) != 0)
        goto cleanup;
    {
        const char *finish[] = {"authorize", "--plugin", s->paths->plugin, "--profile", "bench",
                                "--callback", callback, NULL};
        if (host_cmd(s, finish, NULL, &profile, NULL, 60, NULL) != 0)
            goto cleanup;
    }
    p = json_tokener_parse(profile);
    if (p == NULL || !json_object_object_get_ex(p, "ad_accounts", &accts)) {
        fprintf(stderr, "bench: authorize gave no ad_accounts\n");
        goto cleanup;
    }
    n = json_object_array_length(accts);
    if (n < (size_t) s->naccounts) {
        fprintf(stderr, "bench: the profile reaches %zu Ad Accounts, %d wanted\n", n,
                s->naccounts);
        goto cleanup;
    }
    for (int i = 0; i < s->naccounts; i++) {
        json_object *id;
        if (!json_object_object_get_ex(json_object_array_get_idx(accts, (size_t) i),
                                       "advertiser_id", &id)
            || copy_str(s->accounts[i], sizeof(s->accounts[i]), json_object_get_string(id)))
            goto cleanup;
    }
    rc = 0;
cleanup:
    json_object_put(p);
    free(url);
    free(consent);
    free(callback);
    free(profile);
    return rc;
}

static int connect_dataset(bench_session *s, const char *dataset)
{
    char settings[600];
    const char *args[] = {"connect", "--plugin", s->paths->plugin, "--profile", "bench",
                          "--dataset", dataset, "--settings", settings, NULL};
    json_object *o = json_object_new_object(), *list = json_object_new_array();
    char *id = NULL;
    int rc = -1;

    if (o == NULL || list == NULL)
        goto cleanup;
    for (int i = 0; i < s->naccounts; i++)
        json_object_array_add(list, json_object_new_string(s->accounts[i]));
    json_object_object_add(o, "connection_type",
                           json_object_new_string(s->existing_adv[0] ? "both" : "new"));
    json_object_object_add(o, "audience_name", json_object_new_string("Bench"));
    json_object_object_add(o, "create_new_for", list);
    list = NULL;
    if (s->existing_adv[0]) {
        json_object *ex = json_object_new_object(), *ids = json_object_new_array();
        json_object_array_add(ids, json_object_new_string(s->existing_aud));
        json_object_object_add(ex, s->existing_adv, ids);
        json_object_object_add(o, "existing_audiences", ex);
    }
    if (s->clear_text)
        json_object_object_add(o, "accept_clear_text_emails", json_object_new_boolean(1));
    snprintf(settings, sizeof(settings), "%s/settings.json", s->dir);
    if (json_object_to_file(settings, o) != 0)
        goto cleanup;
    if (host_cmd(s, args, NULL, &id, NULL, 60, NULL) != 0)
        goto cleanup;
    chomp(id);
    rc = copy_str(s->connection, sizeof(s->connection), id);
cleanup:
    json_object_put(o);
    json_object_put(list);
    free(id);
    return rc;
}

static int session_open(bench_session *s, const bench_paths *paths, const char *dir,
                        const char *dataset, int naccounts, int clear_text, const char *adv,
                        const char *aud)
{
    const char *set_id[] = {"secret", "set", "--plugin", paths->plugin, "app_id", NULL};
    const char *set_secret[] = {"secret", "set", "--plugin", paths->plugin, "app_secret", NULL};
    char log[600];

    memset(s, 0, sizeof(*s));
    s->paths = paths;
    s->naccounts = naccounts;
    s->clear_text = clear_text;
    if (naccounts < 1 || naccounts > 16 || copy_str(s->dir, sizeof(s->dir), dir) != 0
        || copy_str(s->existing_adv, sizeof(s->existing_adv), adv) != 0
        || copy_str(s->existing_aud, sizeof(s->existing_aud), aud) != 0)
        return -1;
    (void) bench_rm_tree(dir);
    if (mkdir(dir, 0700) != 0) {
        fprintf(stderr, "bench: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    snprintf(log, sizeof(log), "%s/sandbox.log", dir);
    if (bench_sandbox_start(paths->sandbox, paths->world, log, &s->sb) != 0)
        goto fail;
    if (read_world(s) != 0
        || host_cmd(s, set_id, s->app_id, NULL, NULL, 60, NULL) != 0
        || host_cmd(s, set_secret, s->app_secret, NULL, NULL, 60, NULL) != 0
        || authorize(s) != 0 || connect_dataset(s, dataset) != 0)
        goto fail;
    return 0;
fail:
    bench_session_stop(s);
    return -1;
}

int bench_session_open(bench_session *s, const bench_paths *paths, const char *dir,
                       const char *dataset, int naccounts)
{
    return session_open(s, paths, dir, dataset, naccounts, 0, "", "");
}

int bench_session_open_both(bench_session *s, const bench_paths *paths, const char *dir,
                            const char *dataset, int naccounts, const char *adv,
                            const char *aud)
{
    return session_open(s, paths, dir, dataset, naccounts, 0, adv, aud);
}

int bench_session_open_clear(bench_session *s, const bench_paths *paths, const char *dir,
                             const char *dataset, int naccounts)
{
    return session_open(s, paths, dir, dataset, naccounts, 1, "", "");
}

/* by_endpoint[ep] of a /sandbox/requests answer. */
static long count_of(json_object *req, const char *ep)
{
    json_object *by, *v;
    char key[128];

    snprintf(key, sizeof(key), "/open_api/v1.3/%s/", ep);
    if (req == NULL || !json_object_object_get_ex(req, "by_endpoint", &by)
        || !json_object_object_get_ex(by, key, &v))
        return 0;
    return (long) json_object_get_int64(v);
}

static long total_of(json_object *req)
{
    json_object *v;
    return req != NULL && json_object_object_get_ex(req, "total", &v)
        ? (long) json_object_get_int64(v) : 0;
}

/* Files, their bytes and the distinct (type, op) groups of the report. */
static int read_files(json_object *report, bench_delivery *d)
{
    json_object *plugin, *files;
    size_t n;

    if (!json_object_object_get_ex(report, "plugin", &plugin)
        || !json_object_object_get_ex(plugin, "files", &files))
        return -1;
    n = json_object_array_length(files);
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(files, i), *b, *t, *o;
        int seen = 0;
        if (!json_object_object_get_ex(f, "bytes", &b) || !json_object_object_get_ex(f, "type", &t)
            || !json_object_object_get_ex(f, "op", &o))
            return -1;
        d->spool_bytes += (uint64_t) json_object_get_int64(b);
        for (size_t k = 0; k < i && !seen; k++) {
            json_object *g = json_object_array_get_idx(files, k), *t2, *o2;
            json_object_object_get_ex(g, "type", &t2);
            json_object_object_get_ex(g, "op", &o2);
            seen = strcmp(json_object_get_string(t), json_object_get_string(t2)) == 0
                && strcmp(json_object_get_string(o), json_object_get_string(o2)) == 0;
        }
        d->ngroups += !seen;
    }
    d->nfiles = (int) n;
    d->files = json_object_get(files);
    return 0;
}

double bench_session_dry_run(bench_session *s, int serial, double *cpu_s)
{
    const char *args[] = {"deliver", "--connection", s->connection, "--dry-run", NULL};
    char report_path[600];
    bench_proc_result res;
    int rc;

    snprintf(report_path, sizeof(report_path), "%s/dry-run.json", s->dir);
    /* The child inherits it; nothing else runs meanwhile. */
    if (serial)
        setenv("CONNECTOR_HOST_READER_THREAD", "0", 1);
    rc = host_cmd(s, args, NULL, NULL, report_path, 3600, &res);
    unsetenv("CONNECTOR_HOST_READER_THREAD");
    *cpu_s = rc == 0 ? (double) res.ru.ru_utime.tv_sec + res.ru.ru_utime.tv_usec / 1e6
                       + (double) res.ru.ru_stime.tv_sec + res.ru.ru_stime.tv_usec / 1e6 : -1;
    return rc == 0 ? res.wall_s : -1;
}

int bench_session_deliver(bench_session *s, bench_delivery *d)
{
    const char *args[] = {"deliver", "--connection", s->connection, NULL};
    char report_path[600];
    json_object *before = NULL, *after = NULL, *report = NULL, *v;
    bench_proc_result res;
    int rc = -1;

    memset(d, 0, sizeof(*d));
    snprintf(report_path, sizeof(report_path), "%s/report.json", s->dir);
    before = bench_sandbox_get_json(&s->sb, "/sandbox/requests");
    if (before == NULL || host_cmd(s, args, NULL, NULL, report_path, 3600, &res) != 0)
        goto cleanup;
    d->sandbox_rss_kb = bench_proc_hwm_kb(s->sb.pid);
    d->wall_s = res.wall_s;
    d->host_cpu_s = (double) res.ru.ru_utime.tv_sec + res.ru.ru_utime.tv_usec / 1e6
                  + (double) res.ru.ru_stime.tv_sec + res.ru.ru_stime.tv_usec / 1e6;
    d->host_rss_kb = res.ru.ru_maxrss;
    after = bench_sandbox_get_json(&s->sb, "/sandbox/requests");
    report = json_object_from_file(report_path);
    if (after == NULL || report == NULL || !json_object_object_get_ex(report, "status", &v)
        || strcmp(json_object_get_string(v), "delivered") != 0) {
        fprintf(stderr, "bench: the deliver did not deliver; see %s\n", report_path);
        goto cleanup;
    }
    if (!json_object_object_get_ex(report, "records_read", &v) || read_files(report, d) != 0) {
        fprintf(stderr, "bench: the report has no records_read or plugin.files\n");
        goto cleanup;
    }
    d->records = (uint64_t) json_object_get_int64(v);
    {
        json_object *plugin = NULL, *early = NULL;
        if (json_object_object_get_ex(report, "plugin", &plugin)
            && json_object_object_get_ex(plugin, "uploads_while_spooling", &early))
            d->early_uploads = (long) json_object_get_int64(early);
    }
    d->bytes_uploaded = d->spool_bytes * (uint64_t) s->naccounts;
    d->calls = total_of(after) - total_of(before);
    d->uploads = count_of(after, "dmp/custom_audience/file/upload")
               - count_of(before, "dmp/custom_audience/file/upload");
    d->creates = count_of(after, "dmp/custom_audience/create")
               - count_of(before, "dmp/custom_audience/create");
    d->updates = count_of(after, "dmp/custom_audience/update")
               - count_of(before, "dmp/custom_audience/update");
    d->gets = count_of(after, "dmp/custom_audience/get")
            - count_of(before, "dmp/custom_audience/get");
    d->lists = count_of(after, "dmp/custom_audience/list")
             - count_of(before, "dmp/custom_audience/list");
    d->other_calls = d->calls - d->uploads - d->creates - d->updates - d->gets - d->lists;
    /* A first delivery to new audiences: each file once per account; one
       create per audience; before each create, the one list that records
       the audiences already called that name (tt_create.c: what lets a
       run resumed after a crash tell its own audience from the
       marketer's); plus the one get per account that reports cover_num. */
    d->lists_min = (long) s->naccounts * d->ngroups;
    d->calls_min = (long) s->naccounts * (d->nfiles + d->ngroups + 1) + d->lists_min;
    rc = 0;
cleanup:
    json_object_put(before);
    json_object_put(after);
    json_object_put(report);
    return rc;
}

int bench_session_token_header(const bench_session *s, const char *hdr_path)
{
    char url[1024], body[512], *loc = NULL, *code, *end;
    json_object *ans = NULL, *data, *tok;
    FILE *f = NULL;
    int fd, rc = -1;

    snprintf(url, sizeof(url), "%s/portal/auth?app_id=%s&state=bench&redirect_uri=%s&user_id=%s",
             s->sb.base_url, s->app_id, REDIRECT_URI, s->user_id);
    if (bench_http_redirect(url, &loc) != 0 || (code = strstr(loc, "auth_code=")) == NULL)
        goto cleanup;
    code += strlen("auth_code=");
    if ((end = strchr(code, '&')) != NULL)
        *end = '\0';
    snprintf(body, sizeof(body), "{\"app_id\":\"%s\",\"secret\":\"%s\",\"auth_code\":\"%s\"}",
             s->app_id, s->app_secret, code);
    snprintf(url, sizeof(url), "%s/open_api/v1.3/oauth2/access_token/", s->sb.base_url);
    ans = bench_http_post_json(url, body);
    if (ans == NULL || !json_object_object_get_ex(ans, "data", &data)
        || !json_object_object_get_ex(data, "access_token", &tok))
        goto cleanup;
    fd = open(hdr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto cleanup;
    if ((f = fdopen(fd, "w")) == NULL) {
        close(fd);
        goto cleanup;
    }
    fprintf(f, "Access-Token: %s\n", json_object_get_string(tok));
    rc = 0;
cleanup:
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "bench: could not get a sandbox access token\n");
    json_object_put(ans);
    free(loc);
    return rc;
}

void bench_session_stop(bench_session *s)
{
    bench_proc_result res;

    if (s->sb.pid > 0)
        (void) bench_sandbox_stop(&s->sb, &res);
    if (s->dir[0] != '\0')
        fprintf(stderr, "bench: logs and report kept in %s\n", s->dir);
}

void bench_session_close(bench_session *s)
{
    bench_proc_result res;

    if (s->sb.pid > 0)
        (void) bench_sandbox_stop(&s->sb, &res);
    if (s->dir[0] != '\0')
        (void) bench_rm_tree(s->dir);
}

void bench_delivery_free(bench_delivery *d)
{
    json_object_put(d->files);
    d->files = NULL;
}
