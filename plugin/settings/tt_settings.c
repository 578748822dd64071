/* tt_settings.c - quick settings: parse, check every rule, compare (see tt_settings.h). */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/tt_jstrict.h"
#include "identifiers/tt_ident.h"
#include "settings/tt_settings.h"

#define ID_HINT "must be the numeric id shown in TikTok Ads Manager " \
                "(1-19 digits, no leading zero), written as a JSON string"

/* Fields in the order they are checked and reported. */
enum {
    F_CONNECTION_TYPE, F_AUDIENCE_NAME, F_CREATE_NEW_FOR, F_EXISTING_AUDIENCES,
    F_HISTORICAL, F_DELIVER_ALL, F_RETENTION, F_CLEAR_TEXT, F_PER_TYPE, F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "connection_type", "audience_name", "create_new_for", "existing_audiences",
    "historical_data_enabled", "deliver_all_data", "membership_duration_days",
    "accept_clear_text_emails", "audience_per_identifier_type",
};

typedef struct check {
    aconn_error_list *errors;
    unsigned nerr;
} check;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void report(check *c, const char *field, const char *code,
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

const char *tt_connection_type_name(tt_connection_type t)
{
    switch (t) {
    case TT_CONNECTION_NEW: return "new";
    case TT_CONNECTION_EXISTING: return "existing";
    case TT_CONNECTION_BOTH: return "both";
    }
    return "?";
}

int tt_settings_id_valid(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > TT_SETTINGS_ID_MAX || s[0] == '0')
        return 0;
    for (i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    /* Same length, so byte order is numeric order. */
    return len < TT_SETTINGS_ID_MAX || memcmp(s, "9223372036854775807", len) <= 0;
}

/* Parses strictly (RFC 8259, UTF-8 checked, nothing after the value) and
   reports the error position as byte offset, line and column. Returns 0
   (*out may be NULL: the JSON null), -1 after reporting bad JSON, or -2
   when out of memory. */
static int parse_json(check *c, const char *text, json_object **out)
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
        report(c, "", "too_long", "the settings are %zu bytes; quick settings are "
               "at most 1 MiB of JSON: remove what does not belong", len);
        json_tokener_free(tok);
        return -1;
    }
    /* The one strict reading of every input (tt_jstrict.h): what json-c
       would accept or change but RFC 8259 does not allow. */
    if (tt_jstrict_check(text, len, &strict) != 0) {
        tt_jstrict_position(text, strict.offset, &line, &col);
        report(c, "", "invalid_json", "the settings are not strict JSON (%s): %s at "
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
        report(c, "", "invalid_json", "the settings are not strict JSON (duplicate_key): "
               "a key appears more than once in one object; keep one copy");
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
        report(c, "", "invalid_json",
               "the settings are not valid JSON: %s at byte %zu (line %zu, "
               "column %zu); fix the JSON syntax there", why, end, line, col);
    }
    json_tokener_free(tok);
    *out = obj;
    return why != NULL ? -1 : 0;
}

static const char *json_type_label(json_object *v)
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
static int check_id(check *c, json_object *v, const char *path, const char *what)
{
    if (!json_object_is_type(v, json_type_string)) {
        report(c, path, "wrong_type", "%s must be a string, not %s; %s", what,
               json_type_label(v), ID_HINT);
        return 0;
    }
    if (!tt_settings_id_valid(json_object_get_string(v),
                              (size_t) json_object_get_string_len(v))) {
        report(c, path, "malformed_id", "%s \"%.40s\" is not a valid id: it %s",
               what, json_object_get_string(v), ID_HINT);
        return 0;
    }
    return 1;
}

static void check_name(check *c, json_object *v)
{
    const unsigned char *s;
    size_t len, i, points = 0;
    int control = 0;

    if (!json_object_is_type(v, json_type_string)) {
        report(c, "audience_name", "wrong_type",
               "audience_name must be a string, not %s; give the name the "
               "audience should have in TikTok Ads Manager", json_type_label(v));
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
        report(c, "audience_name", "empty",
               "audience_name is empty; give the name (1-128 characters) the "
               "audience should have in TikTok Ads Manager");
    else if (points > TT_SETTINGS_NAME_MAX)
        report(c, "audience_name", "too_long",
               "audience_name has %zu characters; TikTok allows at most %d, so "
               "shorten it", points, TT_SETTINGS_NAME_MAX);
    if (control)
        report(c, "audience_name", "invalid_characters",
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
static void check_id_list(check *c, json_object *arr, const char *path,
                          const char *what, const char *empty_fix)
{
    char p[300];
    size_t i, n;
    json_object *seen;

    if (!json_object_is_type(arr, json_type_array)) {
        report(c, path, "wrong_type", "%s must be an array of id strings, not %s; "
               "write it like [\"7100000000000000001\"]", path, json_type_label(arr));
        return;
    }
    seen = json_object_new_object();
    n = json_object_array_length(arr);
    if (n == 0)
        report(c, path, "empty", "%s is empty; %s", path, empty_fix);
    for (i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(arr, i);

        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (check_id(c, v, p, what) && set_seen(seen, json_object_get_string(v)))
            report(c, p, "duplicate", "%s %s appears more than once in %s; "
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

static void check_existing(check *c, json_object *obj, json_object *create_new_for)
{
    char path[300];
    json_object *creating;

    if (!json_object_is_type(obj, json_type_object)) {
        report(c, "existing_audiences", "wrong_type",
               "existing_audiences must be an object mapping Ad Account ids to "
               "lists of audience ids, not %s; write it like "
               "{\"7100000000000000001\": [\"7200000000000000001\"]}",
               json_type_label(obj));
        return;
    }
    if (json_object_object_length(obj) == 0)
        report(c, "existing_audiences", "empty",
               "existing_audiences is empty; add at least one Ad Account id with "
               "the audience ids to update");
    creating = string_set(create_new_for);
    json_object_object_foreach(obj, key, val) {
        size_t klen = strlen(key);

        snprintf(path, sizeof(path), "existing_audiences.%s", key);
        if (!tt_settings_id_valid(key, klen))
            report(c, path, "malformed_id", "Ad Account id \"%.40s\" is not a valid "
                   "id: it must be the numeric id shown in TikTok Ads Manager "
                   "(1-19 digits, no leading zero)", key);
        else if (creating != NULL && json_object_object_get_ex(creating, key, NULL))
            report(c, path, "conflict", "Ad Account %s is in both create_new_for "
                   "and existing_audiences; an Ad Account either gets a new "
                   "audience or updates existing ones: remove it from one list",
                   key);
        if (val == NULL) {
            report(c, path, "wrong_type", "%s must be an array of audience ids, not "
                   "null; list the audience ids to update", path);
            continue;
        }
        check_id_list(c, val, path, "audience id",
                      "list at least one audience id of this Ad Account, or "
                      "remove the Ad Account");
    }
    json_object_put(creating);
}

static int check_bool(check *c, json_object *v, int field, int *out)
{
    if (!json_object_is_type(v, json_type_boolean)) {
        report(c, field_names[field], "wrong_type",
               "%s must be true or false, not %s", field_names[field],
               json_type_label(v));
        return 0;
    }
    *out = json_object_get_boolean(v) ? 1 : 0;
    return 1;
}

static void check_retention(check *c, json_object *v, int *out)
{
    int64_t days;

    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        /* JSON Schema counts 30.0 as an integer; so do we. Written so a
           NaN fails the range test too (every comparison with it is
           false) before the cast, which would be undefined for it. */
        if (!(d >= -1e15 && d <= 1e15) || d != (double) (int64_t) d) {
            report(c, "membership_duration_days", "wrong_type",
                   "membership_duration_days must be a whole number of days "
                   "from 1 to 365");
            return;
        }
        days = (int64_t) d;
    } else if (json_object_is_type(v, json_type_int)) {
        days = json_object_get_int64(v);
    } else {
        report(c, "membership_duration_days", "wrong_type",
               "membership_duration_days must be a number of days from 1 to "
               "365, not %s", json_type_label(v));
        return;
    }
    if (days < 1 || days > TT_SETTINGS_RETENTION_MAX) {
        report(c, "membership_duration_days", "out_of_range",
               "membership_duration_days is %lld; TikTok keeps members 1 to 365 "
               "days: choose a value in that range", (long long) days);
        return;
    }
    *out = (int) days;
}

static void copy_id(tt_settings_id dst, json_object *v)
{
    aconn__strlcpy(dst, json_object_get_string(v), sizeof(tt_settings_id));
}

/* Builds the struct from a document that passed every check. */
static aconn_status build(json_object *f[F_COUNT], tt_settings *s)
{
    size_t ncreate = 0, i, j, t = 0;

    if (f[F_AUDIENCE_NAME] != NULL) {
        s->audience_name = strdup(json_object_get_string(f[F_AUDIENCE_NAME]));
        if (s->audience_name == NULL)
            return ACONN_ERR_FATAL;
    }
    if (f[F_CREATE_NEW_FOR] != NULL)
        ncreate = json_object_array_length(f[F_CREATE_NEW_FOR]);
    s->ntargets = ncreate;
    if (f[F_EXISTING_AUDIENCES] != NULL)
        s->ntargets += (size_t) json_object_object_length(f[F_EXISTING_AUDIENCES]);
    s->targets = calloc(s->ntargets ? s->ntargets : 1, sizeof(*s->targets));
    if (s->targets == NULL)
        return ACONN_ERR_FATAL;
    for (i = 0; i < ncreate; i++, t++) {
        copy_id(s->targets[t].advertiser_id, json_object_array_get_idx(f[F_CREATE_NEW_FOR], i));
        s->targets[t].create_new = 1;
    }
    if (f[F_EXISTING_AUDIENCES] != NULL) {
        json_object_object_foreach(f[F_EXISTING_AUDIENCES], key, val) {
            tt_target *tg = &s->targets[t++];

            aconn__strlcpy(tg->advertiser_id, key, sizeof(tg->advertiser_id));
            tg->naudiences = json_object_array_length(val);
            tg->audience_ids = calloc(tg->naudiences, sizeof(*tg->audience_ids));
            if (tg->audience_ids == NULL)
                return ACONN_ERR_FATAL;
            for (j = 0; j < tg->naudiences; j++)
                copy_id(tg->audience_ids[j], json_object_array_get_idx(val, j));
        }
    }
    return ACONN_OK;
}

aconn_status tt_settings_parse(const char *settings_json, tt_settings **out,
                               aconn_error_list *errors)
{
    check c = {errors, 0};
    json_object *root = NULL, *f[F_COUNT];
    int present[F_COUNT], k, parsed;
    tt_settings *s = NULL;
    aconn_status st = ACONN_ERR_INVALID;
    tt_connection_type type = 0;
    int historical = 1, deliver_all = 1, has_hist = 0, has_all = 0;
    int retention = TT_SETTINGS_RETENTION_MAX, clear_text = 0, per_type = 0;

    if (out != NULL)
        *out = NULL;
    memset(f, 0, sizeof(f));
    memset(present, 0, sizeof(present));
    if (settings_json == NULL) {
        report(&c, "", "required", "no quick settings were given; send a JSON "
               "object with at least connection_type");
        goto cleanup;
    }
    parsed = parse_json(&c, settings_json, &root);
    if (parsed != 0) {
        if (parsed == -2)
            st = ACONN_ERR_FATAL;
        goto cleanup;
    }
    if (!json_object_is_type(root, json_type_object)) {
        report(&c, "", "wrong_type", "the settings must be a JSON object, not %s; "
               "write them like {\"connection_type\": \"new\", ...}",
               json_type_label(root));
        goto cleanup;
    }

    {
        json_object_object_foreach(root, key, val) {
            for (k = 0; k < F_COUNT; k++)
                if (strcmp(key, field_names[k]) == 0)
                    break;
            if (k == F_COUNT) {
                report(&c, key, "unknown_field", "unknown field \"%.60s\"; remove it "
                       "(the fields are connection_type, audience_name, "
                       "create_new_for, existing_audiences, historical_data_enabled, "
                       "deliver_all_data, membership_duration_days, "
                       "accept_clear_text_emails, audience_per_identifier_type)", key);
                continue;
            }
            present[k] = 1;
            f[k] = val;
        }
    }

    /* null never fits a field: report it once here, then treat as absent
       for the shape checks (but present for the connection-type rules). */
    for (k = 0; k < F_COUNT; k++)
        if (present[k] && f[k] == NULL)
            report(&c, field_names[k], "wrong_type",
                   "%s is null; give a value or leave the field out", field_names[k]);

    if (!present[F_CONNECTION_TYPE]) {
        report(&c, "connection_type", "required", "connection_type is required: "
               "set it to \"new\", \"existing\" or \"both\"");
    } else if (f[F_CONNECTION_TYPE] != NULL) {
        const char *v = json_object_get_string(f[F_CONNECTION_TYPE]);

        if (!json_object_is_type(f[F_CONNECTION_TYPE], json_type_string))
            report(&c, "connection_type", "wrong_type", "connection_type must be "
                   "the string \"new\", \"existing\" or \"both\", not %s",
                   json_type_label(f[F_CONNECTION_TYPE]));
        else if (strcmp(v, "new") == 0)
            type = TT_CONNECTION_NEW;
        else if (strcmp(v, "existing") == 0)
            type = TT_CONNECTION_EXISTING;
        else if (strcmp(v, "both") == 0)
            type = TT_CONNECTION_BOTH;
        else
            report(&c, "connection_type", "out_of_range", "connection_type \"%.40s\" "
                   "is not one of \"new\", \"existing\" or \"both\"; pick one", v);
    }

    if (type == TT_CONNECTION_NEW || type == TT_CONNECTION_BOTH) {
        if (!present[F_AUDIENCE_NAME])
            report(&c, "audience_name", "required", "audience_name is required when "
                   "connection_type is \"%s\": give the name the new audiences get "
                   "in TikTok Ads Manager", tt_connection_type_name(type));
        if (!present[F_CREATE_NEW_FOR])
            report(&c, "create_new_for", "required", "create_new_for is required when "
                   "connection_type is \"%s\": list the Ad Account ids that get a "
                   "new audience", tt_connection_type_name(type));
    }
    if (type == TT_CONNECTION_EXISTING || type == TT_CONNECTION_BOTH) {
        if (!present[F_EXISTING_AUDIENCES])
            report(&c, "existing_audiences", "required", "existing_audiences is "
                   "required when connection_type is \"%s\": map each Ad Account id "
                   "to the audience ids to update", tt_connection_type_name(type));
    }
    if (type == TT_CONNECTION_NEW && present[F_EXISTING_AUDIENCES])
        report(&c, "existing_audiences", "conflict", "existing_audiences is not used "
               "when connection_type is \"new\"; remove it, or set connection_type "
               "to \"both\" to also update existing audiences");
    if (type == TT_CONNECTION_EXISTING) {
        if (present[F_AUDIENCE_NAME])
            report(&c, "audience_name", "conflict", "audience_name is not used when "
                   "connection_type is \"existing\"; remove it, or set "
                   "connection_type to \"both\" to also create new audiences");
        if (present[F_CREATE_NEW_FOR])
            report(&c, "create_new_for", "conflict", "create_new_for is not used when "
                   "connection_type is \"existing\"; remove it, or set "
                   "connection_type to \"both\" to also create new audiences");
    }

    if (f[F_AUDIENCE_NAME] != NULL)
        check_name(&c, f[F_AUDIENCE_NAME]);
    if (f[F_CREATE_NEW_FOR] != NULL)
        check_id_list(&c, f[F_CREATE_NEW_FOR], "create_new_for", "Ad Account id",
                      "list at least one Ad Account id that gets a new audience");
    if (f[F_EXISTING_AUDIENCES] != NULL)
        check_existing(&c, f[F_EXISTING_AUDIENCES], f[F_CREATE_NEW_FOR]);
    if (f[F_HISTORICAL] != NULL)
        has_hist = check_bool(&c, f[F_HISTORICAL], F_HISTORICAL, &historical);
    if (f[F_DELIVER_ALL] != NULL)
        has_all = check_bool(&c, f[F_DELIVER_ALL], F_DELIVER_ALL, &deliver_all);
    if (has_hist && has_all && historical != deliver_all)
        report(&c, "deliver_all_data", "conflict", "deliver_all_data (%s) disagrees "
               "with historical_data_enabled (%s); both decide whether rows already "
               "in the dataset are delivered: give them the same value or set only one",
               deliver_all ? "true" : "false", historical ? "true" : "false");
    if (f[F_RETENTION] != NULL)
        check_retention(&c, f[F_RETENTION], &retention);
    if (f[F_CLEAR_TEXT] != NULL)
        check_bool(&c, f[F_CLEAR_TEXT], F_CLEAR_TEXT, &clear_text);
    if (f[F_PER_TYPE] != NULL)
        check_bool(&c, f[F_PER_TYPE], F_PER_TYPE, &per_type);

    if (c.nerr != 0)
        goto cleanup;
    st = ACONN_OK;
    if (out == NULL)
        goto cleanup;
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        st = ACONN_ERR_FATAL;
        goto cleanup;
    }
    s->connection_type = type;
    s->historical = has_all ? deliver_all : historical;
    s->retention_days = retention;
    s->accept_clear_text_emails = clear_text;
    s->audience_per_identifier_type = per_type;
    st = build(f, s);
    if (st == ACONN_OK) {
        *out = s;
        s = NULL;
    }

cleanup:
    if (st == ACONN_ERR_FATAL)
        report(&c, "", "out_of_memory", "out of memory while reading the settings");
    tt_settings_free(s);
    json_object_put(root);
    return st;
}

void tt_settings_free(tt_settings *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->ntargets; i++)
        free(s->targets[i].audience_ids);
    free(s->targets);
    free(s->audience_name);
    free(s);
}

unsigned tt_settings_ident_flags(const tt_settings *s)
{
    return s->accept_clear_text_emails ? TT_IDENT_CLEAR_TEXT_EMAILS : 0u;
}

const tt_target *tt_settings_find_target(const tt_settings *s,
                                         const char *advertiser_id)
{
    size_t i;

    for (i = 0; i < s->ntargets; i++)
        if (strcmp(s->targets[i].advertiser_id, advertiser_id) == 0)
            return &s->targets[i];
    return NULL;
}

/* Every audience id of a is among b's (ids are unique within a list). */
static int ids_subset(const tt_target *a, const tt_target *b)
{
    size_t i, j;

    for (i = 0; i < a->naudiences; i++) {
        for (j = 0; j < b->naudiences; j++)
            if (strcmp(a->audience_ids[i], b->audience_ids[j]) == 0)
                break;
        if (j == b->naudiences)
            return 0;
    }
    return 1;
}

/* Same targets of one kind (create_new or existing), order aside. */
static int same_targets(const tt_settings *a, const tt_settings *b, int create_new)
{
    size_t i, na = 0, nb = 0;

    for (i = 0; i < b->ntargets; i++)
        nb += b->targets[i].create_new == create_new;
    for (i = 0; i < a->ntargets; i++) {
        const tt_target *x = &a->targets[i], *y;

        if (x->create_new != create_new)
            continue;
        na++;
        y = tt_settings_find_target(b, x->advertiser_id);
        if (y == NULL || y->create_new != create_new || y->naudiences != x->naudiences
            || !ids_subset(x, y))
            return 0;
    }
    return na == nb;
}

aconn_status tt_settings_check_change(const char *current_json,
                                      const char *new_json,
                                      aconn_error_list *errors)
{
    check c = {errors, 0};
    tt_settings *cur = NULL, *next = NULL;
    aconn_status st;
    static const char fix[] = "settings of a connection cannot change after it "
                              "is made; create a new connection instead";
    static const char targets_fix[] = "Ad Account selections of a connection "
                                      "cannot change; create a new connection "
                                      "with the new targets";

    st = tt_settings_parse(new_json, &next, errors);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_settings_parse(current_json, &cur, NULL);
    if (st != ACONN_OK) {
        report(&c, "", "invalid_json", "the connection's current settings cannot be "
               "read, so no change can be checked; recreate the connection");
        st = ACONN_ERR_INVALID;
        goto cleanup;
    }
    if (cur->connection_type != next->connection_type)
        report(&c, "connection_type", "immutable", "connection_type was \"%s\"; %s",
               tt_connection_type_name(cur->connection_type), targets_fix);
    if (!same_targets(cur, next, 1) || !same_targets(next, cur, 1))
        report(&c, "create_new_for", "immutable", "create_new_for changed; %s", targets_fix);
    if (!same_targets(cur, next, 0) || !same_targets(next, cur, 0))
        report(&c, "existing_audiences", "immutable", "existing_audiences changed; %s",
               targets_fix);
    if ((cur->audience_name == NULL) != (next->audience_name == NULL)
        || (cur->audience_name != NULL && strcmp(cur->audience_name, next->audience_name) != 0))
        report(&c, "audience_name", "immutable", "audience_name changed; %s (an "
               "audience can be renamed in TikTok Ads Manager)", fix);
    if (cur->historical != next->historical)
        report(&c, "historical_data_enabled", "immutable", "whether rows already in the dataset are delivered "
               "changed; %s", fix);
    if (cur->retention_days != next->retention_days)
        report(&c, "membership_duration_days", "immutable",
               "membership_duration_days was %d; %s", cur->retention_days, fix);
    if (cur->accept_clear_text_emails != next->accept_clear_text_emails)
        report(&c, "accept_clear_text_emails", "immutable",
               "accept_clear_text_emails changed; %s", fix);
    if (cur->audience_per_identifier_type != next->audience_per_identifier_type)
        report(&c, "audience_per_identifier_type", "immutable",
               "audience_per_identifier_type changed; %s", fix);
    st = c.nerr == 0 ? ACONN_OK : ACONN_ERR_INVALID;

cleanup:
    tt_settings_free(cur);
    tt_settings_free(next);
    return st;
}
