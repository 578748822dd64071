/*
 * e2e_reliability.h - what the reliability programs share (test_reliability:
 * the fault soak; test_crash_resume: SIGKILL and rerun; test_concurrent:
 * eight hosts at once): deliver with the connector's short request timeout,
 * both clocks moved the way a scheduler waits, the sandbox's faults, and the
 * checks every one of them ends with: every audience holds exactly the
 * members computed from the dataset files (e2e_changes, independent of the
 * plugin), each target has exactly one audience per type, and no Ad Account
 * saw more than REL_BUDGET update operations in a UTC day (the sandbox's
 * oplog).
 */
#ifndef E2E_RELIABILITY_H
#define E2E_RELIABILITY_H

#include <stddef.h>

#include "e2e.h"

/* The connector gives up on a non-upload answer after this long; the
   sandbox's slow answers take REL_SLOW_MS, a bit more. */
#define REL_TIMEOUT_MS "1200"
#define REL_SLOW_MS 1600
#define REL_BUDGET 24            /* TikTok's updates per Ad Account per UTC day */

/* E2E_VERBOSE is set: print each answer. */
int rel_verbose(void);

/* connect; returns the malloc'd connection id, or NULL. tag names the
   settings file, so several connections can live in one fixture. */
char *rel_connect_dataset(e2e *e, const char *tag, const char *dataset,
                          const char *settings_text);

/* The wall clock, in milliseconds since the epoch. */
long long rel_real_now_ms(void);

/* deliver with the short request timeout. */
int rel_deliver(e2e *e, const char *conn, e2e_out *o);

/* Runs deliver until it succeeds, at most max_calls times; every answer
   must be success or retry-later. Returns the number of calls, or -1 when
   the run did not end by itself. */
int rel_deliver_until_done(e2e *e, const char *conn, int max_calls);

/* Both clocks (the sandbox's and the host's) 25 hours later: a new UTC
   day, and a fresh window of the plugin's rolling 25-hour budget. */
void rel_next_day(e2e *e);

/* POST /sandbox/faults: the faults apply from now on (the fixture's own
   authorization ran without them). */
int rel_set_faults(e2e *e, const char *spec);

/* The one new audience "<name>" (MULTIPLE_TYPES) of each account holds
   exactly the members of the whole dataset, every type, and exists once.
   Returns the identifiers checked. */
size_t rel_assert_new_audiences(e2e *e, const char *dataset, const char *name,
                                const char *const *accounts, size_t naccounts);

/* No account saw more than REL_BUDGET update operations in a UTC day. */
void rel_assert_budget(e2e *e, const char *const *accounts, size_t naccounts);

#endif
