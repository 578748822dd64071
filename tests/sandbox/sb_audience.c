/* sb_audience.c: Customer File audiences: create, update (APPEND /
 * REMOVE / REPLACE as true set operations), get, list, delete, share.
 * Enforces TikTok's rules that break connectors: 400 audiences per Ad
 * Account, the 1,000-member floor for updates, 24 file updates per Ad
 * Account per UTC day, calculate_type matching the files, file ownership
 * and expiry, the processing delay, one REPLACE per audience per 24 hours
 * and (optionally) refusing updates while an audience processes. Reading
 * (get, list) is in sb_audience_get.c. */
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONE_THOUSAND_MSG "audience size would be less than 1,000 after the operation"

bool sb_aud_visible(const sb_audience *a, const char *adv_id, bool *creator)
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

/* A create's rules before its files: the caller's role, 400 audiences. */
static int create_rules(sb_ctx *ctx, sb_req *req, void *arg, sb_file_set *fs)
{
    const char *adv = arg;

    if ((fs->again ? sb_check_adv : sb_require_adv)(ctx, req, adv, true) != 0) {
        return -1;
    }
    if (sb_st_count_owned(ctx, adv) >= SB_MAX_AUDIENCES) {
        sb_fail(req, 40002, "The number of custom audiences in advertiser_id %s has reached "
                "the limit of 400; delete audiences you no longer use.", adv);
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
    sb_file_set fs = {0};

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
    fs.calc = calc;
    if (sb_lock_with_files(ctx, req, adv, paths, create_rules, adv, &fs) != 0) {
        goto unlock;
    }
    set = fs.set;
    fs.set = NULL;
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
    sb_members_free(fs.set);
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

    w->n += !sb_members_contains(w->target, key, type);
    return 0;
}

static int count_present(const uint8_t key[32], int type, void *arg)
{
    set_walk *w = arg;

    w->n += sb_members_contains(w->target, key, type);
    return 0;
}

static int add_to(const uint8_t key[32], int type, void *arg)
{
    return sb_members_add(((set_walk *)arg)->target, key, type) < 0;
}

static int remove_from(const uint8_t key[32], int type, void *arg)
{
    sb_members_remove(((set_walk *)arg)->target, key, type);
    return 0;
}

#define BUSY_MSG "The audience is currently being updated or under processing, please " \
                 "try again later."

/* Rules an update with files meets before its files are read: the
 * processing audience (with --busy-while-processing), one REPLACE per
 * 24 hours, 24 file updates per advertiser per UTC day. Lock held. */
static int check_file_update(sb_ctx *ctx, sb_req *req, const sb_audience *a,
                             const char *action, int64_t now)
{
    if (ctx->busy_while_processing && now < a->ready_ms) {
        sb_fail(req, 40002, BUSY_MSG);
        return -1;
    }
    if (strcmp(action, "REPLACE") == 0 && a->last_replace_ms != 0
        && now - a->last_replace_ms < SB_DAY_MS) {
        char next[24];
        sb_utc_time(a->last_replace_ms + SB_DAY_MS, next, sizeof next);
        sb_fail(req, 40002, "This replace operation is rejected as there is an existing "
                "unfinished replace operation for this audience. TikTok only allows one "
                "Replace operation per 24 hrs; the next one is accepted after %s UTC.", next);
        return -1;
    }
    if (sb_st_daily_updates(ctx, a->advertiser_id, now) >= SB_DAILY_UPDATES) {
        sb_fail(req, 40002, "Update limit reached: advertiser_id %s already made the daily "
                "limit of 24 audience update operations today (UTC); retry after "
                "00:00 UTC.", a->advertiser_id);
        return -1;
    }
    return 0;
}

/* APPEND / REMOVE / REPLACE with the union of file_paths, set (taken).
 * Lock held; 0 or -1 failed. */
static int apply_file_update(sb_ctx *ctx, sb_req *req, sb_audience *a, const char *action,
                             sb_members *set, int64_t now)
{
    set_walk w = {a->members, 0};
    size_t after;
    int rc = -1;

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
        goto cleanup;
    }
    if (sb_st_add_op(ctx, "update", action, a->audience_id, a->advertiser_id, true) != 0) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto cleanup;
    }
    a->prev_cover = sb_aud_cover(ctx, a);
    if (strcmp(action, "REPLACE") == 0) {
        sb_members_free(a->members);
        a->members = set;
        set = NULL;
        a->last_replace_ms = now;
    } else if (sb_members_each(set, strcmp(action, "APPEND") == 0 ? add_to : remove_from,
                               &w) != 0) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto cleanup;
    }
    a->modify_ms = now;
    a->ready_ms = now + ctx->processing_delay_ms;
    rc = 0;
cleanup:
    sb_members_free(set);
    return rc;
}

typedef struct {
    const char *adv, *aud_id;
    const char *action;   /* NULL: no file_paths */
    sb_audience *a;       /* out */
    int64_t now;          /* out */
} update_req;

/* An update's rules before its files: the caller's role, the audience and
 * its creator, and with files check_file_update's. */
static int update_rules(sb_ctx *ctx, sb_req *req, void *arg, sb_file_set *fs)
{
    update_req *u = arg;
    bool creator;

    u->now = sb_now_ms(ctx);
    if ((fs->again ? sb_check_adv : sb_require_adv)(ctx, req, u->adv, true) != 0) {
        return -1;
    }
    u->a = sb_st_audience(ctx, u->aud_id);
    if (u->a == NULL || !sb_aud_visible(u->a, u->adv, &creator)) {
        sb_fail(req, 40007, "The custom audience %s does not exist in advertiser_id %s.",
                u->aud_id, u->adv);
        return -1;
    }
    if (!creator) {
        sb_fail(req, 40001, "No permission: custom audience %s was shared with advertiser_id "
                "%s; only its creator can modify it.", u->aud_id, u->adv);
        return -1;
    }
    fs->calc = u->a->calculate_type;
    return u->action == NULL ? 0 : check_file_update(ctx, req, u->a, u->action, u->now);
}

/* An update's new name (NULL: none) and sub type (NULL: unchanged). Lock
 * held; 0, or -1 answered. */
static int apply_rename(sb_ctx *ctx, sb_req *req, sb_audience *a, const char *name,
                        const char *sub, int64_t now)
{
    if (name != NULL) {
        char *n = strdup(name);
        if (n == NULL
            || sb_st_add_op(ctx, "update", "RENAME", a->audience_id, a->advertiser_id,
                            false) != 0) {
            free(n);
            sb_fail(req, 50000, "System error: out of memory.");
            return -1;
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
    return 0;
}

void sb_h_aud_update(sb_ctx *ctx, sb_req *req)
{
    char adv[SB_ID_MAX], aud_id[SB_ID_MAX];
    const char *action = "REPLACE", *name = NULL, *sub = NULL;
    json_object *paths = NULL;
    int has_paths, has_name;
    sb_audience *a;
    int64_t now;
    update_req u = {0};
    sb_file_set fs = {0};

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
    u.adv = adv;
    u.aud_id = aud_id;
    u.action = has_paths == 1 ? action : NULL;
    if (has_paths == 1) {
        if (sb_lock_with_files(ctx, req, adv, paths, update_rules, &u, &fs) != 0) {
            goto unlock;
        }
    } else {
        pthread_mutex_lock(&ctx->lock);
        if (update_rules(ctx, req, &u, &fs) != 0) {
            goto unlock;
        }
    }
    a = u.a;
    now = u.now;
    if (has_paths == 1) {
        sb_members *set = fs.set;
        fs.set = NULL;
        if (apply_file_update(ctx, req, a, action, set, now) != 0) {
            goto unlock;
        }
    }
    if (apply_rename(ctx, req, a, has_name == 1 ? name : NULL, sub, now) != 0) {
        goto unlock;
    }
    sb_ok(req, json_object_new_object());
unlock:
    pthread_mutex_unlock(&ctx->lock);
cleanup:
    sb_members_free(fs.set);
    json_object_put(paths);
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
