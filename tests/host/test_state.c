/*
 * test_state.c - the state store, on SQLite (test_state) and on a
 * throwaway PostgreSQL cluster (test_state_pg, built with -DTEST_STATE_PG;
 * exit 77, SKIP, where PostgreSQL is not installed): compare-and-set
 * semantics, two processes incrementing one counter through CAS, a writer
 * killed with SIGKILL mid-stream and one killed inside a transaction
 * leaving every committed write and nothing else, settings immutable in
 * the database, a newer schema refused untouched.
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
#include "test_util.h"
#include "ts.h"

static char *test_dir;
/* What ch_state_open is given: the SQLite file, or the cluster's URI. */
static char test_db[4096];
static int test_pg;
#ifdef TEST_STATE_PG
static ts_pg *test_cluster;
#endif

static int suite_init(void)
{
    test_dir = test_tmpdir("state");
    if (test_dir == NULL)
        return -1;
    if (!test_pg)
        snprintf(test_db, sizeof(test_db), "%s/state.db", test_dir);
    return 0;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    return 0;
}

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

/* One child: 500 increments of "counter", re-reading on every conflict. */
static int child_increment(int times)
{
    ch_state *st = NULL;
    char err[512];
    int i;

    if (ch_state_open(test_db, &st, err, sizeof(err)) != 0)
        return 2;
    for (i = 0; i < times; i++) {
        int tries;
        for (tries = 0; tries < 100000; tries++) {
            char buf[32];
            size_t len = 0;
            uint64_t ver = 0, nv = 0;
            long n = 0;
            aconn_status s = ch_state_kv_get(st, "ns", "counter", buf, sizeof(buf),
                                             &len, &ver);
            if (s == ACONN_OK)
                n = strtol(buf, NULL, 10);
            else if (s != ACONN_ERR_NOT_FOUND && s != ACONN_RETRY)
                return 3;
            if (s == ACONN_RETRY)
                continue;
            snprintf(buf, sizeof(buf), "%ld", n + 1);
            s = ch_state_kv_cas(st, "ns", "counter", ver, buf, strlen(buf), &nv);
            if (s == ACONN_OK)
                break;
            if (s != ACONN_ERR_CONFLICT && s != ACONN_RETRY)
                return 4;
        }
    }
    ch_state_close(st);
    return 0;
}

static void test_two_processes_cas(void)
{
    pid_t a, b;
    int sa = 0, sb = 0;
    ch_state *st = NULL;
    char err[512], buf[32];
    size_t len = 0;
    uint64_t ver = 0;

    /* Create the schema first so both children start from the same DB. */
    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    ch_state_close(st);
    fflush(NULL);
    a = fork();
    if (a == 0)
        _exit(child_increment(500));
    b = fork();
    if (b == 0)
        _exit(child_increment(500));
    CU_ASSERT_FATAL(a > 0 && b > 0);
    CU_ASSERT_EQUAL(waitpid(a, &sa, 0), a);
    CU_ASSERT_EQUAL(waitpid(b, &sb, 0), b);
    CU_ASSERT(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
    CU_ASSERT(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "ns", "counter", buf, sizeof(buf), &len, &ver),
                    ACONN_OK);
    CU_ASSERT_STRING_EQUAL(buf, "1000");
    CU_ASSERT_EQUAL(ver, 1000);
    ch_state_close(st);
}

typedef struct thread_arg {
    ch_state *st;
    int failures;
} thread_arg;

/* 250 CAS increments of "tcounter" through one shared handle. */
static void *thread_increment(void *p)
{
    thread_arg *a = p;
    int i;

    for (i = 0; i < 250; i++) {
        int tries;
        for (tries = 0; tries < 100000; tries++) {
            char buf[32];
            size_t len = 0;
            uint64_t ver = 0, nv = 0;
            long n = 0;
            aconn_status s = ch_state_kv_get(a->st, "ns", "tcounter", buf, sizeof(buf),
                                             &len, &ver);
            if (s == ACONN_OK)
                n = strtol(buf, NULL, 10);
            snprintf(buf, sizeof(buf), "%ld", n + 1);
            s = ch_state_kv_cas(a->st, "ns", "tcounter", ver, buf, strlen(buf), &nv);
            if (s == ACONN_OK)
                break;
            if (s != ACONN_ERR_CONFLICT && s != ACONN_RETRY) {
                a->failures++;
                break;
            }
        }
    }
    return NULL;
}

static void test_threads_share_a_handle(void)
{
    ch_state *st = NULL;
    char err[512], buf[32];
    pthread_t t[4];
    thread_arg args[4];
    size_t len = 0;
    uint64_t ver = 0;
    int i;

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    for (i = 0; i < 4; i++) {
        args[i].st = st;
        args[i].failures = 0;
        CU_ASSERT_FATAL(pthread_create(&t[i], NULL, thread_increment, &args[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(pthread_join(t[i], NULL), 0);
        CU_ASSERT_EQUAL(args[i].failures, 0);
    }
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "ns", "tcounter", buf, sizeof(buf), &len, &ver),
                    ACONN_OK);
    CU_ASSERT_STRING_EQUAL(buf, "1000");
    CU_ASSERT_EQUAL(ver, 1000);
    ch_state_close(st);
}

/* Writes item/i then moves "seq" to i, for i = 1.., telling the parent
   each i once both are committed. */
static void child_writer(int fd)
{
    ch_state *st = NULL;
    char err[512], key[64], val[32];
    uint64_t i, nv;

    if (ch_state_open(test_db, &st, err, sizeof(err)) != 0)
        _exit(2);
    for (i = 1; i < 1000000; i++) {
        snprintf(key, sizeof(key), "item/%llu", (unsigned long long) i);
        snprintf(val, sizeof(val), "%llu", (unsigned long long) i);
        if (ch_state_kv_cas(st, "crash", key, 0, val, strlen(val), &nv) != ACONN_OK
            || ch_state_kv_cas(st, "crash", "seq", i - 1, val, strlen(val), &nv) != ACONN_OK)
            _exit(3);
        if (write(fd, &i, sizeof(i)) != (ssize_t) sizeof(i))
            _exit(4);
    }
    _exit(0);
}

static void test_sigkill_keeps_commits(void)
{
    int p[2];
    pid_t pid;
    uint64_t last = 0, got, seq, i;
    struct timespec start, now;
    ch_state *st = NULL;
    char err[512], buf[64], key[64];
    size_t len = 0;
    uint64_t ver = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int status = 0;

    CU_ASSERT_FATAL(pipe(p) == 0);
    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        child_writer(p[1]);
    }
    close(p[1]);
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* Let it commit for a while (at least 20 writes), then kill it. */
    for (;;) {
        struct pollfd pf = { p[0], POLLIN, 0 };
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000
                > 400 && last >= 20)
            break;
        if ((now.tv_sec - start.tv_sec) > 30)
            break;
        if (poll(&pf, 1, 50) > 0 && read(p[0], &got, sizeof(got)) == (ssize_t) sizeof(got))
            last = got;
    }
    kill(pid, SIGKILL);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    while (read(p[0], &got, sizeof(got)) == (ssize_t) sizeof(got))
        last = got;
    close(p[0]);
    CU_ASSERT(last >= 20);

    /* The database is intact (PostgreSQL's own business there) ... */
    if (!test_pg) {
    CU_ASSERT_FATAL(sqlite3_open(test_db, &db) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL)
                    == SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_step(stmt), SQLITE_ROW);
    CU_ASSERT_STRING_EQUAL((const char *) sqlite3_column_text(stmt, 0), "ok");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    }

    /* ... and holds every write the child saw committed. */
    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "crash", "seq", buf, sizeof(buf), &len, &ver),
                    ACONN_OK);
    seq = strtoull(buf, NULL, 10);
    CU_ASSERT(seq >= last);
    CU_ASSERT(seq <= last + 1);
    CU_ASSERT_EQUAL(ver, seq);
    for (i = 1; i <= seq; i++) {
        snprintf(key, sizeof(key), "item/%llu", (unsigned long long) i);
        if (ch_state_kv_get(st, "crash", key, buf, sizeof(buf), &len, &ver) != ACONN_OK
            || ver != 1 || strtoull(buf, NULL, 10) != i) {
            CU_FAIL("a committed item is missing or wrong");
            break;
        }
    }
    ch_state_close(st);
}

/* A minimal connection row for the immutability and transaction tests. */
static void fill_connection(ch_connection *c, const char *id)
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

/* A transaction body that writes, then tells the parent and waits to be
   killed: the write must never be seen. */
static ch_db_rc hang_body(ch_state *st, void *ctx, char *err, size_t errlen)
{
    int fd = *(int *) ctx;
    const ch_sql_arg args[] = { CH_T("ns"), CH_T("uncommitted"), CH_B("x", 1) };
    char c = 'w';

    if (ch_state_q(st, "INSERT INTO kv (namespace, key, value, version) VALUES"
                   " (?1, ?2, ?3, 1)", args, 3, NULL, NULL) != CH_DB_OK
        || write(fd, &c, 1) != 1)
        _exit(3);
    for (;;)
        pause();
    return CH_DB_OK;
}

static void test_sigkill_inside_transaction(void)
{
    int p[2], status = 0, fd;
    pid_t pid;
    char c = 0, err[512] = "", buf[16];
    ch_state *st = NULL;
    size_t len = 0;
    uint64_t ver = 0, nv = 0;

    CU_ASSERT_FATAL(pipe(p) == 0);
    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        fd = p[1];
        if (ch_state_open(test_db, &st, err, sizeof(err)) != 0)
            _exit(2);
        ch_state_txn(st, "hanging", hang_body, &fd, err, sizeof(err));
        _exit(4);
    }
    close(p[1]);
    CU_ASSERT_EQUAL(read(p[0], &c, 1), 1);
    close(p[0]);
    kill(pid, SIGKILL);
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* Nothing of the killed transaction, and its locks are gone: a write
       of the same key goes through at once. */
    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_state_kv_get(st, "ns", "uncommitted", buf, sizeof(buf), &len, &ver),
                    ACONN_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ch_state_kv_cas(st, "ns", "uncommitted", 0, "y", 1, &nv), ACONN_OK);
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
    CU_pSuite s;
    int rc;

#ifdef TEST_STATE_PG
    char why[512] = "";
#ifndef HAVE_LIBPQ
    printf("SKIP: this build has no PostgreSQL backend (configure found no libpq; "
           "Debian: libpq-dev)\n");
    return 77;
#endif
    test_pg = 1;
    rc = ts_pg_start(&test_cluster, why, sizeof(why));
    if (rc == 77) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (rc != 0)
        return 1;
    snprintf(test_db, sizeof(test_db), "%s", ts_pg_url(test_cluster));
#endif
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite(test_pg ? "state (postgresql)" : "state (sqlite)", suite_init,
                     suite_clean);
    if (s == NULL
        || CU_add_test(s, "CAS semantics", test_cas_semantics) == NULL
        || CU_add_test(s, "two processes, 1000 increments", test_two_processes_cas) == NULL
        || CU_add_test(s, "four threads, one handle", test_threads_share_a_handle) == NULL
        || CU_add_test(s, "SIGKILL keeps every commit", test_sigkill_keeps_commits) == NULL
        || CU_add_test(s, "settings immutable", test_settings_immutable) == NULL
        || CU_add_test(s, "SIGKILL inside a transaction",
                       test_sigkill_inside_transaction) == NULL
        || CU_add_test(s, "leases and fencing", test_leases_and_fencing) == NULL
        || CU_add_test(s, "newer schema refused", test_newer_schema_refused) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    rc = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
#ifdef TEST_STATE_PG
    if (ts_pg_stop(test_cluster) != 0)
        rc = 1;
#endif
    return rc;
}
