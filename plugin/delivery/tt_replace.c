/* tt_replace.c - one REPLACE per audience per 24 hours. */
#include <config.h>

#include <stdio.h>
#include <time.h>

#include "delivery/tt_replace.h"
#include "delivery/tt_budget.h"
#include "common/tt_kv.h"
#include "delivery/tt_dkeys.h"

static aconn_status replace_key(char *buf, size_t size, const char *advertiser_id,
                                const char *audience_id, aconn_error *err)
{
    if (tt_dkey_replace(buf, size, advertiser_id, audience_id) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_audience_id", NULL,
                               "advertiser or audience id is too long for a state key");
    return ACONN_OK;
}

static aconn_status replace_deferred(const char *advertiser_id, const char *audience_id,
                                     int64_t at_ms, int64_t now_ms, aconn_error *err)
{
    int64_t free_at = at_ms + TT_REPLACE_INTERVAL_MS + TT_REPLACE_MARGIN_MS;
    time_t secs = (time_t) (at_ms / 1000);
    char when[96], was[80] = "less than a day ago";
    struct tm tm;
    aconn_status st;

    if (gmtime_r(&secs, &tm) != NULL)
        snprintf(was, sizeof(was), "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
    tt_budget_format_when(free_at, now_ms, when, sizeof(when));
    st = aconn_error_set(err, ACONN_RETRY_DEFERRED, "daily_replace_limit", NULL,
                         "audience %s of Ad Account %s was last replaced at %s, and TikTok "
                         "allows one REPLACE per audience per 24 hours; this refresh of it "
                         "resumes at %s, nothing is lost",
                         audience_id, advertiser_id, was, when);
    if (err != NULL)
        err->retry_after_ms = free_at - now_ms > 0 ? free_at - now_ms : 1;
    return st;
}

/* The record of audience_id: ACONN_OK with *at_ms and *version, or
   ACONN_ERR_NOT_FOUND (never replaced, *version 0), or the failure. */
static aconn_status replace_read(const aconn_host *host, const char *advertiser_id,
                                 const char *audience_id, char key[TT_DKEY_MAX], int64_t *at_ms,
                                 uint64_t *version, aconn_error *err)
{
    json_object *v = NULL, *at = NULL;
    aconn_status st = replace_key(key, TT_DKEY_MAX, advertiser_id, audience_id, err);

    if (st != ACONN_OK)
        return st;
    st = tt_kv_get(host, key, &v, version, err);
    if (st == ACONN_OK && (!json_object_is_type(v, json_type_object) ||
                           !json_object_object_get_ex(v, "at_ms", &at) ||
                           !json_object_is_type(at, json_type_int)))
        st = aconn_error_set(err, ACONN_ERR_FATAL, "state_corrupt", NULL,
                             "state value %s is not a REPLACE record ({\"at_ms\":...}); it was "
                             "not written by this plugin: delete that key", key);
    else if (st == ACONN_OK)
        *at_ms = json_object_get_int64(at);
    json_object_put(v);
    return st;
}

aconn_status tt_replace_check(const aconn_host *host, const char *advertiser_id,
                              const char *audience_id, int64_t now_ms, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    int64_t at = 0;
    uint64_t version = 0;
    aconn_status st = replace_read(host, advertiser_id, audience_id, key, &at, &version, err);

    if (st == ACONN_ERR_NOT_FOUND)
        return ACONN_OK;
    if (st == ACONN_OK && now_ms - at < TT_REPLACE_INTERVAL_MS + TT_REPLACE_MARGIN_MS)
        st = replace_deferred(advertiser_id, audience_id, at, now_ms, err);
    return st;
}

aconn_status tt_replace_record(const aconn_host *host, const char *advertiser_id,
                               const char *audience_id, int64_t now_ms, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *v = NULL, *at = NULL;
    aconn_status st = replace_key(key, sizeof(key), advertiser_id, audience_id, err);

    if (st != ACONN_OK)
        return st;
    v = json_object_new_object();
    at = json_object_new_int64(now_ms);
    if (v == NULL || at == NULL || json_object_object_add(v, "at_ms", at) != 0) {
        json_object_put(at);
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        goto cleanup;
    }
    st = tt_kv_put(host, key, v, err);
cleanup:
    json_object_put(v);
    return st;
}

aconn_status tt_replace_forget(const aconn_host *host, const char *advertiser_id,
                               const char *audience_id, int64_t at_ms, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    int64_t at = 0;
    uint64_t version = 0;
    aconn_status st = replace_read(host, advertiser_id, audience_id, key, &at, &version, err);

    if (st == ACONN_ERR_NOT_FOUND)
        return ACONN_OK;
    /* Another worker's newer record stays (a CAS conflict says the same). */
    if (st == ACONN_OK && at == at_ms) {
        st = tt_kv_cas(host, key, version, NULL, NULL, err);
        if (st == ACONN_ERR_CONFLICT)
            st = ACONN_OK;
    }
    return st;
}
