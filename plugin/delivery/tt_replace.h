/*
 * tt_replace.h - TikTok's one REPLACE per audience per 24 hours.
 *
 * TikTok refuses a second REPLACE of an audience while an earlier one is
 * unfinished and recommends at most one a day (tiktok-api.md §2.9). A
 * policy refresh that comes sooner is deferred with a retry-after, not
 * failed: nothing is lost, it goes out when the 24 hours are over.
 *
 * State: key "replace/<advertiser_id>/<audience_id>" holds {"at_ms":t},
 * when the last REPLACE of that audience was sent. It is recorded BEFORE
 * the REPLACE is sent, because a REPLACE whose answer is lost may still
 * have replaced: counting one that never landed only defers the next, while
 * missing one that did would make TikTok refuse it.
 *
 * The wait is 24 hours plus a margin (TT_REPLACE_MARGIN_MS) for the time
 * between recording and TikTok receiving the call and for clocks that
 * disagree a little; a refresh never reaches TikTok early.
 *
 * Thread-safety: stateless; callers serialize per audience (one run owns
 * a connection's audiences).
 */
#ifndef TT_REPLACE_H
#define TT_REPLACE_H

#include <stdint.h>

#include <aconn/aconn.h>

#define TT_REPLACE_INTERVAL_MS (24LL * 60 * 60 * 1000)
#define TT_REPLACE_MARGIN_MS (10LL * 60 * 1000)

/*
 * May audience_id of advertiser_id be replaced at now_ms? ACONN_OK when it
 * never was, or the last REPLACE was at least 24 h + margin ago;
 * ACONN_RETRY_DEFERRED (code "daily_replace_limit") with
 * err->retry_after_ms = last + 24 h + margin - now_ms and a message naming
 * the audience, the account, when it was replaced and when the refresh
 * resumes. ACONN_RETRY when the store is unreadable; ACONN_ERR_FATAL when
 * the stored value was not written by this plugin (the message names the
 * key); ACONN_ERR_INVALID when the ids do not fit a state key.
 */
aconn_status tt_replace_check(const aconn_host *host, const char *advertiser_id,
                              const char *audience_id, int64_t now_ms, aconn_error *err);

/*
 * Records a REPLACE of audience_id at now_ms; call it just before sending.
 * Overwrites any earlier record. ACONN_OK, or the store's failure.
 */
aconn_status tt_replace_record(const aconn_host *host, const char *advertiser_id,
                               const char *audience_id, int64_t now_ms, aconn_error *err);

/*
 * TikTok answered the REPLACE recorded at at_ms with a refusal, so it
 * changed nothing: forgets the record (only if it is still that one), so
 * a retry of the same run, after new files for instance, is not deferred
 * a day for a REPLACE that never happened. ACONN_OK, or the store's
 * failure.
 */
aconn_status tt_replace_forget(const aconn_host *host, const char *advertiser_id,
                               const char *audience_id, int64_t at_ms, aconn_error *err);

#endif
