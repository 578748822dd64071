/* tt_create.c - create with intent, adopt after a lost answer (see tt_create.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tt_json.h"
#include "common/tt_kv.h"
#include "delivery/tt_create.h"
#include "delivery/tt_dkeys.h"
#include "delivery/tt_runrec.h"
#include "delivery/tt_upload.h"
#include "tiktok/tt_status.h"

/* Attempts to find an audience whose create answer was lost. */
#define TT_ADOPT_TRIES 3

void tt_create_done_key(const tt_dest *t, char *buf, size_t n)
{
    snprintf(buf, n, "%s|new:%s|CREATE", t->advertiser_id, t->calc);
}

static int64_t jint(json_object *o, const char *k)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static aconn_status oom(aconn_error *err, const tt_dest *t)
{
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                           "out of memory recording the audience of Ad Account %s",
                           t->advertiser_id);
}

static int listed_before(json_object *intent, const char *id)
{
    json_object *pre = NULL;

    if (!json_object_object_get_ex(intent, "preexisting", &pre) ||
        !json_object_is_type(pre, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(pre); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(pre, i)), id) == 0)
            return 1;
    return 0;
}

static int could_be_ours(const tt_dest *t, json_object *intent, const tt_audience *a)
{
    int64_t started = jint(intent, "started_at_ms");

    if (a->name == NULL || strcmp(a->name, t->name) != 0 ||
        (a->calculate_type != NULL && strcmp(a->calculate_type, t->calc) != 0))
        return 0;
    if (listed_before(intent, a->audience_id))
        return 0;
    return a->create_time_ms < 0 || started <= 0 ||
           a->create_time_ms >= started - TT_CREATE_SKEW_MS;
}

/* Claims a for this connection; 1 when it is (now or already) ours. */
static aconn_status claim(tt_apply_ctx *x, const tt_dest *t, const char *id, int *ours,
                          aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *mine = json_object_new_string(x->c->connection_id), *owner = NULL;
    uint64_t ver;
    aconn_status st;

    *ours = 0;
    if (mine == NULL)   /* a NULL value would be a delete, not a claim */
        return oom(err, t);
    tt_dkey_claim(key, sizeof(key), t->advertiser_id, id);
    st = tt_kv_cas(x->host, key, 0, mine, NULL, err);
    json_object_put(mine);
    if (st == ACONN_OK) {
        *ours = 1;
        return ACONN_OK;
    }
    if (st != ACONN_ERR_CONFLICT)
        return st;
    st = tt_kv_get(x->host, key, &owner, &ver, err);
    *ours = st == ACONN_OK && strcmp(json_object_get_string(owner), x->c->connection_id) == 0;
    json_object_put(owner);
    return st == ACONN_ERR_NOT_FOUND ? ACONN_OK : st;
}

static aconn_status adopt(tt_apply_ctx *x, tt_dest *t, json_object *intent, int *adopted,
                          aconn_error *err)
{
    tt_audience_list list = {0};
    aconn_status st;

    *adopted = 0;
    st = tt_api_audience_list(x->api, t->advertiser_id, &list, err);
    /* TikTok lists in creation order: the first that qualifies is it. */
    for (size_t i = 0; st == ACONN_OK && i < list.count && !*adopted; i++) {
        if (!could_be_ours(t, intent, &list.items[i]))
            continue;
        st = claim(x, t, list.items[i].audience_id, adopted, err);
        if (*adopted)
            ACONN_STRSET(t->audience_id, list.items[i].audience_id);
    }
    tt_audience_list_free(&list);
    return st;
}

static aconn_status remember(tt_apply_ctx *x, tt_dest *t, aconn_error *err)
{
    char key[TT_DKEY_MAX], ikey[TT_DKEY_MAX];
    json_object *v = json_object_new_object();
    int ours = 0;
    aconn_status st;

    tt_dkey_audience(key, sizeof(key), x->c->connection_id, t->advertiser_id, t->slot);
    tt_dkey_intent(ikey, sizeof(ikey), x->c->connection_id, t->advertiser_id, t->slot);
    /* A record short of a member would be a wrong record: none at all. */
    if (v == NULL || tt_json_set_str(v, "audience_id", t->audience_id) != 0
        || tt_json_set_str(v, "name", t->name) != 0
        || tt_json_set_str(v, "calculate_type", t->calc) != 0
        || tt_json_set_str(v, "created_in_run", x->c->run_id) != 0) {
        json_object_put(v);
        return oom(err, t);
    }
    st = tt_kv_put(x->host, key, v, err);
    json_object_put(v);
    if (st == ACONN_OK)
        st = claim(x, t, t->audience_id, &ours, err);
    if (st == ACONN_OK)
        st = tt_kv_put(x->host, ikey, NULL, err);
    return st;
}

/* The ids of the audiences already called t->name, for the intent. */
static aconn_status list_same_name(tt_apply_ctx *x, const tt_dest *t, json_object *pre,
                                   aconn_error *err)
{
    tt_audience_list list = {0};
    aconn_status st = tt_api_audience_list(x->api, t->advertiser_id, &list, err);

    /* A dropped id would let the marketer's own audience be adopted later. */
    for (size_t i = 0; st == ACONN_OK && i < list.count; i++)
        if (list.items[i].name != NULL && strcmp(list.items[i].name, t->name) == 0
            && tt_json_push_str(pre, list.items[i].audience_id) != 0)
            st = oom(err, t);
    tt_audience_list_free(&list);
    return st;
}

/* An earlier attempt wrote an intent: its create may have happened. */
static aconn_status resume_intent(tt_apply_ctx *x, tt_dest *t, json_object *intent,
                                  int *adopted, aconn_error *err)
{
    json_object *jrun = NULL;
    int same_run = json_object_object_get_ex(intent, "run_id", &jrun) &&
                   strcmp(json_object_get_string(jrun), x->c->run_id) == 0;
    int64_t unsettled = jint(intent, "unsettled_at_ms");
    char done[200];
    aconn_status st = adopt(x, t, intent, adopted, err);

    if (st != ACONN_OK)
        return st;
    if (!*adopted && unsettled > 0) {
        int64_t waited = x->host->now_ms(x->host->ctx) - unsettled;
        if (waited >= 0 && waited < TT_SETTLE_MS) {
            st = aconn_error_set(err, ACONN_RETRY, "create_unsettled", NULL,
                                 "TikTok gave no answer to the create of audience \"%s\" in "
                                 "Ad Account %s and it is not visible yet; it may still "
                                 "appear, so it is not created again before %lld s have passed",
                                 t->name, t->advertiser_id,
                                 (long long) (TT_SETTLE_MS - waited) / 1000);
            if (err != NULL)
                err->retry_after_ms = TT_SETTLE_MS - waited;
            return st;
        }
    }
    if (!*adopted)
        return ACONN_OK;
    tt_apply_ops_append(t, "ADOPT");
    st = remember(x, t, err);
    /* Made by an earlier attempt of this same run, it holds this run's adds
       already (same spool, same files); made by an earlier run, it still
       needs this run's adds appended. */
    tt_create_done_key(t, done, sizeof(done));
    if (st == ACONN_OK && same_run)
        st = tt_runrec_mark(x, "done", done, NULL, err);
    return st;
}

/* The create's answer was lost: look before anyone creates again. */
static aconn_status after_lost_answer(tt_apply_ctx *x, tt_dest *t, json_object *intent,
                                      uint64_t iver, aconn_status st, aconn_error *err)
{
    char ikey[TT_DKEY_MAX], done[200];
    int adopted = 0;

    for (int i = 0; i < TT_ADOPT_TRIES && !adopted; i++) {
        aconn_error e2 = {.struct_size = sizeof(e2)};
        if (adopt(x, t, intent, &adopted, &e2) != ACONN_OK)
            adopted = 0;
    }
    if (!adopted) {
        /* The intent stays, marked unsettled: later attempts look for the
           audience and wait TT_SETTLE_MS before a new create. */
        tt_dkey_intent(ikey, sizeof(ikey), x->c->connection_id, t->advertiser_id, t->slot);
        if (tt_json_set(intent, "unsettled_at_ms",
                        json_object_new_int64(x->host->now_ms(x->host->ctx))) == 0)
            (void) tt_kv_cas(x->host, ikey, iver, intent, NULL, NULL);
        if (err != NULL && err->retry_after_ms < TT_SETTLE_MS)
            err->retry_after_ms = TT_SETTLE_MS;
        return st;
    }
    tt_apply_ops_append(t, "ADOPT");
    st = remember(x, t, err);
    tt_create_done_key(t, done, sizeof(done));
    if (st == ACONN_OK)
        st = tt_runrec_mark(x, "done", done, NULL, err);
    return st;
}

static json_object *new_intent(tt_apply_ctx *x, const tt_dest *t, aconn_status *st,
                               aconn_error *err)
{
    json_object *intent = json_object_new_object(), *pre = json_object_new_array();

    if (intent == NULL || pre == NULL || tt_json_set_str(intent, "name", t->name) != 0
        || tt_json_set(intent, "started_at_ms",
                       json_object_new_int64(x->host->now_ms(x->host->ctx))) != 0
        || tt_json_set_str(intent, "run_id", x->c->run_id) != 0
        || tt_json_set(intent, "preexisting", json_object_get(pre)) != 0) {
        json_object_put(pre);
        *st = oom(err, t);
        return intent;
    }
    *st = list_same_name(x, t, pre, err);
    json_object_put(pre);   /* the intent holds it */
    return intent;
}

aconn_status tt_create_audience(tt_apply_ctx *x, tt_dest *t, aconn_error *err)
{
    const char *paths[TT_FILE_PATHS_PER_CALL];
    size_t npaths = tt_upload_paths(x, t, TT_SPOOL_ADD, paths, TT_FILE_PATHS_PER_CALL);
    char ikey[TT_DKEY_MAX], done[200];
    json_object *intent = NULL;
    uint64_t iver = 0;
    int adopted = 0;
    char *id = NULL;
    aconn_status st;

    tt_create_done_key(t, done, sizeof(done));
    if (tt_dkey_intent(ikey, sizeof(ikey), x->c->connection_id, t->advertiser_id, t->slot) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
    st = tt_kv_get(x->host, ikey, &intent, &iver, err);
    if (st == ACONN_OK)
        st = resume_intent(x, t, intent, &adopted, err);
    else if (st == ACONN_ERR_NOT_FOUND)
        st = ACONN_OK;
    json_object_put(intent);
    intent = NULL;
    if (st != ACONN_OK || adopted || npaths == 0)
        return st;

    intent = new_intent(x, t, &st, err);
    if (st == ACONN_OK)
        st = tt_kv_cas(x->host, ikey, iver, intent, &iver, err);
    if (st == ACONN_ERR_CONFLICT)
        st = aconn_error_set(err, ACONN_RETRY, "concurrent_create", NULL,
                             "another worker is creating the audience for Ad Account %s; "
                             "retry shortly", t->advertiser_id);
    if (st != ACONN_OK)
        goto cleanup;
    st = tt_api_audience_create(x->api, t->advertiser_id, t->name, t->calc, paths, npaths,
                                x->c->settings->retention_days, &id, err);
    if (st == ACONN_OK) {
        ACONN_STRSET(t->audience_id, id);
        tt_apply_ops_append(t, "CREATE");
        st = remember(x, t, err);
        if (st == ACONN_OK)
            st = tt_runrec_mark(x, "done", done, NULL, err);
    } else if (ACONN_STATUS_IS_RETRY(st) && !tt_apply_answered(err)) {
        st = after_lost_answer(x, t, intent, iver, st, err);
    } else {
        /* TikTok answered: nothing was created, the intent can go. */
        (void) tt_kv_put(x->host, ikey, NULL, NULL);
        if (tt_status_class(err) == TT_CLASS_FILE_GONE && !t->reuploaded
            && (st = tt_upload_renew(x, t, err)) == ACONN_OK)
            st = tt_create_audience(x, t, err);   /* once: t->reuploaded */
    }
cleanup:
    free(id);
    json_object_put(intent);
    return st;
}
