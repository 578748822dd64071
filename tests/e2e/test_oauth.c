/*
 * test_oauth.c - end-to-end tests of profiles (TikTok OAuth through the
 * sandbox's consent page): the whole authorize flow and the accounts it
 * connects, a user with the Analyst role only, and a revoked token that
 * asks for re-authorization; connector-host run as a user runs it, over
 * HTTPS with TLS verification on.
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

#define REDIRECT_ENCODED "redirect_uri=https%3A%2F%2F127.0.0.1%2Fcallback"

static json_object *find_by(json_object *list, const char *key, const char *value)
{
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *a = json_object_array_get_idx(list, i);
        if (ep_is_str(ts_world_get(a, key), value))
            return a;
    }
    return NULL;
}

/* TikTok's consent page on the API base, with the app, a state and our
   redirect URI, URL-encoded. Returns the state (caller frees). */
static char *check_auth_url(e2e *e, const char *url)
{
    char *state, *v;

    CU_ASSERT(strncmp(url, ts_sandbox_base_url(e->sb), strlen(ts_sandbox_base_url(e->sb))) == 0);
    CU_ASSERT(ep_has(url, "/portal/auth?"));
    v = ep_query_value(url, "app_id");
    CU_ASSERT(v != NULL && strcmp(v, e->app_id) == 0);
    free(v);
    /* Percent-encoding is case-insensitive (RFC 3986, 2.1). */
    CU_ASSERT(ep_has_nocase(url, REDIRECT_ENCODED));
    v = ep_query_value(url, "redirect_uri");
    CU_ASSERT(v != NULL && strcmp(v, REDIRECT) == 0);
    free(v);
    state = ep_query_value(url, "state");
    CU_ASSERT_FATAL(state != NULL);
    CU_ASSERT(strlen(state) > 40 && strchr(state, '.') != NULL);
    CU_ASSERT(strchr(url, '\n') == NULL && strchr(url, ' ') == NULL);
    return state;
}

/* The consent page sends the browser back with a code and our state. */
static void check_callback(const char *cb, const char *state)
{
    char *v;

    CU_ASSERT(strncmp(cb, REDIRECT "?", strlen(REDIRECT) + 1) == 0);
    v = ep_query_value(cb, "state");
    CU_ASSERT(v != NULL && strcmp(v, state) == 0);
    free(v);
    v = ep_query_value(cb, "auth_code");
    CU_ASSERT(v != NULL && v[0] != '\0');
    free(v);
}

/* Every account of the world, classified independently, against what
   the completed authorization listed. Returns how many are usable. */
static size_t check_accounts(e2e *e, json_object *res)
{
    json_object *advs, *usable, *excluded;
    size_t want_usable = 0, want_excluded = 0;

    advs = ts_json_at(e->world, "advertisers");
    usable = ts_json_at(res, "ad_accounts");
    excluded = ts_json_at(res, "excluded_accounts");
    CU_ASSERT_FATAL(advs != NULL && usable != NULL && excluded != NULL);
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i);
        const char *id = ts_world_get(a, "advertiser_id");
        json_object *in_usable = find_by(usable, "advertiser_id", id);
        json_object *in_excluded = find_by(excluded, "advertiser_id", id);
        int cls = ep_account_class(e->world, a, e->user_id);

        if (cls == ACC_USABLE) {
            want_usable++;
            CU_ASSERT(in_usable != NULL && in_excluded == NULL);
        } else if (cls == ACC_READ_ONLY) {
            want_excluded++;
            CU_ASSERT(in_usable == NULL && in_excluded != NULL);
            CU_ASSERT(ep_is_str(ts_world_get(in_excluded, "reason"), "read_only_role"));
            /* The detail names the role the world gives the user. */
            CU_ASSERT(ep_has(ts_world_get(in_excluded, "detail"),
                             ep_role_in(ts_json_at(a, "roles"), e->user_id, "advertiser_role")));
        } else if (cls == ACC_OUTSIDE_BC) {
            want_excluded++;
            CU_ASSERT(in_usable == NULL && in_excluded != NULL);
            CU_ASSERT(ep_is_str(ts_world_get(in_excluded, "reason"), "outside_business_center"));
            CU_ASSERT(ep_has(ts_world_get(in_excluded, "detail"), "Business Center"));
        } else {
            CU_ASSERT(in_usable == NULL && in_excluded == NULL);
        }
    }
    /* The built-in world has each kind at least once. */
    CU_ASSERT(ep_world_account(e, ACC_READ_ONLY, 0) != NULL);
    CU_ASSERT(ep_world_account(e, ACC_OUTSIDE_BC, 0) != NULL);
    CU_ASSERT(want_usable > 0);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(res, "ad_account_count")),
                    (int64_t) want_usable);
    CU_ASSERT_EQUAL(json_object_array_length(usable), want_usable);
    CU_ASSERT_EQUAL(json_object_array_length(excluded), want_excluded);
    return want_usable;
}

static void test_oauth_flow(void)
{
    e2e e;
    e2e_out o;
    char *url, *cb, *state;
    size_t want_usable;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    url = ep_begin(&e, "flow");
    state = check_auth_url(&e, url);

    cb = ep_consent_as(&e, url, e.user_id);
    check_callback(cb, state);

    ep_complete(&e, "flow", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_FATAL(o.json != NULL);
    CU_ASSERT(ep_is_str(ts_world_get(o.json, "status"), "connected"));
    CU_ASSERT(ep_is_str(ts_world_get(o.json, "profile"), "flow"));

    want_usable = check_accounts(&e, o.json);
    e2e_out_free(&o);

    /* The status of the profile, asked later, agrees. */
    {
        const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", "flow",
                              "--status", NULL};
        ep_run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(ep_is_str(ts_world_get(o.json, "status"), "connected"));
        CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "ad_account_count")),
                        (int64_t) want_usable);
        e2e_out_free(&o);
    }
    free(state);
    free(url);
    free(cb);
    e2e_teardown(&e);
}

/* A world where one more user holds only the Analyst role. */
#define ANALYST_USER "6912000000000000099"

static int write_analyst_world(const char *path, char analyst_adv[32])
{
    const char *argv[] = {getenv("TT_SANDBOX"), "--print-world", NULL};
    char *out = NULL;
    json_object *w = NULL, *u, *m, *r, *bcs, *advs, *adv = NULL, *bc = NULL;
    const char *owner;
    int code = -1, rc = -1;

    if (argv[0] == NULL || ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &code, &out, NULL) != 0 ||
        code != 0 || (w = json_tokener_parse(out)) == NULL)
        goto cleanup;
    advs = ts_json_at(w, "advertisers");
    bcs = ts_json_at(w, "business_centers");
    /* The first account owned by a Business Center. */
    for (size_t i = 0; advs != NULL && adv == NULL && i < json_object_array_length(advs); i++)
        if (ts_world_get(json_object_array_get_idx(advs, i), "owner_bc_id") != NULL)
            adv = json_object_array_get_idx(advs, i);
    if (adv == NULL || bcs == NULL)
        goto cleanup;
    owner = ts_world_get(adv, "owner_bc_id");
    for (size_t i = 0; i < json_object_array_length(bcs); i++)
        if (ep_is_str(ts_world_get(json_object_array_get_idx(bcs, i), "bc_id"), owner))
            bc = json_object_array_get_idx(bcs, i);
    if (bc == NULL)
        goto cleanup;
    snprintf(analyst_adv, 32, "%s", ts_world_get(adv, "advertiser_id"));
    u = json_object_new_object();
    json_object_object_add(u, "user_id", json_object_new_string(ANALYST_USER));
    json_object_object_add(u, "name", json_object_new_string("Anna Analyst"));
    json_object_array_add(ts_json_at(w, "users"), u);
    m = json_object_new_object();
    json_object_object_add(m, "user_id", json_object_new_string(ANALYST_USER));
    json_object_object_add(m, "user_role", json_object_new_string("STANDARD"));
    json_object_array_add(ts_json_at(bc, "members"), m);
    r = json_object_new_object();
    json_object_object_add(r, "user_id", json_object_new_string(ANALYST_USER));
    json_object_object_add(r, "advertiser_role", json_object_new_string("ANALYST"));
    json_object_array_add(ts_json_at(adv, "roles"), r);
    rc = e2e_write(path, json_object_to_json_string(w));
cleanup:
    json_object_put(w);
    free(out);
    return rc;
}

static void test_analyst_only_user(void)
{
    e2e e;
    ts_sandbox_opts so;
    e2e_out o;
    char world[E2E_PATH], analyst_adv[32] = "", *url, *cb;
    json_object *ex;

    memset(&e, 0, sizeof(e));
    CU_ASSERT_FATAL(ts_tmpdir_make(e.dir, sizeof(e.dir)) == 0);
    snprintf(e.home, sizeof(e.home), "%s/home", e.dir);
    snprintf(world, sizeof(world), "%s/world.json", e.dir);
    CU_ASSERT_FATAL(write_analyst_world(world, analyst_adv) == 0);
    ts_sandbox_opts_init(&so);
    so.world_file = world;
    CU_ASSERT_FATAL(ts_sandbox_start(&so, &e.sb) == 0);
    e.world = ts_sandbox_world(e.sb);
    CU_ASSERT_FATAL(e.world != NULL);
    snprintf(e.app_id, sizeof(e.app_id), "%s", ts_world_get(e.world, "apps.0.app_id"));
    snprintf(e.user_id, sizeof(e.user_id), "%s", ANALYST_USER);
    ep_store_app_secrets(&e);

    url = ep_begin(&e, "viewer");
    cb = ep_consent_as(&e, url, ANALYST_USER);
    ep_complete(&e, "viewer", cb, &o);
    ep_assert_failure(&o, 1, "permission", "no_usable_accounts", "Admin, Operator or Owner");
    CU_ASSERT(ep_has(o.err, "--profile viewer"));
    /* The status still lists why each account was left out. */
    CU_ASSERT_FATAL(o.json != NULL);
    CU_ASSERT(ep_is_str(ts_world_get(o.json, "status"), "no_usable_accounts"));
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "ad_account_count")), 0);
    ex = find_by(ts_json_at(o.json, "excluded_accounts"), "advertiser_id", analyst_adv);
    CU_ASSERT(ex != NULL && ep_is_str(ts_world_get(ex, "reason"), "read_only_role"));
    e2e_out_free(&o);
    free(url);
    free(cb);
    e2e_teardown(&e);
}

static void test_revoked_token(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], settings[256], *token, *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 200, 5, 0, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Revoked\","
             "\"create_new_for\":[\"%s\"]}", ep_roomy_account(&e, 0));
    conn = ep_connect_with(&e, dataset, settings);

    token = ep_read_token(&e, e.profile);
    ep_revoke(&e, token);
    free(token);
    /* The first command to meet the revoked token is a delivery. */
    {
        const char *args[] = {"deliver", "--connection", conn, NULL};
        ep_run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        CU_ASSERT(ep_is_str(ts_world_get(o.json, "status"), "reauthorize"));
        CU_ASSERT(ep_is_str(ts_world_get(o.json, "error.code"), "token_invalid"));
        CU_ASSERT(ep_is_str(ts_world_get(o.json, "error.profile"), "p1"));
        CU_ASSERT(ep_has(ts_world_get(o.json, "error.message"), "authorize --profile p1"));
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", e.profile,
                              "--status", NULL};
        ep_run(&e, &o, args);
        ep_assert_failure(&o, 3, "reauthorize", "token_invalid", "--profile p1");
        e2e_out_free(&o);
    }
    {
        /* Checking settings against TikTok needs the token too. */
        char path[E2E_PATH];
        snprintf(path, sizeof(path), "%s/revoked.json", e.dir);
        CU_ASSERT_FATAL(e2e_write(path, settings) == 0);
        const char *args[] = {"validate", "--plugin", ep_plugin(), "--settings", path,
                              "--profile", e.profile, "--remote", NULL};
        ep_run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        CU_ASSERT(ep_has(o.out, "authorize --profile p1") ||
                  ep_has(o.err, "authorize --profile p1"));
        e2e_out_free(&o);
    }
    {
        /* Later deliveries keep asking for the same fix. */
        const char *args[] = {"deliver", "--connection", conn, NULL};
        ep_run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        CU_ASSERT(ep_has(o.err, "--profile p1"));
        e2e_out_free(&o);
    }
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"OAuth: URL, consent, connected with the world's usable accounts", test_oauth_flow},
        {"OAuth: Analyst-only user has no usable accounts", test_analyst_only_user},
        {"OAuth: revoked token means re-authorize", test_revoked_token},
    };

    return ep_run_suite("profiles end to end: the authorize flow", tests,
                        sizeof(tests) / sizeof(tests[0]));
}
