/* sb_world_ctl.c: the control API that changes the world while the
 * sandbox runs, as people change it at TikTok: a role granted, downgraded
 * or taken away, an Ad Account moved into or out of a Business Center, a
 * Business Center member added or removed, a user cancelling the app's
 * authorization. /sandbox/reset puts the world back as it was loaded. */
#include "sb.h"

#include <stdio.h>
#include <string.h>

static void ctl_reply(sb_req *req, unsigned status, json_object *o)
{
    const char *s = o != NULL ? json_object_to_json_string_ext(o, SB_JSON_FLAGS) : NULL;

    sb_raw(req, s != NULL ? status : 500, "application/json",
           s != NULL ? s : "{\"error\":\"out of memory\"}");
    json_object_put(o);
}

static void ctl_error(sb_req *req, const char *msg)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(msg));
    ctl_reply(req, 400, o);
}

/* The request body as a JSON object, or NULL with the request answered. */
static json_object *ctl_body(sb_req *req)
{
    json_object *b = req->body != NULL && !req->body_too_large
                         ? json_tokener_parse(req->body) : NULL;

    if (b == NULL || !json_object_is_type(b, json_type_object)) {
        json_object_put(b);
        ctl_error(req, "send a JSON object");
        return NULL;
    }
    return b;
}

static const char *ctl_str(json_object *b, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(b, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* 1: the key is present and null; 0 otherwise. */
static int ctl_is_null(json_object *b, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(b, key, &v) && v == NULL;
}

/* Removes every entry of array `a` whose `key` equals `id`. */
static void ctl_drop_entries(json_object *a, const char *key, const char *id)
{
    for (size_t i = json_object_array_length(a); i-- > 0;) {
        const char *v = sb_w_str(json_object_array_get_idx(a, i), key);
        if (v != NULL && strcmp(v, id) == 0)
            json_object_array_del_idx(a, i, 1);
    }
}

static json_object *ctl_entry(const char *k1, const char *v1, const char *k2, const char *v2)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, k1, json_object_new_string(v1));
    json_object_object_add(o, k2, json_object_new_string(v2));
    return o;
}

/* POST /sandbox/world/role {"advertiser_id","user_id","advertiser_role":
 * "ADMIN"|"OPERATOR"|"ANALYST"|null}: null takes the user's role away. */
void sb_h_ctl_world_role(sb_ctx *ctx, sb_req *req)
{
    json_object *b = ctl_body(req), *adv, *roles;
    const char *adv_id, *user_id, *role;

    if (b == NULL)
        return;
    adv_id = ctl_str(b, "advertiser_id");
    user_id = ctl_str(b, "user_id");
    role = ctl_str(b, "advertiser_role");
    if (adv_id == NULL || user_id == NULL ||
        (role == NULL && !ctl_is_null(b, "advertiser_role")) ||
        (role != NULL && strcmp(role, "ADMIN") != 0 && strcmp(role, "OPERATOR") != 0 &&
         strcmp(role, "ANALYST") != 0)) {
        ctl_error(req, "send {\"advertiser_id\":\"..\",\"user_id\":\"..\",\"advertiser_role\":"
                       "\"ADMIN\"|\"OPERATOR\"|\"ANALYST\"|null}");
        json_object_put(b);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    adv = sb_w_advertiser(ctx, adv_id);
    if (adv == NULL || sb_w_user(ctx, user_id) == NULL) {
        pthread_mutex_unlock(&ctx->lock);
        ctl_error(req, "no such advertiser or user in the world");
        json_object_put(b);
        return;
    }
    if (!json_object_object_get_ex(adv, "roles", &roles) || roles == NULL) {
        roles = json_object_new_array();
        json_object_object_add(adv, "roles", roles);
    }
    ctl_drop_entries(roles, "user_id", user_id);
    if (role != NULL)
        json_object_array_add(roles, ctl_entry("user_id", user_id, "advertiser_role", role));
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(b);
    sb_raw(req, 200, "application/json", "{\"changed\":true}");
}

/* POST /sandbox/world/owner_bc {"advertiser_id","owner_bc_id":"<bc>"|null}:
 * the Ad Account joins or leaves a Business Center. */
void sb_h_ctl_world_owner_bc(sb_ctx *ctx, sb_req *req)
{
    json_object *b = ctl_body(req), *adv;
    const char *adv_id, *bc_id;

    if (b == NULL)
        return;
    adv_id = ctl_str(b, "advertiser_id");
    bc_id = ctl_str(b, "owner_bc_id");
    if (adv_id == NULL || (bc_id == NULL && !ctl_is_null(b, "owner_bc_id"))) {
        ctl_error(req, "send {\"advertiser_id\":\"..\",\"owner_bc_id\":\"..\"|null}");
        json_object_put(b);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    adv = sb_w_advertiser(ctx, adv_id);
    if (adv == NULL || (bc_id != NULL && sb_w_bc(ctx, bc_id) == NULL)) {
        pthread_mutex_unlock(&ctx->lock);
        ctl_error(req, "no such advertiser or Business Center in the world");
        json_object_put(b);
        return;
    }
    json_object_object_add(adv, "owner_bc_id",
                           bc_id != NULL ? json_object_new_string(bc_id) : NULL);
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(b);
    sb_raw(req, 200, "application/json", "{\"changed\":true}");
}

/* POST /sandbox/world/bc_member {"bc_id","user_id","user_role":
 * "ADMIN"|"STANDARD"|null}: null removes the user from the Business Center. */
void sb_h_ctl_world_bc_member(sb_ctx *ctx, sb_req *req)
{
    json_object *b = ctl_body(req), *bc, *members;
    const char *bc_id, *user_id, *role;

    if (b == NULL)
        return;
    bc_id = ctl_str(b, "bc_id");
    user_id = ctl_str(b, "user_id");
    role = ctl_str(b, "user_role");
    if (bc_id == NULL || user_id == NULL ||
        (role == NULL && !ctl_is_null(b, "user_role")) ||
        (role != NULL && strcmp(role, "ADMIN") != 0 && strcmp(role, "STANDARD") != 0)) {
        ctl_error(req, "send {\"bc_id\":\"..\",\"user_id\":\"..\",\"user_role\":"
                       "\"ADMIN\"|\"STANDARD\"|null}");
        json_object_put(b);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    bc = sb_w_bc(ctx, bc_id);
    if (bc == NULL || sb_w_user(ctx, user_id) == NULL) {
        pthread_mutex_unlock(&ctx->lock);
        ctl_error(req, "no such Business Center or user in the world");
        json_object_put(b);
        return;
    }
    if (!json_object_object_get_ex(bc, "members", &members) || members == NULL) {
        members = json_object_new_array();
        json_object_object_add(bc, "members", members);
    }
    ctl_drop_entries(members, "user_id", user_id);
    if (role != NULL)
        json_object_array_add(members, ctl_entry("user_id", user_id, "user_role", role));
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(b);
    sb_raw(req, 200, "application/json", "{\"changed\":true}");
}

/* POST /sandbox/tokens/revoke {"user_id"}: the user cancels the app's
 * authorization in TikTok; every token issued to them stops working. */
void sb_h_ctl_tokens_revoke(sb_ctx *ctx, sb_req *req)
{
    json_object *b = ctl_body(req), *out;
    const char *user_id;
    int64_t n = 0;

    if (b == NULL)
        return;
    user_id = ctl_str(b, "user_id");
    if (user_id == NULL) {
        ctl_error(req, "send {\"user_id\":\"..\"}");
        json_object_put(b);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->st.n_tokens; i++) {
        sb_token *t = &ctx->st.tokens[i];
        if (!t->revoked && strcmp(t->user_id, user_id) == 0) {
            t->revoked = true;
            n++;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(b);
    out = json_object_new_object();
    json_object_object_add(out, "revoked", json_object_new_int64(n));
    ctl_reply(req, 200, out);
}

/* POST /sandbox/world/lookalike {"advertiser_id","name"}: a marketer makes
 * a Lookalike audience in Ads Manager (TikTok's own endpoint for it is not
 * modelled); it lists with audience_type "Lookalike" and no calculate_type.
 * Answers {"audience_id":".."}. */
void sb_h_ctl_world_lookalike(sb_ctx *ctx, sb_req *req)
{
    json_object *b = ctl_body(req), *out;
    const char *adv_id, *name;
    sb_audience *a = NULL;

    if (b == NULL)
        return;
    adv_id = ctl_str(b, "advertiser_id");
    name = ctl_str(b, "name");
    if (adv_id == NULL || name == NULL) {
        ctl_error(req, "send {\"advertiser_id\":\"..\",\"name\":\"..\"}");
        json_object_put(b);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    if (sb_w_advertiser(ctx, adv_id) != NULL)
        a = sb_st_new_audience(ctx, adv_id, name, SB_T_EMAIL_SHA256);
    if (a != NULL) {
        a->kind = "Lookalike";
        a->ready_ms = a->create_ms;
    }
    out = json_object_new_object();
    if (a != NULL)
        json_object_object_add(out, "audience_id", json_object_new_string(a->audience_id));
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(b);
    if (a == NULL) {
        json_object_put(out);
        ctl_error(req, "no such advertiser in the world (or out of memory)");
        return;
    }
    ctl_reply(req, 200, out);
}
