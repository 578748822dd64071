/*
 * test_delivery.c - unit tests of the delivery half: the update budget, the
 * run record, the create intent and adoption after a lost answer, and the
 * run report. The state store is the mock host's (real compare-and-set
 * versions); TikTok is the sandbox over HTTPS on loopback.
 *
 * Each test names in its comment the mistake it catches.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>

#include "delivery_fixture.h"
#include "mock_host.h"
#include "ts.h"
#include "ts_cunit.h"

#include "common/tt_kv.h"
#include "delivery/tt_budget.h"
#include "delivery/tt_create.h"
#include "delivery/tt_dkeys.h"
#include "delivery/tt_report.h"
#include "delivery/tt_runrec.h"
#include "tiktok/tt_api.h"

/* ---- budget ------------------------------------------------------------ */

/*
 * TikTok allows 24 updates per Ad Account per day: the 24th is reserved,
 * the 25th deferred with a wait. Catches a limit of 25 (TikTok would refuse
 * the 25th), an off-by-one in the counter, and a deferral without
 * retry_after_ms (the host would retry at once). Tolerant of how the window
 * is kept (UTC day or rolling): it only counts, and looks again more than
 * a day later.
 */
static void test_budget_24_then_deferred(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;
    int i, granted = 0;

    CU_ASSERT_EQUAL(TT_BUDGET_UPDATES_PER_DAY, 24);
    for (i = 0; i < TT_BUDGET_UPDATES_PER_DAY; i++) {
        mock_error_init(&err);
        if (tt_budget_reserve(&m->host, ADV, m->now_ms + i, TT_BUDGET_UPDATES_PER_DAY, &err)
            == ACONN_OK)
            granted++;
    }
    CU_ASSERT_EQUAL(granted, 24);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&m->host, ADV, m->now_ms + 30, TT_BUDGET_UPDATES_PER_DAY,
                                      &err), ACONN_RETRY_DEFERRED);
    CU_ASSERT(err.retry_after_ms > 0);
    CU_ASSERT(err.retry_after_ms <= 26 * 60 * 60 * 1000LL);
    /* Another Ad Account has its own budget. */
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&m->host, "7100000000000000002", m->now_ms + 31,
                                      TT_BUDGET_UPDATES_PER_DAY, &err), ACONN_OK);
    /* Two days later the account may update again. */
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_budget_reserve(&m->host, ADV, m->now_ms + 2 * DAY_MS,
                                      TT_BUDGET_UPDATES_PER_DAY, &err), ACONN_OK);
    mock_host_free(m);
}

/*
 * A reservation that cannot be written is not granted. Catches a budget
 * that counts in memory only (eight workers would each spend 24).
 */
static void test_budget_store_failure(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    mock_error_init(&err);
    m->fail_state_cas = 100;
    CU_ASSERT_NOT_EQUAL(tt_budget_reserve(&m->host, ADV, m->now_ms, TT_BUDGET_UPDATES_PER_DAY,
                                          &err), ACONN_OK);
    mock_host_free(m);
}

/* ---- run record ---------------------------------------------------------- */

/*
 * What one attempt recorded, the next attempt of the run sees: the upload's
 * file_path and the done operation. Catches progress kept only in memory
 * (a crash would upload and update again) and a record under another key.
 */
static void test_runrec_survives_restart(void)
{
    fixture f;
    aconn_error err;
    char key[TT_DKEY_MAX];

    fixture_init(&f);
    mock_error_init(&err);
    CU_ASSERT_EQUAL_FATAL(tt_runrec_load(&f.x, &err), ACONN_OK);
    CU_ASSERT_PTR_NULL(tt_runrec_upload(&f.x, ADV "|EMAIL_SHA256|md5"));
    CU_ASSERT_EQUAL(tt_runrec_mark(&f.x, "uploads", ADV "|EMAIL_SHA256|md5", "fp-1", &err),
                    ACONN_OK);
    CU_ASSERT_EQUAL(tt_runrec_mark(&f.x, "uploads", "7100000000000000002|EMAIL_SHA256|md5",
                                   "fp-2", &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_runrec_mark(&f.x, "done", ADV "|a1|APPEND", NULL, &err), ACONN_OK);
    tt_dkey_run(key, sizeof(key), CID, RUN);
    CU_ASSERT_PTR_NOT_NULL(mock_host_state(f.m, key));

    fixture_restart(&f);
    CU_ASSERT_EQUAL_FATAL(tt_runrec_load(&f.x, &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(tt_runrec_upload(&f.x, ADV "|EMAIL_SHA256|md5"), "fp-1");
    CU_ASSERT(tt_runrec_is_done(&f.x, ADV "|a1|APPEND"));
    CU_ASSERT(!tt_runrec_is_done(&f.x, ADV "|a1|REMOVE"));
    /* TikTok lost ADV's files: only ADV's are forgotten. */
    CU_ASSERT_EQUAL(tt_runrec_forget_uploads(&f.x, ADV, &err), ACONN_OK);
    CU_ASSERT_PTR_NULL(tt_runrec_upload(&f.x, ADV "|EMAIL_SHA256|md5"));
    CU_ASSERT_STRING_EQUAL(tt_runrec_upload(&f.x, "7100000000000000002|EMAIL_SHA256|md5"),
                           "fp-2");
    /* A finished run leaves no record behind. */
    tt_runrec_drop(&f.x);
    CU_ASSERT_PTR_NULL(mock_host_state(f.m, key));
    fixture_free(&f);
}

/*
 * Two workers on one connection: the second writer's save conflicts and it
 * stops with a retry. Catches a blind overwrite (the two would each upload
 * and update, and one's progress would be lost).
 */
static void test_runrec_second_writer_stops(void)
{
    fixture a, b;
    aconn_error err;

    fixture_init(&a);
    b = a;                       /* the same store, another context */
    b.x.c = &b.conn;
    b.x.files = &b.files;
    b.x.batch = &b.batch;
    b.x.run = NULL;
    mock_error_init(&err);
    CU_ASSERT_EQUAL_FATAL(tt_runrec_load(&a.x, &err), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(tt_runrec_load(&b.x, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_runrec_mark(&a.x, "done", "x", NULL, &err), ACONN_OK);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_runrec_mark(&b.x, "done", "y", NULL, &err), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(err.code, "concurrent_run");
    json_object_put(b.x.run);
    fixture_free(&a);
}

/* ---- create intent and adoption (sandbox) ------------------------------ */

static size_t count_named(api_fixture *a, const char *name)
{
    tt_audience_list l;
    aconn_error err;
    size_t i, n = 0;

    mock_error_init(&err);
    if (tt_api_audience_list(&a->api, sbx.adv, &l, &err) != ACONN_OK)
        return (size_t) -1;
    for (i = 0; i < l.count; i++)
        n += l.items[i].name != NULL && strcmp(l.items[i].name, name) == 0;
    tt_audience_list_free(&l);
    return n;
}

/* The intent an attempt leaves when it crashed or lost the create's answer. */
static void put_intent(api_fixture *a, const tt_dest *t, const char *pre_id,
                       int64_t started_ms, int64_t unsettled_ms)
{
    char key[TT_DKEY_MAX];
    json_object *in = json_object_new_object(), *pre = json_object_new_array();
    aconn_error err;

    json_object_object_add(in, "name", json_object_new_string(t->name));
    json_object_object_add(in, "started_at_ms", json_object_new_int64(started_ms));
    json_object_object_add(in, "run_id", json_object_new_string(RUN));
    if (pre_id != NULL)
        json_object_array_add(pre, json_object_new_string(pre_id));
    json_object_object_add(in, "preexisting", pre);
    if (unsettled_ms > 0)
        json_object_object_add(in, "unsettled_at_ms", json_object_new_int64(unsettled_ms));
    tt_dkey_intent(key, sizeof(key), CID, t->advertiser_id, t->slot);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_kv_put(&a->f.m->host, key, in, &err), ACONN_OK);
    json_object_put(in);
}

static void new_target(tt_dest *t, const char *name)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->advertiser_id, sizeof(t->advertiser_id), "%s", sbx.adv);
    snprintf(t->calc, sizeof(t->calc), "EMAIL_SHA256");
    snprintf(t->name, sizeof(t->name), "%s", name);
    snprintf(t->slot, sizeof(t->slot), "multiple_types");
    t->is_new = 1;
}

/*
 * The create's answer was lost but TikTok made the audience. The next
 * attempt adopts it, not the marketer's audience of the same name listed
 * before the create, claims it, drops the intent
 * and sends no second create. Catches adopting by name alone (a marketer's
 * audience taken over), a second create (two audiences), and an intent or
 * claim left unwritten (the next run would look again, or another
 * connection could take it).
 */
static void test_adopt_after_lost_create(void)
{
    api_fixture a;
    tt_dest t;
    aconn_error err;
    char marketer[32], ours[32], key[TT_DKEY_MAX];
    const char *v;

    CU_ASSERT_EQUAL_FATAL(api_fixture_init(&a), 0);
    new_target(&t, "Unit adopt");
    CU_ASSERT_EQUAL_FATAL(make_audience(&a, t.name, marketer), 0);
    put_intent(&a, &t, marketer, a.f.m->now_ms, a.f.m->now_ms - 1000);
    /* Before the lost create shows up, only the marketer's has the name:
       it is not taken, and nothing is created yet. */
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_create_audience(&a.f.x, &t, &err), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(t.audience_id, "");
    CU_ASSERT_EQUAL_FATAL(make_audience(&a, t.name, ours), 0);   /* the lost create */

    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_create_audience(&a.f.x, &t, &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(t.audience_id, ours);
    CU_ASSERT_PTR_NOT_NULL(strstr(t.ops, "ADOPT"));
    CU_ASSERT_PTR_NULL(strstr(t.ops, "CREATE"));
    CU_ASSERT_EQUAL(count_named(&a, t.name), 2);
    tt_dkey_claim(key, sizeof(key), sbx.adv, ours);
    v = mock_host_state(a.f.m, key);
    CU_ASSERT(v != NULL && strstr(v, CID) != NULL);
    tt_dkey_claim(key, sizeof(key), sbx.adv, marketer);
    CU_ASSERT_PTR_NULL(mock_host_state(a.f.m, key));
    tt_dkey_intent(key, sizeof(key), CID, sbx.adv, t.slot);
    CU_ASSERT_PTR_NULL(mock_host_state(a.f.m, key));
    tt_dkey_audience(key, sizeof(key), CID, sbx.adv, t.slot);
    v = mock_host_state(a.f.m, key);
    CU_ASSERT(v != NULL && strstr(v, ours) != NULL);
    api_fixture_free(&a);
}

/*
 * The audience with the name is another connection's (claimed), or was
 * made long before the intent: neither is adopted, and while the lost
 * create may still appear (TT_SETTLE_MS) nothing is created either: a
 * retry with a wait. Catches adopting a claimed audience (two connections
 * writing one audience), ignoring the intent's time, and creating again
 * at once (a duplicate when the first create lands late).
 */
static void test_no_adopt_and_no_second_create_while_unsettled(void)
{
    api_fixture a;
    tt_dest t;
    aconn_error err;
    char other[32], key[TT_DKEY_MAX];
    json_object *owner = json_object_new_string("c_other");

    CU_ASSERT_EQUAL_FATAL(api_fixture_init(&a), 0);
    new_target(&t, "Unit claimed");
    CU_ASSERT_EQUAL_FATAL(make_audience(&a, t.name, other), 0);
    tt_dkey_claim(key, sizeof(key), sbx.adv, other);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_kv_put(&a.f.m->host, key, owner, &err), ACONN_OK);
    json_object_put(owner);
    put_intent(&a, &t, NULL, a.f.m->now_ms, a.f.m->now_ms - 1000);

    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_create_audience(&a.f.x, &t, &err), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(err.code, "create_unsettled");
    CU_ASSERT(err.retry_after_ms > 0 && err.retry_after_ms <= TT_SETTLE_MS);
    CU_ASSERT_STRING_EQUAL(t.audience_id, "");
    CU_ASSERT_EQUAL(count_named(&a, t.name), 1);

    /* An audience of the name made a day and more before the intent. */
    new_target(&t, "Unit claimed");
    snprintf(t.slot, sizeof(t.slot), "email");
    tt_dkey_claim(key, sizeof(key), sbx.adv, other);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_kv_put(&a.f.m->host, key, NULL, &err), ACONN_OK);
    put_intent(&a, &t, NULL, a.f.m->now_ms + TT_CREATE_SKEW_MS + 2 * DAY_MS,
               a.f.m->now_ms - 1000);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_create_audience(&a.f.x, &t, &err), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(t.audience_id, "");
    api_fixture_free(&a);
}

/* ---- report ------------------------------------------------------------ */

typedef struct capture {
    char *text;
    size_t len;
} capture;

static aconn_status capture_write(void *ctx, const char *data, size_t len)
{
    capture *c = ctx;
    char *p = realloc(c->text, c->len + len + 1);

    if (p == NULL)
        return ACONN_ERR_FATAL;
    memcpy(p + c->len, data, len);
    c->len += len;
    p[c->len] = '\0';
    c->text = p;
    return ACONN_OK;
}

/*
 * The report says per target what happened and why, and for a deferred one
 * the code and message the person needs. Catches a report that drops a
 * failed target, loses its reason, or does not parse as JSON.
 */
static void test_report_targets(void)
{
    fixture f;
    tt_dest t[2];
    capture cap = {NULL, 0};
    aconn_output out = {.struct_size = sizeof(out), .ctx = &cap, .write = capture_write};
    json_object *r, *ta, *e, *v;

    fixture_init(&f);
    memset(t, 0, sizeof(t));
    snprintf(t[0].advertiser_id, sizeof(t[0].advertiser_id), ADV);
    snprintf(t[0].audience_id, sizeof(t[0].audience_id), "7200000000000000001");
    snprintf(t[0].calc, sizeof(t[0].calc), "EMAIL_SHA256");
    t[0].outcome = "applied";
    snprintf(t[0].ops, sizeof(t[0].ops), "APPEND");
    t[0].cover_num = -1;
    t[0].is_valid = -1;
    snprintf(t[1].advertiser_id, sizeof(t[1].advertiser_id), "7100000000000000002");
    snprintf(t[1].audience_id, sizeof(t[1].audience_id), "7200000000000000002");
    snprintf(t[1].calc, sizeof(t[1].calc), "EMAIL_SHA256");
    t[1].outcome = "deferred";
    t[1].status = ACONN_RETRY_DEFERRED;
    t[1].cover_num = -1;
    t[1].is_valid = -1;
    mock_error_init(&t[1].err);
    aconn_error_set(&t[1].err, ACONN_RETRY_DEFERRED, "update_budget", NULL,
                    "24 updates used today");
    f.x.targets = t;
    f.x.ntargets = 2;
    tt_report_write(&out, &f.x, ACONN_OK_PARTIAL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cap.text);
    r = json_tokener_parse(cap.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT(json_object_object_get_ex(r, "run_id", &v)
              && strcmp(json_object_get_string(v), RUN) == 0);
    CU_ASSERT(json_object_object_get_ex(r, "status", &v)
              && strcmp(json_object_get_string(v), "ok_partial") == 0);
    CU_ASSERT_FATAL(json_object_object_get_ex(r, "targets", &ta)
                    && json_object_array_length(ta) == 2);
    e = json_object_array_get_idx(ta, 0);
    CU_ASSERT(json_object_object_get_ex(e, "outcome", &v)
              && strcmp(json_object_get_string(v), "applied") == 0);
    CU_ASSERT(!json_object_object_get_ex(e, "code", NULL));
    e = json_object_array_get_idx(ta, 1);
    CU_ASSERT(json_object_object_get_ex(e, "outcome", &v)
              && strcmp(json_object_get_string(v), "deferred") == 0);
    CU_ASSERT(json_object_object_get_ex(e, "code", &v)
              && strcmp(json_object_get_string(v), "update_budget") == 0);
    CU_ASSERT(json_object_object_get_ex(e, "message", &v)
              && strstr(json_object_get_string(v), "24 updates") != NULL);
    json_object_put(r);
    free(cap.text);
    fixture_free(&f);
}

int main(void)
{
    static const ts_test unit[] = {
        {"budget: 24 allowed, the 25th deferred", test_budget_24_then_deferred},
        {"budget: an unwritten reservation is refused", test_budget_store_failure},
        {"run record survives a restart", test_runrec_survives_restart},
        {"run record: a second writer stops", test_runrec_second_writer_stops},
        {"report: every target, with why", test_report_targets},
    };
    static const ts_test net[] = {
        {"adopt after a lost create", test_adopt_after_lost_create},
        {"no adoption, no second create while unsettled",
         test_no_adopt_and_no_second_create_while_unsettled},
    };
    static const ts_suite suites[] = {
        {"delivery", NULL, NULL, unit, sizeof unit / sizeof unit[0]},
        {"delivery with TikTok (sandbox)", sandbox_up, sandbox_down, net,
         sizeof net / sizeof net[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
