/*
 * test_manifest_check.c - helper for test_manifest_schema.py (not a test by
 * itself): validates each settings file named on the command line with
 * tt_settings_parse() and prints one JSON line per file:
 *   {"file": "...", "valid": true|false, "errors": [["field", "code"], ...]}
 * Exit status 0 unless a file cannot be read or printing fails.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "settings/tt_settings.h"

#define MAX_ERRS 64

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, len = 0, n;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - len < 4096) {
            char *b = realloc(buf, cap + 65536);
            if (b == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = b;
            cap += 65536;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int check_file(const char *path)
{
    aconn_error *items = calloc(MAX_ERRS, sizeof(aconn_error));
    aconn_error_list list = {sizeof(list), sizeof(aconn_error), MAX_ERRS, 0, items};
    json_object *line = json_object_new_object(), *errs = json_object_new_array();
    char *text = slurp(path);
    aconn_status st;
    unsigned i;
    int rc = 1;

    if (items == NULL || line == NULL || errs == NULL || text == NULL) {
        fprintf(stderr, "test_manifest_check: cannot read %s\n", path);
        goto cleanup;
    }
    st = tt_settings_parse(text, NULL, &list);
    json_object_object_add(line, "file", json_object_new_string(path));
    json_object_object_add(line, "valid", json_object_new_boolean(st == ACONN_OK));
    for (i = 0; i < list.count && i < MAX_ERRS; i++) {
        json_object *pair = json_object_new_array();
        json_object_array_add(pair, json_object_new_string(items[i].field));
        json_object_array_add(pair, json_object_new_string(items[i].code));
        json_object_array_add(pair, json_object_new_string(items[i].message));
        json_object_array_add(errs, pair);
    }
    json_object_object_add(line, "errors", errs);
    errs = NULL;
    rc = printf("%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN)) < 0;

cleanup:
    json_object_put(errs);
    json_object_put(line);
    free(text);
    free(items);
    return rc;
}

int main(int argc, char **argv)
{
    int i, rc = 0;

    for (i = 1; i < argc; i++)
        rc |= check_file(argv[i]);
    return rc || fflush(stdout) != 0;
}
