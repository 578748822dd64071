/*
 * bench_ops.c - issue #11's operation counts: update operations (CREATE,
 * APPEND, REMOVE, REPLACE, as TikTok's oplog records them) per Ad Account
 * per run, for a daily connection with all four identifier types to one
 * new audience (in one Ad Account) and one existing MULTIPLE_TYPES audience
 * (in another). Target: 1 per account on the first run (CREATE; APPEND),
 * at most 2 afterwards (APPEND + REMOVE each).
 *
 *   bench-ops --host H --sandbox S --plugin P --gen G --work DIR
 *             [--records N] [--runs R] [--json FILE]
 *
 * One sandbox and host home for the whole series, as one connection lives:
 * the first run delivers N records (adds only, tt-gen-dataset --seed 42),
 * each later run the N/10 rows appended since (seeds 43, 44, ...; 10% of
 * them removals), with the host's and the sandbox's clocks a day on, as a
 * daily schedule runs them. The counts come from the sandbox's oplog
 * (GET /sandbox/oplog?advertiser_id=A, its "action"), before and after each
 * run.
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

#include "bench_session.h"
#include "bench_util.h"

#define MAX_OPS_RUNS 8
/* Bench 10 of the benchmark's world (bench_world_write). */
#define EXISTING_ADV "7212900000000000010"
#define EXISTING_AUD "7400000000000000001"
#define DAY_MS (24LL * 60 * 60 * 1000)

typedef struct ops_cfg {
    bench_paths paths;
    const char *gen, *work, *json;
    unsigned long long records;
    int runs;
} ops_cfg;

static int parse(int argc, char **argv, ops_cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->records = 20000;
    c->runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--host") == 0) c->paths.host = v;
        else if (strcmp(a, "--sandbox") == 0) c->paths.sandbox = v;
        else if (strcmp(a, "--plugin") == 0) c->paths.plugin = v;
        else if (strcmp(a, "--gen") == 0) c->gen = v;
        else if (strcmp(a, "--work") == 0) c->work = v;
        else if (strcmp(a, "--json") == 0) c->json = v;
        else if (strcmp(a, "--records") == 0) c->records = strtoull(v, NULL, 10);
        else if (strcmp(a, "--runs") == 0) c->runs = atoi(v);
        else return -1;
    }
    if (c->paths.host == NULL || c->paths.sandbox == NULL || c->paths.plugin == NULL
        || c->gen == NULL || c->work == NULL || c->records < 1000 || c->runs < 2
        || c->runs > MAX_OPS_RUNS) {
        fprintf(stderr, "usage: bench-ops --host H --sandbox S --plugin P --gen G --work DIR "
                        "[--records N>=1000] [--runs 2-%d] [--json FILE]\n", MAX_OPS_RUNS);
        return -1;
    }
    return 0;
}

/* The benchmark's world plus the marketer's own MULTIPLE_TYPES audience in
   Bench 10, with one member (the connector adds the rest). */
static int write_world(const ops_cfg *c, char *path, size_t cap)
{
    json_object *w, *auds, *a, *members, *emails;
    int rc;

    snprintf(path, cap, "%s/world-ops.json", c->work);
    if (bench_world_write(c->paths.sandbox, path) != 0 || (w = json_object_from_file(path)) == NULL)
        return -1;
    auds = json_object_new_array();
    a = json_object_new_object();
    members = json_object_new_object();
    emails = json_object_new_array();
    json_object_array_add(emails, json_object_new_string(
        "00000000000000000000000000000000000000000000000000000000000000aa"));
    json_object_object_add(members, "EMAIL_SHA256", emails);
    json_object_object_add(a, "audience_id", json_object_new_string(EXISTING_AUD));
    json_object_object_add(a, "advertiser_id", json_object_new_string(EXISTING_ADV));
    json_object_object_add(a, "name", json_object_new_string("Marketer's own"));
    json_object_object_add(a, "calculate_type", json_object_new_string("MULTIPLE_TYPES"));
    json_object_object_add(a, "members", members);
    json_object_array_add(auds, a);
    json_object_object_add(w, "audiences", auds);
    rc = json_object_to_file_ext(path, w, JSON_C_TO_STRING_PRETTY) == 0 ? 0 : -1;
    json_object_put(w);
    return rc;
}

/* tt-gen-dataset into path (append: onto its end). */
static int gen(const ops_cfg *c, const char *path, unsigned long long n, int seed,
               int remove_pct, int append)
{
    char tmp[700], count[32], seeds[16], rp[16];
    const char *argv[] = {c->gen, "--records", count, "--seed", seeds, "--remove-pct", rp,
                          "--out", append ? tmp : path, NULL};
    bench_proc_result res;
    FILE *in, *out;
    char buf[65536];
    size_t k;
    int rc = 0;

    snprintf(tmp, sizeof(tmp), "%s.part", path);
    snprintf(count, sizeof(count), "%llu", n);
    snprintf(seeds, sizeof(seeds), "%d", seed);
    snprintf(rp, sizeof(rp), "%d", remove_pct);
    if (bench_proc_run(argv, NULL, NULL, NULL, NULL, 600, &res) != 0 || res.exit_code != 0)
        return -1;
    if (!append)
        return 0;
    if ((in = fopen(tmp, "rb")) == NULL || (out = fopen(path, "ab")) == NULL) {
        if (in != NULL)
            fclose(in);
        return -1;
    }
    while ((k = fread(buf, 1, sizeof(buf), in)) > 0)
        rc |= fwrite(buf, 1, k, out) != k;
    rc |= fclose(out) != 0;
    fclose(in);
    unlink(tmp);
    return rc ? -1 : 0;
}

/* Operations in adv's oplog so far, and their actions appended to acts. */
static long oplog(bench_session *s, const char *adv, long skip, char *acts, size_t cap)
{
    char path[128];
    json_object *o, *ops;
    long n = -1;

    snprintf(path, sizeof(path), "/sandbox/oplog?advertiser_id=%s", adv);
    o = bench_sandbox_get_json(&s->sb, path);
    if (o != NULL && json_object_object_get_ex(o, "operations", &ops)) {
        n = (long) json_object_array_length(ops);
        for (long i = skip; acts != NULL && i < n; i++) {
            json_object *e = json_object_array_get_idx(ops, (size_t) i), *v = NULL;
            size_t len = strlen(acts);
            if (!json_object_object_get_ex(e, "action", &v) &&
                !json_object_object_get_ex(e, "op", &v))
                continue;
            snprintf(acts + len, cap - len, "%s%s", len ? "," : "", json_object_get_string(v));
        }
    }
    json_object_put(o);
    return n;
}

/* The next day, on both clocks: the host's (--clock-offset-ms) and the
   sandbox's. */
static int next_day(bench_session *s)
{
    char body[64], url[700];
    json_object *ans;

    snprintf(body, sizeof(body), "{\"advance_ms\":%lld}", DAY_MS);
    snprintf(url, sizeof(url), "%s/sandbox/clock", s->sb.base_url);
    ans = bench_http_post_json(url, body);
    if (ans == NULL)
        return -1;
    json_object_put(ans);
    s->clock_offset_ms += DAY_MS;
    return 0;
}

int main(int argc, char **argv)
{
    ops_cfg c;
    char world[600], dir[700], ds[700];
    bench_session s;
    long ops[MAX_OPS_RUNS][2], seen[2] = {0, 0}, later_max = 0;
    const char *accts[2];
    bench_row rows[4];
    int rc = 1, open = 0;

    if (parse(argc, argv, &c) != 0)
        return 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    if ((mkdir(c.work, 0700) != 0 && errno != EEXIST) || write_world(&c, world, sizeof(world))) {
        fprintf(stderr, "bench-ops: cannot prepare %s\n", c.work);
        goto cleanup;
    }
    c.paths.world = world;
    snprintf(ds, sizeof(ds), "%s/dataset-ops.jsonl", c.work);
    snprintf(dir, sizeof(dir), "%s/ops", c.work);
    if (gen(&c, ds, c.records, 42, 0, 0) != 0
        || bench_session_open_both(&s, &c.paths, dir, ds, 1, EXISTING_ADV, EXISTING_AUD) != 0)
        goto cleanup;
    open = 1;
    accts[0] = s.accounts[0];
    accts[1] = EXISTING_ADV;
    if (strcmp(accts[0], accts[1]) == 0) {
        fprintf(stderr, "bench-ops: the new audience's account is the existing one's\n");
        goto cleanup;
    }
    for (int r = 0; r < c.runs; r++) {
        bench_delivery d;
        char acts[2][128] = {"", ""};

        if (r > 0 && (gen(&c, ds, c.records / 10, 42 + r, 10, 1) != 0 || next_day(&s) != 0))
            goto cleanup;
        if (bench_session_deliver(&s, &d) != 0)
            goto cleanup;
        bench_delivery_free(&d);
        for (int k = 0; k < 2; k++) {
            long now = oplog(&s, accts[k], seen[k], acts[k], sizeof(acts[k]));
            if (now < 0)
                goto cleanup;
            ops[r][k] = now - seen[k];
            seen[k] = now;
            if (r > 0 && ops[r][k] > later_max)
                later_max = ops[r][k];
        }
        fprintf(stderr, "run %d: new audience's account %ld (%s), existing audience's "
                        "account %ld (%s)\n", r + 1, ops[r][0], acts[0], ops[r][1], acts[1]);
    }
    rows[0] = (bench_row){"ops.first_run (new audience, per account)", (double) ops[0][0],
                          "operations", 0, 0, "== 1", ops[0][0] == 1};
    rows[1] = (bench_row){"ops.first_run (existing audience, per account)", (double) ops[0][1],
                          "operations", 0, 0, "== 1", ops[0][1] == 1};
    rows[2] = (bench_row){"ops.later_runs (max per account)", (double) later_max, "operations",
                          0, 0, "<= 2", later_max <= 2};
    printf("update operations per account per run: daily connection, 4 identifier types, "
           "one new + one existing audience, %d runs\n", c.runs);
    for (size_t i = 0; i < 3; i++)
        bench_print_row(stdout, &rows[i]);
    if (c.json != NULL && bench_write_json(c.json, "ops", rows, 3) != 0)
        fprintf(stderr, "bench-ops: cannot write %s: %s\n", c.json, strerror(errno));
    rc = 0;
cleanup:
    if (open)
        (rc == 0 ? bench_session_close : bench_session_stop)(&s);
    unlink(ds);
    curl_global_cleanup();
    return rc;
}
