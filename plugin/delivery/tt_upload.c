/* tt_upload.c - spool files to every Ad Account that needs them (see tt_upload.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/tt_runrec.h"
#include "delivery/tt_upload.h"

#define TT_MAID_TYPES ((1u << TT_ID_IDFA_SHA256) | (1u << TT_ID_GAID_SHA256))

const char *tt_upload_calc(unsigned types, const char *calc, const tt_spool_file *f)
{
    if (f->kind == TT_KIND_MULTI)
        return "MULTIPLE_TYPES";
    return types == TT_MAID_TYPES ? calc : tt_id_type_name(f->type);
}

static const char *upload_calc(const tt_dest *t, const tt_spool_file *f)
{
    return tt_upload_calc(t->types, t->calc, f);
}

void tt_upload_key(char *buf, size_t n, const char *adv, const char *calc, const char *md5)
{
    snprintf(buf, n, "%s|%s|%s", adv, calc, md5);
}

int tt_upload_wanted(const tt_dest *t, const tt_spool_file *f)
{
    return t->status == ACONN_OK && !t->skip && (t->kinds & TT_KIND_BIT(f->kind)) != 0;
}

/* Uploads f under calc to every account that wants it and lacks it. */
static aconn_status upload_one(tt_apply_ctx *x, const tt_spool_file *f, const char *calc,
                               aconn_error *err)
{
    const char **advs = calloc(x->ntargets ? x->ntargets : 1, sizeof(*advs));
    tt_upload_result *res = NULL;
    size_t n = 0;
    aconn_status st = ACONN_OK;

    if (advs == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    for (size_t ti = 0; ti < x->ntargets; ti++) {
        const tt_dest *t = &x->targets[ti];
        char key[160];
        int dup = 0;

        if (!tt_upload_wanted(t, f) || strcmp(upload_calc(t, f), calc) != 0)
            continue;
        tt_upload_key(key, sizeof(key), t->advertiser_id, calc, f->md5_hex);
        for (size_t j = 0; j < n; j++)
            dup |= strcmp(advs[j], t->advertiser_id) == 0;
        if (!dup && tt_runrec_upload(x, key) == NULL)
            advs[n++] = t->advertiser_id;
    }
    if (n == 0)
        goto cleanup;
    res = calloc(n, sizeof(*res));
    if (res == NULL) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        goto cleanup;
    }
    for (size_t j = 0; j < n; j++)
        res[j].err.struct_size = sizeof(res[j].err);
    tt_api_file_upload_many(x->api, advs, n, calc, f->path, f->md5_hex, res);
    for (size_t j = 0; j < n && st == ACONN_OK; j++) {
        char key[160];
        if (res[j].status == ACONN_OK) {
            tt_upload_key(key, sizeof(key), advs[j], calc, f->md5_hex);
            st = tt_runrec_mark(x, "uploads", key, res[j].file_path, err);
            continue;
        }
        for (size_t ti = 0; ti < x->ntargets; ti++) {
            tt_dest *t = &x->targets[ti];
            if (tt_upload_wanted(t, f) && strcmp(t->advertiser_id, advs[j]) == 0)
                tt_apply_target_fail(t, &res[j].err);
        }
    }
cleanup:
    /* tt_upload_results_free() frees each result's members only: the array
       is the caller's (tt_api.h). */
    tt_upload_results_free(res, n);
    free(res);
    free(advs);
    return st;
}

aconn_status tt_upload_all(tt_apply_ctx *x, aconn_error *err)
{
    for (size_t fi = 0; fi < x->files->count; fi++) {
        const tt_spool_file *f = &x->files->items[fi];

        /* Usually one calculate_type per file; an IDFA or GAID file may also
           go to FIRST_SHA256 or MAID_SHA256 audiences. */
        for (size_t ti = 0; ti < x->ntargets; ti++) {
            const tt_dest *t = &x->targets[ti];
            const char *calc = upload_calc(t, f);
            int seen = 0;
            aconn_status st;

            if (!tt_upload_wanted(t, f))
                continue;
            for (size_t tj = 0; tj < ti; tj++)
                seen |= tt_upload_wanted(&x->targets[tj], f) &&
                        strcmp(upload_calc(&x->targets[tj], f), calc) == 0;
            if (seen)
                continue;
            st = upload_one(x, f, calc, err);
            if (st != ACONN_OK)
                return st;
        }
        if (x->host->cancelled(x->host->ctx))
            return aconn_error_set(err, ACONN_RETRY_CANCELLED, "cancelled", NULL,
                                   "delivery cancelled by the host during uploads; finished "
                                   "uploads are kept for the next attempt");
    }
    return ACONN_OK;
}

aconn_status tt_upload_renew(tt_apply_ctx *x, tt_dest *t, aconn_error *err)
{
    aconn_status st;

    if (t->reuploaded)
        return err->status != ACONN_OK ? err->status : ACONN_ERR_REJECTED;
    t->reuploaded = 1;
    char msg[160];

    snprintf(msg, sizeof(msg), "Ad Account %s: TikTok no longer has the files uploaded "
             "for this run; uploading them again, once", t->advertiser_id);
    x->host->log(x->host->ctx, ACONN_LOG_WARN, msg);
    st = tt_runrec_forget_uploads(x, t->advertiser_id, err);
    if (st == ACONN_OK)
        st = tt_upload_all(x, err);
    if (st == ACONN_OK && t->status != ACONN_OK) {
        *err = t->err;    /* the account's re-upload failed */
        st = t->status;
    }
    return st;
}

size_t tt_upload_paths(tt_apply_ctx *x, const tt_dest *t, tt_spool_op op, const char **out,
                       size_t cap)
{
    size_t n = 0;
    for (size_t fi = 0; fi < x->files->count && (out == NULL || n < cap); fi++) {
        const tt_spool_file *f = &x->files->items[fi];
        char key[160];
        const char *fp;

        if (f->op != op || !(t->kinds & TT_KIND_BIT(f->kind)))
            continue;
        tt_upload_key(key, sizeof(key), t->advertiser_id, upload_calc(t, f), f->md5_hex);
        fp = tt_runrec_upload(x, key);
        if (fp == NULL)
            continue;
        if (out != NULL)
            out[n] = fp;
        n++;
    }
    return n;
}
