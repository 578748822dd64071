/* test_sandbox_rules.c: one test per TikTok rule the sandbox enforces:
 * auth codes (single use, one hour), consent redirect, upload rules,
 * file ownership and expiry, the 400-audience limit, set semantics of
 * APPEND/REMOVE/REPLACE, the 1,000 floor, 24 updates per UTC day,
 * pagination, processing delay, sharing within a Business Center; the
 * MULTIPLE_TYPES, REPLACE-per-day and busy rules are in
 * test_sandbox_rules_multi.c. */
#include "test_sb_common.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/open_api/v1.3/"

/* test_sandbox_rules_multi.c */
extern const tsb_test tsb_rules_multi[], tsb_rules_busy[];
extern const size_t tsb_rules_multi_n, tsb_rules_busy_n;

static int setup(void)
{
    return tsb_setup(NULL);
}

static int setup_delay(void)
{
    ts_sandbox_opts o;

    ts_sandbox_opts_init(&o);
    o.processing_delay_ms = 3600L * 1000;
    return tsb_setup(&o);
}

static int teardown(void)
{
    return tsb_teardown();
}

/* Runs the consent page; returns a malloc'd auth code or NULL. */
static char *consent(const char *state, const char *redirect, long *status, char **location)
{
    char url[2048];
    ts_http_resp r = {0};
    char *code = NULL, *p;

    snprintf(url, sizeof url, "%s/portal/auth?app_id=%s&state=%s&redirect_uri=%s",
             ts_sandbox_base_url(tsb.sb), tsb.app_id, state, redirect);
    ts_http_request("GET", url, ts_sandbox_ca_file(tsb.sb), NULL, NULL, 0, &r);
    *status = r.status;
    if (location != NULL) {
        *location = r.location != NULL ? strdup(r.location) : NULL;
    }
    if (r.location != NULL && (p = strstr(r.location, "auth_code=")) != NULL) {
        p += strlen("auth_code=");
        code = strndup(p, strcspn(p, "&"));
    }
    ts_http_resp_free(&r);
    return code;
}

static int exchange(const char *code, json_object **data)
{
    char body[512];

    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"%s\",\"auth_code\":\"%s\"}",
             tsb.app_id, tsb.secret, code);
    return tsb_post(API "oauth2/access_token/", NULL, body, data);
}

static void t_consent_redirect(void)
{
    long status;
    char *loc = NULL, *code;
    const char *redirect = ts_world_get(tsb.world, "apps.0.redirect_uris.0");

    code = consent("hello%20world", redirect, &status, &loc);
    CU_ASSERT_EQUAL(status, 302);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    CU_ASSERT_PTR_NOT_NULL_FATAL(loc);
    CU_ASSERT_EQUAL(strncmp(loc, redirect, strlen(redirect)), 0);
    CU_ASSERT_EQUAL(loc[strlen(redirect)], '?');
    CU_ASSERT_PTR_NOT_NULL(strstr(loc, "state=hello%20world"));
    CU_ASSERT_PTR_NOT_NULL(strstr(loc, "auth_code="));
    free(loc);
    free(code);
    code = consent("s", "https://evil.example/cb", &status, NULL);
    CU_ASSERT_EQUAL(status, 400);
    CU_ASSERT_PTR_NULL(code);
}

static void t_auth_code_single_use_and_expiry(void)
{
    long status;
    const char *redirect = ts_world_get(tsb.world, "apps.0.redirect_uris.1");
    char *code = consent("a", redirect, &status, NULL);
    json_object *data = NULL;
    char body[512];

    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    CU_ASSERT_EQUAL(exchange(code, &data), 0);
    CU_ASSERT_EQUAL(strlen(ts_world_get(data, "access_token")), 40);
    CU_ASSERT(json_object_array_length(ts_json_at(data, "advertiser_ids")) == 6);
    CU_ASSERT(json_object_is_type(ts_json_at(data, "scope.0"), json_type_int));
    json_object_put(data);
    CU_ASSERT_EQUAL(exchange(code, NULL), 40110);     /* used */
    free(code);
    /* 59 minutes later a fresh code still works ... */
    code = consent("b", redirect, &status, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 59L * 60 * 1000), 0);
    CU_ASSERT_EQUAL(exchange(code, NULL), 0);
    free(code);
    /* ... but not after an hour. */
    code = consent("c", redirect, &status, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 3600L * 1000 + 1000), 0);
    CU_ASSERT_EQUAL(exchange(code, NULL), 40110);
    /* A code from another app is refused even with the right secret. */
    snprintf(body, sizeof body, "{\"app_id\":\"1\",\"secret\":\"%s\",\"auth_code\":\"%s\"}",
             tsb.secret, code);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, body, NULL), 40101);
    free(code);
    CU_ASSERT_EQUAL(tsb_reset(), 0);
}

static void t_other_user_token(void)
{
    char *tok = NULL, path[256];

    CU_ASSERT_EQUAL_FATAL(ts_sandbox_authorize(tsb.sb, tsb.other_user, &tok), 0);
    snprintf(path, sizeof path, API "dmp/custom_audience/list/?advertiser_id=%s",
             tsb.adv_foreign);
    CU_ASSERT_EQUAL(tsb_get(path, tok, NULL), 0);
    snprintf(path, sizeof path, API "dmp/custom_audience/list/?advertiser_id=%s",
             tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_get(path, tok, NULL), 40106);
    free(tok);
}

static const char *write_text(const char *name, const char *text)
{
    static char path[TS_PATH_MAX + 64];
    FILE *f;

    snprintf(path, sizeof path, "%.4000s/%s", tsb.dir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        return NULL;
    }
    fputs(text, f);
    return fclose(f) == 0 ? path : NULL;
}

static void t_upload_rules(void)
{
    const char *adv = tsb.adv_admin, *p;
    char fp[17], h1[65], h2[65], text[1024];

    ts_sha256_hex("a@example.com", h1);
    ts_sha256_hex("b@example.com", h2);
    p = tsb_write_members(1, 0, 20);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", p, "list.CSV", NULL, fp), 40908);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", p, "list.csv.gz", NULL, fp), 40908);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", p, "listcsv", NULL, fp), 40908);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", p, "list.csv",
                               "d41d8cd98f00b204e9800998ecf8427e", fp), 40900);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", p, "list.txt", NULL, fp), 0);
    /* A header row is an error with its line number. */
    snprintf(text, sizeof text, "sha256_email\n%s\n%s\n", h1, h2);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", write_text("hdr.csv", text), "hdr.csv",
                               NULL, fp), 40914);
    snprintf(text, sizeof text, "%s\n%s\nnot-a-hash\n", h1, h2);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", write_text("bad3.csv", text), "bad3.csv",
                               NULL, fp), 40914);
    /* SHA-256 lines in an MD5 upload are off-spec. */
    CU_ASSERT_EQUAL(tsb_upload(adv, "IDFA_MD5", p, "idfa.csv", NULL, fp), 40914);
    CU_ASSERT_EQUAL(tsb_upload(adv, "IDFA_MD5", write_text("md5.csv",
                               "0cc175b9c0f1b6a831c399e269772661\r\n"
                               "92eb5ffee6ae2fec3ad71c777531578f\r\n"), "md5.csv", NULL, fp),
                    0);
    CU_ASSERT_EQUAL(tsb_upload(adv, "EMAIL_SHA256", write_text("empty.csv", ""), "empty.csv",
                               NULL, fp), 40906);
    /* MULTIPLE_TYPES needs its header row. */
    snprintf(text, sizeof text, "Email_SHA256,Phone_SHA256\n%s,%s\n,%s\n", h1, h2, h1);
    CU_ASSERT_EQUAL(tsb_upload(adv, "MULTIPLE_TYPES", write_text("multi.csv", text),
                               "multi.csv", NULL, fp), 0);
    snprintf(text, sizeof text, "%s,%s\n", h1, h2);
    CU_ASSERT_EQUAL(tsb_upload(adv, "MULTIPLE_TYPES", write_text("multi2.csv", text),
                               "multi2.csv", NULL, fp), 40914);
}

static void t_upload_too_large(void)
{
    char path[TS_PATH_MAX + 32], fp[17];
    FILE *f;

    /* A sparse file just over 50 MB: the size rule answers before content. */
    snprintf(path, sizeof path, "%.4000s/big.csv", tsb.dir);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fseek(f, 50L * 1024 * 1024, SEEK_SET), 0);
    CU_ASSERT_EQUAL(fputc('\n', f), '\n');
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    CU_ASSERT_EQUAL(tsb_upload(tsb.adv_admin, "EMAIL_SHA256", path, "big.csv", NULL, fp), 40907);
    remove(path);
}

static void t_file_ownership_and_type(void)
{
    char fp[17], id[32], phone[17];
    const char *paths[1] = {fp};
    const char *pp[1] = {phone};
    json_object *env, *data;
    char body[512];

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 30, fp), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_operator, "theirs", paths, 1, id), 40002);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_admin, "mine", paths, 1, id), 0);
    /* calculate_type must match the files. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload(tsb.adv_admin, "PHONE_SHA256", tsb_write_members(2, 0, 5),
                                     "p.csv", NULL, phone), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_admin, "mixed", pp, 1, id), 40002);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"x\","
             "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}",
             tsb.adv_operator, fp);
    {
        char *url = ts_sandbox_url(tsb.sb, API "dmp/custom_audience/create/"), hdr[256];
        const char *headers[3] = {"Content-Type: application/json", hdr, NULL};
        ts_http_resp r = {0};
        int code;
        snprintf(hdr, sizeof hdr, "Access-Token: %s", tsb.token);
        CU_ASSERT_EQUAL(ts_http_request("POST", url, ts_sandbox_ca_file(tsb.sb), headers, body,
                                        strlen(body), &r), 0);
        env = ts_envelope(r.body, &code, &data);
        CU_ASSERT_EQUAL(code, 40002);
        CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(ts_json_at(env, "message")),
                                      "does not belong"));
        json_object_put(env);
        ts_http_resp_free(&r);
        free(url);
    }
}

static void t_file_expiry(void)
{
    char fp[17], id[32];
    const char *paths[1] = {fp};

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_solo, 0, 30, fp), 0);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 7L * 24 * 3600 * 1000 + 1000), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_solo, "late", paths, 1, id), 40910);
    CU_ASSERT_EQUAL(tsb_reset(), 0);
}

static void t_limit_400(void)
{
    char fp[17], a[32], b[32], c[32], body[256];
    const char *paths[1] = {fp};
    const char *adv = tsb.adv_full;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 10, fp), 0);
    CU_ASSERT_EQUAL(tsb_create(adv, "399th", paths, 1, a), 0);
    CU_ASSERT_EQUAL(tsb_create(adv, "400th", paths, 1, b), 0);
    CU_ASSERT_EQUAL(tsb_create(adv, "401st", paths, 1, c), 40002);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"]}",
             adv, a);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/delete/", tsb.token, body, NULL), 0);
    CU_ASSERT_EQUAL(tsb_create(adv, "room again", paths, 1, c), 0);
    CU_ASSERT_EQUAL(tsb_reset(), 0);
}

static bool member_listed(const char *aud, const char *email)
{
    char path[256], hex[65], *url, *body = NULL;
    long status;
    bool found;

    snprintf(path, sizeof path, "/sandbox/audience/members?audience_id=%s", aud);
    url = ts_sandbox_url(tsb.sb, path);
    ts_http_get(url, ts_sandbox_ca_file(tsb.sb), &status, &body);
    ts_sha256_hex(email, hex);
    found = body != NULL && strstr(body, hex) != NULL;
    free(body);
    free(url);
    return found;
}

static void t_set_semantics(void)
{
    char f1[17], f2[17], f3[17], f4[17], id[32], path[256], *url, *body = NULL;
    const char *p1[1] = {f1}, *p2[1] = {f2}, *p3[1] = {f3}, *p4[1] = {f4};
    const char *adv = tsb.adv_admin;
    long status;
    size_t lines = 0;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1500, f1), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 1000, 2000, f2), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 1900, 2100, f3), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 5000, 6200, f4), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "sets", p1, 1, id), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1500);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", p2, 1), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 2000);   /* only 500 new */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", p2, 1), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 2000);   /* nothing new */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", p3, 1), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1900);   /* only 100 present */
    CU_ASSERT(!member_listed(id, "user1950@example.com"));
    CU_ASSERT(member_listed(id, "user1899@example.com"));
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p4, 1), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1200);
    CU_ASSERT(!member_listed(id, "user10@example.com"));
    CU_ASSERT(member_listed(id, "user5000@example.com"));
    /* The members dump is sorted, one digest per line. */
    snprintf(path, sizeof path, "/sandbox/audience/members?audience_id=%s", id);
    url = ts_sandbox_url(tsb.sb, path);
    CU_ASSERT_EQUAL(ts_http_get(url, ts_sandbox_ca_file(tsb.sb), &status, &body), 0);
    CU_ASSERT_EQUAL(status, 200);
    for (char *line = body, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        CU_ASSERT_PTR_NOT_NULL_FATAL(next);
        CU_ASSERT_EQUAL(next - line, 64);
        *next++ = '\0';
        if (*next != '\0') {
            CU_ASSERT(strncmp(line, next, 64) < 0);
        }
        lines++;
    }
    CU_ASSERT_EQUAL(lines, 1200);
    free(body);
    free(url);
}

static void t_min_1000(void)
{
    char small[17], f300[17], f600[17], id[32], path[256];
    const char *ps[1] = {small}, *p300[1] = {f300}, *p600[1] = {f600};
    const char *adv = tsb.adv_operator;
    json_object *data = NULL;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 500, small), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 500, 800, f300), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 800, 1400, f600), 0);
    /* Created below the floor: exists, never valid. */
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "small", ps, 1, id), 0);
    snprintf(path, sizeof path, API "dmp/custom_audience/get/?advertiser_id=%s"
             "&custom_audience_ids=[\"%s\"]", adv, id);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT(!json_object_get_boolean(ts_json_at(data, "list.0.audience_details.is_valid")));
    json_object_put(data);
    /* 500 + 300 = 800 < 1000: refused, nothing changes. */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", p300, 1), 40002);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 500);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", p600, 1), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1100);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT(json_object_get_boolean(ts_json_at(data, "list.0.audience_details.is_valid")));
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "list.0.audience_details.cover_num")),
                    1100);
    json_object_put(data);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", p300, 1), 0);      /* none present */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", ps, 1), 40002);    /* 600 left */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p600, 1), 40002); /* 600 */
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1100);
}

static void t_daily_limit(void)
{
    char fp[17], f50[17], id[32], body[256];
    const char *paths[1] = {fp}, *p50[1] = {f50};
    const char *adv = tsb.adv_solo;
    json_object *clock, *ops;
    long long now, next_day;
    size_t counted = 0;

    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);
    /* Start early in a UTC day so 24 updates cannot straddle midnight. */
    clock = tsb_ctl("/sandbox/clock");
    CU_ASSERT_PTR_NOT_NULL_FATAL(clock);
    now = (long long)json_object_get_int64(ts_json_at(clock, "now_ms"));
    json_object_put(clock);
    next_day = (now / 86400000LL + 1) * 86400000LL;
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, next_day - now + 1000), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1200, fp), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 2000, 2050, f50), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "daily", paths, 1, id), 0);
    /* Every file action counts; REPLACE only once (one per 24 hours). */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", paths, 1), 0);
    for (int i = 1; i < 24; i++) {
        CU_ASSERT_EQUAL(tsb_update(adv, id, i % 2 ? "APPEND" : "REMOVE", p50, 1), 0);
    }
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", paths, 1), 40002);
    /* A rename is not a file operation and does not count. */
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
             "\"custom_audience_name\":\"renamed\"}", adv, id);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/update/", tsb.token, body, NULL), 0);
    /* Other advertisers have their own budget. */
    {
        char f2[17], id2[32];
        const char *p2[1] = {f2};
        CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 1200, f2), 0);
        CU_ASSERT_EQUAL_FATAL(tsb_create(tsb.adv_admin, "other", p2, 1, id2), 0);
        CU_ASSERT_EQUAL(tsb_update(tsb.adv_admin, id2, "APPEND", p2, 1), 0);
    }
    snprintf(body, sizeof body, "/sandbox/oplog?advertiser_id=%s", adv);
    ops = tsb_ctl(body);
    for (size_t i = 0; i < json_object_array_length(ts_json_at(ops, "operations")); i++) {
        json_object *o = json_object_array_get_idx(ts_json_at(ops, "operations"), i);
        counted += json_object_get_boolean(ts_json_at(o, "counts_toward_daily_limit"));
    }
    CU_ASSERT_EQUAL(counted, 24);
    json_object_put(ops);
    /* The budget resets at 00:00 UTC. */
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 86400000LL), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", paths, 1), 0);
    CU_ASSERT_EQUAL(tsb_reset(), 0);
}

static void t_list_pagination(void)
{
    char path[256];
    json_object *data = NULL;
    const char *prev = NULL;
    size_t seen = 0;

    for (int page = 1; page <= 5; page++) {
        json_object *list;
        snprintf(path, sizeof path, API "dmp/custom_audience/list/?advertiser_id=%s&page=%d"
                 "&page_size=100", tsb.adv_full, page);
        CU_ASSERT_EQUAL_FATAL(tsb_get(path, tsb.token, &data), 0);
        list = ts_json_at(data, "list");
        CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "page_info.total_number")), 398);
        CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "page_info.total_page")), 4);
        CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "page_info.page")), page);
        CU_ASSERT_EQUAL(json_object_array_length(list),
                        page < 4 ? 100 : page == 4 ? 98 : 0);
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            const char *id = ts_world_get(json_object_array_get_idx(list, i), "audience_id");
            /* Creation order: ids ascend (same length, so strcmp works). */
            if (prev != NULL) {
                CU_ASSERT(strcmp(prev, id) < 0);
            }
            prev = id;
            seen++;
        }
        /* prev points into data; keep only the last page's reference. */
        if (page < 5) {
            static char keep[32];
            if (prev != NULL) {
                snprintf(keep, sizeof keep, "%s", prev);
                prev = keep;
            }
        }
        json_object_put(data);
    }
    CU_ASSERT_EQUAL(seen, 398);
    snprintf(path, sizeof path, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_full);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(data, "list")), 10);
    json_object_put(data);
}

static void t_share(void)
{
    char fp[17], id[32], body[512], path[256];
    const char *paths[1] = {fp};
    json_object *data = NULL;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 1200, fp), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(tsb.adv_admin, "shared", paths, 1, id), 0);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"],"
             "\"shared_advertiser_ids\":[\"%s\"]}", tsb.adv_admin, id, tsb.adv_solo);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/share/", tsb.token, body, NULL), 40002);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"],"
             "\"shared_advertiser_ids\":[\"%s\"]}", tsb.adv_admin, id, tsb.adv_owner_bc);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/share/", tsb.token, body, NULL), 40002);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"]}",
             tsb.adv_admin, id);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/share/", tsb.token, body, NULL), 40002);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"],"
             "\"shared_advertiser_ids\":[\"%s\"]}", tsb.adv_analyst, id, tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/share/", tsb.token, body, NULL), 40001);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"],"
             "\"shared_advertiser_ids\":[\"%s\"]}", tsb.adv_admin, id, tsb.adv_operator);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/share/", tsb.token, body, NULL), 0);
    snprintf(path, sizeof path, API "dmp/custom_audience/list/?advertiser_id=%s"
             "&custom_audience_ids=[\"%s\"]", tsb.adv_operator, id);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(data, "list")), 1);
    CU_ASSERT(!json_object_get_boolean(ts_json_at(data, "list.0.is_creator")));
    json_object_put(data);
    /* The receiver cannot modify it. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_operator, 0, 1200, fp), 0);
    CU_ASSERT_EQUAL(tsb_update(tsb.adv_operator, id, "APPEND", paths, 1), 40001);
}

static void t_processing_delay(void)
{
    char fp[17], f2[17], id[32], path[256];
    const char *paths[1] = {fp}, *p2[1] = {f2};
    const char *adv = tsb.adv_admin;
    json_object *data = NULL;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1200, fp), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 1200, 1300, f2), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "slow", paths, 1, id), 0);
    snprintf(path, sizeof path, API "dmp/custom_audience/get/?advertiser_id=%s"
             "&custom_audience_ids=[\"%s\"]", adv, id);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT(!json_object_get_boolean(ts_json_at(data, "list.0.audience_details.is_valid")));
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "list.0.audience_details.cover_num")),
                    0);
    json_object_put(data);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 3600L * 1000), 0);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT(json_object_get_boolean(ts_json_at(data, "list.0.audience_details.is_valid")));
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "list.0.audience_details.cover_num")),
                    1200);
    json_object_put(data);
    /* An update restarts processing; the last published size stays shown. */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", p2, 1), 0);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT(!json_object_get_boolean(ts_json_at(data, "list.0.audience_details.is_valid")));
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "list.0.audience_details.cover_num")),
                    1200);
    json_object_put(data);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 3600L * 1000), 0);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "list.0.audience_details.cover_num")),
                    1300);
    json_object_put(data);
}

int main(void)
{
    static const tsb_test rules[] = {
        {"consent redirect carries auth_code and state", t_consent_redirect},
        {"auth code single use and 1-hour expiry", t_auth_code_single_use_and_expiry},
        {"token covers the consenting user's accounts", t_other_user_token},
        {"upload: suffix, MD5, content, empty", t_upload_rules},
        {"upload over 50 MB", t_upload_too_large},
        {"file_path owner and calculate_type", t_file_ownership_and_type},
        {"file_path expires after 7 days", t_file_expiry},
        {"400 audiences per advertiser", t_limit_400},
        {"APPEND/REMOVE/REPLACE are set operations", t_set_semantics},
        {"updates below 1,000 are refused", t_min_1000},
        {"24 file updates per advertiser per UTC day", t_daily_limit},
        {"list pagination and order", t_list_pagination},
        {"share within one Business Center", t_share},
    };
    static const tsb_test delayed[] = {
        {"processing delay follows the sandbox clock", t_processing_delay},
    };
    const ts_suite suites[] = {
        {"TikTok rules", setup, teardown, rules, sizeof rules / sizeof rules[0]},
        {"processing delay", setup_delay, teardown, delayed, sizeof delayed / sizeof delayed[0]},
        {"MULTIPLE_TYPES and REPLACE", setup, teardown, tsb_rules_multi, tsb_rules_multi_n},
        {"busy while processing", setup_delay, teardown, tsb_rules_busy, tsb_rules_busy_n},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
