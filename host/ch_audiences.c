/*
 * ch_audiences.c - `connector-host audiences --connection ID`: the
 * connection's audiences as the remote platform holds them now (size,
 * processing or ready, expiry, the last run's outcome), through the
 * plugin's optional inspect() entry point (ABI 1.1). A table on a
 * terminal, JSON with --json or when piped, as the other listings.
 */
#include <config.h>

#include "ch_buf.h"
#include "ch_cli.h"
#include "ch_show.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define CH_AUD_COLS 8

static const char *ch_aud_str(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
        return NULL;
    return json_object_get_string(v);
}

/* The newest finished attempt of the connection: {run_id, status,
   finished_ms, finished_at} in *run, and the plugin's report in *plugin
   (NULL when that attempt has none). 0 or an exit code. */
static int ch_aud_last_run(ch_cli *cli, const char *id, json_object **run, char **plugin)
{
    json_object *arr = NULL, *report = NULL, *p = NULL, *r;
    char err[1024] = "", iso[40];
    int rc = 0;

    *run = NULL;
    *plugin = NULL;
    if (ch_state_select_json(cli->state, "SELECT run_id, attempt, status, finished_ms,"
                             " report_json FROM runs WHERE connection_id = ?1"
                             " AND finished_ms IS NOT NULL"
                             " ORDER BY finished_ms DESC, attempt DESC LIMIT 1",
                             &id, 1, &arr, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    if (json_object_array_length(arr) == 0)
        goto cleanup;
    r = json_object_array_get_idx(arr, 0);
    if (ch_aud_str(r, "report_json") != NULL)
        report = json_tokener_parse(ch_aud_str(r, "report_json"));
    if (report != NULL && json_object_object_get_ex(report, "plugin", &p)
        && json_object_is_type(p, json_type_object))
        *plugin = ch_strdup_printf("%s", json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    json_object_object_del(r, "report_json");
    ch_show_iso(json_object_get_int64(json_object_object_get(r, "finished_ms")), iso,
                sizeof(iso));
    json_object_object_add(r, "finished_at", json_object_new_string(iso));
    *run = json_object_get(r);
cleanup:
    json_object_put(report);
    json_object_put(arr);
    return rc;
}

/* "EMAIL_SHA256,PHONE_SHA256" -> "EMAIL,PHONE": the table's short form. */
static void ch_aud_types(json_object *t, char *buf, size_t len)
{
    json_object *a = json_object_object_get(t, "identifier_types");
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; a != NULL && json_object_is_type(a, json_type_array)
                       && i < json_object_array_length(a) && n + 1 < len; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(a, i));
        size_t sl = s != NULL ? strlen(s) : 0;
        if (sl > 7 && strcmp(s + sl - 7, "_SHA256") == 0)
            sl -= 7;
        n += (size_t) snprintf(buf + n, len - n, "%s%.*s", i > 0 ? "," : "", (int) sl,
                               s != NULL ? s : "");
    }
}

/* One table row's cells (borrowed or in bufs). */
static void ch_aud_cells(json_object *t, const char *cells[CH_AUD_COLS],
                         char bufs[3][160])
{
    json_object *v = NULL;

    cells[0] = ch_aud_str(t, "account");
    cells[1] = ch_aud_str(t, "audience_id");
    cells[2] = ch_aud_str(t, "name");
    ch_aud_types(t, bufs[0], sizeof(bufs[0]));
    cells[3] = bufs[0];
    cells[4] = NULL;
    if (json_object_object_get_ex(t, "size", &v) && v != NULL) {
        snprintf(bufs[1], sizeof(bufs[1]), "%lld", (long long) json_object_get_int64(v));
        cells[4] = bufs[1];
    }
    cells[5] = ch_aud_str(t, "status");
    cells[6] = NULL;
    if (json_object_object_get_ex(t, "expires_at_ms", &v) && v != NULL) {
        ch_show_iso(json_object_get_int64(v), bufs[2], sizeof(bufs[2]));
        bufs[2][10] = '\0';   /* the day is what matters */
        cells[6] = bufs[2];
    }
    cells[7] = ch_aud_str(t, "last_outcome");
    for (int i = 0; i < CH_AUD_COLS; i++)
        if (cells[i] == NULL || cells[i][0] == '\0')
            cells[i] = "-";
}

static void ch_aud_table(json_object *res, json_object *targets)
{
    static const char *const head[CH_AUD_COLS] = {"ACCOUNT", "AUDIENCE", "NAME", "TYPES",
                                                  "SIZE", "STATUS", "EXPIRES", "LAST RUN"};
    size_t w[CH_AUD_COLS], n = json_object_array_length(targets);
    const char *cells[CH_AUD_COLS];
    char bufs[3][160];

    for (int c = 0; c < CH_AUD_COLS; c++)
        w[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
        ch_aud_cells(json_object_array_get_idx(targets, i), cells, bufs);
        for (int c = 0; c < CH_AUD_COLS; c++)
            if (strlen(cells[c]) > w[c])
                w[c] = strlen(cells[c]);
    }
    printf("%s  profile %s  plugin %s  checked %s\n", ch_aud_str(res, "connection_id"),
           ch_aud_str(res, "profile"), ch_aud_str(res, "plugin_id"),
           ch_aud_str(res, "checked_at") != NULL ? ch_aud_str(res, "checked_at") : "-");
    for (int c = 0; c < CH_AUD_COLS; c++)
        printf("%-*s%s", c + 1 < CH_AUD_COLS ? (int) w[c] : 0, head[c],
               c + 1 < CH_AUD_COLS ? "  " : "\n");
    for (size_t i = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(targets, i), *e = NULL;
        const char *s;
        ch_aud_cells(t, cells, bufs);
        for (int c = 0; c < CH_AUD_COLS; c++)
            printf("%-*s%s", c + 1 < CH_AUD_COLS ? (int) w[c] : 0, cells[c],
                   c + 1 < CH_AUD_COLS ? "  " : "\n");
        if ((s = ch_aud_str(t, "state")) != NULL && strcmp(s, "healthy") != 0)
            printf("  %s: %s\n  fix: %s\n", s, ch_aud_str(t, "reason") ? ch_aud_str(t, "reason")
                   : "-", ch_aud_str(t, "fix") ? ch_aud_str(t, "fix") : "-");
        if (json_object_object_get_ex(t, "error", &e) && (s = ch_aud_str(e, "message")) != NULL)
            printf("  could not ask: %s\n", s);
    }
    if (n == 0)
        puts("(no audiences)");
}

/* Adds the host's view to the plugin's answer and prints it. */
static void ch_aud_print(ch_cli *cli, const ch_connection *c, json_object *res,
                         json_object *run)
{
    json_object *targets = json_object_object_get(res, "targets");
    char iso[40];

    json_object_object_add(res, "connection_id", json_object_new_string(c->id));
    json_object_object_add(res, "plugin_id", json_object_new_string(c->plugin_id));
    json_object_object_add(res, "profile", json_object_new_string(c->profile));
    ch_show_iso(json_object_get_int64(json_object_object_get(res, "checked_at_ms")), iso,
                sizeof(iso));
    if (iso[0] != '\0')
        json_object_object_add(res, "checked_at", json_object_new_string(iso));
    json_object_object_add(res, "last_run", json_object_get(run));
    if (targets == NULL || !json_object_is_type(targets, json_type_array)) {
        targets = json_object_new_array();
        json_object_object_add(res, "targets", targets);
    }
    for (size_t i = 0; i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i), *v = NULL;
        if (json_object_object_get_ex(t, "expires_at_ms", &v) && v != NULL) {
            ch_show_iso(json_object_get_int64(v), iso, sizeof(iso));
            json_object_object_add(t, "expires_at", json_object_new_string(iso));
        }
    }
    if (ch_show_as_json(cli))
        puts(json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN
                                                 | JSON_C_TO_STRING_NOSLASHESCAPE));
    else
        ch_aud_table(res, targets);
}

/* The plugin's inspect(), or a refusal naming why it has none. */
static int ch_aud_supported(ch_cli *cli, const ch_connection *c)
{
    const aconn_plugin *d = cli->plugin.desc;
    char home[1100];

    if (d->abi_minor >= 1 && ACONN_HAS(d, aconn_plugin, inspect) && d->inspect != NULL)
        return 0;
    ch_cli_error("plugin %s (ABI %u.%u) does not support audiences: it has no inspect entry "
                 "point (ABI 1.1). Its last run's report lists the targets it wrote: "
                 "connector-host connections show %s%s", c->plugin_id, (unsigned) d->abi_major,
                 (unsigned) d->abi_minor, c->id, ch_cli_fix_home(cli, home, sizeof(home)));
    return CH_EXIT_FAILED;
}

static int ch_aud_setup(ch_cli *cli, ch_connection *c)
{
    int rc;

    if ((rc = ch_cli_missing("audiences", (const char *const[]) { cli->a.connection },
                             (const char *const[]) { "--connection ID" }, 1)) != 0
        || (rc = ch_cli_open_home(cli)) != 0)
        return rc;
    if ((rc = ch_cli_connection(cli, cli->a.connection, c)) != 0)
        return rc;
    if ((rc = ch_cli_load_plugin(cli, c->plugin_path)) != 0)
        return rc;
    if ((rc = ch_cli_same_plugin(cli, c)) != 0)
        return rc;
    if ((rc = ch_aud_supported(cli, c)) != 0)
        return rc;
    return ch_cli_profile_endpoint(cli, c->plugin_id, c->profile);
}

int ch_cmd_audiences(ch_cli *cli)
{
    ch_connection c;
    aconn_inspect_request req;
    aconn_error perr;
    aconn_output out;
    ch_buf buf = { 0 };
    json_object *run = NULL, *res = NULL;
    char *plugin_report = NULL;
    aconn_status s;
    int rc;

    memset(&c, 0, sizeof(c));
    if ((rc = ch_aud_setup(cli, &c)) != 0
        || (rc = ch_aud_last_run(cli, c.id, &run, &plugin_report)) != 0)
        goto cleanup;
    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.connection_id = c.id;
    req.profile = c.profile;
    req.settings_json = c.settings_json;
    req.last_report_json = plugin_report;
    memset(&perr, 0, sizeof(perr));
    perr.struct_size = sizeof(perr);
    ch_buf_output(&buf, &out);
    s = cli->plugin.desc->inspect(&cli->host.table, &req, &out, &perr);
    res = buf.data != NULL ? json_tokener_parse(buf.data) : NULL;
    if (res != NULL && json_object_is_type(res, json_type_object))
        ch_aud_print(cli, &c, res, run);
    if (!ACONN_STATUS_IS_OK(s)) {
        ch_cli_error("audiences failed: %s%s%s%s", aconn_status_name(s),
                     perr.code[0] != '\0' ? " (" : "", perr.code, perr.code[0] != '\0' ? ")" : "");
        if (perr.message[0] != '\0') {
            fputs("  ", stderr);
            ch_print_message(stderr, perr.message, c.plugin_path);
            fputc('\n', stderr);
        }
        rc = ch_exit_for_status(s);
    } else if (res == NULL || !json_object_is_type(res, json_type_object)) {
        ch_cli_error("audiences: the plugin wrote no JSON object");
        rc = CH_EXIT_INTERNAL;
    }
cleanup:
    json_object_put(res);
    json_object_put(run);
    free(plugin_report);
    ch_buf_free(&buf);
    ch_connection_clear(&c);
    return rc;
}
