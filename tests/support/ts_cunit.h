/*
 * ts_cunit.h - the one CUnit runner of the test programs: suites of named
 * tests, a name filter for debugging, and the exit code make check reads.
 */
#ifndef TS_CUNIT_H
#define TS_CUNIT_H

#include <stddef.h>

#include <CUnit/CUnit.h>

typedef struct ts_test {
    const char *name;
    void (*fn)(void);
} ts_test;

typedef struct ts_suite {
    const char *name;
    CU_InitializeFunc init;       /* may be NULL */
    CU_CleanupFunc cleanup;       /* may be NULL */
    const ts_test *tests;
    size_t ntests;
} ts_suite;

/*
 * Runs the suites (verbose) and returns the process exit code: 0 when every
 * assertion passed, 1 when any failed, a suite's init or cleanup failed, or
 * CUnit itself did. TS_ONLY=substring (E2E_ONLY too, its older name) runs
 * only the tests whose name contains it; a filter that matches no test is
 * a failure, never a silent pass.
 */
int ts_cunit_run(const ts_suite *suites, size_t nsuites);

/* One suite without init or cleanup. */
int ts_cunit_run_one(const char *name, const ts_test *tests, size_t ntests);

#endif
