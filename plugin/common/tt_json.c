/* tt_json.c - see tt_json.h. */
#include <config.h>

#include "common/tt_json.h"
#include "common/tt_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

char *tt_json_text(json_object *v)
{
    char num[32];

    if (json_object_is_type(v, json_type_string))
        return tt_strdup(json_object_get_string(v));
    if (json_object_is_type(v, json_type_int)) {
        snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(v));
        return tt_strdup(num);
    }
    return NULL;
}

char *tt_json_str(json_object *obj, const char *key)
{
    json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return NULL;
    return tt_json_text(v);
}

int64_t tt_json_int(json_object *obj, const char *key, int64_t fallback)
{
    json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return fallback;
    if (json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    if (json_object_is_type(v, json_type_string)) {
        char *end = NULL;
        long long x = strtoll(json_object_get_string(v), &end, 10);
        if (end != NULL && *end == '\0' && end != json_object_get_string(v))
            return (int64_t) x;
    }
    return fallback;
}

int tt_json_bool(json_object *obj, const char *key)
{
    json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return 0;
    if (json_object_is_type(v, json_type_boolean) || json_object_is_type(v, json_type_int))
        return json_object_get_boolean(v) ? 1 : 0;
    return 0;
}

json_object *tt_json_array(json_object *obj, const char *key)
{
    json_object *v;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v)
        || !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

json_object *tt_json_string_array(const char *const *items, size_t n)
{
    json_object *arr = json_object_new_array();
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        json_object *s = json_object_new_string(items[i] != NULL ? items[i] : "");
        if (s == NULL || json_object_array_add(arr, s) != 0) {
            json_object_put(s);
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}

int tt_json_set_str(json_object *obj, const char *key, const char *value)
{
    return tt_json_set(obj, key, json_object_new_string(value != NULL ? value : ""));
}

int tt_json_set(json_object *obj, const char *key, json_object *value)
{
    if (value == NULL || json_object_object_add(obj, key, value) != 0) {
        json_object_put(value);
        return -1;
    }
    return 0;
}

int tt_json_push_str(json_object *arr, const char *s)
{
    json_object *v = json_object_new_string(s);

    if (v == NULL || json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}
