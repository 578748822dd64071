/*
 * fz_dataset.c - the host's JSON Lines dataset reader (ch_dataset.h).
 *
 * Input: the dataset file's bytes. When the first byte is 0x01 the rest is
 * written twice with more than CH_LINE_MAX filler bytes between, so huge
 * lines (and several read buffers) are reached without huge inputs.
 *
 * Checks: every complete line is exactly one of record, rejected line or
 * empty line; records are well-formed (seq = their line, attributes with
 * UTF-8 values of the stated length); rejects name a known reason and a
 * line already read; seeking then reading sees the same lines; the
 * reader's fast path (host/ch_jfast.h) and its full json-c path give the
 * same records and rejects (a digest of both, fast path on and off).
 */
#include <config.h>

#include "fz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/ch_dataset.h"
#include "host/ch_utf8.h"

#define FZ_BIG_MODE 0x01
#define FZ_BIG_FILL (CH_LINE_MAX + 1)

typedef struct fz_rejects {
    uint64_t count;
    uint64_t last_line;
    uint64_t bad;            /* callbacks that broke a promise */
    uint64_t digest;         /* of every record and reject, in order */
    const ch_dataset *ds;
} fz_rejects;

/* FNV-1a over n bytes, into *h. */
static void fz_mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 0x100000001b3ull;
    }
}

static void fz_on_reject(void *ctx, uint64_t line, const char *reason, const char *detail)
{
    static const char *const known[] = {"invalid_json", "invalid_utf8", "line_too_long",
                                        "not_object", "bad_attribute", "bad_op",
                                        "reserved_key", "duplicate_key", "nul_character",
                                        "lone_surrogate", "control_character", "too_deep"};
    fz_rejects *r = ctx;
    size_t i;
    int ok = 0;

    r->count++;
    fz_mix(&r->digest, &line, sizeof(line));
    if (reason != NULL)
        fz_mix(&r->digest, reason, strlen(reason) + 1);
    for (i = 0; reason != NULL && i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(reason, known[i]) == 0)
            ok = 1;
    if (!ok || detail == NULL || detail[0] == '\0' || line == 0
        || line != ch_dataset_line(r->ds) || line <= r->last_line)
        r->bad++;
    r->last_line = line;
}

static int fz_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

/* Writes the dataset file; 0, or -1 when it cannot (not a finding). */
static int fz_write_dataset(const char *path, const uint8_t *data, size_t size)
{
    int fd, rc = -1;

    /* A fresh file each time: truncating a written file makes ext4 flush
       it on close (auto_da_alloc), which costs more than the reader. */
    (void) unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (size > 0 && data[0] == FZ_BIG_MODE) {
        /* rest, then CH_LINE_MAX + 1 filler bytes (never '\n'), then rest
           again: the line that rest leaves open becomes longer than the
           limit, with real lines before and after it. */
        const uint8_t *rest = data + 1;
        size_t n = size - 1;
        uint8_t fill = n > 0 && rest[n - 1] != '\n' ? rest[n - 1] : 'x';
        uint8_t *big = malloc(FZ_BIG_FILL);

        if (big == NULL)
            goto cleanup;
        memset(big, fill, FZ_BIG_FILL);
        if (fz_write_all(fd, rest, n) != 0 || fz_write_all(fd, big, FZ_BIG_FILL) != 0
            || fz_write_all(fd, rest, n) != 0) {
            free(big);
            goto cleanup;
        }
        free(big);
    } else if (fz_write_all(fd, data, size) != 0) {
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

static int fz_record_sane(const aconn_record *rec, uint64_t line)
{
    uint32_t i;

    if (rec == NULL || rec->struct_size != sizeof(*rec) || rec->seq != line
        || (rec->op != ACONN_RECORD_ADD && rec->op != ACONN_RECORD_REMOVE)
        || rec->nattrs == 0 || rec->attrs == NULL)
        return 0;
    for (i = 0; i < rec->nattrs; i++) {
        const aconn_attr *a = &rec->attrs[i];

        if (a->name == NULL || a->type == NULL || a->value == NULL)
            return 0;
        if (a->name[0] == '\0' || a->name[0] == '_')
            return 0;
        /* An empty value is well-formed; the plugin rejects it alone. */
        if (strlen(a->value) != a->value_len
            || !ch_utf8_valid(a->value, a->value_len)
            || !ch_utf8_valid(a->type, strlen(a->type)))
            return 0;
    }
    return 1;
}

/*
 * Reads from line `from` (1 = the start) to the end in chunks of up to
 * `step` lines; counts records and checks them. Returns 0 or a
 * finding number.
 */
/* Adds a record to the digest: seq, op, and each attribute. */
static void fz_mix_record(uint64_t *h, const aconn_record *rec)
{
    fz_mix(h, &rec->seq, sizeof(rec->seq));
    fz_mix(h, &rec->op, sizeof(rec->op));
    for (uint32_t i = 0; i < rec->nattrs; i++) {
        const aconn_attr *a = &rec->attrs[i];
        fz_mix(h, a->name, strlen(a->name) + 1);
        fz_mix(h, a->type, strlen(a->type) + 1);
        fz_mix(h, &a->value_len, sizeof(a->value_len));
        fz_mix(h, a->value, a->value_len);
    }
}

static int fz_read(const char *path, int fast, uint64_t from, uint64_t step,
                   uint64_t *records, fz_rejects *rej, uint64_t *lines_read, uint64_t *empty)
{
    ch_dataset *ds = NULL;
    char err[256];
    int rc = 0;

    *records = 0;
    memset(rej, 0, sizeof(*rej));
    if (ch_dataset_open(path, &ds, err, sizeof(err)) != 0)
        return err[0] == '\0' ? 10 : 0;   /* an open error must say why */
    rej->ds = ds;
    rej->digest = 0xcbf29ce484222325ull;
    ch_dataset_set_fast(ds, fast);
    ch_dataset_on_reject(ds, fz_on_reject, rej);
    if (from > 1) {
        int s = ch_dataset_seek_line(ds, from, err, sizeof(err));
        if (s < 0) {
            rc = 11;
            goto cleanup;
        }
        if (s == 0 && ch_dataset_line(ds) != from - 1) {
            rc = 12;
            goto cleanup;
        }
        rej->last_line = ch_dataset_line(ds);
    }
    for (;;) {
        const aconn_record *const *recs = NULL;
        uint64_t before = ch_dataset_line(ds), last = before + step, prev;
        size_t count = 0, i;

        if (ch_dataset_next_chunk(ds, last, &recs, &count, err, sizeof(err)) != 0) {
            rc = 13;   /* a regular file's read never fails */
            goto cleanup;
        }
        if (ch_dataset_line(ds) > last) {
            rc = 14;   /* read past last_line */
            goto cleanup;
        }
        prev = before;
        for (i = 0; i < count; i++) {
            if (!fz_record_sane(recs[i], recs[i] != NULL ? recs[i]->seq : 0)
                || recs[i]->seq <= prev || recs[i]->seq > ch_dataset_line(ds)) {
                rc = 15;
                goto cleanup;
            }
            prev = recs[i]->seq;
            fz_mix_record(&rej->digest, recs[i]);
        }
        *records += count;
        if (count == 0 && ch_dataset_line(ds) == before)
            break;   /* end of file */
    }
    *lines_read = ch_dataset_line(ds);
    *empty = ch_dataset_empty_lines(ds);
    if (rej->bad != 0)
        rc = 16;
cleanup:
    ch_dataset_close(ds);
    return rc;
}

int fz_dataset(const uint8_t *data, size_t size)
{
    const char *dir = fz_scratch_dir();
    char path[4200], err[256];
    uint64_t lines = 0, records = 0, read = 0, empty = 0, from, records2 = 0;
    fz_rejects rej, rej2;
    int rc;

    if (dir == NULL)
        return 0;   /* no scratch space: nothing to test, not a finding */
    snprintf(path, sizeof(path), "%s/dataset.jsonl", dir);
    if (fz_write_dataset(path, data, size) != 0)
        return 0;
    if (ch_dataset_count_lines(path, &lines, err, sizeof(err)) != 0)
        return 20;
    rc = fz_read(path, 1, 1, UINT64_MAX / 2, &records, &rej, &read, &empty);
    if (rc != 0)
        return rc;
    /* Every complete line was consumed, and was exactly one thing. */
    if (read != lines || records + rej.count + empty != lines)
        return 21;
    /* The full path alone: exactly the same records and rejects. */
    rc = fz_read(path, 0, 1, UINT64_MAX / 2, &records2, &rej2, &read, &empty);
    if (rc != 0)
        return rc;
    if (records2 != records || rej2.count != rej.count || rej2.digest != rej.digest)
        return 23;
    /* Small chunks from a line chosen by the input: the same lines again. */
    from = lines > 0 ? 1 + (size > 0 ? data[size - 1] : 0) % lines : 1;
    rc = fz_read(path, 1, from, 1 + (size > 1 ? data[size - 2] % 4 : 0), &records2, &rej2,
                 &read, &empty);
    if (rc != 0)
        return rc;
    if (read != lines || records2 + rej2.count + empty != lines - (from - 1))
        return 22;
    return 0;
}
