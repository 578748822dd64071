/* sb_audience.c: Customer File audiences: create, update (APPEND /
 * REMOVE / REPLACE as true set operations), get, list, delete, share.
 * Enforces TikTok's rules that break connectors: 400 audiences per Ad
 * Account, the 1,000-member floor for updates, 24 file updates per Ad
 * Account per UTC day, calculate_type matching the files, file ownership
 * and expiry, and the processing delay. */
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONE_THOUSAND_MSG "audience size would be less than 1,000 after the operation"

static bool visible_to(const sb_audience *a, const char *adv_id, bool *creator)
{
    *creator = strcmp(a->advertiser_id, adv_id) == 0;
    if (*creator) {
        return true;
    }
    for (size_t i = 0; i < a->n_shared; i++) {
        if (strcmp(a->shared_with[i], adv_id) == 0) {
            return true;
        }
    }
    return false;
}

/* Loads the union of file_paths into a new set, checking each file's
 * owner, expiry and calculate_type. Lock held. NULL = req failed. */
static sb_members *load_files(sb_ctx *ctx, sb_req *req, const char *adv_id,
                              json_object *paths, int calc)
{
    sb_members *set = sb_members_new();
    int64_t now = sb_now_ms(ctx);
    char why[256];

    if (set == NULL) {
        sb_fail(req, 50000, "System error: out of memory.");
        return NULL;
    }
    for (size_t i = 0; i < json_object_array_length(paths); i++) {
        const char *p = json_object_get_string(json_object_array_get_idx(paths, i));
        sb_file *f = sb_st_file(ctx, p);
        if (f == NULL) {
            sb_fail(req, 40002, "file_paths: file_path %s does not exist; upload the file "
                    "with /dmp/custom_audience/file/upload/ first.", p);
            goto fail;
        }
        if (strcmp(f->advertiser_id, adv_id) != 0) {
            sb_fail(req, 40002, "file_paths: file_path %s does not belong to advertiser_id "
                    "%s; upload the file with that advertiser_id.", p, adv_id);
            goto fail;
        }
        if (now - f->create_ms >= SB_FILE_TTL_MS) {
            sb_fail(req, 40910, "file_paths: file_path %s has expired (files are kept 7 "
                    "days); upload it again.", p);
            goto fail;
        }
        if (f->calculate_type != calc) {
            sb_fail(req, 40002, "calculate_type: %s does not match file_path %s, which was "
                    "uploaded as %s.", sb_idtype_name(calc), p,
                    sb_idtype_name(f->calculate_type));
            goto fail;
        }
        if (sb_file_load(f->disk_path, calc, set, NULL, why, sizeof why) != 0) {
            sb_fail(req, 40915, "file_paths: file_path %s cannot be used: %s.", p, why);
            goto fail;
        }
    }
    return set;
fail:
    sb_members_free(set);
    return NULL;
}

static int check_sub_type(sb_req *req, const char **out)
{
    const char *s = NULL;
    int rc = sb_j_str(req, req->json, "audience_sub_type", &s, 0, 64, false);

    if (rc == 1 && strcmp(s, "NORMAL") != 0 && strcmp(s, "REACH_FREQUENCY") != 0) {
        sb_fail(req, 40002, "audience_sub_type: Must be one of NORMAL, REACH_FREQUENCY.");
        return -1;
    }
    if (rc == 1) {
        *out = s;
    }
    return rc;
}

static int check_bool(sb_req *req, const char *key)
{
    json_object *v;

    if (json_object_object_get_ex(req->json, key, &v) && v != NULL
        && !json_object_is_type(v, json_type_boolean)) {
        sb_fail(req, 40002, "%s: Not a valid boolean.", key);
        return -1;
    }
    return 0;
}

void sb_h_aud_create(sb_ctx *ctx, sb_req *req)
{
    char adv[SB_ID_MAX];
    const char *name = NULL, *calc_s = NULL, *sub = "NORMAL";
    json_object *paths = NULL, *data;
    long retention = 0;
    int calc;
    sb_members *set = NULL;
    sb_audience *a;

    if (sb_j_id(req, req->json, "advertiser_id", adv, sizeof adv, true) < 0
        || sb_j_str(req, req->json, "custom_audience_name", &name, 1, 128, true) < 0
        || sb_j_str(req, req->json, "calculate_type", &calc_s, 0, 64, true) < 0) {
        goto cleanup;
    }
    calc = sb_idtype_parse_create(calc_s);
    if (calc == 0) {
        sb_fail(req, 40002, "calculate_type: Must be one of %s.", sb_idtype_create_enum());
        goto cleanup;
    }
    if (sb_j_id_array(req, req->json, "file_paths", &paths, 1, 500, SB_FILE_ID_LEN, true) < 0
        || sb_j_int(req, req->json, "retention_in_days", &retention, 1, 365, false) < 0
        || check_sub_type(req, &sub) < 0 || check_bool(req, "audience_enhancement") < 0) {
        goto cleanup;
    }
    pthread_mutex_lock(&ctx->lock);
    if (sb_require_adv(ctx, req, adv, true) != 0) {
        goto unlock;
    }
    if (sb_st_count_owned(ctx, adv) >= SB_MAX_AUDIENCES) {
        sb_fail(req, 40002, "The number of custom audiences in advertiser_id %s has reached "
                "the limit of 400; delete audiences you no longer use.", adv);
        goto unlock;
    }
    set = load_files(ctx, req, adv, paths, calc);
    if (set == NULL) {
        goto unlock;
    }
    a = sb_st_new_audience(ctx, adv, name, calc);
    if (a == NULL || sb_st_add_op(ctx, "create", "CREATE", a->audience_id, adv, false) != 0) {
        if (a != NULL) {
            sb_st_delete_audience(ctx, a);
        }
        sb_fail(req, 50000, "System error: out of memory.");
        goto unlock;
    }
    sb_members_free(a->members);
    a->members = set;
    set = NULL;
    a->retention_in_days = (int)retention;
    free(a->sub_type);
    a->sub_type = strdup(sub);
    data = json_object_new_object();
    json_object_object_add(data, "custom_audience_id", json_object_new_string(a->audience_id));
    sb_ok(req, data);
unlock:
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    sb_members_free(set);
    json_object_put(paths);
}

typedef struct {
    sb_members *target;
    size_t n;
} set_walk;

static int count_new(const uint8_t key[32], int type, void *arg)
{
    set_walk *w = arg;

    (void)type;
    w->n += !sb_members_contains(w->target, key);
    return 0;
}

static int count_present(const uint8_t key[32], int type, void *arg)
{
    set_walk *w = arg;

    (void)type;
    w->n += sb_members_contains(w->target, key);
    return 0;
}

static int add_to(const uint8_t key[32], int type, void *arg)
{
    return sb_members_add(((set_walk *)arg)->target, key, type) < 0;
}

static int remove_from(const uint8_t key[32], int type, void *arg)
{
    (void)type;
    sb_members_remove(((set_walk *)arg)->target, key);
    return 0;
}

void sb_h_aud_update(sb_ctx *ctx, sb_req *req)
{
    char adv[SB_ID_MAX], aud_id[SB_ID_MAX];
    const char *action = "REPLACE", *name = NULL, *sub = NULL;
    json_object *paths = NULL;
    int has_paths, has_name;
    sb_members *set = NULL;
    sb_audience *a;
    bool creator;
    int64_t now;

    if (sb_j_id(req, req->json, "advertiser_id", adv, sizeof adv, true) < 0
        || sb_j_id(req, req->json, "custom_audience_id", aud_id, sizeof aud_id, true) < 0
        || sb_j_str(req, req->json, "action", &action, 0, 64, false) < 0) {
        goto cleanup;
    }
    if (strcmp(action, "APPEND") != 0 && strcmp(action, "REMOVE") != 0
        && strcmp(action, "REPLACE") != 0) {
        sb_fail(req, 40002, "action: Must be one of APPEND, REMOVE, REPLACE.");
        goto cleanup;
    }
    has_paths = sb_j_id_array(req, req->json, "file_paths", &paths, 1, 500, SB_FILE_ID_LEN,
                              false);
    if (has_paths < 0) {
        goto cleanup;
    }
    has_name = sb_j_str(req, req->json, "custom_audience_name", &name, 1, 128, false);
    if (has_name < 0 || check_sub_type(req, &sub) < 0
        || check_bool(req, "audience_enhancement") < 0) {
        goto cleanup;
    }
    if (has_paths == 0 && has_name == 0 && sub == NULL) {
        sb_fail(req, 40002, "file_paths: Missing data for required field (send file_paths "
                "or custom_audience_name).");
        goto cleanup;
    }
    pthread_mutex_lock(&ctx->lock);
    now = sb_now_ms(ctx);
    if (sb_require_adv(ctx, req, adv, true) != 0) {
        goto unlock;
    }
    a = sb_st_audience(ctx, aud_id);
    if (a == NULL || !visible_to(a, adv, &creator)) {
        sb_fail(req, 40007, "The custom audience %s does not exist in advertiser_id %s.",
                aud_id, adv);
        goto unlock;
    }
    if (!creator) {
        sb_fail(req, 40001, "No permission: custom audience %s was shared with advertiser_id "
                "%s; only its creator can modify it.", aud_id, adv);
        goto unlock;
    }
    if (has_paths == 1) {
        set_walk w = {a->members, 0};
        size_t after;
        if (sb_st_daily_updates(ctx, adv, now) >= SB_DAILY_UPDATES) {
            sb_fail(req, 40002, "Update limit reached: advertiser_id %s already made the daily "
                    "limit of 24 audience update operations today (UTC); retry after "
                    "00:00 UTC.", adv);
            goto unlock;
        }
        set = load_files(ctx, req, adv, paths, a->calculate_type);
        if (set == NULL) {
            goto unlock;
        }
        if (strcmp(action, "APPEND") == 0) {
            sb_members_each(set, count_new, &w);
            after = sb_members_count(a->members) + w.n;
        } else if (strcmp(action, "REMOVE") == 0) {
            sb_members_each(set, count_present, &w);
            after = sb_members_count(a->members) - w.n;
        } else {
            after = sb_members_count(set);
        }
        if (after < SB_MIN_AUDIENCE) {
            sb_fail(req, 40002, "The %s operation failed: " ONE_THOUSAND_MSG " (it would "
                    "hold %zu). Nothing was changed.", action, after);
            goto unlock;
        }
        if (sb_st_add_op(ctx, "update", action, a->audience_id, adv, true) != 0) {
            sb_fail(req, 50000, "System error: out of memory.");
            goto unlock;
        }
        a->prev_cover = sb_aud_cover(ctx, a);
        if (strcmp(action, "REPLACE") == 0) {
            sb_members_free(a->members);
            a->members = set;
            set = NULL;
        } else if (sb_members_each(set, strcmp(action, "APPEND") == 0 ? add_to : remove_from,
                                   &w) != 0) {
            sb_fail(req, 50000, "System error: out of memory.");
            goto unlock;
        }
        a->modify_ms = now;
        a->ready_ms = now + ctx->processing_delay_ms;
    }
    if (has_name == 1) {
        char *n = strdup(name);
        if (n == NULL || sb_st_add_op(ctx, "update", "RENAME", a->audience_id, adv, false) != 0) {
            free(n);
            sb_fail(req, 50000, "System error: out of memory.");
            goto unlock;
        }
        free(a->name);
        a->name = n;
        a->modify_ms = now;
    }
    if (sub != NULL) {
        char *s = strdup(sub);
        if (s != NULL) {
            free(a->sub_type);
            a->sub_type = s;
        }
    }
    sb_ok(req, json_object_new_object());
unlock:
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    sb_members_free(set);
    json_object_put(paths);
}

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
        if (a == NULL || !visible_to(a, adv, &creator)) {
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
        if (!visible_to(a, adv, &creator) || (ids != NULL && !in_ids(ids, a->audience_id))) {
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

void sb_h_aud_delete(sb_ctx *ctx, sb_req *req)
{
    char adv[SB_ID_MAX];
    json_object *ids = NULL;

    if (sb_j_id(req, req->json, "advertiser_id", adv, sizeof adv, true) < 0
        || sb_j_id_array(req, req->json, "custom_audience_ids", &ids, 1, 100, 0, true) < 0) {
        goto cleanup;
    }
    pthread_mutex_lock(&ctx->lock);
    if (sb_require_adv(ctx, req, adv, true) != 0) {
        goto unlock;
    }
    /* All or nothing: check every id before deleting any. */
    for (size_t i = 0; i < json_object_array_length(ids); i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        sb_audience *a = sb_st_audience(ctx, id);
        if (a == NULL || strcmp(a->advertiser_id, adv) != 0) {
            sb_fail(req, 40007, "The custom audience %s does not exist in advertiser_id %s.",
                    id, adv);
            goto unlock;
        }
    }
    for (size_t i = 0; i < json_object_array_length(ids); i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        sb_audience *a = sb_st_audience(ctx, id);
        if (a != NULL) {   /* NULL when the list repeats an id */
            sb_st_add_op(ctx, "delete", "DELETE", id, adv, false);
            sb_st_delete_audience(ctx, a);
        }
    }
    sb_ok(req, json_object_new_object());
unlock:
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    json_object_put(ids);
}

void sb_h_aud_share(sb_ctx *ctx, sb_req *req)
{
    char adv[SB_ID_MAX];
    json_object *ids = NULL, *targets = NULL;
    const char *bc;

    if (sb_j_id(req, req->json, "advertiser_id", adv, sizeof adv, true) < 0
        || sb_j_id_array(req, req->json, "custom_audience_ids", &ids, 1, 10, 0, true) < 0
        || sb_j_id_array(req, req->json, "shared_advertiser_ids", &targets, 1, 10, 0,
                         true) < 0) {
        goto cleanup;
    }
    pthread_mutex_lock(&ctx->lock);
    if (sb_require_adv(ctx, req, adv, true) != 0) {
        goto unlock;
    }
    bc = sb_w_str(sb_w_advertiser(ctx, adv), "owner_bc_id");
    for (size_t i = 0; i < json_object_array_length(targets); i++) {
        const char *t = json_object_get_string(json_object_array_get_idx(targets, i));
        const char *tbc = sb_w_str(sb_w_advertiser(ctx, t), "owner_bc_id");
        if (strcmp(t, adv) == 0) {
            sb_fail(req, 40002, "shared_advertiser_ids: advertiser_id %s cannot share with "
                    "itself.", t);
            goto unlock;
        }
        if (bc == NULL || tbc == NULL || strcmp(bc, tbc) != 0) {
            sb_fail(req, 40002, "shared_advertiser_ids: advertiser_id %s is not in the same "
                    "Business Center as advertiser_id %s; audiences can only be shared "
                    "within one Business Center.", t, adv);
            goto unlock;
        }
    }
    for (size_t i = 0; i < json_object_array_length(ids); i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        sb_audience *a = sb_st_audience(ctx, id);
        if (a == NULL || strcmp(a->advertiser_id, adv) != 0) {
            sb_fail(req, 40007, "The custom audience %s does not exist in advertiser_id %s.",
                    id, adv);
            goto unlock;
        }
    }
    for (size_t i = 0; i < json_object_array_length(ids); i++) {
        sb_audience *a = sb_st_audience(ctx, json_object_get_string(
                                                 json_object_array_get_idx(ids, i)));
        for (size_t j = 0; j < json_object_array_length(targets); j++) {
            const char *t = json_object_get_string(json_object_array_get_idx(targets, j));
            char **n;
            bool have = false;
            for (size_t k = 0; k < a->n_shared; k++) {
                have |= strcmp(a->shared_with[k], t) == 0;
            }
            if (have) {
                continue;
            }
            n = realloc(a->shared_with, (a->n_shared + 1) * sizeof *n);
            if (n == NULL) {
                sb_fail(req, 50000, "System error: out of memory.");
                goto unlock;
            }
            a->shared_with = n;
            a->shared_with[a->n_shared] = strdup(t);
            if (a->shared_with[a->n_shared] == NULL) {
                sb_fail(req, 50000, "System error: out of memory.");
                goto unlock;
            }
            a->n_shared++;
        }
        sb_st_add_op(ctx, "share", "SHARE", a->audience_id, adv, false);
    }
    sb_ok(req, json_object_new_object());
unlock:
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    json_object_put(ids);
    json_object_put(targets);
}
