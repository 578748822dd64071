/*
 * bench_reader.c - the host's JSON Lines reader (ch_dataset) alone: how
 * fast it turns a dataset file into aconn_records, chunk by chunk, as
 * `connector-host deliver` feeds them to the plugin.
 *
 *   bench-reader DATASET [--runs R] [--json FILE]
 *
 * Baseline: read the same file in 1 MiB blocks and find every line end
 * (memchr), the least any reader does. The reader is the likeliest
 * bottleneck of the end-to-end run, so its figure is reported on its own,
 * against issue #14's target (>= 0.25 of the baseline), and so is the same
 * reader with its fast path off (ch_dataset_set_fast(ds, 0): every line
 * through tt_jstrict + json-c), which is what a dataset of escaped or
 * non-ASCII strings costs.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_baseline.h"
#include "bench_util.h"
#include "host/ch_dataset.h"

static void on_reject(void *ctx, uint64_t line, const char *reason, const char *detail)
{
    (void) line;
    (void) reason;
    (void) detail;
    (*(uint64_t *) ctx)++;
}

/* Seconds to read every record, or -1. */
static double run_reader(const char *path, int fast, uint64_t *records, uint64_t *attrs,
                         uint64_t *rejects)
{
    char err[256];
    ch_dataset *ds = NULL;
    double t0 = bench_now(), t = -1;

    *records = *attrs = *rejects = 0;
    if (ch_dataset_open(path, &ds, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench-reader: %s\n", err);
        return -1;
    }
    ch_dataset_on_reject(ds, on_reject, rejects);
    ch_dataset_set_fast(ds, fast);
    for (;;) {
        const aconn_record *const *recs;
        size_t n;
        if (ch_dataset_next_chunk(ds, UINT64_MAX, &recs, &n, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench-reader: %s\n", err);
            goto cleanup;
        }
        if (n == 0)
            break;
        *records += n;
        for (size_t i = 0; i < n; i++)
            *attrs += recs[i]->nattrs;
    }
    t = bench_now() - t0;
cleanup:
    ch_dataset_close(ds);
    return t;
}

int main(int argc, char **argv)
{
    const char *path, *json = NULL;
    int runs = 3;
    double tb[16], tr[16], tj[16];
    uint64_t records = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: bench-reader DATASET [--runs R] [--json FILE]\n");
        return 2;
    }
    path = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--json") == 0)
            json = argv[i + 1];
    }
    if (runs < 1 || runs > 16) {
        fprintf(stderr, "bench-reader: --runs is 1-16\n");
        return 2;
    }
    for (int r = 0; r < runs; r++) {
        unsigned long long lines;
        uint64_t attrs, rejects;
        tb[r] = bench_baseline_read(path, &lines);
        tr[r] = run_reader(path, 1, &records, &attrs, &rejects);
        tj[r] = run_reader(path, 0, &records, &attrs, &rejects);
        if (tb[r] < 0 || tr[r] < 0 || tj[r] < 0)
            return 1;
        fprintf(stderr, "run %d: baseline %.3f s (%llu lines), reader %.3f s (%llu records, "
                        "%llu attributes, %llu rejects), json-c path %.3f s\n", r + 1, tb[r],
                lines, tr[r], (unsigned long long) records, (unsigned long long) attrs,
                (unsigned long long) rejects, tj[r]);
    }
    {
        double base = (double) records / bench_median(tb, (size_t) runs);
        double rd = (double) records / bench_median(tr, (size_t) runs);
        double jc = (double) records / bench_median(tj, (size_t) runs);
        bench_row rows[] = {
            {"reader.baseline (read + lines)", base, "records/s", 0, 0, "", -1},
            {"reader.ch_dataset", rd, "records/s", base, rd / base, "ratio >= 0.25",
             rd / base >= 0.25},
            {"reader.ch_dataset (json-c path)", jc, "records/s", base, jc / base, "", -1},
        };
        for (size_t i = 0; i < 3; i++)
            bench_print_row(stdout, &rows[i]);
        if (json != NULL && bench_write_json(json, "reader", rows, 3) != 0)
            fprintf(stderr, "bench-reader: cannot write %s: %s\n", json, strerror(errno));
    }
    return 0;
}
