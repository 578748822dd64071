/*
 * tt_settings_check.c - each quick-settings field's own checks: strict
 * JSON, ids, the audience name, the id lists, the existing audiences, the
 * booleans and the retention; each wrong value reported with its fix.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/tt_jstrict.h"
#include "settings/tt_settings.h"
#include "settings/tt_settings_check.h"

#define ID_HINT "must be the numeric id shown in TikTok Ads Manager " \
                "(1-19 digits, no leading zero), written as a JSON string"

const char *const tt_settings_field_names[F_COUNT] = {
    "connection_type", "audience_name", "create_new_for", "existing_audiences",
    "historical_data_enabled", "deliver_all_data", "membership_duration_days",
    "accept_clear_text_emails", "audience_per_identifier_type",
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void tt_settings_report(tt_settings_check *c, const char *field, const char *code,
                        const char *fmt, ...)
{
    aconn_error e;
    va_list ap;

    memset(&e, 0, sizeof(e));
    e.struct_size = sizeof(e);
    e.status = ACONN_ERR_INVALID;
    ACONN_STRSET(e.code, code);
    ACONN_STRSET(e.field, field);
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof(e.message), fmt, ap);
    va_end(ap);
    aconn_error_list_add(c->errors, &e);
    c->nerr++;
}

/* Parses strictly (RFC 8259, UTF-8 checked, nothing after the value) and
   reports the error position as byte offset, line and column. Returns 0
   (*out may be NULL: the JSON null), -1 after reporting bad JSON, or -2
   when out of memory. */
int tt_settings_parse_json(tt_settings_check *c, const char *text, json_object **out)
{
    json_tokener *tok = json_tokener_new_ex(TT_JSTRICT_TOKENER_DEPTH);
    json_object *obj = NULL;
    enum json_tokener_error jerr;
    size_t len = strlen(text), end, i, line = 1, col = 1;
    const char *why = NULL;
    tt_jstrict_result strict;

    *out = NULL;
    if (tok == NULL)
        return -2;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    if (len > 1024 * 1024) {
        tt_settings_report(c, "", "too_long", "the settings are %zu bytes; quick settings are "
                           "at most 1 MiB of JSON: remove what does not belong", len);
        json_tokener_free(tok);
        return -1;
    }
    /* The one strict reading of every input (tt_jstrict.h): what json-c
       would accept or change but RFC 8259 does not allow. */
    if (tt_jstrict_check(text, len, &strict) != 0) {
        tt_jstrict_position(text, strict.offset, &line, &col);
        tt_settings_report(c, "", "invalid_json", "the settings are not strict JSON (%s): %s at "
                           "byte %zu (line %zu, column %zu); fix the JSON there", strict.reason,
                           strict.detail, strict.offset, line, col);
        json_tokener_free(tok);
        return -1;
    }
    /* Include the terminating NUL so a document ending in a number or a
       literal is complete rather than "continue". */
    obj = json_tokener_parse_ex(tok, text, (int) len + 1);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (obj != NULL && tt_jstrict_tree_keys(obj) != strict.keys) {
        /* json-c keeps the last copy of a repeated key. */
        tt_settings_report(c, "", "invalid_json", "the settings are not strict JSON "
                           "(duplicate_key): a key appears more than once in one object; "
                           "keep one copy");
        json_object_put(obj);
        json_tokener_free(tok);
        return -1;
    }
    if (obj == NULL && jerr == json_tokener_success) {
        why = NULL;    /* the document is the JSON null */
    } else if (obj == NULL) {
        why = jerr == json_tokener_continue ? "unexpected end of input"
                                            : json_tokener_error_desc(jerr);
    } else {
        for (i = end; i < len; i++)
            if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
                break;
        if (i < len) {
            why = "unexpected text after the JSON value";
            end = i;
            json_object_put(obj);
            obj = NULL;
        }
    }
    if (why != NULL) {
        for (i = 0; i < end && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        tt_settings_report(c, "", "invalid_json",
                           "the settings are not valid JSON: %s at byte %zu (line %zu, "
                           "column %zu); fix the JSON syntax there", why, end, line, col);
    }
    json_tokener_free(tok);
    *out = obj;
    return why != NULL ? -1 : 0;
}

const char *tt_settings_type_label(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double:
    case json_type_int: return "a number";
    case json_type_string: return "a string";
    case json_type_array: return "an array";
    case json_type_object: return "an object";
    }
    return "something else";
}

/* Checks one id string at `path`; returns 1 when well-formed. */
static int check_id(tt_settings_check *c, json_object *v, const char *path, const char *what)
{
    if (!json_object_is_type(v, json_type_string)) {
        tt_settings_report(c, path, "wrong_type", "%s must be a string, not %s; %s", what,
                           tt_settings_type_label(v), ID_HINT);
        return 0;
    }
    if (!tt_settings_id_valid(json_object_get_string(v),
                              (size_t) json_object_get_string_len(v))) {
        tt_settings_report(c, path, "malformed_id", "%s \"%.40s\" is not a valid id: it %s",
                           what, json_object_get_string(v), ID_HINT);
        return 0;
    }
    return 1;
}

void tt_settings_check_name(tt_settings_check *c, json_object *v)
{
    const unsigned char *s;
    size_t len, i, points = 0;
    int control = 0;

    if (!json_object_is_type(v, json_type_string)) {
        tt_settings_report(c, "audience_name", "wrong_type",
                           "audience_name must be a string, not %s; give the name the "
                           "audience should have in TikTok Ads Manager", tt_settings_type_label(v));
        return;
    }
    s = (const unsigned char *) json_object_get_string(v);
    len = (size_t) json_object_get_string_len(v);
    for (i = 0; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            points++;
        /* C0 controls, DEL, and C1 controls (U+0080-U+009F = C2 80-9F). */
        if (s[i] < 0x20 || s[i] == 0x7f
            || (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f))
            control = 1;
    }
    if (len == 0)
        tt_settings_report(c, "audience_name", "empty",
                           "audience_name is empty; give the name (1-128 characters) the "
                           "audience should have in TikTok Ads Manager");
    else if (points > TT_SETTINGS_NAME_MAX)
        tt_settings_report(c, "audience_name", "too_long",
                           "audience_name has %zu characters; TikTok allows at most %d, so "
                           "shorten it", points, TT_SETTINGS_NAME_MAX);
    if (control)
        tt_settings_report(c, "audience_name", "invalid_characters",
                           "audience_name contains control characters (such as a line "
                           "break or tab); remove them");
}

/* Adds s to the set (a json-c object used as a hash table, so duplicate
   checks stay linear: a 1 MiB list of 110,000 ids once took a minute).
   1 when s was already there, else 0 (also out of memory: no guess). */
static int set_seen(json_object *set, const char *s)
{
    if (set == NULL)
        return 0;
    if (json_object_object_get_ex(set, s, NULL))
        return 1;
    (void) json_object_object_add(set, s, NULL);
    return 0;
}

/* Checks an array of ids at `path`. */
void tt_settings_check_id_list(tt_settings_check *c, json_object *arr, const char *path,
                               const char *what, const char *empty_fix)
{
    char p[300];
    size_t i, n;
    json_object *seen;

    if (!json_object_is_type(arr, json_type_array)) {
        tt_settings_report(c, path, "wrong_type", "%s must be an array of id strings, not %s; "
                           "write it like [\"7100000000000000001\"]", path,
                           tt_settings_type_label(arr));
        return;
    }
    seen = json_object_new_object();
    n = json_object_array_length(arr);
    if (n == 0)
        tt_settings_report(c, path, "empty", "%s is empty; %s", path, empty_fix);
    for (i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);

        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (check_id(c, v, p, what) && set_seen(seen, json_object_get_string(v)))
            tt_settings_report(c, p, "duplicate", "%s %s appears more than once in %s; "
                               "list each id once", what, json_object_get_string(v), path);
    }
    json_object_put(seen);
}

/* The strings of arr as a set (NULL when arr is not an array). */
static json_object *string_set(json_object *arr)
{
    json_object *set;
    size_t i, n;

    if (!json_object_is_type(arr, json_type_array) || (set = json_object_new_object()) == NULL)
        return NULL;
    n = json_object_array_length(arr);
    for (i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        if (json_object_is_type(v, json_type_string))
            (void) set_seen(set, json_object_get_string(v));
    }
    return set;
}

void tt_settings_check_existing(tt_settings_check *c, json_object *obj,
                                json_object *create_new_for)
{
    char path[300];
    json_object *creating;

    if (!json_object_is_type(obj, json_type_object)) {
        tt_settings_report(c, "existing_audiences", "wrong_type",
                           "existing_audiences must be an object mapping Ad Account ids to "
                           "lists of audience ids, not %s; write it like "
                           "{\"7100000000000000001\": [\"7200000000000000001\"]}",
                           tt_settings_type_label(obj));
        return;
    }
    if (json_object_object_length(obj) == 0)
        tt_settings_report(c, "existing_audiences", "empty",
                           "existing_audiences is empty; add at least one Ad Account id with "
                           "the audience ids to update");
    creating = string_set(create_new_for);
    json_object_object_foreach(obj, key, val) {
        size_t klen = strlen(key);

        snprintf(path, sizeof(path), "existing_audiences.%s", key);
        if (!tt_settings_id_valid(key, klen))
            tt_settings_report(c, path, "malformed_id", "Ad Account id \"%.40s\" is not a valid "
                               "id: it must be the numeric id shown in TikTok Ads Manager "
                               "(1-19 digits, no leading zero)", key);
        else if (creating != NULL && json_object_object_get_ex(creating, key, NULL))
            tt_settings_report(c, path, "conflict", "Ad Account %s is in both create_new_for "
                               "and existing_audiences; an Ad Account either gets a new "
                               "audience or updates existing ones: remove it from one list",
                               key);
        if (val == NULL) {
            tt_settings_report(c, path, "wrong_type", "%s must be an array of audience ids, not "
                               "null; list the audience ids to update", path);
            continue;
        }
        tt_settings_check_id_list(c, val, path, "audience id",
                                  "list at least one audience id of this Ad Account, or "
                                  "remove the Ad Account");
    }
    json_object_put(creating);
}

int tt_settings_check_bool(tt_settings_check *c, json_object *v, int field, int *out)
{
    if (!json_object_is_type(v, json_type_boolean)) {
        tt_settings_report(c, tt_settings_field_names[field], "wrong_type",
                           "%s must be true or false, not %s", tt_settings_field_names[field],
                           tt_settings_type_label(v));
        return 0;
    }
    *out = json_object_get_boolean(v) ? 1 : 0;
    return 1;
}

void tt_settings_check_retention(tt_settings_check *c, json_object *v, int *out)
{
    int64_t days;

    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        /* JSON Schema counts 30.0 as an integer; so do we. Written so a
           NaN fails the range test too (every comparison with it is
           false) before the cast, which would be undefined for it. */
        if (!(d >= -1e15 && d <= 1e15) || d != (double) (int64_t) d) {
            tt_settings_report(c, "membership_duration_days", "wrong_type",
                               "membership_duration_days must be a whole number of days "
                               "from 1 to 365");
            return;
        }
        days = (int64_t) d;
    } else if (json_object_is_type(v, json_type_int)) {
        days = json_object_get_int64(v);
    } else {
        tt_settings_report(c, "membership_duration_days", "wrong_type",
                           "membership_duration_days must be a number of days from 1 to "
                           "365, not %s", tt_settings_type_label(v));
        return;
    }
    if (days < 1 || days > TT_SETTINGS_RETENTION_MAX) {
        tt_settings_report(c, "membership_duration_days", "out_of_range",
                           "membership_duration_days is %lld; TikTok keeps members 1 to 365 "
                           "days: choose a value in that range", (long long) days);
        return;
    }
    *out = (int) days;
}

