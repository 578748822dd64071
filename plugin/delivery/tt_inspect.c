/* tt_inspect.c - a connection's audiences as TikTok holds them (see tt_inspect.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/tt_kv.h"
#include "delivery/tt_apply_ctx.h"
#include "delivery/tt_dkeys.h"
#include "delivery/tt_health.h"
#include "delivery/tt_inspect.h"
#include "delivery/tt_targets.h"
#include "profile/tt_oauth.h"

#define TT_MULTI_SLOT "multiple_types"
#define TT_ALL_TYPES ((1u << TT_ID_TYPE_COUNT) - 1u)
#define TT_MIN_MEMBERS 1000

/* One target as inspect sees it. */
typedef struct tt_view {
    tt_dest d;             /* what delivery knows: ids, slot, standing */
    int64_t expired_ms;    /* -1 unknown */
    int is_expiring;       /* -1 unknown */
    int asked;             /* TikTok answered for its Ad Account */
    int found;             /* ...and listed the audience */
    aconn_error err;       /* why TikTok could not be asked */
} tt_view;

typedef struct tt_insp {
    tt_conn c;             /* connection_id and settings only */
    tt_apply_ctx x;        /* what tt_health_load() reads through */
    tt_view *v;
    size_t n, cap;
    json_object *last;     /* the last report's "targets" (borrowed), or NULL */
} tt_insp;

const char *tt_inspect_status(int is_valid, int64_t cover_num, int64_t expired_ms,
                              int64_t now_ms)
{
    if (is_valid > 0)
        return "ready";
    if (expired_ms > 0 && expired_ms <= now_ms)
        return "expired";
    if (cover_num > 0 && cover_num < TT_MIN_MEMBERS)
        return "too_small";
    return "processing";
}

static tt_view *view_add(tt_insp *in, const char *adv, const char *slot)
{
    tt_view *v;

    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 8;
        tt_view *nv = realloc(in->v, cap * sizeof(*nv));
        if (nv == NULL)
            return NULL;
        in->v = nv;
        in->cap = cap;
    }
    v = &in->v[in->n++];
    memset(v, 0, sizeof(*v));
    ACONN_STRSET(v->d.advertiser_id, adv);
    ACONN_STRSET(v->d.slot, slot);
    v->d.cover_num = -1;
    v->d.is_valid = -1;
    v->expired_ms = -1;
    v->is_expiring = -1;
    v->err.struct_size = sizeof(v->err);
    return v;
}

static aconn_status oom(aconn_error *err)
{
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
}

/* The audience the connection created for (adv, slot), if any. */
static aconn_status created_id(tt_insp *in, tt_view *v, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *o = NULL, *id = NULL;
    uint64_t ver;
    aconn_status st;

    if (tt_dkey_audience(key, sizeof(key), in->c.connection_id, v->d.advertiser_id,
                         v->d.slot) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
    st = tt_kv_get(in->x.host, key, &o, &ver, err);
    if (st == ACONN_OK && json_object_object_get_ex(o, "audience_id", &id))
        ACONN_STRSET(v->d.audience_id, json_object_get_string(id));
    json_object_put(o);
    return st == ACONN_ERR_NOT_FOUND ? ACONN_OK : st;
}

/* A new target in one slot: kept when it has an audience or a standing. */
static aconn_status new_slot(tt_insp *in, const char *adv, int type, int *kept,
                             aconn_error *err)
{
    const char *name = in->c.settings->audience_name;
    tt_view *v = view_add(in, adv, type < 0 ? TT_MULTI_SLOT : tt_id_type_slug((tt_id_type) type));
    aconn_status st;

    if (v == NULL)
        return oom(err);
    v->d.is_new = 1;
    v->d.types = type < 0 ? TT_ALL_TYPES : 1u << type;
    ACONN_STRSET(v->d.calc, type < 0 ? "MULTIPLE_TYPES" : tt_id_type_name((tt_id_type) type));
    snprintf(v->d.name, sizeof(v->d.name), "%s", name != NULL ? name : "");
    st = created_id(in, v, err);
    if (st == ACONN_OK)
        st = tt_health_load(&in->x, &v->d, err);
    if (st == ACONN_OK && v->d.audience_id[0] == '\0' && v->d.health == TT_HEALTH_OK)
        in->n--;   /* nothing here: not this connection's layout, or not yet */
    else
        *kept = 1;
    return st;
}

/* New audiences: whichever layout the connection's state shows (one
   MULTIPLE_TYPES audience, or one per type for older connections); an
   Ad Account with none yet gets one "not created" row. */
static aconn_status views_new(tt_insp *in, aconn_error *err)
{
    const tt_settings *s = in->c.settings;
    aconn_status st = ACONN_OK;

    for (size_t i = 0; i < s->ntargets && st == ACONN_OK; i++) {
        int kept = 0;
        if (!s->targets[i].create_new)
            continue;
        for (int ty = -1; ty < TT_ID_TYPE_COUNT && st == ACONN_OK; ty++)
            st = new_slot(in, s->targets[i].advertiser_id, ty, &kept, err);
        if (st == ACONN_OK && !kept) {
            tt_view *v = view_add(in, s->targets[i].advertiser_id, TT_MULTI_SLOT);
            if (v == NULL)
                return oom(err);
            v->d.is_new = 1;
            v->d.types = TT_ALL_TYPES;
            snprintf(v->d.name, sizeof(v->d.name), "%s", s->audience_name ? s->audience_name : "");
            if (!s->audience_per_identifier_type)
                ACONN_STRSET(v->d.calc, "MULTIPLE_TYPES");
        }
    }
    return st;
}

static aconn_status views_existing(tt_insp *in, aconn_error *err)
{
    const tt_settings *s = in->c.settings;

    for (size_t i = 0; i < s->ntargets; i++)
        for (size_t j = 0; !s->targets[i].create_new && j < s->targets[i].naudiences; j++) {
            char slot[40];
            tt_view *v;
            aconn_status st;

            snprintf(slot, sizeof(slot), "a%s", s->targets[i].audience_ids[j]);
            if ((v = view_add(in, s->targets[i].advertiser_id, slot)) == NULL)
                return oom(err);
            ACONN_STRSET(v->d.audience_id, s->targets[i].audience_ids[j]);
            if ((st = tt_health_load(&in->x, &v->d, err)) != ACONN_OK)
                return st;
        }
    return ACONN_OK;
}

static void view_found(tt_view *v, const tt_audience *a)
{
    v->found = 1;
    if (a->name != NULL)
        ACONN_STRSET(v->d.name, a->name);
    if (a->calculate_type != NULL) {
        ACONN_STRSET(v->d.calc, a->calculate_type);
        v->d.types = tt_targets_types_for_calc(a->calculate_type);
    }
    v->d.cover_num = a->cover_num;
    v->d.is_valid = a->is_valid;
    v->expired_ms = a->expired_time_ms;
    v->is_expiring = a->is_expiring;
}

/* One custom_audience/get for views [from, to) of one Ad Account (at most
   TT_API_MAX_GET_IDS audiences). */
static aconn_status ask_batch(tt_insp *in, const tt_api *api, size_t from, size_t to,
                              aconn_error *err)
{
    const char *ids[TT_API_MAX_GET_IDS];
    size_t n = 0;
    tt_audience_list list = {0};
    aconn_error e = {.struct_size = sizeof(e)};
    aconn_status st;

    for (size_t i = from; i < to; i++)
        if (in->v[i].d.audience_id[0] != '\0' && n < TT_API_MAX_GET_IDS)
            ids[n++] = in->v[i].d.audience_id;
    if (n == 0)
        return ACONN_OK;
    st = tt_api_audience_get(api, in->v[from].d.advertiser_id, ids, n, &list, &e);
    /* A token that no longer works is the whole profile's problem. */
    if (ACONN_STATUS_IS_REAUTHORIZE(st) || ACONN_STATUS_IS_FATAL(st)) {
        *err = e;
        return st;
    }
    /* TikTok answers 40007 for the whole call when one id is unknown:
       ask again one by one to tell which. */
    if (st == ACONN_ERR_NOT_FOUND && strcmp(e.code, "object_not_found") == 0 && n > 1) {
        for (size_t i = from; i < to; i++) {
            aconn_status one = ACONN_OK;
            if (in->v[i].d.audience_id[0] != '\0'
                && (one = ask_batch(in, api, i, i + 1, err)) != ACONN_OK)
                return one;
        }
        return ACONN_OK;
    }
    for (size_t i = from; i < to; i++) {
        tt_view *v = &in->v[i];
        if (v->d.audience_id[0] == '\0')
            continue;
        if (st == ACONN_ERR_NOT_FOUND && strcmp(e.code, "object_not_found") == 0) {
            v->asked = 1;   /* TikTok answered: none of them exists */
            continue;
        }
        if (st != ACONN_OK) {
            v->err = e;
            continue;
        }
        v->asked = 1;
        for (size_t k = 0; k < list.count; k++)
            if (list.items[k].audience_id != NULL
                && strcmp(list.items[k].audience_id, v->d.audience_id) == 0)
                view_found(v, &list.items[k]);
    }
    tt_audience_list_free(&list);
    return ACONN_OK;
}

/* Asks TikTok about every audience, one get per Ad Account (per 100). */
static aconn_status ask(tt_insp *in, const tt_api *api, aconn_error *err)
{
    for (size_t i = 0; i < in->n;) {
        size_t j = i + 1, ids = in->v[i].d.audience_id[0] != '\0';
        aconn_status st;

        while (j < in->n && strcmp(in->v[j].d.advertiser_id, in->v[i].d.advertiser_id) == 0
               && ids + (in->v[j].d.audience_id[0] != '\0') <= TT_API_MAX_GET_IDS)
            ids += in->v[j++].d.audience_id[0] != '\0';
        if ((st = ask_batch(in, api, i, j, err)) != ACONN_OK)
            return st;
        i = j;
    }
    return ACONN_OK;
}

/* The last report's entry for v: same account and audience (or, for a
   new audience not created yet, same name). Borrowed, or NULL. */
static json_object *last_of(const tt_insp *in, const tt_view *v)
{
    for (size_t i = 0; in->last != NULL && i < json_object_array_length(in->last); i++) {
        json_object *t = json_object_array_get_idx(in->last, i), *f = NULL;
        const char *adv = json_object_object_get_ex(t, "advertiser_id", &f)
                              ? json_object_get_string(f) : NULL;
        const char *aud = json_object_object_get_ex(t, "audience_id", &f) && f != NULL
                              ? json_object_get_string(f) : "";
        const char *name = json_object_object_get_ex(t, "name", &f)
                               ? json_object_get_string(f) : "";

        if (adv == NULL || strcmp(adv, v->d.advertiser_id) != 0)
            continue;
        if (v->d.audience_id[0] != '\0' ? strcmp(aud, v->d.audience_id) == 0
                                        : aud[0] == '\0' && strcmp(name, v->d.name) == 0)
            return t;
    }
    return NULL;
}

static json_object *last_run_json(json_object *t)
{
    static const char *const keys[] = {"outcome", "operations", "status", "code", "message"};
    json_object *o = json_object_new_object(), *f;

    for (size_t i = 0; o != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_object_get_ex(t, keys[i], &f) && f != NULL)
            json_object_object_add(o, keys[i], json_object_get(f));
    return o;
}

static json_object *types_json(unsigned types)
{
    json_object *a = json_object_new_array();

    for (int t = 0; a != NULL && t < TT_ID_TYPE_COUNT; t++)
        if (types & (1u << t))
            json_object_array_add(a, json_object_new_string(tt_id_type_name((tt_id_type) t)));
    return a;
}

static const char *view_status(const tt_view *v, int64_t now)
{
    if (v->d.audience_id[0] == '\0')
        return "not_created";
    if (!v->asked)
        return "unknown";
    if (!v->found)
        return "not_found";
    return tt_inspect_status(v->d.is_valid, v->d.cover_num, v->expired_ms, now);
}

#define TT_J_INT_OR_NULL(x) ((x) >= 0 ? json_object_new_int64(x) : NULL)

static json_object *view_json(const tt_insp *in, const tt_view *v, int64_t now)
{
    json_object *e = json_object_new_object(), *last = last_of(in, v), *outcome = NULL;
    const char *status = view_status(v, now);

    if (e == NULL)
        return NULL;
    json_object_object_add(e, "account", json_object_new_string(v->d.advertiser_id));
    json_object_object_add(e, "advertiser_id", json_object_new_string(v->d.advertiser_id));
    json_object_object_add(e, "audience_id", v->d.audience_id[0]
                           ? json_object_new_string(v->d.audience_id) : NULL);
    json_object_object_add(e, "kind", json_object_new_string(v->d.is_new ? "new" : "existing"));
    json_object_object_add(e, "name", v->d.name[0] ? json_object_new_string(v->d.name) : NULL);
    json_object_object_add(e, "calculate_type",
                           v->d.calc[0] ? json_object_new_string(v->d.calc) : NULL);
    json_object_object_add(e, "identifier_types", types_json(v->d.types));
    json_object_object_add(e, "size", v->found ? TT_J_INT_OR_NULL(v->d.cover_num) : NULL);
    json_object_object_add(e, "cover_num", v->found ? TT_J_INT_OR_NULL(v->d.cover_num) : NULL);
    json_object_object_add(e, "is_valid", v->found && v->d.is_valid >= 0
                           ? json_object_new_boolean(v->d.is_valid) : NULL);
    json_object_object_add(e, "status", json_object_new_string(status));
    json_object_object_add(e, "processing",
                           json_object_new_boolean(strcmp(status, "processing") == 0));
    json_object_object_add(e, "expires_at_ms", v->found ? TT_J_INT_OR_NULL(v->expired_ms) : NULL);
    json_object_object_add(e, "is_expiring", v->found && v->is_expiring >= 0
                           ? json_object_new_boolean(v->is_expiring) : NULL);
    json_object_object_add(e, "state", json_object_new_string(tt_health_name(v->d.health)));
    if (v->d.health != TT_HEALTH_OK) {
        json_object_object_add(e, "since_ms", json_object_new_int64(v->d.since_ms));
        json_object_object_add(e, "reason", json_object_new_string(v->d.reason));
        json_object_object_add(e, "fix", json_object_new_string(v->d.fix));
    }
    if (v->err.code[0] != '\0') {
        json_object *er = json_object_new_object();
        json_object_object_add(er, "status", json_object_new_string(aconn_status_name(v->err.status)));
        json_object_object_add(er, "code", json_object_new_string(v->err.code));
        json_object_object_add(er, "message", json_object_new_string(v->err.message));
        json_object_object_add(e, "error", er);
    }
    if (last == NULL || !json_object_object_get_ex(last, "outcome", &outcome))
        outcome = NULL;
    json_object_object_add(e, "last_outcome", json_object_get(outcome));
    json_object_object_add(e, "last_run", last != NULL ? last_run_json(last) : NULL);
    return e;
}

static aconn_status write_views(const tt_insp *in, const char *cid, int64_t now,
                                aconn_output *out, aconn_error *err)
{
    json_object *r = json_object_new_object(), *a = json_object_new_array();
    const char *text;
    aconn_status st = ACONN_OK;

    if (r == NULL || a == NULL) {
        json_object_put(a);
        st = oom(err);
        goto cleanup;
    }
    json_object_object_add(r, "connection_id", json_object_new_string(cid));
    json_object_object_add(r, "checked_at_ms", json_object_new_int64(now));
    for (size_t i = 0; i < in->n; i++)
        json_object_array_add(a, view_json(in, &in->v[i], now));
    json_object_object_add(r, "targets", a);
    text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    if (text == NULL || out == NULL || out->write(out->ctx, text, strlen(text)) != ACONN_OK)
        st = aconn_error_set(err, ACONN_ERR_FATAL, "output_failed", NULL,
                             "the host could not take the audiences");
cleanup:
    json_object_put(r);
    return st;
}

/* The settings and the last report, parsed. */
static aconn_status insp_open(tt_insp *in, const aconn_host *host,
                              const aconn_inspect_request *req, json_object **report,
                              aconn_error *err)
{
    aconn_error_list none = {.struct_size = sizeof(none), .item_size = sizeof(aconn_error)};
    json_object *t = NULL;

    memset(in, 0, sizeof(*in));
    in->c.connection_id = (char *) req->connection_id;
    in->x.c = &in->c;
    in->x.host = host;
    if (tt_settings_parse(req->settings_json, &in->c.settings, &none) != ACONN_OK
        || in->c.settings == NULL)
        return aconn_error_set(err, ACONN_ERR_INVALID, "invalid_settings", NULL,
                               "connection %s has settings that no longer validate (%u "
                               "problems); run `connector-host validate` on them",
                               req->connection_id, none.count);
    *report = NULL;
    if (ACONN_HAS(req, aconn_inspect_request, last_report_json)
        && req->last_report_json != NULL)
        *report = json_tokener_parse(req->last_report_json);
    if (*report != NULL && json_object_object_get_ex(*report, "targets", &t)
        && json_object_is_type(t, json_type_array))
        in->last = t;
    return ACONN_OK;
}

aconn_status tt_inspect(const aconn_host *host, const aconn_inspect_request *req,
                        aconn_output *out, aconn_error *err)
{
    tt_insp in;
    tt_session s;
    json_object *report = NULL;
    int64_t now;
    aconn_status st;

    memset(&s, 0, sizeof(s));
    if (host == NULL || req == NULL || !ACONN_HAS(req, aconn_inspect_request, settings_json)
        || req->connection_id == NULL || req->settings_json == NULL)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_request", NULL,
                               "inspect() needs a host and a request with connection_id "
                               "and settings_json.");
    if ((st = tt_oauth_check_profile(req->profile, err)) != ACONN_OK)
        return st;
    st = insp_open(&in, host, req, &report, err);
    if (st == ACONN_OK)
        st = views_new(&in, err);
    if (st == ACONN_OK)
        st = views_existing(&in, err);
    if (st == ACONN_OK)
        st = tt_session_open(&s, host, req->profile, err);
    if (st == ACONN_OK)
        st = ask(&in, &s.api, err);
    if (st == ACONN_OK) {
        now = host->now_ms(host->ctx);
        st = write_views(&in, req->connection_id, now, out, err);
    }
    tt_session_close(&s);
    json_object_put(report);
    tt_settings_free(in.c.settings);
    free(in.v);
    return st;
}
