/*
 * ch_commands.c - the connector-host commands (docs/ARCHITECTURE.md,
 * "Host interface").
 */
#define _DEFAULT_SOURCE 1 /* flock() */
#include <config.h>

#include "ch_buf.h"
#include "ch_cli.h"
#include "ch_held.h"
#include "ch_dataset.h"
#include "ch_listen.h"
#include "ch_run.h"
#include "ch_secrets.h"
#include "ch_show.h"
#include "ch_util.h"
#include "common/tt_jstrict.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#define CH_SETTINGS_MAX ((size_t) 1024 * 1024)
#define CH_VALIDATE_ERRORS 64

static void ch_print_json(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
                                           | JSON_C_TO_STRING_NOSLASHESCAPE));
}

#define CH_NEED(cmd, ...) ch_need_all(cmd, (const char *const[]) { __VA_ARGS__ }, \
                                     sizeof((const char *const[]) { __VA_ARGS__ }) \
                                     / sizeof(const char *))

/* Pairs of (value, "--option VALUE"): every missing one in one error. */
static int ch_need_all(const char *cmd, const char *const *pairs, size_t n)
{
    const char *values[8], *names[8];
    size_t i, k = 0;

    for (i = 0; i + 1 < n && k < 8; i += 2, k++) {
        values[k] = pairs[i];
        names[k] = pairs[i + 1];
    }
    return ch_cli_missing(cmd, values, names, k);
}

/* Reads a settings file and checks it is one JSON object, through the
   same strict reading as every input (tt_jstrict.h). On failure `why`
   gets the reason and its position. */
static int ch_read_settings(const char *path, char **text, json_object **obj,
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

static void ch_print_plugin_error(const char *what, aconn_status s, const aconn_error *e,
                                  const char *plugin)
{
    ch_cli_error("%s failed: %s%s%s%s%s", what, aconn_status_name(s),
                 e->code[0] != '\0' ? " (" : "", e->code, e->code[0] != '\0' ? ")" : "",
                 e->message[0] != '\0' ? "" : "; the plugin gave no message");
    if (e->field[0] != '\0')
        fprintf(stderr, "  field: %s\n", e->field);
    if (e->message[0] != '\0') {
        fputs("  ", stderr);
        ch_print_message(stderr, e->message, plugin);
        fputc('\n', stderr);
    }
}

/* ---- describe ---------------------------------------------------------- */

int ch_cmd_describe(ch_cli *cli)
{
    int rc = CH_NEED("describe", cli->a.plugin, "--plugin P");

    if (rc == 0)
        rc = ch_cli_load_plugin(cli, cli->a.plugin);
    if (rc != 0)
        return rc;
    puts(cli->plugin.info->manifest_json);
    return CH_EXIT_OK;
}

/* ---- validate ---------------------------------------------------------- */

/* Calls validate_settings; fills *result with {"valid":..,"errors":[..]}.
   facts (may be NULL) receives what the plugin says the host must know of
   valid settings (aconn_validate_request.facts). */
static aconn_status ch_validate(ch_cli *cli, const char *settings, const char *profile,
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
    char err[1024] = "", home[1100];

    memset(&conn, 0, sizeof(conn));
    rc = CH_NEED("validate", cli->a.plugin, "--plugin P", cli->a.settings, "--settings FILE");
    if (rc != 0)
        goto cleanup;
    if ((rc = ch_cli_load_plugin(cli, cli->a.plugin)) != 0
        || (rc = ch_cli_open_home(cli)) != 0)
        goto cleanup;
    if (cli->a.connection != NULL) {
        int found = ch_state_connection_get(cli->state, cli->a.connection, &conn,
                                            err, sizeof(err));
        if (found != 0) {
            ch_cli_error("%s%s", found > 0 ? "--connection: no such connection; list "
                         "them with: connector-host connections" : err,
                         found > 0 ? ch_cli_fix_home(cli, home, sizeof(home)) : "");
            rc = found > 0 ? CH_EXIT_FAILED : CH_EXIT_INTERNAL;
            goto cleanup;
        }
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

/* ---- authorize --------------------------------------------------------- */

/* Whether settings_json names the account (as a JSON string or key). */
static int ch_settings_name(const char *settings_json, const char *account)
{
    char quoted[160];

    if (snprintf(quoted, sizeof(quoted), "\"%s\"", account) >= (int) sizeof(quoted))
        return 0;
    return settings_json != NULL && strstr(settings_json, quoted) != NULL;
}

/*
 * After a profile passed to another user (authorize --switch-user), adds
 * "affected_connections": this profile's connections whose settings name an
 * account of the plugin's "lost_accounts" (those stop delivering there).
 */
static void ch_add_affected(ch_cli *cli, json_object *res)
{
    json_object *lost = NULL, *conns = NULL, *hit = json_object_new_array();
    char err[256];
    size_t i, j;

    if (hit == NULL || !json_object_object_get_ex(res, "lost_accounts", &lost)
        || json_object_array_length(lost) == 0
        || ch_state_list(cli->state, "connections", &conns, err, sizeof(err)) != 0)
        goto cleanup;
    for (i = 0; i < json_object_array_length(conns); i++) {
        json_object *row = json_object_array_get_idx(conns, i), *v = NULL;
        ch_connection c;
        int named = 0;

        if (!json_object_object_get_ex(row, "profile", &v)
            || strcmp(json_object_get_string(v), cli->a.profile) != 0
            || !json_object_object_get_ex(row, "id", &v))
            continue;
        memset(&c, 0, sizeof(c));
        if (ch_state_connection_get(cli->state, json_object_get_string(v), &c, err,
                                    sizeof(err)) != 0)
            continue;
        for (j = 0; j < json_object_array_length(lost) && !named; j++) {
            json_object *id = NULL;
            if (json_object_object_get_ex(json_object_array_get_idx(lost, j),
                                          "advertiser_id", &id))
                named = ch_settings_name(c.settings_json, json_object_get_string(id));
        }
        if (named)
            json_object_array_add(hit, json_object_new_string(c.id));
        ch_connection_clear(&c);
    }
    if (json_object_array_length(hit) > 0) {
        ch_cli_error("note: profile %s now reaches fewer Ad Accounts; these connections "
                     "deliver to an account it lost: %s", cli->a.profile,
                     json_object_to_json_string_ext(hit, JSON_C_TO_STRING_PLAIN));
        json_object_object_add(res, "affected_connections", hit);
        hit = NULL;
    }
cleanup:
    json_object_put(hit);
    json_object_put(conns);
}

int ch_authorize_call(ch_cli *cli, uint32_t phase, const char *callback, aconn_error *perr)
{
    int rc;
    aconn_authorize_request req;
    aconn_output out;
    ch_buf buf = { 0 };
    json_object *res = NULL, *field = NULL;
    aconn_status s;
    char err[1024] = "";

    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.phase = phase;
    req.profile = cli->a.profile;
    req.callback_url = callback;
    memset(perr, 0, sizeof(*perr));
    perr->struct_size = sizeof(*perr);
    ch_buf_output(&buf, &out);
    s = cli->plugin.desc->authorize(&cli->host.table, &req, &out, perr);
    if (!ACONN_STATUS_IS_OK(s)) {
        ch_print_plugin_error("authorize", s, perr, cli->a.plugin);
        rc = ch_exit_for_status(s);
        /* A profile status written with the failure (e.g. no usable
           accounts) carries the reasons the user needs: show it. */
        res = buf.data != NULL ? json_tokener_parse(buf.data) : NULL;
        if (res != NULL && json_object_is_type(res, json_type_object))
            ch_print_json(res);
        if (ACONN_STATUS_IS_REAUTHORIZE(s) && req.phase == ACONN_AUTHORIZE_STATUS)
            (void) ch_state_profile_set(cli->state, ch_plugin_id(&cli->plugin),
                                        cli->a.profile, "reauthorize_required", NULL,
                                        ch_host_now_ms(&cli->host), err, sizeof(err));
        goto cleanup;
    }
    res = buf.data != NULL ? json_tokener_parse(buf.data) : NULL;
    if (res == NULL || !json_object_is_type(res, json_type_object)) {
        ch_cli_error("authorize: the plugin wrote no JSON object");
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    if (req.phase == ACONN_AUTHORIZE_BEGIN) {
        if (!json_object_object_get_ex(res, "url", &field)
            || !json_object_is_type(field, json_type_string)) {
            ch_cli_error("authorize: the plugin's answer has no \"url\"");
            rc = CH_EXIT_INTERNAL;
            goto cleanup;
        }
        /* The completing step redeems the code at the API the link was
           made for: it inherits it, and another one is refused. */
        if (ch_state_profile_begin(cli->state, ch_plugin_id(&cli->plugin), cli->a.profile,
                                   cli->host.api_base, cli->host.ca_file,
                                   ch_host_now_ms(&cli->host), err, sizeof(err)) != 0) {
            ch_cli_error("%s", err);
            rc = CH_EXIT_INTERNAL;
            goto cleanup;
        }
        puts(json_object_get_string(field));
        rc = CH_EXIT_OK;
        goto cleanup;
    }
    /* COMPLETE or STATUS: record the profile status, print it. */
    if (!json_object_object_get_ex(res, "status", &field)
        || !json_object_is_type(field, json_type_string)) {
        ch_cli_error("authorize: the plugin's profile status has no \"status\"");
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    if (ch_state_profile_set(cli->state, ch_plugin_id(&cli->plugin), cli->a.profile,
                             json_object_get_string(field),
                             json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN),
                             ch_host_now_ms(&cli->host), err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    /* The token just obtained belongs to this API: later commands on the
       profile use it and refuse another. */
    if (req.phase == ACONN_AUTHORIZE_COMPLETE
        && (rc = ch_cli_profile_endpoint_record(cli, ch_plugin_id(&cli->plugin),
                                                cli->a.profile)) != 0)
        goto cleanup;
    if (req.phase == ACONN_AUTHORIZE_COMPLETE)
        ch_add_affected(cli, res);
    ch_print_json(res);
    rc = CH_EXIT_OK;
cleanup:
    json_object_put(res);
    ch_buf_free(&buf);
    return rc;
}

/* Whether the profile's recorded endpoint is only that of a link never
   completed (cli->endpoint_pending): a new link (no --callback, no
   --status) may then point elsewhere, and replaces it. */
static int ch_authorize_pending(ch_cli *cli)
{
    char *status = NULL, err[1024] = "";

    if (ch_state_profile_get(cli->state, ch_plugin_id(&cli->plugin), cli->a.profile,
                             &status, err, sizeof(err)) < 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    cli->endpoint_pending = status != NULL && strcmp(status, CH_PROFILE_AUTHORIZING) == 0;
    free(status);
    if (cli->endpoint_pending && cli->a.callback == NULL && !cli->a.status)
        cli->endpoint_pending = 2;   /* starting over: the check is skipped */
    return 0;
}

int ch_cmd_authorize(ch_cli *cli)
{
    aconn_error perr;
    int rc;

    rc = CH_NEED("authorize", cli->a.plugin, "--plugin P", cli->a.profile, "--profile NAME");
    if (rc != 0)
        return rc;
    if (cli->a.callback != NULL && cli->a.status) {
        ch_cli_error("authorize: give --callback URL or --status, not both");
        return CH_EXIT_USAGE;
    }
    if (cli->a.listen != NULL && (cli->a.callback != NULL || cli->a.status)) {
        ch_cli_error("authorize: --listen receives the redirect itself; give it without "
                     "--callback and --status");
        return CH_EXIT_USAGE;
    }
    if (cli->a.listen_timeout != NULL && cli->a.listen == NULL) {
        ch_cli_error("authorize: --listen-timeout goes with --listen [HOST:]PORT");
        return CH_EXIT_USAGE;
    }
    if (cli->a.switch_user && cli->a.callback == NULL && cli->a.listen == NULL) {
        ch_cli_error("authorize: --switch-user goes with --callback URL or --listen (it lets "
                     "the profile pass to the TikTok user who completed the link)");
        return CH_EXIT_USAGE;
    }
    cli->host.switch_user = cli->a.switch_user ? "1" : NULL;
    if ((rc = ch_cli_load_plugin(cli, cli->a.plugin)) != 0
        || (rc = ch_cli_open_home(cli)) != 0
        || (rc = ch_authorize_pending(cli)) != 0
        || (rc = ch_cli_profile_endpoint(cli, ch_plugin_id(&cli->plugin),
                                         cli->a.profile)) != 0)
        return rc;
    if (cli->a.listen != NULL)
        return ch_listen_authorize(cli);
    return ch_authorize_call(cli, cli->a.callback != NULL ? ACONN_AUTHORIZE_COMPLETE
                                  : cli->a.status ? ACONN_AUTHORIZE_STATUS
                                                  : ACONN_AUTHORIZE_BEGIN,
                             cli->a.callback, &perr);
}

/* ---- connect ----------------------------------------------------------- */

/* Where the first run starts, from the facts validate_settings wrote
   (aconn.h: "first_run_from", default "beginning"): the host reads no
   settings key of the plugin's. */
static int ch_first_run_historical(const ch_buf *facts, int *historical)
{
    json_object *f = facts->data != NULL ? json_tokener_parse(facts->data) : NULL, *v;
    int rc = 0;

    *historical = 1;
    if (f != NULL && json_object_object_get_ex(f, "first_run_from", &v)) {
        const char *t = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        if (strcmp(t, "end") == 0) {
            *historical = 0;
        } else if (strcmp(t, "beginning") != 0) {
            ch_cli_error("connect: the plugin's validate_settings gave first_run_from \"%s\"; "
                         "aconn.h allows \"beginning\" or \"end\" (a plugin bug)", t);
            rc = -1;
        }
    }
    json_object_put(f);
    return rc;
}

static void ch_print_validation_errors(json_object *result)
{
    json_object *errs = NULL;
    size_t i, n;

    if (!json_object_object_get_ex(result, "errors", &errs))
        return;
    n = json_object_array_length(errs);
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(errs, i), *f, *c, *m;
        json_object_object_get_ex(e, "field", &f);
        json_object_object_get_ex(e, "code", &c);
        json_object_object_get_ex(e, "message", &m);
        fprintf(stderr, "  %s: %s (%s)\n", json_object_get_string(f),
                json_object_get_string(m), json_object_get_string(c));
    }
}

int ch_cmd_connect(ch_cli *cli)
{
    int rc;
    char *settings_text = NULL, *status = NULL, *spool = NULL;
    json_object *settings = NULL, *result = NULL;
    ch_connection c;
    char dataset[PATH_MAX], id[40], err[1024] = "", why[1024] = "";
    struct stat st;
    ch_dataset_counts counts;
    ch_buf facts = { NULL, 0, 0 };
    int remote = 0;
    aconn_status s;

    memset(&c, 0, sizeof(c));
    rc = CH_NEED("connect", cli->a.plugin, "--plugin P", cli->a.profile, "--profile NAME",
                 cli->a.dataset, "--dataset FILE", cli->a.settings, "--settings FILE");
    if (rc != 0)
        goto cleanup;
    if ((rc = ch_cli_load_plugin(cli, cli->a.plugin)) != 0
        || (rc = ch_cli_open_home(cli)) != 0
        || (rc = ch_read_settings(cli->a.settings, &settings_text, &settings, why,
                                  sizeof(why))) != 0) {
        if (rc != 0 && why[0] != '\0')
            ch_cli_error("--settings: %s", why);
        goto cleanup;
    }
    if ((rc = ch_cli_profile_endpoint(cli, ch_plugin_id(&cli->plugin), cli->a.profile)) != 0) {
        goto cleanup;
    }
    /* The path as given, made absolute but not resolved: a symlink that
       later points elsewhere is a replaced dataset, never followed
       silently (ch_fprint.h). */
    if (ch_absolute_path(cli->a.dataset, dataset, sizeof(dataset)) != 0
        || stat(dataset, &st) != 0 || !S_ISREG(st.st_mode)) {
        ch_cli_error("--dataset: %s is not a readable regular file", cli->a.dataset);
        rc = CH_EXIT_FAILED;
        goto cleanup;
    }
    /* Remote checks need the profile's credentials: only when connected. */
    if (ch_state_profile_get(cli->state, ch_plugin_id(&cli->plugin), cli->a.profile,
                             &status, err, sizeof(err)) < 0) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    /* A connection to a profile that cannot deliver would only fail at
       deliver, with a misleading "re-authorize": refuse it here. */
    remote = status != NULL && strcmp(status, "connected") == 0;
    if (!remote) {
        if (status == NULL)
            ch_cli_error("connect: there is no profile %s (see: connector-host profiles). "
                         "Create it with: connector-host authorize --plugin P --profile %s",
                         cli->a.profile, cli->a.profile);
        else
            ch_cli_error("connect: profile %s is %s, not connected, so it cannot deliver. "
                         "Check it with: connector-host authorize --plugin P --profile %s "
                         "--status, or authorize it again", cli->a.profile, status,
                         cli->a.profile);
        rc = status != NULL && strcmp(status, "reauthorize_required") == 0
                 ? CH_EXIT_REAUTHORIZE : CH_EXIT_FAILED;
        goto cleanup;
    }
    s = ch_validate(cli, settings_text, cli->a.profile, remote, NULL, &facts, &result);
    if (!ACONN_STATUS_IS_OK(s)) {
        ch_cli_error("connect: the settings were refused (%s):", aconn_status_name(s));
        if (result != NULL)
            ch_print_validation_errors(result);
        rc = ch_exit_for_status(s);
        goto cleanup;
    }
    if (ch_first_run_historical(&facts, &c.historical) != 0) {
        rc = CH_EXIT_FAILED;
        goto cleanup;
    }
    if (ch_dataset_count(dataset, 0, &counts, err, sizeof(err)) != 0) {
        ch_cli_error("--dataset: %s", err);
        rc = CH_EXIT_FAILED;
        goto cleanup;
    }
    c.lines_at_connect = counts.lines;
    /* What the checkpoint covers from the start is fingerprinted too. */
    if (!c.historical && counts.lines > 0
        && ch_fprint_make_path(dataset, counts.lines, counts.end_bytes, &c.fp, err,
                               sizeof(err)) != 0) {
        ch_cli_error("--dataset: %s", err);
        rc = CH_EXIT_FAILED;
        goto cleanup;
    }
    if (ch_random_id("c_", 8, id, sizeof(id)) != 0) {
        ch_cli_error("cannot make a connection id");
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    c.id = id;
    c.plugin_path = (char *) ch_relink_spec(cli, cli->a.plugin);
    c.plugin_id = (char *) ch_plugin_id(&cli->plugin);
    c.profile = (char *) cli->a.profile;
    c.dataset_path = dataset;
    c.settings_json = settings_text;
    c.created_at_ms = ch_host_now_ms(&cli->host);
    c.delivered_through = c.historical ? 0 : c.lines_at_connect;
    if (ch_state_connection_insert(cli->state, &c, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    spool = ch_home_spool_dir(&cli->home, id, err, sizeof(err));
    if (spool == NULL) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    puts(id);
    rc = CH_EXIT_OK;
cleanup:
    ch_buf_free(&facts);
    json_object_put(settings);
    json_object_put(result);
    free(settings_text);
    free(status);
    free(spool);
    return rc;
}

/* ---- deliver ----------------------------------------------------------- */

/* A connection id names files under spool/: only the shape connect makes. */
static int ch_connection_id_ok(const char *id)
{
    size_t n;

    for (n = 0; id[n] != '\0'; n++) {
        char c = id[n];
        if (n >= 64 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return n > 0;
}

/* Only one deliver per connection at a time, across processes; the lock
   goes away with the process, so a killed host never blocks the next. */
static int ch_lock_connection(const ch_home *home, const char *id, int *fd)
{
    char *path = ch_strdup_printf("%s/%s.lock", home->spool, id);
    int rc = -1;

    *fd = -1;
    if (path == NULL)
        return -1;
    /* O_NOFOLLOW, O_NONBLOCK: never a planted link or FIFO (issue #21). */
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (*fd >= 0 && flock(*fd, LOCK_EX | LOCK_NB) == 0)
        rc = 0;
    else if (*fd >= 0 && errno == EWOULDBLOCK)
        rc = 1;
    free(path);
    return rc;
}

int ch_cmd_deliver(ch_cli *cli)
{
    int rc, found, lockfd = -1;
    ch_held *held = NULL;
    ch_connection c;
    ch_run_options opt;
    json_object *report = NULL;
    char *status = NULL, *spool = NULL;
    char err[1024] = "", home[1100];
    int64_t n = 0;

    memset(&c, 0, sizeof(c));
    memset(&opt, 0, sizeof(opt));
    rc = CH_NEED("deliver", cli->a.connection, "--connection ID");
    if (rc != 0)
        goto cleanup;
    if (!ch_connection_id_ok(cli->a.connection)) {
        ch_cli_error("--connection: '%s' is not a connection id (like c_0123abcd...); "
                     "list them with: connector-host connections%s", cli->a.connection,
                     ch_cli_fix_home(cli, home, sizeof(home)));
        rc = CH_EXIT_FAILED;
        goto cleanup;
    }
    opt.batch_lines = CH_DEFAULT_BATCH_LINES;
    if (cli->a.batch_records != NULL) {
        if (ch_parse_i64(cli->a.batch_records, &n) != 0 || n <= 0) {
            ch_cli_error("--batch-records: '%s' must be a positive integer",
                         cli->a.batch_records);
            rc = CH_EXIT_USAGE;
            goto cleanup;
        }
        opt.batch_lines = (uint64_t) n;
    }
    opt.progress = isatty(STDERR_FILENO);
    opt.dry_run = cli->a.dry_run;
    opt.resync = cli->a.resync;
    cli->host.dry_run = cli->a.dry_run ? "1" : NULL;
    if ((rc = ch_cli_open_home(cli)) != 0)
        goto cleanup;
    switch (ch_lock_connection(&cli->home, cli->a.connection, &lockfd)) {
    case 0:
        break;
    case 1:
        ch_cli_error("connection %s is being delivered by another process; try again "
                     "when it finishes", cli->a.connection);
        rc = CH_EXIT_RETRY;
        goto cleanup;
    default:
        ch_cli_error("cannot lock connection %s: %s", cli->a.connection, strerror(errno));
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    found = ch_state_connection_get(cli->state, cli->a.connection, &c, err, sizeof(err));
    if (found != 0) {
        ch_cli_error("%s%s", found > 0 ? "--connection: no such connection; list them "
                     "with: connector-host connections" : err,
                     found > 0 ? ch_cli_fix_home(cli, home, sizeof(home)) : "");
        rc = found > 0 ? CH_EXIT_FAILED : CH_EXIT_INTERNAL;
        goto cleanup;
    }
    if ((rc = ch_cli_load_plugin(cli, c.plugin_path)) != 0) {
        fprintf(stderr, "  if the plugin moved: connector-host relink --connection %s "
                "--plugin NEW_PATH%s\n", c.id, ch_cli_fix_home(cli, home, sizeof(home)));
        goto cleanup;
    }
    if (strcmp(ch_plugin_id(&cli->plugin), c.plugin_id) != 0) {
        ch_cli_error("plugin %s now has id %s, but connection %s was made with %s; "
                     "install the right plugin", c.plugin_path, ch_plugin_id(&cli->plugin),
                     c.id, c.plugin_id);
        rc = CH_EXIT_PLUGIN;
        goto cleanup;
    }
    if (ch_state_profile_get(cli->state, c.plugin_id, c.profile, &status, err,
                             sizeof(err)) < 0) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    if ((rc = ch_cli_profile_endpoint(cli, c.plugin_id, c.profile)) != 0)
        goto cleanup;
    if (status != NULL && strcmp(status, "reauthorize_required") == 0) {
        ch_cli_error("profile %s must be authorized again before delivering: run "
                     "connector-host authorize --plugin %s --profile %s%s", c.profile,
                     c.plugin_path, c.profile, ch_cli_fix_home(cli, home, sizeof(home)));
        rc = CH_EXIT_REAUTHORIZE;
        goto cleanup;
    }
    spool = ch_home_spool_dir(&cli->home, c.id, err, sizeof(err));
    if (spool == NULL) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    opt.spool_dir = spool;
    /* On a state shared by many machines the flock is not enough: the
       run holds the connection's lease, as a worker's does. */
    if (!cli->a.dry_run && (rc = ch_deliver_hold(cli, &c, &held)) != 0)
        goto cleanup;
    cli->host.lease_lost = held != NULL ? ch_held_lost(held) : NULL;
    rc = ch_run_deliver(&cli->host, &cli->plugin, &c, &opt, &report, err, sizeof(err));
    cli->host.lease_lost = NULL;
    if (rc == CH_EXIT_INTERNAL && ch_state_unreachable(cli->state))
        rc = CH_EXIT_RETRY;   /* the database went away: the run stays pending */
    if (report != NULL)
        ch_print_json(report);
    else
        ch_cli_error("deliver: %s", err[0] != '\0' ? err : "failed");
    if (report != NULL && err[0] != '\0')
        ch_cli_error("deliver: %s", err);
    if (report != NULL && rc != CH_EXIT_OK)
        ch_show_deliver_failure(cli, &c, report, rc);
cleanup:
    if (held != NULL && ch_held_release(held, 0, err, sizeof(err)) != 0)
        ch_cli_error("%s (the lease expires by itself)", err);
    json_object_put(report);
    ch_connection_clear(&c);
    free(status);
    free(spool);
    if (lockfd >= 0)
        close(lockfd);
    return rc;
}
