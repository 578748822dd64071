/*
 * ch_commands.c - the connector-host commands describe and authorize, and
 * the helpers every command file shares (ch_cmd.h); validate, connect and
 * deliver are in ch_cmd_validate.c, ch_cmd_connect.c and ch_cmd_deliver.c
 * (docs/ARCHITECTURE.md, "Host interface").
 */
#include <config.h>

#include "ch_buf.h"
#include "ch_cli.h"
#include "ch_cmd.h"
#include "ch_listen.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

void ch_print_json(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
                                           | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Pairs of (value, "--option VALUE"): every missing one in one error. */
int ch_need_all(const char *cmd, const char *const *pairs, size_t n)
{
    const char *values[8], *names[8];
    size_t i, k = 0;

    for (i = 0; i + 1 < n && k < 8; i += 2, k++) {
        values[k] = pairs[i];
        names[k] = pairs[i + 1];
    }
    return ch_cli_missing(cmd, values, names, k);
}

void ch_print_plugin_error(const char *what, aconn_status s, const aconn_error *e,
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

/* authorize BEGIN's answer: the link recorded (the completing step redeems
   the code at the API the link was made for: it inherits it, and another
   one is refused) and its URL printed. The exit code. */
static int ch_authorize_began(ch_cli *cli, json_object *res)
{
    json_object *field = NULL;
    char err[1024] = "";

    if (!json_object_object_get_ex(res, "url", &field)
        || !json_object_is_type(field, json_type_string)) {
        ch_cli_error("authorize: the plugin's answer has no \"url\"");
        return CH_EXIT_INTERNAL;
    }
    if (ch_state_profile_begin(cli->state, ch_plugin_id(&cli->plugin), cli->a.profile,
                               cli->host.api_base, cli->host.ca_file,
                               ch_host_now_ms(&cli->host), err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    puts(json_object_get_string(field));
    return CH_EXIT_OK;
}

/* COMPLETE's or STATUS's profile status: recorded, then printed. The exit
   code. */
static int ch_authorize_record(ch_cli *cli, uint32_t phase, json_object *res)
{
    json_object *field = NULL;
    char err[1024] = "";
    int rc;

    if (!json_object_object_get_ex(res, "status", &field)
        || !json_object_is_type(field, json_type_string)) {
        ch_cli_error("authorize: the plugin's profile status has no \"status\"");
        return CH_EXIT_INTERNAL;
    }
    if (ch_state_profile_set(cli->state, ch_plugin_id(&cli->plugin), cli->a.profile,
                             json_object_get_string(field),
                             json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN),
                             ch_host_now_ms(&cli->host), err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    /* The token just obtained belongs to this API: later commands on the
       profile use it and refuse another. */
    if (phase == ACONN_AUTHORIZE_COMPLETE
        && (rc = ch_cli_profile_endpoint_record(cli, ch_plugin_id(&cli->plugin),
                                                cli->a.profile)) != 0)
        return rc;
    if (phase == ACONN_AUTHORIZE_COMPLETE)
        ch_add_affected(cli, res);
    ch_print_json(res);
    return CH_EXIT_OK;
}

int ch_authorize_call(ch_cli *cli, uint32_t phase, const char *callback, aconn_error *perr)
{
    int rc;
    aconn_authorize_request req;
    aconn_output out;
    ch_buf buf = { 0 };
    json_object *res = NULL;
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
    rc = req.phase == ACONN_AUTHORIZE_BEGIN ? ch_authorize_began(cli, res)
                                            : ch_authorize_record(cli, req.phase, res);
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
