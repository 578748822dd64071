/*
 * test_fit.c - tt_fit: room for the audiences a connection creates, and
 * the existing audiences the connector can fill (owned, customer file,
 * a SHA-256 or MULTIPLE_TYPES calculate_type).
 */
#include <config.h>

#include <string.h>

#include <CUnit/Basic.h>

#include "settings/tt_fit.h"
#include "ts_cunit.h"

#define ADV "7212000000000000004"

typedef struct errs {
    aconn_error items[4];
    aconn_error_list list;
} errs;

static void errs_init(errs *e)
{
    memset(e, 0, sizeof(*e));
    e->list = (aconn_error_list){sizeof(e->list), sizeof(aconn_error), 4, 0, e->items};
}

static void test_new_audiences(void)
{
    tt_settings *s = NULL;

    CU_ASSERT_EQUAL_FATAL(tt_settings_parse("{\"connection_type\":\"new\",\"audience_name\":\"A\","
                                            "\"create_new_for\":[\"" ADV "\"]}", &s, NULL),
                          ACONN_OK);
    CU_ASSERT_EQUAL(tt_fit_new_audiences(s), 1);
    tt_settings_free(s);
    CU_ASSERT_EQUAL_FATAL(tt_settings_parse("{\"connection_type\":\"new\",\"audience_name\":\"A\","
                                            "\"create_new_for\":[\"" ADV "\"],"
                                            "\"audience_per_identifier_type\":true}", &s, NULL),
                          ACONN_OK);
    CU_ASSERT_EQUAL(tt_fit_new_audiences(s), 4);
    tt_settings_free(s);
}

static void test_room(void)
{
    errs e;

    errs_init(&e);
    CU_ASSERT_EQUAL(tt_fit_room(ADV, "create_new_for[0]", 398, 1, &e.list), 1);
    CU_ASSERT_EQUAL(tt_fit_room(ADV, "create_new_for[0]", 399, 1, &e.list), 1);
    CU_ASSERT_EQUAL(tt_fit_room(ADV, "create_new_for[0]", 396, 4, &e.list), 1);
    CU_ASSERT_EQUAL(e.list.count, 0);

    CU_ASSERT_EQUAL(tt_fit_room(ADV, "create_new_for[1]", 398, 4, &e.list), 0);
    CU_ASSERT_EQUAL_FATAL(e.list.count, 1);
    CU_ASSERT_EQUAL(e.items[0].status, ACONN_ERR_LIMIT);
    CU_ASSERT_STRING_EQUAL(e.items[0].code, "audience_limit");
    CU_ASSERT_STRING_EQUAL(e.items[0].field, "create_new_for[1]");
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "Ad Account " ADV " already has 398"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "creates 4 more"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "limit is 400"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "delete at least 2 audiences"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "leave audience_per_identifier_type out"));

    CU_ASSERT_EQUAL(tt_fit_room(ADV, "create_new_for[0]", 400, 1, &e.list), 0);
    CU_ASSERT_EQUAL_FATAL(e.list.count, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[1].message, "already has 400 custom audiences"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[1].message, "delete at least 1 audiences"));
    CU_ASSERT_PTR_NULL(strstr(e.items[1].message, "audience_per_identifier_type"));
}

static void test_calc_types(void)
{
    static const char *const ok[] = {"EMAIL_SHA256", "PHONE_SHA256", "IDFA_SHA256",
                                     "GAID_SHA256", "FIRST_SHA256", "MAID_SHA256",
                                     "MULTIPLE_TYPES"};
    static const char *const bad[] = {"EMAIL_MD5", "PHONE_MD5", "IDFA_MD5", "GAID_MD5",
                                      "FIRST_MD5", "MAID_MD5", "FIRST_NORMAL", "email_sha256",
                                      "", "EMAIL_SHA256 "};

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        CU_ASSERT(tt_fit_calc_accepted(ok[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT(!tt_fit_calc_accepted(bad[i]));
    CU_ASSERT(!tt_fit_calc_accepted(NULL));

    CU_ASSERT(tt_fit_is_customer_file("Customer File Audience"));
    CU_ASSERT(tt_fit_is_customer_file("Customer File"));
    CU_ASSERT(tt_fit_is_customer_file("CUSTOMER_FILE"));
    CU_ASSERT(tt_fit_is_customer_file(NULL));
    CU_ASSERT(!tt_fit_is_customer_file("Lookalike"));
    CU_ASSERT(!tt_fit_is_customer_file("Partner"));
    CU_ASSERT(!tt_fit_is_customer_file("Engagement"));
    CU_ASSERT(!tt_fit_is_customer_file("Customer"));
}

static void check_refused(tt_audience *a, const char *code, const char *part)
{
    errs e;

    errs_init(&e);
    CU_ASSERT_EQUAL(tt_fit_existing(a, ADV, "existing_audiences." ADV "[2]", &e.list), 0);
    CU_ASSERT_EQUAL_FATAL(e.list.count, 1);
    CU_ASSERT_STRING_EQUAL(e.items[0].code, code);
    CU_ASSERT_STRING_EQUAL(e.items[0].field, "existing_audiences." ADV "[2]");
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "audience 7400000000000000009"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "Ad Account " ADV));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, part));
    CU_ASSERT_PTR_NOT_NULL(strstr(e.items[0].message, "create_new_for"));
}

static void test_existing(void)
{
    /* tt_audience owns its strings: give it writable ones. */
    char id[] = "7400000000000000009", name[] = "Buyers", multi[] = "MULTIPLE_TYPES",
         maid[] = "MAID_SHA256", email[] = "EMAIL_SHA256", md5[] = "IDFA_MD5",
         list_type[] = "Customer File Audience", get_type[] = "Customer File",
         lookalike[] = "Lookalike";
    tt_audience a = {.audience_id = id, .name = name, .calculate_type = multi,
                     .audience_type = list_type, .is_creator = 1};
    errs e;

    errs_init(&e);
    CU_ASSERT_EQUAL(tt_fit_existing(&a, ADV, "x", &e.list), 1);
    a.calculate_type = maid;
    a.audience_type = get_type;
    CU_ASSERT_EQUAL(tt_fit_existing(&a, ADV, "x", &e.list), 1);
    a.audience_type = NULL;
    CU_ASSERT_EQUAL(tt_fit_existing(&a, ADV, "x", &e.list), 1);
    CU_ASSERT_EQUAL(e.list.count, 0);

    a.calculate_type = md5;
    check_refused(&a, "audience_type_unsupported", "takes IDFA_MD5 identifiers");
    a.calculate_type = NULL;
    check_refused(&a, "audience_type_unsupported", "reports no calculate_type");
    a.calculate_type = email;
    a.audience_type = lookalike;
    check_refused(&a, "audience_not_customer_file", "is a Lookalike audience");
    /* Shared to the account: refused whatever its type. */
    a.is_creator = 0;
    check_refused(&a, "audience_not_owned", "only the owner");
    a.audience_type = list_type;
    check_refused(&a, "audience_not_owned", "shared to Ad Account");
}

int main(void)
{
    static const ts_test tests[] = {
        {"audiences a connection creates", test_new_audiences},
        {"room under 400", test_room},
        {"accepted calculate_types and customer-file types", test_calc_types},
        {"existing audiences refused or accepted", test_existing},
    };
    static const ts_suite suites[] = {
        {"tt_fit", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
