/*
 * ch_secrets.c - secrets.json: checked reads (ch_file), wiped values and
 * serialisations, and durable writes (ch_file_replace under an flock).
 */
#define _DEFAULT_SOURCE 1 /* flock() */
#include <config.h>

#include "ch_secrets.h"
#include "ch_file.h"
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
    return ch_file_check_private(path, 0, "secrets file", err, errlen);
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
   secrets is left behind in memory freed by a growing realloc(). The
   descriptor read is the one checked (ch_file_open_private): no window in
   which the file can be swapped. *missing is set when there is no file. */
static int ch_secrets_read(const char *path, char **out, size_t *len, int *missing,
                           char *err, size_t errlen)
{
    int rc = -1;
    int fd = -1;
    struct stat st;
    char *buf = NULL;
    size_t used = 0, size = 0;

    *out = NULL;
    *len = 0;
    *missing = 0;
    rc = ch_file_open_private(path, O_RDONLY, "secrets file", &fd, err, errlen);
    if (rc != 0) {
        *missing = rc == 1;
        rc = rc == 1 ? 0 : -1;
        goto cleanup;
    }
    rc = -1;
    if (fstat(fd, &st) != 0) {
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
    int rc = -1, missing = 0;
    char *text = NULL;
    size_t len = 0;
    json_object *obj = NULL;
    json_tokener *tok = NULL;

    *out = NULL;
    if (ch_secrets_read(path, &text, &len, &missing, err, errlen) != 0)
        goto cleanup;
    if (missing) {
        *out = json_object_new_object();
        rc = *out != NULL ? 0 : -1;
        goto cleanup;
    }
    tok = json_tokener_new();
    /* Grown once to more than any string in the file, the tokener's
       scratch buffer is never realloc()ed while parsing, so no freed block
       holds a secret; it is wiped below. */
    if (tok == NULL || len >= INT_MAX
        || printbuf_memset(tok->pb, 0, 0, (int) len + 1) < 0) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    printbuf_reset(tok->pb);
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

/* Appends s[0..n) as a JSON string to out (when out is non-NULL) and
   returns the bytes it takes: the same walk sizes and fills the buffer. */
static size_t ch_secrets_quote(char *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t used = 0, i;

    if (out != NULL)
        out[used] = '"';
    used++;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c == '"' || c == '\\') {
            if (out != NULL) {
                out[used] = '\\';
                out[used + 1] = (char) c;
            }
            used += 2;
        } else if (c < 0x20) {
            if (out != NULL) {
                memcpy(out + used, "\\u00", 4);
                out[used + 4] = hex[c >> 4];
                out[used + 5] = hex[c & 0xf];
            }
            used += 6;
        } else {
            if (out != NULL)
                out[used] = (char) c;
            used++;
        }
    }
    if (out != NULL)
        out[used] = '"';
    return used + 1;
}

/* Writes the flat object {"key": "value", ...} (+ newline) into out, or
   only measures it when out is NULL. */
static size_t ch_secrets_emit(char *out, json_object *obj)
{
    size_t used = 0;
    int first = 1;

    if (out != NULL)
        out[used] = '{';
    used++;
    json_object_object_foreach(obj, key, val) {
        if (!json_object_is_type(val, json_type_string))
            continue;
        if (out != NULL)
            memcpy(out + used, first ? "\n  " : ",\n  ", first ? 3 : 4);
        used += first ? 3 : 4;
        first = 0;
        used += ch_secrets_quote(out != NULL ? out + used : NULL, key, strlen(key));
        if (out != NULL)
            memcpy(out + used, ": ", 2);
        used += 2;
        used += ch_secrets_quote(out != NULL ? out + used : NULL,
                                 json_object_get_string(val),
                                 (size_t) json_object_get_string_len(val));
    }
    if (out != NULL)
        memcpy(out + used, first ? "}\n" : "\n}\n", first ? 2 : 3);
    return used + (first ? 2 : 3);
}

/* Serialises obj into one buffer of exactly the right size that the
   caller wipes and frees: json-c's printbuf would grow by realloc() and
   free blocks that still hold secrets. NULL when out of memory. */
static char *ch_secrets_serialize(json_object *obj, size_t *len)
{
    size_t n = ch_secrets_emit(NULL, obj);
    char *text = malloc(n + 1);

    *len = 0;
    if (text == NULL)
        return NULL;
    if (ch_secrets_emit(text, obj) != n) {   /* cannot happen: same walk */
        OPENSSL_cleanse(text, n + 1);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

/* Wipes the value stored under key, if any, before json-c frees it on a
   replacement or deletion. */
static void ch_secrets_wipe_key(json_object *obj, const char *key)
{
    json_object *val = NULL;

    if (json_object_object_get_ex(obj, key, &val)
        && json_object_is_type(val, json_type_string))
        OPENSSL_cleanse((char *) json_object_get_string(val),
                        (size_t) json_object_get_string_len(val));
}

/* Sets (value non-NULL) or deletes key in obj, wiping the old value. */
static int ch_secrets_update(json_object *obj, const char *key, const char *value,
                             size_t len)
{
    json_object *val;

    if (value == NULL) {
        ch_secrets_wipe_key(obj, key);
        json_object_object_del(obj, key);
        return 0;
    }
    val = json_object_new_string_len(value, (int) len);
    if (val == NULL)
        return -1;
    ch_secrets_wipe_key(obj, key);
    if (json_object_object_add(obj, key, val) != 0) {
        OPENSSL_cleanse((char *) json_object_get_string(val), len);
        json_object_put(val);
        return -1;
    }
    return 0;
}

aconn_status ch_secrets_put(const char *path, const char *key, const char *value,
                            size_t len, char *err, size_t errlen)
{
    aconn_status status = ACONN_ERR_FATAL;
    int lockfd = -1;
    char *lockpath = NULL, *text = NULL;
    json_object *obj = NULL;
    size_t textlen = 0;

    if (value != NULL && (len > CH_SECRET_MAX || memchr(value, '\0', len) != NULL)) {
        ch_errf(err, errlen, "secret %s: value must be at most %zu bytes and contain "
                "no NUL byte", key, CH_SECRET_MAX);
        status = ACONN_ERR_INVALID;
        goto cleanup;
    }
    lockpath = ch_strdup_printf("%s.lock", path);
    if (lockpath == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    if (ch_file_open_private(lockpath, O_RDWR | O_CREAT, "secrets lock file", &lockfd,
                             err, errlen) != 0)
        goto cleanup;
    while (flock(lockfd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ch_errf(err, errlen, "cannot lock %s: %s", lockpath, strerror(errno));
            goto cleanup;
        }
    }
    if (ch_secrets_load(path, &obj, err, errlen) != 0)
        goto cleanup;
    if (ch_secrets_update(obj, key, value, len) != 0
        || (text = ch_secrets_serialize(obj, &textlen)) == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    if (ch_file_replace(path, text, textlen, err, errlen) != 0)
        goto cleanup;
    status = ACONN_OK;
cleanup:
    if (text != NULL) {
        OPENSSL_cleanse(text, textlen);
        free(text);
    }
    if (obj != NULL)
        ch_secrets_release(obj);
    if (lockfd >= 0)
        close(lockfd);   /* releases the flock */
    free(lockpath);
    return status;
}

static int ch_secrets_name_cmp(const void *a, const void *b)
{
    return strcmp(json_object_get_string(*(json_object *const *) a),
                  json_object_get_string(*(json_object *const *) b));
}

int ch_secrets_names(const char *path, const char *prefix, json_object **names, char *err,
                     size_t errlen)
{
    json_object *obj = NULL, *out = json_object_new_array();
    size_t n = strlen(prefix);
    int rc = -1;

    *names = NULL;
    if (out == NULL || ch_secrets_load(path, &obj, err, errlen) != 0)
        goto cleanup;
    json_object_object_foreach(obj, key, val) {
        (void) val;
        if (strncmp(key, prefix, n) == 0 && key[n] != '\0'
            && json_object_array_add(out, json_object_new_string(key + n)) != 0)
            goto cleanup;
    }
    json_object_array_sort(out, ch_secrets_name_cmp);
    *names = out;
    out = NULL;
    rc = 0;
cleanup:
    if (rc != 0 && err[0] == '\0')
        ch_errf(err, errlen, "out of memory");
    if (obj != NULL)
        ch_secrets_release(obj);
    json_object_put(out);
    return rc;
}
