/* sb_oauth.c: TikTok's advertiser authorization. The consent page issues
 * single-use auth codes valid for one hour of sandbox time; the token
 * exchange turns one into a long-term token that lives until revoked. */
#include "sb.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int scopes[] = {3, 30, 31, 32, 100, 150, 153};

static json_object *scope_array(void)
{
    json_object *a = json_object_new_array();

    for (size_t i = 0; a != NULL && i < sizeof scopes / sizeof scopes[0]; i++) {
        json_object_array_add(a, json_object_new_int(scopes[i]));
    }
    return a;
}

/* app_id + secret must name a registered app (40101 otherwise). Lock held. */
static int check_app(sb_ctx *ctx, sb_req *req, const char *app_id, const char *secret)
{
    json_object *app = sb_w_app(ctx, app_id);
    const char *s = sb_w_str(app, "secret");

    if (app == NULL || s == NULL || strcmp(s, secret) != 0) {
        sb_fail(req, 40101, "Secret and app ID do not match.");
        return -1;
    }
    return 0;
}

/* A new auth code or token: random hex, between two copies of the app's
 * "code_marker" / "token_marker" when the world gives one, so a test can
 * search memory for what was issued (either end survives a partial
 * overwrite) without knowing the random part. NULL when out of memory. */
static char *issue(sb_ctx *ctx, const char *app_id, const char *marker_key, size_t nbytes)
{
    const char *m = sb_w_str(sb_w_app(ctx, app_id), marker_key);
    char *hex = sb_random_hex(nbytes), *s;
    size_t n;

    if (hex == NULL || m == NULL) {
        return hex;
    }
    n = 2 * strlen(m) + strlen(hex) + 1;
    s = malloc(n);
    if (s != NULL) {
        snprintf(s, n, "%s%s%s", m, hex, m);
    }
    free(hex);
    return s;
}

static int push_token(sb_ctx *ctx, const char *app_id, const char *user_id, char **out)
{
    sb_state *st = &ctx->st;
    sb_token *t;

    if (st->n_tokens == st->cap_tokens) {
        size_t ncap = st->cap_tokens == 0 ? 16 : st->cap_tokens * 2;
        sb_token *n = realloc(st->tokens, ncap * sizeof *n);
        if (n == NULL) {
            return -1;
        }
        st->tokens = n;
        st->cap_tokens = ncap;
    }
    t = &st->tokens[st->n_tokens];
    memset(t, 0, sizeof *t);
    t->token = issue(ctx, app_id, "token_marker", 20);
    t->app_id = strdup(app_id);
    t->user_id = strdup(user_id);
    if (t->token == NULL || t->app_id == NULL || t->user_id == NULL) {
        free(t->token);
        free(t->app_id);
        free(t->user_id);
        return -1;
    }
    st->n_tokens++;
    *out = t->token;
    return 0;
}

void sb_h_access_token(sb_ctx *ctx, sb_req *req)
{
    char app_id[SB_ID_MAX];
    const char *secret = NULL, *code = NULL;
    sb_authcode *ac = NULL;
    json_object *data = NULL;
    char *token = NULL;

    if (sb_j_id(req, req->json, "app_id", app_id, sizeof app_id, true) < 0
        || sb_j_str(req, req->json, "secret", &secret, 1, 256, true) < 0
        || sb_j_str(req, req->json, "auth_code", &code, 1, 256, true) < 0) {
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    if (check_app(ctx, req, app_id, secret) != 0) {
        goto cleanup;
    }
    for (size_t i = 0; i < ctx->st.n_codes; i++) {
        if (strcmp(ctx->st.codes[i].code, code) == 0) {
            ac = &ctx->st.codes[i];
            break;
        }
    }
    if (ac == NULL || strcmp(ac->app_id, app_id) != 0) {
        sb_fail(req, 40101, "Invalid auth_code: it was not issued to this app.");
        goto cleanup;
    }
    if (ac->used) {
        sb_fail(req, 40110, "The auth_code has been used. An auth_code can be used "
                "only once; authorize again to get a new one.");
        goto cleanup;
    }
    if (sb_now_ms(ctx) >= ac->expires_ms) {
        sb_fail(req, 40110, "The auth_code has expired (it is valid for 1 hour); "
                "authorize again to get a new one.");
        goto cleanup;
    }
    if (push_token(ctx, app_id, ac->user_id, &token) != 0) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto cleanup;
    }
    ac->used = true;
    data = json_object_new_object();
    json_object_object_add(data, "access_token", json_object_new_string(token));
    json_object_object_add(data, "advertiser_ids", sb_w_covered(ctx, ac->user_id));
    json_object_object_add(data, "scope", scope_array());
    sb_ok(req, data);
cleanup:
    pthread_mutex_unlock(&ctx->lock);
}

void sb_h_advertiser_get(sb_ctx *ctx, sb_req *req)
{
    const char *app_id = NULL, *secret = sb_query(req, "secret");
    json_object *ids = NULL, *list = NULL, *data;

    if (sb_q_id(req, "app_id", &app_id, true) < 0) {
        return;
    }
    if (secret == NULL || *secret == '\0') {
        sb_fail(req, 40002, "secret: Missing data for required field.");
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    if (check_app(ctx, req, app_id, secret) != 0) {
        goto cleanup;
    }
    if (strcmp(app_id, req->app_id) != 0) {
        sb_fail(req, 40113, "App is blocked or mismatched: the access token was not "
                "issued to app_id %s.", app_id);
        goto cleanup;
    }
    ids = sb_w_covered(ctx, req->user_id);
    list = json_object_new_array();
    for (size_t i = 0; ids != NULL && list != NULL && i < json_object_array_length(ids); i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        const char *name = sb_w_str(sb_w_advertiser(ctx, id), "name");
        json_object *o = json_object_new_object();
        json_object_object_add(o, "advertiser_id", json_object_new_string(id));
        json_object_object_add(o, "advertiser_name",
                               json_object_new_string(name != NULL ? name : id));
        json_object_array_add(list, o);
    }
    data = json_object_new_object();
    json_object_object_add(data, "list", list);
    list = NULL;
    sb_ok(req, data);
cleanup:
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(ids);
    json_object_put(list);
}

/* GET user/info/: the user who authorized the token, as TikTok names them
   (core_user_id and id as strings, display_name). */
void sb_h_user_info(sb_ctx *ctx, sb_req *req)
{
    json_object *data;
    const char *name;

    pthread_mutex_lock(&ctx->lock);
    name = sb_w_str(sb_w_user(ctx, req->user_id), "name");
    data = json_object_new_object();
    json_object_object_add(data, "core_user_id", json_object_new_string(req->user_id));
    json_object_object_add(data, "id", json_object_new_string(req->user_id));
    json_object_object_add(data, "display_name",
                           json_object_new_string(name != NULL ? name : req->user_id));
    sb_ok(req, data);
    pthread_mutex_unlock(&ctx->lock);
}

void sb_h_revoke_token(sb_ctx *ctx, sb_req *req)
{
    char app_id[SB_ID_MAX];
    const char *secret = NULL, *token = NULL;
    sb_token *t = NULL;
    json_object *data;

    if (sb_j_id(req, req->json, "app_id", app_id, sizeof app_id, true) < 0
        || sb_j_str(req, req->json, "secret", &secret, 1, 256, true) < 0
        || sb_j_str(req, req->json, "access_token", &token, 1, 256, true) < 0) {
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    if (check_app(ctx, req, app_id, secret) != 0) {
        goto cleanup;
    }
    for (size_t i = 0; i < ctx->st.n_tokens; i++) {
        if (strcmp(ctx->st.tokens[i].token, token) == 0) {
            t = &ctx->st.tokens[i];
            break;
        }
    }
    if (t == NULL || t->revoked || strcmp(t->app_id, app_id) != 0) {
        sb_fail(req, 40105, "Access token is incorrect or has been revoked.");
        goto cleanup;
    }
    t->revoked = true;
    data = json_object_new_object();
    json_object_object_add(data, "app_id", json_object_new_string(app_id));
    json_object_object_add(data, "advertiser_ids", sb_w_covered(ctx, t->user_id));
    sb_ok(req, data);
cleanup:
    pthread_mutex_unlock(&ctx->lock);
}

/* The consent page: a browser-less stand-in for TikTok's authorization
 * screen. Errors are plain HTTP 400 pages, as a browser would show. */
void sb_h_portal_auth(sb_ctx *ctx, sb_req *req)
{
    const char *app_id = sb_query(req, "app_id");
    const char *state = sb_query(req, "state");
    const char *redirect = sb_query(req, "redirect_uri");
    const char *user_id = sb_query(req, "user_id");
    json_object *app, *uris, *users;
    bool registered = false;
    char *code = NULL, *estate = NULL, *loc = NULL;
    sb_authcode *ac;
    size_t loclen;

    pthread_mutex_lock(&ctx->lock);
    app = sb_w_app(ctx, app_id);
    if (app == NULL) {
        sb_raw(req, 400, "text/plain", "400 app_id is missing or unknown\n");
        goto cleanup;
    }
    if (redirect == NULL || !json_object_object_get_ex(app, "redirect_uris", &uris)) {
        sb_raw(req, 400, "text/plain", "400 redirect_uri is missing\n");
        goto cleanup;
    }
    for (size_t i = 0; i < json_object_array_length(uris); i++) {
        registered |= strcmp(json_object_get_string(json_object_array_get_idx(uris, i)),
                             redirect) == 0;
    }
    if (!registered) {
        sb_raw(req, 400, "text/plain",
               "400 redirect_uri is not registered for this app\n");
        goto cleanup;
    }
    if (user_id == NULL || *user_id == '\0') {
        json_object_object_get_ex(ctx->world, "users", &users);
        user_id = sb_w_str(json_object_array_get_idx(users, 0), "user_id");
    }
    if (sb_w_user(ctx, user_id) == NULL) {
        sb_raw(req, 400, "text/plain", "400 user_id is unknown\n");
        goto cleanup;
    }
    if (ctx->st.n_codes == ctx->st.cap_codes) {
        size_t ncap = ctx->st.cap_codes == 0 ? 16 : ctx->st.cap_codes * 2;
        sb_authcode *n = realloc(ctx->st.codes, ncap * sizeof *n);
        if (n == NULL) {
            sb_raw(req, 500, "text/plain", "500 out of memory\n");
            goto cleanup;
        }
        ctx->st.codes = n;
        ctx->st.cap_codes = ncap;
    }
    code = issue(ctx, app_id, "code_marker", 16);
    estate = curl_easy_escape(NULL, state != NULL ? state : "", 0);
    if (code == NULL || estate == NULL) {
        sb_raw(req, 500, "text/plain", "500 out of memory\n");
        goto cleanup;
    }
    loclen = strlen(redirect) + strlen(code) + strlen(estate) + 32;
    loc = malloc(loclen);
    ac = &ctx->st.codes[ctx->st.n_codes];
    memset(ac, 0, sizeof *ac);
    ac->code = strdup(code);
    ac->app_id = strdup(app_id);
    ac->user_id = strdup(user_id);
    if (loc == NULL || ac->code == NULL || ac->app_id == NULL || ac->user_id == NULL) {
        free(ac->code);
        free(ac->app_id);
        free(ac->user_id);
        sb_raw(req, 500, "text/plain", "500 out of memory\n");
        goto cleanup;
    }
    ac->expires_ms = sb_now_ms(ctx) + SB_AUTH_CODE_TTL_MS;
    ctx->st.n_codes++;
    snprintf(loc, loclen, "%s%cauth_code=%s&state=%s", redirect,
             strchr(redirect, '?') != NULL ? '&' : '?', code, estate);
    sb_raw(req, 302, "text/plain", "302 redirecting to the app\n");
    req->location = loc;
    loc = NULL;
cleanup:
    pthread_mutex_unlock(&ctx->lock);
    free(code);
    curl_free(estate);
    free(loc);
}
