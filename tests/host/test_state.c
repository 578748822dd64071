/*
 * test_state.c - the state store, on SQLite (test_state) and on a
 * throwaway PostgreSQL cluster (test_state_pg, built with -DTEST_STATE_PG;
 * exit 77, SKIP, where PostgreSQL is not installed): compare-and-set
 * semantics, two processes incrementing one counter through CAS, a writer
 * killed with SIGKILL mid-stream and one killed inside a transaction
 * leaving every committed write and nothing else, settings immutable in
 * the database, a newer schema refused untouched. The tests with
 * processes, threads and SIGKILL are in test_state_crash.c.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ch_lease.h"
#include "ch_state.h"
#include "ch_state_impl.h"
#include "state_fixture.h"
#include "test_state.h"
#include "test_util.h"
#include "ts.h"
#include "ts_cunit.h"

static void test_cas_semantics(void)
{
    ch_state *st = NULL;
    char err[512] = "", buf[64], small[3];
    size_t len = 0;
    uint64_t ver = 7, nv = 7;
    char *big;
    static const char bin[] = { 'a', '\0', 'b' };

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "p1", "k", buf, sizeof(buf), &len, &ver),
                    ACONN_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ver, 0);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "k", 0, "one", 3, &nv), ACONN_OK);
    CU_ASSERT_EQUAL(nv, 1);
    /* A second create must conflict and write nothing. */
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "k", 0, "xxx", 3, &nv), ACONN_ERR_CONFLICT);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "k", 5, "xxx", 3, &nv), ACONN_ERR_CONFLICT);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "p1", "k", buf, sizeof(buf), &len, &ver), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(buf, "one");
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_EQUAL(ver, 1);
    /* TOO_SMALL reports the length needed; a buffer of exactly len has no
       room for the NUL. */
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "p1", "k", small, sizeof(small), &len, &ver),
                    ACONN_ERR_TOO_SMALL);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "k", 1, "two!", 4, &nv), ACONN_OK);
    CU_ASSERT_EQUAL(nv, 2);
    /* Namespaces are separate. */
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "p2", "k", buf, sizeof(buf), &len, &ver),
                    ACONN_ERR_NOT_FOUND);
    /* Delete: wrong version conflicts; right version removes. */
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "k", 1, NULL, 0, &nv), ACONN_ERR_CONFLICT);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "k", 2, NULL, 0, &nv), ACONN_OK);
    CU_ASSERT_EQUAL(nv, 0);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "p1", "k", buf, sizeof(buf), &len, &ver),
                    ACONN_ERR_NOT_FOUND);
    /* Binary values round-trip. */
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "bin", 0, bin, sizeof(bin), &nv), ACONN_OK);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "p1", "bin", buf, sizeof(buf), &len, &ver), ACONN_OK);
    CU_ASSERT_EQUAL(len, sizeof(bin));
    CU_ASSERT_EQUAL(memcmp(buf, bin, sizeof(bin)), 0);
    /* Values over 1 MiB and empty keys are refused. */
    big = calloc(1, CH_STATE_VALUE_MAX + 1);
    CU_ASSERT_FATAL(big != NULL);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "big", 0, big, CH_STATE_VALUE_MAX + 1, &nv),
                    ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "big", 0, big, CH_STATE_VALUE_MAX, &nv),
                    ACONN_OK);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "p1", "", 0, "x", 1, &nv), ACONN_ERR_INVALID);
    free(big);
    ch_state_close(st);
}

/* A minimal connection row for the immutability and transaction tests. */
void fill_connection(ch_connection *c, const char *id)
{
    memset(c, 0, sizeof(*c));
    c->id = (char *) id;
    c->plugin_path = (char *) "p.la";
    c->plugin_id = (char *) "test-plugin";
    c->profile = (char *) "p1";
    c->dataset_path = (char *) "/data/x.jsonl";
    c->settings_json = (char *) "{\"a\":1}";
    c->created_at_ms = 1000;
    c->historical = 1;
}

static void test_settings_immutable(void)
{
    ch_state *st = NULL;
    ch_connection c, got;
    char err[512] = "";
    const ch_sql_arg id[] = { CH_T("c_imm") };
    int64_t changes = 0;

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    fill_connection(&c, "c_imm");
    CU_ASSERT_FATAL(ch_state_connection_insert(st, &c, err, sizeof(err)) == 0);
    /* The database itself refuses, whoever writes. */
    CU_ASSERT_EQUAL(ch_state_exec(st, "test", "UPDATE connections SET settings_json = '{}'"
                                  " WHERE id = ?1", id, 1, NULL, NULL, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "immutable"));
    CU_ASSERT_EQUAL(ch_state_exec(st, "test", "UPDATE connections SET dataset_path = '/x'"
                                  " WHERE id = ?1", id, 1, NULL, NULL, err, sizeof(err)), -1);
    /* What is not a setting may change. */
    CU_ASSERT_EQUAL(ch_state_exec(st, "test", "UPDATE connections SET plugin_path = 'q.la'"
                                  " WHERE id = ?1", id, 1, NULL, &changes, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(changes, 1);
    CU_ASSERT_EQUAL_FATAL(ch_state_connection_get(st, "c_imm", &got, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(got.settings_json, "{\"a\":1}");
    CU_ASSERT_STRING_EQUAL(got.plugin_path, "q.la");
    ch_connection_clear(&got);
    ch_state_close(st);
}

static void test_newer_schema_refused(void)
{
    ch_state *st = NULL;
    char err[512] = "", buf[16];
    ch_rows r;
    size_t len = 0;
    uint64_t ver = 0, nv = 0;

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "ns", "kept", 0, "v", 1, &nv), ACONN_OK);
    CU_ASSERT_EQUAL(ch_state_exec(st, "test", "UPDATE schema_version SET version = 99",
                                  NULL, 0, NULL, NULL, err, sizeof(err)), 0);
    ch_state_close(st);
    st = NULL;
    CU_ASSERT_EQUAL(ch_state_open(test_db, &st, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NULL(st);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema version 99, newer than this host knows"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "untouched"));
    /* Untouched: the version stays, the data too. Put it back to look. */
#ifdef TEST_STATE_PG
    {
        char *out = NULL, back[96];
        snprintf(back, sizeof(back), "UPDATE schema_version SET version = %d",
                 CH_STORE_SCHEMA_VERSION);
        CU_ASSERT_EQUAL(ts_pg_psql(test_cluster, NULL, "SELECT version FROM schema_version", &out), 0);
        CU_ASSERT(out != NULL && strcmp(out, "99\n") == 0);
        free(out);
        CU_ASSERT_EQUAL(ts_pg_psql(test_cluster, NULL, back, NULL), 0);
    }
#else
    {
        sqlite3 *db = NULL;
        sqlite3_stmt *stmt = NULL;
        char back[96];
        snprintf(back, sizeof(back), "UPDATE schema_version SET version = %d",
                 CH_STORE_SCHEMA_VERSION);
        CU_ASSERT_FATAL(sqlite3_open(test_db, &db) == SQLITE_OK);
        CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1,
                                           &stmt, NULL) == SQLITE_OK);
        CU_ASSERT_EQUAL(sqlite3_step(stmt), SQLITE_ROW);
        CU_ASSERT_EQUAL(sqlite3_column_int(stmt, 0), 99);
        sqlite3_finalize(stmt);
        CU_ASSERT_EQUAL(sqlite3_exec(db, back, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
#endif
    (void) r;
    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "ns", "kept", buf, sizeof(buf), &len, &ver), ACONN_OK);
    CU_ASSERT_EQUAL(ver, 1);
    ch_state_close(st);
}

/* Leases: one holder at a time, tokens that only grow, a stale holder's
   writes refused once another was granted the connection. */
static void test_leases_and_fencing(void)
{
    ch_state *a = NULL, *b = NULL;
    ch_connection c;
    char err[512] = "", buf[16];
    int64_t ta = 0, tb = 0, tc = 0;
    size_t len = 0;
    uint64_t ver = 0, nv = 0;
    char **ids = NULL;
    size_t n = 0, i;
    int listed = 0;

    CU_ASSERT_FATAL(ch_state_open(test_db, &a, err, sizeof(err)) == 0);
    CU_ASSERT_FATAL(ch_state_open(test_db, &b, err, sizeof(err)) == 0);
    fill_connection(&c, "c_lease");
    CU_ASSERT_FATAL(ch_state_connection_insert(a, &c, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_lease_candidates(a, 5000, 100, &ids, &n, err, sizeof(err)), 0);
    for (i = 0; i < n; i++)
        listed |= strcmp(ids[i], "c_lease") == 0;
    ch_lease_ids_free(ids, n);
    CU_ASSERT(listed);
    /* a holds it until 6000; b cannot take it before. */
    CU_ASSERT_EQUAL(ch_lease_take(a, "c_lease", "A", NULL, 5000, 1000, &ta, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(ch_lease_take(b, "c_lease", "B", NULL, 5500, 1000, &tb, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_lease_candidates(b, 5500, 100, &ids, &n, err, sizeof(err)), 0);
    for (i = 0, listed = 0; i < n; i++)
        listed |= strcmp(ids[i], "c_lease") == 0;
    ch_lease_ids_free(ids, n);
    CU_ASSERT(!listed);
    CU_ASSERT_EQUAL(ch_lease_renew(a, "c_lease", "A", ta, 7000, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(ch_lease_take(b, "c_lease", "B", NULL, 6500, 1000, &tb, err, sizeof(err)), 0);
    /* a writes under its lease. */
    CU_ASSERT_EQUAL(ch_state_fence(a, "c_lease", "A", ta), 0);
    CU_ASSERT_EQUAL(ch_state_kv_cas(a, "ns", "fenced", 0, "a1", 2, &nv), ACONN_OK);
    /* a stalls past its expiry; b is granted the connection with a newer
       token ... */
    CU_ASSERT_EQUAL(ch_lease_take(b, "c_lease", "B", NULL, 7001, 1000, &tb, err, sizeof(err)), 1);
    CU_ASSERT(tb > ta);
    /* ... and a's next writes are refused, not applied. */
    CU_ASSERT_EQUAL(ch_state_kv_cas(a, "ns", "fenced", 1, "a2", 2, &nv), ACONN_ERR_FATAL);
    c.run_id = (char *) "r_stale";
    c.run_first = 1;
    c.run_last = 2;
    c.run_attempt = 1;
    CU_ASSERT_EQUAL(ch_state_run_begin(a, &c, 7002, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "lease on connection c_lease was lost"));
    CU_ASSERT_EQUAL(ch_lease_renew(a, "c_lease", "A", ta, 9000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_state_kv_get(b, "ns", "fenced", buf, sizeof(buf), &len, &ver), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(buf, "a1");
    /* b's fenced writes go through; a release lets the next take it once
       the cool-down passed, with a newer token again. */
    CU_ASSERT_EQUAL(ch_state_fence(b, "c_lease", "B", tb), 0);
    CU_ASSERT_EQUAL(ch_state_kv_cas(b, "ns", "fenced", 1, "b1", 2, &nv), ACONN_OK);
    CU_ASSERT_EQUAL(ch_state_fence(b, NULL, NULL, 0), 0);
    CU_ASSERT_EQUAL(ch_lease_release(a, "c_lease", "A", ta, 0, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_lease_release(b, "c_lease", "B", tb, 7500, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(ch_lease_take(a, "c_lease", "A", NULL, 7400, 1000, &tc, err, sizeof(err)), 0);
    /* (an explicit deliver does not wait for the cool-down) */
    CU_ASSERT_EQUAL(ch_lease_take(a, "c_lease", "A", NULL, 7500, 1000, &tc, err, sizeof(err)), 1);
    CU_ASSERT(tc > tb);
    /* A holder known to be dead can be taken over before the expiry. */
    CU_ASSERT_EQUAL(ch_lease_take(b, "c_lease", "B", "Z", 7600, 1000, &tb, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_lease_take(b, "c_lease", "B", "A", 7600, 1000, &tb, err, sizeof(err)), 1);
    CU_ASSERT(tb > tc);
    tc = tb;
    CU_ASSERT_EQUAL(ch_lease_release(b, "c_lease", "B", tc, 0, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(ch_lease_take(a, "c_lease", "A", NULL, 7700, 1000, &tc, err, sizeof(err)), 1);
    /* A paused connection is never taken. */
    CU_ASSERT_EQUAL(ch_lease_release(a, "c_lease", "A", tc, 0, err, sizeof(err)), 1);
    CU_ASSERT_EQUAL(ch_state_exec(a, "test", "UPDATE connections SET paused = 1 WHERE id ="
                                  " 'c_lease'", NULL, 0, NULL, NULL, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_lease_take(a, "c_lease", "A", NULL, 9000, 1000, &tc, err, sizeof(err)), 0);
    ch_state_close(a);
    ch_state_close(b);
}

int main(void)
{
    static const ts_test tests[] = {
        {"CAS semantics", test_cas_semantics},
        {"two processes, 1000 increments", test_two_processes_cas},
        {"four threads, one handle", test_threads_share_a_handle},
        {"SIGKILL keeps every commit", test_sigkill_keeps_commits},
        {"settings immutable", test_settings_immutable},
        {"SIGKILL inside a transaction", test_sigkill_inside_transaction},
        {"leases and fencing", test_leases_and_fencing},
        {"newer schema refused", test_newer_schema_refused},
    };

    return state_fixture_main("state", tests, sizeof tests / sizeof tests[0]);
}
