/*
 * ch_relink.c - `connector-host relink`: points a connection at its plugin
 * again after the file moved (a build tree removed, an install elsewhere).
 * Only the path changes; the plugin must have the connection's plugin id.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_util.h"

#include <string.h>

/* What a connection stores to find its plugin again: a bare module name
   stays a name (found through the connector directory at every load);
   a path is stored as the loader resolved it. */
const char *ch_relink_spec(const ch_cli *cli, const char *given)
{
    return strchr(given, '/') == NULL ? given : cli->plugin.path;
}

int ch_cmd_relink(ch_cli *cli)
{
    ch_connection c;
    char err[1024] = "";
    int rc;

    memset(&c, 0, sizeof(c));
    rc = ch_cli_missing("relink", (const char *const[]) { cli->a.connection, cli->a.plugin },
                        (const char *const[]) { "--connection ID", "--plugin P" }, 2);
    if (rc != 0 || (rc = ch_cli_open_home(cli)) != 0
        || (rc = ch_cli_load_plugin(cli, cli->a.plugin)) != 0)
        goto cleanup;
    if ((rc = ch_cli_connection(cli, cli->a.connection, &c)) != 0)
        goto cleanup;
    if (strcmp(ch_plugin_id(&cli->plugin), c.plugin_id) != 0) {
        ch_cli_error("relink: %s is plugin %s, but connection %s was made with %s; give "
                     "the path of %s", cli->a.plugin, ch_plugin_id(&cli->plugin), c.id,
                     c.plugin_id, c.plugin_id);
        rc = CH_EXIT_FAILED;
        goto cleanup;
    }
    if (ch_state_connection_set_plugin(cli->state, c.id, ch_relink_spec(cli, cli->a.plugin),
                                       err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_INTERNAL;
        goto cleanup;
    }
    printf("%s\n", ch_relink_spec(cli, cli->a.plugin));
    rc = CH_EXIT_OK;
cleanup:
    ch_connection_clear(&c);
    return rc;
}
