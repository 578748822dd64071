/*
 * ch_cli.c - argument parsing, help, and the per-invocation setup shared by
 * every command.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_secrets.h"
#include "ch_util.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef CH_CONNECTOR_DIR
#define CH_CONNECTOR_DIR "/usr/local/lib/aconn"
#endif

#define CH_DEFAULT_REDIRECT_URI "https://127.0.0.1/callback"

static const char ch_usage[] =
    "Usage: connector-host COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  describe   --plugin P                      print the plugin's manifest JSON\n"
    "  validate   --plugin P --settings FILE [--profile NAME] [--remote]\n"
    "             [--connection ID]               check quick settings\n"
    "  authorize  --plugin P --profile NAME [--callback URL [--switch-user] | --status]\n"
    "                                             begin, complete or check a profile\n"
    "                                             (--switch-user: let another TikTok\n"
    "                                             user take the profile over)\n"
    "  secret set --plugin P NAME                 store a secret read from stdin\n"
    "  connect    --plugin P --profile NAME --dataset FILE --settings FILE\n"
    "                                             make a connection; prints its id\n"
    "  deliver    --connection ID [--batch-records N] [--dry-run]\n"
    "                                             run one delivery run; prints the report\n"
    "                                             (--dry-run: hash and spool the rows due,\n"
    "                                             report, send nothing, record nothing)\n"
    "  connections | profiles | runs              list what state.db holds (JSON)\n"
    "\n"
    "Options for every command:\n"
    "  --home DIR             data directory (default $CONNECTOR_HOST_HOME or\n"
    "                         ~/.local/share/connector-host)\n"
    "  --api-base URL         the remote API base URL (plugin option api_base)\n"
    "  --ca-file FILE         PEM file of trusted CAs (plugin option ca_file)\n"
    "  --redirect-uri URL     OAuth redirect URI (default " CH_DEFAULT_REDIRECT_URI ")\n"
    "  --clock-offset-ms N    move the host clock by N ms (tests)\n"
    "  --request-timeout-ms N whole-request timeout of the plugin's non-upload\n"
    "                         requests, 100..600000 (plugin option request_timeout_ms)\n"
    "  --verbose              also print the plugin's debug log lines\n"
    "  --help, --version\n"
    "\n"
    "P is a path to a plugin's .la or .so, or a module name searched in\n"
    CH_CONNECTOR_DIR ".\n"
    "\n"
    "Exit codes: 0 success; 1 invalid or permanent failure; 2 usage;\n"
    "3 re-authorize needed; 4 plugin could not be loaded or ABI refused;\n"
    "70 internal error; 75 retry later.\n";

void ch_cli_error(const char *fmt, ...)
{
    va_list ap;

    fputs("connector-host: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

typedef struct ch_opt {
    const char *name;
    size_t off;        /* offset of the member in ch_args */
    int is_flag;       /* 1: an int set to 1; 0: a const char * value */
} ch_opt;

#define CH_STR(m) { "--" #m, offsetof(ch_args, m), 0 }
static const ch_opt ch_opts[] = {
    { "--home", offsetof(ch_args, home), 0 },
    { "--api-base", offsetof(ch_args, api_base), 0 },
    { "--ca-file", offsetof(ch_args, ca_file), 0 },
    { "--redirect-uri", offsetof(ch_args, redirect_uri), 0 },
    { "--clock-offset-ms", offsetof(ch_args, clock_offset_ms), 0 },
    { "--request-timeout-ms", offsetof(ch_args, request_timeout_ms), 0 },
    CH_STR(plugin),
    CH_STR(profile),
    CH_STR(settings),
    CH_STR(dataset),
    CH_STR(connection),
    CH_STR(callback),
    { "--batch-records", offsetof(ch_args, batch_records), 0 },
    { "--help", offsetof(ch_args, help), 1 },
    { "--version", offsetof(ch_args, version), 1 },
    { "--verbose", offsetof(ch_args, verbose), 1 },
    { "--remote", offsetof(ch_args, remote), 1 },
    { "--status", offsetof(ch_args, status), 1 },
    { "--dry-run", offsetof(ch_args, dry_run), 1 },
    { "--switch-user", offsetof(ch_args, switch_user), 1 },
};
#undef CH_STR

/* Options and positionals may be mixed; "--name=value" and "--name value"
   both work; "--" ends the options. Returns 0 or CH_EXIT_USAGE. */
static int ch_cli_parse(int argc, char **argv, ch_args *a)
{
    int i, only_pos = 0;

    memset(a, 0, sizeof(*a));
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq;
        size_t k, namelen;
        const ch_opt *o = NULL;

        if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (a->npos >= CH_MAX_POSITIONAL) {
                ch_cli_error("unexpected argument '%s' (see --help)", arg);
                return CH_EXIT_USAGE;
            }
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0)
            arg = "--help";
        eq = strchr(arg, '=');
        namelen = eq != NULL ? (size_t) (eq - arg) : strlen(arg);
        for (k = 0; k < sizeof(ch_opts) / sizeof(ch_opts[0]); k++) {
            if (strlen(ch_opts[k].name) == namelen
                && strncmp(ch_opts[k].name, arg, namelen) == 0) {
                o = &ch_opts[k];
                break;
            }
        }
        if (o == NULL) {
            ch_cli_error("unknown option '%s' (see --help)", arg);
            return CH_EXIT_USAGE;
        }
        if (o->is_flag) {
            if (eq != NULL) {
                ch_cli_error("option %s takes no value", o->name);
                return CH_EXIT_USAGE;
            }
            *(int *) (void *) ((char *) a + o->off) = 1;
            continue;
        }
        if (eq == NULL && i + 1 >= argc) {
            ch_cli_error("option %s needs a value", o->name);
            return CH_EXIT_USAGE;
        }
        *(const char **) (void *) ((char *) a + o->off) = eq != NULL ? eq + 1 : argv[++i];
    }
    return 0;
}

int ch_cli_open_home(ch_cli *cli)
{
    char err[1024] = "";

    if (cli->have_home)
        return 0;
    if (ch_home_open(&cli->home, cli->a.home, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_FAILED;
    }
    cli->have_home = 1;
    /* Refuse a readable secrets file before any command can use it. */
    if (ch_secrets_check(cli->home.secrets, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_FAILED;
    }
    if (ch_state_open(cli->home.state_db, &cli->state, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    cli->host.home = cli->home.dir;
    cli->host.secrets_path = cli->home.secrets;
    cli->host.state = cli->state;
    return 0;
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

static int ch_cli_dispatch(ch_cli *cli)
{
    const char *cmd = cli->a.pos[0];

    if (strcmp(cmd, "describe") == 0)
        return ch_cmd_describe(cli);
    if (strcmp(cmd, "validate") == 0)
        return ch_cmd_validate(cli);
    if (strcmp(cmd, "authorize") == 0)
        return ch_cmd_authorize(cli);
    if (strcmp(cmd, "secret") == 0)
        return ch_cmd_secret(cli);
    if (strcmp(cmd, "connect") == 0)
        return ch_cmd_connect(cli);
    if (strcmp(cmd, "deliver") == 0)
        return ch_cmd_deliver(cli);
    if (strcmp(cmd, "connections") == 0 || strcmp(cmd, "profiles") == 0
        || strcmp(cmd, "runs") == 0)
        return ch_cmd_list(cli);
    ch_cli_error("unknown command '%s' (see --help)", cmd);
    return CH_EXIT_USAGE;
}

int ch_cli_main(int argc, char **argv)
{
    ch_cli cli;
    int rc;
    int64_t off = 0, timeout = 0;

    memset(&cli, 0, sizeof(cli));
    rc = ch_cli_parse(argc, argv, &cli.a);
    if (rc != 0)
        return rc;
    if (cli.a.help) {
        fputs(ch_usage, stdout);
        return CH_EXIT_OK;
    }
    if (cli.a.version) {
        printf("connector-host (%s) %s, connector ABI %d.%d\n", PACKAGE_NAME,
               PACKAGE_VERSION, ACONN_ABI_MAJOR, ACONN_ABI_MINOR);
        return CH_EXIT_OK;
    }
    if (cli.a.npos == 0) {
        fputs(ch_usage, stderr);
        return CH_EXIT_USAGE;
    }
    if (cli.a.clock_offset_ms != NULL && ch_parse_i64(cli.a.clock_offset_ms, &off) != 0) {
        ch_cli_error("--clock-offset-ms: '%s' is not an integer number of milliseconds",
                     cli.a.clock_offset_ms);
        return CH_EXIT_USAGE;
    }
    /* Checked here so a typo is a usage error naming the option, not a
       plugin error later; plugins get the validated text. */
    if (cli.a.request_timeout_ms != NULL
        && (ch_parse_i64(cli.a.request_timeout_ms, &timeout) != 0 || timeout < 100
            || timeout > 600000)) {
        ch_cli_error("--request-timeout-ms: '%s' is not a number of milliseconds "
                     "from 100 to 600000", cli.a.request_timeout_ms);
        return CH_EXIT_USAGE;
    }
    ch_host_init(&cli.host);
    cli.host.api_base = cli.a.api_base;
    cli.host.ca_file = cli.a.ca_file;
    cli.host.redirect_uri = cli.a.redirect_uri != NULL ? cli.a.redirect_uri
                                                      : CH_DEFAULT_REDIRECT_URI;
    cli.host.request_timeout_ms = cli.a.request_timeout_ms;
    cli.host.clock_offset_ms = off;
    cli.host.verbose = cli.a.verbose;
    if (ch_host_catch_signals() != 0) {
        ch_cli_error("cannot install signal handlers");
        return CH_EXIT_INTERNAL;
    }
    rc = ch_cli_dispatch(&cli);
    if (fflush(stdout) != 0 && rc == CH_EXIT_OK) {
        ch_cli_error("cannot write to standard output");
        rc = CH_EXIT_INTERNAL;
    }
    ch_plugin_unload(&cli.plugin);
    ch_state_close(cli.state);
    if (cli.have_home)
        ch_home_close(&cli.home);
    return rc;
}
