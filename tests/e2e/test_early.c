/*
 * test_early.c - issue #14 point 4 end to end: a full spool file is uploaded
 * while the next one is written (plugin/delivery/tt_early.h), to every
 * target Ad Account, and the audiences still hold exactly the members the
 * test computes from the dataset. The spool file limit is shrunk with the
 * host's test hook CONNECTOR_HOST_TEST_SPOOL_FILE_BYTES (host/README.md), so
 * 6,000 records make several files instead of needing 50 MiB each.
 *
 * What shows the overlap: the report's uploads_while_spooling counts the
 * uploads (file x Ad Account) the apply took from the early uploader. The
 * plugin joins that uploader before the spool closes its last file, so an
 * upload counted there began before the last file was closed: with n add
 * files, files 1..n-1 were each uploaded while a later one was still being
 * written. The sandbox's upload counter shows nothing was uploaded twice.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e.h"

/* About 8 MULTIPLE_TYPES files from 6,000 records (rows of 66-198 bytes). */
#define SMALL_FILE_BYTES "100000"

/* One run of lines [from, end] applied to all (every type in one set, as
   one MULTIPLE_TYPES audience holds them), removals winning. */
static void apply_run(const char *dataset, unsigned long from, e2e_set *all)
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];

    CU_ASSERT_FATAL(e2e_changes(dataset, from, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set none = {0};
        CU_ASSERT(e2e_set_apply(all, &adds[t], &none) == 0);
    }
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set none = {0};
        CU_ASSERT(e2e_set_apply(all, &none, &removes[t]) == 0);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
}

static void assert_members(e2e *e, const char *adv, const char *name, const e2e_set *want)
{
    char id[32];
    e2e_set got;

    CU_ASSERT_EQUAL_FATAL(e2e_audiences_named(e, adv, name, id), 1);
    CU_ASSERT_FATAL(e2e_members(e, id, &got) == 0);
    if (!e2e_set_equal(&got, want))
        fprintf(stderr, "audience %s in %s: %zu members, expected %zu\n", name, adv, got.n,
                want->n);
    CU_ASSERT(e2e_set_equal(&got, want));
    e2e_set_free(&got);
}

/* Add files of the report's plugin.files. */
static long add_files(json_object *report)
{
    json_object *files = ts_json_at(report, "plugin.files");
    long n = 0;

    for (size_t i = 0; files != NULL && i < json_object_array_length(files); i++) {
        json_object *op = NULL;
        if (json_object_object_get_ex(json_object_array_get_idx(files, i), "op", &op) &&
            strcmp(json_object_get_string(op), "add") == 0)
            n++;
    }
    return n;
}

static void test_upload_while_spooling(void)
{
    e2e e;
    char dataset[E2E_PATH], settings[512];
    e2e_set want = {0};
    e2e_out o;
    char *conn;
    long files, uploads_before, early;

    CU_ASSERT_FATAL(setenv("CONNECTOR_HOST_TEST_SPOOL_FILE_BYTES", SMALL_FILE_BYTES, 1) == 0);
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    /* No removals: no add file is rewritten by the opt-out filter, so every
       early upload is used. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 31, 2, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Early\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, b);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    uploads_before = e2e_requests_to(&e, "file/upload");
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL_FATAL(o.exit_code, 0);
    files = add_files(o.json);
    early = json_object_get_int64(ts_json_at(o.json, "plugin.uploads_while_spooling"));
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "%ld add files, %ld early uploads\n%s\n", files, early, o.err);
    CU_ASSERT(files >= 3);
    /* Files 1..n-1 went to both accounts while the spool was written; the
       last one is closed by the finish and uploaded by the apply. */
    CU_ASSERT_EQUAL(early, (files - 1) * 2);
    CU_ASSERT(o.err != NULL && strstr(o.err, "while the next is written") != NULL);
    /* Each file once per account: nothing uploaded twice. */
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "file/upload") - uploads_before, files * 2);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(ts_json_at(o.json,
                           "plugin.targets.0.operations")), "CREATE");
    e2e_out_free(&o);
    apply_run(dataset, 1, &want);
    assert_members(&e, a, "Early", &want);
    assert_members(&e, b, "Early", &want);

    /* An increment with opt-outs: add files the filter rewrites lose their
       early upload (a new MD5), and the members are still exact. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 3000, 32, 2, 10, 0, 1) == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    apply_run(dataset, 6001, &want);
    assert_members(&e, a, "Early", &want);
    assert_members(&e, b, "Early", &want);
    e2e_set_free(&want);
    free(conn);
    e2e_teardown(&e);
    unsetenv("CONNECTOR_HOST_TEST_SPOOL_FILE_BYTES");
}

int main(void)
{
    static const e2e_test tests[] = {
        {"full spool files are uploaded while the next is written, exact members",
         test_upload_while_spooling},
    };

    return e2e_run_suite("upload while spooling", tests, sizeof(tests) / sizeof(tests[0]));
}
