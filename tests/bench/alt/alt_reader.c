/*
 * alt_reader.c - what the host's reader would cost on another JSON parser
 * (issue #14, point 2: "if json-c itself is then the limit, measure the
 * alternative you would choose"). Not built by the project and not a
 * dependency: a measurement, run by hand against a yyjson checkout.
 *
 *   cc -O2 -I$BUILD -I$SRC/plugin -I$SRC -I$YYJSON/src alt_reader.c \
 *      $YYJSON/src/yyjson.c $SRC/plugin/common/tt_jstrict.c \
 *      $BUILD/host/.libs/libch.a -ljson-c -lsqlite3 -lcurl -lcrypto -lltdl -lpthread \
 *      -o alt-reader
 *   ./alt-reader DATASET [RUNS]
 *
 * Three readers over the same file, interleaved, medians of RUNS:
 *   frame:    read in 1 MiB blocks, find every line end (bench-reader's
 *             baseline)
 *   host:     ch_dataset (json-c), as connector-host reads
 *   yyjson:   the same framing, the same strict pre-check (tt_jstrict:
 *             UTF-8, NUL, lone surrogates, control characters, numbers,
 *             depth; its key count finds duplicate keys), yyjson parsing
 *             each line with a pool allocator on one fixed buffer (no
 *             allocation per record), and the same records built in one
 *             reused buffer (name, type, value copied, NUL-terminated)
 *   strict:   the framing and the strict pre-check alone (the floor of any
 *             reader that keeps tt_jstrict in front of its parser)
 * The yyjson reader checks only what the benchmark's dataset needs (an
 * object of attribute objects or arrays of them, "_op"); the host's
 * reasons for everything else would come on top, at a per-line cost that
 * does not depend on the parser.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yyjson.h>

#include "common/tt_jstrict.h"
#include "host/ch_dataset.h"

#define BLOCK (1 << 20)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t) n, sizeof(*v), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct out {
    char *buf;
    size_t used, cap;
    unsigned long long records, attrs, rejects;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->used + n + 1 > o->cap)
        o->used = 0;                 /* one chunk's worth, reused */
    memcpy(o->buf + o->used, s, n);
    o->buf[o->used + n] = '\0';
    o->used += n + 1;
}

/* Keys of every object in v, as tt_jstrict_tree_keys counts them. */
static size_t keys_of(yyjson_val *v)
{
    size_t n = 0, i, max;
    yyjson_val *k, *c;

    if (yyjson_is_obj(v)) {
        n = yyjson_obj_size(v);
        yyjson_obj_foreach(v, i, max, k, c)
            n += keys_of(c);
    } else if (yyjson_is_arr(v)) {
        yyjson_arr_foreach(v, i, max, c)
            n += keys_of(c);
    }
    return n;
}

static int attr(out *o, yyjson_val *a)
{
    yyjson_val *v = yyjson_obj_get(a, "value"), *t = yyjson_obj_get(a, "type");

    if (!yyjson_is_obj(a) || !yyjson_is_str(v) || (t != NULL && !yyjson_is_str(t)
                                                   && !yyjson_is_null(t)))
        return -1;
    if (yyjson_is_str(t))
        put(o, yyjson_get_str(t), yyjson_get_len(t));
    put(o, yyjson_get_str(v), yyjson_get_len(v));
    o->attrs++;
    return 0;
}

static void line(out *o, const char *s, size_t len, yyjson_alc *alc)
{
    tt_jstrict_result strict;
    yyjson_doc *doc;
    yyjson_val *root, *k, *v;
    size_t i, max;

    if (len == 0 || tt_jstrict_check(s, len, &strict) != 0) {
        o->rejects++;
        return;
    }
    doc = yyjson_read_opts((char *) s, len, YYJSON_READ_NOFLAG, alc, NULL);
    root = yyjson_doc_get_root(doc);
    if (!yyjson_is_obj(root) || keys_of(root) != strict.keys) {
        o->rejects++;
        goto done;
    }
    yyjson_obj_foreach(root, i, max, k, v) {
        put(o, yyjson_get_str(k), yyjson_get_len(k));
        if (yyjson_is_arr(v)) {
            size_t j, m;
            yyjson_val *a;
            yyjson_arr_foreach(v, j, m, a)
                if (attr(o, a) != 0)
                    o->rejects++;
        } else if (yyjson_get_str(k)[0] != '_' && attr(o, v) != 0) {
            o->rejects++;
        }
    }
    o->records++;
done:
    yyjson_doc_free(doc);
}

/* mode 0: the yyjson reader; 1: framing only; 2: framing + the strict
   pre-check only (what any parser behind it starts from). */
static double run_yyjson(const char *path, out *o, int mode)
{
    static char buf[2 * BLOCK];
    static char pool[1 << 20];
    yyjson_alc alc;
    double t0 = now();
    int fd = open(path, O_RDONLY);
    size_t keep = 0;

    yyjson_alc_pool_init(&alc, pool, sizeof(pool));
    o->records = o->attrs = o->rejects = 0;
    for (;;) {
        ssize_t r = read(fd, buf + keep, BLOCK);
        const char *p = buf, *end, *nl;
        if (r <= 0)
            break;
        end = buf + keep + r;
        while ((nl = memchr(p, '\n', (size_t) (end - p))) != NULL) {
            tt_jstrict_result strict;
            if (mode == 1)
                o->records++;
            else if (mode == 2)
                o->records += tt_jstrict_check(p, (size_t) (nl - p), &strict) == 0;
            else
                line(o, p, (size_t) (nl - p), &alc);
            p = nl + 1;
        }
        keep = (size_t) (end - p);
        memmove(buf, p, keep);
    }
    close(fd);
    return now() - t0;
}

static double run_host(const char *path, unsigned long long *records)
{
    char err[256];
    ch_dataset *ds = NULL;
    double t0 = now();

    *records = 0;
    if (ch_dataset_open(path, &ds, err, sizeof(err)) != 0)
        return -1;
    for (;;) {
        const aconn_record *const *recs;
        size_t n;
        if (ch_dataset_next_chunk(ds, UINT64_MAX, &recs, &n, err, sizeof(err)) != 0 || n == 0)
            break;
        *records += n;
    }
    ch_dataset_close(ds);
    return now() - t0;
}

int main(int argc, char **argv)
{
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    double tf[16], th[16], ty[16], ts[16];
    unsigned long long hrec = 0;
    out o = {malloc(8 << 20), 0, 8 << 20, 0, 0, 0};

    if (argc < 2 || runs < 1 || runs > 16 || o.buf == NULL) {
        fprintf(stderr, "usage: alt-reader DATASET [RUNS 1-16]\n");
        return 2;
    }
    for (int r = 0; r < runs; r++) {
        tf[r] = run_yyjson(argv[1], &o, 1);
        th[r] = run_host(argv[1], &hrec);
        ts[r] = run_yyjson(argv[1], &o, 2);
        ty[r] = run_yyjson(argv[1], &o, 0);
        fprintf(stderr, "run %d: frame %.3f s, host (json-c) %.3f s (%llu records), strict "
                "check only %.3f s, yyjson %.3f s (%llu records, %llu attributes, %llu "
                "rejects)\n", r + 1, tf[r], th[r], hrec, ts[r], ty[r], o.records, o.attrs,
                o.rejects);
    }
    {
        double f = (double) hrec / median(tf, runs), h = (double) hrec / median(th, runs);
        double y = (double) o.records / median(ty, runs);
        double c = (double) hrec / median(ts, runs);
        printf("frame (read + lines)   %12.0f records/s\n", f);
        printf("host reader (json-c)   %12.0f records/s  ratio %.3f\n", h, h / f);
        printf("frame + strict check   %12.0f records/s  ratio %.3f\n", c, c / f);
        printf("yyjson reader          %12.0f records/s  ratio %.3f  (%.1f x json-c)\n", y,
               y / f, y / h);
    }
    free(o.buf);
    return 0;
}
