/*
 * test_fuzz_regressions.c - replays the fuzz targets' committed seed
 * corpora (tests/fuzz/corpus/<target>/) and saved crashes
 * (tests/fuzz/regressions/<target>/) through the same harness entries the
 * libFuzzer targets use (fz.h), so make check exercises the harness code
 * and every fixed crash stays fixed. Each input is read into a buffer of
 * exactly its size, as libFuzzer passes it, so an over-read shows under
 * ASan. Also tests the fixes directly.
 */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>

#include "fz.h"
#include "fz_manifest_check.h"
#include "settings/tt_manifest.h"
#include "profile/tt_state.h"
#include "ts_cunit.h"

static const fz_target fz_targets[] = {
    {"settings", fz_settings}, {"dataset", fz_dataset}, {"envelope", fz_envelope},
    {"api", fz_api},           {"state", fz_state},     {"manifest", fz_manifest},
    {"ident", fz_ident},       {"email", fz_email},       {"oauth", fz_oauth},
};
#define FZ_NTARGETS (sizeof(fz_targets) / sizeof(fz_targets[0]))

/* Reads a whole file into an exact-size buffer; NULL on error. A zero-size
   file gives a one-byte buffer and *size 0. */
static uint8_t *read_exact(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    struct stat st;

    if (f == NULL)
        return NULL;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 0)
        goto cleanup;
    *size = (size_t) st.st_size;
    buf = malloc(*size > 0 ? *size : 1);
    if (buf != NULL && *size > 0 && fread(buf, 1, *size, f) != *size) {
        free(buf);
        buf = NULL;
    }
cleanup:
    fclose(f);
    return buf;
}

/*
 * Runs every regular file of dir through entry. Returns the number of
 * files run, or -1 when the directory cannot be read; *failures counts
 * inputs whose entry reported a broken promise (each is named on stderr).
 */
static long replay_dir(const char *dir, const fz_target *t, long *failures)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char path[4096 + 256 + 2 + 256 + 2];
        struct stat st;
        uint8_t *data;
        size_t size = 0;
        int rc;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        data = read_exact(path, &size);
        if (data == NULL) {
            fprintf(stderr, "cannot read %s\n", path);
            (*failures)++;
            continue;
        }
        rc = t->entry(data, size);
        if (rc != 0) {
            fprintf(stderr, "%s: fz_%s broke promise #%d\n", path, t->name, rc);
            (*failures)++;
        }
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static const char *srcdir(void)
{
    const char *s = getenv("TT_SRCDIR");
    return s != NULL ? s : "..";
}

/* Every target has a non-empty seed corpus, and every seed passes. */
static void test_seed_corpora(void)
{
    size_t i;

    for (i = 0; i < FZ_NTARGETS; i++) {
        char dir[4096];
        long failures = 0, n;

        snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", srcdir(), fz_targets[i].name);
        n = replay_dir(dir, &fz_targets[i], &failures);
        if (n < 1)
            fprintf(stderr, "%s: missing or empty seed corpus\n", dir);
        CU_ASSERT(n >= 1);
        CU_ASSERT_EQUAL(failures, 0);
    }
}

/* Every saved crash input is handled sanely now. Each subdirectory of
   regressions/ must be a known target, so none is silently skipped. */
static void test_regressions(void)
{
    char root[4096];
    DIR *d;
    struct dirent *e;
    long total = 0;

    snprintf(root, sizeof(root), "%s/tests/fuzz/regressions", srcdir());
    d = opendir(root);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    while ((e = readdir(d)) != NULL) {
        const fz_target *t = NULL;
        char dir[4096 + 256 + 2];
        long failures = 0, n;
        size_t i;

        if (e->d_name[0] == '.')
            continue;
        for (i = 0; i < FZ_NTARGETS; i++)
            if (strcmp(e->d_name, fz_targets[i].name) == 0)
                t = &fz_targets[i];
        if (t == NULL)
            fprintf(stderr, "%s/%s: not a fuzz target's name\n", root, e->d_name);
        CU_ASSERT_PTR_NOT_NULL(t);
        if (t == NULL)
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name);
        n = replay_dir(dir, t, &failures);
        CU_ASSERT(n >= 1);
        CU_ASSERT_EQUAL(failures, 0);
        total += n > 0 ? n : 0;
    }
    closedir(d);
    CU_ASSERT(total >= 1);
}

/* Found by fuzz-state: a validly signed state dated in the future passed
   the expiry check forever, and one dated near INT64_MIN overflowed it. */
static void test_state_future_refused(void)
{
    static const char key[] = "regression-key";
    const int64_t now = INT64_C(1764000000000);
    const int64_t issued[] = {now + TT_STATE_CLOCK_SKEW_MS + 1, INT64_MAX, INT64_MIN, -1};
    tt_state_claims c, got;
    aconn_error err;
    char *state = NULL;
    size_t i;

    for (i = 0; i < sizeof(issued) / sizeof(issued[0]); i++) {
        memset(&c, 0, sizeof(c));
        c.version = TT_STATE_VERSION;
        c.issued_ms = issued[i];
        strcpy(c.profile, "fz");
        memset(c.nonce, 'a', TT_STATE_NONCE_HEX);
        memset(&err, 0, sizeof(err));
        err.struct_size = sizeof(err);
        CU_ASSERT_EQUAL_FATAL(tt_state_sign(key, strlen(key), &c, &state, &err), ACONN_OK);
        CU_ASSERT_EQUAL(tt_state_verify(key, strlen(key), state, "fz", now, &got, &err),
                        ACONN_ERR_AUTH_FLOW);
        CU_ASSERT_STRING_EQUAL(err.code, "state_expired");
        free(state);
        state = NULL;
    }
    /* Within the allowed clock skew it still passes. */
    c.issued_ms = now + TT_STATE_CLOCK_SKEW_MS;
    CU_ASSERT_EQUAL_FATAL(tt_state_sign(key, strlen(key), &c, &state, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_state_verify(key, strlen(key), state, "fz", now, &got, &err), ACONN_OK);
    free(state);
}

/* Found by fuzz-state: the signature's last base64url character carries
   two unused bits; setting them gave a second text of the same state that
   still verified. Only the canonical encoding is accepted now. */
static void test_state_noncanonical_refused(void)
{
    static const char key[] = "regression-key";
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const int64_t now = INT64_C(1764000000000);
    tt_state_claims c, got;
    aconn_error err;
    char *state = NULL;
    const char *at;
    size_t len;

    memset(&c, 0, sizeof(c));
    c.version = TT_STATE_VERSION;
    c.issued_ms = now;
    strcpy(c.profile, "fz");
    memset(c.nonce, 'a', TT_STATE_NONCE_HEX);
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    CU_ASSERT_EQUAL_FATAL(tt_state_sign(key, strlen(key), &c, &state, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_state_verify(key, strlen(key), state, "fz", now, &got, &err), ACONN_OK);
    len = strlen(state);
    at = strchr(alphabet, state[len - 1]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    /* 32 signature bytes take 43 characters: the last one's low 2 bits
       are padding. */
    state[len - 1] = alphabet[(at - alphabet) | 1];
    CU_ASSERT_EQUAL(tt_state_verify(key, strlen(key), state, "fz", now, &got, &err),
                    ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_malformed");
    free(state);
}

/* The manifest checker the manifest target uses is not vacuous. */
static void test_manifest_checker(void)
{
    char why[256], *text = strdup(tt_manifest_text), *id;

    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL(fz_manifest_check(text, strlen(text), why, sizeof(why)), 0);
    id = strstr(text, "\"id\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(id);
    memcpy(id, "\"iD\"", 4);
    CU_ASSERT_EQUAL(fz_manifest_check(text, strlen(text), why, sizeof(why)), -1);
    CU_ASSERT_STRING_EQUAL(why, "id must be a string");
    CU_ASSERT_EQUAL(fz_manifest_check("{}  x", 5, why, sizeof(why)), -1);
    free(text);
}

int main(void)
{
    static const ts_test tests[] = {
        {"seed corpora replay", test_seed_corpora},
        {"saved crashes replay", test_regressions},
        {"state dated in the future", test_state_future_refused},
        {"state in a non-canonical encoding", test_state_noncanonical_refused},
        {"manifest checker", test_manifest_checker},
    };
    static const ts_suite suites[] = {
        {"fuzz regressions", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
