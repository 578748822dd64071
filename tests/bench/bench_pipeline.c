/*
 * bench_pipeline.c - the plugin's identifier pipeline, in process, through
 * the ABI, against the work that cannot be avoided.
 *
 *   bench-pipeline PLUGIN.la [--records N] [--runs R] [--json FILE]
 *
 * An in-memory host feeds N pre-hashed records (mixed types and attribute
 * spellings, 2% invalid) to deliver_batch() with the host option dry_run=1,
 * so the plugin maps, validates, canonicalises and spools them into files
 * (with their MD5s) and uploads nothing.
 *
 * Baseline: a minimal loop over the same bytes that validates each value as
 * hex, copies it lower-cased into a 1 MiB buffer and feeds MD5 as the buffer
 * fills: the work any implementation must do. The target is a plugin rate of
 * at least half the baseline's.
 *
 * A second figure hashes clear-text emails: the plugin's normalise + SHA-256
 * path against SHA-256 alone over the already-normalised strings through
 * OpenSSL's one-shot EVP_Digest (the baseline).
 */
#include <config.h>

#include <errno.h>
#include <ltdl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <aconn/aconn.h>

#include "bench_util.h"

enum { CHUNK = 4096 };

typedef struct dataset {
    size_t nrec;
    aconn_record *recs;
    aconn_attr *attrs;
    char *values;          /* 65 bytes per value (64 + NUL) */
    const aconn_record **ptrs;
} dataset;

typedef struct mem_host {
    const dataset *ds;
    size_t next;
    uint64_t rejects;
    const char *dry_run;
    const aconn_record *chunk[CHUNK];
} mem_host;

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const char *const names[][2] = {
    {"sha256_hashed_email", ""},
    {"hashed_email", "sha256_hashed_email"},
    {"sha256_hashed_phone_number", ""},
    {"apple_idfa", ""},
    {"mobile_id_unique_identifier", "apple_idfa"},
    {"android_advertising_id", ""},
    {"mobile_id_unique_identifier", "android_advertising_id"},
};

/* Records with 1 or 2 attributes; 2% of records carry one damaged value. */
static int dataset_make(dataset *d, size_t nrec)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t rng = 42;
    size_t nattr = 0;

    d->nrec = nrec;
    d->recs = calloc(nrec, sizeof(*d->recs));
    d->attrs = calloc(nrec * 2, sizeof(*d->attrs));
    d->values = malloc(nrec * 2 * 65);
    d->ptrs = calloc(nrec, sizeof(*d->ptrs));
    if (!d->recs || !d->attrs || !d->values || !d->ptrs)
        return -1;
    for (size_t i = 0; i < nrec; i++) {
        uint64_t r = splitmix64(&rng);
        unsigned k = 1 + (unsigned) (r & 1);
        aconn_record *rec = &d->recs[i];

        rec->struct_size = sizeof(*rec);
        rec->seq = i + 1;
        rec->op = ACONN_RECORD_ADD;
        rec->nattrs = k;
        rec->attrs = &d->attrs[nattr];
        for (unsigned a = 0; a < k; a++, nattr++) {
            char *v = d->values + nattr * 65;
            unsigned which = (unsigned) (splitmix64(&rng) % 7);
            for (int w = 0; w < 4; w++) {
                uint64_t x = splitmix64(&rng);
                for (int j = 0; j < 16; j++)
                    v[w * 16 + j] = hex[(x >> (60 - 4 * j)) & 0xf];
            }
            v[64] = '\0';
            if (a == 0 && (r >> 8) % 100 < 2)
                v[7] = 'x';              /* invalid: not hex */
            d->attrs[nattr].name = names[which][0];
            d->attrs[nattr].type = names[which][1];
            d->attrs[nattr].value = v;
            d->attrs[nattr].value_len = 64;
        }
        d->ptrs[i] = rec;
    }
    return 0;
}

static void dataset_free(dataset *d)
{
    free(d->recs);
    free(d->attrs);
    free(d->values);
    free(d->ptrs);
}

/* ---- the in-memory host ---- */

static void h_log(void *ctx, int32_t level, const char *msg)
{
    (void) ctx;
    if (level <= ACONN_LOG_WARN)
        fprintf(stderr, "plugin: %s\n", msg);
}

static const char *h_option(void *ctx, const char *name)
{
    mem_host *h = ctx;
    return strcmp(name, "dry_run") == 0 ? h->dry_run : NULL;
}

static int64_t h_now(void *ctx)
{
    (void) ctx;
    return 1790000000000LL;
}

static int32_t h_cancelled(void *ctx)
{
    (void) ctx;
    return 0;
}

static aconn_status h_secret_get(void *ctx, const char *n, char *b, size_t bl, size_t *l)
{
    (void) ctx; (void) n; (void) b; (void) bl;
    *l = 0;
    return ACONN_ERR_NOT_FOUND;
}

static aconn_status h_secret_put(void *ctx, const char *n, const char *v, size_t l)
{
    (void) ctx; (void) n; (void) v; (void) l;
    return ACONN_OK;
}

static aconn_status h_state_get(void *ctx, const char *k, char *b, size_t bl, size_t *l,
                                uint64_t *v)
{
    (void) ctx; (void) k; (void) b; (void) bl;
    *l = 0;
    *v = 0;
    return ACONN_ERR_NOT_FOUND;
}

static aconn_status h_state_cas(void *ctx, const char *k, uint64_t e, const char *v, size_t l,
                                uint64_t *nv)
{
    (void) ctx; (void) k; (void) e; (void) v; (void) l;
    *nv = 1;
    return ACONN_OK;
}

static aconn_status h_batch_next(void *ctx, const aconn_batch *b,
                                 const aconn_record *const **recs, size_t *count)
{
    mem_host *h = ctx;
    size_t n = h->ds->nrec - h->next;
    (void) b;
    if (n > CHUNK)
        n = CHUNK;
    *recs = h->ds->ptrs + h->next;
    *count = n;
    h->next += n;
    return ACONN_OK;
}

static void h_reject(void *ctx, const aconn_batch *b, uint64_t seq, uint32_t ai,
                     const char *reason, const char *detail)
{
    mem_host *h = ctx;
    (void) b; (void) seq; (void) ai; (void) reason; (void) detail;
    h->rejects++;
}

static aconn_status out_discard(void *ctx, const char *d, size_t n)
{
    (void) ctx; (void) d; (void) n;
    return ACONN_OK;
}

/* ---- the two loops ---- */

static const unsigned char hexval[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

static double run_baseline(const dataset *d, uint64_t *accepted)
{
    enum { BUF = 1 << 20 };
    static char buf[BUF];
    size_t used = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char out[EVP_MAX_MD_SIZE];
    double t0 = bench_now();

    EVP_DigestInit_ex(md, EVP_md5(), NULL);
    *accepted = 0;
    for (size_t i = 0; i < d->nrec; i++) {
        const aconn_record *r = d->ptrs[i];
        for (uint32_t a = 0; a < r->nattrs; a++) {
            const char *v = r->attrs[a].value;
            int ok = r->attrs[a].value_len == 64;
            for (int j = 0; ok && j < 64; j++)
                ok = hexval[(unsigned char) v[j]];
            if (!ok)
                continue;
            if (used + 65 > BUF) {
                EVP_DigestUpdate(md, buf, used);
                used = 0;
            }
            for (int j = 0; j < 64; j++)
                buf[used + j] = (char) (v[j] | 0x20);
            buf[used + 64] = '\n';
            used += 65;
            (*accepted)++;
        }
    }
    EVP_DigestUpdate(md, buf, used);
    EVP_DigestFinal_ex(md, out, NULL);
    EVP_MD_CTX_free(md);
    return bench_now() - t0;
}

static double run_plugin(const aconn_plugin *p, const dataset *d, const char *dir,
                         uint64_t *rejects)
{
    mem_host h = {.ds = d, .dry_run = "1"};
    aconn_host host = {
        .struct_size = sizeof(host), .abi_major = ACONN_ABI_MAJOR, .abi_minor = ACONN_ABI_MINOR,
        .ctx = &h, .log = h_log, .option = h_option, .now_ms = h_now, .cancelled = h_cancelled,
        .secret_get = h_secret_get, .secret_put = h_secret_put, .state_get = h_state_get,
        .state_cas = h_state_cas, .batch_next = h_batch_next, .reject = h_reject,
    };
    aconn_output report = {.struct_size = sizeof(report), .write = out_discard};
    aconn_batch b = {
        .struct_size = sizeof(b), .flags = ACONN_BATCH_RUN_BEGIN | ACONN_BATCH_RUN_END,
        .connection_id = "bench", .run_id = "bench-run", .profile = "bench",
        .settings_json = "{\"connection_type\":\"new\",\"audience_name\":\"bench\","
                         "\"create_new_for\":[\"7000000000000000001\"]}",
        .spool_dir = dir, .run_first_seq = 1, .run_last_seq = d->nrec, .run_attempt = 1,
        .report = &report,
    };
    aconn_error err = {.struct_size = sizeof(err)};
    void *ctx = NULL;
    double t0 = bench_now(), t;
    aconn_status st = p->deliver_batch(&host, &ctx, &b, &err);

    t = bench_now() - t0;
    p->teardown(&host, ctx);
    if (st != ACONN_OK) {
        fprintf(stderr, "bench: deliver_batch failed: %s: %s\n", aconn_status_name(st),
                err.message);
        return -1;
    }
    *rejects = h.rejects;
    return t;
}

int main(int argc, char **argv)
{
    size_t nrec = 10000000, runs = 3;
    const char *json = NULL, *plugin_path;
    char dir[] = "/tmp/bench-pipeline-XXXXXX";
    double tb[16], tp[16];
    dataset d = {0};
    lt_dlhandle h = NULL;
    aconn_entry_fn *entry;
    const aconn_plugin *p;
    int rc = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: bench-pipeline PLUGIN.la [--records N] [--runs R] [--json FILE]\n");
        return 2;
    }
    plugin_path = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--records") == 0) nrec = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0) runs = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--json") == 0) json = argv[i + 1];
    }
    if (runs < 1 || runs > 16 || nrec == 0) {
        fprintf(stderr, "bench: --runs is 1-16 and --records at least 1\n");
        return 2;
    }
    if (lt_dlinit() != 0 || (h = lt_dlopenext(plugin_path)) == NULL) {
        fprintf(stderr, "bench: cannot load %s: %s\n", plugin_path, lt_dlerror());
        return 1;
    }
    *(void **) &entry = lt_dlsym(h, ACONN_ENTRY_SYMBOL);
    p = entry ? entry(ACONN_ABI_MAJOR, ACONN_ABI_MINOR) : NULL;
    if (p == NULL || p->abi_major != ACONN_ABI_MAJOR || mkdtemp(dir) == NULL ||
        dataset_make(&d, nrec) != 0) {
        fprintf(stderr, "bench: setup failed (plugin ABI, temp dir or memory)\n");
        goto cleanup;
    }
    for (size_t r = 0; r < runs; r++) {
        uint64_t acc, rej;
        tb[r] = run_baseline(&d, &acc);
        tp[r] = run_plugin(p, &d, dir, &rej);
        if (tp[r] < 0)
            goto cleanup;
        fprintf(stderr, "run %zu: baseline %.3f s (%llu accepted), plugin %.3f s (%llu rejects)\n",
                r + 1, tb[r], (unsigned long long) acc, tp[r], (unsigned long long) rej);
    }
    {
        double base = (double) nrec / bench_median(tb, runs);
        double plug = (double) nrec / bench_median(tp, runs);
        bench_row rows[] = {
            {"pipeline.baseline", base, "records/s", 0, 0, "", -1},
            {"pipeline.plugin", plug, "records/s", base, plug / base, "ratio >= 0.5",
             plug / base >= 0.5},
        };
        for (size_t i = 0; i < 2; i++)
            bench_print_row(stdout, &rows[i]);
        if (json != NULL && bench_write_json(json, "pipeline", rows, 2) != 0)
            fprintf(stderr, "bench: cannot write %s: %s\n", json, strerror(errno));
    }
    rc = 0;
cleanup:
    dataset_free(&d);
    rmdir(dir);
    return rc;
}
