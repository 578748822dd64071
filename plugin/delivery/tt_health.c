/* tt_health.c - targets that are behind or dead (see tt_health.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "common/tt_kv.h"
#include "delivery/tt_dkeys.h"
#include "delivery/tt_health.h"
#include "profile/tt_coverage.h"
#include "profile/tt_profile.h"

const char *tt_health_name(tt_health_state s)
{
    switch (s) {
    case TT_HEALTH_BEHIND: return "behind";
    case TT_HEALTH_CATCH_UP: return "catch_up";
    case TT_HEALTH_DEAD: return "dead";
    default: return "healthy";
    }
}

static tt_health_state state_of(const char *s)
{
    if (strcmp(s, "behind") == 0) return TT_HEALTH_BEHIND;
    if (strcmp(s, "catch_up") == 0) return TT_HEALTH_CATCH_UP;
    if (strcmp(s, "dead") == 0) return TT_HEALTH_DEAD;
    return TT_HEALTH_OK;
}

static int key_of(const tt_apply_ctx *x, const tt_dest *t, char *buf, size_t n)
{
    return tt_dkey_target(buf, n, x->c->connection_id, t->advertiser_id, t->slot);
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *k)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

aconn_status tt_health_load(tt_apply_ctx *x, tt_dest *t, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *v = NULL;
    uint64_t ver;
    aconn_status st;

    if (key_of(x, t, key, sizeof(key)) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
    st = tt_kv_get(x->host, key, &v, &ver, err);
    if (st == ACONN_ERR_NOT_FOUND)
        return ACONN_OK;
    if (st != ACONN_OK)
        return st;
    t->health = t->health_was = state_of(jstr(v, "state"));
    t->since_ms = jint(v, "since_ms");
    t->since_seq = (uint64_t) jint(v, "since_seq");
    ACONN_STRSET(t->reason, jstr(v, "reason"));
    ACONN_STRSET(t->fix, jstr(v, "fix"));
    t->probed_ms = jint(v, "probed_ms");
    t->access_ver = (uint64_t) jint(v, "access_ver");
    json_object_put(v);
    return ACONN_OK;
}

/* The version of the profile's record (0 when it cannot be read). */
static uint64_t profile_version(tt_apply_ctx *x)
{
    json_object *doc = NULL;
    uint64_t ver = 0;
    aconn_error e = {.struct_size = sizeof(e)};

    if (x->batch->profile == NULL
        || tt_profile_load(x->host, x->batch->profile, &doc, &ver, &e) != ACONN_OK)
        ver = 0;
    json_object_put(doc);
    return ver;
}

int tt_health_probe_due(tt_apply_ctx *x, const tt_dest *t)
{
    int64_t now = x->host->now_ms(x->host->ctx);

    if (t->probed_ms <= 0 || now - t->probed_ms >= TT_HEALTH_PROBE_MS || now < t->probed_ms)
        return 1;
    return profile_version(x) != t->access_ver;
}

void tt_health_probed(tt_apply_ctx *x, tt_dest *t)
{
    t->probed_ms = x->host->now_ms(x->host->ctx);
    t->access_ver = profile_version(x);
}

/* What a person does about a target that failed for good with e. */
static void fix_for(const tt_apply_ctx *x, tt_dest *t, const aconn_error *e, int dead)
{
    /* e's message names the request_id too and would not fit: say who acts. */
    if (tt_coverage_is_target_failure(e) && t->audience_id[0] == '\0')
        /* Never created: it waits for an access probe (tt_health_probe_due),
           so say what makes the next delivery try at once. */
        snprintf(t->fix, sizeof(t->fix), "profile %s's TikTok user has no role on Ad Account "
                 "%s (TikTok 40106); an Admin of that account must grant this user the Admin "
                 "or Operator role, or re-authorize the profile as a user who has one. Then "
                 "connector-host authorize --profile %s --status, and the next delivery "
                 "creates this Ad Account's audience (without it, a delivery an hour on "
                 "tries again)", x->batch->profile != NULL ? x->batch->profile : "",
                 t->advertiser_id, x->batch->profile != NULL ? x->batch->profile : "NAME");
    else if (tt_coverage_is_target_failure(e))
        snprintf(t->fix, sizeof(t->fix), "profile %s's TikTok user has no role on Ad Account "
                 "%s (TikTok 40106); an Admin of that account must grant this user the Admin "
                 "or Operator role, or re-authorize the profile as a user who has one; the "
                 "next delivery then catches this Ad Account up",
                 x->batch->profile != NULL ? x->batch->profile : "", t->advertiser_id);
    else if (dead)
        snprintf(t->fix, sizeof(t->fix), "audience %s in Ad Account %s can no longer be "
                 "delivered to (%s); connections are immutable, so create a new connection "
                 "for this Ad Account (the others keep theirs)",
                 t->audience_id[0] ? t->audience_id : t->name, t->advertiser_id, e->code);
    else
        snprintf(t->fix, sizeof(t->fix), "%.300s; once that is fixed the next delivery "
                 "catches this Ad Account up with everything it missed",
                 e->message[0] ? e->message : "fix access to the Ad Account");
}

static int is_dead(const aconn_error *e)
{
    return strcmp(e->code, "audience_not_found") == 0 ||
           strcmp(e->code, "unsupported_calculate_type") == 0 ||
           strcmp(e->remote_code, "40007") == 0;
}

int tt_health_absorb(tt_apply_ctx *x, tt_dest *t)
{
    const aconn_error *e = &t->err;
    int dead = is_dead(e);
    /* Permanent covers TikTok's 40106 about this account: the target's
       failure already scoped by tt_apply_target_fail (tt_coverage.h). */
    int per_account = ACONN_STATUS_IS_PERMANENT(t->status);

    if (!per_account && !dead)
        return 0;
    if (t->health == TT_HEALTH_OK || t->health == TT_HEALTH_CATCH_UP) {
        if (t->health == TT_HEALTH_OK) {
            t->since_ms = x->host->now_ms(x->host->ctx);
            /* A target that never had an audience misses every row. */
            t->since_seq = x->full_refresh || t->audience_id[0] == '\0'
                               ? 1 : x->batch->run_first_seq;
        }
    }
    t->health = dead ? TT_HEALTH_DEAD : TT_HEALTH_BEHIND;
    /* Never created for want of access: the try that failed counts as
       the access probe (probe_new waits TT_HEALTH_PROBE_MS from here). */
    if (!dead && t->audience_id[0] == '\0' && tt_coverage_is_target_failure(e))
        tt_health_probed(x, t);
    ACONN_STRSET(t->reason, e->code[0] ? e->code : aconn_status_name(t->status));
    fix_for(x, t, e, dead);
    t->outcome = dead ? "dead" : "behind";
    return 1;
}

void tt_health_reachable(tt_apply_ctx *x, tt_dest *t)
{
    (void) x;
    if (t->health == TT_HEALTH_BEHIND)
        t->health = TT_HEALTH_CATCH_UP;
}

aconn_status tt_health_save(tt_apply_ctx *x, tt_dest *t, aconn_error *err)
{
    char key[TT_DKEY_MAX];
    json_object *v;
    aconn_status st;

    if (key_of(x, t, key, sizeof(key)) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_id", NULL, "id too long");
    if (t->health == TT_HEALTH_OK)
        return t->health_was == TT_HEALTH_OK ? ACONN_OK : tt_kv_put(x->host, key, NULL, err);
    v = json_object_new_object();
    if (v == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    json_object_object_add(v, "state", json_object_new_string(tt_health_name(t->health)));
    json_object_object_add(v, "since_ms", json_object_new_int64(t->since_ms));
    json_object_object_add(v, "since_seq", json_object_new_int64((int64_t) t->since_seq));
    json_object_object_add(v, "reason", json_object_new_string(t->reason));
    json_object_object_add(v, "fix", json_object_new_string(t->fix));
    if (t->probed_ms > 0) {
        json_object_object_add(v, "probed_ms", json_object_new_int64(t->probed_ms));
        json_object_object_add(v, "access_ver", json_object_new_int64((int64_t) t->access_ver));
    }
    st = tt_kv_put(x->host, key, v, err);
    json_object_put(v);
    return st;
}
