/*
 * free_scan.c - a test-only allocator shim (LD_PRELOAD) that scans every
 * block given back to the allocator for marker secrets, to prove that the
 * code wipes what held a secret before freeing it (issue #21, point 4).
 *
 * CH_FREE_SCAN_MARKERS  comma-separated markers (not secrets: test values)
 * CH_FREE_SCAN_REPORT   file to which "FOUND <marker> <size> <object>" lines
 *                       are appended, one per freed block that holds a
 *                       marker; <object> is the file name of the shared
 *                       object whose code called free()/realloc() (dladdr),
 *                       so a test can tell a libcurl-internal copy (which
 *                       nobody outside libcurl can wipe) from ours
 *
 * free() scans the block (malloc_usable_size() bytes) first; realloc()
 * always moves the block, so the old one is scanned and freed like any
 * other, as a growing buffer's would be. glibc only (__libc_* entry
 * points); the block itself is then freed by glibc. Nothing here
 * allocates, so it is safe inside free().
 */
#define _GNU_SOURCE 1 /* memmem() */
#include <config.h>

#include <dlfcn.h>

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

static void scan_report(const char *marker, size_t mlen, size_t size, const void *caller)
{
    const char *path = getenv("CH_FREE_SCAN_REPORT");
    const char *who = "?", *slash;
    char line[512];
    size_t n = 0, wlen;
    Dl_info info;
    int fd;

    if (path == NULL || mlen > 200)
        return;
    /* glibc's dladdr() takes the loader lock and does not allocate. */
    if (caller != NULL && dladdr(caller, &info) != 0 && info.dli_fname != NULL) {
        who = info.dli_fname;
        slash = strrchr(who, '/');
        if (slash != NULL)
            who = slash + 1;
    }
    wlen = strlen(who) < 200 ? strlen(who) : 200;
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
    line[n++] = ' ';
    memcpy(line + n, who, wlen);
    n += wlen;
    line[n++] = '\n';
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        (void) !write(fd, line, n);
        close(fd);
    }
}

/* A block found holding a marker is cleared before glibc takes it back:
   otherwise whoever is handed that memory next and frees it unwritten would
   be reported for the same leftover. */
static void scan(void *p, size_t size, const void *caller)
{
    const char *m = getenv("CH_FREE_SCAN_MARKERS");
    int saved = errno, found = 0;

    while (m != NULL && *m != '\0') {
        const char *end = strchr(m, ',');
        size_t len = end != NULL ? (size_t) (end - m) : strlen(m);
        if (len > 0 && memmem(p, size, m, len) != NULL) {
            scan_report(m, len, size, caller);
            found = 1;
        }
        m = end != NULL ? end + 1 : NULL;
    }
    if (found)
        memset(p, 0, size);
    errno = saved;
}

static void scan_free(void *p, const void *caller)
{
    if (p != NULL)
        scan(p, malloc_usable_size(p), caller);
    __libc_free(p);
}

static void *scan_realloc(void *p, size_t n, const void *caller)
{
    void *q;
    size_t old;

    if (p == NULL)
        return __libc_malloc(n);
    if (n == 0) {
        scan_free(p, caller);
        return NULL;
    }
    q = __libc_malloc(n);
    if (q == NULL)
        return NULL;
    old = malloc_usable_size(p);
    memcpy(q, p, old < n ? old : n);
    scan_free(p, caller);
    return q;
}

void free(void *p)
{
    scan_free(p, __builtin_return_address(0));
}

void *realloc(void *p, size_t n)
{
    return scan_realloc(p, n, __builtin_return_address(0));
}

void *reallocarray(void *p, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return scan_realloc(p, nmemb * size, __builtin_return_address(0));
}
