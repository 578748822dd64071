/*
 * tt_api_account.c - who may be reached: the OAuth token exchange and its
 * revocation, the advertisers that authorized the app, Business Centers and
 * their assets.
 */
#include <config.h>

#include "tiktok/tt_api_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static int tt_collect_bc(json_object *item, void *ctx)
{
    tt_bc_list *l = ctx;
    json_object *info = NULL;
    tt_bc *b;

    if (!json_object_object_get_ex(item, "bc_info", &info))
        info = item;
    b = tt_api_push((void **) &l->items, l->count, sizeof(*l->items));
    if (b == NULL)
        return -1;
    b->bc_id = tt_json_str(info, "bc_id");
    if (b->bc_id == NULL)
        return 0;   /* an entry without an id is useless: skip it */
    b->name = tt_json_str(info, "name");
    b->user_role = tt_json_str(item, "user_role");
    l->count++;
    return 0;
}

aconn_status tt_api_bc_get(const tt_api *api, tt_bc_list *out, aconn_error *err)
{
    json_object *q = json_object_new_object();
    aconn_status st;

    memset(out, 0, sizeof(*out));
    st = tt_api_paged(api, "bc/get", NULL, q, TT_API_BC_PAGE_SIZE, tt_collect_bc, out, err);
    if (st != ACONN_OK)
        tt_bc_list_free(out);
    return st;
}

static int tt_collect_asset(json_object *item, void *ctx)
{
    tt_bc_asset_list *l = ctx;
    tt_bc_asset *a;

    a = tt_api_push((void **) &l->items, l->count, sizeof(*l->items));
    if (a == NULL)
        return -1;
    a->asset_id = tt_json_str(item, "asset_id");
    if (a->asset_id == NULL)
        return 0;
    a->asset_name = tt_json_str(item, "asset_name");
    a->relation_type = tt_json_str(item, "relation_type");
    a->relation_status = tt_json_str(item, "relation_status");
    a->advertiser_role = tt_json_str(item, "advertiser_role");
    l->count++;
    return 0;
}

aconn_status tt_api_bc_assets(const tt_api *api, const char *bc_id, tt_bc_asset_list *out,
                              aconn_error *err)
{
    json_object *q = json_object_new_object();
    aconn_status st;

    memset(out, 0, sizeof(*out));
    if (q == NULL || tt_json_set_str(q, "bc_id", bc_id) != 0
        || tt_json_set_str(q, "asset_type", "ADVERTISER") != 0) {
        json_object_put(q);
        return tt_api_oom(err, "bc/asset/get");
    }
    st = tt_api_paged(api, "bc/asset/get", NULL, q, TT_API_BC_PAGE_SIZE, tt_collect_asset, out,
                      err);
    if (st != ACONN_OK)
        tt_bc_asset_list_free(out);
    return st;
}

static int tt_collect_advertiser(json_object *item, void *ctx)
{
    tt_advertiser_list *l = ctx;
    tt_advertiser *a;

    a = tt_api_push((void **) &l->items, l->count, sizeof(*l->items));
    if (a == NULL)
        return -1;
    a->advertiser_id = tt_json_str(item, "advertiser_id");
    a->name = tt_json_str(item, "advertiser_name");
    if (a->advertiser_id == NULL) {
        free(a->name);
        return 0;   /* an entry without an id is useless: skip it */
    }
    l->count++;
    return 0;
}

aconn_status tt_api_advertiser_get(const tt_api *api, const char *app_id, const char *secret,
                                   tt_advertiser_list *out, aconn_error *err)
{
    json_object *q = json_object_new_object();
    aconn_status st;

    memset(out, 0, sizeof(*out));
    if (q != NULL && (tt_json_set_str(q, "app_id", app_id) != 0
                      || tt_json_set_str(q, "secret", secret) != 0)) {
        tt_secret_wipe_json(q);   /* holds the app secret */
        json_object_put(q);
        q = NULL;
    }
    st = tt_api_get_each(api, "oauth2/advertiser/get", NULL, q, 1, tt_collect_advertiser, out,
                         err);
    if (st != ACONN_OK)
        tt_advertiser_list_free(out);
    return st;
}

/* The grant out of an access_token answer: the token (a secret copy) and
   the advertiser ids, numbers or strings. */
static aconn_status tt_grant_read(const char *ep, const tt_response *resp, tt_token_grant *out,
                                  aconn_error *err)
{
    json_object *tok, *ids;
    size_t i, n, tlen;

    /* A NUL inside the token (a "\u0000" in the answer) would cut it short
       wherever it is used as a C string: no token rather than another. */
    if (resp->data == NULL || !json_object_object_get_ex(resp->data, "access_token", &tok)
        || !json_object_is_type(tok, json_type_string)
        || json_object_get_string_len(tok) == 0
        || strlen(json_object_get_string(tok)) != (size_t) json_object_get_string_len(tok))
        return tt_api_bad_data(err, ep, "access_token", resp);
    tlen = strlen(json_object_get_string(tok));
    out->token.value = malloc(tlen + 1);
    if (out->token.value == NULL)
        return tt_api_oom(err, ep);
    memcpy(out->token.value, json_object_get_string(tok), tlen + 1);
    out->token.len = tlen;
    out->token.cap = tlen + 1;
    ids = tt_json_array(resp->data, "advertiser_ids");
    n = ids != NULL ? json_object_array_length(ids) : 0;
    if (n == 0)
        return ACONN_OK;
    out->advertiser_ids = calloc(n, sizeof(char *));
    if (out->advertiser_ids == NULL)
        return tt_api_oom(err, ep);
    for (i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(ids, i);

        if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int))
            continue;
        out->advertiser_ids[out->count] = tt_json_text(v);
        if (out->advertiser_ids[out->count] == NULL)
            return tt_api_oom(err, ep);
        out->count++;
    }
    return ACONN_OK;
}

aconn_status tt_api_access_token(const tt_api *api, const char *app_id, const char *secret,
                                 const char *auth_code, tt_token_grant *out, aconn_error *err)
{
    static const char ep[] = "oauth2/access_token";
    const char *const pairs[] = {"app_id", app_id, "secret", secret, "auth_code", auth_code};
    tt_secret body = {0};
    json_object *tok;
    tt_request req;
    tt_response resp;
    aconn_status st;

    memset(out, 0, sizeof(*out));
    memset(&resp, 0, sizeof(resp));
    /* App secret and auth code: in a buffer of ours, wiped below. */
    if (tt_secret_json(&body, pairs, 3) != 0) {
        st = tt_api_oom(err, ep);
        goto cleanup;
    }
    tt_api_request_init(&req, api, TT_POST_JSON, ep, NULL);
    req.token = NULL;
    req.body_text = body.value;
    req.body_text_len = body.len;
    req.sensitive = 1;
    /* The auth_code is single-use: repeat only when it surely never left. */
    req.no_blind_retry = 1;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st == ACONN_OK)
        st = tt_grant_read(ep, &resp, out, err);
cleanup:
    /* json-c owns a copy of the token in the parsed answer: wipe it in place
       before the tree is freed (json-c has no wiping free). */
    if (resp.data != NULL && json_object_object_get_ex(resp.data, "access_token", &tok)
        && json_object_is_type(tok, json_type_string))
        OPENSSL_cleanse((void *) (uintptr_t) json_object_get_string(tok),
                        (size_t) json_object_get_string_len(tok));
    if (st != ACONN_OK)
        tt_token_grant_free(out);
    tt_response_free(&resp);
    tt_secret_free(&body);
    return st;
}

aconn_status tt_api_revoke_token(const tt_api *api, const char *app_id, const char *secret,
                                 const char *access_token, aconn_error *err)
{
    static const char ep[] = "oauth2/revoke_token";
    const char *const pairs[] = {"app_id", app_id, "secret", secret,
                                 "access_token", access_token};
    tt_secret body = {0};
    tt_request req;
    tt_response resp;
    aconn_status st;

    memset(&resp, 0, sizeof(resp));
    /* App secret and token: in a buffer of ours, wiped below. */
    if (tt_secret_json(&body, pairs, 3) != 0)
        return tt_api_oom(err, ep);
    tt_api_request_init(&req, api, TT_POST_JSON, ep, NULL);
    req.body_text = body.value;
    req.body_text_len = body.len;
    req.sensitive = 1;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    tt_response_free(&resp);
    tt_secret_free(&body);
    return st;
}
