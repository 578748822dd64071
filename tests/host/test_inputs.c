/*
 * test_inputs.c - inputs that cannot be silently mis-read (issue 17):
 * records the reader cannot keep faithfully are counted rejects, never
 * guessed; a rewritten, truncated or replaced dataset is told apart from
 * an append by the checkpoint's fingerprint; non-regular files are refused
 * without blocking. Real files in a temporary directory.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ch_dataset.h"
#include "ch_fprint.h"
#include "ch_report.h"
#include "ch_state.h"
#include "test_util.h"
#include "ts_cunit.h"

static char *test_dir;

static int suite_init(void)
{
    test_dir = test_tmpdir("inputs");
    return test_dir != NULL ? 0 : -1;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    return 0;
}

typedef struct seen {
    uint64_t line[64];
    char reason[64][32];
    char detail[64][160];
    size_t n;
} seen;

static void on_reject(void *ctx, uint64_t line, const char *reason, const char *detail)
{
    seen *s = ctx;

    if (s->n < 64) {
        s->line[s->n] = line;
        snprintf(s->reason[s->n], sizeof(s->reason[0]), "%s", reason);
        snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", detail);
        s->n++;
    }
}

/* Each line with the reason it must be refused for; NULL: delivered. */
static const struct { const char *line; const char *reason; } strict_cases[] = {
    { "{\"e\":{\"value\":\"a\"},\"_OP\":\"remove\"}", "reserved_key" },
    { "{\"e\":{\"value\":\"a\"},\"_Op\":\"remove\"}", "reserved_key" },
    { "{\"e\":{\"value\":\"a\"},\"_op \":\"remove\"}", "reserved_key" },
    { "{\"e\":{\"value\":\"a\"},\"_opp\":\"remove\"}", "reserved_key" },
    { "{\"e\":{\"value\":\"A\"},\"e\":{\"value\":\"B\"}}", "duplicate_key" },
    { "{\"e\":{\"value\":\"A\",\"value\":\"B\"}}", "duplicate_key" },
    { "{\"e\":{\"value\":\"a\"},\"_op\":\"add\",\"_op\":\"remove\"}", "duplicate_key" },
    { "{\"sha256_hashed_email\\u0000zz\":{\"value\":\"a\"}}", "nul_character" },
    { "{\"e\":{\"value\":\"a\\u0000\"}}", "nul_character" },
    { "{\"e\":{\"value\":\"\\ud800\"}}", "lone_surrogate" },
    { "{\"e\":{\"value\":\"\\udc00x\"}}", "lone_surrogate" },
    { "{\"e\":{\"value\":\"\\ud800\\u0041\"}}", "lone_surrogate" },
    { "{\"e\":{\"value\":\"a\"},\"x\":NaN}", "invalid_json" },
    { "{\"e\":{\"value\":\"a\"},\"x\":-Infinity}", "invalid_json" },
    { "{\"e\":{\"value\":\"a\"},\"x\":01}", "invalid_json" },
    { "{\"e\":{\"value\":\"a\"},\"x\":1.}", "invalid_json" },
    { "{\"e\":{\"value\":\"a\"},\"x\":1.e2}", "invalid_json" },
    { "{\"e\":{\"value\":\"a\tb\"}}", "control_character" },
    { "{\"e\":{\"value\":\"\xed\xa0\x80\"}}", "invalid_utf8" },
    { "{\"e\":{\"value\":\"\xe0\x80\xaf\"}}", "invalid_utf8" },
    { "null", "not_object" },
    { "{\"e\":{\"value\":\"\\ud83d\\ude00\",\"type\":null},\"f\":[{\"value\":\"-0 1.5e3\"}]}",
      NULL },
    { "{\"e\":{\"value\":\"b\"},\"_op\":\"remove\"}", NULL },
};

static void write_strict_file(const char *path)
{
    FILE *f = fopen(path, "wb");
    size_t i;

    CU_ASSERT_FATAL(f != NULL);
    for (i = 0; i < sizeof(strict_cases) / sizeof(strict_cases[0]); i++)
        fprintf(f, "%s\n", strict_cases[i].line);
    /* A raw NUL byte inside a string. */
    fwrite("{\"e\":{\"value\":\"a\0b\"}}\n", 1, 22, f);
    /* Nested 40 levels: valid JSON, deeper than the documented 32. */
    fputs("{\"e\":{\"value\":\"a\"},\"x\":", f);
    for (i = 0; i < 40; i++)
        fputc('[', f);
    for (i = 0; i < 40; i++)
        fputc(']', f);
    fputs("}\n", f);
    /* A CRLF line of exactly 1 MiB before its CR: within the limit. */
    fputs("{\"e\":{\"value\":\"", f);
    for (i = 0; i < CH_LINE_MAX - 18; i++)
        fputc('x', f);
    fputs("\"}}\r\n", f);
    CU_ASSERT_FATAL(fclose(f) == 0);
}

static void test_strict_records(void)
{
    char path[4096], err[512] = "";
    ch_dataset *ds = NULL;
    const aconn_record *const *recs = NULL;
    size_t n = 0, i, ncases = sizeof(strict_cases) / sizeof(strict_cases[0]), k = 0;
    uint64_t got[8] = { 0 };
    uint32_t ops[8] = { 0 };
    size_t ngot = 0;
    seen s;

    memset(&s, 0, sizeof(s));
    snprintf(path, sizeof(path), "%s/strict.jsonl", test_dir);
    write_strict_file(path);
    CU_ASSERT_FATAL(ch_dataset_open(path, &ds, err, sizeof(err)) == 0);
    ch_dataset_on_reject(ds, on_reject, &s);
    do {
        CU_ASSERT_FATAL(ch_dataset_next_chunk(ds, UINT64_MAX, &recs, &n, err,
                                              sizeof(err)) == 0);
        for (i = 0; i < n && ngot < 8; i++, ngot++) {
            got[ngot] = recs[i]->seq;
            ops[ngot] = recs[i]->op;
        }
    } while (n > 0);
    ch_dataset_close(ds);
    for (i = 0; i < ncases; i++) {
        if (strict_cases[i].reason == NULL)
            continue;
        CU_ASSERT(k < s.n && s.line[k] == i + 1
                  && strcmp(s.reason[k], strict_cases[i].reason) == 0);
        if (k >= s.n || s.line[k] != i + 1 || strcmp(s.reason[k], strict_cases[i].reason))
            fprintf(stderr, "line %zu: want %s, got %s\n", i + 1, strict_cases[i].reason,
                    k < s.n ? s.reason[k] : "(none)");
        k++;
    }
    CU_ASSERT_EQUAL(s.n, k + 2);       /* + the raw NUL and the deep line */

    if (s.n == k + 2) {
        CU_ASSERT_STRING_EQUAL(s.reason[k], "nul_character");
        CU_ASSERT_STRING_EQUAL(s.reason[k + 1], "too_deep");
    }
    /* The reject of a misspelt _op names the key. */
    CU_ASSERT_PTR_NOT_NULL(strstr(s.detail[0], "\"_OP\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.detail[2], "\"_op \""));
    /* Delivered: the two good lines (the second a removal) and the 1 MiB
       CRLF line; never a misspelt opt-out as an add. */
    CU_ASSERT_EQUAL(ngot, 3);
    CU_ASSERT_EQUAL(got[0], ncases - 1);
    CU_ASSERT_EQUAL(got[1], ncases);
    CU_ASSERT_EQUAL(ops[1], ACONN_RECORD_REMOVE);
    CU_ASSERT_EQUAL(got[2], ncases + 3);
}

static void test_not_regular(void)
{
    char path[4096], err[512] = "";
    ch_dataset *ds = NULL;
    time_t t0 = time(NULL);

    snprintf(path, sizeof(path), "%s/fifo", test_dir);
    CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
    /* Would block forever in open() without O_NONBLOCK. */
    CU_ASSERT_EQUAL(ch_dataset_open(path, &ds, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "FIFO"));
    CU_ASSERT(time(NULL) - t0 < 5);
    CU_ASSERT_EQUAL(ch_dataset_open(test_dir, &ds, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "directory"));
    CU_ASSERT_EQUAL(ch_dataset_open("/dev/null", &ds, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "device"));
}

static void write_rows(const char *path, int from, int to, const char *tag)
{
    FILE *f = fopen(path, "wb");

    CU_ASSERT_FATAL(f != NULL);
    for (int i = from; i <= to; i++)
        fprintf(f, "{\"e\":{\"value\":\"%s%08d\"}}\n", tag, i);
    CU_ASSERT_FATAL(fclose(f) == 0);
}

/* A connection that delivered the first `lines` lines of path. */
static void connection_at(ch_connection *c, char *path, uint64_t lines)
{
    ch_dataset_counts n;
    char err[512] = "";

    memset(c, 0, sizeof(*c));
    c->id = (char *) "c_test";
    c->dataset_path = path;
    c->delivered_through = lines;
    CU_ASSERT_FATAL(ch_dataset_count(path, 0, &n, err, sizeof(err)) == 0);
    CU_ASSERT_FATAL(n.lines == lines);
    CU_ASSERT_FATAL(ch_fprint_make_path(path, lines, n.end_bytes, &c->fp, err,
                                        sizeof(err)) == 0);
}

/* Checks c against the file now; returns what changed or NULL. */
static const char *recheck(const ch_connection *c, uint64_t *end, int *refused)
{
    const char *changed = NULL;
    json_object *report = NULL;
    char err[1024] = "";
    int r = ch_fprint_before_run(c, 0, end, &changed, &report, err, sizeof(err));

    CU_ASSERT(r == 0 || r == 1);
    *refused = r == 1;
    if (r == 1) {
        json_object *e, *m, *st;
        CU_ASSERT_FATAL(report != NULL);
        CU_ASSERT(json_object_object_get_ex(report, "status", &st)
                  && strcmp(json_object_get_string(st), "dataset_changed") == 0);
        CU_ASSERT(json_object_object_get_ex(report, "error", &e)
                  && json_object_object_get_ex(e, "message", &m));
        CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(m), "c_test"));
        CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(m), "--resync"));
    }
    json_object_put(report);
    return changed;
}

static void test_fingerprint_small(void)
{
    char path[4096], other[4096], link[4096];
    ch_connection c;
    uint64_t end = 0;
    int refused;
    FILE *f;

    snprintf(path, sizeof(path), "%s/fp.jsonl", test_dir);
    write_rows(path, 1, 100, "a");
    connection_at(&c, path, 100);
    /* Unchanged, then appended to (with an incomplete last line): fine. */
    CU_ASSERT_PTR_NULL(recheck(&c, &end, &refused));
    CU_ASSERT_EQUAL(end, 100);
    CU_ASSERT_FATAL(test_append_file(path, "{\"e\":{\"value\":\"n1\"}}\n{\"e\":") == 0);
    CU_ASSERT_PTR_NULL(recheck(&c, &end, &refused));
    CU_ASSERT_EQUAL(end, 101);
    CU_ASSERT(!refused);
    /* A larger, different file written over it (same inode). */
    write_rows(path, 1, 150, "b");
    CU_ASSERT_PTR_NOT_NULL(recheck(&c, &end, &refused));
    CU_ASSERT(refused);
    /* Same size, same line lengths, one covered line changed. */
    write_rows(path, 1, 100, "a");
    connection_at(&c, path, 100);
    f = fopen(path, "r+b");
    CU_ASSERT_FATAL(f != NULL && fseek(f, 60 * 32 + 20, SEEK_SET) == 0);
    fputc('z', f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(recheck(&c, &end, &refused));
    CU_ASSERT(refused);
    /* Truncated. */
    write_rows(path, 1, 100, "a");
    connection_at(&c, path, 100);
    CU_ASSERT_FATAL(truncate(path, 50 * 32) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(recheck(&c, &end, &refused), "shorter"));
    /* Replaced by another inode with the same content. */
    write_rows(path, 1, 100, "a");
    connection_at(&c, path, 100);
    snprintf(other, sizeof(other), "%s/fp2.jsonl", test_dir);
    write_rows(other, 1, 100, "a");
    CU_ASSERT_FATAL(rename(other, path) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(recheck(&c, &end, &refused), "another file"));
    /* A symlink rotated to another export. */
    snprintf(link, sizeof(link), "%s/current.jsonl", test_dir);
    CU_ASSERT_FATAL(symlink(path, link) == 0);
    connection_at(&c, link, 100);
    write_rows(other, 1, 120, "a");
    CU_ASSERT_FATAL(unlink(link) == 0 && symlink(other, link) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(recheck(&c, &end, &refused), "another file"));
}

static void test_fingerprint_large(void)
{
    char path[4096];
    ch_connection c;
    uint64_t end = 0;
    int refused;
    FILE *f;
    ch_dataset_counts n;
    char err[256];

    /* 200,000 lines of 32 bytes: 6.4 MB, over CH_FPRINT_FULL: sampled. */
    snprintf(path, sizeof(path), "%s/big.jsonl", test_dir);
    write_rows(path, 1, 200000, "a");
    connection_at(&c, path, 200000);
    CU_ASSERT(c.fp.bytes > CH_FPRINT_FULL);
    CU_ASSERT_PTR_NULL(recheck(&c, &end, &refused));
    /* The last covered line changed in place: always sampled. */
    f = fopen(path, "r+b");
    CU_ASSERT_FATAL(f != NULL && fseek(f, -10, SEEK_END) == 0);
    fputc('z', f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(recheck(&c, &end, &refused));
    /* A line break moved anywhere in the covered part: counted. */
    write_rows(path, 1, 200000, "a");
    connection_at(&c, path, 200000);
    f = fopen(path, "r+b");
    /* Rows are 28 bytes: this is the '\n' of line 3334, far from every
       sample, so only the line break count can see it. */
    CU_ASSERT_FATAL(f != NULL && fseek(f, 3333 * 28 + 27, SEEK_SET) == 0);
    CU_ASSERT_EQUAL(fgetc(f), '\n');
    CU_ASSERT_FATAL(fseek(f, 3333 * 28 + 27, SEEK_SET) == 0);
    fputc(' ', f);
    fclose(f);
    CU_ASSERT_FATAL(ch_dataset_count(path, c.fp.bytes, &n, err, sizeof(err)) == 0);
    CU_ASSERT_PTR_NOT_NULL(recheck(&c, &end, &refused));
}

/* Three identifiers of one line rejected for one reason: the line once. */
static void test_first_lines_once(void)
{
    ch_rejects r;
    json_object *o;

    memset(&r, 0, sizeof(r));
    ch_rejects_add(&r, "not_hex", 7);
    ch_rejects_add(&r, "not_hex", 7);
    ch_rejects_add(&r, "not_hex", 7);
    ch_rejects_add(&r, "not_hex", 9);
    o = ch_rejects_json(&r);
    CU_ASSERT_FATAL(o != NULL);
    CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                           "{\"total\":4,\"by_reason\":{\"not_hex\":{\"count\":4,"
                           "\"first_lines\":[7,9]}}}");
    json_object_put(o);
}

int main(void)
{
    static const ts_test tests[] = {
        {"strict records", test_strict_records},
        {"non-regular files", test_not_regular},
        {"fingerprint, small file", test_fingerprint_small},
        {"fingerprint, sampled file", test_fingerprint_large},
        {"first_lines lists a line once", test_first_lines_once},
    };
    static const ts_suite suites[] = {
        {"inputs", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
