/*
 * tt_early.h - upload a spool file as soon as it is full (50 MiB), on a
 * thread of its own, while the deliver thread writes the next one (issue
 * #14 point 4).
 *
 * Why it cannot change what an audience receives: an upload only gives
 * TikTok a file and returns its file_path; nothing joins an audience until
 * the apply's create or update names that file_path. The early uploads'
 * file_paths are handed to the apply (tt_early_record()) under the same run
 * record keys "adv|calc|md5" that tt_upload_all() uses, so the apply skips
 * what is already there and uploads the rest as before. A file the opt-out
 * filter rewrites at the end of the spool gets a new MD5, so its early
 * upload simply matches no key (wasted, harmless). An early upload that
 * fails is forgotten: the apply uploads that file itself and handles the
 * error as it always did.
 *
 * Destinations are taken from the settings: every new audience of the
 * run's layout, and every existing audience whose calculate_type an earlier
 * run cached (an audience not seen yet waits for the apply). A target the
 * apply then leaves out (dead, behind) has uploaded for nothing; no early
 * uploads are made in a dry run or a catch-up run.
 *
 * Threading: the thread lives within one deliver_batch() call (the ABI:
 * no thread outlives a call); tt_early_join() ends it, before the call
 * returns and before the spool's opt-out filter rewrites add files. It has
 * its own HTTP session but calls no host service itself (aconn.h section
 * 8): its table relays every call (its session's token, pace, backoff
 * state, cancelled, log) to the deliver_batch() thread (tt_relay.h), which
 * runs them at tt_early_poll(), after each record it spools, and while
 * tt_early_join() waits. A call waits at most one record, or one
 * batch_next() of the host. Memory: a queue of file names (at most one entry per
 * closed file) and one file_path per upload; files stream from disk.
 */
#ifndef TT_EARLY_H
#define TT_EARLY_H

#include <stddef.h>

#include <aconn/aconn.h>

#include "delivery/tt_apply_ctx.h"
#include "delivery/tt_conn.h"
#include "delivery/tt_spool.h"

typedef struct tt_early tt_early;

/* Plans the early uploads of a run beginning with batch. *out is NULL (and
   ACONN_OK) when there is nothing to do: a dry run, a catch-up run, or the
   plan's state reads failing (the apply then uploads everything). Only
   out of memory is an error (ACONN_ERR_FATAL). */
aconn_status tt_early_new(const aconn_host *host, const tt_conn *c, const aconn_batch *batch,
                          tt_early **out, aconn_error *err);

/* The host and batch of the deliver_batch() call in progress; the thread
   is started on the first full file of the call. */
void tt_early_attach(tt_early *e, const aconn_host *host, const aconn_batch *batch);

/* The spool's on_full callback (tt_spool_on_full()): queues f. */
void tt_early_file(void *e, const tt_spool_file *f);

/* On the deliver_batch() thread: runs the host calls the thread is waiting
   for, if any (cheap when none). Accepts NULL. */
void tt_early_poll(tt_early *e);

/* Waits until every queued file is uploaded (running the thread's host
   calls meanwhile), ends the thread, closes its session. Accepts NULL; may
   be called again. */
void tt_early_join(tt_early *e);

/* Writes the early uploads' file_paths into the run record (one save);
   *count is how many uploads the record gained. Accepts e NULL. */
aconn_status tt_early_record(tt_early *e, tt_apply_ctx *x, size_t *count, aconn_error *err);

/* Drops the files still queued, waits for the upload in progress (as
   tt_early_join() does), frees. Accepts NULL. */
void tt_early_free(tt_early *e);

#endif
