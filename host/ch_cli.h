/*
 * ch_cli.h - the connector-host command line: parsing, the shared
 * per-invocation context, and the commands (ch_commands.c).
 */
#ifndef CH_CLI_H
#define CH_CLI_H

#include <stdint.h>

#include "ch_home.h"
#include "ch_plugin.h"
#include "ch_services.h"
#include "ch_state.h"

#define CH_MAX_POSITIONAL 4

typedef struct ch_args {
    /* Options every command takes. */
    const char *home;
    const char *api_base;
    const char *ca_file;
    const char *redirect_uri;
    const char *clock_offset_ms;
    const char *request_timeout_ms;
    int help;
    int version;
    int verbose;
    /* Command options. */
    const char *plugin;
    const char *profile;
    const char *settings;
    const char *dataset;
    const char *connection;
    const char *callback;
    const char *batch_records;
    int remote;
    int status;
    int dry_run;
    int switch_user;
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
} ch_cli;

/* Runs connector-host with argv; returns the exit code. */
int ch_cli_main(int argc, char **argv);

/* Setup steps commands call; each prints its own error and returns the
   exit code to use (0 on success). */
int ch_cli_open_home(ch_cli *cli);
int ch_cli_load_plugin(ch_cli *cli, const char *spec);

/* The commands. Each returns the exit code. */
int ch_cmd_describe(ch_cli *cli);
int ch_cmd_validate(ch_cli *cli);
int ch_cmd_authorize(ch_cli *cli);
int ch_cmd_secret(ch_cli *cli);
int ch_cmd_connect(ch_cli *cli);
int ch_cmd_deliver(ch_cli *cli);
int ch_cmd_list(ch_cli *cli);

/* Prints "connector-host: <message>" on stderr. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
void ch_cli_error(const char *fmt, ...);

#endif /* CH_CLI_H */
