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

#include "tiktok/tt_url.h"
#include "common/tt_secret.h"
#include "profile/tt_grant.h"
#include "profile/tt_profile.h"
#include "profile/tt_state.h"
#include "tiktok/tt_http.h"

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

aconn_status tt_oauth_write_json(aconn_output *out, json_object *obj, aconn_error *err)
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

int64_t tt_oauth_now(const aconn_host *host)
{
    return host->now_ms(host->ctx);
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

/* The claims of a new authorization link for profile and their signed
   state (*state, caller-owned), under the installation's state key. */
static aconn_status tt_oauth_sign_state(const aconn_host *host, const char *profile,
                                        const char *redirect, tt_state_claims *claims,
                                        char **state, aconn_error *err)
{
    tt_secret key = {0};
    aconn_status st;

    st = tt_secret_state_key(host, &key, err);
    if (st != ACONN_OK)
        goto cleanup;
    if (strlen(redirect) >= sizeof(claims->redirect_uri)) {
        /* st set apart from the call: the caller reads *state only on OK. */
        (void) aconn_error_set(err, ACONN_ERR_INVALID, "redirect_uri_too_long", "redirect_uri",
                               "The redirect URI is longer than %zu characters; register a "
                               "shorter one for the TikTok app.",
                               sizeof(claims->redirect_uri) - 1);
        st = ACONN_ERR_INVALID;
        goto cleanup;
    }
    claims->version = TT_STATE_VERSION;
    ACONN_STRSET(claims->profile, profile);
    ACONN_STRSET(claims->redirect_uri, redirect);
    claims->issued_ms = tt_oauth_now(host);
    st = tt_state_new_nonce(claims->nonce, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_state_sign(key.value, key.len, claims, state, err);
cleanup:
    tt_secret_free(&key);
    return st;
}

/* authorize BEGIN's answer: {"url", "expires_at_ms", "profile"}. */
static aconn_status tt_oauth_begin_answer(aconn_output *out, const char *url,
                                          const tt_state_claims *claims, const char *profile,
                                          aconn_error *err)
{
    json_object *res = json_object_new_object();
    aconn_status st;

    if (res == NULL || json_object_object_add(res, "url", json_object_new_string(url)) != 0
        || json_object_object_add(res, "expires_at_ms",
                                  json_object_new_int64(claims->issued_ms
                                                        + TT_STATE_LIFETIME_MS)) != 0
        || json_object_object_add(res, "profile",
                                  json_object_new_string(profile)) != 0) {
        json_object_put(res);
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                               "Out of memory writing the authorization URL.");
    }
    st = tt_oauth_write_json(out, res, err);
    json_object_put(res);
    return st;
}

static aconn_status tt_oauth_begin(const aconn_host *host, const char *profile,
                                   aconn_output *out, aconn_error *err)
{
    tt_http http;
    tt_secret app_id = {0};
    tt_state_claims claims;
    char *state = NULL, *url = NULL;
    const char *redirect;
    aconn_status st;
    int http_ok = 0;

    memset(&claims, 0, sizeof(claims));
    redirect = host->option(host->ctx, "redirect_uri");
    if (redirect == NULL || redirect[0] == '\0') {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "redirect_uri_missing", "redirect_uri",
                             "No redirect URI is configured. Give the host option "
                             "redirect_uri (connector-host --redirect-uri URL) with a URL "
                             "registered for the TikTok app.");
        goto cleanup;
    }
    /* Refused before anything is sent: the auth_code would travel in clear. */
    st = tt_url_check_redirect(redirect, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_http_init(&http, host, err);
    if (st != ACONN_OK)
        goto cleanup;
    http_ok = 1;
    st = tt_secret_get(host, "app_id", &app_id, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_oauth_sign_state(host, profile, redirect, &claims, &state, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_consent_url(http.api_base, app_id.value, state, redirect, &url, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_state_nonce_record(host, &claims, err);
    /* The newest link is the only live one: an older (maybe leaked) link
       cannot hand the profile to whoever completes it later. */
    if (st == ACONN_OK)
        st = tt_profile_link_set(host, profile, claims.nonce, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_oauth_begin_answer(out, url, &claims, profile, err);
cleanup:
    free(state);
    free(url);
    tt_secret_free(&app_id);
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
            /* The still-encoded copy is worth as much as the decoded one
               (it is the auth_code): wiped like it. */
            OPENSSL_cleanse(raw, vlen);
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
/* Callback check                                                      */
/* ------------------------------------------------------------------ */

/* Scheme, host, port and path of a URL, lower-cased where case does not
   matter, into parts[4] (curl_free each). Returns 0, or -1 when not a URL. */
static int tt_url_parts(const char *url, char *parts[4])
{
    static const CURLUPart which[4] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT,
                                       CURLUPART_PATH};
    CURLU *u = curl_url();
    int i, rc = 0;

    memset(parts, 0, 4 * sizeof(parts[0]));
    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
        rc = -1;
    for (i = 0; rc == 0 && i < 4; i++)
        if (curl_url_get(u, which[i], &parts[i], i == 2 ? CURLU_DEFAULT_PORT : 0) != CURLUE_OK)
            rc = -1;
    for (i = 0; rc == 0 && i < 2; i++)
        for (char *p = parts[i]; *p != '\0'; p++)
            *p = (char) tolower((unsigned char) *p);
    curl_url_cleanup(u);
    return rc;
}

/*
 * The redirect URL must come back to the URI the link was made for: a
 * callback pasted from another host (a phishing page that collected the
 * code) is refused before the code is sent anywhere.
 */
static aconn_status tt_check_redirect(const char *callback, const char *expected,
                                      const char *profile, aconn_error *err)
{
    static const char *const names[4] = {"scheme", "host", "port", "path"};
    char *got[4] = {NULL}, *want[4] = {NULL};   /* freed even when parsing stops early */
    aconn_status st = ACONN_OK;
    int i;

    if (expected == NULL || expected[0] == '\0')
        return ACONN_OK;   /* a link made before the URI was recorded */
    if (tt_url_parts(callback, got) != 0 || tt_url_parts(expected, want) != 0) {
        st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "callback_malformed", "callback_url",
                             "The callback is not a complete URL. Paste the whole address "
                             "TikTok redirected your browser to.");
        goto cleanup;
    }
    for (i = 0; i < 4; i++) {
        if (strcmp(got[i], want[i]) == 0)
            continue;
        st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "callback_wrong_redirect",
                             "callback_url",
                             "The callback's %s (%s) is not that of the redirect URI this "
                             "link was made for (%s://%s:%s%s), so it was not sent to TikTok: "
                             "a callback from another address may come from a page that "
                             "captured the code. Paste the address of the redirect URI, or "
                             "start again with: connector-host authorize --profile %s",
                             names[i], got[i], want[0], want[1], want[2], want[3], profile);
        break;
    }
cleanup:
    for (i = 0; i < 4; i++) {
        curl_free(got[i]);
        curl_free(want[i]);
    }
    return st;
}

/* Parses and verifies the callback up to the point of sending the code. */
aconn_status tt_oauth_verify_callback(const aconn_host *host, const char *profile,
                                      const char *callback_url, char **auth_code,
                                      tt_state_claims *claims, aconn_error *err)
{
    tt_secret key = {0};
    char *state = NULL;
    const char *redirect;
    aconn_status st;

    st = tt_oauth_parse_callback(callback_url, auth_code, &state, err);
    if (st != ACONN_OK)
        goto cleanup;
    if (state == NULL) {
        /* Reported before any key is read: the verifier's own message. */
        st = tt_state_verify("", 0, NULL, profile, tt_oauth_now(host), claims, err);
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
    st = tt_state_verify(key.value, key.len, state, profile, tt_oauth_now(host), claims, err);
    if (st != ACONN_OK)
        goto cleanup;
    redirect = claims->redirect_uri[0] != '\0' ? claims->redirect_uri
               : host->option(host->ctx, "redirect_uri");
    if ((st = tt_check_redirect(callback_url, redirect, profile, err)) != ACONN_OK)
        goto cleanup;
    if (*auth_code == NULL) {
        /* The nonce stays pending: the same link can still be completed. */
        st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "auth_code_missing", "callback_url",
                             "The redirect URL has no auth_code: the authorization was not "
                             "confirmed on TikTok. Open the link again and click Confirm, or "
                             "start again with: connector-host authorize --profile %s",
                             profile);
        goto cleanup;
    }
    st = tt_profile_link_check(host, profile, claims->nonce, err);
cleanup:
    tt_secret_free(&key);
    free(state);
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
