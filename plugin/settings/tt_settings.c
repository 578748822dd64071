/* tt_settings.c - quick settings: parse, check the rules between fields,
   compare (see tt_settings.h); each field's own checks are in
   tt_settings_check.c. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "identifiers/tt_ident.h"
#include "settings/tt_settings.h"
#include "settings/tt_settings_check.h"

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

/* What the checks read from the document: the fields as given (f[k] NULL
   when absent or null; present[k] tells which) and the values checked. */
typedef struct fields {
    json_object *f[F_COUNT];
    int present[F_COUNT];
    tt_connection_type type;
    int historical, deliver_all, has_hist, has_all;
    int retention, clear_text, per_type;
} fields;

/* Collects the known fields of root; reports unknown ones, and null once
   (then absent for the shape checks, present for the connection-type
   rules). */
static void collect(tt_settings_check *c, json_object *root, fields *x)
{
    int k;

    json_object_object_foreach(root, key, val) {
        for (k = 0; k < F_COUNT; k++)
            if (strcmp(key, tt_settings_field_names[k]) == 0)
                break;
        if (k == F_COUNT) {
            tt_settings_report(c, key, "unknown_field", "unknown field \"%.60s\"; remove it "
                               "(the fields are connection_type, audience_name, "
                               "create_new_for, existing_audiences, historical_data_enabled, "
                               "deliver_all_data, membership_duration_days, "
                               "accept_clear_text_emails, audience_per_identifier_type)", key);
            continue;
        }
        x->present[k] = 1;
        x->f[k] = val;
    }
    for (k = 0; k < F_COUNT; k++)
        if (x->present[k] && x->f[k] == NULL)
            tt_settings_report(c, tt_settings_field_names[k], "wrong_type",
                               "%s is null; give a value or leave the field out",
                               tt_settings_field_names[k]);
}

/* connection_type itself; 0 when missing or wrong (reported). */
static tt_connection_type check_type(tt_settings_check *c, const fields *x)
{
    json_object *t = x->f[F_CONNECTION_TYPE];
    const char *v;

    if (!x->present[F_CONNECTION_TYPE]) {
        tt_settings_report(c, "connection_type", "required", "connection_type is required: "
                           "set it to \"new\", \"existing\" or \"both\"");
        return 0;
    }
    if (t == NULL)
        return 0;
    v = json_object_get_string(t);
    if (!json_object_is_type(t, json_type_string))
        tt_settings_report(c, "connection_type", "wrong_type", "connection_type must be "
                           "the string \"new\", \"existing\" or \"both\", not %s",
                           tt_settings_type_label(t));
    else if (strcmp(v, "new") == 0)
        return TT_CONNECTION_NEW;
    else if (strcmp(v, "existing") == 0)
        return TT_CONNECTION_EXISTING;
    else if (strcmp(v, "both") == 0)
        return TT_CONNECTION_BOTH;
    else
        tt_settings_report(c, "connection_type", "out_of_range", "connection_type \"%.40s\" "
                           "is not one of \"new\", \"existing\" or \"both\"; pick one", v);
    return 0;
}

/* The rules between connection_type and the fields it needs or excludes. */
static void check_type_rules(tt_settings_check *c, tt_connection_type type,
                             const int present[F_COUNT])
{
    if (type == TT_CONNECTION_NEW || type == TT_CONNECTION_BOTH) {
        if (!present[F_AUDIENCE_NAME])
            tt_settings_report(c, "audience_name", "required", "audience_name is required when "
                               "connection_type is \"%s\": give the name the new audiences get "
                               "in TikTok Ads Manager", tt_connection_type_name(type));
        if (!present[F_CREATE_NEW_FOR])
            tt_settings_report(c, "create_new_for", "required", "create_new_for is required when "
                               "connection_type is \"%s\": list the Ad Account ids that get a "
                               "new audience", tt_connection_type_name(type));
    }
    if (type == TT_CONNECTION_EXISTING || type == TT_CONNECTION_BOTH) {
        if (!present[F_EXISTING_AUDIENCES])
            tt_settings_report(c, "existing_audiences", "required", "existing_audiences is "
                               "required when connection_type is \"%s\": map each Ad Account id "
                               "to the audience ids to update", tt_connection_type_name(type));
    }
    if (type == TT_CONNECTION_NEW && present[F_EXISTING_AUDIENCES])
        tt_settings_report(c, "existing_audiences", "conflict", "existing_audiences is not used "
                           "when connection_type is \"new\"; remove it, or set connection_type "
                           "to \"both\" to also update existing audiences");
    if (type == TT_CONNECTION_EXISTING) {
        if (present[F_AUDIENCE_NAME])
            tt_settings_report(c, "audience_name", "conflict", "audience_name is not used when "
                               "connection_type is \"existing\"; remove it, or set "
                               "connection_type to \"both\" to also create new audiences");
        if (present[F_CREATE_NEW_FOR])
            tt_settings_report(c, "create_new_for", "conflict", "create_new_for is not used when "
                               "connection_type is \"existing\"; remove it, or set "
                               "connection_type to \"both\" to also create new audiences");
    }
}

/* Each given field's own shape (tt_settings_check.c), and the one rule
   between the two booleans that say the same thing. */
static void check_fields(tt_settings_check *c, fields *x)
{
    json_object **f = x->f;

    if (f[F_AUDIENCE_NAME] != NULL)
        tt_settings_check_name(c, f[F_AUDIENCE_NAME]);
    if (f[F_CREATE_NEW_FOR] != NULL)
        tt_settings_check_id_list(c, f[F_CREATE_NEW_FOR], "create_new_for", "Ad Account id",
                                  "list at least one Ad Account id that gets a new audience");
    if (f[F_EXISTING_AUDIENCES] != NULL)
        tt_settings_check_existing(c, f[F_EXISTING_AUDIENCES], f[F_CREATE_NEW_FOR]);
    if (f[F_HISTORICAL] != NULL)
        x->has_hist = tt_settings_check_bool(c, f[F_HISTORICAL], F_HISTORICAL, &x->historical);
    if (f[F_DELIVER_ALL] != NULL)
        x->has_all = tt_settings_check_bool(c, f[F_DELIVER_ALL], F_DELIVER_ALL,
                                            &x->deliver_all);
    if (x->has_hist && x->has_all && x->historical != x->deliver_all)
        tt_settings_report(c, "deliver_all_data", "conflict", "deliver_all_data (%s) disagrees "
                           "with historical_data_enabled (%s); both decide whether rows already "
                           "in the dataset are delivered: give them the same value or set only one",
                           x->deliver_all ? "true" : "false", x->historical ? "true" : "false");
    if (f[F_RETENTION] != NULL)
        tt_settings_check_retention(c, f[F_RETENTION], &x->retention);
    if (f[F_CLEAR_TEXT] != NULL)
        tt_settings_check_bool(c, f[F_CLEAR_TEXT], F_CLEAR_TEXT, &x->clear_text);
    if (f[F_PER_TYPE] != NULL)
        tt_settings_check_bool(c, f[F_PER_TYPE], F_PER_TYPE, &x->per_type);
}

/* The struct of a document that passed every check: *out, or FATAL. */
static aconn_status make(fields *x, tt_settings **out)
{
    tt_settings *s = calloc(1, sizeof(*s));
    aconn_status st;

    if (s == NULL)
        return ACONN_ERR_FATAL;
    s->connection_type = x->type;
    s->historical = x->has_all ? x->deliver_all : x->historical;
    s->retention_days = x->retention;
    s->accept_clear_text_emails = x->clear_text;
    s->audience_per_identifier_type = x->per_type;
    st = build(x->f, s);
    if (st == ACONN_OK)
        *out = s;
    else
        tt_settings_free(s);
    return st;
}

aconn_status tt_settings_parse(const char *settings_json, tt_settings **out,
                               aconn_error_list *errors)
{
    tt_settings_check c = {errors, 0};
    json_object *root = NULL;
    fields x;
    int parsed;
    aconn_status st = ACONN_ERR_INVALID;

    if (out != NULL)
        *out = NULL;
    memset(&x, 0, sizeof(x));
    x.historical = 1;
    x.deliver_all = 1;
    x.retention = TT_SETTINGS_RETENTION_MAX;
    if (settings_json == NULL) {
        tt_settings_report(&c, "", "required", "no quick settings were given; send a JSON "
                           "object with at least connection_type");
        goto cleanup;
    }
    parsed = tt_settings_parse_json(&c, settings_json, &root);
    if (parsed != 0) {
        if (parsed == -2)
            st = ACONN_ERR_FATAL;
        goto cleanup;
    }
    if (!json_object_is_type(root, json_type_object)) {
        tt_settings_report(&c, "", "wrong_type", "the settings must be a JSON object, not %s; "
                           "write them like {\"connection_type\": \"new\", ...}",
                           tt_settings_type_label(root));
        goto cleanup;
    }
    collect(&c, root, &x);
    x.type = check_type(&c, &x);
    check_type_rules(&c, x.type, x.present);
    check_fields(&c, &x);
    if (c.nerr != 0)
        goto cleanup;
    st = out != NULL ? make(&x, out) : ACONN_OK;
cleanup:
    if (st == ACONN_ERR_FATAL)
        tt_settings_report(&c, "", "out_of_memory", "out of memory while reading the settings");
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
    tt_settings_check c = {errors, 0};
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
        tt_settings_report(&c, "", "invalid_json", "the connection's current settings cannot be "
                           "read, so no change can be checked; recreate the connection");
        st = ACONN_ERR_INVALID;
        goto cleanup;
    }
    if (cur->connection_type != next->connection_type)
        tt_settings_report(&c, "connection_type", "immutable", "connection_type was \"%s\"; %s",
                           tt_connection_type_name(cur->connection_type), targets_fix);
    if (!same_targets(cur, next, 1) || !same_targets(next, cur, 1))
        tt_settings_report(&c, "create_new_for", "immutable", "create_new_for changed; %s",
                           targets_fix);
    if (!same_targets(cur, next, 0) || !same_targets(next, cur, 0))
        tt_settings_report(&c, "existing_audiences", "immutable", "existing_audiences changed; %s",
                           targets_fix);
    if ((cur->audience_name == NULL) != (next->audience_name == NULL)
        || (cur->audience_name != NULL && strcmp(cur->audience_name, next->audience_name) != 0))
        tt_settings_report(&c, "audience_name", "immutable", "audience_name changed; %s (an "
                           "audience can be renamed in TikTok Ads Manager)", fix);
    if (cur->historical != next->historical)
        tt_settings_report(&c, "historical_data_enabled", "immutable", "whether rows "
                           "already in the dataset are delivered changed; %s", fix);
    if (cur->retention_days != next->retention_days)
        tt_settings_report(&c, "membership_duration_days", "immutable",
                           "membership_duration_days was %d; %s", cur->retention_days, fix);
    if (cur->accept_clear_text_emails != next->accept_clear_text_emails)
        tt_settings_report(&c, "accept_clear_text_emails", "immutable",
                           "accept_clear_text_emails changed; %s", fix);
    if (cur->audience_per_identifier_type != next->audience_per_identifier_type)
        tt_settings_report(&c, "audience_per_identifier_type", "immutable",
                           "audience_per_identifier_type changed; %s", fix);
    st = c.nerr == 0 ? ACONN_OK : ACONN_ERR_INVALID;

cleanup:
    tt_settings_free(cur);
    tt_settings_free(next);
    return st;
}
