/*
 * test_vault.c - secrets sealed in the state database (ch_vault.h): the
 * key file's checks (missing, readable by others, a link, not a key), a
 * round trip that stores no plain text, a wrong key named, an altered or
 * moved sealed value refused.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ch_state.h"
#include "ch_vault.h"
#include "test_util.h"
#include "ts_cunit.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static char *dir;

static char *path_in(const char *name)
{
    static char buf[4][4200];
    static int i;
    char *p = buf[i++ % 4];

    snprintf(p, 4200, "%s/%s", dir, name);
    return p;
}

static void write_key(const char *path, const char *text, mode_t mode)
{
    CU_ASSERT_FATAL(test_write_file(path, text) == 0);
    CU_ASSERT_FATAL(chmod(path, mode) == 0);
}

static void test_key_file_checks(void)
{
    ch_vault *v = NULL;
    char err[1024] = "";
    char *a = path_in("a.key"), *open_key = path_in("open.key"), *bad = path_in("bad.key"),
         *link_key = path_in("link.key");

    CU_ASSERT_EQUAL(ch_vault_open(path_in("missing.key"), &v, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing.key does not exist"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "openssl rand -hex 32"));
    write_key(open_key, KEY_A, 0644);
    CU_ASSERT_EQUAL(ch_vault_open(open_key, &v, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "open.key"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    write_key(bad, "not a key\n", 0600);
    CU_ASSERT_EQUAL(ch_vault_open(bad, &v, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.key does not hold a key"));
    write_key(a, KEY_A, 0600);
    CU_ASSERT_FATAL(symlink(a, link_key) == 0);
    CU_ASSERT_EQUAL(ch_vault_open(link_key, &v, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "link.key"));
    CU_ASSERT_EQUAL(ch_vault_open(a, &v, err, sizeof(err)), 0);
    ch_vault_close(v);
}

static void test_round_trip_and_refusals(void)
{
    ch_state *st = NULL;
    ch_vault *va = NULL, *vb = NULL;
    char err[1024] = "", buf[64], small[4];
    size_t len = 0;
    ch_rows r;
    const ch_sql_arg none[] = { CH_T("p/other") };

    write_key(path_in("a.key"), KEY_A, 0600);
    write_key(path_in("b.key"), KEY_B, 0600);
    CU_ASSERT_FATAL(ch_state_open(path_in("state.db"), &st, err, sizeof(err)) == 0);
    CU_ASSERT_FATAL(ch_vault_open(path_in("a.key"), &va, err, sizeof(err)) == 0);
    CU_ASSERT_FATAL(ch_vault_open(path_in("b.key"), &vb, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_vault_get(va, st, "p/app_secret", buf, sizeof(buf), &len, err,
                                 sizeof(err)), ACONN_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(ch_vault_put(va, st, "p/app_secret", "s3cr3t-marker", 13, 1, err,
                                 sizeof(err)), ACONN_OK);
    CU_ASSERT_EQUAL(ch_vault_get(va, st, "p/app_secret", buf, sizeof(buf), &len, err,
                                 sizeof(err)), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(buf, "s3cr3t-marker");
    CU_ASSERT_EQUAL(len, 13);
    CU_ASSERT_EQUAL(ch_vault_get(va, st, "p/app_secret", small, sizeof(small), &len, err,
                                 sizeof(err)), ACONN_ERR_TOO_SMALL);
    CU_ASSERT_EQUAL(len, 13);
    /* No plain text in the database. */
    CU_ASSERT_FATAL(ch_state_exec(st, "t", "SELECT sealed FROM secrets", NULL, 0, &r, NULL,
                                  err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(r.nrows, 1);
    CU_ASSERT(!test_memmem(ch_rows_cell(&r, 0, 0)->s, ch_rows_cell(&r, 0, 0)->len, "s3cr3t"));
    ch_rows_free(&r);
    /* Another key is named, with the file. */
    CU_ASSERT_EQUAL(ch_vault_get(vb, st, "p/app_secret", buf, sizeof(buf), &len, err,
                                 sizeof(err)), ACONN_ERR_FATAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "sealed with another key"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "b.key"));
    CU_ASSERT_PTR_NULL(strstr(err, "s3cr3t"));
    /* Moved to another name: does not open. */
    CU_ASSERT_EQUAL(ch_state_exec(st, "t", "INSERT INTO secrets (name, sealed, updated_ms)"
                                  " SELECT ?1, sealed, 2 FROM secrets WHERE name = 'p/app_secret'",
                                  none, 1, NULL, NULL, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_vault_get(va, st, "p/other", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_ERR_FATAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not open"));
    /* Deleted. */
    CU_ASSERT_EQUAL(ch_vault_put(va, st, "p/app_secret", NULL, 0, 3, err, sizeof(err)), ACONN_OK);
    CU_ASSERT_EQUAL(ch_vault_get(va, st, "p/app_secret", buf, sizeof(buf), &len, err,
                                 sizeof(err)), ACONN_ERR_NOT_FOUND);
    ch_vault_close(va);
    ch_vault_close(vb);
    ch_state_close(st);
}

int main(void)
{
    static const ts_test tests[] = {
        {"key file checks", test_key_file_checks},
        {"round trip and refusals", test_round_trip_and_refusals},
    };
    static const ts_suite suites[] = {
        {"vault", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };
    int rc;

    dir = test_tmpdir("vault");
    rc = ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
    test_rm_rf(dir);
    free(dir);
    return rc;
}
