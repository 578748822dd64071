/*
 * ch_cli.h - the connector-host command line: parsing, the shared
 * per-invocation context, and the commands (ch_commands.c).
 */
#ifndef CH_CLI_H
#define CH_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "ch_home.h"
#include "ch_plugin.h"
#include "ch_services.h"
#include "ch_state.h"

#define CH_MAX_POSITIONAL 4

/* Where bare plugin names are looked up (local.mk passes connectordir). */
#ifndef CH_CONNECTOR_DIR
#define CH_CONNECTOR_DIR "/usr/local/lib/aconn"
#endif

typedef struct ch_args {
    /* Options every command takes. */
    const char *home;
    const char *api_base;
    const char *ca_file;
    const char *redirect_uri;
    const char *clock_offset_ms;
    const char *request_timeout_ms;
    const char *app_qps;   /* --app-qps N (else $CONNECTOR_HOST_APP_QPS) */
    const char *parallel_accounts; /* else $CONNECTOR_HOST_PARALLEL_ACCOUNTS */
    const char *state;     /* --state URL (else $CONNECTOR_HOST_STATE) */
    const char *secrets_key_file;  /* else $CONNECTOR_HOST_SECRETS_KEY_FILE */
    int help;
    int version;
    int verbose;
    int init;          /* --init: a new state.db even where one was lost */
    /* Command options. */
    const char *plugin;
    const char *profile;
    const char *settings;
    const char *dataset;
    const char *connection;
    const char *callback;
    const char *batch_records;
    const char *listen;          /* authorize --listen [HOST:]PORT */
    const char *listen_timeout;  /* seconds */
    int remote;
    int status;
    int dry_run;
    int switch_user;
    int json;
    unsigned given;    /* CH_O_* bits of the command options given */
    int resync;
    int once;          /* worker --once */
    const char *lease_ms;
    const char *poll_ms;
    /* COMMAND [SUBCOMMAND] [ARG]. */
    const char *pos[CH_MAX_POSITIONAL];
    int npos;
} ch_args;

/* What a command works with; ch_cli_main sets it up and tears it down. */
typedef struct ch_cli {
    ch_args a;
    int64_t clock_offset_ms;
    ch_home home;
    int have_home;
    ch_state *state;
    ch_plugin plugin;
    ch_host host;
    char *endpoint_base;   /* the profile's recorded API base and CA file */
    char *endpoint_ca;
    int endpoint_pending;  /* recorded by an authorization link never
                              completed: 1, 2 while making a new link */
} ch_cli;

/* Runs connector-host with argv; returns the exit code. */
int ch_cli_main(int argc, char **argv);

/* Setup steps commands call (ch_cli_setup.c); each prints its own error and returns the
   exit code to use (0 on success). */
int ch_cli_open_home(ch_cli *cli);
int ch_cli_load_plugin(ch_cli *cli, const char *spec);
/* Connection id into *c (ch_connection_clear it): 0, or the exit code with
   the reason printed (no such connection, with the fix; or the state's
   error). */
int ch_cli_connection(ch_cli *cli, const char *id, ch_connection *c);
/* After loading connection c's plugin: 0 when it is the plugin c was made
   with (the same id), else CH_EXIT_PLUGIN, the fix printed. */
int ch_cli_same_plugin(ch_cli *cli, const ch_connection *c);

/* The --state URL or $CONNECTOR_HOST_STATE; NULL: the home's state.db. */
const char *ch_cli_state_url(const ch_cli *cli);
/* Opens that state (state NULL: the home's state.db) and, when it is
   PostgreSQL, the secrets key (ch_cli_state.c); the exit code. */
int ch_cli_open_state(ch_cli *cli, const char *state);

/* Reports, in one error, every required option whose value is missing
   (NULL or empty); returns CH_EXIT_USAGE then, else 0. */
int ch_cli_missing(const char *cmd, const char *const *values, const char *const *names,
                   size_t n);

/* " --home DIR" when the user gave --home (so a printed fix command runs
   against the same home), else "". Uses buf. */
const char *ch_cli_fix_home(const ch_cli *cli, char *buf, size_t len);

/* Applies the API base and CA file that profile NAME of plugin_id was
   authorized against: inherits them when the command gives none; refuses
   (exit 1, with the fix) a different API base, never redirecting the
   profile's token; a CA file given replaces the recorded one. */
int ch_cli_profile_endpoint(ch_cli *cli, const char *plugin_id, const char *profile);

/* Records the command's API base and CA file on the profile (after
   authorize completed it). */
int ch_cli_profile_endpoint_record(ch_cli *cli, const char *plugin_id, const char *profile);

/* The commands. Each returns the exit code. */
int ch_cmd_describe(ch_cli *cli);
int ch_cmd_validate(ch_cli *cli);
int ch_cmd_authorize(ch_cli *cli);
int ch_cmd_secret(ch_cli *cli);
int ch_cmd_connect(ch_cli *cli);
int ch_cmd_deliver(ch_cli *cli);
int ch_cmd_list(ch_cli *cli);
int ch_cmd_relink(ch_cli *cli);
int ch_cmd_audiences(ch_cli *cli);   /* ch_audiences.c */
int ch_cmd_worker(ch_cli *cli);       /* ch_worker.c */
/* deliver's lease on connection c (ch_worker.c): 0 held (*out, for
   ch_held_release), else the exit code, the reason printed (a worker holds
   it, or c is paused or disconnected). */
struct ch_held;
int ch_deliver_hold(ch_cli *cli, const ch_connection *c, struct ch_held **out);
int ch_cmd_pause(ch_cli *cli);        /* ch_cmd_life.c */
int ch_cmd_resume(ch_cli *cli);
int ch_cmd_disconnect(ch_cli *cli);

/* The plugin reference a connection stores for --plugin `given` (already
   loaded in cli): a bare module name as given, else the loaded path. */
const char *ch_relink_spec(const ch_cli *cli, const char *given);

/* Prints "connector-host: <message>" on stderr. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void ch_cli_error(const char *fmt, ...);

#endif /* CH_CLI_H */
