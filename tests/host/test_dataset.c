/*
 * test_dataset.c - the JSON Lines reader on bad input: every bad line is a
 * counted reject with its reason and line number, good lines around them
 * are still read, and chunks, seeking and range limits are exact.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_dataset.h"
#include "test_util.h"
#include "ts_cunit.h"

static char *test_dir;

static int suite_init(void)
{
    test_dir = test_tmpdir("dataset");
    return test_dir != NULL ? 0 : -1;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    return 0;
}

typedef struct seen_reject {
    uint64_t line;
    char reason[32];
} seen_reject;

typedef struct rejects {
    seen_reject items[64];
    size_t n;
} rejects;

static void on_reject(void *ctx, uint64_t line, const char *reason, const char *detail)
{
    rejects *r = ctx;

    CU_ASSERT_PTR_NOT_NULL(detail);
    if (r->n < 64) {
        r->items[r->n].line = line;
        snprintf(r->items[r->n].reason, sizeof(r->items[r->n].reason), "%s", reason);
        r->n++;
    }
}

/* Writes test_bad_lines' file: 18 lines, each comment gives its number. */
static void write_bad_lines(const char *path)
{
    FILE *f;
    size_t i;

    f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    /* Line 1 starts with a UTF-8 byte order mark, which is skipped. */
    fputs("\xEF\xBB\xBF{\"sha256_hashed_email\":{\"type\":\"sha256_hashed_email\","
          "\"value\":\"aa\"}}\n", f);
    fputs("{\"sha256_hashed_email\":{\"value\":\"bb\"\n", f);                /* 2 */
    fputs("{\"e\":{\"value\":5}}\n", f);                                     /* 3 */
    fputs("{\"e\":\"str\"}\n", f);                                           /* 4 */
    fputs("{\"m\":[{\"type\":\"apple_idfa\",\"value\":\"cc\"},"
          "{\"type\":\"google_gaid\",\"value\":\"dd\"}],\"_op\":\"remove\"}\n", f);
    fputs("{\"e\":{\"value\":\"", f);                                        /* 6 */
    for (i = 0; i < 5u * 1024 * 1024; i++)
        fputc('x', f);
    fputs("\"}}\n", f);
    fputs("{\"e\":{\"value\":\"\xff\xfe\"}}\n", f);                          /* 7 */
    fputs("\n", f);                                                          /* 8 */
    fputs("{\"e\":{\"value\":\"ee\"},\"_op\":\"delete\"}\n", f);             /* 9 */
    fputs("[1,2]\n", f);                                                     /* 10 */
    fputs("{\"e\":{\"value\":\"ff\"}}\r\n", f);                             /* 11 */
    fputs("{}\n", f);                                                        /* 12 */
    fputs("123\n", f);                                                       /* 13 */
    fputs("{\"e\":{\"value\":\"gg\"}} x\n", f);                              /* 14 */
    fputs("{\"e\":{\"value\":\"\xc0\xaf\"}}\n", f);                          /* 15 */
    fputs("  {\"e\":{\"value\":\"hh\",\"type\":null}}  \n", f);              /* 16 */
    fputs("{\"e\":[]}\n", f);                                                /* 17 */
    fputs("{\"e\":{\"value\":\"ii\"}}", f);      /* 18: no newline yet: not read */
    CU_ASSERT_FATAL(fclose(f) == 0);
}

/* One chunk of the good records of test_bad_lines (lines 1, 5, 11, 16). */
static void check_bad_lines_chunk(const aconn_record *const *recs, size_t n)
{
    if (n == 4) {
        /* Line 5: two attributes of one name, a removal. */
        const aconn_record *r = recs[1];
        CU_ASSERT_EQUAL(r->op, ACONN_RECORD_REMOVE);
        CU_ASSERT_EQUAL(r->nattrs, 2);
        CU_ASSERT_STRING_EQUAL(r->attrs[0].name, "m");
        CU_ASSERT_STRING_EQUAL(r->attrs[0].type, "apple_idfa");
        CU_ASSERT_STRING_EQUAL(r->attrs[1].type, "google_gaid");
        CU_ASSERT_STRING_EQUAL(r->attrs[1].value, "dd");
        CU_ASSERT_EQUAL(r->attrs[1].value_len, 2);
    }
    if (n >= 1) {
        CU_ASSERT_EQUAL(recs[0]->struct_size, sizeof(aconn_record));
        CU_ASSERT_STRING_EQUAL(recs[0]->attrs[0].type, "sha256_hashed_email");
        CU_ASSERT_EQUAL(recs[0]->op, ACONN_RECORD_ADD);
    }
    if (n == 4) {
        CU_ASSERT_STRING_EQUAL(recs[2]->attrs[0].value, "ff");
        CU_ASSERT_STRING_EQUAL(recs[3]->attrs[0].type, "");   /* type null */
        CU_ASSERT_STRING_EQUAL(recs[3]->attrs[0].value, "hh");
    }
}

/* The rejects of test_bad_lines, in line order. */
static void check_bad_lines_rejects(const rejects *rj)
{
    size_t i;
    static const struct { uint64_t line; const char *reason; } want[] = {
        { 2, "invalid_json" }, { 3, "bad_attribute" }, { 4, "bad_attribute" },
        { 6, "line_too_long" }, { 7, "invalid_utf8" }, { 9, "bad_op" },
        { 10, "not_object" }, { 12, "bad_attribute" }, { 13, "not_object" },
        { 14, "invalid_json" }, { 15, "invalid_utf8" }, { 17, "bad_attribute" },
    };

    CU_ASSERT_EQUAL(rj->n, sizeof(want) / sizeof(want[0]));
    for (i = 0; i < rj->n && i < sizeof(want) / sizeof(want[0]); i++) {
        CU_ASSERT_EQUAL(rj->items[i].line, want[i].line);
        CU_ASSERT_STRING_EQUAL(rj->items[i].reason, want[i].reason);
        if (rj->items[i].line != want[i].line || strcmp(rj->items[i].reason, want[i].reason))
            fprintf(stderr, "reject %zu: line %llu %s, want line %llu %s\n", i,
                    (unsigned long long) rj->items[i].line, rj->items[i].reason,
                    (unsigned long long) want[i].line, want[i].reason);
    }
}

static void test_bad_lines(void)
{
    char path[4096];
    size_t i;
    ch_dataset *ds = NULL;
    char err[512] = "";
    const aconn_record *const *recs = NULL;
    size_t n = 0, total = 0;
    uint64_t lines = 0;
    uint64_t seqs[16];
    rejects rj;

    memset(&rj, 0, sizeof(rj));
    snprintf(path, sizeof(path), "%s/bad.jsonl", test_dir);
    write_bad_lines(path);

    CU_ASSERT_EQUAL(ch_dataset_count_lines(path, &lines, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(lines, 17);
    CU_ASSERT_FATAL(ch_dataset_open(path, &ds, err, sizeof(err)) == 0);
    ch_dataset_on_reject(ds, on_reject, &rj);
    for (;;) {
        CU_ASSERT_FATAL(ch_dataset_next_chunk(ds, UINT64_MAX, &recs, &n, err,
                                              sizeof(err)) == 0);
        if (n == 0)
            break;
        for (i = 0; i < n && total < 16; i++)
            seqs[total++] = recs[i]->seq;
        check_bad_lines_chunk(recs, n);
    }
    CU_ASSERT_EQUAL(total, 4);
    CU_ASSERT_EQUAL(seqs[0], 1);
    CU_ASSERT_EQUAL(seqs[1], 5);
    CU_ASSERT_EQUAL(seqs[2], 11);
    CU_ASSERT_EQUAL(seqs[3], 16);
    CU_ASSERT_EQUAL(ch_dataset_line(ds), 17);
    CU_ASSERT_EQUAL(ch_dataset_empty_lines(ds), 1);
    check_bad_lines_rejects(&rj);
    ch_dataset_close(ds);

    /* Once line 18 gets its newline, it is read too. */
    CU_ASSERT_FATAL(test_append_file(path, "\n") == 0);
    CU_ASSERT_EQUAL(ch_dataset_count_lines(path, &lines, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(lines, 18);
    CU_ASSERT_FATAL(ch_dataset_open(path, &ds, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_dataset_seek_line(ds, 18, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_dataset_next_chunk(ds, 18, &recs, &n, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(n, 1);
    if (n == 1) {
        CU_ASSERT_EQUAL(recs[0]->seq, 18);
        CU_ASSERT_STRING_EQUAL(recs[0]->attrs[0].value, "ii");
    }
    ch_dataset_close(ds);
}

static void test_chunks_seek_and_range(void)
{
    char path[4096], err[512] = "";
    FILE *f;
    int i;
    ch_dataset *ds = NULL;
    const aconn_record *const *recs = NULL;
    size_t n = 0, chunks = 0, total = 0;
    uint64_t expect = 5000;
    int in_order = 1;

    snprintf(path, sizeof(path), "%s/many.jsonl", test_dir);
    f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    for (i = 1; i <= 10000; i++)
        fprintf(f, "{\"e\":{\"value\":\"%08d\"}}\n", i);
    CU_ASSERT_FATAL(fclose(f) == 0);

    CU_ASSERT_FATAL(ch_dataset_open(path, &ds, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_dataset_seek_line(ds, 5000, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_dataset_line(ds), 4999);
    for (;;) {
        size_t k;
        CU_ASSERT_FATAL(ch_dataset_next_chunk(ds, 9999, &recs, &n, err, sizeof(err)) == 0);
        if (n == 0)
            break;
        CU_ASSERT(n <= CH_CHUNK_RECORDS);
        chunks++;
        for (k = 0; k < n; k++) {
            char want[16];
            snprintf(want, sizeof(want), "%08llu", (unsigned long long) expect);
            if (recs[k]->seq != expect || strcmp(recs[k]->attrs[0].value, want) != 0)
                in_order = 0;
            expect++;
        }
        total += n;
    }
    CU_ASSERT(in_order);
    CU_ASSERT_EQUAL(total, 5000);       /* lines 5000..9999 */
    CU_ASSERT_EQUAL(chunks, 2);         /* 4096 + 904 */
    CU_ASSERT_EQUAL(ch_dataset_line(ds), 9999);
    /* Seeking past the end says so. */
    CU_ASSERT_EQUAL(ch_dataset_seek_line(ds, 20000, err, sizeof(err)), 1);
    ch_dataset_close(ds);
    CU_ASSERT_EQUAL(ch_dataset_open("/nonexistent/x.jsonl", &ds, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.jsonl"));
}

int main(void)
{
    static const ts_test tests[] = {
        {"bad lines are counted rejects", test_bad_lines},
        {"chunks, seek and range", test_chunks_seek_and_range},
    };
    static const ts_suite suites[] = {
        {"dataset", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
