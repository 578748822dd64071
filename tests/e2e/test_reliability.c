/*
 * test_reliability.c - the connector under faults: connector-host + the
 * plugin + the TikTok sandbox over HTTPS. The sandbox injects rate limits,
 * server errors, dropped connections, answers slower than the connector's
 * request timeout and creates/updates applied with their answer lost, from
 * a seed; the run is repeated (a bounded number of times, as a scheduler
 * would) until it ends by itself. Then the checks of e2e_reliability.h:
 * exact members, one audience per type, the daily budget kept.
 *
 * REL_SOAK=1 (make soak) runs the long variant: 1 million identifiers to
 * three Ad Accounts, more seeds.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_reliability.h"

static int soak_mode(void)
{
    const char *v = getenv("REL_SOAK");
    return v != NULL && strcmp(v, "1") == 0;
}

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
    conn = rel_connect_dataset(&e, "soak", dataset, settings);
    CU_ASSERT_FATAL(conn != NULL);
    /* Every TikTok endpoint, the OAuth ones included; not the control API. */
    snprintf(faults, sizeof(faults),
             "seed=%lu,rate_limit=0.1,server_error=0.05,drop=0.02,slow=%s,slow_ms=%d,"
             "lost_response=0.01", seed, getenv("REL_NO_SLOW") ? "0" : "0.01", REL_SLOW_MS);
    CU_ASSERT_FATAL(rel_set_faults(&e, faults) == 0);

    n = rel_deliver_until_done(&e, conn, 60);
    CU_ASSERT(n > 0);
    *calls += n > 0 ? n : 0;
    CU_ASSERT_FATAL(rel_set_faults(&e, "") == 0);   /* the checks read without faults */
    if (rel_verbose())
        fprintf(stderr, "seed %lu: first run done in %d calls\n", seed, n);
    *identifiers += rel_assert_new_audiences(&e, dataset, name, acc, naccounts);
    CU_ASSERT_FATAL(rel_set_faults(&e, faults) == 0);

    /* More rows, 10% of them removals: updates (APPEND, REMOVE) under faults. */
    CU_ASSERT_FATAL(e2e_gen(dataset, more, seed + 1000, 1, 10, 0.2, 1) == 0);
    n = rel_deliver_until_done(&e, conn, 60);
    CU_ASSERT(n > 0);
    *calls += n > 0 ? n : 0;
    CU_ASSERT_FATAL(rel_set_faults(&e, "") == 0);
    rel_assert_new_audiences(&e, dataset, name, acc, naccounts);
    rel_assert_budget(&e, acc, naccounts);
    if (rel_verbose())
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

int main(void)
{
    static const e2e_test tests[] = {
        {"fault soak: exact members, one audience per type, budget kept", test_fault_soak},
    };

    return e2e_run_suite("reliability end to end: the fault soak", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
