/* test_sandbox_api.c: conformance of every modelled endpoint: valid
 * requests, and invalid ones derived from TikTok's yml schemas (missing
 * required fields, enum violations, bounds), each answered with TikTok's
 * code. Plus the transport rules: trailing slash, methods, Access-Token. */
#include "test_sb_common.h"

#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/open_api/v1.3/"

/* test_sandbox_api_world.c */
extern const tsb_test tsb_api_world[];
extern const size_t tsb_api_world_n;

static int setup(void)
{
    return tsb_setup(NULL);
}

static int teardown(void)
{
    return tsb_teardown();
}

static int get_code(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int post_code(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int get_code(const char *fmt, ...)
{
    char path[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return tsb_get(path, tsb.token, NULL);
}

static int post_code(const char *path, const char *fmt, ...)
{
    char body[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return tsb_post(path, tsb.token, body, NULL);
}

static void t_trailing_slash_and_methods(void)
{
    CU_ASSERT_EQUAL(tsb_status("GET", API "advertiser/info", tsb.token), 404);
    CU_ASSERT_EQUAL(tsb_status("GET", API "dmp/custom_audience/list", tsb.token), 404);
    CU_ASSERT_EQUAL(tsb_status("POST", API "dmp/custom_audience/create", tsb.token), 404);
    CU_ASSERT_EQUAL(tsb_status("GET", API "no/such/endpoint/", tsb.token), 404);
    CU_ASSERT_EQUAL(tsb_status("GET", API "dmp/custom_audience/create/", tsb.token), 405);
    CU_ASSERT_EQUAL(tsb_status("POST", API "dmp/custom_audience/list/", tsb.token), 405);
    /* An application error is still HTTP 200. */
    CU_ASSERT_EQUAL(tsb_status("GET", API "dmp/custom_audience/list/", NULL), 200);
}

static void t_access_token(void)
{
    char path[256], body[512], *second = NULL;
    json_object *data = NULL;

    snprintf(path, sizeof path, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_get(path, NULL, NULL), 40104);
    CU_ASSERT_EQUAL(tsb_get(path, "0000not-a-token", NULL), 40105);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, NULL), 0);
    /* Revoke a second token; the first keeps working. */
    CU_ASSERT_EQUAL_FATAL(ts_sandbox_authorize(tsb.sb, NULL, &second), 0);
    CU_ASSERT_EQUAL(tsb_get(path, second, NULL), 0);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"wrong\",\"access_token\":\"%s\"}",
             tsb.app_id, second);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/revoke_token/", NULL, body, NULL), 40101);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"%s\",\"access_token\":\"%s\"}",
             tsb.app_id, tsb.secret, second);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/revoke_token/", NULL, body, &data), 0);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(data, "app_id")), tsb.app_id);
    CU_ASSERT(json_object_array_length(ts_json_at(data, "advertiser_ids")) >= 5);
    json_object_put(data);
    CU_ASSERT_EQUAL(tsb_get(path, second, NULL), 40105);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/revoke_token/", NULL, body, NULL), 40105);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, NULL), 0);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"%s\"}", tsb.app_id, tsb.secret);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/revoke_token/", NULL, body, NULL), 40002);
    free(second);
}

static void t_access_token_schema(void)
{
    char body[512];

    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, "{}", NULL), 40002);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"%s\"}", tsb.app_id, tsb.secret);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, body, NULL), 40002);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"auth_code\":\"abc\"}", tsb.app_id);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, body, NULL), 40002);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"nope\",\"auth_code\":\"abc\"}",
             tsb.app_id);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, body, NULL), 40101);
    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"%s\",\"auth_code\":\"abc\"}",
             tsb.app_id, tsb.secret);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, body, NULL), 40101);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, "not json", NULL), 40002);
}

static void t_oauth_advertiser_get(void)
{
    char path[512];
    json_object *data = NULL, *list;
    bool admin = false, foreign = false;

    snprintf(path, sizeof path, API "oauth2/advertiser/get/?app_id=%s&secret=%s", tsb.app_id,
             tsb.secret);
    CU_ASSERT_EQUAL_FATAL(tsb_get(path, tsb.token, &data), 0);
    list = ts_json_at(data, "list");
    CU_ASSERT_EQUAL(json_object_array_length(list), 6);
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        const char *id = ts_world_get(json_object_array_get_idx(list, i), "advertiser_id");
        admin |= strcmp(id, tsb.adv_admin) == 0;
        foreign |= strcmp(id, tsb.adv_foreign) == 0;
        CU_ASSERT_PTR_NOT_NULL(ts_world_get(json_object_array_get_idx(list, i),
                                            "advertiser_name"));
    }
    CU_ASSERT(admin);
    CU_ASSERT(!foreign);
    json_object_put(data);
    CU_ASSERT_EQUAL(get_code(API "oauth2/advertiser/get/?app_id=%s&secret=%s", tsb.app_id,
                             "bad"), 40101);
    CU_ASSERT_EQUAL(get_code(API "oauth2/advertiser/get/?secret=%s%s", tsb.secret, ""), 40002);
    CU_ASSERT_EQUAL(get_code(API "oauth2/advertiser/get/?app_id=%s%s", tsb.app_id, ""), 40002);
}

static void t_bc_get(void)
{
    json_object *data = NULL;
    int admins = 0;

    CU_ASSERT_EQUAL_FATAL(tsb_get(API "bc/get/", tsb.token, &data), 0);
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(data, "list")), 2);
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "page_info.total_number")), 2);
    for (size_t i = 0; i < 2; i++) {
        const char *role = ts_world_get(data, i == 0 ? "list.0.user_role" : "list.1.user_role");
        const char *status = ts_world_get(data, i == 0 ? "list.0.bc_info.status"
                                                       : "list.1.bc_info.status");
        CU_ASSERT_PTR_NOT_NULL_FATAL(role);
        admins += strcmp(role, "ADMIN") == 0;
        CU_ASSERT(strcmp(role, "ADMIN") == 0 || strcmp(role, "STANDARD") == 0);
        CU_ASSERT_STRING_EQUAL(status, "ENABLE");
    }
    CU_ASSERT_EQUAL(admins, 1);
    json_object_put(data);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/?page=1&page_size=1", tsb.token, &data), 0);
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(data, "list")), 1);
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "page_info.total_page")), 2);
    json_object_put(data);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/?page_size=51", tsb.token, NULL), 40002);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/?page_size=0", tsb.token, NULL), 40002);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/?page=abc", tsb.token, NULL), 40002);
}

static const char *role_of(json_object *list, const char *adv)
{
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *o = json_object_array_get_idx(list, i);
        if (strcmp(ts_world_get(o, "asset_id"), adv) == 0) {
            return ts_world_get(o, "advertiser_role");
        }
    }
    return NULL;
}

static void t_bc_asset_get(void)
{
    const char *bc1 = ts_world_get(tsb.world, "business_centers.0.bc_id");
    const char *bc2 = ts_world_get(tsb.world, "business_centers.1.bc_id");
    const char *bc3 = ts_world_get(tsb.world, "business_centers.2.bc_id");
    char path[512];
    json_object *data = NULL, *list;

    snprintf(path, sizeof path, API "bc/asset/get/?bc_id=%s&asset_type=ADVERTISER&page=1"
             "&page_size=50", bc1);
    CU_ASSERT_EQUAL_FATAL(tsb_get(path, tsb.token, &data), 0);
    list = ts_json_at(data, "list");
    CU_ASSERT_EQUAL(json_object_array_length(list), 4);
    CU_ASSERT_STRING_EQUAL(role_of(list, tsb.adv_admin), "ADMIN");
    CU_ASSERT_STRING_EQUAL(role_of(list, tsb.adv_operator), "OPERATOR");
    CU_ASSERT_STRING_EQUAL(role_of(list, tsb.adv_analyst), "ANALYST");
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.relation_type"), "OWNER_BC");
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.relation_status"), "BOUND");
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.asset_type"), "ADVERTISER");
    json_object_put(data);
    /* The BC ADMIN ("owner") sees every BC-owned account as ADMIN. */
    snprintf(path, sizeof path, API "bc/asset/get/?bc_id=%s&asset_type=ADVERTISER", bc2);
    CU_ASSERT_EQUAL_FATAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_STRING_EQUAL(role_of(ts_json_at(data, "list"), tsb.adv_owner_bc), "ADMIN");
    json_object_put(data);
    CU_ASSERT_EQUAL(get_code(API "bc/asset/get/?bc_id=%s&asset_type=ADVERTISER%s", bc3, ""),
                    40001);
    CU_ASSERT_EQUAL(get_code(API "bc/asset/get/?asset_type=ADVERTISER%s%s", "", ""), 40002);
    CU_ASSERT_EQUAL(get_code(API "bc/asset/get/?bc_id=%s%s", bc1, ""), 40002);
    CU_ASSERT_EQUAL(get_code(API "bc/asset/get/?bc_id=%s&asset_type=%s", bc1, "ACCOUNT"), 40002);
    CU_ASSERT_EQUAL(get_code(API "bc/asset/get/?bc_id=%s&asset_type=ADVERTISER&page_size=%s",
                             bc1, "51"), 40002);
    CU_ASSERT_EQUAL(get_code(API "bc/asset/get/?bc_id=%s&asset_type=ADVERTISER&page=%s", bc1,
                             "0"), 40002);
}

static void t_advertiser_info(void)
{
    char path[8192];
    json_object *data = NULL;
    size_t off;

    /* JSON array of strings, URL-encoded as a client library would. */
    snprintf(path, sizeof path, API "advertiser/info/?advertiser_ids=%%5B%%22%s%%22%%5D",
             tsb.adv_admin);
    CU_ASSERT_EQUAL_FATAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.advertiser_id"), tsb.adv_admin);
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.status"), "STATUS_ENABLE");
    CU_ASSERT_PTR_NOT_NULL(ts_world_get(data, "list.0.name"));
    json_object_put(data);
    /* Numeric ids are accepted too (TikTok converts to int64). */
    snprintf(path, sizeof path, API "advertiser/info/?advertiser_ids=%%5B%s,%s%%5D",
             tsb.adv_admin, tsb.adv_solo);
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(data, "list")), 2);
    json_object_put(data);
    CU_ASSERT_EQUAL(get_code(API "advertiser/info/?advertiser_ids=%%5B%%22%s%%22%%5D%s",
                             tsb.adv_foreign, ""), 40106);
    CU_ASSERT_EQUAL(tsb_get(API "advertiser/info/", tsb.token, NULL), 40002);
    CU_ASSERT_EQUAL(get_code(API "advertiser/info/?advertiser_ids=%s%s", tsb.adv_admin, ""),
                    40002);
    CU_ASSERT_EQUAL(tsb_get(API "advertiser/info/?advertiser_ids=%5B%5D", tsb.token, NULL),
                    40002);
    off = (size_t)snprintf(path, sizeof path, API "advertiser/info/?advertiser_ids=%%5B");
    for (int i = 0; i < 101; i++) {
        off += (size_t)snprintf(path + off, sizeof path - off, "%s%s", i ? "," : "",
                                tsb.adv_admin);
    }
    snprintf(path + off, sizeof path - off, "%%5D");
    CU_ASSERT_EQUAL(tsb_get(path, tsb.token, NULL), 40002);
}

static void t_upload_schema(void)
{
    const char *file = tsb_write_members(0, 0, 10);
    char md5[33], hdr[256], fp[17];
    char *url = ts_sandbox_url(tsb.sb, API "dmp/custom_audience/file/upload/");
    const char *headers[2] = {hdr, NULL};
    /* Each case drops one required part. */
    static const char *const names[] = {"advertiser_id", "calculate_type", "file",
                                        "file_signature"};

    CU_ASSERT_PTR_NOT_NULL_FATAL(file);
    CU_ASSERT_EQUAL_FATAL(ts_md5_file(file, md5), 0);
    snprintf(hdr, sizeof hdr, "Access-Token: %s", tsb.token);
    for (size_t skip = 0; skip < 4; skip++) {
        ts_form_part all[4] = {
            {"advertiser_id", tsb.adv_admin, NULL, NULL},
            {"calculate_type", "EMAIL_SHA256", NULL, NULL},
            {"file", NULL, file, "a.csv"},
            {"file_signature", md5, NULL, NULL},
        }, parts[3];
        size_t n = 0;
        ts_http_resp r = {0};
        json_object *env, *data;
        int code = -1;
        for (size_t i = 0; i < 4; i++) {
            if (i != skip) {
                parts[n++] = all[i];
            }
        }
        CU_ASSERT_EQUAL(ts_http_multipart(url, ts_sandbox_ca_file(tsb.sb), headers, parts, n,
                                          &r), 0);
        env = ts_envelope(r.body, &code, &data);
        CU_ASSERT_EQUAL(code, 40002);
        CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(ts_json_at(env, "message")),
                                      names[skip]));
        json_object_put(env);
        ts_http_resp_free(&r);
    }
    free(url);
    CU_ASSERT_EQUAL(tsb_upload(tsb.adv_admin, "SHA256", file, "a.csv", NULL, fp), 40909);
    CU_ASSERT_EQUAL(tsb_upload(tsb.adv_admin, "email_sha256", file, "a.csv", NULL, fp), 40909);
    CU_ASSERT_EQUAL(tsb_upload(tsb.adv_admin, "EMAIL_SHA256", file, "a.csv", NULL, fp), 0);
    CU_ASSERT_EQUAL(strlen(fp), 16);
    CU_ASSERT_EQUAL(tsb_upload(tsb.adv_admin, "MAID_SHA256", file, "a.txt", NULL, fp), 0);
    CU_ASSERT_EQUAL(tsb_upload("12ab", "EMAIL_SHA256", file, "a.csv", NULL, fp), 40002);
}

static void t_create_schema(void)
{
    static const char *const path = API "dmp/custom_audience/create/";
    char fp[17], name129[130], body[4096];
    const char *adv = tsb.adv_admin;
    json_object *data = NULL;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 50, fp), 0);
    memset(name129, 'n', 129);
    name129[129] = '\0';
    CU_ASSERT_EQUAL(post_code(path, "{\"custom_audience_name\":\"a\",\"calculate_type\":"
                              "\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}%s", fp, ""), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"calculate_type\":"
                              "\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}", adv, fp), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"file_paths\":[\"%s\"]}", adv, fp), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"EMAIL_SHA256\"}%s", adv, ""), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"\","
                              "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}",
                              adv, fp), 40002);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"%s\","
             "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}", adv, name129, fp);
    CU_ASSERT_EQUAL(tsb_post(path, tsb.token, body, NULL), 40002);
    /* MAID_* exists only in the upload enum, not the create enum. */
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"MAID_SHA256\",\"file_paths\":[\"%s\"]}",
                              adv, fp), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[]}%s",
                              adv, ""), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}",
                              adv, "0123456789abcde"), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"],"
                              "\"retention_in_days\":0}", adv, fp), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"],"
                              "\"retention_in_days\":366}", adv, fp), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"],"
                              "\"audience_sub_type\":\"BIG\"}", adv, fp), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"a\","
                              "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"]}",
                              adv, "ffffffffffffffff"), 40002);
    {
        /* 501 file_paths: over the maxItems of 500. */
        size_t off = (size_t)snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\","
                                      "\"custom_audience_name\":\"a\",\"calculate_type\":"
                                      "\"EMAIL_SHA256\",\"file_paths\":[", adv);
        char *big = malloc(off + 501 * 19 + 8);
        CU_ASSERT_PTR_NOT_NULL_FATAL(big);
        memcpy(big, body, off);
        for (int i = 0; i < 501; i++) {
            off += (size_t)sprintf(big + off, "%s\"%s\"", i ? "," : "", fp);
        }
        strcpy(big + off, "]}");
        CU_ASSERT_EQUAL(tsb_post(path, tsb.token, big, NULL), 40002);
        free(big);
    }
    /* Valid: numeric advertiser_id, retention and sub type. */
    snprintf(body, sizeof body, "{\"advertiser_id\":%s,\"custom_audience_name\":\"ok\","
             "\"calculate_type\":\"EMAIL_SHA256\",\"file_paths\":[\"%s\"],"
             "\"retention_in_days\":30,\"audience_sub_type\":\"NORMAL\"}", adv, fp);
    CU_ASSERT_EQUAL(tsb_post(path, tsb.token, body, &data), 0);
    CU_ASSERT_EQUAL(strlen(json_object_get_string(ts_json_at(data, "custom_audience_id"))), 19);
    json_object_put(data);
}

static void t_update_schema(void)
{
    static const char *const path = API "dmp/custom_audience/update/";
    char fp[17], id[32], body[1024];
    const char *paths[1] = {fp};
    const char *adv = tsb.adv_admin;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1200, fp), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "upd", paths, 1, id), 0);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"file_paths\":[\"%s\"]}", adv,
                              fp), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"custom_audience_id\":\"%s\",\"file_paths\":[\"%s\"]}",
                              id, fp), 40002);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
             "\"action\":\"DELETE\",\"file_paths\":[\"%s\"]}", adv, id, fp);
    CU_ASSERT_EQUAL(tsb_post(path, tsb.token, body, NULL), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\"}",
                              adv, id), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
                              "\"custom_audience_name\":\"\"}", adv, id), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
                              "\"file_paths\":[]}", adv, id), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
                              "\"custom_audience_name\":\"x\"}", adv, "7499999999999999999"),
                    40007);
    /* Default action is REPLACE; renaming alone is valid. */
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
                              "\"custom_audience_name\":\"renamed\"}", adv, id), 0);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":%s,"
             "\"file_paths\":[\"%s\"]}", adv, id, fp);
    CU_ASSERT_EQUAL(tsb_post(path, tsb.token, body, NULL), 0);
}

static void t_get_and_list_schema(void)
{
    char fp[17], id[32], path[1024];
    const char *paths[1] = {fp};
    const char *adv = tsb.adv_admin;
    json_object *data = NULL;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1100, fp), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "getme", paths, 1, id), 0);
    snprintf(path, sizeof path, API "dmp/custom_audience/get/?advertiser_id=%s"
             "&custom_audience_ids=%%5B%%22%s%%22%%5D", adv, id);
    CU_ASSERT_EQUAL_FATAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.audience_details.audience_id"), id);
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.audience_details.name"), "getme");
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.audience_details.calculate_type"),
                           "EMAIL_SHA256");
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.audience_details.type"), "Customer File");
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "list.0.audience_details.cover_num")),
                    1100);
    CU_ASSERT(json_object_get_boolean(ts_json_at(data, "list.0.audience_details.is_valid")));
    CU_ASSERT(json_object_get_boolean(ts_json_at(data, "list.0.audience_details.is_creator")));
    CU_ASSERT_PTR_NOT_NULL(ts_world_get(data, "list.0.audience_details.create_time"));
    CU_ASSERT_PTR_NOT_NULL(ts_world_get(data, "list.0.audience_details.expired_time"));
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.audience_history.0.editor"), "open_api");
    json_object_put(data);
    CU_ASSERT_EQUAL(get_code(API "dmp/custom_audience/get/?advertiser_id=%s%s", adv, ""), 40002);
    CU_ASSERT_EQUAL(get_code(API "dmp/custom_audience/get/?advertiser_id=%s"
                             "&custom_audience_ids=%s", adv, id), 40002);
    CU_ASSERT_EQUAL(get_code(API "dmp/custom_audience/get/?advertiser_id=%s"
                             "&custom_audience_ids=%%5B%%22%s%%22%%5D", adv,
                             "7499999999999999999"), 40007);
    CU_ASSERT_EQUAL(get_code(API "dmp/custom_audience/get/?advertiser_id=%s"
                             "&custom_audience_ids=%%5B%s%%5D&history_size=0", adv, id), 40002);
    CU_ASSERT_EQUAL(get_code(API "dmp/custom_audience/list/?page_size=10%s%s", "", ""), 40002);
    CU_ASSERT_EQUAL(get_code(API "dmp/custom_audience/list/?advertiser_id=%s&page_size=%s",
                             adv, "101"), 40002);
    CU_ASSERT_EQUAL(get_code(API "dmp/custom_audience/list/?advertiser_id=%s&page=%s", adv,
                             "0"), 40002);
    snprintf(path, sizeof path, API "dmp/custom_audience/list/?advertiser_id=%s"
             "&custom_audience_ids=%%5B%%22%s%%22%%5D", adv, id);
    CU_ASSERT_EQUAL_FATAL(tsb_get(path, tsb.token, &data), 0);
    CU_ASSERT_EQUAL(json_object_array_length(ts_json_at(data, "list")), 1);
    CU_ASSERT_STRING_EQUAL(ts_world_get(data, "list.0.audience_id"), id);
    CU_ASSERT_EQUAL(json_object_get_int(ts_json_at(data, "page_info.page_size")), 10);
    json_object_put(data);
}

static void t_delete(void)
{
    static const char *const path = API "dmp/custom_audience/delete/";
    char fp[17], id[32], q[512];
    const char *paths[1] = {fp};
    const char *adv = tsb.adv_admin;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 10, fp), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "bye", paths, 1, id), 0);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\"}%s", adv, ""), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[]}%s",
                              adv, ""), 40002);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":"
                              "[\"%s\",\"7499999999999999999\"]}", adv, id), 40007);
    snprintf(q, sizeof q, API "dmp/custom_audience/get/?advertiser_id=%s"
             "&custom_audience_ids=%%5B%%22%s%%22%%5D", adv, id);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 0);    /* all-or-nothing */
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":"
                              "[\"%s\"]}", tsb.adv_analyst, id), 40001);
    CU_ASSERT_EQUAL(post_code(path, "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":"
                              "[\"%s\"]}", adv, id), 0);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 40007);
}

static void t_roles_and_coverage(void)
{
    char fp[17], id[32], q[512];
    const char *paths[1] = {fp};

    /* ANALYST reads but cannot write. */
    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_analyst);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 0);
    CU_ASSERT_EQUAL(tsb_upload_range(tsb.adv_analyst, 0, 10, fp), 40001);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_analyst, "no", paths, 0, id), 40002);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 10, fp), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_analyst, "no", paths, 1, id), 40001);
    /* Not covered by the token at all. */
    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_foreign);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 40106);
    CU_ASSERT_EQUAL(tsb_upload_range(tsb.adv_foreign, 0, 10, fp), 40106);
    /* Owner (BC ADMIN) writes without an explicit account role; OPERATOR
     * and an account outside any BC work too. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_owner_bc, 0, 10, fp), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_owner_bc, "owner", paths, 1, id), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_operator, 0, 10, fp), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_operator, "op", paths, 1, id), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_solo, 0, 10, fp), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_solo, "solo", paths, 1, id), 0);
}

/* The world changes under a running sandbox as it does at TikTok: a role
   is taken away and given back, an account leaves its Business Center, the
   user cancels the authorization; /sandbox/reset puts it all back. */
static void t_world_changes(void)
{
    char fp[17], q[512], body[512];

    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_admin);
    CU_ASSERT_EQUAL_FATAL(tsb_get(q, tsb.token, NULL), 0);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"user_id\":\"%s\","
             "\"advertiser_role\":null}", tsb.adv_admin, tsb.main_user);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/world/role", body), 200);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 40106);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"user_id\":\"%s\","
             "\"advertiser_role\":\"ANALYST\"}", tsb.adv_admin, tsb.main_user);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/world/role", body), 200);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 0);
    CU_ASSERT_EQUAL(tsb_upload_range(tsb.adv_admin, 0, 10, fp), 40001);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"user_id\":\"%s\","
             "\"advertiser_role\":\"ADMIN\"}", tsb.adv_admin, tsb.main_user);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/world/role", body), 200);
    CU_ASSERT_EQUAL(tsb_upload_range(tsb.adv_admin, 0, 10, fp), 0);
    /* The owner reaches its account only through the Business Center. */
    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_owner_bc);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"owner_bc_id\":null}",
             tsb.adv_owner_bc);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/world/owner_bc", body), 200);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 40106);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/world/owner_bc", "{\"advertiser_id\":\"1\"}"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/world/role", "not json"), 400);
    /* The user cancels the app's authorization. */
    snprintf(body, sizeof body, "{\"user_id\":\"%s\"}", tsb.main_user);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/tokens/revoke", body), 200);
    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 40105);
    /* Reset brings back the world as loaded. */
    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);
    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_owner_bc);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 0);
}

static void t_envelope(void)
{
    char *url = ts_sandbox_url(tsb.sb, API "bc/get/"), hdr[256];
    const char *headers[2] = {hdr, NULL};
    ts_http_resp a = {0}, b = {0};
    json_object *ea, *eb, *d;
    int code;

    snprintf(hdr, sizeof hdr, "Access-Token: %s", tsb.token);
    CU_ASSERT_EQUAL_FATAL(ts_http_request("GET", url, ts_sandbox_ca_file(tsb.sb), headers, NULL,
                                          0, &a), 0);
    CU_ASSERT_EQUAL_FATAL(ts_http_request("GET", url, ts_sandbox_ca_file(tsb.sb), NULL, NULL, 0,
                                          &b), 0);
    ea = ts_envelope(a.body, &code, &d);
    CU_ASSERT_EQUAL(code, 0);
    eb = ts_envelope(b.body, &code, &d);
    CU_ASSERT_EQUAL(code, 40104);
    CU_ASSERT_EQUAL(b.status, 200);
    CU_ASSERT_EQUAL(json_object_object_length(d), 0);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(ea, "message")), "OK");
    CU_ASSERT_STRING_NOT_EQUAL(json_object_get_string(ts_json_at(ea, "request_id")),
                               json_object_get_string(ts_json_at(eb, "request_id")));
    json_object_put(ea);
    json_object_put(eb);
    ts_http_resp_free(&a);
    ts_http_resp_free(&b);
    free(url);
}

int main(void)
{
    static const tsb_test tests[] = {
        {"trailing slash 404, wrong method 405", t_trailing_slash_and_methods},
        {"Access-Token missing/invalid/revoked", t_access_token},
        {"oauth2/access_token schema", t_access_token_schema},
        {"oauth2/advertiser/get", t_oauth_advertiser_get},
        {"bc/get", t_bc_get},
        {"bc/asset/get", t_bc_asset_get},
        {"advertiser/info", t_advertiser_info},
        {"file/upload schema", t_upload_schema},
        {"custom_audience/create schema", t_create_schema},
        {"custom_audience/update schema", t_update_schema},
        {"custom_audience/get and list schema", t_get_and_list_schema},
        {"custom_audience/delete", t_delete},
        {"roles and token coverage", t_roles_and_coverage},
        {"the world changes while the sandbox runs", t_world_changes},
        {"envelope", t_envelope},
    };
    const ts_suite suites[] = {
        {"sandbox API conformance", setup, teardown, tests, sizeof tests / sizeof tests[0]},
        {"world files with live state", setup, teardown, tsb_api_world, tsb_api_world_n},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
