/* test_sandbox_inject.c: POST /sandbox/inject makes the sandbox answer the
 * next K matching TikTok requests with exactly the envelope asked for,
 * optionally after doing the work (a lost answer), and refuses bad specs
 * with a 400 that names the field. */
#include "test_sb_common.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "/open_api/v1.3/"

static int setup(void)
{
    return tsb_setup(NULL);
}

static int teardown(void)
{
    return tsb_teardown();
}

static long pending(void)
{
    json_object *o = tsb_ctl("/sandbox/inject"), *list = NULL;
    long n = -1;

    if (o != NULL && json_object_object_get_ex(o, "injections", &list)) {
        n = 0;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *c = NULL;
            json_object_object_get_ex(json_object_array_get_idx(list, i), "count", &c);
            n += (long)json_object_get_int64(c);
        }
    }
    json_object_put(o);
    return n;
}

static void t_next_k_answered(void)
{
    char q[256];

    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject",
                                 "{\"endpoint\":\"custom_audience/list\",\"code\":40100,"
                                 "\"message\":\"Too many requests. QPM limit.\",\"count\":2}"),
                    200);
    CU_ASSERT_EQUAL(pending(), 2);
    /* Another endpoint is not touched. */
    snprintf(q, sizeof q, API "advertiser/info/?advertiser_ids=[\"%s\"]", tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 0);
    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 40100);
    CU_ASSERT_EQUAL(pending(), 1);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 40100);
    CU_ASSERT_EQUAL(pending(), 0);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 0);
}

/* Any code, even one the sandbox never gives by itself. */
static void t_any_code(void)
{
    static const int codes[] = {20001, 40002, 40700, 40905, 40910, 50002, 61000, 40130};
    char q[256];

    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s", tsb.adv_admin);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char spec[256];
        snprintf(spec, sizeof spec, "{\"endpoint\":\"custom_audience/list\",\"code\":%d,"
                 "\"message\":\"m\"}", codes[i]);
        CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", spec), 200);
        CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), codes[i]);
    }
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, NULL), 0);
}

/* apply: the create is carried out, the answer is the error. */
static void t_apply_then_error(void)
{
    char fp[17] = "", id[32] = "", q[256];
    const char *paths[1] = {fp};
    json_object *data = NULL, *list = NULL;
    size_t before = 0, after = 0;

    CU_ASSERT_EQUAL(tsb_upload_range(tsb.adv_admin, 0, 1500, fp), 0);
    snprintf(q, sizeof q, API "dmp/custom_audience/list/?advertiser_id=%s&page_size=100",
             tsb.adv_admin);
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, &data), 0);
    if (data != NULL && json_object_object_get_ex(data, "list", &list)) {
        before = json_object_array_length(list);
    }
    json_object_put(data);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject",
                                 "{\"endpoint\":\"custom_audience/create\",\"code\":50002,"
                                 "\"message\":\"SYS_TIMEOUT\",\"apply\":true}"), 200);
    CU_ASSERT_EQUAL(tsb_create(tsb.adv_admin, "inject-apply", paths, 1, id), 50002);
    data = NULL;
    CU_ASSERT_EQUAL(tsb_get(q, tsb.token, &data), 0);
    if (data != NULL && json_object_object_get_ex(data, "list", &list)) {
        after = json_object_array_length(list);
    }
    json_object_put(data);
    CU_ASSERT_EQUAL(after, before + 1);
}

static void t_bad_specs_and_removal(void)
{
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "not json"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"code\":40100}"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"endpoint\":\"x\"}"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"endpoint\":\"x\",\"code\":\"1\"}"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"endpoint\":\"x\",\"code\":1,\"count\":-1}"),
                    400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"endpoint\":\"x\",\"code\":0}"), 400);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject",
                                 "{\"endpoint\":\"x\",\"code\":1,\"apply\":\"yes\"}"), 400);
    CU_ASSERT_EQUAL(pending(), 0);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"endpoint\":\"bc/get\",\"code\":50000,"
                                 "\"count\":5}"), 200);
    CU_ASSERT_EQUAL(pending(), 5);
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"endpoint\":\"bc/get\",\"code\":1,"
                                 "\"count\":0}"), 200);
    CU_ASSERT_EQUAL(pending(), 0);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/", tsb.token, NULL), 0);
}

/* /sandbox/reset drops pending injections. */
static void t_reset_clears(void)
{
    CU_ASSERT_EQUAL(tsb_ctl_post("/sandbox/inject", "{\"endpoint\":\"bc/get\",\"code\":50000,"
                                 "\"count\":3}"), 200);
    CU_ASSERT_EQUAL(pending(), 3);
    CU_ASSERT_EQUAL(tsb_reset(), 0);
    CU_ASSERT_EQUAL(pending(), 0);
    CU_ASSERT_EQUAL(tsb_get(API "bc/get/", tsb.token, NULL), 0);
}

/* The public wording for a wrong app secret at the token exchange. */
static void t_exchange_wrong_secret(void)
{
    char body[512];

    snprintf(body, sizeof body, "{\"app_id\":\"%s\",\"secret\":\"wrong\",\"auth_code\":\"x\"}",
             tsb.app_id);
    CU_ASSERT_EQUAL(tsb_post(API "oauth2/access_token/", NULL, body, NULL), 40101);
}

int main(void)
{
    static const tsb_test tests[] = {
        {"the next K matching requests get the injected answer", t_next_k_answered},
        {"any code can be injected", t_any_code},
        {"apply: done, then answered with the error", t_apply_then_error},
        {"bad specs refused, count 0 removes", t_bad_specs_and_removal},
        {"wrong app secret at the exchange is 40101", t_exchange_wrong_secret},
        {"reset clears injections", t_reset_clears},
    };
    const ts_suite suites[] = {
        {"sandbox inject", setup, teardown, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
