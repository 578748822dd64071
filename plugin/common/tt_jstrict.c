/*
 * tt_jstrict.c - strict RFC 8259 pre-check of JSON text (see tt_jstrict.h).
 * One forward pass; json-c still checks the structure afterwards.
 */
#include <config.h>

#include "tt_jstrict.h"

#include <stdint.h>
#include <string.h>

typedef struct jscan {
    const unsigned char *p;
    size_t len, i;
    tt_jstrict_result *res;
} jscan;

static int jfail(jscan *s, size_t at, const char *reason, const char *detail)
{
    s->res->reason = reason;
    s->res->detail = detail;
    s->res->offset = at;
    return -1;
}

/* Length of the valid UTF-8 sequence at i (RFC 3629, section 4), 0 if none. */
static size_t jutf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t need, k;

    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0;                 /* overlong */
        else if (c == 0xed)
            hi = 0x9f;                 /* encoded surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90;                 /* overlong */
        else if (c == 0xf4)
            hi = 0x8f;                 /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n <= need || p[1] < lo || p[1] > hi)
        return 0;
    for (k = 2; k <= need; k++)
        if (p[k] < 0x80 || p[k] > 0xbf)
            return 0;
    return need + 1;
}

static int jhex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;

    for (int k = 0; k < 4; k++) {
        unsigned char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned) (c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned) (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned) (c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* A \u escape at s->i (pointing at the backslash); leaves i after it. */
static int jescape_u(jscan *s)
{
    size_t at = s->i;
    unsigned u, lo;

    if (s->len - s->i < 6 || jhex4(s->p + s->i + 2, &u) != 0) {
        s->i += 2;                     /* json-c reports the bad escape; */
        return 0;                      /* step over it, or the scan loops */
    }
    s->i += 6;
    if (u == 0)
        return jfail(s, at, "nul_character", "a \\u0000 (NUL) escape is not allowed");
    if (u >= 0xdc00 && u <= 0xdfff)
        return jfail(s, at, "lone_surrogate", "a low surrogate escape without a high one");
    if (u >= 0xd800 && u <= 0xdbff) {
        if (s->len - s->i < 6 || s->p[s->i] != '\\' || s->p[s->i + 1] != 'u'
            || jhex4(s->p + s->i + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
            return jfail(s, at, "lone_surrogate",
                         "a high surrogate escape not followed by a low one");
        s->i += 6;
    }
    return 0;
}

/* 1 when none of the 8 bytes at p needs a look: no quote, backslash,
   control character or non-ASCII byte (most of a string's bytes; this
   keeps the check a small part of the dataset reader's time). */
static int jplain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t w, q, b;

    memcpy(&w, p, 8);
    q = w ^ (ones * '"');
    b = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & highs
           ? 0 : 1;
}

/* The string whose opening quote is at s->i; leaves i after the closing
   quote. */
static int jstring(jscan *s)
{
    s->i++;
    while (s->i < s->len) {
        unsigned char c;
        while (s->len - s->i >= 8 && jplain8(s->p + s->i))
            s->i += 8;
        if (s->i >= s->len)
            break;
        c = s->p[s->i];
        if (c == '"') {
            s->i++;
            return 0;
        }
        if (c == '\\') {
            if (s->i + 1 < s->len && s->p[s->i + 1] == 'u') {
                if (jescape_u(s) != 0)
                    return -1;
                continue;
            }
            s->i += 2;
            continue;
        }
        if (c == 0)
            return jfail(s, s->i, "nul_character", "a NUL byte is not allowed");
        if (c < 0x20)
            return jfail(s, s->i, "control_character",
                         "a raw control character inside a string must be escaped");
        if (c < 0x80) {
            s->i++;
            continue;
        }
        size_t n = jutf8_len(s->p + s->i, s->len - s->i);
        if (n == 0)
            return jfail(s, s->i, "invalid_utf8", "the text is not valid UTF-8");
        s->i += n;
    }
    return 0;                          /* unterminated: json-c reports it */
}

static int jdigits(jscan *s)
{
    size_t start = s->i;

    while (s->i < s->len && s->p[s->i] >= '0' && s->p[s->i] <= '9')
        s->i++;
    return s->i > start;
}

/* A number at s->i, following RFC 8259 section 6 exactly. */
static int jnumber(jscan *s)
{
    size_t at = s->i;
    static const char bad[] = "a number must follow the JSON grammar (no leading "
                              "zeros, digits on both sides of '.', digits after 'e')";

    if (s->p[s->i] == '-')
        s->i++;
    if (s->i < s->len && s->p[s->i] == '0') {
        s->i++;
    } else if (!jdigits(s)) {
        return jfail(s, at, "invalid_json", bad);
    }
    if (s->i < s->len && s->p[s->i] == '.') {
        s->i++;
        if (!jdigits(s))
            return jfail(s, at, "invalid_json", bad);
    }
    if (s->i < s->len && (s->p[s->i] == 'e' || s->p[s->i] == 'E')) {
        s->i++;
        if (s->i < s->len && (s->p[s->i] == '+' || s->p[s->i] == '-'))
            s->i++;
        if (!jdigits(s))
            return jfail(s, at, "invalid_json", bad);
    }
    if (s->i < s->len && ((s->p[s->i] >= '0' && s->p[s->i] <= '9') || s->p[s->i] == '.'))
        return jfail(s, at, "invalid_json", bad);
    return 0;
}

static int jword(jscan *s)
{
    static const char *const words[] = { "true", "false", "null" };
    size_t end = s->i;

    while (end < s->len && ((s->p[end] >= 'a' && s->p[end] <= 'z')
                            || (s->p[end] >= 'A' && s->p[end] <= 'Z')))
        end++;
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(words[k]);
        if (end - s->i == n && memcmp(s->p + s->i, words[k], n) == 0) {
            s->i = end;
            return 0;
        }
    }
    return jfail(s, s->i, "invalid_json", "only true, false and null are JSON words "
                 "(no NaN, Infinity or other bare words)");
}

/* A key is a string followed by ':' (after white space). */
static void jcount_key(jscan *s)
{
    size_t j = s->i;

    while (j < s->len && (s->p[j] == ' ' || s->p[j] == '\t' || s->p[j] == '\n'
                          || s->p[j] == '\r'))
        j++;
    if (j < s->len && s->p[j] == ':')
        s->res->keys++;
}

int tt_jstrict_check(const char *text, size_t len, tt_jstrict_result *res)
{
    jscan s = { (const unsigned char *) text, len, 0, res };
    size_t depth = 0;

    memset(res, 0, sizeof(*res));
    while (s.i < s.len) {
        unsigned char c = s.p[s.i];
        int r = 0;

        if (c == '"') {
            r = jstring(&s);
            if (r == 0)
                jcount_key(&s);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            r = jnumber(&s);
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            r = jword(&s);
        } else if (c == '{' || c == '[') {
            if (++depth > TT_JSTRICT_DEPTH)
                return jfail(&s, s.i, "too_deep", "arrays and objects nest deeper "
                             "than 32 levels");
            s.i++;
        } else if (c == '}' || c == ']') {
            depth -= depth > 0;
            s.i++;
        } else if (c == 0) {
            return jfail(&s, s.i, "nul_character", "a NUL byte is not allowed");
        } else if (c >= 0x80 && jutf8_len(s.p + s.i, s.len - s.i) == 0) {
            return jfail(&s, s.i, "invalid_utf8", "the text is not valid UTF-8");
        } else {
            s.i++;                     /* structure: json-c checks it */
        }
        if (r != 0)
            return -1;
    }
    return 0;
}

size_t tt_jstrict_tree_keys(json_object *v)
{
    size_t n = 0;

    if (json_object_is_type(v, json_type_object)) {
        n = (size_t) json_object_object_length(v);
        json_object_object_foreach(v, k, child) {
            (void) k;
            n += tt_jstrict_tree_keys(child);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        size_t len = json_object_array_length(v);
        for (size_t i = 0; i < len; i++)
            n += tt_jstrict_tree_keys(json_object_array_get_idx(v, i));
    }
    return n;
}

void tt_jstrict_position(const char *s, size_t offset, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset; i++) {
        if (s[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}
