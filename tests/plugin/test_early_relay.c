/*
 * test_early_relay.c - the early uploads' thread (delivery/tt_early.c)
 * calls no host service itself (aconn.h section 8): a host table that
 * notes the calling thread of every service sees each call on the thread
 * that drives the spool, as deliver_batch() does (tt_early_poll() between
 * records, tt_early_join() at the end), while the thread really opens its
 * session and uploads the full spool files to the sandbox over HTTPS.
 * Catches a thread that calls the host directly (its session open, pace,
 * backoff state, cancelled, log), and a join that waits for the thread
 * without running its calls (it would hang).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "delivery_fixture.h"
#include "mock_host.h"
#include "thread_host.h"
#include "ts.h"
#include "ts_cunit.h"

#include "delivery/tt_early.h"
#include "delivery/tt_runrec.h"

/* One record of one email digest, distinct for each i. */
static void record(tt_spool_id *id, int i)
{
    static const char hex[] = "0123456789abcdef";

    id->type = TT_ID_EMAIL_SHA256;
    for (int k = 0; k < TT_HEX_LEN; k++)
        id->hex[k] = hex[(i >> (4 * (k % 4))) & 15];
}

static void test_early_thread_relays(void)
{
    mock_host *mock;
    aconn_host wrap;
    aconn_error err;
    aconn_batch b = {.struct_size = sizeof(b)};
    tt_target target = {.create_new = 1};
    tt_settings s = {.connection_type = TT_CONNECTION_NEW, .ntargets = 1, .targets = &target};
    char cid[] = "c_early01", rid[] = "r_early01";
    tt_conn c = {.connection_id = cid, .run_id = rid, .settings = &s};
    tt_apply_ctx x = {.c = &c, .batch = &b};
    tt_early *e = NULL;
    tt_spool *sp = NULL;
    char dir[64];
    size_t early = 0;

    mock = mock_host_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(mock);
    mock_host_set_secret(mock, "token/unit", sbx.token);
    mock_host_set_option(mock, "api_base", ts_sandbox_base_url(sbx.sb));
    mock_host_set_option(mock, "ca_file", ts_sandbox_ca_file(sbx.sb));
    mock_host_enable_pace(mock, 0);
    thread_host_wrap(&wrap, mock);      /* after the pace: it is wrapped too */
    snprintf(target.advertiser_id, sizeof(target.advertiser_id), "%s", sbx.adv);
    b.connection_id = c.connection_id;
    b.run_id = c.run_id;
    b.profile = "unit";
    x.host = &wrap;
    CU_ASSERT_FATAL(ts_tmpdir_make(dir, sizeof(dir)) == 0);
    mock_error_init(&err);
    CU_ASSERT_EQUAL_FATAL(tt_early_new(&wrap, &c, &b, &e, &err), ACONN_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    tt_early_attach(e, &wrap, &b);
    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "r", 4096, &sp, &err), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(tt_spool_set_kinds(sp, TT_KIND_BIT(TT_KIND_MULTI), 1, &err),
                          ACONN_OK);
    tt_spool_on_full(sp, tt_early_file, e);
    thread_host_reset();
    /* Several full files, the thread started on the first. */
    for (int i = 0; i < 300; i++) {
        tt_spool_id id;

        record(&id, i);
        CU_ASSERT_EQUAL_FATAL(tt_spool_add_record(sp, TT_SPOOL_ADD, &id, 1, &err), ACONN_OK);
        tt_early_poll(e);
    }
    tt_early_join(e);
    CU_ASSERT(thread_host_calls() > 0);
    CU_ASSERT(mock->pace_grants > 0);            /* its requests were paced */
    CU_ASSERT(strstr(mock->log, "uploading full spool file") != NULL);
    CU_ASSERT_EQUAL(thread_host_off_thread(), 0);
    /* And the uploads worked: the apply would take them. */
    CU_ASSERT_EQUAL(tt_runrec_load(&x, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_early_record(e, &x, &early, &err), ACONN_OK);
    CU_ASSERT(early >= 2);
    tt_spool_abort(sp);
    tt_early_free(e);
    json_object_put(x.run);
    mock_host_free(mock);
    CU_ASSERT(ts_tmpdir_remove(dir) == 0);
}

int main(void)
{
    static const ts_test net[] = {
        {"early uploads: every host call on the spooling thread", test_early_thread_relays},
    };
    static const ts_suite suites[] = {
        {"early uploads (sandbox)", sandbox_up, sandbox_down, net, sizeof net / sizeof net[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
