/*
 * tt_api.c - typed TikTok API calls: request shapes in, owned structs out.
 *
 * Response fields follow tiktok-api.md §1-§2. IDs are 64-bit integers that
 * TikTok may send as JSON numbers or strings; they are kept as strings.
 */
#include <config.h>

#include "tiktok/tt_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* ------------------------------------------------------------------ */
/* JSON helpers                                                        */
/* ------------------------------------------------------------------ */

static char *tt_dup(const char *s)
{
    size_t n;
    char *d;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    d = malloc(n + 1);
    if (d != NULL)
        memcpy(d, s, n + 1);
    return d;
}

/* A string or integer member as a new string; NULL when absent. */
static char *tt_jstr(json_object *obj, const char *key)
{
    json_object *v;
    char num[32];

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return NULL;
    if (json_object_is_type(v, json_type_string))
        return tt_dup(json_object_get_string(v));
    if (json_object_is_type(v, json_type_int)) {
        snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
        return tt_dup(num);
    }
    return NULL;
}

static int64_t tt_jint(json_object *obj, const char *key, int64_t fallback)
{
    json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return fallback;
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (json_object_is_type(v, json_type_string)) {
        char *end = NULL;
        long long x = strtoll(json_object_get_string(v), &end, 10);
        if (end != NULL && *end == '\0' && end != json_object_get_string(v))
            return (int64_t) x;
    }
    return fallback;
}

static int tt_jbool(json_object *obj, const char *key)
{
    json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return 0;
    if (json_object_is_type(v, json_type_boolean) || json_object_is_type(v, json_type_int))
        return json_object_get_boolean(v) ? 1 : 0;
    return 0;
}

static json_object *tt_jarray(json_object *obj, const char *key)
{
    json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v)
        || !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

static json_object *tt_string_array(const char *const *items, size_t n)
{
    json_object *arr = json_object_new_array();
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        json_object *s = json_object_new_string(items[i] != NULL ? items[i] : "");
        if (s == NULL || json_object_array_add(arr, s) != 0) {
            json_object_put(s);
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

/* Adds key: string; returns -1 on allocation failure. */
static int tt_jset(json_object *obj, const char *key, const char *value)
{
    json_object *s = json_object_new_string(value != NULL ? value : "");

    if (s == NULL || json_object_object_add(obj, key, s) != 0) {
        json_object_put(s);
        return -1;
    }
    return 0;
}

static int tt_jset_obj(json_object *obj, const char *key, json_object *value)
{
    if (value == NULL || json_object_object_add(obj, key, value) != 0) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

/* Makes room for one more item. Lists here are small (hundreds), so an
   exact realloc keeps the structs free of a capacity member. */
static int tt_push(void **items, size_t count, size_t size)
{
    void *p = realloc(*items, (count + 1) * size);

    if (p == NULL)
        return -1;
    *items = p;
    return 0;
}

static aconn_status tt_oom(aconn_error *err, const char *what)
{
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                           "Out of memory while handling %s.", what);
}

/* TikTok said OK but the answer lacks what the endpoint promises. */
static aconn_status tt_bad_data(aconn_error *err, const char *endpoint, const char *field,
                                const tt_response *resp)
{
    aconn_status st = aconn_error_set(err, ACONN_RETRY, "bad_response", field,
                                      "TikTok's answer to %s has no usable \"%s\" "
                                      "(request_id %s). Retry later.", endpoint, field,
                                      resp->request_id[0] != '\0' ? resp->request_id : "none");
    if (err != NULL)
        err->retry_after_ms = TT_HINT_REMOTE_ERROR_MS;
    return st;
}

static void tt_request_init(tt_request *req, const tt_api *api, tt_method method,
                            const char *endpoint, const char *advertiser_id)
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->endpoint = endpoint;
    req->token = api->token;
    req->profile = api->profile;
    req->advertiser_id = advertiser_id;
}

/* ------------------------------------------------------------------ */
/* Frees                                                               */
/* ------------------------------------------------------------------ */

void tt_advertiser_list_free(tt_advertiser_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->count; i++) {
        free(l->items[i].advertiser_id);
        free(l->items[i].name);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void tt_bc_list_free(tt_bc_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->count; i++) {
        free(l->items[i].bc_id);
        free(l->items[i].name);
        free(l->items[i].user_role);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void tt_bc_asset_list_free(tt_bc_asset_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->count; i++) {
        free(l->items[i].asset_id);
        free(l->items[i].asset_name);
        free(l->items[i].relation_type);
        free(l->items[i].relation_status);
        free(l->items[i].advertiser_role);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void tt_audience_list_free(tt_audience_list *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->count; i++) {
        free(l->items[i].audience_id);
        free(l->items[i].name);
        free(l->items[i].calculate_type);
        free(l->items[i].audience_type);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void tt_token_grant_free(tt_token_grant *g)
{
    size_t i;

    if (g == NULL)
        return;
    tt_secret_free(&g->token);
    for (i = 0; i < g->count; i++)
        free(g->advertiser_ids[i]);
    free(g->advertiser_ids);
    memset(g, 0, sizeof(*g));
}

void tt_upload_results_free(tt_upload_result *r, size_t n)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < n; i++) {
        free(r[i].file_path);
        r[i].file_path = NULL;
    }
}

const char *tt_update_action_name(tt_update_action a)
{
    switch (a) {
    case TT_UPDATE_APPEND: return "APPEND";
    case TT_UPDATE_REMOVE: return "REMOVE";
    case TT_UPDATE_REPLACE: return "REPLACE";
    }
    return "APPEND";
}

/* ------------------------------------------------------------------ */
/* Paging                                                              */
/* ------------------------------------------------------------------ */

typedef int (*tt_item_fn)(json_object *item, void *ctx);

/*
 * Fetches every page of a GET list endpoint into item_fn. query is owned
 * by the caller; page and page_size are set here. Bounded by total_page,
 * TT_API_MAX_PAGES and an empty page.
 */
static aconn_status tt_api_paged(const tt_api *api, const char *endpoint,
                                 const char *advertiser_id, json_object *query, int page_size,
                                 tt_item_fn item_fn, void *ctx, aconn_error *err)
{
    tt_request req;
    tt_response resp;
    int64_t page = 1, total_page = 1;
    aconn_status st = ACONN_OK;

    memset(&resp, 0, sizeof(resp));
    tt_request_init(&req, api, TT_GET, endpoint, advertiser_id);
    req.query = query;
    if (tt_jset_obj(query, "page_size", json_object_new_int(page_size)) != 0)
        return tt_oom(err, endpoint);
    while (page <= total_page && page <= TT_API_MAX_PAGES) {
        json_object *list, *info;
        size_t i, n;

        if (tt_jset_obj(query, "page", json_object_new_int64(page)) != 0) {
            st = tt_oom(err, endpoint);
            break;
        }
        st = tt_http_call(api->http, api->host, &req, &resp, err);
        if (st != ACONN_OK)
            break;
        list = tt_jarray(resp.data, "list");
        if (list == NULL) {
            st = tt_bad_data(err, endpoint, "list", &resp);
            break;
        }
        n = json_object_array_length(list);
        for (i = 0; i < n; i++) {
            if (item_fn(json_object_array_get_idx(list, i), ctx) != 0) {
                st = tt_oom(err, endpoint);
                goto cleanup;
            }
        }
        if (json_object_object_get_ex(resp.data, "page_info", &info))
            total_page = tt_jint(info, "total_page", page);
        else
            total_page = page;
        if (n == 0)
            break;
        page++;
    }
cleanup:
    tt_response_free(&resp);
    return st;
}

static int tt_collect_bc(json_object *item, void *ctx)
{
    tt_bc_list *l = ctx;
    json_object *info = NULL;
    tt_bc *b;

    if (!json_object_object_get_ex(item, "bc_info", &info))
        info = item;
    if (tt_push((void **) &l->items, l->count, sizeof(*l->items)) != 0)
        return -1;
    b = &l->items[l->count];
    memset(b, 0, sizeof(*b));
    b->bc_id = tt_jstr(info, "bc_id");
    if (b->bc_id == NULL)
        return 0;   /* an entry without an id is useless: skip it */
    b->name = tt_jstr(info, "name");
    b->user_role = tt_jstr(item, "user_role");
    l->count++;
    return 0;
}

aconn_status tt_api_bc_get(const tt_api *api, tt_bc_list *out, aconn_error *err)
{
    json_object *q = json_object_new_object();
    aconn_status st;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return tt_oom(err, "bc/get");
    st = tt_api_paged(api, "bc/get", NULL, q, TT_API_BC_PAGE_SIZE, tt_collect_bc, out, err);
    json_object_put(q);
    if (st != ACONN_OK)
        tt_bc_list_free(out);
    return st;
}

static int tt_collect_asset(json_object *item, void *ctx)
{
    tt_bc_asset_list *l = ctx;
    tt_bc_asset *a;

    if (tt_push((void **) &l->items, l->count, sizeof(*l->items)) != 0)
        return -1;
    a = &l->items[l->count];
    memset(a, 0, sizeof(*a));
    a->asset_id = tt_jstr(item, "asset_id");
    if (a->asset_id == NULL)
        return 0;
    a->asset_name = tt_jstr(item, "asset_name");
    a->relation_type = tt_jstr(item, "relation_type");
    a->relation_status = tt_jstr(item, "relation_status");
    a->advertiser_role = tt_jstr(item, "advertiser_role");
    l->count++;
    return 0;
}

aconn_status tt_api_bc_assets(const tt_api *api, const char *bc_id, tt_bc_asset_list *out,
                              aconn_error *err)
{
    json_object *q = json_object_new_object();
    aconn_status st;

    memset(out, 0, sizeof(*out));
    if (q == NULL || tt_jset(q, "bc_id", bc_id) != 0 || tt_jset(q, "asset_type", "ADVERTISER") != 0) {
        json_object_put(q);
        return tt_oom(err, "bc/asset/get");
    }
    st = tt_api_paged(api, "bc/asset/get", NULL, q, TT_API_BC_PAGE_SIZE, tt_collect_asset, out,
                      err);
    json_object_put(q);
    if (st != ACONN_OK)
        tt_bc_asset_list_free(out);
    return st;
}

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
    if (tt_push((void **) &l->items, l->count, sizeof(*l->items)) != 0)
        return -1;
    a = &l->items[l->count];
    memset(a, 0, sizeof(*a));
    a->audience_id = tt_jstr(item, "audience_id");
    if (a->audience_id == NULL)
        a->audience_id = tt_jstr(item, "custom_audience_id");
    if (a->audience_id == NULL)
        return 0;
    a->name = tt_jstr(item, "name");
    a->calculate_type = tt_jstr(item, "calculate_type");
    a->audience_type = tt_jstr(item, "audience_type");
    if (a->audience_type == NULL)
        a->audience_type = tt_jstr(item, "type");
    a->cover_num = tt_jint(item, "cover_num", -1);
    a->is_valid = tt_jbool(item, "is_valid");
    a->is_creator = tt_jbool(item, "is_creator");
    a->is_expiring = tt_jbool(item, "is_expiring");
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
    if (q == NULL || tt_jset(q, "advertiser_id", advertiser_id) != 0) {
        json_object_put(q);
        return tt_oom(err, "dmp/custom_audience/list");
    }
    st = tt_api_paged(api, "dmp/custom_audience/list", advertiser_id, q,
                      TT_API_AUDIENCE_PAGE_SIZE, tt_collect_audience, out, err);
    json_object_put(q);
    if (st != ACONN_OK)
        tt_audience_list_free(out);
    return st;
}

/* ------------------------------------------------------------------ */
/* Single calls                                                        */
/* ------------------------------------------------------------------ */

aconn_status tt_api_audience_get(const tt_api *api, const char *advertiser_id,
                                 const char *const *ids, size_t n, tt_audience_list *out,
                                 aconn_error *err)
{
    static const char ep[] = "dmp/custom_audience/get";
    json_object *q = NULL, *list;
    tt_request req;
    tt_response resp;
    size_t i, len;
    aconn_status st;

    memset(out, 0, sizeof(*out));
    memset(&resp, 0, sizeof(resp));
    if (n == 0 || n > TT_API_MAX_GET_IDS)
        return aconn_error_set(err, ACONN_ERR_INVALID, "too_many_ids", NULL,
                               "%s takes 1 to %d audience ids per call, not %zu.", ep,
                               TT_API_MAX_GET_IDS, n);
    q = json_object_new_object();
    if (q == NULL || tt_jset(q, "advertiser_id", advertiser_id) != 0
        || tt_jset_obj(q, "custom_audience_ids", tt_string_array(ids, n)) != 0) {
        st = tt_oom(err, ep);
        goto cleanup;
    }
    tt_request_init(&req, api, TT_GET, ep, advertiser_id);
    req.query = q;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st != ACONN_OK)
        goto cleanup;
    list = tt_jarray(resp.data, "list");
    if (list == NULL) {
        st = tt_bad_data(err, ep, "list", &resp);
        goto cleanup;
    }
    len = json_object_array_length(list);
    for (i = 0; i < len; i++) {
        if (tt_collect_audience(json_object_array_get_idx(list, i), out) != 0) {
            st = tt_oom(err, ep);
            goto cleanup;
        }
    }
cleanup:
    if (st != ACONN_OK)
        tt_audience_list_free(out);
    tt_response_free(&resp);
    json_object_put(q);
    return st;
}

aconn_status tt_api_advertiser_info(const tt_api *api, const char *const *ids, size_t n,
                                    tt_advertiser_list *out, aconn_error *err)
{
    static const char ep[] = "advertiser/info";
    json_object *q = NULL, *list;
    tt_request req;
    tt_response resp;
    size_t i, len;
    aconn_status st;

    memset(out, 0, sizeof(*out));
    memset(&resp, 0, sizeof(resp));
    if (n == 0 || n > 100)
        return aconn_error_set(err, ACONN_ERR_INVALID, "too_many_ids", NULL,
                               "%s takes 1 to 100 advertiser ids per call, not %zu.", ep, n);
    q = json_object_new_object();
    if (q == NULL || tt_jset_obj(q, "advertiser_ids", tt_string_array(ids, n)) != 0) {
        st = tt_oom(err, ep);
        goto cleanup;
    }
    tt_request_init(&req, api, TT_GET, ep, n == 1 ? ids[0] : NULL);
    req.query = q;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st != ACONN_OK)
        goto cleanup;
    list = tt_jarray(resp.data, "list");
    if (list == NULL) {
        st = tt_bad_data(err, ep, "list", &resp);
        goto cleanup;
    }
    len = json_object_array_length(list);
    for (i = 0; i < len; i++) {
        json_object *item = json_object_array_get_idx(list, i);
        tt_advertiser *a;

        if (tt_push((void **) &out->items, out->count, sizeof(*out->items)) != 0) {
            st = tt_oom(err, ep);
            goto cleanup;
        }
        a = &out->items[out->count];
        a->advertiser_id = tt_jstr(item, "advertiser_id");
        a->name = tt_jstr(item, "name");
        if (a->advertiser_id == NULL) {
            free(a->name);
            continue;
        }
        out->count++;
    }
cleanup:
    if (st != ACONN_OK)
        tt_advertiser_list_free(out);
    tt_response_free(&resp);
    json_object_put(q);
    return st;
}

aconn_status tt_api_advertiser_get(const tt_api *api, const char *app_id, const char *secret,
                                   tt_advertiser_list *out, aconn_error *err)
{
    static const char ep[] = "oauth2/advertiser/get";
    json_object *q = NULL, *list;
    tt_request req;
    tt_response resp;
    size_t i, len;
    aconn_status st;

    memset(out, 0, sizeof(*out));
    memset(&resp, 0, sizeof(resp));
    q = json_object_new_object();
    if (q == NULL || tt_jset(q, "app_id", app_id) != 0 || tt_jset(q, "secret", secret) != 0) {
        st = tt_oom(err, ep);
        goto cleanup;
    }
    tt_request_init(&req, api, TT_GET, ep, NULL);
    req.query = q;
    req.sensitive = 1;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st != ACONN_OK)
        goto cleanup;
    list = tt_jarray(resp.data, "list");
    if (list == NULL) {
        st = tt_bad_data(err, ep, "list", &resp);
        goto cleanup;
    }
    len = json_object_array_length(list);
    for (i = 0; i < len; i++) {
        json_object *item = json_object_array_get_idx(list, i);
        tt_advertiser *a;

        if (tt_push((void **) &out->items, out->count, sizeof(*out->items)) != 0) {
            st = tt_oom(err, ep);
            goto cleanup;
        }
        a = &out->items[out->count];
        a->advertiser_id = tt_jstr(item, "advertiser_id");
        a->name = tt_jstr(item, "advertiser_name");
        if (a->advertiser_id == NULL) {
            free(a->name);
            continue;
        }
        out->count++;
    }
cleanup:
    if (st != ACONN_OK)
        tt_advertiser_list_free(out);
    tt_response_free(&resp);
    tt_secret_wipe_json(q);   /* holds the app secret */
    json_object_put(q);
    return st;
}

aconn_status tt_api_access_token(const tt_api *api, const char *app_id, const char *secret,
                                 const char *auth_code, tt_token_grant *out, aconn_error *err)
{
    static const char ep[] = "oauth2/access_token";
    json_object *body = NULL, *tok, *ids;
    tt_request req;
    tt_response resp;
    const char *t;
    size_t i, n, tlen;
    aconn_status st;

    memset(out, 0, sizeof(*out));
    memset(&resp, 0, sizeof(resp));
    body = json_object_new_object();
    if (body == NULL || tt_jset(body, "app_id", app_id) != 0
        || tt_jset(body, "secret", secret) != 0 || tt_jset(body, "auth_code", auth_code) != 0) {
        st = tt_oom(err, ep);
        goto cleanup;
    }
    tt_request_init(&req, api, TT_POST_JSON, ep, NULL);
    req.token = NULL;
    req.body = body;
    req.sensitive = 1;
    /* The auth_code is single-use: repeat only when it surely never left. */
    req.no_blind_retry = 1;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st != ACONN_OK)
        goto cleanup;
    if (resp.data == NULL || !json_object_object_get_ex(resp.data, "access_token", &tok)
        || !json_object_is_type(tok, json_type_string)
        || json_object_get_string_len(tok) == 0) {
        st = tt_bad_data(err, ep, "access_token", &resp);
        goto cleanup;
    }
    t = json_object_get_string(tok);
    tlen = strlen(t);
    out->token.value = malloc(tlen + 1);
    if (out->token.value == NULL) {
        st = tt_oom(err, ep);
        goto cleanup;
    }
    memcpy(out->token.value, t, tlen + 1);
    out->token.len = tlen;
    out->token.cap = tlen + 1;
    ids = tt_jarray(resp.data, "advertiser_ids");
    n = ids != NULL ? json_object_array_length(ids) : 0;
    if (n > 0) {
        out->advertiser_ids = calloc(n, sizeof(char *));
        if (out->advertiser_ids == NULL) {
            st = tt_oom(err, ep);
            goto cleanup;
        }
        for (i = 0; i < n; i++) {
            json_object *v = json_object_array_get_idx(ids, i);
            char num[32];
            const char *s = NULL;

            if (json_object_is_type(v, json_type_string)) {
                s = json_object_get_string(v);
            } else if (json_object_is_type(v, json_type_int)) {
                snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
                s = num;
            }
            if (s == NULL)
                continue;
            out->advertiser_ids[out->count] = tt_dup(s);
            if (out->advertiser_ids[out->count] == NULL) {
                st = tt_oom(err, ep);
                goto cleanup;
            }
            out->count++;
        }
    }
cleanup:
    /* json-c owns a copy of the token in the parsed answer: wipe it in place
       before the tree is freed (json-c has no wiping free). */
    if (resp.data != NULL && json_object_object_get_ex(resp.data, "access_token", &tok)
        && json_object_is_type(tok, json_type_string))
        OPENSSL_cleanse((void *) (uintptr_t) json_object_get_string(tok),
                        (size_t) json_object_get_string_len(tok));
    if (st != ACONN_OK)
        tt_token_grant_free(out);
    tt_response_free(&resp);
    tt_secret_wipe_json(body);   /* app secret and auth code */
    json_object_put(body);
    return st;
}

aconn_status tt_api_revoke_token(const tt_api *api, const char *app_id, const char *secret,
                                 const char *access_token, aconn_error *err)
{
    static const char ep[] = "oauth2/revoke_token";
    json_object *body = json_object_new_object();
    tt_request req;
    tt_response resp;
    aconn_status st;

    memset(&resp, 0, sizeof(resp));
    if (body == NULL || tt_jset(body, "app_id", app_id) != 0
        || tt_jset(body, "secret", secret) != 0
        || tt_jset(body, "access_token", access_token) != 0) {
        tt_secret_wipe_json(body);
        json_object_put(body);
        return tt_oom(err, ep);
    }
    tt_request_init(&req, api, TT_POST_JSON, ep, NULL);
    req.body = body;
    req.sensitive = 1;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    tt_response_free(&resp);
    tt_secret_wipe_json(body);   /* app secret and token */
    json_object_put(body);
    return st;
}

/* ------------------------------------------------------------------ */
/* Audiences                                                           */
/* ------------------------------------------------------------------ */

static json_object *tt_create_body(const char *advertiser_id, const char *name,
                                   const char *calculate_type, const char *const *file_paths,
                                   size_t n, int retention_days)
{
    json_object *b = json_object_new_object();

    if (b == NULL || tt_jset(b, "advertiser_id", advertiser_id) != 0
        || tt_jset(b, "custom_audience_name", name) != 0
        || tt_jset(b, "calculate_type", calculate_type) != 0
        || tt_jset_obj(b, "file_paths", tt_string_array(file_paths, n)) != 0
        || (retention_days > 0
            && tt_jset_obj(b, "retention_in_days", json_object_new_int(retention_days)) != 0)) {
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
        return tt_oom(err, ep);
    tt_request_init(&req, api, TT_POST_JSON, ep, advertiser_id);
    req.body = body;
    req.no_blind_retry = 1;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st != ACONN_OK)
        goto cleanup;
    *audience_id = tt_jstr(resp.data, "custom_audience_id");
    if (*audience_id == NULL)
        st = tt_bad_data(err, ep, "custom_audience_id", &resp);
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
        if (body == NULL || tt_jset(body, "advertiser_id", advertiser_id) != 0
            || tt_jset(body, "custom_audience_id", audience_id) != 0
            || tt_jset(body, "action", tt_update_action_name(a)) != 0
            || tt_jset_obj(body, "file_paths", tt_string_array(file_paths + off, chunk)) != 0) {
            json_object_put(body);
            return tt_oom(err, ep);
        }
        tt_request_init(&req, api, TT_POST_JSON, ep, advertiser_id);
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

/* ------------------------------------------------------------------ */
/* Uploads                                                             */
/* ------------------------------------------------------------------ */

aconn_status tt_api_file_md5(const char *local_path, char md5_hex[33], aconn_error *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    EVP_MD_CTX *ctx = NULL;
    FILE *f = NULL;
    size_t n;
    aconn_status st = ACONN_ERR_FATAL;

    md5_hex[0] = '\0';
    f = fopen(local_path, "rb");
    if (f == NULL) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "file_unreadable", NULL,
                             "Cannot read the spool file %s.", local_path);
        goto cleanup;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
        goto crypto;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (EVP_DigestUpdate(ctx, buf, n) != 1)
            goto crypto;
    if (ferror(f)) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "file_unreadable", NULL,
                             "Error reading the spool file %s.", local_path);
        goto cleanup;
    }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 16)
        goto crypto;
    for (i = 0; i < mdlen; i++) {
        md5_hex[2 * i] = hex[md[i] >> 4];
        md5_hex[2 * i + 1] = hex[md[i] & 0x0f];
    }
    md5_hex[32] = '\0';
    st = ACONN_OK;
    goto cleanup;
crypto:
    st = aconn_error_set(err, ACONN_ERR_FATAL, "md5_failed", NULL,
                         "OpenSSL could not compute the MD5 file signature.");
cleanup:
    EVP_MD_CTX_free(ctx);
    if (f != NULL)
        fclose(f);
    return st;
}

/* TikTok wants the file name to end exactly in .txt or .csv. */
static const char *tt_upload_name(const char *local_path)
{
    const char *base = strrchr(local_path, '/');
    size_t n;

    base = base != NULL ? base + 1 : local_path;
    n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".txt") == 0)
        return base;
    return "audience.txt";
}

aconn_status tt_api_file_upload(const tt_api *api, const char *advertiser_id,
                                const char *calculate_type, const char *local_path,
                                const char *md5_hex, char **file_path, aconn_error *err)
{
    tt_upload_result r;
    aconn_status st;

    memset(&r, 0, sizeof(r));
    r.err.struct_size = sizeof(r.err);
    st = tt_api_file_upload_many(api, &advertiser_id, 1, calculate_type, local_path, md5_hex, &r);
    *file_path = r.file_path;
    if (st != ACONN_OK && err != NULL) {
        size_t keep = err->struct_size < sizeof(r.err) ? err->struct_size : sizeof(r.err);
        uint32_t size = err->struct_size;
        memcpy(err, &r.err, keep);
        err->struct_size = size;
    }
    return st;
}

aconn_status tt_api_file_upload_many(const tt_api *api, const char *const *advertiser_ids,
                                     size_t n, const char *calculate_type,
                                     const char *local_path, const char *md5_hex,
                                     tt_upload_result *results)
{
    static const char ep[] = "dmp/custom_audience/file/upload";
    tt_upload_form *forms = NULL;
    tt_request *reqs = NULL;
    tt_response *resps = NULL;
    aconn_status *statuses = NULL;
    aconn_error *errs = NULL;
    aconn_status first = ACONN_OK;
    size_t i;

    if (n == 0)
        return ACONN_OK;
    for (i = 0; i < n; i++) {
        memset(&results[i], 0, sizeof(results[i]));
        results[i].err.struct_size = sizeof(results[i].err);
    }
    forms = calloc(n, sizeof(*forms));
    reqs = calloc(n, sizeof(*reqs));
    resps = calloc(n, sizeof(*resps));
    statuses = calloc(n, sizeof(*statuses));
    errs = calloc(n, sizeof(*errs));
    if (forms == NULL || reqs == NULL || resps == NULL || statuses == NULL || errs == NULL) {
        for (i = 0; i < n; i++)
            results[i].status = tt_oom(&results[i].err, ep);
        first = ACONN_ERR_FATAL;
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        forms[i].advertiser_id = advertiser_ids[i];
        forms[i].calculate_type = calculate_type;
        forms[i].file_signature = md5_hex;
        forms[i].file_path = local_path;
        forms[i].file_name = tt_upload_name(local_path);
        tt_request_init(&reqs[i], api, TT_POST_MULTIPART, ep, advertiser_ids[i]);
        reqs[i].upload = &forms[i];
        errs[i].struct_size = sizeof(errs[i]);
    }
    (void) tt_http_call_many(api->http, api->host, reqs, n, resps, statuses, errs);
    for (i = 0; i < n; i++) {
        results[i].status = statuses[i];
        results[i].err = errs[i];
        if (statuses[i] == ACONN_OK) {
            results[i].file_path = tt_jstr(resps[i].data, "file_path");
            if (results[i].file_path == NULL)
                results[i].status = tt_bad_data(&results[i].err, ep, "file_path", &resps[i]);
        }
        if (results[i].status != ACONN_OK && first == ACONN_OK)
            first = results[i].status;
        tt_response_free(&resps[i]);
    }
cleanup:
    free(forms);
    free(reqs);
    free(resps);
    free(statuses);
    free(errs);
    return first;
}
