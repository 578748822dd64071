/*
 * test_state.h - what test_state.c (the fixture, main) shares with
 * test_state_crash.c: the store under test and the crash tests.
 */
#ifndef TEST_STATE_H
#define TEST_STATE_H

#include "ch_state.h"
#include "state_fixture.h"   /* test_db, test_pg */

/* A minimal connection row for the immutability and transaction tests. */
void fill_connection(ch_connection *c, const char *id);

/* test_state_crash.c */
void test_two_processes_cas(void);
void test_threads_share_a_handle(void);
void test_sigkill_keeps_commits(void);
void test_sigkill_inside_transaction(void);

#endif /* TEST_STATE_H */
