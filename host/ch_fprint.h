/*
 * ch_fprint.h - a fingerprint of the part of a dataset a checkpoint covers,
 * recorded with the checkpoint and checked before a run reads on, so that
 * a rewritten, truncated or replaced file is never read as an append.
 *
 * What is recorded: the covered line count and byte length (through the
 * '\n' of the last covered line), the file's identity (st_dev, st_ino of
 * the file the path names, a symlink followed), and a SHA-256 over
 * samples of the covered bytes: all of them when they are at most
 * CH_FPRINT_FULL bytes, else CH_FPRINT_SAMPLES blocks of CH_FPRINT_BLOCK
 * bytes spread evenly from the first to the block ending at the last
 * covered byte. The check also compares the number of '\n's within the
 * covered bytes with the covered line count, which the run's line count
 * pass gives for free. Cost of a check: one stat, at most 1 MiB read, one
 * SHA-256 over it, whatever the size of the file.
 *
 * What it cannot detect: in a file larger than CH_FPRINT_FULL, an edit
 * of the covered part in place (same inode) that keeps the number of
 * line breaks in it and touches no sampled block (for example one
 * identifier changed for another of the same length far from any
 * sample). What it over-detects: the same content under a new inode (an
 * editor saving through rename, a restore from backup) or a st_dev that
 * changes on remount (some network file systems) is reported as replaced;
 * deliver --resync answers both.
 */
#ifndef CH_FPRINT_H
#define CH_FPRINT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CH_FPRINT_FULL ((uint64_t) 4 * 1024 * 1024)
#define CH_FPRINT_BLOCK ((uint64_t) 16 * 1024)
#define CH_FPRINT_SAMPLES 64

typedef struct ch_fprint {
    int valid;                 /* 0: nothing recorded (older state) */
    uint64_t lines;            /* the checkpoint it was made for */
    uint64_t bytes;            /* covered bytes */
    uint64_t dev, ino;
    char digest[65];           /* hex SHA-256 of the samples */
} ch_fprint;

/* Fingerprints the first `bytes` bytes (`lines` lines) of the open file
   fd, whose identity is dev/ino. 0, or -1 with err. */
int ch_fprint_make(int fd, uint64_t dev, uint64_t ino, uint64_t lines, uint64_t bytes,
                   ch_fprint *out, char *err, size_t errlen);

/* Same, opening path (connect, and a run's end). */
int ch_fprint_make_path(const char *path, uint64_t lines, uint64_t bytes, ch_fprint *out,
                        char *err, size_t errlen);

/*
 * Checks that path still starts with what fp covers. prefix_lines is the
 * count of '\n's among its first fp->bytes bytes and size the bytes read
 * (ch_dataset_count). Returns 0 unchanged, 1 changed (*what says how, for
 * people: "replaced by another file", ...), -1 error with err.
 */
int ch_fprint_check(const char *path, const ch_fprint *fp, uint64_t dev, uint64_t ino,
                    uint64_t size, uint64_t prefix_lines, const char **what,
                    char *err, size_t errlen);


/* ---- for a delivery run ------------------------------------------------ */

struct ch_connection;
struct ch_dataset;

/*
 * Before a run: counts the dataset's complete lines into *end and checks
 * the connection's fingerprint (and, without one, that the file did not
 * shrink). Returns 0 to go on (*changed NULL, or what changed when
 * `resync` allows it), 1 refused (*report set: the JSON a deliver prints,
 * status "dataset_changed" or "dataset_unreadable", the error naming the
 * connection, what changed and what to do), -1 error with err.
 */
int ch_fprint_before_run(const struct ch_connection *c, int resync, uint64_t *end,
                         const char **changed, json_object **report,
                         char *err, size_t errlen);

/* After a run that read through line c->run_last of ds: sets c->fp for
   the new checkpoint (left invalid, with a warning in err, when the file
   cannot be fingerprinted). */
void ch_fprint_after_run(struct ch_connection *c, const struct ch_dataset *ds,
                         char *err, size_t errlen);

#endif /* CH_FPRINT_H */
