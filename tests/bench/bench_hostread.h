/* bench_hostread.h - the host's JSON Lines reader alone, in process. */
#ifndef BENCH_HOSTREAD_H
#define BENCH_HOSTREAD_H

/*
 * Reads every record of the dataset at path with ch_dataset, as
 * connector-host reads without its reader thread. Wall seconds, or -1 (the
 * reason on stderr); *cpu_s gets this process's CPU seconds meanwhile.
 */
double bench_host_read(const char *path, double *cpu_s);

#endif
