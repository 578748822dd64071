/*
 * ch_fprint.c - the covered-prefix fingerprint (see ch_fprint.h): sampled
 * blocks hashed with OpenSSL's SHA-256, read with pread.
 */
#include <config.h>

#include "ch_fprint.h"
#include "ch_dataset.h"
#include "ch_state.h"
#include "ch_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Hashes bytes [off, off + len) of fd into ctx. 0, or -1. */
static int ch_fprint_hash_range(EVP_MD_CTX *ctx, int fd, uint64_t off, uint64_t len,
                                char *buf, size_t buflen)
{
    while (len > 0) {
        size_t want = len < buflen ? (size_t) len : buflen;
        ssize_t n = pread(fd, buf, want, (off_t) off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;     /* the file is shorter than recorded */
        if (EVP_DigestUpdate(ctx, buf, (size_t) n) != 1)
            return -1;
        off += (uint64_t) n;
        len -= (uint64_t) n;
    }
    return 0;
}

/* The samples' digest as hex into out[65]. 0, or -1. */
static int ch_fprint_digest(int fd, uint64_t bytes, char out[65])
{
    int rc = -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *buf = malloc(CH_FPRINT_BLOCK);

    if (ctx == NULL || buf == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto cleanup;
    if (bytes <= CH_FPRINT_FULL) {
        if (ch_fprint_hash_range(ctx, fd, 0, bytes, buf, CH_FPRINT_BLOCK) != 0)
            goto cleanup;
    } else {
        /* Block k starts at k/(n-1) of the way to the last block, so the
           first and the last covered bytes are always sampled. */
        uint64_t span = bytes - CH_FPRINT_BLOCK;
        for (uint64_t k = 0; k < CH_FPRINT_SAMPLES; k++) {
            uint64_t off = span / (CH_FPRINT_SAMPLES - 1) * k;
            if (k == CH_FPRINT_SAMPLES - 1)
                off = span;
            if (ch_fprint_hash_range(ctx, fd, off, CH_FPRINT_BLOCK, buf,
                                     CH_FPRINT_BLOCK) != 0)
                goto cleanup;
        }
    }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
        goto cleanup;
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    rc = 0;
cleanup:
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

int ch_fprint_make(int fd, uint64_t dev, uint64_t ino, uint64_t lines, uint64_t bytes,
                   ch_fprint *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (ch_fprint_digest(fd, bytes, out->digest) != 0) {
        ch_errf(err, errlen, "cannot fingerprint the first %llu bytes of the dataset",
                (unsigned long long) bytes);
        return -1;
    }
    out->valid = 1;
    out->lines = lines;
    out->bytes = bytes;
    out->dev = dev;
    out->ino = ino;
    return 0;
}

int ch_fprint_make_path(const char *path, uint64_t lines, uint64_t bytes, ch_fprint *out,
                        char *err, size_t errlen)
{
    int fd, rc = -1;
    struct stat st;

    if (ch_dataset_open_regular(path, &fd, err, errlen) != 0)
        return -1;
    if (fstat(fd, &st) != 0)
        ch_errf(err, errlen, "cannot stat dataset %s: %s", path, strerror(errno));
    else
        rc = ch_fprint_make(fd, (uint64_t) st.st_dev, (uint64_t) st.st_ino, lines, bytes,
                            out, err, errlen);
    close(fd);
    return rc;
}

int ch_fprint_check(const char *path, const ch_fprint *fp, uint64_t dev, uint64_t ino,
                    uint64_t size, uint64_t prefix_lines, const char **what,
                    char *err, size_t errlen)
{
    int fd, rc = -1;
    char digest[65] = "";

    *what = NULL;
    if (!fp->valid)
        return 0;
    if (dev != fp->dev || ino != fp->ino) {
        *what = "the path now names another file (it was replaced, moved over, or a "
                "symlink now points elsewhere)";
        return 1;
    }
    if (size < fp->bytes) {
        *what = "the file is shorter than the part already delivered (it was truncated "
                "or rewritten)";
        return 1;
    }
    if (prefix_lines != fp->lines) {
        *what = "the lines already delivered changed (their line breaks moved: the "
                "file was rewritten)";
        return 1;
    }
    if (ch_dataset_open_regular(path, &fd, err, errlen) != 0)
        return -1;
    if (ch_fprint_digest(fd, fp->bytes, digest) != 0) {
        ch_errf(err, errlen, "cannot read the first %llu bytes of dataset %s",
                (unsigned long long) fp->bytes, path);
    } else if (strcmp(digest, fp->digest) != 0) {
        *what = "the content of the lines already delivered changed (the file was "
                "rewritten)";
        rc = 1;
    } else {
        rc = 0;
    }
    close(fd);
    return rc;
}

/* The report a refused deliver prints. */
static json_object *ch_fprint_refusal(const ch_connection *c, const char *status,
                                      const char *code, const char *message)
{
    json_object *o = json_object_new_object(), *e = json_object_new_object();

    if (o == NULL || e == NULL) {
        json_object_put(o);
        json_object_put(e);
        return NULL;
    }
    json_object_object_add(o, "connection_id", json_object_new_string(c->id));
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "checkpoint", json_object_new_uint64(c->delivered_through));
    json_object_object_add(e, "code", json_object_new_string(code));
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object_object_add(o, "error", e);
    return o;
}

int ch_fprint_before_run(const ch_connection *c, int resync, uint64_t *end,
                         const char **changed, json_object **report,
                         char *err, size_t errlen)
{
    ch_dataset_counts n;
    uint64_t covered = c->run_id != NULL && c->run_last > c->delivered_through
                           ? c->run_last : c->delivered_through;
    char msg[1024];
    int r;

    *changed = NULL;
    *report = NULL;
    if (ch_dataset_count(c->dataset_path, c->fp.valid ? c->fp.bytes : 0, &n, msg,
                         sizeof(msg)) != 0) {
        *report = ch_fprint_refusal(c, "dataset_unreadable", "dataset_unreadable", msg);
        ch_errf(err, errlen, "connection %s: %s", c->id, msg);
        return *report != NULL ? 1 : -1;
    }
    *end = n.lines;
    r = ch_fprint_check(c->dataset_path, &c->fp, n.dev, n.ino, n.size, n.prefix_lines,
                        changed, err, errlen);
    if (r < 0)
        return -1;
    if (*changed == NULL && n.lines < covered)
        *changed = "the file has fewer complete lines than the part already covered "
                   "(it was truncated or rewritten)";
    if (*changed == NULL || resync)
        return 0;
    snprintf(msg, sizeof(msg), "connection %s: dataset %s changed since line %llu was "
             "delivered: %s. Datasets are append-only, so nothing was sent and the "
             "checkpoint stays. To deliver the file as it is now as the audiences' "
             "whole membership, run deliver --connection %s --resync (a full refresh); "
             "or restore the file; or connect it as a new connection", c->id,
             c->dataset_path, (unsigned long long) c->delivered_through, *changed, c->id);
    *report = ch_fprint_refusal(c, "dataset_changed", "dataset_changed", msg);
    ch_errf(err, errlen, "%s", msg);
    return *report != NULL ? 1 : -1;
}

void ch_fprint_after_run(ch_connection *c, const ch_dataset *ds, char *err, size_t errlen)
{
    struct stat st;

    memset(&c->fp, 0, sizeof(c->fp));
    if (ch_dataset_line(ds) != c->run_last || fstat(ch_dataset_fd(ds), &st) != 0) {
        ch_errf(err, errlen, "cannot fingerprint dataset %s at line %llu", c->dataset_path,
                (unsigned long long) c->run_last);
        return;
    }
    if (ch_fprint_make(ch_dataset_fd(ds), (uint64_t) st.st_dev, (uint64_t) st.st_ino,
                       c->run_last, ch_dataset_offset(ds), &c->fp, err, errlen) != 0)
        memset(&c->fp, 0, sizeof(c->fp));
}
