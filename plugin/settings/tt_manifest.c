/* tt_manifest.c - manifest sections rebuilt from the C tables (see tt_manifest.h). */
#include <config.h>

#include "common/tt_json.h"
#include "identifiers/tt_ident.h"
#include "settings/tt_manifest.h"

const char *tt_manifest_json(void)
{
    return tt_manifest_text;
}

/* Appends the rows of one TikTok type and value kind to direct/generic. */
static int add_rows(tt_id_type type, tt_value_kind kind, json_object *direct,
                    json_object *generic, int *count)
{
    size_t n = 0, i;
    const tt_ident_rule *rules = tt_ident_rules(&n);

    for (i = 0; i < n; i++) {
        const tt_ident_rule *r = &rules[i];

        if (r->type != type || r->value_kind != kind)
            continue;
        (*count)++;
        if (r->type_filter == NULL) {
            if (tt_json_push_str(direct, r->attribute) != 0)
                return -1;
        } else {
            json_object *g = json_object_new_object();

            if (g == NULL || json_object_array_add(generic, g) != 0) {
                json_object_put(g);
                return -1;
            }
            if (tt_json_set_str(g, "attribute", r->attribute) != 0
                || tt_json_set_str(g, "type", r->type_filter) != 0)
                return -1;
        }
    }
    return 0;
}

/* {"direct_attributes": [...], "generic_attributes": [...]} members added to obj. */
static int add_attribute_lists(json_object *obj, tt_id_type type, tt_value_kind kind,
                               int *count)
{
    json_object *direct = json_object_new_array();
    json_object *generic = json_object_new_array();

    if (direct == NULL || generic == NULL
        || json_object_object_add(obj, "direct_attributes", direct) != 0) {
        json_object_put(direct);
        json_object_put(generic);
        return -1;
    }
    if (json_object_object_add(obj, "generic_attributes", generic) != 0) {
        json_object_put(generic);
        return -1;
    }
    return add_rows(type, kind, direct, generic, count);
}

json_object *tt_manifest_identifiers(void)
{
    json_object *arr = json_object_new_array(), *result = NULL;
    int t;

    if (arr == NULL)
        return NULL;
    for (t = 0; t < TT_ID_TYPE_COUNT; t++) {
        json_object *entry = json_object_new_object(), *clear = NULL;
        int hashed = 0, clear_rows = 0;

        if (entry == NULL || json_object_array_add(arr, entry) != 0) {
            json_object_put(entry);
            goto cleanup;
        }
        if (tt_json_set_str(entry, "tiktok_type", tt_id_type_name((tt_id_type) t)) != 0
            || add_attribute_lists(entry, (tt_id_type) t, TT_VALUE_SHA256_HEX, &hashed) != 0)
            goto cleanup;
        clear = json_object_new_object();
        if (clear == NULL
            || tt_json_set_str(clear, "requires_setting", "accept_clear_text_emails") != 0
            || add_attribute_lists(clear, (tt_id_type) t, TT_VALUE_CLEAR_EMAIL,
                                   &clear_rows) != 0) {
            json_object_put(clear);
            goto cleanup;
        }
        if (clear_rows == 0)
            json_object_put(clear);
        else if (json_object_object_add(entry, "clear_text_email", clear) != 0) {
            json_object_put(clear);
            goto cleanup;
        }
    }
    result = arr;
    arr = NULL;

cleanup:
    json_object_put(arr);
    return result;
}

json_object *tt_manifest_reject_reasons(void)
{
    json_object *arr = json_object_new_array();
    int r;

    if (arr == NULL)
        return NULL;
    for (r = TT_REJECT_NONE + 1; r < TT_REJECT_COUNT; r++) {
        if (tt_json_push_str(arr, tt_reject_code((tt_reject) r)) != 0) {
            json_object_put(arr);
            return NULL;
        }
    }
    return arr;
}
