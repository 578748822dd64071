/* sb_world_seed.c: the live part of a world file. Besides apps, users,
 * Business Centers and Ad Accounts, a world may carry "tokens" (access
 * tokens already issued) and "audiences" (with their members per
 * identifier type), so a test can restart the sandbox in the state a
 * previous run left; GET /sandbox/world/state writes exactly that file.
 * Seeded objects are rebuilt on every /sandbox/reset like the rest. */
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Audience ids are 7400000000000000000 + a counter (sb_st_new_audience). */
#define AUD_ID_BASE 7400000000000000000ULL

static bool opt_int(json_object *o, const char *key, int64_t *out)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
        return true;
    }
    if (!json_object_is_type(v, json_type_int)) {
        return false;
    }
    *out = json_object_get_int64(v);
    return true;
}

/* A member type name of the members object; MAID_* are FIRST_* aliases. */
static bool member_type_fits(int calc, int t)
{
    if (calc == SB_T_MULTIPLE) {
        return t == SB_T_EMAIL_SHA256 || t == SB_T_PHONE_SHA256 || t == SB_T_FIRST_SHA256
               || t == SB_T_FIRST_MD5;
    }
    return t == calc;
}

static int validate_tokens(json_object *w, char *err, size_t errlen)
{
    json_object *a;

    if (!json_object_object_get_ex(w, "tokens", &a) || a == NULL) {
        return 0;
    }
    if (!json_object_is_type(a, json_type_array)) {
        snprintf(err, errlen, "world: tokens must be an array");
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *t = json_object_array_get_idx(a, i), *r;
        const char *tok = sb_w_str(t, "access_token");
        if (tok == NULL || tok[0] == '\0' || strlen(tok) > 256
            || !sb_is_id(sb_w_str(t, "app_id")) || !sb_is_id(sb_w_str(t, "user_id"))
            || (json_object_object_get_ex(t, "revoked", &r) && r != NULL
                && !json_object_is_type(r, json_type_boolean))) {
            snprintf(err, errlen, "world: tokens[%zu] needs access_token (1-256 characters), "
                     "app_id and user_id (digits), and an optional boolean revoked", i);
            return -1;
        }
    }
    return 0;
}

static int validate_members(json_object *m, int calc, size_t i, char *err, size_t errlen)
{
    if (m == NULL) {
        return 0;
    }
    if (!json_object_is_type(m, json_type_object)) {
        snprintf(err, errlen, "world: audiences[%zu].members must be an object of "
                 "TYPE: [hex digests]", i);
        return -1;
    }
    json_object_object_foreach(m, key, val) {
        int t = sb_idtype_parse_upload(key);
        if (t == 0 || !member_type_fits(calc, t)) {
            snprintf(err, errlen, "world: audiences[%zu].members.%s: not an identifier type "
                     "a %s audience holds", i, key, sb_idtype_name(calc));
            return -1;
        }
        if (!json_object_is_type(val, json_type_array)) {
            snprintf(err, errlen, "world: audiences[%zu].members.%s must be an array of "
                     "hex digests", i, key);
            return -1;
        }
    }
    return 0;
}

static int validate_audiences(json_object *w, char *err, size_t errlen)
{
    json_object *a;

    if (!json_object_object_get_ex(w, "audiences", &a) || a == NULL) {
        return 0;
    }
    if (!json_object_is_type(a, json_type_array)) {
        snprintf(err, errlen, "world: audiences must be an array");
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *o = json_object_array_get_idx(a, i), *m = NULL;
        const char *name = sb_w_str(o, "name");
        int calc = sb_idtype_parse_create(sb_w_str(o, "calculate_type"));
        int64_t x = 0, days = 0;
        if (!sb_is_id(sb_w_str(o, "audience_id")) || !sb_is_id(sb_w_str(o, "advertiser_id"))
            || name == NULL || name[0] == '\0' || strlen(name) > 512 || calc == 0) {
            snprintf(err, errlen, "world: audiences[%zu] needs audience_id and advertiser_id "
                     "(digits), a name and a calculate_type of the create enum (%s)", i,
                     sb_idtype_create_enum());
            return -1;
        }
        if (!opt_int(o, "create_time_ms", &x) || !opt_int(o, "modify_time_ms", &x)
            || !opt_int(o, "last_replace_time_ms", &x)
            || !opt_int(o, "retention_in_days", &days) || days < 0 || days > 365) {
            snprintf(err, errlen, "world: audiences[%zu]: create_time_ms, modify_time_ms, "
                     "last_replace_time_ms must be integers (ms since 1970), "
                     "retention_in_days 0-365", i);
            return -1;
        }
        json_object_object_get_ex(o, "members", &m);
        if (validate_members(m, calc, i, err, errlen) != 0) {
            return -1;
        }
    }
    return 0;
}

int sb_seed_validate(json_object *w, char *err, size_t errlen)
{
    if (validate_tokens(w, err, errlen) != 0) {
        return -1;
    }
    return validate_audiences(w, err, errlen);
}

static int seed_tokens(sb_ctx *ctx, char *err, size_t errlen)
{
    sb_state *st = &ctx->st;
    json_object *a, *r;

    if (!json_object_object_get_ex(ctx->world, "tokens", &a) || a == NULL) {
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *t = json_object_array_get_idx(a, i);
        sb_token *k;
        if (sb_w_app(ctx, sb_w_str(t, "app_id")) == NULL
            || sb_w_user(ctx, sb_w_str(t, "user_id")) == NULL) {
            snprintf(err, errlen, "world: tokens[%zu]: app_id or user_id is not in the world",
                     i);
            return -1;
        }
        if (st->n_tokens == st->cap_tokens) {
            size_t ncap = st->cap_tokens == 0 ? 16 : st->cap_tokens * 2;
            sb_token *n = realloc(st->tokens, ncap * sizeof *n);
            if (n == NULL) {
                goto oom;
            }
            st->tokens = n;
            st->cap_tokens = ncap;
        }
        k = &st->tokens[st->n_tokens];
        memset(k, 0, sizeof *k);
        k->token = strdup(sb_w_str(t, "access_token"));
        k->app_id = strdup(sb_w_str(t, "app_id"));
        k->user_id = strdup(sb_w_str(t, "user_id"));
        k->revoked = json_object_object_get_ex(t, "revoked", &r) && json_object_get_boolean(r);
        st->n_tokens++;   /* counted first so sb_state_free frees a partial one */
        if (k->token == NULL || k->app_id == NULL || k->user_id == NULL) {
            goto oom;
        }
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory seeding tokens");
    return -1;
}

static int seed_members(sb_audience *a, json_object *m, size_t i, char *err, size_t errlen)
{
    uint8_t key[32];

    if (m == NULL) {
        return 0;
    }
    json_object_object_foreach(m, tname, list) {
        int t = sb_idtype_parse_upload(tname);
        size_t len = sb_idtype_len(t);
        for (size_t j = 0; j < json_object_array_length(list); j++) {
            json_object *v = json_object_array_get_idx(list, j);
            const char *hex = json_object_get_string(v);
            bool ok = json_object_is_type(v, json_type_string) && strlen(hex) == 2 * len;
            memset(key, 0, sizeof key);
            for (size_t b = 0; ok && b < len; b++) {
                unsigned x;
                ok = sscanf(hex + 2 * b, "%2x", &x) == 1
                     && strchr("0123456789abcdefABCDEF", hex[2 * b]) != NULL
                     && strchr("0123456789abcdefABCDEF", hex[2 * b + 1]) != NULL;
                key[b] = (uint8_t)x;
            }
            if (!ok) {
                snprintf(err, errlen, "world: audiences[%zu].members.%s[%zu] is not a "
                         "%zu-character hex digest", i, tname, j, 2 * len);
                return -1;
            }
            if (sb_members_add(a->members, key, t) < 0) {
                snprintf(err, errlen, "out of memory seeding audiences");
                return -1;
            }
        }
    }
    return 0;
}

/* One seeded audience: the given id and times, ready (not processing). */
static int seed_audience(sb_ctx *ctx, json_object *o, size_t i, char *err, size_t errlen)
{
    const char *id = sb_w_str(o, "audience_id"), *adv = sb_w_str(o, "advertiser_id");
    int64_t now = sb_now_ms(ctx), v;
    unsigned long long n = strtoull(id, NULL, 10);
    json_object *m = NULL;
    sb_audience *a;
    char *dup;

    if (sb_w_advertiser(ctx, adv) == NULL || sb_st_audience(ctx, id) != NULL
        || sb_st_count_owned(ctx, adv) >= SB_MAX_AUDIENCES) {
        snprintf(err, errlen, "world: audiences[%zu]: advertiser_id %s is not in the world, "
                 "audience_id %s is used twice, or the account has %d audiences already",
                 i, adv, id, SB_MAX_AUDIENCES);
        return -1;
    }
    a = sb_st_new_audience(ctx, adv, sb_w_str(o, "name"),
                           sb_idtype_parse_create(sb_w_str(o, "calculate_type")));
    dup = strdup(id);
    if (a == NULL || dup == NULL) {
        free(dup);
        snprintf(err, errlen, "out of memory seeding audiences");
        return -1;
    }
    /* The counter moves past a seeded id so later creates never reuse it. */
    ctx->st.next_audience--;
    if (n > AUD_ID_BASE && n - AUD_ID_BASE > ctx->st.next_audience) {
        ctx->st.next_audience = n - AUD_ID_BASE;
    }
    free(a->audience_id);
    a->audience_id = dup;
    v = now;
    opt_int(o, "create_time_ms", &v);
    a->create_ms = v;
    v = now;   /* absent: modified at load, so an old fixture never expires */
    opt_int(o, "modify_time_ms", &v);
    a->modify_ms = v;
    v = 0;
    opt_int(o, "last_replace_time_ms", &v);
    a->last_replace_ms = v;
    v = 0;
    opt_int(o, "retention_in_days", &v);
    a->retention_in_days = (int)v;
    a->ready_ms = a->create_ms < now ? a->create_ms : now;
    json_object_object_get_ex(o, "members", &m);
    return seed_members(a, m, i, err, errlen);
}

int sb_seed_apply(sb_ctx *ctx, char *err, size_t errlen)
{
    json_object *a;

    if (seed_tokens(ctx, err, errlen) != 0) {
        return -1;
    }
    if (!json_object_object_get_ex(ctx->world, "audiences", &a) || a == NULL) {
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        if (seed_audience(ctx, json_object_array_get_idx(a, i), i, err, errlen) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- writing the live state as a world file ---------------------------- */

/* {"TYPE":[hex,...]} sorted, for the types the audience holds. */
static json_object *dump_members(const sb_audience *a)
{
    json_object *out = json_object_new_object();

    for (int t = 1; out != NULL && t < SB_T_COUNT; t++) {
        char *text = NULL;
        size_t len = 0;
        json_object *list;
        if (sb_members_count_type(a->members, t) == 0) {
            continue;
        }
        if (sb_members_dump_sorted(a->members, t, false, &text, &len) != 0) {
            json_object_put(out);
            return NULL;
        }
        list = json_object_new_array();
        for (char *p = text, *nl; list != NULL && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
            json_object_array_add(list, json_object_new_string_len(p, (int)(nl - p)));
        }
        free(text);
        json_object_object_add(out, sb_idtype_name(t), list);
    }
    return out;
}

static json_object *dump_audience(const sb_audience *a)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "audience_id", json_object_new_string(a->audience_id));
    json_object_object_add(o, "advertiser_id", json_object_new_string(a->advertiser_id));
    json_object_object_add(o, "name", json_object_new_string(a->name));
    json_object_object_add(o, "calculate_type",
                           json_object_new_string(sb_idtype_name(a->calculate_type)));
    json_object_object_add(o, "create_time_ms", json_object_new_int64(a->create_ms));
    json_object_object_add(o, "modify_time_ms", json_object_new_int64(a->modify_ms));
    if (a->last_replace_ms != 0) {
        json_object_object_add(o, "last_replace_time_ms",
                               json_object_new_int64(a->last_replace_ms));
    }
    if (a->retention_in_days > 0) {
        json_object_object_add(o, "retention_in_days",
                               json_object_new_int(a->retention_in_days));
    }
    json_object_object_add(o, "members", dump_members(a));
    return o;
}

json_object *sb_seed_dump(sb_ctx *ctx)
{
    json_object *w = NULL, *toks, *auds, *advs;

    if (json_object_deep_copy(ctx->world, &w, NULL) != 0) {
        return NULL;
    }
    /* Prefilled audiences are dumped as audiences; do not make them twice. */
    if (json_object_object_get_ex(w, "advertisers", &advs)) {
        for (size_t i = 0; i < json_object_array_length(advs); i++) {
            json_object_object_del(json_object_array_get_idx(advs, i), "prefilled_audiences");
        }
    }
    toks = json_object_new_array();
    for (size_t i = 0; toks != NULL && i < ctx->st.n_tokens; i++) {
        const sb_token *t = &ctx->st.tokens[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "access_token", json_object_new_string(t->token));
        json_object_object_add(o, "app_id", json_object_new_string(t->app_id));
        json_object_object_add(o, "user_id", json_object_new_string(t->user_id));
        json_object_object_add(o, "revoked", json_object_new_boolean(t->revoked));
        json_object_array_add(toks, o);
    }
    auds = json_object_new_array();
    for (size_t i = 0; auds != NULL && i < ctx->st.n_aud; i++) {
        json_object_array_add(auds, dump_audience(ctx->st.aud[i]));
    }
    json_object_object_add(w, "tokens", toks);
    json_object_object_add(w, "audiences", auds);
    return w;
}
