/*
 * ch_dataset.c - streaming JSON Lines reader: opening the file, line
 * framing with a bounded buffer, chunks of records built in a per-chunk
 * arena, and line counts. Each line's strict parsing into a record is in
 * ch_dataset_record.c.
 */
#include <config.h>

#include "ch_dataset.h"
#include "ch_dataset_impl.h"
#include "ch_arena.h"
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
