/*
 * ch_cmd_secret.c - connector-host secret set | list | delete: the
 * plugin's secrets by name. Values go in on standard input only and never
 * come out: list prints names.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_secrets.h"
#include "ch_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

static int ch_secret_name_ok(const char *s)
{
    size_t n;

    if (s == NULL)
        return 0;
    for (n = 0; s[n] != '\0'; n++) {
        char c = s[n];
        if (n >= 200 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                          || (c >= '0' && c <= '9') || c == '_' || c == '-'
                          || c == '.' || c == '/'))
            return 0;
    }
    return n > 0;
}

/* The value on standard input, without one trailing newline, into a buffer
   of CH_SECRET_MAX + 2 bytes the caller wipes and frees. */
static int ch_secret_read_stdin(char **value, size_t *len)
{
    size_t cap = CH_SECRET_MAX + 2;

    *len = 0;
    *value = malloc(cap);
    if (*value == NULL) {
        ch_cli_error("out of memory");
        return CH_EXIT_INTERNAL;
    }
    while (*len < cap) {
        ssize_t n = read(STDIN_FILENO, *value + *len, cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ch_cli_error("secret set: cannot read standard input: %s", strerror(errno));
            return CH_EXIT_FAILED;
        }
        if (n == 0)
            break;
        *len += (size_t) n;
    }
    if (*len > 0 && (*value)[*len - 1] == '\n')
        (*len)--;
    if (*len > CH_SECRET_MAX || *len == 0) {
        ch_cli_error("secret set: the value on standard input must be 1 to %zu bytes",
                     CH_SECRET_MAX);
        return CH_EXIT_FAILED;
    }
    return CH_EXIT_OK;
}

static int ch_secret_set(ch_cli *cli, const char *key)
{
    char *value = NULL, err[1024] = "";
    size_t len = 0;
    int rc = ch_secret_read_stdin(&value, &len);

    if (rc == CH_EXIT_OK
        && ch_secrets_put(cli->home.secrets, key, value, len, err, sizeof(err)) != ACONN_OK) {
        ch_cli_error("%s", err);
        rc = CH_EXIT_FAILED;
    }
    if (value != NULL)
        OPENSSL_cleanse(value, CH_SECRET_MAX + 2);
    free(value);
    return rc;
}

static int ch_secret_list(ch_cli *cli, const char *prefix)
{
    json_object *names = NULL;
    char err[1024] = "";

    if (ch_secrets_names(cli->home.secrets, prefix, &names, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_FAILED;
    }
    for (size_t i = 0; i < json_object_array_length(names); i++)
        puts(json_object_get_string(json_object_array_get_idx(names, i)));
    json_object_put(names);
    return CH_EXIT_OK;
}

/* Deleting a name that is not there is an error: a typo must not pass
   for a deletion. */
static int ch_secret_delete(ch_cli *cli, const char *prefix, const char *name)
{
    json_object *names = NULL;
    char err[1024] = "", key[512], home[1100];
    int found = 0;

    if (ch_secrets_names(cli->home.secrets, prefix, &names, err, sizeof(err)) != 0) {
        ch_cli_error("%s", err);
        return CH_EXIT_FAILED;
    }
    for (size_t i = 0; i < json_object_array_length(names); i++)
        found |= strcmp(json_object_get_string(json_object_array_get_idx(names, i)),
                        name) == 0;
    json_object_put(names);
    if (!found) {
        ch_cli_error("secret delete: plugin %s has no secret '%s'; list them with: "
                     "connector-host secret list --plugin %s%s", ch_plugin_id(&cli->plugin),
                     name, cli->a.plugin, ch_cli_fix_home(cli, home, sizeof(home)));
        return CH_EXIT_FAILED;
    }
    snprintf(key, sizeof(key), "%s%s", prefix, name);
    if (ch_secrets_put(cli->home.secrets, key, NULL, 0, err, sizeof(err)) != ACONN_OK) {
        ch_cli_error("%s", err);
        return CH_EXIT_FAILED;
    }
    return CH_EXIT_OK;
}

int ch_cmd_secret(ch_cli *cli)
{
    const char *verb = cli->a.npos >= 2 ? cli->a.pos[1] : "";
    const char *name = cli->a.npos >= 3 ? cli->a.pos[2] : NULL;
    int list = strcmp(verb, "list") == 0, rc;
    const char *values[2] = { cli->a.plugin, name }, *opts[2] = { "--plugin P", "a NAME" };
    char cmd[32], prefix[300], key[512];

    if (!list && strcmp(verb, "set") != 0 && strcmp(verb, "delete") != 0) {
        ch_cli_error("usage: connector-host secret set --plugin P NAME < value | "
                     "secret list --plugin P | secret delete --plugin P NAME");
        return CH_EXIT_USAGE;
    }
    snprintf(cmd, sizeof(cmd), "secret %s", verb);
    if ((rc = ch_cli_missing(cmd, values, opts, list ? 1 : 2)) != 0)
        return rc;
    if (!list && !ch_secret_name_ok(name)) {
        ch_cli_error("%s: NAME '%s' may contain only letters, digits and _ - . / (1 to "
                     "200 of them)", cmd, name);
        return CH_EXIT_USAGE;
    }
    if ((rc = ch_cli_load_plugin(cli, cli->a.plugin)) != 0
        || (rc = ch_cli_open_home(cli)) != 0)
        return rc;
    snprintf(prefix, sizeof(prefix), "%s/", ch_plugin_id(&cli->plugin));
    if (list)
        return ch_secret_list(cli, prefix);
    if (strcmp(verb, "delete") == 0)
        return ch_secret_delete(cli, prefix, name);
    snprintf(key, sizeof(key), "%s%s", prefix, name);
    return ch_secret_set(cli, key);
}
