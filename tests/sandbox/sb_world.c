/* sb_world.c: the static world (apps, users, Business Centers, Ad
 * Accounts, roles) and the live state built from it (audiences, files,
 * tokens, auth codes, the operation log). The world JSON stays the source
 * of truth so "reset" is simply a rebuild. */
#include "sb.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- default world ----------------------------------------------------- */

static json_object *role(const char *user, const char *r, const char *key)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "user_id", json_object_new_string(user));
    json_object_object_add(o, key, json_object_new_string(r));
    return o;
}

static json_object *adv(const char *id, const char *name, const char *bc,
                        int prefilled, json_object *roles)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "advertiser_id", json_object_new_string(id));
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "owner_bc_id",
                           bc != NULL ? json_object_new_string(bc) : NULL);
    json_object_object_add(o, "roles", roles);
    json_object_object_add(o, "prefilled_audiences", json_object_new_int(prefilled));
    return o;
}

static json_object *arr(json_object *a, json_object *b, json_object *c)
{
    json_object *o = json_object_new_array();

    if (a != NULL) {
        json_object_array_add(o, a);
    }
    if (b != NULL) {
        json_object_array_add(o, b);
    }
    if (c != NULL) {
        json_object_array_add(o, c);
    }
    return o;
}

/* Users: U1 is the main (default consenting) user; U2 owns the Acme BC;
 * U3 owns Initech, which U1 cannot reach at all. */
#define U1 "6912000000000000001"
#define U2 "6912000000000000002"
#define U3 "6912000000000000003"
#define BC1 "7012000000000000001"
#define BC2 "7012000000000000002"
#define BC3 "7012000000000000003"

json_object *sb_world_default(void)
{
    json_object *w = json_object_new_object();
    json_object *app = json_object_new_object();
    json_object *users, *bcs, *advs, *bc;

    json_object_object_add(app, "app_id", json_object_new_string("7312000000000000001"));
    json_object_object_add(app, "secret",
                           json_object_new_string("5b1c0d9e3f7a4c2e8d6b0a9f1e3c5d7b9a2f4e6c"));
    json_object_object_add(app, "redirect_uris",
                           arr(json_object_new_string("https://127.0.0.1/callback"),
                               json_object_new_string("http://127.0.0.1/callback"),
                               json_object_new_string("http://localhost/callback")));
    json_object_object_add(w, "apps", arr(app, NULL, NULL));

    users = json_object_new_array();
    {
        static const char *const u[][2] = {
            {U1, "Maya Main"}, {U2, "Olivia Owner"}, {U3, "Oscar Outsider"},
        };
        for (size_t i = 0; i < 3; i++) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "user_id", json_object_new_string(u[i][0]));
            json_object_object_add(o, "name", json_object_new_string(u[i][1]));
            json_object_array_add(users, o);
        }
    }
    json_object_object_add(w, "users", users);

    bcs = json_object_new_array();
    bc = json_object_new_object();
    json_object_object_add(bc, "bc_id", json_object_new_string(BC1));
    json_object_object_add(bc, "name", json_object_new_string("Acme Business Center"));
    json_object_object_add(bc, "members", arr(role(U2, "ADMIN", "user_role"),
                                              role(U1, "STANDARD", "user_role"), NULL));
    json_object_array_add(bcs, bc);
    bc = json_object_new_object();
    json_object_object_add(bc, "bc_id", json_object_new_string(BC2));
    json_object_object_add(bc, "name", json_object_new_string("Globex Business Center"));
    json_object_object_add(bc, "members", arr(role(U1, "ADMIN", "user_role"),
                                              role(U3, "STANDARD", "user_role"), NULL));
    json_object_array_add(bcs, bc);
    bc = json_object_new_object();
    json_object_object_add(bc, "bc_id", json_object_new_string(BC3));
    json_object_object_add(bc, "name", json_object_new_string("Initech Business Center"));
    json_object_object_add(bc, "members", arr(role(U3, "ADMIN", "user_role"), NULL, NULL));
    json_object_array_add(bcs, bc);
    json_object_object_add(w, "business_centers", bcs);

    advs = json_object_new_array();
    json_object_array_add(advs, adv("7212000000000000001", "Acme US", BC1, 0,
                                    arr(role(U1, "ADMIN", "advertiser_role"), NULL, NULL)));
    json_object_array_add(advs, adv("7212000000000000002", "Acme EU", BC1, 0,
                                    arr(role(U1, "OPERATOR", "advertiser_role"), NULL, NULL)));
    json_object_array_add(advs, adv("7212000000000000003", "Acme Insights", BC1, 0,
                                    arr(role(U1, "ANALYST", "advertiser_role"), NULL, NULL)));
    json_object_array_add(advs, adv("7212000000000000004", "Acme Crowded", BC1, 398,
                                    arr(role(U1, "OPERATOR", "advertiser_role"), NULL, NULL)));
    json_object_array_add(advs, adv("7212000000000000005", "Globex Main", BC2, 0,
                                    arr(role(U3, "ANALYST", "advertiser_role"), NULL, NULL)));
    json_object_array_add(advs, adv("7212000000000000006", "Solo Shop", NULL, 0,
                                    arr(role(U1, "ADMIN", "advertiser_role"), NULL, NULL)));
    json_object_array_add(advs, adv("7212000000000000007", "Initech Ads", BC3, 0,
                                    arr(role(U3, "ADMIN", "advertiser_role"), NULL, NULL)));
    json_object_object_add(w, "advertisers", advs);
    return w;
}

/* ---- validation --------------------------------------------------------- */

static int need_str(json_object *o, const char *key, const char *where,
                    char *err, size_t errlen)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)
        || json_object_get_string_len(v) == 0
        || json_object_get_string_len(v) >= SB_ID_MAX * 4) {
        snprintf(err, errlen, "world: %s.%s must be a non-empty string", where, key);
        return -1;
    }
    return 0;
}

/* An optional marker around issued codes/tokens: letters, digits and '-'
 * (they travel in a query string and an HTTP header), at most 32. */
static int opt_marker(json_object *o, const char *key, const char *where,
                      char *err, size_t errlen)
{
    json_object *v;
    const char *s;

    if (!json_object_object_get_ex(o, key, &v)) {
        return 0;
    }
    s = json_object_get_string(v);
    if (!json_object_is_type(v, json_type_string) || s[0] == '\0' || strlen(s) > 32
        || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
               != strlen(s)) {
        snprintf(err, errlen, "world: %s.%s must be 1-32 letters, digits or '-'", where, key);
        return -1;
    }
    return 0;
}

/* Ids must be digits like TikTok's int64 ids: the API only accepts those. */
static int need_id(json_object *o, const char *key, const char *where,
                   char *err, size_t errlen)
{
    const char *s = sb_w_str(o, key);

    if (!sb_is_id(s)) {
        snprintf(err, errlen, "world: %s.%s must be a string of 1-19 digits", where, key);
        return -1;
    }
    return 0;
}

static int need_arr(json_object *o, const char *key, const char *where,
                    json_object **out, char *err, size_t errlen)
{
    if (!json_object_object_get_ex(o, key, out) || !json_object_is_type(*out, json_type_array)) {
        snprintf(err, errlen, "world: %s.%s must be an array", where, key);
        return -1;
    }
    return 0;
}

int sb_world_validate(json_object *w, char *err, size_t errlen)
{
    json_object *a, *x, *y;
    char where[96];

    if (!json_object_is_type(w, json_type_object)) {
        snprintf(err, errlen, "world: the top level must be a JSON object");
        return -1;
    }
    if (need_arr(w, "apps", "world", &a, err, errlen) != 0) {
        return -1;
    }
    if (json_object_array_length(a) == 0) {
        snprintf(err, errlen, "world: apps must hold at least one app");
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        snprintf(where, sizeof where, "apps[%zu]", i);
        x = json_object_array_get_idx(a, i);
        if (need_id(x, "app_id", where, err, errlen) != 0
            || need_str(x, "secret", where, err, errlen) != 0
            || need_arr(x, "redirect_uris", where, &y, err, errlen) != 0
            || opt_marker(x, "code_marker", where, err, errlen) != 0
            || opt_marker(x, "token_marker", where, err, errlen) != 0) {
            return -1;
        }
    }
    if (need_arr(w, "users", "world", &a, err, errlen) != 0) {
        return -1;
    }
    if (json_object_array_length(a) == 0) {
        snprintf(err, errlen, "world: users must hold at least one user");
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        snprintf(where, sizeof where, "users[%zu]", i);
        if (need_id(json_object_array_get_idx(a, i), "user_id", where, err, errlen) != 0) {
            return -1;
        }
    }
    if (need_arr(w, "business_centers", "world", &a, err, errlen) != 0) {
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        snprintf(where, sizeof where, "business_centers[%zu]", i);
        x = json_object_array_get_idx(a, i);
        if (need_id(x, "bc_id", where, err, errlen) != 0
            || need_arr(x, "members", where, &y, err, errlen) != 0) {
            return -1;
        }
        for (size_t j = 0; j < json_object_array_length(y); j++) {
            json_object *m = json_object_array_get_idx(y, j);
            const char *r = sb_w_str(m, "user_role");
            if (sb_w_str(m, "user_id") == NULL || r == NULL
                || (strcmp(r, "ADMIN") != 0 && strcmp(r, "STANDARD") != 0)) {
                snprintf(err, errlen, "world: %s.members[%zu] needs user_id and "
                         "user_role ADMIN|STANDARD", where, j);
                return -1;
            }
        }
    }
    if (need_arr(w, "advertisers", "world", &a, err, errlen) != 0) {
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *pf;
        snprintf(where, sizeof where, "advertisers[%zu]", i);
        x = json_object_array_get_idx(a, i);
        if (need_id(x, "advertiser_id", where, err, errlen) != 0
            || need_arr(x, "roles", where, &y, err, errlen) != 0) {
            return -1;
        }
        for (size_t j = 0; j < json_object_array_length(y); j++) {
            json_object *m = json_object_array_get_idx(y, j);
            const char *r = sb_w_str(m, "advertiser_role");
            if (sb_w_str(m, "user_id") == NULL || r == NULL
                || (strcmp(r, "ADMIN") != 0 && strcmp(r, "OPERATOR") != 0
                    && strcmp(r, "ANALYST") != 0)) {
                snprintf(err, errlen, "world: %s.roles[%zu] needs user_id and "
                         "advertiser_role ADMIN|OPERATOR|ANALYST", where, j);
                return -1;
            }
        }
        if (json_object_object_get_ex(x, "prefilled_audiences", &pf) && pf != NULL
            && (!json_object_is_type(pf, json_type_int) || json_object_get_int64(pf) < 0
                || json_object_get_int64(pf) > SB_MAX_AUDIENCES)) {
            snprintf(err, errlen, "world: %s.prefilled_audiences must be 0..%d",
                     where, SB_MAX_AUDIENCES);
            return -1;
        }
    }
    return sb_seed_validate(w, err, errlen);
}

/* ---- world queries ------------------------------------------------------ */

const char *sb_w_str(json_object *o, const char *key)
{
    json_object *v;

    if (o == NULL || !json_object_object_get_ex(o, key, &v)
        || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

static json_object *find_in(json_object *w, const char *list, const char *key,
                            const char *id)
{
    json_object *a;

    if (id == NULL || !json_object_object_get_ex(w, list, &a)) {
        return NULL;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *o = json_object_array_get_idx(a, i);
        const char *v = sb_w_str(o, key);
        if (v != NULL && strcmp(v, id) == 0) {
            return o;
        }
    }
    return NULL;
}

json_object *sb_w_app(sb_ctx *ctx, const char *id)
{
    return find_in(ctx->world, "apps", "app_id", id);
}

json_object *sb_w_user(sb_ctx *ctx, const char *id)
{
    return find_in(ctx->world, "users", "user_id", id);
}

json_object *sb_w_advertiser(sb_ctx *ctx, const char *id)
{
    return find_in(ctx->world, "advertisers", "advertiser_id", id);
}

json_object *sb_w_bc(sb_ctx *ctx, const char *id)
{
    return find_in(ctx->world, "business_centers", "bc_id", id);
}

const char *sb_role_name(int r)
{
    return r == SB_ROLE_ADMIN ? "ADMIN" : r == SB_ROLE_OPERATOR ? "OPERATOR"
         : r == SB_ROLE_ANALYST ? "ANALYST" : "NONE";
}

int sb_w_bc_role(sb_ctx *ctx, const char *user_id, const char *bc_id)
{
    json_object *bc = sb_w_bc(ctx, bc_id), *m;

    if (bc == NULL || !json_object_object_get_ex(bc, "members", &m)) {
        return SB_ROLE_NONE;
    }
    for (size_t i = 0; i < json_object_array_length(m); i++) {
        json_object *o = json_object_array_get_idx(m, i);
        const char *u = sb_w_str(o, "user_id"), *r = sb_w_str(o, "user_role");
        if (u != NULL && r != NULL && strcmp(u, user_id) == 0) {
            return strcmp(r, "ADMIN") == 0 ? SB_ROLE_ADMIN : SB_ROLE_ANALYST;
        }
    }
    return SB_ROLE_NONE;
}

int sb_w_role(sb_ctx *ctx, const char *user_id, const char *adv_id)
{
    json_object *a = sb_w_advertiser(ctx, adv_id), *roles;
    const char *bc;
    int best = SB_ROLE_NONE;

    if (a == NULL) {
        return SB_ROLE_NONE;
    }
    /* A BC ADMIN manages every account the BC owns (the seed's "Owner").
     * A STANDARD member reaches only accounts assigned to them. */
    bc = sb_w_str(a, "owner_bc_id");
    if (bc != NULL && sb_w_bc_role(ctx, user_id, bc) == SB_ROLE_ADMIN) {
        return SB_ROLE_ADMIN;
    }
    if (json_object_object_get_ex(a, "roles", &roles)) {
        for (size_t i = 0; i < json_object_array_length(roles); i++) {
            json_object *o = json_object_array_get_idx(roles, i);
            const char *u = sb_w_str(o, "user_id"), *r = sb_w_str(o, "advertiser_role");
            int v;
            if (u == NULL || r == NULL || strcmp(u, user_id) != 0) {
                continue;
            }
            v = strcmp(r, "ADMIN") == 0 ? SB_ROLE_ADMIN
              : strcmp(r, "OPERATOR") == 0 ? SB_ROLE_OPERATOR : SB_ROLE_ANALYST;
            if (v > best) {
                best = v;
            }
        }
    }
    return best;
}

json_object *sb_w_covered(sb_ctx *ctx, const char *user_id)
{
    json_object *out = json_object_new_array(), *a;

    if (out == NULL || !json_object_object_get_ex(ctx->world, "advertisers", &a)) {
        return out;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        const char *id = sb_w_str(json_object_array_get_idx(a, i), "advertiser_id");
        if (sb_w_role(ctx, user_id, id) != SB_ROLE_NONE) {
            json_object_array_add(out, json_object_new_string(id));
        }
    }
    return out;
}

/* ---- live state ------------------------------------------------------------ */

int64_t sb_now_ms(const sb_ctx *ctx)
{
    return sb_real_ms() + ctx->st.clock_offset_ms;
}

char *sb_random_hex(size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    char *s;

    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1) {
        return NULL;
    }
    s = malloc(nbytes * 2 + 1);
    if (s == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < nbytes; i++) {
        s[2 * i] = hex[raw[i] >> 4];
        s[2 * i + 1] = hex[raw[i] & 15];
    }
    s[nbytes * 2] = '\0';
    return s;
}

static void free_audience(sb_audience *a)
{
    if (a == NULL) {
        return;
    }
    free(a->audience_id);
    free(a->advertiser_id);
    free(a->name);
    free(a->sub_type);
    sb_members_free(a->members);
    for (size_t i = 0; i < a->n_shared; i++) {
        free(a->shared_with[i]);
    }
    free(a->shared_with);
    free(a);
}

void sb_state_free(sb_ctx *ctx)
{
    sb_state *st = &ctx->st;

    for (size_t i = 0; i < st->n_aud; i++) {
        free_audience(st->aud[i]);
    }
    free(st->aud);
    for (size_t i = 0; i < st->n_files; i++) {
        if (st->files[i]->disk_path != NULL) {
            unlink(st->files[i]->disk_path);
        }
        free(st->files[i]->path_id);
        free(st->files[i]->advertiser_id);
        free(st->files[i]->disk_path);
        free(st->files[i]);
    }
    free(st->files);
    for (size_t i = 0; i < st->n_tokens; i++) {
        free(st->tokens[i].token);
        free(st->tokens[i].app_id);
        free(st->tokens[i].user_id);
    }
    free(st->tokens);
    for (size_t i = 0; i < st->n_codes; i++) {
        free(st->codes[i].code);
        free(st->codes[i].app_id);
        free(st->codes[i].user_id);
    }
    free(st->codes);
    for (size_t i = 0; i < st->n_ops; i++) {
        free(st->ops[i].op);
        free(st->ops[i].action);
        free(st->ops[i].audience_id);
        free(st->ops[i].advertiser_id);
    }
    free(st->ops);
    memset(st, 0, sizeof *st);
}

sb_audience *sb_st_new_audience(sb_ctx *ctx, const char *adv_id,
                                const char *name, int calc_type)
{
    sb_state *st = &ctx->st;
    sb_audience *a = NULL;
    char id[32];
    int64_t now = sb_now_ms(ctx);

    if (st->n_aud == st->cap_aud) {
        size_t ncap = st->cap_aud == 0 ? 64 : st->cap_aud * 2;
        sb_audience **n = realloc(st->aud, ncap * sizeof *n);
        if (n == NULL) {
            return NULL;
        }
        st->aud = n;
        st->cap_aud = ncap;
    }
    a = calloc(1, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    /* 19 digits like TikTok's; sequential so a reset replays the same ids. */
    snprintf(id, sizeof id, "%llu",
             7400000000000000000ULL + (unsigned long long)++st->next_audience);
    a->audience_id = strdup(id);
    a->advertiser_id = strdup(adv_id);
    a->name = strdup(name);
    a->sub_type = strdup("NORMAL");
    a->members = sb_members_new();
    if (a->audience_id == NULL || a->advertiser_id == NULL || a->name == NULL
        || a->sub_type == NULL || a->members == NULL) {
        free_audience(a);
        return NULL;
    }
    a->calculate_type = calc_type;
    a->create_ms = now;
    a->modify_ms = now;
    a->ready_ms = now + ctx->processing_delay_ms;
    st->aud[st->n_aud++] = a;
    return a;
}

void sb_st_delete_audience(sb_ctx *ctx, sb_audience *a)
{
    sb_state *st = &ctx->st;

    for (size_t i = 0; i < st->n_aud; i++) {
        if (st->aud[i] == a) {
            memmove(&st->aud[i], &st->aud[i + 1], (st->n_aud - i - 1) * sizeof *st->aud);
            st->n_aud--;
            free_audience(a);
            return;
        }
    }
}

sb_audience *sb_st_audience(sb_ctx *ctx, const char *id)
{
    for (size_t i = 0; i < ctx->st.n_aud; i++) {
        if (strcmp(ctx->st.aud[i]->audience_id, id) == 0) {
            return ctx->st.aud[i];
        }
    }
    return NULL;
}

size_t sb_st_count_owned(sb_ctx *ctx, const char *adv_id)
{
    size_t n = 0;

    for (size_t i = 0; i < ctx->st.n_aud; i++) {
        n += strcmp(ctx->st.aud[i]->advertiser_id, adv_id) == 0;
    }
    return n;
}

sb_file *sb_st_file(sb_ctx *ctx, const char *path_id)
{
    for (size_t i = 0; i < ctx->st.n_files; i++) {
        if (strcmp(ctx->st.files[i]->path_id, path_id) == 0) {
            return ctx->st.files[i];
        }
    }
    return NULL;
}

int sb_st_add_op(sb_ctx *ctx, const char *op, const char *action,
                 const char *aud_id, const char *adv_id, bool counts_daily)
{
    sb_state *st = &ctx->st;
    sb_op *o;

    if (st->n_ops == st->cap_ops) {
        size_t ncap = st->cap_ops == 0 ? 64 : st->cap_ops * 2;
        sb_op *n = realloc(st->ops, ncap * sizeof *n);
        if (n == NULL) {
            return -1;
        }
        st->ops = n;
        st->cap_ops = ncap;
    }
    o = &st->ops[st->n_ops];
    memset(o, 0, sizeof *o);
    o->op = strdup(op);
    o->action = strdup(action);
    o->audience_id = strdup(aud_id);
    o->advertiser_id = strdup(adv_id);
    if (o->op == NULL || o->action == NULL || o->audience_id == NULL
        || o->advertiser_id == NULL) {
        free(o->op);
        free(o->action);
        free(o->audience_id);
        free(o->advertiser_id);
        return -1;
    }
    o->time_ms = sb_now_ms(ctx);
    sb_utc_day(o->time_ms, o->utc_day, sizeof o->utc_day);
    o->counts_daily = counts_daily;
    st->n_ops++;
    return 0;
}

size_t sb_st_daily_updates(sb_ctx *ctx, const char *adv_id, int64_t now)
{
    char day[11];
    size_t n = 0;

    sb_utc_day(now, day, sizeof day);
    for (size_t i = 0; i < ctx->st.n_ops; i++) {
        const sb_op *o = &ctx->st.ops[i];
        n += o->counts_daily && strcmp(o->advertiser_id, adv_id) == 0
             && strcmp(o->utc_day, day) == 0;
    }
    return n;
}

int64_t sb_aud_expire_ms(const sb_audience *a)
{
    if (a->retention_in_days > 0) {
        return a->create_ms + (int64_t)a->retention_in_days * SB_DAY_MS;
    }
    return a->modify_ms + 365 * SB_DAY_MS;
}

size_t sb_aud_cover(const sb_ctx *ctx, const sb_audience *a)
{
    int64_t now = sb_now_ms(ctx);

    if (now >= sb_aud_expire_ms(a)) {
        return 0;
    }
    if (now < a->ready_ms) {
        return a->prev_cover;
    }
    return sb_members_count(a->members);
}

bool sb_aud_valid(const sb_ctx *ctx, const sb_audience *a)
{
    int64_t now = sb_now_ms(ctx);

    return now >= a->ready_ms && now < sb_aud_expire_ms(a)
           && sb_members_count(a->members) >= SB_MIN_AUDIENCE;
}

int sb_state_reset(sb_ctx *ctx, char *err, size_t errlen)
{
    json_object *advs;

    sb_state_free(ctx);
    ctx->resets++;
    if (!json_object_object_get_ex(ctx->world, "advertisers", &advs)) {
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i), *pf;
        int64_t n = 0;
        if (json_object_object_get_ex(a, "prefilled_audiences", &pf) && pf != NULL) {
            n = json_object_get_int64(pf);
        }
        for (int64_t k = 0; k < n; k++) {
            char name[64];
            sb_audience *aud;
            snprintf(name, sizeof name, "Prefilled audience %lld", (long long)k + 1);
            aud = sb_st_new_audience(ctx, sb_w_str(a, "advertiser_id"), name,
                                     SB_T_EMAIL_SHA256);
            if (aud == NULL) {
                snprintf(err, errlen, "out of memory creating prefilled audiences");
                return -1;
            }
            aud->ready_ms = aud->create_ms;
        }
    }
    return sb_seed_apply(ctx, err, errlen);
}
