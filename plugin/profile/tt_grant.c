/*
 * tt_grant.c - authorize() COMPLETE and STATUS: with TikTok's grant or the
 * stored token, who the user is, what the token reaches, the profile's
 * record and its status JSON.
 */
#include <config.h>

#include "profile/tt_grant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "common/tt_secret.h"
#include "profile/tt_accounts.h"
#include "profile/tt_oauth.h"
#include "profile/tt_profile.h"
#include "profile/tt_state.h"
#include "tiktok/tt_api.h"
#include "tiktok/tt_http.h"

/* ------------------------------------------------------------------ */
/* Reports                                                             */
/* ------------------------------------------------------------------ */

/*
 * Writes the status JSON of record (with `extra`'s members, may be NULL).
 * No usable account is ACONN_ERR_PERMISSION after the status is written:
 * its reasons are what the user needs to fix the roles.
 */
static aconn_status tt_write_report(aconn_output *out, const char *profile,
                                    const tt_account_set *set, json_object *record,
                                    json_object *extra, aconn_error *err)
{
    json_object *v = NULL, *report;
    int64_t connected_at = 0;
    aconn_status st;

    if (json_object_object_get_ex(record, "connected_at_ms", &v))
        connected_at = json_object_get_int64(v);
    report = tt_profile_doc(set->nusable > 0 ? "connected" : "no_usable_accounts", profile,
                            set, record, connected_at);
    if (report == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
    if (extra != NULL) {
        json_object_object_foreach(extra, k, val)
            json_object_object_add(report, k, json_object_get(val));
    }
    st = tt_oauth_write_json(out, report, err);
    json_object_put(report);
    if (st == ACONN_OK && set->nusable == 0)
        st = aconn_error_set(err, ACONN_ERR_PERMISSION, "no_usable_accounts", NULL,
                             "Profile \"%s\" is authorized, but none of its %zu Ad "
                             "Account(s) accepts audiences from this user: delivering needs "
                             "the Admin, Operator or Owner role on an Ad Account inside a "
                             "Business Center you can reach. See excluded_accounts, fix the "
                             "roles, then run: connector-host authorize --profile %s",
                             profile, set->nexcluded, profile);
    return st;
}

/* Accounts usable under the old record that the new set does not reach. */
static json_object *tt_lost_accounts(json_object *old, const tt_account_set *set)
{
    json_object *lost = json_object_new_array(), *accs = NULL;
    size_t i, j, n;

    if (lost == NULL || old == NULL || !json_object_object_get_ex(old, "ad_accounts", &accs)
        || !json_object_is_type(accs, json_type_array))
        return lost;
    n = json_object_array_length(accs);
    for (i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(accs, i);
        const char *id = tt_profile_str(a, "advertiser_id");
        int kept = 0;

        for (j = 0; j < set->nusable && !kept; j++)
            kept = strcmp(set->usable[j].advertiser_id, id) == 0;
        if (!kept && id[0] != '\0')
            json_object_array_add(lost, json_object_get(a));
    }
    return lost;
}

/* ------------------------------------------------------------------ */
/* COMPLETE and STATUS                                                 */
/* ------------------------------------------------------------------ */

typedef struct tt_flow {
    tt_http http;
    tt_api api;
    tt_secret app_id, app_secret;
    int http_ok;
} tt_flow;

static aconn_status tt_flow_open(tt_flow *f, const aconn_host *host, const char *profile,
                                 aconn_error *err)
{
    aconn_status st;

    memset(f, 0, sizeof(*f));
    st = tt_http_init(&f->http, host, err);
    if (st != ACONN_OK)
        return st;
    f->http_ok = 1;
    f->api.http = &f->http;
    f->api.host = host;
    f->api.profile = profile;
    if ((st = tt_secret_get(host, "app_id", &f->app_id, err)) != ACONN_OK)
        return st;
    return tt_secret_get(host, "app_secret", &f->app_secret, err);
}

static void tt_flow_close(tt_flow *f)
{
    tt_secret_free(&f->app_id);
    tt_secret_free(&f->app_secret);
    if (f->http_ok)
        tt_http_cleanup(&f->http);
}

/* Best effort: a token nobody will use must not stay alive at TikTok. */
static int tt_revoke(tt_flow *f, const char *token)
{
    aconn_error e = {.struct_size = sizeof(e)};

    return tt_api_revoke_token(&f->api, f->app_id.value, f->app_secret.value, token, &e)
           == ACONN_OK;
}

static int tt_switch_allowed(const aconn_host *host)
{
    const char *v = host->option(host->ctx, "switch_user");

    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* The new authorization's record; NULL when out of memory. */
static json_object *tt_new_record(const aconn_host *host, const char *profile,
                                  const tt_account_set *set, const tt_profile_user *u,
                                  const char *token)
{
    json_object *user = json_object_new_object(), *ident = json_object_new_object(), *doc;
    char tid[TT_PROFILE_TOKEN_ID_HEX + 1];
    int64_t now = tt_oauth_now(host);

    if (tt_profile_token_id(host, token, tid) != 0)
        tid[0] = '\0';
    if (user == NULL || ident == NULL
        || json_object_object_add(user, "id", json_object_new_string(u->id)) != 0
        || json_object_object_add(user, "display_name",
                                  json_object_new_string(u->display_name)) != 0
        || json_object_object_add(ident, "user", user) != 0) {
        json_object_put(user);
        json_object_put(ident);
        return NULL;
    }
    json_object_object_add(ident, "authorized_at_ms", json_object_new_int64(now));
    json_object_object_add(ident, "token_id", json_object_new_string(tid));
    doc = tt_profile_doc(NULL, profile, set, ident, now);
    json_object_put(ident);
    if (doc != NULL)
        json_object_object_add(doc, "checked_at_ms", json_object_new_int64(now));
    return doc;
}

/* A completion as another TikTok user than the profile's is refused unless
   the host said --switch-user: the profile's connections may lose accounts. */
static aconn_status tt_check_user(const aconn_host *host, const char *profile,
                                  json_object *old, const tt_profile_user *u, aconn_error *err)
{
    const char *was = tt_profile_str(old, "user.id");

    if (was[0] == '\0' || strcmp(was, u->id) == 0 || tt_switch_allowed(host))
        return ACONN_OK;
    return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "user_changed", "callback_url",
                           "Profile \"%s\" is the authorization of TikTok user %s (%s), but "
                           "this link was completed by user %s (%s); nothing was changed and "
                           "the new authorization was revoked. Complete the link as %s, or "
                           "to give the profile to the new user: connector-host authorize "
                           "--profile %s --switch-user (then connections whose Ad Accounts "
                           "the new user does not reach are listed)",
                           profile, was, tt_profile_str(old, "user.display_name"), u->id,
                           u->display_name, tt_profile_str(old, "user.display_name"), profile);
}

/* With TikTok's grant in hand: identity, accounts, record, token, report. */
static aconn_status tt_complete_grant(const aconn_host *host, tt_flow *f, const char *profile,
                                      const char *token, json_object *old, uint64_t version,
                                      aconn_output *out, aconn_error *err)
{
    tt_profile_user u;
    tt_account_set set = {0};
    tt_secret prev = {0};
    json_object *record = NULL, *extra = json_object_new_object(), *was = NULL;
    char name[TT_PROFILE_MAX + 16];
    aconn_status st;
    int keep = 0;

    f->api.token = token;
    if (extra == NULL || tt_secret_token_name(profile, name, sizeof(name)) != 0) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
        goto cleanup;
    }
    if ((st = tt_profile_user_info(&f->api, &u, err)) != ACONN_OK
        || (st = tt_check_user(host, profile, old, &u, err)) != ACONN_OK
        || (st = tt_profile_discover(&f->api, f->app_id.value, f->app_secret.value, &set,
                                     err)) != ACONN_OK)
        goto cleanup;
    record = tt_new_record(host, profile, &set, &u, token);
    if (record == NULL) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
        goto cleanup;
    }
    /* CAS on the version read before the exchange: of two completions at
       once only one stores its record, and only that one its token. */
    if ((st = tt_profile_save(host, profile, record, version, err)) != ACONN_OK)
        goto cleanup;
    keep = 1;
    if (tt_secret_get(host, name, &prev, NULL) != ACONN_OK)
        tt_secret_free(&prev);
    st = tt_secret_put(host, name, token, strlen(token), err);
    if (st != ACONN_OK)
        goto cleanup;
    if (prev.value != NULL && strcmp(prev.value, token) != 0) {
        int ok = tt_revoke(f, prev.value);

        json_object_object_add(extra, "previous_token_revoked", json_object_new_boolean(ok));
        if (!ok)
            json_object_object_add(extra, "warning", json_object_new_string(
                "The previous token could not be revoked at TikTok; it stays valid until "
                "the user removes the app in TikTok's settings."));
    }
    if (old != NULL && json_object_object_get_ex(old, "user", &was)
        && strcmp(tt_profile_str(old, "user.id"), u.id) != 0)
        json_object_object_add(extra, "switched_from", json_object_get(was));
    json_object_object_add(extra, "lost_accounts", tt_lost_accounts(old, &set));
    st = tt_write_report(out, profile, &set, record, extra, err);
cleanup:
    if (!keep)
        (void) tt_revoke(f, token);   /* refused: the new token must not live on */
    json_object_put(record);
    json_object_put(extra);
    tt_secret_free(&prev);
    tt_account_set_free(&set);
    return st;
}

aconn_status tt_oauth_complete(const aconn_host *host, const char *profile,
                               const char *callback_url, aconn_output *out, aconn_error *err)
{
    tt_flow f;
    tt_token_grant grant;
    tt_state_claims claims;
    json_object *old = NULL;
    uint64_t version = 0;
    char *auth_code = NULL;
    aconn_status st;
    int nonce_held = 0;

    memset(&grant, 0, sizeof(grant));
    memset(&f, 0, sizeof(f));
    if (callback_url == NULL || callback_url[0] == '\0') {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "callback_missing", "callback_url",
                             "Give the whole redirect URL: connector-host authorize "
                             "--profile %s --callback URL", profile);
        goto cleanup;
    }
    st = tt_oauth_verify_callback(host, profile, callback_url, &auth_code, &claims, err);
    if (st != ACONN_OK || (st = tt_state_nonce_consume(host, &claims, err)) != ACONN_OK)
        goto cleanup;
    nonce_held = 1;
    if ((st = tt_flow_open(&f, host, profile, err)) != ACONN_OK)
        goto cleanup;
    st = tt_profile_load(host, profile, &old, &version, err);
    if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND)
        goto cleanup;
    st = tt_api_access_token(&f.api, f.app_id.value, f.app_secret.value, auth_code, &grant,
                             err);
    /* A code TikTok refused (mistyped, foreign, expired) did not spend the
       link: the genuine callback can still complete it until it expires. */
    if (st != ACONN_OK)
        goto cleanup;
    nonce_held = 0;   /* TikTok took the code: the link is spent */
    st = tt_complete_grant(host, &f, profile, grant.token.value, old, version, out, err);
cleanup:
    if (nonce_held && st != ACONN_OK)
        (void) tt_state_nonce_release(host, &claims);
    tt_token_grant_free(&grant);
    json_object_put(old);
    if (auth_code != NULL) {
        /* Worth a token while it is valid: wiped on every path. */
        OPENSSL_cleanse(auth_code, strlen(auth_code));
        free(auth_code);
    }
    tt_flow_close(&f);
    return st;
}

aconn_status tt_oauth_status(const aconn_host *host, const char *profile, aconn_output *out,
                             aconn_error *err)
{
    tt_flow f;
    tt_secret token = {0};
    tt_account_set set = {0};
    json_object *record = NULL;
    char token_name[TT_PROFILE_MAX + 16];
    uint64_t version = 0;
    aconn_status st;

    memset(&f, 0, sizeof(f));
    if (tt_secret_token_name(profile, token_name, sizeof(token_name)) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name is too long.");
    st = tt_secret_get(host, token_name, &token, err);
    if (st == ACONN_ERR_NOT_FOUND) {
        /* Never authorized is not "re-authorize": nothing is recorded. */
        int known = tt_profile_load(host, profile, &record, &version, NULL) == ACONN_OK;

        st = aconn_error_set(err, known ? ACONN_REAUTHORIZE : ACONN_ERR_NOT_FOUND,
                             known ? "token_missing" : "not_authorized", NULL,
                             known ? "Profile \"%s\" has lost its TikTok token. Authorize it "
                                     "again: connector-host authorize --profile %s"
                                   : "Profile \"%s\" was never authorized, so it has no "
                                     "status yet. Authorize it: connector-host authorize "
                                     "--profile %s", profile, profile);
        if (known && ACONN_HAS(err, aconn_error, profile))
            ACONN_STRSET(err->profile, profile);
        goto cleanup;
    }
    if (st != ACONN_OK || (st = tt_flow_open(&f, host, profile, err)) != ACONN_OK)
        goto cleanup;
    f.api.token = token.value;
    st = tt_profile_refresh(host, &f.api, profile, f.app_id.value, f.app_secret.value, &set,
                            &record, err);
    if (st == ACONN_OK)
        st = tt_write_report(out, profile, &set, record, NULL, err);
cleanup:
    json_object_put(record);
    tt_account_set_free(&set);
    tt_secret_free(&token);
    tt_flow_close(&f);
    return st;
}

