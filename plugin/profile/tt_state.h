/*
 * tt_state.h - the signed, expiring, single-use OAuth "state" parameter.
 *
 * Format: base64url(payload) "." base64url(HMAC-SHA-256(state_key, payload))
 * where payload is JSON {"v":1,"p":profile,"t":issued_ms,"n":nonce,"k":kid,
 * "r":redirect_uri}.
 * "k" is a short fingerprint of the signing key, so a state signed by another
 * installation (or before the key was replaced) is told apart from a
 * tampered one. The nonce is recorded in the host's state store when the URL
 * is made and consumed with state_cas when it is used, so a state works once.
 */
#ifndef TT_STATE_H
#define TT_STATE_H

#include <aconn/aconn.h>

#define TT_STATE_VERSION 1
#define TT_STATE_LIFETIME_MS (24LL * 60 * 60 * 1000)
/* A state dated later than now by more than this is refused: only a clock
   moved back makes one, and a future date would never expire. */
#define TT_STATE_CLOCK_SKEW_MS (5LL * 60 * 1000)
#define TT_STATE_NONCE_HEX 32          /* 16 random bytes */
#define TT_STATE_MAX_LEN 2048          /* longer input is malformed */

typedef struct tt_state_claims {
    int version;
    char profile[128];
    int64_t issued_ms;
    char nonce[TT_STATE_NONCE_HEX + 1];
    /* The redirect URI the link was made for ("r"; "" in states made
       before it was recorded): the callback must come back to it. */
    char redirect_uri[1024];
} tt_state_claims;

/* Fills nonce with 16 random bytes in hex. Returns ACONN_OK or ACONN_ERR_FATAL. */
aconn_status tt_state_new_nonce(char nonce[TT_STATE_NONCE_HEX + 1], aconn_error *err);

/*
 * Signs claims with key (the state_key secret text). *out is heap,
 * caller-owned (free()).
 */
aconn_status tt_state_sign(const char *key, size_t keylen, const tt_state_claims *claims,
                           char **out, aconn_error *err);

/*
 * Checks a state for `profile` at time now_ms. Returns ACONN_OK with *claims
 * filled, or ACONN_ERR_AUTH_FLOW with err->code one of state_missing,
 * state_malformed, state_tampered, state_foreign, state_expired (also for a
 * state dated more than TT_STATE_CLOCK_SKEW_MS after now_ms, or before the
 * epoch). Does not touch the nonce store.
 */
aconn_status tt_state_verify(const char *key, size_t keylen, const char *state,
                             const char *profile, int64_t now_ms,
                             tt_state_claims *claims, aconn_error *err);

/* Host state key of a nonce: "oauth/nonce/<nonce>". */
int tt_state_nonce_key(const char *nonce, char *buf, size_t buflen);

/* Records the nonce as pending (must not exist yet). */
aconn_status tt_state_nonce_record(const aconn_host *host, const tt_state_claims *claims,
                                   aconn_error *err);

/*
 * Consumes the nonce atomically (state_cas from pending to used). A nonce
 * already used or unknown gives ACONN_ERR_AUTH_FLOW "state_reused".
 */
aconn_status tt_state_nonce_consume(const aconn_host *host, const tt_state_claims *claims,
                                    aconn_error *err);

/*
 * Puts a consumed nonce back to pending (state_cas from used), for a
 * completion that failed before TikTok accepted its auth_code, so the same
 * link can be completed again. Best effort: returns 0, or -1 when the
 * nonce stays used.
 */
int tt_state_nonce_release(const aconn_host *host, const tt_state_claims *claims);

#endif
