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

#endif /* CH_LEASE_H */
