/*
 * fz_transport.h - a fake TikTok transport for fuzzing tt_api.c.
 *
 * fz_transport.c defines tt_http_call() and tt_http_call_many() (the
 * network half of plugin/tiktok/tt_http_retry.c) so the real typed API wrappers
 * run unchanged against answers taken from fuzz input. Linking: the fuzz
 * targets compile tt_api.c, tt_http.c and tt_status.c without
 * tt_http_retry.c; the CUnit replay links plugin/libtt_core.la, a static
 * archive, after this file, so the archive's tt_http_retry.o is never
 * pulled in (nothing the replay uses needs its other symbol,
 * tt_http_backoff_ms).
 *
 * Each request takes the next answer body from the feed; the body goes
 * through the real tt_http_parse_envelope() and tt_status_classify(), as
 * an HTTP 200 would in tt_xfer_finish(). When the bodies run out the feed
 * either repeats the last one (to drive paging to its bound) or fails the
 * request as a dropped connection.
 */
#ifndef FZ_TRANSPORT_H
#define FZ_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tiktok/tt_http.h"

typedef struct fz_feed {
    const uint8_t *next;       /* the unread bodies, NUL-separated */
    size_t left;
    const uint8_t *last;       /* the last body handed out */
    size_t last_len;
    int repeat_last;           /* when empty: repeat the last body */
    size_t calls;              /* requests answered */
    int bad_request;           /* a request broke tt_http.h's contract */
} fz_feed;

/* A host table whose ctx is the feed (the fake reads host->ctx). */
void fz_feed_host(fz_feed *feed, aconn_host *host);

#endif
