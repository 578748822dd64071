/*
 * bench_e2e.c - end to end: `connector-host deliver` against the sandbox
 * over loopback HTTP, the way a user runs it (tools/demo).
 *
 *   bench-e2e --host H --sandbox S --plugin P --gen G --curl C --work DIR
 *             [--records N] [--runs R] [--small-records N] [--small-runs R]
 *             [--json FILE] [--keep]
 *
 * Big: N records (default 10M) to new audiences in 3 Ad Accounts, R runs,
 * each against a fresh sandbox and host home: wall time, records/s, peak
 * RSS of the host (wait4) and of the sandbox (VmHWM), bytes uploaded and
 * API calls (the sandbox's request counter, before and after). Baseline in
 * the same run: read the dataset file, then upload the same spool bytes
 * once per account with curl, accounts in parallel (bench_baseline.h).
 *
 * Small: the small dataset (default 1M) to 1, 3 and 10 accounts: the host
 * process's CPU time (hashing and spooling happen once; only uploads may
 * grow) and, at 3 accounts, the peak RSS to set against the big one.
 *
 * The sandbox runs a world written for the benchmark: the default world's
 * app, users and Business Centers, with 10 writable Ad Accounts.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "bench_baseline.h"
#include "bench_hostread.h"
#include "bench_session.h"
#include "bench_util.h"

#define MAX_RUNS 9
#define NSCALE 3
static const int scale_accounts[NSCALE] = {1, 3, 10};

typedef struct cfg {
    bench_paths paths;
    const char *gen, *curl, *work, *json;
    unsigned long long records, small_records, clear_records;
    int runs, small_runs, clear_runs, keep;
} cfg;

/* Figures of one scenario, one entry per run. */
typedef struct series {
    int n;
    double wall[MAX_RUNS], cpu[MAX_RUNS], host_mb[MAX_RUNS], sandbox_mb[MAX_RUNS];
    double rate[MAX_RUNS], base_read[MAX_RUNS], base_upload[MAX_RUNS], base[MAX_RUNS];
    double ratio[MAX_RUNS];  /* wall / baseline of the same run */
    /* The second floor (read + SHA-256 of each identifier + upload) and the
       stages (big and clear-text runs). */
    double base_hash[MAX_RUNS], base2[MAX_RUNS], ratio2[MAX_RUNS];
    double reader[MAX_RUNS], dry[MAX_RUNS], dry_serial[MAX_RUNS];
    double reader_cpu[MAX_RUNS], dry_cpu[MAX_RUNS], dry_serial_cpu[MAX_RUNS];
    bench_delivery last;     /* calls, bytes: the same in every run */
} series;

static int parse_args(int argc, char **argv, cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->records = 10000000;
    c->small_records = 1000000;
    c->runs = 3;
    c->small_runs = 3;
    c->clear_runs = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--keep") == 0) {
            c->keep = 1;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "bench-e2e: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--host") == 0) c->paths.host = v;
        else if (strcmp(a, "--sandbox") == 0) c->paths.sandbox = v;
        else if (strcmp(a, "--plugin") == 0) c->paths.plugin = v;
        else if (strcmp(a, "--gen") == 0) c->gen = v;
        else if (strcmp(a, "--curl") == 0) c->curl = v;
        else if (strcmp(a, "--work") == 0) c->work = v;
        else if (strcmp(a, "--json") == 0) c->json = v;
        else if (strcmp(a, "--records") == 0) c->records = strtoull(v, NULL, 10);
        else if (strcmp(a, "--small-records") == 0) c->small_records = strtoull(v, NULL, 10);
        else if (strcmp(a, "--runs") == 0) c->runs = atoi(v);
        else if (strcmp(a, "--small-runs") == 0) c->small_runs = atoi(v);
        else if (strcmp(a, "--clear-records") == 0) c->clear_records = strtoull(v, NULL, 10);
        else if (strcmp(a, "--clear-runs") == 0) c->clear_runs = atoi(v);
        else {
            fprintf(stderr, "bench-e2e: unknown option %s\n", a);
            return -1;
        }
    }
    /* The clear-text runs follow the small ones unless told. */
    if (c->clear_runs < 0)
        c->clear_runs = c->small_runs;
    if (c->clear_records == 0)
        c->clear_records = c->small_records;
    if (c->curl != NULL && c->curl[0] == '\0') {
        fprintf(stderr, "bench-e2e: no curl command (configure found none): install curl, "
                        "re-run configure, or pass --curl PATH\n");
        return -1;
    }
    if (!c->paths.host || !c->paths.sandbox || !c->paths.plugin || !c->gen || !c->curl
        || !c->work || c->runs < 1 || c->runs > MAX_RUNS || c->small_runs < 0
        || c->small_runs > MAX_RUNS || c->clear_runs > MAX_RUNS || c->records == 0
        || c->small_records == 0) {
        fprintf(stderr, "usage: bench-e2e --host H --sandbox S --plugin P --gen G --curl C "
                        "--work DIR [--records N] [--runs 1-9] [--small-records N] "
                        "[--small-runs 0-9] [--clear-records N] [--clear-runs 0-9] "
                        "[--json FILE] [--keep]\n");
        return -1;
    }
    return 0;
}

static int write_world(const cfg *c, char *path, size_t cap)
{
    snprintf(path, cap, "%s/world.json", c->work);
    return bench_world_write(c->paths.sandbox, path);
}

/* tt-gen-dataset --records N --seed 42, once per size (same bytes each time);
   with clear, every email in clear text (--clear-emails-pct 100). */
static int make_dataset(const cfg *c, unsigned long long n, int clear, char *path, size_t cap)
{
    char tmp[700], count[32];
    struct stat sb;
    bench_proc_result res;

    snprintf(path, cap, "%s/dataset-%s%llu.jsonl", c->work, clear ? "clear-" : "", n);
    if (stat(path, &sb) == 0)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    snprintf(count, sizeof(count), "%llu", n);
    fprintf(stderr, "bench-e2e: writing a %llu-record dataset\n", n);
    {
        const char *argv[] = {c->gen, "--records", count, "--seed", "42", "--out", tmp,
                              clear ? "--clear-emails-pct" : NULL, "100", NULL};
        if (bench_proc_run(argv, NULL, NULL, NULL, NULL, 1800, &res) != 0 || res.exit_code != 0
            || rename(tmp, path) != 0) {
            fprintf(stderr, "bench-e2e: cannot write the dataset %s\n", path);
            return -1;
        }
    }
    return 0;
}

static void record(series *s, const bench_delivery *d)
{
    int i = s->n++;

    s->wall[i] = d->wall_s;
    s->cpu[i] = d->host_cpu_s;
    s->host_mb[i] = d->host_rss_kb / 1024.0;
    s->sandbox_mb[i] = d->sandbox_rss_kb / 1024.0;
    s->rate[i] = d->wall_s > 0 ? (double) d->records / d->wall_s : 0;
    bench_delivery_free(&s->last);
    s->last = *d;
}

static void say(const char *what, int run, const bench_delivery *d)
{
    fprintf(stderr, "bench-e2e: %s run %d: %.1f s wall, host %.1f s CPU %.1f MB, sandbox "
                    "%.0f MB, %llu records, %ld calls (minimum %ld)\n",
            what, run, d->wall_s, d->host_cpu_s, d->host_rss_kb / 1024.0,
            d->sandbox_rss_kb / 1024.0, (unsigned long long) d->records, d->calls,
            d->calls_min);
}

/* One small run with k accounts. */
static int small_run(const cfg *c, const char *dataset, int k, int run, series *s)
{
    bench_session ss;
    bench_delivery d;
    char dir[600], what[32];
    int rc;

    snprintf(dir, sizeof(dir), "%s/small-%d-%d", c->work, k, run);
    if (bench_session_open(&ss, &c->paths, dir, dataset, k) != 0)
        return -1;
    rc = bench_session_deliver(&ss, &d);
    if (rc == 0) {
        snprintf(what, sizeof(what), "%llu x %d", c->small_records, k);
        say(what, run, &d);
        record(s, &d);
    }
    if (rc == 0 && !c->keep)
        bench_session_close(&ss);
    else
        bench_session_stop(&ss);
    return rc;
}

/* Before the deliver (a dry run leaves the checkpoint): the stages that
   need no network, into slot s->n. 0 or -1. */
static int measure_stages(bench_session *ss, const char *dataset, series *s)
{
    int i = s->n;

    s->reader[i] = bench_host_read(dataset, &s->reader_cpu[i]);
    s->dry_serial[i] = bench_session_dry_run(ss, 1, &s->dry_serial_cpu[i]);
    s->dry[i] = bench_session_dry_run(ss, 0, &s->dry_cpu[i]);
    if (s->reader[i] < 0 || s->dry_serial[i] < 0 || s->dry[i] < 0)
        return -1;
    fprintf(stderr, "bench-e2e: stages: reader %.1f s (CPU %.1f s), dry run %.1f s (CPU %.1f "
                    "s; reader thread off: %.1f s, CPU %.1f s)\n", s->reader[i],
            s->reader_cpu[i], s->dry[i], s->dry_cpu[i], s->dry_serial[i],
            s->dry_serial_cpu[i]);
    return 0;
}

/* After the deliver d: both floors against the same sandbox, into slot
   s->n. 0 or -1. */
static int measure_floors(bench_session *ss, const cfg *c, const char *dataset,
                          const char *dir, const bench_bfile *files, size_t nfiles,
                          const bench_delivery *d, int run, series *s)
{
    char hdr[700];
    unsigned long long lines, values;
    double tr, th, tu;
    int i = s->n;

    snprintf(hdr, sizeof(hdr), "%s/token.hdr", dir);
    if (bench_session_token_header(ss, hdr) != 0)
        return -1;
    tr = bench_baseline_read(dataset, &lines);
    th = bench_baseline_read_hash(dataset, &values);
    tu = bench_baseline_upload(c->curl, ss->sb.base_url, hdr, ss->accounts, ss->naccounts,
                               files, nfiles, dir);
    if (tr < 0 || th < 0 || tu < 0)
        return -1;
    fprintf(stderr, "bench-e2e: baseline run %d: read %.1f s (%llu lines), read + SHA-256 "
                    "%.1f s (%llu values), upload %.1f s; ratios %.2f, %.2f\n", run, tr, lines,
            th, values, tu, d->wall_s / (tr + tu), d->wall_s / (th + tu));
    s->ratio[i] = d->wall_s / (tr + tu);
    s->ratio2[i] = d->wall_s / (th + tu);
    s->base_read[i] = tr;
    s->base_hash[i] = th;
    s->base_upload[i] = tu;
    s->base[i] = tr + tu;
    s->base2[i] = th + tu;
    return 0;
}

/* One big run (or, with clear, a clear-text run to one account): the
   stages, the deliver, then both floors against the same sandbox. The
   baseline's files copy the first run's spool files (sizes, types). */
static int measured_run(const cfg *c, const char *dataset, int clear, int run, series *s,
                        bench_bfile **files, size_t *nfiles)
{
    bench_session ss;
    bench_delivery d;
    char dir[600], what[48];
    int rc = -1, delivered = 0, k = clear ? 1 : 3;

    snprintf(dir, sizeof(dir), "%s/%s-%d", c->work, clear ? "clear" : "big", run);
    if ((clear ? bench_session_open_clear(&ss, &c->paths, dir, dataset, k)
               : bench_session_open(&ss, &c->paths, dir, dataset, k)) != 0)
        return -1;
    if (measure_stages(&ss, dataset, s) != 0 || bench_session_deliver(&ss, &d) != 0)
        goto cleanup;
    delivered = 1;
    snprintf(what, sizeof(what), "%llu x %d%s", clear ? c->clear_records : c->records, k,
             clear ? " (clear-text emails)" : "");
    say(what, run, &d);
    if (*files == NULL && bench_baseline_make_files(d.files, c->work, clear ? "clear-" : "", files,
                                                         nfiles) != 0)
        goto cleanup;
    if (measure_floors(&ss, c, dataset, dir, *files, *nfiles, &d, run, s) != 0)
        goto cleanup;
    record(s, &d);
    delivered = 0;
    rc = 0;
cleanup:
    if (delivered)
        bench_delivery_free(&d);
    if (rc == 0 && !c->keep)
        bench_session_close(&ss);
    else
        bench_session_stop(&ss);
    return rc;
}

/* 10000000 -> "10M", 200000 -> "200k", for row names. */
static const char *short_count(unsigned long long n, char *buf, size_t cap)
{
    if (n >= 1000000 && n % 1000000 == 0)
        snprintf(buf, cap, "%lluM", n / 1000000);
    else if (n >= 1000 && n % 1000 == 0)
        snprintf(buf, cap, "%lluk", n / 1000);
    else
        snprintf(buf, cap, "%llu", n);
    return buf;
}

static bench_row row(const char *name, double value, const char *unit, double baseline,
                     const char *target, int met)
{
    bench_row r = {name, value, unit, baseline, baseline > 0 ? value / baseline : 0, target,
                   met};
    return r;
}

/*
 * The breakdown by stage (medians), each row named "<stage> (<n> <k>)".
 * CPU seconds, which a busy shared machine does not inflate: the host's
 * reader alone (ch_dataset in this process), map/hash/spool + MD5 (the
 * serial dry run's CPU less the reader's); then wall seconds: the dry run
 * (read, parse, map, hash, spool; nothing sent) with the reader thread and
 * without it, what the thread saves, the uploads as the curl floor takes
 * them, and the rest of the deliver (creates, updates, reporting gets and
 * their waits; the plugin uploads after it spooled). On an idle machine
 * the dry run with the thread approaches the larger of the two CPU
 * figures. names: STAGE_ROWS rows. Returns the rows written.
 */
#define STAGE_ROWS 7
static size_t stage_rows(const series *s, double wall, const char *n, const char *k,
                         bench_row *out, char (*names)[64])
{
    static const char *const what[STAGE_ROWS] = {
        "stage.read_parse_cpu", "stage.map_hash_spool_md5_cpu", "stage.dry_run",
        "stage.dry_run_reader_thread_off", "stage.reader_thread_saves", "stage.upload",
        "stage.remote_calls_waits",
    };
    size_t m = (size_t) s->n;
    double reader = bench_median(s->reader_cpu, m);
    double serial_cpu = bench_median(s->dry_serial_cpu, m);
    double serial = bench_median(s->dry_serial, m);
    double dry = bench_median(s->dry, m);
    double upload = bench_median(s->base_upload, m);
    double v[STAGE_ROWS] = {reader, serial_cpu - reader, dry, serial, serial - dry, upload,
                            wall - dry - upload};

    for (size_t i = 0; i < STAGE_ROWS; i++) {
        snprintf(names[i], 64, "%s (%s %s)", what[i], n, k);
        out[i] = row(names[i], v[i], "s", i >= 2 ? wall : 0, "", -1);
    }
    return STAGE_ROWS;
}

/* The rows of the big runs (names 0, 8 and 9-15). */
static size_t big_rows(const series *big, const char *big_n, bench_row *rows,
                       char (*names)[64])
{
    double wall = bench_median(big->wall, big->n), base = bench_median(big->base, big->n);
    double host10 = bench_median(big->host_mb, big->n);
    size_t nr = 0;
    const bench_delivery *bl = &big->last;

    snprintf(names[0], 64, "e2e.wall (%s x 3)", big_n);
    /* The ratio is the median of each run's wall / that run's baseline:
       both sides of a ratio saw the same moment of a shared machine. */
    double ratio = bench_median(big->ratio, big->n);
    rows[nr] = row(names[0], wall, "s", base, "ratio <= 2.5", ratio <= 2.5);
    rows[nr++].ratio = ratio;
    snprintf(names[8], 64, "e2e.wall vs read+SHA-256+upload (%s x 3)", big_n);
    rows[nr] = row(names[8], wall, "s", bench_median(big->base2, big->n), "", -1);
    rows[nr++].ratio = bench_median(big->ratio2, big->n);
    rows[nr++] = row("e2e.baseline.read", bench_median(big->base_read, big->n), "s", 0, "", -1);
    rows[nr++] = row("e2e.baseline.read_sha256", bench_median(big->base_hash, big->n), "s", 0,
                     "", -1);
    rows[nr++] = row("e2e.baseline.upload", bench_median(big->base_upload, big->n), "s", 0,
                     "", -1);
    nr += stage_rows(big, wall, big_n, "x 3", &rows[nr], &names[9]);
    rows[nr++] = row("e2e.records_per_s", bench_median(big->rate, big->n), "records/s", 0, "",
                     -1);
    rows[nr++] = row("e2e.host_cpu", bench_median(big->cpu, big->n), "s", 0, "", -1);
    rows[nr++] = row("e2e.host_peak_rss", host10, "MB", 0, "<= 64 MB", host10 <= 64);
    rows[nr++] = row("e2e.sandbox_peak_rss", bench_median(big->sandbox_mb, big->n), "MB", 0,
                     "", -1);
    rows[nr++] = row("e2e.bytes_uploaded", (double) bl->bytes_uploaded / 1e6, "MB", 0, "",
                     -1);
    rows[nr++] = row("e2e.api_calls", (double) bl->calls, "calls", (double) bl->calls_min,
                     "== minimum", bl->calls == bl->calls_min);
    rows[nr++] = row("e2e.api_calls.uploads", (double) bl->uploads, "calls",
                     (double) (bl->nfiles * 3), "== files x accounts",
                     bl->uploads == bl->nfiles * 3);
    /* Of those, the ones made while the spool was still written (all but
       the files the spool's finish closes). */
    rows[nr++] = row("e2e.uploads_while_spooling", (double) bl->early_uploads, "uploads",
                     (double) bl->uploads, "", -1);
    rows[nr - 1].ratio = bl->uploads > 0 ? (double) bl->early_uploads / bl->uploads : 0;
    rows[nr++] = row("e2e.api_calls.create_update", (double) (bl->creates + bl->updates),
                     "calls", (double) (bl->ngroups * 3), "== audiences",
                     bl->creates + bl->updates == bl->ngroups * 3);
    rows[nr++] = row("e2e.api_calls.get (reporting)", (double) bl->gets, "calls", 3,
                     "== accounts", bl->gets == 3);
    rows[nr++] = row("e2e.api_calls.list (before each create)", (double) bl->lists, "calls",
                     (double) bl->lists_min, "== audiences", bl->lists == bl->lists_min);
    rows[nr++] = row("e2e.api_calls.other", (double) bl->other_calls, "calls", 0, "== 0",
                     bl->other_calls == 0);
    return nr;
}

/* The rows of the small runs against the big one (names 1-7 and 16-18). */
static size_t small_rows(const series small[NSCALE], const char *small_n, const char *big_n,
                         double host10, bench_row *rows, char (*names)[64])
{
    size_t nr = 0;
    double host1 = bench_median(small[1].host_mb, small[1].n);
    double cpu1 = bench_median(small[0].cpu, small[0].n);
    const bench_delivery *sl = &small[1].last;

    snprintf(names[1], 64, "memory.host_peak_rss (%s)", small_n);
    rows[nr++] = row(names[1], host1, "MB", 0, "<= 64 MB", host1 <= 64);
    snprintf(names[2], 64, "memory.host_peak_rss (%s)", big_n);
    rows[nr++] = row(names[2], host10, "MB", host1, "ratio <= 1.10",
                     host10 <= 64 && host10 <= 1.10 * host1);
    snprintf(names[3], 64, "api.calls (%s x 3)", small_n);
    rows[nr++] = row(names[3], (double) sl->calls, "calls", (double) sl->calls_min,
                     "== minimum", sl->calls == sl->calls_min);
    for (int k = 0; k < NSCALE; k++) {
        double cpu = bench_median(small[k].cpu, small[k].n);
        snprintf(names[4 + k], 64, "scaling.host_cpu (%d account%s)", scale_accounts[k],
                 scale_accounts[k] > 1 ? "s" : "");
        rows[nr++] = k == 0 ? row(names[4 + k], cpu, "s", 0, "", -1)
                            : row(names[4 + k], cpu, "s", cpu1, "ratio <= 2",
                                  cpu <= 2 * cpu1);
    }
    {
        double cpu10 = bench_median(small[2].cpu, small[2].n);
        rows[nr++] = row("scaling.cpu_per_extra_account", (cpu10 - cpu1) / 9, "s", 0,
                         "", -1);
    }
    /* For the plot: records/s against accounts (and, with the big
       run, against records). */
    for (int k = 0; k < NSCALE; k++) {
        snprintf(names[16 + k], 64, "scaling.records_per_s (%s x %d)", small_n,
                 scale_accounts[k]);
        rows[nr++] = row(names[16 + k], bench_median(small[k].rate, small[k].n),
                         "records/s", 0, "", -1);
    }
    return nr;
}

/* The rows of the clear-text runs (names 20-28). */
static size_t clear_rows(const cfg *c, const series *clear, bench_row *rows,
                         char (*names)[64])
{
    char clear_n[24];
    size_t nr = 0;
    double cw = bench_median(clear->wall, clear->n);
    double r2 = bench_median(clear->ratio2, clear->n);

    short_count(c->clear_records, clear_n, sizeof(clear_n));
    snprintf(names[20], 64, "clear.wall vs read+SHA-256+upload (%s x 1)", clear_n);
    rows[nr] = row(names[20], cw, "s", bench_median(clear->base2, clear->n), "ratio <= 2",
                   r2 <= 2);
    rows[nr++].ratio = r2;
    snprintf(names[21], 64, "clear.wall vs read+upload (%s x 1)", clear_n);
    rows[nr] = row(names[21], cw, "s", bench_median(clear->base, clear->n), "", -1);
    rows[nr++].ratio = bench_median(clear->ratio, clear->n);
    rows[nr++] = row("clear.baseline.read_sha256", bench_median(clear->base_hash, clear->n),
                     "s", 0, "", -1);
    rows[nr++] = row("clear.baseline.upload", bench_median(clear->base_upload, clear->n),
                     "s", 0, "", -1);
    nr += stage_rows(clear, cw, clear_n, "x 1", &rows[nr], &names[22]);
    return nr;
}

int main(int argc, char **argv)
{
    cfg c;
    char world[600], big_ds[700] = "", small_ds[700] = "", clear_ds[700] = "";
    series big = {0}, small[NSCALE] = {{0}}, clear = {0};
    bench_bfile *files = NULL, *clear_files = NULL;
    size_t nfiles = 0, nclear = 0;
    bench_row rows[64];
    static char names[64][64];
    size_t nr = 0;
    int rc = 1;

    if (parse_args(argc, argv, &c) != 0)
        return 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    if ((mkdir(c.work, 0700) != 0 && errno != EEXIST) || write_world(&c, world, sizeof(world))) {
        fprintf(stderr, "bench-e2e: cannot prepare %s\n", c.work);
        goto cleanup;
    }
    c.paths.world = world;
    if (make_dataset(&c, c.records, 0, big_ds, sizeof(big_ds)) != 0
        || (c.small_runs > 0 && make_dataset(&c, c.small_records, 0, small_ds, sizeof(small_ds)))
        || (c.clear_runs > 0 && make_dataset(&c, c.clear_records, 1, clear_ds, sizeof(clear_ds))))
        goto cleanup;

    /* Small first: quick to fail if something is wrong. Accounts inner, so
       the machine's noise spreads over all three. */
    for (int r = 1; r <= c.small_runs; r++)
        for (int k = 0; k < NSCALE; k++)
            if (small_run(&c, small_ds, scale_accounts[k], r, &small[k]) != 0)
                goto cleanup;
    for (int r = 1; r <= c.clear_runs; r++)
        if (measured_run(&c, clear_ds, 1, r, &clear, &clear_files, &nclear) != 0)
            goto cleanup;
    for (int r = 1; r <= c.runs; r++)
        if (measured_run(&c, big_ds, 0, r, &big, &files, &nfiles) != 0)
            goto cleanup;

    {
        char big_n[24], small_n[24];

        short_count(c.records, big_n, sizeof(big_n));
        short_count(c.small_records, small_n, sizeof(small_n));
        nr += big_rows(&big, big_n, &rows[nr], names);
        if (c.small_runs > 0)
            nr += small_rows(small, small_n, big_n, bench_median(big.host_mb, big.n),
                             &rows[nr], names);
        if (c.clear_runs > 0)
            nr += clear_rows(&c, &clear, &rows[nr], names);
    }
    printf("end to end: %llu records x 3 accounts, %d runs; small %llu records, %d runs "
           "(medians)\n", c.records, c.runs, c.small_records, c.small_runs);
    for (size_t i = 0; i < nr; i++)
        bench_print_row(stdout, &rows[i]);
    if (c.json != NULL && bench_write_json(c.json, "e2e", rows, nr) != 0)
        fprintf(stderr, "bench-e2e: cannot write %s: %s\n", c.json, strerror(errno));
    rc = 0;
cleanup:
    /* Gigabytes of scratch: kept only when asked. */
    if (!c.keep) {
        for (size_t i = 0; files != NULL && i < nfiles; i++)
            unlink(files[i].path);
        for (size_t i = 0; clear_files != NULL && i < nclear; i++)
            unlink(clear_files[i].path);
        unlink(clear_ds);
        unlink(big_ds);
        unlink(small_ds);
    }
    free(files);
    free(clear_files);
    bench_delivery_free(&big.last);
    bench_delivery_free(&clear.last);
    for (int k = 0; k < NSCALE; k++)
        bench_delivery_free(&small[k].last);
    curl_global_cleanup();
    return rc;
}
