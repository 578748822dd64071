/*
 * test_pace.c - the shared request budget behind aconn_host.pace (ABI 1.2),
 * on SQLite (test_pace) and on a throwaway PostgreSQL cluster (test_pace_pg,
 * built with -DTEST_STATE_PG; SKIP without PostgreSQL): grants one interval
 * apart, a refusal that keeps everyone waiting a second, four processes
 * sharing one budget without two grants closer than an interval, and what
 * one grant costs.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ch_state.h"
#include "state_fixture.h"
#include "test_util.h"
#include "ts.h"
#include "ts_cunit.h"

#define INTERVAL_US 20000   /* 50 requests per second */
#define PROCS 4
#define PER_PROC 25

static int64_t wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Ten grants asked at once: each waits one interval more than the last. */
static void test_grants_spaced(void)
{
    ch_state *st = NULL;
    char err[512];
    int64_t wait[10], t0;
    int i;

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    t0 = wall_us();
    for (i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "app/ep", INTERVAL_US, 0, &wait[i], NULL), ACONN_OK);
    CU_ASSERT(wait[0] <= 2000);   /* an idle budget: send now */
    for (i = 1; i < 10; i++) {
        /* The time spent asking is taken off the wait, never more. */
        int64_t want = (int64_t) i * INTERVAL_US - (wall_us() - t0);
        CU_ASSERT(wait[i] >= want - 2000 && wait[i] <= (int64_t) i * INTERVAL_US + 2000);
    }
    /* Another key is another budget. */
    CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "app/other", INTERVAL_US, 0, &wait[0], NULL), ACONN_OK);
    CU_ASSERT(wait[0] <= 2000);
    CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "", INTERVAL_US, 0, &wait[0], NULL), ACONN_ERR_INVALID);
    ch_state_close(st);
}

/* A refusal by the remote: nobody is granted anything for a second. */
static void test_refusal_drains(void)
{
    ch_state *st = NULL;
    char err[512];
    int64_t w = -1, t0;

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    t0 = wall_us();
    CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "app/refused", INTERVAL_US, 0, &w, NULL), ACONN_OK);
    CU_ASSERT(w <= 2000);
    CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "app/refused", 0, 1000000, &w, NULL), ACONN_OK);
    CU_ASSERT(w >= 1000000 - (wall_us() - t0) - 2000 && w <= 1000000 + 2000);
    CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "app/refused", INTERVAL_US, 0, &w, NULL), ACONN_OK);
    CU_ASSERT(w >= 1000000 - (wall_us() - t0) - 2000);
    /* A second refusal within the second does not stack up. */
    CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "app/refused", 0, 1000000, &w, NULL), ACONN_OK);
    CU_ASSERT(w <= 1000000 + INTERVAL_US + 2000);
    ch_state_close(st);
}

/* A child asks PER_PROC grants and writes the time each one may go. */
static int child_grants(int fd)
{
    ch_state *st = NULL;
    char err[512];
    int i;

    if (ch_state_open(test_db, &st, err, sizeof(err)) != 0)
        return 2;
    for (i = 0; i < PER_PROC; i++) {
        int64_t w = 0, rec[2];
        aconn_status s = ch_state_pace(st, "ns", "app/shared", INTERVAL_US, 0, &w, &rec[1]);
        if (s != ACONN_OK)
            return 3;
        rec[0] = wall_us() + w;     /* when it is sent */
        if (write(fd, rec, sizeof(rec)) != (ssize_t) sizeof(rec))
            return 4;
        /* Send as a plugin would: after the wait. */
        if (w > 0) {
            struct timespec ts = {(time_t) (w / 1000000), (long) (w % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
    }
    ch_state_close(st);
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

#define NGRANTS (PROCS * PER_PROC)

/* The largest number of times of t[0..n) (sorted) in any window of w. */
static int busiest_window(const int64_t *t, int n, int64_t w)
{
    int most = 0;

    for (int i = 0; i < n; i++) {
        int j = i;
        while (j < n && t[j] < t[i] + w)
            j++;
        if (j - i > most)
            most = j - i;
    }
    return most;
}

static void test_processes_share(void)
{
    int fds[2], i, status;
    pid_t pids[PROCS];
    int64_t rec[NGRANTS][2], sent[NGRANTS], slot[NGRANTS], gap = INT64_MAX;
    size_t got = 0;
    ssize_t n;
    ch_state *st = NULL;
    char err[512];

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    ch_state_close(st);
    CU_ASSERT_FATAL(pipe(fds) == 0);
    fflush(NULL);
    for (i = 0; i < PROCS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(fds[0]);
            _exit(child_grants(fds[1]));
        }
    }
    close(fds[1]);
    while (got < sizeof(rec) && (n = read(fds[0], (char *) rec + got, sizeof(rec) - got)) > 0)
        got += (size_t) n;
    close(fds[0]);
    for (i = 0; i < PROCS; i++) {
        CU_ASSERT_EQUAL(waitpid(pids[i], &status, 0), pids[i]);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CU_ASSERT_EQUAL_FATAL(got, sizeof(rec));
    for (i = 0; i < NGRANTS; i++) {
        sent[i] = rec[i][0];
        slot[i] = rec[i][1];
        CU_ASSERT(sent[i] >= slot[i] - 1000);   /* nobody sent before its slot */
    }
    qsort(sent, NGRANTS, sizeof(sent[0]), cmp_i64);
    qsort(slot, NGRANTS, sizeof(slot[0]), cmp_i64);
    /* The grants themselves, on the store's clock: never two closer than
       an interval, whichever process asked (SQLite's clock has
       millisecond steps, hence the slack). */
    for (i = 1; i < NGRANTS; i++)
        if (slot[i] - slot[i - 1] < gap)
            gap = slot[i] - slot[i - 1];
    printf("\n    %d grants by %d processes over %.2f s: slots at least %.1f ms apart "
           "(interval %.1f ms); sends: at most %d in any %d ms ", NGRANTS, PROCS,
           (double) (slot[NGRANTS - 1] - slot[0]) / 1e6, (double) gap / 1000.0,
           INTERVAL_US / 1000.0, busiest_window(sent, NGRANTS, 10 * INTERVAL_US),
           10 * INTERVAL_US / 1000);
    CU_ASSERT(gap >= INTERVAL_US - 1000);
    /* Nobody got ahead of the budget: 100 grants take 99 intervals. */
    CU_ASSERT(slot[NGRANTS - 1] - slot[0] >= (int64_t) (NGRANTS - 1) * INTERVAL_US - 1000);
    /* The sends' window count is printed, not asserted: a sender
       descheduled past its slot (a shared machine, valgrind) lands next to
       the one after it, which only the machine's load decides. */
}

/* What a grant costs: it guards a remote request of tens of ms or more. */
static void test_cost(void)
{
    ch_state *st = NULL;
    char err[512];
    int64_t t0, w, per;
    int i;

    CU_ASSERT_FATAL(ch_state_open(test_db, &st, err, sizeof(err)) == 0);
    t0 = wall_us();
    for (i = 0; i < 200; i++)
        CU_ASSERT_EQUAL(ch_state_pace(st, "ns", "app/cost", 1, 0, &w, NULL), ACONN_OK);
    per = (wall_us() - t0) / 200;
    printf("\n    one grant on %s: %lld us ", test_pg ? "PostgreSQL" : "SQLite",
           (long long) per);
    /* Far less than a request (TikTok: 100+ ms), even on a loaded machine
       or under valgrind. */
    CU_ASSERT(per < 25000);
    ch_state_close(st);
}

int main(void)
{
    static const ts_test tests[] = {
        {"grants one interval apart", test_grants_spaced},
        {"a refusal drains the budget", test_refusal_drains},
        {"four processes, one budget", test_processes_share},
        {"cost of a grant", test_cost},
    };

    return state_fixture_main("pace", tests, sizeof tests / sizeof tests[0]);
}
