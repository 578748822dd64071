/*
 * ch_cli_setup.c - the per-invocation setup every command shares: the
 * home (refusing a lost state.db beside old data), the plugin, and the
 * API base and CA file a profile was authorized against.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_secrets.h"
#include "ch_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>

const char *ch_cli_fix_home(const ch_cli *cli, char *buf, size_t len)
{
    if (cli->a.home == NULL)
        return "";
    snprintf(buf, len, " --home %s", cli->a.home);
    return buf;
}

/* Non-zero when the home holds what only a state.db makes sense of: a
   secrets file, or anything under spool/. */
static int ch_cli_home_has_data(const ch_home *h)
{
    DIR *d;
    struct dirent *e;
    int found = access(h->secrets, F_OK) == 0;

    if (found || (d = opendir(h->spool)) == NULL)
        return found;
    while (!found && (e = readdir(d)) != NULL)
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return found;
}

int ch_cli_open_home(ch_cli *cli)
{
    char err[1024] = "";
    const char *state;

    if (cli->have_home)
        return 0;
    if (ch_home_open(&cli->home, cli->a.home, err, sizeof(err)) != 0) {
        ch_cli_error("%s; pass --home DIR (or set CONNECTOR_HOST_HOME) to use another "
                     "directory", err);
        return CH_EXIT_FAILED;
    }
    cli->have_home = 1;
    /* Refuse a readable secrets file before any command can use it. */
    if (ch_secrets_check(cli->home.secrets, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_FAILED;
    }
    state = ch_cli_state_url(cli);
    /* A lost state.db beside old secrets or spools is not a fresh start:
       the next delivery would create every audience again. */
    if (state == NULL && !cli->a.init && access(cli->home.state_db, F_OK) != 0
        && ch_cli_home_has_data(&cli->home)) {
        ch_cli_error("%s has no state.db, but holds secrets or spools from an earlier "
                     "one: its connections, checkpoints and audience records are gone, and "
                     "starting over would create the audiences again. Restore state.db from "
                     "a backup, or start a new one deliberately (the secrets are kept): "
                     "connector-host profiles --init --home %s", cli->home.dir, cli->home.dir);
        return CH_EXIT_FAILED;
    }
    return ch_cli_open_state(cli, state);
}

int ch_cli_load_plugin(ch_cli *cli, const char *spec)
{
    char err[1024] = "";

    if (ch_plugin_load(spec, CH_CONNECTOR_DIR, &cli->plugin, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_PLUGIN;
    }
    cli->host.plugin_id = ch_plugin_id(&cli->plugin);
    return 0;
}

/* One of api_base / ca_file: refuse a given value that differs from the
   recorded one; inherit the recorded one when none is given. */
static int ch_cli_endpoint_one(ch_cli *cli, const char *profile, const char *option,
                               const char *given, const char *recorded, const char **use)
{
    char home[1100];

    if (given == NULL) {
        *use = recorded[0] != '\0' ? recorded : NULL;
        return 0;
    }
    if (strcmp(given, recorded) == 0)
        return 0;
    if (cli->endpoint_pending) {
        /* The link was made for the recorded API: its code is redeemed
           there. A new link for the other API replaces it. */
        ch_cli_error("profile %s's authorization link was made for %s %s, not %s; its code "
                     "can only be redeemed there, so nothing was sent. Leave out %s (the "
                     "link's is used), or start again against the other one: "
                     "connector-host authorize --plugin %s --profile %s %s %s%s", profile,
                     option, recorded[0] != '\0' ? recorded : "(the plugin's default)",
                     given, option, cli->plugin.path != NULL ? cli->plugin.path : "P",
                     profile, option, given, ch_cli_fix_home(cli, home, sizeof(home)));
        return CH_EXIT_FAILED;
    }
    ch_cli_error("profile %s was authorized against %s %s, not %s; its token belongs "
                 "there, so the command was not sent. Leave out %s (the profile's is "
                 "used), or authorize a new profile for the other one: connector-host "
                 "authorize --plugin %s --profile NEW_NAME %s %s%s", profile, option,
                 recorded[0] != '\0' ? recorded : "(the plugin's default)", given, option,
                 cli->plugin.path != NULL ? cli->plugin.path : "P", option, given,
                 ch_cli_fix_home(cli, home, sizeof(home)));
    return CH_EXIT_FAILED;
}

int ch_cli_profile_endpoint(ch_cli *cli, const char *plugin_id, const char *profile)
{
    char *base = NULL, *ca = NULL, err[1024] = "";
    int found, rc = 0;

    found = ch_state_profile_endpoint_get(cli->state, plugin_id, profile, &base, &ca, err,
                                          sizeof(err));
    if (found < 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    /* Nothing recorded, or only by a link that a new one replaces: the
       command's own options apply. */
    if (found > 0 || cli->endpoint_pending == 2) {
        free(base);
        free(ca);
        return 0;
    }
    rc = ch_cli_endpoint_one(cli, profile, "--api-base", cli->a.api_base, base,
                             &cli->host.api_base);
    /* The CA file is inherited but may be replaced: trust is rotated by
       giving a new file, and a wrong one fails the TLS check anyway. */
    if (rc == 0 && cli->a.ca_file == NULL && ca[0] != '\0')
        cli->host.ca_file = ca;
    /* The strings live as long as the command: kept in cli. */
    cli->endpoint_base = base;
    cli->endpoint_ca = ca;
    return rc;
}

int ch_cli_profile_endpoint_record(ch_cli *cli, const char *plugin_id, const char *profile)
{
    char err[1024] = "";

    if (ch_state_profile_endpoint_set(cli->state, plugin_id, profile, cli->host.api_base,
                                      cli->host.ca_file, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    return 0;
}

int ch_cli_same_plugin(ch_cli *cli, const ch_connection *c)
{
    if (strcmp(ch_plugin_id(&cli->plugin), c->plugin_id) != 0) {
        ch_cli_error("plugin %s now has id %s, but connection %s was made with %s; "
                     "install the right plugin", c->plugin_path, ch_plugin_id(&cli->plugin),
                     c->id, c->plugin_id);
        return CH_EXIT_PLUGIN;
    }
    return 0;
}

int ch_cli_connection(ch_cli *cli, const char *id, ch_connection *c)
{
    char err[1024] = "", home[1100];
    int found = ch_state_connection_get(cli->state, id, c, err, sizeof(err));

    if (found == 0)
        return 0;
    ch_cli_error("%s%s", found > 0 ? "--connection: no such connection; list them "
                 "with: connector-host connections" : err,
                 found > 0 ? ch_cli_fix_home(cli, home, sizeof(home)) : "");
    return found > 0 ? CH_EXIT_FAILED : CH_EXIT_INTERNAL;
}
