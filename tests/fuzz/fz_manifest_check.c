/*
 * fz_manifest_check.c - see fz_manifest_check.h.
 */
#include <config.h>

#include "fz_manifest_check.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

/* The member `key` of obj if it has type t, else NULL and why says so. */
static json_object *fz_member(json_object *obj, const char *where, const char *key,
                              json_type t, char *why, size_t whylen)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, t)) {
        snprintf(why, whylen, "%s%s must be a %s", where, key, json_type_to_name(t));
        return NULL;
    }
    if (t == json_type_string && json_object_get_string_len(v) == 0) {
        snprintf(why, whylen, "%s%s must not be empty", where, key);
        return NULL;
    }
    return v;
}

static int fz_check_top(json_object *m, char *why, size_t whylen)
{
    static const char *const strings[] = {"id", "name", "version", "description", "module",
                                          "policy_refresh"};
    json_object *abi, *profile, *rules, *reasons;
    size_t i, n;

    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if (fz_member(m, "", strings[i], json_type_string, why, whylen) == NULL)
            return -1;
    abi = fz_member(m, "", "abi", json_type_object, why, whylen);
    if (abi == NULL || fz_member(abi, "abi.", "major", json_type_int, why, whylen) == NULL
        || fz_member(abi, "abi.", "minor", json_type_int, why, whylen) == NULL)
        return -1;
    profile = fz_member(m, "", "profile", json_type_object, why, whylen);
    if (profile == NULL
        || fz_member(profile, "profile.", "auth_type", json_type_string, why, whylen) == NULL
        || fz_member(profile, "profile.", "title", json_type_string, why, whylen) == NULL)
        return -1;
    rules = fz_member(m, "", "identifier_rules", json_type_object, why, whylen);
    reasons = rules != NULL ? fz_member(rules, "identifier_rules.", "reject_reasons",
                                        json_type_array, why, whylen) : NULL;
    if (reasons == NULL)
        return -1;
    n = json_object_array_length(reasons);
    for (i = 0; i < n; i++) {
        if (!json_object_is_type(json_object_array_get_idx(reasons, i), json_type_string)) {
            snprintf(why, whylen, "identifier_rules.reject_reasons[%zu] must be a string", i);
            return -1;
        }
    }
    return 0;
}

static int fz_check_identifiers(json_object *m, char *why, size_t whylen)
{
    json_object *ids = fz_member(m, "", "identifiers", json_type_array, why, whylen);
    size_t i, n;

    if (ids == NULL)
        return -1;
    n = json_object_array_length(ids);
    if (n == 0) {
        snprintf(why, whylen, "identifiers must not be empty");
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!json_object_is_type(json_object_array_get_idx(ids, i), json_type_object)) {
            snprintf(why, whylen, "identifiers[%zu] must be an object", i);
            return -1;
        }
    }
    return 0;
}

static int fz_check_limits(json_object *m, char *why, size_t whylen)
{
    static const char *const ints[] = {"audiences_per_ad_account", "minimum_audience_size",
                                       "max_file_bytes", "file_paths_per_call"};
    json_object *limits = fz_member(m, "", "limits", json_type_object, why, whylen);
    json_object *days, *lo, *hi, *v;
    size_t i;

    if (limits == NULL)
        return -1;
    for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        v = fz_member(limits, "limits.", ints[i], json_type_int, why, whylen);
        if (v == NULL)
            return -1;
        if (json_object_get_int64(v) <= 0) {
            snprintf(why, whylen, "limits.%s must be positive", ints[i]);
            return -1;
        }
    }
    days = fz_member(limits, "limits.", "membership_duration_days", json_type_object, why,
                     whylen);
    lo = days != NULL ? fz_member(days, "limits.membership_duration_days.", "min",
                                  json_type_int, why, whylen) : NULL;
    hi = lo != NULL ? fz_member(days, "limits.membership_duration_days.", "max",
                                json_type_int, why, whylen) : NULL;
    if (hi == NULL)
        return -1;
    if (json_object_get_int64(lo) < 1 || json_object_get_int64(lo) > json_object_get_int64(hi)) {
        snprintf(why, whylen, "limits.membership_duration_days needs 1 <= min <= max");
        return -1;
    }
    return 0;
}

static int fz_check_schema(json_object *m, char *why, size_t whylen)
{
    json_object *schema, *type, *props;

    schema = fz_member(m, "", "quick_settings_schema", json_type_object, why, whylen);
    if (schema == NULL
        || fz_member(schema, "quick_settings_schema.", "$schema", json_type_string, why,
                     whylen) == NULL)
        return -1;
    type = fz_member(schema, "quick_settings_schema.", "type", json_type_string, why, whylen);
    if (type == NULL)
        return -1;
    if (strcmp(json_object_get_string(type), "object") != 0) {
        snprintf(why, whylen, "quick_settings_schema.type must be \"object\"");
        return -1;
    }
    props = fz_member(schema, "quick_settings_schema.", "properties", json_type_object, why,
                      whylen);
    if (props == NULL)
        return -1;
    json_object_object_foreach(props, key, val) {
        if (!json_object_is_type(val, json_type_object)
            || fz_member(val, "quick_settings_schema.properties.x.", "title", json_type_string,
                         why, whylen) == NULL
            || fz_member(val, "quick_settings_schema.properties.x.", "description",
                         json_type_string, why, whylen) == NULL) {
            snprintf(why, whylen, "quick_settings_schema.properties.%.64s needs a title and "
                     "a description", key);
            return -1;
        }
    }
    return 0;
}

int fz_manifest_check(const char *text, size_t len, char *why, size_t whylen)
{
    json_tokener *tok = json_tokener_new();
    json_object *m = NULL;
    size_t i;
    int rc = -1;

    why[0] = '\0';
    if (tok == NULL) {
        snprintf(why, whylen, "out of memory");
        goto cleanup;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    if (len > INT32_MAX || (m = json_tokener_parse_ex(tok, text, (int) len)) == NULL) {
        snprintf(why, whylen, "the manifest is not one complete JSON value");
        goto cleanup;
    }
    for (i = json_tokener_get_parse_end(tok); i < len; i++) {
        if (!isspace((unsigned char) text[i])) {
            snprintf(why, whylen, "text after the manifest's JSON value");
            goto cleanup;
        }
    }
    if (!json_object_is_type(m, json_type_object)) {
        snprintf(why, whylen, "the manifest must be a JSON object");
        goto cleanup;
    }
    if (fz_check_top(m, why, whylen) != 0 || fz_check_identifiers(m, why, whylen) != 0
        || fz_check_limits(m, why, whylen) != 0 || fz_check_schema(m, why, whylen) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    json_object_put(m);
    if (tok != NULL)
        json_tokener_free(tok);
    return rc;
}
