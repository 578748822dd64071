/*
 * test_validate.c - quick-settings validation end to end, without TikTok:
 * the structural rules of validate, and validate --connection refusing
 * changes to a connection's immutable settings.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_profiles.h"

/* The structural cases: settings, and the field and code validate must
   report for them (NULL, NULL: valid). */
static const struct { const char *settings, *field, *code; } structure_cases[] = {
    /* valid */
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"]}", NULL, NULL},
    {"{\"connection_type\":\"existing\","
     "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}", NULL, NULL},
    {"{\"connection_type\":\"both\",\"audience_name\":\"B\","
     "\"create_new_for\":[\"7212000000000000001\",\"7212000000000000002\"],"
     "\"existing_audiences\":{\"7212000000000000005\":[\"7400000000000000001\","
     "\"7400000000000000002\"]},\"historical_data_enabled\":false,\"deliver_all_data\":false,"
     "\"membership_duration_days\":1,\"accept_clear_text_emails\":true}", NULL, NULL},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":365}",
     NULL, NULL},
    /* unknown field */
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],\"colour\":\"red\"}",
     "colour", "unknown_field"},
    /* duplicate ids */
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\",\"7212000000000000001\"]}",
     "create_new_for[1]", "duplicate"},
    {"{\"connection_type\":\"existing\",\"existing_audiences\":{\"7212000000000000001\":"
     "[\"7400000000000000001\",\"7400000000000000002\",\"7400000000000000001\"]}}",
     "existing_audiences.7212000000000000001[2]", "duplicate"},
    /* an account in both lists */
    {"{\"connection_type\":\"both\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],"
     "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}",
     "existing_audiences.7212000000000000001", "conflict"},
    /* name length */
    {"{\"connection_type\":\"new\",\"audience_name\":\"\","
     "\"create_new_for\":[\"7212000000000000001\"]}", "audience_name", "empty"},
    /* membership */
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":0}",
     "membership_duration_days", "out_of_range"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":366}",
     "membership_duration_days", "out_of_range"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":\"30\"}",
     "membership_duration_days", "wrong_type"},
    /* connection type and its fields */
    {"{\"audience_name\":\"A\",\"create_new_for\":[\"7212000000000000001\"]}",
     "connection_type", "required"},
    {"{\"connection_type\":\"old\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"]}", "connection_type", "out_of_range"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],"
     "\"existing_audiences\":{\"7212000000000000002\":[\"7400000000000000001\"]}}",
     "existing_audiences", "conflict"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\"}", "create_new_for", "required"},
    {"{\"connection_type\":\"new\",\"create_new_for\":[\"7212000000000000001\"]}",
     "audience_name", "required"},
    {"{\"connection_type\":\"existing\",\"audience_name\":\"A\","
     "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}",
     "audience_name", "conflict"},
    {"{\"connection_type\":\"existing\",\"create_new_for\":[\"7212000000000000002\"],"
     "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}",
     "create_new_for", "conflict"},
    {"{\"connection_type\":\"both\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"]}", "existing_audiences", "required"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\",\"create_new_for\":[]}",
     "create_new_for", "empty"},
    /* malformed ids */
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"72120000000000000011\"]}", "create_new_for[0]", "malformed_id"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\",\"0721\"]}",
     "create_new_for[1]", "malformed_id"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"72x2\"]}", "create_new_for[0]", "malformed_id"},
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[7212000000000000001]}", "create_new_for[0]", "wrong_type"},
    {"{\"connection_type\":\"existing\",\"existing_audiences\":{\"acct-1\":"
     "[\"7400000000000000001\"]}}", "existing_audiences.acct-1", "malformed_id"},
    {"{\"connection_type\":\"existing\",\"existing_audiences\":{\"7212000000000000001\":"
     "[\"7400000000000000001\",\"-7\"]}}",
     "existing_audiences.7212000000000000001[1]", "malformed_id"},
    /* the two spellings of "deliver history" must agree */
    {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
     "\"create_new_for\":[\"7212000000000000001\"],\"historical_data_enabled\":true,"
     "\"deliver_all_data\":false}", "deliver_all_data", "conflict"},
};

/* Names: 128 characters pass (also when multi-byte), 129 do not. */
static void check_name_lengths(e2e *e)
{
    char text[1024], name[600];

    memset(name, 'n', 128);
    name[128] = '\0';
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    ep_check_validate(e, text, 0, NULL, NULL);
    strcpy(name + 128, "n");
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    ep_check_validate(e, text, 0, "audience_name", "too_long");
    name[0] = '\0';
    for (int i = 0; i < 128; i++)
        strcat(name, "\xc3\xa9");   /* U+00E9: 2 bytes, 1 character */
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    ep_check_validate(e, text, 0, NULL, NULL);
    strcat(name, "\xc3\xa9");
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    ep_check_validate(e, text, 0, "audience_name", "too_long");
}

static void test_validate_structure(void)
{
    e2e e;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    for (size_t i = 0; i < sizeof(structure_cases) / sizeof(structure_cases[0]); i++)
        ep_check_validate(&e, structure_cases[i].settings, 0, structure_cases[i].field,
                          structure_cases[i].code);
    check_name_lengths(&e);
    e2e_teardown(&e);
}

static void test_immutable(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], path[E2E_PATH], s[512], *conn;
    const char *a, *b;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    a = ep_roomy_account(&e, 0);
    b = ep_roomy_account(&e, 1);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 50, 3, 0, 0, 0, 0) == 0);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Frozen\","
             "\"create_new_for\":[\"%s\"]}", a);
    conn = ep_connect_with(&e, dataset, s);
    snprintf(path, sizeof(path), "%s/immutable.json", e.dir);
    const char *args[] = {"validate", "--plugin", ep_plugin(), "--settings", path,
                          "--connection", conn, NULL};

    /* Unchanged settings pass. */
    CU_ASSERT_FATAL(e2e_write(path, s) == 0);
    ep_run(&e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(o.json != NULL && json_object_get_boolean(ts_json_at(o.json, "valid")));
    e2e_out_free(&o);

    /* Other targets are refused with the way forward. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Frozen\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, b);
    CU_ASSERT_FATAL(e2e_write(path, s) == 0);
    ep_run(&e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(ep_has(o.out, "\"immutable\"") && ep_has(o.out, "new connection") &&
              ep_has(o.out, "\"create_new_for\""));
    e2e_out_free(&o);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Thawed\","
             "\"create_new_for\":[\"%s\"]}", a);
    CU_ASSERT_FATAL(e2e_write(path, s) == 0);
    ep_run(&e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(ep_has(o.out, "\"immutable\"") && ep_has(o.out, "\"audience_name\""));
    e2e_out_free(&o);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"validate: structural rules", test_validate_structure},
        {"validate --connection: immutable", test_immutable},
    };

    return ep_run_suite("settings end to end: structure and immutability", tests,
                        sizeof(tests) / sizeof(tests[0]));
}
