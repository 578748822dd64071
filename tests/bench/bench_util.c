/* bench_util.c - timing, medians and the JSON summary. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_util.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

double bench_median(const double *v, size_t n)
{
    double *c, m;

    if (n == 0)
        return 0;
    c = malloc(n * sizeof(*c));
    if (c == NULL)
        return v[0];
    memcpy(c, v, n * sizeof(*c));
    qsort(c, n, sizeof(*c), cmp_double);
    m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

long bench_peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

void bench_print_row(FILE *f, const bench_row *r)
{
    fprintf(f, "%-34s %14.1f %-12s", r->name, r->value, r->unit);
    if (r->baseline > 0)
        fprintf(f, " baseline %14.1f  ratio %6.3f", r->baseline, r->ratio);
    if (r->met >= 0)
        fprintf(f, "  target %-16s %s", r->target, r->met ? "met" : "MISSED");
    fputc('\n', f);
}

int bench_write_json(const char *path, const char *name, const bench_row *rows, size_t n)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return -1;
    fprintf(f, "{\"benchmark\":\"%s\",\"rows\":[", name);
    for (size_t i = 0; i < n; i++) {
        const bench_row *r = &rows[i];
        fprintf(f, "%s{\"name\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"", i ? "," : "", r->name,
                r->value, r->unit);
        if (r->baseline > 0)
            fprintf(f, ",\"baseline\":%.3f,\"ratio\":%.4f", r->baseline, r->ratio);
        if (r->met >= 0)
            fprintf(f, ",\"target\":\"%s\",\"met\":%s", r->target, r->met ? "true" : "false");
        fputc('}', f);
    }
    fputs("]}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}
