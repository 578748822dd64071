/* tt_spool.c - per-(kind, op) upload files with running MD5 (see tt_spool.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "delivery/tt_spool.h"
#include "common/tt_util.h"
#include "delivery/tt_spool_net.h"
#include "delivery/tt_optout.h"

#define TT_LINE_BYTES (TT_HEX_LEN + 1)
/* Three cells, two commas, a newline. */
#define TT_ROW_MAX (3 * TT_HEX_LEN + 3)
#define TT_HEADER_BYTES (sizeof(TT_SPOOL_MULTI_HEADER) - 1)

typedef struct tt_stream {
    int fd;                  /* -1 when no file is open */
    char *path;              /* of the open file */
    char *buf;               /* TT_SPOOL_BUFFER_BYTES, allocated on first use */
    size_t used;
    uint64_t file_bytes;     /* bytes of the open file, buffered included */
    uint64_t file_lines;
    uint32_t part;           /* number of the open (or last) file */
    EVP_MD_CTX *md5;
} tt_stream;

struct tt_spool {
    char *dir;
    char *prefix;
    uint64_t max_bytes;
    EVP_MD *md5_md;
    int failed;
    unsigned kinds;          /* TT_KIND_BIT()s written */
    int started;             /* an identifier was added */
    tt_optout *optouts;      /* NULL unless filtering */
    uint64_t ids[TT_ID_TYPE_COUNT][TT_SPOOL_OP_COUNT];
    tt_stream streams[TT_KIND_COUNT][TT_SPOOL_OP_COUNT];
    tt_spool_file *done;     /* closed files */
    size_t ndone, cap;
    void (*on_full)(void *ctx, const tt_spool_file *f);
    void *on_full_ctx;
};

const char *tt_spool_op_name(tt_spool_op op)
{
    return op == TT_SPOOL_ADD ? "add" : op == TT_SPOOL_REMOVE ? "remove" : "?";
}

static aconn_status io_error(tt_spool *sp, aconn_error *err, const char *what,
                             const char *path, int errnum)
{
    sp->failed = 1;
    return aconn_error_set(err, ACONN_RETRY, "spool_io", NULL,
                           "cannot %s spool file %s: %s; free disk space or fix "
                           "the spool directory, then retry the delivery",
                           what, path, strerror(errnum));
}

static aconn_status oom(tt_spool *sp, aconn_error *err)
{
    sp->failed = 1;
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                           "out of memory while spooling identifiers");
}

static int prefix_ok(const char *p)
{
    size_t n = strlen(p), i;

    if (n == 0 || n > 64)
        return 0;
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

aconn_status tt_spool_open(const char *dir, const char *prefix,
                           uint64_t max_bytes, tt_spool **out,
                           aconn_error *err)
{
    tt_spool *sp = NULL;
    aconn_status st = ACONN_ERR_FATAL;
    struct stat sb;
    int t, o;

    *out = NULL;
    if (max_bytes == 0)
        max_bytes = TT_SPOOL_MAX_FILE_BYTES;
    if (dir == NULL || dir[0] == '\0')
        return aconn_error_set(err, ACONN_ERR_INVALID, "invalid_argument", NULL,
                               "no spool directory was given");
    if (prefix == NULL || !prefix_ok(prefix))
        return aconn_error_set(err, ACONN_ERR_INVALID, "invalid_argument", NULL,
                               "spool prefix must be 1-64 letters, digits, '-', "
                               "'_' or '.'");
    if (max_bytes < TT_LINE_BYTES || max_bytes > TT_SPOOL_MAX_FILE_BYTES)
        return aconn_error_set(err, ACONN_ERR_INVALID, "invalid_argument", NULL,
                               "spool file limit must be %d to %llu bytes",
                               TT_LINE_BYTES, TT_SPOOL_MAX_FILE_BYTES);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return aconn_error_set(err, ACONN_RETRY, "spool_io", NULL,
                               "spool directory %s is missing or not a directory; "
                               "create it or point the host at another one", dir);

    sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        goto cleanup;
    sp->max_bytes = max_bytes;
    sp->kinds = TT_KINDS_SINGLE;
    for (t = 0; t < TT_KIND_COUNT; t++)
        for (o = 0; o < TT_SPOOL_OP_COUNT; o++)
            sp->streams[t][o].fd = -1;
    sp->dir = strdup(dir);
    sp->prefix = strdup(prefix);
    sp->md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
    if (sp->dir == NULL || sp->prefix == NULL || sp->md5_md == NULL)
        goto cleanup;
    *out = sp;
    sp = NULL;
    st = ACONN_OK;

cleanup:
    if (st != ACONN_OK)
        aconn_error_set(err, st, "out_of_memory", NULL,
                        "out of memory (or no MD5 in OpenSSL) opening the spool");
    tt_spool_abort(sp);
    return st;
}

/* Hashes and writes the buffer; the MD5 runs over exactly what is written. */
static aconn_status flush_stream(tt_spool *sp, tt_stream *s, aconn_error *err)
{
    size_t off = 0;

    if (s->used == 0)
        return ACONN_OK;
    if (EVP_DigestUpdate(s->md5, s->buf, s->used) != 1)
        return oom(sp, err);
    while (off < s->used) {
        ssize_t n = write(s->fd, s->buf + off, s->used - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return io_error(sp, err, "write", s->path, errno);
        }
        off += (size_t) n;
    }
    s->used = 0;
    return ACONN_OK;
}

const char *tt_spool_kind_slug(int kind)
{
    return kind == TT_KIND_MULTI ? "multiple_types" : tt_id_type_slug((tt_id_type) kind);
}

static aconn_status open_file(tt_spool *sp, int t, tt_spool_op o,
                              aconn_error *err)
{
    tt_stream *s = &sp->streams[t][o];
    size_t n;

    if (s->buf == NULL) {
        s->buf = malloc(TT_SPOOL_BUFFER_BYTES);
        s->md5 = EVP_MD_CTX_new();
        if (s->buf == NULL || s->md5 == NULL)
            return oom(sp, err);
    }
    if (s->part >= 9999)
        return aconn_error_set(err, ACONN_ERR_LIMIT, "too_many_files", NULL,
                               "more than 9999 spool files for %s %s",
                               tt_spool_kind_slug(t), tt_spool_op_name(o));
    n = strlen(sp->dir) + strlen(sp->prefix) + 64;
    s->path = malloc(n);
    if (s->path == NULL)
        return oom(sp, err);
    snprintf(s->path, n, "%s/%s-%s-%s-%04u.%s", sp->dir, sp->prefix,
             tt_spool_kind_slug(t), tt_spool_op_name(o), (unsigned) s->part + 1,
             t == TT_KIND_MULTI ? "csv" : "txt");
    if (EVP_DigestInit_ex2(s->md5, sp->md5_md, NULL) != 1)
        return oom(sp, err);
    s->fd = open(s->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (s->fd < 0)
        return io_error(sp, err, "create", s->path, errno);
    s->part++;
    s->used = 0;
    s->file_bytes = 0;
    s->file_lines = 0;
    if (t == TT_KIND_MULTI) {
        /* Counted in the file's size and MD5 like any other byte. */
        memcpy(s->buf, TT_SPOOL_MULTI_HEADER, TT_HEADER_BYTES);
        s->used = TT_HEADER_BYTES;
        s->file_bytes = TT_HEADER_BYTES;
    }
    return ACONN_OK;
}

/* Flushes and closes the stream's file and records it as done.
   No fsync: spool files are scratch. A worker that dies before the run is
   applied starts the run again from its first batch and writes them anew,
   so forcing them to disk would only cost time (it was a third of the
   pipeline's run time in bench-pipeline). */
static aconn_status close_file(tt_spool *sp, int t, tt_spool_op o,
                               aconn_error *err)
{
    tt_stream *s = &sp->streams[t][o];
    tt_spool_file *f;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    aconn_status st;
    int fd = s->fd;

    if (fd < 0)
        return ACONN_OK;
    st = flush_stream(sp, s, err);
    if (st != ACONN_OK)
        return st;
    if (sp->ndone == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 8;
        tt_spool_file *d = realloc(sp->done, cap * sizeof(*d));
        if (d == NULL)
            return oom(sp, err);
        sp->done = d;
        sp->cap = cap;
    }
    if (EVP_DigestFinal_ex(s->md5, digest, &dlen) != 1 || dlen != 16)
        return oom(sp, err);
    s->fd = -1;
    if (close(fd) != 0)
        return io_error(sp, err, "close", s->path, errno);
    f = &sp->done[sp->ndone++];
    memset(f, 0, sizeof(*f));
    f->path = s->path;
    s->path = NULL;
    f->kind = t;
    f->type = t == TT_KIND_MULTI ? TT_ID_TYPE_COUNT : (tt_id_type) t;
    f->op = o;
    f->part = s->part;
    f->bytes = s->file_bytes;
    f->lines = s->file_lines;
    tt_hex_encode(digest, 16, f->md5_hex);
    f->md5_hex[32] = '\0';
    return ACONN_OK;
}

/* Appends one line (newline included) to the stream of (kind, op). */
static aconn_status stream_put(tt_spool *sp, int kind, tt_spool_op op, const char *line,
                               size_t len, aconn_error *err)
{
    tt_stream *s = &sp->streams[kind][op];
    aconn_status st;

    if (s->fd >= 0 && s->file_bytes + len > sp->max_bytes) {
        st = close_file(sp, kind, op, err);
        if (st != ACONN_OK)
            return st;
        if (sp->on_full != NULL)
            sp->on_full(sp->on_full_ctx, &sp->done[sp->ndone - 1]);
    }
    if (s->fd < 0) {
        st = open_file(sp, kind, op, err);
        if (st != ACONN_OK)
            return st;
    }
    if (s->used + len > TT_SPOOL_BUFFER_BYTES) {
        st = flush_stream(sp, s, err);
        if (st != ACONN_OK)
            return st;
    }
    memcpy(s->buf + s->used, line, len);
    s->used += len;
    s->file_bytes += len;
    s->file_lines++;
    return ACONN_OK;
}

/* The MULTIPLE_TYPES column of a type: email, phone, or MAID (IDFA, GAID). */
static int multi_column(tt_id_type t)
{
    return t == TT_ID_EMAIL_SHA256 ? 0 : t == TT_ID_PHONE_SHA256 ? 1 : 2;
}

/* Row r of a record: the r-th identifier of each column, or an empty cell. */
static size_t multi_row(const tt_spool_id *ids, size_t n, size_t r, char row[TT_ROW_MAX])
{
    size_t len = 0;

    for (int col = 0; col < 3; col++) {
        size_t seen = 0;
        if (col > 0)
            row[len++] = ',';
        for (size_t i = 0; i < n; i++) {
            if (multi_column(ids[i].type) != col || seen++ != r)
                continue;
            memcpy(row + len, ids[i].hex, TT_HEX_LEN);
            len += TT_HEX_LEN;
            break;
        }
    }
    row[len++] = '\n';
    return len;
}

static aconn_status add_multi(tt_spool *sp, tt_spool_op op, const tt_spool_id *ids, size_t n,
                              aconn_error *err)
{
    size_t per_col[3] = {0, 0, 0}, rows = 0;

    for (size_t i = 0; i < n; i++) {
        size_t c = ++per_col[multi_column(ids[i].type)];
        rows = c > rows ? c : rows;
    }
    for (size_t r = 0; r < rows; r++) {
        char row[TT_ROW_MAX];
        size_t len = multi_row(ids, n, r, row);
        aconn_status st = stream_put(sp, TT_KIND_MULTI, op, row, len, err);
        if (st != ACONN_OK)
            return st;
    }
    return ACONN_OK;
}

void tt_spool_on_full(tt_spool *sp, void (*fn)(void *ctx, const tt_spool_file *f),
                      void *ctx)
{
    sp->on_full = fn;
    sp->on_full_ctx = ctx;
}

aconn_status tt_spool_set_kinds(tt_spool *sp, unsigned kinds, int filter_optouts,
                                aconn_error *err)
{
    if (sp->started || (kinds & ~(TT_KIND_BIT(TT_KIND_COUNT) - 1u)) != 0 || kinds == 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "invalid_argument", NULL,
                               "spool kinds are chosen once, before the first identifier");
    sp->kinds = kinds;
    if (filter_optouts && sp->optouts == NULL) {
        sp->optouts = tt_optout_new(TT_OPTOUT_DEFAULT_MAX);
        if (sp->optouts == NULL)
            return oom(sp, err);
    }
    return ACONN_OK;
}

aconn_status tt_spool_add_record(tt_spool *sp, tt_spool_op op, const tt_spool_id *ids,
                                 size_t n, aconn_error *err)
{
    aconn_status st;

    if ((unsigned) op >= TT_SPOOL_OP_COUNT)
        return aconn_error_set(err, ACONN_ERR_INVALID, "invalid_argument", NULL,
                               "unknown op for the spool");
    for (size_t i = 0; i < n; i++)
        if ((unsigned) ids[i].type >= TT_ID_TYPE_COUNT)
            return aconn_error_set(err, ACONN_ERR_INVALID, "invalid_argument", NULL,
                                   "unknown identifier type for the spool");
    if (sp->failed)
        return aconn_error_set(err, ACONN_ERR_FATAL, "spool_failed", NULL,
                               "the spool failed earlier; abort and retry the run");
    sp->started = 1;
    for (size_t i = 0; i < n; i++) {
        char line[TT_LINE_BYTES];

        sp->ids[ids[i].type][op]++;
        if (op == TT_SPOOL_REMOVE && sp->optouts != NULL &&
            tt_optout_add(sp->optouts, ids[i].hex) != 0)
            return oom(sp, err);
        if (!(sp->kinds & TT_KIND_BIT(ids[i].type)))
            continue;
        memcpy(line, ids[i].hex, TT_HEX_LEN);
        line[TT_HEX_LEN] = '\n';
        st = stream_put(sp, ids[i].type, op, line, TT_LINE_BYTES, err);
        if (st != ACONN_OK)
            return st;
    }
    if ((sp->kinds & TT_KIND_BIT(TT_KIND_MULTI)) && n > 0)
        return add_multi(sp, op, ids, n, err);
    return ACONN_OK;
}

aconn_status tt_spool_add(tt_spool *sp, tt_id_type type, tt_spool_op op,
                          const char hex[TT_HEX_LEN], aconn_error *err)
{
    tt_spool_id id;

    id.type = type;
    memcpy(id.hex, hex, TT_HEX_LEN);
    return tt_spool_add_record(sp, op, &id, 1, err);
}

static int cmp_files(const void *a, const void *b)
{
    const tt_spool_file *x = a, *y = b;

    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->op != y->op)
        return x->op < y->op ? -1 : 1;
    return x->part < y->part ? -1 : x->part > y->part;
}

aconn_status tt_spool_finish(tt_spool *sp, tt_spool_files *files,
                             aconn_error *err)
{
    aconn_status st = ACONN_OK;
    int t, o;

    memset(files, 0, sizeof(*files));
    if (sp->failed) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "spool_failed", NULL,
                             "the spool failed earlier; retry the run");
        goto cleanup;
    }
    for (t = 0; t < TT_KIND_COUNT && st == ACONN_OK; t++)
        for (o = 0; o < TT_SPOOL_OP_COUNT && st == ACONN_OK; o++)
            st = close_file(sp, t, (tt_spool_op) o, err);
    if (st != ACONN_OK)
        goto cleanup;
    if (sp->ndone > 1)
        qsort(sp->done, sp->ndone, sizeof(*sp->done), cmp_files);
    memcpy(files->ids, sp->ids, sizeof(files->ids));
    if (sp->optouts != NULL && !tt_optout_overflowed(sp->optouts)) {
        if (tt_optout_count(sp->optouts) > 0) {
            st = tt_spool_net_filter(sp->done, &sp->ndone, sp->optouts, err);
            if (st != ACONN_OK)
                goto cleanup;
        }
        files->adds_exclude_removes = 1;
    }
    files->items = sp->done;
    files->count = sp->ndone;
    sp->done = NULL;
    sp->ndone = 0;

cleanup:
    tt_spool_abort(sp);
    return st;
}

void tt_spool_abort(tt_spool *sp)
{
    size_t i;
    int t, o;

    if (sp == NULL)
        return;
    for (t = 0; t < TT_KIND_COUNT; t++) {
        for (o = 0; o < TT_SPOOL_OP_COUNT; o++) {
            tt_stream *s = &sp->streams[t][o];
            if (s->fd >= 0)
                close(s->fd);
            if (s->path != NULL)
                unlink(s->path);
            free(s->path);
            free(s->buf);
            EVP_MD_CTX_free(s->md5);
        }
    }
    for (i = 0; i < sp->ndone; i++) {
        unlink(sp->done[i].path);
        free(sp->done[i].path);
    }
    free(sp->done);
    tt_optout_free(sp->optouts);
    EVP_MD_free(sp->md5_md);
    free(sp->dir);
    free(sp->prefix);
    free(sp);
}

void tt_spool_files_free(tt_spool_files *files)
{
    size_t i;

    if (files == NULL)
        return;
    for (i = 0; i < files->count; i++)
        free(files->items[i].path);
    free(files->items);
    files->items = NULL;
    files->count = 0;
}

void tt_spool_files_remove(const tt_spool_files *files)
{
    size_t i;

    for (i = 0; files != NULL && i < files->count; i++)
        unlink(files->items[i].path);
}
