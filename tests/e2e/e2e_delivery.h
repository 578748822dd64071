/*
 * e2e_delivery.h - what the delivery programs share (test_delivery:
 * members; test_delivery_limits: TikTok's budget, minimum size and audience
 * limit; test_delivery_faults: faults and kill -9): deliver, and the
 * audiences' members compared with the sets computed independently from the
 * dataset file (e2e_changes), never with what the plugin reports.
 */
#ifndef E2E_DELIVERY_H
#define E2E_DELIVERY_H

#include "e2e.h"

#define DAY_MS (24LL * 60 * 60 * 1000)
#define HOUR_MS (60LL * 60 * 1000)

/* The plugin under test ($TT_PLUGIN). */
const char *dl_plugin(void);

/* e2e_deliver, with the output on stderr under E2E_VERBOSE when it fails. */
int dl_deliver(e2e *e, const char *conn, e2e_out *o);

/* The one audience named exactly name in adv holds exactly want. */
void dl_assert_named(e2e *e, const char *adv, const char *name, const e2e_set *want);

/* The connection's one MULTIPLE_TYPES audience in adv, named name, holds
   every type's expected members. */
void dl_assert_new_audience(e2e *e, const char *adv, const char *name,
                            const e2e_set want[E2E_NTYPES]);

/* The audiences the dataset's lines from `from` make, removals winning. */
void dl_wants_from(const char *dataset, unsigned long from, e2e_set want[E2E_NTYPES]);

#endif
