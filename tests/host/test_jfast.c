/*
 * test_jfast.c - the reader's one-pass fast path (host/ch_jfast.h) against
 * the full path (tt_jstrict + json-c) on the same lines: the same records
 * and the same rejects, line by line, with the fast path on and off
 * (ch_dataset_set_fast). The lines are hand-written edge cases (every kind
 * of line the fast path must hand over: escapes, NUL, bad \u escapes,
 * duplicate keys, non-ASCII, reserved keys, ...) and 40,000 random
 * mutations of plain records. The fast path must also really take the
 * plain lines, or the comparison would prove nothing.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_arena.h"
#include "ch_dataset.h"
#include "ch_jfast.h"
#include "test_util.h"

static char *test_dir;

static int suite_init(void)
{
    test_dir = test_tmpdir("jfast");
    return test_dir != NULL ? 0 : -1;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    return 0;
}

/* Plain records: the fast path takes each of them. */
static const char *const plain[] = {
    "{\"hashed_email\":{\"type\":\"sha256_hashed_email\",\"value\":\"9634f60fbf2b9df0872c30b7"
    "dfb87a532ebc10cb22369a81898e481632872ee3\"}}",
    "{\"e\":{\"value\":\"aa\",\"type\":\"t\"},\"_op\":\"remove\"}",
    "{\"_op\":\"add\",\"m\":[{\"type\":\"apple_idfa\",\"value\":\"cc\"},"
    "{\"type\":\"google_gaid\",\"value\":\"dd\"}]}",
    " { \"e\" : { \"value\" : \"\" , \"type\" : null } , \"f\":{\"value\":\"x y\"} } \t\r",
    "{\"e\":{\"value\":\"a\"},\"E\":{\"value\":\"a\"},\"e2\":[{\"value\":\"b\"}]}",
};

/* Lines the fast path must leave to the full path (which accepts some of
   them, refuses others, each with its own reason). */
static const char *const odd[] = {
    "{\"e\":{\"value\":\"a\"},\"e\":{\"value\":\"b\"}}",            /* duplicate key */
    "{\"e\":{\"value\":\"a\",\"value\":\"b\"}}",                     /* inner duplicate */
    "{\"e\":{\"value\":\"a\",\"type\":\"t\",\"type\":null}}",
    "{\"e\":{\"value\":\"a\\u0000b\"}}",                             /* \u0000 */
    "{\"e\":{\"value\":\"\\ud800\"}}",                               /* lone surrogate */
    "{\"e\":{\"value\":\"\\uZZZZ\"}}",                               /* bad \u escape */
    "{\"e\":{\"value\":\"\\ud83d\\ude00\"}}",                        /* a good pair */
    "{\"e\":{\"value\":\"a\\\"b\"}}",
    "{\"e\\u0000\":{\"value\":\"a\"}}",
    "{\"e\":{\"value\":\"caf\xc3\xa9\"}}",                           /* UTF-8 */
    "{\"e\":{\"value\":\"\xc0\xaf\"}}",                              /* overlong */
    "{\"e\":{\"value\":\"a\tb\"}}",                                  /* raw control */
    "{\"e\":{\"value\":\"a\x7f\"}}",
    "{\"e\":{\"value\":\"a\"},\"_op\":\"delete\"}",
    "{\"e\":{\"value\":\"a\"},\"_OP\":\"remove\"}",
    "{\"e\":{\"value\":\"a\"},\"_op\":null}",
    "{\"_op\":\"remove\"}",
    "{}",
    "{\"e\":[]}",
    "{\"e\":{\"value\":5}}",
    "{\"e\":{\"type\":\"t\"}}",
    "{\"e\":{\"value\":\"a\",\"extra\":1}}",
    "{\"e\":{\"value\":\"a\"}} x",
    "{\"e\":{\"value\":\"a\"},}",
    "{\"e\":{\"value\":\"a\"}",
    "{\"\":{\"value\":\"a\"}}",
    "{\"e\":\"str\"}",
    "[{\"e\":{\"value\":\"a\"}}]",
    "{\"e\":{\"value\":\"a\",\"type\":nul}}",
    "{\"e\":{\"value\":\"a\",\"type\":true}}",
};

/* xorshift: the same lines every run. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned next_rand(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned) (rng % n);
}

/* One random edit of a plain line into out (NUL-terminated, no '\n'). */
static void mutate(const char *in, char *out, size_t cap)
{
    static const char bytes[] = "\"\\,:{}[] \t_unlv0aE\x01\x7f\x80\xc3\xa9\xff";
    size_t n = strlen(in), edits = 1 + next_rand(3);

    if (n >= cap - 16)
        n = cap - 16;
    memcpy(out, in, n);
    out[n] = '\0';
    for (size_t e = 0; e < edits && n > 0; e++) {
        size_t at = next_rand((unsigned) n);
        switch (next_rand(4)) {
        case 0:    /* replace */
            out[at] = bytes[next_rand(sizeof(bytes) - 1)];
            break;
        case 1:    /* delete */
            memmove(out + at, out + at + 1, n - at);
            n--;
            break;
        case 2:    /* insert */
            if (n + 1 < cap - 1) {
                memmove(out + at + 1, out + at, n - at + 1);
                out[at] = bytes[next_rand(sizeof(bytes) - 1)];
                n++;
            }
            break;
        default: { /* repeat a slice (duplicate keys, arrays) */
            size_t len = 1 + next_rand(24);
            if (at + len > n)
                len = n - at;
            if (n + len < cap - 1) {
                memmove(out + at + len, out + at, n - at + 1);
                n += len;
            }
            break;
        }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\n' || out[i] == '\0')
            out[i] = ' ';
    out[n] = '\0';
}

typedef struct outcome {
    char *text;             /* one line per record or reject */
    size_t len, cap;
} outcome;

static void put(outcome *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->text = realloc(o->text, o->cap);
        CU_ASSERT_FATAL(o->text != NULL);
    }
    memcpy(o->text + o->len, s, n);
    o->len += n;
    o->text[o->len] = '\0';
}

static void on_reject(void *ctx, uint64_t line, const char *reason, const char *detail)
{
    char buf[160];
    int n = snprintf(buf, sizeof(buf), "%llu reject %s\n", (unsigned long long) line, reason);

    (void) detail;
    put(ctx, buf, (size_t) n);
}

/* Every record and reject of the file, as text. */
static void read_all(const char *path, int fast, outcome *o)
{
    ch_dataset *ds = NULL;
    char err[512];
    const aconn_record *const *recs;
    size_t n;

    CU_ASSERT_FATAL(ch_dataset_open(path, &ds, err, sizeof(err)) == 0);
    ch_dataset_set_fast(ds, fast);
    ch_dataset_on_reject(ds, on_reject, o);
    for (;;) {
        CU_ASSERT_FATAL(ch_dataset_next_chunk(ds, UINT64_MAX, &recs, &n, err,
                                              sizeof(err)) == 0);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            char buf[64];
            int k = snprintf(buf, sizeof(buf), "%llu op %u attrs %u:",
                             (unsigned long long) recs[i]->seq, recs[i]->op,
                             recs[i]->nattrs);
            put(o, buf, (size_t) k);
            for (uint32_t a = 0; a < recs[i]->nattrs; a++) {
                const aconn_attr *at = &recs[i]->attrs[a];
                put(o, " [", 2);
                put(o, at->name, strlen(at->name));
                put(o, "|", 1);
                put(o, at->type, strlen(at->type));
                put(o, "|", 1);
                put(o, at->value, at->value_len);
                k = snprintf(buf, sizeof(buf), "|%zu]", at->value_len);
                put(o, buf, (size_t) k);
            }
            put(o, "\n", 1);
        }
    }
    ch_dataset_close(ds);
}

/* The fast path takes the plain lines and declines the odd ones. */
static void test_takes_plain_only(void)
{
    ch_arena arena = {0};
    aconn_record rec;

    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        int r = ch_jfast_record(plain[i], strlen(plain[i]), 7, &arena, &rec);
        CU_ASSERT_EQUAL(r, 1);
        if (r != 1)
            fprintf(stderr, "fast path declined plain line %zu\n", i);
        else
            CU_ASSERT_EQUAL(rec.seq, 7);
    }
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        int r = ch_jfast_record(odd[i], strlen(odd[i]), 1, &arena, &rec);
        CU_ASSERT_EQUAL(r, 0);
        if (r != 0)
            fprintf(stderr, "fast path took odd line %zu: %s\n", i, odd[i]);
    }
    /* A NUL byte inside a string (strlen would stop at it). */
    {
        static const char nul[] = "{\"e\":{\"value\":\"a\0b\"}}";
        CU_ASSERT_EQUAL(ch_jfast_record(nul, sizeof(nul) - 1, 1, &arena, &rec), 0);
    }
    ch_arena_free(&arena);
}

/* Fast on and off read the same records and rejects from the same file. */
static void test_same_as_full_path(void)
{
    char path[4096], line[512];
    FILE *f;
    outcome fast = {0}, full = {0};
    size_t taken = 0;
    ch_arena arena = {0};

    snprintf(path, sizeof(path), "%s/mixed.jsonl", test_dir);
    f = fopen(path, "wb");
    CU_ASSERT_FATAL(f != NULL);
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        fprintf(f, "%s\n", plain[i]);
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        fprintf(f, "%s\n", odd[i]);
    fwrite("{\"e\":{\"value\":\"a\0b\"}}\n", 1, 23, f);
    for (int i = 0; i < 40000; i++) {
        aconn_record rec;
        mutate(plain[next_rand(sizeof(plain) / sizeof(plain[0]))], line, sizeof(line));
        fprintf(f, "%s\n", line);
        ch_arena_reset(&arena);
        taken += ch_jfast_record(line, strlen(line), 1, &arena, &rec) == 1;
    }
    CU_ASSERT_FATAL(fclose(f) == 0);
    ch_arena_free(&arena);
    /* Both kinds are there: mutations the fast path takes (white space,
       other names or values) and ones it leaves to the full path. */
    CU_ASSERT(taken > 1000 && taken < 39000);
    read_all(path, 1, &fast);
    read_all(path, 0, &full);
    CU_ASSERT_FATAL(fast.text != NULL && full.text != NULL);
    CU_ASSERT_EQUAL(fast.len, full.len);
    if (fast.len != full.len || memcmp(fast.text, full.text, fast.len) != 0) {
        size_t at = 0;
        while (at < fast.len && at < full.len && fast.text[at] == full.text[at])
            at++;
        while (at > 0 && fast.text[at - 1] != '\n')
            at--;
        fprintf(stderr, "first difference:\nfast: %.200s\nfull: %.200s\n", fast.text + at,
                full.text + at);
        CU_FAIL("the fast path and the full path differ");
    }
    free(fast.text);
    free(full.text);
}

int main(void)
{
    CU_pSuite s;
    int rc;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("reader fast path", suite_init, suite_clean);
    if (s == NULL
        || CU_add_test(s, "takes plain records, declines the rest", test_takes_plain_only) == NULL
        || CU_add_test(s, "same records and rejects as the full path",
                       test_same_as_full_path) == NULL) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    rc = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return rc;
}
