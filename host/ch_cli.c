/*
 * ch_cli.c - argument parsing, help and dispatch; the per-invocation setup
 * shared by every command is in ch_cli_setup.c.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_util.h"
#include "ch_vault.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#define CH_DEFAULT_REDIRECT_URI "https://127.0.0.1/callback"

/* Option bits: which options a command takes (ch_cli_cmd.opts). The
   options every command takes are not in the masks. */
enum {
    CH_O_PLUGIN = 1 << 0, CH_O_PROFILE = 1 << 1, CH_O_SETTINGS = 1 << 2,
    CH_O_DATASET = 1 << 3, CH_O_CONNECTION = 1 << 4, CH_O_CALLBACK = 1 << 5,
    CH_O_BATCH = 1 << 6, CH_O_REMOTE = 1 << 7, CH_O_STATUS = 1 << 8,
    CH_O_DRY_RUN = 1 << 9, CH_O_JSON = 1 << 10, CH_O_RESYNC = 1 << 11,
    CH_O_SWITCH_USER = 1 << 12,
    CH_O_LISTEN = 1 << 13, CH_O_WORKER = 1 << 14,
    CH_O_GLOBAL = 1 << 30
};

typedef struct ch_cli_cmd {
    const char *name;
    unsigned opts;
    const char *synopsis;   /* after "connector-host NAME" */
    const char *help;       /* what it does, printed by NAME --help */
} ch_cli_cmd;

static const ch_cli_cmd ch_cmds[] = {
    { "describe", CH_O_PLUGIN, "--plugin P",
      "Prints the plugin's manifest JSON.\n" },
    { "validate", CH_O_PLUGIN | CH_O_SETTINGS | CH_O_PROFILE | CH_O_REMOTE | CH_O_CONNECTION,
      "--plugin P --settings FILE [--profile NAME] [--remote] [--connection ID]",
      "Checks quick settings: exit 0 {\"valid\":true}, exit 1 with every error\n"
      "(field, code, message). --remote also asks the remote API (needs a profile);\n"
      "--connection ID checks a change against that connection's settings.\n" },
    { "authorize", CH_O_PLUGIN | CH_O_PROFILE | CH_O_CALLBACK | CH_O_STATUS | CH_O_SWITCH_USER
                   | CH_O_LISTEN,
      "--plugin P --profile NAME [--callback URL [--switch-user] | --status |\n"
      "              --listen [HOST:]PORT]",
      "Without --callback: prints the consent URL to open. With --callback URL (the\n"
      "address the browser was sent back to): completes the profile and records the\n"
      "API base (--api-base) and CA file (--ca-file) it was authorized against; later\n"
      "commands on the profile use them and refuse a different one. --status re-checks.\n"
      "A completion by another TikTok user than the profile's is refused unless\n"
      "--switch-user is given; then the connections that lose an Ad Account are listed.\n"
      "--listen [HOST:]PORT: serves the redirect URI http://HOST:PORT/callback on a\n"
      "loopback address (HOST 127.0.0.1 by default; 127.0.0.0/8, [::1] or localhost,\n"
      "nothing else), prints the URL to open (it opens nothing), completes the profile\n"
      "when the browser comes back, shows the browser the outcome, and exits;\n"
      "--listen-timeout S (default 300) ends the wait with exit 75. Register that\n"
      "exact redirect URI with the TikTok app (or give it with --redirect-uri).\n" },
    { "secret", CH_O_PLUGIN, "set|list|delete --plugin P [NAME] [< VALUE]",
      "set NAME stores the value read from standard input as the plugin's secret\n"
      "NAME; list prints the names of the plugin's secrets (never a value); delete\n"
      "NAME wipes and removes one (an unknown NAME is an error).\n" },
    { "connect", CH_O_PLUGIN | CH_O_PROFILE | CH_O_DATASET | CH_O_SETTINGS,
      "--plugin P --profile NAME --dataset FILE --settings FILE",
      "Validates the settings and makes an immutable connection; prints its id.\n" },
    { "deliver", CH_O_CONNECTION | CH_O_BATCH | CH_O_DRY_RUN | CH_O_RESYNC,
      "--connection ID [--batch-records N] [--dry-run] [--resync]",
      "Runs one delivery run of the connection and prints the run report JSON on\n"
      "standard output; when the run fails, standard error says why and the command\n"
      "that fixes it. --dry-run hashes and spools the rows due, reports, and sends\n"
      "and records nothing. --resync: the dataset is a new snapshot (an export\n"
      "written over the last); it is delivered whole as a full refresh. The\n"
      "connection's plugin and its profile's API base are used.\n" },
    { "connections", CH_O_CONNECTION | CH_O_JSON, "[show ID] [--json]",
      "Lists the connections: last outcome and its reason, last delivery, next due,\n"
      "and the targets (audience ids, state) of the last report. A table on a\n"
      "terminal; JSON with --json or when standard output is not a terminal.\n"
      "show ID prints one connection whole, with its last report and error.\n" },
    { "runs", CH_O_CONNECTION | CH_O_JSON, "[show RUN | RUN] [--connection ID] [--json]",
      "Lists delivery runs (every attempt) with outcome and error; --connection ID\n"
      "only that connection's. show RUN prints its attempts whole, with reports.\n"
      "An unknown id is an error (exit 1).\n" },
    { "audiences", CH_O_CONNECTION | CH_O_JSON, "--connection ID [--json]",
      "Shows the connection's audiences as the remote platform holds them now: id,\n"
      "name, account, identifier types, size, status (processing while the platform\n"
      "still builds it, ready, too_small, expired, not_created), expiry, and what\n"
      "the last run did. Needs a plugin with the inspect entry point (ABI 1.1).\n"
      "A table on a terminal; JSON with --json or when standard output is not one.\n" },
    { "profiles", CH_O_JSON, "[--json]",
      "Lists the profiles: status, when it changed, the API base they belong to.\n" },
    { "relink", CH_O_CONNECTION | CH_O_PLUGIN, "--connection ID --plugin P",
      "Points the connection at its plugin again after the file moved (a build tree\n"
      "removed, installed elsewhere); P must be the same plugin (same id). A bare\n"
      "module name is stored as a name, found in the connector directory at each load.\n"
      "Prints what was stored.\n" },
    { "worker", CH_O_WORKER | CH_O_BATCH,
      "[--once] [--lease-ms N] [--poll-ms N] [--batch-records N]",
      "The scheduler: delivers every connection that is due (rows past the checkpoint,\n"
      "a retry whose time came, a policy refresh), one at a time under a lease held in\n"
      "the state (expiring, renewed while the run goes on), so several workers on one\n"
      "or many machines never deliver one connection at once. One JSON line per\n"
      "finished run. SIGTERM/SIGINT: the run stops, its lease is released, exit 0.\n"
      "--once: deliver what is due now, then exit (0, or 75 when something was\n"
      "deferred). --lease-ms (default 60000), --poll-ms (default 5000): tests.\n" },
    { "pause", CH_O_CONNECTION, "--connection ID",
      "No worker takes the connection until resume (a run in progress finishes).\n" },
    { "resume", CH_O_CONNECTION, "--connection ID",
      "The connection is due again.\n" },
    { "disconnect", CH_O_CONNECTION, "--connection ID",
      "The connection is never delivered again. Its audiences stay in TikTok; the\n"
      "command lists them.\n" },
    { "help", 0, "[COMMAND]", "Prints the help of COMMAND, or this overview.\n" },
};
#define CH_NCMDS (sizeof(ch_cmds) / sizeof(ch_cmds[0]))

static const char ch_usage_tail[] =
    "\n"
    "Options for every command:\n"
    "  --home DIR             data directory (default $CONNECTOR_HOST_HOME or\n"
    "                         ~/.local/share/connector-host)\n"
    "  --api-base URL         the remote API base URL (plugin option api_base);\n"
    "                         remembered by the profile that authorize completes\n"
    "  --ca-file FILE         PEM file of trusted CAs (plugin option ca_file)\n"
    "  --redirect-uri URL     OAuth redirect URI (default " CH_DEFAULT_REDIRECT_URI ")\n"
    "  --clock-offset-ms N    move the host clock by N ms (tests)\n"
    "  --request-timeout-ms N whole-request timeout of the plugin's non-upload\n"
    "                         requests, 100..600000 (plugin option request_timeout_ms)\n"
    "  --app-qps N            requests per second the plugin's remote app may make,\n"
    "                         shared by every worker on this state (default 10,\n"
    "                         TikTok's basic tier; 0: no pacing); $CONNECTOR_HOST_APP_QPS\n"
    "  --parallel-accounts N  Ad Accounts one delivery updates at once, 1..16\n"
    "                         (plugin option parallel_accounts, default 4);\n"
    "                         $CONNECTOR_HOST_PARALLEL_ACCOUNTS\n"
    "  --state URL            where the state lives: sqlite:PATH (default\n"
    "                         HOME/state.db) or postgresql://USER@HOST/DB (many\n"
    "                         machines); default $CONNECTOR_HOST_STATE\n"
    "  --secrets-key-file FILE  with a PostgreSQL state: the AES-256 key (64 hex\n"
    "                         digits, owner-only) sealing the secrets kept there;\n"
    "                         default $CONNECTOR_HOST_SECRETS_KEY_FILE\n"
    "  --verbose              also print the plugin's debug log lines\n"
    "  --init                 start a new state.db in a home that lost its own\n"
    "                         (refused without it while secrets or spools remain)\n"
    "  --help, --version\n"
    "\n"
    "P is a path to a plugin's .la or .so, or a module name searched in\n"
    CH_CONNECTOR_DIR ".\n"
    "\n"
    "Exit codes: 0 success; 1 invalid or permanent failure; 2 usage;\n"
    "3 re-authorize needed; 4 plugin could not be loaded or ABI refused;\n"
    "5 partial: some targets behind or dead; 70 internal error; 75 retry later.\n";

static void ch_cli_usage(FILE *f)
{
    size_t i;

    fputs("Usage: connector-host COMMAND [OPTIONS]\n"
          "       connector-host help COMMAND | COMMAND --help\n\nCommands:\n", f);
    for (i = 0; i < CH_NCMDS; i++)
        fprintf(f, "  %-11s %s\n", ch_cmds[i].name, ch_cmds[i].synopsis);
    fputs(ch_usage_tail, f);
}

static void ch_cli_cmd_help(const ch_cli_cmd *c)
{
    printf("Usage: connector-host %s %s\n\n%s\n", c->name, c->synopsis, c->help);
    printf("Options for every command: --home DIR, --api-base URL, --ca-file FILE,\n"
           "--redirect-uri URL, --clock-offset-ms N, --request-timeout-ms N, --state URL,\n"
           "--secrets-key-file FILE, --verbose, --init\n"
           "(see connector-host --help).\n\n"
           "Exit codes: 0 success; 1 invalid or permanent failure; 2 usage;\n"
           "3 re-authorize needed; 4 plugin could not be loaded or ABI refused;\n"
           "5 partial: some targets behind or dead; 70 internal error; 75 retry later.\n");
}

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
    unsigned bit;      /* CH_O_*: which commands take it */
} ch_opt;

#define CH_OPT(name, m, flag, bit) { name, offsetof(ch_args, m), flag, bit }
static const ch_opt ch_opts[] = {
    CH_OPT("--home", home, 0, CH_O_GLOBAL),
    CH_OPT("--api-base", api_base, 0, CH_O_GLOBAL),
    CH_OPT("--ca-file", ca_file, 0, CH_O_GLOBAL),
    CH_OPT("--redirect-uri", redirect_uri, 0, CH_O_GLOBAL),
    CH_OPT("--clock-offset-ms", clock_offset_ms, 0, CH_O_GLOBAL),
    CH_OPT("--request-timeout-ms", request_timeout_ms, 0, CH_O_GLOBAL),
    CH_OPT("--app-qps", app_qps, 0, CH_O_GLOBAL),
    CH_OPT("--parallel-accounts", parallel_accounts, 0, CH_O_GLOBAL),
    CH_OPT("--state", state, 0, CH_O_GLOBAL),
    CH_OPT("--secrets-key-file", secrets_key_file, 0, CH_O_GLOBAL),
    CH_OPT("--plugin", plugin, 0, CH_O_PLUGIN),
    CH_OPT("--profile", profile, 0, CH_O_PROFILE),
    CH_OPT("--settings", settings, 0, CH_O_SETTINGS),
    CH_OPT("--dataset", dataset, 0, CH_O_DATASET),
    CH_OPT("--connection", connection, 0, CH_O_CONNECTION),
    CH_OPT("--callback", callback, 0, CH_O_CALLBACK),
    CH_OPT("--batch-records", batch_records, 0, CH_O_BATCH),
    CH_OPT("--listen", listen, 0, CH_O_LISTEN),
    CH_OPT("--listen-timeout", listen_timeout, 0, CH_O_LISTEN),
    CH_OPT("--help", help, 1, CH_O_GLOBAL),
    CH_OPT("--version", version, 1, CH_O_GLOBAL),
    CH_OPT("--verbose", verbose, 1, CH_O_GLOBAL),
    CH_OPT("--init", init, 1, CH_O_GLOBAL),
    CH_OPT("--remote", remote, 1, CH_O_REMOTE),
    CH_OPT("--status", status, 1, CH_O_STATUS),
    CH_OPT("--dry-run", dry_run, 1, CH_O_DRY_RUN),
    CH_OPT("--json", json, 1, CH_O_JSON),
    CH_OPT("--resync", resync, 1, CH_O_RESYNC),
    CH_OPT("--switch-user", switch_user, 1, CH_O_SWITCH_USER),
    CH_OPT("--once", once, 1, CH_O_WORKER),
    CH_OPT("--lease-ms", lease_ms, 0, CH_O_WORKER),
    CH_OPT("--poll-ms", poll_ms, 0, CH_O_WORKER),
};
#undef CH_OPT
#define CH_NOPTS (sizeof(ch_opts) / sizeof(ch_opts[0]))

/* Levenshtein distance of a and b[0..blen), for "did you mean". */
static size_t ch_cli_distance(const char *a, const char *b, size_t blen)
{
    size_t row[64], i, j, alen = strlen(a);

    if (alen >= 63 || blen >= 63)
        return 99;
    for (j = 0; j <= blen; j++)
        row[j] = j;
    for (i = 1; i <= alen; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= blen; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[blen];
}

/* The known name nearest to word (at most 2 edits away), or NULL. */
static const char *ch_cli_nearest(const char *word, size_t len, int options)
{
    const char *best = NULL;
    size_t i, bestd = 3, n = options ? CH_NOPTS : CH_NCMDS;

    for (i = 0; i < n; i++) {
        const char *name = options ? ch_opts[i].name : ch_cmds[i].name;
        size_t d = ch_cli_distance(name, word, len);
        if (d < bestd) {
            bestd = d;
            best = name;
        }
    }
    return best;
}

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
        for (k = 0; k < CH_NOPTS; k++) {
            if (strlen(ch_opts[k].name) == namelen
                && strncmp(ch_opts[k].name, arg, namelen) == 0) {
                o = &ch_opts[k];
                break;
            }
        }
        if (o == NULL) {
            const char *near = ch_cli_nearest(arg, namelen, 1);
            ch_cli_error("unknown option '%.*s'%s%s%s (see --help)", (int) namelen, arg,
                         near != NULL ? "; did you mean " : "", near != NULL ? near : "",
                         near != NULL ? "?" : "");
            return CH_EXIT_USAGE;
        }
        a->given |= o->bit;
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

static const ch_cli_cmd *ch_cli_find(const char *name)
{
    size_t i;

    for (i = 0; i < CH_NCMDS; i++)
        if (strcmp(ch_cmds[i].name, name) == 0)
            return &ch_cmds[i];
    return NULL;
}

/* Unknown command: the error, with the nearest one. */
static int ch_cli_unknown(const char *name)
{
    const char *near = ch_cli_nearest(name, strlen(name), 0);

    ch_cli_error("unknown command '%s'%s%s%s (see connector-host --help)", name,
                 near != NULL ? "; did you mean " : "", near != NULL ? near : "",
                 near != NULL ? "?" : "");
    return CH_EXIT_USAGE;
}

/* Refuses, all at once, the options the command does not take. */
static int ch_cli_check_opts(const ch_cli_cmd *c, unsigned given)
{
    size_t k;
    int bad = 0;

    for (k = 0; k < CH_NOPTS; k++) {
        unsigned bit = ch_opts[k].bit;
        if (bit == CH_O_GLOBAL || (given & bit) == 0 || (c->opts & bit) != 0)
            continue;
        ch_cli_error("%s does not take %s (see connector-host %s --help)", c->name,
                     ch_opts[k].name, c->name);
        bad = 1;
    }
    return bad ? CH_EXIT_USAGE : 0;
}

int ch_cli_missing(const char *cmd, const char *const *values, const char *const *names,
                   size_t n)
{
    char list[512] = "";
    size_t i, len = 0, missing = 0;

    for (i = 0; i < n; i++) {
        if (values[i] != NULL && *values[i] != '\0')
            continue;
        len += (size_t) snprintf(list + len, sizeof(list) - len, "%s%s",
                                 missing > 0 ? ", " : "", names[i]);
        if (len >= sizeof(list))
            len = sizeof(list) - 1;
        missing++;
    }
    if (missing == 0)
        return 0;
    ch_cli_error("%s needs %s (see connector-host %s --help)", cmd, list, cmd);
    return CH_EXIT_USAGE;
}

static int ch_cli_dispatch(ch_cli *cli)
{
    const char *cmd = cli->a.pos[0];
    const ch_cli_cmd *c = ch_cli_find(cmd);
    int rc;

    if (c == NULL)
        return ch_cli_unknown(cmd);
    if (strcmp(cmd, "help") == 0) {
        if (cli->a.npos < 2) {
            ch_cli_usage(stdout);
            return CH_EXIT_OK;
        }
        if ((c = ch_cli_find(cli->a.pos[1])) == NULL)
            return ch_cli_unknown(cli->a.pos[1]);
        ch_cli_cmd_help(c);
        return CH_EXIT_OK;
    }
    if (cli->a.help) {
        ch_cli_cmd_help(c);
        return CH_EXIT_OK;
    }
    if ((rc = ch_cli_check_opts(c, cli->a.given)) != 0)
        return rc;
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
    if (strcmp(cmd, "relink") == 0)
        return ch_cmd_relink(cli);
    if (strcmp(cmd, "audiences") == 0)
        return ch_cmd_audiences(cli);
    if (strcmp(cmd, "worker") == 0)
        return ch_cmd_worker(cli);
    if (strcmp(cmd, "pause") == 0)
        return ch_cmd_pause(cli);
    if (strcmp(cmd, "resume") == 0)
        return ch_cmd_resume(cli);
    if (strcmp(cmd, "disconnect") == 0)
        return ch_cmd_disconnect(cli);
    return ch_cmd_list(cli);
}

/* --app-qps and --parallel-accounts (or their variables), checked here so
   a typo is a usage error naming the option. */
static int ch_cli_pacing(ch_cli *cli)
{
    const char *qps = cli->a.app_qps != NULL ? cli->a.app_qps : getenv("CONNECTOR_HOST_APP_QPS");
    const char *par = cli->a.parallel_accounts != NULL ? cli->a.parallel_accounts
                                                       : getenv("CONNECTOR_HOST_PARALLEL_ACCOUNTS");
    int64_t v = 0;

    if (qps != NULL && *qps != '\0') {
        if (ch_parse_i64(qps, &v) != 0 || v < 0 || v > 100000) {
            ch_cli_error("--app-qps: '%s' is not a whole number of requests per second "
                         "from 0 to 100000", qps);
            return -1;
        }
        cli->host.app_qps = (double) v;
    }
    if (par != NULL && *par != '\0') {
        if (ch_parse_i64(par, &v) != 0 || v < 1 || v > 16) {
            ch_cli_error("--parallel-accounts: '%s' is not a number from 1 to 16", par);
            return -1;
        }
        cli->host.parallel_accounts = par;
    }
    return 0;
}

int ch_cli_main(int argc, char **argv)
{
    ch_cli cli;
    int rc;
    int64_t off = 0, timeout = 0;
    const char *env;

    memset(&cli, 0, sizeof(cli));
    rc = ch_cli_parse(argc, argv, &cli.a);
    if (rc != 0)
        return rc;
    if (cli.a.help && cli.a.npos == 0) {
        ch_cli_usage(stdout);
        return CH_EXIT_OK;
    }
    if (cli.a.version) {
        printf("connector-host (%s) %s, connector ABI %d.%d\n", PACKAGE_NAME,
               PACKAGE_VERSION, ACONN_ABI_MAJOR, ACONN_ABI_MINOR);
        return CH_EXIT_OK;
    }
    if (cli.a.npos == 0) {
        ch_cli_usage(stderr);
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
    /* The environment stands for --api-base / --ca-file: one setting for a
       whole session against a sandbox or staging API (the README's real
       TikTok block is run so). It counts as given, so a profile bound to
       another API refuses it as it refuses the option. */
    if (cli.a.api_base == NULL && (env = getenv("CONNECTOR_HOST_API_BASE")) != NULL
        && env[0] != '\0')
        cli.a.api_base = env;
    if (cli.a.ca_file == NULL && (env = getenv("CONNECTOR_HOST_CA_FILE")) != NULL
        && env[0] != '\0')
        cli.a.ca_file = env;
    ch_host_init(&cli.host);
    if (ch_cli_pacing(&cli) != 0)
        return CH_EXIT_USAGE;
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
    free(cli.endpoint_base);
    free(cli.endpoint_ca);
    ch_vault_close(cli.host.vault);
    ch_state_close(cli.state);
    if (cli.have_home)
        ch_home_close(&cli.home);
    return rc;
}
