/*
 * test_state.c - the SQLite state store: compare-and-set semantics, two
 * processes incrementing one counter through CAS, and a writer killed with
 * SIGKILL mid-stream leaving every committed write in a consistent DB.
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
#include "test_util.h"

static char *test_dir;
static char test_db[4096];

static int suite_init(void)
{
    test_dir = test_tmpdir("state");
    if (test_dir == NULL)
        return -1;
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

    /* The database is intact ... */
    CU_ASSERT_FATAL(sqlite3_open(test_db, &db) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL)
                    == SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_step(stmt), SQLITE_ROW);
    CU_ASSERT_STRING_EQUAL((const char *) sqlite3_column_text(stmt, 0), "ok");
    sqlite3_finalize(stmt);
    sqlite3_close(db);

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

int main(void)
{
    CU_pSuite s;
    int rc;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("state", suite_init, suite_clean);
    if (s == NULL
        || CU_add_test(s, "CAS semantics", test_cas_semantics) == NULL
        || CU_add_test(s, "two processes, 1000 increments", test_two_processes_cas) == NULL
        || CU_add_test(s, "four threads, one handle", test_threads_share_a_handle) == NULL
        || CU_add_test(s, "SIGKILL keeps every commit", test_sigkill_keeps_commits) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    rc = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return rc;
}
