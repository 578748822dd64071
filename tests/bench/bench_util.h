/*
 * bench_util.h - timing, medians and the JSON summary shared by the
 * benchmarks. Each figure is the median of several runs, and each ratio is
 * taken against a baseline measured in the same process, so a noisy shared
 * machine moves both sides together.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Monotonic clock in seconds. */
double bench_now(void);

/* Median of n values (sorts a copy). */
double bench_median(const double *v, size_t n);

/* Peak resident set of this process (kB), from getrusage. */
long bench_peak_rss_kb(void);


/* One line of the printed table and one entry of the JSON summary. */
typedef struct bench_row {
    const char *name;        /* "pipeline.plugin" */
    double value;            /* the median */
    const char *unit;        /* "records/s" */
    double baseline;         /* 0 = none */
    double ratio;            /* value / baseline, or 0 */
    const char *target;      /* "ratio >= 0.5" */
    int met;                 /* -1 no target, 0 missed, 1 met */
} bench_row;

void bench_print_row(FILE *f, const bench_row *r);

/* Writes {"benchmark":name, "rows":[...]} to path. Returns 0 or -1. */
int bench_write_json(const char *path, const char *name, const bench_row *rows, size_t n);

#endif
