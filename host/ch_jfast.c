/* ch_jfast.c - the reader's one-pass fast path for plain records (see ch_jfast.h). */
#include <config.h>

#include "ch_jfast.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct jf_str {
    const char *p;
    size_t n;
} jf_str;

typedef struct jf_attr {
    jf_str name;
    jf_str type;            /* p NULL: absent or null */
    jf_str value;
} jf_attr;

typedef struct jf {
    const char *s, *end;
} jf;

/* Bytes a fast-path string may hold: printable ASCII except '"' and '\\'. */
static int jf_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void jf_ws(jf *j)
{
    while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\r' || *j->s == '\n'))
        j->s++;
}

/* Takes c (after white space); 0, or -1 when the next byte is another. */
static int jf_char(jf *j, char c)
{
    jf_ws(j);
    if (j->s == j->end || *j->s != c)
        return -1;
    j->s++;
    return 0;
}

#define JF_ONES UINT64_C(0x0101010101010101)
#define JF_HIGH UINT64_C(0x8080808080808080)

/* Non-zero when a byte of x is zero; a borrow may also flag bytes above a
   zero one, which only sends the caller to its exact byte loop. */
static uint64_t jf_zero_byte(uint64_t x)
{
    return (x - JF_ONES) & ~x & JF_HIGH;
}

/* Non-zero when one of the 8 bytes is not jf_plain(). (v + 1) | v has
   the high bit of every byte >= 0x7f (a carry out of 0xff only flags a
   byte that is flagged anyway). */
static uint64_t jf_word_stops(uint64_t v)
{
    return (((v + JF_ONES) | v) & JF_HIGH)        /* >= 0x7f */
           | ((v - 0x20 * JF_ONES) & ~v & JF_HIGH) /* < 0x20 */
           | jf_zero_byte(v ^ (0x22 * JF_ONES))    /* '"' */
           | jf_zero_byte(v ^ (0x5c * JF_ONES));   /* '\\' */
}

/* A plain string; 0, or -1 (not plain, or not a string). */
static int jf_string(jf *j, jf_str *out)
{
    const char *p;

    if (jf_char(j, '"') != 0)
        return -1;
    p = j->s;
#ifdef __SSE2__
    /* Sixteen bytes at a time where SSE2 is there (every x86-64): a signed
       "less than 0x20" flags the control bytes and every byte >= 0x80. */
    while ((size_t) (j->end - p) >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *) (const void *) p);
        __m128i bad = _mm_or_si128(
            _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))),
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
        int mask = _mm_movemask_epi8(bad);
        if (mask != 0) {
            p += __builtin_ctz((unsigned) mask);
            goto stop;
        }
        p += 16;
    }
#endif
    /* The hot loop (64-hex digests and names): eight bytes at a time
       until a word holds a byte that ends the run, then byte by byte. */
    while ((size_t) (j->end - p) >= 8) {
        uint64_t v, stops;
        memcpy(&v, p, 8);
        stops = jf_word_stops(v);
        if (stops != 0) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* The lowest flagged byte is exact: borrows and carries only
               run upwards from a byte that is flagged itself. */
            p += __builtin_ctzll(stops) / 8;
#endif
            break;
        }
        p += 8;
    }
    while (p < j->end && jf_plain((unsigned char) *p))
        p++;
#ifdef __SSE2__
stop:
#endif
    if (p == j->end || *p != '"')
        return -1;    /* an escape, a control or non-ASCII byte: full path */
    out->p = j->s;
    out->n = (size_t) (p - j->s);
    j->s = p + 1;
    return 0;
}

/* s equals the string literal lit. */
#define jf_is(s, lit) ((s)->n == sizeof(lit) - 1 && memcmp((s)->p, lit, sizeof(lit) - 1) == 0)

/* {"type":..., "value":...} in either order, "type" optional (or null). */
static int jf_attr_obj(jf *j, jf_attr *a)
{
    int seen_type = 0, seen_value = 0;

    a->type.p = NULL;
    a->type.n = 0;
    if (jf_char(j, '{') != 0)
        return -1;
    do {
        jf_str key;
        if (jf_string(j, &key) != 0 || jf_char(j, ':') != 0)
            return -1;
        if (jf_is(&key, "value") && !seen_value) {
            seen_value = 1;
            if (jf_string(j, &a->value) != 0)
                return -1;
        } else if (jf_is(&key, "type") && !seen_type) {
            seen_type = 1;
            jf_ws(j);
            if ((size_t) (j->end - j->s) >= 4 && memcmp(j->s, "null", 4) == 0)
                j->s += 4;
            else if (jf_string(j, &a->type) != 0)
                return -1;
        } else {
            return -1;
        }
        jf_ws(j);
    } while (j->s < j->end && *j->s == ',' && ++j->s);
    return seen_value && jf_char(j, '}') == 0 ? 0 : -1;
}

/* One member's value: an attribute object or a non-empty array of them,
   appended to attrs (all named name). */
static int jf_attr_value(jf *j, const jf_str *name, jf_attr *attrs, size_t *n)
{
    int array;

    jf_ws(j);
    array = j->s < j->end && *j->s == '[';
    if (array)
        j->s++;
    do {
        if (*n == CH_JFAST_MAX_ATTRS || jf_attr_obj(j, &attrs[*n]) != 0)
            return -1;
        attrs[(*n)++].name = *name;
        jf_ws(j);
    } while (array && j->s < j->end && *j->s == ',' && ++j->s);
    return array ? jf_char(j, ']') : 0;
}

/* Any earlier member named like key: the full path says duplicate_key. */
static int jf_dup(const jf_str *keys, size_t nkeys, const jf_str *key)
{
    for (size_t i = 0; i < nkeys; i++)
        if (keys[i].n == key->n && memcmp(keys[i].p, key->p, key->n) == 0)
            return 1;
    return 0;
}

/* Parses the line into attrs; 0, or -1 for the full path. */
static int jf_parse(jf *j, jf_attr *attrs, size_t *n, uint32_t *op)
{
    jf_str keys[CH_JFAST_MAX_ATTRS + 1];
    size_t nkeys = 0;

    if (jf_char(j, '{') != 0)
        return -1;
    do {
        jf_str key, v;
        if (nkeys == CH_JFAST_MAX_ATTRS + 1 || jf_string(j, &key) != 0 || key.n == 0 ||
            jf_dup(keys, nkeys, &key) || jf_char(j, ':') != 0)
            return -1;
        keys[nkeys++] = key;
        if (key.p[0] != '_') {
            if (jf_attr_value(j, &key, attrs, n) != 0)
                return -1;
        } else if (jf_is(&key, "_op") && jf_string(j, &v) == 0 &&
                   (jf_is(&v, "add") || jf_is(&v, "remove"))) {
            *op = jf_is(&v, "add") ? ACONN_RECORD_ADD : ACONN_RECORD_REMOVE;
        } else {
            return -1;    /* a reserved key, or a bad _op: the full path's reason */
        }
        jf_ws(j);
    } while (j->s < j->end && *j->s == ',' && ++j->s);
    if (jf_char(j, '}') != 0 || *n == 0)
        return -1;
    jf_ws(j);
    return j->s == j->end ? 0 : -1;
}

/* Copies a string and its NUL to *pos; returns the copy. */
static const char *jf_put(char **pos, const jf_str *s)
{
    char *out = *pos;

    memcpy(out, s->p, s->n);
    out[s->n] = '\0';
    *pos += s->n + 1;
    return out;
}

int ch_jfast_record(const char *line, size_t len, uint64_t line_no, ch_arena *arena,
                    aconn_record *rec)
{
    jf_attr attrs[CH_JFAST_MAX_ATTRS];
    jf j = {line, line + len};
    size_t n = 0, bytes;
    uint32_t op = ACONN_RECORD_ADD;
    aconn_attr *out;
    const char *name = NULL;
    char *pos;

    if (jf_parse(&j, attrs, &n, &op) != 0)
        return 0;
    /* One arena block per record: the attributes, then their strings. */
    bytes = n * sizeof(*out);
    for (size_t i = 0; i < n; i++)
        bytes += attrs[i].name.n + attrs[i].type.n + attrs[i].value.n + 3;
    out = ch_arena_alloc(arena, bytes);
    if (out == NULL)
        return -1;
    pos = (char *) (out + n);
    for (size_t i = 0; i < n; i++) {
        /* The values of one array share their name, as in ch_dataset_build. */
        if (i == 0 || attrs[i].name.p != attrs[i - 1].name.p)
            name = jf_put(&pos, &attrs[i].name);
        out[i].name = name;
        out[i].type = attrs[i].type.p != NULL ? jf_put(&pos, &attrs[i].type) : "";
        out[i].value_len = attrs[i].value.n;
        out[i].value = jf_put(&pos, &attrs[i].value);
    }
    memset(rec, 0, sizeof(*rec));
    rec->struct_size = sizeof(*rec);
    rec->op = op;
    rec->seq = line_no;
    rec->nattrs = (uint32_t) n;
    rec->attrs = out;
    return 1;
}
