/*
 * ch_dataset.c - streaming JSON Lines reader: line framing with a bounded
 * buffer, strict parsing with one reused json_tokener, and records built in
 * a per-chunk arena.
 */
#include <config.h>

#include "ch_dataset.h"
#include "ch_arena.h"
#include "ch_jfast.h"
#include "ch_util.h"
#include "common/tt_jstrict.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define CH_READ_BUF ((size_t) 256 * 1024)

/* One checked attribute of the record being read; points into its JSON. */
typedef struct ch_dataset_field {
    const char *name;
    size_t name_len;
    json_object *value;
    json_object *type;          /* NULL when absent or null */
} ch_dataset_field;

struct ch_dataset {
    int fd;
    int eof;
    char *rbuf;                 /* raw read buffer */
    size_t rpos, rlen;
    uint64_t base;              /* file offset of rbuf[0] */
    char *line;                 /* the current line, at most CH_LINE_MAX */
    size_t line_cap;
    uint64_t line_no;           /* lines consumed */
    uint64_t empty_lines;
    json_tokener *tok;
    ch_dataset_chunk *own;      /* ch_dataset_next_chunk's */
    ch_dataset_chunk *collect;  /* set while ch_dataset_read_chunk fills one */
    ch_dataset_field *fields;   /* the current record's attributes */
    size_t fields_cap;
    ch_dataset_reject_fn *on_reject;
    void *reject_ctx;
    char detail[160];           /* a reject's detail naming a key */
    int no_fast;                /* ch_dataset_set_fast(ds, 0) */
};

/* One chunk of records; rejects are kept only while collecting (see
   ch_dataset_read_chunk), a chunk then covers at most CH_CHUNK_RECORDS
   lines so the list is bounded. */
struct ch_dataset_chunk {
    ch_arena arena;
    aconn_record *recs;         /* CH_CHUNK_RECORDS entries */
    const aconn_record **ptrs;  /* CH_CHUNK_RECORDS entries */
    size_t count;
    ch_dataset_pos end;         /* the reader's position after the chunk */
    struct {
        uint64_t line;
        const char *reason;     /* static */
    } *rejects;                 /* CH_CHUNK_RECORDS entries */
    size_t nrejects;
};

ch_dataset_chunk *ch_dataset_chunk_new(void)
{
    ch_dataset_chunk *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->recs = calloc(CH_CHUNK_RECORDS, sizeof(*c->recs));
    c->ptrs = calloc(CH_CHUNK_RECORDS, sizeof(*c->ptrs));
    c->rejects = calloc(CH_CHUNK_RECORDS, sizeof(*c->rejects));
    if (c->recs == NULL || c->ptrs == NULL || c->rejects == NULL) {
        ch_dataset_chunk_free(c);
        return NULL;
    }
    return c;
}

void ch_dataset_chunk_free(ch_dataset_chunk *c)
{
    if (c == NULL)
        return;
    ch_arena_free(&c->arena);
    free(c->recs);
    free(c->ptrs);
    free(c->rejects);
    free(c);
}

const aconn_record *const *ch_dataset_chunk_records(const ch_dataset_chunk *c, size_t *count)
{
    *count = c->count;
    return c->ptrs;
}

ch_dataset_pos ch_dataset_chunk_end(const ch_dataset_chunk *c)
{
    return c->end;
}

void ch_dataset_chunk_replay(const ch_dataset *ds, const ch_dataset_chunk *c)
{
    for (size_t i = 0; ds->on_reject != NULL && i < c->nrejects; i++)
        ds->on_reject(ds->reject_ctx, c->rejects[i].line, c->rejects[i].reason, "");
}

/*
 * Opens path for reading only when it is a regular file. O_NONBLOCK keeps
 * open() from waiting for a writer when the path is a FIFO (a deliver
 * would hang holding the connection's lock); it is cleared again for the
 * regular file. 0, or -1 with err naming the path and the fix.
 */
int ch_dataset_open_regular(const char *path, int *fd, char *err, size_t errlen)
{
    struct stat st;
    int flags;

    memset(&st, 0, sizeof(st));
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (*fd < 0) {
        ch_errf(err, errlen, "cannot open dataset %s: %s; check the path and its "
                "permissions", path, strerror(errno));
        return -1;
    }
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ch_errf(err, errlen, "dataset %s is not a regular file (%s); point the "
                "connection at a JSON Lines file", path,
                S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "not a file");
        goto fail;
    }
    flags = fcntl(*fd, F_GETFL);
    if (flags < 0 || fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        ch_errf(err, errlen, "cannot read dataset %s: %s", path, strerror(errno));
        goto fail;
    }
    return 0;
fail:
    close(*fd);
    *fd = -1;
    return -1;
}

int ch_dataset_open(const char *path, ch_dataset **out, char *err, size_t errlen)
{
    int rc = -1;
    ch_dataset *ds = calloc(1, sizeof(*ds));

    *out = NULL;
    if (ds == NULL)
        goto nomem;
    ds->fd = -1;
    ds->rbuf = malloc(CH_READ_BUF);
    /* For lines that straddle two reads; grows only for longer lines. */
    ds->line_cap = 4096;
    ds->line = malloc(ds->line_cap);
    ds->own = ch_dataset_chunk_new();
    ds->tok = json_tokener_new_ex(TT_JSTRICT_TOKENER_DEPTH);
    if (ds->rbuf == NULL || ds->line == NULL || ds->own == NULL || ds->tok == NULL)
        goto nomem;
    /* Strict: a data format, not a config file; no comments or trailing
       commas that another reader would refuse. */
    json_tokener_set_flags(ds->tok, JSON_TOKENER_STRICT);
    if (ch_dataset_open_regular(path, &ds->fd, err, errlen) != 0)
        goto cleanup;
    *out = ds;
    ds = NULL;
    rc = 0;
    goto cleanup;
nomem:
    ch_errf(err, errlen, "out of memory opening the dataset");
cleanup:
    ch_dataset_close(ds);
    return rc;
}

void ch_dataset_close(ch_dataset *ds)
{
    if (ds == NULL)
        return;
    if (ds->fd >= 0)
        close(ds->fd);
    if (ds->tok != NULL)
        json_tokener_free(ds->tok);
    ch_dataset_chunk_free(ds->own);
    free(ds->rbuf);
    free(ds->line);
    free(ds->fields);
    free(ds);
}

void ch_dataset_set_fast(ch_dataset *ds, int on)
{
    ds->no_fast = !on;
}

void ch_dataset_on_reject(ch_dataset *ds, ch_dataset_reject_fn *fn, void *ctx)
{
    ds->on_reject = fn;
    ds->reject_ctx = ctx;
}

uint64_t ch_dataset_line(const ch_dataset *ds)
{
    return ds->line_no;
}

uint64_t ch_dataset_offset(const ch_dataset *ds)
{
    return ds->base + ds->rpos;
}

int ch_dataset_fd(const ch_dataset *ds)
{
    return ds->fd;
}

uint64_t ch_dataset_empty_lines(const ch_dataset *ds)
{
    return ds->empty_lines;
}

ch_dataset_pos ch_dataset_position(const ch_dataset *ds)
{
    ch_dataset_pos p = { ds->line_no, ds->base + ds->rpos, ds->empty_lines };

    return p;
}

int ch_dataset_restore(ch_dataset *ds, const ch_dataset_pos *pos, char *err, size_t errlen)
{
    if (lseek(ds->fd, (off_t) pos->offset, SEEK_SET) < 0) {
        ch_errf(err, errlen, "cannot seek in the dataset: %s", strerror(errno));
        return -1;
    }
    /* The buffer is dropped: the next read starts at the offset. */
    ds->eof = 0;
    ds->base = pos->offset;
    ds->rpos = ds->rlen = 0;
    ds->line_no = pos->line;
    ds->empty_lines = pos->empty_lines;
    return 0;
}

/* Refills the read buffer. 1 data, 0 end of file, -1 error. */
static int ch_dataset_fill(ch_dataset *ds, char *err, size_t errlen)
{
    ssize_t n;

    if (ds->eof)
        return 0;
    do {
        n = read(ds->fd, ds->rbuf, CH_READ_BUF);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        ch_errf(err, errlen, "cannot read the dataset: %s", strerror(errno));
        return -1;
    }
    if (n == 0) {
        ds->eof = 1;
        return 0;
    }
    ds->base += ds->rlen;
    ds->rpos = 0;
    ds->rlen = (size_t) n;
    return 1;
}

/*
 * Frames the next complete line (without '\n' or a trailing '\r') into
 * *line. A line that lies whole in the read buffer is used where it is,
 * without a copy (nearly all of them: a 256 KiB buffer holds about a
 * thousand records); one that straddles two reads is assembled in ds->line.
 * *line stays valid until the next call. A line longer than CH_LINE_MAX is
 * consumed without being buffered and reported with *too_long. Returns 1
 * for a line, 0 at end of file (a partial last line stays unconsumed), -1
 * error. With keep == 0 the bytes are not kept at all (seeking).
 */
static int ch_dataset_read_line(ch_dataset *ds, int keep, const char **line, size_t *len,
                                int *too_long, char *err, size_t errlen)
{
    size_t used = 0;
    const char *whole = NULL;

    *too_long = 0;
    for (;;) {
        char *start, *nl;
        size_t take;

        if (ds->rpos == ds->rlen) {
            int f = ch_dataset_fill(ds, err, errlen);
            if (f <= 0)
                return f;
        }
        start = ds->rbuf + ds->rpos;
        nl = memchr(start, '\n', ds->rlen - ds->rpos);
        take = nl != NULL ? (size_t) (nl - start) : ds->rlen - ds->rpos;
        /* CH_LINE_MAX + 1: the CR of a CRLF line does not count. */
        if (keep && used == 0 && nl != NULL && take <= CH_LINE_MAX + 1) {
            whole = start;
            used = take;
        } else if (keep && !*too_long) {
            if (used + take > CH_LINE_MAX + 1) {
                *too_long = 1;
            } else {
                if (used + take + 1 > ds->line_cap) {
                    size_t cap = ds->line_cap != 0 ? ds->line_cap : 4096;
                    char *bigger;
                    while (cap < used + take + 1)
                        cap *= 2;
                    bigger = realloc(ds->line, cap);
                    if (bigger == NULL) {
                        ch_errf(err, errlen, "out of memory reading the dataset");
                        return -1;
                    }
                    ds->line = bigger;
                    ds->line_cap = cap;
                }
                memcpy(ds->line + used, start, take);
                used += take;
            }
        }
        ds->rpos += take;
        if (nl != NULL) {
            ds->rpos++;
            ds->line_no++;
            break;
        }
    }
    if (keep && !*too_long) {
        const char *l = whole != NULL ? whole : ds->line;
        if (used > 0 && l[used - 1] == '\r')
            used--;
        if (used > CH_LINE_MAX) {
            *too_long = 1;
            *len = 0;
            return 1;
        }
        if (whole == NULL)
            ds->line[used] = '\0';
        *line = l;
    }
    *len = used;
    return 1;
}

int ch_dataset_seek_line(ch_dataset *ds, uint64_t line, char *err, size_t errlen)
{
    while (ds->line_no + 1 < line) {
        const char *ignored = NULL;
        size_t len;
        int too_long;
        int r = ch_dataset_read_line(ds, 0, &ignored, &len, &too_long, err, errlen);
        if (r <= 0)
            return r == 0 ? 1 : -1;
    }
    return 0;
}

static void ch_dataset_reject(ch_dataset *ds, const char *reason, const char *detail)
{
    ch_dataset_chunk *c = ds->collect;

    if (c != NULL) {
        /* At most one reject per line, and a collected chunk covers at most
           CH_CHUNK_RECORDS lines. */
        if (c->nrejects < CH_CHUNK_RECORDS) {
            c->rejects[c->nrejects].line = ds->line_no;
            c->rejects[c->nrejects].reason = reason;
            c->nrejects++;
        }
        return;
    }
    if (ds->on_reject != NULL)
        ds->on_reject(ds->reject_ctx, ds->line_no, reason, detail);
}

/* Checks one attribute object; sets its value and type (type may be
   NULL). Returns NULL when fine, else what is wrong. */
static const char *ch_dataset_check_attr(json_object *a, json_object **value,
                                         json_object **type)
{
    if (!json_object_is_type(a, json_type_object))
        return "an attribute must be an object {\"type\":...,\"value\":...}";
    if (!json_object_object_get_ex(a, "value", value)
        || !json_object_is_type(*value, json_type_string))
        return "an attribute needs a string \"value\"";
    /* An empty value is well-formed: the plugin rejects that one identifier
       ("empty") and still delivers the record's others. UTF-8 and NUL were
       settled for the whole line by tt_jstrict_check. */
    if (!json_object_object_get_ex(a, "type", type)
        || json_object_is_type(*type, json_type_null)) {
        *type = NULL;
    } else if (!json_object_is_type(*type, json_type_string)) {
        return "an attribute \"type\" must be a string";
    }
    return NULL;
}

/* Returned by ch_dataset_scan when the field list cannot grow. */
static const char ch_dataset_oom[] = "out_of_memory";

/* Remembers one checked attribute for ch_dataset_build. 0, or -1. */
static int ch_dataset_field_add(ch_dataset *ds, size_t n, const char *name, size_t name_len,
                                json_object *value, json_object *type)
{
    if (n == ds->fields_cap) {
        size_t cap = ds->fields_cap != 0 ? ds->fields_cap * 2 : 16;
        ch_dataset_field *bigger = realloc(ds->fields, cap * sizeof(*bigger));
        if (bigger == NULL)
            return -1;
        ds->fields = bigger;
        ds->fields_cap = cap;
    }
    ds->fields[n].name = name;
    ds->fields[n].name_len = name_len;
    ds->fields[n].value = value;
    ds->fields[n].type = type;
    return 0;
}

/*
 * Checks the attributes of a record object, finds its op, and lists each
 * attribute (name, value, type) in ds->fields so that ch_dataset_build
 * need not look anything up again. Returns NULL when fine, else the reason
 * (*detail says why), or ch_dataset_oom.
 */
static const char *ch_dataset_scan(ch_dataset *ds, json_object *obj, size_t *nattrs,
                                   uint32_t *op, const char **detail)
{
    *nattrs = 0;
    *op = ACONN_RECORD_ADD;
    json_object_object_foreach(obj, key, val) {
        json_object *v, *t;
        size_t klen = strlen(key);
        if (key[0] == '_') {
            /* Reserved keys: only _op is defined. Any other, in any case or
               spelling ("_OP", "_op ", "_opp"), is refused: the record may
               have meant to opt out, and must never become an add. */
            if (strcmp(key, "_op") != 0) {
                snprintf(ds->detail, sizeof(ds->detail), "unknown reserved key "
                         "\"%.64s\"; the only key starting with '_' is \"_op\"", key);
                *detail = ds->detail;
                return "reserved_key";
            }
            if (json_object_is_type(val, json_type_string)
                && strcmp(json_object_get_string(val), "add") == 0) {
                *op = ACONN_RECORD_ADD;
            } else if (json_object_is_type(val, json_type_string)
                       && strcmp(json_object_get_string(val), "remove") == 0) {
                *op = ACONN_RECORD_REMOVE;
            } else {
                *detail = "\"_op\" must be \"add\" or \"remove\"";
                return "bad_op";
            }
            continue;
        }
        if (klen == 0) {
            *detail = "an attribute name is empty";
            return "bad_attribute";
        }
        if (json_object_is_type(val, json_type_array)) {
            size_t i, n = json_object_array_length(val);
            if (n == 0) {
                *detail = "an attribute array is empty";
                return "bad_attribute";
            }
            for (i = 0; i < n; i++) {
                *detail = ch_dataset_check_attr(json_object_array_get_idx(val, i), &v, &t);
                if (*detail != NULL)
                    return "bad_attribute";
                if (ch_dataset_field_add(ds, *nattrs, key, klen, v, t) != 0)
                    return ch_dataset_oom;
                ++*nattrs;
            }
        } else {
            *detail = ch_dataset_check_attr(val, &v, &t);
            if (*detail != NULL)
                return "bad_attribute";
            if (ch_dataset_field_add(ds, *nattrs, key, klen, v, t) != 0)
                return ch_dataset_oom;
            ++*nattrs;
        }
    }
    if (*nattrs == 0) {
        *detail = "the record has no attributes";
        return "bad_attribute";
    }
    if (*nattrs > UINT32_MAX) {
        *detail = "the record has too many attributes";
        return "bad_attribute";
    }
    return NULL;
}

/* Builds record `rec` from the fields ch_dataset_scan listed, copying the
   strings into the chunk's arena (the JSON object is freed right after).
   0, or -1 out of memory. */
static int ch_dataset_build(ch_dataset *ds, ch_arena *arena, size_t nattrs, uint32_t op,
                            aconn_record *rec)
{
    aconn_attr *attrs = ch_arena_alloc(arena, nattrs * sizeof(*attrs));
    const char *prev_key = NULL, *name = NULL;

    if (attrs == NULL)
        return -1;
    for (size_t i = 0; i < nattrs; i++) {
        const ch_dataset_field *f = &ds->fields[i];
        aconn_attr *dst = &attrs[i];

        /* The values of one array share their name. */
        if (f->name != prev_key) {
            name = ch_arena_strndup(arena, f->name, f->name_len);
            prev_key = f->name;
        }
        dst->name = name;
        dst->type = f->type != NULL
            ? ch_arena_strndup(arena, json_object_get_string(f->type),
                               (size_t) json_object_get_string_len(f->type))
            : "";
        dst->value_len = (size_t) json_object_get_string_len(f->value);
        dst->value = ch_arena_strndup(arena, json_object_get_string(f->value),
                                      dst->value_len);
        if (dst->name == NULL || dst->type == NULL || dst->value == NULL)
            return -1;
    }
    memset(rec, 0, sizeof(*rec));
    rec->struct_size = sizeof(*rec);
    rec->op = op;
    rec->seq = ds->line_no;
    rec->nattrs = (uint32_t) nattrs;
    rec->attrs = attrs;
    return 0;
}

static int ch_dataset_blank(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    }
    return 1;
}

/* Parses the current line as a JSON value, requiring nothing but white
   space after it. NULL when it is not one complete JSON value, or (with
   *is_null) when it is the JSON null. */
static json_object *ch_dataset_parse(ch_dataset *ds, const char *line, size_t len,
                                     int *is_null)
{
    json_object *obj;
    size_t end;

    *is_null = 0;
    /* parse_ex takes a length: the line needs no NUL after it. */
    json_tokener_reset(ds->tok);
    obj = json_tokener_parse_ex(ds->tok, line, (int) len);
    if (obj == NULL && json_tokener_get_error(ds->tok) == json_tokener_continue) {
        /* A bare number needs a delimiter to end; anything else that
           still wants input is truncated. */
        obj = json_tokener_parse_ex(ds->tok, " ", 1);
        *is_null = obj == NULL && json_tokener_get_error(ds->tok) == json_tokener_success;
        return obj;
    }
    if (obj == NULL) {
        /* The JSON null parses to NULL with success: a value, not an object. */
        *is_null = json_tokener_get_error(ds->tok) == json_tokener_success;
        return NULL;
    }
    end = json_tokener_get_parse_end(ds->tok);
    if (end < len && !ch_dataset_blank(line + end, len - end)) {
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

/* Turns the current line into a record; 1 record, 0 rejected or empty,
   -1 out of memory. */
static int ch_dataset_line_to_record(ch_dataset *ds, ch_arena *arena, const char *line,
                                     size_t len, aconn_record *rec)
{
    int rc = 0;
    json_object *obj = NULL;
    const char *reason, *detail = NULL;
    size_t nattrs = 0;
    uint32_t op = ACONN_RECORD_ADD;
    tt_jstrict_result strict;
    int is_null = 0;

    /* Editors on some systems start a UTF-8 file with a byte order mark;
       it is not part of the first record. */
    if (ds->line_no == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    if (ch_dataset_blank(line, len)) {
        ds->empty_lines++;
        return 0;
    }
    /* Plain records in one pass, without json-c (ch_jfast.h); any other
       line takes the full path below, with its strict check. */
    rc = ds->no_fast ? 0 : ch_jfast_record(line, len, ds->line_no, arena, rec);
    if (rc != 0)
        return rc;
    /* What json-c would accept or change but RFC 8259 does not allow
       (ch_dataset.h lists the reasons). */
    if (tt_jstrict_check(line, len, &strict) != 0) {
        snprintf(ds->detail, sizeof(ds->detail), "%s at column %zu", strict.detail,
                 strict.offset + 1);
        ch_dataset_reject(ds, strict.reason, ds->detail);
        return 0;
    }
    obj = ch_dataset_parse(ds, line, len, &is_null);
    if (obj == NULL && !is_null) {
        ch_dataset_reject(ds, "invalid_json", "the line is not one complete JSON value");
        goto cleanup;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        ch_dataset_reject(ds, "not_object", "a record must be a JSON object");
        goto cleanup;
    }
    /* json-c keeps the last copy of a repeated key: fewer keys in the
       tree than in the text means one was repeated. */
    if (tt_jstrict_tree_keys(obj) != strict.keys) {
        ch_dataset_reject(ds, "duplicate_key", "a key appears more than once in one "
                          "object; keep one copy");
        goto cleanup;
    }
    reason = ch_dataset_scan(ds, obj, &nattrs, &op, &detail);
    if (reason == ch_dataset_oom) {
        rc = -1;
        goto cleanup;
    }
    if (reason != NULL) {
        ch_dataset_reject(ds, reason, detail);
        goto cleanup;
    }
    rc = ch_dataset_build(ds, arena, nattrs, op, rec) == 0 ? 1 : -1;
cleanup:
    json_object_put(obj);
    return rc;
}

/* Parses lines up to last_line into chunk c (see ch_dataset_next_chunk). */
static int ch_dataset_fill_chunk(ch_dataset *ds, uint64_t last_line, ch_dataset_chunk *c,
                                 char *err, size_t errlen)
{
    size_t n = 0;
    int rc = 0;

    ch_arena_reset(&c->arena);
    c->count = 0;
    c->nrejects = 0;
    while (n < CH_CHUNK_RECORDS && c->arena.used < CH_CHUNK_BYTES
           && ds->line_no < last_line) {
        const char *line = NULL;
        size_t len = 0;
        int too_long = 0;
        int r = ch_dataset_read_line(ds, 1, &line, &len, &too_long, err, errlen);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        if (too_long) {
            ch_dataset_reject(ds, "line_too_long", "the line is longer than 1 MiB");
            continue;
        }
        r = ch_dataset_line_to_record(ds, &c->arena, line, len, &c->recs[n]);
        if (r < 0) {
            ch_errf(err, errlen, "out of memory parsing dataset line %llu",
                    (unsigned long long) ds->line_no);
            rc = -1;
            break;
        }
        if (r == 1) {
            c->ptrs[n] = &c->recs[n];
            n++;
        }
    }
    c->count = rc == 0 ? n : 0;
    c->end = ch_dataset_position(ds);
    return rc;
}

int ch_dataset_next_chunk(ch_dataset *ds, uint64_t last_line,
                          const aconn_record *const **records, size_t *count,
                          char *err, size_t errlen)
{
    int rc = ch_dataset_fill_chunk(ds, last_line, ds->own, err, errlen);

    *records = ds->own->ptrs;
    *count = ds->own->count;
    return rc;
}

int ch_dataset_read_chunk(ch_dataset *ds, uint64_t last_line, ch_dataset_chunk *c,
                          char *err, size_t errlen)
{
    int rc;

    /* Bounds the chunk's reject list: one reject at most per line. */
    if (last_line - ds->line_no > CH_CHUNK_RECORDS)
        last_line = ds->line_no + CH_CHUNK_RECORDS;
    ds->collect = c;
    rc = ch_dataset_fill_chunk(ds, last_line, c, err, errlen);
    ds->collect = NULL;
    return rc;
}

/* Counts the newlines of one buffer: all of them, and those before
   `limit` bytes of the file (limit is relative to the file's start). */
static void ch_dataset_count_buf(ch_dataset *ds, uint64_t limit, ch_dataset_counts *out)
{
    const char *p = ds->rbuf, *end = ds->rbuf + ds->rlen;

    while ((p = memchr(p, '\n', (size_t) (end - p))) != NULL) {
        uint64_t off = ds->base + (uint64_t) (p - ds->rbuf);
        out->lines++;
        out->end_bytes = off + 1;
        if (off < limit)
            out->prefix_lines++;
        p++;
    }
}

int ch_dataset_count(const char *path, uint64_t prefix_bytes, ch_dataset_counts *out,
                     char *err, size_t errlen)
{
    int rc = -1;
    ch_dataset *ds = NULL;
    struct stat st;

    memset(out, 0, sizeof(*out));
    if (ch_dataset_open(path, &ds, err, errlen) != 0)
        goto cleanup;
    if (fstat(ds->fd, &st) != 0) {
        ch_errf(err, errlen, "cannot stat dataset %s: %s", path, strerror(errno));
        goto cleanup;
    }
    out->dev = (uint64_t) st.st_dev;
    out->ino = (uint64_t) st.st_ino;
    for (;;) {
        int f = ch_dataset_fill(ds, err, errlen);
        if (f < 0)
            goto cleanup;
        if (f == 0)
            break;
        ch_dataset_count_buf(ds, prefix_bytes, out);
    }
    out->size = ds->base + ds->rlen;
    rc = 0;
cleanup:
    ch_dataset_close(ds);
    return rc;
}

int ch_dataset_count_lines(const char *path, uint64_t *lines, char *err, size_t errlen)
{
    ch_dataset_counts n;
    int rc = ch_dataset_count(path, 0, &n, err, errlen);

    *lines = n.lines;
    return rc;
}
