/*
 * ch_show.c - the listings (connections, runs, profiles, and `show` of
 * one) and the reason of a failed deliver, for people and for scripts.
 *
 * Like gh: a readable layout when standard output is a terminal (or
 * CONNECTOR_HOST_FORCE_TTY is set), JSON when it is not or with --json.
 * The JSON keeps every column the listings always had (scripts read them)
 * and adds ISO 8601 UTC times beside the *_ms ones. No colour is written.
 */
#include <config.h>

#include "ch_show.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *ch_show_str(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (o == NULL || !json_object_object_get_ex(o, key, &v)
        || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int64_t ch_show_int(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
        return 0;
    return json_object_get_int64(v);
}

void ch_show_iso(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t) (ms / 1000);
    struct tm tm;

    if (ms <= 0 || gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ",
                                                          &tm) == 0)
        snprintf(buf, len, "%s", "");
}

/* "3 min ago" / "in 30 s": how far `ms` is from now. */
static void ch_show_relative(int64_t ms, int64_t now, char *buf, size_t len)
{
    int64_t d = (ms > now ? ms - now : now - ms) / 1000;
    const char *unit = "s";

    if (d >= 2 * 86400) {
        d /= 86400;
        unit = "days";
    } else if (d >= 2 * 3600) {
        d /= 3600;
        unit = "h";
    } else if (d >= 120) {
        d /= 60;
        unit = "min";
    }
    if (ms > now)
        snprintf(buf, len, "in %lld %s", (long long) d, unit);
    else
        snprintf(buf, len, "%lld %s ago", (long long) d, unit);
}

/* Adds key = the ISO form of row[ms_key] when that is set. */
static void ch_show_add_iso(json_object *row, const char *ms_key, const char *key)
{
    char iso[40];
    int64_t ms = ch_show_int(row, ms_key);

    if (ms <= 0)
        return;
    ch_show_iso(ms, iso, sizeof(iso));
    json_object_object_add(row, key, json_object_new_string(iso));
}

static json_object *ch_show_parse(const char *text)
{
    json_object *o = text != NULL ? json_tokener_parse(text) : NULL;

    if (o != NULL && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

/* The targets of a run report: the top-level "targets", else the plugin
   report's; NULL when neither is an array. Borrowed. */
static json_object *ch_show_targets(json_object *report)
{
    json_object *t = NULL, *plugin = NULL;

    if (report == NULL)
        return NULL;
    if (json_object_object_get_ex(report, "targets", &t)
        && json_object_is_type(t, json_type_array))
        return t;
    if (json_object_object_get_ex(report, "plugin", &plugin)
        && json_object_object_get_ex(plugin, "targets", &t)
        && json_object_is_type(t, json_type_array))
        return t;
    return NULL;
}

/* Runs one SELECT with text parameters; exits-code style result. */
static int ch_show_select(ch_cli *cli, const char *sql, const char *const *binds, int n,
                          json_object **out)
{
    char err[1024] = "";

    if (ch_state_select_json(cli->state, sql, binds, n, out, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    return 0;
}

/* The message of a report's error, the reason a person reads. */
static const char *ch_show_reason(json_object *report)
{
    json_object *e = NULL, *targets = NULL;

    if (report != NULL && json_object_object_get_ex(report, "error", &e))
        return ch_show_str(e, "message");
    /* A partial run has no error: the first target that is not healthy. */
    if (report == NULL || !json_object_object_get_ex(report, "targets", &targets) ||
        !json_object_is_type(targets, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i);
        const char *state = ch_show_str(t, "state");
        if (state != NULL && strcmp(state, "healthy") != 0)
            return ch_show_str(t, "fix");
    }
    return NULL;
}

/* Adds last_run (the last finished attempt, its reason and error, and
   with `whole` its report) and targets to a connection row. */
static int ch_show_last_run(ch_cli *cli, json_object *row, int whole)
{
    const char *id = ch_show_str(row, "id");
    json_object *arr = NULL, *run, *report = NULL, *e = NULL, *targets;
    const char *reason;
    int rc = ch_show_select(cli, "SELECT run_id, attempt, status, first_line, last_line,"
                            " started_ms, finished_ms, report_json FROM runs"
                            " WHERE connection_id = ?1 AND finished_ms IS NOT NULL"
                            " ORDER BY finished_ms DESC, attempt DESC LIMIT 1",
                            &id, 1, &arr);

    if (rc != 0 || json_object_array_length(arr) == 0)
        goto cleanup;
    run = json_object_get(json_object_array_get_idx(arr, 0));
    report = ch_show_parse(ch_show_str(run, "report_json"));
    json_object_object_del(run, "report_json");
    ch_show_add_iso(run, "finished_ms", "finished_at");
    if ((reason = ch_show_reason(report)) != NULL)
        json_object_object_add(run, "reason", json_object_new_string(reason));
    if (report != NULL && json_object_object_get_ex(report, "error", &e))
        json_object_object_add(run, "error", json_object_get(e));
    if ((targets = ch_show_targets(report)) != NULL) {
        /* Since when a target is behind or dead, readable (the plugin
           reports since_ms). */
        for (size_t i = 0; i < json_object_array_length(targets); i++) {
            json_object *t = json_object_array_get_idx(targets, i);
            if (ch_show_str(t, "since") == NULL && ch_show_int(t, "since_ms") > 0)
                ch_show_add_iso(t, "since_ms", "since");
        }
        json_object_object_add(row, "targets", json_object_get(targets));
    }
    if (whole && report != NULL)
        json_object_object_add(run, "report", json_object_get(report));
    json_object_object_add(row, "last_run", run);
cleanup:
    json_object_put(report);
    json_object_put(arr);
    return rc;
}

/* Adds last_delivery (the last attempt that delivered) and next_due. */
static int ch_show_delivery(ch_cli *cli, json_object *row)
{
    const char *id = ch_show_str(row, "id");
    const char *outcome = ch_show_str(row, "run_outcome");
    json_object *arr = NULL, *d;
    int rc = ch_show_select(cli, "SELECT run_id, first_line, last_line, finished_ms"
                            " FROM runs WHERE connection_id = ?1 AND status = 'delivered'"
                            " ORDER BY finished_ms DESC LIMIT 1", &id, 1, &arr);

    if (rc != 0)
        return rc;
    if (json_object_array_length(arr) > 0) {
        d = json_object_get(json_object_array_get_idx(arr, 0));
        ch_show_add_iso(d, "finished_ms", "finished_at");
        json_object_object_add(row, "last_delivery", d);
    }
    json_object_put(arr);
    ch_show_add_iso(row, "created_at_ms", "created_at");
    ch_show_add_iso(row, "not_before_ms", "not_before");
    /* When the next deliver may run: a retry waits for not_before; a
       run waiting on authorize waits for the person. */
    ch_show_add_iso(row, "disconnected_ms", "disconnected_at");
    json_object_object_add(row, "state", json_object_new_string(
        ch_show_int(row, "disconnected_ms") > 0 ? "disconnected"
        : ch_show_int(row, "paused") != 0 ? "paused" : "active"));
    if (ch_show_int(row, "disconnected_ms") > 0)
        json_object_object_add(row, "next_due", json_object_new_string("never (disconnected)"));
    else if (ch_show_int(row, "paused") != 0)
        json_object_object_add(row, "next_due", json_object_new_string("when resumed"));
    else if (outcome != NULL && strcmp(outcome, CH_OUTCOME_REAUTHORIZE) == 0)
        json_object_object_add(row, "next_due", json_object_new_string("after authorize"));
    else if (ch_show_int(row, "not_before_ms") > ch_host_now_ms(&cli->host))
        json_object_object_add(row, "next_due",
                               json_object_new_string(ch_show_str(row, "not_before")));
    else
        json_object_object_add(row, "next_due", json_object_new_string("now"));
    return 0;
}

/* One target as one line: whatever of the known keys it has. */
static void ch_show_target_line(json_object *t, const char *plugin)
{
    static const char *const keys[][2] = {
        { "advertiser_id", "advertiser " }, { "audience_id", "audience " },
        { "state", "" }, { "outcome", "" }, { "since", "since " },
        { "missing_rows", "missing rows " },
    };
    size_t i;
    const char *s;

    fputs("    -", stdout);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_object *v = NULL;
        /* "behind behind": the outcome says nothing the state did not. */
        if (strcmp(keys[i][0], "outcome") == 0 && (s = ch_show_str(t, "outcome")) != NULL
            && ch_show_str(t, "state") != NULL && strcmp(s, ch_show_str(t, "state")) == 0)
            continue;
        if (json_object_object_get_ex(t, keys[i][0], &v) && v != NULL)
            printf(" %s%s", keys[i][1], json_object_get_string(v));
    }
    if ((s = ch_show_str(t, "name")) != NULL)
        printf(" \"%s\"", s);
    fputc('\n', stdout);
    if ((s = ch_show_str(t, "reason")) != NULL || (s = ch_show_str(t, "message")) != NULL)
        printf("      %s\n", s);
    if ((s = ch_show_str(t, "fix")) != NULL) {
        fputs("      fix: ", stdout);
        ch_print_message(stdout, s, plugin);
        fputc('\n', stdout);
    }
}

static void ch_show_when(const char *label, json_object *o, const char *ms_key, int64_t now)
{
    char iso[40], rel[40];
    int64_t ms = ch_show_int(o, ms_key);

    if (ms <= 0)
        return;
    ch_show_iso(ms, iso, sizeof(iso));
    ch_show_relative(ms, now, rel, sizeof(rel));
    printf("  %-15s%s (%s)\n", label, iso, rel);
}

/* `connections show`: what the list leaves out (the plugin, the last
   run's lines and error; the settings are JSON: --json has them);
   nothing when the row is not whole. */
static void ch_show_whole_text(json_object *c)
{
    json_object *run = NULL, *e = NULL;

    if (!json_object_object_get_ex(c, "settings", &e))
        return;
    printf("  %-15s%s\n", "plugin", ch_show_str(c, "plugin_path"));
    if (!json_object_object_get_ex(c, "last_run", &run))
        return;
    printf("  %-15slines %lld-%lld\n", "last run", (long long) ch_show_int(run, "first_line"),
           (long long) ch_show_int(run, "last_line"));
    /* The reason above is the message; what support asks for is here. */
    if (json_object_object_get_ex(run, "error", &e) && ch_show_str(e, "code") != NULL) {
        const char *remote = ch_show_str(e, "remote_code"), *rid = ch_show_str(e, "request_id");
        printf("  %-15s%s", "error", ch_show_str(e, "code"));
        if (remote != NULL && remote[0] != '\0')
            printf(", remote code %s", remote);
        if (rid != NULL && rid[0] != '\0')
            printf(", request_id %s", rid);
        fputc('\n', stdout);
    }
}

static void ch_show_connection_text(json_object *c, int64_t now)
{
    json_object *run = NULL, *d = NULL, *t = NULL;
    const char *s;
    size_t i;

    printf("%s  profile %s  plugin %s\n", ch_show_str(c, "id"), ch_show_str(c, "profile"),
           ch_show_str(c, "plugin_id"));
    printf("  %-15s%s\n", "state", ch_show_str(c, "state"));
    printf("  %-15s%s\n", "dataset", ch_show_str(c, "dataset_path"));
    printf("  %-15sline %lld\n", "delivered to", (long long) ch_show_int(c, "delivered_through"));
    if (json_object_object_get_ex(c, "last_run", &run)) {
        printf("  %-15s%s (run %s, attempt %lld)\n", "last outcome",
               ch_show_str(run, "status"), ch_show_str(run, "run_id"),
               (long long) ch_show_int(run, "attempt"));
        if ((s = ch_show_str(run, "reason")) != NULL) {
            printf("  %-15s", "reason");
            ch_print_message(stdout, s, ch_show_str(c, "plugin_path"));
            fputc('\n', stdout);
        }
        ch_show_when("finished", run, "finished_ms", now);
        ch_show_whole_text(c);
    } else {
        printf("  %-15snever delivered\n", "last outcome");
        ch_show_whole_text(c);
    }
    if (json_object_object_get_ex(c, "last_delivery", &d))
        ch_show_when("last delivery", d, "finished_ms", now);
    if ((s = ch_show_str(c, "next_due")) != NULL && strcmp(s, "now") != 0
        && ch_show_int(c, "not_before_ms") > now)
        ch_show_when("next due", c, "not_before_ms", now);
    else if (s != NULL)
        printf("  %-15s%s\n", "next due", s);
    if (json_object_object_get_ex(c, "targets", &t) && json_object_array_length(t) > 0) {
        printf("  targets\n");
        for (i = 0; i < json_object_array_length(t); i++)
            ch_show_target_line(json_object_array_get_idx(t, i),
                                ch_show_str(c, "plugin_path"));
    }
}

static void ch_show_print_json(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN
                                           | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int ch_show_as_json(const ch_cli *cli)
{
    if (cli->a.json)
        return 1;
    if (getenv("CONNECTOR_HOST_FORCE_TTY") != NULL)
        return 0;
    return !isatty(STDOUT_FILENO);
}

static int ch_show_no_connection(const ch_cli *cli, const char *id)
{
    char home[1100];

    ch_cli_error("no connection %s; list them with: connector-host connections%s", id,
                 ch_cli_fix_home(cli, home, sizeof(home)));
    return CH_EXIT_FAILED;
}

/* connections [show ID | --connection ID]. */
static int ch_show_connections(ch_cli *cli, const char *only, int whole)
{
    json_object *arr = NULL;
    int64_t now = ch_host_now_ms(&cli->host);
    size_t i, n;
    int rc = ch_show_select(cli, "SELECT id, plugin_id, plugin_path, profile, dataset_path,"
                            " created_at_ms, historical, delivered_through, run_id,"
                            " run_first, run_last, run_attempt, run_outcome, run_status,"
                            " not_before_ms, paused, disconnected_ms, settings_json"
                            " FROM connections"
                            " WHERE ?1 IS NULL OR id = ?1 ORDER BY created_at_ms, id",
                            &only, 1, &arr);

    if (rc != 0)
        return rc;
    n = json_object_array_length(arr);
    if (only != NULL && n == 0) {
        json_object_put(arr);
        return ch_show_no_connection(cli, only);
    }
    for (i = 0; i < n && rc == 0; i++) {
        json_object *row = json_object_array_get_idx(arr, i);
        json_object *settings = ch_show_parse(ch_show_str(row, "settings_json"));
        json_object_object_del(row, "settings_json");
        if (whole && settings != NULL)
            json_object_object_add(row, "settings", json_object_get(settings));
        json_object_put(settings);
        if ((rc = ch_show_last_run(cli, row, whole)) == 0)
            rc = ch_show_delivery(cli, row);
    }
    if (rc == 0 && ch_show_as_json(cli))
        ch_show_print_json(whole && n == 1 ? json_object_array_get_idx(arr, 0) : arr);
    else if (rc == 0 && n == 0)
        puts("No connections. Make one with: connector-host connect --plugin P "
             "--profile NAME --dataset FILE --settings FILE");
    for (i = 0; rc == 0 && !ch_show_as_json(cli) && i < n; i++)
        ch_show_connection_text(json_object_array_get_idx(arr, i), now);
    json_object_put(arr);
    return rc;
}

static void ch_show_run_text(json_object *r)
{
    char iso[40];
    const char *reason = ch_show_str(r, "reason");

    ch_show_iso(ch_show_int(r, "finished_ms") > 0 ? ch_show_int(r, "finished_ms")
                : ch_show_int(r, "started_ms"), iso, sizeof(iso));
    printf("%-26s %3lld  %-20s %9lld-%-9lld %-20s %s\n", ch_show_str(r, "run_id"),
           (long long) ch_show_int(r, "attempt"), ch_show_str(r, "connection_id"),
           (long long) ch_show_int(r, "first_line"), (long long) ch_show_int(r, "last_line"),
           iso, ch_show_str(r, "status"));
    if (reason != NULL)
        printf("    %s\n", reason);
}

/* Turns a runs row's report_json into reason, error and (whole) report. */
static void ch_show_run_row(json_object *row, int whole)
{
    json_object *report = ch_show_parse(ch_show_str(row, "report_json")), *e = NULL;
    const char *reason = ch_show_reason(report);

    json_object_object_del(row, "report_json");
    ch_show_add_iso(row, "started_ms", "started_at");
    ch_show_add_iso(row, "finished_ms", "finished_at");
    if (reason != NULL)
        json_object_object_add(row, "reason", json_object_new_string(reason));
    if (report != NULL && json_object_object_get_ex(report, "error", &e))
        json_object_object_add(row, "error", json_object_get(e));
    if (whole && report != NULL)
        json_object_object_add(row, "report", json_object_get(report));
    json_object_put(report);
}

/* runs [show RUN | RUN] [--connection ID]. */
static int ch_show_runs(ch_cli *cli, const char *conn, const char *run)
{
    const char *binds[2] = { conn, run };
    char home[1100];
    json_object *arr = NULL, *c = NULL;
    size_t i, n;
    int rc;

    if (conn != NULL) {
        rc = ch_show_select(cli, "SELECT id FROM connections WHERE id = ?1", &conn, 1, &c);
        n = c != NULL ? json_object_array_length(c) : 0;
        json_object_put(c);
        if (rc != 0)
            return rc;
        if (n == 0)
            return ch_show_no_connection(cli, conn);
    }
    rc = ch_show_select(cli, "SELECT run_id, attempt, connection_id, first_line, last_line,"
                        " status, started_ms, finished_ms, report_json FROM runs"
                        " WHERE (?1 IS NULL OR connection_id = ?1)"
                        " AND (?2 IS NULL OR run_id = ?2) ORDER BY started_ms, attempt",
                        binds, 2, &arr);
    if (rc != 0)
        return rc;
    n = json_object_array_length(arr);
    if (run != NULL && n == 0) {
        json_object_put(arr);
        ch_cli_error("no run %s%s%s; list them with: connector-host runs%s", run,
                     conn != NULL ? " of connection " : "", conn != NULL ? conn : "",
                     ch_cli_fix_home(cli, home, sizeof(home)));
        return CH_EXIT_FAILED;
    }
    for (i = 0; i < n; i++)
        ch_show_run_row(json_object_array_get_idx(arr, i), run != NULL);
    if (ch_show_as_json(cli)) {
        ch_show_print_json(arr);
    } else if (n == 0) {
        puts("No runs yet. Start one with: connector-host deliver --connection ID");
    } else {
        printf("%-26s %3s  %-20s %19s %-20s %s\n", "RUN", "TRY", "CONNECTION", "LINES",
               "FINISHED (UTC)", "STATUS");
        for (i = 0; i < n; i++)
            ch_show_run_text(json_object_array_get_idx(arr, i));
    }
    json_object_put(arr);
    return CH_EXIT_OK;
}

static int ch_show_profiles(ch_cli *cli)
{
    json_object *arr = NULL;
    char err[1024] = "";
    size_t i, n;

    if (ch_state_list(cli->state, "profiles", &arr, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    n = json_object_array_length(arr);
    for (i = 0; i < n; i++)
        ch_show_add_iso(json_object_array_get_idx(arr, i), "updated_ms", "updated_at");
    if (ch_show_as_json(cli))
        ch_show_print_json(arr);
    else if (n == 0)
        puts("No profiles. Make one with: connector-host authorize --plugin P --profile NAME");
    for (i = 0; !ch_show_as_json(cli) && i < n; i++) {
        json_object *p = json_object_array_get_idx(arr, i);
        const char *base = ch_show_str(p, "api_base");
        printf("%-20s %-22s %-24s %s\n", ch_show_str(p, "name"), ch_show_str(p, "status"),
               ch_show_str(p, "updated_at"), base == NULL ? "(API base not recorded)"
               : base[0] != '\0' ? base : "(the plugin's default API)");
    }
    json_object_put(arr);
    return CH_EXIT_OK;
}

int ch_cmd_list(ch_cli *cli)
{
    const char *what = cli->a.pos[0], *sub = cli->a.npos > 1 ? cli->a.pos[1] : NULL;
    const char *id = NULL;
    int rc;

    if (sub != NULL && strcmp(sub, "show") == 0 && strcmp(what, "profiles") != 0) {
        if (cli->a.npos != 3) {
            ch_cli_error("usage: connector-host %s show %s", what,
                         what[0] == 'r' ? "RUN" : "ID");
            return CH_EXIT_USAGE;
        }
        id = cli->a.pos[2];
    } else if (sub != NULL && strcmp(what, "runs") == 0 && strncmp(sub, "r_", 2) == 0
               && cli->a.npos == 2) {
        id = sub;
    } else if (sub != NULL) {
        ch_cli_error("%s: unexpected argument '%s' (see connector-host %s --help)", what,
                     sub, what);
        return CH_EXIT_USAGE;
    }
    if ((rc = ch_cli_open_home(cli)) != 0)
        return rc;
    if (strcmp(what, "profiles") == 0)
        return ch_show_profiles(cli);
    if (strcmp(what, "runs") == 0)
        return ch_show_runs(cli, cli->a.connection, id);
    if (id != NULL && cli->a.connection != NULL && strcmp(id, cli->a.connection) != 0) {
        ch_cli_error("connections show: give the id once (%s or --connection %s)", id,
                     cli->a.connection);
        return CH_EXIT_USAGE;
    }
    return ch_show_connections(cli, id != NULL ? id : cli->a.connection, id != NULL);
}
