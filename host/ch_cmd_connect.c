/*
 * ch_cmd_connect.c - connector-host connect: checks the profile can
 * deliver, validates the settings remotely, records the connection and
 * where its first run starts.
 */
#include <config.h>

#include "ch_buf.h"
#include "ch_cli.h"
#include "ch_cmd.h"
#include "ch_dataset.h"
#include "ch_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

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

/* A connection to a profile that cannot deliver would only fail at
   deliver, with a misleading "re-authorize": 0 when the profile is
   connected (remote checks need its credentials), else the exit code,
   the fix printed. */
static int ch_connect_profile_ready(ch_cli *cli)
{
    char *status = NULL, err[1024] = "";
    int rc = 0;

    if (ch_state_profile_get(cli->state, ch_plugin_id(&cli->plugin), cli->a.profile,
                             &status, err, sizeof(err)) < 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    if (status == NULL) {
        ch_cli_error("connect: there is no profile %s (see: connector-host profiles). "
                     "Create it with: connector-host authorize --plugin P --profile %s",
                     cli->a.profile, cli->a.profile);
        rc = CH_EXIT_FAILED;
    } else if (strcmp(status, "connected") != 0) {
        ch_cli_error("connect: profile %s is %s, not connected, so it cannot deliver. "
                     "Check it with: connector-host authorize --plugin P --profile %s "
                     "--status, or authorize it again", cli->a.profile, status,
                     cli->a.profile);
        rc = strcmp(status, "reauthorize_required") == 0 ? CH_EXIT_REAUTHORIZE
                                                         : CH_EXIT_FAILED;
    }
    free(status);
    return rc;
}

/* Where the first run starts (the plugin's facts) and what the checkpoint
   covers then: c's historical, lines_at_connect, delivered_through and,
   from the end, the fingerprint of what it covers. 0 or the exit code. */
static int ch_connect_start(const char *dataset, const ch_buf *facts, ch_connection *c)
{
    ch_dataset_counts counts;
    char err[1024] = "";

    if (ch_first_run_historical(facts, &c->historical) != 0)
        return CH_EXIT_FAILED;
    if (ch_dataset_count(dataset, 0, &counts, err, sizeof(err)) != 0) {
        ch_cli_error("--dataset: %s", err);
        return CH_EXIT_FAILED;
    }
    c->lines_at_connect = counts.lines;
    if (!c->historical && counts.lines > 0
        && ch_fprint_make_path(dataset, counts.lines, counts.end_bytes, &c->fp, err,
                               sizeof(err)) != 0) {
        ch_cli_error("--dataset: %s", err);
        return CH_EXIT_FAILED;
    }
    c->delivered_through = c->historical ? 0 : c->lines_at_connect;
    return 0;
}

/* Records c under a new id (made in id, which c->id then points at) with
   its spool directory; prints the id. */
static int ch_connect_record(ch_cli *cli, ch_connection *c, const char *dataset,
                             const char *settings_text, char id[40])
{
    char err[1024] = "", *spool;

    if (ch_random_id("c_", 8, id, 40) != 0) {
        ch_cli_error("cannot make a connection id");
        return CH_EXIT_INTERNAL;
    }
    c->id = id;
    c->plugin_path = (char *) ch_relink_spec(cli, cli->a.plugin);
    c->plugin_id = (char *) ch_plugin_id(&cli->plugin);
    c->profile = (char *) cli->a.profile;
    c->dataset_path = (char *) dataset;
    c->settings_json = (char *) settings_text;
    c->created_at_ms = ch_host_now_ms(&cli->host);
    if (ch_state_connection_insert(cli->state, c, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    spool = ch_home_spool_dir(&cli->home, id, err, sizeof(err));
    if (spool == NULL) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    free(spool);
    puts(id);
    return CH_EXIT_OK;
}

int ch_cmd_connect(ch_cli *cli)
{
    int rc;
    char *settings_text = NULL;
    json_object *settings = NULL, *result = NULL;
    ch_connection c;
    char dataset[PATH_MAX], id[40], why[1024] = "";
    struct stat st;
    ch_buf facts = { NULL, 0, 0 };
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
    if ((rc = ch_connect_profile_ready(cli)) != 0)
        goto cleanup;
    s = ch_validate(cli, settings_text, cli->a.profile, 1, NULL, &facts, &result);
    if (!ACONN_STATUS_IS_OK(s)) {
        ch_cli_error("connect: the settings were refused (%s):", aconn_status_name(s));
        if (result != NULL)
            ch_print_validation_errors(result);
        rc = ch_exit_for_status(s);
        goto cleanup;
    }
    if ((rc = ch_connect_start(dataset, &facts, &c)) != 0)
        goto cleanup;
    rc = ch_connect_record(cli, &c, dataset, settings_text, id);
cleanup:
    ch_buf_free(&facts);
    json_object_put(settings);
    json_object_put(result);
    free(settings_text);
    return rc;
}
