/* test_sandbox_api_world.c: world files that carry live state, in
 * test_sandbox_api: GET /sandbox/world/state written to a file restarts a
 * second sandbox with the same tokens, audiences, members per type and
 * REPLACE history; /sandbox/reset goes back to it; bad seeds are refused
 * at start. Also the previous-release fixture's world (issue #11 point 6). */
#include "test_sb_common.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/open_api/v1.3/"

/* Members dump of id on sandbox s (malloc'd) or NULL. */
static char *members_of(ts_sandbox *s, const char *id)
{
    char path[160], *url, *body = NULL;
    long status = 0;

    snprintf(path, sizeof path, "/sandbox/audience/members?audience_id=%s&with_type=1", id);
    url = ts_sandbox_url(s, path);
    if (ts_http_get(url, ts_sandbox_ca_file(s), &status, &body) != 0 || status != 200) {
        free(body);
        body = NULL;
    }
    free(url);
    return body;
}

static ts_sandbox *start_with(const char *world_file, const char *const *extra)
{
    ts_sandbox_opts o;
    ts_sandbox *s = NULL;

    ts_sandbox_opts_init(&o);
    o.world_file = world_file;
    o.extra_args = extra;
    return ts_sandbox_start(&o, &s) == 0 ? s : NULL;
}

/* Checks the restarted sandbox (now tsb.sb) against what the first held. */
static void check_restarted(const char *email_id, const char *multi_id, json_object *before)
{
    char f[17], id[32];
    const char *p[1] = {f};
    json_object *a = tsb_audience_info(tsb.adv_admin, email_id), *o;
    json_object *m = tsb_audience_info(tsb.adv_admin, multi_id);

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(ts_world_get(a, "name"), "seed email");
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(a, "size")), 1200);
    CU_ASSERT(json_object_get_boolean(ts_json_at(a, "is_valid")));
    CU_ASSERT_STRING_EQUAL(ts_world_get(m, "calculate_type"), "MULTIPLE_TYPES");
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(m, "members_by_type.PHONE_SHA256")), 500);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(m, "size")), 1500);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(m, "create_time_ms")),
                    json_object_get_int64(ts_json_at(before, "create_time_ms")));
    json_object_put(a);
    json_object_put(m);
    /* The seeded token works; the REPLACE of the first run still counts. */
    CU_ASSERT_EQUAL(tsb_get(API "advertiser/info/?advertiser_ids=[\"7212000000000000001\"]",
                            tsb.token, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 1200, f), 0);
    CU_ASSERT_EQUAL(tsb_update(tsb.adv_admin, email_id, "REPLACE", p, 1), 40002);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 3000, 3100, f), 0);
    CU_ASSERT_EQUAL(tsb_update(tsb.adv_admin, email_id, "APPEND", p, 1), 0);
    /* New ids never collide with seeded ones. */
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 1200, f), 0);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_admin, "after restart", p, 1, id), 0);
    CU_ASSERT(strcmp(id, email_id) != 0 && strcmp(id, multi_id) != 0);
    CU_ASSERT(strtoull(id, NULL, 10) > strtoull(multi_id, NULL, 10));
    o = tsb_ctl("/sandbox/options");
    CU_ASSERT(json_object_get_boolean(ts_json_at(o, "busy_while_processing")));
    json_object_put(o);
    /* Reset returns to the world as loaded, seeds included. */
    CU_ASSERT_EQUAL(ts_sandbox_reset(tsb.sb), 0);
    CU_ASSERT_EQUAL(tsb_audience_size(tsb.adv_admin, email_id), 1200);
    CU_ASSERT_EQUAL(tsb_audience_size(tsb.adv_admin, id), -1);
    CU_ASSERT_EQUAL(tsb_get(API "advertiser/info/?advertiser_ids=[\"7212000000000000001\"]",
                            tsb.token, NULL), 0);
}

static void t_world_seed(void)
{
    static const char *const busy[] = {"--busy-while-processing", NULL};
    char f[17], g[17], email_id[32], multi_id[32], file[TS_PATH_MAX + 32];
    const char *p[1] = {f}, *pg[1] = {g};
    json_object *state, *before;
    ts_sandbox *first = tsb.sb, *second;
    char *m1, *m2;

    CU_ASSERT_EQUAL_FATAL(tsb_reset(), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_range(tsb.adv_admin, 0, 1200, f), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create(tsb.adv_admin, "seed email", p, 1, email_id), 0);
    CU_ASSERT_EQUAL(tsb_update(tsb.adv_admin, email_id, "REPLACE", p, 1), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_upload_multi(tsb.adv_admin, NULL, 0, 500, g), 0);
    CU_ASSERT_EQUAL_FATAL(tsb_create_typed(tsb.adv_admin, "seed multi", "MULTIPLE_TYPES", pg, 1,
                                           multi_id), 0);
    before = tsb_audience_info(tsb.adv_admin, multi_id);
    state = tsb_ctl("/sandbox/world/state");
    CU_ASSERT_PTR_NOT_NULL_FATAL(state);
    CU_ASSERT_PTR_NOT_NULL(ts_json_at(state, "tokens.0.access_token"));
    snprintf(file, sizeof file, "%.4000s/state.json", tsb.dir);
    CU_ASSERT_EQUAL_FATAL(json_object_to_file(file, state), 0);
    json_object_put(state);
    second = start_with(file, busy);
    CU_ASSERT_PTR_NOT_NULL_FATAL(second);
    m1 = members_of(first, multi_id);
    m2 = members_of(second, multi_id);
    CU_ASSERT(m1 != NULL && m2 != NULL && strlen(m1) > 1000 && strcmp(m1, m2) == 0);
    free(m1);
    free(m2);
    tsb.sb = second;
    check_restarted(email_id, multi_id, before);
    tsb.sb = first;
    json_object_put(before);
    CU_ASSERT_EQUAL(ts_sandbox_stop(second), 0);
}

/* A world whose seeds are wrong: the sandbox refuses to start. */
static void t_world_seed_errors(void)
{
    static const char *const bad[] = {
        "\"audiences\":[{\"audience_id\":\"1\",\"advertiser_id\":\"7212000000000000001\","
        "\"name\":\"x\",\"calculate_type\":\"EMAIL_SHA256\",\"members\":{\"PHONE_SHA256\":[]}}]",
        "\"audiences\":[{\"audience_id\":\"1\",\"advertiser_id\":\"7212000000000000001\","
        "\"name\":\"x\",\"calculate_type\":\"EMAIL_SHA256\",\"members\":{\"EMAIL_SHA256\":"
        "[\"zz\"]}}]",
        "\"audiences\":[{\"audience_id\":\"1\",\"advertiser_id\":\"999\",\"name\":\"x\","
        "\"calculate_type\":\"MULTIPLE_TYPES\"}]",
        "\"tokens\":[{\"access_token\":\"t\",\"app_id\":\"7312000000000000001\","
        "\"user_id\":\"1\"}]",
        "\"tokens\":{}",
    };
    char file[TS_PATH_MAX + 32];
    json_object *w = ts_sandbox_world(tsb.sb);
    const char *text;

    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    text = json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN);
    snprintf(file, sizeof file, "%.4000s/bad-world.json", tsb.dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(file, "w");
        ts_sandbox *s;
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        /* The world object with one more member: drop its final '}'. */
        fprintf(f, "%.*s,%s}", (int)strlen(text) - 1, text, bad[i]);
        CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
        s = start_with(file, NULL);
        CU_ASSERT_PTR_NULL(s);
        ts_sandbox_stop(s);
    }
    json_object_put(w);
}

/* The previous-release fixture's world (tests/e2e/data/prev-release,
 * FIXTURE.txt): a restart shows the 8 per-type audiences with their members,
 * and the fixture's token still covers both accounts. */
static void t_prev_release_world(void)
{
    static const struct {
        const char *suffix, *calc;
        long size;
    } want[] = {
        {"(email)", "EMAIL_SHA256", 4543}, {"(phone)", "PHONE_SHA256", 2200},
        {"(IDFA)", "IDFA_SHA256", 1464}, {"(GAID)", "GAID_SHA256", 1436},
    };
    static const char *const accounts[] = {"7212000000000000001", "7212000000000000002"};
    char file[TS_PATH_MAX], path[256];
    ts_sandbox *first = tsb.sb, *s;
    json_object *w;
    char *token;
    size_t found = 0;

    snprintf(file, sizeof file, "%s/world.json", TSB_PREV_RELEASE_DIR);
    w = json_object_from_file(file);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    token = strdup(ts_world_get(w, "tokens.0.access_token"));
    json_object_put(w);
    s = start_with(file, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    tsb.sb = s;
    for (size_t k = 0; k < 2; k++) {
        json_object *list;
        snprintf(path, sizeof path, "/sandbox/audiences?advertiser_id=%s", accounts[k]);
        w = tsb_ctl(path);
        list = ts_json_at(w, "audiences");
        for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
            json_object *a = json_object_array_get_idx(list, i);
            for (size_t t = 0; t < 4; t++) {
                char name[64];
                snprintf(name, sizeof name, "Prev release buyers %s", want[t].suffix);
                if (strcmp(ts_world_get(a, "name"), name) != 0) {
                    continue;
                }
                found++;
                CU_ASSERT_STRING_EQUAL(ts_world_get(a, "calculate_type"), want[t].calc);
                CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(a, "size")), want[t].size);
                CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(a, "cover_num")), want[t].size);
                CU_ASSERT(json_object_get_boolean(ts_json_at(a, "is_valid")));
            }
        }
        json_object_put(w);
        snprintf(path, sizeof path, API "advertiser/info/?advertiser_ids=[\"%s\"]",
                 accounts[k]);
        CU_ASSERT_EQUAL(tsb_get(path, token, NULL), 0);
    }
    CU_ASSERT_EQUAL(found, 8);
    tsb.sb = first;
    free(token);
    CU_ASSERT_EQUAL(ts_sandbox_stop(s), 0);
}

const tsb_test tsb_api_world[] = {
    {"the previous-release fixture's world restarts", t_prev_release_world},
    {"world files carry tokens and audiences", t_world_seed},
    {"bad seeds are refused at start", t_world_seed_errors},
};
const size_t tsb_api_world_n = sizeof tsb_api_world / sizeof tsb_api_world[0];
