/* tt_report.c - the run report. */
#include <config.h>

#include <string.h>

#include <json-c/json.h>

#include "identifiers/tt_ident_report.h"
#include "delivery/tt_apply.h"
#include "delivery/tt_health.h"
#include "delivery/tt_report.h"

static json_object *identifiers_json(const tt_spool_files *files)
{
    json_object *o = json_object_new_object();

    for (int t = 0; t < TT_ID_TYPE_COUNT; t++) {
        const uint64_t *n = files->ids[t];
        json_object *e;
        if (n[TT_SPOOL_ADD] == 0 && n[TT_SPOOL_REMOVE] == 0)
            continue;
        e = json_object_new_object();
        json_object_object_add(e, "add", json_object_new_int64((int64_t) n[TT_SPOOL_ADD]));
        json_object_object_add(e, "remove", json_object_new_int64((int64_t) n[TT_SPOOL_REMOVE]));
        json_object_object_add(o, tt_id_type_name((tt_id_type) t), e);
    }
    return o;
}

/* Identifiers of the run a target's calculate_type cannot take. */
static json_object *skipped_json(const tt_dest *t, const tt_spool_files *files)
{
    json_object *o = json_object_new_object();

    for (int ty = 0; ty < TT_ID_TYPE_COUNT; ty++) {
        uint64_t n = files->ids[ty][TT_SPOOL_ADD] + files->ids[ty][TT_SPOOL_REMOVE];
        if (n > 0 && !(t->types & (1u << ty)))
            json_object_object_add(o, tt_id_type_name((tt_id_type) ty),
                                   json_object_new_int64((int64_t) n));
    }
    return o;
}

/* Where a target stands, and what it misses when it is not healthy. */
static void health_json(json_object *e, const tt_dest *t, const aconn_batch *b)
{
    json_object_object_add(e, "state", json_object_new_string(tt_health_name(t->health)));
    if (t->health == TT_HEALTH_OK)
        return;
    json_object_object_add(e, "since_ms", json_object_new_int64(t->since_ms));
    json_object_object_add(e, "since_seq", json_object_new_int64((int64_t) t->since_seq));
    json_object_object_add(e, "missing_rows", json_object_new_int64(
        b->run_last_seq >= t->since_seq && t->since_seq > 0
            ? (int64_t) (b->run_last_seq - t->since_seq + 1) : 0));
    json_object_object_add(e, "reason", json_object_new_string(t->reason));
    json_object_object_add(e, "fix", json_object_new_string(t->fix));
}

static json_object *files_json(const tt_spool_files *files)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; files != NULL && i < files->count; i++) {
        const tt_spool_file *f = &files->items[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "type", json_object_new_string(
            f->kind == TT_KIND_MULTI ? "MULTIPLE_TYPES" : tt_id_type_name(f->type)));
        json_object_object_add(e, "op", json_object_new_string(tt_spool_op_name(f->op)));
        json_object_object_add(e, "lines", json_object_new_int64((int64_t) f->lines));
        json_object_object_add(e, "bytes", json_object_new_int64((int64_t) f->bytes));
        json_object_object_add(e, "md5", json_object_new_string(f->md5_hex));
        json_object_array_add(a, e);
    }
    return a;
}

static json_object *target_json(const tt_dest *t, const tt_apply_ctx *x)
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
    health_json(e, t, x->batch);
    if (t->types != 0)
        json_object_object_add(e, "skipped", skipped_json(t, x->files));
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

void tt_report_write(aconn_output *out, const tt_apply_ctx *x, aconn_status status)
{
    json_object *r = json_object_new_object(), *ta = json_object_new_array();
    const tt_conn *c = x->c;
    const char *text;

    if (r == NULL || ta == NULL)
        goto cleanup;
    json_object_object_add(r, "run_id", json_object_new_string(c->run_id ? c->run_id : ""));
    json_object_object_add(r, "status", json_object_new_string(aconn_status_name(status)));
    json_object_object_add(r, "full_refresh", json_object_new_boolean(x->full_refresh));
    json_object_object_add(r, "catch_up", json_object_new_boolean(x->catch_up));
    json_object_object_add(r, "layout",
                           json_object_new_string(x->per_type ? "per_type" : "multiple_types"));
    json_object_object_add(r, "dry_run", json_object_new_boolean(tt_apply_is_dry_run(x->host)));
    json_object_object_add(r, "records", json_object_new_int64((int64_t) c->records));
    json_object_object_add(r, "removal_records",
                           json_object_new_int64((int64_t) c->removal_records));
    json_object_object_add(r, "identifiers", tt_ident_counts_json(&c->counts));
    json_object_object_add(r, "spooled", identifiers_json(x->files));
    json_object_object_add(r, "adds_exclude_removes",
                           json_object_new_boolean(x->files->adds_exclude_removes));
    json_object_object_add(r, "files", files_json(x->files));
    /* Uploads (file x Ad Account) made while the spool was still written,
       that the apply used instead of uploading (tt_early.h). */
    json_object_object_add(r, "uploads_while_spooling",
                           json_object_new_int64((int64_t) x->early_uploads));
    for (size_t i = 0; i < x->ntargets; i++)
        json_object_array_add(ta, target_json(&x->targets[i], x));
    json_object_object_add(r, "targets", ta);
    ta = NULL;
    json_object_object_add(r, "api", api_json(x->api != NULL ? &x->session.http.stats : NULL));
    text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);
    if (text != NULL)   /* out of memory: no report rather than a crash */
        out->write(out->ctx, text, strlen(text));
cleanup:
    json_object_put(ta);
    json_object_put(r);
}
