/*
 * test_plan.c - unit tests of the plan (plugin/delivery/tt_targets.c):
 * which audiences a run delivers to. New audiences from the settings and
 * the ones this connection already created, the per-type layout, existing
 * audiences looked up once per Ad Account, dead targets never called,
 * behind targets probed and caught up, a deleted audience reported. The
 * state store is the mock host's; TikTok is the sandbox over HTTPS on
 * loopback (delivery_fixture.h).
 *
 * Each test names in its comment the mistake it catches.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "delivery_fixture.h"
#include "ts_cunit.h"

#include "common/tt_kv.h"
#include "delivery/tt_dkeys.h"
#include "delivery/tt_targets.h"
#include "settings/tt_settings.h"

#define ADV2 "7100000000000000002"
#define GET_EP "/open_api/v1.3/dmp/custom_audience/get/"

/* Parses settings into f's connection and gives x room for its targets. */
static void plan_setup(fixture *f, const char *settings, int per_type)
{
    CU_ASSERT_EQUAL_FATAL(tt_settings_parse(settings, &f->conn.settings, NULL), ACONN_OK);
    f->x.targets = calloc(16, sizeof(*f->x.targets));
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->x.targets);
    f->x.cap = 16;
    f->x.per_type = per_type;
}

/* Plans again from scratch, as the next run would. */
static aconn_status plan(fixture *f)
{
    aconn_error err;

    memset(f->x.targets, 0, f->x.cap * sizeof(*f->x.targets));
    f->x.ntargets = 0;
    mock_error_init(&err);
    return tt_targets_plan(&f->x, &err);
}

static void plan_free(fixture *f)
{
    tt_settings_free(f->conn.settings);
    free(f->x.targets);
    f->x.targets = NULL;
}

/* Writes a state value (JSON text) under key. */
static void put_json(fixture *f, const char *key, const char *json)
{
    json_object *v = json_tokener_parse(json);
    aconn_error err;

    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_kv_put(&f->m->host, key, v, &err), ACONN_OK);
    json_object_put(v);
}

/* Records target (adv, slot) of connection CID as `state` since row seq. */
static void put_health(fixture *f, const char *adv, const char *slot, const char *state,
                       uint64_t seq)
{
    char key[TT_DKEY_MAX], json[256];

    CU_ASSERT_EQUAL_FATAL(tt_dkey_target(key, sizeof(key), CID, adv, slot), 0);
    snprintf(json, sizeof(json), "{\"state\":\"%s\",\"since_ms\":1,\"since_seq\":%llu,"
             "\"reason\":\"r\",\"fix\":\"f\"}", state, (unsigned long long) seq);
    put_json(f, key, json);
}

/*
 * New audiences: one per Ad Account of create_new_for, MULTIPLE_TYPES,
 * named audience_name, not created yet; the next plan finds the audience
 * the connection created and the standing a target was left in. Catches a
 * missing or extra target, the wrong layout's slot (a second audience
 * would be created), an audience created before that is forgotten (a
 * duplicate), and a standing not loaded (a behind target fed like a
 * healthy one).
 */
static void test_new_targets(void)
{
    fixture f;
    char key[TT_DKEY_MAX];
    tt_dest *t;

    fixture_init(&f);
    plan_setup(&f, "{\"connection_type\":\"new\",\"audience_name\":\"Plan\","
                   "\"create_new_for\":[\"" ADV "\",\"" ADV2 "\"]}", 0);
    CU_ASSERT_EQUAL_FATAL(plan(&f), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(f.x.ntargets, 2);
    for (size_t i = 0; i < 2; i++) {
        t = &f.x.targets[i];
        CU_ASSERT_STRING_EQUAL(t->advertiser_id, i == 0 ? ADV : ADV2);
        CU_ASSERT(t->is_new);
        CU_ASSERT_STRING_EQUAL(t->slot, "multiple_types");
        CU_ASSERT_STRING_EQUAL(t->calc, "MULTIPLE_TYPES");
        CU_ASSERT_STRING_EQUAL(t->name, "Plan");
        CU_ASSERT_STRING_EQUAL(t->audience_id, "");
        CU_ASSERT_EQUAL(t->health, TT_HEALTH_OK);
    }

    CU_ASSERT_EQUAL_FATAL(tt_dkey_audience(key, sizeof(key), CID, ADV, "multiple_types"), 0);
    put_json(&f, key, "{\"audience_id\":\"7200000000000000009\"}");
    put_health(&f, ADV2, "multiple_types", "behind", 7);
    CU_ASSERT_EQUAL_FATAL(plan(&f), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(f.x.ntargets, 2);
    CU_ASSERT_STRING_EQUAL(f.x.targets[0].audience_id, "7200000000000000009");
    CU_ASSERT_EQUAL(f.x.targets[0].health, TT_HEALTH_OK);
    CU_ASSERT_STRING_EQUAL(f.x.targets[1].audience_id, "");
    CU_ASSERT_EQUAL(f.x.targets[1].health, TT_HEALTH_BEHIND);
    CU_ASSERT_EQUAL(f.x.targets[1].since_seq, 7);
    plan_free(&f);
    fixture_free(&f);
}

/*
 * Per-type layout: one audience per identifier type, "<name> (type)"; a
 * type with no file, no audience and no history is no target, one that
 * had an audience stays. Catches creating empty audiences for every type,
 * and dropping a type's audience because this run has no data for it
 * (its standing would be lost).
 */
static void test_per_type_targets(void)
{
    fixture f;
    tt_spool_file email = {0};
    char key[TT_DKEY_MAX];

    fixture_init(&f);
    email.kind = TT_ID_EMAIL_SHA256;
    f.files.items = &email;
    f.files.count = 1;
    plan_setup(&f, "{\"connection_type\":\"new\",\"audience_name\":\"Plan\","
                   "\"create_new_for\":[\"" ADV "\"]}", 1);
    CU_ASSERT_EQUAL_FATAL(plan(&f), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(f.x.ntargets, 1);
    CU_ASSERT_STRING_EQUAL(f.x.targets[0].slot, "email_sha256");   /* a state key part */
    CU_ASSERT_STRING_EQUAL(f.x.targets[0].calc, "EMAIL_SHA256");
    CU_ASSERT_STRING_EQUAL(f.x.targets[0].name, "Plan (email)");
    CU_ASSERT_EQUAL(f.x.targets[0].types, 1u << TT_ID_EMAIL_SHA256);

    CU_ASSERT_EQUAL_FATAL(tt_dkey_audience(key, sizeof(key), CID, ADV, "phone_sha256"), 0);
    put_json(&f, key, "{\"audience_id\":\"7200000000000000008\"}");
    CU_ASSERT_EQUAL_FATAL(plan(&f), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(f.x.ntargets, 2);
    CU_ASSERT_STRING_EQUAL(f.x.targets[1].slot, "phone_sha256");
    CU_ASSERT_STRING_EQUAL(f.x.targets[1].audience_id, "7200000000000000008");
    plan_free(&f);
    fixture_free(&f);
}

/* custom_audience/get requests the sandbox has answered so far. */
static long gets_so_far(void)
{
    char *url = ts_sandbox_url(sbx.sb, "/sandbox/requests"), *body = NULL;
    json_object *o = NULL, *by, *n;
    long status = 0, count = -1;

    if (url != NULL && ts_http_get(url, ts_sandbox_ca_file(sbx.sb), &status, &body) == 0
        && status == 200 && (o = json_tokener_parse(body)) != NULL
        && json_object_object_get_ex(o, "by_endpoint", &by))
        count = json_object_object_get_ex(by, GET_EP, &n) ? (long) json_object_get_int64(n) : 0;
    json_object_put(o);
    free(body);
    free(url);
    return count;
}

/* The sandbox fixture with two audiences made in sbx.adv (ids in a1, a2;
   name2 NULL: a2 is an id as given, made nowhere) and a plan set up for
   an "existing" connection updating both. */
static void existing_setup(api_fixture *a, const char *name1, const char *name2,
                           char a1[32], char a2[32])
{
    char settings[256];

    CU_ASSERT_EQUAL_FATAL(api_fixture_init(a), 0);
    CU_ASSERT_EQUAL_FATAL(make_audience(a, name1, a1), 0);
    if (name2 != NULL)
        CU_ASSERT_EQUAL_FATAL(make_audience(a, name2, a2), 0);
    snprintf(settings, sizeof(settings), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\",\"%s\"]}}", sbx.adv, a1, a2);
    plan_setup(&a->f, settings, 0);
}

/*
 * Existing audiences: one custom_audience/get for the Ad Account's two
 * audiences, each target taking its audience's calculate_type (cached in
 * the state, it never changes). Catches a call per audience (TikTok's
 * rate limit spent twice), a type not read (the wrong files sent), and a
 * cache not written (a call on every run for the spool kinds).
 */
static void test_existing_targets(void)
{
    api_fixture a;
    char a1[32], a2[32], key[TT_DKEY_MAX];
    long before;

    existing_setup(&a, "Plan existing 1", "Plan existing 2", a1, a2);
    before = gets_so_far();
    CU_ASSERT_FATAL(before >= 0);
    CU_ASSERT_EQUAL_FATAL(plan(&a.f), ACONN_OK);
    CU_ASSERT_EQUAL(gets_so_far(), before + 1);
    CU_ASSERT_EQUAL_FATAL(a.f.x.ntargets, 2);
    for (size_t i = 0; i < 2; i++) {
        tt_dest *t = &a.f.x.targets[i];
        CU_ASSERT_STRING_EQUAL(t->audience_id, i == 0 ? a1 : a2);
        CU_ASSERT(!t->is_new);
        CU_ASSERT_STRING_EQUAL(t->calc, "EMAIL_SHA256");
        CU_ASSERT_EQUAL(t->types, 1u << TT_ID_EMAIL_SHA256);
        CU_ASSERT_EQUAL(t->status, ACONN_OK);
        CU_ASSERT_EQUAL(t->health, TT_HEALTH_OK);
    }
    CU_ASSERT_EQUAL_FATAL(tt_dkey_calc(key, sizeof(key), sbx.adv, a1), 0);
    CU_ASSERT_PTR_NOT_NULL(mock_host_state(a.f.m, key));
    plan_free(&a.f);
    api_fixture_free(&a);
}

/*
 * A dead target is never called again (its audience is gone); a behind one
 * is asked about, and once TikTok answers it waits for its catch-up
 * (catch_up). With every audience of the account dead there is no call at
 * all. Catches asking TikTok about a dead audience (a 40007 would fail the
 * account's other audience), a behind target that never becomes catch_up
 * (it would miss its rows for ever), and a call with no id.
 */
static void test_dead_and_behind_targets(void)
{
    api_fixture a;
    char a1[32], a2[32], slot[40];
    long before;

    existing_setup(&a, "Plan dead", "Plan behind", a1, a2);
    snprintf(slot, sizeof(slot), "a%s", a1);
    put_health(&a.f, sbx.adv, slot, "dead", 1);
    snprintf(slot, sizeof(slot), "a%s", a2);
    put_health(&a.f, sbx.adv, slot, "behind", 3);
    before = gets_so_far();
    CU_ASSERT_EQUAL_FATAL(plan(&a.f), ACONN_OK);
    CU_ASSERT_EQUAL(gets_so_far(), before + 1);
    CU_ASSERT_EQUAL_FATAL(a.f.x.ntargets, 2);
    CU_ASSERT_EQUAL(a.f.x.targets[0].health, TT_HEALTH_DEAD);
    CU_ASSERT_STRING_EQUAL(a.f.x.targets[0].calc, "");   /* not asked about */
    CU_ASSERT_EQUAL(a.f.x.targets[1].health, TT_HEALTH_CATCH_UP);
    CU_ASSERT_EQUAL(a.f.x.targets[1].since_seq, 3);
    CU_ASSERT_STRING_EQUAL(a.f.x.targets[1].calc, "EMAIL_SHA256");

    put_health(&a.f, sbx.adv, slot, "dead", 3);
    before = gets_so_far();
    CU_ASSERT_EQUAL_FATAL(plan(&a.f), ACONN_OK);
    CU_ASSERT_EQUAL(gets_so_far(), before);
    CU_ASSERT_EQUAL(a.f.x.targets[0].health, TT_HEALTH_DEAD);
    CU_ASSERT_EQUAL(a.f.x.targets[1].health, TT_HEALTH_DEAD);
    plan_free(&a.f);
    api_fixture_free(&a);
}

/*
 * One audience of the account was deleted (or the id is wrong): that
 * target fails with audience_not_found and the fix, the other is served.
 * Catches one bad id failing the whole account (TikTok answers 40007 for
 * the whole get) and a missing audience passed as healthy.
 */
static void test_deleted_audience(void)
{
    api_fixture a;
    char a1[32], gone[32] = "7299999999999999999";

    existing_setup(&a, "Plan kept", NULL, a1, gone);
    CU_ASSERT_EQUAL_FATAL(plan(&a.f), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(a.f.x.ntargets, 2);
    CU_ASSERT_EQUAL(a.f.x.targets[0].status, ACONN_OK);
    CU_ASSERT_STRING_EQUAL(a.f.x.targets[0].calc, "EMAIL_SHA256");
    CU_ASSERT_NOT_EQUAL(a.f.x.targets[1].status, ACONN_OK);
    CU_ASSERT_STRING_EQUAL(a.f.x.targets[1].err.code, "audience_not_found");
    CU_ASSERT_PTR_NOT_NULL(strstr(a.f.x.targets[1].err.message, "7299999999999999999"));
    plan_free(&a.f);
    api_fixture_free(&a);
}

int main(void)
{
    static const ts_test unit[] = {
        {"new targets, then the audience created and the standing", test_new_targets},
        {"per type: no empty audiences, a type's audience kept", test_per_type_targets},
    };
    static const ts_test net[] = {
        {"existing targets: one get per Ad Account, type cached", test_existing_targets},
        {"dead never called, behind probed to catch_up", test_dead_and_behind_targets},
        {"a deleted audience fails alone", test_deleted_audience},
    };
    static const ts_suite suites[] = {
        {"plan", NULL, NULL, unit, sizeof unit / sizeof unit[0]},
        {"plan with TikTok (sandbox)", sandbox_up, sandbox_down, net,
         sizeof net / sizeof net[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
