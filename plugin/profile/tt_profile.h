/*
 * tt_profile.h - the stored record of one profile's authorization.
 *
 * Host state "profile/<profile>/accounts" holds, for the authorization now
 * in force:
 *   {"profile","connected_at_ms","checked_at_ms","authorized_at_ms",
 *    "user":{"id","display_name"},          TikTok's user/info answer
 *    "token_id":"<hex>",                    keyed fingerprint of the token
 *    "ad_accounts":[...],"ad_account_count":N,"excluded_accounts":[...]}
 * The token itself lives only in the secret "token/<profile>". token_id
 * (HMAC of the token under the state key, never the token) binds the
 * accounts to the token they were discovered with: a refresh whose token
 * no longer matches the record, or whose record changed meanwhile (CAS),
 * is refused instead of writing one user's accounts beside another's token.
 *
 * Host state "profile/<profile>/link" holds the nonce of the newest
 * authorization link: an older link is refused when completed.
 */
#ifndef TT_PROFILE_H
#define TT_PROFILE_H

#include <json-c/json.h>

#include <aconn/aconn.h>

#include "profile/tt_accounts.h"
#include "tiktok/tt_api.h"

#define TT_PROFILE_TOKEN_ID_HEX 32

typedef struct tt_profile_user {
    char id[64];
    char display_name[256];
} tt_profile_user;

/* GET user/info/ with api->token: the authorizing TikTok user. */
aconn_status tt_profile_user_info(const tt_api *api, tt_profile_user *user, aconn_error *err);

/* Lists what the token reaches and classifies every authorized account. */
aconn_status tt_profile_discover(const tt_api *api, const char *app_id,
                                 const char *app_secret, tt_account_set *set,
                                 aconn_error *err);

/*
 * Reads the record. NOT_FOUND gives *doc NULL and *version 0 (also
 * ACONN_ERR_NOT_FOUND returned, err untouched).
 */
aconn_status tt_profile_load(const aconn_host *host, const char *profile, json_object **doc,
                             uint64_t *version, aconn_error *err);

/*
 * Writes the record if its version is still `expected` (0: must not exist).
 * A conflict is ACONN_RETRY "profile_changed": another completion or refresh
 * of the same profile won; nothing was written.
 */
aconn_status tt_profile_save(const aconn_host *host, const char *profile, json_object *doc,
                             uint64_t expected, aconn_error *err);

/*
 * The record (status NULL) or the status JSON (status "connected" ...) of
 * set, with the identity fields copied from `ident` (a record; may be NULL).
 */
json_object *tt_profile_doc(const char *status, const char *profile, const tt_account_set *set,
                            json_object *ident, int64_t connected_at);

/* The keyed fingerprint of a token (hex). 0, or -1 on a crypto failure. */
int tt_profile_token_id(const aconn_host *host, const char *token,
                        char out[TT_PROFILE_TOKEN_ID_HEX + 1]);

/* A string member of the record ("" when absent); a sub-member with "a.b". */
const char *tt_profile_str(json_object *doc, const char *name);

/*
 * Re-discovers the accounts of the stored token and rewrites the record,
 * keeping its identity; *out_doc (may be NULL) gets the new record (put it).
 * Refused as ACONN_RETRY "profile_changed" when the token or the record
 * changed meanwhile.
 */
aconn_status tt_profile_refresh(const aconn_host *host, const tt_api *api, const char *profile,
                                const char *app_id, const char *app_secret,
                                tt_account_set *set, json_object **out_doc, aconn_error *err);

/* Records nonce as the profile's newest link. */
aconn_status tt_profile_link_set(const aconn_host *host, const char *profile,
                                 const char *nonce, aconn_error *err);
/*
 * ACONN_OK when nonce is the newest link (or no link was ever recorded,
 * a link made before this check existed); ACONN_ERR_AUTH_FLOW
 * "link_superseded" otherwise.
 */
aconn_status tt_profile_link_check(const aconn_host *host, const char *profile,
                                   const char *nonce, aconn_error *err);

#endif
