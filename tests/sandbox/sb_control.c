/* sb_control.c: the sandbox's own control API under /sandbox/ (not
 * TikTok's): inspect audiences, members and the operation log, read
 * request counts, move the clock, change faults, reset. Never faulted and
 * never counted as TikTok requests. */
#include "sb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply_json(sb_req *req, unsigned status, json_object *o)
{
    const char *s = o != NULL ? json_object_to_json_string_ext(o, SB_JSON_FLAGS) : NULL;

    if (s == NULL) {
        sb_raw(req, 500, "application/json", "{\"error\":\"out of memory\"}");
    } else {
        sb_raw(req, status, "application/json", s);
    }
    json_object_put(o);
}

static void reply_error(sb_req *req, unsigned status, const char *msg)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(msg));
    reply_json(req, status, o);
}

void sb_h_ctl_world(sb_ctx *ctx, sb_req *req)
{
    json_object *copy = NULL;

    pthread_mutex_lock(&ctx->lock);
    if (json_object_deep_copy(ctx->world, &copy, NULL) != 0) {
        copy = NULL;
    }
    pthread_mutex_unlock(&ctx->lock);
    reply_json(req, 200, copy);
}

void sb_h_ctl_audiences(sb_ctx *ctx, sb_req *req)
{
    const char *adv = sb_query(req, "advertiser_id");
    json_object *out = json_object_new_object(), *list = json_object_new_array();

    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; list != NULL && i < ctx->st.n_aud; i++) {
        const sb_audience *a = ctx->st.aud[i];
        json_object *o, *bt;
        if (adv != NULL && strcmp(adv, a->advertiser_id) != 0) {
            continue;
        }
        o = json_object_new_object();
        bt = json_object_new_object();
        for (int t = 1; t < SB_T_COUNT; t++) {
            size_t n = sb_members_count_type(a->members, t);
            if (n > 0) {
                json_object_object_add(bt, sb_idtype_name(t), json_object_new_int64((int64_t)n));
            }
        }
        json_object_object_add(o, "audience_id", json_object_new_string(a->audience_id));
        json_object_object_add(o, "advertiser_id", json_object_new_string(a->advertiser_id));
        json_object_object_add(o, "name", json_object_new_string(a->name));
        json_object_object_add(o, "calculate_type",
                               json_object_new_string(sb_idtype_name(a->calculate_type)));
        json_object_object_add(o, "size",
                               json_object_new_int64((int64_t)sb_members_count(a->members)));
        json_object_object_add(o, "members_by_type", bt);
        json_object_object_add(o, "cover_num",
                               json_object_new_int64((int64_t)sb_aud_cover(ctx, a)));
        json_object_object_add(o, "is_valid", json_object_new_boolean(sb_aud_valid(ctx, a)));
        json_object_object_add(o, "retention_in_days",
                               a->retention_in_days > 0
                               ? json_object_new_int(a->retention_in_days) : NULL);
        json_object_object_add(o, "create_time_ms", json_object_new_int64(a->create_ms));
        json_object_array_add(list, o);
    }
    pthread_mutex_unlock(&ctx->lock);
    json_object_object_add(out, "audiences", list);
    reply_json(req, 200, out);
}

/* ?type=T keeps one identifier type (a calculate_type name, MAID_* for
 * FIRST_*, or a MULTIPLE_TYPES header such as Email_SHA256); with_type=1
 * writes "TYPE,digest" lines. */
static int members_type_arg(const char *t)
{
    static const char *const headers[][2] = {
        {"Email_SHA256", "EMAIL_SHA256"}, {"Phone_SHA256", "PHONE_SHA256"},
    };

    for (size_t i = 0; t != NULL && i < sizeof headers / sizeof headers[0]; i++) {
        if (strcmp(t, headers[i][0]) == 0) {
            t = headers[i][1];
        }
    }
    return t == NULL ? 0 : sb_idtype_parse_upload(t);
}

void sb_h_ctl_members(sb_ctx *ctx, sb_req *req)
{
    const char *id = sb_query(req, "audience_id"), *type = sb_query(req, "type");
    const char *wt = sb_query(req, "with_type");
    int only = members_type_arg(type);
    sb_audience *a;
    char *text = NULL;
    size_t len;

    if (type != NULL && (only == 0 || only == SB_T_MULTIPLE)) {
        reply_error(req, 400, "type must be an identifier type such as EMAIL_SHA256, "
                              "PHONE_SHA256, MAID_SHA256, MAID_MD5");
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    a = id != NULL ? sb_st_audience(ctx, id) : NULL;
    if (a == NULL) {
        pthread_mutex_unlock(&ctx->lock);
        reply_error(req, 404, "audience_id is missing or unknown");
        return;
    }
    if (sb_members_dump_sorted(a->members, only, wt != NULL && strcmp(wt, "1") == 0,
                               &text, &len) != 0) {
        pthread_mutex_unlock(&ctx->lock);
        reply_error(req, 500, "out of memory");
        return;
    }
    pthread_mutex_unlock(&ctx->lock);
    sb_raw_take(req, 200, "text/plain", text);
}

/* GET /sandbox/world/state: the world in use with the live tokens and
 * audiences, a --world file that restarts the sandbox in this state. */
void sb_h_ctl_world_state(sb_ctx *ctx, sb_req *req)
{
    json_object *w;

    pthread_mutex_lock(&ctx->lock);
    w = sb_seed_dump(ctx);
    pthread_mutex_unlock(&ctx->lock);
    reply_json(req, 200, w);
}

/* POST /sandbox/audience/processing {"audience_id","for_ms":N}: the
 * audience is processing for N more ms of sandbox clock (0 ends it), as
 * if an update had just been applied: the last published size stays shown.
 * For "still processing from the day before" without a long delay. */
void sb_h_ctl_aud_processing(sb_ctx *ctx, sb_req *req)
{
    json_object *b = req->body != NULL && !req->body_too_large
                         ? json_tokener_parse(req->body) : NULL;
    json_object *id = NULL, *ms = NULL, *out;
    sb_audience *a;
    int64_t now;

    json_object_object_get_ex(b, "audience_id", &id);
    json_object_object_get_ex(b, "for_ms", &ms);
    if (!json_object_is_type(id, json_type_string) || !json_object_is_type(ms, json_type_int)
        || json_object_get_int64(ms) < 0) {
        json_object_put(b);
        reply_error(req, 400, "send {\"audience_id\":\"..\",\"for_ms\":N} (N >= 0)");
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    a = sb_st_audience(ctx, json_object_get_string(id));
    if (a == NULL) {
        pthread_mutex_unlock(&ctx->lock);
        json_object_put(b);
        reply_error(req, 404, "audience_id is unknown");
        return;
    }
    now = sb_now_ms(ctx);
    a->prev_cover = sb_aud_cover(ctx, a);
    a->ready_ms = now + json_object_get_int64(ms);
    out = json_object_new_object();
    json_object_object_add(out, "audience_id", json_object_new_string(a->audience_id));
    json_object_object_add(out, "processing_until_ms", json_object_new_int64(a->ready_ms));
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(b);
    reply_json(req, 200, out);
}

static json_object *options_json(sb_ctx *ctx)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "busy_while_processing",
                           json_object_new_boolean(ctx->busy_while_processing));
    json_object_object_add(o, "processing_delay_ms",
                           json_object_new_int64(ctx->processing_delay_ms));
    return o;
}

/* GET/POST /sandbox/options {"busy_while_processing":bool,
 * "processing_delay_ms":N}: either key may be left out. */
void sb_h_ctl_options(sb_ctx *ctx, sb_req *req)
{
    json_object *b = NULL, *busy = NULL, *delay = NULL, *out;

    if (strcmp(req->method, "POST") == 0) {
        b = req->body != NULL && !req->body_too_large ? json_tokener_parse(req->body) : NULL;
        json_object_object_get_ex(b, "busy_while_processing", &busy);
        json_object_object_get_ex(b, "processing_delay_ms", &delay);
        if (!json_object_is_type(b, json_type_object) || (busy == NULL && delay == NULL)
            || (busy != NULL && !json_object_is_type(busy, json_type_boolean))
            || (delay != NULL && (!json_object_is_type(delay, json_type_int)
                                  || json_object_get_int64(delay) < 0))) {
            json_object_put(b);
            reply_error(req, 400, "send {\"busy_while_processing\":true|false} and/or "
                                  "{\"processing_delay_ms\":N} (N >= 0)");
            return;
        }
    }
    pthread_mutex_lock(&ctx->lock);
    if (busy != NULL) {
        ctx->busy_while_processing = json_object_get_boolean(busy);
    }
    if (delay != NULL) {
        ctx->processing_delay_ms = json_object_get_int64(delay);
    }
    out = options_json(ctx);
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(b);
    reply_json(req, 200, out);
}

void sb_h_ctl_oplog(sb_ctx *ctx, sb_req *req)
{
    const char *adv = sb_query(req, "advertiser_id");
    json_object *out = json_object_new_object(), *list = json_object_new_array();

    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; list != NULL && i < ctx->st.n_ops; i++) {
        const sb_op *op = &ctx->st.ops[i];
        json_object *o;
        if (adv != NULL && strcmp(adv, op->advertiser_id) != 0) {
            continue;
        }
        o = json_object_new_object();
        json_object_object_add(o, "op", json_object_new_string(op->op));
        json_object_object_add(o, "action", json_object_new_string(op->action));
        json_object_object_add(o, "audience_id", json_object_new_string(op->audience_id));
        json_object_object_add(o, "advertiser_id", json_object_new_string(op->advertiser_id));
        json_object_object_add(o, "utc_day", json_object_new_string(op->utc_day));
        json_object_object_add(o, "time_ms", json_object_new_int64(op->time_ms));
        json_object_object_add(o, "counts_toward_daily_limit",
                               json_object_new_boolean(op->counts_daily));
        json_object_array_add(list, o);
    }
    pthread_mutex_unlock(&ctx->lock);
    json_object_object_add(out, "operations", list);
    reply_json(req, 200, out);
}

void sb_h_ctl_requests(sb_ctx *ctx, sb_req *req)
{
    json_object *out = json_object_new_object(), *copy = NULL;

    pthread_mutex_lock(&ctx->lock);
    if (json_object_deep_copy(ctx->by_endpoint, &copy, NULL) != 0) {
        copy = json_object_new_object();
    }
    json_object_object_add(out, "by_endpoint", copy);
    copy = NULL;
    if (json_object_deep_copy(ctx->by_advertiser, &copy, NULL) != 0) {
        copy = json_object_new_object();
    }
    json_object_object_add(out, "by_advertiser", copy);
    json_object_object_add(out, "total", json_object_new_int64((int64_t)ctx->total_requests));
    json_object_object_add(out, "rate_limited", json_object_new_int64((int64_t)ctx->qps_refused));
    pthread_mutex_unlock(&ctx->lock);
    reply_json(req, 200, out);
}

void sb_h_ctl_reset(sb_ctx *ctx, sb_req *req)
{
    char err[256];
    int rc;
    json_object *fresh = json_object_new_object();

    pthread_mutex_lock(&ctx->lock);
    /* The control API may have changed roles and Business Centers. */
    json_object *world = NULL;
    if (ctx->world_loaded != NULL && json_object_deep_copy(ctx->world_loaded, &world, NULL) == 0) {
        json_object_put(ctx->world);
        ctx->world = world;
    }
    rc = sb_state_reset(ctx, err, sizeof err);
    if (fresh != NULL) {
        json_object_put(ctx->by_endpoint);
        ctx->by_endpoint = fresh;
        fresh = NULL;
    }
    json_object_put(ctx->by_advertiser);
    ctx->by_advertiser = json_object_new_object();
    ctx->total_requests = 0;
    ctx->qps_refused = 0;
    ctx->faults = ctx->initial_faults;
    ctx->fault_counter = 0;
    ctx->busy_while_processing = ctx->initial_busy;
    ctx->processing_delay_ms = ctx->initial_delay_ms;
    sb_inject_clear(ctx->inject);
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(fresh);
    if (rc != 0) {
        reply_error(req, 500, err);
        return;
    }
    sb_raw(req, 200, "application/json", "{\"reset\":true}");
}

static json_object *clock_json(sb_ctx *ctx)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "now_ms", json_object_new_int64(sb_now_ms(ctx)));
    json_object_object_add(o, "offset_ms", json_object_new_int64(ctx->st.clock_offset_ms));
    return o;
}

void sb_h_ctl_clock(sb_ctx *ctx, sb_req *req)
{
    json_object *body = NULL, *v, *out;

    if (strcmp(req->method, "POST") == 0) {
        body = req->body != NULL && !req->body_too_large ? json_tokener_parse(req->body) : NULL;
        pthread_mutex_lock(&ctx->lock);
        if (json_object_object_get_ex(body, "advance_ms", &v)
            && json_object_is_type(v, json_type_int)) {
            ctx->st.clock_offset_ms += json_object_get_int64(v);
        } else if (json_object_object_get_ex(body, "set_ms", &v)
                   && json_object_is_type(v, json_type_int)) {
            ctx->st.clock_offset_ms = json_object_get_int64(v) - sb_real_ms();
        } else {
            pthread_mutex_unlock(&ctx->lock);
            json_object_put(body);
            reply_error(req, 400, "send {\"advance_ms\":N} or {\"set_ms\":N} (integers)");
            return;
        }
        pthread_mutex_unlock(&ctx->lock);
        json_object_put(body);
    }
    pthread_mutex_lock(&ctx->lock);
    out = clock_json(ctx);
    pthread_mutex_unlock(&ctx->lock);
    reply_json(req, 200, out);
}

void sb_h_ctl_faults(sb_ctx *ctx, sb_req *req)
{
    char err[256];
    sb_faults f;
    json_object *out;

    if (strcmp(req->method, "POST") == 0) {
        if (req->body_too_large) {
            reply_error(req, 400, "fault spec is too long");
            return;
        }
        if (sb_faults_parse(req->body != NULL ? req->body : "", ctx->base_seed, &f,
                            err, sizeof err) != 0) {
            reply_error(req, 400, err);
            return;
        }
        pthread_mutex_lock(&ctx->lock);
        ctx->faults = f;
        ctx->fault_counter = 0;
        pthread_mutex_unlock(&ctx->lock);
    }
    out = json_object_new_object();
    pthread_mutex_lock(&ctx->lock);
    json_object_object_add(out, "faults", json_object_new_string(ctx->faults.spec));
    pthread_mutex_unlock(&ctx->lock);
    reply_json(req, 200, out);
}
