/*
 * bench_baseline.h - the end-to-end baseline: the work no implementation
 * can skip. Read the dataset file once, then upload the same spool bytes
 * (same files, same sizes, one per type as the plugin cut them) to the
 * sandbox's upload endpoint once per Ad Account with the curl command,
 * accounts in parallel as the plugin does them.
 */
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#include <stddef.h>

#include <json-c/json.h>

typedef struct bench_bfile {
    char path[600];
    char calculate_type[32];
    char md5[33];
} bench_bfile;

/*
 * Writes one file per entry of the report's plugin.files into dir (named
 * baseline-<tag><n>.txt), with
 * the same number of lines and bytes (random lower-case SHA-256 hex, which
 * the sandbox accepts as the plugin's files), and their MD5s. *out is
 * malloc'd (caller frees). 0 or -1.
 */
int bench_baseline_make_files(json_object *files, const char *dir, const char *tag,
                              bench_bfile **out, size_t *n);

/* Reads the file to its end in 1 MiB blocks, counting lines. Seconds, or -1. */
double bench_baseline_read(const char *path, unsigned long long *lines);

/*
 * The second floor's reading: the file in 1 MiB blocks, and the SHA-256 of
 * every identifier in it (each "value":"..." string, as it stands, with
 * one fetched EVP_MD and one reused EVP_MD_CTX): what a clear-text run
 * cannot skip. *values gets the count. Seconds, or -1.
 */
double bench_baseline_read_hash(const char *path, unsigned long long *values);

/*
 * One curl process per account, all at once, each uploading every file in
 * turn (--next) with the header file hdr_path (Access-Token). Every answer
 * must be TikTok's code 0. Seconds, or -1.
 */
double bench_baseline_upload(const char *curl, const char *base_url, const char *hdr_path,
                             char (*accounts)[32], int naccounts, const bench_bfile *files,
                             size_t nfiles, const char *dir);

#endif
