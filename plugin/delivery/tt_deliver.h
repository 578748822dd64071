/*
 * tt_deliver.h - the deliver_batch and teardown entry points.
 *
 * A run's batches are pumped through the identifier pipeline into the
 * spool (hash and spool once); the END batch hands the finished spool to
 * tt_apply_run(), which uploads it to every target Ad Account and applies
 * it there.
 */
#ifndef TT_DELIVER_H
#define TT_DELIVER_H

#include <aconn/aconn.h>

aconn_deliver_batch_fn tt_deliver_batch;
aconn_teardown_fn tt_teardown;

#endif
