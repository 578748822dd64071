/*
 * tt_api_audience.c - custom audiences: list, get, create, update.
 *
 * create is non-idempotent: it is sent once unless the request surely
 * never left (no_blind_retry); a caller recovers a lost answer by listing.
 */
#include <config.h>

#include "tiktok/tt_api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "YYYY-MM-DD HH:MM:SS" as UTC milliseconds; -1 when absent or malformed. */
static int64_t parse_utc_time(json_object *item, const char *key)
{
    json_object *v = NULL;
    int y, mo, d, h, mi, sec;
    char tail;

    if (!json_object_object_get_ex(item, key, &v) || !json_object_is_type(v, json_type_string)
        || sscanf(json_object_get_string(v), "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h,
                  &mi, &sec, &tail) != 6
        || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    /* Days from the civil date (Howard Hinnant's algorithm): no timegm(),
       which is not in POSIX, and no TZ involved. */
    y -= mo <= 2;
    int64_t era = y / 400, yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    return ((days * 24 + h) * 60 + mi) * 60000 + (int64_t) sec * 1000;
}

static int tt_collect_audience(json_object *item, void *ctx)
{
    tt_audience_list *l = ctx;
    json_object *details;
    tt_audience *a;

    /* get/ nests the fields under audience_details; list/ does not. */
    if (json_object_object_get_ex(item, "audience_details", &details)
        && json_object_is_type(details, json_type_object))
        item = details;
    a = tt_api_push((void **) &l->items, l->count, sizeof(*l->items));
    if (a == NULL)
        return -1;
    a->audience_id = tt_json_str(item, "audience_id");
    if (a->audience_id == NULL)
        a->audience_id = tt_json_str(item, "custom_audience_id");
    if (a->audience_id == NULL)
        return 0;
    a->name = tt_json_str(item, "name");
    a->calculate_type = tt_json_str(item, "calculate_type");
    a->audience_type = tt_json_str(item, "audience_type");
    if (a->audience_type == NULL)
        a->audience_type = tt_json_str(item, "type");
    a->cover_num = tt_json_int(item, "cover_num", -1);
    a->is_valid = tt_json_bool(item, "is_valid");
    a->is_creator = tt_json_bool(item, "is_creator");
    a->is_expiring = tt_json_bool(item, "is_expiring");
    a->create_time_ms = parse_utc_time(item, "create_time");
    a->expired_time_ms = parse_utc_time(item, "expired_time");
    l->count++;
    return 0;
}

aconn_status tt_api_audience_list(const tt_api *api, const char *advertiser_id,
                                  tt_audience_list *out, aconn_error *err)
{
    json_object *q = json_object_new_object();
    aconn_status st;

    memset(out, 0, sizeof(*out));
    if (q == NULL || tt_json_set_str(q, "advertiser_id", advertiser_id) != 0) {
        json_object_put(q);
        return tt_api_oom(err, "dmp/custom_audience/list");
    }
    st = tt_api_paged(api, "dmp/custom_audience/list", advertiser_id, q,
                      TT_API_AUDIENCE_PAGE_SIZE, tt_collect_audience, out, err);
    if (st != ACONN_OK)
        tt_audience_list_free(out);
    return st;
}

aconn_status tt_api_audience_get(const tt_api *api, const char *advertiser_id,
                                 const char *const *ids, size_t n, tt_audience_list *out,
                                 aconn_error *err)
{
    static const char ep[] = "dmp/custom_audience/get";
    json_object *q;
    aconn_status st;

    memset(out, 0, sizeof(*out));
    if (n == 0 || n > TT_API_MAX_GET_IDS)
        return aconn_error_set(err, ACONN_ERR_INVALID, "too_many_ids", NULL,
                               "%s takes 1 to %d audience ids per call, not %zu.", ep,
                               TT_API_MAX_GET_IDS, n);
    q = json_object_new_object();
    if (q != NULL && (tt_json_set_str(q, "advertiser_id", advertiser_id) != 0
                      || tt_json_set(q, "custom_audience_ids", tt_json_string_array(ids, n)) != 0)) {
        json_object_put(q);
        q = NULL;
    }
    st = tt_api_get_each(api, ep, advertiser_id, q, 0, tt_collect_audience, out, err);
    if (st != ACONN_OK)
        tt_audience_list_free(out);
    return st;
}

static json_object *tt_create_body(const char *advertiser_id, const char *name,
                                   const char *calculate_type, const char *const *file_paths,
                                   size_t n, int retention_days)
{
    json_object *b = json_object_new_object();

    if (b == NULL || tt_json_set_str(b, "advertiser_id", advertiser_id) != 0
        || tt_json_set_str(b, "custom_audience_name", name) != 0
        || tt_json_set_str(b, "calculate_type", calculate_type) != 0
        || tt_json_set(b, "file_paths", tt_json_string_array(file_paths, n)) != 0
        || (retention_days > 0
            && tt_json_set(b, "retention_in_days", json_object_new_int(retention_days)) != 0)) {
        json_object_put(b);
        return NULL;
    }
    return b;
}

aconn_status tt_api_audience_create(const tt_api *api, const char *advertiser_id,
                                    const char *name, const char *calculate_type,
                                    const char *const *file_paths, size_t n,
                                    int retention_days, char **audience_id, aconn_error *err)
{
    static const char ep[] = "dmp/custom_audience/create";
    json_object *body = NULL;
    tt_request req;
    tt_response resp;
    aconn_status st;

    *audience_id = NULL;
    memset(&resp, 0, sizeof(resp));
    if (n == 0 || n > TT_API_MAX_CREATE_FILE_PATHS)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_file_count", "file_paths",
                               "%s takes 1 to %d file_paths per call here, not %zu; "
                               "add the rest with an APPEND update.", ep,
                               TT_API_MAX_CREATE_FILE_PATHS, n);
    body = tt_create_body(advertiser_id, name, calculate_type, file_paths, n, retention_days);
    if (body == NULL)
        return tt_api_oom(err, ep);
    tt_api_request_init(&req, api, TT_POST_JSON, ep, advertiser_id);
    req.body = body;
    req.no_blind_retry = 1;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st != ACONN_OK)
        goto cleanup;
    *audience_id = tt_json_str(resp.data, "custom_audience_id");
    if (*audience_id == NULL)
        st = tt_api_bad_data(err, ep, "custom_audience_id", &resp);
cleanup:
    tt_response_free(&resp);
    json_object_put(body);
    return st;
}

aconn_status tt_api_audience_update(const tt_api *api, const char *advertiser_id,
                                    const char *audience_id, tt_update_action action,
                                    const char *const *file_paths, size_t n, size_t *calls,
                                    aconn_error *err)
{
    static const char ep[] = "dmp/custom_audience/update";
    size_t off = 0;
    aconn_status st = ACONN_OK;

    if (calls != NULL)
        *calls = 0;
    if (n == 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_file_count", "file_paths",
                               "%s needs at least one file_path.", ep);
    while (off < n && st == ACONN_OK) {
        size_t chunk = n - off > TT_API_MAX_FILE_PATHS ? TT_API_MAX_FILE_PATHS : n - off;
        /* Only the first chunk of a REPLACE replaces; later ones add to it. */
        tt_update_action a = (action == TT_UPDATE_REPLACE && off > 0) ? TT_UPDATE_APPEND : action;
        json_object *body = json_object_new_object();
        tt_request req;
        tt_response resp;

        memset(&resp, 0, sizeof(resp));
        if (body == NULL || tt_json_set_str(body, "advertiser_id", advertiser_id) != 0
            || tt_json_set_str(body, "custom_audience_id", audience_id) != 0
            || tt_json_set_str(body, "action", tt_update_action_name(a)) != 0
            || tt_json_set(body, "file_paths", tt_json_string_array(file_paths + off, chunk)) != 0) {
            json_object_put(body);
            return tt_api_oom(err, ep);
        }
        tt_api_request_init(&req, api, TT_POST_JSON, ep, advertiser_id);
        req.body = body;
        /* Idempotent on its own, but not in order: an unanswered APPEND that
           TikTok applies late, after this run's REMOVE, would bring removed
           members back. The caller waits before the next action instead. */
        req.no_blind_retry = 1;
        /* APPEND and REMOVE are idempotent at TikTok (only new / matching
           data changes), and REPLACE with the same files is too. */
        st = tt_http_call(api->http, api->host, &req, &resp, err);
        if (calls != NULL)
            (*calls)++;
        tt_response_free(&resp);
        json_object_put(body);
        off += chunk;
    }
    return st;
}
