/*
 * bench_state.c - what the state backend costs per delivery run (issue
 * #12): the state operations of one run of a worker, on SQLite or on
 * PostgreSQL, without the plugin or TikTok.
 *
 *   bench-state URL | --throwaway-pg [--runs N]
 *
 * One run: list the due connections, take the lease (fenced), read the
 * connection, open the run, 8 plugin-state reads and 8 fenced
 * compare-and-sets (what the TikTok plugin writes for a run with one new
 * audience: layout, intent, audience record, claim, budget reservations,
 * run records), close the run, release the lease. Prints ms per run.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/ch_lease.h"
#include "host/ch_state.h"
#include "ts.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int one_run(ch_state *st, ch_connection *c, int i, char *err, size_t errlen)
{
    char **ids = NULL, key[64], val[64], buf[128];
    size_t n = 0, len = 0;
    uint64_t ver = 0, nv = 0;
    int64_t token = 0, t = 1000000 + (int64_t) i * 10;
    ch_connection got;
    char run[32];

    if (ch_lease_candidates(st, t, 64, &ids, &n, err, errlen) != 0)
        return -1;
    ch_lease_ids_free(ids, n);
    if (ch_lease_take(st, c->id, "bench", NULL, t, 60000, &token, err, errlen) != 1
        || ch_state_fence(st, c->id, "bench", token) != 0
        || ch_state_connection_get(st, c->id, &got, err, errlen) != 0)
        return -1;
    snprintf(run, sizeof(run), "r_bench_%d", i);
    got.run_id = strdup(run);
    got.run_first = (uint64_t) i + 1;
    got.run_last = (uint64_t) i + 1;
    got.run_attempt = 1;
    if (ch_state_run_begin(st, &got, t, err, errlen) != 0)
        return -1;
    for (int k = 0; k < 8; k++) {
        snprintf(key, sizeof(key), "run/%d/%d", i, k);
        snprintf(val, sizeof(val), "{\"k\":%d}", k);
        (void) ch_state_kv_get(st, "bench", key, buf, sizeof(buf), &len, &ver);
        if (ch_state_kv_cas(st, "bench", key, 0, val, strlen(val), &nv) != ACONN_OK)
            return -1;
    }
    if (ch_state_run_end(st, &got, NULL, "delivered", 0, "{}", t + 5, err, errlen) != 0)
        return -1;
    ch_connection_clear(&got);
    ch_state_fence(st, NULL, NULL, 0);
    return ch_lease_release(st, c->id, "bench", token, 0, err, errlen) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *url = NULL;
    ts_pg *pg = NULL;
    char why[512] = "", err[1024] = "";
    ch_state *st = NULL;
    ch_connection c;
    int runs = 300, rc = 1;
    double t0, t1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--throwaway-pg") == 0)
            url = "pg";
        else
            url = argv[i];
    }
    if (url == NULL || runs <= 0) {
        fprintf(stderr, "usage: bench-state URL | --throwaway-pg [--runs N]\n");
        return 2;
    }
    if (strcmp(url, "pg") == 0) {
        if (ts_pg_start(&pg, why, sizeof(why)) != 0) {
            fprintf(stderr, "bench-state: no PostgreSQL: %s\n", why);
            return 77;
        }
        url = ts_pg_url(pg);
    }
    if (ch_state_open(url, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench-state: %s\n", err);
        goto cleanup;
    }
    memset(&c, 0, sizeof(c));
    c.id = (char *) "c_bench";
    c.plugin_path = c.plugin_id = c.profile = (char *) "bench";
    c.dataset_path = (char *) "/dev/null";
    c.settings_json = (char *) "{}";
    if (ch_state_connection_insert(st, &c, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench-state: %s\n", err);
        goto cleanup;
    }
    t0 = now_s();
    for (int i = 0; i < runs; i++)
        if (one_run(st, &c, i, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench-state: run %d: %s\n", i, err);
            goto cleanup;
        }
    t1 = now_s();
    printf("{\"backend\":\"%s\",\"runs\":%d,\"ms_per_run\":%.2f}\n", ch_state_backend(st), runs,
           (t1 - t0) * 1000.0 / runs);
    rc = 0;
cleanup:
    ch_state_close(st);
    ts_pg_stop(pg);
    return rc;
}
