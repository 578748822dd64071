/*
 * test_delivery_limits.c - deliveries against TikTok's limits, end to end
 * over HTTPS: the daily update budget defers a run instead of failing it,
 * an update under TikTok's minimum size loses nothing, and an Ad Account's
 * 400 audiences are checked before anything is created.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_delivery.h"

/* TikTok allows 24 update operations per Ad Account per day: the 25th run
   is deferred with a retry-after, and goes through 25 hours later. */
static void test_daily_budget_defers(void)
{
    e2e e;
    char dataset[E2E_PATH], existing[32];
    e2e_set initial;
    e2e_out o;
    char *conn;
    int deferred_at = 0;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *c = e2e_account(&e, 0, "Crowded");
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, c, "Budget", 1200, existing, &initial) == 0);
    e2e_set_free(&initial);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_write(dataset, "") == 0);
    conn = e2e_connect_existing(&e, dataset, c, existing);
    CU_ASSERT_FATAL(conn != NULL);
    int before = e2e_update_ops(&e, c);
    for (int run = 1; run <= 26 && deferred_at == 0; run++) {
        char line[256], hex[65], s[64];
        FILE *f = fopen(dataset, "a");
        snprintf(s, sizeof(s), "budget-%d@example.com", run);
        ts_sha256_hex(s, hex);
        snprintf(line, sizeof(line), "{\"sha256_hashed_email\":{\"value\":\"%s\"}}\n", hex);
        fputs(line, f);
        fclose(f);
        CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
        if (o.exit_code == 75)
            deferred_at = run;
        else
            CU_ASSERT_EQUAL(o.exit_code, 0);
        e2e_out_free(&o);
    }
    CU_ASSERT_EQUAL(deferred_at, 25 - before);
    CU_ASSERT(e2e_update_ops(&e, c) <= 24);
    /* 25 hours later (the budget is a rolling 25-hour window, tt_budget.h),
       for both clocks: the deferred run goes through. */
    CU_ASSERT(ts_sandbox_advance_clock(e.sb, DAY_MS + HOUR_MS) == 0);
    e.clock_offset_ms = DAY_MS + HOUR_MS;
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    free(conn);
    e2e_teardown(&e);
}

/* An update that would leave fewer than 1,000 members is refused by TikTok:
   that target falls behind (the run is partial, nothing is lost), and once
   more rows make it possible it catches up with exactly what it missed. */
static void test_minimum_size_loses_nothing(void)
{
    e2e e;
    char dataset[E2E_PATH], existing[32];
    e2e_set initial, got, adds[E2E_NTYPES], removes[E2E_NTYPES];
    e2e_out o;
    char *conn;
    FILE *f;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *c = e2e_account(&e, 0, "Crowded");
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, c, "Small", 1100, existing, &initial) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    f = fopen(dataset, "w");
    CU_ASSERT_FATAL(f != NULL);
    for (size_t i = 0; i < 300; i++)   /* remove 300 of 1,100: 800 would remain */
        fprintf(f, "{\"sha256_hashed_email\":{\"value\":\"%s\"},\"_op\":\"remove\"}\n",
                initial.items[i]);
    fclose(f);
    conn = e2e_connect_existing(&e, dataset, c, existing);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 5);    /* partial */
    CU_ASSERT(o.out != NULL && strstr(o.out, "below_minimum_size") != NULL);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json, "status")), "partial");
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json,
                           "plugin.targets.0.state")), "behind");
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "plugin.targets.0.missing_rows")),
                    300);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_members(&e, existing, &got) == 0);
    CU_ASSERT(e2e_set_equal(&got, &initial));     /* TikTok changed nothing */
    e2e_set_free(&got);

    /* 800 new members: now the removals leave 1,600. The run delivers the
       new rows and the catch-up brings the missed removals. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 800, 71, 0, 0, 0, 1) == 0);
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    if (o.exit_code != 0)
        fprintf(stderr, "catch-up: %s\n", o.out);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json, "catch_up.status")),
                           "delivered");
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json,
                           "catch_up.plugin.targets.0.outcome")), "caught_up");
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    CU_ASSERT(e2e_set_apply(&initial, &adds[E2E_EMAIL], &removes[E2E_EMAIL]) == 0);
    CU_ASSERT_FATAL(e2e_members(&e, existing, &got) == 0);
    CU_ASSERT(e2e_set_equal(&got, &initial));
    CU_ASSERT(got.n >= 1000);   /* above the floor: the catch-up went through */
    e2e_set_free(&got);
    e2e_sets_free(adds);
    e2e_sets_free(removes);
    e2e_set_free(&initial);
    free(conn);
    e2e_teardown(&e);
}

static const char *crowded_account(e2e *e)
{
    json_object *list = ts_json_at(e->profile_status, "ad_accounts");

    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        const char *name = ts_world_get(json_object_array_get_idx(list, i), "name");
        if (name != NULL && strstr(name, "Crowded") != NULL)
            return ts_world_get(json_object_array_get_idx(list, i), "advertiser_id");
    }
    return NULL;
}

/* An Ad Account with 398 audiences: one MULTIPLE_TYPES audience fits; the
   per-type layout needs four, so connect (and validate --remote) refuse it
   up front, naming the field and the limit, rather than a run stopping
   half way at the 400th audience. */
static void test_audience_limit(void)
{
    e2e e;
    char dataset[E2E_PATH], settings[512], path[E2E_PATH];
    e2e_out o;
    char *conn;
    const char *crowded;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    crowded = crowded_account(&e);
    CU_ASSERT_FATAL(crowded != NULL);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 4000, 31, 0, 0, 0, 0) == 0);   /* four types */
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"One\",\"create_new_for\":[\"%s\"]}",
             crowded);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_audiences_named(&e, crowded, "One", NULL), 1);

    /* Now at 399: four more do not fit. */
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Full\",\"create_new_for\":[\"%s\"],"
             "\"audience_per_identifier_type\":true}", crowded);
    snprintf(path, sizeof(path), "%s/full.json", e.dir);
    e2e_write(path, settings);
    {
        const char *args[] = {"connect", "--plugin", dl_plugin(), "--profile", e.profile,
                              "--dataset", dataset, "--settings", path, NULL};
        CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(o.err != NULL && strstr(o.err, "audience_limit") != NULL &&
                  strstr(o.err, "create_new_for[0]") != NULL &&
                  strstr(o.err, "4 more") != NULL);
        e2e_out_free(&o);
    }
    const char *args[] = {"validate", "--plugin", dl_plugin(), "--settings", path, "--profile",
                          e.profile, "--remote", NULL};
    CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(o.out != NULL && strstr(o.out, "audience_limit") != NULL &&
              strstr(o.out, "create_new_for[0]") != NULL);
    e2e_out_free(&o);
    /* Nothing was created for the refused connection. */
    CU_ASSERT_EQUAL(e2e_audiences_named(&e, crowded, "Full (email)", NULL), 0);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"the 25th update in 25 hours is deferred, not failed", test_daily_budget_defers},
        {"an update TikTok refuses under 1,000 loses nothing", test_minimum_size_loses_nothing},
        {"400 audiences per Ad Account", test_audience_limit},
    };

    return e2e_run_suite("delivery end to end: TikTok's limits", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
