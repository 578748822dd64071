/*
 * ch_cmd_deliver.c - connector-host deliver --connection ID: one run,
 * under the connection's lock (and lease, on a shared state), its report
 * on stdout.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_cmd.h"
#include "ch_held.h"
#include "ch_run.h"
#include "ch_show.h"
#include "ch_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <json-c/json.h>

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

/* deliver's options: the batch size, --dry-run, --resync. 0 or the exit
   code. */
static int ch_deliver_options(ch_cli *cli, ch_run_options *opt)
{
    int64_t n = 0;

    opt->batch_lines = CH_DEFAULT_BATCH_LINES;
    if (cli->a.batch_records != NULL) {
        if (ch_parse_i64(cli->a.batch_records, &n) != 0 || n <= 0) {
            ch_cli_error("--batch-records: '%s' must be a positive integer",
                         cli->a.batch_records);
            return CH_EXIT_USAGE;
        }
        opt->batch_lines = (uint64_t) n;
    }
    opt->progress = isatty(STDERR_FILENO);
    opt->dry_run = cli->a.dry_run;
    opt->resync = cli->a.resync;
    cli->host.dry_run = cli->a.dry_run ? "1" : NULL;
    return 0;
}

/* ch_home_lock_connection with its errors printed: 0 locked, else the exit
   code. */
static int ch_deliver_lock(ch_cli *cli, int *lockfd)
{
    switch (ch_home_lock_connection(&cli->home, cli->a.connection, lockfd)) {
    case 0:
        return 0;
    case 1:
        ch_cli_error("connection %s is being delivered by another process; try again "
                     "when it finishes", cli->a.connection);
        return CH_EXIT_RETRY;
    default:
        ch_cli_error("cannot lock connection %s: %s", cli->a.connection, strerror(errno));
        return CH_EXIT_INTERNAL;
    }
}

/* The connection (*c), its plugin loaded and checked to be the one it was
   made with, and its profile able to deliver. 0 or the exit code. */
static int ch_deliver_load(ch_cli *cli, ch_connection *c)
{
    char *status = NULL, err[1024] = "", home[1100];
    int rc;

    if ((rc = ch_cli_connection(cli, cli->a.connection, c)) != 0)
        return rc;
    if ((rc = ch_cli_load_plugin(cli, c->plugin_path)) != 0) {
        fprintf(stderr, "  if the plugin moved: connector-host relink --connection %s "
                "--plugin NEW_PATH%s\n", c->id, ch_cli_fix_home(cli, home, sizeof(home)));
        return rc;
    }
    if ((rc = ch_cli_same_plugin(cli, c)) != 0)
        return rc;
    if (ch_state_profile_get(cli->state, c->plugin_id, c->profile, &status, err,
                             sizeof(err)) < 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    if ((rc = ch_cli_profile_endpoint(cli, c->plugin_id, c->profile)) == 0
        && status != NULL && strcmp(status, "reauthorize_required") == 0) {
        ch_cli_error("profile %s must be authorized again before delivering: run "
                     "connector-host authorize --plugin %s --profile %s%s", c->profile,
                     c->plugin_path, c->profile, ch_cli_fix_home(cli, home, sizeof(home)));
        rc = CH_EXIT_REAUTHORIZE;
    }
    free(status);
    return rc;
}

int ch_cmd_deliver(ch_cli *cli)
{
    int rc, lockfd = -1;
    ch_held *held = NULL;
    ch_connection c;
    ch_run_options opt;
    json_object *report = NULL;
    char *spool = NULL;
    char err[1024] = "", home[1100];

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
    if ((rc = ch_deliver_options(cli, &opt)) != 0
        || (rc = ch_cli_open_home(cli)) != 0
        || (rc = ch_deliver_lock(cli, &lockfd)) != 0
        || (rc = ch_deliver_load(cli, &c)) != 0)
        goto cleanup;
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
    free(spool);
    if (lockfd >= 0)
        close(lockfd);
    return rc;
}
