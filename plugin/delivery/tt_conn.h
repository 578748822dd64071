/*
 * tt_conn.h - the per-connection context the host keeps for the plugin
 * (aconn_batch / deliver_batch's *connection_ctx), and one delivery run.
 *
 * The host serialises calls for one connection (the ABI's Connection
 * class), so nothing here is locked. Everything a run must survive a crash
 * with is in the host's state store (see tt_apply.h); this struct only
 * holds what can be rebuilt by running the run again from its first batch.
 */
#ifndef TT_CONN_H
#define TT_CONN_H

#include <stdint.h>

#include <aconn/aconn.h>

#include "identifiers/tt_email.h"
#include "identifiers/tt_ident.h"
#include "settings/tt_settings.h"
#include "delivery/tt_spool.h"

typedef struct tt_conn {
    char *connection_id;
    char *settings_json;          /* as first seen; a change is refused */
    tt_settings *settings;
    unsigned ident_flags;         /* TT_IDENT_* from the settings */
    tt_email_hasher *hasher;      /* per connection: calls are serialised */

    /* The run in progress (between a BEGIN batch and its END). */
    char *run_id;
    tt_spool *spool;
    struct tt_early *early;       /* uploads of full spool files (tt_early.h) */
    tt_ident_counts counts;
    uint64_t records;             /* records read in this run */
    uint64_t removal_records;
    int64_t run_started_ms;
    tt_spool_id *ids;             /* one record's identifiers, reused */
    size_t ids_cap;
} tt_conn;

/*
 * Returns the context in *slot, creating it from the batch on first use.
 * A host that passes other settings for a known connection id gets
 * ACONN_ERR_INVALID: connections are immutable.
 */
aconn_status tt_conn_get(void **slot, const aconn_batch *batch, tt_conn **out,
                         aconn_error *err);

/* Ends any open run (its spool files are removed) and frees. NULL is fine. */
void tt_conn_free(tt_conn *c);

#endif
