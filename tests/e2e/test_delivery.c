/*
 * test_delivery.c - end-to-end deliveries: connector-host + the plugin +
 * the TikTok sandbox over HTTPS with TLS verification on. Every audience's
 * members are compared with the set computed independently from the
 * dataset file (e2e_changes), never with what the plugin reports.
 */
#include <config.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "e2e.h"

extern char **environ;

#define DAY_MS (24LL * 60 * 60 * 1000)
#define HOUR_MS (60LL * 60 * 1000)

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static const char *type_suffix[E2E_NTYPES] = {"(email)", "(phone)", "(IDFA)", "(GAID)"};

static int deliver(e2e *e, const char *conn, e2e_out *o)
{
    int rc = e2e_deliver(e, conn, o);
    if (rc == 0 && o->exit_code != 0 && getenv("E2E_VERBOSE"))
        fprintf(stderr, "deliver exit %d: %s\n%s\n", o->exit_code, o->out, o->err);
    return rc;
}

/* The one audience named exactly name in adv holds exactly want. */
static void assert_named(e2e *e, const char *adv, const char *name, const e2e_set *want)
{
    char id[32];
    e2e_set got;
    int n = e2e_audiences_named(e, adv, name, id);

    if (want->n == 0) {
        CU_ASSERT(n <= 1);
        return;
    }
    CU_ASSERT_EQUAL(n, 1);    /* exactly one audience per target */
    if (n < 1)
        return;
    CU_ASSERT_FATAL(e2e_members(e, id, &got) == 0);
    if (!e2e_set_equal(&got, want))
        fprintf(stderr, "audience %s in %s: %zu members, expected %zu\n", name, adv, got.n,
                want->n);
    CU_ASSERT(e2e_set_equal(&got, want));
    e2e_set_free(&got);
}

/* The connection's one MULTIPLE_TYPES audience in adv, named name, holds
   every type's expected members. */
static void assert_new_audience(e2e *e, const char *adv, const char *name,
                                const e2e_set want[E2E_NTYPES])
{
    e2e_set all = {0}, none = {0};

    for (int t = 0; t < E2E_NTYPES; t++)
        CU_ASSERT(e2e_set_apply(&all, &want[t], &none) == 0);
    assert_named(e, adv, name, &all);
    e2e_set_free(&all);
}

/* The per-type layout: "<name> (email)" etc. */
static void assert_type_audience(e2e *e, const char *adv, const char *name, int type,
                                 const e2e_set *want)
{
    char full[256];

    snprintf(full, sizeof(full), "%s %s", name, type_suffix[type]);
    assert_named(e, adv, full, want);
}

/* The audiences the dataset's lines from `from` make, removals winning. */
static void wants_from(const char *dataset, unsigned long from, e2e_set want[E2E_NTYPES])
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];

    memset(want, 0, sizeof(e2e_set) * E2E_NTYPES);
    CU_ASSERT_FATAL(e2e_changes(dataset, from, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        CU_ASSERT(e2e_set_apply(&want[t], &adds[t], &removes[t]) == 0);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
}

static void sets_free(e2e_set s[E2E_NTYPES])
{
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_free(&s[t]);
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
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_PTR_NOT_NULL(o.json);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "%s\n", o.out);

    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    {
        e2e_set want[E2E_NTYPES];
        wants_from(dataset, 1, want);
        assert_new_audience(&e, a, "E2E", want);
        assert_new_audience(&e, b, "E2E", want);
        sets_free(want);
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
    sets_free(adds);
    sets_free(removes);

    /* A second run with nothing new changes nothing and calls no update. */
    int ops = e2e_update_ops(&e, a);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
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
    char dataset[E2E_PATH], settings[512];
    e2e_set want[E2E_NTYPES] = {{0}}, adds[E2E_NTYPES], removes[E2E_NTYPES];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 21, 1, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Inc\",\"create_new_for\":[\"%s\"]}",
             a);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_apply(&want[t], &adds[t], &removes[t]);
    sets_free(adds);
    sets_free(removes);

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
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    json_object *records = ts_json_at(o.json, "lines_read");
    CU_ASSERT(records != NULL && json_object_get_int64(records) == 1500);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_changes(dataset, 6001, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_apply(&want[t], &adds[t], &removes[t]);
    assert_new_audience(&e, a, "Inc", want);
    sets_free(adds);
    sets_free(removes);
    sets_free(want);
    free(conn);
    e2e_teardown(&e);
}

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
        CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
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
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
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
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
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
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
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
    sets_free(adds);
    sets_free(removes);
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
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
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
        const char *args[] = {"connect", "--plugin", plugin(), "--profile", e.profile,
                              "--dataset", dataset, "--settings", path, NULL};
        CU_ASSERT_FATAL(e2e_host(&e, &o, args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(o.err != NULL && strstr(o.err, "audience_limit") != NULL &&
                  strstr(o.err, "create_new_for[0]") != NULL &&
                  strstr(o.err, "4 more") != NULL);
        e2e_out_free(&o);
    }
    const char *args[] = {"validate", "--plugin", plugin(), "--settings", path, "--profile",
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

/* Faults from a seed: rate limits, server errors, dropped connections and
   creates/updates applied with their answers lost. Rerun until done: the
   members are exact and each target has exactly one audience per type. */
static void test_faults_exactly_once(void)
{
    static const char *seeds[] = {"1", "2", "3"};
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        e2e e;
        char faults[256], dataset[E2E_PATH], settings[512];
        e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];
        e2e_out o;
        char *conn;
        int done = 0;

        snprintf(faults, sizeof(faults),
                 "seed=%s,rate_limit=0.1,server_error=0.05,drop=0.02,lost_response=0.2,"
                 "endpoints=dmp/", seeds[s]);
        CU_ASSERT_FATAL(e2e_setup(&e, faults) == 0);
        const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
        snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
        CU_ASSERT_FATAL(e2e_gen(dataset, 8000, 40 + s, 2, 2, 0, 0) == 0);
        snprintf(settings, sizeof(settings),
                 "{\"connection_type\":\"new\",\"audience_name\":\"Faulty\","
                 "\"create_new_for\":[\"%s\",\"%s\"]}", a, b);
        conn = e2e_connect(&e, dataset, settings);
        CU_ASSERT_FATAL(conn != NULL);
        for (int attempt = 0; attempt < 40 && !done; attempt++) {
            CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
            if (o.exit_code != 0 && o.exit_code != 75)
                fprintf(stderr, "deliver under faults: exit %d: %s\n", o.exit_code, o.out);
            CU_ASSERT(o.exit_code == 0 || o.exit_code == 75);
            done = o.exit_code == 0;
            if (getenv("E2E_VERBOSE") && o.json != NULL)
                fprintf(stderr, "attempt %d targets: %s\n", attempt,
                        json_object_to_json_string(ts_json_at(o.json, "plugin.targets")));
            if (!done && getenv("E2E_VERBOSE") && o.json != NULL)
                fprintf(stderr, "attempt %d: %s\n", attempt,
                        json_object_to_json_string(ts_json_at(o.json, "error")));
            e2e_out_free(&o);
        }
        CU_ASSERT(done);
        CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
        {
            e2e_set want[E2E_NTYPES];
            wants_from(dataset, 1, want);
            assert_new_audience(&e, a, "Faulty", want);
            assert_new_audience(&e, b, "Faulty", want);
            sets_free(want);
        }
        CU_ASSERT(e2e_update_ops(&e, a) <= 24 && e2e_update_ops(&e, b) <= 24);
        if (getenv("E2E_VERBOSE")) {
            char p1[128], *u, *body = NULL;
            long status;
            snprintf(p1, sizeof(p1), "/sandbox/oplog?advertiser_id=%s", a);
            u = ts_sandbox_url(e.sb, p1);
            ts_http_get(u, ts_sandbox_ca_file(e.sb), &status, &body);
            fprintf(stderr, "OPLOG %s\n", body);
            free(u);
            free(body);
        }
        sets_free(adds);
        sets_free(removes);
        free(conn);
        e2e_teardown(&e);
    }
}

/* SIGKILL the host at several moments of a delivery, then rerun until it
   completes: nothing committed is lost and no audience is created twice. */
static void test_kill9_then_rerun(void)
{
    static const int kill_after_ms[] = {30, 120, 250, 400, 700};
    e2e e;
    char dataset[E2E_PATH], settings[512], conn_arg[64];
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 60000, 51, 1, 1, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Killed\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, b);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    snprintf(conn_arg, sizeof(conn_arg), "%s", conn);
    for (size_t k = 0; k < sizeof(kill_after_ms) / sizeof(kill_after_ms[0]); k++) {
        const char *argv[] = {getenv("TT_HOST"), "deliver", "--connection", conn_arg,
                              "--home", e.home, "--api-base", ts_sandbox_base_url(e.sb),
                              "--ca-file", ts_sandbox_ca_file(e.sb), NULL};
        posix_spawn_file_actions_t fa;
        struct timespec ts = {0, kill_after_ms[k] * 1000000L};
        pid_t pid;
        int status;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        CU_ASSERT_FATAL(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *) argv,
                                    environ) == 0);
        posix_spawn_file_actions_destroy(&fa);
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    int done = 0;
    for (int attempt = 0; attempt < 10 && !done; attempt++) {
        CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
        done = o.exit_code == 0;
        e2e_out_free(&o);
    }
    CU_ASSERT(done);
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    {
        e2e_set want[E2E_NTYPES];
        wants_from(dataset, 1, want);
        assert_new_audience(&e, a, "Killed", want);
        assert_new_audience(&e, b, "Killed", want);
        sets_free(want);
    }
    sets_free(adds);
    sets_free(removes);
    free(conn);
    e2e_teardown(&e);
}

/* After the policy refresh period (P540D) a run replaces membership with
   the dataset's whole current membership. */
static void test_policy_refresh_replaces(void)
{
    e2e e;
    char dataset[E2E_PATH], settings[512];
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 61, 0, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Refresh\",\"create_new_for\":[\"%s\"]}",
             a);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    /* 541 days later, with a few removals added: one REPLACE whose files
       already exclude the removals, no REMOVE. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 600, 62, 0, 20, 0, 1) == 0);
    e.clock_offset_ms = 541 * DAY_MS;
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
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
        wants_from(dataset, 1, want);
        assert_new_audience(&e, a, "Refresh", want);
        sets_free(want);
    }
    sets_free(adds);
    sets_free(removes);
    free(conn);
    e2e_teardown(&e);
}

/* audience_per_identifier_type: one audience per type, as before 0.2. */
static void test_per_type_setting(void)
{
    e2e e;
    char dataset[E2E_PATH], settings[512];
    e2e_set want[E2E_NTYPES];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 81, 1, 2, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Typed\","
             "\"create_new_for\":[\"%s\"],\"audience_per_identifier_type\":true}", a);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json, "plugin.layout")),
                           "per_type");
    e2e_out_free(&o);
    wants_from(dataset, 1, want);
    for (int t = 0; t < E2E_NTYPES; t++)
        assert_type_audience(&e, a, "Typed", t, &want[t]);
    CU_ASSERT_EQUAL(e2e_audiences_named(&e, a, "Typed", (char[32]){0}), 0);
    sets_free(want);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"new and existing audiences hold exactly the expected members",
         test_new_and_existing_exact_members},
        {"later runs deliver only new rows (APPEND, REMOVE)", test_incremental_runs},
        {"the 25th update in 25 hours is deferred, not failed", test_daily_budget_defers},
        {"an update TikTok refuses under 1,000 loses nothing", test_minimum_size_loses_nothing},
        {"400 audiences per Ad Account", test_audience_limit},
        {"faults and lost answers: exactly one audience, exact members",
         test_faults_exactly_once},
        {"kill -9 mid-delivery, rerun: same audiences", test_kill9_then_rerun},
        {"policy refresh after P540D replaces membership", test_policy_refresh_replaces},
        {"audience_per_identifier_type keeps one audience per type", test_per_type_setting},
    };
    int rc = e2e_run_suite("delivery end to end", tests,
                           sizeof(tests) / sizeof(tests[0]));

    return rc;
}
