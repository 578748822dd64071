/*
 * fz.h - the fuzz harnesses' entry points, shared by the libFuzzer targets
 * (fuzz_main.c, one binary per entry) and by the CUnit program that replays
 * the committed corpora and regressions (test_fuzz_regressions.c).
 *
 * Each entry feeds arbitrary bytes to one parser and then checks the
 * parser's own promises (an OK result is well-formed, a failure says why).
 * It returns 0 when every promise held, or a small positive number naming
 * the promise that broke: under libFuzzer that number becomes an abort()
 * (a "crash" with a reproducer), under CUnit a failed assertion. Crashes
 * proper (ASan, UBSan, leaks) are caught by the sanitizers either way.
 *
 * Entries never write outside the directory fz_scratch_dir() returns.
 */
#ifndef FZ_H
#define FZ_H

#include <stddef.h>
#include <stdint.h>

typedef int fz_entry_fn(const uint8_t *data, size_t size);

typedef struct fz_target {
    const char *name;      /* directory name under corpus/ and regressions/ */
    fz_entry_fn *entry;
} fz_target;

int fz_settings(const uint8_t *data, size_t size);
int fz_dataset(const uint8_t *data, size_t size);
int fz_envelope(const uint8_t *data, size_t size);
int fz_api(const uint8_t *data, size_t size);
int fz_state(const uint8_t *data, size_t size);
int fz_manifest(const uint8_t *data, size_t size);
int fz_ident(const uint8_t *data, size_t size);
int fz_email(const uint8_t *data, size_t size);
int fz_oauth(const uint8_t *data, size_t size);

/* The bytes as a NUL-terminated heap string (embedded NULs kept, so C
   string parsers see a prefix); NULL when out of memory. */
char *fz_strndup(const uint8_t *data, size_t size);

/*
 * Splits data at the first NUL: *first gets the part before it (a new
 * NUL-terminated string), *rest and *rest_size what follows (borrowed;
 * empty when there was no NUL). Returns 1 when a NUL was found, 0 when
 * not, -1 when out of memory.
 */
int fz_split(const uint8_t *data, size_t size, char **first, const uint8_t **rest,
             size_t *rest_size);

/* Non-zero when needle occurs in the size bytes at data. */
int fz_contains(const uint8_t *data, size_t size, const char *needle);

/* A private temporary directory for this process (created on first use,
   removed at exit); NULL if it cannot be made. */
const char *fz_scratch_dir(void);

#endif
