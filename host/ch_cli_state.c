/*
 * ch_cli_state.c - where a command's state lives (--state URL or
 * CONNECTOR_HOST_STATE; default the home's state.db) and, with a
 * PostgreSQL state, the key its sealed secrets open with
 * (--secrets-key-file or CONNECTOR_HOST_SECRETS_KEY_FILE).
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_util.h"
#include "ch_vault.h"

#include <stdlib.h>
#include <string.h>

#include <unistd.h>

const char *ch_cli_state_url(const ch_cli *cli)
{
    const char *state = cli->a.state != NULL ? cli->a.state : getenv("CONNECTOR_HOST_STATE");

    return state != NULL && state[0] != '\0' ? state : NULL;
}

/* With a PostgreSQL state the secrets are sealed in it under the key
   file every worker has; SQLite keeps secrets.json. */
static int ch_cli_open_vault(ch_cli *cli)
{
    const char *file = cli->a.secrets_key_file != NULL ? cli->a.secrets_key_file
                                                       : getenv("CONNECTOR_HOST_SECRETS_KEY_FILE");
    char err[1024] = "";

    if (strcmp(ch_state_backend(cli->state), "postgresql") != 0)
        return 0;
    cli->host.secrets_in_state = 1;
    if (file == NULL || file[0] == '\0')
        return 0;   /* refused when a secret is used, naming the option */
    if (ch_vault_open(file, &cli->host.vault, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_FAILED;
    }
    return 0;
}

int ch_cli_open_state(ch_cli *cli, const char *state)
{
    char err[1024] = "";
    int rc;

    rc = ch_state_open(state != NULL ? state : cli->home.state_db, &cli->state, err,
                       sizeof(err));
    if (rc == CH_STATE_UNREACHABLE) {
        ch_cli_error("%s; nothing was changed: try again when it is reachable (or check "
                     "--state / CONNECTOR_HOST_STATE)", err);
        return CH_EXIT_RETRY;
    }
    if (rc != 0) {
        if (state == NULL && (access(cli->home.dir, W_OK) != 0
                              || (access(cli->home.state_db, F_OK) == 0
                                  && access(cli->home.state_db, W_OK) != 0))) {
            ch_cli_error("cannot write the home directory %s (its state.db): give "
                         "yourself write access (chmod u+w), or pass --home DIR", cli->home.dir);
            return CH_EXIT_FAILED;
        }
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    cli->host.home = cli->home.dir;
    cli->host.secrets_path = cli->home.secrets;
    cli->host.state = cli->state;
    return ch_cli_open_vault(cli);
}
