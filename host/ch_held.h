/*
 * ch_held.h - a connection's lease held for one run: taken, renewed by a
 * thread, fencing the state's writes until released (ch_held.c).
 */
#ifndef CH_HELD_H
#define CH_HELD_H

#include <stdatomic.h>
#include <stdint.h>

#include "ch_services.h"
#include "ch_state.h"

typedef struct ch_held ch_held;

/*
 * Takes connection id's lease for holder (ch_lease_take), fences st's
 * writes by it and starts renewing it (steal: as ch_lease_take). 1 held (*out), 0 not granted
 * (another holds it, or the connection is paused or disconnected), -1
 * error (err).
 */
int ch_held_take(ch_state *st, const ch_host *host, const char *id, const char *holder,
                 const char *steal, int64_t lease_ms, ch_held **out, char *err, size_t errlen);

/* Non-zero once the lease was lost (for ch_host.lease_lost). */
const atomic_int *ch_held_lost(const ch_held *h);

/* Stops renewing, lifts the fence and releases the lease (taken again
   from free_at); frees h (NULL is fine). 0, or -1 with err (the lease
   then expires by itself). */
int ch_held_release(ch_held *h, int64_t free_at, char *err, size_t errlen);

#endif /* CH_HELD_H */
