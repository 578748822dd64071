/* tt_budget.c - the per-Ad-Account daily update budget. */
#include <config.h>

#include <stdio.h>
#include <time.h>

#include "delivery/tt_budget.h"
#include "common/tt_kv.h"

enum { TT_DAY_MS = 86400000, TT_BUDGET_CAS_TRIES = 64 };

int64_t tt_budget_ms_to_next_utc_day(int64_t now_ms)
{
    int64_t day = now_ms / TT_DAY_MS;
    return (day + 1) * (int64_t) TT_DAY_MS - now_ms;
}

static int budget_key(char *buf, size_t size, const char *advertiser_id, int64_t now_ms)
{
    time_t secs = (time_t) (now_ms / 1000);
    struct tm tm;

    if (gmtime_r(&secs, &tm) == NULL)
        return -1;
    return tt_kv_key(buf, size, "budget/%s/%04d-%02d-%02d", advertiser_id, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday);
}

uint32_t tt_budget_used(const aconn_host *host, const char *advertiser_id, int64_t now_ms)
{
    char key[160];
    json_object *v = NULL;
    uint64_t version;
    uint32_t used = 0;

    if (budget_key(key, sizeof(key), advertiser_id, now_ms) != 0)
        return 0;
    if (tt_kv_get(host, key, &v, &version, NULL) == ACONN_OK && json_object_is_type(v, json_type_int))
        used = (uint32_t) json_object_get_int(v);
    json_object_put(v);
    return used;
}

aconn_status tt_budget_reserve(const aconn_host *host, const char *advertiser_id,
                               int64_t now_ms, uint32_t limit, aconn_error *err)
{
    char key[160];

    if (budget_key(key, sizeof(key), advertiser_id, now_ms) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_advertiser_id", NULL,
                               "advertiser id is too long for a state key");
    /* Bounded: each lost race means another worker made progress. */
    for (int i = 0; i < TT_BUDGET_CAS_TRIES; i++) {
        json_object *v = NULL, *next;
        uint64_t version = 0;
        int64_t used = 0;
        aconn_status st = tt_kv_get(host, key, &v, &version, err);

        if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND)
            return st;
        if (v != NULL)
            used = json_object_get_int64(v);
        json_object_put(v);
        if (used >= (int64_t) limit) {
            aconn_status d = aconn_error_set(
                err, ACONN_RETRY_DEFERRED, "daily_update_limit", NULL,
                "Ad Account %s has used TikTok's %u audience update operations for today (UTC); "
                "the rest of this delivery resumes after 00:00 UTC",
                advertiser_id, limit);
            if (err != NULL)
                err->retry_after_ms = tt_budget_ms_to_next_utc_day(now_ms);
            return d;
        }
        next = json_object_new_int64(used + 1);
        if (next == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        st = tt_kv_cas(host, key, version, next, NULL, err);
        json_object_put(next);
        if (st == ACONN_OK)
            return ACONN_OK;
        if (st != ACONN_ERR_CONFLICT)
            return st;
    }
    return aconn_error_set(err, ACONN_RETRY, "state_contended", NULL,
                           "the update budget of Ad Account %s is heavily contended; retry",
                           advertiser_id);
}
