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

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "mock_host.h"
#include "ts.h"
#include "ts_cunit.h"

#include "delivery/tt_early.h"
#include "delivery/tt_runrec.h"

/* A table that forwards to the mock and counts calls made on any thread
   but the one that runs the test. */
static mock_host *mock;
static pthread_t main_thread;
static atomic_int off_thread, calls;

static void note(void)
{
    atomic_fetch_add(&calls, 1);
    if (!pthread_equal(pthread_self(), main_thread))
        atomic_fetch_add(&off_thread, 1);
}

static void w_log(void *c, int32_t l, const char *m) { note(); mock->host.log(c, l, m); }
static const char *w_option(void *c, const char *n) { note(); return mock->host.option(c, n); }
static int64_t w_now(void *c) { note(); return mock->host.now_ms(c); }
static int32_t w_cancelled(void *c) { note(); return mock->host.cancelled(c); }

static aconn_status w_secret_get(void *c, const char *n, char *b, size_t bl, size_t *l)
{
    note();
    return mock->host.secret_get(c, n, b, bl, l);
}

static aconn_status w_secret_put(void *c, const char *n, const char *v, size_t l)
{
    note();
    return mock->host.secret_put(c, n, v, l);
}

static aconn_status w_state_get(void *c, const char *k, char *b, size_t bl, size_t *l,
                                uint64_t *v)
{
    note();
    return mock->host.state_get(c, k, b, bl, l, v);
}

static aconn_status w_state_cas(void *c, const char *k, uint64_t e, const char *v, size_t l,
                                uint64_t *nv)
{
    note();
    return mock->host.state_cas(c, k, e, v, l, nv);
}

static aconn_status w_pace(void *c, const char *k, uint32_t n, uint32_t f, int64_t *w)
{
    note();
    return mock->host.pace(c, k, n, f, w);
}

static struct {
    ts_sandbox *sb;
    char *token;
    tt_settings_id adv;
} sbx;

static int sandbox_up(void)
{
    ts_sandbox_opts o;
    json_object *w;
    const char *user, *adv;

    ts_sandbox_opts_init(&o);
    if (ts_sandbox_start(&o, &sbx.sb) != 0)
        return -1;
    w = ts_sandbox_world(sbx.sb);
    user = ts_world_get(w, "users.0.user_id");
    adv = user != NULL ? ts_world_advertiser(w, user, "ADMIN") : NULL;
    if (adv == NULL || ts_sandbox_authorize(sbx.sb, user, &sbx.token) != 0) {
        json_object_put(w);
        return -1;
    }
    snprintf(sbx.adv, sizeof(sbx.adv), "%s", adv);
    json_object_put(w);
    return 0;
}

static int sandbox_down(void)
{
    free(sbx.token);
    return ts_sandbox_stop(sbx.sb) == 0 ? 0 : -1;
}

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
    wrap = mock->host;
    wrap.log = w_log;
    wrap.option = w_option;
    wrap.now_ms = w_now;
    wrap.cancelled = w_cancelled;
    wrap.secret_get = w_secret_get;
    wrap.secret_put = w_secret_put;
    wrap.state_get = w_state_get;
    wrap.state_cas = w_state_cas;
    wrap.pace = w_pace;
    main_thread = pthread_self();
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
    atomic_store(&off_thread, 0);
    atomic_store(&calls, 0);
    /* Several full files, the thread started on the first. */
    for (int i = 0; i < 300; i++) {
        tt_spool_id id;

        record(&id, i);
        CU_ASSERT_EQUAL_FATAL(tt_spool_add_record(sp, TT_SPOOL_ADD, &id, 1, &err), ACONN_OK);
        tt_early_poll(e);
    }
    tt_early_join(e);
    CU_ASSERT(atomic_load(&calls) > 0);
    CU_ASSERT(mock->pace_grants > 0);            /* its requests were paced */
    CU_ASSERT(strstr(mock->log, "uploading full spool file") != NULL);
    CU_ASSERT_EQUAL(atomic_load(&off_thread), 0);
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
