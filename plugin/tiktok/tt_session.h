/*
 * tt_session.h - an authenticated TikTok session for one entry-point call:
 * an HTTP client configured from the host's options, the profile's token
 * read from the host's secrets (wiped when the session closes), and the
 * tt_api handle that carries both.
 *
 * Sessions live on the caller's stack for the length of one call; nothing
 * about them outlives the call, so no token stays in memory between runs.
 */
#ifndef TT_SESSION_H
#define TT_SESSION_H

#include <aconn/aconn.h>

#include "tiktok/tt_api.h"
#include "tiktok/tt_http.h"
#include "common/tt_secret.h"

typedef struct tt_session {
    tt_http http;
    tt_secret token;
    tt_api api;
    int http_ready;
} tt_session;

/* The one reason code for "this profile has no TikTok token", wherever it
   is found: a session, a remote validate, authorize --status. */
#define TT_ERR_NO_TOKEN "profile_not_connected"

/* Fills err (may be NULL) with that error for profile, the message saying
   how to authorize; returns ACONN_REAUTHORIZE. */
aconn_status tt_session_no_token(aconn_error *err, const char *profile);

/*
 * Opens a session for profile. A profile without a stored token gives
 * ACONN_REAUTHORIZE naming it. Close with tt_session_close() in every case.
 */
aconn_status tt_session_open(tt_session *s, const aconn_host *host, const char *profile,
                             aconn_error *err);

/* Wipes the token and frees everything; safe on a zeroed session. */
void tt_session_close(tt_session *s);

#endif
