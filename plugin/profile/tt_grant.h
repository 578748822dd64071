/*
 * tt_grant.h - the COMPLETE and STATUS phases of authorize() (tt_oauth.c
 * dispatches; see tt_oauth.h for the status JSON and tt_profile.h for the
 * record).
 *
 * COMPLETE: the callback is verified (tt_oauth_verify_callback), the
 * link's nonce consumed, the code exchanged. A code TikTok refuses leaves
 * the link usable. With the grant: TikTok's user/info names the user; a
 * user other than the profile's is refused (and the new token revoked)
 * unless the host option switch_user is "1"; the record is written with
 * CAS on the version read before the exchange, then the token; the old
 * token is revoked at TikTok, best effort, and said so in the status.
 * STATUS: re-discovers with the stored token (tt_profile_refresh). A
 * profile never authorized is ACONN_ERR_NOT_FOUND "not_authorized" (so no
 * host records it as reauthorize_required).
 */
#ifndef TT_GRANT_H
#define TT_GRANT_H

#include <aconn/aconn.h>

aconn_status tt_oauth_complete(const aconn_host *host, const char *profile,
                               const char *callback_url, aconn_output *out, aconn_error *err);
aconn_status tt_oauth_status(const aconn_host *host, const char *profile, aconn_output *out,
                             aconn_error *err);

#endif
