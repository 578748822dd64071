/*
 * tt_oauth.h - the profile (OAuth) flow: aconn_plugin.authorize.
 *
 * BEGIN     writes {"url", "expires_at_ms", "profile"}: TikTok's consent URL
 *           <api_base>/portal/auth?app_id=&state=&redirect_uri= with a signed,
 *           24-hour, single-use state (tt_state).
 * COMPLETE  from the redirect URL (auth_code, state): verifies the state,
 *           consumes its nonce, exchanges the code for the long-term token
 *           (stored only via secret_put "token/<profile>"), discovers the Ad
 *           Accounts the user may write audiences to, saves them in host state
 *           "profile/<profile>/accounts" and writes the profile status JSON.
 * STATUS    repeats the discovery with the stored token; a revoked or
 *           invalid token is ACONN_REAUTHORIZE naming the profile.
 * BEGIN also records the link as the profile's newest: older links are
 * refused. COMPLETE and STATUS are in tt_grant.c; the record in tt_profile.
 *
 * Profile status JSON:
 *   {"status":"connected"|"no_usable_accounts","profile":"...",
 *    "ad_accounts":[{"advertiser_id","name","bc_id","bc_name","role"}],
 *    "ad_account_count":N,
 *    "excluded_accounts":[{"advertiser_id","name","reason","detail"}],
 *    "connected_at_ms":N,
 *    "user":{"id","display_name"},   whose authorization (TikTok user/info)
 *    "authorized_at_ms":N,           when that user completed it
 *   COMPLETE adds: "lost_accounts":[...] (usable before, not now),
 *    "switched_from":{"id","display_name"} (after --switch-user),
 *    "previous_token_revoked":bool, "warning" (when the revoke failed)}
 * Host state "profile/<profile>/accounts":
 *   {"profile":"...","connected_at_ms":N,"checked_at_ms":N,"ad_accounts":[...]}
 *
 * Request class: any thread, no globals.
 */
#ifndef TT_OAUTH_H
#define TT_OAUTH_H

#include <stdint.h>

#include <json-c/json.h>

#include <aconn/aconn.h>

#define TT_PROFILE_MAX 64

aconn_status tt_authorize(const aconn_host *host, const aconn_authorize_request *req,
                          aconn_output *out, aconn_error *err);

/*
 * Checks a profile name: 1 to 64 characters of [A-Za-z0-9._-] (it becomes
 * part of secret and state keys). ACONN_ERR_INVALID with field "profile".
 */
aconn_status tt_oauth_check_profile(const char *profile, aconn_error *err);

/*
 * Extracts auth_code and state from a redirect URL (CURLU, percent-decoded).
 * Either output may be NULL when absent (heap, free()). Returns ACONN_OK or
 * ACONN_ERR_AUTH_FLOW "callback_malformed".
 */
aconn_status tt_oauth_parse_callback(const char *url, char **auth_code, char **state,
                                     aconn_error *err);

struct tt_state_claims;

/*
 * COMPLETE up to the point of sending the code: parses the callback,
 * verifies the state, checks the callback comes back to the redirect URI
 * the link was made for (scheme, host, port, path; "callback_wrong_redirect"
 * otherwise), that it has an auth_code and that the link is the profile's
 * newest ("link_superseded"). *auth_code is heap (free()), even on failure.
 */
aconn_status tt_oauth_verify_callback(const aconn_host *host, const char *profile,
                                      const char *callback_url, char **auth_code,
                                      struct tt_state_claims *claims, aconn_error *err);

/* Host state key of a profile's accounts: "profile/<profile>/accounts". */
int tt_oauth_accounts_key(const char *profile, char *buf, size_t buflen);

/* Writes obj as one line of plain JSON to out (the authorize result). */
aconn_status tt_oauth_write_json(aconn_output *out, json_object *obj, aconn_error *err);

/* The host's clock in ms (0 when it has none). */
int64_t tt_oauth_now(const aconn_host *host);

#endif
