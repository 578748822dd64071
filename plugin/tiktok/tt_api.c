/*
 * tt_api.c - what the typed TikTok API calls share: error shapes, request
 * set-up, result lists and their frees, and paged listings. The endpoint
 * calls are in tt_api_account.c (OAuth, Business Center), tt_api_audience.c
 * (custom audiences), tt_api_file.c (uploads) and tt_api_state.c.
 *
 * IDs are 64-bit integers that TikTok may send as JSON numbers or strings;
 * they are kept as strings (tt_json_str).
 */
#include <config.h>

#include "tiktok/tt_api_int.h"
#include "common/tt_secret.h"

#include <stdlib.h>
#include <string.h>

aconn_status tt_api_oom(aconn_error *err, const char *what)
{
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                           "Out of memory while handling %s.", what);
}

/* TikTok said OK but the answer lacks what the endpoint promises. */
aconn_status tt_api_bad_data(aconn_error *err, const char *endpoint, const char *field,
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

void tt_api_request_init(tt_request *req, const tt_api *api, tt_method method,
                            const char *endpoint, const char *advertiser_id)
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->endpoint = endpoint;
    req->token = api->token;
    req->profile = api->profile;
    req->advertiser_id = advertiser_id;
}

/* Makes room for one more item. Lists here are small (hundreds), so an
   exact realloc keeps the structs free of a capacity member. */
void *tt_api_push(void **items, size_t count, size_t size)
{
    unsigned char *p = realloc(*items, (count + 1) * size);

    if (p == NULL)
        return NULL;
    *items = p;
    memset(p + count * size, 0, size);
    return p + count * size;
}

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

aconn_status tt_api_each(const char *endpoint, const tt_response *resp, tt_item_fn item_fn,
                         void *ctx, aconn_error *err)
{
    json_object *list = tt_json_array(resp->data, "list");
    size_t i, n;

    if (list == NULL)
        return tt_api_bad_data(err, endpoint, "list", resp);
    n = json_object_array_length(list);
    for (i = 0; i < n; i++)
        if (item_fn(json_object_array_get_idx(list, i), ctx) != 0)
            return tt_api_oom(err, endpoint);
    return ACONN_OK;
}

aconn_status tt_api_get_each(const tt_api *api, const char *endpoint, const char *advertiser_id,
                             json_object *query, int sensitive, tt_item_fn item_fn, void *ctx,
                             aconn_error *err)
{
    tt_request req;
    tt_response resp;
    aconn_status st;

    if (query == NULL)
        return tt_api_oom(err, endpoint);
    memset(&resp, 0, sizeof(resp));
    tt_api_request_init(&req, api, TT_GET, endpoint, advertiser_id);
    req.query = query;
    req.sensitive = sensitive;
    st = tt_http_call(api->http, api->host, &req, &resp, err);
    if (st == ACONN_OK)
        st = tt_api_each(endpoint, &resp, item_fn, ctx, err);
    tt_response_free(&resp);
    if (sensitive)
        tt_secret_wipe_json(query);
    json_object_put(query);
    return st;
}

aconn_status tt_api_paged(const tt_api *api, const char *endpoint, const char *advertiser_id,
                          json_object *query, int page_size, tt_item_fn item_fn, void *ctx,
                          aconn_error *err)
{
    tt_request req;
    tt_response resp;
    int64_t page = 1, total_page = 1;
    aconn_status st = ACONN_OK;

    memset(&resp, 0, sizeof(resp));
    tt_api_request_init(&req, api, TT_GET, endpoint, advertiser_id);
    req.query = query;
    if (query == NULL || tt_json_set(query, "page_size", json_object_new_int(page_size)) != 0) {
        json_object_put(query);
        return tt_api_oom(err, endpoint);
    }
    while (page <= total_page && page <= TT_API_MAX_PAGES) {
        json_object *info;

        if (tt_json_set(query, "page", json_object_new_int64(page)) != 0) {
            st = tt_api_oom(err, endpoint);
            break;
        }
        st = tt_http_call(api->http, api->host, &req, &resp, err);
        if (st == ACONN_OK)
            st = tt_api_each(endpoint, &resp, item_fn, ctx, err);
        if (st != ACONN_OK)
            break;
        if (json_object_object_get_ex(resp.data, "page_info", &info))
            total_page = tt_json_int(info, "total_page", page);
        else
            total_page = page;
        if (json_object_array_length(tt_json_array(resp.data, "list")) == 0)
            break;
        page++;
    }
    tt_response_free(&resp);
    json_object_put(query);
    return st;
}
