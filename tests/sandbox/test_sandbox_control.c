/* test_sandbox_control.c: the sandbox's control API as tests drive it:
 * request counting, deterministic faults (same seed, same sequence), lost
 * responses that still apply, dropped connections, slow answers, clock
 * control, and concurrent clients. The sandbox as a program is
 * test_sandbox_cli.c. */
#include "test_sb_common.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API "/open_api/v1.3/"

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

int main(void)
{
    static const tsb_test control[] = {
        {"request counting", t_request_counting},
        {"faults are deterministic from the seed", t_faults_deterministic},
        {"lost_response applies the change", t_lost_response_applies},
        {"slow answers", t_slow},
        {"clock control", t_clock_control},
        {"concurrent clients", t_concurrent_clients},
    };
    const ts_suite suites[] = {
        {"sandbox control API", tsb_setup_default, tsb_teardown, control,
         sizeof control / sizeof control[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
