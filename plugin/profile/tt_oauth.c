/*
 * tt_oauth.c - authorize(): begin, complete and status of a profile.
 */
#include <config.h>

#include "profile/tt_oauth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "profile/tt_accounts.h"
#include "tiktok/tt_api.h"
#include "tiktok/tt_http.h"
#include "tiktok/tt_session.h"
#include "common/tt_secret.h"
#include "profile/tt_state.h"

#define TT_ACCOUNTS_STATE_MAX (1024 * 1024)
#define TT_CAS_TRIES 5

aconn_status tt_oauth_check_profile(const char *profile, aconn_error *err)
{
    size_t i, n = profile != NULL ? strlen(profile) : 0;

    if (n == 0 || n > TT_PROFILE_MAX)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name must be 1 to %d characters long.",
                               TT_PROFILE_MAX);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) profile[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                                   "The profile name may use only letters, digits, '.', '_' "
                                   "and '-'.");
    }
    return ACONN_OK;
}

int tt_oauth_accounts_key(const char *profile, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "profile/%s/accounts", profile);
    return (n < 0 || (size_t) n >= buflen) ? -1 : 0;
}

static aconn_status tt_write_json(aconn_output *out, json_object *obj, aconn_error *err)
{
    const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN
                                                           | JSON_C_TO_STRING_NOSLASHESCAPE);

    if (text == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                               "Out of memory writing the result.");
    if (aconn_output_puts(out, text) != ACONN_OK)
        return aconn_error_set(err, ACONN_ERR_FATAL, "output_failed", NULL,
                               "The host could not take the result.");
    return ACONN_OK;
}

static int64_t tt_now(const aconn_host *host)
{
    return host->now_ms != NULL ? host->now_ms(host->ctx) : 0;
}

/* ------------------------------------------------------------------ */
/* BEGIN                                                               */
/* ------------------------------------------------------------------ */

static aconn_status tt_consent_url(const char *api_base, const char *app_id,
                                   const char *state, const char *redirect_uri, char **out,
                                   aconn_error *err)
{
    CURLU *u = curl_url();
    char *url = NULL, *kv = NULL;
    const char *names[3] = {"app_id", "state", "redirect_uri"};
    const char *values[3];
    size_t i, n;
    aconn_status st = ACONN_ERR_FATAL;

    values[0] = app_id;
    values[1] = state;
    values[2] = redirect_uri;
    *out = NULL;
    if (u == NULL || curl_url_set(u, CURLUPART_URL, api_base, 0) != CURLUE_OK
        || curl_url_set(u, CURLUPART_PATH, "/portal/auth", 0) != CURLUE_OK
        || curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK
        || curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
        goto fail;
    for (i = 0; i < 3; i++) {
        CURLUcode rc;

        n = strlen(names[i]) + strlen(values[i]) + 2;
        kv = malloc(n);
        if (kv == NULL)
            goto fail;
        snprintf(kv, n, "%s=%s", names[i], values[i]);
        rc = curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE);
        free(kv);
        kv = NULL;
        if (rc != CURLUE_OK)
            goto fail;
    }
    if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
        goto fail;
    n = strlen(url);
    *out = malloc(n + 1);
    if (*out == NULL)
        goto fail;
    memcpy(*out, url, n + 1);
    st = ACONN_OK;
    goto cleanup;
fail:
    st = aconn_error_set(err, ACONN_ERR_FATAL, "url_build_failed", NULL,
                         "Could not build the TikTok authorization URL (out of memory "
                         "or bad api_base).");
cleanup:
    curl_free(url);
    curl_url_cleanup(u);
    return st;
}

static aconn_status tt_oauth_begin(const aconn_host *host, const char *profile,
                                   aconn_output *out, aconn_error *err)
{
    tt_http http;
    tt_secret app_id = {0}, key = {0};
    tt_state_claims claims;
    json_object *res = NULL;
    char *state = NULL, *url = NULL;
    const char *redirect;
    aconn_status st;
    int http_ok = 0;

    memset(&claims, 0, sizeof(claims));
    redirect = host->option != NULL ? host->option(host->ctx, "redirect_uri") : NULL;
    if (redirect == NULL || redirect[0] == '\0') {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "redirect_uri_missing", "redirect_uri",
                             "No redirect URI is configured. Give the host option "
                             "redirect_uri (connector-host --redirect-uri URL) with a URL "
                             "registered for the TikTok app.");
        goto cleanup;
    }
    st = tt_http_init(&http, host, err);
    if (st != ACONN_OK)
        goto cleanup;
    http_ok = 1;
    st = tt_secret_get(host, "app_id", &app_id, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_secret_state_key(host, &key, err);
    if (st != ACONN_OK)
        goto cleanup;
    claims.version = TT_STATE_VERSION;
    ACONN_STRSET(claims.profile, profile);
    claims.issued_ms = tt_now(host);
    st = tt_state_new_nonce(claims.nonce, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_state_sign(key.value, key.len, &claims, &state, err);
    tt_secret_free(&key);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_consent_url(http.api_base, app_id.value, state, redirect, &url, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_state_nonce_record(host, &claims, err);
    if (st != ACONN_OK)
        goto cleanup;
    res = json_object_new_object();
    if (res == NULL || json_object_object_add(res, "url", json_object_new_string(url)) != 0
        || json_object_object_add(res, "expires_at_ms",
                                  json_object_new_int64(claims.issued_ms + TT_STATE_LIFETIME_MS)) != 0
        || json_object_object_add(res, "profile", json_object_new_string(profile)) != 0) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                             "Out of memory writing the authorization URL.");
        goto cleanup;
    }
    st = tt_write_json(out, res, err);
cleanup:
    json_object_put(res);
    free(state);
    free(url);
    tt_secret_free(&app_id);
    tt_secret_free(&key);
    if (http_ok)
        tt_http_cleanup(&http);
    return st;
}

/* ------------------------------------------------------------------ */
/* Callback parsing                                                    */
/* ------------------------------------------------------------------ */

static char *tt_query_value(const char *query, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = query;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, '&');
        size_t len = end != NULL ? (size_t) (end - p) : strlen(p);

        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1, i;
            char *raw = malloc(vlen + 1), *dec;
            int outlen = 0;

            if (raw == NULL)
                return NULL;
            memcpy(raw, p + nlen + 1, vlen);
            raw[vlen] = '\0';
            for (i = 0; i < vlen; i++)   /* form encoding: '+' is a space */
                if (raw[i] == '+')
                    raw[i] = ' ';
            dec = curl_easy_unescape(NULL, raw, (int) vlen, &outlen);
            free(raw);
            if (dec == NULL)
                return NULL;
            raw = malloc((size_t) outlen + 1);
            if (raw != NULL) {
                memcpy(raw, dec, (size_t) outlen);
                raw[outlen] = '\0';
            }
            OPENSSL_cleanse(dec, (size_t) outlen);
            curl_free(dec);
            /* An empty value counts as absent. */
            if (raw != NULL && raw[0] == '\0') {
                free(raw);
                raw = NULL;
            }
            return raw;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

aconn_status tt_oauth_parse_callback(const char *url, char **auth_code, char **state,
                                     aconn_error *err)
{
    CURLU *u = NULL;
    char *query = NULL;
    CURLUcode rc;
    aconn_status st = ACONN_OK;

    *auth_code = NULL;
    *state = NULL;
    u = curl_url();
    if (u == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
    if (url == NULL
        || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "callback_malformed", "callback_url",
                             "The callback is not a URL. Paste the whole address TikTok "
                             "redirected your browser to (it contains auth_code and state).");
        goto cleanup;
    }
    rc = curl_url_get(u, CURLUPART_QUERY, &query, 0);
    if (rc == CURLUE_OK) {
        *auth_code = tt_query_value(query, "auth_code");
        *state = tt_query_value(query, "state");
    } else if (rc != CURLUE_NO_QUERY) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
    }
cleanup:
    if (query != NULL) {
        OPENSSL_cleanse(query, strlen(query));
        curl_free(query);
    }
    curl_url_cleanup(u);
    return st;
}

/* ------------------------------------------------------------------ */
/* Discovery                                                           */
/* ------------------------------------------------------------------ */

/* Reads the previously saved connected_at_ms, or 0. */
static int64_t tt_saved_connected_at(const aconn_host *host, const char *key)
{
    char *buf = malloc(TT_ACCOUNTS_STATE_MAX + 1);
    size_t len = 0;
    uint64_t version = 0;
    json_object *obj = NULL, *v;
    int64_t t = 0;

    if (buf == NULL)
        return 0;
    if (host->state_get(host->ctx, key, buf, TT_ACCOUNTS_STATE_MAX + 1, &len, &version)
        == ACONN_OK) {
        obj = json_tokener_parse(buf);
        if (obj != NULL && json_object_object_get_ex(obj, "connected_at_ms", &v))
            t = json_object_get_int64(v);
    }
    json_object_put(obj);
    free(buf);
    return t;
}

/* Writes the accounts document with CAS (bounded re-reads on conflict). */
static aconn_status tt_save_accounts(const aconn_host *host, const char *key,
                                     json_object *doc, aconn_error *err)
{
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    char probe[1];
    size_t len = 0;
    uint64_t version = 0, newv = 0;
    aconn_status st = ACONN_ERR_CONFLICT;
    int tries;

    if (text == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
    if (strlen(text) > TT_ACCOUNTS_STATE_MAX)
        return aconn_error_set(err, ACONN_ERR_LIMIT, "too_many_accounts", NULL,
                               "The list of Ad Accounts is too large to store.");
    for (tries = 0; tries < TT_CAS_TRIES; tries++) {
        aconn_status g = host->state_get(host->ctx, key, probe, sizeof(probe), &len, &version);

        if (g == ACONN_ERR_NOT_FOUND)
            version = 0;
        else if (g != ACONN_OK && g != ACONN_ERR_TOO_SMALL)
            break;
        /* TOO_SMALL leaves *version unset by contract: read it properly. */
        if (g == ACONN_ERR_TOO_SMALL) {
            char *buf = malloc(len + 1);
            if (buf == NULL)
                break;
            g = host->state_get(host->ctx, key, buf, len + 1, &len, &version);
            free(buf);
            if (g != ACONN_OK)
                continue;
        }
        st = host->state_cas(host->ctx, key, version, text, strlen(text), &newv);
        if (st != ACONN_ERR_CONFLICT)
            break;
    }
    if (st != ACONN_OK)
        return aconn_error_set(err, st == ACONN_ERR_CONFLICT ? ACONN_RETRY : ACONN_ERR_FATAL,
                               "state_store_failed", NULL,
                               "The host could not save the profile's Ad Accounts (%s).",
                               aconn_status_name(st));
    return ACONN_OK;
}

/* Lists what the token reaches and classifies every authorized account. */
static aconn_status tt_discover(const tt_api *api, const char *app_id, const char *app_secret,
                                tt_account_set *set, aconn_error *err)
{
    tt_advertiser_list advs = {0};
    tt_bc_list bcs = {0};
    tt_bc_asset_list *assets = NULL;
    size_t i;
    aconn_status st;

    memset(set, 0, sizeof(*set));
    st = tt_api_advertiser_get(api, app_id, app_secret, &advs, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_api_bc_get(api, &bcs, err);
    /* Without BC access every account is "outside the Business Center",
       which the status explains; that is not a failure of the flow. */
    if (st == ACONN_ERR_PERMISSION)
        st = ACONN_OK;
    if (st != ACONN_OK)
        goto cleanup;
    if (bcs.count > 0) {
        assets = calloc(bcs.count, sizeof(*assets));
        if (assets == NULL) {
            st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
            goto cleanup;
        }
    }
    for (i = 0; i < bcs.count; i++) {
        st = tt_api_bc_assets(api, bcs.items[i].bc_id, &assets[i], err);
        if (st == ACONN_ERR_PERMISSION)
            st = ACONN_OK;   /* a STANDARD member may not list assets */
        if (st != ACONN_OK)
            goto cleanup;
    }
    if (tt_accounts_classify(&advs, &bcs, assets, set) != 0)
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
cleanup:
    if (assets != NULL)
        for (i = 0; i < bcs.count; i++)
            tt_bc_asset_list_free(&assets[i]);
    free(assets);
    tt_bc_list_free(&bcs);
    tt_advertiser_list_free(&advs);
    return st;
}

static json_object *tt_status_doc(const char *status, const char *profile,
                                  const tt_account_set *set, int64_t connected_at,
                                  int with_excluded)
{
    json_object *o = json_object_new_object();
    json_object *usable = tt_accounts_usable_json(set);
    json_object *excluded = with_excluded ? tt_accounts_excluded_json(set) : NULL;

    if (o == NULL || usable == NULL || (with_excluded && excluded == NULL))
        goto fail;
    if ((status != NULL
         && json_object_object_add(o, "status", json_object_new_string(status)) != 0)
        || json_object_object_add(o, "profile", json_object_new_string(profile)) != 0
        || json_object_object_add(o, "ad_accounts", usable) != 0)
        goto fail;
    usable = NULL;
    if (json_object_object_add(o, "ad_account_count",
                               json_object_new_int64((int64_t) set->nusable)) != 0)
        goto fail;
    if (with_excluded) {
        if (json_object_object_add(o, "excluded_accounts", excluded) != 0)
            goto fail;
        excluded = NULL;
    }
    if (json_object_object_add(o, "connected_at_ms", json_object_new_int64(connected_at)) != 0)
        goto fail;
    return o;
fail:
    json_object_put(usable);
    json_object_put(excluded);
    json_object_put(o);
    return NULL;
}

/*
 * Discovers, saves and reports the profile's accounts with a token in hand.
 * connected_at is 0 to keep the saved value (status phase).
 */
static aconn_status tt_report_profile(const aconn_host *host, const tt_api *api,
                                      const char *profile, const char *app_id,
                                      const char *app_secret, int64_t connected_at,
                                      aconn_output *out, aconn_error *err)
{
    tt_account_set set;
    json_object *report = NULL, *saved = NULL;
    char key[TT_PROFILE_MAX + 32];
    int64_t now = tt_now(host);
    aconn_status st, wst;

    memset(&set, 0, sizeof(set));
    if (tt_oauth_accounts_key(profile, key, sizeof(key)) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name is too long.");
    st = tt_discover(api, app_id, app_secret, &set, err);
    if (st != ACONN_OK)
        goto cleanup;
    if (connected_at == 0)
        connected_at = tt_saved_connected_at(host, key);
    if (connected_at == 0)
        connected_at = now;
    /* Saved with the excluded accounts and their reasons, so validate
       --remote can tell "not writable" from "not authorized". */
    saved = tt_status_doc(NULL, profile, &set, connected_at, 1);
    if (saved == NULL
        || json_object_object_add(saved, "checked_at_ms", json_object_new_int64(now)) != 0) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
        goto cleanup;
    }
    st = tt_save_accounts(host, key, saved, err);
    if (st != ACONN_OK)
        goto cleanup;
    report = tt_status_doc(set.nusable > 0 ? "connected" : "no_usable_accounts", profile,
                           &set, connected_at, 1);
    if (report == NULL) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
        goto cleanup;
    }
    /* The status is written even when no account is usable: its reasons
       are what the user needs to fix the roles. */
    wst = tt_write_json(out, report, err);
    if (wst != ACONN_OK) {
        st = wst;
        goto cleanup;
    }
    if (set.nusable == 0)
        st = aconn_error_set(err, ACONN_ERR_PERMISSION, "no_usable_accounts", NULL,
                             "Profile \"%s\" is authorized, but none of its %zu Ad "
                             "Account(s) accepts audiences from this user: delivering needs "
                             "the Admin, Operator or Owner role on an Ad Account inside a "
                             "Business Center you can reach. See excluded_accounts, fix the "
                             "roles, then run: connector-host authorize --profile %s",
                             profile, set.nexcluded, profile);
cleanup:
    json_object_put(report);
    json_object_put(saved);
    tt_account_set_free(&set);
    return st;
}

/* ------------------------------------------------------------------ */
/* COMPLETE and STATUS                                                 */
/* ------------------------------------------------------------------ */

static aconn_status tt_oauth_complete(const aconn_host *host, const char *profile,
                                      const char *callback_url, aconn_output *out,
                                      aconn_error *err)
{
    tt_http http;
    tt_api api;
    tt_secret key = {0}, app_id = {0}, app_secret = {0};
    tt_token_grant grant;
    tt_state_claims claims;
    char *auth_code = NULL, *state = NULL;
    char token_name[TT_PROFILE_MAX + 16];
    aconn_status st;
    int http_ok = 0, nonce_held = 0;

    memset(&grant, 0, sizeof(grant));
    if (callback_url == NULL || callback_url[0] == '\0') {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "callback_missing", "callback_url",
                             "Give the whole redirect URL: connector-host authorize "
                             "--profile %s --callback URL", profile);
        goto cleanup;
    }
    st = tt_oauth_parse_callback(callback_url, &auth_code, &state, err);
    if (st != ACONN_OK)
        goto cleanup;
    if (state == NULL) {
        /* Reported before any key is read: the verifier's own message. */
        st = tt_state_verify("", 0, NULL, profile, tt_now(host), &claims, err);
        goto cleanup;
    }
    st = tt_secret_get(host, "state_key", &key, err);
    if (st == ACONN_ERR_NOT_FOUND) {
        /* No key here means this host never issued a state. */
        st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_foreign", "state",
                             "This authorization link was not made by this connector "
                             "host. Start again with: connector-host authorize --profile %s",
                             profile);
        goto cleanup;
    }
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_state_verify(key.value, key.len, state, profile, tt_now(host), &claims, err);
    tt_secret_free(&key);
    if (st != ACONN_OK)
        goto cleanup;
    if (auth_code == NULL) {
        /* The nonce stays pending: the same link can still be completed. */
        st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "auth_code_missing", "callback_url",
                             "The redirect URL has no auth_code: the authorization was not "
                             "confirmed on TikTok. Open the link again and click Confirm, or "
                             "start again with: connector-host authorize --profile %s",
                             profile);
        goto cleanup;
    }
    st = tt_state_nonce_consume(host, &claims, err);
    if (st != ACONN_OK)
        goto cleanup;
    nonce_held = 1;
    st = tt_http_init(&http, host, err);
    if (st != ACONN_OK)
        goto cleanup;
    http_ok = 1;
    if ((st = tt_secret_get(host, "app_id", &app_id, err)) != ACONN_OK
        || (st = tt_secret_get(host, "app_secret", &app_secret, err)) != ACONN_OK)
        goto cleanup;
    api.http = &http;
    api.host = host;
    api.token = NULL;
    api.profile = profile;
    st = tt_api_access_token(&api, app_id.value, app_secret.value, auth_code, &grant, err);
    OPENSSL_cleanse(auth_code, strlen(auth_code));
    if (st != ACONN_OK) {
        /* A permanent answer (e.g. auth_code_invalid) spends the link;
           only a retry-later one leaves it to be completed again. */
        if (!ACONN_STATUS_IS_RETRY(st))
            nonce_held = 0;
        goto cleanup;
    }
    nonce_held = 0;   /* TikTok took the code: the link is spent */
    if (tt_secret_token_name(profile, token_name, sizeof(token_name)) != 0) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                             "The profile name is too long.");
        goto cleanup;
    }
    st = tt_secret_put(host, token_name, grant.token.value, grant.token.len, err);
    if (st != ACONN_OK)
        goto cleanup;
    api.token = grant.token.value;
    st = tt_report_profile(host, &api, profile, app_id.value, app_secret.value, tt_now(host),
                           out, err);
cleanup:
    /* Failed before TikTok accepted the code (no connection, TLS refused,
       throttled, secrets missing): the link must still work when the
       user retries, as a retry-later status promises. */
    if (nonce_held && st != ACONN_OK)
        (void) tt_state_nonce_release(host, &claims);
    tt_token_grant_free(&grant);
    tt_secret_free(&key);
    tt_secret_free(&app_id);
    tt_secret_free(&app_secret);
    free(auth_code);
    free(state);
    if (http_ok)
        tt_http_cleanup(&http);
    return st;
}

static aconn_status tt_oauth_status(const aconn_host *host, const char *profile,
                                    aconn_output *out, aconn_error *err)
{
    tt_http http;
    tt_api api;
    tt_secret token = {0}, app_id = {0}, app_secret = {0};
    char token_name[TT_PROFILE_MAX + 16];
    aconn_status st;
    int http_ok = 0;

    if (tt_secret_token_name(profile, token_name, sizeof(token_name)) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name is too long.");
    st = tt_secret_get(host, token_name, &token, err);
    if (st == ACONN_ERR_NOT_FOUND) {
        st = tt_session_no_token(err, profile);
        goto cleanup;
    }
    if (st != ACONN_OK)
        goto cleanup;
    if ((st = tt_secret_get(host, "app_id", &app_id, err)) != ACONN_OK
        || (st = tt_secret_get(host, "app_secret", &app_secret, err)) != ACONN_OK)
        goto cleanup;
    st = tt_http_init(&http, host, err);
    if (st != ACONN_OK)
        goto cleanup;
    http_ok = 1;
    api.http = &http;
    api.host = host;
    api.token = token.value;
    api.profile = profile;
    st = tt_report_profile(host, &api, profile, app_id.value, app_secret.value, 0, out, err);
cleanup:
    tt_secret_free(&token);
    tt_secret_free(&app_id);
    tt_secret_free(&app_secret);
    if (http_ok)
        tt_http_cleanup(&http);
    return st;
}

aconn_status tt_authorize(const aconn_host *host, const aconn_authorize_request *req,
                          aconn_output *out, aconn_error *err)
{
    aconn_status st;

    if (host == NULL || req == NULL
        || !ACONN_HAS(req, aconn_authorize_request, callback_url))
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_request", NULL,
                               "authorize() needs a host and a complete request.");
    st = tt_oauth_check_profile(req->profile, err);
    if (st != ACONN_OK)
        return st;
    switch (req->phase) {
    case ACONN_AUTHORIZE_BEGIN:
        return tt_oauth_begin(host, req->profile, out, err);
    case ACONN_AUTHORIZE_COMPLETE:
        return tt_oauth_complete(host, req->profile, req->callback_url, out, err);
    case ACONN_AUTHORIZE_STATUS:
        return tt_oauth_status(host, req->profile, out, err);
    default:
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_phase", "phase",
                               "Unknown authorize phase %u.", (unsigned) req->phase);
    }
}
