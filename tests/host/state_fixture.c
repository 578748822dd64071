/*
 * state_fixture.c - the store of the state programs, SQLite or a
 * throwaway PostgreSQL cluster (see state_fixture.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "state_fixture.h"
#include "test_util.h"

char test_db[4096];
int test_pg;
ts_pg *test_cluster;

/* CUnit's suite init and cleanup take no arguments. */
static const char *tag;
static char *test_dir;

static int suite_init(void)
{
    test_dir = test_tmpdir(tag);
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

int state_fixture_main(const char *name, const ts_test *tests, size_t ntests)
{
    char suite_name[64];
    ts_suite suite = {suite_name, suite_init, suite_clean, tests, ntests};
    int rc;

    tag = name;
#ifdef TEST_STATE_PG
    snprintf(suite_name, sizeof(suite_name), "%s (postgresql)", name);
    test_pg = 1;
    rc = ts_pg_start_main(&test_cluster);
    if (rc != 0)
        return rc;
    snprintf(test_db, sizeof(test_db), "%s", ts_pg_url(test_cluster));
#else
    snprintf(suite_name, sizeof(suite_name), "%s (sqlite)", name);
#endif
    rc = ts_cunit_run(&suite, 1);
#ifdef TEST_STATE_PG
    if (ts_pg_stop(test_cluster) != 0)
        rc = 1;
#endif
    return rc;
}
