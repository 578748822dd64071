/*
 * ch_util.c - small helpers shared by the reference host.
 */
#include <config.h>

#include "ch_util.h"

#include <aconn/aconn.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

int ch_exit_for_status(int32_t status)
{
    if (status == ACONN_OK_PARTIAL)
        return CH_EXIT_PARTIAL;
    if (ACONN_STATUS_IS_OK(status))
        return CH_EXIT_OK;
    if (ACONN_STATUS_IS_RETRY(status))
        return CH_EXIT_RETRY;
    if (ACONN_STATUS_IS_REAUTHORIZE(status))
        return CH_EXIT_REAUTHORIZE;
    if (ACONN_STATUS_IS_PERMANENT(status))
        return CH_EXIT_FAILED;
    return CH_EXIT_INTERNAL;
}

char *ch_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    s = malloc((size_t) n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t) n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void ch_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int ch_read_file(const char *path, size_t max, char **out, size_t *len,
                 char *err, size_t errlen)
{
    int rc = -1;
    int fd = -1;
    char *buf = NULL;
    size_t used = 0, cap = 4096;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ch_errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto cleanup;
    }
    buf = malloc(cap);
    if (buf == NULL) {
        ch_errf(err, errlen, "out of memory reading %s", path);
        goto cleanup;
    }
    for (;;) {
        ssize_t n;
        if (cap - used < 2) {
            char *bigger;
            if (cap > max) {
                ch_errf(err, errlen, "%s is larger than %zu bytes", path, max);
                goto cleanup;
            }
            bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                ch_errf(err, errlen, "out of memory reading %s", path);
                goto cleanup;
            }
            buf = bigger;
            cap *= 2;
        }
        n = read(fd, buf + used, cap - used - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ch_errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        used += (size_t) n;
        if (used > max) {
            ch_errf(err, errlen, "%s is larger than %zu bytes", path, max);
            goto cleanup;
        }
    }
    buf[used] = '\0';
    *out = buf;
    buf = NULL;
    if (len != NULL)
        *len = used;
    rc = 0;
cleanup:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

int ch_mkdir_p(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    char *p;

    if (n == 0 || n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, n + 1);
    for (p = tmp + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int ch_random_id(const char *prefix, size_t nbytes, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];
    size_t plen = strlen(prefix);
    size_t i;

    if (nbytes > sizeof(raw) || plen + nbytes * 2 + 1 > outlen)
        return -1;
    if (RAND_bytes(raw, (int) nbytes) != 1)
        return -1;
    memcpy(out, prefix, plen);
    for (i = 0; i < nbytes; i++) {
        out[plen + 2 * i] = hex[raw[i] >> 4];
        out[plen + 2 * i + 1] = hex[raw[i] & 0xf];
    }
    out[plen + 2 * nbytes] = '\0';
    return 0;
}

int64_t ch_wall_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ch_parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = (int64_t) v;
    return 0;
}

/* The designators in the order ISO 8601 writes them, each at most once:
   the date part (before T) takes Y M W D, the time part H M S. */
static int ch_duration_unit(char c, int in_time, int *next, int64_t *unit)
{
    static const char order[] = "YMWDHMS";
    static const int64_t day = 86400000;
    static const int64_t ms[] = { 365 * day, 30 * day, 7 * day, day, 3600000, 60000, 1000 };
    int i, last = in_time ? 6 : 3;

    for (i = *next; i <= last; i++) {
        if (order[i] == c) {
            *next = i + 1;
            *unit = ms[i];
            return 0;
        }
    }
    return -1;
}

int ch_iso8601_duration_ms(const char *s, int64_t *out)
{
    int in_time = 0, any = 0, next = 0;
    int64_t total = 0;

    if (s == NULL || *s != 'P')
        return -1;
    for (s++; *s != '\0'; s++) {
        int64_t n = 0, unit = 0;

        if (*s == 'T' && !in_time) {
            in_time = 1;
            any = 0;      /* "PT" needs a time component after it */
            next = 4;
            continue;
        }
        if (*s < '0' || *s > '9')
            return -1;
        /* Every step checked, so no input overflows (UB) or wraps. */
        for (; *s >= '0' && *s <= '9'; s++) {
            if (n > (INT64_MAX - (*s - '0')) / 10)
                return -1;
            n = n * 10 + (*s - '0');
        }
        if (ch_duration_unit(*s, in_time, &next, &unit) != 0
            || (n != 0 && n > (INT64_MAX - total) / unit))
            return -1;
        total += n * unit;
        any = 1;
    }
    if (!any)
        return -1;
    *out = total;
    return 0;
}

int ch_absolute_path(const char *path, char *out, size_t outlen)
{
    char cwd[4096];
    int n;

    if (path[0] == '/') {
        n = snprintf(out, outlen, "%s", path);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return -1;
        n = snprintf(out, outlen, "%s/%s", cwd, path);
    }
    return n < 0 || (size_t) n >= outlen ? -1 : 0;
}

/* len bytes of s at out + *n (out NULL: counted only). */
static void ch_message_put(char *out, size_t *n, const char *s, size_t len)
{
    if (out != NULL)
        memcpy(out + *n, s, len);
    *n += len;
}

/* One walk for sizing and for writing, so the rule lives once: msg with
   "--plugin PLUGIN " after each "connector-host authorize " that lacks
   one, into out unless NULL. Returns its length. */
static size_t ch_message_walk(const char *msg, const char *plugin, char *out)
{
    static const char cmd[] = "connector-host authorize ", flag[] = "--plugin ";
    const char *p = msg, *hit;
    size_t n = 0;

    while (plugin != NULL && (hit = strstr(p, cmd)) != NULL) {
        hit += sizeof(cmd) - 1;
        ch_message_put(out, &n, p, (size_t) (hit - p));
        if (strncmp(hit, flag, sizeof(flag) - 1) != 0) {
            ch_message_put(out, &n, flag, sizeof(flag) - 1);
            ch_message_put(out, &n, plugin, strlen(plugin));
            ch_message_put(out, &n, " ", 1);
        }
        p = hit;
    }
    ch_message_put(out, &n, p, strlen(p));
    return n;
}

char *ch_message_runnable(const char *msg, const char *plugin)
{
    size_t n = ch_message_walk(msg, plugin, NULL);
    char *s = malloc(n + 1);

    if (s == NULL)
        return NULL;
    (void) ch_message_walk(msg, plugin, s);
    s[n] = '\0';
    return s;
}

void ch_print_message(FILE *f, const char *msg, const char *plugin)
{
    char *s = ch_message_runnable(msg, plugin);

    /* Out of memory: the plugin's own words are better than none. */
    fputs(s != NULL ? s : msg, f);
    free(s);
}
