/*
 * test_reliability.c - the connector under faults, crashes and concurrency:
 * connector-host + the plugin + the TikTok sandbox over HTTPS.
 *
 *  - fault soak: the sandbox injects rate limits, server errors, dropped
 *    connections, answers slower than the connector's request timeout and
 *    creates/updates applied with their answer lost, from a seed; the run is
 *    repeated (a bounded number of times, as a scheduler would) until it
 *    ends by itself;
 *  - crash and resume: the host SIGKILLs itself at deterministic points of
 *    a delivery (test hooks of the reference host), then reruns;
 *  - concurrency: eight deliver processes share Ad Accounts and one home.
 *
 * Afterwards every audience holds exactly the members computed from the
 * dataset files (e2e_changes, independent of the plugin), each target has
 * exactly one audience per type, and no Ad Account saw more than 24 update
 * operations in a UTC day (the sandbox's oplog).
 *
 * REL_SOAK=1 (make soak) runs the long variant: 1 million identifiers to
 * three Ad Accounts, more seeds.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "e2e.h"

extern char **environ;

#define DAY_MS (24LL * 60 * 60 * 1000)
#define HOUR_MS (60LL * 60 * 1000)
/* The connector gives up on a non-upload answer after this long; the
   sandbox's slow answers take REL_SLOW_MS, a bit more. */
#define REL_TIMEOUT_MS "1200"
#define REL_SLOW_MS 1600
#define REL_BUDGET 24            /* TikTok's updates per Ad Account per UTC day */
#define REL_KILLED (128 + SIGKILL)
#define REL_PROC_TIMEOUT_MS (120 * 1000)

static int soak_mode(void)
{
    const char *v = getenv("REL_SOAK");
    return v != NULL && strcmp(v, "1") == 0;
}

static int verbose(void)
{
    return getenv("E2E_VERBOSE") != NULL;
}

static void sets_free(e2e_set s[E2E_NTYPES])
{
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_free(&s[t]);
}

/* connect; returns the malloc'd connection id, or NULL. tag names the
   settings file, so several connections can live in one fixture. */
static char *connect_dataset(e2e *e, const char *tag, const char *dataset,
                             const char *settings_text)
{
    char settings[E2E_PATH];
    e2e_out o;
    char *id = NULL;

    snprintf(settings, sizeof(settings), "%s/settings-%s.json", e->dir, tag);
    if (e2e_write(settings, settings_text) != 0)
        return NULL;
    const char *args[] = {"connect", "--plugin", getenv("TT_PLUGIN"), "--profile", e->profile,
                          "--dataset", dataset, "--settings", settings, NULL};
    if (e2e_host(e, &o, args) != 0)
        return NULL;
    if (o.exit_code != 0)
        fprintf(stderr, "connect failed (%d): %s %s\n", o.exit_code, o.out, o.err);
    if (o.exit_code == 0 && o.out != NULL) {
        o.out[strcspn(o.out, "\r\n")] = '\0';
        id = strdup(o.out);
    }
    e2e_out_free(&o);
    return id;
}

static long long real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The sandbox's clock set to the host's (wall clock + offset), so a run
   deferred to the next UTC day finds TikTok's day moved too: otherwise
   TikTok would still count the old day's updates. */
static void sync_sandbox_clock(e2e *e)
{
    char body[64], *url = ts_sandbox_url(e->sb, "/sandbox/clock"), *resp = NULL;
    long status = 0;

    snprintf(body, sizeof(body), "{\"set_ms\":%lld}", real_now_ms() + e->clock_offset_ms);
    CU_ASSERT(url != NULL &&
              ts_http_post_json(url, ts_sandbox_ca_file(e->sb), body, &status, &resp) == 0 &&
              status == 200);
    free(url);
    free(resp);
}

/* After a retry-later answer, move the host clock past not_before as a
   scheduler would wait (e2e_deliver does the same). */
static void pass_not_before(e2e *e, json_object *report)
{
    json_object *nb = ts_json_at(report, "not_before_ms");
    if (nb != NULL) {
        long long want = json_object_get_int64(nb) - real_now_ms() + 1;
        if (want > e->clock_offset_ms)
            e->clock_offset_ms = want;
        sync_sandbox_clock(e);
    }
}

/* deliver with the short request timeout. */
static int deliver(e2e *e, const char *conn, e2e_out *o)
{
    const char *args[] = {"deliver", "--connection", conn, "--request-timeout-ms",
                          REL_TIMEOUT_MS, NULL};
    int rc = e2e_host(e, o, args);

    if (rc == 0 && o->exit_code == 75 && o->json != NULL)
        pass_not_before(e, o->json);
    if (rc == 0 && verbose())
        fprintf(stderr, "deliver exit %d: %s\n%s\n", o->exit_code, o->out, o->err);
    return rc;
}

/*
 * The host clock jumps past not_before, but TikTok's requests in flight run
 * in real time: a slow answer the connector gave up on (after
 * REL_TIMEOUT_MS) is applied REL_SLOW_MS after it arrived. A real scheduler
 * waits retry_after (a second or more) before the next attempt, by which
 * time it has landed; this wait stands in for that, so the tests do not
 * start an attempt that no scheduler would start.
 */
static void wait_in_flight(void)
{
    long ms = REL_SLOW_MS - atol(REL_TIMEOUT_MS) + 200;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Runs deliver until it succeeds, at most max_calls times; every answer
   must be success or retry-later. Returns the number of calls, or -1 when
   the run did not end by itself. */
static int deliver_until_done(e2e *e, const char *conn, int max_calls)
{
    for (int call = 1; call <= max_calls; call++) {
        e2e_out o;
        int code;

        if (deliver(e, conn, &o) != 0) {
            e2e_out_free(&o);
            return -1;
        }
        code = o.exit_code;
        if (code != 0 && code != 75)
            fprintf(stderr, "deliver: unexpected exit %d: %s\n%s\n", code,
                    o.out ? o.out : "", o.err ? o.err : "");
        e2e_out_free(&o);
        CU_ASSERT(code == 0 || code == 75);
        if (code == 0)
            return call;
        if (code != 75)
            return -1;
        wait_in_flight();
    }
    return -1;
}

/* Both clocks (the sandbox's and the host's) 25 hours later: a new UTC
   day, and a fresh window of the plugin's rolling 25-hour budget. */
static void next_day(e2e *e)
{
    CU_ASSERT_FATAL(ts_sandbox_advance_clock(e->sb, DAY_MS + HOUR_MS) == 0);
    e->clock_offset_ms += DAY_MS + HOUR_MS;
}

/* POST /sandbox/faults: the faults apply from now on (the fixture's own
   authorization ran without them). */
static int set_faults(e2e *e, const char *spec)
{
    char *url = ts_sandbox_url(e->sb, "/sandbox/faults");
    ts_http_resp r = {0};
    int rc = -1;

    if (url != NULL &&
        ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), NULL, spec, strlen(spec),
                        &r) == 0 && r.status == 200)
        rc = 0;
    if (rc != 0)
        fprintf(stderr, "set faults '%s' failed: HTTP %ld %s\n", spec, r.status,
                r.body ? r.body : "");
    ts_http_resp_free(&r);
    free(url);
    return rc;
}

/* The most update operations adv saw in one UTC day (sandbox oplog). */
static int max_updates_per_day(e2e *e, const char *adv)
{
    char path[128], *url, *body = NULL;
    long status = 0;
    json_object *j = NULL, *list;
    int best = 0;

    snprintf(path, sizeof(path), "/sandbox/oplog?advertiser_id=%s", adv);
    url = ts_sandbox_url(e->sb, path);
    if (url == NULL || ts_http_get(url, ts_sandbox_ca_file(e->sb), &status, &body) != 0 ||
        status != 200 || (j = json_tokener_parse(body)) == NULL) {
        free(url);
        free(body);
        return -1;
    }
    list = ts_json_at(j, "operations");
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        const char *op = ts_world_get(json_object_array_get_idx(list, i), "op");
        const char *day = ts_world_get(json_object_array_get_idx(list, i), "utc_day");
        int n = 0;

        if (op == NULL || strcmp(op, "update") != 0 || day == NULL)
            continue;
        for (size_t k = 0; k < json_object_array_length(list); k++) {
            const char *op2 = ts_world_get(json_object_array_get_idx(list, k), "op");
            const char *day2 = ts_world_get(json_object_array_get_idx(list, k), "utc_day");
            n += op2 != NULL && strcmp(op2, "update") == 0 && day2 != NULL &&
                 strcmp(day, day2) == 0;
        }
        if (n > best)
            best = n;
    }
    json_object_put(j);
    free(url);
    free(body);
    return best;
}

/* The one new audience "<name>" (MULTIPLE_TYPES) of each account holds
   exactly the members of the whole dataset, every type, and exists once.
   Returns the identifiers checked. */
static size_t assert_new_audiences(e2e *e, const char *dataset, const char *name,
                                   const char *const *accounts, size_t naccounts)
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES], want = {0}, none = {0};
    size_t checked = 0;

    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set one = {0};
        CU_ASSERT(e2e_set_apply(&one, &adds[t], &removes[t]) == 0);
        CU_ASSERT(e2e_set_apply(&want, &one, &none) == 0);
        e2e_set_free(&one);
    }
    for (size_t a = 0; a < naccounts; a++) {
        char id[32];
        e2e_set got;
        int n = e2e_audiences_named(e, accounts[a], name, id);

        if (n != 1)
            fprintf(stderr, "%s in %s: %d audiences, expected 1\n", name, accounts[a], n);
        CU_ASSERT_EQUAL(n, 1);    /* exactly one audience per target */
        if (n < 1)
            continue;
        CU_ASSERT_FATAL(e2e_members(e, id, &got) == 0);
        if (!e2e_set_equal(&got, &want))
            fprintf(stderr, "%s in %s: %zu members, expected %zu\n", name, accounts[a],
                    got.n, want.n);
        CU_ASSERT(e2e_set_equal(&got, &want));
        checked += want.n;
        e2e_set_free(&got);
    }
    e2e_set_free(&want);
    sets_free(adds);
    sets_free(removes);
    return checked;
}

static void assert_budget(e2e *e, const char *const *accounts, size_t naccounts)
{
    for (size_t a = 0; a < naccounts; a++) {
        int most = max_updates_per_day(e, accounts[a]);
        if (most < 0 || most > REL_BUDGET)
            fprintf(stderr, "account %s: %d updates in one UTC day\n", accounts[a], most);
        CU_ASSERT(most >= 0 && most <= REL_BUDGET);
    }
}

/* ------------------------------------------------------------------ */
/* 1. Fault soak                                                       */
/* ------------------------------------------------------------------ */

/* One seed: a first run creating audiences in three accounts, then an
   incremental run (adds and removals) updating them, both under faults. */
static void fault_soak_seed(unsigned long seed, unsigned long records, unsigned long more,
                            size_t naccounts, size_t *identifiers, int *calls)
{
    e2e e;
    char faults[256], dataset[E2E_PATH], settings[512], name[32], targets[256] = "";
    const char *acc[3];
    char *conn;
    int n;

    CU_ASSERT_FATAL(naccounts >= 1 && naccounts <= 3);
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    for (size_t i = 0; i < naccounts; i++) {
        acc[i] = e2e_account(&e, i, "Crowded");
        CU_ASSERT_FATAL(acc[i] != NULL);
        snprintf(targets + strlen(targets), sizeof(targets) - strlen(targets), "%s\"%s\"",
                 i > 0 ? "," : "", acc[i]);
    }
    snprintf(name, sizeof(name), "Soak%lu", seed);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, records, seed, 1, 1, 0.2, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[%s]}", name, targets);
    conn = connect_dataset(&e, "soak", dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    /* Every TikTok endpoint, the OAuth ones included; not the control API. */
    snprintf(faults, sizeof(faults),
             "seed=%lu,rate_limit=0.1,server_error=0.05,drop=0.02,slow=%s,slow_ms=%d,"
             "lost_response=0.01", seed, getenv("REL_NO_SLOW") ? "0" : "0.01", REL_SLOW_MS);
    CU_ASSERT_FATAL(set_faults(&e, faults) == 0);

    n = deliver_until_done(&e, conn, 60);
    CU_ASSERT(n > 0);
    *calls += n > 0 ? n : 0;
    CU_ASSERT_FATAL(set_faults(&e, "") == 0);   /* the checks read without faults */
    if (verbose())
        fprintf(stderr, "seed %lu: first run done in %d calls\n", seed, n);
    *identifiers += assert_new_audiences(&e, dataset, name, acc, naccounts);
    CU_ASSERT_FATAL(set_faults(&e, faults) == 0);

    /* More rows, 10% of them removals: updates (APPEND, REMOVE) under faults. */
    CU_ASSERT_FATAL(e2e_gen(dataset, more, seed + 1000, 1, 10, 0.2, 1) == 0);
    n = deliver_until_done(&e, conn, 60);
    CU_ASSERT(n > 0);
    *calls += n > 0 ? n : 0;
    CU_ASSERT_FATAL(set_faults(&e, "") == 0);
    assert_new_audiences(&e, dataset, name, acc, naccounts);
    assert_budget(&e, acc, naccounts);
    if (verbose())
        fprintf(stderr, "fault soak seed %lu: %d deliver calls so far\n", seed, *calls);
    free(conn);
    e2e_teardown(&e);
}

static void test_fault_soak(void)
{
    static const unsigned long quick_seeds[] = {101, 202, 303};
    static const unsigned long soak_seeds[] = {1, 2, 3, 4, 5};
    const unsigned long *seeds = soak_mode() ? soak_seeds : quick_seeds;
    size_t nseeds = soak_mode() ? sizeof(soak_seeds) / sizeof(soak_seeds[0])
                                : sizeof(quick_seeds) / sizeof(quick_seeds[0]);
    /* ~1.66 identifiers a record, some invalid or removed: 620,000 records
       leave a little over a million per audience set. */
    unsigned long records = soak_mode() ? 620000 : 4500;
    unsigned long more = soak_mode() ? 30000 : 1200;
    /* Three Ad Accounts in the soak; two keep make check short. */
    size_t accounts = soak_mode() ? 3 : 2;

    /* REL_ACCOUNTS=N (1..3) with REL_SEED replays a failure exactly. */
    if (getenv("REL_ACCOUNTS") != NULL)
        accounts = strtoul(getenv("REL_ACCOUNTS"), NULL, 10);
    size_t identifiers = 0, runs = 0;
    int calls = 0;
    unsigned long one_seed;

    /* REL_SEED=N replays one seed (for debugging a failure). */
    if (getenv("REL_SEED") != NULL) {
        one_seed = strtoul(getenv("REL_SEED"), NULL, 10);
        seeds = &one_seed;
        nseeds = 1;
    }
    /* The soak also replays the quick seeds on three accounts: seed 303
       there meets an APPEND that timed out and landed at TikTok after the
       run's REMOVE (a known, reported bug). */
    for (size_t s = 0; soak_mode() && getenv("REL_SEED") == NULL &&
                       s < sizeof(quick_seeds) / sizeof(quick_seeds[0]); s++) {
        fault_soak_seed(quick_seeds[s], 4500, 1200, 3, &identifiers, &calls);
        runs++;
    }
    for (size_t s = 0; s < nseeds; s++) {
        fault_soak_seed(seeds[s], records, more, accounts, &identifiers, &calls);
        runs++;
    }
    /* identifiers: the members checked, summed over every audience. */
    fprintf(stderr, "\nfault soak: %zu seeded runs, %zu identifiers checked in place, "
            "%d deliver calls\n", runs, identifiers, calls);
}

/* ------------------------------------------------------------------ */
/* 2. Crash and resume                                                 */
/* ------------------------------------------------------------------ */

/* One deliver with a kill hook set to n. Returns the exit code. */
static int deliver_with_hook(e2e *e, const char *conn, const char *hook, int n)
{
    char value[16];
    e2e_out o;
    int code;

    snprintf(value, sizeof(value), "%d", n);
    CU_ASSERT_FATAL(setenv(hook, value, 1) == 0);
    CU_ASSERT_FATAL(deliver(e, conn, &o) == 0);
    unsetenv(hook);
    code = o.exit_code;
    e2e_out_free(&o);
    return code;
}

/* A kill point: the hook, its N, and whether it hits the connection's first
   run (spool, upload, intent, create, audience record, REMOVE update) or its
   second (spool, upload, APPEND and REMOVE updates). */
typedef struct kill_point {
    const char *hook;
    int n;
    int second_run;
} kill_point;

#define KILL_WRITE "CONNECTOR_HOST_TEST_KILL_BEFORE_WRITE"
#define KILL_CHUNK "CONNECTOR_HOST_TEST_KILL_AT_CHUNK"

/*
 * For each point, a fresh connection (two Ad Accounts, four identifier
 * types) is delivered up to the point, where the host SIGKILLs itself; the
 * kill must happen. Then deliver is rerun until the run completes: every
 * audience holds exactly the dataset's members, once.
 */
static void test_crash_and_resume(void)
{
    /* The plugin's state writes of a run with 2 Ad Accounts (one
       MULTIPLE_TYPES audience each), in order (traced from the host): in
       the first run, write 1 decides the connection's layout (at BEGIN);
       2-5 record the 4 uploads (an add and a remove file x 2 accounts, the
       accounts in parallel); then per target: intent, [create], audience
       record, claim, intent cleared, run record (6-10 for the first
       target, 11-15 the second; no REMOVE after a create); 16 drops the
       run record. In the second run: 1-4 the uploads, then per audience
       and action: budget reservation, [update], run record (5-6 APPEND,
       7-8 REMOVE of the first audience, 9-12 the second's). */
    static const kill_point points[] = {
        /* First run. */
        {KILL_CHUNK, 1, 0}, {KILL_CHUNK, 2, 0},        /* spooling */
        {KILL_WRITE, 1, 0},                            /* before the layout is recorded */
        {KILL_WRITE, 2, 0}, {KILL_WRITE, 4, 0},        /* between uploads */
        {KILL_WRITE, 6, 0},                            /* before the first intent */
        {KILL_WRITE, 7, 0},                            /* between create and its record */
        {KILL_WRITE, 8, 0}, {KILL_WRITE, 9, 0},        /* record written, claim / intent not */
        {KILL_WRITE, 10, 0},                           /* before the create's run record */
        {KILL_WRITE, 11, 0},                           /* before the second intent */
        {KILL_WRITE, 12, 0},                           /* second create, before its record */
        {KILL_WRITE, 14, 0},                           /* second intent not cleared */
        {KILL_WRITE, 16, 0},                           /* done, run record not dropped */
        /* Second run. */
        {KILL_CHUNK, 1, 1},                            /* spooling */
        {KILL_WRITE, 1, 1}, {KILL_WRITE, 3, 1},        /* uploads */
        {KILL_WRITE, 5, 1},                            /* before the first reservation */
        {KILL_WRITE, 6, 1},                            /* APPEND applied, not recorded */
        {KILL_WRITE, 8, 1},                            /* REMOVE applied, not recorded */
        {KILL_WRITE, 10, 1},                           /* other account's APPEND, ditto */
    };
    e2e e;
    const char *acc[2];
    int kills = 0;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    acc[0] = e2e_account(&e, 0, "Crowded");
    acc[1] = e2e_account(&e, 1, "Crowded");
    CU_ASSERT_FATAL(acc[0] != NULL && acc[1] != NULL);
    for (size_t p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
        char dataset[E2E_PATH], settings[512], name[32];
        char *conn;
        int code;

        /* A fresh day: the killed attempts' update reservations are never
           given back (tt_budget.h), so each point gets its own budget. */
        next_day(&e);
        snprintf(name, sizeof(name), "Kill%02zu", p);
        snprintf(dataset, sizeof(dataset), "%s/%s.jsonl", e.dir, name);
        CU_ASSERT_FATAL(e2e_gen(dataset, 4500, 500 + p, 1, 1, 0, 0) == 0);
        snprintf(settings, sizeof(settings),
                 "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
                 "\"create_new_for\":[\"%s\",\"%s\"]}", name, acc[0], acc[1]);
        conn = connect_dataset(&e, name, dataset, settings);
        CU_ASSERT_FATAL(conn != NULL);
        if (points[p].second_run) {
            CU_ASSERT(deliver_until_done(&e, conn, 5) > 0);
            next_day(&e);
            CU_ASSERT_FATAL(e2e_gen(dataset, 900, 600 + p, 1, 10, 0, 1) == 0);
        }
        code = deliver_with_hook(&e, conn, points[p].hook, points[p].n);
        if (verbose())
            fprintf(stderr, "%s=%d in run %d: exit %d\n", points[p].hook, points[p].n,
                    points[p].second_run + 1, code);
        CU_ASSERT_EQUAL(code, REL_KILLED);     /* the kill happened */
        kills += code == REL_KILLED;
        CU_ASSERT(deliver_until_done(&e, conn, 10) > 0);
        assert_new_audiences(&e, dataset, name, acc, 2);
        assert_budget(&e, acc, 2);
        free(conn);
    }
    fprintf(stderr, "\ncrash and resume: %d kills survived\n", kills);
    CU_ASSERT(kills >= 21);
    e2e_teardown(&e);
}

/* ------------------------------------------------------------------ */
/* 3. Concurrency                                                      */
/* ------------------------------------------------------------------ */

#define REL_PROCS 8

typedef struct proc {
    pid_t pid;
    int done;
    int exit_code;
    char out_path[E2E_PATH];
    char err_path[E2E_PATH];
} proc;

static int spawn_deliver(e2e *e, const char *conn, proc *p, int idx)
{
    char offset[32];
    posix_spawn_file_actions_t fa;
    const char *argv[] = {getenv("TT_HOST"), "deliver", "--connection", conn,
                          "--home", e->home, "--api-base", ts_sandbox_base_url(e->sb),
                          "--ca-file", ts_sandbox_ca_file(e->sb), "--request-timeout-ms",
                          REL_TIMEOUT_MS, "--clock-offset-ms", offset, NULL};
    int rc;

    snprintf(offset, sizeof(offset), "%lld", e->clock_offset_ms);
    snprintf(p->out_path, sizeof(p->out_path), "%s/proc-%d.json", e->dir, idx);
    snprintf(p->err_path, sizeof(p->err_path), "%s/proc-%d.err", e->dir, idx);
    p->done = 0;
    p->exit_code = -1;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    rc = posix_spawn_file_actions_addopen(&fa, 1, p->out_path, O_WRONLY | O_CREAT | O_TRUNC,
                                          0600) == 0 &&
         posix_spawn_file_actions_addopen(&fa, 2, p->err_path, O_WRONLY | O_CREAT | O_TRUNC,
                                          0600) == 0 &&
         posix_spawn(&p->pid, argv[0], &fa, NULL, (char *const *) argv, environ) == 0 ? 0 : -1;
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* Waits for every process up to REL_PROC_TIMEOUT_MS; a process still
   running then is killed and counts as hung. Returns the hung ones. */
static int wait_all(proc *ps, int n)
{
    long long deadline = real_now_ms() + REL_PROC_TIMEOUT_MS;
    int left = n, hung = 0;

    while (left > 0 && real_now_ms() < deadline) {
        struct timespec ts = {0, 20 * 1000000L};
        for (int i = 0; i < n; i++) {
            int status;
            if (ps[i].done || waitpid(ps[i].pid, &status, WNOHANG) != ps[i].pid)
                continue;
            ps[i].done = 1;
            ps[i].exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                                : 128 + WTERMSIG(status);
            left--;
        }
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++) {
        int status;
        if (ps[i].done)
            continue;
        kill(ps[i].pid, SIGKILL);
        waitpid(ps[i].pid, &status, 0);
        ps[i].done = 1;
        ps[i].exit_code = -1;
        hung++;
    }
    return hung;
}

static int file_contains(const char *path, const char *needle)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    int found = 0;

    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Runs all connections at once; returns how many were deferred (75), and
   checks each answer. */
static int run_concurrently(e2e *e, char *conns[REL_PROCS], int *ok)
{
    proc ps[REL_PROCS];
    int deferred = 0, hung;

    memset(ps, 0, sizeof(ps));
    for (int i = 0; i < REL_PROCS; i++)
        CU_ASSERT_FATAL(spawn_deliver(e, conns[i], &ps[i], i) == 0);
    hung = wait_all(ps, REL_PROCS);
    CU_ASSERT_EQUAL(hung, 0);    /* nothing deadlocks */
    *ok = 0;
    for (int i = 0; i < REL_PROCS; i++) {
        json_object *report = json_object_from_file(ps[i].out_path);

        if (ps[i].exit_code != 0 && ps[i].exit_code != 75)
            fprintf(stderr, "concurrent deliver %d: exit %d: %s\n", i, ps[i].exit_code,
                    report ? json_object_to_json_string(report) : "(no report)");
        CU_ASSERT(ps[i].exit_code == 0 || ps[i].exit_code == 75);
        *ok += ps[i].exit_code == 0;
        /* The shared budget held: TikTok never had to refuse an update with
           its daily limit (40002); the plugin deferred before asking. */
        CU_ASSERT(!file_contains(ps[i].err_path, "code 40002"));
        if (ps[i].exit_code == 75) {
            /* A deferred run says when to come back. */
            json_object *nb = ts_json_at(report, "not_before_ms");
            json_object *ra = ts_json_at(report, "error.retry_after_ms");
            CU_ASSERT(nb != NULL || (ra != NULL && json_object_get_int64(ra) > 0));
            deferred++;
        }
        json_object_put(report);
    }
    return deferred;
}

static void append_email(const char *dataset, const char *tag)
{
    char hex[65];
    FILE *f = fopen(dataset, "a");

    CU_ASSERT_FATAL(f != NULL);
    ts_sha256_hex(tag, hex);
    fprintf(f, "{\"sha256_hashed_email\":{\"value\":\"%s\"}}\n", hex);
    CU_ASSERT(fclose(f) == 0);
}

/*
 * Eight connections, each with two existing email audiences in account A
 * and two in account B: a run asks for 16 updates per account. The first
 * round fits in a day's budget of 24, the second does not, so some of the
 * eight are deferred; none may push an account past 24, none may hang.
 */
static void test_concurrent_delivers(void)
{
    e2e e;
    const char *acc[2];
    char *conns[REL_PROCS];
    char datasets[REL_PROCS][E2E_PATH];
    char ids[REL_PROCS][4][32];
    e2e_set members[REL_PROCS][4];
    int ok, deferred;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    acc[0] = e2e_account(&e, 0, "Crowded");
    acc[1] = e2e_account(&e, 1, "Crowded");
    CU_ASSERT_FATAL(acc[0] != NULL && acc[1] != NULL);
    for (int i = 0; i < REL_PROCS; i++) {
        char settings[4096], name[64], tag[32];

        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof(name), "Shared%d-%d", i, k);
            CU_ASSERT_FATAL(e2e_make_existing_audience(&e, acc[k / 2], name, 1000 + 10 * i + k,
                                                       ids[i][k], &members[i][k]) == 0);
        }
        snprintf(datasets[i], sizeof(datasets[i]), "%s/conc-%d.jsonl", e.dir, i);
        CU_ASSERT_FATAL(e2e_write(datasets[i], "") == 0);
        snprintf(settings, sizeof(settings),
                 "{\"connection_type\":\"existing\",\"existing_audiences\":"
                 "{\"%s\":[\"%s\",\"%s\"],\"%s\":[\"%s\",\"%s\"]}}",
                 acc[0], ids[i][0], ids[i][1], acc[1], ids[i][2], ids[i][3]);
        snprintf(tag, sizeof(tag), "conc-%d", i);
        conns[i] = connect_dataset(&e, tag, datasets[i], settings);
        CU_ASSERT_FATAL(conns[i] != NULL);
    }

    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < REL_PROCS; i++) {
            char tag[64];
            snprintf(tag, sizeof(tag), "concurrent-%d-%d@example.com", round, i);
            append_email(datasets[i], tag);
        }
        deferred = run_concurrently(&e, conns, &ok);
        assert_budget(&e, acc, 2);
        fprintf(stderr, "\nconcurrency round %d: %d done, %d deferred\n", round, ok, deferred);
        if (round == 1)
            CU_ASSERT(deferred > 0);   /* 32 updates asked, 16 left per account */
    }
    /* The next day everything deferred goes through. */
    next_day(&e);
    for (int i = 0; i < REL_PROCS; i++)
        CU_ASSERT(deliver_until_done(&e, conns[i], 5) > 0);
    assert_budget(&e, acc, 2);
    for (int i = 0; i < REL_PROCS; i++) {
        e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];

        CU_ASSERT_FATAL(e2e_changes(datasets[i], 1, 0, adds, removes) == 0);
        for (int k = 0; k < 4; k++) {
            e2e_set got;
            CU_ASSERT(e2e_set_apply(&members[i][k], &adds[E2E_EMAIL], &removes[E2E_EMAIL]) == 0);
            CU_ASSERT_FATAL(e2e_members(&e, ids[i][k], &got) == 0);
            CU_ASSERT(e2e_set_equal(&got, &members[i][k]));
            e2e_set_free(&got);
            e2e_set_free(&members[i][k]);
        }
        sets_free(adds);
        sets_free(removes);
        free(conns[i]);
    }
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"fault soak: exact members, one audience per type, budget kept", test_fault_soak},
        {"SIGKILL at deterministic points, rerun: nothing lost or doubled",
         test_crash_and_resume},
        {"eight concurrent delivers share accounts and a home", test_concurrent_delivers},
    };
    int rc = e2e_run_suite("reliability end to end", tests,
                           sizeof(tests) / sizeof(tests[0]));

    return rc;
}
