/*
 * bench_email.c - clear-text emails: the plugin's normalise + SHA-256
 * (tt_email_hash) against SHA-256 alone over the already-normalised
 * strings through OpenSSL's fastest interface for short messages (a fetched
 * EVP_MD and one reused EVP_MD_CTX). Target: at least half the baseline.
 *
 *   bench-email [--emails N] [--runs R] [--json FILE]
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench_util.h"
#include "identifiers/tt_email.h"

typedef struct emails {
    size_t n;
    char *raw;           /* fixed 64-byte slots, NUL-padded */
    char *norm;
    size_t *raw_len, *norm_len;
} emails;

enum { SLOT = 64 };

static int emails_make(emails *e, size_t n)
{
    e->n = n;
    e->raw = malloc(n * SLOT);
    e->norm = malloc(n * SLOT);
    e->raw_len = malloc(n * sizeof(size_t));
    e->norm_len = malloc(n * sizeof(size_t));
    if (!e->raw || !e->norm || !e->raw_len || !e->norm_len)
        return -1;
    for (size_t i = 0; i < n; i++) {
        /* Mixed case, a dot and a +tag, as real exports carry them. */
        e->raw_len[i] = (size_t) snprintf(e->raw + i * SLOT, SLOT, " Jane.Doe%zu+news@Example.COM",
                                          i);
        e->norm_len[i] = (size_t) snprintf(e->norm + i * SLOT, SLOT, "janedoe%zu@example.com", i);
    }
    return 0;
}

static void emails_free(emails *e)
{
    free(e->raw);
    free(e->norm);
    free(e->raw_len);
    free(e->norm_len);
}

static double run_baseline(const emails *e, unsigned *sink)
{
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char out[32];
    unsigned int len;
    double t0 = bench_now();

    for (size_t i = 0; i < e->n; i++) {
        EVP_DigestInit_ex2(ctx, md, NULL);
        EVP_DigestUpdate(ctx, e->norm + i * SLOT, e->norm_len[i]);
        EVP_DigestFinal_ex(ctx, out, &len);
        *sink += out[0];
    }
    double t = bench_now() - t0;
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return t;
}

static double run_plugin(const emails *e, unsigned *sink, size_t *bad)
{
    tt_email_hasher *h = tt_email_hasher_new();
    char hex[64];
    double t0 = bench_now();

    *bad = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (tt_email_hash(h, e->raw + i * SLOT, e->raw_len[i], hex) != 0)
            (*bad)++;
        *sink += (unsigned) hex[0];
    }
    double t = bench_now() - t0;
    tt_email_hasher_free(h);
    return t;
}

int main(int argc, char **argv)
{
    size_t n = 10000000, runs = 3, bad = 0;
    const char *json = NULL;
    double tb[16], tp[16];
    unsigned sink = 0;
    emails e = {0};

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--emails") == 0) n = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0) runs = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--json") == 0) json = argv[i + 1];
    }
    if (runs < 1 || runs > 16 || n == 0 || emails_make(&e, n) != 0) {
        fprintf(stderr, "bench-email: bad arguments or out of memory\n");
        return 2;
    }
    for (size_t r = 0; r < runs; r++) {
        tb[r] = run_baseline(&e, &sink);
        tp[r] = run_plugin(&e, &sink, &bad);
        fprintf(stderr, "run %zu: baseline %.3f s, plugin %.3f s\n", r + 1, tb[r], tp[r]);
    }
    if (bad != 0) {
        fprintf(stderr, "bench-email: %zu emails were refused; the benchmark is broken\n", bad);
        emails_free(&e);
        return 1;
    }
    double base = (double) n / bench_median(tb, runs), plug = (double) n / bench_median(tp, runs);
    bench_row rows[] = {
        {"email.baseline_sha256", base, "emails/s", 0, 0, "", -1},
        {"email.plugin", plug, "emails/s", base, plug / base, "ratio >= 0.5", plug / base >= 0.5},
    };
    for (size_t i = 0; i < 2; i++)
        bench_print_row(stdout, &rows[i]);
    if (json != NULL)
        bench_write_json(json, "email", rows, 2);
    emails_free(&e);
    return sink == 42 ? 3 : 0;   /* keeps the digests observable */
}
