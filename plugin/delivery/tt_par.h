/*
 * tt_par.h - creates and updates for different Ad Accounts at once
 * (issue #14): one run's targets, grouped by Ad Account, applied by a few
 * threads, each with its own TikTok session, so that one account's
 * round trips (list, create, update; hundreds of milliseconds each at
 * TikTok) overlap another's, under the app's shared pace (tt_pace.h).
 *
 * How it stays as correct as the one-after-another loop:
 *   - one account's targets stay on one thread, in order (its budget, its
 *     APPEND before REMOVE);
 *   - the threads share the run's memory (the run record, the targets)
 *     under one lock, held at all times except while a request waits on
 *     the network, its backoff or its turn (tt_http.idle): every state
 *     read and write of the exactly-once logic (intent, adopt, claim,
 *     budget, run record) runs as before, one at a time;
 *   - the threads never call the host themselves: their host table relays
 *     every service call to the deliver_batch() thread (tt_relay.h), which
 *     runs them while it waits for the threads (aconn.h section 8: host
 *     services are called on the entry point's thread). batch_next() and reject() are
 *     not theirs to call at all. Every thread is joined before the call
 *     returns.
 */
#ifndef TT_PAR_H
#define TT_PAR_H

#include "delivery/tt_apply_ctx.h"

/* Host option "parallel_accounts": Ad Accounts applied at once, 1..16. */
#define TT_PAR_DEFAULT 4
#define TT_PAR_MAX 16

/* The cap the host asked for (option parallel_accounts), or the default. */
int tt_par_cap(const aconn_host *host);

/*
 * One target's creates and updates, as the sequential loop does them: sets
 * its outcome and health or its failure. Returns non-zero when the run
 * must stop (a token that no longer works, fatal, cancelled).
 */
typedef int (*tt_par_apply_fn)(tt_apply_ctx *x, tt_dest *t);

/* After an account's targets, on the same thread: reads what the report
   says of the account (its audiences' sizes). */
typedef void (*tt_par_after_fn)(tt_apply_ctx *x, const char *advertiser_id);

/*
 * Applies every target that is not skipped and still ok with fn, the
 * targets of one Ad Account in order on one thread, at most cap accounts
 * at once; then after() for the account, unless the run stopped (its
 * targets are marked sized). Returns 0, or -1 when no thread could be started (the caller
 * then applies them one after another; nothing was done).
 */
int tt_par_apply(tt_apply_ctx *x, int cap, tt_par_apply_fn fn, tt_par_after_fn after);

#endif
