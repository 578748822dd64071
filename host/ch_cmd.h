/*
 * ch_cmd.h - what the command files (ch_commands.c, ch_cmd_*.c) share:
 * the required-options check, printing a JSON answer or a plugin's error,
 * and reading and validating a settings file (ch_cmd_validate.c).
 * Internal to the host.
 */
#ifndef CH_CMD_H
#define CH_CMD_H

#include "ch_buf.h"
#include "ch_cli.h"

#include <stddef.h>

#include <json-c/json.h>

/* Every missing one of the pairs (value, "--option VALUE") in one error:
   CH_EXIT_USAGE then, else 0. */
#define CH_NEED(cmd, ...) ch_need_all(cmd, (const char *const[]) { __VA_ARGS__ }, \
                                     sizeof((const char *const[]) { __VA_ARGS__ }) \
                                     / sizeof(const char *))
int ch_need_all(const char *cmd, const char *const *pairs, size_t n);

/* One JSON answer on stdout, on one line. */
void ch_print_json(json_object *o);

/* "<what> failed: STATUS (code)" and the plugin's field and message, on
   stderr; plugin (may be NULL): the --plugin its printed commands get. */
void ch_print_plugin_error(const char *what, aconn_status s, const aconn_error *e,
                           const char *plugin);

/* Reads the settings file at path (*text, caller-owned) and, when obj is
   not NULL, its JSON object (*obj); CH_EXIT_FAILED with the reason and its
   position in why. */
int ch_read_settings(const char *path, char **text, json_object **obj,
                     char *why, size_t whylen);

/* validate_settings on settings; *result (caller-owned) gets
   {"valid":..,"errors":[..]}, facts (may be NULL) the plugin's facts. */
aconn_status ch_validate(ch_cli *cli, const char *settings, const char *profile,
                         int remote, const char *current, ch_buf *facts,
                         json_object **result);

#endif /* CH_CMD_H */
