/*
 * ch_lease.h - leases on connections in the state backend, with fencing
 * tokens (ch_lease.c).
 */
#ifndef CH_LEASE_H
#define CH_LEASE_H

#include "ch_state.h"

#include <stdint.h>

/*
 * Fences every later write of st (state_cas, a run's start and end) by the
 * lease `token` that `holder` holds on connection_id: a write is refused,
 * inside its own transaction, once the lease is no longer that grant.
 * connection_id NULL lifts the fence. 0 or -1 (memory).
 */
int ch_state_fence(ch_state *st, const char *connection_id, const char *holder,
                   int64_t token);

/*
 * Takes connection id's lease for holder until now + lease_ms when it is
 * free (never granted, expired, or released and cooled down; with steal
 * non-NULL also released whatever the cool-down, and with steal non-empty
 * also held by `steal`, a holder the caller knows is dead) and the
 * connection is neither paused nor disconnected. 1 granted (*token the
 * new fencing token, larger than any before), 0 not granted, -1 error.
 */
int ch_lease_take(ch_state *st, const char *id, const char *holder, const char *steal,
                  int64_t now, int64_t lease_ms, int64_t *token, char *err, size_t errlen);

/* The lease's holder ("" released; *holder NULL: never leased). 0 or -1. */
int ch_lease_holder(ch_state *st, const char *id, char **holder, char *err, size_t errlen);

/* Extends the lease to `until`. 1 still ours, 0 lost (another worker was
   granted it), -1 error (the database: try again). */
int ch_lease_renew(ch_state *st, const char *id, const char *holder, int64_t token,
                   int64_t until, char *err, size_t errlen);

/* Gives the lease up; the connection may be taken again from free_at.
   1 released, 0 it was no longer ours, -1 error. */
int ch_lease_release(ch_state *st, const char *id, const char *holder, int64_t token,
                     int64_t free_at, char *err, size_t errlen);

/* Up to max connections that may be due at now: not paused, not
   disconnected, past not_before, not leased or cooling down; oldest
   first. *ids (free with ch_lease_ids_free) and *n. 0 or -1. */
int ch_lease_candidates(ch_state *st, int64_t now, size_t max, char ***ids, size_t *n,
                        char *err, size_t errlen);
void ch_lease_ids_free(char **ids, size_t n);

#endif /* CH_LEASE_H */
