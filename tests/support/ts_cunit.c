/* ts_cunit.c - see ts_cunit.h. */
#include <config.h>

#include "ts_cunit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

static const char *ts_filter(void)
{
    const char *only = getenv("TS_ONLY");

    if (only == NULL || only[0] == '\0')
        only = getenv("E2E_ONLY");
    return only != NULL && only[0] != '\0' ? only : NULL;
}

/* Registers the suites' tests the filter keeps; the count, or -1. */
static long ts_register(const ts_suite *suites, size_t nsuites, const char *only)
{
    long added = 0;

    for (size_t s = 0; s < nsuites; s++) {
        CU_pSuite cs = CU_add_suite(suites[s].name, suites[s].init, suites[s].cleanup);

        if (cs == NULL)
            return -1;
        for (size_t i = 0; i < suites[s].ntests; i++) {
            if (only != NULL && strstr(suites[s].tests[i].name, only) == NULL)
                continue;
            if (CU_add_test(cs, suites[s].tests[i].name, suites[s].tests[i].fn) == NULL)
                return -1;
            added++;
        }
    }
    return added;
}

int ts_cunit_run(const ts_suite *suites, size_t nsuites)
{
    const char *only = ts_filter();
    long added;
    int rc;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    added = ts_register(suites, nsuites, only);
    if (added < 0) {
        fprintf(stderr, "CUnit could not register the tests: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 1;
    }
    if (only != NULL && added == 0) {
        fprintf(stderr, "TS_ONLY/E2E_ONLY=\"%s\" matches no test of %s: nothing was run; "
                "give part of a test's name\n", only, nsuites > 0 ? suites[0].name : "(none)");
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    rc = CU_basic_run_tests() != CUE_SUCCESS;
    rc |= CU_get_number_of_failures() != 0 || CU_get_number_of_suites_failed() != 0
          || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return rc;
}

int ts_cunit_run_one(const char *name, const ts_test *tests, size_t ntests)
{
    ts_suite s = {name, NULL, NULL, tests, ntests};

    return ts_cunit_run(&s, 1);
}
