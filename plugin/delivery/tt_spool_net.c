/* tt_spool_net.c - add files without the run's opt-outs (see tt_spool_net.h). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "delivery/tt_spool_net.h"
#include "common/tt_util.h"

/* Longer than any spool line (a CSV row of three digests is 195 bytes). */
#define TT_NET_LINE 512

typedef struct net_out {
    FILE *fp;
    EVP_MD_CTX *md5;
    uint64_t bytes;
    uint64_t lines;
} net_out;

static aconn_status io_fail(aconn_error *err, const char *what, const char *path)
{
    return aconn_error_set(err, ACONN_RETRY, "spool_io", NULL,
                           "cannot %s spool file %s: %s; free disk space or fix the spool "
                           "directory, then retry the delivery", what, path, strerror(errno));
}

static int out_write(net_out *o, const char *data, size_t len)
{
    if (EVP_DigestUpdate(o->md5, data, len) != 1 || fwrite(data, 1, len, o->fp) != len)
        return -1;
    o->bytes += len;
    return 0;
}

/* One CSV row without its opted-out cells; *keep is 0 when none is left. */
static size_t filter_row(const char *row, size_t len, const tt_optout *set, char *out,
                         int *keep)
{
    size_t o = 0, start = 0;

    *keep = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && row[i] != ',' && row[i] != '\n')
            continue;
        size_t cell = i - start;
        if (start > 0)
            out[o++] = ',';
        if (cell == TT_HEX_LEN && !tt_optout_has(set, row + start)) {
            memcpy(out + o, row + start, cell);
            o += cell;
            *keep = 1;
        }
        start = i + 1;
        if (i < len && row[i] == '\n')
            break;
    }
    out[o++] = '\n';
    return o;
}

/* Copies in to o, dropping opted-out identifiers. */
static int filter_lines(FILE *in, int csv, const tt_optout *set, net_out *o)
{
    char line[TT_NET_LINE], row[TT_NET_LINE];
    int first = 1;

    while (fgets(line, sizeof(line), in) != NULL) {
        size_t len = strlen(line);
        int keep;

        if (csv && first) {
            first = 0;
            if (out_write(o, line, len) != 0)
                return -1;
            continue;
        }
        if (!csv) {
            if (len < TT_HEX_LEN || tt_optout_has(set, line))
                continue;
            if (out_write(o, line, len) != 0)
                return -1;
            o->lines++;
            continue;
        }
        len = filter_row(line, len, set, row, &keep);
        if (keep) {
            if (out_write(o, row, len) != 0)
                return -1;
            o->lines++;
        }
    }
    return ferror(in) ? -1 : 0;
}

static aconn_status filter_file(tt_spool_file *f, const tt_optout *set, aconn_error *err)
{
    char tmp[4200];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    net_out o = {0};
    FILE *in = NULL;
    aconn_status st = ACONN_OK;

    if (snprintf(tmp, sizeof(tmp), "%s.net", f->path) >= (int) sizeof(tmp))
        return aconn_error_set(err, ACONN_ERR_FATAL, "spool_path", NULL, "spool path too long");
    in = fopen(f->path, "re");
    if (in == NULL)
        return io_fail(err, "read", f->path);
    o.fp = fopen(tmp, "we");
    o.md5 = EVP_MD_CTX_new();
    if (o.fp == NULL) {
        st = io_fail(err, "create", tmp);
        goto cleanup;
    }
    if (o.md5 == NULL || EVP_DigestInit_ex2(o.md5, EVP_md5(), NULL) != 1) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        goto cleanup;
    }
    if (filter_lines(in, f->kind == TT_KIND_MULTI, set, &o) != 0) {
        st = io_fail(err, "rewrite", tmp);
        goto cleanup;
    }
    if (fclose(o.fp) != 0) {
        o.fp = NULL;
        st = io_fail(err, "write", tmp);
        goto cleanup;
    }
    o.fp = NULL;
    if (EVP_DigestFinal_ex(o.md5, digest, &dlen) != 1 || dlen != 16) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "MD5 failed");
        goto cleanup;
    }
    if (rename(tmp, f->path) != 0) {
        st = io_fail(err, "replace", f->path);
        goto cleanup;
    }
    f->bytes = o.bytes;
    f->lines = o.lines;
    tt_hex_encode(digest, 16, f->md5_hex);
    f->md5_hex[32] = '\0';
cleanup:
    if (o.fp != NULL)
        fclose(o.fp);
    if (st != ACONN_OK)
        (void) remove(tmp);
    EVP_MD_CTX_free(o.md5);
    fclose(in);
    return st;
}

aconn_status tt_spool_net_filter(tt_spool_file *files, size_t *n, const tt_optout *set,
                                 aconn_error *err)
{
    size_t kept = 0;

    for (size_t i = 0; i < *n; i++) {
        tt_spool_file *f = &files[i];

        if (f->op == TT_SPOOL_ADD) {
            aconn_status st = filter_file(f, set, err);
            if (st != ACONN_OK)
                return st;
            if (f->lines == 0) {
                /* Every identifier opted out: nothing to upload. */
                (void) remove(f->path);
                free(f->path);
                continue;
            }
        }
        files[kept++] = *f;
    }
    *n = kept;
    return ACONN_OK;
}
