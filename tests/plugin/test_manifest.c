/* test_manifest.c - describe() of the uninstalled plugin returns exactly the
   built manifest file, and the manifest restates the C tables faithfully. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <ltdl.h>

#include "identifiers/tt_ident.h"
#include "settings/tt_manifest.h"
#include "settings/tt_settings.h"
#include "delivery/tt_spool.h"
#include "common/tt_version.h"
#include "ts_cunit.h"

static json_object *file_manifest;   /* manifests/tiktok_connector.json */

static json_object *get(json_object *obj, const char *path)
{
    char key[128];
    const char *dot;

    while (obj != NULL && *path != '\0') {
        size_t n;

        dot = strchr(path, '.');
        n = dot != NULL ? (size_t) (dot - path) : strlen(path);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (!json_object_object_get_ex(obj, key, &obj))
            return NULL;
        path += n + (dot != NULL);
    }
    return obj;
}

static int init_suite(void)
{
    const char *builddir = getenv("TT_BUILDDIR");
    char path[4096];

    if (builddir == NULL) {
        fprintf(stderr, "TT_BUILDDIR is not set; run through make check\n");
        return 1;
    }
    snprintf(path, sizeof(path), "%s/manifests/tiktok_connector.json", builddir);
    file_manifest = json_object_from_file(path);
    if (file_manifest == NULL)
        fprintf(stderr, "cannot read %s: %s\n", path, json_util_get_last_err());
    return file_manifest == NULL;
}

static int clean_suite(void)
{
    json_object_put(file_manifest);
    return 0;
}

static void test_describe_equals_file(void)
{
    const char *plugin = getenv("TT_PLUGIN");
    lt_dlhandle h;
    aconn_entry_fn *entry;
    const aconn_plugin *p;
    const aconn_info *info;
    json_object *described;

    CU_ASSERT_PTR_NOT_NULL_FATAL(plugin);
    CU_ASSERT_EQUAL_FATAL(lt_dlinit(), 0);
    h = lt_dlopenext(plugin);
    if (h == NULL)
        fprintf(stderr, "lt_dlopenext(%s): %s\n", plugin, lt_dlerror());
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    entry = (aconn_entry_fn *) (uintptr_t) lt_dlsym(h, ACONN_ENTRY_SYMBOL);
    CU_ASSERT_PTR_NOT_NULL(entry);
    if (entry != NULL) {
        p = entry(ACONN_ABI_MAJOR, ACONN_ABI_MINOR);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p->describe);
        info = p->describe();
        CU_ASSERT_PTR_NOT_NULL_FATAL(info);
        CU_ASSERT_PTR_NOT_NULL_FATAL(info->manifest_json);
        described = json_tokener_parse(info->manifest_json);
        CU_ASSERT_PTR_NOT_NULL(described);
        CU_ASSERT(json_object_equal(described, file_manifest));
        /* The static facts agree with the manifest too. */
        CU_ASSERT_STRING_EQUAL(info->id, json_object_get_string(get(described, "id")));
        CU_ASSERT_STRING_EQUAL(info->name, json_object_get_string(get(described, "name")));
        CU_ASSERT_STRING_EQUAL(info->version, json_object_get_string(get(described, "version")));
        json_object_put(described);
        /* Only one symbol is exported. */
        CU_ASSERT_PTR_NULL(lt_dlsym(h, "tt_manifest_json"));
    }
    lt_dlclose(h);
    lt_dlexit();
}

static void test_identity_and_abi(void)
{
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "id")), TT_PLUGIN_ID);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "name")), TT_PLUGIN_NAME);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "version")), PACKAGE_VERSION);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "module")),
                           "tiktok_connector");
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest, "abi.major")), ACONN_ABI_MAJOR);
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest, "abi.minor")), ACONN_ABI_MINOR);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "profile.auth_type")),
                           "oauth2");
    CU_ASSERT_STRING_EQUAL(json_object_get_string(
        get(file_manifest, "profile.authorization_url_validity")), "PT24H");
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "policy_refresh")), "P540D");
    /* The compiled-in text is the file, byte for byte after parsing. */
    {
        json_object *compiled = json_tokener_parse(tt_manifest_json());
        CU_ASSERT(json_object_equal(compiled, file_manifest));
        json_object_put(compiled);
    }
}

static void test_identifiers_match_table(void)
{
    json_object *ids = tt_manifest_identifiers();
    json_object *reasons = tt_manifest_reject_reasons();

    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reasons);
    CU_ASSERT(json_object_equal(ids, get(file_manifest, "identifiers")));
    if (!json_object_equal(ids, get(file_manifest, "identifiers")))
        fprintf(stderr, "\ntable says: %s\n", json_object_to_json_string(ids));
    CU_ASSERT(json_object_equal(reasons, get(file_manifest, "identifier_rules.reject_reasons")));
    CU_ASSERT_EQUAL(json_object_array_length(ids), TT_ID_TYPE_COUNT);
    json_object_put(ids);
    json_object_put(reasons);
}

static void test_limits_match_code(void)
{
    CU_ASSERT_EQUAL(json_object_get_int64(get(file_manifest, "limits.max_file_bytes")),
                    (int64_t) TT_SPOOL_MAX_FILE_BYTES);
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest, "limits.membership_duration_days.min")), 1);
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest, "limits.membership_duration_days.max")),
                    TT_SETTINGS_RETENTION_MAX);
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest, "limits.audiences_per_ad_account")), 400);
    CU_ASSERT_EQUAL(json_object_get_int(
        get(file_manifest, "limits.update_operations_per_ad_account_per_day")), 24);
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest, "limits.minimum_audience_size")), 1000);
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "limits.processing_time")),
                           "PT48H");
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest, "limits.file_paths_per_call")), 50);
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest,
        "quick_settings_schema.properties.membership_duration_days.maximum")),
        TT_SETTINGS_RETENTION_MAX);
    CU_ASSERT_EQUAL(json_object_get_int(get(file_manifest,
        "quick_settings_schema.properties.audience_name.maxLength")), TT_SETTINGS_NAME_MAX);
}

/* Every settings field the C validator knows has a title and description in
   the schema, and the schema has no field the validator does not know. */
static void test_schema_fields_documented(void)
{
    json_object *props = get(file_manifest, "quick_settings_schema.properties");
    static const char *const fields[] = {
        "connection_type", "audience_name", "create_new_for", "existing_audiences",
        "historical_data_enabled", "deliver_all_data", "membership_duration_days",
        "accept_clear_text_emails", "audience_per_identifier_type",
    };
    size_t i, n = sizeof(fields) / sizeof(fields[0]);

    CU_ASSERT_PTR_NOT_NULL_FATAL(props);
    CU_ASSERT_EQUAL(json_object_object_length(props), (int) n);
    for (i = 0; i < n; i++) {
        json_object *f = get(props, fields[i]);
        CU_ASSERT_PTR_NOT_NULL(f);
        CU_ASSERT(json_object_get_string_len(get(f, "title")) > 0);
        CU_ASSERT(json_object_get_string_len(get(f, "description")) > 20);
    }
    CU_ASSERT_STRING_EQUAL(json_object_get_string(get(file_manifest, "quick_settings_schema.$schema")),
                           "https://json-schema.org/draft/2020-12/schema");
}

int main(void)
{
    static const ts_test tests[] = {
        {"describe equals file", test_describe_equals_file},
        {"identity and abi", test_identity_and_abi},
        {"identifiers match table", test_identifiers_match_table},
        {"limits match code", test_limits_match_code},
        {"schema fields documented", test_schema_fields_documented},
    };
    static const ts_suite suites[] = {
        {"manifest", init_suite, clean_suite, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
