/*
 * test_delivery.c - end-to-end deliveries: connector-host + the plugin +
 * the TikTok sandbox over HTTPS with TLS verification on. New and existing
 * audiences, later runs, the policy refresh and the per-type layout: every
 * audience's members are compared with the set computed independently from
 * the dataset file (e2e_changes), never with what the plugin reports.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_delivery.h"

static const char *type_suffix[E2E_NTYPES] = {"(email)", "(phone)", "(IDFA)", "(GAID)"};

/* The per-type layout: "<name> (email)" etc. */
static void assert_type_audience(e2e *e, const char *adv, const char *name, int type,
                                 const e2e_set *want)
{
    char full[256];

    snprintf(full, sizeof(full), "%s %s", name, type_suffix[type]);
    dl_assert_named(e, adv, full, want);
}

/* A fixture with a new connection `name` to the first Crowded account
   (*adv) over 6000 generated rows (seed, invalid and removal percentages)
   in dataset, settings_extra more members of its settings ("" for none),
   delivered once with exit 0: the connection id, the answer in *o (caller
   frees). */
static char *first_delivery(e2e *e, char *dataset, unsigned long seed, double invalid_pct,
                            double remove_pct, const char *name, const char *settings_extra,
                            const char **adv, e2e_out *o)
{
    char settings[512];
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(e, NULL) == 0);
    *adv = e2e_account(e, 0, "Crowded");
    snprintf(dataset, E2E_PATH, "%s/data.jsonl", e->dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, seed, invalid_pct, remove_pct, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"%s\",\"create_new_for\":[\"%s\"]%s}",
             name, *adv, settings_extra);
    conn = e2e_connect(e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(dl_deliver(e, conn, o) == 0);
    CU_ASSERT_EQUAL(o->exit_code, 0);
    return conn;
}

/* New audiences in two accounts, an existing audience in a third; invalid
   identifiers, removals and broken lines in the dataset. */
static void test_new_and_existing_exact_members(void)
{
    e2e e;
    char dataset[E2E_PATH], settings[1024], existing[32];
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES], initial, got;
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded"),
               *c = e2e_account(&e, 2, "Crowded");
    CU_ASSERT_FATAL(a != NULL && b != NULL && c != NULL);
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, c, "Loyal", 1500, existing, &initial) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 11, 3, 2, 0.5, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"both\",\"audience_name\":\"E2E\","
             "\"create_new_for\":[\"%s\",\"%s\"],\"existing_audiences\":{\"%s\":[\"%s\"]},"
             "\"membership_duration_days\":30}", a, b, c, existing);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_PTR_NOT_NULL(o.json);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "%s\n", o.out);

    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    {
        e2e_set want[E2E_NTYPES];
        dl_wants_from(dataset, 1, want);
        dl_assert_new_audience(&e, a, "E2E", want);
        dl_assert_new_audience(&e, b, "E2E", want);
        e2e_sets_free(want);
    }
    /* Fewest operations: one CREATE per new audience; the existing EMAIL
       audience takes emails only and counts what it cannot take. */
    for (int i = 0; i < 3; i++) {
        char path[64];
        snprintf(path, sizeof(path), "plugin.targets.%d.operations", i);
        const char *ops_i = json_object_get_string(ts_json_at(o.json, path));
        snprintf(path, sizeof(path), "plugin.targets.%d.advertiser_id", i);
        const char *adv_i = json_object_get_string(ts_json_at(o.json, path));
        CU_ASSERT_FATAL(ops_i != NULL && adv_i != NULL);
        if (strcmp(adv_i, c) != 0) {
            CU_ASSERT_STRING_EQUAL(ops_i, "CREATE");
            continue;
        }
        CU_ASSERT_STRING_EQUAL(ops_i, "APPEND,REMOVE");
        for (int t = E2E_PHONE; t < E2E_NTYPES; t++) {
            static const char *names[] = {"EMAIL_SHA256", "PHONE_SHA256", "IDFA_SHA256",
                                          "GAID_SHA256"};
            snprintf(path, sizeof(path), "plugin.targets.%d.skipped.%s", i, names[t]);
            json_object *sk = ts_json_at(o.json, path);
            CU_ASSERT(sk != NULL &&
                      (size_t) json_object_get_int64(sk) >= adds[t].n + removes[t].n);
        }
    }
    /* The existing (email) audience: its members, plus the adds, minus the
       removals. */
    CU_ASSERT(e2e_set_apply(&initial, &adds[E2E_EMAIL], &removes[E2E_EMAIL]) == 0);
    CU_ASSERT_FATAL(e2e_members(&e, existing, &got) == 0);
    CU_ASSERT(e2e_set_equal(&got, &initial));
    e2e_set_free(&got);
    e2e_set_free(&initial);
    e2e_sets_free(adds);
    e2e_sets_free(removes);

    /* A second run with nothing new changes nothing and calls no update. */
    int ops = e2e_update_ops(&e, a);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_EQUAL(e2e_update_ops(&e, a), ops);
    e2e_out_free(&o);
    free(conn);
    e2e_teardown(&e);
}

/* Later runs deliver only the new rows, with APPEND and REMOVE. */
static void test_incremental_runs(void)
{
    e2e e;
    char dataset[E2E_PATH];
    e2e_set want[E2E_NTYPES] = {{0}}, adds[E2E_NTYPES], removes[E2E_NTYPES];
    e2e_out o;
    const char *a;
    char *conn;

    conn = first_delivery(&e, dataset, 21, 1, 0, "Inc", "", &a, &o);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_apply(&want[t], &adds[t], &removes[t]);
    e2e_sets_free(adds);
    e2e_sets_free(removes);

    /* 1,500 more rows, 10% of them removals of earlier users. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 1500, 22, 1, 10, 0, 1) == 0);

    /* A dry run previews them: hashed and spooled, nothing sent, nothing
       recorded, so the real run that follows still carries all 1,500. */
    {
        const char *args[] = {"deliver", "--connection", conn, "--dry-run", NULL};
        int ops = e2e_update_ops(&e, a);
        CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(o.out != NULL && strstr(o.out, "\"previewed\"") != NULL);
        json_object *lines = ts_json_at(o.json, "lines_read");
        CU_ASSERT(lines != NULL && json_object_get_int64(lines) == 1500);
        CU_ASSERT_EQUAL(e2e_update_ops(&e, a), ops);
        e2e_out_free(&o);
    }
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    json_object *records = ts_json_at(o.json, "lines_read");
    CU_ASSERT(records != NULL && json_object_get_int64(records) == 1500);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_changes(dataset, 6001, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_apply(&want[t], &adds[t], &removes[t]);
    dl_assert_new_audience(&e, a, "Inc", want);
    e2e_sets_free(adds);
    e2e_sets_free(removes);
    e2e_sets_free(want);
    free(conn);
    e2e_teardown(&e);
}

/* After the policy refresh period (P540D) a run replaces membership with
   the dataset's whole current membership. */
static void test_policy_refresh_replaces(void)
{
    e2e e;
    char dataset[E2E_PATH];
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];
    e2e_out o;
    const char *a;
    char *conn;

    conn = first_delivery(&e, dataset, 61, 0, 0, "Refresh", "", &a, &o);
    e2e_out_free(&o);
    /* 541 days later, with a few removals added: one REPLACE whose files
       already exclude the removals, no REMOVE. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 600, 62, 0, 20, 0, 1) == 0);
    e.clock_offset_ms = 541 * DAY_MS;
    CU_ASSERT_FATAL(dl_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(o.out != NULL && strstr(o.out, "REPLACE") != NULL);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json,
                           "plugin.targets.0.operations")), "REPLACE");
    json_object *fr = ts_json_at(o.json, "plugin.full_refresh");
    CU_ASSERT(fr != NULL && json_object_get_boolean(fr));
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    {
        e2e_set want[E2E_NTYPES];
        dl_wants_from(dataset, 1, want);
        dl_assert_new_audience(&e, a, "Refresh", want);
        e2e_sets_free(want);
    }
    e2e_sets_free(adds);
    e2e_sets_free(removes);
    free(conn);
    e2e_teardown(&e);
}

/* audience_per_identifier_type: one audience per type, as before 0.2. */
static void test_per_type_setting(void)
{
    e2e e;
    char dataset[E2E_PATH];
    e2e_set want[E2E_NTYPES];
    e2e_out o;
    const char *a;
    char *conn;

    conn = first_delivery(&e, dataset, 81, 1, 2, "Typed", ",\"audience_per_identifier_type\":true",
                          &a, &o);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json, "plugin.layout")),
                           "per_type");
    e2e_out_free(&o);
    dl_wants_from(dataset, 1, want);
    for (int t = 0; t < E2E_NTYPES; t++)
        assert_type_audience(&e, a, "Typed", t, &want[t]);
    CU_ASSERT_EQUAL(e2e_audiences_named(&e, a, "Typed", (char[32]){0}), 0);
    e2e_sets_free(want);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"new and existing audiences hold exactly the expected members",
         test_new_and_existing_exact_members},
        {"later runs deliver only new rows (APPEND, REMOVE)", test_incremental_runs},
        {"policy refresh after P540D replaces membership", test_policy_refresh_replaces},
        {"audience_per_identifier_type keeps one audience per type", test_per_type_setting},
    };

    return e2e_run_suite("delivery end to end", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
