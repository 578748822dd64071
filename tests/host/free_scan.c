/*
 * free_scan.c - a test-only allocator shim (LD_PRELOAD) that scans every
 * block given back to the allocator for marker secrets, to prove that the
 * code wipes what held a secret before freeing it (issue #21, point 4).
 *
 * CH_FREE_SCAN_MARKERS  comma-separated markers (not secrets: test values)
 * CH_FREE_SCAN_REPORT   file to which "FOUND <marker> <size>" lines are
 *                       appended, one per freed block that holds a marker
 *
 * free() scans the block (malloc_usable_size() bytes) first; realloc()
 * always moves the block, so the old one is scanned and freed like any
 * other, as a growing buffer's would be. glibc only (__libc_* entry
 * points); the block itself is then freed by glibc. Nothing here
 * allocates, so it is safe inside free().
 */
#define _GNU_SOURCE 1 /* memmem() */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void __libc_free(void *p);

/* Exported replacements of the allocator's functions. */
void free(void *p);
void *realloc(void *p, size_t n);
void *reallocarray(void *p, size_t nmemb, size_t size);

static void scan_report(const char *marker, size_t mlen, size_t size)
{
    const char *path = getenv("CH_FREE_SCAN_REPORT");
    char line[256];
    size_t n = 0;
    int fd;

    if (path == NULL || mlen > 200)
        return;
    memcpy(line, "FOUND ", 6);
    n = 6;
    memcpy(line + n, marker, mlen);
    n += mlen;
    line[n++] = ' ';
    {
        char digits[24];
        size_t d = 0;
        do {
            digits[d++] = (char) ('0' + size % 10);
            size /= 10;
        } while (size > 0);
        while (d > 0)
            line[n++] = digits[--d];
    }
    line[n++] = '\n';
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        (void) !write(fd, line, n);
        close(fd);
    }
}

static void scan(const void *p, size_t size)
{
    const char *m = getenv("CH_FREE_SCAN_MARKERS");
    int saved = errno;

    while (m != NULL && *m != '\0') {
        const char *end = strchr(m, ',');
        size_t len = end != NULL ? (size_t) (end - m) : strlen(m);
        if (len > 0 && memmem(p, size, m, len) != NULL)
            scan_report(m, len, size);
        m = end != NULL ? end + 1 : NULL;
    }
    errno = saved;
}

void free(void *p)
{
    if (p != NULL)
        scan(p, malloc_usable_size(p));
    __libc_free(p);
}

void *realloc(void *p, size_t n)
{
    void *q;
    size_t old;

    if (p == NULL)
        return __libc_malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    q = __libc_malloc(n);
    if (q == NULL)
        return NULL;
    old = malloc_usable_size(p);
    memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

void *reallocarray(void *p, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, nmemb * size);
}
