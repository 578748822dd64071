/*
 * test_profile_targets.c - point 1 of issue #19 end to end: a target the
 * profile's user no longer reaches (re-authorized as a colleague, or the
 * Ad Account left the Business Center) falls behind alone (plugin/delivery
 * scopes TikTok's 40106 to it with tt_coverage_scope()); the profile and
 * the other targets keep delivering, and it catches up once reached again.
 *
 * Who reaches what is read from the sandbox's world, not from the plugin.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_changes.h"

#define GLOBEX_BC "7012000000000000002"    /* Maya is its ADMIN */

/* Re-authorized as a colleague who reaches Acme US but not Globex Main:
   the Globex connection fails on its own, naming the account; the Acme
   connection keeps delivering and the profile stays connected. */
static void test_fewer_accounts_keep_delivering(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], s1[256], s2[256], *c1, *c2, *url, *cb;
    json_object *st;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 1200, 7, 0, 0, 0, 0) == 0);
    snprintf(s1, sizeof(s1), "{\"connection_type\":\"new\",\"audience_name\":\"K1\","
             "\"create_new_for\":[\"%s\"]}", ACME_US);
    snprintf(s2, sizeof(s2), "{\"connection_type\":\"new\",\"audience_name\":\"K2\","
             "\"create_new_for\":[\"%s\"]}", GLOBEX_MAIN);
    c1 = e2e_connect(&e, dataset, s1);
    c2 = e2e_connect(&e, dataset, s2);
    CU_ASSERT_FATAL(c1 != NULL && c2 != NULL);
    url = pc_begin(&e, e.profile);
    cb = pc_consent_as(&e, url, pc_world_user(&e, 1, "user_id"));
    pc_complete(&e, e.profile, cb, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(pc_lists_account(o.json, "lost_accounts", GLOBEX_MAIN));
    /* The command names the connection that loses its account, only it. */
    CU_ASSERT(pc_has(json_object_to_json_string(ts_json_at(o.json, "affected_connections")), c2));
    CU_ASSERT(!pc_has(json_object_to_json_string(ts_json_at(o.json, "affected_connections")), c1));
    e2e_out_free(&o);
    /* Twice: the second delivery to the lost account must not block the
       profile either (re-authorizing as the same user could not fix it). */
    for (int round = 0; round < 2; round++) {
        json_object *t;

        if (round == 1)   /* new rows, so the second run has work to do */
            CU_ASSERT_FATAL(e2e_gen(dataset, 300, 8, 0, 0, 0, 1) == 0);
        CU_ASSERT(e2e_deliver(&e, c2, &o) == 0);
        if (o.exit_code != 5)
            fprintf(stderr, "deliver %s: %s\n%s\n", c2, o.out, o.err);
        /* Partial: the connection's one target is behind, the profile is fine. */
        CU_ASSERT_EQUAL(o.exit_code, 5);
        CU_ASSERT(pc_has(o.err, GLOBEX_MAIN));
        /* The second run does not try the account again: an audience never
           created there waits for its access probe (an hour on, or after the
           profile changes) and is reported behind with the same reason. */
        t = pc_entry_for(o.json, "plugin.targets", GLOBEX_MAIN);
        if (round == 1)
            CU_ASSERT_PTR_NULL(ts_json_at(o.json, "catch_up"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "state"), "behind");
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "reason"), "advertiser_not_covered");
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "status"), "permission");
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "remote_code"), "40106");
        /* The fix names the account and who acts, not "re-authorize" alone. */
        CU_ASSERT(pc_has(ts_world_get(t, "fix"), GLOBEX_MAIN));
        CU_ASSERT(pc_has(ts_world_get(t, "fix"), "Admin of that account"));
        e2e_out_free(&o);
        st = pc_status_of(&e, e.profile, &rc);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_STRING_EQUAL(ts_world_get(st, "status"), "connected");
        json_object_put(st);
    }
    CU_ASSERT(e2e_deliver(&e, c1, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    st = pc_status_of(&e, e.profile, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(st, "status"), "connected");
    json_object_put(st);
    free(url);
    free(cb);
    free(c1);
    free(c2);
    e2e_teardown(&e);
}

/* The outcome of a deliver's target for adv (in the catch-up pass when it ran). */
static const char *outcome_of(json_object *report, const char *adv, const char *field)
{
    json_object *t = pc_entry_for(report, "catch_up.plugin.targets", adv);

    if (t == NULL)
        t = pc_entry_for(report, "plugin.targets", adv);
    const char *v = t != NULL ? ts_world_get(t, field) : NULL;

    return v != NULL ? v : "(none)";
}

/* Globex Main leaves the Business Center through which the profile's user
   reached it: in a connection to it and Acme US, only Globex falls behind;
   back in the Business Center, it catches up. */
static void test_account_left_bc(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], *c;
    json_object *st;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 1200, 9, 0, 0, 0, 0) == 0);
    c = e2e_connect(&e, dataset, "{\"connection_type\":\"new\",\"audience_name\":\"B\","
                   "\"create_new_for\":[\"" ACME_US "\",\"" GLOBEX_MAIN "\"]}");
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(e2e_deliver(&e, c, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/world/owner_bc",
                                 "{\"advertiser_id\":\"" GLOBEX_MAIN "\",\"owner_bc_id\":null}"),
                    200);
    CU_ASSERT_FATAL(e2e_gen(dataset, 300, 10, 0, 0, 0, 1) == 0);
    CU_ASSERT(e2e_deliver(&e, c, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 5);
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, GLOBEX_MAIN, "state"), "behind");
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, GLOBEX_MAIN, "reason"), "advertiser_not_covered");
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, ACME_US, "outcome"), "applied");
    e2e_out_free(&o);
    st = pc_status_of(&e, e.profile, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(st, "status"), "connected");
    json_object_put(st);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/world/owner_bc",
                                 "{\"advertiser_id\":\"" GLOBEX_MAIN "\",\"owner_bc_id\":\""
                                 GLOBEX_BC "\"}"),
                    200);
    CU_ASSERT_FATAL(e2e_gen(dataset, 200, 11, 0, 0, 0, 1) == 0);
    CU_ASSERT(e2e_deliver(&e, c, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, GLOBEX_MAIN, "outcome"), "caught_up");
    e2e_out_free(&o);
    free(c);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"fewer accounts after re-authorizing: the others keep delivering",
         test_fewer_accounts_keep_delivering},
        {"an Ad Account leaves the Business Center: only it falls behind, then catches up",
         test_account_left_bc},
    };

    return e2e_run_suite("a profile that no longer reaches one Ad Account", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
