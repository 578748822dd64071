/*
 * ch_show.h - what the host shows a person: the connections / runs /
 * profiles listings (a readable layout on a terminal, JSON otherwise) and
 * the one-paragraph reason, with its fix, of a failed deliver.
 */
#ifndef CH_SHOW_H
#define CH_SHOW_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ch_cli.h"

/* A time in ms since the epoch as ISO 8601 UTC ("2026-12-03T07:36:00Z");
   "" for 0. */
void ch_show_iso(int64_t ms, char *buf, size_t len);

/* 1 when a listing prints JSON: --json, or standard output is not a
   terminal (unless CONNECTOR_HOST_FORCE_TTY is set); 0 for the layout. */
int ch_show_as_json(const ch_cli *cli);

/* After a deliver that did not succeed (exit `rc`): one paragraph on
   stderr saying what happened and the command that fixes it. */
void ch_show_deliver_failure(ch_cli *cli, const ch_connection *c, json_object *report,
                             int rc);

/* A string / integer member of a row or report (NULL / 0 when absent). */
const char *ch_show_str(json_object *o, const char *key);
int64_t ch_show_int(json_object *o, const char *key);

#endif /* CH_SHOW_H */
