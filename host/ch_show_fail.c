/*
 * ch_show_fail.c - what a failed or partial deliver says on stderr: what
 * happened (status, code, the plugin's message) and the command that
 * fixes it, complete so it runs as printed (ch_show.h).
 */
#include <config.h>

#include "ch_show.h"
#include "ch_util.h"

#include <stdio.h>
#include <string.h>

/* A partial run: one line per target that is not healthy, with its fix. */
static void ch_show_unhealthy_targets(json_object *report, const char *plugin)
{
    json_object *targets = NULL;

    if (!json_object_object_get_ex(report, "targets", &targets) ||
        !json_object_is_type(targets, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i);
        const char *state = ch_show_str(t, "state");
        if (state == NULL || strcmp(state, "healthy") == 0)
            continue;
        fprintf(stderr, "  Ad Account %s: %s (%s, %lld rows missing): ",
                ch_show_str(t, "advertiser_id") ? ch_show_str(t, "advertiser_id") : "?",
                state, ch_show_str(t, "reason") ? ch_show_str(t, "reason") : "?",
                (long long) ch_show_int(t, "missing_rows"));
        ch_print_message(stderr, ch_show_str(t, "fix") ? ch_show_str(t, "fix") : "", plugin);
        fputc('\n', stderr);
    }
}

/* The second line of a failed deliver's message: what to run. */
static void ch_show_fix(ch_cli *cli, const ch_connection *c, json_object *report, int rc)
{
    char home[1100], when[40];
    const char *h = ch_cli_fix_home(cli, home, sizeof(home));
    const char *run = ch_show_str(report, "run_id");
    json_object *e = NULL;
    int64_t nb = ch_show_int(report, "not_before_ms");

    if (nb == 0 && json_object_object_get_ex(report, "error", &e))
        nb = ch_show_int(e, "not_before_ms");
    ch_show_iso(nb, when, sizeof(when));
    switch (rc) {
    case CH_EXIT_REAUTHORIZE:
        fprintf(stderr, "  fix: connector-host authorize --plugin %s --profile %s%s (open "
                "the URL it prints, then run it again with --callback URL), then "
                "connector-host deliver --connection %s%s\n", c->plugin_path, c->profile, h,
                c->id, h);
        break;
    case CH_EXIT_RETRY:
        fprintf(stderr, "  nothing to fix: the run is kept; run again%s%s: "
                "connector-host deliver --connection %s%s\n", when[0] != '\0' ? " after " : "",
                when, c->id, h);
        break;
    case 5: /* partial: some targets behind or dead */
        ch_show_unhealthy_targets(report, c->plugin_path);
        fprintf(stderr, "  see each target's state and fix: connector-host connections "
                "show %s%s\n", c->id, h);
        break;
    case CH_EXIT_FAILED:
        fprintf(stderr, "  fix the cause above, then: connector-host deliver --connection "
                "%s%s (the next run covers these lines again); details: connector-host "
                "runs show %s%s\n", c->id, h, run != NULL ? run : "RUN", h);
        break;
    default:
        fprintf(stderr, "  the run is kept and the next deliver retries it; details: "
                "connector-host runs show %s%s\n", run != NULL ? run : "RUN", h);
        break;
    }
}

void ch_show_deliver_failure(ch_cli *cli, const ch_connection *c, json_object *report,
                             int rc)
{
    json_object *e = NULL;
    const char *status = ch_show_str(report, "status"), *code = NULL, *msg = NULL;
    const char *remote = NULL, *field = NULL;

    if (json_object_object_get_ex(report, "error", &e)) {
        code = ch_show_str(e, "code");
        msg = ch_show_str(e, "message");
        remote = ch_show_str(e, "remote_code");
        field = ch_show_str(e, "field");
    }
    fprintf(stderr, "connector-host: deliver %s: %s", c->id,
            status != NULL ? status : "failed");
    if (code != NULL && code[0] != '\0')
        fprintf(stderr, " (%s%s%s)", code, remote != NULL && remote[0] != '\0'
                ? ", remote code " : "", remote != NULL ? remote : "");
    if (field != NULL && field[0] != '\0')
        fprintf(stderr, " in %s", field);
    if (msg != NULL && msg[0] != '\0') {
        fputs(": ", stderr);
        ch_print_message(stderr, msg, c->plugin_path);
    }
    fputc('\n', stderr);
    ch_show_fix(cli, c, report, rc);
}
