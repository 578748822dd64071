/* tt_session.c - an authenticated TikTok session for one entry-point call. */
#include <config.h>

#include <string.h>

#include "tiktok/tt_session.h"

aconn_status tt_session_no_token(aconn_error *err, const char *profile)
{
    aconn_status st = aconn_error_set(err, ACONN_REAUTHORIZE, TT_ERR_NO_TOKEN, NULL,
                                      "profile %s has no TikTok token: run `connector-host "
                                      "authorize --profile %s` and complete TikTok's consent "
                                      "page", profile, profile);
    if (err != NULL)
        ACONN_STRSET(err->profile, profile);
    return st;
}

aconn_status tt_session_open(tt_session *s, const aconn_host *host, const char *profile,
                             aconn_error *err)
{
    char name[256];
    aconn_status st;

    memset(s, 0, sizeof(*s));
    if (profile == NULL || tt_secret_token_name(profile, name, sizeof(name)) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_profile", NULL,
                               "a profile name (at most 200 bytes) is required");
    st = tt_http_init(&s->http, host, err);
    if (st != ACONN_OK)
        return st;
    s->http_ready = 1;
    st = tt_secret_get(host, name, &s->token, err);
    if (st == ACONN_ERR_NOT_FOUND)
        return tt_session_no_token(err, profile);
    if (st != ACONN_OK)
        return st;
    s->api.http = &s->http;
    s->api.host = host;
    s->api.token = s->token.value;
    s->api.profile = profile;
    return ACONN_OK;
}

void tt_session_close(tt_session *s)
{
    tt_secret_free(&s->token);
    if (s->http_ready)
        tt_http_cleanup(&s->http);
    memset(s, 0, sizeof(*s));
}
