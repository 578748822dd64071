/*
 * ch_cmd_life.c - a connection's life around the worker: pause, resume
 * and disconnect --connection ID. A paused connection is never due (a run
 * in progress finishes first); a disconnected one is never delivered
 * again, and its audiences stay in TikTok.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The audiences of the connection's last report: report.targets, or the
   plugin's report's targets. A new array (empty when none). */
static json_object *ch_life_audiences(ch_cli *cli, const char *id)
{
    const ch_sql_arg args[] = { CH_T(id) };
    json_object *out = json_object_new_array(), *report = NULL, *t = NULL, *p;
    char err[512];
    ch_rows r;
    size_t i;

    if (out == NULL || ch_state_exec(cli->state, "reading the last report", "SELECT report_json"
                                     " FROM runs WHERE connection_id = ?1 AND report_json IS"
                                     " NOT NULL ORDER BY finished_ms DESC, attempt DESC LIMIT 1",
                                     args, 1, &r, NULL, err, sizeof(err)) != 0)
        return out;
    if (r.nrows > 0 && !ch_rows_is_null(&r, 0, 0))
        report = json_tokener_parse(ch_rows_cell(&r, 0, 0)->s);
    ch_rows_free(&r);
    if (report != NULL && !json_object_object_get_ex(report, "targets", &t)
        && json_object_object_get_ex(report, "plugin", &p))
        json_object_object_get_ex(p, "targets", &t);
    for (i = 0; t != NULL && json_object_is_type(t, json_type_array)
                && i < json_object_array_length(t); i++) {
        json_object *one = json_object_array_get_idx(t, i), *a = json_object_new_object(), *v;
        static const char *const keys[] = { "advertiser_id", "audience_id", "name" };
        if (a == NULL)
            break;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (json_object_object_get_ex(one, keys[k], &v))
                json_object_object_add(a, keys[k], json_object_get(v));
        json_object_array_add(out, a);
    }
    json_object_put(report);
    return out;
}

/* Sets the connection's paused flag or its disconnection; prints the new
   state. what: "pause", "resume", "disconnect". */
static int ch_life_set(ch_cli *cli, const char *what)
{
    const char *id = cli->a.connection;
    int64_t now = ch_host_now_ms(&cli->host), changes = 0;
    const ch_sql_arg args[] = { CH_T(id), CH_I(now) };
    const char *sql = strcmp(what, "pause") == 0
        ? "UPDATE connections SET paused = 1 WHERE id = ?1 AND disconnected_ms = 0"
        : strcmp(what, "resume") == 0
        ? "UPDATE connections SET paused = 0 WHERE id = ?1 AND disconnected_ms = 0"
        : "UPDATE connections SET disconnected_ms = ?2 WHERE id = ?1 AND disconnected_ms = 0";
    char err[1024] = "", home[1100];
    ch_connection c;
    json_object *out = NULL;
    int rc;

    const char *const values[] = { id }, *const names[] = { "--connection ID" };

    if ((rc = ch_cli_missing(what, values, names, 1)) != 0 || (rc = ch_cli_open_home(cli)) != 0)
        return rc;
    if (ch_state_exec(cli->state, what, sql, args, 2, NULL, &changes, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return ch_state_unreachable(cli->state) ? CH_EXIT_RETRY : CH_EXIT_INTERNAL;
    }
    if ((rc = ch_cli_connection(cli, id, &c)) != 0)
        return rc;
    if (changes == 0 && c.disconnected_ms > 0) {
        ch_cli_error("connection %s was disconnected: it is never delivered again, and "
                     "cannot be %s; connect the dataset again for a new connection", id,
                     strcmp(what, "disconnect") == 0 ? "disconnected twice" : "paused or resumed");
        ch_connection_clear(&c);
        return CH_EXIT_FAILED;
    }
    out = json_object_new_object();
    json_object_object_add(out, "connection_id", json_object_new_string(id));
    json_object_object_add(out, "state", json_object_new_string(
        c.disconnected_ms > 0 ? "disconnected" : c.paused ? "paused" : "active"));
    if (c.run_id != NULL && c.run_outcome != NULL)
        json_object_object_add(out, "pending_run", json_object_new_string(c.run_id));
    if (strcmp(what, "disconnect") == 0) {
        json_object *aud = ch_life_audiences(cli, id);
        json_object_object_add(out, "audiences", aud);
        fprintf(stderr, "connector-host: connection %s is disconnected: no delivery ever "
                "again. Its %zu audience(s) stay in TikTok (listed in \"audiences\"); "
                "delete them in TikTok Ads Manager if they should go.\n", id,
                aud != NULL ? json_object_array_length(aud) : (size_t) 0);
    } else if (strcmp(what, "pause") == 0) {
        fprintf(stderr, "connector-host: connection %s is paused: no worker takes it until "
                "connector-host resume --connection %s%s (a run in progress finishes "
                "first)\n", id, id, ch_cli_fix_home(cli, home, sizeof(home)));
    }
    printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN
                                                       | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(out);
    ch_connection_clear(&c);
    return CH_EXIT_OK;
}

int ch_cmd_pause(ch_cli *cli)
{
    return ch_life_set(cli, "pause");
}

int ch_cmd_resume(ch_cli *cli)
{
    return ch_life_set(cli, "resume");
}

int ch_cmd_disconnect(ch_cli *cli)
{
    return ch_life_set(cli, "disconnect");
}
