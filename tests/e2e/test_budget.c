/*
 * test_budget.c - TikTok's budgets end to end over HTTPS to the sandbox,
 * with both clocks (the host's and the sandbox's) moved together:
 *   - the 24 updates are a rolling 25-hour window: used up at 22:00 UTC,
 *     still used up at 01:00 UTC the next day (when the sandbox, counting
 *     by UTC day, would take more), free again 25 hours after the first;
 *   - a per-UTC-day counter left by a release before the window is carried
 *     over, so an upgrade mid-day never spends more than 24 that day;
 *   - a second full refresh (deliver --resync) within 24 hours is deferred
 *     with when it may go, never sent (the sandbox refuses a second REPLACE
 *     as TikTok does), and replaces membership once the day is over;
 *   - TikTok refusing a REPLACE because someone replaced the audience
 *     outside the connection: deferred a day, not failed.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <sqlite3.h>

#include "e2e.h"

#define MIN_MS (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

static int has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

static long long real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long host_now_ms(const e2e *e)
{
    return real_now_ms() + e->clock_offset_ms;
}

/* Moves both clocks forward by ms: the sandbox's and the host's. */
static void advance(e2e *e, long long ms)
{
    CU_ASSERT_FATAL(ts_sandbox_advance_clock(e->sb, ms) == 0);
    e->clock_offset_ms += ms;
}

/* Moves both clocks to the next hh:00 UTC at least an hour away. */
static long long advance_to_utc_hour(e2e *e, int hh)
{
    long long now = host_now_ms(e);
    long long at = now / DAY_MS * DAY_MS + hh * HOUR_MS;

    while (at < now + HOUR_MS)
        at += DAY_MS;
    advance(e, at - now);
    return at;
}

static void run(e2e *e, e2e_out *o, const char *const *args)
{
    CU_ASSERT_FATAL(e2e_host(e, o, args) == 0);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "[%s] exit %d\n%s\n%s\n", args[0], o->exit_code,
                o->out ? o->out : "", o->err ? o->err : "");
}

static void deliver(e2e *e, const char *conn, int resync, e2e_out *o)
{
    const char *args[] = {"deliver", "--connection", conn, resync ? "--resync" : NULL, NULL};
    run(e, o, args);
}

/* Update requests the sandbox received (accepted or refused). */
static long update_requests(e2e *e)
{
    return e2e_requests_to(e, "custom_audience/update");
}

static long long json_ll(json_object *j, const char *path)
{
    json_object *v = ts_json_at(j, path);
    return v != NULL ? (long long) json_object_get_int64(v) : -1;
}

/* Appends one fresh email row to dataset (one APPEND for the next run). */
static void add_row(const char *dataset, int n)
{
    char s[64], hex[65];
    FILE *f = fopen(dataset, "a");

    CU_ASSERT_FATAL(f != NULL);
    snprintf(s, sizeof(s), "budget-%d@example.com", n);
    ts_sha256_hex(s, hex);
    fprintf(f, "{\"sha256_hashed_email\":{\"value\":\"%s\"}}\n", hex);
    CU_ASSERT_FATAL(fclose(f) == 0);
}

/* The existing EMAIL audience "Budget" in the first usable account, and a
   connection to it over an empty dataset. */
static char *budget_connection(e2e *e, char adv[32], char dataset[E2E_PATH])
{
    char existing[32];
    e2e_set initial;
    const char *a = e2e_account(e, 0, "Crowded");

    CU_ASSERT_FATAL(a != NULL);
    snprintf(adv, 32, "%s", a);
    CU_ASSERT_FATAL(e2e_make_existing_audience(e, adv, "Budget", 1200, existing, &initial) == 0);
    e2e_set_free(&initial);
    snprintf(dataset, E2E_PATH, "%s/data.jsonl", e->dir);
    CU_ASSERT_FATAL(e2e_write(dataset, "") == 0);
    return e2e_connect_existing(e, dataset, adv, existing);
}

/* 24 updates from 22:00 UTC; at 01:00 UTC the next day a UTC-day count
   would be back at 0, the rolling window is not: deferred until 25 hours
   after the first, then delivered. */
static void test_rolling_window_across_midnight(void)
{
    e2e e;
    char adv[32], dataset[E2E_PATH];
    e2e_out o;
    char *conn;
    long long t22, nb;
    int before, row = 0;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    t22 = advance_to_utc_hour(&e, 22);
    conn = budget_connection(&e, adv, dataset);
    CU_ASSERT_FATAL(conn != NULL);
    before = e2e_update_ops(&e, adv);
    CU_ASSERT_EQUAL(before, 0);
    for (int i = 0; i < 24; i++) {
        add_row(dataset, ++row);
        deliver(&e, conn, 0, &o);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        e2e_out_free(&o);
    }
    CU_ASSERT_EQUAL(e2e_update_ops(&e, adv), 24);
    CU_ASSERT(host_now_ms(&e) < t22 + HOUR_MS);    /* all before midnight */

    /* 01:00 UTC: a new UTC day for TikTok's sandbox, not for the window. */
    advance(&e, 3 * HOUR_MS);
    add_row(dataset, ++row);
    long reqs = update_requests(&e);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT(has(o.out, adv));
    nb = json_ll(o.json, "not_before_ms");
    /* The first of the 24 leaves the window 25 hours after it was made. */
    CU_ASSERT(nb >= t22 + 25 * HOUR_MS && nb <= t22 + 25 * HOUR_MS + 30 * MIN_MS);
    if (!(nb >= t22 + 25 * HOUR_MS && nb <= t22 + 25 * HOUR_MS + 30 * MIN_MS))
        fprintf(stderr, "not_before %lld, first update at about %lld\n%s\n", nb, t22,
                o.out ? o.out : "");
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(update_requests(&e), reqs);      /* nothing was sent */
    CU_ASSERT_EQUAL(e2e_update_ops(&e, adv), 24);

    /* At 21:59 the next day the window still holds 24. */
    advance(&e, 20 * HOUR_MS + 59 * MIN_MS);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(update_requests(&e), reqs);

    /* Past not_before: the deferred rows go, once. */
    if (nb > host_now_ms(&e))
        advance(&e, nb - host_now_ms(&e) + 1000);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_update_ops(&e, adv), 25);
    free(conn);
    e2e_teardown(&e);
}

/* Writes the counter a release before the rolling window kept for the UTC
   day of day_ms, in the plugin's namespace (its id, as the host keeps it). */
static int put_legacy_counter(e2e *e, const char *adv, long long day_ms, int count)
{
    char db_path[E2E_PATH + 16], key[128];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    time_t secs = (time_t) (day_ms / 1000);
    struct tm tm;
    int rc = -1;

    gmtime_r(&secs, &tm);
    snprintf(key, sizeof(key), "budget/%s/%04d-%02d-%02d", adv, tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    snprintf(db_path, sizeof(db_path), "%s/state.db", e->home);
    if (sqlite3_open(db_path, &db) != SQLITE_OK)
        goto cleanup;
    if (sqlite3_prepare_v2(db, "INSERT INTO kv (namespace, key, value, version) "
                           "SELECT plugin_id, ?1, ?2, 1 FROM connections LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    char value[16];
    snprintf(value, sizeof(value), "%d", count);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, value, (int) strlen(value), SQLITE_TRANSIENT);
    rc = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1 ? 0 : -1;
cleanup:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* Reservations in the plugin's budget/<adv> record, or -1. */
static int budget_entries(e2e *e, const char *adv)
{
    char db_path[E2E_PATH + 16], key[64];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;

    snprintf(key, sizeof(key), "budget/%s", adv);
    snprintf(db_path, sizeof(db_path), "%s/state.db", e->home);
    if (sqlite3_open(db_path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT value FROM kv WHERE key = ?1", -1, &st, NULL) ==
            SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            json_object *v = json_tokener_parse((const char *) sqlite3_column_text(st, 0));
            json_object *at = ts_json_at(v, "at_ms");
            n = at != NULL ? (int) json_object_array_length(at) : -1;
            json_object_put(v);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* An upgrade at 12:00 UTC from a release that counted 23 updates today
   under budget/<adv>/<day>: one more goes today, then the run is deferred
   until the carried-over 23 (counted at 00:00 UTC) leave the window. */
static void test_legacy_counter_carried_over(void)
{
    e2e e;
    char adv[32], dataset[E2E_PATH];
    e2e_out o;
    char *conn;
    long long t12, midnight, nb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    t12 = advance_to_utc_hour(&e, 12);
    midnight = t12 - 12 * HOUR_MS;
    conn = budget_connection(&e, adv, dataset);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(put_legacy_counter(&e, adv, t12, 23) == 0);
    CU_ASSERT_EQUAL(budget_entries(&e, adv), -1);

    add_row(dataset, 1);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_update_ops(&e, adv), 1);
    CU_ASSERT_EQUAL(budget_entries(&e, adv), 24);    /* 23 carried over + 1 */

    add_row(dataset, 2);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    nb = json_ll(o.json, "not_before_ms");
    CU_ASSERT(nb >= midnight + 25 * HOUR_MS && nb <= midnight + 25 * HOUR_MS + MIN_MS);
    if (!(nb >= midnight + 25 * HOUR_MS && nb <= midnight + 25 * HOUR_MS + MIN_MS))
        fprintf(stderr, "not_before %lld, expected %lld\n%s\n", nb,
                midnight + 25 * HOUR_MS, o.out ? o.out : "");
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_update_ops(&e, adv), 1);

    /* 01:00 UTC the next day: the 23 have left, the run goes. */
    advance(&e, nb - host_now_ms(&e) + 1000);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_update_ops(&e, adv), 2);
    CU_ASSERT_EQUAL(budget_entries(&e, adv), 2);
    free(conn);
    e2e_teardown(&e);
}

/* Every member a full refresh of dataset leaves in the audience. */
static void dataset_members(const char *dataset, e2e_set *all)
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES], none = {0};

    memset(all, 0, sizeof(*all));
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set_apply(all, &adds[t], &removes[t]);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
    e2e_set_apply(all, &none, &none);
}

static void assert_members(e2e *e, const char *audience_id, const char *dataset)
{
    e2e_set want, got = {0};

    dataset_members(dataset, &want);
    CU_ASSERT_FATAL(e2e_members(e, audience_id, &got) == 0);
    if (!e2e_set_equal(&got, &want))
        fprintf(stderr, "audience %s: %zu members, expected %zu\n", audience_id, got.n, want.n);
    CU_ASSERT(e2e_set_equal(&got, &want));
    e2e_set_free(&want);
    e2e_set_free(&got);
}

/* A marketer's MULTIPLE_TYPES audience `name` (1,200 members) in adv, a
   connection to it over a 2,000-row export (from seed), delivered once. */
static char *export_connection(e2e *e, const char *adv, const char *name, unsigned long seed,
                               char existing[32], char dataset[E2E_PATH])
{
    e2e_set initial;
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(adv != NULL);
    CU_ASSERT_FATAL(e2e_make_audience(e, adv, name, "MULTIPLE_TYPES", 1200, existing,
                                      &initial) == 0);
    e2e_set_free(&initial);
    snprintf(dataset, E2E_PATH, "%s/export.jsonl", e->dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 2000, seed, 0, 0, 0, 0) == 0);
    conn = e2e_connect_existing(e, dataset, adv, existing);
    CU_ASSERT_FATAL(conn != NULL);
    deliver(e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    return conn;
}

/* A daily full export delivered with --resync twice in a day: the second
   REPLACE is deferred (never sent: the sandbox would refuse it as TikTok
   does), names when it may go, and then replaces membership with the new
   export. */
static void test_second_refresh_within_a_day(void)
{
    e2e e;
    char dataset[E2E_PATH], existing[32];
    e2e_set old, got = {0};
    e2e_out o;
    char *conn;
    long long replaced_at, nb;
    long reqs;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *adv = e2e_account(&e, 0, "Crowded");
    conn = export_connection(&e, adv, "Refresh", 31, existing, dataset);
    CU_ASSERT_EQUAL(e2e_oplog_count(&e, adv, "REPLACE", existing), 0);

    /* The first refresh: one REPLACE; the marketer's 1,200 are gone. */
    advance(&e, HOUR_MS);
    replaced_at = host_now_ms(&e);
    deliver(&e, conn, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_oplog_count(&e, adv, "REPLACE", existing), 1);
    assert_members(&e, existing, dataset);

    /* Twelve hours later, the next export: deferred, nothing sent. */
    advance(&e, 12 * HOUR_MS);
    dataset_members(dataset, &old);
    CU_ASSERT_FATAL(e2e_gen(dataset, 2500, 32, 0, 0, 0, 0) == 0);
    reqs = update_requests(&e);
    deliver(&e, conn, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT(has(o.out, "daily_replace_limit"));
    CU_ASSERT(has(o.out, existing) && has(o.out, "24 hours"));
    nb = json_ll(o.json, "not_before_ms");
    CU_ASSERT(nb >= replaced_at + DAY_MS && nb <= replaced_at + DAY_MS + 30 * MIN_MS);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(update_requests(&e), reqs);
    CU_ASSERT_EQUAL(e2e_oplog_count(&e, adv, "REPLACE", existing), 1);
    CU_ASSERT_FATAL(e2e_members(&e, existing, &got) == 0);
    CU_ASSERT(e2e_set_equal(&got, &old));     /* the first export's, untouched */
    e2e_set_free(&got);
    e2e_set_free(&old);

    /* The day is over: the pending refresh replaces with the new export. */
    advance(&e, nb - host_now_ms(&e) + 1000);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    if (o.exit_code != 0)
        fprintf(stderr, "%s\n%s\n", o.out ? o.out : "", o.err ? o.err : "");
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_oplog_count(&e, adv, "REPLACE", existing), 2);
    assert_members(&e, existing, dataset);
    free(conn);
    e2e_teardown(&e);
}

/* Someone replaced the audience outside the connection; TikTok refuses the
   connection's REPLACE: the refresh is deferred a day, not failed, and a
   run within that day sends nothing. */
static void test_replace_refused_by_tiktok(void)
{
    e2e e;
    char dataset[E2E_PATH], existing[32];
    e2e_out o;
    char *conn;
    long long nb, now;
    long reqs;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *adv = e2e_account(&e, 0, "Crowded");
    conn = export_connection(&e, adv, "Shared", 41, existing, dataset);

    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/inject",
                             "{\"endpoint\":\"custom_audience/update\",\"code\":40002,"
                             "\"message\":\"This replace operation is rejected as there is an "
                             "existing unfinished replace operation for this audience. "
                             "Recommend no more than one replace operation per day.\","
                             "\"count\":1}"), 200);
    now = host_now_ms(&e);
    deliver(&e, conn, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT(has(o.out, "daily_replace_limit"));
    CU_ASSERT(has(o.out, "outside this connection"));
    nb = json_ll(o.json, "not_before_ms");
    CU_ASSERT(nb >= now + DAY_MS && nb <= now + DAY_MS + 30 * MIN_MS);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_oplog_count(&e, adv, "REPLACE", existing), 0);

    /* Two hours later a new --resync: still deferred, nothing sent. */
    advance(&e, 2 * HOUR_MS);
    reqs = update_requests(&e);
    deliver(&e, conn, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(update_requests(&e), reqs);

    advance(&e, nb - host_now_ms(&e) + 1000);
    deliver(&e, conn, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_oplog_count(&e, adv, "REPLACE", existing), 1);
    assert_members(&e, existing, dataset);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"the budget is a rolling window across UTC midnight",
         test_rolling_window_across_midnight},
        {"a legacy per-UTC-day counter is carried over", test_legacy_counter_carried_over},
        {"a second full refresh within 24 hours is deferred, not sent",
         test_second_refresh_within_a_day},
        {"TikTok refusing a REPLACE defers the refresh a day", test_replace_refused_by_tiktok},
    };
    return e2e_run_suite("budget", tests, sizeof(tests) / sizeof(tests[0]));
}
