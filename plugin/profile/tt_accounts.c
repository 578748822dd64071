/*
 * tt_accounts.c - usable and excluded Ad Accounts of a profile.
 */
#include <config.h>

#include "profile/tt_accounts.h"

#include <stdio.h>
#include <stdlib.h>

static char *tt_dup0(const char *s)
{
    size_t n;
    char *d;

    if (s == NULL)
        s = "";
    n = strlen(s);
    d = malloc(n + 1);
    if (d != NULL)
        memcpy(d, s, n + 1);
    return d;
}

static int tt_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The writing role this relation gives, or NULL when it gives none. */
static const char *tt_write_role(const tt_bc *bc, const tt_bc_asset *a)
{
    if (tt_eq(a->advertiser_role, "ADMIN"))
        return "ADMIN";
    if (tt_eq(a->advertiser_role, "OPERATOR"))
        return "OPERATOR";
    if (tt_eq(a->relation_type, "OWNER_BC") && tt_eq(bc->user_role, "ADMIN"))
        return "OWNER";
    return NULL;
}

static int tt_add_usable(tt_account_set *s, const tt_advertiser *adv, const tt_bc *bc,
                         const char *role)
{
    tt_account *p = realloc(s->usable, (s->nusable + 1) * sizeof(*p));
    tt_account *a;

    if (p == NULL)
        return -1;
    s->usable = p;
    a = &p[s->nusable];
    a->advertiser_id = tt_dup0(adv->advertiser_id);
    a->name = tt_dup0(adv->name);
    a->bc_id = tt_dup0(bc->bc_id);
    a->bc_name = tt_dup0(bc->name);
    a->role = role;
    s->nusable++;
    if (a->advertiser_id == NULL || a->name == NULL || a->bc_id == NULL || a->bc_name == NULL)
        return -1;
    return 0;
}

static tt_excluded *tt_add_excluded(tt_account_set *s, const tt_advertiser *adv,
                                    const char *reason)
{
    tt_excluded *p = realloc(s->excluded, (s->nexcluded + 1) * sizeof(*p));
    tt_excluded *e;

    if (p == NULL)
        return NULL;
    s->excluded = p;
    e = &p[s->nexcluded];
    memset(e, 0, sizeof(*e));
    e->advertiser_id = tt_dup0(adv->advertiser_id);
    e->name = tt_dup0(adv->name);
    e->reason = reason;
    s->nexcluded++;
    if (e->advertiser_id == NULL || e->name == NULL)
        return NULL;
    return e;
}

int tt_accounts_classify(const tt_advertiser_list *authorized, const tt_bc_list *bcs,
                         const tt_bc_asset_list *assets, tt_account_set *out)
{
    size_t i, b, k;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < authorized->count; i++) {
        const tt_advertiser *adv = &authorized->items[i];
        const tt_bc_asset *unbound = NULL, *readonly = NULL;
        const tt_bc *best_bc = NULL;
        const char *best_role = NULL;
        tt_excluded *e;

        for (b = 0; b < bcs->count && best_role == NULL; b++) {
            for (k = 0; k < assets[b].count; k++) {
                const tt_bc_asset *a = &assets[b].items[k];
                const char *role;

                if (!tt_eq(a->asset_id, adv->advertiser_id))
                    continue;
                if (!tt_eq(a->relation_status, "BOUND")) {
                    unbound = a;
                    continue;
                }
                role = tt_write_role(&bcs->items[b], a);
                if (role == NULL) {
                    readonly = a;
                    continue;
                }
                best_role = role;
                best_bc = &bcs->items[b];
                break;
            }
        }
        if (best_role != NULL) {
            if (tt_add_usable(out, adv, best_bc, best_role) != 0)
                goto oom;
            continue;
        }
        /* The most specific reason wins: a role problem is more useful to
           hear about than a relation problem elsewhere. */
        if (readonly != NULL) {
            e = tt_add_excluded(out, adv, "read_only_role");
            if (e == NULL)
                goto oom;
            snprintf(e->detail, sizeof(e->detail),
                     "Your role on this Ad Account is %s, which is read-only; audiences "
                     "need Admin, Operator or Owner.",
                     readonly->advertiser_role != NULL && readonly->advertiser_role[0] != '\0'
                         ? readonly->advertiser_role : "none");
        } else if (unbound != NULL) {
            e = tt_add_excluded(out, adv, "not_bound");
            if (e == NULL)
                goto oom;
            snprintf(e->detail, sizeof(e->detail),
                     "The Ad Account's link to its Business Center is %s, not BOUND.",
                     unbound->relation_status != NULL ? unbound->relation_status : "unknown");
        } else {
            e = tt_add_excluded(out, adv, "outside_business_center");
            if (e == NULL)
                goto oom;
            snprintf(e->detail, sizeof(e->detail),
                     "The Ad Account is not in any Business Center you can reach; add it "
                     "to your Business Center and re-authorize.");
        }
    }
    return 0;
oom:
    tt_account_set_free(out);
    return -1;
}

void tt_account_set_free(tt_account_set *set)
{
    size_t i;

    if (set == NULL)
        return;
    for (i = 0; i < set->nusable; i++) {
        free(set->usable[i].advertiser_id);
        free(set->usable[i].name);
        free(set->usable[i].bc_id);
        free(set->usable[i].bc_name);
    }
    for (i = 0; i < set->nexcluded; i++) {
        free(set->excluded[i].advertiser_id);
        free(set->excluded[i].name);
    }
    free(set->usable);
    free(set->excluded);
    memset(set, 0, sizeof(*set));
}

static int tt_add_str(json_object *o, const char *k, const char *v)
{
    json_object *s = json_object_new_string(v != NULL ? v : "");

    if (s == NULL || json_object_object_add(o, k, s) != 0) {
        json_object_put(s);
        return -1;
    }
    return 0;
}

static int tt_array_push(json_object *arr, json_object *item)
{
    if (item == NULL || json_object_array_add(arr, item) != 0) {
        json_object_put(item);
        return -1;
    }
    return 0;
}

json_object *tt_accounts_usable_json(const tt_account_set *set)
{
    json_object *arr = json_object_new_array();
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < set->nusable; i++) {
        const tt_account *a = &set->usable[i];
        json_object *o = json_object_new_object();

        if (o == NULL || tt_add_str(o, "advertiser_id", a->advertiser_id) != 0
            || tt_add_str(o, "name", a->name) != 0 || tt_add_str(o, "bc_id", a->bc_id) != 0
            || tt_add_str(o, "bc_name", a->bc_name) != 0 || tt_add_str(o, "role", a->role) != 0) {
            json_object_put(o);
            json_object_put(arr);
            return NULL;
        }
        if (tt_array_push(arr, o) != 0) {   /* frees o */
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

json_object *tt_accounts_excluded_json(const tt_account_set *set)
{
    json_object *arr = json_object_new_array();
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < set->nexcluded; i++) {
        const tt_excluded *e = &set->excluded[i];
        json_object *o = json_object_new_object();

        if (o == NULL || tt_add_str(o, "advertiser_id", e->advertiser_id) != 0
            || tt_add_str(o, "name", e->name) != 0 || tt_add_str(o, "reason", e->reason) != 0
            || tt_add_str(o, "detail", e->detail) != 0) {
            json_object_put(o);
            json_object_put(arr);
            return NULL;
        }
        if (tt_array_push(arr, o) != 0) {   /* frees o */
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}
