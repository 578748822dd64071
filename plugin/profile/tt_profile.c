/*
 * tt_profile.c - the stored record of a profile's authorization: who,
 * which token (by fingerprint), which Ad Accounts; the newest link.
 */
#include <config.h>

#include "profile/tt_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/tt_kv.h"
#include "common/tt_secret.h"
#include "tiktok/tt_http.h"

#define TT_PROFILE_RECORD_MAX (1024 * 1024)

static aconn_status tt_oom(aconn_error *err)
{
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
}

static int tt_key(char *buf, size_t n, const char *profile, const char *what)
{
    return tt_kv_key(buf, n, "profile/%s/%s", profile, what);
}

/* A member as text: strings as they are, numbers (TikTok ids) printed. */
static void tt_copy_member(json_object *obj, const char *name, char *out, size_t n)
{
    json_object *v = NULL;

    out[0] = '\0';
    if (obj == NULL || !json_object_object_get_ex(obj, name, &v) || v == NULL)
        return;
    if (json_object_is_type(v, json_type_string))
        aconn__strlcpy(out, json_object_get_string(v), n);
    else if (json_object_is_type(v, json_type_int))
        snprintf(out, n, "%lld", (long long) json_object_get_int64(v));
}

aconn_status tt_profile_user_info(const tt_api *api, tt_profile_user *user, aconn_error *err)
{
    tt_request req;
    tt_response resp;
    aconn_status st;

    memset(user, 0, sizeof(*user));
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = TT_GET;
    req.endpoint = "user/info";
    req.token = api->token;
    req.profile = api->profile;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st == ACONN_OK) {
        /* core_user_id is the stable id; id is the older field. */
        tt_copy_member(resp.data, "core_user_id", user->id, sizeof(user->id));
        if (user->id[0] == '\0')
            tt_copy_member(resp.data, "id", user->id, sizeof(user->id));
        tt_copy_member(resp.data, "display_name", user->display_name,
                       sizeof(user->display_name));
        if (user->id[0] == '\0')
            st = aconn_error_set(err, ACONN_RETRY, "bad_response", NULL,
                                 "TikTok's user/info answer names no user (request_id %s). "
                                 "Retry later.", resp.request_id[0] ? resp.request_id : "none");
    }
    tt_response_free(&resp);
    return st;
}

aconn_status tt_profile_discover(const tt_api *api, const char *app_id,
                                 const char *app_secret, tt_account_set *set,
                                 aconn_error *err)
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
    if (bcs.count > 0 && (assets = calloc(bcs.count, sizeof(*assets))) == NULL) {
        st = tt_oom(err);
        goto cleanup;
    }
    for (i = 0; i < bcs.count; i++) {
        st = tt_api_bc_assets(api, bcs.items[i].bc_id, &assets[i], err);
        if (st == ACONN_ERR_PERMISSION)
            st = ACONN_OK;   /* a STANDARD member may not list assets */
        if (st != ACONN_OK)
            goto cleanup;
    }
    if (tt_accounts_classify(&advs, &bcs, assets, set) != 0)
        st = tt_oom(err);
cleanup:
    if (assets != NULL)
        for (i = 0; i < bcs.count; i++)
            tt_bc_asset_list_free(&assets[i]);
    free(assets);
    tt_bc_list_free(&bcs);
    tt_advertiser_list_free(&advs);
    return st;
}

aconn_status tt_profile_load(const aconn_host *host, const char *profile, json_object **doc,
                             uint64_t *version, aconn_error *err)
{
    char key[256];

    *doc = NULL;
    *version = 0;
    if (tt_key(key, sizeof(key), profile, "accounts") != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name is too long.");
    return tt_kv_get(host, key, doc, version, err);
}

aconn_status tt_profile_save(const aconn_host *host, const char *profile, json_object *doc,
                             uint64_t expected, aconn_error *err)
{
    char key[256];
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    aconn_status st;

    if (tt_key(key, sizeof(key), profile, "accounts") != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name is too long.");
    if (text == NULL)
        return tt_oom(err);
    if (strlen(text) > TT_PROFILE_RECORD_MAX)
        return aconn_error_set(err, ACONN_ERR_LIMIT, "too_many_accounts", NULL,
                               "The list of Ad Accounts is too large to store.");
    st = tt_kv_cas(host, key, expected, doc, NULL, err);
    if (st == ACONN_ERR_CONFLICT)
        st = aconn_error_set(err, ACONN_RETRY, "profile_changed", NULL,
                             "Profile \"%s\" was changed by another authorization or check "
                             "at the same moment; nothing was saved from this one. Check it "
                             "with: connector-host authorize --profile %s --status",
                             profile, profile);
    else if (st != ACONN_OK)
        st = aconn_error_set(err, ACONN_ERR_FATAL, "state_store_failed", NULL,
                             "The host could not save the profile's Ad Accounts (%s).",
                             aconn_status_name(st));
    return st;
}

static int tt_add(json_object *o, const char *k, json_object *v)
{
    if (v == NULL || json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

/* Identity members a status or record carries over from the record. */
static int tt_copy_identity(json_object *dst, json_object *ident)
{
    static const char *const names[] = {"user", "authorized_at_ms", "token_id"};
    json_object *v;
    size_t i;

    for (i = 0; ident != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (json_object_object_get_ex(ident, names[i], &v)
            && tt_add(dst, names[i], json_object_get(v)) != 0)
            return -1;
    return 0;
}

json_object *tt_profile_doc(const char *status, const char *profile, const tt_account_set *set,
                            json_object *ident, int64_t connected_at)
{
    json_object *o = json_object_new_object();

    if (o == NULL)
        return NULL;
    if ((status != NULL && tt_add(o, "status", json_object_new_string(status)) != 0)
        || tt_add(o, "profile", json_object_new_string(profile)) != 0
        || tt_add(o, "ad_accounts", tt_accounts_usable_json(set)) != 0
        || tt_add(o, "ad_account_count", json_object_new_int64((int64_t) set->nusable)) != 0
        || tt_add(o, "excluded_accounts", tt_accounts_excluded_json(set)) != 0
        || tt_add(o, "connected_at_ms", json_object_new_int64(connected_at)) != 0
        || tt_copy_identity(o, ident) != 0) {
        json_object_put(o);
        return NULL;
    }
    /* The fingerprint is for the record only, never shown. */
    if (status != NULL)
        json_object_object_del(o, "token_id");
    return o;
}

int tt_profile_token_id(const aconn_host *host, const char *token,
                        char out[TT_PROFILE_TOKEN_ID_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    tt_secret key = {0};
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0, i;
    int rc = -1;

    out[0] = '\0';
    if (token == NULL || tt_secret_state_key(host, &key, NULL) != ACONN_OK)
        goto cleanup;
    if (HMAC(EVP_sha256(), key.value, (int) key.len, (const unsigned char *) token,
             strlen(token), mac, &maclen) == NULL || maclen < TT_PROFILE_TOKEN_ID_HEX / 2)
        goto cleanup;
    for (i = 0; i < TT_PROFILE_TOKEN_ID_HEX / 2; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 0x0f];
    }
    out[TT_PROFILE_TOKEN_ID_HEX] = '\0';
    rc = 0;
cleanup:
    OPENSSL_cleanse(mac, sizeof(mac));
    tt_secret_free(&key);
    return rc;
}

const char *tt_profile_str(json_object *doc, const char *name)
{
    const char *dot = strchr(name, '.');
    json_object *v = NULL;

    if (dot != NULL) {
        char head[64];
        size_t n = (size_t) (dot - name);

        if (n >= sizeof(head))
            return "";
        memcpy(head, name, n);
        head[n] = '\0';
        if (doc == NULL || !json_object_object_get_ex(doc, head, &v))
            return "";
        return tt_profile_str(v, dot + 1);
    }
    if (doc == NULL || !json_object_object_get_ex(doc, name, &v)
        || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

/* Adds "user" (user/info) and "token_id" to a record that has neither. */
static aconn_status tt_profile_add_identity(const tt_api *api, json_object *doc,
                                            const char *tid, aconn_error *err)
{
    tt_profile_user u;
    json_object *user;
    aconn_status st = tt_profile_user_info(api, &u, err);

    if (st != ACONN_OK)
        return st;
    user = json_object_new_object();
    if (user == NULL || tt_add(user, "id", json_object_new_string(u.id)) != 0
        || tt_add(user, "display_name", json_object_new_string(u.display_name)) != 0) {
        json_object_put(user);
        return tt_oom(err);
    }
    if (tt_add(doc, "user", user) != 0   /* tt_add puts user on failure */
        || (tid[0] != '\0' && tt_add(doc, "token_id", json_object_new_string(tid)) != 0))
        return tt_oom(err);
    return ACONN_OK;
}

aconn_status tt_profile_refresh(const aconn_host *host, const tt_api *api, const char *profile,
                                const char *app_id, const char *app_secret,
                                tt_account_set *set, json_object **out_doc, aconn_error *err)
{
    json_object *old = NULL, *doc = NULL, *v;
    uint64_t version = 0;
    char tid[TT_PROFILE_TOKEN_ID_HEX + 1];
    int64_t connected_at = 0, now = host->now_ms(host->ctx);
    aconn_status st;

    if (out_doc != NULL)
        *out_doc = NULL;
    st = tt_profile_load(host, profile, &old, &version, err);
    if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND)
        return st;
    st = tt_profile_discover(api, app_id, app_secret, set, err);
    if (st != ACONN_OK)
        goto cleanup;
    /* A record of another token: a completion replaced it meanwhile. */
    if (tt_profile_token_id(host, api->token, tid) == 0
        && tt_profile_str(old, "token_id")[0] != '\0'
        && strcmp(tt_profile_str(old, "token_id"), tid) != 0) {
        st = aconn_error_set(err, ACONN_RETRY, "profile_changed", NULL,
                             "Profile \"%s\" was re-authorized while it was being checked; "
                             "nothing was saved from this check. Check it again with: "
                             "connector-host authorize --profile %s --status",
                             profile, profile);
        goto cleanup;
    }
    if (old != NULL && json_object_object_get_ex(old, "connected_at_ms", &v))
        connected_at = json_object_get_int64(v);
    doc = tt_profile_doc(NULL, profile, set, old, connected_at != 0 ? connected_at : now);
    if (doc == NULL || tt_add(doc, "checked_at_ms", json_object_new_int64(now)) != 0) {
        st = tt_oom(err);
        goto cleanup;
    }
    /* A record made before identities were kept learns its user now. */
    if (tt_profile_str(old, "user.id")[0] == '\0'
        && (st = tt_profile_add_identity(api, doc, tid, err)) != ACONN_OK)
        goto cleanup;
    st = tt_profile_save(host, profile, doc, version, err);
    if (st == ACONN_OK && out_doc != NULL) {
        *out_doc = doc;
        doc = NULL;
    }
cleanup:
    if (st != ACONN_OK)
        tt_account_set_free(set);
    json_object_put(old);
    json_object_put(doc);
    return st;
}

aconn_status tt_profile_link_set(const aconn_host *host, const char *profile,
                                 const char *nonce, aconn_error *err)
{
    char key[256];
    json_object *v;
    aconn_status st;

    if (tt_key(key, sizeof(key), profile, "link") != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name is too long.");
    v = json_object_new_string(nonce);
    if (v == NULL)
        return tt_oom(err);
    st = tt_kv_put(host, key, v, err);
    json_object_put(v);
    if (st != ACONN_OK)
        st = aconn_error_set(err, ACONN_ERR_FATAL, "state_store_failed", NULL,
                             "The host could not record the authorization link (%s).",
                             aconn_status_name(st));
    return st;
}

aconn_status tt_profile_link_check(const aconn_host *host, const char *profile,
                                   const char *nonce, aconn_error *err)
{
    char key[256];
    json_object *v = NULL;
    uint64_t version = 0;
    aconn_status st;
    int newest;

    if (tt_key(key, sizeof(key), profile, "link") != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "profile_invalid", "profile",
                               "The profile name is too long.");
    st = tt_kv_get(host, key, &v, &version, err);
    if (st == ACONN_ERR_NOT_FOUND)
        return ACONN_OK;
    if (st != ACONN_OK)
        return st;
    newest = json_object_is_type(v, json_type_string)
             && strcmp(json_object_get_string(v), nonce) == 0;
    json_object_put(v);
    if (newest)
        return ACONN_OK;
    return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "link_superseded", "state",
                           "This authorization link for profile \"%s\" was replaced by a "
                           "newer one: only the newest link of a profile works, so an old or "
                           "leaked link cannot change whose authorization the profile holds. "
                           "Open the newest link, or start again with: connector-host "
                           "authorize --profile %s", profile, profile);
}
