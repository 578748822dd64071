/*
 * tt_runrec.h - the record of one run's progress (state key run/<cid>/<run>):
 * which files each Ad Account has uploaded (their TikTok file_path) and
 * which operations are done, so an attempt after a crash skips them.
 * One writer per connection (the ABI serialises connection calls): a CAS
 * conflict means a second worker runs the same connection, and stops it.
 */
#ifndef TT_RUNREC_H
#define TT_RUNREC_H

#include "delivery/tt_apply_ctx.h"

aconn_status tt_runrec_load(tt_apply_ctx *x, aconn_error *err);

/* The file_path recorded under key in "uploads", or NULL. Borrowed. */
const char *tt_runrec_upload(tt_apply_ctx *x, const char *key);

int tt_runrec_is_done(tt_apply_ctx *x, const char *key);

/* Records key in section ("uploads" with the file_path, or "done" with
   value NULL) and saves the record. */
aconn_status tt_runrec_mark(tt_apply_ctx *x, const char *section, const char *key,
                            const char *value, aconn_error *err);

/* Records key in section without saving (0, or -1 out of memory); for
   several at once, then tt_runrec_save(). */
int tt_runrec_put(tt_apply_ctx *x, const char *section, const char *key, const char *value);
aconn_status tt_runrec_save(tt_apply_ctx *x, aconn_error *err);

/* Forgets the file_paths recorded in "uploads" for Ad Account adv (TikTok
   no longer has them), so the next tt_upload_all() uploads them again;
   saves the record. */
aconn_status tt_runrec_forget_uploads(tt_apply_ctx *x, const char *adv, aconn_error *err);

/* The run is finished: its record goes. */
void tt_runrec_drop(tt_apply_ctx *x);

#endif
