/*
 * e2e_reliability.c - the reliability programs' shared steps and checks
 * (see e2e_reliability.h).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "e2e_reliability.h"

#define DAY_MS (24LL * 60 * 60 * 1000)
#define HOUR_MS (60LL * 60 * 1000)

int rel_verbose(void)
{
    return getenv("E2E_VERBOSE") != NULL;
}

char *rel_connect_dataset(e2e *e, const char *tag, const char *dataset,
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

long long rel_real_now_ms(void)
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

    snprintf(body, sizeof(body), "{\"set_ms\":%lld}", rel_real_now_ms() + e->clock_offset_ms);
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
        long long want = json_object_get_int64(nb) - rel_real_now_ms() + 1;
        if (want > e->clock_offset_ms)
            e->clock_offset_ms = want;
        sync_sandbox_clock(e);
    }
}

int rel_deliver(e2e *e, const char *conn, e2e_out *o)
{
    const char *args[] = {"deliver", "--connection", conn, "--request-timeout-ms",
                          REL_TIMEOUT_MS, NULL};
    int rc = e2e_host(e, o, args);

    if (rc == 0 && o->exit_code == 75 && o->json != NULL)
        pass_not_before(e, o->json);
    if (rc == 0 && rel_verbose())
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

int rel_deliver_until_done(e2e *e, const char *conn, int max_calls)
{
    for (int call = 1; call <= max_calls; call++) {
        e2e_out o;
        int code;

        if (rel_deliver(e, conn, &o) != 0) {
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

void rel_next_day(e2e *e)
{
    CU_ASSERT_FATAL(ts_sandbox_advance_clock(e->sb, DAY_MS + HOUR_MS) == 0);
    e->clock_offset_ms += DAY_MS + HOUR_MS;
}

int rel_set_faults(e2e *e, const char *spec)
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

size_t rel_assert_new_audiences(e2e *e, const char *dataset, const char *name,
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
    e2e_sets_free(adds);
    e2e_sets_free(removes);
    return checked;
}

void rel_assert_budget(e2e *e, const char *const *accounts, size_t naccounts)
{
    for (size_t a = 0; a < naccounts; a++) {
        int most = max_updates_per_day(e, accounts[a]);
        if (most < 0 || most > REL_BUDGET)
            fprintf(stderr, "account %s: %d updates in one UTC day\n", accounts[a], most);
        CU_ASSERT(most >= 0 && most <= REL_BUDGET);
    }
}
