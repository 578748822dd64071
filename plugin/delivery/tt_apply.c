/* tt_apply.c - upload a finished spool and apply it to every target audience. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/tt_apply.h"
#include "delivery/tt_budget.h"
#include "common/tt_kv.h"
#include "delivery/tt_report.h"
#include "tiktok/tt_session.h"

/* TikTok: "recommended size <50 per request to ensure stability". */
#define TT_FILE_PATHS_PER_CALL 50
/* Attempts to find an audience whose create answer was lost. */
#define TT_ADOPT_TRIES 3
/* How long a create or update whose fate is unknown (no answer from TikTok)
   may still land at TikTok. Until then a missing audience is not created
   again (it may only be slow to appear), and no later action of the run is
   sent (a late APPEND must not overtake the run's REMOVE). */
#define TT_SETTLE_MS (5 * 60 * 1000)

typedef struct apply_ctx {
    tt_conn *c;
    const aconn_host *host;
    const aconn_batch *batch;
    const tt_spool_files *files;
    tt_session session;
    const tt_api *api;            /* &session.api once open */
    json_object *run;             /* run/<cid>/<run_id>: uploads + done */
    uint64_t run_version;
    char run_key[256];
    tt_dest *targets;
    size_t ntargets;
    int full_refresh;
} apply_ctx;

/* ---- run state ------------------------------------------------------- */

static aconn_status run_load(apply_ctx *x, aconn_error *err)
{
    aconn_status st;

    if (tt_kv_key(x->run_key, sizeof(x->run_key), "run/%s/%s", x->c->connection_id,
                  x->c->run_id) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_run_id", NULL,
                               "connection or run id too long");
    st = tt_kv_get(x->host, x->run_key, &x->run, &x->run_version, err);
    if (st == ACONN_ERR_NOT_FOUND || (st == ACONN_OK && !json_object_is_type(x->run, json_type_object))) {
        json_object_put(x->run);
        x->run = json_object_new_object();
        x->run_version = 0;
        if (x->run == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        json_object_object_add(x->run, "uploads", json_object_new_object());
        json_object_object_add(x->run, "done", json_object_new_object());
        st = ACONN_OK;
    }
    return st;
}

/* One writer per connection (the ABI serialises connection calls), so a
   conflict means a second host is running the same connection: stop. */
static aconn_status run_save(apply_ctx *x, aconn_error *err)
{
    aconn_status st = tt_kv_cas(x->host, x->run_key, x->run_version, x->run,
                                &x->run_version, err);

    if (st == ACONN_ERR_CONFLICT)
        return aconn_error_set(err, ACONN_RETRY, "concurrent_run", NULL,
                               "another worker is delivering connection %s at the same time; "
                               "this attempt stops so the two cannot collide",
                               x->c->connection_id);
    return st;
}

static json_object *run_section(apply_ctx *x, const char *name)
{
    json_object *s = NULL;
    json_object_object_get_ex(x->run, name, &s);
    return s;
}

static const char *run_upload_get(apply_ctx *x, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(run_section(x, "uploads"), key, &v))
        return NULL;
    return json_object_get_string(v);
}

static int run_is_done(apply_ctx *x, const char *key)
{
    return json_object_object_get_ex(run_section(x, "done"), key, NULL);
}

static aconn_status run_mark(apply_ctx *x, const char *section, const char *key,
                             const char *value, aconn_error *err)
{
    json_object_object_add(run_section(x, section), key,
                           value != NULL ? json_object_new_string(value)
                                         : json_object_new_boolean(1));
    return run_save(x, err);
}

/* ---- targets --------------------------------------------------------- */

static unsigned types_for_calc(const char *calc)
{
    if (strcmp(calc, "EMAIL_SHA256") == 0) return 1u << TT_ID_EMAIL_SHA256;
    if (strcmp(calc, "PHONE_SHA256") == 0) return 1u << TT_ID_PHONE_SHA256;
    if (strcmp(calc, "IDFA_SHA256") == 0) return 1u << TT_ID_IDFA_SHA256;
    if (strcmp(calc, "GAID_SHA256") == 0) return 1u << TT_ID_GAID_SHA256;
    /* Either mobile id, hashed with SHA-256. */
    if (strcmp(calc, "FIRST_SHA256") == 0 || strcmp(calc, "MAID_SHA256") == 0)
        return (1u << TT_ID_IDFA_SHA256) | (1u << TT_ID_GAID_SHA256);
    return 0;
}

/* Which identifier types have files of the given op in this run. */
static unsigned types_with_files(const tt_spool_files *files, tt_spool_op op)
{
    unsigned m = 0;
    for (size_t i = 0; i < files->count; i++)
        if (files->items[i].op == op)
            m |= 1u << files->items[i].type;
    return m;
}

static const char *type_label(tt_id_type t)
{
    switch (t) {
    case TT_ID_EMAIL_SHA256: return "email";
    case TT_ID_PHONE_SHA256: return "phone";
    case TT_ID_IDFA_SHA256: return "IDFA";
    default: return "GAID";
    }
}

/* "<audience_name> (<type>)", cut on a UTF-8 boundary to TikTok's 128. */
static void new_audience_name(const char *base, tt_id_type t, char *out, size_t size)
{
    char suffix[16];
    size_t blen = strlen(base), slen;

    snprintf(suffix, sizeof(suffix), " (%s)", type_label(t));
    slen = strlen(suffix);
    if (blen + slen > 128) {
        blen = 128 - slen;
        while (blen > 0 && ((unsigned char) base[blen] & 0xc0) == 0x80)
            blen--;
    }
    snprintf(out, size, "%.*s%s", (int) blen, base, suffix);
}

static int key_audience(char *buf, size_t n, const apply_ctx *x, const char *adv, tt_id_type t)
{
    return tt_kv_key(buf, n, "conn/%s/audience/%s/%s", x->c->connection_id, adv,
                     tt_id_type_slug(t));
}

static int key_intent(char *buf, size_t n, const apply_ctx *x, const char *adv, tt_id_type t)
{
    return tt_kv_key(buf, n, "conn/%s/intent/%s/%s", x->c->connection_id, adv,
                     tt_id_type_slug(t));
}

static tt_dest *target_add(apply_ctx *x, const char *adv)
{
    tt_dest *t = &x->targets[x->ntargets++];
    memset(t, 0, sizeof(*t));
    ACONN_STRSET(t->advertiser_id, adv);
    t->cover_num = -1;
    t->is_valid = -1;
    t->err.struct_size = sizeof(t->err);
    return t;
}

static void target_fail(tt_dest *t, const aconn_error *e)
{
    t->status = e->status;
    t->err = *e;
    t->outcome = ACONN_STATUS_IS_RETRY(e->status) ? "deferred" : "failed";
}

/* New audiences: one per identifier type that has data, or that already
   has an audience (removals still apply to it). */
static aconn_status targets_new(apply_ctx *x, aconn_error *err)
{
    const tt_settings *s = x->c->settings;
    unsigned adds = types_with_files(x->files, TT_SPOOL_ADD);
    unsigned any = adds | types_with_files(x->files, TT_SPOOL_REMOVE);

    for (size_t i = 0; i < s->ntargets; i++) {
        const char *adv = s->targets[i].advertiser_id;
        if (!s->targets[i].create_new)
            continue;
        for (int ty = 0; ty < TT_ID_TYPE_COUNT; ty++) {
            char key[256];
            json_object *v = NULL, *id = NULL;
            uint64_t ver;
            aconn_status st;

            if (!(any & (1u << ty)))
                continue;
            if (key_audience(key, sizeof(key), x, adv, (tt_id_type) ty) != 0)
                return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
            st = tt_kv_get(x->host, key, &v, &ver, err);
            if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND)
                return st;
            if (v == NULL && !(adds & (1u << ty)))
                continue;   /* only removals, and no audience to remove from */
            tt_dest *t = target_add(x, adv);
            t->is_new = 1;
            t->new_type = (tt_id_type) ty;
            t->types = 1u << ty;
            ACONN_STRSET(t->calc, tt_id_type_name((tt_id_type) ty));
            new_audience_name(s->audience_name, (tt_id_type) ty, t->name, sizeof(t->name));
            if (v != NULL && json_object_object_get_ex(v, "audience_id", &id))
                ACONN_STRSET(t->audience_id, json_object_get_string(id));
            json_object_put(v);
        }
    }
    return ACONN_OK;
}

/* Existing audiences: read each one's calculate_type from TikTok (cached in
   state, it never changes) to know which identifier types it takes. */
static aconn_status targets_existing(apply_ctx *x, aconn_error *err)
{
    const tt_settings *s = x->c->settings;

    for (size_t i = 0; i < s->ntargets; i++) {
        const char *adv = s->targets[i].advertiser_id;
        size_t naud = s->targets[i].naudiences;
        tt_audience_list info = {0};
        aconn_error e = {.struct_size = sizeof(e)};
        const char **ids = calloc(naud ? naud : 1, sizeof(*ids));
        aconn_status st;

        if (ids == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        if (naud == 0) {
            free(ids);
            continue;
        }
        for (size_t j = 0; j < naud; j++)
            ids[j] = s->targets[i].audience_ids[j];
        st = tt_api_audience_get(x->api, adv, ids, naud, &info, &e);
        for (size_t j = 0; j < naud; j++) {
            tt_dest *t = target_add(x, adv);
            ACONN_STRSET(t->audience_id, ids[j]);
            if (st != ACONN_OK) {
                target_fail(t, &e);
                continue;
            }
            const tt_audience *found = NULL;
            for (size_t k = 0; k < info.count; k++)
                if (strcmp(info.items[k].audience_id, ids[j]) == 0)
                    found = &info.items[k];
            if (found == NULL) {
                aconn_error nf = {.struct_size = sizeof(nf)};
                aconn_error_set(&nf, ACONN_ERR_NOT_FOUND, "audience_not_found", NULL,
                                "audience %s was not found in Ad Account %s: check the id in "
                                "TikTok Ads Manager (Assets > Audiences) and that the profile "
                                "has Admin, Operator or Owner access to the account",
                                ids[j], adv);
                target_fail(t, &nf);
                continue;
            }
            ACONN_STRSET(t->calc, found->calculate_type);
            t->types = types_for_calc(found->calculate_type);
            if (t->types == 0) {
                aconn_error bad = {.struct_size = sizeof(bad)};
                aconn_error_set(&bad, ACONN_ERR_REJECTED, "unsupported_calculate_type", NULL,
                                "audience %s in Ad Account %s uses calculate_type %s; this "
                                "connector delivers SHA-256 email, phone, IDFA and GAID "
                                "audiences only", ids[j], adv, found->calculate_type);
                target_fail(t, &bad);
            }
        }
        tt_audience_list_free(&info);
        free(ids);
        if (st != ACONN_OK && !ACONN_STATUS_IS_RETRY(st) && !ACONN_STATUS_IS_PERMANENT(st))
            return aconn_error_set(err, st, e.code, NULL, "%s", e.message);
    }
    return ACONN_OK;
}

/* ---- uploads --------------------------------------------------------- */

/* The calculate_type a file is uploaded with, for an audience of calc. */
static const char *upload_calc(const tt_dest *t, const tt_spool_file *f)
{
    unsigned maid = (1u << TT_ID_IDFA_SHA256) | (1u << TT_ID_GAID_SHA256);
    return t->types == maid ? t->calc : tt_id_type_name(f->type);
}

static void upload_key(char *buf, size_t n, const char *adv, const char *calc, const char *md5)
{
    snprintf(buf, n, "%s|%s|%s", adv, calc, md5);
}

/* A new target without an audience yet exists only when this run has adds
   of its type (targets_new), so it will be created before its removals
   apply: it wants every file of its type. */
static int target_wants(const tt_dest *t, const tt_spool_file *f)
{
    return t->status == ACONN_OK && (t->types & (1u << f->type)) != 0;
}

/* Uploads one file with one calculate_type to every Ad Account that needs
   it and has not got it yet in this run, in parallel. A failed account
   fails only its own targets. */
static aconn_status upload_one(apply_ctx *x, const tt_spool_file *f, const char *calc,
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

        if (!target_wants(t, f) || strcmp(upload_calc(t, f), calc) != 0)
            continue;
        upload_key(key, sizeof(key), t->advertiser_id, calc, f->md5_hex);
        for (size_t j = 0; j < n; j++)
            dup |= strcmp(advs[j], t->advertiser_id) == 0;
        if (!dup && run_upload_get(x, key) == NULL)
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
            upload_key(key, sizeof(key), advs[j], calc, f->md5_hex);
            st = run_mark(x, "uploads", key, res[j].file_path, err);
            continue;
        }
        for (size_t ti = 0; ti < x->ntargets; ti++) {
            tt_dest *t = &x->targets[ti];
            if (target_wants(t, f) && strcmp(t->advertiser_id, advs[j]) == 0)
                target_fail(t, &res[j].err);
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

/* Every file, once per (Ad Account, calculate_type) that needs it. */
static aconn_status upload_all(apply_ctx *x, aconn_error *err)
{
    for (size_t fi = 0; fi < x->files->count; fi++) {
        const tt_spool_file *f = &x->files->items[fi];

        /* Usually one calculate_type per file; an IDFA or GAID file may also
           go to FIRST_SHA256 audiences. */
        for (size_t ti = 0; ti < x->ntargets; ti++) {
            const tt_dest *t = &x->targets[ti];
            const char *calc = upload_calc(t, f);
            int seen = 0;
            aconn_status st;

            if (!target_wants(t, f))
                continue;
            for (size_t tj = 0; tj < ti; tj++)
                seen |= target_wants(&x->targets[tj], f) &&
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

/* The uploaded file_paths of target t for op, in spool order; with out NULL
   only counts them. */
static size_t file_paths_for(apply_ctx *x, const tt_dest *t, tt_spool_op op,
                             const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t fi = 0; fi < x->files->count && (out == NULL || n < cap); fi++) {
        const tt_spool_file *f = &x->files->items[fi];
        char key[160];
        const char *fp;

        if (f->op != op || !(t->types & (1u << f->type)))
            continue;
        upload_key(key, sizeof(key), t->advertiser_id, upload_calc(t, f), f->md5_hex);
        fp = run_upload_get(x, key);
        if (fp == NULL)
            continue;
        if (out != NULL)
            out[n] = fp;
        n++;
    }
    return n;
}

static void ops_append(tt_dest *t, const char *op)
{
    size_t len = strlen(t->ops);
    snprintf(t->ops + len, sizeof(t->ops) - len, "%s%s", len ? "," : "", op);
}

/* ---- outcomes that are not known ------------------------------------------ */

/* TikTok answered with an envelope code: the request is finished there and
   changed nothing. */
static int answered(const aconn_error *err)
{
    return err != NULL && err->http_status == 200 && err->remote_code[0] != '\0';
}

/* ---- create, with intent and adoption --------------------------------- */

/* After a lost create answer: the oldest audience with the intent's name and
   calculate_type that no other connection has claimed (the claim/ keys).
   The name carries the type suffix the connector gives its audiences, so a
   person's own audience is unlikely to match; a claim makes sure two
   connections never adopt the same one. */
static aconn_status adopt(apply_ctx *x, tt_dest *t, json_object *intent, int *adopted,
                          aconn_error *err)
{
    json_object *jname = NULL;
    tt_audience_list list = {0};
    aconn_status st;

    *adopted = 0;
    json_object_object_get_ex(intent, "name", &jname);
    st = tt_api_audience_list(x->api, t->advertiser_id, &list, err);
    if (st != ACONN_OK)
        return st;
    /* TikTok lists in creation order; the first unclaimed audience with the
       intent's name is the one the lost create made. */
    for (size_t i = 0; i < list.count && !*adopted; i++) {
        const tt_audience *a = &list.items[i];
        char claim[200];
        json_object *owner = NULL, *mine;

        if (a->name == NULL || strcmp(a->name, json_object_get_string(jname)) != 0 ||
            (a->calculate_type != NULL && strcmp(a->calculate_type, t->calc) != 0))
            continue;
        tt_kv_key(claim, sizeof(claim), "claim/%s/%s", t->advertiser_id, a->audience_id);
        mine = json_object_new_string(x->c->connection_id);
        st = tt_kv_cas(x->host, claim, 0, mine, NULL, err);
        json_object_put(mine);
        if (st == ACONN_ERR_CONFLICT) {
            uint64_t ver;
            if (tt_kv_get(x->host, claim, &owner, &ver, err) == ACONN_OK &&
                strcmp(json_object_get_string(owner), x->c->connection_id) == 0)
                st = ACONN_OK;
            json_object_put(owner);
            if (st == ACONN_ERR_CONFLICT)
                continue;   /* another connection's audience of the same name */
        }
        if (st != ACONN_OK)
            break;
        ACONN_STRSET(t->audience_id, a->audience_id);
        *adopted = 1;
    }
    tt_audience_list_free(&list);
    return st == ACONN_ERR_CONFLICT ? ACONN_OK : st;
}

static aconn_status remember_audience(apply_ctx *x, tt_dest *t, aconn_error *err)
{
    char key[256], ikey[256], claim[200];
    json_object *v = json_object_new_object(), *cid;
    aconn_status st;

    key_audience(key, sizeof(key), x, t->advertiser_id, t->new_type);
    key_intent(ikey, sizeof(ikey), x, t->advertiser_id, t->new_type);
    json_object_object_add(v, "audience_id", json_object_new_string(t->audience_id));
    json_object_object_add(v, "name", json_object_new_string(t->name));
    json_object_object_add(v, "created_in_run", json_object_new_string(x->c->run_id));
    st = tt_kv_put(x->host, key, v, err);
    json_object_put(v);
    if (st != ACONN_OK)
        return st;
    tt_kv_key(claim, sizeof(claim), "claim/%s/%s", t->advertiser_id, t->audience_id);
    cid = json_object_new_string(x->c->connection_id);
    st = tt_kv_put(x->host, claim, cid, err);
    json_object_put(cid);
    if (st != ACONN_OK)
        return st;
    return tt_kv_put(x->host, ikey, NULL, err);
}

static aconn_status create_audience(apply_ctx *x, tt_dest *t, aconn_error *err)
{
    const char *paths[TT_FILE_PATHS_PER_CALL];
    size_t npaths = file_paths_for(x, t, TT_SPOOL_ADD, paths, TT_FILE_PATHS_PER_CALL);
    char ikey[256], done[200];
    json_object *intent = NULL;
    uint64_t iver = 0;
    int adopted = 0;
    aconn_status st;

    snprintf(done, sizeof(done), "%s|new:%s|CREATE", t->advertiser_id, t->calc);
    key_intent(ikey, sizeof(ikey), x, t->advertiser_id, t->new_type);
    st = tt_kv_get(x->host, ikey, &intent, &iver, err);
    if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND)
        return st;
    if (intent != NULL) {
        /* A create of an earlier attempt may have happened: find it. */
        json_object *jrun = NULL, *junsettled = NULL;
        int same_run = json_object_object_get_ex(intent, "run_id", &jrun) &&
                       strcmp(json_object_get_string(jrun), x->c->run_id) == 0;
        int64_t unsettled = json_object_object_get_ex(intent, "unsettled_at_ms", &junsettled)
                                ? json_object_get_int64(junsettled) : 0;
        st = adopt(x, t, intent, &adopted, err);
        json_object_put(intent);
        intent = NULL;
        if (st != ACONN_OK)
            return st;
        if (!adopted && unsettled > 0) {
            int64_t waited = x->host->now_ms(x->host->ctx) - unsettled;
            if (waited >= 0 && waited < TT_SETTLE_MS) {
                st = aconn_error_set(err, ACONN_RETRY, "create_unsettled", NULL,
                                     "TikTok gave no answer to the create of audience \"%s\" "
                                     "in Ad Account %s and it is not visible yet; it may still "
                                     "appear, so it is not created again before %lld s have "
                                     "passed",
                                     t->name, t->advertiser_id,
                                     (long long) (TT_SETTLE_MS - waited) / 1000);
                if (err != NULL)
                    err->retry_after_ms = TT_SETTLE_MS - waited;
                return st;
            }
        }
        if (adopted) {
            ops_append(t, "ADOPT");
            st = remember_audience(x, t, err);
            /* Created by an earlier attempt of this same run, it holds this
               run's adds already (same spool, same files); created by an
               earlier run, it still needs this run's adds appended. */
            if (st == ACONN_OK && same_run)
                st = run_mark(x, "done", done, NULL, err);
            return st;
        }
    }
    if (npaths == 0)
        return ACONN_OK;
    intent = json_object_new_object();
    json_object_object_add(intent, "name", json_object_new_string(t->name));
    json_object_object_add(intent, "started_at_ms",
                           json_object_new_int64(x->host->now_ms(x->host->ctx)));
    json_object_object_add(intent, "run_id", json_object_new_string(x->c->run_id));
    st = tt_kv_cas(x->host, ikey, iver, intent, &iver, err);
    if (st == ACONN_ERR_CONFLICT)
        st = aconn_error_set(err, ACONN_RETRY, "concurrent_create", NULL,
                             "another worker is creating the audience for Ad Account %s; "
                             "retry shortly", t->advertiser_id);
    if (st != ACONN_OK)
        goto cleanup;

    {
        char *id = NULL;
        st = tt_api_audience_create(x->api, t->advertiser_id, t->name, t->calc, paths, npaths,
                                    x->c->settings->retention_days, &id, err);
        if (st == ACONN_OK)
            ACONN_STRSET(t->audience_id, id);
        free(id);
    }
    /* A TikTok answer (HTTP 200 with a code) means nothing was created:
       the intent can go. No answer means the create may have happened. */
    if (st != ACONN_OK && answered(err)) {
        (void) tt_kv_put(x->host, ikey, NULL, NULL);
        goto cleanup;
    }
    if (ACONN_STATUS_IS_RETRY(st)) {
        /* Look before anyone creates again. */
        for (int i = 0; i < TT_ADOPT_TRIES && !adopted; i++) {
            aconn_error e2 = {.struct_size = sizeof(e2)};
            if (adopt(x, t, intent, &adopted, &e2) != ACONN_OK)
                adopted = 0;
        }
        if (!adopted) {
            /* The intent stays, marked unsettled: later attempts look for
               the audience and wait TT_SETTLE_MS before a new create. */
            json_object_object_add(intent, "unsettled_at_ms",
                                   json_object_new_int64(x->host->now_ms(x->host->ctx)));
            (void) tt_kv_cas(x->host, ikey, iver, intent, NULL, NULL);
            if (err != NULL && err->retry_after_ms < TT_SETTLE_MS)
                err->retry_after_ms = TT_SETTLE_MS;
            goto cleanup;
        }
        ops_append(t, "ADOPT");
        st = remember_audience(x, t, err);
        if (st == ACONN_OK)
            st = run_mark(x, "done", done, NULL, err);
        goto cleanup;
    }
    if (st != ACONN_OK) {
        (void) tt_kv_put(x->host, ikey, NULL, NULL);
        goto cleanup;
    }
    ops_append(t, "CREATE");
    st = remember_audience(x, t, err);
    if (st == ACONN_OK)
        st = run_mark(x, "done", done, NULL, err);
cleanup:
    json_object_put(intent);
    return st;
}

/* ---- updates ---------------------------------------------------------- */

static aconn_status update_action(apply_ctx *x, tt_dest *t, tt_spool_op op,
                                  tt_update_action action, aconn_error *err)
{
    const char **paths = calloc(x->files->count ? x->files->count : 1, sizeof(*paths));
    size_t n;
    aconn_status st = ACONN_OK;

    if (paths == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    n = file_paths_for(x, t, op, paths, x->files->count);
    for (size_t off = 0, chunk = 0; off < n && st == ACONN_OK;
         off += TT_FILE_PATHS_PER_CALL, chunk++) {
        size_t k = n - off < TT_FILE_PATHS_PER_CALL ? n - off : TT_FILE_PATHS_PER_CALL;
        char done[200];

        size_t calls = 0;
        snprintf(done, sizeof(done), "%s|%s|%s|%zu", t->advertiser_id, t->audience_id,
                 tt_update_action_name(action), chunk);
        if (run_is_done(x, done))
            continue;
        st = tt_budget_reserve(x->host, t->advertiser_id, x->host->now_ms(x->host->ctx),
                               TT_BUDGET_UPDATES_PER_DAY, err);
        if (st != ACONN_OK)
            break;
        st = tt_api_audience_update(x->api, t->advertiser_id, t->audience_id, action,
                                    paths + off, k, &calls, err);
        if (st == ACONN_OK) {
            ops_append(t, tt_update_action_name(action));
            st = run_mark(x, "done", done, NULL, err);
        } else if (ACONN_STATUS_IS_RETRY(st) && !answered(err) && err != NULL &&
                   err->retry_after_ms < TT_SETTLE_MS) {
            /* It may still land: the next attempt, after it has, sends it
               again (idempotent) and only then the next action. */
            err->retry_after_ms = TT_SETTLE_MS;
        }
    }
    free(paths);
    return st;
}

static aconn_status apply_target(apply_ctx *x, tt_dest *t, aconn_error *err)
{
    aconn_status st = ACONN_OK;
    char created[200];

    snprintf(created, sizeof(created), "%s|new:%s|CREATE", t->advertiser_id, t->calc);
    if (t->is_new && t->audience_id[0] == '\0') {
        st = create_audience(x, t, err);
        if (st != ACONN_OK)
            return st;
        if (t->audience_id[0] == '\0')
            return ACONN_OK;    /* nothing to create it from yet */
    }
    /* An audience this run created (in any attempt) already holds the run's
       adds; appending them again after the run's REMOVE went through would
       bring removed members back. A create takes at most 50 files, so a
       bigger run appends them all (APPEND is idempotent). */
    if (!(t->is_new && run_is_done(x, created)) ||
        file_paths_for(x, t, TT_SPOOL_ADD, NULL, 0) > TT_FILE_PATHS_PER_CALL) {
        /* A full refresh replaces membership with this run's adds. */
        st = update_action(x, t, TT_SPOOL_ADD,
                           x->full_refresh ? TT_UPDATE_REPLACE : TT_UPDATE_APPEND, err);
        if (st != ACONN_OK)
            return st;
    }
    /* Removals last: within one run an opt-out wins over an add. */
    return update_action(x, t, TT_SPOOL_REMOVE, TT_UPDATE_REMOVE, err);
}

/* ---- the run ----------------------------------------------------------- */

/* Which status the host acts on: fatal > reauthorize > retry > permanent. */
static int status_rank(aconn_status s)
{
    if (s == ACONN_OK) return 0;
    if (ACONN_STATUS_IS_PERMANENT(s)) return 1;
    if (ACONN_STATUS_IS_RETRY(s)) return 2;
    if (ACONN_STATUS_IS_REAUTHORIZE(s)) return 3;
    return 4;
}

static void sizes_from_tiktok(apply_ctx *x)
{
    for (size_t i = 0; i < x->ntargets; i++) {
        const char *adv = x->targets[i].advertiser_id;
        const char *ids[TT_API_MAX_GET_IDS];
        size_t n = 0;
        tt_audience_list info = {0};
        aconn_error e = {.struct_size = sizeof(e)};
        int seen = 0;

        for (size_t j = 0; j < i; j++)
            seen |= strcmp(x->targets[j].advertiser_id, adv) == 0;
        if (seen)
            continue;   /* one call per Ad Account */
        for (size_t j = i; j < x->ntargets && n < TT_API_MAX_GET_IDS; j++)
            if (strcmp(x->targets[j].advertiser_id, adv) == 0 &&
                x->targets[j].audience_id[0] != '\0' &&
                !(x->targets[j].err.code[0] != '\0' &&
                  strcmp(x->targets[j].err.code, "audience_not_found") == 0))
                ids[n++] = x->targets[j].audience_id;
        if (n == 0 || tt_api_audience_get(x->api, adv, ids, n, &info, &e) != ACONN_OK) {
            tt_audience_list_free(&info);
            continue;
        }
        for (size_t k = 0; k < info.count; k++)
            for (size_t j = i; j < x->ntargets; j++)
                if (strcmp(x->targets[j].advertiser_id, adv) == 0 &&
                    strcmp(x->targets[j].audience_id, info.items[k].audience_id) == 0) {
                    x->targets[j].cover_num = info.items[k].cover_num;
                    x->targets[j].is_valid = info.items[k].is_valid;
                }
        tt_audience_list_free(&info);
    }
}

int tt_apply_is_dry_run(const aconn_host *host)
{
    const char *v = host->option(host->ctx, "dry_run");
    return v != NULL && strcmp(v, "1") == 0;
}

aconn_status tt_apply_run(tt_conn *c, const aconn_host *host, const aconn_batch *batch,
                          const tt_spool_files *files, aconn_error *err)
{
    apply_ctx x = {.c = c, .host = host, .batch = batch, .files = files};
    size_t cap = 1;
    aconn_status st, worst = ACONN_OK;
    tt_dest *top = NULL;

    for (size_t i = 0; i < c->settings->ntargets; i++)
        cap += c->settings->targets[i].create_new ? TT_ID_TYPE_COUNT
                                                   : c->settings->targets[i].naudiences;
    x.full_refresh = (batch->flags & ACONN_BATCH_FULL_REFRESH) != 0;
    x.targets = calloc(cap, sizeof(*x.targets));
    if (x.targets == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    if (tt_apply_is_dry_run(host)) {
        /* Hash and spool only: the report says what would be uploaded. */
        st = ACONN_OK;
        goto cleanup;
    }
    st = tt_session_open(&x.session, host, batch->profile, err);
    if (st != ACONN_OK)
        goto cleanup;
    x.api = &x.session.api;
    st = run_load(&x, err);
    if (st != ACONN_OK)
        goto cleanup;
    st = targets_new(&x, err);
    if (st == ACONN_OK)
        st = targets_existing(&x, err);
    if (st == ACONN_OK)
        st = upload_all(&x, err);
    if (st != ACONN_OK)
        goto cleanup;
    for (size_t i = 0; i < x.ntargets; i++) {
        tt_dest *t = &x.targets[i];
        aconn_error e = {.struct_size = sizeof(e)};

        if (t->status != ACONN_OK)
            continue;
        st = apply_target(&x, t, &e);
        if (st != ACONN_OK) {
            target_fail(t, &e);
            /* Re-authorize and fatal stop the run; others are per target. */
            if (ACONN_STATUS_IS_REAUTHORIZE(st) || ACONN_STATUS_IS_FATAL(st) ||
                st == ACONN_RETRY_CANCELLED)
                break;
        } else {
            t->outcome = t->ops[0] != '\0' ? "applied" : "already_applied";
        }
    }
    st = ACONN_OK;
    for (size_t i = 0; i < x.ntargets; i++)
        if (status_rank(x.targets[i].status) > status_rank(worst)) {
            worst = x.targets[i].status;
            top = &x.targets[i];
        }
    sizes_from_tiktok(&x);
    if (worst == ACONN_OK) {
        /* The run is done: its resume record is no longer needed. */
        (void) tt_kv_put(host, x.run_key, NULL, NULL);
    } else if (top != NULL && err != NULL) {
        size_t n = err->struct_size < sizeof(top->err) ? err->struct_size : sizeof(top->err);
        uint32_t keep = err->struct_size;
        memcpy(err, &top->err, n);
        err->struct_size = keep;
    }
    st = worst;
cleanup:
    if (batch->report != NULL)
        tt_report_write(batch->report, c, x.targets, x.ntargets, files,
                        x.api != NULL ? &x.session.http.stats : NULL, x.full_refresh,
                        tt_apply_is_dry_run(host), st);
    tt_session_close(&x.session);
    json_object_put(x.run);
    free(x.targets);
    return st;
}
