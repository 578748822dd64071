/* tt_budget.c - the per-Ad-Account update budget: a rolling 25-hour window. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "delivery/tt_budget.h"
#include "common/tt_kv.h"
#include "delivery/tt_dkeys.h"

enum { TT_DAY_MS = 86400000, TT_BUDGET_CAS_TRIES = 64 };

/* A legacy counter never exceeded the limit; this only bounds memory. */
#define TT_BUDGET_LEGACY_MAX 1000

/* The reservations of one account still in the window, ascending. */
typedef struct budget_window {
    int64_t *at;
    size_t n;
    uint64_t version;   /* of budget/<adv>; 0: the key does not exist */
} budget_window;

int64_t tt_budget_ms_to_next_utc_day(int64_t now_ms)
{
    int64_t day = now_ms / TT_DAY_MS;
    return (day + 1) * (int64_t) TT_DAY_MS - now_ms;
}

void tt_budget_format_when(int64_t at_ms, int64_t now_ms, char *buf, size_t size)
{
    time_t secs = (time_t) (at_ms / 1000);
    int64_t left = at_ms > now_ms ? at_ms - now_ms : 0;
    int64_t mins = (left + 59999) / 60000;   /* rounded up: never too early */
    struct tm tm;

    if (gmtime_r(&secs, &tm) == NULL) {
        snprintf(buf, size, "in %lld min", (long long) mins);
        return;
    }
    snprintf(buf, size, "%04d-%02d-%02d %02d:%02d UTC (in %lld h %02lld min)",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
             (long long) (mins / 60), (long long) (mins % 60));
}

static int legacy_key(char *buf, size_t size, const char *advertiser_id, int64_t now_ms)
{
    time_t secs = (time_t) (now_ms / 1000);
    struct tm tm;

    if (gmtime_r(&secs, &tm) == NULL)
        return -1;
    return tt_dkey_budget_legacy(buf, size, advertiser_id, tm.tm_year + 1900, tm.tm_mon + 1,
                                 tm.tm_mday);
}

static int cmp_ms(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* {"at_ms":[...]} into w, keeping what is still in (now - 25 h, ...]. */
static aconn_status window_parse(json_object *v, const char *key, int64_t now_ms,
                                 budget_window *w, aconn_error *err)
{
    json_object *list = NULL;
    size_t len;

    if (!json_object_is_type(v, json_type_object) ||
        !json_object_object_get_ex(v, "at_ms", &list) ||
        !json_object_is_type(list, json_type_array))
        return aconn_error_set(err, ACONN_ERR_FATAL, "state_corrupt", NULL,
                               "state value %s is not an update budget ({\"at_ms\":[...]}); it "
                               "was not written by this plugin: delete that key", key);
    len = json_object_array_length(list);
    w->at = malloc((len + 1) * sizeof(*w->at));
    if (w->at == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    for (size_t i = 0; i < len; i++) {
        json_object *t = json_object_array_get_idx(list, i);
        int64_t at;

        if (!json_object_is_type(t, json_type_int))
            return aconn_error_set(err, ACONN_ERR_FATAL, "state_corrupt", NULL,
                                   "state value %s holds a reservation time that is not an "
                                   "integer; it was not written by this plugin: delete that key",
                                   key);
        at = json_object_get_int64(t);
        if (at > now_ms - TT_BUDGET_WINDOW_MS)
            w->at[w->n++] = at;
    }
    qsort(w->at, w->n, sizeof(*w->at), cmp_ms);
    return ACONN_OK;
}

/* No budget/<adv> yet: carry over today's legacy per-UTC-day counter as
   reservations at 00:00 UTC (the earliest they can have been made). */
static aconn_status window_from_legacy(const aconn_host *host, const char *advertiser_id,
                                       int64_t now_ms, budget_window *w, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *v = NULL;
    uint64_t version = 0;
    int64_t n = 0;
    aconn_status st;

    w->at = calloc(TT_BUDGET_LEGACY_MAX + 1, sizeof(*w->at));
    if (w->at == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    if (legacy_key(key, sizeof(key), advertiser_id, now_ms) != 0)
        return ACONN_OK;
    st = tt_kv_get(host, key, &v, &version, err);
    if (st == ACONN_ERR_NOT_FOUND)
        return ACONN_OK;
    if (st != ACONN_OK)
        return st;
    /* The old release only ever wrote integers here. */
    if (json_object_is_type(v, json_type_int))
        n = json_object_get_int64(v);
    json_object_put(v);
    if (n > TT_BUDGET_LEGACY_MAX)
        n = TT_BUDGET_LEGACY_MAX;
    for (int64_t i = 0; i < n; i++)
        w->at[w->n++] = now_ms - now_ms % TT_DAY_MS;
    return ACONN_OK;
}

/* Reads the account's window; the caller frees w->at. */
static aconn_status window_load(const aconn_host *host, const char *advertiser_id,
                                const char *key, int64_t now_ms, budget_window *w,
                                aconn_error *err)
{
    json_object *v = NULL;
    aconn_status st;

    w->at = NULL;
    w->n = 0;
    st = tt_kv_get(host, key, &v, &w->version, err);
    if (st == ACONN_ERR_NOT_FOUND) {
        w->version = 0;
        return window_from_legacy(host, advertiser_id, now_ms, w, err);
    }
    if (st == ACONN_OK)
        st = window_parse(v, key, now_ms, w, err);
    json_object_put(v);
    return st;
}

/* {"at_ms":[w..., now]}, or NULL when out of memory. */
static json_object *window_with(const budget_window *w, int64_t now_ms)
{
    json_object *list = json_object_new_array(), *v = NULL;

    if (list == NULL)
        return NULL;
    for (size_t i = 0; i <= w->n; i++) {
        json_object *t = json_object_new_int64(i < w->n ? w->at[i] : now_ms);

        if (t == NULL || json_object_array_add(list, t) != 0) {
            json_object_put(t);
            goto fail;
        }
    }
    v = json_object_new_object();
    if (v != NULL && json_object_object_add(v, "at_ms", list) == 0)
        return v;
fail:
    json_object_put(list);
    json_object_put(v);
    return NULL;
}

static aconn_status budget_deferred(const char *advertiser_id, const budget_window *w,
                                    int64_t now_ms, uint32_t limit, aconn_error *err)
{
    /* The window is full until enough leave for one more: the (n-limit)th. */
    int64_t free_at = w->at[w->n - limit] + TT_BUDGET_WINDOW_MS;
    char when[96];
    aconn_status st;

    tt_budget_format_when(free_at, now_ms, when, sizeof(when));
    st = aconn_error_set(
        err, ACONN_RETRY_DEFERRED, "daily_update_limit", NULL,
        "Ad Account %s has used TikTok's %u audience update operations of the last 25 hours; "
        "the rest of this delivery resumes at %s, nothing is lost. TikTok allows %u a day and "
        "does not say whose day it counts (UTC or the account's time zone, whose days are 23 "
        "to 25 hours long), so the connector keeps to %u in any 25 hours",
        advertiser_id, limit, when, limit, limit);
    if (err != NULL)
        err->retry_after_ms = free_at - now_ms > 0 ? free_at - now_ms : 1;
    return st;
}

aconn_status tt_budget_reserve(const aconn_host *host, const char *advertiser_id,
                               int64_t now_ms, uint32_t limit, aconn_error *err)
{
    char key[TT_DKEY_MAX];

    if (limit == 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_budget", NULL,
                               "the update budget limit must be at least 1");
    /* The legacy key is the longer one: both must fit. */
    if (tt_dkey_budget_legacy(key, sizeof(key), advertiser_id, 0, 0, 0) != 0 ||
        tt_dkey_budget(key, sizeof(key), advertiser_id) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_advertiser_id", NULL,
                               "advertiser id is too long for a state key");
    /* Bounded: each lost race means another worker made progress. */
    for (int i = 0; i < TT_BUDGET_CAS_TRIES; i++) {
        budget_window w = {0};
        json_object *next = NULL;
        aconn_status st = window_load(host, advertiser_id, key, now_ms, &w, err);

        if (st == ACONN_OK && w.n >= limit)
            st = budget_deferred(advertiser_id, &w, now_ms, limit, err);
        else if (st == ACONN_OK && (next = window_with(&w, now_ms)) == NULL)
            st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        else if (st == ACONN_OK)
            st = tt_kv_cas(host, key, w.version, next, NULL, err);
        json_object_put(next);
        free(w.at);
        if (st != ACONN_ERR_CONFLICT)
            return st;
    }
    return aconn_error_set(err, ACONN_RETRY, "state_contended", NULL,
                           "the update budget of Ad Account %s is heavily contended; retry",
                           advertiser_id);
}
