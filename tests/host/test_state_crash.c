/*
 * test_state_crash.c - the state store under concurrency and crashes (part
 * of test_state and test_state_pg; the fixture is in test_state.c): two
 * processes incrementing one counter through CAS, four threads sharing a
 * handle, a writer killed with SIGKILL mid-stream and one killed inside a
 * transaction, each leaving every committed write and nothing else.
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

#include "ch_state.h"
#include "ch_state_impl.h"
#include "test_state.h"
#include "test_util.h"

/* One CAS increment of key, re-reading on every conflict: 0, or 1 when the
   read failed, 2 when the write did (other than a conflict or a retry). */
static int cas_increment(ch_state *st, const char *key)
{
    for (int tries = 0; tries < 100000; tries++) {
        char buf[32];
        size_t len = 0;
        uint64_t ver = 0, nv = 0;
        long n = 0;
        aconn_status s = ch_state_kv_get(st, "ns", key, buf, sizeof(buf), &len, &ver);

        if (s == ACONN_OK)
            n = strtol(buf, NULL, 10);
        else if (s != ACONN_ERR_NOT_FOUND && s != ACONN_RETRY)
            return 1;
        if (s == ACONN_RETRY)
            continue;
        snprintf(buf, sizeof(buf), "%ld", n + 1);
        s = ch_state_kv_cas(st, "ns", key, ver, buf, strlen(buf), &nv);
        if (s == ACONN_OK)
            return 0;
        if (s != ACONN_ERR_CONFLICT && s != ACONN_RETRY)
            return 2;
    }
    return 2;
}

/* One child: `times` increments of "counter"; its exit code. */
static int child_increment(int times)
{
    ch_state *st = NULL;
    char err[512];
    int i, rc = 0;

    if (ch_state_open(test_db, &st, err, sizeof(err)) != 0)
        return 2;
    for (i = 0; i < times && rc == 0; i++)
        rc = cas_increment(st, "counter");
    ch_state_close(st);
    return rc == 0 ? 0 : rc + 2;
}

void test_two_processes_cas(void)
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

    for (int i = 0; i < 250; i++)
        if (cas_increment(a->st, "tcounter") != 0)
            a->failures++;
    return NULL;
}

void test_threads_share_a_handle(void)
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

void test_sigkill_keeps_commits(void)
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

void test_sigkill_inside_transaction(void)
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
