/*
 * tt_api_int.h - internal to the tt_api*.c files: what every endpoint call
 * shares (errors, request set-up, growing a result list, paged listings).
 */
#ifndef TT_API_INT_H
#define TT_API_INT_H

#include "tiktok/tt_api.h"
#include "common/tt_json.h"
#include "common/tt_util.h"

/* ACONN_ERR_FATAL "out_of_memory" naming what was being handled. */
aconn_status tt_api_oom(aconn_error *err, const char *what);

/* TikTok said OK but the answer lacks what the endpoint promises: a retry
   status naming the field and TikTok's request_id. */
aconn_status tt_api_bad_data(aconn_error *err, const char *endpoint, const char *field,
                             const tt_response *resp);

/* A request of api's caller (token, profile) for one endpoint. */
void tt_api_request_init(tt_request *req, const tt_api *api, tt_method method,
                         const char *endpoint, const char *advertiser_id);

/* Makes room for one more item in *items (count items of size bytes) and
   returns it zeroed; NULL when out of memory. The caller counts it. */
void *tt_api_push(void **items, size_t count, size_t size);

/* Adds one list item to ctx; -1 when out of memory (a skipped item is 0). */
typedef int (*tt_item_fn)(json_object *item, void *ctx);

/*
 * Fetches every page of a GET list endpoint into item_fn. query is taken
 * (put here; NULL, a failed constructor, is out of memory); page and
 * page_size are set here. Bounded by total_page, TT_API_MAX_PAGES and an
 * empty page.
 */
aconn_status tt_api_paged(const tt_api *api, const char *endpoint, const char *advertiser_id,
                          json_object *query, int page_size, tt_item_fn item_fn, void *ctx,
                          aconn_error *err);

/*
 * One GET whose answer is a list: item_fn over every item of data.list.
 * query is taken (put here, and wiped first when sensitive: it holds a
 * secret); NULL, a failed constructor, is out of memory.
 */
aconn_status tt_api_get_each(const tt_api *api, const char *endpoint, const char *advertiser_id,
                             json_object *query, int sensitive, tt_item_fn item_fn, void *ctx,
                             aconn_error *err);

/* Runs item_fn over every item of data.list of one answer. */
aconn_status tt_api_each(const char *endpoint, const tt_response *resp, tt_item_fn item_fn,
                         void *ctx, aconn_error *err);

#endif
