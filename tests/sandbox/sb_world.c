/* sb_world.c: the static world (apps, users, Business Centers, Ad
 * Accounts, roles): its default, its validation and the queries on it.
 * The world JSON stays the source of truth so "reset" is simply a rebuild
 * of the live state (sb_state.c). */
#include "sb.h"

#include <stdio.h>
#include <string.h>

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

static int sb_check_apps(json_object *w, char *err, size_t errlen)
{
    json_object *a, *x, *y;
    char where[96];

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
    return 0;
}

static int sb_check_users(json_object *w, char *err, size_t errlen)
{
    json_object *a;
    char where[96];

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
    return 0;
}

static int sb_check_bcs(json_object *w, char *err, size_t errlen)
{
    json_object *a, *x, *y;
    char where[96];

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
    return 0;
}

/* One advertisers[] entry; where names it in messages. */
static int sb_check_advertiser(json_object *x, const char *where, char *err, size_t errlen)
{
    json_object *y, *pf;

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
    return 0;
}

static int sb_check_advertisers(json_object *w, char *err, size_t errlen)
{
    json_object *a;
    char where[96];

    if (need_arr(w, "advertisers", "world", &a, err, errlen) != 0) {
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        snprintf(where, sizeof where, "advertisers[%zu]", i);
        if (sb_check_advertiser(json_object_array_get_idx(a, i), where, err, errlen) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Sections in the order the messages have always come in: the first
 * fault found is the one reported. */
int sb_world_validate(json_object *w, char *err, size_t errlen)
{
    if (!json_object_is_type(w, json_type_object)) {
        snprintf(err, errlen, "world: the top level must be a JSON object");
        return -1;
    }
    if (sb_check_apps(w, err, errlen) != 0 || sb_check_users(w, err, errlen) != 0
        || sb_check_bcs(w, err, errlen) != 0 || sb_check_advertisers(w, err, errlen) != 0) {
        return -1;
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
