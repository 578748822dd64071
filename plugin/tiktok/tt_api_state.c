/*
 * tt_api_state.c - one audience's state from custom_audience/get, for
 * callers settling an answer whose meaning the code alone leaves open
 * (TikTok's 40002 covers both a bad request and an audience still
 * processing; 50002 on create may or may not have created it).
 */
#include <config.h>

#include "tiktok/tt_api.h"

#include <string.h>

aconn_status tt_api_audience_state(const tt_api *api, const char *advertiser_id,
                                   const char *audience_id, tt_audience_state *state,
                                   aconn_error *err)
{
    tt_audience_list list;
    const char *ids[1];
    aconn_status st;
    size_t i;

    memset(state, 0, sizeof(*state));
    state->cover_num = -1;
    ids[0] = audience_id;
    st = tt_api_audience_get(api, advertiser_id, ids, 1, &list, err);
    if (st == ACONN_ERR_NOT_FOUND && err != NULL && strcmp(err->code, "object_not_found") == 0)
        return aconn_error_set(err, ACONN_OK, "ok", NULL, "OK");
    if (st != ACONN_OK)
        return st;
    for (i = 0; i < list.count; i++) {
        const tt_audience *a = &list.items[i];

        if (a->audience_id == NULL || strcmp(a->audience_id, audience_id) != 0)
            continue;
        state->found = 1;
        state->is_valid = a->is_valid;
        state->cover_num = a->cover_num;
        break;
    }
    tt_audience_list_free(&list);
    return ACONN_OK;
}
