/* test_sandbox_cli.c: the sandbox as a program: --help, --print-world,
 * --world, bad options, TLS verification, plain HTTP, request counting,
 * deterministic faults (same seed, same sequence), lost responses that
 * still apply, dropped connections, slow answers, and --qps. */
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

static int setup(void)
{
    return tsb_setup(NULL);
}

static int teardown(void)
{
    return tsb_teardown();
}

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

static long count_for(const char *endpoint, long *total)
{
    json_object *o = tsb_ctl("/sandbox/requests");
    json_object *by = ts_json_at(o, "by_endpoint"), *v;
    long n = 0;

    if (by != NULL && json_object_object_get_ex(by, endpoint, &v)) {
        n = (long)json_object_get_int64(v);
    }
    *total = (long)json_object_get_int64(ts_json_at(o, "total"));
    json_object_put(o);
    return n;
}

static void t_request_counting(void)
{
    long total0, total1, n0, n1;

    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);   /* one access_token request */
    n0 = count_for(API "bc/get/", &total0);
    CU_ASSERT_EQUAL(n0, 0);
    CU_ASSERT_EQUAL(total0, 1);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/", tsb.token, NULL), 0);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/", NULL, NULL), 40104);
    /* Control requests are not TikTok requests. */
    json_object_put(tsb_ctl("/sandbox/world"));
    n1 = count_for(API "bc/get/", &total1);
    CU_ASSERT_EQUAL(n1, 2);
    CU_ASSERT_EQUAL(total1, 3);
}

static int set_faults(const char *spec)
{
    char *url = ts_sandbox_url(tsb.sb, "/sandbox/faults"), *resp = NULL;
    long status = 0;
    int rc;

    rc = ts_http_post_json(url, ts_sandbox_ca_file(tsb.sb), spec, &status, &resp);
    free(resp);
    free(url);
    return rc == 0 && status == 200 ? 0 : -1;
}

/* Outcome of n calls to advertiser/info/: the envelope code, or the HTTP
 * status negated when there is no envelope, or -1 on transport error. */
static void sequence(int *out, int n)
{
    char path[256];

    snprintf(path, sizeof path, API "advertiser/info/?advertiser_ids=[\"%s\"]", tsb.adv_admin);
    for (int i = 0; i < n; i++) {
        char *url = ts_sandbox_url(tsb.sb, path), hdr[256];
        const char *headers[2] = {hdr, NULL};
        ts_http_resp r = {0};
        json_object *env, *d;
        int code = -1;
        snprintf(hdr, sizeof hdr, "Access-Token: %s", tsb.token);
        if (ts_http_request("GET", url, ts_sandbox_ca_file(tsb.sb), headers, NULL, 0, &r) == 0) {
            env = ts_envelope(r.body, &code, &d);
            if (env == NULL) {
                code = -(int)r.status;
            }
            json_object_put(env);
        }
        out[i] = code;
        ts_http_resp_free(&r);
        free(url);
    }
}

#define SEQ 60

static void t_faults_deterministic(void)
{
    static const char *const spec =
        "seed=7,rate_limit=0.2,server_error=0.2,drop=0.1,endpoints=advertiser/info/";
    int a[SEQ], b[SEQ], c[SEQ];
    int seen40100 = 0, seen40133 = 0, seen5xxxx = 0, seen503 = 0, dropped = 0, ok = 0;

    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);
    CU_ASSERT_EQUAL_FATAL(set_faults(spec), 0);
    sequence(a, SEQ);
    CU_ASSERT_EQUAL_FATAL(set_faults(spec), 0);   /* restarts the sequence */
    sequence(b, SEQ);
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    for (int i = 0; i < SEQ; i++) {
        seen40100 += a[i] == 40100;
        seen40133 += a[i] == 40133;
        seen5xxxx += a[i] == 50000 || a[i] == 50002;
        seen503 += a[i] == -503;
        dropped += a[i] == -1;
        ok += a[i] == 0;
    }
    CU_ASSERT(seen40100 > 0 && seen40133 > 0 && seen5xxxx > 0 && seen503 > 0 && dropped > 0);
    CU_ASSERT(ok > SEQ / 4);
    /* Another seed gives another sequence. */
    CU_ASSERT_EQUAL_FATAL(set_faults("seed=8,rate_limit=0.2,server_error=0.2,drop=0.1,"
                                     "endpoints=advertiser/info/"), 0);
    sequence(c, SEQ);
    CU_ASSERT_NOT_EQUAL(memcmp(a, c, sizeof a), 0);
    /* Other endpoints are not faulted. */
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(tsb_get(API "bc/get/", tsb.token, NULL), 0);
    }
    CU_ASSERT_EQUAL(set_faults(""), 0);
    sequence(c, 5);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(c[i], 0);
    }
}

static void t_lost_response_applies(void)
{
    char fp[17], id[32], path[256];
    const char *paths[1] = {fp};
    json_object *o;

    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 1200, fp), 0);
    CU_ASSERT_EQUAL_FATAL(set_faults("lost_response=1,endpoints=custom_audience/create/"), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_admin, "lost", paths, 1, id), -1);  /* no answer */
    CU_ASSERT_EQUAL_FATAL(set_faults(""), 0);
    snprintf(path, sizeof path, "/sandbox/audiences?advertiser_id=%s", tsb.adv_admin);
    o = tsb_ctl(path);
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(o, "audiences")), 1);
    CU_ASSERT_STRING_EQUAL(ts_world_get(o, "audiences.0.name"), "lost");
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(o, "audiences.0.size")), 1200);
    json_object_put(o);
}

static void t_slow(void)
{
    struct timespec t0, t1;
    long ms;

    CU_ASSERT_EQUAL_FATAL(set_faults("slow=1,slow_ms=300,endpoints=bc/get/"), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/", tsb.token, NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CU_ASSERT(ms >= 300);
    CU_ASSERT_EQUAL(set_faults(""), 0);
    /* A malformed spec is refused and the old one stays. */
    CU_ASSERT_EQUAL(set_faults("drop=2"), -1);
}

static void t_clock_control(void)
{
    char *url = ts_sandbox_url(tsb.sb, "/sandbox/clock"), *body = NULL;
    long status = 0;
    json_object *o;

    CU_ASSERT_EQUAL(ts_http_post_json(url, ts_sandbox_ca_file(tsb.sb),
                                      "{\"set_ms\":1893456000000}", &status, &body), 0);
    CU_ASSERT_EQUAL(status, 200);
    o = json_tokener_parse(body);
    /* 2030-01-01T00:00:00Z, give or take the request's own duration. */
    CU_ASSERT(json_object_get_int64(ts_json_at(o, "now_ms")) >= 1893456000000LL);
    CU_ASSERT(json_object_get_int64(ts_json_at(o, "now_ms")) < 1893456000000LL + 60000);
    json_object_put(o);
    free(body);
    body = NULL;
    CU_ASSERT_EQUAL(ts_http_post_json(url, ts_sandbox_ca_file(tsb.sb), "{\"advance\":1}",
                                      &status, &body), 0);
    CU_ASSERT_EQUAL(status, 400);
    CU_ASSERT_PTR_NOT_NULL(strstr(body, "advance_ms"));
    free(body);
    free(url);
    CU_ASSERT_EQUAL(tsb_reset(), 0);
    o = tsb_ctl("/sandbox/clock");
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o, "offset_ms")), 0);
    json_object_put(o);
}

typedef struct {
    int worker;
    int failures;
} load_arg;

/* Each worker uploads, creates and appends in its own account slice;
 * the shared state must come out exactly right. */
static void *load_worker(void *p)
{
    load_arg *a = p;
    const char *adv = a->worker % 2 ? tsb.adv_admin : tsb.adv_operator;
    char fp[17], id[32], path[TS_PATH_MAX + 32], md5[33], hdr[256];
    char *url = ts_sandbox_url(tsb.sb, API "dmp/custom_audience/file/upload/");
    const char *headers[2] = {hdr, NULL};
    FILE *f;

    snprintf(path, sizeof path, "%.4000s/w%d.csv", tsb.dir, a->worker);
    snprintf(hdr, sizeof hdr, "Access-Token: %s", tsb.token);
    f = fopen(path, "w");
    if (f == NULL || url == NULL) {
        a->failures++;
        if (f != NULL) {
            fclose(f);
        }
        free(url);
        return NULL;
    }
    for (int i = 0; i < 1000 + a->worker; i++) {
        char email[64], hex[65];
        snprintf(email, sizeof email, "w%d-%d@example.com", a->worker, i);
        ts_sha256_hex(email, hex);
        fprintf(f, "%s\n", hex);
    }
    fclose(f);
    for (int round = 0; round < 3; round++) {
        ts_form_part parts[4] = {
            {"advertiser_id", adv, NULL, NULL},
            {"calculate_type", "EMAIL_SHA256", NULL, NULL},
            {"file", NULL, path, "w.csv"},
            {"file_signature", md5, NULL, NULL},
        };
        ts_http_resp r = {0};
        json_object *env, *data;
        int code = -1;
        char body[512];
        ts_md5_file(path, md5);
        if (ts_http_multipart(url, ts_sandbox_ca_file(tsb.sb), headers, parts, 4, &r) != 0) {
            a->failures++;
            continue;
        }
        env = ts_envelope(r.body, &code, &data);
        snprintf(fp, sizeof fp, "%s", code == 0 ? ts_world_get(data, "file_path") : "");
        json_object_put(env);
        ts_http_resp_free(&r);
        if (code != 0) {
            a->failures++;
            continue;
        }
        snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":"
                 "\"w%d\",\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}",
                 adv, a->worker, fp);
        if (tsb_post(API "dmp/custom_audience/create/", tsb.token, body, &data) != 0) {
            a->failures++;
            continue;
        }
        snprintf(id, sizeof id, "%s", ts_world_get(data, "custom_audience_id"));
        json_object_put(data);
        {
            const char *paths[1] = {fp};
            a->failures += tsb_update(adv, id, "APPEND", paths, 1) != 0;
        }
    }
    free(url);
    return NULL;
}

static void t_concurrent_clients(void)
{
    enum { WORKERS = 6 };
    pthread_t th[WORKERS];
    load_arg args[WORKERS];
    json_object *o;
    size_t total = 0;
    char path[128];

    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);
    for (int i = 0; i < WORKERS; i++) {
        args[i] = (load_arg){i, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, load_worker, &args[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(args[i].failures, 0);
    }
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "/sandbox/audiences?advertiser_id=%s",
                 k ? tsb.adv_admin : tsb.adv_operator);
        o = tsb_ctl(path);
        for (size_t i = 0; i < json_object_array_length(ts_json_at(o, "audiences")); i++) {
            json_object *a = json_object_array_get_idx(ts_json_at(o, "audiences"), i);
            int w = atoi(ts_world_get(a, "name") + 1);
            CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(a, "size")), 1000 + w);
            total++;
        }
        json_object_put(o);
    }
    CU_ASSERT_EQUAL(total, WORKERS * 3);
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
        {"--data-dir holds uploads until exit", t_data_dir},
        {"TLS verification with the throwaway CA", t_tls_verification},
        {"plain HTTP", t_plain_http},
        {"request counting", t_request_counting},
        {"faults are deterministic from the seed", t_faults_deterministic},
        {"lost_response applies the change", t_lost_response_applies},
        {"slow answers", t_slow},
        {"--qps limits per app and endpoint", t_qps},
        {"clock control", t_clock_control},
#ifdef __linux__
        {"a crashed test does not leave its sandbox running", t_orphan_protection},
#endif
        {"concurrent clients", t_concurrent_clients},
    };
    const ts_suite suites[] = {
        {"sandbox program", setup, teardown, cli, sizeof cli / sizeof cli[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
