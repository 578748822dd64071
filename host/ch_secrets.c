/*
 * ch_secrets.c - secrets.json: permission checks, reads, and durable
 * writes (temp file + fsync + rename under an flock).
 */
#define _DEFAULT_SOURCE 1 /* flock() */
#include <config.h>

#include "ch_secrets.h"
#include "ch_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>
#include <openssl/crypto.h>

/* The whole file is at most this big: a few hundred secrets. */
#define CH_SECRETS_FILE_MAX ((size_t) 4 * 1024 * 1024)

int ch_secrets_check(const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        ch_errf(err, errlen, "cannot stat secrets file %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        ch_errf(err, errlen, "secrets file %s is not a regular file", path);
        return -1;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ch_errf(err, errlen, "secrets file %s is accessible by group or others "
                "(mode %03o); refusing to use it. Fix: chmod 600 %s",
                path, (unsigned) (st.st_mode & 0777), path);
        return -1;
    }
    if (st.st_uid != getuid()) {
        ch_errf(err, errlen, "secrets file %s belongs to another user (uid %u); "
                "refusing to use it. Fix: chown %u %s", path, (unsigned) st.st_uid,
                (unsigned) getuid(), path);
        return -1;
    }
    return 0;
}

/* Wipes every string value of a parsed secrets object before it is freed,
   since json-c frees without clearing. */
static void ch_secrets_wipe_json(json_object *obj)
{
    if (obj == NULL || !json_object_is_type(obj, json_type_object))
        return;
    json_object_object_foreach(obj, key, val) {
        (void) key;
        if (json_object_is_type(val, json_type_string)) {
            char *s = (char *) json_object_get_string(val);
            OPENSSL_cleanse(s, (size_t) json_object_get_string_len(val));
        }
    }
}

static void ch_secrets_release(json_object *obj)
{
    ch_secrets_wipe_json(obj);
    json_object_put(obj);
}

/* Reads the file into one buffer sized from fstat(), so no copy of the
   secrets is left behind in memory freed by a growing realloc(). */
static int ch_secrets_read(const char *path, char **out, size_t *len,
                           char *err, size_t errlen)
{
    int rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t used = 0, size;

    *out = NULL;
    *len = 0;
    if (fd < 0 || fstat(fd, &st) != 0) {
        ch_errf(err, errlen, "cannot read secrets file %s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (st.st_size < 0 || (size_t) st.st_size > CH_SECRETS_FILE_MAX) {
        ch_errf(err, errlen, "secrets file %s is larger than %zu bytes", path,
                CH_SECRETS_FILE_MAX);
        goto cleanup;
    }
    size = (size_t) st.st_size;
    buf = malloc(size + 1);
    if (buf == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    while (used < size) {
        ssize_t n = read(fd, buf + used, size - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t) n;
    }
    if (used != size) {
        ch_errf(err, errlen, "cannot read secrets file %s: short read", path);
        goto cleanup;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
    rc = 0;
cleanup:
    if (buf != NULL) {
        OPENSSL_cleanse(buf, size + 1);
        free(buf);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Loads the file as an object; a missing file is an empty object. */
static int ch_secrets_load(const char *path, json_object **out, char *err, size_t errlen)
{
    int rc = -1;
    char *text = NULL;
    size_t len = 0;
    json_object *obj = NULL;
    json_tokener *tok = NULL;

    *out = NULL;
    if (ch_secrets_check(path, err, errlen) != 0)
        goto cleanup;
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        *out = json_object_new_object();
        rc = *out != NULL ? 0 : -1;
        goto cleanup;
    }
    if (ch_secrets_read(path, &text, &len, err, errlen) != 0)
        goto cleanup;
    tok = json_tokener_new();
    if (tok == NULL)
        goto cleanup;
    obj = json_tokener_parse_ex(tok, text, (int) len);
    if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
        ch_errf(err, errlen, "secrets file %s is not a JSON object; fix or remove it "
                "and set the secrets again", path);
        goto cleanup;
    }
    *out = obj;
    obj = NULL;
    rc = 0;
cleanup:
    if (tok != NULL) {
        /* The tokener's scratch buffer held the last strings it parsed;
           json-c frees it without clearing, so clear it first. */
        if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
            OPENSSL_cleanse(tok->pb->buf, (size_t) tok->pb->size);
        json_tokener_free(tok);
    }
    if (obj != NULL)
        ch_secrets_release(obj);
    if (text != NULL) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
    return rc;
}

aconn_status ch_secrets_get(const char *path, const char *key, char *buf,
                            size_t buflen, size_t *len, char *err, size_t errlen)
{
    aconn_status status = ACONN_ERR_FATAL;
    json_object *obj = NULL, *val = NULL;
    size_t n;

    if (ch_secrets_load(path, &obj, err, errlen) != 0)
        goto cleanup;
    if (!json_object_object_get_ex(obj, key, &val)
        || !json_object_is_type(val, json_type_string)) {
        status = ACONN_ERR_NOT_FOUND;
        goto cleanup;
    }
    n = (size_t) json_object_get_string_len(val);
    if (len != NULL)
        *len = n;
    if (buf == NULL || buflen <= n) {
        status = ACONN_ERR_TOO_SMALL;
        goto cleanup;
    }
    memcpy(buf, json_object_get_string(val), n);
    buf[n] = '\0';
    status = ACONN_OK;
cleanup:
    if (obj != NULL)
        ch_secrets_release(obj);
    return status;
}

/* Writes text to a new 0600 file beside path, fsyncs it and renames it
   over path, then fsyncs the directory so the rename is durable too. */
static int ch_secrets_replace(const char *path, const char *text, size_t len,
                              char *err, size_t errlen)
{
    int rc = -1;
    int fd = -1;
    char *tmp = NULL, *dir = NULL, *slash;
    size_t off = 0;

    tmp = ch_strdup_printf("%s.tmp.%ld", path, (long) getpid());
    dir = strdup(path);
    if (tmp == NULL || dir == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    unlink(tmp);
    /* O_EXCL + fchmod: the mode is 0600 whatever the umask. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        ch_errf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ch_errf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
            goto cleanup;
        }
        off += (size_t) n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        ch_errf(err, errlen, "cannot flush %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        ch_errf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
        goto cleanup;
    }
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        int dfd;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void) fsync(dfd);
            close(dfd);
        }
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && tmp != NULL)
        unlink(tmp);
    free(tmp);
    free(dir);
    return rc;
}

aconn_status ch_secrets_put(const char *path, const char *key, const char *value,
                            size_t len, char *err, size_t errlen)
{
    aconn_status status = ACONN_ERR_FATAL;
    int lockfd = -1;
    char *lockpath = NULL;
    json_object *obj = NULL, *val = NULL;
    const char *text;
    size_t textlen = 0;

    if (value != NULL && (len > CH_SECRET_MAX || memchr(value, '\0', len) != NULL)) {
        ch_errf(err, errlen, "secret %s: value must be at most %zu bytes and contain "
                "no NUL byte", key, CH_SECRET_MAX);
        status = ACONN_ERR_INVALID;
        goto cleanup;
    }
    lockpath = ch_strdup_printf("%s.lock", path);
    if (lockpath == NULL)
        goto cleanup;
    lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0) {
        ch_errf(err, errlen, "cannot open %s: %s", lockpath, strerror(errno));
        goto cleanup;
    }
    while (flock(lockfd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ch_errf(err, errlen, "cannot lock %s: %s", lockpath, strerror(errno));
            goto cleanup;
        }
    }
    if (ch_secrets_load(path, &obj, err, errlen) != 0)
        goto cleanup;
    if (value == NULL) {
        if (json_object_object_get_ex(obj, key, &val)
            && json_object_is_type(val, json_type_string))
            OPENSSL_cleanse((char *) json_object_get_string(val),
                            (size_t) json_object_get_string_len(val));
        json_object_object_del(obj, key);
    } else {
        val = json_object_new_string_len(value, (int) len);
        if (val == NULL || json_object_object_add(obj, key, val) != 0) {
            json_object_put(val);
            ch_errf(err, errlen, "out of memory");
            goto cleanup;
        }
    }
    text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PRETTY
                                             | JSON_C_TO_STRING_NOSLASHESCAPE, &textlen);
    if (text == NULL)
        goto cleanup;
    if (ch_secrets_replace(path, text, textlen, err, errlen) != 0) {
        OPENSSL_cleanse((char *) text, textlen);
        goto cleanup;
    }
    /* The serialization lives in obj's print buffer: wipe it too. */
    OPENSSL_cleanse((char *) text, textlen);
    status = ACONN_OK;
cleanup:
    if (obj != NULL)
        ch_secrets_release(obj);
    if (lockfd >= 0)
        close(lockfd);   /* releases the flock */
    free(lockpath);
    return status;
}
