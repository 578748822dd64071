/*
 * test_inspect.c - the inspect entry point without a network: what a
 * person is told TikTok's fields mean, bad requests, a profile without a
 * token (re-authorize, nothing written, no state touched).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "delivery/tt_inspect.h"
#include "mock_host.h"
#include "ts_cunit.h"

#define NOW 1700000000000LL
#define SETTINGS "{\"connection_type\":\"new\",\"audience_name\":\"A\"," \
                 "\"create_new_for\":[\"7212000000000000001\"]}"

static void test_status_words(void)
{
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(1, 5000, NOW + 1000, NOW), "ready");
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(0, 0, NOW + 1000, NOW), "processing");
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(0, 4000, -1, NOW), "processing");
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(0, 999, NOW + 1000, NOW), "too_small");
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(0, 1, -1, NOW), "too_small");
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(0, 1000, NOW + 1, NOW), "processing");
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(0, 0, NOW, NOW), "expired");
    CU_ASSERT_STRING_EQUAL(tt_inspect_status(0, 5000, NOW - 1, NOW), "expired");
}

static aconn_status call(mock_host *m, const char *cid, const char *profile,
                         const char *settings, aconn_error *err)
{
    aconn_inspect_request req;

    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.connection_id = cid;
    req.profile = profile;
    req.settings_json = settings;
    mock_error_init(err);
    return tt_inspect(&m->host, &req, &m->out, err);
}

static void test_refusals(void)
{
    mock_host *m = mock_host_new();
    aconn_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mock_host_set_option(m, "api_base", "http://127.0.0.1:1");
    CU_ASSERT_EQUAL(call(m, NULL, "p1", SETTINGS, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(call(m, "c_1", "p/1", SETTINGS, &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.field, "profile");
    CU_ASSERT_EQUAL(call(m, "c_1", "p1", "{\"connection_type\":1}", &err), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(err.code, "invalid_settings");
    /* No token for the profile: re-authorize, naming it; nothing written. */
    CU_ASSERT_EQUAL(call(m, "c_1", "p1", SETTINGS, &err), ACONN_REAUTHORIZE);
    CU_ASSERT_PTR_NULL(m->output);
    CU_ASSERT_EQUAL(m->nstate, 0);   /* read-only: no state key was written */
    mock_host_free(m);
}

int main(void)
{
    static const ts_test tests[] = {
        {"TikTok's fields as a status word", test_status_words},
        {"bad requests; no token: re-authorize", test_refusals},
    };
    static const ts_suite suites[] = {
        {"inspect", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
