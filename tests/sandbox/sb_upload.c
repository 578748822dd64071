/* sb_upload.c: dmp/custom_audience/file/upload/. The multipart body is
 * streamed through MHD's post processor straight to a file under the data
 * directory while its MD5 is computed incrementally, so a 50 MB upload
 * never sits in memory. Content rules are checked afterwards by reading
 * the file back line by line. */
#include "sb.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FIELD_MAX 256
#define LINE_MAX_BYTES 2048

struct sb_upload {
    sb_ctx *ctx;
    struct MHD_PostProcessor *pp;
    bool pp_failed;
    char advertiser_id[FIELD_MAX];
    char calculate_type[FIELD_MAX];
    char file_signature[FIELD_MAX];
    char name[FIELD_MAX];
    bool has_adv, has_calc, has_sig, field_too_long;
    /* the file part */
    bool has_file, second_file;
    char filename[FIELD_MAX];
    char *disk_path;
    int fd;
    bool io_error, too_large;
    uint64_t size;
    EVP_MD_CTX *md5;
};

static void append_field(char *dst, const char *data, size_t size, bool *too_long)
{
    size_t have = strlen(dst);

    if (have + size >= FIELD_MAX) {
        *too_long = true;
        return;
    }
    memcpy(dst + have, data, size);
    dst[have + size] = '\0';
}

static int open_file(sb_upload *u)
{
    size_t n = strlen(u->ctx->data_dir) + 32;

    u->disk_path = malloc(n);
    if (u->disk_path == NULL) {
        return -1;
    }
    snprintf(u->disk_path, n, "%s/upload-XXXXXX", u->ctx->data_dir);
    u->fd = mkstemp(u->disk_path);
    if (u->fd < 0) {
        free(u->disk_path);
        u->disk_path = NULL;
        return -1;
    }
    u->md5 = EVP_MD_CTX_new();
    if (u->md5 == NULL || EVP_DigestInit_ex(u->md5, EVP_md5(), NULL) != 1) {
        return -1;
    }
    return 0;
}

static void write_file(sb_upload *u, const char *data, size_t size)
{
    size_t done = 0;

    u->size += size;
    if (u->size > (uint64_t)SB_MAX_FILE_BYTES) {
        u->too_large = true;   /* keep draining, stop storing */
        return;
    }
    if (EVP_DigestUpdate(u->md5, data, size) != 1) {
        u->io_error = true;
        return;
    }
    while (done < size) {
        ssize_t w = write(u->fd, data + done, size - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            u->io_error = true;
            return;
        }
        done += (size_t)w;
    }
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data,
                               uint64_t off, size_t size)
{
    sb_upload *u = cls;

    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    if (strcmp(key, "file") == 0) {
        if (!u->has_file) {
            u->has_file = true;
            snprintf(u->filename, sizeof u->filename, "%s", filename != NULL ? filename : "");
            if (open_file(u) != 0) {
                u->io_error = true;
            }
        } else if (off == 0 && size > 0 && u->size > 0) {
            u->second_file = true;
        }
        if (!u->io_error && !u->second_file && size > 0) {
            write_file(u, data, size);
        }
        return MHD_YES;
    }
    if (strcmp(key, "advertiser_id") == 0) {
        u->has_adv = true;
        append_field(u->advertiser_id, data, size, &u->field_too_long);
    } else if (strcmp(key, "calculate_type") == 0) {
        u->has_calc = true;
        append_field(u->calculate_type, data, size, &u->field_too_long);
    } else if (strcmp(key, "file_signature") == 0) {
        u->has_sig = true;
        append_field(u->file_signature, data, size, &u->field_too_long);
    } else if (strcmp(key, "name") == 0) {
        append_field(u->name, data, size, &u->field_too_long);
    }
    return MHD_YES;
}

sb_upload *sb_upload_begin(sb_ctx *ctx, sb_req *req)
{
    sb_upload *u = calloc(1, sizeof *u);

    if (u == NULL) {
        return NULL;
    }
    u->ctx = ctx;
    u->fd = -1;
    u->pp = MHD_create_post_processor(req->conn, 64 * 1024, on_part, u);
    if (u->pp == NULL) {
        free(u);
        return NULL;
    }
    return u;
}

int sb_upload_feed(sb_upload *u, const char *data, size_t len)
{
    if (!u->pp_failed && MHD_post_process(u->pp, data, len) != MHD_YES) {
        u->pp_failed = true;
    }
    return 0;
}

void sb_upload_free(sb_upload *u)
{
    if (u == NULL) {
        return;
    }
    if (u->pp != NULL) {
        MHD_destroy_post_processor(u->pp);
    }
    if (u->fd >= 0) {
        close(u->fd);
    }
    if (u->disk_path != NULL) {
        unlink(u->disk_path);   /* still ours: not handed to the state */
        free(u->disk_path);
    }
    EVP_MD_CTX_free(u->md5);
    free(u);
}

/* ---- content rules ------------------------------------------------------------ */

/* Hex digit value + 1, 0 for anything else. A table, not tolower() per
   character: uploads of millions of digests spent nearly half the sandbox's
   CPU here (bench-e2e). */
static const uint8_t hexval1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
    ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Parses exactly 2*nbytes hex chars into key (zero-padded to 32). */
static bool parse_hex(const char *s, size_t len, size_t nbytes, uint8_t key[32])
{
    if (len != nbytes * 2) {
        return false;
    }
    memset(key, 0, 32);
    for (size_t i = 0; i < nbytes; i++) {
        uint8_t hi = hexval1[(unsigned char)s[2 * i]], lo = hexval1[(unsigned char)s[2 * i + 1]];
        if (hi == 0 || lo == 0) {
            return false;
        }
        key[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    return true;
}

/* MULTIPLE_TYPES headers are the Help Center's hashed ID names, matched
 * exactly (case included): TikTok documents only this spelling and does
 * not say whether it ignores case, so a connector that writes anything
 * else would be relying on luck. The clear-text headers (Email, Phone,
 * MAID) exist at TikTok but a connector must never upload clear text. */
static const struct {
    const char *name;
    int type;
} multi_cols[] = {
    {"Email_SHA256", SB_T_EMAIL_SHA256}, {"Phone_SHA256", SB_T_PHONE_SHA256},
    {"MAID_SHA256", SB_T_FIRST_SHA256}, {"MAID_MD5", SB_T_FIRST_MD5},
};
#define N_MULTI_COLS (sizeof multi_cols / sizeof multi_cols[0])

/* Type of header cell s[0..len), or 0 with why explaining the refusal. */
static int column_type(const char *s, size_t len, size_t lineno, size_t col,
                       char *why, size_t whylen)
{
    static const char *const clear[] = {"Email", "Phone", "MAID"};
    uint8_t key[32];

    for (size_t i = 0; i < N_MULTI_COLS; i++) {
        if (strlen(multi_cols[i].name) == len && memcmp(multi_cols[i].name, s, len) == 0) {
            return multi_cols[i].type;
        }
    }
    if (parse_hex(s, len, 32, key) || parse_hex(s, len, 16, key)) {
        snprintf(why, whylen, "line %zu: a MULTIPLE_TYPES file needs a header row naming "
                 "each column (Email_SHA256, Phone_SHA256, MAID_SHA256, MAID_MD5); "
                 "the first row holds data", lineno);
        return 0;
    }
    for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++) {
        if (strlen(clear[i]) == len && strncasecmp(clear[i], s, len) == 0) {
            snprintf(why, whylen, "line %zu, column %zu: header '%.*s' is a clear-text ID "
                     "column; upload hashed values under %s_%s", lineno, col, (int)len, s,
                     clear[i], i == 2 ? "SHA256 or MAID_MD5" : "SHA256");
            return 0;
        }
    }
    for (size_t i = 0; i < N_MULTI_COLS; i++) {
        if (strlen(multi_cols[i].name) == len && strncasecmp(multi_cols[i].name, s, len) == 0) {
            snprintf(why, whylen, "line %zu, column %zu: unknown header '%.*s'; headers are "
                     "case-sensitive, write %s", lineno, col, (int)len, s,
                     multi_cols[i].name);
            return 0;
        }
    }
    snprintf(why, whylen, "line %zu, column %zu: unknown header '%.*s'; a MULTIPLE_TYPES "
             "header names each column Email_SHA256, Phone_SHA256, MAID_SHA256 or MAID_MD5",
             lineno, col, (int)len > 64 ? 64 : (int)len, s);
    return 0;
}

#define MAX_COLS 32

/* Parsed members on their way into a set, a batch at a time
 * (sb_members_add_batch prefetches a batch's slots). into NULL: parse and
 * check only. */
typedef struct {
    sb_members *into;
    size_t n;
    uint8_t types[SB_MEMBERS_BATCH];
    uint8_t keys[SB_MEMBERS_BATCH][32];
} sink;

static int sink_flush(sink *k)
{
    int rc = 0;

    if (k->into != NULL && k->n > 0)
        rc = sb_members_add_batch(k->into, (const uint8_t (*)[32])k->keys, k->types, k->n);
    k->n = 0;
    return rc < 0 ? -1 : 0;
}

/* Parses one digest of type from s[0..len) into the batch: 1, 0 when it
 * is not one (nothing kept), -1 out of memory (why says so). */
static int sink_hex(sink *k, const char *s, size_t len, int type, char *why, size_t whylen)
{
    if (k->n == SB_MEMBERS_BATCH && sink_flush(k) != 0) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    if (!parse_hex(s, len, sb_idtype_len(type), k->keys[k->n])) {
        return 0;
    }
    k->types[k->n++] = (uint8_t)type;
    return 1;
}

/* Parses the header row into cols; 0 or -1 with why. */
static int parse_header(char *buf, size_t lineno, int cols[MAX_COLS], size_t *ncols,
                        char *why, size_t whylen)
{
    int seen[SB_T_COUNT] = {0};

    *ncols = 0;
    for (char *p = buf; ; ) {
        size_t n = strcspn(p, ",");
        int t = column_type(p, n, lineno, *ncols + 1, why, whylen);
        if (t == 0) {
            return -1;
        }
        if (*ncols == MAX_COLS || ++seen[t] > 3) {
            snprintf(why, whylen, "line %zu: header '%.*s' appears more than 3 times; each "
                     "header can appear at most 3 times in a file with multiple IDs",
                     lineno, (int)n, p);
            return -1;
        }
        cols[(*ncols)++] = t;
        if (p[n] == '\0') {
            return 0;
        }
        p += n + 1;
    }
}

/* One data row of a MULTIPLE_TYPES file; 0 or -1 with why. */
static int load_multi_row(char *buf, size_t lineno, const int cols[MAX_COLS], size_t ncols,
                          sink *into, char *why, size_t whylen)
{
    size_t c = 0;

    for (char *p = buf; ; c++) {
        size_t n = strcspn(p, ",");
        if (c >= ncols) {
            snprintf(why, whylen, "line %zu has more cells than the header's %zu columns",
                     lineno, ncols);
            return -1;
        }
        if (n > 0) {
            int got = sink_hex(into, p, n, cols[c], why, whylen);
            if (got == 0) {
                snprintf(why, whylen, "line %zu, column %zu is not a valid %s value "
                         "(expected %zu hex characters)", lineno, c + 1,
                         sb_idtype_name(cols[c]), sb_idtype_len(cols[c]) * 2);
            }
            if (got != 1) {
                return -1;
            }
        }
        if (p[n] == '\0') {
            return 0;
        }
        p += n + 1;
    }
}

/* One row of a single-type file: one digest. 0 or -1 with why. */
static int load_row(const char *buf, size_t len, size_t lineno, int calc_type, sink *into,
                    char *why, size_t whylen)
{
    int got = sink_hex(into, buf, len, calc_type, why, whylen);

    if (got == 0) {
        snprintf(why, whylen, "line %zu is not a valid %s value: expected one %zu-character "
                 "hex digest per line and no header row", lineno,
                 sb_idtype_name(calc_type), sb_idtype_len(calc_type) * 2);
    }
    return got == 1 ? 0 : -1;
}

int sb_file_load(const char *disk_path, int calc_type, sb_members *into,
                 size_t *lines, char *why, size_t whylen)
{
    FILE *f = fopen(disk_path, "r");
    sink *k = malloc(sizeof *k);
    char buf[LINE_MAX_BYTES];
    size_t lineno = 0, ncols = 0, rows = 0;
    int cols[MAX_COLS];
    int rc = -1;

    if (f == NULL || k == NULL) {
        snprintf(why, whylen, f == NULL ? "the uploaded file could not be read"
                                        : "out of memory");
        goto cleanup;
    }
    k->into = into;
    k->n = 0;
    while (fgets(buf, sizeof buf, f) != NULL) {
        size_t len = strlen(buf);
        lineno++;
        if (len == sizeof buf - 1 && buf[len - 1] != '\n' && !feof(f)) {
            snprintf(why, whylen, "line %zu is longer than %d bytes", lineno,
                     LINE_MAX_BYTES - 2);
            goto cleanup;
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
            buf[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        if (calc_type == SB_T_MULTIPLE && ncols == 0) {
            if (parse_header(buf, lineno, cols, &ncols, why, whylen) != 0) {
                goto cleanup;
            }
            continue;
        }
        if (calc_type == SB_T_MULTIPLE) {
            if (load_multi_row(buf, lineno, cols, ncols, k, why, whylen) != 0) {
                goto cleanup;
            }
            rows++;
            continue;
        }
        if (load_row(buf, len, lineno, calc_type, k, why, whylen) != 0) {
            goto cleanup;
        }
        rows++;
    }
    if (ferror(f)) {
        snprintf(why, whylen, "the uploaded file could not be read");
        goto cleanup;
    }
    if (calc_type == SB_T_MULTIPLE && ncols == 0) {
        snprintf(why, whylen, "line 1: a MULTIPLE_TYPES file needs a header row");
        goto cleanup;
    }
    if (sink_flush(k) != 0) {
        snprintf(why, whylen, "out of memory");
        goto cleanup;
    }
    if (lines != NULL) {
        *lines = rows;
    }
    rc = 0;
cleanup:
    if (f != NULL) {
        fclose(f);
    }
    free(k);
    return rc;
}

/* ---- the endpoint ---------------------------------------------------------------- */

static int register_file(sb_ctx *ctx, sb_upload *u, int calc, size_t rows, char *id_out)
{
    sb_state *st = &ctx->st;
    sb_file *f;

    if (st->n_files == st->cap_files) {
        size_t ncap = st->cap_files == 0 ? 32 : st->cap_files * 2;
        sb_file **n = realloc(st->files, ncap * sizeof *n);
        if (n == NULL) {
            return -1;
        }
        st->files = n;
        st->cap_files = ncap;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL) {
        return -1;
    }
    /* 16 opaque characters, sequential underneath so resets replay. */
    snprintf(id_out, SB_FILE_ID_LEN + 1, "%016llx",
             (unsigned long long)sb_splitmix64(++st->next_file ^ 0x5eedf11eULL));
    f->path_id = strdup(id_out);
    f->advertiser_id = strdup(u->advertiser_id);
    if (f->path_id == NULL || f->advertiser_id == NULL) {
        free(f->path_id);
        free(f->advertiser_id);
        free(f);
        return -1;
    }
    f->calculate_type = calc;
    f->disk_path = u->disk_path;
    u->disk_path = NULL;    /* the state owns it now */
    f->create_ms = sb_now_ms(ctx);
    f->lines = rows;
    f->bytes = u->size;
    st->files[st->n_files++] = f;
    return 0;
}

static bool good_suffix(const char *name)
{
    size_t n = strlen(name);

    return n > 4 && (strcmp(name + n - 4, ".csv") == 0 || strcmp(name + n - 4, ".txt") == 0);
}

/* The form itself and the advertiser_id: what can be judged before the
 * account is looked up. 0 ok, else the answer has been sent. */
static int sb_upload_check_form(sb_req *req, sb_upload *u)
{
    if (MHD_destroy_post_processor(u->pp) != MHD_YES || u->pp_failed) {
        u->pp = NULL;
        sb_fail(req, 40002, "The request body is not valid multipart/form-data.");
        return -1;
    }
    u->pp = NULL;
    if (u->field_too_long) {
        sb_fail(req, 40002, "A form field is longer than %d bytes.", FIELD_MAX - 1);
        return -1;
    }
    if (!u->has_adv || u->advertiser_id[0] == '\0') {
        sb_fail(req, 40002, "advertiser_id: Missing data for required field.");
        return -1;
    }
    if (!sb_is_id(u->advertiser_id)) {
        sb_fail(req, 40002, "advertiser_id: Not a valid ID (expected a numeric string).");
        return -1;
    }
    return 0;
}

/* The other fields and the stored file's size, in TikTok's order.
 * The calculate_type, or 0 when the answer has been sent. */
static int sb_upload_check_fields(sb_req *req, const sb_upload *u)
{
    int calc;

    if (!u->has_file) {
        sb_fail(req, 40002, "file: Missing data for required field.");
        return 0;
    }
    if (!u->has_sig || u->file_signature[0] == '\0') {
        sb_fail(req, 40002, "file_signature: Missing data for required field.");
        return 0;
    }
    if (!u->has_calc || u->calculate_type[0] == '\0') {
        sb_fail(req, 40002, "calculate_type: Missing data for required field.");
        return 0;
    }
    calc = sb_idtype_parse_upload(u->calculate_type);
    if (calc == 0) {
        sb_fail(req, 40909, "calculate_type: unsupported value '%.64s'; must be one of %s.",
                u->calculate_type, sb_idtype_upload_enum());
        return 0;
    }
    if (u->second_file) {
        sb_fail(req, 40002, "file: send exactly one file per upload.");
        return 0;
    }
    if (!good_suffix(u->filename)) {
        sb_fail(req, 40908, "file: unsupported file type '%.64s'; the file name must end "
                "exactly in .csv or .txt.", u->filename);
        return 0;
    }
    if (u->io_error) {
        sb_fail(req, 50000, "System error: the file could not be stored.");
        return 0;
    }
    if (u->size == 0) {
        sb_fail(req, 40906, "file: the file is empty.");
        return 0;
    }
    if (u->too_large) {
        sb_fail(req, 40907, "file: the file is larger than the 50 MB limit; split it.");
        return 0;
    }
    return calc;
}

/* The MD5 digested while the file streamed in against file_signature.
 * 0 ok, else the answer has been sent. */
static int sb_upload_check_md5(sb_req *req, sb_upload *u)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[EVP_MAX_MD_SIZE * 2 + 1];

    if (EVP_DigestFinal_ex(u->md5, md, &mdlen) != 1) {
        sb_fail(req, 50000, "System error: digest failed.");
        return -1;
    }
    for (unsigned i = 0; i < mdlen; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    if (strcasecmp(hex, u->file_signature) != 0) {
        sb_fail(req, 40900, "file_signature: the signature does not match the file's MD5; "
                "send the lower-case hex MD5 of the exact file bytes.");
        return -1;
    }
    return 0;
}

void sb_h_upload(sb_ctx *ctx, sb_req *req)
{
    sb_upload *u = req->upload;
    char why[256], id[SB_FILE_ID_LEN + 1];
    int calc;
    size_t rows = 0;
    bool denied;
    json_object *data;

    if (sb_upload_check_form(req, u) != 0) {
        return;
    }
    /* Permission before content, as TikTok checks the account first. */
    pthread_mutex_lock(&ctx->lock);
    denied = sb_require_adv(ctx, req, u->advertiser_id, true) != 0;
    pthread_mutex_unlock(&ctx->lock);
    if (denied) {
        return;
    }
    calc = sb_upload_check_fields(req, u);
    if (calc == 0 || sb_upload_check_md5(req, u) != 0) {
        return;
    }
    close(u->fd);
    u->fd = -1;
    /* Content is read outside the lock: a 50 MB file must not stall
     * every other request. */
    if (sb_file_load(u->disk_path, calc, NULL, &rows, why, sizeof why) != 0) {
        sb_fail(req, 40914, "file: invalid file content: %s.", why);
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    if (register_file(ctx, u, calc, rows, id) != 0) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto cleanup;
    }
    data = json_object_new_object();
    json_object_object_add(data, "file_path", json_object_new_string(id));
    sb_ok(req, data);
cleanup:
    pthread_mutex_unlock(&ctx->lock);
}
