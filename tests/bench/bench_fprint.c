/*
 * bench_fprint.c - what checking a checkpoint's fingerprint costs at the
 * start of a run (host/ch_fprint.h), on a large dataset.
 *
 *   bench-fprint DATASET [--runs R] [--json FILE]
 *
 * Baseline: the line count pass every deliver already makes
 * (ch_dataset_count). Measured: the same pass also counting the line
 * breaks of the covered prefix, plus ch_fprint_check (one stat, at most
 * 1 MiB of sampled blocks, one SHA-256), with the whole file covered.
 * The extra cost is the figure; there is no target.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "host/ch_dataset.h"
#include "host/ch_fprint.h"

int main(int argc, char **argv)
{
    const char *path, *json = NULL;
    int runs = 3;
    double tb[16], tc[16], tf[16];
    char err[512];
    ch_dataset_counts n;
    ch_fprint fp;
    const char *what = NULL;

    if (argc < 2) {
        fprintf(stderr, "usage: bench-fprint DATASET [--runs R] [--json FILE]\n");
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
        fprintf(stderr, "bench-fprint: --runs is 1-16\n");
        return 2;
    }
    if (ch_dataset_count(path, 0, &n, err, sizeof(err)) != 0
        || ch_fprint_make_path(path, n.lines, n.end_bytes, &fp, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench-fprint: %s\n", err);
        return 1;
    }
    for (int r = 0; r < runs; r++) {
        double t0 = bench_now();
        if (ch_dataset_count(path, 0, &n, err, sizeof(err)) != 0)
            return 1;
        tb[r] = bench_now() - t0;
        t0 = bench_now();
        if (ch_dataset_count(path, fp.bytes, &n, err, sizeof(err)) != 0
            || ch_fprint_check(path, &fp, n.dev, n.ino, n.size, n.prefix_lines, &what, err,
                               sizeof(err)) != 0) {
            fprintf(stderr, "bench-fprint: %s\n", what != NULL ? what : err);
            return 1;
        }
        tc[r] = bench_now() - t0;
        t0 = bench_now();
        if (ch_fprint_check(path, &fp, n.dev, n.ino, n.size, n.prefix_lines, &what, err,
                            sizeof(err)) != 0)
            return 1;
        tf[r] = bench_now() - t0;
        fprintf(stderr, "run %d: count pass %.3f s, count + check %.3f s, check alone "
                "%.4f s (%llu lines, %llu bytes)\n", r + 1, tb[r], tc[r], tf[r],
                (unsigned long long) n.lines, (unsigned long long) n.size);
    }
    {
        double base = bench_median(tb, (size_t) runs), with = bench_median(tc, (size_t) runs);
        bench_row rows[] = {
            {"fprint.count_pass (every deliver)", base, "s", 0, 0, "", -1},
            {"fprint.count_pass + check", with, "s", base, with / base, "", -1},
            {"fprint.check alone", 1000 * bench_median(tf, (size_t) runs), "ms", 0, 0, "",
             -1},
        };
        for (size_t i = 0; i < 3; i++)
            bench_print_row(stdout, &rows[i]);
        if (json != NULL && bench_write_json(json, "fprint", rows, 3) != 0)
            fprintf(stderr, "bench-fprint: cannot write %s: %s\n", json, strerror(errno));
    }
    return 0;
}
