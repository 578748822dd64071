/* tt_targets.c - the targets of a run and the connection's layout (see tt_targets.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tt_kv.h"
#include "delivery/tt_dkeys.h"
#include "delivery/tt_health.h"
#include "delivery/tt_targets.h"

#define TT_ALL_TYPES ((1u << TT_ID_TYPE_COUNT) - 1u)
#define TT_MULTI_SLOT "multiple_types"

unsigned tt_targets_types_for_calc(const char *calc)
{
    if (strcmp(calc, "MULTIPLE_TYPES") == 0) return TT_ALL_TYPES;
    if (strcmp(calc, "EMAIL_SHA256") == 0) return 1u << TT_ID_EMAIL_SHA256;
    if (strcmp(calc, "PHONE_SHA256") == 0) return 1u << TT_ID_PHONE_SHA256;
    if (strcmp(calc, "IDFA_SHA256") == 0) return 1u << TT_ID_IDFA_SHA256;
    if (strcmp(calc, "GAID_SHA256") == 0) return 1u << TT_ID_GAID_SHA256;
    /* Either mobile id, hashed with SHA-256. */
    if (strcmp(calc, "FIRST_SHA256") == 0 || strcmp(calc, "MAID_SHA256") == 0)
        return (1u << TT_ID_IDFA_SHA256) | (1u << TT_ID_GAID_SHA256);
    return 0;
}

static unsigned kinds_for_calc(const char *calc)
{
    return strcmp(calc, "MULTIPLE_TYPES") == 0 ? TT_KIND_BIT(TT_KIND_MULTI)
                                               : tt_targets_types_for_calc(calc);
}

/* A connection that delivered before 0.2 has per-type audience or intent
   keys; it keeps its audiences. */
static aconn_status has_legacy_keys(const aconn_host *host, const tt_conn *c, int *found,
                                    aconn_error *err)
{
    const tt_settings *s = c->settings;

    *found = 0;
    for (size_t i = 0; i < s->ntargets && !*found; i++) {
        if (!s->targets[i].create_new)
            continue;
        for (int ty = 0; ty < TT_ID_TYPE_COUNT && !*found; ty++) {
            const char *slug = tt_id_type_slug((tt_id_type) ty);
            char k1[TT_DKEY_MAX], k2[TT_DKEY_MAX];
            json_object *v = NULL;
            uint64_t ver;
            aconn_status st;

            if (tt_dkey_audience(k1, sizeof(k1), c->connection_id,
                                 s->targets[i].advertiser_id, slug) != 0 ||
                tt_dkey_intent(k2, sizeof(k2), c->connection_id,
                               s->targets[i].advertiser_id, slug) != 0)
                return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
            st = tt_kv_get(host, k1, &v, &ver, err);
            if (st == ACONN_ERR_NOT_FOUND)
                st = tt_kv_get(host, k2, &v, &ver, err);
            json_object_put(v);
            if (st == ACONN_OK)
                *found = 1;
            else if (st != ACONN_ERR_NOT_FOUND)
                return st;
        }
    }
    return ACONN_OK;
}

aconn_status tt_targets_layout(const aconn_host *host, const tt_conn *c, int *per_type,
                               aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *v = NULL;
    uint64_t ver;
    int legacy = 0;
    aconn_status st;

    if (tt_dkey_layout(key, sizeof(key), c->connection_id) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
    st = tt_kv_get(host, key, &v, &ver, err);
    if (st == ACONN_OK) {
        *per_type = strcmp(json_object_get_string(v), "per_type") == 0;
        json_object_put(v);
        return ACONN_OK;
    }
    if (st != ACONN_ERR_NOT_FOUND)
        return st;
    st = has_legacy_keys(host, c, &legacy, err);
    if (st != ACONN_OK)
        return st;
    *per_type = legacy || c->settings->audience_per_identifier_type;
    v = json_object_new_string(*per_type ? "per_type" : "multiple_types");
    /* A conflict means another worker decided first: read its answer. */
    st = tt_kv_cas(host, key, 0, v, NULL, err);
    json_object_put(v);
    if (st == ACONN_ERR_CONFLICT)
        return tt_targets_layout(host, c, per_type, err);
    return st;
}

aconn_status tt_targets_cached_calc(const aconn_host *host, const char *adv, const char *aud,
                                    char *out, size_t n, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *v = NULL;
    uint64_t ver;
    aconn_status st;

    out[0] = '\0';
    if (tt_dkey_calc(key, sizeof(key), adv, aud) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
    st = tt_kv_get(host, key, &v, &ver, err);
    if (st == ACONN_OK)
        snprintf(out, n, "%s", json_object_get_string(v));
    json_object_put(v);
    return st == ACONN_ERR_NOT_FOUND ? ACONN_OK : st;
}

aconn_status tt_targets_kinds(const aconn_host *host, const tt_conn *c, unsigned *kinds,
                              aconn_error *err)
{
    const tt_settings *s = c->settings;
    int per_type = 0, any_new = 0;
    aconn_status st;

    *kinds = 0;
    for (size_t i = 0; i < s->ntargets; i++)
        any_new |= s->targets[i].create_new;
    if (any_new) {
        st = tt_targets_layout(host, c, &per_type, err);
        if (st != ACONN_OK)
            return st;
        *kinds |= per_type ? TT_KINDS_SINGLE : TT_KIND_BIT(TT_KIND_MULTI);
    }
    for (size_t i = 0; i < s->ntargets; i++)
        for (size_t j = 0; j < s->targets[i].naudiences; j++) {
            char calc[32];
            st = tt_targets_cached_calc(host, s->targets[i].advertiser_id,
                                        s->targets[i].audience_ids[j], calc, sizeof(calc), err);
            if (st != ACONN_OK)
                return st;
            /* Not known yet: spool every kind this once. */
            *kinds |= calc[0] ? kinds_for_calc(calc)
                              : TT_KINDS_SINGLE | TT_KIND_BIT(TT_KIND_MULTI);
        }
    if (*kinds == 0)
        *kinds = TT_KIND_BIT(TT_KIND_MULTI);
    return ACONN_OK;
}

static tt_dest *target_add(tt_apply_ctx *x, const char *adv)
{
    tt_dest *t = &x->targets[x->ntargets++];
    memset(t, 0, sizeof(*t));
    ACONN_STRSET(t->advertiser_id, adv);
    t->cover_num = -1;
    t->is_valid = -1;
    t->err.struct_size = sizeof(t->err);
    return t;
}

/* base + suffix, cut on a UTF-8 boundary to TikTok's 128 bytes. */
static void audience_name(const char *base, const char *suffix, char *out, size_t size)
{
    size_t blen = strlen(base), slen = strlen(suffix);

    if (blen + slen > 128) {
        blen = 128 - slen;
        while (blen > 0 && ((unsigned char) base[blen] & 0xc0) == 0x80)
            blen--;
    }
    snprintf(out, size, "%.*s%s", (int) blen, base, suffix);
}

static const char *type_label(tt_id_type t)
{
    switch (t) {
    case TT_ID_EMAIL_SHA256: return " (email)";
    case TT_ID_PHONE_SHA256: return " (phone)";
    case TT_ID_IDFA_SHA256: return " (IDFA)";
    default: return " (GAID)";
    }
}

/* The audience this connection created for (adv, slot), if any. */
static aconn_status created_audience(tt_apply_ctx *x, tt_dest *t, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *v = NULL, *id = NULL;
    uint64_t ver;
    aconn_status st;

    if (tt_dkey_audience(key, sizeof(key), x->c->connection_id, t->advertiser_id, t->slot) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
    st = tt_kv_get(x->host, key, &v, &ver, err);
    if (st == ACONN_OK && json_object_object_get_ex(v, "audience_id", &id))
        ACONN_STRSET(t->audience_id, json_object_get_string(id));
    json_object_put(v);
    return st == ACONN_ERR_NOT_FOUND ? ACONN_OK : st;
}

static int has_files(const tt_apply_ctx *x, unsigned kinds)
{
    for (size_t i = 0; i < x->files->count; i++)
        if (kinds & TT_KIND_BIT(x->files->items[i].kind))
            return 1;
    return 0;
}

static aconn_status new_target(tt_apply_ctx *x, const char *adv, int type, aconn_error *err)
{
    tt_dest *t = target_add(x, adv);
    aconn_status st;

    t->is_new = 1;
    if (type < 0) {
        ACONN_STRSET(t->slot, TT_MULTI_SLOT);
        ACONN_STRSET(t->calc, "MULTIPLE_TYPES");
        t->types = TT_ALL_TYPES;
        t->kinds = TT_KIND_BIT(TT_KIND_MULTI);
        audience_name(x->c->settings->audience_name, "", t->name, sizeof(t->name));
    } else {
        ACONN_STRSET(t->slot, tt_id_type_slug((tt_id_type) type));
        ACONN_STRSET(t->calc, tt_id_type_name((tt_id_type) type));
        t->types = t->kinds = 1u << type;
        audience_name(x->c->settings->audience_name, type_label((tt_id_type) type), t->name,
                      sizeof(t->name));
    }
    st = created_audience(x, t, err);
    if (st == ACONN_OK)
        st = tt_health_load(x, t, err);
    /* Per type: a type with no data, no audience and no history is no target. */
    if (st == ACONN_OK && type >= 0 && t->audience_id[0] == '\0' &&
        t->health == TT_HEALTH_OK && !has_files(x, t->kinds))
        x->ntargets--;
    return st;
}

static aconn_status targets_new(tt_apply_ctx *x, aconn_error *err)
{
    const tt_settings *s = x->c->settings;

    for (size_t i = 0; i < s->ntargets; i++) {
        aconn_status st = ACONN_OK;
        if (!s->targets[i].create_new)
            continue;
        if (!x->per_type)
            st = new_target(x, s->targets[i].advertiser_id, -1, err);
        for (int ty = 0; x->per_type && ty < TT_ID_TYPE_COUNT && st == ACONN_OK; ty++)
            st = new_target(x, s->targets[i].advertiser_id, ty, err);
        if (st != ACONN_OK)
            return st;
    }
    return ACONN_OK;
}

/* What TikTok says of one existing audience: its type, or that it is gone. */
static void existing_found(tt_apply_ctx *x, tt_dest *t, const tt_audience *found)
{
    char key[TT_DKEY_MAX];

    if (found == NULL) {
        aconn_error e = {.struct_size = sizeof(e)};
        aconn_error_set(&e, ACONN_ERR_NOT_FOUND, "audience_not_found", NULL,
                        "audience %s was not found in Ad Account %s: it was deleted, or the "
                        "id is wrong (check TikTok Ads Manager, Assets > Audiences)",
                        t->audience_id, t->advertiser_id);
        tt_apply_target_fail(t, &e);
        return;
    }
    ACONN_STRSET(t->calc, found->calculate_type != NULL ? found->calculate_type : "");
    t->types = tt_targets_types_for_calc(t->calc);
    t->kinds = kinds_for_calc(t->calc);
    t->cover_num = found->cover_num;
    t->is_valid = found->is_valid;
    if (t->types == 0) {
        aconn_error e = {.struct_size = sizeof(e)};
        aconn_error_set(&e, ACONN_ERR_REJECTED, "unsupported_calculate_type", NULL,
                        "audience %s in Ad Account %s uses calculate_type %s; this connector "
                        "delivers SHA-256 email, phone and mobile ids (and MULTIPLE_TYPES)",
                        t->audience_id, t->advertiser_id, t->calc);
        tt_apply_target_fail(t, &e);
        return;
    }
    if (tt_dkey_calc(key, sizeof(key), t->advertiser_id, t->audience_id) == 0) {
        json_object *v = json_object_new_string(t->calc);
        (void) tt_kv_put(x->host, key, v, NULL);   /* a cache: losing it costs a call */
        json_object_put(v);
    }
    tt_health_reachable(x, t);
}

/* t alone: TikTok answers 40007 for a whole get when one of its ids is
   gone, which says nothing of the others. */
static void existing_one(tt_apply_ctx *x, tt_dest *t)
{
    const char *id = t->audience_id;
    tt_audience_list one = {0};
    aconn_error e = {.struct_size = sizeof(e)};
    const tt_audience *found = NULL;
    aconn_status st = tt_api_audience_get(x->api, t->advertiser_id, &id, 1, &one, &e);

    for (size_t k = 0; st == ACONN_OK && k < one.count; k++)
        if (one.items[k].audience_id != NULL && strcmp(one.items[k].audience_id, id) == 0)
            found = &one.items[k];
    if (st == ACONN_OK || (st == ACONN_ERR_NOT_FOUND && strcmp(e.code, "object_not_found") == 0))
        existing_found(x, t, found);
    else
        tt_apply_target_fail(t, &e);
    tt_audience_list_free(&one);
}

static aconn_status existing_for(tt_apply_ctx *x, const tt_target *st_t,
                                 aconn_error *err)
{
    size_t first = x->ntargets, n = 0;
    const char **ids = calloc(st_t->naudiences ? st_t->naudiences : 1, sizeof(*ids));
    tt_audience_list info = {0};
    aconn_error e = {.struct_size = sizeof(e)};
    aconn_status st = ACONN_OK;

    if (ids == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    for (size_t j = 0; j < st_t->naudiences && st == ACONN_OK; j++) {
        tt_dest *t = target_add(x, st_t->advertiser_id);
        ACONN_STRSET(t->audience_id, st_t->audience_ids[j]);
        snprintf(t->slot, sizeof(t->slot), "a%s", t->audience_id);
        st = tt_health_load(x, t, err);
        if (t->health != TT_HEALTH_DEAD)
            ids[n++] = t->audience_id;
    }
    if (st != ACONN_OK || n == 0)
        goto cleanup;   /* every audience of the account is dead: no call */
    if (tt_api_audience_get(x->api, st_t->advertiser_id, ids, n, &info, &e) != ACONN_OK) {
        int one_by_one = n > 1 && strcmp(e.code, "object_not_found") == 0;
        for (size_t j = first; j < x->ntargets; j++)
            if (x->targets[j].health != TT_HEALTH_DEAD && one_by_one)
                existing_one(x, &x->targets[j]);
            else if (x->targets[j].health != TT_HEALTH_DEAD)
                tt_apply_target_fail(&x->targets[j], &e);
        goto cleanup;
    }
    for (size_t j = first; j < x->ntargets; j++) {
        tt_dest *t = &x->targets[j];
        const tt_audience *found = NULL;
        if (t->health == TT_HEALTH_DEAD)
            continue;
        for (size_t k = 0; k < info.count; k++)
            if (strcmp(info.items[k].audience_id, t->audience_id) == 0)
                found = &info.items[k];
        existing_found(x, t, found);
    }
cleanup:
    tt_audience_list_free(&info);
    free(ids);
    return st;
}

aconn_status tt_targets_plan(tt_apply_ctx *x, aconn_error *err)
{
    const tt_settings *s = x->c->settings;
    aconn_status st = targets_new(x, err);

    for (size_t i = 0; i < s->ntargets && st == ACONN_OK; i++)
        if (!s->targets[i].create_new && s->targets[i].naudiences > 0)
            st = existing_for(x, &s->targets[i], err);
    return st;
}
