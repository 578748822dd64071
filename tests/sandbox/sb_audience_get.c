/* sb_audience_get.c: dmp/custom_audience/get/ and list/: what an Ad
 * Account sees of its own and shared audiences, with the fields TikTok's
 * answers carry (cover_num, is_valid while processing, expiry). */
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *jtime(int64_t ms)
{
    char buf[24];

    sb_utc_time(ms, buf, sizeof buf);
    return json_object_new_string(buf);
}

/* Fields shared by get's audience_details and list's items. Lock held. */
static json_object *describe(sb_ctx *ctx, const sb_audience *a, bool creator)
{
    json_object *o = json_object_new_object();
    int64_t exp = sb_aud_expire_ms(a);

    if (o == NULL) {
        return NULL;
    }
    json_object_object_add(o, "audience_id", json_object_new_string(a->audience_id));
    json_object_object_add(o, "name", json_object_new_string(a->name));
    /* Only customer files have one; a lookalike answers without. */
    if (a->kind == NULL)
        json_object_object_add(o, "calculate_type",
                               json_object_new_string(sb_idtype_name(a->calculate_type)));
    json_object_object_add(o, "cover_num", json_object_new_int64((int64_t)sb_aud_cover(ctx, a)));
    json_object_object_add(o, "is_valid", json_object_new_boolean(sb_aud_valid(ctx, a)));
    json_object_object_add(o, "is_expiring",
                           json_object_new_boolean(exp - sb_now_ms(ctx) < 60 * SB_DAY_MS));
    json_object_object_add(o, "is_creator", json_object_new_boolean(creator));
    json_object_object_add(o, "shared", json_object_new_boolean(!creator || a->n_shared > 0));
    json_object_object_add(o, "is_auto_refresh", json_object_new_boolean(false));
    json_object_object_add(o, "audience_sub_type", json_object_new_string(a->sub_type));
    json_object_object_add(o, "owner_id", json_object_new_string(a->advertiser_id));
    json_object_object_add(o, "create_time", jtime(a->create_ms));
    json_object_object_add(o, "expired_time", jtime(exp));
    json_object_object_add(o, "msg", json_object_new_string(""));
    json_object_object_add(o, "error_msg", json_object_new_string(""));
    return o;
}

static json_object *history(sb_ctx *ctx, const sb_audience *a, long limit)
{
    json_object *h = json_object_new_array();

    for (size_t i = ctx->st.n_ops; h != NULL && i-- > 0
                                   && (long)json_object_array_length(h) < limit; ) {
        const sb_op *op = &ctx->st.ops[i];
        json_object *o;
        if (strcmp(op->audience_id, a->audience_id) != 0) {
            continue;
        }
        o = json_object_new_object();
        json_object_object_add(o, "action", json_object_new_string(op->action));
        json_object_object_add(o, "action_detail", json_object_new_string(op->op));
        json_object_object_add(o, "editor", json_object_new_string("open_api"));
        json_object_object_add(o, "msg", json_object_new_string(""));
        json_object_object_add(o, "opt_time", jtime(op->time_ms));
        json_object_array_add(h, o);
    }
    return h;
}

void sb_h_aud_get(sb_ctx *ctx, sb_req *req)
{
    const char *adv = NULL;
    json_object *ids = NULL, *list = NULL, *data;
    long hsize;

    if (sb_q_id(req, "advertiser_id", &adv, true) < 0
        || sb_q_id_array(req, "custom_audience_ids", &ids, 1, 100, true) < 0
        || sb_q_int(req, "history_size", &hsize, 100, 1, 100) < 0) {
        goto cleanup;
    }
    pthread_mutex_lock(&ctx->lock);
    if (sb_require_adv(ctx, req, adv, false) != 0) {
        goto unlock;
    }
    list = json_object_new_array();
    for (size_t i = 0; list != NULL && i < json_object_array_length(ids); i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        sb_audience *a = sb_st_audience(ctx, id);
        bool creator;
        json_object *o, *d;
        if (a == NULL || !sb_aud_visible(a, adv, &creator)) {
            sb_fail(req, 40007, "The custom audience %s does not exist in advertiser_id %s.",
                    id, adv);
            goto unlock;
        }
        d = describe(ctx, a, creator);
        json_object_object_add(d, "type",
                               json_object_new_string(a->kind ? a->kind : "Customer File"));
        o = json_object_new_object();
        json_object_object_add(o, "audience_details", d);
        json_object_object_add(o, "audience_history", history(ctx, a, hsize));
        json_object_array_add(list, o);
    }
    if (list == NULL) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto unlock;
    }
    data = json_object_new_object();
    json_object_object_add(data, "list", list);
    list = NULL;
    sb_ok(req, data);
unlock:
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    json_object_put(list);
    json_object_put(ids);
}

static bool in_ids(json_object *ids, const char *id)
{
    for (size_t i = 0; ids != NULL && i < json_object_array_length(ids); i++) {
        if (strcmp(json_object_get_string(json_object_array_get_idx(ids, i)), id) == 0) {
            return true;
        }
    }
    return false;
}

void sb_h_aud_list(sb_ctx *ctx, sb_req *req)
{
    const char *adv = NULL;
    json_object *ids = NULL, *list = NULL, *data;
    long page, size;
    size_t total = 0, from;

    if (sb_q_id(req, "advertiser_id", &adv, true) < 0
        || sb_q_id_array(req, "custom_audience_ids", &ids, 1, 100, false) < 0
        || sb_q_int(req, "page", &page, 1, 1, 1000000) < 0
        || sb_q_int(req, "page_size", &size, 10, 1, 100) < 0) {
        goto cleanup;
    }
    from = (size_t)(page - 1) * (size_t)size;
    pthread_mutex_lock(&ctx->lock);
    if (sb_require_adv(ctx, req, adv, false) != 0) {
        goto unlock;
    }
    list = json_object_new_array();
    for (size_t i = 0; list != NULL && i < ctx->st.n_aud; i++) {
        sb_audience *a = ctx->st.aud[i];
        bool creator;
        json_object *o;
        if (!sb_aud_visible(a, adv, &creator) || (ids != NULL && !in_ids(ids, a->audience_id))) {
            continue;
        }
        if (total++ < from || json_object_array_length(list) >= (size_t)size) {
            continue;
        }
        o = describe(ctx, a, creator);
        json_object_object_add(o, "audience_type",
                               json_object_new_string(a->kind ? a->kind
                                                              : "Customer File Audience"));
        json_object_array_add(list, o);
    }
    if (list == NULL) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto unlock;
    }
    data = json_object_new_object();
    json_object_object_add(data, "list", list);
    json_object_object_add(data, "page_info", sb_page_info(page, size, total));
    list = NULL;
    sb_ok(req, data);
unlock:
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    json_object_put(list);
    json_object_put(ids);
}
