/*
 * fz_settings.c - quick settings JSON: tt_settings_parse() and
 * tt_settings_check_change().
 *
 * Input: settings text. When it holds a NUL byte, the part before is the
 * connection's current settings and the part after the proposed change
 * (which must be judged the same in both directions);
 * otherwise the whole input is tried both as a change to itself (which must
 * be accepted whenever it parses) and against a fixed valid document.
 */
#include <config.h>

#include "fz.h"

#include <stdlib.h>
#include <string.h>

#include "settings/tt_settings.h"

#define FZ_SETTINGS_ERRS 16

static const char fz_settings_base[] =
    "{\"connection_type\":\"both\",\"audience_name\":\"Fuzz\","
    "\"create_new_for\":[\"7100000000000000001\"],"
    "\"existing_audiences\":{\"7100000000000000002\":[\"1\",\"2\"]}}";

/* Every listed error must say what is wrong, where the list kept it. */
static int fz_errors_sane(const aconn_error_list *list)
{
    uint32_t i, n = list->count < list->capacity ? list->count : list->capacity;

    for (i = 0; i < n; i++) {
        const aconn_error *e = &list->items[i];

        if (e->status != ACONN_ERR_INVALID || e->code[0] == '\0' || e->message[0] == '\0')
            return 0;
        if (memchr(e->field, '\0', sizeof(e->field)) == NULL)
            return 0;
    }
    return 1;
}

/* What tt_settings.h promises about parsed settings. */
static int fz_parsed_sane(const tt_settings *s)
{
    size_t i, j;

    if (s->connection_type < TT_CONNECTION_NEW || s->connection_type > TT_CONNECTION_BOTH)
        return 0;
    if ((s->audience_name == NULL) != (s->connection_type == TT_CONNECTION_EXISTING))
        return 0;
    if (s->ntargets == 0 || s->targets == NULL)
        return 0;
    if (s->retention_days < 1 || s->retention_days > TT_SETTINGS_RETENTION_MAX)
        return 0;
    for (i = 0; i < s->ntargets; i++) {
        const tt_target *t = &s->targets[i];

        if (!tt_settings_id_valid(t->advertiser_id, strlen(t->advertiser_id)))
            return 0;
        if (tt_settings_find_target(s, t->advertiser_id) != t)
            return 0;   /* an Ad Account listed twice */
        if (!t->create_new && t->naudiences == 0)
            return 0;   /* a target with nothing to do */
        for (j = 0; j < t->naudiences; j++)
            if (!tt_settings_id_valid(t->audience_ids[j], strlen(t->audience_ids[j])))
                return 0;
    }
    return 1;
}

static int fz_status_known(aconn_status st)
{
    return st == ACONN_OK || st == ACONN_ERR_INVALID || st == ACONN_ERR_FATAL;
}

/* Parses text and checks the result; *ok says whether it parsed. */
static int fz_parse_one(const char *text, aconn_error *items, int *ok)
{
    aconn_error_list list;
    tt_settings *s = NULL;
    aconn_status st, st2;
    int rc = 0;

    memset(items, 0, FZ_SETTINGS_ERRS * sizeof(*items));
    memset(&list, 0, sizeof(list));
    list.struct_size = sizeof(list);
    list.item_size = sizeof(aconn_error);
    list.capacity = FZ_SETTINGS_ERRS;
    list.items = items;
    st = tt_settings_parse(text, &s, &list);
    *ok = st == ACONN_OK;
    if (!fz_status_known(st))
        rc = 1;
    else if (st == ACONN_OK && (s == NULL || list.count != 0 || !fz_parsed_sane(s)))
        rc = 2;
    else if (st == ACONN_ERR_INVALID && (s != NULL || list.count == 0 || !fz_errors_sane(&list)))
        rc = 3;
    tt_settings_free(s);
    if (rc != 0)
        return rc;
    /* Validation alone must agree with the full parse. */
    st2 = tt_settings_parse(text, NULL, NULL);
    if (st2 != st && st2 != ACONN_ERR_FATAL && st != ACONN_ERR_FATAL)
        return 4;
    return 0;
}

static int fz_change(const char *cur, const char *next, int cur_ok, int next_ok,
                     aconn_error *items)
{
    aconn_error_list list;
    aconn_status st;

    memset(&list, 0, sizeof(list));
    list.struct_size = sizeof(list);
    list.item_size = sizeof(aconn_error);
    list.capacity = FZ_SETTINGS_ERRS;
    list.items = items;
    st = tt_settings_check_change(cur, next, &list);
    if (!fz_status_known(st))
        return 5;
    if (st == ACONN_OK && (!cur_ok || !next_ok || list.count != 0))
        return 6;   /* a change accepted from or to invalid settings */
    if (st == ACONN_ERR_INVALID && (list.count == 0 || !fz_errors_sane(&list)))
        return 7;
    return 0;
}

int fz_settings(const uint8_t *data, size_t size)
{
    aconn_error *items = calloc(FZ_SETTINGS_ERRS, sizeof(*items));
    const uint8_t *rest;
    size_t rest_size;
    char *first = NULL, *second = NULL;
    int rc = 0, first_ok = 0, second_ok = 0, base_ok = 0, is_change;

    if (items == NULL)
        goto cleanup;   /* out of memory is not a finding */
    is_change = fz_split(data, size, &first, &rest, &rest_size);
    if (is_change < 0)
        goto cleanup;
    rc = fz_parse_one(first, items, &first_ok);
    if (rc == 0)
        rc = fz_parse_one(fz_settings_base, items, &base_ok);
    if (rc == 0 && !base_ok)
        rc = 8;
    if (rc != 0)
        goto cleanup;
    if (is_change) {
        second = fz_strndup(rest, rest_size);
        if (second == NULL)
            goto cleanup;
        rc = fz_parse_one(second, items, &second_ok);
        if (rc == 0)
            rc = fz_change(first, second, first_ok, second_ok, items);
        /* "Equal in meaning" is symmetric. */
        if (rc == 0 && first_ok && second_ok
            && (tt_settings_check_change(first, second, NULL) == ACONN_OK)
                   != (tt_settings_check_change(second, first, NULL) == ACONN_OK))
            rc = 10;
        goto cleanup;
    }
    /* Unchanged settings are never a change. */
    rc = fz_change(first, first, first_ok, first_ok, items);
    if (rc == 0 && first_ok
        && tt_settings_check_change(first, first, NULL) != ACONN_OK)
        rc = 9;
    if (rc == 0)
        rc = fz_change(fz_settings_base, first, 1, first_ok, items);
    if (rc == 0)
        rc = fz_change(first, fz_settings_base, first_ok, 1, items);
cleanup:
    free(first);
    free(second);
    free(items);
    return rc;
}
