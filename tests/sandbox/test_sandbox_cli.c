/* test_sandbox_cli.c: the sandbox as a program: --help, --print-world,
 * --world, bad options, --data-dir, TLS verification, plain HTTP, --qps,
 * and no sandbox left running by a crashed test. Its control API (request
 * counting, faults, the clock, concurrent clients) is
 * test_sandbox_control.c. */
#include "test_sb_common.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define API "/open_api/v1.3/"

static int run_sandbox(const char *const *args, int *code, char **out, char **err)
{
    const char *argv[16];
    size_t n = 0;

    argv[n++] = getenv("TT_SANDBOX");
    for (size_t i = 0; args[i] != NULL && n < 15; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    if (argv[0] == NULL) {
        return -1;
    }
    return ts_run_capture(argv, NULL, 10000, code, out, err);
}

static void t_help(void)
{
    static const char *const args[] = {"--help", NULL};
    static const char *const opts[] = {
        "--listen", "--tls-cert", "--tls-key", "--world", "--print-world", "--faults",
        "--seed", "--processing-delay-ms", "--qps", "--data-dir", "--threads", "--help",
        "rate_limit", "server_error", "drop", "slow_ms", "lost_response", "endpoints",
    };
    char *out = NULL, *err = NULL;
    int code = -1;

    CU_ASSERT_EQUAL_FATAL(run_sandbox(args, &code, &out, &err), 0);
    CU_ASSERT_EQUAL(code, 0);
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        CU_ASSERT_PTR_NOT_NULL(strstr(out, opts[i]));
    }
    free(out);
    free(err);
}

static bool is_tiktok_id(const char *s)
{
    if (s == NULL || strlen(s) != 19) {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
    }
    return true;
}

static void t_print_world(void)
{
    static const char *const args[] = {"--print-world", NULL};
    char *out = NULL, *err = NULL;
    int code = -1;
    json_object *w, *advs, *uris;
    bool roles[4] = {false, false, false, false}, prefilled = false, no_bc = false;
    bool https_cb = false, http_cb = false;

    CU_ASSERT_EQUAL_FATAL(run_sandbox(args, &code, &out, &err), 0);
    CU_ASSERT_EQUAL(code, 0);
    w = json_tokener_parse(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_NULL(ts_world_get(w, "apps.0.secret"));
    CU_ASSERT(is_tiktok_id(ts_world_get(w, "apps.0.app_id")));
    uris = ts_json_at(w, "apps.0.redirect_uris");
    for (size_t i = 0; uris != NULL && i < json_object_array_length(uris); i++) {
        const char *u = json_object_get_string(json_object_array_get_idx(uris, i));
        https_cb |= strcmp(u, "https://127.0.0.1/callback") == 0;
        http_cb |= strcmp(u, "http://127.0.0.1/callback") == 0;
    }
    CU_ASSERT(https_cb && http_cb);
    CU_ASSERT(json_object_array_length(ts_json_at(w, "users")) >= 3);
    CU_ASSERT(json_object_array_length(ts_json_at(w, "business_centers")) >= 2);
    advs = ts_json_at(w, "advertisers");
    CU_ASSERT(json_object_array_length(advs) >= 6);
    for (size_t i = 0; advs != NULL && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i), *r = ts_json_at(a, "roles");
        CU_ASSERT(is_tiktok_id(ts_world_get(a, "advertiser_id")));
        prefilled |= json_object_get_int(ts_json_at(a, "prefilled_audiences")) == 398;
        no_bc |= ts_world_get(a, "owner_bc_id") == NULL;
        for (size_t j = 0; r != NULL && j < json_object_array_length(r); j++) {
            const char *role = ts_world_get(json_object_array_get_idx(r, j), "advertiser_role");
            roles[0] |= strcmp(role, "ADMIN") == 0;
            roles[1] |= strcmp(role, "OPERATOR") == 0;
            roles[2] |= strcmp(role, "ANALYST") == 0;
        }
    }
    roles[3] = strcmp(ts_world_get(w, "business_centers.0.members.0.user_role"), "ADMIN") == 0;
    CU_ASSERT(roles[0] && roles[1] && roles[2] && roles[3]);
    CU_ASSERT(prefilled);
    CU_ASSERT(no_bc);
    json_object_put(w);
    free(out);
    free(err);
}

static void t_bad_options(void)
{
    static const char *const bogus[] = {"--bogus", NULL};
    static const char *const threads[] = {"--threads", "0", NULL};
    static const char *const faults[] = {"--faults", "meteor=0.5", NULL};
    static const char *const prob[] = {"--faults", "drop=1.5", NULL};
    static const char *const tls[] = {"--tls-cert", "/nonexistent.pem", NULL};
    static const char *const world[] = {"--world", "/nonexistent/world.json", NULL};
    int code = -1;
    char *err = NULL;

    CU_ASSERT_EQUAL(run_sandbox(bogus, &code, NULL, &err), 0);
    CU_ASSERT_EQUAL(code, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--bogus"));
    free(err);
    CU_ASSERT_EQUAL(run_sandbox(threads, &code, NULL, NULL), 0);
    CU_ASSERT_EQUAL(code, 2);
    CU_ASSERT_EQUAL(run_sandbox(faults, &code, NULL, &err), 0);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "meteor"));
    free(err);
    CU_ASSERT_EQUAL(run_sandbox(prob, &code, NULL, NULL), 0);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT_EQUAL(run_sandbox(tls, &code, NULL, NULL), 0);
    CU_ASSERT_EQUAL(code, 2);
    CU_ASSERT_EQUAL(run_sandbox(world, &code, NULL, &err), 0);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--world"));
    free(err);
}

static void t_world_file(void)
{
    char path[TS_PATH_MAX + 32];
    FILE *f;
    ts_sandbox_opts o;
    ts_sandbox *sb = NULL;
    json_object *w;
    char *tok = NULL;

    snprintf(path, sizeof path, "%.4000s/world.json", tsb.dir);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"apps\":[{\"app_id\":\"111\",\"secret\":\"s3cret\",\"token_marker\":\"TM\","
          "\"redirect_uris\":[\"http://127.0.0.1/cb\"]}],\"users\":[{\"user_id\":\"222\",\"name\":\"U\"}],"
          "\"business_centers\":[],\"advertisers\":[{\"advertiser_id\":\"333\",\"name\":\"A\","
          "\"owner_bc_id\":null,\"roles\":[{\"user_id\":\"222\",\"advertiser_role\":\"ADMIN\"}],"
          "\"prefilled_audiences\":2}]}", f);
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    ts_sandbox_opts_init(&o);
    o.world_file = path;
    o.certs = ts_sandbox_certs(tsb.sb);
    CU_ASSERT_EQUAL_FATAL(ts_sandbox_start(&o, &sb), 0);
    w = ts_sandbox_world(sb);
    CU_ASSERT_STRING_EQUAL(ts_world_get(w, "apps.0.app_id"), "111");
    CU_ASSERT_EQUAL(ts_sandbox_authorize(sb, NULL, &tok), 0);
    /* The app's token_marker frames every token it is issued. */
    CU_ASSERT(tok != NULL && strncmp(tok, "TM", 2) == 0 && strlen(tok) == 44
              && strcmp(tok + 42, "TM") == 0);
    json_object_put(w);
    w = NULL;
    {
        char *url = ts_sandbox_url(sb, "/sandbox/audiences?advertiser_id=333"), *body = NULL;
        long status;
        CU_ASSERT_EQUAL(ts_http_get(url, ts_sandbox_ca_file(sb), &status, &body), 0);
        w = json_tokener_parse(body);
        CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(w, "audiences")), 2);
        json_object_put(w);
        free(body);
        free(url);
    }
    free(tok);
    CU_ASSERT_EQUAL(ts_sandbox_stop(sb), 0);
    /* An invalid world is refused with the field named. */
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"apps\":[],\"users\":[],\"business_centers\":[],\"advertisers\":[]}", f);
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    {
        const char *args[] = {"--world", path, NULL};
        int code = -1;
        char *err = NULL;
        CU_ASSERT_EQUAL(run_sandbox(args, &code, NULL, &err), 0);
        CU_ASSERT_EQUAL(code, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "apps"));
        free(err);
    }
    /* A marker that could not travel in a query or a header is refused. */
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"apps\":[{\"app_id\":\"111\",\"secret\":\"s\",\"code_marker\":\"a&b\","
          "\"redirect_uris\":[]}],\"users\":[{\"user_id\":\"222\"}],\"business_centers\":[],"
          "\"advertisers\":[]}", f);
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    {
        const char *args[] = {"--world", path, NULL};
        int code = -1;
        char *err = NULL;
        CU_ASSERT_EQUAL(run_sandbox(args, &code, NULL, &err), 0);
        CU_ASSERT_EQUAL(code, 1);
        CU_ASSERT_PTR_NOT_NULL(err != NULL ? strstr(err, "apps[0].code_marker") : NULL);
        free(err);
    }
}

/* A world file that is not JSON: refused naming the file, where the error
   is (line 3: the comma after "apps") and what to do, in words of its own
   rather than json-c's internals. */
static void t_world_malformed(void)
{
    char path[TS_PATH_MAX + 32];
    FILE *f;
    const char *args[] = {"--world", path, NULL};
    int code = -1;
    char *err = NULL;

    snprintf(path, sizeof path, "%.4000s/broken.json", tsb.dir);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\n  \"apps\": [],\n  \"users\": [,],\n  \"advertisers\": []\n}\n", f);
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    CU_ASSERT_EQUAL(run_sandbox(args, &code, NULL, &err), 0);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT_PTR_NOT_NULL(err != NULL ? strstr(err, path) : NULL);
    CU_ASSERT_PTR_NOT_NULL(err != NULL ? strstr(err, "line 3") : NULL);
    CU_ASSERT_PTR_NOT_NULL(err != NULL ? strstr(err, "--print-world") : NULL);
    CU_ASSERT_PTR_NULL(err != NULL ? strstr(err, "json_object_from") : "");
    CU_ASSERT_PTR_NULL(err != NULL ? strstr(err, "json_tokener") : "");
    free(err);
    err = NULL;
    /* Cut short: the end of the file is named as the place. */
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"apps\": [\n", f);
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    CU_ASSERT_EQUAL(run_sandbox(args, &code, NULL, &err), 0);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT_PTR_NOT_NULL(err != NULL ? strstr(err, path) : NULL);
    CU_ASSERT_PTR_NOT_NULL(err != NULL ? strstr(err, "line 2") : NULL);
    CU_ASSERT_PTR_NULL(err != NULL ? strstr(err, "json_") : "");
    free(err);
}

static size_t entries(const char *dir)
{
    char *out = NULL;
    const char *argv[] = {"ls", "-A", dir, NULL};
    int code = -1;
    size_t n = 0;

    if (ts_run_capture(argv, NULL, 5000, &code, &out, NULL) == 0 && code == 0) {
        for (const char *p = out; *p != '\0'; p++) {
            n += *p == '\n';
        }
    }
    free(out);
    return n;
}

static void t_data_dir(void)
{
    char dir[TS_PATH_MAX + 32], fp[17], *tok = NULL, *saved_tok = tsb.token;
    ts_sandbox_opts o;
    ts_sandbox *sb = NULL, *saved = tsb.sb;

    snprintf(dir, sizeof dir, "%.4000s/data", tsb.dir);
    ts_sandbox_opts_init(&o);
    o.data_dir = dir;
    o.certs = ts_sandbox_certs(tsb.sb);
    CU_ASSERT_EQUAL_FATAL(ts_sandbox_start(&o, &sb), 0);
    CU_ASSERT_EQUAL_FATAL(ts_sandbox_authorize(sb, NULL, &tok), 0);
    tsb.sb = sb;
    tsb.token = tok;
    CU_ASSERT_EQUAL(tsb_upload_range(tsb.adv_admin, 0, 100, fp), 0);
    CU_ASSERT_EQUAL(tsb_upload_range(tsb.adv_admin, 0, 100, fp), 0);
    tsb.sb = saved;
    tsb.token = saved_tok;
    CU_ASSERT_EQUAL(entries(dir), 2);      /* uploads live on disk */
    CU_ASSERT_EQUAL(ts_sandbox_stop(sb), 0);
    CU_ASSERT_EQUAL(entries(dir), 0);      /* and are removed at exit */
    free(tok);
}

static void t_tls_verification(void)
{
    char *url = ts_sandbox_url(tsb.sb, "/sandbox/clock");
    ts_http_resp r = {0};

    CU_ASSERT_EQUAL(strncmp(ts_sandbox_base_url(tsb.sb), "https://127.0.0.1:", 18), 0);
    CU_ASSERT_EQUAL(ts_http_request("GET", url, ts_sandbox_certs(tsb.sb)->other_ca_pem, NULL,
                                    NULL, 0, &r), -1);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_NOT_EQUAL(r.curl_code, 0);
    ts_http_resp_free(&r);
    CU_ASSERT_EQUAL(ts_http_request("GET", url, ts_sandbox_ca_file(tsb.sb), NULL, NULL, 0, &r),
                    0);
    CU_ASSERT_EQUAL(r.status, 200);
    ts_http_resp_free(&r);
    free(url);
}

static void t_plain_http(void)
{
    ts_sandbox_opts o;
    ts_sandbox *sb = NULL;
    char *tok = NULL;

    ts_sandbox_opts_init(&o);
    o.plain_http = true;
    CU_ASSERT_EQUAL_FATAL(ts_sandbox_start(&o, &sb), 0);
    CU_ASSERT_EQUAL(strncmp(ts_sandbox_base_url(sb), "http://127.0.0.1:", 17), 0);
    CU_ASSERT_PTR_NULL(ts_sandbox_ca_file(sb));
    CU_ASSERT_EQUAL(ts_sandbox_authorize(sb, NULL, &tok), 0);
    free(tok);
    CU_ASSERT_EQUAL(ts_sandbox_stop(sb), 0);
}


#ifdef __linux__
/* True while pid exists and is not a zombie. */
static bool alive(pid_t pid)
{
    char path[64], buf[256], *p;
    FILE *f;
    bool live = false;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    if (fgets(buf, sizeof buf, f) != NULL && (p = strrchr(buf, ')')) != NULL) {
        live = p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
    }
    fclose(f);
    return live;
}

static void t_orphan_protection(void)
{
    int pfd[2];
    pid_t child, sandbox = -1;
    int status;
    bool gone = false;

    CU_ASSERT_EQUAL_FATAL(pipe(pfd), 0);
    child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        /* A "test" that dies without stopping its sandbox. */
        ts_sandbox_opts o;
        ts_sandbox *sb = NULL;
        pid_t p = -1;
        ts_sandbox_opts_init(&o);
        o.plain_http = true;
        if (ts_sandbox_start(&o, &sb) == 0) {
            p = ts_sandbox_pid(sb);
        }
        if (write(pfd[1], &p, sizeof p) != (ssize_t)sizeof p) {
            _exit(2);
        }
        _exit(0);
    }
    close(pfd[1]);
    CU_ASSERT_EQUAL(read(pfd[0], &sandbox, sizeof sandbox), (ssize_t)sizeof sandbox);
    close(pfd[0]);
    CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
    CU_ASSERT_FATAL(sandbox > 0);
    for (int i = 0; i < 500 && !gone; i++) {
        gone = !alive(sandbox);
        if (!gone) {
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
        }
    }
    CU_ASSERT(gone);
}
#endif

static void t_qps(void)
{
    ts_sandbox_opts o;
    ts_sandbox *saved = tsb.sb;
    ts_sandbox *sb = NULL;
    char *tok = NULL, *saved_tok = tsb.token;
    int limited = 0;

    ts_sandbox_opts_init(&o);
    o.qps = 2;
    o.certs = ts_sandbox_certs(tsb.sb);
    CU_ASSERT_EQUAL_FATAL(ts_sandbox_start(&o, &sb), 0);
    CU_ASSERT_EQUAL_FATAL(ts_sandbox_authorize(sb, NULL, &tok), 0);
    tsb.sb = sb;
    tsb.token = tok;
    for (int i = 0; i < 10; i++) {
        limited += tsb_get(API "bc/get/", tok, NULL) == 40100;
    }
    tsb.sb = saved;
    tsb.token = saved_tok;
    CU_ASSERT(limited >= 5);
    free(tok);
    CU_ASSERT_EQUAL(ts_sandbox_stop(sb), 0);
}

int main(void)
{
    static const tsb_test cli[] = {
        {"--help documents every option", t_help},
        {"--print-world", t_print_world},
        {"bad options are refused", t_bad_options},
        {"--world FILE", t_world_file},
        {"a malformed --world file: where, why and the fix", t_world_malformed},
        {"--data-dir holds uploads until exit", t_data_dir},
        {"TLS verification with the throwaway CA", t_tls_verification},
        {"plain HTTP", t_plain_http},
        {"--qps limits per app and endpoint", t_qps},
#ifdef __linux__
        {"a crashed test does not leave its sandbox running", t_orphan_protection},
#endif
    };
    const ts_suite suites[] = {
        {"sandbox program", tsb_setup_default, tsb_teardown, cli, sizeof cli / sizeof cli[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
