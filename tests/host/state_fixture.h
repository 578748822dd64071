/*
 * state_fixture.h - the store the state programs test (test_state,
 * test_pace): SQLite in a temporary directory, or, built with
 * -DTEST_STATE_PG (test_state_pg, test_pace_pg), a throwaway PostgreSQL
 * cluster, SKIP (77) where PostgreSQL is not installed.
 */
#ifndef STATE_FIXTURE_H
#define STATE_FIXTURE_H

#include <stddef.h>

#include "ts.h"
#include "ts_cunit.h"

/* What ch_state_open is given: the SQLite file, or the cluster's URI. */
extern char test_db[4096];
/* 1 on the PostgreSQL cluster. */
extern int test_pg;
/* The cluster (NULL on SQLite). */
extern ts_pg *test_cluster;

/* A program's main: one suite, "<name> (sqlite)" or "<name> (postgresql)",
   of tests on the store (a temporary directory tagged name for each run of
   the suite). The exit code. */
int state_fixture_main(const char *name, const ts_test *tests, size_t ntests);

#endif
