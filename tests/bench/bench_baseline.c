/* bench_baseline.c - read the dataset; upload the spool bytes with curl. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bench_baseline.h"
#include "bench_proc.h"
#include "bench_util.h"

enum { BLOCK = 1 << 20, LINE = 65 };

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void hex64(char *l, uint64_t *seed)
{
    static const char hex[] = "0123456789abcdef";

    for (int w = 0; w < 4; w++) {
        uint64_t x = splitmix64(seed);
        for (int j = 0; j < 16; j++)
            l[w * 16 + j] = hex[(x >> (60 - 4 * j)) & 0xf];
    }
}

/*
 * `lines` rows of random SHA-256 hex; MD5 of exactly what is written. A
 * single-type file is 65-byte lines. A MULTIPLE_TYPES file (multi) starts
 * with the header the plugin writes for two columns and mixes one-cell rows
 * ("h,\n", 66 bytes) and two-cell rows ("h,h\n", 130 bytes) so the file has
 * the report's lines and, within 64 bytes, its size: the sandbox parses and
 * stores about what it does for the plugin's file.
 */
static int write_hex_file(const char *path, uint64_t lines, uint64_t bytes, int multi,
                          uint64_t seed, char md5[33])
{
    static const char header[] = "Email_SHA256,Phone_SHA256\n";
    const size_t hlen = sizeof(header) - 1;
    char *buf = malloc((size_t) BLOCK + 256);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    FILE *f = fopen(path, "wb");
    uint64_t two = 0, row = 0;
    size_t used = 0;
    int rc = -1;

    if (buf == NULL || md == NULL || f == NULL || EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1)
        goto cleanup;
    if (multi) {
        memcpy(buf, header, hlen);
        used = hlen;
        if (bytes > hlen + 66 * lines)
            two = (bytes - hlen - 66 * lines) / 64;
        if (two > lines)
            two = lines;
    }
    for (row = 0; row <= lines; row++) {
        if (used > BLOCK || row == lines) {
            if (fwrite(buf, 1, used, f) != used || EVP_DigestUpdate(md, buf, used) != 1)
                goto cleanup;
            used = 0;
        }
        if (row == lines)
            break;
        hex64(buf + used, &seed);
        used += 64;
        if (multi) {
            buf[used++] = ',';
            if (row < two) {
                hex64(buf + used, &seed);
                used += 64;
            }
        }
        buf[used++] = '\n';
    }
    if (EVP_DigestFinal_ex(md, dig, &dlen) != 1 || dlen != 16)
        goto cleanup;
    for (unsigned i = 0; i < 16; i++)
        sprintf(md5 + 2 * i, "%02x", dig[i]);
    rc = 0;
cleanup:
    if (f != NULL && fclose(f) != 0)
        rc = -1;
    EVP_MD_CTX_free(md);
    free(buf);
    return rc;
}

int bench_baseline_make_files(json_object *files, const char *dir, const char *tag,
                              bench_bfile **out, size_t *n)
{
    size_t count = json_object_array_length(files);
    bench_bfile *bf = calloc(count ? count : 1, sizeof(*bf));

    *out = NULL;
    *n = 0;
    if (bf == NULL)
        return -1;
    for (size_t i = 0; i < count; i++) {
        json_object *f = json_object_array_get_idx(files, i), *lines, *bytes, *type;
        if (!json_object_object_get_ex(f, "lines", &lines)
            || !json_object_object_get_ex(f, "bytes", &bytes)
            || !json_object_object_get_ex(f, "type", &type)
            || json_object_get_int64(lines) < 0 || json_object_get_int64(bytes) < 0
            || (strcmp(json_object_get_string(type), "MULTIPLE_TYPES") != 0
                && json_object_get_int64(bytes) != json_object_get_int64(lines) * LINE)
            || strlen(json_object_get_string(type)) >= sizeof(bf[i].calculate_type)) {
            fprintf(stderr, "bench: a spool file in the report is neither 65-byte lines "
                    "nor MULTIPLE_TYPES\n");
            free(bf);
            return -1;
        }
        snprintf(bf[i].path, sizeof(bf[i].path), "%s/baseline-%s%02zu.txt", dir, tag,
                 i + 1);
        strcpy(bf[i].calculate_type, json_object_get_string(type));
        if (write_hex_file(bf[i].path, (uint64_t) json_object_get_int64(lines),
                           (uint64_t) json_object_get_int64(bytes),
                           strcmp(bf[i].calculate_type, "MULTIPLE_TYPES") == 0, 1000 + i,
                           bf[i].md5) != 0) {
            fprintf(stderr, "bench: cannot write %s: %s\n", bf[i].path, strerror(errno));
            free(bf);
            return -1;
        }
    }
    *out = bf;
    *n = count;
    return 0;
}

double bench_baseline_read(const char *path, unsigned long long *lines)
{
    char *buf = malloc(BLOCK);
    double t0 = bench_now(), t = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *lines = 0;
    if (buf == NULL || fd < 0)
        goto cleanup;
    for (;;) {
        ssize_t r = read(fd, buf, BLOCK);
        const char *p = buf, *end;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto cleanup;
        if (r == 0)
            break;
        end = buf + r;
        while ((p = memchr(p, '\n', (size_t) (end - p))) != NULL) {
            (*lines)++;
            p++;
        }
    }
    t = bench_now() - t0;
cleanup:
    if (fd >= 0)
        close(fd);
    free(buf);
    return t;
}

/* Hashes every "value":"..." string of buf[0..len) that ends in it; returns
   the offset up to which buf was consumed (a value cut by the block's end
   is left for the next block). */
static size_t hash_values(const char *buf, size_t len, EVP_MD_CTX *ctx, const EVP_MD *md,
                          unsigned long long *values)
{
    static const char key[] = "\"value\":\"";
    const size_t klen = sizeof(key) - 1;
    const char *p = buf, *end = buf + len, *q, *close;
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned dlen;

    while ((q = memchr(p, '"', (size_t) (end - p))) != NULL) {
        if ((size_t) (end - q) < klen + 1)
            return (size_t) (q - buf);
        if (memcmp(q, key, klen) != 0) {
            p = q + 1;
            continue;
        }
        close = memchr(q + klen, '"', (size_t) (end - q - klen));
        if (close == NULL)
            return (size_t) (q - buf);
        if (EVP_DigestInit_ex(ctx, md, NULL) == 1)
            EVP_DigestUpdate(ctx, q + klen, (size_t) (close - q - klen));
        EVP_DigestFinal_ex(ctx, dig, &dlen);
        (*values)++;
        p = close + 1;
    }
    return len;
}

double bench_baseline_read_hash(const char *path, unsigned long long *values)
{
    char *buf = malloc((size_t) BLOCK * 2);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    double t0 = bench_now(), t = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t keep = 0;

    *values = 0;
    if (buf == NULL || ctx == NULL || md == NULL || fd < 0)
        goto cleanup;
    for (;;) {
        ssize_t r = read(fd, buf + keep, BLOCK);
        size_t used;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto cleanup;
        if (r == 0)
            break;
        used = hash_values(buf, keep + (size_t) r, ctx, md, values);
        keep = keep + (size_t) r - used;
        if (keep > BLOCK)
            keep = 0;                  /* no value is that long: drop it */
        memmove(buf, buf + used, keep);
    }
    t = bench_now() - t0;
cleanup:
    if (fd >= 0)
        close(fd);
    EVP_MD_free(md);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return t;
}

/* Argument strings of one curl command, all owned. */
typedef struct argbuf {
    char **v;
    size_t n, cap;
} argbuf;

static int arg_add(argbuf *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        char **bigger = realloc(a->v, cap * sizeof(*bigger));
        if (bigger == NULL)
            return -1;
        a->v = bigger;
        a->cap = cap;
    }
    if ((a->v[a->n] = strdup(s)) == NULL)
        return -1;
    a->v[++a->n] = NULL;
    return 0;
}

static void arg_free(argbuf *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof(*a));
}

static int build_curl(argbuf *a, const char *curl, const char *url, const char *hdr,
                      const char *account, const bench_bfile *files, size_t nfiles,
                      const char *dir, int acct_index)
{
    char tmp[700];

    if (arg_add(a, curl) != 0)
        return -1;
    for (size_t i = 0; i < nfiles; i++) {
        if (i > 0 && arg_add(a, "--next") != 0)
            return -1;
        if (arg_add(a, "-sS") != 0 || arg_add(a, "--max-time") != 0 || arg_add(a, "600") != 0
            || arg_add(a, "-H") != 0 || arg_add(a, "Expect:") != 0)
            return -1;
        snprintf(tmp, sizeof(tmp), "@%s", hdr);
        if (arg_add(a, "-H") != 0 || arg_add(a, tmp) != 0)
            return -1;
        snprintf(tmp, sizeof(tmp), "advertiser_id=%s", account);
        if (arg_add(a, "-F") != 0 || arg_add(a, tmp) != 0)
            return -1;
        snprintf(tmp, sizeof(tmp), "calculate_type=%s", files[i].calculate_type);
        if (arg_add(a, "-F") != 0 || arg_add(a, tmp) != 0)
            return -1;
        snprintf(tmp, sizeof(tmp), "file_signature=%s", files[i].md5);
        if (arg_add(a, "-F") != 0 || arg_add(a, tmp) != 0)
            return -1;
        snprintf(tmp, sizeof(tmp), "file=@%s", files[i].path);
        if (arg_add(a, "-F") != 0 || arg_add(a, tmp) != 0)
            return -1;
        snprintf(tmp, sizeof(tmp), "%s/answer-%d-%02zu.json", dir, acct_index, i + 1);
        if (arg_add(a, "-o") != 0 || arg_add(a, tmp) != 0 || arg_add(a, url) != 0)
            return -1;
    }
    return 0;
}

/* Every answer file says code 0. */
static int answers_ok(const char *dir, int naccounts, size_t nfiles)
{
    char path[700];

    for (int a = 0; a < naccounts; a++) {
        for (size_t i = 0; i < nfiles; i++) {
            json_object *ans, *code;
            int ok;
            snprintf(path, sizeof(path), "%s/answer-%d-%02zu.json", dir, a, i + 1);
            ans = json_object_from_file(path);
            ok = ans != NULL && json_object_object_get_ex(ans, "code", &code)
                 && json_object_get_int(code) == 0;
            json_object_put(ans);
            if (!ok) {
                fprintf(stderr, "bench: baseline upload %s was not accepted\n", path);
                return -1;
            }
        }
    }
    return 0;
}

double bench_baseline_upload(const char *curl, const char *base_url, const char *hdr_path,
                             char (*accounts)[32], int naccounts, const bench_bfile *files,
                             size_t nfiles, const char *dir)
{
    char url[256], log[700];
    argbuf args[16] = {{0}};
    pid_t pids[16];
    double t0, t = -1;
    int started = 0, failed = 0;

    if (naccounts < 1 || naccounts > 16)
        return -1;
    snprintf(url, sizeof(url), "%s/open_api/v1.3/dmp/custom_audience/file/upload/", base_url);
    snprintf(log, sizeof(log), "%s/curl.log", dir);
    for (int a = 0; a < naccounts; a++) {
        if (build_curl(&args[a], curl, url, hdr_path, accounts[a], files, nfiles, dir, a) != 0)
            goto cleanup;
    }
    t0 = bench_now();
    for (; started < naccounts; started++) {
        pids[started] = bench_proc_start((const char *const *) args[started].v, log, NULL);
        if (pids[started] < 0)
            break;
    }
    for (int a = 0; a < started; a++) {
        bench_proc_result res;
        if (bench_proc_wait(pids[a], t0, 1800, &res) != 0 || res.exit_code != 0) {
            fprintf(stderr, "bench: curl for account %d failed; see %s\n", a, log);
            failed = 1;
        }
    }
    if (started == naccounts && !failed) {
        t = bench_now() - t0;
        if (answers_ok(dir, naccounts, nfiles) != 0)
            t = -1;
    }
cleanup:
    for (int a = 0; a < naccounts; a++)
        arg_free(&args[a]);
    return t;
}
