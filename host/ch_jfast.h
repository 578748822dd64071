/*
 * ch_jfast.h - the dataset reader's fast path (issue #14 point 2): one pass
 * over a JSON Lines record of the usual shape, straight into the chunk's
 * arena, with no json-c tree and no allocation.
 *
 * It takes only lines where nothing can be in doubt:
 *   {"name":{"type":"t","value":"v"}, "name2":[{...},{...}], "_op":"remove"}
 * with JSON white space between tokens; every string printable ASCII
 * (0x20-0x7e) without a backslash; each attribute object holding "value"
 * (a string) and at most "type" (a string or null) besides, once each; no
 * key twice; "_op" only as "add" or "remove". Anything else (an escape, a
 * byte >= 0x80, a number, another key, an empty array, a duplicate, a
 * reserved key, too many attributes, any syntax error) is left to the full
 * path (tt_jstrict_check + json-c in ch_dataset.c), which accepts or
 * refuses it with its reason exactly as before. So on every line the fast
 * path takes, the full path would build the same record: what it accepts
 * is a subset of what RFC 8259, tt_jstrict and ch_dataset's rules accept,
 * and all the refusals (duplicate keys, NUL, bad \u escapes, invalid
 * UTF-8, control characters) are still made by the one strict checker.
 */
#ifndef CH_JFAST_H
#define CH_JFAST_H

#include <stddef.h>
#include <stdint.h>

#include <aconn/aconn.h>

#include "ch_arena.h"

/* Most attributes the fast path takes in one record (more: the full path). */
#define CH_JFAST_MAX_ATTRS 32

/* Builds rec (seq = line_no) from line[0..len) in arena. 1 built, 0 not a
   line for the fast path (nothing was built; the full path reads it), -1
   out of memory. */
int ch_jfast_record(const char *line, size_t len, uint64_t line_no, ch_arena *arena,
                    aconn_record *rec);

#endif
