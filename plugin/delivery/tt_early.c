/* tt_early.c - upload full spool files while the next is written (see tt_early.h). */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tt_util.h"
#include "delivery/tt_early.h"
#include "delivery/tt_relay.h"
#include "delivery/tt_runrec.h"
#include "delivery/tt_targets.h"
#include "delivery/tt_upload.h"
#include "tiktok/tt_session.h"

/* Where files of some kinds go: one audience, or one type of a new
   per-type layout. */
typedef struct early_dest {
    char adv[32];
    char calc[24];
    unsigned types;          /* bits of tt_id_type */
    unsigned kinds;          /* TT_KIND_BIT()s */
} early_dest;

typedef struct early_item {
    char *path;
    int kind;
    char md5_hex[33];
    struct early_item *next;
} early_item;

typedef struct early_done {
    char key[160];           /* tt_upload_key() */
    char *file_path;
} early_done;

struct tt_early {
    early_dest *dests;
    size_t ndests;
    const aconn_host *host;  /* the thread's: relay.table, once attached */
    char *profile;
    tt_relay relay;          /* the thread's host calls, run by deliver_batch() */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    early_item *head, *tail;
    pthread_t thread;
    int running;             /* thread exists: joined by tt_early_join() */
    int closing;             /* tt_early_join() waits for it to drain */
    early_done *done;
    size_t ndone, cap;
    tt_http_stats stats;     /* of every session the thread opened */
};

static int dest_add(tt_early *e, const char *adv, const char *calc, unsigned types,
                    unsigned kinds)
{
    early_dest *d = realloc(e->dests, (e->ndests + 1) * sizeof(*d));

    if (d == NULL)
        return -1;
    e->dests = d;
    d = &e->dests[e->ndests++];
    memset(d, 0, sizeof(*d));
    snprintf(d->adv, sizeof(d->adv), "%s", adv);
    snprintf(d->calc, sizeof(d->calc), "%s", calc);
    d->types = types;
    d->kinds = kinds;
    return 0;
}

/* The destinations of tt_early.h from the settings and cached calcs. */
static aconn_status plan(tt_early *e, const aconn_host *host, const tt_conn *c,
                         aconn_error *err)
{
    const tt_settings *s = c->settings;
    int per_type = 0, any_new = 0, bad = 0;
    aconn_status st;

    for (size_t i = 0; i < s->ntargets; i++)
        any_new |= s->targets[i].create_new;
    if (any_new && (st = tt_targets_layout(host, c, &per_type, err)) != ACONN_OK)
        return st;
    for (size_t i = 0; i < s->ntargets && !bad; i++) {
        const tt_target *t = &s->targets[i];

        if (t->create_new && !per_type)
            bad |= dest_add(e, t->advertiser_id, "MULTIPLE_TYPES",
                            tt_targets_types_for_calc("MULTIPLE_TYPES"),
                            TT_KIND_BIT(TT_KIND_MULTI));
        for (int ty = 0; t->create_new && per_type && ty < TT_ID_TYPE_COUNT; ty++)
            bad |= dest_add(e, t->advertiser_id, tt_id_type_name((tt_id_type) ty),
                            1u << ty, TT_KIND_BIT(ty));
        for (size_t j = 0; j < t->naudiences && !bad; j++) {
            char calc[32];
            unsigned types;

            st = tt_targets_cached_calc(host, t->advertiser_id, t->audience_ids[j], calc,
                                        sizeof(calc), err);
            if (st != ACONN_OK)
                return st;
            types = calc[0] ? tt_targets_types_for_calc(calc) : 0;
            if (types != 0)
                bad |= dest_add(e, t->advertiser_id, calc, types,
                                strcmp(calc, "MULTIPLE_TYPES") == 0
                                    ? TT_KIND_BIT(TT_KIND_MULTI) : types);
        }
    }
    if (bad)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    return ACONN_OK;
}

aconn_status tt_early_new(const aconn_host *host, const tt_conn *c, const aconn_batch *batch,
                          tt_early **out, aconn_error *err)
{
    const char *dry = host->option(host->ctx, "dry_run");
    aconn_error local = {.struct_size = sizeof(local)};
    tt_early *e;
    aconn_status st;

    *out = NULL;
    if ((dry != NULL && strcmp(dry, "1") == 0) || (batch->flags & ACONN_BATCH_CATCH_UP))
        return ACONN_OK;
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    tt_relay_init(&e->relay, host);
    /* Early uploads only save time: when they cannot be planned (a state
       read that fails now), the apply uploads everything, as before, and
       meets the failure itself if it lasts. */
    st = plan(e, host, c, &local);
    if (st != ACONN_OK || e->ndests == 0) {
        tt_early_free(e);
        return st == ACONN_ERR_FATAL ? aconn_error_set(err, st, local.code, NULL, "%s",
                                                       local.message) : ACONN_OK;
    }
    *out = e;
    return ACONN_OK;
}

void tt_early_attach(tt_early *e, const aconn_host *host, const aconn_batch *batch)
{
    if (e == NULL)
        return;
    /* No thread runs between calls (tt_early_join()). */
    tt_relay_set_host(&e->relay, host);
    e->host = &e->relay.table;
    free(e->profile);
    e->profile = batch->profile != NULL ? tt_strdup(batch->profile) : NULL;
}

static void remember(tt_early *e, const char *key, char *file_path)
{
    pthread_mutex_lock(&e->mu);
    if (e->ndone == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        early_done *d = realloc(e->done, cap * sizeof(*d));
        if (d != NULL) {
            e->done = d;
            e->cap = cap;
        }
    }
    if (e->ndone < e->cap) {
        snprintf(e->done[e->ndone].key, sizeof(e->done[e->ndone].key), "%s", key);
        e->done[e->ndone++].file_path = file_path;
        file_path = NULL;
    }
    pthread_mutex_unlock(&e->mu);
    free(file_path);   /* only when out of memory: the apply uploads it */
}

/* Uploads one file under calc to every destination account that takes it. */
static void upload_calc_group(tt_early *e, const tt_api *api, const early_item *it,
                              const tt_spool_file *f, const char *calc)
{
    const char **advs = calloc(e->ndests, sizeof(*advs));
    tt_upload_result *res = calloc(e->ndests, sizeof(*res));
    size_t n = 0;

    if (advs == NULL || res == NULL)
        goto cleanup;    /* the apply uploads it */
    for (size_t i = 0; i < e->ndests; i++) {
        const early_dest *d = &e->dests[i];
        int dup = 0;

        if (!(d->kinds & TT_KIND_BIT(it->kind)) ||
            strcmp(tt_upload_calc(d->types, d->calc, f), calc) != 0)
            continue;
        for (size_t j = 0; j < n; j++)
            dup |= strcmp(advs[j], d->adv) == 0;
        if (!dup)
            advs[n++] = d->adv;
    }
    if (n == 0)
        goto cleanup;
    (void) tt_api_file_upload_many(api, advs, n, calc, it->path, it->md5_hex, res);
    for (size_t j = 0; j < n; j++) {
        char key[160];

        if (res[j].status != ACONN_OK)
            continue;    /* the apply uploads it again and reports its error */
        tt_upload_key(key, sizeof(key), advs[j], calc, it->md5_hex);
        remember(e, key, res[j].file_path);
        res[j].file_path = NULL;
    }
    tt_upload_results_free(res, n);
cleanup:
    free(res);
    free(advs);
}

static void upload_item(tt_early *e, const tt_api *api, const early_item *it)
{
    tt_spool_file f = {.kind = it->kind};
    char msg[256];

    f.type = it->kind == TT_KIND_MULTI ? TT_ID_TYPE_COUNT : (tt_id_type) it->kind;
    snprintf(msg, sizeof(msg), "uploading full spool file %s while the next is written",
             strrchr(it->path, '/') != NULL ? strrchr(it->path, '/') + 1 : it->path);
    e->host->log(e->host->ctx, ACONN_LOG_INFO, msg);
    /* Each calculate_type once, as tt_upload_all() does. */
    for (size_t i = 0; i < e->ndests; i++) {
        const char *calc;
        int seen = 0;

        if (!(e->dests[i].kinds & TT_KIND_BIT(it->kind)))
            continue;
        calc = tt_upload_calc(e->dests[i].types, e->dests[i].calc, &f);
        for (size_t j = 0; j < i; j++)
            seen |= (e->dests[j].kinds & TT_KIND_BIT(it->kind)) &&
                    strcmp(tt_upload_calc(e->dests[j].types, e->dests[j].calc, &f), calc) == 0;
        if (!seen)
            upload_calc_group(e, api, it, &f, calc);
    }
}

/* Adds from's calls into into, endpoint by endpoint (the report's "api"). */
static void stats_add(tt_http_stats *into, const tt_http_stats *from)
{
    into->calls += from->calls;
    into->retries += from->retries;
    into->bytes_uploaded += from->bytes_uploaded;
    for (size_t i = 0; i < from->nendpoints; i++) {
        const tt_http_endpoint_stats *f = &from->endpoints[i];
        size_t j = 0;

        while (j < into->nendpoints && strcmp(into->endpoints[j].endpoint, f->endpoint) != 0)
            j++;
        if (j == into->nendpoints) {
            if (j == TT_HTTP_STATS_MAX)
                continue;
            into->endpoints[into->nendpoints++] = (tt_http_endpoint_stats){0};
            memcpy(into->endpoints[j].endpoint, f->endpoint, sizeof(f->endpoint));
        }
        into->endpoints[j].calls += f->calls;
        into->endpoints[j].failures += f->failures;
    }
}

static void *early_main(void *arg)
{
    tt_early *e = arg;
    tt_session s;
    aconn_error err = {.struct_size = sizeof(err)};
    int ok = tt_session_open(&s, e->host, e->profile, &err) == ACONN_OK;

    for (;;) {
        early_item *it;

        pthread_mutex_lock(&e->mu);
        while (e->head == NULL && !e->closing)
            pthread_cond_wait(&e->cv, &e->mu);
        it = e->head;
        if (it != NULL) {
            e->head = it->next;
            if (e->head == NULL)
                e->tail = NULL;
        }
        pthread_mutex_unlock(&e->mu);
        if (it == NULL)
            break;    /* closing and drained */
        /* No token, or cancelled: leave every file to the apply. */
        if (ok && !e->host->cancelled(e->host->ctx))
            upload_item(e, &s.api, it);
        free(it->path);
        free(it);
    }
    if (ok)
        stats_add(&e->stats, &s.http.stats);
    tt_session_close(&s);
    tt_relay_leave(&e->relay);
    return NULL;
}

void tt_early_file(void *arg, const tt_spool_file *f)
{
    tt_early *e = arg;
    early_item *it = calloc(1, sizeof(*it));

    if (it == NULL || (it->path = tt_strdup(f->path)) == NULL) {
        free(it);
        return;    /* the apply uploads it */
    }
    it->kind = f->kind;
    memcpy(it->md5_hex, f->md5_hex, sizeof(it->md5_hex));
    pthread_mutex_lock(&e->mu);
    if (!e->running && e->host != NULL) {
        e->closing = 0;
        tt_relay_enter(&e->relay);
        e->running = pthread_create(&e->thread, NULL, early_main, e) == 0;
        if (!e->running)
            tt_relay_leave(&e->relay);
    }
    if (!e->running) {
        pthread_mutex_unlock(&e->mu);
        free(it->path);
        free(it);
        return;
    }
    if (e->tail != NULL)
        e->tail->next = it;
    else
        e->head = it;
    e->tail = it;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

void tt_early_poll(tt_early *e)
{
    if (e != NULL)
        tt_relay_poll(&e->relay);
}

void tt_early_join(tt_early *e)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&e->mu);
    if (!e->running) {
        pthread_mutex_unlock(&e->mu);
        return;
    }
    e->closing = 1;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    /* The thread may wait on a relayed call: run them until it is done. */
    tt_relay_serve(&e->relay);
    pthread_join(e->thread, NULL);
    e->running = 0;
    e->closing = 0;
}

aconn_status tt_early_record(tt_early *e, tt_apply_ctx *x, size_t *count, aconn_error *err)
{
    size_t n = 0;

    *count = 0;
    if (e == NULL)
        return ACONN_OK;
    tt_early_join(e);
    /* The report's "api" counts every call of the run. */
    stats_add(&x->session.http.stats, &e->stats);
    memset(&e->stats, 0, sizeof(e->stats));
    for (size_t i = 0; i < e->ndone; i++) {
        if (tt_runrec_upload(x, e->done[i].key) != NULL)
            continue;    /* an earlier attempt uploaded it */
        e->done[i].key[sizeof(e->done[i].key) - 1] = '\0';
        if (tt_runrec_put(x, "uploads", e->done[i].key, e->done[i].file_path) != 0)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                                   "out of memory");
        n++;
    }
    *count = n;
    return n > 0 ? tt_runrec_save(x, err) : ACONN_OK;
}

void tt_early_free(tt_early *e)
{
    early_item *it, *next;

    if (e == NULL)
        return;
    /* The run is over (or abandoned): files not uploaded yet never will be. */
    pthread_mutex_lock(&e->mu);
    it = e->head;
    e->head = e->tail = NULL;
    pthread_mutex_unlock(&e->mu);
    for (; it != NULL; it = next) {
        next = it->next;
        free(it->path);
        free(it);
    }
    tt_early_join(e);
    for (size_t i = 0; i < e->ndone; i++)
        free(e->done[i].file_path);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    tt_relay_destroy(&e->relay);
    free(e->done);
    free(e->dests);
    free(e->profile);
    free(e);
}
