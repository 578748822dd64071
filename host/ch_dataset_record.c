/*
 * ch_dataset_record.c - one dataset line to one record: the strict
 * checks (ch_dataset.h lists the reject reasons), the attribute scan and
 * the record built in the chunk's arena.
 */
#include <config.h>

#include "ch_dataset_impl.h"
#include "ch_arena.h"
#include "ch_jfast.h"
#include "ch_util.h"
#include "common/tt_jstrict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

void ch_dataset_reject(ch_dataset *ds, const char *reason, const char *detail)
{
    ch_dataset_chunk *c = ds->collect;

    if (c != NULL) {
        /* At most one reject per line, and a collected chunk covers at most
           CH_CHUNK_RECORDS lines. */
        if (c->nrejects < CH_CHUNK_RECORDS) {
            c->rejects[c->nrejects].line = ds->line_no;
            c->rejects[c->nrejects].reason = reason;
            c->nrejects++;
        }
        return;
    }
    if (ds->on_reject != NULL)
        ds->on_reject(ds->reject_ctx, ds->line_no, reason, detail);
}

/* Checks one attribute object; sets its value and type (type may be
   NULL). Returns NULL when fine, else what is wrong. */
static const char *ch_dataset_check_attr(json_object *a, json_object **value,
                                         json_object **type)
{
    if (!json_object_is_type(a, json_type_object))
        return "an attribute must be an object {\"type\":...,\"value\":...}";
    if (!json_object_object_get_ex(a, "value", value)
        || !json_object_is_type(*value, json_type_string))
        return "an attribute needs a string \"value\"";
    /* An empty value is well-formed: the plugin rejects that one identifier
       ("empty") and still delivers the record's others. UTF-8 and NUL were
       settled for the whole line by tt_jstrict_check. */
    if (!json_object_object_get_ex(a, "type", type)
        || json_object_is_type(*type, json_type_null)) {
        *type = NULL;
    } else if (!json_object_is_type(*type, json_type_string)) {
        return "an attribute \"type\" must be a string";
    }
    return NULL;
}

/* Returned by ch_dataset_scan when the field list cannot grow. */
static const char ch_dataset_oom[] = "out_of_memory";

/* Remembers one checked attribute for ch_dataset_build. 0, or -1. */
static int ch_dataset_field_add(ch_dataset *ds, size_t n, const char *name, size_t name_len,
                                json_object *value, json_object *type)
{
    if (n == ds->fields_cap) {
        size_t cap = ds->fields_cap != 0 ? ds->fields_cap * 2 : 16;
        ch_dataset_field *bigger = realloc(ds->fields, cap * sizeof(*bigger));
        if (bigger == NULL)
            return -1;
        ds->fields = bigger;
        ds->fields_cap = cap;
    }
    ds->fields[n].name = name;
    ds->fields[n].name_len = name_len;
    ds->fields[n].value = value;
    ds->fields[n].type = type;
    return 0;
}

/*
 * Checks the attributes of a record object, finds its op, and lists each
 * attribute (name, value, type) in ds->fields so that ch_dataset_build
 * need not look anything up again. Returns NULL when fine, else the reason
 * (*detail says why), or ch_dataset_oom.
 */
static const char *ch_dataset_scan(ch_dataset *ds, json_object *obj, size_t *nattrs,
                                   uint32_t *op, const char **detail)
{
    *nattrs = 0;
    *op = ACONN_RECORD_ADD;
    json_object_object_foreach(obj, key, val) {
        json_object *v, *t;
        size_t klen = strlen(key);
        if (key[0] == '_') {
            /* Reserved keys: only _op is defined. Any other, in any case or
               spelling ("_OP", "_op ", "_opp"), is refused: the record may
               have meant to opt out, and must never become an add. */
            if (strcmp(key, "_op") != 0) {
                snprintf(ds->detail, sizeof(ds->detail), "unknown reserved key "
                         "\"%.64s\"; the only key starting with '_' is \"_op\"", key);
                *detail = ds->detail;
                return "reserved_key";
            }
            if (json_object_is_type(val, json_type_string)
                && strcmp(json_object_get_string(val), "add") == 0) {
                *op = ACONN_RECORD_ADD;
            } else if (json_object_is_type(val, json_type_string)
                       && strcmp(json_object_get_string(val), "remove") == 0) {
                *op = ACONN_RECORD_REMOVE;
            } else {
                *detail = "\"_op\" must be \"add\" or \"remove\"";
                return "bad_op";
            }
            continue;
        }
        if (klen == 0) {
            *detail = "an attribute name is empty";
            return "bad_attribute";
        }
        if (json_object_is_type(val, json_type_array)) {
            size_t i, n = json_object_array_length(val);
            if (n == 0) {
                *detail = "an attribute array is empty";
                return "bad_attribute";
            }
            for (i = 0; i < n; i++) {
                *detail = ch_dataset_check_attr(json_object_array_get_idx(val, i), &v, &t);
                if (*detail != NULL)
                    return "bad_attribute";
                if (ch_dataset_field_add(ds, *nattrs, key, klen, v, t) != 0)
                    return ch_dataset_oom;
                ++*nattrs;
            }
        } else {
            *detail = ch_dataset_check_attr(val, &v, &t);
            if (*detail != NULL)
                return "bad_attribute";
            if (ch_dataset_field_add(ds, *nattrs, key, klen, v, t) != 0)
                return ch_dataset_oom;
            ++*nattrs;
        }
    }
    if (*nattrs == 0) {
        *detail = "the record has no attributes";
        return "bad_attribute";
    }
    if (*nattrs > UINT32_MAX) {
        *detail = "the record has too many attributes";
        return "bad_attribute";
    }
    return NULL;
}

/* Builds record `rec` from the fields ch_dataset_scan listed, copying the
   strings into the chunk's arena (the JSON object is freed right after).
   0, or -1 out of memory. */
static int ch_dataset_build(ch_dataset *ds, ch_arena *arena, size_t nattrs, uint32_t op,
                            aconn_record *rec)
{
    aconn_attr *attrs = ch_arena_alloc(arena, nattrs * sizeof(*attrs));
    const char *prev_key = NULL, *name = NULL;

    if (attrs == NULL)
        return -1;
    for (size_t i = 0; i < nattrs; i++) {
        const ch_dataset_field *f = &ds->fields[i];
        aconn_attr *dst = &attrs[i];

        /* The values of one array share their name. */
        if (f->name != prev_key) {
            name = ch_arena_strndup(arena, f->name, f->name_len);
            prev_key = f->name;
        }
        dst->name = name;
        dst->type = f->type != NULL
            ? ch_arena_strndup(arena, json_object_get_string(f->type),
                               (size_t) json_object_get_string_len(f->type))
            : "";
        dst->value_len = (size_t) json_object_get_string_len(f->value);
        dst->value = ch_arena_strndup(arena, json_object_get_string(f->value),
                                      dst->value_len);
        if (dst->name == NULL || dst->type == NULL || dst->value == NULL)
            return -1;
    }
    memset(rec, 0, sizeof(*rec));
    rec->struct_size = sizeof(*rec);
    rec->op = op;
    rec->seq = ds->line_no;
    rec->nattrs = (uint32_t) nattrs;
    rec->attrs = attrs;
    return 0;
}

static int ch_dataset_blank(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    }
    return 1;
}

/* Parses the current line as a JSON value, requiring nothing but white
   space after it. NULL when it is not one complete JSON value, or (with
   *is_null) when it is the JSON null. */
static json_object *ch_dataset_parse(ch_dataset *ds, const char *line, size_t len,
                                     int *is_null)
{
    json_object *obj;
    size_t end;

    *is_null = 0;
    /* parse_ex takes a length: the line needs no NUL after it. */
    json_tokener_reset(ds->tok);
    obj = json_tokener_parse_ex(ds->tok, line, (int) len);
    if (obj == NULL && json_tokener_get_error(ds->tok) == json_tokener_continue) {
        /* A bare number needs a delimiter to end; anything else that
           still wants input is truncated. */
        obj = json_tokener_parse_ex(ds->tok, " ", 1);
        *is_null = obj == NULL && json_tokener_get_error(ds->tok) == json_tokener_success;
        return obj;
    }
    if (obj == NULL) {
        /* The JSON null parses to NULL with success: a value, not an object. */
        *is_null = json_tokener_get_error(ds->tok) == json_tokener_success;
        return NULL;
    }
    end = json_tokener_get_parse_end(ds->tok);
    if (end < len && !ch_dataset_blank(line + end, len - end)) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

/* Turns the current line into a record; 1 record, 0 rejected or empty,
   -1 out of memory. */
int ch_dataset_line_to_record(ch_dataset *ds, ch_arena *arena, const char *line,
                              size_t len, aconn_record *rec)
{
    int rc = 0;
    json_object *obj = NULL;
    const char *reason, *detail = NULL;
    size_t nattrs = 0;
    uint32_t op = ACONN_RECORD_ADD;
    tt_jstrict_result strict;
    int is_null = 0;

    /* Editors on some systems start a UTF-8 file with a byte order mark;
       it is not part of the first record. */
    if (ds->line_no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    if (ch_dataset_blank(line, len)) {
        ds->empty_lines++;
        return 0;
    }
    /* Plain records in one pass, without json-c (ch_jfast.h); any other
       line takes the full path below, with its strict check. */
    rc = ds->no_fast ? 0 : ch_jfast_record(line, len, ds->line_no, arena, rec);
    if (rc != 0)
        return rc;
    /* What json-c would accept or change but RFC 8259 does not allow
       (ch_dataset.h lists the reasons). */
    if (tt_jstrict_check(line, len, &strict) != 0) {
        snprintf(ds->detail, sizeof(ds->detail), "%s at column %zu", strict.detail,
                 strict.offset + 1);
        ch_dataset_reject(ds, strict.reason, ds->detail);
        return 0;
    }
    obj = ch_dataset_parse(ds, line, len, &is_null);
    if (obj == NULL && !is_null) {
        ch_dataset_reject(ds, "invalid_json", "the line is not one complete JSON value");
        goto cleanup;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        ch_dataset_reject(ds, "not_object", "a record must be a JSON object");
        goto cleanup;
    }
    /* json-c keeps the last copy of a repeated key: fewer keys in the
       tree than in the text means one was repeated. */
    if (tt_jstrict_tree_keys(obj) != strict.keys) {
        ch_dataset_reject(ds, "duplicate_key", "a key appears more than once in one "
                          "object; keep one copy");
        goto cleanup;
    }
    reason = ch_dataset_scan(ds, obj, &nattrs, &op, &detail);
    if (reason == ch_dataset_oom) {
        rc = -1;
        goto cleanup;
    }
    if (reason != NULL) {
        ch_dataset_reject(ds, reason, detail);
        goto cleanup;
    }
    rc = ch_dataset_build(ds, arena, nattrs, op, rec) == 0 ? 1 : -1;
cleanup:
    json_object_put(obj);
    return rc;
}
