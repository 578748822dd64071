/*
 * ch_buf.h - a growable byte buffer that doubles as an aconn_output, so a
 * plugin's JSON text (URL, profile status, run report) lands in memory.
 */
#ifndef CH_BUF_H
#define CH_BUF_H

#include <aconn/aconn.h>

#include <stddef.h>

/* Outputs larger than this are refused with ACONN_ERR_FATAL: a report or a
   status is small, and an unbounded buffer would let a plugin exhaust us. */
#define CH_BUF_MAX ((size_t) 16 * 1024 * 1024)

typedef struct ch_buf {
    char *data;   /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
} ch_buf;

/* Appends len bytes. 0, or -1 when out of memory or past CH_BUF_MAX. */
int ch_buf_append(ch_buf *b, const char *data, size_t len);

/* Wipes (OPENSSL_cleanse) and frees the contents; the buffer is reusable. */
void ch_buf_free(ch_buf *b);

/* Fills *out so the plugin's write() calls append to b. */
void ch_buf_output(ch_buf *b, aconn_output *out);

#endif /* CH_BUF_H */
