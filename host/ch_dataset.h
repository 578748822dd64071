/*
 * ch_dataset.h - the streaming JSON Lines reader (docs/ARCHITECTURE.md,
 * "Dataset format").
 *
 * Lines are numbered from 1. A line counts once it ends with '\n': a last
 * line still being written (no newline yet) is left for a later run. The
 * reader never loads the whole file: memory is bounded by one chunk
 * (CH_CHUNK_RECORDS records or about CH_CHUNK_BYTES of values) plus the
 * longest accepted line (CH_LINE_MAX). Bad lines are reported through the
 * reject callback with their line number and one of the reasons
 * invalid_json, invalid_utf8, line_too_long (more than 1 MiB, a CRLF's CR
 * not counted), not_object (also a bare null), bad_attribute, bad_op,
 * reserved_key (a '_' key other than "_op", in any case or spelling),
 * duplicate_key, nul_character, lone_surrogate, control_character,
 * invalid_json (also NaN, Infinity, a number outside the JSON grammar), too_deep
 * (nesting beyond TT_JSTRICT_DEPTH, 32); they never stop the reader.
 */
#ifndef CH_DATASET_H
#define CH_DATASET_H

#include <aconn/aconn.h>

#include <stddef.h>
#include <stdint.h>

#define CH_LINE_MAX ((size_t) 1024 * 1024)
#define CH_CHUNK_RECORDS 4096
#define CH_CHUNK_BYTES ((size_t) 8 * 1024 * 1024)

typedef struct ch_dataset ch_dataset;

/* Called once per rejected line; reason is static, detail for people
   (never contains the line's content). */
typedef void ch_dataset_reject_fn(void *ctx, uint64_t line, const char *reason,
                                  const char *detail);

int ch_dataset_open(const char *path, ch_dataset **out, char *err, size_t errlen);

/* Opens path read-only if it is a regular file, never blocking on a FIFO.
   0, or -1 with err naming the path, what it is and the fix. */
int ch_dataset_open_regular(const char *path, int *fd, char *err, size_t errlen);
void ch_dataset_close(ch_dataset *ds);

/* Turns the one-pass fast path for plain records (ch_jfast.h) off (on is
   the default), so tests and the bench can compare it with the full
   json-c path on the same lines. */
void ch_dataset_set_fast(ch_dataset *ds, int on);

void ch_dataset_on_reject(ch_dataset *ds, ch_dataset_reject_fn *fn, void *ctx);

/*
 * Skips forward so the next line read is `line` (1-based) without parsing
 * anything. Returns 0, 1 when the file ends first, -1 on a read error.
 */
int ch_dataset_seek_line(ch_dataset *ds, uint64_t line, char *err, size_t errlen);

/*
 * Parses lines up to and including `last_line` into the next chunk:
 * *records gets *count pointers, valid until the next call or close.
 * *count == 0 means last_line was reached or the file ended (see
 * ch_dataset_line()). Returns 0, or -1 on a read or memory error.
 */
int ch_dataset_next_chunk(ch_dataset *ds, uint64_t last_line,
                          const aconn_record *const **records, size_t *count,
                          char *err, size_t errlen);

/* Number of the last line consumed (0 before the first). */
uint64_t ch_dataset_line(const ch_dataset *ds);

/* Bytes consumed: the file offset just after the last line consumed. */
uint64_t ch_dataset_offset(const ch_dataset *ds);

/* The open file, for ch_fprint_make(). */
int ch_dataset_fd(const ch_dataset *ds);

/* Lines skipped because they were empty or only white space. */
uint64_t ch_dataset_empty_lines(const ch_dataset *ds);

/* Where the reader stands: after line `line`, at byte `offset`, having
   skipped `empty_lines` blank lines. */
typedef struct ch_dataset_pos {
    uint64_t line;
    uint64_t offset;
    uint64_t empty_lines;
} ch_dataset_pos;

ch_dataset_pos ch_dataset_position(const ch_dataset *ds);

/* Moves the reader back (or forward) to a position it reported, so that
   it reads on as if it had stopped there (ch_prefetch.c: the reader thread
   reads ahead of what the plugin took). 0, or -1 with err. */
int ch_dataset_restore(ch_dataset *ds, const ch_dataset_pos *pos, char *err, size_t errlen);

/*
 * A chunk the caller owns, for reading on one thread and consuming on
 * another: ch_dataset_read_chunk fills it like ch_dataset_next_chunk, but
 * covers at most CH_CHUNK_RECORDS lines and keeps the rejects in the chunk
 * (line and reason; the reject callback is not called) until
 * ch_dataset_chunk_replay hands them on, on the consuming thread. The
 * records stay valid until the chunk is filled again or freed. A chunk
 * holds no reference to the dataset.
 */
typedef struct ch_dataset_chunk ch_dataset_chunk;

ch_dataset_chunk *ch_dataset_chunk_new(void);
void ch_dataset_chunk_free(ch_dataset_chunk *c);
int ch_dataset_read_chunk(ch_dataset *ds, uint64_t last_line, ch_dataset_chunk *c,
                          char *err, size_t errlen);
const aconn_record *const *ch_dataset_chunk_records(const ch_dataset_chunk *c, size_t *count);
/* The reader's position right after the chunk was read. */
ch_dataset_pos ch_dataset_chunk_end(const ch_dataset_chunk *c);
/* Calls ds's reject callback once per line the chunk rejected, in line
   order (detail ""); only reads ds, so it may run while another thread
   reads ds. */
void ch_dataset_chunk_replay(const ch_dataset *ds, const ch_dataset_chunk *c);

/* What one streaming pass over a dataset learns. */
typedef struct ch_dataset_counts {
    uint64_t lines;          /* complete ('\n'-terminated) lines */
    uint64_t end_bytes;      /* offset just after the last '\n' */
    uint64_t prefix_lines;   /* '\n's among the first prefix_bytes bytes */
    uint64_t size;           /* bytes read */
    uint64_t dev, ino;       /* identity of the file read */
} ch_dataset_counts;

int ch_dataset_count(const char *path, uint64_t prefix_bytes, ch_dataset_counts *out,
                     char *err, size_t errlen);

/* Counts the complete ('\n'-terminated) lines of a file, streaming. */
int ch_dataset_count_lines(const char *path, uint64_t *lines, char *err, size_t errlen);

#endif /* CH_DATASET_H */
