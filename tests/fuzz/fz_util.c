/*
 * fz_util.c - small helpers shared by the fuzz harnesses.
 */
#include <config.h>

#include "fz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The only mutable state of the harnesses: one scratch directory per
   process, made lazily so targets that need no files create none. */
static char fz_dir[4096];

char *fz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        return NULL;
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int fz_split(const uint8_t *data, size_t size, char **first, const uint8_t **rest,
             size_t *rest_size)
{
    const uint8_t *nul = size > 0 ? memchr(data, '\0', size) : NULL;
    size_t n = nul != NULL ? (size_t) (nul - data) : size;

    *first = fz_strndup(data, n);
    if (*first == NULL)
        return -1;
    *rest = nul != NULL ? nul + 1 : data + size;
    *rest_size = nul != NULL ? size - n - 1 : 0;
    return nul != NULL;
}

int fz_contains(const uint8_t *data, size_t size, const char *needle)
{
    size_t n = strlen(needle), i;

    for (i = 0; n > 0 && i + n <= size; i++)
        if (data[i] == (uint8_t) needle[0] && memcmp(data + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Removes what the harnesses put in the scratch directory (flat). */
static void fz_scratch_cleanup(void)
{
    static const char *const files[] = {"dataset.jsonl", "upload.txt"};
    char path[4096 + 32];
    size_t i;

    if (fz_dir[0] == '\0')
        return;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", fz_dir, files[i]);
        (void) unlink(path);
    }
    (void) rmdir(fz_dir);
}

const char *fz_scratch_dir(void)
{
    const char *tmp;
    int n;

    if (fz_dir[0] != '\0')
        return fz_dir;
    tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = "/tmp";
    n = snprintf(fz_dir, sizeof(fz_dir), "%s/tt-fuzz-XXXXXX", tmp);
    if (n < 0 || (size_t) n >= sizeof(fz_dir) || mkdtemp(fz_dir) == NULL) {
        fz_dir[0] = '\0';
        return NULL;
    }
    if (atexit(fz_scratch_cleanup) != 0) {
        (void) rmdir(fz_dir);
        fz_dir[0] = '\0';
        return NULL;
    }
    return fz_dir;
}
