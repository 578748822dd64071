/* test_spool.c - spool files: content, MD5, rollover, names, abort, errors. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <openssl/evp.h>

#include "delivery/tt_spool.h"

#define LINE 65

static char tmpdir[4096];

/* A fresh empty directory under TMPDIR for each test. */
static const char *fresh_dir(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmpdir, sizeof(tmpdir), "%s/tt_spool_XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
    return tmpdir;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[8192];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    closedir(d);
    rmdir(dir);
}

/* Reads a whole file; caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t) n + 1);
        if (buf != NULL && fread(buf, 1, (size_t) n, f) != (size_t) n) {
            free(buf);
            buf = NULL;
        } else if (buf != NULL) {
            buf[n] = '\0';
            *len = (size_t) n;
        }
    }
    fclose(f);
    return buf;
}

static void md5_hex(const char *data, size_t len, char out[33])
{
    unsigned char d[16];
    unsigned int n = 0;
    int i;

    CU_ASSERT_FATAL(EVP_Digest(data, len, d, &n, EVP_md5(), NULL) == 1);
    for (i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The i-th test identifier: the SHA-256 of "<salt>:<i>" in hex. */
static void ident(unsigned salt, unsigned i, char out[65])
{
    char s[64];
    unsigned char d[32];
    unsigned int n = 0;
    int k;

    snprintf(s, sizeof(s), "%u:%u", salt, i);
    CU_ASSERT_FATAL(EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL) == 1);
    for (k = 0; k < 32; k++)
        snprintf(out + 2 * k, 3, "%02x", d[k]);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Checks every file of a list against the disk and returns, per stream, the
   concatenated content in stream order (caller frees each). */
static void check_files(const tt_spool_files *files, uint64_t max_bytes,
                        char *content[TT_ID_TYPE_COUNT][2], size_t clen[TT_ID_TYPE_COUNT][2])
{
    size_t i;
    uint32_t expect_part[TT_ID_TYPE_COUNT][2];

    memset(expect_part, 0, sizeof(expect_part));
    for (i = 0; i < files->count; i++) {
        const tt_spool_file *f = &files->items[i];
        size_t len = 0;
        char *data = slurp(f->path, &len);
        char md5[33], name[256];
        char *grown;

        CU_ASSERT_PTR_NOT_NULL_FATAL(data);
        CU_ASSERT(ends_with(f->path, ".txt"));
        snprintf(name, sizeof(name), "/run7-%s-%s-%04u.txt", tt_id_type_slug(f->type),
                 tt_spool_op_name(f->op), (unsigned) f->part);
        CU_ASSERT(ends_with(f->path, name));
        CU_ASSERT_EQUAL(f->part, ++expect_part[f->type][f->op]);
        CU_ASSERT_EQUAL(len, f->bytes);
        CU_ASSERT(len <= max_bytes);
        CU_ASSERT(len > 0);
        CU_ASSERT_EQUAL(f->lines * LINE, f->bytes);
        md5_hex(data, len, md5);
        CU_ASSERT_STRING_EQUAL(f->md5_hex, md5);
        grown = realloc(content[f->type][f->op], clen[f->type][f->op] + len + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(grown);
        memcpy(grown + clen[f->type][f->op], data, len);
        clen[f->type][f->op] += len;
        grown[clen[f->type][f->op]] = '\0';
        content[f->type][f->op] = grown;
        free(data);
    }
}

static void test_content_md5_rollover(void)
{
    const char *dir = fresh_dir();
    const uint64_t max = LINE * 3 + 10;       /* three lines per file */
    const unsigned per_stream[TT_ID_TYPE_COUNT][2] = {{7, 3}, {1, 0}, {6, 2}, {4, 9}};
    char *content[TT_ID_TYPE_COUNT][2];
    size_t clen[TT_ID_TYPE_COUNT][2];
    tt_spool *sp = NULL;
    tt_spool_files files = {0};
    aconn_error err = {.struct_size = sizeof(err)};
    unsigned i, round, t, o, nfiles = 0;

    memset(content, 0, sizeof(content));
    memset(clen, 0, sizeof(clen));
    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", max, &sp, &err), ACONN_OK);
    /* Interleave the streams the way records arrive. */
    for (round = 0; round < 10; round++)
        for (t = 0; t < TT_ID_TYPE_COUNT; t++)
            for (o = 0; o < 2; o++)
                if (round < per_stream[t][o]) {
                    char hex[65];
                    ident(t * 10 + o, round, hex);
                    CU_ASSERT_EQUAL(tt_spool_add(sp, (tt_id_type) t, (tt_spool_op) o,
                                                 hex, &err), ACONN_OK);
                }
    CU_ASSERT_EQUAL_FATAL(tt_spool_finish(sp, &files, &err), ACONN_OK);

    for (t = 0; t < TT_ID_TYPE_COUNT; t++)
        for (o = 0; o < 2; o++)
            nfiles += (per_stream[t][o] + 2) / 3;
    CU_ASSERT_EQUAL(files.count, nfiles);
    CU_ASSERT_EQUAL(count_entries(dir), nfiles);
    check_files(&files, max, content, clen);

    for (t = 0; t < TT_ID_TYPE_COUNT; t++) {
        for (o = 0; o < 2; o++) {
            CU_ASSERT_EQUAL(clen[t][o], (size_t) per_stream[t][o] * LINE);
            for (i = 0; i < per_stream[t][o] && clen[t][o] >= (size_t) (i + 1) * LINE; i++) {
                char hex[65];
                ident(t * 10 + o, i, hex);
                CU_ASSERT(memcmp(content[t][o] + (size_t) i * LINE, hex, 64) == 0);
                CU_ASSERT(content[t][o][(size_t) i * LINE + 64] == '\n');
            }
            free(content[t][o]);
        }
    }
    tt_spool_files_remove(&files);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    tt_spool_files_free(&files);
    remove_dir(dir);
}

/* Exactly max_bytes fits; one byte less does not. */
static void test_rollover_boundary(void)
{
    const char *dir = fresh_dir();
    tt_spool *sp = NULL;
    tt_spool_files files = {0};
    aconn_error err = {.struct_size = sizeof(err)};
    char hex[65];
    unsigned i;

    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", LINE * 2, &sp, &err), ACONN_OK);
    for (i = 0; i < 5; i++) {
        ident(1, i, hex);
        CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_PHONE_SHA256, TT_SPOOL_REMOVE, hex, &err),
                        ACONN_OK);
    }
    CU_ASSERT_EQUAL_FATAL(tt_spool_finish(sp, &files, &err), ACONN_OK);
    CU_ASSERT_EQUAL(files.count, 3);
    if (files.count == 3) {
        CU_ASSERT_EQUAL(files.items[0].bytes, LINE * 2);
        CU_ASSERT_EQUAL(files.items[1].bytes, LINE * 2);
        CU_ASSERT_EQUAL(files.items[2].bytes, LINE);
        CU_ASSERT(ends_with(files.items[2].path, "/run7-phone_sha256-remove-0003.txt"));
    }
    tt_spool_files_remove(&files);
    tt_spool_files_free(&files);

    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", LINE * 2 - 1, &sp, &err), ACONN_OK);
    for (i = 0; i < 2; i++) {
        ident(1, i, hex);
        CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_PHONE_SHA256, TT_SPOOL_ADD, hex, &err),
                        ACONN_OK);
    }
    CU_ASSERT_EQUAL_FATAL(tt_spool_finish(sp, &files, &err), ACONN_OK);
    CU_ASSERT_EQUAL(files.count, 2);
    tt_spool_files_remove(&files);
    tt_spool_files_free(&files);
    remove_dir(dir);
}

/* What the on_full callback saw: each file's path and MD5 at that moment,
   and its content read from disk right then (the upload would read it). */
typedef struct full_seen {
    char path[8][512];
    char md5[8][33];
    char disk_md5[8][33];
    int n;
} full_seen;

static void on_full(void *ctx, const tt_spool_file *f)
{
    full_seen *seen = ctx;
    size_t len = 0;
    char *data = slurp(f->path, &len);

    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    if (seen->n < 8) {
        snprintf(seen->path[seen->n], sizeof(seen->path[0]), "%s", f->path);
        memcpy(seen->md5[seen->n], f->md5_hex, 33);
        md5_hex(data, len, seen->disk_md5[seen->n]);
    }
    seen->n++;
    free(data);
}

/* tt_spool_on_full: called once per file that reaches the limit while the
   spool goes on, complete on disk with its final MD5; never for the files
   tt_spool_finish() closes (they are uploaded by the apply). */
static void test_on_full_callback(void)
{
    const char *dir = fresh_dir();
    tt_spool *sp = NULL;
    tt_spool_files files = {0};
    aconn_error err = {.struct_size = sizeof(err)};
    full_seen seen;
    char hex[65];
    unsigned i;

    memset(&seen, 0, sizeof(seen));
    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", LINE * 2, &sp, &err), ACONN_OK);
    tt_spool_on_full(sp, on_full, &seen);
    /* 7 adds: files of 2, 2, 2, 1 lines; 1 remove: one file. */
    for (i = 0; i < 7; i++) {
        ident(3, i, hex);
        CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_EMAIL_SHA256, TT_SPOOL_ADD, hex, &err), ACONN_OK);
        /* Each full file is reported when the next line opens a new one. */
        CU_ASSERT_EQUAL(seen.n, i < 2 ? 0 : (int) (i / 2));
    }
    ident(4, 0, hex);
    CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_EMAIL_SHA256, TT_SPOOL_REMOVE, hex, &err), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(tt_spool_finish(sp, &files, &err), ACONN_OK);
    CU_ASSERT_EQUAL(seen.n, 3);
    CU_ASSERT_EQUAL_FATAL(files.count, 5);
    for (int k = 0; k < 3 && k < seen.n; k++) {
        CU_ASSERT_STRING_EQUAL(seen.path[k], files.items[k].path);
        CU_ASSERT_STRING_EQUAL(seen.md5[k], files.items[k].md5_hex);
        CU_ASSERT_STRING_EQUAL(seen.disk_md5[k], files.items[k].md5_hex);
    }
    tt_spool_files_remove(&files);
    tt_spool_files_free(&files);
    remove_dir(dir);
}

/* More than one write buffer into one file: MD5 must span the flushes. */
static void test_large_file_md5(void)
{
    const char *dir = fresh_dir();
    tt_spool *sp = NULL;
    tt_spool_files files = {0};
    aconn_error err = {.struct_size = sizeof(err)};
    const unsigned n = (3u * TT_SPOOL_BUFFER_BYTES) / LINE + 123;
    char hex[65], md5[33];
    unsigned i;

    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", 0, &sp, &err), ACONN_OK);
    for (i = 0; i < n; i++) {
        ident(9, i, hex);
        if (tt_spool_add(sp, TT_ID_GAID_SHA256, TT_SPOOL_ADD, hex, &err) != ACONN_OK) {
            CU_FAIL("add failed");
            break;
        }
    }
    CU_ASSERT_EQUAL_FATAL(tt_spool_finish(sp, &files, &err), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(files.count, 1);
    CU_ASSERT_EQUAL(files.items[0].lines, n);
    CU_ASSERT_EQUAL(files.items[0].type, TT_ID_GAID_SHA256);
    CU_ASSERT_EQUAL(files.items[0].op, TT_SPOOL_ADD);
    {
        size_t len = 0;
        char *data = slurp(files.items[0].path, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(data);
        CU_ASSERT_EQUAL(len, (size_t) n * LINE);
        md5_hex(data, len, md5);
        CU_ASSERT_STRING_EQUAL(files.items[0].md5_hex, md5);
        ident(9, n - 1, hex);
        CU_ASSERT(len == (size_t) n * LINE && memcmp(data + len - LINE, hex, 64) == 0);
        free(data);
    }
    tt_spool_files_remove(&files);
    tt_spool_files_free(&files);
    remove_dir(dir);
}

static void test_abort_removes_files(void)
{
    const char *dir = fresh_dir();
    tt_spool *sp = NULL;
    aconn_error err = {.struct_size = sizeof(err)};
    char hex[65];
    unsigned i;

    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", LINE * 2, &sp, &err), ACONN_OK);
    for (i = 0; i < 7; i++) {   /* closed files and open ones */
        ident(3, i, hex);
        CU_ASSERT_EQUAL(tt_spool_add(sp, (tt_id_type) (i % 2), TT_SPOOL_ADD, hex, &err),
                        ACONN_OK);
    }
    CU_ASSERT(count_entries(dir) >= 3);
    tt_spool_abort(sp);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    tt_spool_abort(NULL);
    remove_dir(dir);
}

static void test_empty_spool(void)
{
    const char *dir = fresh_dir();
    tt_spool *sp = NULL;
    tt_spool_files files = {.count = 7};
    aconn_error err = {.struct_size = sizeof(err)};

    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", 0, &sp, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_spool_finish(sp, &files, &err), ACONN_OK);
    CU_ASSERT_EQUAL(files.count, 0);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    tt_spool_files_free(&files);
    remove_dir(dir);
}

static void test_invalid_arguments(void)
{
    const char *dir = fresh_dir();
    tt_spool *sp = (tt_spool *) 1;
    aconn_error err = {.struct_size = sizeof(err)};
    char hex[65];

    CU_ASSERT_EQUAL(tt_spool_open(dir, "bad/prefix", 0, &sp, &err), ACONN_ERR_INVALID);
    CU_ASSERT_PTR_NULL(sp);
    CU_ASSERT_EQUAL(tt_spool_open(dir, "", 0, &sp, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(tt_spool_open(NULL, "ok", 0, &sp, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(tt_spool_open("", "ok", 0, &sp, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(tt_spool_open(dir, "ok", LINE - 1, &sp, &err), ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(tt_spool_open(dir, "ok", TT_SPOOL_MAX_FILE_BYTES + 1, &sp, &err),
                    ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(tt_spool_open("/nonexistent/tt-spool-dir", "ok", 0, &sp, &err),
                    ACONN_RETRY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "/nonexistent/tt-spool-dir"));

    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "ok", 0, &sp, &err), ACONN_OK);
    ident(0, 0, hex);
    CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_TYPE_COUNT, TT_SPOOL_ADD, hex, &err),
                    ACONN_ERR_INVALID);
    CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_EMAIL_SHA256, TT_SPOOL_OP_COUNT, hex, &err),
                    ACONN_ERR_INVALID);
    tt_spool_abort(sp);
    remove_dir(dir);
}

/* A file that cannot be created: the error names its path, nothing crashes,
   and the spool refuses further work until aborted. */
static void test_unwritable_target(void)
{
    const char *dir = fresh_dir();
    tt_spool *sp = NULL;
    tt_spool_files files = {0};
    aconn_error err = {.struct_size = sizeof(err)};
    char blocker[8192], hex[65];

    /* A directory where the first file should go: open(2) fails with EISDIR
       even for root, which chmod-based tests cannot guarantee. */
    snprintf(blocker, sizeof(blocker), "%s/run7-email_sha256-add-0001.txt", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(blocker, 0700), 0);
    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", 0, &sp, &err), ACONN_OK);
    ident(0, 1, hex);
    CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_EMAIL_SHA256, TT_SPOOL_ADD, hex, &err), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(err.code, "spool_io");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, blocker));
    CU_ASSERT_NOT_EQUAL(tt_spool_add(sp, TT_ID_PHONE_SHA256, TT_SPOOL_ADD, hex, &err), ACONN_OK);
    CU_ASSERT_NOT_EQUAL(tt_spool_finish(sp, &files, &err), ACONN_OK);
    CU_ASSERT_EQUAL(files.count, 0);
    CU_ASSERT_EQUAL(rmdir(blocker), 0);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    remove_dir(dir);
}

/* The spool directory disappears under a running spool. */
static void test_directory_removed(void)
{
    char dir[4096];
    tt_spool *sp = NULL;
    aconn_error err = {.struct_size = sizeof(err)};
    char hex[65];

    snprintf(dir, sizeof(dir), "%s", fresh_dir());
    CU_ASSERT_EQUAL_FATAL(tt_spool_open(dir, "run7", 0, &sp, &err), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(rmdir(dir), 0);
    ident(0, 2, hex);
    CU_ASSERT_EQUAL(tt_spool_add(sp, TT_ID_GAID_SHA256, TT_SPOOL_REMOVE, hex, &err), ACONN_RETRY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "run7-gaid_sha256-remove-0001.txt"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, dir));
    tt_spool_abort(sp);
}

/* A write that fails half-way (the file-size limit stands in for a full
   disk). Run in a child so the limit does not touch the test's own log. */
static void test_write_failure(void)
{
    const char *dir = fresh_dir();
    pid_t pid;
    int status = 0;

    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {100000, 100000};
        tt_spool *sp = NULL;
        tt_spool_files files = {0};
        aconn_error err = {.struct_size = sizeof(err)};
        char hex[65];
        unsigned i;
        aconn_status st = ACONN_OK;

        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        if (tt_spool_open(dir, "run7", 0, &sp, &err) != ACONN_OK)
            _exit(11);
        memset(hex, 'a', 64);
        for (i = 0; i < 40000 && st == ACONN_OK; i++)
            st = tt_spool_add(sp, TT_ID_IDFA_SHA256, TT_SPOOL_ADD, hex, &err);
        if (st == ACONN_OK)
            st = tt_spool_finish(sp, &files, &err);
        else
            tt_spool_abort(sp);
        if (st != ACONN_RETRY)
            _exit(12);
        if (strstr(err.message, "run7-idfa_sha256-add-0001.txt") == NULL
            || strcmp(err.code, "spool_io") != 0)
            _exit(13);
        _exit(0);
    }
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status));
    CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
    CU_ASSERT_EQUAL(count_entries(dir), 0);
    remove_dir(dir);
}

int main(void)
{
    CU_pSuite s;
    int rc;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("spool", NULL, NULL);
    if (s == NULL
        || CU_add_test(s, "content, md5, rollover", test_content_md5_rollover) == NULL
        || CU_add_test(s, "rollover boundary", test_rollover_boundary) == NULL
        || CU_add_test(s, "on_full callback", test_on_full_callback) == NULL
        || CU_add_test(s, "large file md5", test_large_file_md5) == NULL
        || CU_add_test(s, "abort removes files", test_abort_removes_files) == NULL
        || CU_add_test(s, "empty spool", test_empty_spool) == NULL
        || CU_add_test(s, "invalid arguments", test_invalid_arguments) == NULL
        || CU_add_test(s, "unwritable target", test_unwritable_target) == NULL
        || CU_add_test(s, "directory removed", test_directory_removed) == NULL
        || CU_add_test(s, "write failure", test_write_failure) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    rc = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return rc;
}
