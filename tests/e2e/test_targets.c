/*
 * test_targets.c - a connection's targets progress independently (one
 * broken Ad Account never blocks the others), and a create whose answer
 * was lost never adopts a marketer's own audience. connector-host + the
 * plugin + the sandbox over HTTPS; members are compared with the sets
 * computed from the dataset file.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>
#include <sqlite3.h>

#include "e2e.h"

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static char *connect_new(e2e *e, const char *dataset, const char *name, const char *a,
                         const char *b)
{
    char settings[E2E_PATH], text[512];
    e2e_out o;
    char *id = NULL;

    snprintf(settings, sizeof(settings), "%s/settings-%s.json", e->dir, name);
    snprintf(text, sizeof(text),
             "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", name, a, b);
    CU_ASSERT_FATAL(e2e_write(settings, text) == 0);
    const char *args[] = {"connect", "--plugin", plugin(), "--profile", e->profile,
                          "--dataset", dataset, "--settings", settings, NULL};
    CU_ASSERT_FATAL(e2e_host(e, &o, args) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    if (o.exit_code == 0 && o.out != NULL) {
        o.out[strcspn(o.out, "\r\n")] = '\0';
        id = strdup(o.out);
    }
    e2e_out_free(&o);
    return id;
}

/* The one audience called name in adv holds exactly the dataset's members
   (every type, removals winning); returns its id in id (may be NULL). */
static void assert_exact(e2e *e, const char *adv, const char *name, const char *dataset,
                         char *id_out)
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES], want = {0}, got, none = {0};
    char id[32];

    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set one = {0};
        e2e_set_apply(&one, &adds[t], &removes[t]);
        e2e_set_apply(&want, &one, &none);
        e2e_set_free(&one);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
    CU_ASSERT_EQUAL_FATAL(e2e_audiences_named(e, adv, name, id), 1);
    CU_ASSERT_FATAL(e2e_members(e, id, &got) == 0);
    if (!e2e_set_equal(&got, &want))
        fprintf(stderr, "%s in %s: %zu members, expected %zu\n", name, adv, got.n, want.n);
    CU_ASSERT(e2e_set_equal(&got, &want));
    if (id_out != NULL)
        memcpy(id_out, id, 32);
    e2e_set_free(&got);
    e2e_set_free(&want);
}

/* POST to the sandbox's control API; 0 on HTTP 200. */
static int control_post(e2e *e, const char *path, const char *body)
{
    char *url = ts_sandbox_url(e->sb, path), *resp = NULL;
    long status = 0;
    int rc = ts_http_post_json(url, ts_sandbox_ca_file(e->sb), body, &status, &resp);

    if (rc == 0 && status != 200)
        fprintf(stderr, "control %s: HTTP %ld %s\n", path, status, resp ? resp : "");
    free(url);
    free(resp);
    return rc == 0 && status == 200 ? 0 : -1;
}

/* A marketer deletes audience id in TikTok Ads Manager (the API as them). */
static int delete_audience(e2e *e, const char *adv, const char *id)
{
    char hdr[512], body[256], *token = NULL, *url;
    ts_http_resp r = {0};
    int code = -1;
    json_object *env, *data = NULL;

    if (ts_sandbox_authorize(e->sb, e->user_id, &token) != 0)
        return -1;
    snprintf(hdr, sizeof(hdr), "Access-Token: %s", token);
    snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"]}",
             adv, id);
    url = ts_sandbox_url(e->sb, "/open_api/v1.3/dmp/custom_audience/delete/");
    const char *h[] = {hdr, "Content-Type: application/json", NULL};
    if (ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), h, body, strlen(body), &r) == 0) {
        env = ts_envelope(r.body, &code, &data);
        json_object_put(env);
    }
    ts_http_resp_free(&r);
    free(url);
    free(token);
    return code == 0 ? 0 : -1;
}

/* The target of adv in a report (its plugin section), or NULL. */
static json_object *target_of(json_object *report, const char *section, const char *adv)
{
    char path[64];
    json_object *list;

    snprintf(path, sizeof(path), "%s%stargets", section, section[0] ? "." : "");
    list = ts_json_at(report, path);
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *t = json_object_array_get_idx(list, i);
        const char *a = ts_world_get(t, "advertiser_id");
        if (a != NULL && strcmp(a, adv) == 0)
            return t;
    }
    return NULL;
}

static int64_t uploads_in(json_object *report)
{
    json_object *by = ts_json_at(report, "plugin.api.by_endpoint");
    int64_t n = 0;

    json_object_object_foreach(by, k, v)
        if (strstr(k, "file/upload") != NULL)
            n += json_object_get_int64(v);
    return n;
}

/* The audience in one of two accounts is deleted at TikTok: the other keeps
   getting exactly its rows, run after run; the dead one costs no call. */
static void test_deleted_audience(void)
{
    e2e e;
    char dataset[E2E_PATH], id_b[32];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 5000, 91, 1, 2, 0, 0) == 0);
    conn = connect_new(&e, dataset, "Gone", a, b);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    assert_exact(&e, b, "Gone", dataset, id_b);
    CU_ASSERT_FATAL(delete_audience(&e, b, id_b) == 0);

    long calls_b = -1;
    for (int run = 0; run < 2; run++) {
        int ops_b = e2e_update_ops(&e, b);
        CU_ASSERT_FATAL(e2e_gen(dataset, 1500, 92 + run, 1, 2, 0, 1) == 0);
        CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 5);
        CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "status"), "partial");
        json_object *tb = target_of(o.json, "plugin", b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
        CU_ASSERT_STRING_EQUAL(ts_world_get(tb, "state"), "dead");
        CU_ASSERT(strstr(ts_world_get(tb, "fix"), "new connection") != NULL);
        CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "lines_read")), 1500);
        /* Each file is uploaded once, for the live account only; the dead one is not
           called (after it is known dead: run 1 finds out with one call). */
        if (run == 1)
            CU_ASSERT_EQUAL(uploads_in(o.json), (int64_t) json_object_array_length(
                                                    ts_json_at(o.json, "plugin.files")));
        CU_ASSERT_EQUAL(e2e_update_ops(&e, b), ops_b);
        e2e_out_free(&o);
        assert_exact(&e, a, "Gone", dataset, NULL);
        /* Known dead after run 0: from then on not one request about b. */
        if (run == 1)
            CU_ASSERT_EQUAL(e2e_requests_for(&e, b), calls_b);
        calls_b = e2e_requests_for(&e, b);
        CU_ASSERT(calls_b > 0);
    }
    /* No new rows: still partial (exit 5) with the dead target, not
       "up_to_date"; nothing is sent to either account. */
    int ops_a = e2e_update_ops(&e, a);
    long calls_all = e2e_requests_to(&e, "/open_api/");
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 5);
    CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "status"), "partial");
    json_object *td = target_of(o.json, "", b);
    CU_ASSERT(td != NULL && strcmp(ts_world_get(td, "state"), "dead") == 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_requests_for(&e, b), calls_b);
    CU_ASSERT_EQUAL(e2e_requests_to(&e, "/open_api/"), calls_all);
    CU_ASSERT_EQUAL(e2e_update_ops(&e, a), ops_a);
    free(conn);
    e2e_teardown(&e);
}

static int set_role(e2e *e, const char *adv, const char *role)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"advertiser_id\":\"%s\",\"user_id\":\"%s\",\"advertiser_role\":%s%s%s}", adv,
             e->user_id, role ? "\"" : "", role ? role : "null", role ? "\"" : "");
    return control_post(e, "/sandbox/world/role", body);
}

/* The profile's role in one account is revoked, then restored: that
   account catches up to exactly the dataset; the other is never re-sent. */
static void test_role_revoked_restored(void)
{
    e2e e;
    char dataset[E2E_PATH];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 4000, 101, 1, 2, 0, 0) == 0);
    conn = connect_new(&e, dataset, "Roles", a, b);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);

    CU_ASSERT_FATAL(set_role(&e, b, NULL) == 0);
    CU_ASSERT_FATAL(e2e_gen(dataset, 2000, 102, 1, 2, 0, 1) == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    if (o.exit_code != 5)
        fprintf(stderr, "role revoked: %s\n", o.out);
    CU_ASSERT_EQUAL(o.exit_code, 5);
    json_object *tb = target_of(o.json, "plugin", b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
    CU_ASSERT_STRING_EQUAL(ts_world_get(tb, "state"), "behind");
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(tb, "missing_rows")), 2000);
    e2e_out_free(&o);
    assert_exact(&e, a, "Roles", dataset, NULL);

    /* Restored: the next run brings b everything it missed; a gets only
       the new rows (one APPEND, one REMOVE at most). */
    CU_ASSERT_FATAL(set_role(&e, b, "ADMIN") == 0);
    CU_ASSERT_FATAL(e2e_gen(dataset, 1000, 103, 1, 2, 0, 1) == 0);
    int ops_a = e2e_update_ops(&e, a);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    if (o.exit_code != 0)
        fprintf(stderr, "role restored: %s\n", o.out);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "catch_up.first_line")), 4001);
    json_object *cb = target_of(o.json, "catch_up.plugin", b);
    CU_ASSERT(cb != NULL && strcmp(ts_world_get(cb, "outcome"), "caught_up") == 0);
    json_object *ca = target_of(o.json, "catch_up.plugin", a);
    CU_ASSERT(ca != NULL && strcmp(ts_world_get(ca, "operations"), "") == 0);
    e2e_out_free(&o);
    CU_ASSERT(e2e_update_ops(&e, a) - ops_a <= 2);
    assert_exact(&e, a, "Roles", dataset, NULL);
    assert_exact(&e, b, "Roles", dataset, NULL);
    free(conn);
    e2e_teardown(&e);
}

/* Transient failures stay transient: a rate-limited account makes the run
   retry later (exit 75), nothing is marked behind, the checkpoint stays. */
static void test_rate_limit_stays_retry(void)
{
    e2e e;
    char dataset[E2E_PATH];
    e2e_out o;
    char *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 3000, 111, 0, 0, 0, 0) == 0);
    conn = connect_new(&e, dataset, "Busy", a, b);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(control_post(&e, "/sandbox/faults",
                                 "rate_limit=1,endpoints=custom_audience/create")
                    == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT(o.out != NULL && strstr(o.out, "\"behind\"") == NULL);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "checkpoint")), 0);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(control_post(&e, "/sandbox/faults", "") == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    assert_exact(&e, a, "Busy", dataset, NULL);
    assert_exact(&e, b, "Busy", dataset, NULL);
    free(conn);
    e2e_teardown(&e);
}

/* A marketer made "Buyers" (MULTIPLE_TYPES) by hand before the connection;
   the connector's create answer is lost: it adopts the audience it made,
   and the marketer's keeps exactly its members. */
static void test_lost_create_never_adopts_marketers(void)
{
    e2e e;
    char dataset[E2E_PATH], theirs[32], id[32];
    e2e_set initial, got;
    e2e_out o;
    char *conn;
    int done = 0;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    CU_ASSERT_FATAL(e2e_make_audience(&e, a, "Buyers", "MULTIPLE_TYPES", 1200, theirs,
                                      &initial) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 3000, 121, 0, 0, 0, 0) == 0);
    conn = connect_new(&e, dataset, "Buyers", a, b);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(control_post(&e, "/sandbox/faults",
                                 "lost_response=1,endpoints=custom_audience/create")
                    == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    /* Found at once (exit 0, ADOPT) or after the settle window (75). */
    CU_ASSERT(o.exit_code == 0 || o.exit_code == 75);
    CU_ASSERT(o.out != NULL && strstr(o.out, "ADOPT") != NULL);
    done = o.exit_code == 0;
    e2e_out_free(&o);
    CU_ASSERT_FATAL(control_post(&e, "/sandbox/faults", "") == 0);
    for (int i = 0; i < 5 && !done; i++) {
        CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
        done = o.exit_code == 0;
        e2e_out_free(&o);
    }
    CU_ASSERT(done);
    /* Two audiences called Buyers in a: the marketer's, untouched, and ours. */
    CU_ASSERT_EQUAL(e2e_audiences_named(&e, a, "Buyers", id), 2);
    CU_ASSERT_FATAL(e2e_members(&e, theirs, &got) == 0);
    CU_ASSERT(e2e_set_equal(&got, &initial));
    e2e_set_free(&got);
    e2e_set_free(&initial);
    assert_exact(&e, b, "Buyers", dataset, NULL);
    /* A later append reaches ours, never theirs. */
    CU_ASSERT_FATAL(e2e_gen(dataset, 500, 122, 0, 0, 0, 1) == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    json_object *ta = target_of(o.json, "plugin", a);
    CU_ASSERT(ta != NULL && strcmp(ts_world_get(ta, "audience_id"), theirs) != 0);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(e2e_members(&e, theirs, &got) == 0);
    CU_ASSERT_EQUAL(got.n, 1200);
    e2e_set_free(&got);
    free(conn);
    e2e_teardown(&e);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
    FILE *in = fopen(from, "rb"), *out = in != NULL ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = in != NULL && out != NULL ? 0 : -1;

    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
    if (in != NULL)
        fclose(in);
    if (out != NULL && fclose(out) != 0)
        rc = -1;
    return rc == 0 ? chmod(to, mode) : -1;
}

/* Points the fixture's connection at this machine's dataset and plugin. */
static int relocate(const char *db_path, const char *dataset)
{
    sqlite3 *db = NULL;
    char *sql = sqlite3_mprintf("DROP TRIGGER IF EXISTS connections_immutable;"
                                "UPDATE connections SET dataset_path = %Q, plugin_path = %Q;",
                                dataset, plugin());
    int rc = sqlite3_open(db_path, &db) == SQLITE_OK &&
             sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;

    sqlite3_free(sql);
    sqlite3_close(db);
    return rc;
}

/* Per type: what two runs (lines 1-6000, then 6001-8000) leave. */
static void two_runs(const char *dataset, e2e_set want[E2E_NTYPES])
{
    e2e_set a1[E2E_NTYPES], r1[E2E_NTYPES], a2[E2E_NTYPES], r2[E2E_NTYPES];

    memset(want, 0, sizeof(e2e_set) * E2E_NTYPES);
    CU_ASSERT_FATAL(e2e_changes(dataset, 1, 6000, a1, r1) == 0);
    CU_ASSERT_FATAL(e2e_changes(dataset, 6001, 0, a2, r2) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set_apply(&want[t], &a1[t], &r1[t]);
        e2e_set_apply(&want[t], &a2[t], &r2[t]);
        e2e_set_free(&a1[t]);
        e2e_set_free(&r1[t]);
        e2e_set_free(&a2[t]);
        e2e_set_free(&r2[t]);
    }
}

/* A connection made by the release before one audience per Ad Account
   (a state database and a TikTok world written by it, checked in): it
   keeps delivering to its four per-type audiences and never creates a
   MULTIPLE_TYPES one. */
static void test_previous_release_keeps_its_audiences(void)
{
    static const char *suffix[E2E_NTYPES] = {"(email)", "(phone)", "(IDFA)", "(GAID)"};
    static const char *accounts[] = {"7212000000000000001", "7212000000000000002"};
    char fx[E2E_PATH], world[E2E_PATH + 32], from[E2E_PATH + 32], to[E2E_PATH + 32],
        dataset[E2E_PATH];
    e2e_set want[E2E_NTYPES];
    ts_sandbox_opts so;
    e2e e;
    e2e_out o;

    memset(&e, 0, sizeof(e));
    snprintf(fx, sizeof(fx), "%s/tests/e2e/data/prev-release", getenv("TT_SRCDIR"));
    snprintf(world, sizeof(world), "%s/world.json", fx);
    CU_ASSERT_FATAL(ts_tmpdir_make(e.dir, sizeof(e.dir)) == 0);
    snprintf(e.home, sizeof(e.home), "%s/home", e.dir);
    snprintf(e.profile, sizeof(e.profile), "prev");
    CU_ASSERT_FATAL(mkdir(e.home, 0700) == 0);
    ts_sandbox_opts_init(&so);
    so.world_file = world;
    CU_ASSERT_FATAL(ts_sandbox_start(&so, &e.sb) == 0);
    snprintf(from, sizeof(from), "%s/state.db", fx);
    snprintf(to, sizeof(to), "%s/state.db", e.home);
    CU_ASSERT_FATAL(copy_file(from, to, 0600) == 0);
    snprintf(from, sizeof(from), "%s/secrets.json", fx);
    snprintf(to, sizeof(to), "%s/secrets.json", e.home);
    CU_ASSERT_FATAL(copy_file(from, to, 0600) == 0);
    snprintf(from, sizeof(from), "%s/dataset-8000.jsonl", fx);
    snprintf(dataset, sizeof(dataset), "%s/dataset.jsonl", e.dir);
    CU_ASSERT_FATAL(copy_file(from, dataset, 0600) == 0);
    snprintf(to, sizeof(to), "%s/state.db", e.home);
    CU_ASSERT_FATAL(relocate(to, dataset) == 0);

    CU_ASSERT_FATAL(e2e_deliver(&e, "c_fc573bff7dbb93b4", &o) == 0);
    if (o.exit_code != 0)
        fprintf(stderr, "previous release: %s\n%s\n", o.out, o.err);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(o.json, "plugin.layout"), "per_type");
    CU_ASSERT(o.out != NULL && strstr(o.out, "CREATE") == NULL);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "first_line")), 6001);
    e2e_out_free(&o);

    two_runs(dataset, want);
    for (size_t a = 0; a < 2; a++) {
        char id[32];
        CU_ASSERT_EQUAL(e2e_audiences_named(&e, accounts[a], "Prev release buyers", id), 0);
        for (int t = 0; t < E2E_NTYPES; t++) {
            char name[64];
            e2e_set got;
            snprintf(name, sizeof(name), "Prev release buyers %s", suffix[t]);
            CU_ASSERT_EQUAL_FATAL(e2e_audiences_named(&e, accounts[a], name, id), 1);
            CU_ASSERT_FATAL(e2e_members(&e, id, &got) == 0);
            if (!e2e_set_equal(&got, &want[t]))
                fprintf(stderr, "%s in %s: %zu members, expected %zu\n", name, accounts[a],
                        got.n, want[t].n);
            CU_ASSERT(e2e_set_equal(&got, &want[t]));
            e2e_set_free(&got);
        }
    }
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_free(&want[t]);
    e2e_teardown(&e);
}

/* TikTok is still processing one account's audience (made yesterday, from
   a big file) and answers its update "being updated": that target waits and
   the run is retried; the other account's update is made once, not again
   when the retry delivers the busy one. */
static void test_busy_audience_waits(void)
{
    e2e e;
    char dataset[E2E_PATH], ida[32], idb[32], body[160];
    e2e_out o;
    char *conn;
    int ops_b;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    const char *a = e2e_account(&e, 0, "Crowded"), *b = e2e_account(&e, 1, "Crowded");
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 3000, 131, 0, 0, 0, 0) == 0);
    conn = connect_new(&e, dataset, "Slow", a, b);
    CU_ASSERT_FATAL(conn != NULL);
    CU_ASSERT_FATAL(control_post(&e, "/sandbox/options", "{\"busy_while_processing\":true}")
                    == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL_FATAL(e2e_audiences_named(&e, a, "Slow", ida), 1);
    CU_ASSERT_EQUAL_FATAL(e2e_audiences_named(&e, b, "Slow", idb), 1);

    /* A day later a's audience is still processing; b's is ready. */
    e.clock_offset_ms += 24LL * 60 * 60 * 1000;
    snprintf(body, sizeof(body), "{\"audience_id\":\"%s\",\"for_ms\":7200000}", ida);
    CU_ASSERT_FATAL(control_post(&e, "/sandbox/audience/processing", body) == 0);
    CU_ASSERT_FATAL(e2e_gen(dataset, 400, 132, 0, 10, 0, 1) == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 75);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "checkpoint")), 3000);
    CU_ASSERT(o.out != NULL && strstr(o.out, "processing") != NULL);
    e2e_out_free(&o);
    ops_b = e2e_update_ops(&e, b);
    CU_ASSERT(ops_b >= 1);

    /* Three hours on (for the host and the sandbox), TikTok is done: the
       retry delivers a, b is not touched. */
    e.clock_offset_ms += 3LL * 60 * 60 * 1000;
    CU_ASSERT_FATAL(control_post(&e, "/sandbox/clock", "{\"advance_ms\":10800000}") == 0);
    CU_ASSERT_FATAL(e2e_deliver(&e, conn, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "checkpoint")), 3400);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_update_ops(&e, b), ops_b);
    assert_exact(&e, a, "Slow", dataset, NULL);
    assert_exact(&e, b, "Slow", dataset, NULL);
    free(conn);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"an audience deleted at TikTok: the other account keeps getting its rows",
         test_deleted_audience},
        {"a role revoked then restored: that account catches up exactly",
         test_role_revoked_restored},
        {"a rate-limited account still makes the run retry later", test_rate_limit_stays_retry},
        {"an audience TikTok is still processing waits; the other is not updated twice",
         test_busy_audience_waits},
        {"a lost create never adopts the marketer's same-named audience",
         test_lost_create_never_adopts_marketers},
        {"a connection made by the previous release keeps its per-type audiences",
         test_previous_release_keeps_its_audiences},
    };
    return e2e_run_suite("targets end to end", tests, sizeof(tests) / sizeof(tests[0]));
}
