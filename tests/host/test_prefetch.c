/*
 * test_prefetch.c - the reader thread (ch_prefetch) hands the plugin
 * exactly what reading on the calling thread does: the same records batch
 * by batch, the same rejects with their line numbers, the same end of file,
 * and after a stop in the middle the dataset stands where the last chunk
 * handed out ended, not where the thread had read to.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_dataset.h"
#include "ch_prefetch.h"
#include "test_util.h"
#include "ts_cunit.h"

static char *test_dir;

static int suite_init(void)
{
    test_dir = test_tmpdir("prefetch");
    return test_dir != NULL ? 0 : -1;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    return 0;
}

/* What a reader handed out, as text: one line per record and reject. */
typedef struct trace {
    char *text;
    size_t len, cap;
} trace;

/* Appends "what number text\n". */
static void trace_add(trace *t, const char *what, unsigned long long a, const char *b)
{
    char line[160];
    int n = snprintf(line, sizeof(line), "%s %llu %s\n", what, a, b);

    if (t->len + (size_t) n + 1 > t->cap) {
        t->cap = (t->cap + (size_t) n + 1) * 2;
        t->text = realloc(t->text, t->cap);
        CU_ASSERT_FATAL(t->text != NULL);
    }
    memcpy(t->text + t->len, line, (size_t) n + 1);
    t->len += (size_t) n;
}

static void on_reject(void *ctx, uint64_t line, const char *reason, const char *detail)
{
    CU_ASSERT_PTR_NOT_NULL(detail);
    trace_add(ctx, "reject", (unsigned long long) line, reason);
}

/*
 * 20000 lines: every 7th not JSON, every 11th blank, lines 9000-14999 all
 * rejected (more than a chunk's worth of lines with no record), and a last
 * line without its newline (not read).
 */
static void write_dataset(const char *path)
{
    FILE *f = fopen(path, "wb");

    CU_ASSERT_FATAL(f != NULL);
    for (int i = 1; i <= 20000; i++) {
        if (i >= 9000 && i < 15000)
            fprintf(f, "{\"_x\":1}\n");
        else if (i % 11 == 0)
            fprintf(f, "  \n");
        else if (i % 7 == 0)
            fprintf(f, "{\"e\":\n");
        else
            fprintf(f, "{\"e\":{\"type\":\"t\",\"value\":\"v%d\"}}\n", i);
    }
    fprintf(f, "{\"e\":{\"value\":\"partial\"}}");
    CU_ASSERT_FATAL(fclose(f) == 0);
}

/*
 * Reads lines first..last in batches of `per` as ch_run_pass does, with or
 * without the reader thread, taking at most `max_chunks` chunks (0: all);
 * returns what it saw and the dataset's position at the end.
 */
static void read_all(const char *path, int threaded, uint64_t first, uint64_t last,
                     uint64_t per, size_t max_chunks, trace *t, ch_dataset_pos *end)
{
    char err[512] = "";
    ch_dataset *ds = NULL;
    ch_prefetch *pf = NULL;
    size_t chunks = 0;

    CU_ASSERT_FATAL(ch_dataset_open(path, &ds, err, sizeof(err)) == 0);
    ch_dataset_on_reject(ds, on_reject, t);
    CU_ASSERT_FATAL(ch_dataset_seek_line(ds, first, err, sizeof(err)) == 0);
    if (threaded)
        CU_ASSERT_FATAL(ch_prefetch_start(ds, first, last, per, &pf, err, sizeof(err)) == 0);
    for (uint64_t bfirst = first; bfirst <= last; bfirst += per) {
        uint64_t blast = last - bfirst + 1 > per ? bfirst + per - 1 : last;
        trace_add(t, "batch", (unsigned long long) bfirst, "");
        for (;;) {
            const aconn_record *const *recs = NULL;
            size_t n = 0;
            uint64_t line;
            int rc = threaded ? ch_prefetch_next(pf, blast, &recs, &n, err, sizeof(err))
                              : ch_dataset_next_chunk(ds, blast, &recs, &n, err, sizeof(err));
            CU_ASSERT_EQUAL(rc, 0);
            line = threaded ? ch_prefetch_line(pf) : ch_dataset_line(ds);
            if (n == 0) {
                trace_add(t, "end at", (unsigned long long) line, "");
                break;
            }
            for (size_t k = 0; k < n; k++)
                trace_add(t, "record", (unsigned long long) recs[k]->seq,
                          recs[k]->attrs[0].value);
            if (max_chunks != 0 && ++chunks == max_chunks)
                goto stop;
        }
        if ((threaded ? ch_prefetch_line(pf) : ch_dataset_line(ds)) < blast)
            break;                      /* the file ended */
    }
stop:
    CU_ASSERT_EQUAL(ch_prefetch_stop(pf, err, sizeof(err)), 0);
    *end = ch_dataset_position(ds);
    ch_dataset_close(ds);
}

static void test_same_as_direct(void)
{
    char path[4096];
    /* Batches of 3000 lines; a range past the file's end (line 20000 has
       no newline) ends early exactly as the direct reader does. */
    static const uint64_t ranges[][3] = {
        {1, 19999, 3000}, {5, 12345, 3000}, {9500, 16000, 100000}, {17, 25000, 4096},
        {2, 3, 1},
    };

    snprintf(path, sizeof(path), "%s/mixed.jsonl", test_dir);
    write_dataset(path);
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        trace direct = {0}, threaded = {0};
        ch_dataset_pos d, th;
        read_all(path, 0, ranges[i][0], ranges[i][1], ranges[i][2], 0, &direct, &d);
        read_all(path, 1, ranges[i][0], ranges[i][1], ranges[i][2], 0, &threaded, &th);
        CU_ASSERT_PTR_NOT_NULL_FATAL(direct.text);
        CU_ASSERT_PTR_NOT_NULL_FATAL(threaded.text);
        CU_ASSERT_STRING_EQUAL(threaded.text, direct.text);
        if (strcmp(threaded.text, direct.text) != 0)
            fprintf(stderr, "range %zu differs:\n--- direct\n%s\n--- threaded\n%s\n",
                    i, direct.text, threaded.text);
        CU_ASSERT_EQUAL(th.line, d.line);
        CU_ASSERT_EQUAL(th.offset, d.offset);
        CU_ASSERT_EQUAL(th.empty_lines, d.empty_lines);
        if (ranges[i][0] <= 9000 && ranges[i][1] >= 9000)
            CU_ASSERT(strstr(direct.text, "reject 9000 reserved_key") != NULL);
        free(direct.text);
        free(threaded.text);
    }
}

/* Stopping after two chunks: the dataset is put back after the second
   chunk (the thread had read further), so a report and the next reads see
   only what the plugin got. Every line is a record here, so both readers
   cut the same chunks. */
static void test_stop_in_the_middle(void)
{
    char path[4096], err[512] = "";
    FILE *f;
    trace direct = {0}, threaded = {0};
    ch_dataset_pos d, th;
    ch_dataset *ds = NULL;
    const aconn_record *const *recs = NULL;
    size_t n = 0;

    snprintf(path, sizeof(path), "%s/clean.jsonl", test_dir);
    f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    for (int i = 1; i <= 20000; i++)
        fprintf(f, "{\"e\":{\"value\":\"v%d\"}}\n", i);
    CU_ASSERT_FATAL(fclose(f) == 0);
    read_all(path, 0, 1, 19999, 100000, 2, &direct, &d);
    read_all(path, 1, 1, 19999, 100000, 2, &threaded, &th);
    CU_ASSERT_STRING_EQUAL(threaded.text, direct.text);
    CU_ASSERT_EQUAL(th.line, d.line);
    CU_ASSERT_EQUAL(th.offset, d.offset);
    CU_ASSERT_EQUAL(th.empty_lines, d.empty_lines);
    CU_ASSERT_EQUAL(th.line, 2 * CH_CHUNK_RECORDS);
    free(direct.text);
    free(threaded.text);

    /* A dataset put back reads on from there. */
    CU_ASSERT_FATAL(ch_dataset_open(path, &ds, err, sizeof(err)) == 0);
    CU_ASSERT_EQUAL(ch_dataset_restore(ds, &th, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_dataset_next_chunk(ds, th.line + 1, &recs, &n, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(ch_dataset_line(ds), th.line + 1);
    ch_dataset_close(ds);
}

int main(void)
{
    static const ts_test tests[] = {
        {"the reader thread hands out what the direct reader does", test_same_as_direct},
        {"a stop puts the dataset back", test_stop_in_the_middle},
    };
    static const ts_suite suites[] = {
        {"prefetch", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
