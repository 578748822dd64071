/*
 * ch_cmd_validate.c - connector-host validate, and what connect shares
 * with it (ch_cmd.h): reading a settings file strictly and calling the
 * plugin's validate_settings.
 */
#include <config.h>

#include "ch_buf.h"
#include "ch_cli.h"
#include "ch_cmd.h"
#include "ch_util.h"
#include "common/tt_jstrict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define CH_SETTINGS_MAX ((size_t) 1024 * 1024)
#define CH_VALIDATE_ERRORS 64

/* Reads a settings file and checks it is one JSON object, through the
   same strict reading as every input (tt_jstrict.h). On failure `why`
   gets the reason and its position. */
int ch_read_settings(const char *path, char **text, json_object **obj,
                            char *why, size_t whylen)
{
    char err[1024] = "";
    json_object *o = NULL;
    size_t len = 0, line, col;
    tt_jstrict_result strict;
    const char *nul;

    *text = NULL;
    if (ch_read_file(path, CH_SETTINGS_MAX, text, &len, err, sizeof(err)) != 0) {
        ch_errf(why, whylen, "%s", err);
        goto fail;
    }
    /* The plugin gets a C string: a NUL would cut it silently. */
    if ((nul = memchr(*text, '\0', len)) != NULL) {
        strict.reason = "nul_character";
        strict.detail = "a NUL byte is not allowed";
        strict.offset = (size_t) (nul - *text);
    } else if (tt_jstrict_check(*text, len, &strict) == 0) {
        o = json_tokener_parse(*text);
        if (o != NULL && json_object_is_type(o, json_type_object)
            && tt_jstrict_tree_keys(o) != strict.keys) {
            strict.reason = "duplicate_key";
            strict.detail = "a key appears more than once in one object";
            strict.offset = 0;
        }
    }
    if (strict.reason != NULL) {
        tt_jstrict_position(*text, strict.offset, &line, &col);
        ch_errf(why, whylen, "%s is not strict JSON (%s): %s at byte %zu (line %zu, "
                "column %zu); fix it there", path, strict.reason, strict.detail,
                strict.offset, line, col);
        goto fail;
    }
    if (o == NULL || !json_object_is_type(o, json_type_object)) {
        ch_errf(why, whylen, "%s is not a JSON object; write the quick settings as "
                "{\"name\": value, ...}", path);
        goto fail;
    }
    if (obj != NULL)
        *obj = o;
    else
        json_object_put(o);
    return 0;
fail:
    json_object_put(o);
    free(*text);
    *text = NULL;
    return CH_EXIT_FAILED;
}

/* validate's answer when the settings file could not be read as JSON. */
static void ch_print_settings_refusal(const char *why, const char *code)
{
    json_object *o = json_object_new_object(), *errs = json_object_new_array();
    json_object *e = json_object_new_object();

    if (o != NULL && errs != NULL && e != NULL) {
        json_object_object_add(e, "field", json_object_new_string(""));
        json_object_object_add(e, "code", json_object_new_string(code));
        json_object_object_add(e, "message", json_object_new_string(why));
        json_object_array_add(errs, e);
        e = NULL;
        json_object_object_add(o, "valid", json_object_new_boolean(0));
        json_object_object_add(o, "errors", errs);
        errs = NULL;
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    }
    json_object_put(o);
    json_object_put(errs);
    json_object_put(e);
}
/* Calls validate_settings; fills *result with {"valid":..,"errors":[..]}.
   facts (may be NULL) receives what the plugin says the host must know of
   valid settings (aconn_validate_request.facts). */
aconn_status ch_validate(ch_cli *cli, const char *settings, const char *profile,
                                int remote, const char *current, ch_buf *facts,
                                json_object **result)
{
    aconn_output facts_out;
    aconn_error *items = calloc(CH_VALIDATE_ERRORS, sizeof(*items));
    aconn_error_list list;
    aconn_validate_request req;
    aconn_status s;
    json_object *errs = NULL;
    uint32_t i;

    *result = NULL;
    if (items == NULL)
        return ACONN_ERR_FATAL;
    memset(&list, 0, sizeof(list));
    list.struct_size = sizeof(list);
    list.item_size = sizeof(aconn_error);
    list.capacity = CH_VALIDATE_ERRORS;
    list.items = items;
    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.flags = remote ? ACONN_VALIDATE_REMOTE : 0;
    req.settings_json = settings;
    req.profile = remote ? profile : NULL;
    req.current_settings_json = current;
    if (facts != NULL) {
        ch_buf_output(facts, &facts_out);
        req.facts = &facts_out;
    }
    s = cli->plugin.desc->validate_settings(&cli->host.table, &req, &list);
    if (ACONN_STATUS_IS_OK(s) && list.count > 0)
        s = ACONN_ERR_INVALID;   /* an error listed is an error, whatever the status */
    *result = json_object_new_object();
    errs = json_object_new_array();
    if (*result == NULL || errs == NULL) {
        json_object_put(errs);
        s = ACONN_ERR_FATAL;
        goto cleanup;
    }
    json_object_object_add(*result, "valid", json_object_new_boolean(ACONN_STATUS_IS_OK(s)));
    for (i = 0; i < list.count && i < list.capacity; i++) {
        json_object *e = json_object_new_object();
        if (e == NULL)
            continue;
        json_object_object_add(e, "field", json_object_new_string(items[i].field));
        json_object_object_add(e, "code", json_object_new_string(items[i].code));
        json_object_object_add(e, "message", json_object_new_string(items[i].message));
        json_object_array_add(errs, e);
    }
    if (!ACONN_STATUS_IS_OK(s)) {
        json_object_object_add(*result, "errors", errs);
        json_object_object_add(*result, "status", json_object_new_string(aconn_status_name(s)));
        if (list.count > list.capacity)
            json_object_object_add(*result, "errors_dropped",
                                   json_object_new_int64(list.count - list.capacity));
    } else {
        json_object_put(errs);
    }
cleanup:
    free(items);
    return s;
}

int ch_cmd_validate(ch_cli *cli)
{
    int rc;
    char *settings = NULL, why[1024] = "";
    const char *profile = cli->a.profile;
    ch_connection conn;
    json_object *result = NULL;
    aconn_status s;

    memset(&conn, 0, sizeof(conn));
    rc = CH_NEED("validate", cli->a.plugin, "--plugin P", cli->a.settings, "--settings FILE");
    if (rc != 0)
        goto cleanup;
    if ((rc = ch_cli_load_plugin(cli, cli->a.plugin)) != 0
        || (rc = ch_cli_open_home(cli)) != 0)
        goto cleanup;
    if (cli->a.connection != NULL) {
        if ((rc = ch_cli_connection(cli, cli->a.connection, &conn)) != 0)
            goto cleanup;
        if (strcmp(conn.plugin_id, ch_plugin_id(&cli->plugin)) != 0) {
            ch_cli_error("--connection: connection %s belongs to plugin %s, not %s",
                         conn.id, conn.plugin_id, ch_plugin_id(&cli->plugin));
            rc = CH_EXIT_FAILED;
            goto cleanup;
        }
        if (profile == NULL)
            profile = conn.profile;
    }
    if (cli->a.remote && profile == NULL) {
        ch_cli_error("validate --remote needs --profile NAME (or --connection ID)");
        rc = CH_EXIT_USAGE;
        goto cleanup;
    }
    if (profile != NULL
        && (rc = ch_cli_profile_endpoint(cli, ch_plugin_id(&cli->plugin), profile)) != 0)
        goto cleanup;
    if ((rc = ch_read_settings(cli->a.settings, &settings, NULL, why, sizeof(why))) != 0) {
        /* Still answer in the documented shape, with the reason and its
           position (json-c escapes it: the output stays JSON). */
        ch_print_settings_refusal(why, strstr(why, "JSON") != NULL ? "invalid_json"
                                                                   : "unreadable");
        ch_cli_error("--settings: %s", why);
        goto cleanup;
    }
    s = ch_validate(cli, settings, profile, cli->a.remote, conn.settings_json, NULL, &result);
    if (result == NULL) {
        ch_cli_error("out of memory");
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    ch_print_json(result);
    rc = ch_exit_for_status(s);
cleanup:
    json_object_put(result);
    free(settings);
    ch_connection_clear(&conn);
    return rc;
}
