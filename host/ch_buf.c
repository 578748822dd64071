/*
 * ch_buf.c - growable byte buffer and its aconn_output adapter.
 */
#include <config.h>

#include "ch_buf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

int ch_buf_append(ch_buf *b, const char *data, size_t len)
{
    if (len > CH_BUF_MAX || b->len > CH_BUF_MAX - len)
        return -1;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap != 0 ? b->cap : 256;
        char *bigger;
        while (cap < b->len + len + 1)
            cap *= 2;
        bigger = realloc(b->data, cap);
        if (bigger == NULL)
            return -1;
        b->data = bigger;
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

void ch_buf_free(ch_buf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

static aconn_status ch_buf_write(void *ctx, const char *data, size_t len)
{
    return ch_buf_append(ctx, data, len) == 0 ? ACONN_OK : ACONN_ERR_FATAL;
}

void ch_buf_output(ch_buf *b, aconn_output *out)
{
    memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(*out);
    out->ctx = b;
    out->write = ch_buf_write;
}
