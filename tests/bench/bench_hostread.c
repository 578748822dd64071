/* bench_hostread.c - the host's JSON Lines reader alone, in process. */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bench_hostread.h"
#include "bench_util.h"
#include "host/ch_dataset.h"

static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

double bench_host_read(const char *path, double *cpu_s)
{
    char err[256];
    ch_dataset *ds = NULL;
    double t0 = bench_now(), c0 = cpu_now(), t = -1;

    *cpu_s = -1;
    if (ch_dataset_open(path, &ds, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    for (;;) {
        const aconn_record *const *recs;
        size_t n;
        if (ch_dataset_next_chunk(ds, UINT64_MAX, &recs, &n, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench: %s\n", err);
            goto cleanup;
        }
        if (n == 0)
            break;
    }
    t = bench_now() - t0;
    *cpu_s = cpu_now() - c0;
cleanup:
    ch_dataset_close(ds);
    return t;
}
