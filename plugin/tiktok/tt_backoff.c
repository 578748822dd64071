/*
 * tt_backoff.c - persisted rate-limit pauses (see tt_backoff.h for why).
 */
#include <config.h>

#include "tiktok/tt_backoff.h"
#include "tiktok/tt_status.h"
#include "common/tt_kv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TT_DAY_LEN_MS 86400000LL

static const char *const tt_limit_names[] = {"none", "per-second", "per-minute", "per-day"};

const char *tt_limit_name(tt_limit limit)
{
    return ((unsigned) limit < 4u) ? tt_limit_names[limit] : "unknown";
}

static int tt_has(const char *hay, const char *needle)
{
    size_t i, j, n = strlen(needle);

    if (hay == NULL)
        return 0;
    for (i = 0; hay[i] != '\0'; i++) {
        for (j = 0; j < n && hay[i + j] != '\0'; j++)
            if (tolower((unsigned char) hay[i + j]) != tolower((unsigned char) needle[j]))
                break;
        if (j == n)
            return 1;
    }
    return 0;
}

tt_limit tt_backoff_limit(const char *message, int64_t streak_ms, tt_limit prev,
                          int prev_pause_over)
{
    /* The message may name the limit (QPS/QPM/QPD is TikTok's own term);
       words only ever raise the level, never lower it. */
    if (tt_has(message, "qpd") || tt_has(message, "per day") || tt_has(message, "daily"))
        return TT_LIMIT_DAY;
    if (prev == TT_LIMIT_DAY || (prev == TT_LIMIT_MINUTE && prev_pause_over))
        return TT_LIMIT_DAY;
    if (tt_has(message, "qpm") || tt_has(message, "per minute") || prev == TT_LIMIT_MINUTE
        || streak_ms >= TT_BACKOFF_MINUTE_AFTER_MS)
        return TT_LIMIT_MINUTE;
    return TT_LIMIT_SECOND;
}

int64_t tt_backoff_pause_ms(tt_limit limit, int64_t now_ms)
{
    switch (limit) {
    case TT_LIMIT_DAY:
        if (now_ms <= 0)
            return TT_HINT_DAY_UNKNOWN_MS;
        return (now_ms / TT_DAY_LEN_MS + 1) * TT_DAY_LEN_MS - now_ms;
    case TT_LIMIT_MINUTE:
        return TT_BACKOFF_MINUTE_MS;
    case TT_LIMIT_SECOND:
        return TT_BACKOFF_SECOND_MS;
    case TT_LIMIT_NONE:
    default:
        return 0;
    }
}

static tt_limit tt_limit_of(const char *name)
{
    int i;

    for (i = 1; i < 4; i++)
        if (name != NULL && strcmp(name, tt_limit_names[i]) == 0)
            return (tt_limit) i;
    return TT_LIMIT_NONE;
}

void tt_backoff_scopes_init(tt_backoff_scopes *sc, const char *app_id, const char *endpoint,
                            const char *advertiser_id)
{
    const char *app = (app_id != NULL && app_id[0] != '\0') ? app_id : "default";

    memset(sc, 0, sizeof(*sc));
    if (tt_kv_key(sc->endpoint_key, sizeof(sc->endpoint_key), "throttle/%s/ep/%s", app,
                  endpoint != NULL ? endpoint : "-") != 0)
        sc->endpoint_key[0] = '\0';
    if (advertiser_id != NULL && advertiser_id[0] != '\0'
        && tt_kv_key(sc->advertiser_key, sizeof(sc->advertiser_key), "throttle/%s/adv/%s",
                     app, advertiser_id) != 0)
        sc->advertiser_key[0] = '\0';
}

static int64_t tt_jint(json_object *o, const char *name)
{
    json_object *v = NULL;

    return json_object_object_get_ex(o, name, &v) ? json_object_get_int64(v) : 0;
}

static const char *tt_jstr(json_object *o, const char *name)
{
    json_object *v = NULL;

    return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

/* Every 1.0 host has a store (aconn.h); only a test passes no host. */
static int tt_store_usable(const aconn_host *host)
{
    return host != NULL;
}

/* Checks one key; returns the ms left of an enforced pause (0: none). */
static int64_t tt_check_key(const aconn_host *host, const char *key, int64_t now_ms,
                            uint64_t *version, tt_limit *limit)
{
    json_object *v = NULL;
    int64_t left = 0;

    *version = 0;
    if (key[0] == '\0' || tt_kv_get(host, key, &v, version, NULL) != ACONN_OK)
        return 0;
    *limit = tt_limit_of(tt_jstr(v, "limit"));
    if (*limit >= TT_LIMIT_MINUTE && tt_jint(v, "until_ms") > now_ms)
        left = tt_jint(v, "until_ms") - now_ms;
    json_object_put(v);
    return left;
}

aconn_status tt_backoff_before(const aconn_host *host, tt_backoff_scopes *sc, int64_t now_ms,
                               const char *endpoint, aconn_error *err)
{
    tt_limit l1 = TT_LIMIT_NONE, l2 = TT_LIMIT_NONE;
    int64_t left1, left2, left;
    aconn_status st;

    if (!tt_store_usable(host))
        return ACONN_OK;
    left1 = tt_check_key(host, sc->endpoint_key, now_ms, &sc->endpoint_version, &l1);
    left2 = tt_check_key(host, sc->advertiser_key, now_ms, &sc->advertiser_version, &l2);
    left = left1 > left2 ? left1 : left2;
    if (left <= 0)
        return ACONN_OK;
    st = aconn_error_set(err, ACONN_RETRY_THROTTLED, "rate_limit_pause", NULL,
                         "Not sent: TikTok's %s request limit for %s was reached earlier "
                         "and every worker of this app pauses as TikTok asks; %lld s "
                         "left. Nothing was lost.",
                         tt_limit_name(left1 >= left2 ? l1 : l2),
                         left1 >= left2 ? (endpoint != NULL ? endpoint : "the API")
                                        : "this Ad Account",
                         (long long) ((left + 999) / 1000));
    if (err != NULL)
        err->retry_after_ms = left;
    return st;
}

/* Extends the streak under key; returns the limit now in force. */
static tt_limit tt_record(const aconn_host *host, const char *key, int64_t now_ms,
                          const char *message, int code)
{
    json_object *old = NULL, *v = NULL;
    uint64_t version = 0;
    int64_t first = now_ms;
    tt_limit prev = TT_LIMIT_NONE, limit = TT_LIMIT_SECOND;
    int attempt, over = 0;

    /* A few CAS rounds: another worker may record the same streak. */
    for (attempt = 0; attempt < 4; attempt++) {
        aconn_status st = tt_kv_get(host, key, &old, &version, NULL);

        if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND)
            break;
        /* A record whose pause ended long ago is an old streak: throttling
           that stopped is not throttling that lasts (the host clock may
           also have jumped, e.g. to the next day). */
        if (old != NULL && now_ms - tt_jint(old, "until_ms") <= TT_BACKOFF_STREAK_GAP_MS) {
            first = tt_jint(old, "first_ms");
            prev = tt_limit_of(tt_jstr(old, "limit"));
            over = tt_jint(old, "until_ms") <= now_ms;
        }
        json_object_put(old);
        old = NULL;
        limit = tt_backoff_limit(message, now_ms - first, prev, over);
        v = json_object_new_object();
        if (v == NULL)
            break;
        json_object_object_add(v, "first_ms", json_object_new_int64(first));
        json_object_object_add(v, "until_ms",
                               json_object_new_int64(now_ms + tt_backoff_pause_ms(limit, now_ms)));
        json_object_object_add(v, "limit", json_object_new_string(tt_limit_name(limit)));
        json_object_object_add(v, "code", json_object_new_int(code));
        st = tt_kv_cas(host, key, version, v, NULL, NULL);
        json_object_put(v);
        v = NULL;
        if (st != ACONN_ERR_CONFLICT)
            break;
        first = now_ms;
        prev = TT_LIMIT_NONE;
        over = 0;
    }
    return limit;
}

static void tt_rewrite(aconn_error *err, tt_limit limit, int64_t now_ms, const char *endpoint,
                       const char *scope, const char *message)
{
    int64_t pause = tt_backoff_pause_ms(limit, now_ms);

    if (err == NULL)
        return;
    if (limit >= TT_LIMIT_MINUTE) {
        char remote[sizeof(err->remote_code)], rid[sizeof(err->request_id)];
        int32_t http = err->http_status;

        /* aconn_error_set() clears the struct: keep TikTok's identifiers. */
        memcpy(remote, err->remote_code, sizeof(remote));
        memcpy(rid, err->request_id, sizeof(rid));
        (void) aconn_error_set(err, ACONN_RETRY_THROTTLED, "rate_limit_pause", NULL,
                               "TikTok's %s request limit was reached on %s (%s; code %s: "
                               "%s). As TikTok asks, every worker of this app pauses "
                               "%s for %s. Nothing was lost.",
                               tt_limit_name(limit), endpoint != NULL ? endpoint : "the API",
                               scope, remote, message != NULL ? message : "no message",
                               scope, limit == TT_LIMIT_DAY ? "until 00:00 UTC" : "5 minutes");
        memcpy(err->remote_code, remote, sizeof(remote));
        memcpy(err->request_id, rid, sizeof(rid));
        err->http_status = http;
    }
    err->retry_after_ms = pause;
}

static void tt_clear(const aconn_host *host, const char *key, uint64_t *version)
{
    if (*version != 0 && key[0] != '\0')
        (void) tt_kv_cas(host, key, *version, NULL, NULL, NULL);
    *version = 0;
}

void tt_backoff_after(const aconn_host *host, tt_backoff_scopes *sc, int64_t now_ms,
                      const char *endpoint, const char *message, aconn_error *err)
{
    tt_limit limit;
    int adv;

    if (!tt_store_usable(host) || err == NULL)
        return;
    if (err->status == ACONN_OK) {
        tt_clear(host, sc->endpoint_key, &sc->endpoint_version);
        tt_clear(host, sc->advertiser_key, &sc->advertiser_version);
        return;
    }
    if (tt_status_class(err) != TT_CLASS_RATE_LIMITED || strcmp(err->code, "rate_limit_pause") == 0)
        return;
    /* 40133 is the advertiser's limit; everything else is the app's, per endpoint. */
    adv = strcmp(err->code, "rate_limited_advertiser") == 0 && sc->advertiser_key[0] != '\0';
    limit = tt_record(host, adv ? sc->advertiser_key : sc->endpoint_key, now_ms, message,
                      atoi(err->remote_code));
    tt_rewrite(err, limit, now_ms, endpoint, adv ? "on this Ad Account" : "on this endpoint",
               message);
}
