/* test_sandbox_rules_multi.c: the rules of issue #11 in test_sandbox_rules:
 * MULTIPLE_TYPES files and audiences (header names, at most 3 of each,
 * members per type, the 1,000 floor over all types), one REPLACE per
 * audience per 24 hours, and updates refused while an audience processes
 * (--busy-while-processing / POST /sandbox/options). */
#include "test_sb_common.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/open_api/v1.3/"
#define HOUR_MS (3600LL * 1000)

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

/* Uploads text as a MULTIPLE_TYPES file; returns the code. */
static int up_multi(const char *text)
{
    char fp[17];

    return tsb_upload(tsb.adv_admin, "MULTIPLE_TYPES", write_text("m.csv", text), "m.csv",
                      NULL, fp);
}

static bool msg_has(const char *needle)
{
    return strstr(tsb_last_message(), needle) != NULL;
}

static void t_multiple_types_files(void)
{
    char e[65], p[65], m[65], d[65], text[4096], fp[17], id[32];
    const char *paths[1] = {fp};

    tsb_id_hex('e', 1, e);
    tsb_id_hex('p', 1, p);
    tsb_id_hex('m', 1, m);
    tsb_id_hex('d', 1, d);
    /* The four documented headers, empty cells, CRLF, upper-case hex. */
    snprintf(text, sizeof text, "Email_SHA256,Phone_SHA256,MAID_SHA256,MAID_MD5\r\n"
             "%s,%s,%s,%s\r\n,,%s,\r\n%s\r\n", e, p, m, d, m, "ABCDEF0123456789ABCDEF0123456789"
             "ABCDEF0123456789ABCDEF0123456789");
    CU_ASSERT_EQUAL(up_multi(text), 0);
    /* Each header at most 3 times. */
    snprintf(text, sizeof text, "Email_SHA256,Email_SHA256,Email_SHA256\n%s,,%s\n", e, e);
    CU_ASSERT_EQUAL(up_multi(text), 0);
    snprintf(text, sizeof text, "Email_SHA256,Email_SHA256,Email_SHA256,Email_SHA256\n%s\n", e);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    CU_ASSERT(msg_has("more than 3 times"));
    /* Exact case only, named with the spelling to use. */
    snprintf(text, sizeof text, "email_sha256\n%s\n", e);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    CU_ASSERT(msg_has("case-sensitive") && msg_has("Email_SHA256"));
    snprintf(text, sizeof text, "EMAIL_SHA256\n%s\n", e);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    /* Clear-text columns are refused. */
    CU_ASSERT_EQUAL(up_multi("Email,Phone_SHA256\nuser@example.com,\n"), 40914);
    CU_ASSERT(msg_has("clear-text"));
    CU_ASSERT_EQUAL(up_multi("Phone\n+15550000001\n"), 40914);
    CU_ASSERT_EQUAL(up_multi("MAID\n6d5f0c5a-0000-4000-8000-000000000001\n"), 40914);
    /* Unknown headers, including single-type names TikTok does not list. */
    snprintf(text, sizeof text, "IDFA_SHA256\n%s\n", m);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    CU_ASSERT(msg_has("unknown header 'IDFA_SHA256'"));
    /* No header: data on line 1. */
    snprintf(text, sizeof text, "%s,%s\n", e, p);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    CU_ASSERT(msg_has("needs a header row"));
    /* More cells than the header. */
    snprintf(text, sizeof text, "Email_SHA256,Phone_SHA256\n%s,%s,%s\n", e, p, m);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    CU_ASSERT(msg_has("more cells than the header"));
    /* Digests are checked per column type: SHA-256 under MAID_MD5, MD5
     * under Email_SHA256. */
    snprintf(text, sizeof text, "MAID_MD5\n%s\n", m);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    snprintf(text, sizeof text, "Email_SHA256\n%s\n", d);
    CU_ASSERT_EQUAL(up_multi(text), 40914);
    CU_ASSERT(msg_has("column 1"));
    /* A header-only file is not empty: it has no members. */
    CU_ASSERT_EQUAL(up_multi("Email_SHA256\n"), 0);
    /* A file whose calculate_type does not match the audience's. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload_multi(tsb.adv_admin, NULL, 0, 400, fp), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_admin, "wrong type", paths, 1, id), 40002);
    CU_ASSERT(msg_has("does not match"));
    CU_ASSERT_EQUAL_FATAL(tsb_create_typed(tsb.adv_admin, "multi", "MULTIPLE_TYPES", paths, 1,
                                           id), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 1200, fp), 0);
    CU_ASSERT_EQUAL(tsb_update(tsb.adv_admin, id, "APPEND", paths, 1), 40002);
    CU_ASSERT(msg_has("does not match"));
}

static long by_type(json_object *info, const char *type)
{
    char path[96];
    json_object *v;

    snprintf(path, sizeof path, "members_by_type.%s", type);
    v = ts_json_at(info, path);
    return v != NULL ? (long)json_object_get_int64(v) : 0;
}

/* Lines of GET /sandbox/audience/members with a query suffix; first line
 * into first (may be NULL). -1 on error. */
static long member_lines(const char *id, const char *query, char *first, size_t flen)
{
    char path[256], *url, *body = NULL;
    long status = 0, n = 0;

    snprintf(path, sizeof path, "/sandbox/audience/members?audience_id=%s%s", id, query);
    url = ts_sandbox_url(tsb.sb, path);
    if (ts_http_get(url, ts_sandbox_ca_file(tsb.sb), &status, &body) != 0 || status != 200) {
        n = -1;
    }
    for (char *p = body; n >= 0 && p != NULL && *p != '\0'; n++) {
        char *nl = strchr(p, '\n');
        if (n == 0 && first != NULL) {
            snprintf(first, flen, "%.*s", nl != NULL ? (int)(nl - p) : (int)strlen(p), p);
        }
        p = nl != NULL ? nl + 1 : NULL;
    }
    free(body);
    free(url);
    return n;
}

static void t_multiple_types_audience(void)
{
    char f[17], fe[17], fwrong[17], fadd[17], id[32], line[160], hex[65];
    const char *p[1] = {f}, *pe[1] = {fe}, *pw[1] = {fwrong}, *pa[1] = {fadd};
    const char *adv = tsb.adv_operator;
    json_object *info;

    /* 400 rows x 3 types: 1,200 identifiers although each type is below
     * 1,000: valid, because the floor counts the audience as a whole. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload_multi(adv, NULL, 0, 400, f), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create_typed(adv, "Buyers", "MULTIPLE_TYPES", p, 1, id), 0);
    info = tsb_audience_info(adv, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(info, "size")), 1200);
    CU_ASSERT_EQUAL(by_type(info, "EMAIL_SHA256"), 400);
    CU_ASSERT_EQUAL(by_type(info, "PHONE_SHA256"), 400);
    CU_ASSERT_EQUAL(by_type(info, "FIRST_SHA256"), 400);
    CU_ASSERT(json_object_get_boolean(ts_json_at(info, "is_valid")));
    CU_ASSERT_STRING_EQUAL(ts_world_get(info, "calculate_type"), "MULTIPLE_TYPES");
    json_object_put(info);
    /* Every member, with its type; or one type. */
    CU_ASSERT_EQUAL(member_lines(id, "", NULL, 0), 1200);
    CU_ASSERT_EQUAL(member_lines(id, "&with_type=1", line, sizeof line), 1200);
    CU_ASSERT(strncmp(line, "EMAIL_SHA256,", 13) == 0 || strncmp(line, "PHONE_SHA256,", 13) == 0
              || strncmp(line, "FIRST_SHA256,", 13) == 0);
    CU_ASSERT_EQUAL(member_lines(id, "&type=Phone_SHA256", NULL, 0), 400);
    CU_ASSERT_EQUAL(member_lines(id, "&type=MAID_SHA256&with_type=1", line, sizeof line), 400);
    CU_ASSERT(strncmp(line, "FIRST_SHA256,", 13) == 0);
    CU_ASSERT_EQUAL(member_lines(id, "&type=NOPE", NULL, 0), -1);
    /* REMOVE matches per type: emails 0..99 listed as phones remove nothing. */
    {
        char text[64 * 110 + 32], *q = text;
        q += sprintf(q, "Phone_SHA256\n");
        for (long i = 0; i < 100; i++) {
            tsb_id_hex('e', i, hex);
            q += sprintf(q, "%s\n", hex);
        }
        CU_ASSERT_EQUAL_FATAL(tsb_upload(adv, "MULTIPLE_TYPES", write_text("w.csv", text),
                                         "w.csv", NULL, fwrong), 0);
    }
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", pw, 1), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1200);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_multi(adv, "e", 0, 100, fe), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", pe, 1), 0);
    info = tsb_audience_info(adv, id);
    CU_ASSERT_EQUAL(by_type(info, "EMAIL_SHA256"), 300);
    CU_ASSERT_EQUAL(by_type(info, "PHONE_SHA256"), 400);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(info, "size")), 1100);
    json_object_put(info);
    /* REMOVE below the floor over all types is refused: 1,100 - 400 phones
     * - 400 MAIDs = 300. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload_multi(adv, "pm", 0, 400, fadd), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", pa, 1), 40002);
    CU_ASSERT(msg_has("less than 1,000"));
    /* APPEND adds only new identifiers of each type; MD5 MAIDs too. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload_multi(adv, "epmd", 350, 450, fadd), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", pa, 1), 0);
    info = tsb_audience_info(adv, id);
    CU_ASSERT_EQUAL(by_type(info, "EMAIL_SHA256"), 350);
    CU_ASSERT_EQUAL(by_type(info, "PHONE_SHA256"), 450);
    CU_ASSERT_EQUAL(by_type(info, "FIRST_SHA256"), 450);
    CU_ASSERT_EQUAL(by_type(info, "FIRST_MD5"), 100);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(info, "size")), 1350);
    json_object_put(info);
    CU_ASSERT_EQUAL(member_lines(id, "&type=MAID_MD5", line, sizeof line), 100);
    CU_ASSERT_EQUAL(strlen(line), 32);
}

static void t_replace_daily(void)
{
    char f[17], g[17], id[32], id2[32];
    const char *p[1] = {f}, *pg[1] = {g};
    const char *adv = tsb.adv_admin;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1200, f), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 1200, 1300, g), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "replace once", p, 1, id), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "replace other", p, 1, id2), 0);
    /* A create is not a replace. */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p, 1), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p, 1), 40002);
    CU_ASSERT(msg_has("one Replace operation per 24 hrs"));
    /* APPEND, REMOVE and other audiences are not affected. */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", pg, 1), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", pg, 1), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id2, "REPLACE", p, 1), 0);
    /* 24 hours of sandbox clock, not the UTC day. */
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 23 * HOUR_MS), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p, 1), 40002);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1200);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, HOUR_MS + 1000), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", pg, 1), 40002);   /* 100 < 1,000 */
    CU_ASSERT(msg_has("less than 1,000"));
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p, 1), 0);        /* refused ones don't count */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p, 1), 40002);
    CU_ASSERT_EQUAL(tsb_reset(), 0);
}

static void t_busy_while_processing(void)
{
    char f[17], g[17], id[32], body[256];
    const char *p[1] = {f}, *pg[1] = {g};
    const char *adv = tsb.adv_admin;
    json_object *o;

    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);
    o = tsb_ctl("/sandbox/options");
    CU_ASSERT_FALSE(json_object_get_boolean(ts_json_at(o, "busy_while_processing")));
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o, "processing_delay_ms")), HOUR_MS);
    json_object_put(o);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/options", "{\"busy_while_processing\":1}"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/options", "{}"), 400);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1200, f), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 1200, 1300, g), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "busy", p, 1, id), 0);
    /* Off (the default): an update during processing is accepted. */
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", pg, 1), 0);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/options", "{\"busy_while_processing\":true}"), 200);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", pg, 1), 40002);
    CU_ASSERT_STRING_EQUAL(tsb_last_message(), "The audience is currently being updated or "
                           "under processing, please try again later.");
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REPLACE", p, 1), 40002);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1300);   /* nothing applied */
    /* A rename does not touch the data and is accepted. */
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
             "\"custom_audience_name\":\"busy renamed\"}", adv, id);
    CU_ASSERT_EQUAL(tsb_post(API "dmp/custom_audience/update/", tsb.token, body, NULL), 0);
    /* Processing ends: accepted, and processing starts again. */
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, HOUR_MS), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", pg, 1), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", pg, 1), 40002);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1200);
    /* The delay can change at run time too. */
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/options", "{\"processing_delay_ms\":0}"), 200);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, HOUR_MS), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", pg, 1), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "REMOVE", pg, 1), 0);
    /* An audience made to process again (as "still processing from the day
     * before"): refused until the time given, then accepted. */
    snprintf(body, sizeof body, "{\"audience_id\":\"%s\",\"for_ms\":%lld}", id,
             30 * HOUR_MS);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/audience/processing", body), 200);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/audience/processing", "{\"audience_id\":\"1\","
                                 "\"for_ms\":1}"), 404);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/audience/processing", "{}"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/options", "{\"busy_while_processing\":true}"), 200);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 24 * HOUR_MS), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", pg, 1), 40002);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1200);
    CU_ASSERT_EQUAL(ts_sandbox_advance_clock(tsb.sb, 6 * HOUR_MS), 0);
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", pg, 1), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(adv, id), 1300);
    /* Reset restores the options as started. */
    CU_ASSERT_EQUAL(tsb_reset(), 0);
    o = tsb_ctl("/sandbox/options");
    CU_ASSERT_FALSE(json_object_get_boolean(ts_json_at(o, "busy_while_processing")));
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o, "processing_delay_ms")), HOUR_MS);
    json_object_put(o);
}

/* Requests about adv so far, from /sandbox/requests (-1 unknown). */
static long adv_requests(const char *adv)
{
    json_object *o = tsb_ctl("/sandbox/requests"), *by, *n;
    long v = -1;

    if (o != NULL && json_object_object_get_ex(o, "by_advertiser", &by)
        && json_object_object_get_ex(by, adv, &n)) {
        v = (long)json_object_get_int64(n);
    }
    json_object_put(o);
    return v;
}

/* A create/update checks its rules again after reading its files outside
 * the world lock; each is still one request about its account, and a
 * missing file is still answered as such. */
static void t_checked_twice_counted_once(void)
{
    char f[17], id[32];
    const char *p[1] = {f}, *missing[2] = {f, "0123456789abcdef"};
    const char *adv = tsb.adv_admin;
    long before;

    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(adv, 0, 1100, f), 0);
    before = adv_requests(adv);
    CU_ASSERT_FATAL(before > 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(adv, "counted once", p, 1, id), 0);
    CU_ASSERT_EQUAL(tsb_create(adv, "missing file", missing, 2, id), 40002);
    CU_ASSERT(msg_has("file_path 0123456789abcdef does not exist"));
    CU_ASSERT_EQUAL(tsb_update(adv, id, "APPEND", missing, 2), 40002);
    CU_ASSERT_EQUAL(adv_requests(adv), before + 3);
}

const tsb_test tsb_rules_multi[] = {
    {"MULTIPLE_TYPES files: headers, cells, types", t_multiple_types_files},
    {"MULTIPLE_TYPES audience: members per type, floor over all", t_multiple_types_audience},
    {"one REPLACE per audience per 24 hours", t_replace_daily},
    {"rules checked again after the files are read: one request each", t_checked_twice_counted_once},
};
const size_t tsb_rules_multi_n = sizeof tsb_rules_multi / sizeof tsb_rules_multi[0];

/* Runs in the suite started with a 1-hour processing delay. */
const tsb_test tsb_rules_busy[] = {
    {"busy while processing: 40002, then accepted", t_busy_while_processing},
};
const size_t tsb_rules_busy_n = 1;
