/*
 * test_abi.c - plugin loading and ABI negotiation: the uninstalled .la
 * loads through libltdl, a plugin of another ABI major is refused with a
 * clear message (library and CLI, exit 4), and the real plugin exports
 * exactly one dynamic symbol.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ltdl.h>

#include "ch_plugin.h"
#include "test_util.h"
#include "ts_cunit.h"

static void test_load_uninstalled_la(void)
{
    char *la = test_build_path("test_plugin.la");
    ch_plugin p;
    char err[1024] = "";

    CU_ASSERT_FATAL(la != NULL);
    CU_ASSERT_EQUAL(ch_plugin_load(la, NULL, &p, err, sizeof(err)), 0);
    if (p.handle != NULL) {
        CU_ASSERT_STRING_EQUAL(ch_plugin_id(&p), "test-plugin");
        CU_ASSERT_EQUAL(p.desc->abi_major, ACONN_ABI_MAJOR);
        CU_ASSERT_PTR_NOT_NULL(p.desc->deliver_batch);
        CU_ASSERT_PTR_NOT_NULL(strstr(p.info->manifest_json, "\"test-plugin\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(p.path, "/tests/host/test_plugin.la"));
        ch_plugin_unload(&p);
    } else {
        fprintf(stderr, "load failed: %s\n", err);
    }
    free(la);
}

static void test_load_by_module_name(void)
{
    char *dir = test_build_path("");
    ch_plugin p;
    char err[1024] = "";

    CU_ASSERT_FATAL(dir != NULL);
    /* A bare name is searched in the given connector directory. */
    CU_ASSERT_EQUAL(ch_plugin_load("test_plugin", dir, &p, err, sizeof(err)), 0);
    if (p.handle != NULL) {
        CU_ASSERT_STRING_EQUAL(ch_plugin_id(&p), "test-plugin");
        ch_plugin_unload(&p);
    }
    CU_ASSERT_EQUAL(ch_plugin_load("no_such_module_xyz", dir, &p, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no_such_module_xyz"));
    free(dir);
}

static void test_abi_major_refused(void)
{
    char *la = test_build_path("test_plugin_abi2.la");
    ch_plugin p;
    char err[1024] = "";

    CU_ASSERT_FATAL(la != NULL);
    CU_ASSERT_EQUAL(ch_plugin_load(la, NULL, &p, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NULL(p.handle);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "was built for connector ABI 2."));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "this host implements ABI 1.2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "rebuild the plugin against aconn.h 1.x"));
    free(la);
}

static void test_incomplete_descriptor_refused(void)
{
    char *small = test_build_path("test_plugin_small.la");
    char *noteardown = test_build_path("test_plugin_noteardown.la");
    ch_plugin p;
    char err[1024] = "";

    CU_ASSERT_FATAL(small != NULL && noteardown != NULL);
    CU_ASSERT_EQUAL(ch_plugin_load(small, NULL, &p, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "descriptor of"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "rebuild it against aconn.h 1.x"));
    CU_ASSERT_EQUAL(ch_plugin_load(noteardown, NULL, &p, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not implement teardown"));
    free(small);
    free(noteardown);
}

static void test_missing_file_refused(void)
{
    ch_plugin p;
    char err[1024] = "";

    CU_ASSERT_EQUAL(ch_plugin_load("/nonexistent/dir/plugin.la", NULL, &p, err,
                                   sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/dir/plugin.la"));
    CU_ASSERT_EQUAL(ch_plugin_load("", NULL, &p, err, sizeof(err)), -1);
}

static void test_cli_refuses_abi2(void)
{
    const char *host = test_env("TT_HOST");
    char *la = test_build_path("test_plugin_abi2.la");
    char *home = test_tmpdir("abi");
    test_result r;

    CU_ASSERT_FATAL(host != NULL && la != NULL && home != NULL);
    {
        const char *argv[] = { host, "describe", "--plugin", la, "--home", home, NULL };
        test_run(argv, NULL, NULL, 60, &r);
    }
    CU_ASSERT_EQUAL(r.status, 4);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "was built for connector ABI 2.2; this host "
                                         "implements ABI 1.2; rebuild the plugin "
                                         "against aconn.h 1.x"));
    test_result_free(&r);
    {
        const char *argv[] = { host, "describe", "--plugin", "/nonexistent/p.la", NULL };
        test_run(argv, NULL, NULL, 60, &r);
    }
    CU_ASSERT_EQUAL(r.status, 4);
    test_result_free(&r);
    test_rm_rf(home);
    free(home);
    free(la);
}

/* The real plugin's .so: exactly one defined dynamic symbol. */
static void test_real_plugin_exports_one_symbol(void)
{
    const char *la = test_env("TT_PLUGIN");
    char so[4096], cmd[4200], line[512];
    const char *slash;
    FILE *p;
    int n = 0, entry = 0;

    CU_ASSERT_FATAL(la != NULL);
    slash = strrchr(la, '/');
    CU_ASSERT_FATAL(slash != NULL);
    snprintf(so, sizeof(so), "%.*s/.libs/tiktok_connector.so", (int) (slash - la), la);
    snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", so);
    p = popen(cmd, "r");
    CU_ASSERT_FATAL(p != NULL);
    while (fgets(line, sizeof(line), p) != NULL) {
        char addr[64], type[8], name[256];
        if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3)
            continue;
        n++;
        if (strcmp(name, "aconn_plugin_entry") == 0 && strcmp(type, "T") == 0)
            entry = 1;
        else
            fprintf(stderr, "unexpected exported symbol: %s", line);
    }
    CU_ASSERT_EQUAL(pclose(p), 0);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(entry, 1);
}

/* The real plugin's .la opens with lt_dlopenext and has the entry point
   (it may still be a stub, so only the symbol is checked here). */
static void test_real_plugin_dlopenext(void)
{
    const char *la = test_env("TT_PLUGIN");
    char base[4096];
    lt_dlhandle h;
    void *sym;
    size_t n;

    CU_ASSERT_FATAL(la != NULL);
    n = strlen(la);
    CU_ASSERT_FATAL(n > 3 && n < sizeof(base));
    memcpy(base, la, n - 3);   /* drop ".la": lt_dlopenext adds it back */
    base[n - 3] = '\0';
    CU_ASSERT_FATAL(lt_dlinit() == 0);
    h = lt_dlopenext(base);
    CU_ASSERT_PTR_NOT_NULL(h);
    if (h != NULL) {
        sym = lt_dlsym(h, ACONN_ENTRY_SYMBOL);
        CU_ASSERT_PTR_NOT_NULL(sym);
        if (sym != NULL) {
            aconn_entry_fn *entry;
            const aconn_plugin *d;
            *(void **) &entry = sym;
            d = entry(ACONN_ABI_MAJOR, ACONN_ABI_MINOR);
            CU_ASSERT_PTR_NOT_NULL(d);
            if (d != NULL)
                CU_ASSERT_EQUAL(d->abi_major, ACONN_ABI_MAJOR);
        }
        lt_dlclose(h);
    }
    lt_dlexit();
}

int main(void)
{
    static const ts_test tests[] = {
        {"uninstalled .la loads", test_load_uninstalled_la},
        {"module name searched", test_load_by_module_name},
        {"ABI 2 refused", test_abi_major_refused},
        {"incomplete descriptor refused", test_incomplete_descriptor_refused},
        {"missing file refused", test_missing_file_refused},
        {"CLI exit 4 for ABI 2", test_cli_refuses_abi2},
        {"real plugin exports one symbol", test_real_plugin_exports_one_symbol},
        {"real plugin opens with lt_dlopenext", test_real_plugin_dlopenext},
    };
    static const ts_suite suites[] = {
        {"abi", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
