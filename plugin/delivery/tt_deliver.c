/* tt_deliver.c - pump a run's records into the spool; apply at its end. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delivery/tt_apply.h"
#include "delivery/tt_conn.h"
#include "delivery/tt_deliver.h"
#include "delivery/tt_early.h"
#include "delivery/tt_targets.h"

/* What a person reads for each reject; never contains the value itself. */
static const char *reject_detail(tt_reject r)
{
    switch (r) {
    case TT_REJECT_EMPTY: return "the value is empty";
    case TT_REJECT_WRONG_LENGTH: return "a SHA-256 digest has exactly 64 hex digits";
    case TT_REJECT_NOT_HEX: return "the value has characters other than 0-9 and a-f";
    case TT_REJECT_UNKNOWN_ATTRIBUTE: return "TikTok takes no identifier from this attribute";
    case TT_REJECT_UNKNOWN_TYPE: return "this attribute's type maps to no TikTok identifier";
    case TT_REJECT_CLEAR_TEXT_NOT_ENABLED:
        return "clear-text emails need the setting accept_clear_text_emails";
    case TT_REJECT_BAD_EMAIL: return "the value is not an email address";
    default: return "rejected";
    }
}

/* A run id may come from anywhere; file names get only safe characters. */
static void spool_prefix(const char *run_id, char out[65])
{
    size_t n = 0;
    for (const char *p = run_id; *p != '\0' && n < 64; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        out[n++] = ok ? ch : '_';
    }
    if (n == 0)
        out[n++] = 'r';
    out[n] = '\0';
}

/* A worker killed mid-run leaves its spool files behind; the directory is
   this connection's alone, so every upload file in it is stale at BEGIN. */
static void clear_spool_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if ((n > 4 && (strcmp(de->d_name + n - 4, ".txt") == 0 ||
                       strcmp(de->d_name + n - 4, ".csv") == 0 ||
                       strcmp(de->d_name + n - 4, ".net") == 0)))
            (void) unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

/* The per-file limit: TikTok's 50 MiB, or a smaller one from the host
   option "spool_file_bytes" (tests: connector-host passes it from
   CONNECTOR_HOST_TEST_SPOOL_FILE_BYTES, host/README.md "Test hooks"). */
static uint64_t spool_file_bytes(const aconn_host *host)
{
    const char *v = host->option(host->ctx, "spool_file_bytes");
    char *end;
    unsigned long long n;

    if (v == NULL || *v == '\0')
        return 0;
    n = strtoull(v, &end, 10);
    return *end == '\0' && n <= TT_SPOOL_MAX_FILE_BYTES ? (uint64_t) n : 0;
}

static aconn_status run_begin(tt_conn *c, const aconn_host *host, const aconn_batch *batch,
                              aconn_error *err)
{
    char prefix[65];
    unsigned kinds = 0;
    aconn_status st;

    tt_spool_abort(c->spool);
    c->spool = NULL;
    tt_early_free(c->early);
    c->early = NULL;
    free(c->run_id);
    c->run_id = strdup(batch->run_id != NULL ? batch->run_id : "");
    if (c->run_id == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    memset(&c->counts, 0, sizeof(c->counts));
    c->records = 0;
    c->removal_records = 0;
    c->run_started_ms = host->now_ms(host->ctx);
    if (batch->spool_dir == NULL)
        return aconn_error_set(err, ACONN_ERR_UNSUPPORTED, "no_spool_dir", NULL,
                               "the host gave no spool directory for connection %s",
                               c->connection_id);
    (void) mkdir(batch->spool_dir, 0700);
    spool_prefix(c->run_id, prefix);
    clear_spool_dir(batch->spool_dir);
    /* Only the files some target takes; a dry run plans as a real one. */
    st = tt_targets_kinds(host, c, &kinds, err);
    if (st == ACONN_OK)
        st = tt_spool_open(batch->spool_dir, prefix, spool_file_bytes(host), &c->spool, err);
    if (st == ACONN_OK)
        st = tt_spool_set_kinds(c->spool, kinds, 1, err);
    if (st == ACONN_OK)
        st = tt_early_new(host, c, batch, &c->early, err);
    if (st == ACONN_OK && c->early != NULL)
        tt_spool_on_full(c->spool, tt_early_file, c->early);
    return st;
}

/* The hot loop: no allocation (the id buffer only grows), no JSON, one table
   lookup per attribute. */
static aconn_status pump_records(tt_conn *c, const aconn_host *host, const aconn_batch *batch,
                                 aconn_error *err)
{
    for (;;) {
        const aconn_record *const *recs = NULL;
        size_t n = 0;
        aconn_status st = host->batch_next(host->ctx, batch, &recs, &n);

        if (st != ACONN_OK)
            return aconn_error_set(err, st, "dataset_unavailable", NULL,
                                   "the host could not read the dataset (%s)",
                                   aconn_status_name(st));
        if (n == 0)
            return ACONN_OK;
        for (size_t i = 0; i < n; i++) {
            const aconn_record *rec = recs[i];
            tt_spool_op op = rec->op == ACONN_RECORD_REMOVE ? TT_SPOOL_REMOVE : TT_SPOOL_ADD;

            size_t nids = 0;

            c->records++;
            c->removal_records += op == TT_SPOOL_REMOVE;
            if (rec->nattrs > c->ids_cap) {
                tt_spool_id *grown = realloc(c->ids, rec->nattrs * sizeof(*grown));
                if (grown == NULL)
                    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                                           "out of memory");
                c->ids = grown;
                c->ids_cap = rec->nattrs;
            }
            for (uint32_t a = 0; a < rec->nattrs; a++) {
                tt_spool_id *id = &c->ids[nids];
                tt_reject r;

                id->type = TT_ID_EMAIL_SHA256;
                r = tt_ident_map(&rec->attrs[a], c->ident_flags, c->hasher, &id->type, id->hex);
                tt_ident_count(&c->counts, r, id->type);
                if (r != TT_REJECT_NONE) {
                    host->reject(host->ctx, batch, rec->seq, a, tt_reject_code(r),
                                 reject_detail(r));
                    continue;
                }
                nids++;
            }
            /* One record: one row of a MULTIPLE_TYPES file. */
            st = tt_spool_add_record(c->spool, op, c->ids, nids, err);
            if (st != ACONN_OK)
                return st;
            /* The early uploads' host calls run on this thread (tt_early.h). */
            tt_early_poll(c->early);
        }
        if (host->cancelled(host->ctx))
            return aconn_error_set(err, ACONN_RETRY_CANCELLED, "cancelled", NULL,
                                   "delivery cancelled by the host; the run starts again "
                                   "from its first batch next time");
    }
}

aconn_status tt_deliver_batch(const aconn_host *host, void **connection_ctx,
                              const aconn_batch *batch, aconn_error *err)
{
    tt_conn *c = NULL;
    aconn_status st;

    if (host == NULL || connection_ctx == NULL || batch == NULL)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_call", NULL,
                               "deliver_batch needs a host, a context slot and a batch");
    st = tt_conn_get(connection_ctx, batch, &c, err);
    if (st != ACONN_OK)
        return st;
    if (batch->flags & ACONN_BATCH_RUN_BEGIN) {
        st = run_begin(c, host, batch, err);
        if (st != ACONN_OK)
            goto fail;
    } else if (c->spool == NULL || c->run_id == NULL || batch->run_id == NULL ||
               strcmp(c->run_id, batch->run_id) != 0) {
        /* A plugin restarted mid-run (or a host that skipped BEGIN): the
           spool of this run is gone, so the run must start over. */
        return aconn_error_set(err, ACONN_RETRY, "run_restart_needed", NULL,
                               "this worker has no spool for run %s; start the run again "
                               "from its first batch",
                               batch->run_id != NULL ? batch->run_id : "(none)");
    }
    tt_early_attach(c->early, host, batch);
    st = pump_records(c, host, batch, err);
    if (st != ACONN_OK)
        goto fail;    /* tt_early_free() drops what is still queued */
    /* No thread outlives the call; and the opt-out filter of the spool's
       finish may rewrite files an upload still reads. */
    tt_early_join(c->early);
    if (!(batch->flags & ACONN_BATCH_RUN_END))
        return ACONN_OK;

    tt_spool_files files = {0};
    tt_spool *sp = c->spool;
    c->spool = NULL;
    st = tt_spool_finish(sp, &files, err);
    if (st != ACONN_OK)
        goto fail;
    st = tt_apply_run(c, host, batch, &files, err);
    tt_spool_files_remove(&files);
    tt_spool_files_free(&files);
    tt_early_free(c->early);
    c->early = NULL;
    return st;
fail:
    /* Any failure abandons the run; the host restarts it from BEGIN. */
    tt_spool_abort(c->spool);
    c->spool = NULL;
    tt_early_free(c->early);
    c->early = NULL;
    return st;
}

void tt_teardown(const aconn_host *host, void *connection_ctx)
{
    (void) host;
    tt_conn_free(connection_ctx);
}
