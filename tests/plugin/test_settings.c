/* test_settings.c - quick settings: every rule, exact field paths and codes,
   immutability. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "identifiers/tt_ident.h"
#include "settings/tt_settings.h"
#include "settings/tt_validate.h"

#define A1 "7100000000000000001"
#define A2 "7100000000000000002"
#define B1 "7200000000000000001"
#define B2 "7200000000000000002"
#define NEW_OK "\"connection_type\":\"new\",\"audience_name\":\"Buyers\",\"create_new_for\":[\"" A1 "\"]"
#define EXISTING_OK "\"connection_type\":\"existing\",\"existing_audiences\":{\"" A1 "\":[\"" B1 "\"]}"

#define MAX_ERRS 16

typedef struct expect {
    const char *field, *code;
} expect;

typedef struct settings_case {
    const char *json;
    expect errs[10];          /* terminated by {NULL, NULL}; none = valid */
} settings_case;

/* Runs the validator and checks that exactly the expected (field, code)
   pairs were reported, in any order. */
static void run_case(const settings_case *tc)
{
    aconn_error items[MAX_ERRS];
    aconn_error_list list = {sizeof(list), sizeof(aconn_error), MAX_ERRS, 0, items};
    size_t nexp = 0, i, j;
    int used[MAX_ERRS] = {0};
    tt_settings *s = NULL;
    aconn_status st;

    while (tc->errs[nexp].field != NULL)
        nexp++;
    memset(items, 0, sizeof(items));
    st = tt_settings_parse(tc->json, &s, &list);
    CU_ASSERT_EQUAL(st, nexp == 0 ? ACONN_OK : ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(list.count, nexp);
    CU_ASSERT((s != NULL) == (nexp == 0));
    for (i = 0; i < nexp; i++) {
        int found = 0;
        for (j = 0; j < list.count && j < MAX_ERRS; j++) {
            if (!used[j] && strcmp(items[j].field, tc->errs[i].field) == 0
                && strcmp(items[j].code, tc->errs[i].code) == 0) {
                used[j] = found = 1;
                CU_ASSERT_EQUAL(items[j].status, ACONN_ERR_INVALID);
                CU_ASSERT(strlen(items[j].message) > 20);
                break;
            }
        }
        CU_ASSERT(found);
        if (!found)
            fprintf(stderr, "\nmissing %s/%s for %s\n", tc->errs[i].field,
                    tc->errs[i].code, tc->json);
    }
    if (list.count != nexp || st != (nexp == 0 ? ACONN_OK : ACONN_ERR_INVALID)) {
        fprintf(stderr, "\ncase %s: got %u errors:\n", tc->json, list.count);
        for (j = 0; j < list.count && j < MAX_ERRS; j++)
            fprintf(stderr, "  %s / %s: %s\n", items[j].field, items[j].code,
                    items[j].message);
    }
    tt_settings_free(s);
}

static void run_cases(const settings_case *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        run_case(&cases[i]);
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void test_valid(void)
{
    static const settings_case cases[] = {
        {"{" NEW_OK "}", {{NULL, NULL}}},
        {"{" EXISTING_OK "}", {{NULL, NULL}}},
        {" {\"connection_type\":\"both\",\"audience_name\":\"B\",\"create_new_for\":[\"" A1
         "\",\"" A2 "\"],\"existing_audiences\":{\"7100000000000000003\":[\"" B1 "\",\"" B2
         "\"]},\"historical_data_enabled\":false,\"deliver_all_data\":false,"
         "\"membership_duration_days\":30,\"accept_clear_text_emails\":true}\n",
         {{NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":1}", {{NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":365}", {{NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":30.0}", {{NULL, NULL}}},
        {"{" NEW_OK ",\"historical_data_enabled\":true,\"deliver_all_data\":true}", {{NULL, NULL}}},
        {"{" EXISTING_OK ",\"deliver_all_data\":false}", {{NULL, NULL}}},
        {"{\"connection_type\":\"new\",\"audience_name\":\"x\",\"create_new_for\":"
         "[\"9223372036854775807\",\"1\"]}", {{NULL, NULL}}},
    };
    RUN(cases);
}

static void test_invalid_json(void)
{
    static const settings_case cases[] = {
        {"", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\",}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{} x", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{} {}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{'connection_type':'new'}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"/* c */ {}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{\"audience_name\":\"\xff\"}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"[]", {{"", "wrong_type"}, {NULL, NULL}}},
        {"\"new\"", {{"", "wrong_type"}, {NULL, NULL}}},
        {"null", {{"", "wrong_type"}, {NULL, NULL}}},
        /* Strict JSON (issue 17): what json-c alone accepts or changes. */
        {"{" NEW_OK ",\"audience_name\":\"\xc0\xaf\"}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"audience_name\":\"\xed\xa0\x80\"}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\\u0000x\",\"audience_name\":\"A\",\"create_new_for\":"
         "[\"" A1 "\"]}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"audience_name\":\"\\udc00\"}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":30.}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":1.e2}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":00036.5e1}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":NaN}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":Infinity}", {{"", "invalid_json"}, {NULL, NULL}}},
        /* Numbers beyond a double become +-Infinity inside json-c: refused by
           a range check that holds for every double (#21). */
        {"{" NEW_OK ",\"membership_duration_days\":1e400}",
         {{"membership_duration_days", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":-1e400}",
         {{"membership_duration_days", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"audience_name\":\"a\tb\"}", {{"", "invalid_json"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"audience_name\":\"B\"}", {{"", "invalid_json"}, {NULL, NULL}}},
    };
    aconn_error items[2];
    aconn_error_list list = {sizeof(list), sizeof(aconn_error), 2, 0, items};

    RUN(cases);
    /* The position is in the message. */
    CU_ASSERT_EQUAL(tt_settings_parse("{\n  \"a\": tru }", NULL, &list), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL_FATAL(list.count, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(items[0].message, "line 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(items[0].message, "byte "));
    /* A strict refusal names its reason and position too. */
    list.count = 0;
    CU_ASSERT_EQUAL(tt_settings_parse("{\n \"membership_duration_days\": 30.}", NULL, &list),
                    ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL_FATAL(list.count, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(items[0].message, "line 2, column 30"));
    list.count = 0;
    CU_ASSERT_EQUAL(tt_settings_parse("{\"a\":1,\"a\":2}", NULL, &list), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL_FATAL(list.count, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(items[0].message, "duplicate_key"));
    list.count = 0;
    CU_ASSERT_EQUAL(tt_settings_parse(NULL, NULL, &list), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(list.count, 1);
    CU_ASSERT_STRING_EQUAL(items[0].code, "required");
}

static void test_connection_type_rules(void)
{
    static const settings_case cases[] = {
        {"{}", {{"connection_type", "required"}, {NULL, NULL}}},
        {"{\"connection_type\":\"old\"}", {{"connection_type", "out_of_range"}, {NULL, NULL}}},
        {"{\"connection_type\":\"NEW\"}", {{"connection_type", "out_of_range"}, {NULL, NULL}}},
        {"{\"connection_type\":1}", {{"connection_type", "wrong_type"}, {NULL, NULL}}},
        {"{\"connection_type\":null}", {{"connection_type", "wrong_type"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\"}",
         {{"audience_name", "required"}, {"create_new_for", "required"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\",\"audience_name\":\"a\"}",
         {{"create_new_for", "required"}, {NULL, NULL}}},
        {"{\"connection_type\":\"existing\"}", {{"existing_audiences", "required"}, {NULL, NULL}}},
        {"{\"connection_type\":\"both\"}",
         {{"audience_name", "required"}, {"create_new_for", "required"},
          {"existing_audiences", "required"}, {NULL, NULL}}},
        {"{\"connection_type\":\"both\",\"audience_name\":\"a\",\"create_new_for\":[\"" A1 "\"]}",
         {{"existing_audiences", "required"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"existing_audiences\":{\"" A2 "\":[\"" B1 "\"]}}",
         {{"existing_audiences", "conflict"}, {NULL, NULL}}},
        {"{" EXISTING_OK ",\"audience_name\":\"a\",\"create_new_for\":[\"" A2 "\"]}",
         {{"audience_name", "conflict"}, {"create_new_for", "conflict"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"foo\":1,\"Audience_name\":\"x\"}",
         {{"foo", "unknown_field"}, {"Audience_name", "unknown_field"}, {NULL, NULL}}},
    };
    RUN(cases);
}

static void test_audience_name(void)
{
    char name128[128 * 2 + 1], json[1024];
    settings_case tc = {json, {{NULL, NULL}}};
    int i;
    static const settings_case cases[] = {
        {"{\"connection_type\":\"new\",\"audience_name\":\"\",\"create_new_for\":[\"" A1 "\"]}",
         {{"audience_name", "empty"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\",\"audience_name\":5,\"create_new_for\":[\"" A1 "\"]}",
         {{"audience_name", "wrong_type"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\",\"audience_name\":null,\"create_new_for\":[\"" A1 "\"]}",
         {{"audience_name", "wrong_type"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\",\"audience_name\":\"a\\nb\",\"create_new_for\":[\"" A1 "\"]}",
         {{"audience_name", "invalid_characters"}, {NULL, NULL}}},
        /* A NUL is refused by the strict JSON reading, before any field. */
        {"{\"connection_type\":\"new\",\"audience_name\":\"a\\u0000b\",\"create_new_for\":[\"" A1 "\"]}",
         {{"", "invalid_json"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\",\"audience_name\":\"a\\u0085\",\"create_new_for\":[\"" A1 "\"]}",
         {{"audience_name", "invalid_characters"}, {NULL, NULL}}},
        {"{\"connection_type\":\"new\",\"audience_name\":\"a\\u007f\",\"create_new_for\":[\"" A1 "\"]}",
         {{"audience_name", "invalid_characters"}, {NULL, NULL}}},
    };

    RUN(cases);
    /* 128 two-byte code points fit; 129 do not, though 129 bytes would. */
    for (i = 0; i < 128; i++)
        memcpy(name128 + 2 * i, "\xc3\xa9", 2);
    name128[256] = '\0';
    snprintf(json, sizeof(json), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"" A1 "\"]}", name128);
    run_case(&tc);
    snprintf(json, sizeof(json), "{\"connection_type\":\"new\",\"audience_name\":\"%se\","
             "\"create_new_for\":[\"" A1 "\"]}", name128);
    tc.errs[0].field = "audience_name";
    tc.errs[0].code = "too_long";
    run_case(&tc);
}

static void test_create_new_for(void)
{
#define CNF(list) "{\"connection_type\":\"new\",\"audience_name\":\"a\",\"create_new_for\":" list "}"
    static const settings_case cases[] = {
        {CNF("[]"), {{"create_new_for", "empty"}, {NULL, NULL}}},
        {CNF("\"" A1 "\""), {{"create_new_for", "wrong_type"}, {NULL, NULL}}},
        {CNF("{}"), {{"create_new_for", "wrong_type"}, {NULL, NULL}}},
        {CNF("[7100000000000000001]"), {{"create_new_for[0]", "wrong_type"}, {NULL, NULL}}},
        {CNF("[\"" A1 "\",null]"), {{"create_new_for[1]", "wrong_type"}, {NULL, NULL}}},
        {CNF("[\"abc\"]"), {{"create_new_for[0]", "malformed_id"}, {NULL, NULL}}},
        {CNF("[\"\"]"), {{"create_new_for[0]", "malformed_id"}, {NULL, NULL}}},
        {CNF("[\"0123\"]"), {{"create_new_for[0]", "malformed_id"}, {NULL, NULL}}},
        {CNF("[\" 123\"]"), {{"create_new_for[0]", "malformed_id"}, {NULL, NULL}}},
        {CNF("[\"-123\"]"), {{"create_new_for[0]", "malformed_id"}, {NULL, NULL}}},
        {CNF("[\"9223372036854775808\"]"), {{"create_new_for[0]", "malformed_id"}, {NULL, NULL}}},
        {CNF("[\"12345678901234567890\"]"), {{"create_new_for[0]", "malformed_id"}, {NULL, NULL}}},
        {CNF("[\"" A1 "\",\"" A2 "\",\"" A1 "\"]"),
         {{"create_new_for[2]", "duplicate"}, {NULL, NULL}}},
        {CNF("[\"x\",\"" A1 "\",\"" A1 "\",\"" A1 "\"]"),
         {{"create_new_for[0]", "malformed_id"}, {"create_new_for[2]", "duplicate"},
          {"create_new_for[3]", "duplicate"}, {NULL, NULL}}},
    };
#undef CNF
    RUN(cases);
}

static void test_existing_audiences(void)
{
#define EX(map) "{\"connection_type\":\"existing\",\"existing_audiences\":" map "}"
    static const settings_case cases[] = {
        {EX("[]"), {{"existing_audiences", "wrong_type"}, {NULL, NULL}}},
        {EX("{}"), {{"existing_audiences", "empty"}, {NULL, NULL}}},
        {EX("null"), {{"existing_audiences", "wrong_type"}, {NULL, NULL}}},
        {EX("{\"abc\":[\"" B1 "\"]}"), {{"existing_audiences.abc", "malformed_id"}, {NULL, NULL}}},
        {EX("{\"" A1 "\":[]}"), {{"existing_audiences." A1, "empty"}, {NULL, NULL}}},
        {EX("{\"" A1 "\":\"" B1 "\"}"), {{"existing_audiences." A1, "wrong_type"}, {NULL, NULL}}},
        {EX("{\"" A1 "\":null}"), {{"existing_audiences." A1, "wrong_type"}, {NULL, NULL}}},
        {EX("{\"" A1 "\":[\"" B1 "\",\"" B1 "\"]}"),
         {{"existing_audiences." A1 "[1]", "duplicate"}, {NULL, NULL}}},
        {EX("{\"" A1 "\":[\"x\"],\"" A2 "\":[" B1 "]}"),
         {{"existing_audiences." A1 "[0]", "malformed_id"},
          {"existing_audiences." A2 "[0]", "wrong_type"}, {NULL, NULL}}},
        {"{\"connection_type\":\"both\",\"audience_name\":\"a\",\"create_new_for\":[\"" A1
         "\",\"" A2 "\"],\"existing_audiences\":{\"" A2 "\":[\"" B1 "\"]}}",
         {{"existing_audiences." A2, "conflict"}, {NULL, NULL}}},
    };
#undef EX
    RUN(cases);
}

static void test_toggles_and_retention(void)
{
    static const settings_case cases[] = {
        {"{" NEW_OK ",\"historical_data_enabled\":\"yes\"}",
         {{"historical_data_enabled", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"deliver_all_data\":1}", {{"deliver_all_data", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"historical_data_enabled\":true,\"deliver_all_data\":false}",
         {{"deliver_all_data", "conflict"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"accept_clear_text_emails\":\"no\"}",
         {{"accept_clear_text_emails", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":0}",
         {{"membership_duration_days", "out_of_range"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":366}",
         {{"membership_duration_days", "out_of_range"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":-5}",
         {{"membership_duration_days", "out_of_range"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":99999999999999999999}",
         {{"membership_duration_days", "out_of_range"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":\"30\"}",
         {{"membership_duration_days", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":30.5}",
         {{"membership_duration_days", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"membership_duration_days\":true}",
         {{"membership_duration_days", "wrong_type"}, {NULL, NULL}}},
    };
    RUN(cases);
}

/* Every problem, not only the first. */
static void test_every_problem_reported(void)
{
    static const settings_case cases[] = {
        {"{\"connection_type\":\"new\",\"audience_name\":\"\",\"create_new_for\":"
         "[\"x\",\"" A1 "\",\"" A1 "\"],\"foo\":1,\"membership_duration_days\":0,"
         "\"existing_audiences\":{},\"deliver_all_data\":false,"
         "\"historical_data_enabled\":true}",
         {{"foo", "unknown_field"}, {"audience_name", "empty"},
          {"create_new_for[0]", "malformed_id"}, {"create_new_for[2]", "duplicate"},
          {"membership_duration_days", "out_of_range"}, {"existing_audiences", "conflict"},
          {"existing_audiences", "empty"}, {"deliver_all_data", "conflict"}}},
    };
    aconn_error items[2];
    aconn_error_list list = {sizeof(list), sizeof(aconn_error), 2, 0, items};

    RUN(cases);
    /* A small list keeps the first problems and still counts all of them. */
    CU_ASSERT_EQUAL(tt_settings_parse(cases[0].json, NULL, &list), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(list.count, 8);
    CU_ASSERT_EQUAL(tt_settings_parse(cases[0].json, NULL, NULL), ACONN_ERR_INVALID);
}

static void test_parsed_values(void)
{
    tt_settings *s = NULL;
    const tt_target *t;

    CU_ASSERT_EQUAL_FATAL(tt_settings_parse(
        "{\"connection_type\":\"both\",\"audience_name\":\"Buyers \xc3\xa9t\xc3\xa9\","
        "\"create_new_for\":[\"" A2 "\",\"" A1 "\"],\"existing_audiences\":{\"7100000000000000003\":"
        "[\"" B2 "\",\"" B1 "\"]},\"deliver_all_data\":false,\"membership_duration_days\":30,"
        "\"accept_clear_text_emails\":true}", &s, NULL), ACONN_OK);
    CU_ASSERT_EQUAL(s->connection_type, TT_CONNECTION_BOTH);
    CU_ASSERT_STRING_EQUAL(s->audience_name, "Buyers \xc3\xa9t\xc3\xa9");
    CU_ASSERT_EQUAL(s->historical, 0);
    CU_ASSERT_EQUAL(s->retention_days, 30);
    CU_ASSERT_EQUAL(tt_settings_ident_flags(s), TT_IDENT_CLEAR_TEXT_EMAILS);
    CU_ASSERT_EQUAL_FATAL(s->ntargets, 3);
    CU_ASSERT_STRING_EQUAL(s->targets[0].advertiser_id, A2);
    CU_ASSERT(s->targets[0].create_new);
    CU_ASSERT_EQUAL(s->targets[0].naudiences, 0);
    CU_ASSERT_STRING_EQUAL(s->targets[1].advertiser_id, A1);
    t = tt_settings_find_target(s, "7100000000000000003");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT(!t->create_new);
    CU_ASSERT_EQUAL_FATAL(t->naudiences, 2);
    CU_ASSERT_STRING_EQUAL(t->audience_ids[0], B2);
    CU_ASSERT_STRING_EQUAL(t->audience_ids[1], B1);
    CU_ASSERT_PTR_NULL(tt_settings_find_target(s, "7100000000000000009"));
    tt_settings_free(s);

    /* Defaults. */
    CU_ASSERT_EQUAL_FATAL(tt_settings_parse("{" EXISTING_OK "}", &s, NULL), ACONN_OK);
    CU_ASSERT_EQUAL(s->connection_type, TT_CONNECTION_EXISTING);
    CU_ASSERT_PTR_NULL(s->audience_name);
    CU_ASSERT_EQUAL(s->historical, 1);
    CU_ASSERT_EQUAL(s->retention_days, 365);
    CU_ASSERT_EQUAL(tt_settings_ident_flags(s), 0);
    CU_ASSERT_EQUAL(s->ntargets, 1);
    tt_settings_free(s);
    tt_settings_free(NULL);

    CU_ASSERT(tt_settings_id_valid("1", 1));
    CU_ASSERT(!tt_settings_id_valid("0", 1));
    CU_ASSERT(tt_settings_id_valid("9223372036854775807", 19));
    CU_ASSERT(!tt_settings_id_valid("9223372036854775808", 19));
    CU_ASSERT(tt_settings_id_valid("8999999999999999999", 19));
    CU_ASSERT(!tt_settings_id_valid("12a", 3));
    CU_ASSERT_STRING_EQUAL(tt_connection_type_name(TT_CONNECTION_NEW), "new");
}

static void check_change(const char *cur, const char *next, aconn_status expect_st,
                         const char *field, const char *code, const char *msg_part)
{
    aconn_error items[MAX_ERRS];
    aconn_error_list list = {sizeof(list), sizeof(aconn_error), MAX_ERRS, 0, items};
    unsigned j;
    int found = field == NULL;

    memset(items, 0, sizeof(items));
    CU_ASSERT_EQUAL(tt_settings_check_change(cur, next, &list), expect_st);
    if (field == NULL)
        CU_ASSERT_EQUAL(list.count, 0);
    for (j = 0; field != NULL && j < list.count && j < MAX_ERRS; j++)
        if (strcmp(items[j].field, field) == 0 && strcmp(items[j].code, code) == 0
            && (msg_part == NULL || strstr(items[j].message, msg_part) != NULL))
            found = 1;
    CU_ASSERT(found);
    if (!found)
        fprintf(stderr, "\nchange %s -> %s: no %s/%s\n", cur, next, field, code);
}

static void test_immutability(void)
{
    static const char *const targets_msg =
        "Ad Account selections of a connection cannot change; create a new "
        "connection with the new targets";
    const char *both = "{\"connection_type\":\"both\",\"audience_name\":\"a\",\"create_new_for\":"
                       "[\"" A1 "\",\"" A2 "\"],\"existing_audiences\":{\"7100000000000000003\":"
                       "[\"" B1 "\",\"" B2 "\"]}}";

    /* Unchanged, reordered, or defaults spelt out: no change. */
    check_change(both, both, ACONN_OK, NULL, NULL, NULL);
    check_change(both, "{\"existing_audiences\":{\"7100000000000000003\":[\"" B2 "\",\"" B1
                 "\"]},\"create_new_for\":[\"" A2 "\",\"" A1 "\"],\"audience_name\":\"a\","
                 "\"connection_type\":\"both\",\"historical_data_enabled\":true,"
                 "\"membership_duration_days\":365,\"accept_clear_text_emails\":false}",
                 ACONN_OK, NULL, NULL, NULL);
    /* Target changes. */
    check_change(both, "{\"connection_type\":\"both\",\"audience_name\":\"a\",\"create_new_for\":"
                 "[\"" A1 "\"],\"existing_audiences\":{\"7100000000000000003\":[\"" B1 "\",\""
                 B2 "\"]}}", ACONN_ERR_INVALID, "create_new_for", "immutable", targets_msg);
    check_change(both, "{\"connection_type\":\"both\",\"audience_name\":\"a\",\"create_new_for\":"
                 "[\"" A1 "\",\"" A2 "\"],\"existing_audiences\":{\"7100000000000000003\":[\""
                 B1 "\"]}}", ACONN_ERR_INVALID, "existing_audiences", "immutable", targets_msg);
    check_change(both, "{\"connection_type\":\"both\",\"audience_name\":\"a\",\"create_new_for\":"
                 "[\"" A1 "\",\"" A2 "\"],\"existing_audiences\":{\"7100000000000000004\":[\""
                 B1 "\",\"" B2 "\"]}}", ACONN_ERR_INVALID, "existing_audiences", "immutable",
                 targets_msg);
    check_change("{" NEW_OK "}", "{" EXISTING_OK "}", ACONN_ERR_INVALID, "connection_type",
                 "immutable", targets_msg);
    /* Other fields. */
    check_change("{" NEW_OK "}", "{\"connection_type\":\"new\",\"audience_name\":\"Other\","
                 "\"create_new_for\":[\"" A1 "\"]}", ACONN_ERR_INVALID, "audience_name",
                 "immutable", "create a new connection");
    check_change("{" NEW_OK "}", "{" NEW_OK ",\"membership_duration_days\":30}",
                 ACONN_ERR_INVALID, "membership_duration_days", "immutable", NULL);
    check_change("{" NEW_OK "}", "{" NEW_OK ",\"deliver_all_data\":false}",
                 ACONN_ERR_INVALID, "historical_data_enabled", "immutable", NULL);
    check_change("{" NEW_OK "}", "{" NEW_OK ",\"accept_clear_text_emails\":true}",
                 ACONN_ERR_INVALID, "accept_clear_text_emails", "immutable", NULL);
    /* Invalid new settings are reported as such. */
    check_change("{" NEW_OK "}", "{\"connection_type\":\"new\"}", ACONN_ERR_INVALID,
                 "create_new_for", "required", NULL);
    check_change("not json", "{" NEW_OK "}", ACONN_ERR_INVALID, "", "invalid_json", NULL);
}

/* validate_settings' facts (aconn.h, ABI 1.1): the host learns where the
   first run starts from them, not from historical_data_enabled. Catches
   facts not written, or the toggle read the wrong way round. */
typedef struct facts_buf {
    char text[128];
    size_t len;
} facts_buf;

static aconn_status facts_write(void *ctx, const char *data, size_t len)
{
    facts_buf *b = ctx;

    if (b->len + len >= sizeof(b->text))
        return ACONN_ERR_FATAL;
    memcpy(b->text + b->len, data, len);
    b->len += len;
    b->text[b->len] = '\0';
    return ACONN_OK;
}

static const char *facts_of(const char *settings)
{
    static facts_buf b;
    aconn_output out = {.struct_size = sizeof(out), .ctx = &b, .write = facts_write};
    aconn_validate_request req = {.struct_size = sizeof(req), .settings_json = settings,
                                  .facts = &out};
    aconn_error items[MAX_ERRS];
    aconn_error_list list = {.struct_size = sizeof(list), .item_size = sizeof(aconn_error),
                             .capacity = MAX_ERRS, .items = items};

    memset(&b, 0, sizeof(b));
    memset(items, 0, sizeof(items));
    if (tt_validate_settings(NULL, &req, &list) != ACONN_OK)
        return "(invalid)";
    return b.text;
}

static void test_facts(void)
{
    CU_ASSERT_STRING_EQUAL(facts_of("{" NEW_OK "}"), "{\"first_run_from\":\"beginning\"}");
    CU_ASSERT_STRING_EQUAL(facts_of("{" NEW_OK ",\"historical_data_enabled\":false}"),
                           "{\"first_run_from\":\"end\"}");
    CU_ASSERT_STRING_EQUAL(facts_of("{" NEW_OK ",\"deliver_all_data\":false}"),
                           "{\"first_run_from\":\"end\"}");
    CU_ASSERT_STRING_EQUAL(facts_of("{" NEW_OK ",\"deliver_all_data\":true}"),
                           "{\"first_run_from\":\"beginning\"}");
    /* Invalid settings tell the host nothing. */
    CU_ASSERT_STRING_EQUAL(facts_of("{\"connection_type\":\"new\"}"), "(invalid)");
}

/* audience_per_identifier_type: strictly a boolean, default false,
   immutable. */
static void test_per_identifier_type(void)
{
    static const settings_case cases[] = {
        {"{" NEW_OK ",\"audience_per_identifier_type\":\"true\"}",
         {{"audience_per_identifier_type", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"audience_per_identifier_type\":1}",
         {{"audience_per_identifier_type", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"audience_per_identifier_type\":null}",
         {{"audience_per_identifier_type", "wrong_type"}, {NULL, NULL}}},
        {"{" NEW_OK ",\"audience_per_identifier_type\":[true]}",
         {{"audience_per_identifier_type", "wrong_type"}, {NULL, NULL}}},
        {"{" EXISTING_OK ",\"audience_per_identifier_type\":true}", {{NULL, NULL}}},
        {"{" EXISTING_OK ",\"audience_per_identifier_type\":false}", {{NULL, NULL}}},
        {"{" NEW_OK ",\"audience_per_identifier_type\":true}", {{NULL, NULL}}},
        {"{" NEW_OK ",\"Audience_per_identifier_type\":true}",
         {{"Audience_per_identifier_type", "unknown_field"}, {NULL, NULL}}},
    };
    aconn_error items[2];
    aconn_error_list list = {sizeof(list), sizeof(aconn_error), 2, 0, items};
    tt_settings *s = NULL;

    RUN(cases);
    memset(items, 0, sizeof(items));
    CU_ASSERT_EQUAL(tt_settings_parse(cases[0].json, NULL, &list), ACONN_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(items[0].field, "audience_per_identifier_type");
    CU_ASSERT_PTR_NOT_NULL(strstr(items[0].message, "must be true or false, not a string"));

    CU_ASSERT_EQUAL_FATAL(tt_settings_parse("{" NEW_OK "}", &s, NULL), ACONN_OK);
    CU_ASSERT_EQUAL(s->audience_per_identifier_type, 0);
    tt_settings_free(s);
    CU_ASSERT_EQUAL_FATAL(tt_settings_parse("{" NEW_OK ",\"audience_per_identifier_type\":true}",
                                            &s, NULL), ACONN_OK);
    CU_ASSERT_EQUAL(s->audience_per_identifier_type, 1);
    tt_settings_free(s);

    check_change("{" NEW_OK "}", "{" NEW_OK ",\"audience_per_identifier_type\":false}",
                 ACONN_OK, NULL, NULL, NULL);
    check_change("{" NEW_OK "}", "{" NEW_OK ",\"audience_per_identifier_type\":true}",
                 ACONN_ERR_INVALID, "audience_per_identifier_type", "immutable",
                 "create a new connection");
    check_change("{" NEW_OK ",\"audience_per_identifier_type\":true}", "{" NEW_OK "}",
                 ACONN_ERR_INVALID, "audience_per_identifier_type", "immutable", NULL);
}

int main(void)
{
    CU_pSuite s;
    int rc;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("settings", NULL, NULL);
    if (s == NULL
        || CU_add_test(s, "valid", test_valid) == NULL
        || CU_add_test(s, "invalid json", test_invalid_json) == NULL
        || CU_add_test(s, "connection type rules", test_connection_type_rules) == NULL
        || CU_add_test(s, "audience name", test_audience_name) == NULL
        || CU_add_test(s, "create_new_for", test_create_new_for) == NULL
        || CU_add_test(s, "existing_audiences", test_existing_audiences) == NULL
        || CU_add_test(s, "toggles and retention", test_toggles_and_retention) == NULL
        || CU_add_test(s, "every problem reported", test_every_problem_reported) == NULL
        || CU_add_test(s, "parsed values", test_parsed_values) == NULL
        || CU_add_test(s, "immutability", test_immutability) == NULL
        || CU_add_test(s, "facts for the host", test_facts) == NULL
        || CU_add_test(s, "audience_per_identifier_type", test_per_identifier_type) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    rc = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return rc;
}
