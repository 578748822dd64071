/*
 * ch_dataset_impl.h - the reader's private structures, shared by its two
 * files: ch_dataset.c (files, lines, chunks, counts) and
 * ch_dataset_record.c (one line to one checked record). Not for other
 * host files: they use ch_dataset.h.
 */
#ifndef CH_DATASET_IMPL_H
#define CH_DATASET_IMPL_H

#include "ch_arena.h"
#include "ch_dataset.h"

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

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

/* Reports a rejected line (ds->on_reject) and, while a chunk is being
   collected, keeps it in the chunk (ch_dataset_record.c). */
void ch_dataset_reject(ch_dataset *ds, const char *reason, const char *detail);

/* Turns the current line into a record; 1 record, 0 rejected or empty,
   -1 out of memory (ch_dataset_record.c). */
int ch_dataset_line_to_record(ch_dataset *ds, ch_arena *arena, const char *line,
                              size_t len, aconn_record *rec);

#endif /* CH_DATASET_IMPL_H */
