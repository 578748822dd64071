/* tt_kv.c - JSON values in the host's state store. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tt_kv.h"

/* State values are small (ids, counters, intents); a bigger one means a bug. */
enum { TT_KV_MAX = 1 << 20, TT_KV_PUT_TRIES = 16 };

int tt_kv_key(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

aconn_status tt_kv_get(const aconn_host *host, const char *key, json_object **out,
                       uint64_t *version, aconn_error *err)
{
    char stackbuf[4096];
    char *buf = stackbuf, *heap = NULL;
    size_t len = 0;
    aconn_status st;

    *out = NULL;
    *version = 0;
    st = host->state_get(host->ctx, key, buf, sizeof(stackbuf), &len, version);
    if (st == ACONN_ERR_TOO_SMALL && len < TT_KV_MAX) {
        heap = malloc(len + 1);
        if (heap == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                                   "out of memory reading state %s", key);
        buf = heap;
        st = host->state_get(host->ctx, key, buf, len + 1, &len, version);
    }
    if (st == ACONN_ERR_NOT_FOUND) {
        *version = 0;
        goto cleanup;
    }
    if (st != ACONN_OK) {
        st = aconn_error_set(err, ACONN_STATUS_IS_RETRY(st) ? st : ACONN_RETRY,
                             "state_unavailable", NULL,
                             "the host's state store could not read %s (%s)", key,
                             aconn_status_name(st));
        goto cleanup;
    }
    *out = json_tokener_parse(buf);
    if (*out == NULL)
        st = aconn_error_set(err, ACONN_ERR_FATAL, "state_corrupt", NULL,
                             "state value %s is not JSON; it was not written by this plugin", key);
cleanup:
    free(heap);
    return st;
}

aconn_status tt_kv_cas(const aconn_host *host, const char *key, uint64_t expected,
                       json_object *value, uint64_t *new_version, aconn_error *err)
{
    const char *text = NULL;
    size_t len = 0;
    uint64_t newv = 0;
    aconn_status st;

    if (value != NULL) {
        text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
        len = strlen(text);
    }
    st = host->state_cas(host->ctx, key, expected, text, len, &newv);
    if (st == ACONN_OK && new_version != NULL)
        *new_version = newv;
    if (st == ACONN_OK || st == ACONN_ERR_CONFLICT)
        return st;
    return aconn_error_set(err, ACONN_STATUS_IS_RETRY(st) ? st : ACONN_RETRY, "state_unavailable",
                           NULL, "the host's state store could not write %s (%s)", key,
                           aconn_status_name(st));
}

aconn_status tt_kv_put(const aconn_host *host, const char *key, json_object *value,
                       aconn_error *err)
{
    for (int i = 0; i < TT_KV_PUT_TRIES; i++) {
        json_object *old = NULL;
        uint64_t version = 0;
        aconn_status st = tt_kv_get(host, key, &old, &version, err);

        json_object_put(old);
        if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND)
            return st;
        st = tt_kv_cas(host, key, version, value, NULL, err);
        if (st != ACONN_ERR_CONFLICT)
            return st;
    }
    return aconn_error_set(err, ACONN_RETRY, "state_contended", NULL,
                           "state key %s kept changing under this worker; retry", key);
}
