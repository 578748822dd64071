/*
 * test_rewrite.c - a dataset rewritten between runs, end to end over HTTPS
 * to the sandbox (issue 17): an append is delivered as new rows; a larger
 * different file written over it, a same-size different file, one changed
 * covered line, a truncation and a replacement by another inode are each
 * refused with nothing sent; deliver --resync then makes the audiences
 * hold exactly the new file's members, computed here from the file.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "e2e.h"


static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0
        && (buf = malloc((size_t) n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t) n, f);
    }
    fclose(f);
    return buf;
}

/* Writes data over path in place (same inode, as `cat new > old`). */
static void overwrite(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_FATAL(fwrite(data, 1, len, f) == len);
    CU_ASSERT_FATAL(fclose(f) == 0);
}

/* The connection's one MULTIPLE_TYPES audience "Rw" holds every type's
   expected members (one audience per Ad Account). */
static void assert_members(e2e *e, const char *adv, const e2e_set want[E2E_NTYPES])
{
    e2e_set all = {0}, none = {0}, got = {0};
    char id[32];
    int n;

    for (int t = 0; t < E2E_NTYPES; t++)
        CU_ASSERT(e2e_set_apply(&all, &want[t], &none) == 0);
    n = e2e_audiences_named(e, adv, "Rw", id);
    if (all.n == 0) {
        CU_ASSERT(n <= 1);
        goto cleanup;
    }
    CU_ASSERT_EQUAL(n, 1);
    if (n != 1)
        goto cleanup;
    CU_ASSERT_FATAL(e2e_members(e, id, &got) == 0);
    if (!e2e_set_equal(&got, &all))
        fprintf(stderr, "audience Rw: %zu members, expected %zu\n", got.n, all.n);
    CU_ASSERT(e2e_set_equal(&got, &all));
cleanup:
    e2e_set_free(&got);
    e2e_set_free(&all);
}

static void apply_lines(const char *dataset, unsigned long from, e2e_set want[E2E_NTYPES])
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];

    CU_ASSERT_FATAL(e2e_changes(dataset, from, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set_apply(&want[t], &adds[t], &removes[t]);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
}

/* deliver [--resync]; a deferral (75) moves the clock and runs again. */
static void deliver_ok(e2e *e, const char *conn, int resync, e2e_out *o)
{
    for (int i = 0; i < 4; i++) {
        const char *args[] = {"deliver", "--connection", conn, resync ? "--resync" : NULL,
                              NULL};
        CU_ASSERT_FATAL((resync ? e2e_host(e, o, args) : e2e_deliver(e, conn, o)) == 0);
        if (o->exit_code != 75)
            break;
        /* Deferred (TikTok's one REPLACE a day): a day later. */
        if (resync)
            e->clock_offset_ms += 25LL * 60 * 60 * 1000;
        e2e_out_free(o);
        resync = 0;           /* the deferred run is pending: plain deliver resumes it */
    }
    if (o->exit_code != 0)
        fprintf(stderr, "deliver exit %d: %s\n%s\n", o->exit_code, o->out, o->err);
    CU_ASSERT_EQUAL(o->exit_code, 0);
}

/* The next deliver is refused as a changed dataset; TikTok sees nothing. */
static void assert_refused(e2e *e, const char *conn, const char *adv, const char *what)
{
    e2e_out o;
    int ops = e2e_update_ops(e, adv);

    CU_ASSERT_FATAL(e2e_host(e, &o, (const char *const[]) {"deliver", "--connection", conn,
                                                           NULL}) == 0);
    if (o.exit_code != 1 || o.out == NULL || strstr(o.out, "\"dataset_changed\"") == NULL)
        fprintf(stderr, "%s: exit %d: %s\n%s\n", what, o.exit_code, o.out, o.err);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(o.json != NULL);
    CU_ASSERT(o.out != NULL && strstr(o.out, "\"dataset_changed\"") != NULL);
    CU_ASSERT(o.out != NULL && strstr(o.out, "--resync") != NULL && strstr(o.out, conn) != NULL);
    CU_ASSERT_EQUAL(e2e_update_ops(e, adv), ops);
    e2e_out_free(&o);
}

/* The first delivery, then appended rows with a last line still being
   written: new rows only. */
static void deliver_then_append(e2e *e, const char *conn, const char *dataset, const char *a,
                                e2e_set *want)
{
    e2e_out o;

    deliver_ok(e, conn, 0, &o);
    e2e_out_free(&o);
    apply_lines(dataset, 1, want);

    CU_ASSERT_FATAL(e2e_gen(dataset, 1000, 72, 1, 10, 0, 1) == 0);
    deliver_ok(e, conn, 0, &o);
    CU_ASSERT(json_object_get_int64(ts_json_at(o.json, "lines_read")) == 1000);
    e2e_out_free(&o);
    apply_lines(dataset, 6001, want);
    assert_members(e, a, want);
}

/* Every kind of rewrite of the delivered file is refused; the original
   content restored is up to date. TikTok keeps the members it had. */
static void check_rewrites_refused(e2e *e, const char *conn, const char *dataset,
                                   const char *other, const char *a, const char *orig,
                                   size_t orig_len, const char *bigger, size_t bigger_len,
                                   e2e_set *want)
{
    e2e_out o;

    overwrite(dataset, bigger, bigger_len);
    assert_refused(e, conn, a, "larger different file");
    /* Restored: nothing to do. */
    overwrite(dataset, orig, orig_len);
    deliver_ok(e, conn, 0, &o);
    CU_ASSERT(o.out != NULL && strstr(o.out, "up_to_date") != NULL);
    e2e_out_free(&o);
    /* Same size, one covered line changed (a digit of a hex digest). */
    {
        char *copy = malloc(orig_len);
        char *p;
        CU_ASSERT_FATAL(copy != NULL);
        memcpy(copy, orig, orig_len);
        p = strstr(copy + orig_len / 2, "\"value\":\"");
        CU_ASSERT_FATAL(p != NULL);
        p += 9;
        *p = *p == 'a' ? 'b' : 'a';
        overwrite(dataset, copy, orig_len);
        free(copy);
        assert_refused(e, conn, a, "one changed line");
    }
    /* Truncated. */
    overwrite(dataset, orig, orig_len / 2);
    assert_refused(e, conn, a, "truncated");
    /* Replaced by another file (new inode) with the same content. */
    overwrite(other, orig, orig_len);
    CU_ASSERT_FATAL(rename(other, dataset) == 0);
    assert_refused(e, conn, a, "another inode");
    assert_members(e, a, want);
}

/* The new export delivered as a new snapshot: exactly its members; later
   appends to the new file go on as appends. */
static void resync_replaces(e2e *e, const char *conn, const char *dataset, const char *a,
                            const char *bigger, size_t bigger_len, e2e_set *want)
{
    e2e_out o;

    overwrite(dataset, bigger, bigger_len);
    deliver_ok(e, conn, 1, &o);
    CU_ASSERT(o.out != NULL && strstr(o.out, "REPLACE") != NULL);
    e2e_out_free(&o);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set_free(&want[t]);
        memset(&want[t], 0, sizeof(want[t]));
    }
    apply_lines(dataset, 1, want);
    assert_members(e, a, want);
    /* And later appends to the new file go on as appends. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 600, 74, 1, 5, 0, 1) == 0);
    deliver_ok(e, conn, 0, &o);
    CU_ASSERT(json_object_get_int64(ts_json_at(o.json, "lines_read")) == 600);
    e2e_out_free(&o);
    apply_lines(dataset, 9001, want);
    assert_members(e, a, want);
}

static void test_rewrites_refused_resync_replaces(void)
{
    e2e e;
    char dataset[E2E_PATH], other[E2E_PATH], settings[512];
    e2e_set want[E2E_NTYPES] = {{0}};
    char *conn, *orig, *bigger;
    size_t orig_len = 0, bigger_len = 0;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    snprintf(other, sizeof(other), "%s/other.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 71, 1, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings), "{\"connection_type\":\"new\",\"audience_name\":"
             "\"Rw\",\"create_new_for\":[\"%s\"]}", a);
    conn = e2e_connect(&e, dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    deliver_then_append(&e, conn, dataset, a, want);
    orig = slurp(dataset, &orig_len);
    CU_ASSERT_FATAL(orig != NULL && orig_len > 100);

    /* A larger, different export written over it. */
    CU_ASSERT_FATAL(e2e_gen(other, 9000, 73, 1, 0, 0, 0) == 0);
    bigger = slurp(other, &bigger_len);
    CU_ASSERT_FATAL(bigger != NULL);
    check_rewrites_refused(&e, conn, dataset, other, a, orig, orig_len, bigger, bigger_len, want);
    resync_replaces(&e, conn, dataset, a, bigger, bigger_len, want);

    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_free(&want[t]);
    free(orig);
    free(bigger);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"rewritten datasets are refused, --resync replaces membership",
         test_rewrites_refused_resync_replaces},
    };

    return e2e_run_suite("rewritten datasets end to end", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
