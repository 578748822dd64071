/* tt_report.c - the run report. */
#include <config.h>

#include <string.h>

#include <json-c/json.h>

#include "identifiers/tt_ident_report.h"
#include "delivery/tt_report.h"

static json_object *identifiers_json(const tt_spool_files *files)
{
    json_object *o = json_object_new_object();
    uint64_t lines[TT_ID_TYPE_COUNT][TT_SPOOL_OP_COUNT] = {{0}};

    for (size_t i = 0; files != NULL && i < files->count; i++)
        lines[files->items[i].type][files->items[i].op] += files->items[i].lines;
    for (int t = 0; t < TT_ID_TYPE_COUNT; t++) {
        json_object *e;
        if (lines[t][TT_SPOOL_ADD] == 0 && lines[t][TT_SPOOL_REMOVE] == 0)
            continue;
        e = json_object_new_object();
        json_object_object_add(e, "add", json_object_new_int64((int64_t) lines[t][TT_SPOOL_ADD]));
        json_object_object_add(e, "remove",
                               json_object_new_int64((int64_t) lines[t][TT_SPOOL_REMOVE]));
        json_object_object_add(o, tt_id_type_name((tt_id_type) t), e);
    }
    return o;
}

static json_object *files_json(const tt_spool_files *files)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; files != NULL && i < files->count; i++) {
        const tt_spool_file *f = &files->items[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "type", json_object_new_string(tt_id_type_name(f->type)));
        json_object_object_add(e, "op", json_object_new_string(tt_spool_op_name(f->op)));
        json_object_object_add(e, "lines", json_object_new_int64((int64_t) f->lines));
        json_object_object_add(e, "bytes", json_object_new_int64((int64_t) f->bytes));
        json_object_object_add(e, "md5", json_object_new_string(f->md5_hex));
        json_object_array_add(a, e);
    }
    return a;
}

static json_object *target_json(const tt_dest *t)
{
    json_object *e = json_object_new_object();

    json_object_object_add(e, "advertiser_id", json_object_new_string(t->advertiser_id));
    json_object_object_add(e, "audience_id",
                           t->audience_id[0] ? json_object_new_string(t->audience_id) : NULL);
    json_object_object_add(e, "kind", json_object_new_string(t->is_new ? "new" : "existing"));
    if (t->is_new)
        json_object_object_add(e, "name", json_object_new_string(t->name));
    json_object_object_add(e, "calculate_type",
                           t->calc[0] ? json_object_new_string(t->calc) : NULL);
    json_object_object_add(e, "operations", json_object_new_string(t->ops));
    json_object_object_add(e, "outcome",
                           json_object_new_string(t->outcome ? t->outcome : "nothing_to_do"));
    json_object_object_add(e, "cover_num",
                           t->cover_num >= 0 ? json_object_new_int64(t->cover_num) : NULL);
    json_object_object_add(e, "is_valid",
                           t->is_valid >= 0 ? json_object_new_boolean(t->is_valid) : NULL);
    if (t->status != ACONN_OK) {
        json_object_object_add(e, "status", json_object_new_string(aconn_status_name(t->status)));
        json_object_object_add(e, "code", json_object_new_string(t->err.code));
        json_object_object_add(e, "message", json_object_new_string(t->err.message));
        if (t->err.remote_code[0])
            json_object_object_add(e, "remote_code", json_object_new_string(t->err.remote_code));
        if (t->err.request_id[0])
            json_object_object_add(e, "request_id", json_object_new_string(t->err.request_id));
        if (t->err.retry_after_ms > 0)
            json_object_object_add(e, "retry_after_ms", json_object_new_int64(t->err.retry_after_ms));
    }
    return e;
}

static json_object *api_json(const tt_http_stats *stats)
{
    json_object *o = json_object_new_object(), *by = json_object_new_object();
    tt_http_stats none = {0};

    if (stats == NULL)
        stats = &none;
    json_object_object_add(o, "calls", json_object_new_int64((int64_t) stats->calls));
    json_object_object_add(o, "retries", json_object_new_int64((int64_t) stats->retries));
    json_object_object_add(o, "bytes_uploaded",
                           json_object_new_int64((int64_t) stats->bytes_uploaded));
    for (size_t i = 0; i < stats->nendpoints; i++)
        json_object_object_add(by, stats->endpoints[i].endpoint,
                               json_object_new_int64((int64_t) stats->endpoints[i].calls));
    json_object_object_add(o, "by_endpoint", by);
    return o;
}

void tt_report_write(aconn_output *out, const tt_conn *c, const tt_dest *targets,
                     size_t ntargets, const tt_spool_files *files, const tt_http_stats *stats,
                     int full_refresh, int dry_run, aconn_status status)
{
    json_object *r = json_object_new_object(), *ta = json_object_new_array();
    const char *text;

    if (r == NULL || ta == NULL)
        goto cleanup;
    json_object_object_add(r, "run_id", json_object_new_string(c->run_id ? c->run_id : ""));
    json_object_object_add(r, "status", json_object_new_string(aconn_status_name(status)));
    json_object_object_add(r, "full_refresh", json_object_new_boolean(full_refresh));
    json_object_object_add(r, "dry_run", json_object_new_boolean(dry_run));
    json_object_object_add(r, "records", json_object_new_int64((int64_t) c->records));
    json_object_object_add(r, "removal_records",
                           json_object_new_int64((int64_t) c->removal_records));
    json_object_object_add(r, "identifiers", tt_ident_counts_json(&c->counts));
    json_object_object_add(r, "spooled", identifiers_json(files));
    json_object_object_add(r, "files", files_json(files));
    for (size_t i = 0; i < ntargets; i++)
        json_object_array_add(ta, target_json(&targets[i]));
    json_object_object_add(r, "targets", ta);
    ta = NULL;
    json_object_object_add(r, "api", api_json(stats));
    text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    out->write(out->ctx, text, strlen(text));
cleanup:
    json_object_put(ta);
    json_object_put(r);
}
