/*
 * tt_jstrict.h - the one strict JSON check every input goes through
 * (dataset lines in the host, quick settings, answers from TikTok).
 *
 * json-c parses; this check refuses, before json-c sees the text, what
 * json-c would accept or change although RFC 8259 does not allow it or the
 * reader cannot keep it faithfully: invalid UTF-8 (overlong forms,
 * encoded surrogates, above U+10FFFF), a NUL byte or a \u0000 escape
 * (json-c cuts keys at NUL), lone surrogate escapes, raw control
 * characters inside strings, NaN/Infinity and other bare words, numbers
 * outside the JSON grammar (01, 1., .5, 1.e2), and nesting deeper than
 * TT_JSTRICT_DEPTH. It also counts the object keys it saw, so a caller
 * comparing that count with tt_jstrict_tree_keys() of the parsed value
 * finds duplicate keys (json-c keeps the last copy) in linear time.
 */
#ifndef TT_JSTRICT_H
#define TT_JSTRICT_H

#include <stddef.h>

#include <json-c/json.h>

/* Deepest nesting of arrays and objects accepted, documented in
   docs/ARCHITECTURE.md. json-c is given more, so this limit is the one
   that answers. */
#define TT_JSTRICT_DEPTH 32
#define TT_JSTRICT_TOKENER_DEPTH (TT_JSTRICT_DEPTH + 8)

typedef struct tt_jstrict_result {
    const char *reason;   /* NULL when fine, else a static code */
    const char *detail;   /* static, for people */
    size_t offset;        /* byte offset of the problem */
    size_t keys;          /* object keys seen (when fine) */
} tt_jstrict_result;

/* Checks len bytes of text. 0 fine, -1 refused (*res says why). Reasons:
   invalid_utf8, nul_character, lone_surrogate, control_character,
   invalid_json (also for a bare word such as NaN or Infinity, or a number
   outside the grammar), too_deep. */
int tt_jstrict_check(const char *s, size_t len, tt_jstrict_result *res);

/* Sum of the lengths of every object in v (recursive, bounded by the
   tokener's depth). Less than tt_jstrict_result.keys: a key was repeated. */
size_t tt_jstrict_tree_keys(json_object *v);

/* 1-based line and column of byte `offset` of s. */
void tt_jstrict_position(const char *s, size_t offset, size_t *line, size_t *col);

#endif /* TT_JSTRICT_H */
