/* tt_ident_report.c - identifier tallies as JSON (see tt_ident_report.h). */
#include <config.h>

#include "identifiers/tt_ident_report.h"

void tt_ident_counts_merge(tt_ident_counts *dst, const tt_ident_counts *src)
{
    int i;

    for (i = 0; i < TT_ID_TYPE_COUNT; i++)
        dst->accepted[i] += src->accepted[i];
    for (i = 0; i < TT_REJECT_COUNT; i++)
        dst->rejected[i] += src->rejected[i];
}

static int set_count(json_object *obj, const char *key, uint64_t n)
{
    json_object *v = json_object_new_int64(n > INT64_MAX ? INT64_MAX : (int64_t) n);

    if (v == NULL || json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

json_object *tt_ident_counts_json(const tt_ident_counts *c)
{
    json_object *root = json_object_new_object(), *result = NULL;
    json_object *accepted = json_object_new_object();
    json_object *rejected = json_object_new_object();
    int i;

    if (root == NULL || accepted == NULL || rejected == NULL)
        goto cleanup;
    for (i = 0; i < TT_ID_TYPE_COUNT; i++)
        if (set_count(accepted, tt_id_type_name((tt_id_type) i), c->accepted[i]) != 0)
            goto cleanup;
    for (i = TT_REJECT_NONE + 1; i < TT_REJECT_COUNT; i++)
        if (set_count(rejected, tt_reject_code((tt_reject) i), c->rejected[i]) != 0)
            goto cleanup;
    if (json_object_object_add(root, "accepted", accepted) != 0)
        goto cleanup;
    accepted = NULL;
    if (json_object_object_add(root, "rejected", rejected) != 0)
        goto cleanup;
    rejected = NULL;
    result = root;
    root = NULL;

cleanup:
    json_object_put(accepted);
    json_object_put(rejected);
    json_object_put(root);
    return result;
}
