/* tt_apply.c - apply a finished spool to every target audience (see tt_apply.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/tt_apply.h"
#include "delivery/tt_apply_ctx.h"
#include "delivery/tt_early.h"
#include "delivery/tt_health.h"
#include "delivery/tt_par.h"
#include "delivery/tt_report.h"
#include "delivery/tt_runrec.h"
#include "delivery/tt_targets.h"
#include "delivery/tt_update.h"
#include "delivery/tt_upload.h"
#include "profile/tt_coverage.h"
#include "tiktok/tt_status.h"

int tt_apply_answered(const aconn_error *err)
{
    /* A timeout, a dropped connection, a 5xx or 50002: the call may have
       been carried out (tt_status.h). */
    return err != NULL && tt_status_class(err) != TT_CLASS_OUTCOME_UNKNOWN;
}

void tt_apply_ops_append(tt_dest *t, const char *op)
{
    size_t len = strlen(t->ops);
    snprintf(t->ops + len, sizeof(t->ops) - len, "%s%s", len ? "," : "", op);
}

void tt_apply_target_fail(tt_dest *t, const aconn_error *e)
{
    t->err = *e;
    /* TikTok's 40106 about this Ad Account (its user has no role there, or
       the account left the Business Center) is this target's permission
       failure: the profile's token still works for every other target.
       e->profile is set for every reauthorize status (tt_status.c). */
    t->status = tt_coverage_scope(e->status, &t->err, e->profile, t->advertiser_id);
    t->outcome = ACONN_STATUS_IS_RETRY(t->status) ? "deferred" : "failed";
}

int tt_apply_is_dry_run(const aconn_host *host)
{
    const char *v = host->option(host->ctx, "dry_run");
    return v != NULL && strcmp(v, "1") == 0;
}

/* A new target that fell behind: is its audience there again? */
static void probe_new(tt_apply_ctx *x, tt_dest *t)
{
    const char *ids[1] = {t->audience_id};
    tt_audience_list info = {0};
    aconn_error e = {.struct_size = sizeof(e)};
    aconn_status st;

    if (t->audience_id[0] == '\0') {
        tt_audience_list all = {0};

        /* Never created (below the minimum, the account's limit): the
           catch-up run tries the create with every row. For want of
           access (40106) that would upload every file and fail again on
           every delivery: it waits for an access probe instead, one list
           call per TT_HEALTH_PROBE_MS or after the profile changed. */
        if (strcmp(t->reason, TT_COVERAGE_NOT_COVERED) != 0) {
            tt_health_reachable(x, t);
            return;
        }
        if (!tt_health_probe_due(x, t))
            return;
        tt_health_probed(x, t);
        if (tt_api_audience_list(x->api, t->advertiser_id, &all, &e) == ACONN_OK)
            tt_health_reachable(x, t);
        else
            tt_apply_target_fail(t, &e);
        tt_audience_list_free(&all);
        return;
    }
    st = tt_api_audience_get(x->api, t->advertiser_id, ids, 1, &info, &e);
    if (st == ACONN_OK) {
        if (info.count == 1)
            tt_health_reachable(x, t);
        else {
            aconn_error_set(&e, ACONN_ERR_NOT_FOUND, "audience_not_found", NULL,
                            "audience %s was deleted from Ad Account %s", t->audience_id,
                            t->advertiser_id);
            tt_apply_target_fail(t, &e);
        }
    } else if (ACONN_STATUS_IS_REAUTHORIZE(tt_coverage_scope(st, &e, e.profile,
                                                             t->advertiser_id))) {
        /* Still refused, the target stays behind at no cost; but a token
           TikTok no longer takes (revoked, expired) is the profile's
           failure, not this account's: the run ends with it, so the host
           asks for the authorization (with no new rows this probe is the
           only call that can meet it). A 40106 about this account is
           scoped to it above and stays a refusal. */
        tt_apply_target_fail(t, &e);
    }
    tt_audience_list_free(&info);
}

/* Which targets this run serves; returns 1 when a catch-up run is wanted. */
static int select_targets(tt_apply_ctx *x)
{
    int want = 0;

    for (size_t i = 0; i < x->ntargets; i++) {
        tt_dest *t = &x->targets[i];

        if (t->health == TT_HEALTH_DEAD) {
            t->skip = 1;
            t->outcome = "dead";
            continue;
        }
        if (t->health == TT_HEALTH_BEHIND && t->is_new && t->status == ACONN_OK)
            probe_new(x, t);
        if (x->catch_up) {
            /* Healthy targets have these rows already. */
            t->skip = t->health != TT_HEALTH_CATCH_UP;
            continue;
        }
        if (t->health == TT_HEALTH_BEHIND && t->status == ACONN_OK) {
            t->skip = 1;
            t->outcome = "behind";
        } else if (t->health == TT_HEALTH_CATCH_UP && !x->full_refresh) {
            /* A full refresh carries every row: it catches up in place. */
            t->skip = 1;
            t->outcome = "behind";
            want = 1;
        }
    }
    return want;
}

static void sizes_of_account(tt_apply_ctx *x, const char *adv);

/* One target's creates and updates (tt_par_apply_fn); non-zero: stop. */
static int apply_one(tt_apply_ctx *x, tt_dest *t)
{
    aconn_error e = {.struct_size = sizeof(e)};
    aconn_status st = tt_update_target(x, t, &e);

    if (st == ACONN_OK) {
        t->outcome = t->health != TT_HEALTH_OK ? "caught_up"
                     : t->ops[0] != '\0' ? "applied" : "already_applied";
        t->health = TT_HEALTH_OK;
        return 0;
    }
    tt_apply_target_fail(t, &e);
    /* A token that no longer works (after the per-account scoping
       above), fatal, cancelled: stop the run. */
    return ACONN_STATUS_IS_REAUTHORIZE(t->status) || ACONN_STATUS_IS_FATAL(st) ||
           st == ACONN_RETRY_CANCELLED;
}

/* Different Ad Accounts at once where the host lets us (tt_par.h), else
   one target after another. */
static void apply_targets(tt_apply_ctx *x)
{
    int cap = tt_par_cap(x->host);

    if (cap > 1 && tt_par_apply(x, cap, apply_one, sizes_of_account) == 0)
        return;
    for (size_t i = 0; i < x->ntargets; i++) {
        tt_dest *t = &x->targets[i];

        if (t->skip || t->status != ACONN_OK)
            continue;
        if (apply_one(x, t))
            break;
    }
}

/* Which status the host acts on: fatal > reauthorize > retry > partial. */
static int status_rank(const tt_dest *t)
{
    /* A token that no longer works is the profile's failure whatever the
       target's standing: a behind target's probe may be what met it. */
    if (ACONN_STATUS_IS_REAUTHORIZE(t->status))
        return 4;
    if (t->health == TT_HEALTH_DEAD || t->health == TT_HEALTH_BEHIND ||
        (t->skip && t->health == TT_HEALTH_CATCH_UP))
        return 1;
    if (t->status == ACONN_OK) return 0;
    if (ACONN_STATUS_IS_RETRY(t->status)) return 3;
    if (ACONN_STATUS_IS_REAUTHORIZE(t->status)) return 4;
    return ACONN_STATUS_IS_FATAL(t->status) ? 5 : 2;
}

/* Records every target's standing; a permanent per-target failure becomes
   behind or dead instead of failing the run. */
static aconn_status settle_health(tt_apply_ctx *x, aconn_error *err)
{
    for (size_t i = 0; i < x->ntargets; i++) {
        tt_dest *t = &x->targets[i];
        aconn_status st;

        if (t->status != ACONN_OK)
            (void) tt_health_absorb(x, t);
        if (t->skip && t->health == TT_HEALTH_DEAD)
            continue;    /* unchanged, and costs nothing */
        st = tt_health_save(x, t, err);
        if (st != ACONN_OK)
            return st;
    }
    return ACONN_OK;
}

static void ask_catch_up(tt_apply_ctx *x)
{
    const aconn_host *h = x->host;

    uint64_t from = 0;

    for (size_t i = 0; i < x->ntargets; i++) {
        const tt_dest *t = &x->targets[i];
        if (t->health == TT_HEALTH_CATCH_UP && (from == 0 || t->since_seq < from))
            from = t->since_seq > 0 ? t->since_seq : 1;
    }
    if (ACONN_HAS(h, aconn_host, request_catch_up) && h->request_catch_up != NULL) {
        h->request_catch_up(h->ctx, x->batch, from, "an Ad Account that fell behind can "
                            "be served again");
        return;
    }
    for (size_t i = 0; i < x->ntargets; i++)
        if (x->targets[i].health == TT_HEALTH_CATCH_UP)
            snprintf(x->targets[i].fix, sizeof(x->targets[i].fix),
                     "reachable again; this host cannot run a catch-up (ABI 1.0): the next "
                     "full refresh brings it up to date");
}

static aconn_status run_status(tt_apply_ctx *x, aconn_error *err)
{
    const tt_dest *top = NULL;
    int worst = 0;

    for (size_t i = 0; i < x->ntargets; i++) {
        int r = status_rank(&x->targets[i]);
        if (r > worst) {
            worst = r;
            top = &x->targets[i];
        }
    }
    if (worst <= 1) {
        tt_runrec_drop(x);   /* the run is done: its record is not needed */
        return worst == 0 || x->host->abi_minor < 1 ? ACONN_OK : ACONN_OK_PARTIAL;
    }
    if (err != NULL) {
        size_t n = err->struct_size < sizeof(top->err) ? err->struct_size : sizeof(top->err);
        uint32_t keep = err->struct_size;
        memcpy(err, &top->err, n);
        err->struct_size = keep;
    }
    return top->status;
}

/* TikTok's sizes of adv's audiences, for the report: one call per account. */
static void sizes_of_account(tt_apply_ctx *x, const char *adv)
{
    const char *ids[TT_API_MAX_GET_IDS];
    size_t n = 0;
    tt_audience_list info = {0};
    aconn_error e = {.struct_size = sizeof(e)};

    for (size_t j = 0; j < x->ntargets && n < TT_API_MAX_GET_IDS; j++)
        if (strcmp(x->targets[j].advertiser_id, adv) == 0 && !x->targets[j].skip &&
            x->targets[j].audience_id[0] != '\0' && x->targets[j].health == TT_HEALTH_OK)
            ids[n++] = x->targets[j].audience_id;
    if (n == 0 || tt_api_audience_get(x->api, adv, ids, n, &info, &e) != ACONN_OK) {
        tt_audience_list_free(&info);
        return;
    }
    for (size_t k = 0; k < info.count; k++)
        for (size_t j = 0; j < x->ntargets; j++)
            if (strcmp(x->targets[j].advertiser_id, adv) == 0 &&
                strcmp(x->targets[j].audience_id, info.items[k].audience_id) == 0) {
                x->targets[j].cover_num = info.items[k].cover_num;
                x->targets[j].is_valid = info.items[k].is_valid;
            }
    tt_audience_list_free(&info);
}

/* The sizes of the accounts the threads did not read (tt_par reads those
   of the accounts it applied, on their thread). */
static void sizes_from_tiktok(tt_apply_ctx *x)
{
    for (size_t i = 0; i < x->ntargets; i++) {
        const char *adv = x->targets[i].advertiser_id;
        int seen = x->targets[i].sized;

        for (size_t j = 0; j < i; j++)
            seen |= strcmp(x->targets[j].advertiser_id, adv) == 0;
        if (!seen)
            sizes_of_account(x, adv);   /* one call per Ad Account */
    }
}

static aconn_status apply(tt_apply_ctx *x, aconn_error *err)
{
    int want_catch_up;
    aconn_status st = tt_session_open(&x->session, x->host, x->batch->profile, err);

    if (st != ACONN_OK)
        return st;
    x->api = &x->session.api;
    st = tt_runrec_load(x, err);
    if (st == ACONN_OK)
        st = tt_early_record(x->c->early, x, &x->early_uploads, err);
    if (st == ACONN_OK)
        st = tt_targets_layout(x->host, x->c, &x->per_type, err);
    if (st == ACONN_OK)
        st = tt_targets_plan(x, err);
    if (st != ACONN_OK)
        return st;
    want_catch_up = select_targets(x);
    st = tt_upload_all(x, err);
    if (st != ACONN_OK)
        return st;
    apply_targets(x);
    st = settle_health(x, err);
    if (st != ACONN_OK)
        return st;
    for (size_t i = 0; i < x->ntargets && !x->catch_up; i++)
        want_catch_up |= !x->targets[i].skip && x->targets[i].health == TT_HEALTH_CATCH_UP;
    if (want_catch_up)
        ask_catch_up(x);
    sizes_from_tiktok(x);
    return run_status(x, err);
}

aconn_status tt_apply_run(tt_conn *c, const aconn_host *host, const aconn_batch *batch,
                          const tt_spool_files *files, aconn_error *err)
{
    tt_apply_ctx x = {.c = c, .host = host, .batch = batch, .files = files};
    aconn_status st = ACONN_OK;

    x.cap = 1;
    for (size_t i = 0; i < c->settings->ntargets; i++)
        x.cap += c->settings->targets[i].create_new ? TT_ID_TYPE_COUNT
                                                     : c->settings->targets[i].naudiences;
    x.full_refresh = (batch->flags & ACONN_BATCH_FULL_REFRESH) != 0;
    x.catch_up = (batch->flags & ACONN_BATCH_CATCH_UP) != 0;
    x.targets = calloc(x.cap, sizeof(*x.targets));
    if (x.targets == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    /* A dry run hashes and spools only: the report says what would go. */
    if (!tt_apply_is_dry_run(host))
        st = apply(&x, err);
    if (batch->report != NULL)
        tt_report_write(batch->report, &x, st);
    tt_session_close(&x.session);
    json_object_put(x.run);
    free(x.targets);
    return st;
}
