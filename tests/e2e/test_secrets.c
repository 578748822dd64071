/*
 * test_secrets.c - the handling of secrets end to end: a server signed by
 * an unrelated CA is refused (and "retry later" holds), and no secret (the
 * app's, either profile's token) is in any command's output, the state, a
 * spool left by a killed delivery or a log; the secrets file is 0600.
 */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>

#include "e2e_profiles.h"

/* connector-host against the sandbox trusting ca_file, killed after
   timeout_ms; returns ts_run_capture's result (-1 when killed). */
static int run_argv(e2e *e, e2e_out *o, const char *ca_file, int timeout_ms,
                    const char *const *args)
{
    const char *argv[32];
    char offset[32];
    size_t n = 0;
    int rc;

    memset(o, 0, sizeof(*o));
    argv[n++] = getenv("TT_HOST");
    for (size_t i = 0; args[i] != NULL && n < 20; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = e->home;
    argv[n++] = "--api-base";
    argv[n++] = ts_sandbox_base_url(e->sb);
    argv[n++] = "--ca-file";
    argv[n++] = ca_file;
    argv[n++] = "--redirect-uri";
    argv[n++] = REDIRECT;
    if (e->clock_offset_ms != 0) {
        snprintf(offset, sizeof(offset), "%lld", e->clock_offset_ms);
        argv[n++] = "--clock-offset-ms";
        argv[n++] = offset;
    }
    argv[n] = NULL;
    CU_ASSERT_FATAL(argv[0] != NULL);
    rc = ts_run_capture(argv, NULL, timeout_ms, &o->exit_code, &o->out, &o->err);
    ep_transcript_add(o->out);
    ep_transcript_add(o->err);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "[%s, CA %s] exit %d\n%s\n%s\n", args[0], ca_file, o->exit_code,
                o->out ? o->out : "", o->err ? o->err : "");
    return rc;
}

/* connector-host against the sandbox, trusting ca_file instead. */
static void run_with_ca(e2e *e, e2e_out *o, const char *ca_file, const char *const *args)
{
    CU_ASSERT_FATAL(run_argv(e, o, ca_file, RUN_TIMEOUT_MS, args) == 0);
}

/* POST /sandbox/faults. */
static void set_faults(e2e *e, const char *spec)
{
    ts_http_resp r = {0};
    char *url = ts_sandbox_url(e->sb, "/sandbox/faults");

    CU_ASSERT_FATAL(url != NULL);
    CU_ASSERT(ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), NULL, spec, strlen(spec),
                              &r) == 0);
    CU_ASSERT_EQUAL(r.status, 200);
    ts_http_resp_free(&r);
    free(url);
}

static void test_wrong_ca_refused(void)
{
    e2e e;
    e2e_out o;
    char *cb;
    const char *other;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    other = ts_sandbox_certs(e.sb)->other_ca_pem;
    cb = ep_fresh_callback(&e, "tls");
    {
        const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", "tls",
                              "--callback", cb, NULL};
        run_with_ca(&e, &o, other, args);
        CU_ASSERT_EQUAL(o.exit_code, 75);
        CU_ASSERT(ep_has(o.err, "retry") && (ep_has(o.err, "TLS") || ep_has(o.err, "certificate")));
        CU_ASSERT(!ep_has(o.out, "connected"));
        e2e_out_free(&o);
    }
    {
        /* Never connected: no token was stored. */
        const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", "tls",
                              "--status", NULL};
        ep_run(&e, &o, args);
        CU_ASSERT_NOT_EQUAL(o.exit_code, 3);
        CU_ASSERT_NOT_EQUAL(o.exit_code, 0);
        CU_ASSERT(ep_has(o.err, "not_authorized") && ep_has(o.err, "never authorized"));
        e2e_out_free(&o);
    }
    {
        /* ... and nothing was recorded for it but the link (its API base,
           for the completing step): it is not connected. */
        const char *args[] = {"profiles", "--json", NULL};
        ep_run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        for (size_t i = 0; o.json != NULL && i < json_object_array_length(o.json); i++) {
            json_object *p = json_object_array_get_idx(o.json, i);
            if (strcmp(ts_world_get(p, "name"), "tls") == 0)
                CU_ASSERT_STRING_EQUAL(ts_world_get(p, "status"), "authorizing");
        }
        e2e_out_free(&o);
    }
    {
        /* "Retry later" holds: with the right CA the same link completes
           (TikTok never saw the code). */
        ep_complete(&e, "tls", cb, &o);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(ep_is_str(ts_world_get(o.json, "status"), "connected"));
        e2e_out_free(&o);
    }
    {
        /* A connected profile is not reached through the wrong CA either. */
        const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", e.profile,
                              "--status", NULL};
        run_with_ca(&e, &o, other, args);
        CU_ASSERT_EQUAL(o.exit_code, 75);
        CU_ASSERT(ep_has(o.err, "TLS") || ep_has(o.err, "certificate"));
        e2e_out_free(&o);
    }
    free(cb);
    e2e_teardown(&e);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    *len = 0;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t) n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t) n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static int mem_has(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; n > 0 && i + n <= len; i++)
        if (buf[i] == needle[0] && memcmp(buf + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Every file under dir except the secrets file: none holds a secret.
   Returns the number of files read; *spooled counts those in a spool. */
static int scan_tree(const char *dir, const char *const *secrets, const char *secrets_file,
                     int *spooled)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    int files = 0;

    CU_ASSERT_FATAL(d != NULL);
    while ((ent = readdir(d)) != NULL) {
        char path[E2E_PATH];
        const char *sp;
        struct stat st;

        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            files += scan_tree(path, secrets, secrets_file, spooled);
        } else if (S_ISREG(st.st_mode) && strcmp(path, secrets_file) != 0) {
            size_t len;
            char *buf = slurp(path, &len);
            CU_ASSERT(buf != NULL);
            for (size_t i = 0; buf != NULL && secrets[i] != NULL; i++) {
                if (mem_has(buf, len, secrets[i]))
                    fprintf(stderr, "\na secret (#%zu) is in %s\n", i, path);
                CU_ASSERT(!mem_has(buf, len, secrets[i]));
            }
            free(buf);
            files++;
            /* spool/<connection>/<file>, not the connection's lock */
            sp = strstr(path, "/spool/");
            *spooled += sp != NULL && strchr(sp + strlen("/spool/"), '/') != NULL;
        }
    }
    closedir(d);
    return files;
}

/* Delivers, waiting out retry-later answers the way a scheduler would
   (bounded); every output is recorded. */
static void deliver_until_done(e2e *e, const char *conn, e2e_out *o)
{
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_FATAL(e2e_deliver(e, conn, o) == 0);
        ep_transcript_add(o->out);
        ep_transcript_add(o->err);
        if (o->exit_code != 75)
            break;
        if (getenv("E2E_VERBOSE"))
            fprintf(stderr, "[deliver] exit 75\n%s\n%s\n", o->out, o->err);
        e2e_out_free(o);
    }
    if (o->exit_code != 0)
        fprintf(stderr, "\ndeliver exit %d: %s\n%s\n", o->exit_code, o->out ? o->out : "",
                o->err ? o->err : "");
}

/* A second profile: its authorization completes once, then the reused
   state is refused. Returns the callback (caller frees). */
static char *second_profile(e2e *e)
{
    e2e_out o;
    char *cb = ep_fresh_callback(e, "p2");

    ep_complete(e, "p2", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    ep_complete(e, "p2", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    e2e_out_free(&o);
    return cb;
}

/* Spool files live only during a run: stop one mid-upload (uploads made
   slow) with SIGKILL, as a crash would, and scan them. */
static void kill_mid_upload(e2e *e, const char *conn, const char *const *secrets,
                            const char *secrets_file, int *spooled)
{
    e2e_out o;
    const char *args[] = {"deliver", "--connection", conn, NULL};

    set_faults(e, "slow=1,slow_ms=5000,endpoints=file/upload");
    fprintf(stderr, "\n(killing a delivery mid-upload on purpose)\n");
    CU_ASSERT(run_argv(e, &o, ts_sandbox_ca_file(e->sb), 2500, args) == -1);
    e2e_out_free(&o);
    set_faults(e, "slow=0");
    CU_ASSERT(scan_tree(e->dir, secrets, secrets_file, spooled) >= 3);
    CU_ASSERT(*spooled > 0);
}

/* The rerun of that run meets a server the host must not trust; then p2's
   token is revoked and a delivery still completes. */
static void untrusted_then_revoked(e2e *e, const char *conn, const char *t2)
{
    e2e_out o;

    {
        const char *args[] = {"deliver", "--connection", conn, NULL};
        run_with_ca(e, &o, ts_sandbox_certs(e->sb)->other_ca_pem, args);
        CU_ASSERT_EQUAL(o.exit_code, 75);
        CU_ASSERT(ep_has(o.out, "\"tls_failed\""));
        e2e_out_free(&o);
    }
    ep_revoke(e, t2);
    {
        const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", "p2",
                              "--status", NULL};
        ep_run(e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        e2e_out_free(&o);
    }
    deliver_until_done(e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
}

/* No secret in any command's output nor in any file of the test's
   directory (state.db and its WAL, spool, logs, home included). */
static void check_no_leaks(e2e *e, const char *const *secrets, const char *secrets_file,
                           int *spooled)
{
    size_t transcript_len;
    const char *transcript = ep_transcript(&transcript_len);
    int files;

    CU_ASSERT_FATAL(transcript != NULL && transcript_len > 0);
    for (size_t i = 0; secrets[i] != NULL; i++) {
        if (mem_has(transcript, transcript_len, secrets[i]))
            fprintf(stderr, "\na secret (#%zu) is in a command's output\n", i);
        CU_ASSERT(!mem_has(transcript, transcript_len, secrets[i]));
    }
    files = scan_tree(e->dir, secrets, secrets_file, spooled);
    CU_ASSERT(files >= 3);
}

static void test_no_secret_leaks(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], secrets_file[E2E_PATH + 16], s[512], *conn, *cb, *t1, *t2;
    const char *app_secret;
    struct stat st;
    int spooled = 0;

    ep_transcript_reset();
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    app_secret = ts_world_get(e.world, "apps.0.secret");
    CU_ASSERT_FATAL(app_secret != NULL && strlen(app_secret) >= 16);

    /* A second profile, a connection, a delivery, remote validation, and
       failures (a reused state, a wrong CA, a revoked token). */
    cb = second_profile(&e);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 9, 2, 2, 1, 0) == 0);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Leak\","
             "\"create_new_for\":[\"%s\"]}", ep_roomy_account(&e, 0));
    conn = ep_connect_with(&e, dataset, s);
    deliver_until_done(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    ep_check_validate(&e, s, 1, NULL, NULL);
    t1 = ep_read_token(&e, e.profile);
    t2 = ep_read_token(&e, "p2");
    snprintf(secrets_file, sizeof(secrets_file), "%s/secrets.json", e.home);
    CU_ASSERT_EQUAL(e2e_gen(dataset, 200, 10, 0, 0, 0, 1), 0);
    {
        const char *secrets[] = {app_secret, t1, t2, NULL};
        kill_mid_upload(&e, conn, secrets, secrets_file, &spooled);
    }
    untrusted_then_revoked(&e, conn, t2);

    /* The secrets file is the owner's alone. */
    CU_ASSERT_FATAL(stat(secrets_file, &st) == 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);

    {
        const char *secrets[] = {app_secret, t1, t2, NULL};
        check_no_leaks(&e, secrets, secrets_file, &spooled);
    }
    {
        char db[E2E_PATH + 16];
        snprintf(db, sizeof(db), "%s/state.db", e.home);
        CU_ASSERT(stat(db, &st) == 0 && st.st_size > 0);
    }
    /* Sanity of the scan itself: the secrets file does hold the token. */
    {
        size_t len;
        char *buf = slurp(secrets_file, &len);
        CU_ASSERT(buf != NULL && mem_has(buf, len, t1));
        free(buf);
    }
    free(t1);
    free(t2);
    free(conn);
    free(cb);
    ep_transcript_reset();
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"security: unrelated CA refused", test_wrong_ca_refused},
        {"security: no secret in output, state, spool; secrets 0600", test_no_secret_leaks},
    };

    return ep_run_suite("profiles end to end: secrets", tests,
                        sizeof(tests) / sizeof(tests[0]));
}
