/*
 * test_validate_remote.c - validate --remote end to end: TikTok's checks of
 * the accounts and audiences the settings name, room for every audience a
 * connection creates, and existing audiences it can fill. The audiences the
 * checks meet are made as a marketer makes them, through TikTok's API.
 *
 * What TikTok should answer is computed from the sandbox's world
 * (GET /sandbox/world), never taken from what the plugin reports.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_profiles.h"

/* Fills adv to `target` audiences through TikTok's create API with a
   marketer's own token. */
static void fill_to(e2e *e, const char *adv, int have, int target)
{
    for (int i = have; i < target; i++) {
        char name[32], id[32];
        e2e_set members;
        snprintf(name, sizeof(name), "Filler %d", i);
        CU_ASSERT_FATAL(e2e_make_existing_audience(e, adv, name, 10, id, &members) == 0);
        e2e_set_free(&members);
    }
}

/* Accounts the profile does not reach, or reaches read-only. */
static void check_unreachable_accounts(e2e *e, const char *a, const char *unrelated,
                                       const char *analyst, const char *outside,
                                       const char *aud_a)
{
    char s[1024], field[96];

    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, unrelated);
    ep_check_validate_fix(e, s, 1, "create_new_for[1]", "account_not_authorized",
                          "is not among the accounts profile p1 authorized");
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"7299999999999999999\"]}");
    ep_check_validate(e, s, 1, "create_new_for[0]", "account_not_authorized");
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\"]}", analyst);
    ep_check_validate_fix(e, s, 1, "create_new_for[0]", "account_not_writable", "read_only_role");
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\"]}", outside);
    ep_check_validate_fix(e, s, 1, "create_new_for[0]", "account_not_writable",
                          "outside_business_center");
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", analyst, aud_a);
    snprintf(field, sizeof(field), "existing_audiences.%s", analyst);
    ep_check_validate(e, s, 1, field, "account_not_writable");
}

/* Audiences: one of another account, one that does not exist. */
static void check_audiences_not_found(e2e *e, const char *a, const char *aud_a,
                                      const char *aud_b)
{
    char s[1024], field[96];

    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\",\"%s\"]}}", a, aud_a, aud_b);
    snprintf(field, sizeof(field), "existing_audiences.%s[1]", a);
    /* Only the second is wrong. */
    CU_ASSERT_EQUAL(ep_check_validate_fix(e, s, 1, field, "audience_not_found",
                                          "(Assets > Audiences)"), 1);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"7400000000000000999\"]}}", a);
    snprintf(field, sizeof(field), "existing_audiences.%s[0]", a);
    ep_check_validate(e, s, 1, field, "audience_not_found");
}

static void test_validate_remote(void)
{
    e2e e;
    char s[1024], aud_a[32], aud_b[32], elsewhere[32];
    e2e_set m;
    json_object *crowded = NULL, *advs;
    const char *a, *b, *analyst, *outside, *unrelated, *crowded_id;
    int prefilled;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    a = ep_roomy_account(&e, 0);
    b = ep_roomy_account(&e, 1);
    analyst = ep_world_account(&e, ACC_READ_ONLY, 0);
    outside = ep_world_account(&e, ACC_OUTSIDE_BC, 0);
    unrelated = ep_world_account(&e, ACC_UNRELATED, 0);
    CU_ASSERT_FATAL(a && b && analyst && outside && unrelated);
    advs = ts_json_at(e.world, "advertisers");
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *x = json_object_array_get_idx(advs, i);
        if (ep_account_class(e.world, x, e.user_id) == ACC_USABLE &&
            json_object_get_int(ts_json_at(x, "prefilled_audiences")) > 0)
            crowded = x;
    }
    CU_ASSERT_FATAL(crowded != NULL);
    crowded_id = ts_world_get(crowded, "advertiser_id");
    prefilled = json_object_get_int(ts_json_at(crowded, "prefilled_audiences"));
    CU_ASSERT_FATAL(prefilled < 400);

    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, a, "In A", 10, aud_a, &m) == 0);
    e2e_set_free(&m);
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, b, "In B", 10, aud_b, &m) == 0);
    e2e_set_free(&m);
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, b, "Also B", 10,
                                               elsewhere, &m) == 0);
    e2e_set_free(&m);

    check_unreachable_accounts(&e, a, unrelated, analyst, outside, aud_a);
    check_audiences_not_found(&e, a, aud_a, aud_b);

    /* Room for new audiences: below 400 passes, at 400 does not. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, crowded_id);
    ep_check_validate(&e, s, 1, NULL, NULL);
    fill_to(&e, crowded_id, prefilled, 400);
    ep_check_validate_fix(&e, s, 1, "create_new_for[1]", "audience_limit",
                          "already has 400 custom audiences");

    /* A valid mixed configuration. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"both\",\"audience_name\":\"Mixed\","
             "\"create_new_for\":[\"%s\"],\"existing_audiences\":{\"%s\":[\"%s\",\"%s\"]},"
             "\"membership_duration_days\":90}", a, b, aud_b, elsewhere);
    ep_check_validate(&e, s, 1, NULL, NULL);
    e2e_teardown(&e);
}

/* POST to TikTok's API as the marketer (not the connector): the data of a
   code-0 answer (caller puts env), or NULL. */
static json_object *marketer_post(e2e *e, const char *path, const char *body,
                                  const ts_form_part *parts, size_t nparts, json_object **env)
{
    char hdr[512], *token = NULL, *url = NULL;
    ts_http_resp r = {0};
    json_object *data = NULL;
    int code = -1, rc;

    *env = NULL;
    if (ts_sandbox_authorize(e->sb, e->user_id, &token) != 0)
        return NULL;
    snprintf(hdr, sizeof(hdr), "Access-Token: %s", token);
    url = ts_sandbox_url(e->sb, path);
    {
        const char *h1[] = {hdr, NULL}, *h2[] = {hdr, "Content-Type: application/json", NULL};
        rc = parts != NULL
                 ? ts_http_multipart(url, ts_sandbox_ca_file(e->sb), h1, parts, nparts, &r)
                 : ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), h2, body,
                                   strlen(body), &r);
    }
    if (rc == 0)
        *env = ts_envelope(r.body, &code, &data);
    if (code != 0) {
        fprintf(stderr, "marketer %s: %s\n", path, r.body ? r.body : "(no answer)");
        data = NULL;
    }
    ts_http_resp_free(&r);
    free(url);
    free(token);
    return data;
}

/* An IDFA_MD5 audience of 10 members made by the marketer in adv. */
static int make_md5_audience(e2e *e, const char *adv, const char *name, char id_out[32])
{
    char path[E2E_PATH], md5[33], body[512];
    json_object *env = NULL, *env2 = NULL, *data;
    FILE *f;
    int rc = -1;

    snprintf(path, sizeof(path), "%s/md5-%s.txt", e->dir, adv);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    for (int i = 0; i < 10; i++)
        fprintf(f, "%032x\n", 0xabc0 + i);
    fclose(f);
    if (ts_md5_file(path, md5) != 0)
        return -1;
    ts_form_part parts[] = {
        {"advertiser_id", adv, NULL, NULL},
        {"calculate_type", "IDFA_MD5", NULL, NULL},
        {"file_signature", md5, NULL, NULL},
        {"file", NULL, path, "idfa.txt"},
    };
    data = marketer_post(e, "/open_api/v1.3/dmp/custom_audience/file/upload/", NULL, parts, 4,
                         &env);
    if (data != NULL) {
        snprintf(body, sizeof(body),
                 "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"%s\","
                 "\"calculate_type\":\"IDFA_MD5\",\"file_paths\":[\"%s\"]}",
                 adv, name, ts_world_get(data, "file_path"));
        data = marketer_post(e, "/open_api/v1.3/dmp/custom_audience/create/", body, NULL, 0,
                             &env2);
    }
    if (data != NULL && ts_world_get(data, "custom_audience_id") != NULL) {
        snprintf(id_out, 32, "%s", ts_world_get(data, "custom_audience_id"));
        rc = 0;
    }
    json_object_put(env);
    json_object_put(env2);
    return rc;
}

/* A Lookalike made by the marketer in Ads Manager (the sandbox's control
   API: TikTok's lookalike endpoint is not modelled). */
static int make_lookalike(e2e *e, const char *adv, char id_out[32])
{
    char body[256], *url = ts_sandbox_url(e->sb, "/sandbox/world/lookalike");
    ts_http_resp r = {0};
    json_object *o = NULL;
    int rc = -1;

    snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"name\":\"Lookalike of buyers\"}",
             adv);
    if (url != NULL &&
        ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), NULL, body, strlen(body), &r) == 0
        && r.status == 200 && (o = json_tokener_parse(r.body)) != NULL &&
        ts_world_get(o, "audience_id") != NULL) {
        snprintf(id_out, 32, "%s", ts_world_get(o, "audience_id"));
        rc = 0;
    }
    json_object_put(o);
    ts_http_resp_free(&r);
    free(url);
    return rc;
}

/* validate --remote checks what the connection will need of each account:
   room for every audience it creates (one, or four with
   audience_per_identifier_type), and existing audiences it can fill. */
/* 398 of 400: one MULTIPLE_TYPES audience fits, four per-type do not;
   the roomy account has room for four. */
static void check_room_per_type(e2e *e, const char *a, const char *crowded_id)
{
    char s[1024];

    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, crowded_id);
    ep_check_validate(e, s, 1, NULL, NULL);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"],\"audience_per_identifier_type\":true}",
             a, crowded_id);
    CU_ASSERT_EQUAL(ep_check_validate_fix(e, s, 1, "create_new_for[1]", "audience_limit",
                                          "already has 398 custom audiences and this connection "
                                          "creates 4 more"), 1);
    ep_check_validate_fix(e, s, 1, "create_new_for[1]", "audience_limit",
                          "leave audience_per_identifier_type out");
    ep_check_validate_fix(e, s, 1, "create_new_for[1]", "audience_limit", crowded_id);
    ep_check_validate_fix(e, s, 1, "create_new_for[1]", "audience_limit", "limit is 400");
    /* The roomy account has room for four. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\"],\"audience_per_identifier_type\":true}", a);
    ep_check_validate(e, s, 1, NULL, NULL);
}

/* Existing audiences the connector cannot fill, each named. Makes an
   audience of a's own and copies its id into owned. */
static void check_unfillable(e2e *e, const char *a, char owned[32])
{
    char s[1024], field[96], md5[32], look[32];
    e2e_set m;

    CU_ASSERT_FATAL(e2e_make_existing_audience(e, a, "Owned", 10, owned, &m) == 0);
    e2e_set_free(&m);
    CU_ASSERT_FATAL(make_md5_audience(e, a, "Hashed with MD5", md5) == 0);
    CU_ASSERT_FATAL(make_lookalike(e, a, look) == 0);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", a, owned);
    ep_check_validate(e, s, 1, NULL, NULL);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\",\"%s\",\"%s\"]}}", a, owned, md5, look);
    snprintf(field, sizeof(field), "existing_audiences.%s[1]", a);
    CU_ASSERT_EQUAL(ep_check_validate_fix(e, s, 1, field, "audience_type_unsupported",
                                          "takes IDFA_MD5 identifiers"), 2);
    ep_check_validate_fix(e, s, 1, field, "audience_type_unsupported", md5);
    snprintf(field, sizeof(field), "existing_audiences.%s[2]", a);
    ep_check_validate_fix(e, s, 1, field, "audience_not_customer_file", "is a Lookalike audience");
    ep_check_validate_fix(e, s, 1, field, "audience_not_customer_file", look);
}

/* Shared from a (the owner) to b, in the same Business Center: b cannot
   fill it, its owner still delivers to it. */
static void check_shared(e2e *e, const char *a, const char *b, const char *bc_a,
                         const char *bc_b, const char *owned)
{
    char s[1024], field[96], body[256];
    json_object *env = NULL;

    CU_ASSERT_FATAL(bc_a != NULL && bc_b != NULL && strcmp(bc_a, bc_b) == 0);
    snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"],"
             "\"shared_advertiser_ids\":[\"%s\"]}", a, owned, b);
    CU_ASSERT_FATAL(marketer_post(e, "/open_api/v1.3/dmp/custom_audience/share/", body, NULL, 0,
                                  &env) != NULL);
    json_object_put(env);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", b, owned);
    snprintf(field, sizeof(field), "existing_audiences.%s[0]", b);
    ep_check_validate_fix(e, s, 1, field, "audience_not_owned", "only the owner");
    ep_check_validate_fix(e, s, 1, field, "audience_not_owned", owned);
    /* Its owner still delivers to it. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", a, owned);
    ep_check_validate(e, s, 1, NULL, NULL);
}

/* validate --remote checks what the connection will need of each account:
   room for every audience it creates (one, or four with
   audience_per_identifier_type), and existing audiences it can fill. */
static void test_validate_fit(void)
{
    e2e e;
    char owned[32];
    json_object *crowded = NULL, *advs;
    const char *a, *b, *crowded_id, *bc_a = NULL, *bc_b = NULL;
    int prefilled;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    a = ep_roomy_account(&e, 0);
    b = ep_roomy_account(&e, 1);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    advs = ts_json_at(e.world, "advertisers");
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *x = json_object_array_get_idx(advs, i);
        if (ep_account_class(e.world, x, e.user_id) == ACC_USABLE &&
            json_object_get_int(ts_json_at(x, "prefilled_audiences")) > 0)
            crowded = x;
        if (ep_is_str(ts_world_get(x, "advertiser_id"), a))
            bc_a = ts_world_get(x, "owner_bc_id");
        if (ep_is_str(ts_world_get(x, "advertiser_id"), b))
            bc_b = ts_world_get(x, "owner_bc_id");
    }
    CU_ASSERT_FATAL(crowded != NULL);
    crowded_id = ts_world_get(crowded, "advertiser_id");
    prefilled = json_object_get_int(ts_json_at(crowded, "prefilled_audiences"));
    CU_ASSERT_FATAL(prefilled == 398);

    check_room_per_type(&e, a, crowded_id);
    check_unfillable(&e, a, owned);
    check_shared(&e, a, b, bc_a, bc_b, owned);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"validate --remote: TikTok checks", test_validate_remote},
        {"validate --remote: room for every audience, audiences it can fill", test_validate_fit},
    };

    return ep_run_suite("settings end to end: validate --remote", tests,
                        sizeof(tests) / sizeof(tests[0]));
}
