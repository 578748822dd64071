/*
 * test_profiles.c - end-to-end tests of profiles (TikTok OAuth through the
 * sandbox's consent page), quick-settings validation (structure, TikTok
 * checks, immutability) and the handling of secrets, with connector-host
 * run as a user runs it, over HTTPS with TLS verification on.
 *
 * What TikTok should answer is computed from the sandbox's world
 * (GET /sandbox/world), never taken from what the plugin reports.
 */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <CUnit/Basic.h>
#include <curl/curl.h>

#include "e2e.h"

#define DAY_MS (24LL * 60 * 60 * 1000)
#define REDIRECT "https://127.0.0.1/callback"
#define REDIRECT_ENCODED "redirect_uri=https%3A%2F%2F127.0.0.1%2Fcallback"
#define RUN_TIMEOUT_MS (2 * 60 * 1000)

/* Everything the commands of the current test printed, for the secrets
   scan. Test code only: the plugin has no globals. */
static char *transcript;
static size_t transcript_len;

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static void transcript_add(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    char *p;

    if (n == 0)
        return;
    p = realloc(transcript, transcript_len + n + 2);
    CU_ASSERT_FATAL(p != NULL);
    transcript = p;
    memcpy(transcript + transcript_len, s, n);
    transcript_len += n;
    transcript[transcript_len++] = '\n';
    transcript[transcript_len] = '\0';
}

static void transcript_reset(void)
{
    free(transcript);
    transcript = NULL;
    transcript_len = 0;
}

/* connector-host with the fixture's options; both streams are recorded. */
static void run(e2e *e, e2e_out *o, const char *const *args)
{
    CU_ASSERT_FATAL(e2e_host(e, o, args) == 0);
    transcript_add(o->out);
    transcript_add(o->err);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "[%s] exit %d\n%s\n%s\n", args[0], o->exit_code,
                o->out ? o->out : "", o->err ? o->err : "");
}

static int has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

static int has_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return 0;
}

static char *trimmed_dup(const char *s)
{
    char *d = strdup(s != NULL ? s : "");
    size_t n;

    CU_ASSERT_FATAL(d != NULL);
    n = strlen(d);
    while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r' || d[n - 1] == ' '))
        d[--n] = '\0';
    return d;
}

/* ---- the OAuth flow, step by step ---------------------------------------- */

/* authorize --profile: the URL to open (caller frees). */
static char *begin(e2e *e, const char *profile)
{
    const char *args[] = {"authorize", "--plugin", plugin(), "--profile", profile, NULL};
    e2e_out o;
    char *url;

    run(e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    url = trimmed_dup(o.out);
    e2e_out_free(&o);
    return url;
}

/* The consent page, logged in as user_id: the redirect (caller frees). */
static char *consent_as(e2e *e, const char *url, const char *user_id)
{
    ts_http_resp r = {0};
    char *full, *loc = NULL;

    full = malloc(strlen(url) + strlen(user_id) + 16);
    CU_ASSERT_FATAL(full != NULL);
    sprintf(full, "%s&user_id=%s", url, user_id);
    CU_ASSERT(ts_http_request("GET", full, ts_sandbox_ca_file(e->sb), NULL, NULL, 0, &r) == 0);
    CU_ASSERT_EQUAL(r.status, 302);
    if (r.location != NULL)
        loc = strdup(r.location);
    ts_http_resp_free(&r);
    free(full);
    CU_ASSERT_FATAL(loc != NULL);
    return loc;
}

static void complete(e2e *e, const char *profile, const char *callback, e2e_out *o)
{
    const char *args[] = {"authorize", "--plugin", plugin(), "--profile", profile,
                          "--callback", callback, NULL};
    run(e, o, args);
}

/* begin + consent for the world's first user: the callback URL. */
static char *fresh_callback(e2e *e, const char *profile)
{
    char *url = begin(e, profile), *cb = consent_as(e, url, e->user_id);
    free(url);
    return cb;
}

/* The URL-decoded value of name in a URL's query (caller frees), or NULL. */
static char *query_value(const char *url, const char *name)
{
    const char *q = strchr(url, '?');
    size_t n = strlen(name);

    while (q != NULL) {
        q++;
        if (strncmp(q, name, n) == 0 && q[n] == '=') {
            int len = 0;
            char *dec = curl_easy_unescape(NULL, q + n + 1, (int) strcspn(q + n + 1, "&#"),
                                           &len);
            char *v = dec != NULL ? strdup(dec) : NULL;
            curl_free(dec);
            CU_ASSERT_FATAL(v != NULL);
            return v;
        }
        q = strchr(q, '&');
    }
    return NULL;
}

/* A callback URL with exactly these parameters (NULL = left out). */
static char *make_callback(const char *auth_code, const char *state)
{
    char *cb = malloc(strlen(REDIRECT) + (auth_code ? strlen(auth_code) : 0) +
                      (state ? strlen(state) : 0) + 32);
    CU_ASSERT_FATAL(cb != NULL);
    strcpy(cb, REDIRECT);
    strcat(cb, "?");
    if (auth_code != NULL) {
        strcat(cb, "auth_code=");
        strcat(cb, auth_code);
        if (state != NULL)
            strcat(cb, "&");
    }
    if (state != NULL) {
        strcat(cb, "state=");
        strcat(cb, state);
    }
    return cb;
}

/* stderr names the status band and code the way ch_print_plugin_error
   does, and the message carries the fix. */
static void assert_failure(const e2e_out *o, int exit_code, const char *band, const char *code,
                           const char *fix)
{
    char want[128];

    if (o->exit_code != exit_code || !has(o->err, code) || (fix && !has(o->err, fix)))
        fprintf(stderr, "\nexpected exit %d %s (%s): got %d\n%s\n", exit_code, code,
                fix ? fix : "", o->exit_code, o->err ? o->err : "");
    CU_ASSERT_EQUAL(o->exit_code, exit_code);
    snprintf(want, sizeof(want), "%s (%s)", band, code);
    CU_ASSERT(has(o->err, want));
    if (fix != NULL)
        CU_ASSERT(has(o->err, fix));
    /* Every command it names runs as printed: authorize with --plugin. */
    for (const char *p = o->err; p != NULL && (p = strstr(p, "connector-host authorize ")) != NULL;
         p += 25)
        CU_ASSERT(strncmp(p + 25, "--plugin ", 9) == 0);
}

/* ---- the world, read independently of the plugin -------------------------- */

enum { ACC_UNRELATED, ACC_USABLE, ACC_READ_ONLY, ACC_OUTSIDE_BC };

static const char *role_in(json_object *list, const char *user_id, const char *key)
{
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *r = json_object_array_get_idx(list, i);
        const char *u = ts_world_get(r, "user_id");
        if (u != NULL && strcmp(u, user_id) == 0)
            return ts_world_get(r, key);
    }
    return NULL;
}

static const char *bc_role(json_object *world, const char *bc_id, const char *user_id)
{
    json_object *bcs = ts_json_at(world, "business_centers");

    for (size_t i = 0; bc_id != NULL && bcs != NULL && i < json_object_array_length(bcs); i++) {
        json_object *bc = json_object_array_get_idx(bcs, i);
        const char *id = ts_world_get(bc, "bc_id");
        if (id != NULL && strcmp(id, bc_id) == 0)
            return role_in(ts_json_at(bc, "members"), user_id, "user_role");
    }
    return NULL;
}

static int is_str(const char *s, const char *want)
{
    return s != NULL && strcmp(s, want) == 0;
}

/* What a user can do in an Ad Account: write when Admin or Operator of it
   or Admin of the Business Center that owns it, provided the user reaches
   that Business Center; read only as Analyst; an account outside every
   Business Center the user reaches is excluded however high the role. */
static int account_class(json_object *world, json_object *adv, const char *user_id)
{
    const char *role = role_in(ts_json_at(adv, "roles"), user_id, "advertiser_role");
    const char *owner = ts_world_get(adv, "owner_bc_id");
    const char *member = bc_role(world, owner, user_id);

    if (member != NULL) {
        if (is_str(role, "ADMIN") || is_str(role, "OPERATOR") || is_str(member, "ADMIN"))
            return ACC_USABLE;
        if (role != NULL)
            return ACC_READ_ONLY;
        return ACC_UNRELATED;
    }
    return role != NULL ? ACC_OUTSIDE_BC : ACC_UNRELATED;
}

/* The first advertiser of class cls for the user (skipping n matches). */
static const char *world_account(e2e *e, int cls, size_t n)
{
    json_object *advs = ts_json_at(e->world, "advertisers");

    for (size_t i = 0; advs != NULL && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i);
        if (account_class(e->world, a, e->user_id) == cls && n-- == 0)
            return ts_world_get(a, "advertiser_id");
    }
    return NULL;
}

/* A usable account with no prefilled audiences (n-th). */
static const char *roomy_account(e2e *e, size_t n)
{
    json_object *advs = ts_json_at(e->world, "advertisers");

    for (size_t i = 0; advs != NULL && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i);
        json_object *pf = ts_json_at(a, "prefilled_audiences");
        if (account_class(e->world, a, e->user_id) == ACC_USABLE &&
            (pf == NULL || json_object_get_int(pf) == 0) && n-- == 0)
            return ts_world_get(a, "advertiser_id");
    }
    return NULL;
}

static json_object *find_by(json_object *list, const char *key, const char *value)
{
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *a = json_object_array_get_idx(list, i);
        if (is_str(ts_world_get(a, key), value))
            return a;
    }
    return NULL;
}

/* ---- 1. the whole flow ------------------------------------------------------ */

static void test_oauth_flow(void)
{
    e2e e;
    e2e_out o;
    char *url, *cb, *state, *v;
    json_object *advs, *usable, *excluded;
    size_t want_usable = 0, want_excluded = 0;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    url = begin(&e, "flow");
    /* TikTok's consent page on the API base, with the app, a state and our
       redirect URI, URL-encoded. */
    CU_ASSERT(strncmp(url, ts_sandbox_base_url(e.sb), strlen(ts_sandbox_base_url(e.sb))) == 0);
    CU_ASSERT(has(url, "/portal/auth?"));
    v = query_value(url, "app_id");
    CU_ASSERT(v != NULL && strcmp(v, e.app_id) == 0);
    free(v);
    /* Percent-encoding is case-insensitive (RFC 3986, 2.1). */
    CU_ASSERT(has_nocase(url, REDIRECT_ENCODED));
    v = query_value(url, "redirect_uri");
    CU_ASSERT(v != NULL && strcmp(v, REDIRECT) == 0);
    free(v);
    state = query_value(url, "state");
    CU_ASSERT_FATAL(state != NULL);
    CU_ASSERT(strlen(state) > 40 && strchr(state, '.') != NULL);
    CU_ASSERT(strchr(url, '\n') == NULL && strchr(url, ' ') == NULL);

    /* The consent page sends the browser back with a code and our state. */
    cb = consent_as(&e, url, e.user_id);
    CU_ASSERT(strncmp(cb, REDIRECT "?", strlen(REDIRECT) + 1) == 0);
    v = query_value(cb, "state");
    CU_ASSERT(v != NULL && strcmp(v, state) == 0);
    free(v);
    v = query_value(cb, "auth_code");
    CU_ASSERT(v != NULL && v[0] != '\0');
    free(v);

    complete(&e, "flow", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_FATAL(o.json != NULL);
    CU_ASSERT(is_str(ts_world_get(o.json, "status"), "connected"));
    CU_ASSERT(is_str(ts_world_get(o.json, "profile"), "flow"));

    /* Every account of the world, classified independently. */
    advs = ts_json_at(e.world, "advertisers");
    usable = ts_json_at(o.json, "ad_accounts");
    excluded = ts_json_at(o.json, "excluded_accounts");
    CU_ASSERT_FATAL(advs != NULL && usable != NULL && excluded != NULL);
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i);
        const char *id = ts_world_get(a, "advertiser_id");
        json_object *in_usable = find_by(usable, "advertiser_id", id);
        json_object *in_excluded = find_by(excluded, "advertiser_id", id);
        int cls = account_class(e.world, a, e.user_id);

        if (cls == ACC_USABLE) {
            want_usable++;
            CU_ASSERT(in_usable != NULL && in_excluded == NULL);
        } else if (cls == ACC_READ_ONLY) {
            want_excluded++;
            CU_ASSERT(in_usable == NULL && in_excluded != NULL);
            CU_ASSERT(is_str(ts_world_get(in_excluded, "reason"), "read_only_role"));
            /* The detail names the role the world gives the user. */
            CU_ASSERT(has(ts_world_get(in_excluded, "detail"),
                          role_in(ts_json_at(a, "roles"), e.user_id, "advertiser_role")));
        } else if (cls == ACC_OUTSIDE_BC) {
            want_excluded++;
            CU_ASSERT(in_usable == NULL && in_excluded != NULL);
            CU_ASSERT(is_str(ts_world_get(in_excluded, "reason"), "outside_business_center"));
            CU_ASSERT(has(ts_world_get(in_excluded, "detail"), "Business Center"));
        } else {
            CU_ASSERT(in_usable == NULL && in_excluded == NULL);
        }
    }
    /* The built-in world has each kind at least once. */
    CU_ASSERT(world_account(&e, ACC_READ_ONLY, 0) != NULL);
    CU_ASSERT(world_account(&e, ACC_OUTSIDE_BC, 0) != NULL);
    CU_ASSERT(want_usable > 0);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "ad_account_count")),
                    (int64_t) want_usable);
    CU_ASSERT_EQUAL(json_object_array_length(usable), want_usable);
    CU_ASSERT_EQUAL(json_object_array_length(excluded), want_excluded);
    e2e_out_free(&o);

    /* The status of the profile, asked later, agrees. */
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "flow",
                              "--status", NULL};
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(is_str(ts_world_get(o.json, "status"), "connected"));
        CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "ad_account_count")),
                        (int64_t) want_usable);
        e2e_out_free(&o);
    }
    free(state);
    free(url);
    free(cb);
    e2e_teardown(&e);
}

/* ---- 2. every OAuth error ------------------------------------------------- */

static void test_state_expired(void)
{
    e2e e;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = fresh_callback(&e, "late");
    e.clock_offset_ms = DAY_MS + 60 * 1000;
    complete(&e, "late", cb, &o);
    assert_failure(&o, 1, "auth_flow", "state_expired", "valid for 24 hours");
    CU_ASSERT(has_nocase(o.err, "start again"));
    CU_ASSERT(has(o.err, "--profile late"));
    CU_ASSERT(o.json == NULL);
    e2e_out_free(&o);

    /* Within 24 hours the same link still works. */
    e.clock_offset_ms = DAY_MS - 60 * 1000;
    complete(&e, "late", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(is_str(ts_world_get(o.json, "status"), "connected"));
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

static void test_state_tampered(void)
{
    e2e e;
    e2e_out o;
    char *cb, *code, *state, *bad, *dot;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = fresh_callback(&e, "p2");
    code = query_value(cb, "auth_code");
    state = query_value(cb, "state");
    CU_ASSERT_FATAL(code != NULL && state != NULL);
    dot = strchr(state, '.');
    CU_ASSERT_FATAL(dot != NULL && strlen(dot) > 8);
    /* A middle character of the signature: every bit of it counts. */
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    bad = make_callback(code, state);
    complete(&e, "p2", bad, &o);
    assert_failure(&o, 1, "auth_flow", "state_tampered", "--profile p2");
    e2e_out_free(&o);

    /* The real link is untouched by the attempt. */
    complete(&e, "p2", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    free(bad);
    free(code);
    free(state);
    free(cb);
    e2e_teardown(&e);
}

static void test_state_foreign_profile(void)
{
    e2e e;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = fresh_callback(&e, "alpha");
    complete(&e, "beta", cb, &o);
    assert_failure(&o, 1, "auth_flow", "state_foreign", "--profile alpha");
    CU_ASSERT(has(o.err, "\"beta\""));
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

/* Stores the app's credentials in e's home, as the operator does. */
static void store_app_secrets(e2e *e)
{
    static const char *names[] = {"app_id", "app_secret"};
    const char *values[] = {e->app_id, ts_world_get(e->world, "apps.0.secret")};

    for (size_t i = 0; i < 2; i++) {
        const char *args[] = {"secret", "set", "--plugin", plugin(), names[i], NULL};
        e2e_out o;
        CU_ASSERT_FATAL(values[i] != NULL);
        CU_ASSERT_FATAL(e2e_host_input(e, &o, values[i], args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        e2e_out_free(&o);
    }
}

static void test_state_foreign_home(void)
{
    e2e e, other;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    /* Another installation: its own home, so its own state key. */
    other = e;
    snprintf(other.home, sizeof(other.home), "%s/other-home", e.dir);
    store_app_secrets(&other);
    cb = fresh_callback(&other, "p1");
    complete(&e, "p1", cb, &o);
    assert_failure(&o, 1, "auth_flow", "state_foreign", "--profile p1");
    CU_ASSERT(has(o.err, "another connector installation"));
    e2e_out_free(&o);
    /* A home that never began a flow has no key at all. */
    {
        e2e fresh = e;
        snprintf(fresh.home, sizeof(fresh.home), "%s/fresh-home", e.dir);
        store_app_secrets(&fresh);
        complete(&fresh, "p1", cb, &o);
        assert_failure(&o, 1, "auth_flow", "state_foreign", "--profile p1");
        e2e_out_free(&o);
    }
    /* ...where it does complete. */
    complete(&other, "p1", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

static void test_state_reused(void)
{
    e2e e;
    e2e_out o;
    char *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb = fresh_callback(&e, "twice");
    complete(&e, "twice", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    complete(&e, "twice", cb, &o);
    assert_failure(&o, 1, "auth_flow", "state_reused", "--profile twice");
    e2e_out_free(&o);
    free(cb);
    e2e_teardown(&e);
}

static void test_auth_code_reused(void)
{
    e2e e;
    e2e_out o;
    char *cb1, *url2, *code1, *state2, *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb1 = fresh_callback(&e, "p2");
    complete(&e, "p2", cb1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    /* A fresh, valid state with the code TikTok already exchanged. */
    url2 = begin(&e, "p2");
    code1 = query_value(cb1, "auth_code");
    state2 = query_value(url2, "state");
    CU_ASSERT_FATAL(code1 != NULL && state2 != NULL);
    cb = make_callback(code1, state2);
    complete(&e, "p2", cb, &o);
    assert_failure(&o, 1, "auth_flow", "auth_code_invalid", "--profile p2");
    e2e_out_free(&o);
    free(cb);
    free(code1);
    free(state2);
    free(url2);
    free(cb1);
    e2e_teardown(&e);
}

static void test_auth_code_missing(void)
{
    e2e e;
    e2e_out o;
    char *cb1, *state, *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    cb1 = fresh_callback(&e, "p2");
    state = query_value(cb1, "state");
    CU_ASSERT_FATAL(state != NULL);
    cb = make_callback(NULL, state);
    complete(&e, "p2", cb, &o);
    assert_failure(&o, 1, "auth_flow", "auth_code_missing", "--profile p2");
    CU_ASSERT(has(o.err, "Confirm"));
    e2e_out_free(&o);
    /* No state at all: its own code. */
    free(cb);
    cb = make_callback("abc", NULL);
    complete(&e, "p2", cb, &o);
    assert_failure(&o, 1, "auth_flow", "state_missing", "--profile p2");
    e2e_out_free(&o);
    free(cb);
    free(state);
    free(cb1);
    e2e_teardown(&e);
}

/* A world where one more user holds only the Analyst role. */
#define ANALYST_USER "6912000000000000099"

static int write_analyst_world(const char *path, char analyst_adv[32])
{
    const char *argv[] = {getenv("TT_SANDBOX"), "--print-world", NULL};
    char *out = NULL;
    json_object *w = NULL, *u, *m, *r, *bcs, *advs, *adv = NULL, *bc = NULL;
    const char *owner;
    int code = -1, rc = -1;

    if (argv[0] == NULL || ts_run_capture(argv, NULL, RUN_TIMEOUT_MS, &code, &out, NULL) != 0 ||
        code != 0 || (w = json_tokener_parse(out)) == NULL)
        goto cleanup;
    advs = ts_json_at(w, "advertisers");
    bcs = ts_json_at(w, "business_centers");
    /* The first account owned by a Business Center. */
    for (size_t i = 0; advs != NULL && adv == NULL && i < json_object_array_length(advs); i++)
        if (ts_world_get(json_object_array_get_idx(advs, i), "owner_bc_id") != NULL)
            adv = json_object_array_get_idx(advs, i);
    if (adv == NULL || bcs == NULL)
        goto cleanup;
    owner = ts_world_get(adv, "owner_bc_id");
    for (size_t i = 0; i < json_object_array_length(bcs); i++)
        if (is_str(ts_world_get(json_object_array_get_idx(bcs, i), "bc_id"), owner))
            bc = json_object_array_get_idx(bcs, i);
    if (bc == NULL)
        goto cleanup;
    snprintf(analyst_adv, 32, "%s", ts_world_get(adv, "advertiser_id"));
    u = json_object_new_object();
    json_object_object_add(u, "user_id", json_object_new_string(ANALYST_USER));
    json_object_object_add(u, "name", json_object_new_string("Anna Analyst"));
    json_object_array_add(ts_json_at(w, "users"), u);
    m = json_object_new_object();
    json_object_object_add(m, "user_id", json_object_new_string(ANALYST_USER));
    json_object_object_add(m, "user_role", json_object_new_string("STANDARD"));
    json_object_array_add(ts_json_at(bc, "members"), m);
    r = json_object_new_object();
    json_object_object_add(r, "user_id", json_object_new_string(ANALYST_USER));
    json_object_object_add(r, "advertiser_role", json_object_new_string("ANALYST"));
    json_object_array_add(ts_json_at(adv, "roles"), r);
    rc = e2e_write(path, json_object_to_json_string(w));
cleanup:
    json_object_put(w);
    free(out);
    return rc;
}

static void test_analyst_only_user(void)
{
    e2e e;
    ts_sandbox_opts so;
    e2e_out o;
    char world[E2E_PATH], analyst_adv[32] = "", *url, *cb;
    json_object *ex;

    memset(&e, 0, sizeof(e));
    CU_ASSERT_FATAL(ts_tmpdir_make(e.dir, sizeof(e.dir)) == 0);
    snprintf(e.home, sizeof(e.home), "%s/home", e.dir);
    snprintf(world, sizeof(world), "%s/world.json", e.dir);
    CU_ASSERT_FATAL(write_analyst_world(world, analyst_adv) == 0);
    ts_sandbox_opts_init(&so);
    so.world_file = world;
    CU_ASSERT_FATAL(ts_sandbox_start(&so, &e.sb) == 0);
    e.world = ts_sandbox_world(e.sb);
    CU_ASSERT_FATAL(e.world != NULL);
    snprintf(e.app_id, sizeof(e.app_id), "%s", ts_world_get(e.world, "apps.0.app_id"));
    snprintf(e.user_id, sizeof(e.user_id), "%s", ANALYST_USER);
    store_app_secrets(&e);

    url = begin(&e, "viewer");
    cb = consent_as(&e, url, ANALYST_USER);
    complete(&e, "viewer", cb, &o);
    assert_failure(&o, 1, "permission", "no_usable_accounts", "Admin, Operator or Owner");
    CU_ASSERT(has(o.err, "--profile viewer"));
    /* The status still lists why each account was left out. */
    CU_ASSERT_FATAL(o.json != NULL);
    CU_ASSERT(is_str(ts_world_get(o.json, "status"), "no_usable_accounts"));
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(o.json, "ad_account_count")), 0);
    ex = find_by(ts_json_at(o.json, "excluded_accounts"), "advertiser_id", analyst_adv);
    CU_ASSERT(ex != NULL && is_str(ts_world_get(ex, "reason"), "read_only_role"));
    e2e_out_free(&o);
    free(url);
    free(cb);
    e2e_teardown(&e);
}

/* The access token of profile in e's home (caller frees; never printed). */
static char *read_token(e2e *e, const char *profile)
{
    char path[E2E_PATH + 16], suffix[64];
    json_object *secrets;
    char *token = NULL;

    snprintf(path, sizeof(path), "%s/secrets.json", e->home);
    snprintf(suffix, sizeof(suffix), "/token/%s", profile);
    secrets = json_object_from_file(path);
    CU_ASSERT_FATAL(secrets != NULL);
    json_object_object_foreach(secrets, key, val) {
        size_t k = strlen(key), s = strlen(suffix);
        if (k > s && strcmp(key + k - s, suffix) == 0 && json_object_is_type(val, json_type_string))
            token = strdup(json_object_get_string(val));
    }
    json_object_put(secrets);
    CU_ASSERT_FATAL(token != NULL && token[0] != '\0');
    return token;
}

/* Revokes a token through TikTok's own endpoint, as the app owner can. */
static void revoke(e2e *e, const char *token)
{
    json_object *body = json_object_new_object(), *env, *data = NULL;
    char *url = ts_sandbox_url(e->sb, "/open_api/v1.3/oauth2/revoke_token/"), *resp = NULL;
    long status = 0;
    int code = -1;

    CU_ASSERT_FATAL(body != NULL && url != NULL);
    json_object_object_add(body, "app_id", json_object_new_string(e->app_id));
    json_object_object_add(body, "secret",
                           json_object_new_string(ts_world_get(e->world, "apps.0.secret")));
    json_object_object_add(body, "access_token", json_object_new_string(token));
    CU_ASSERT(ts_http_post_json(url, ts_sandbox_ca_file(e->sb), json_object_to_json_string(body),
                                &status, &resp) == 0);
    env = ts_envelope(resp, &code, &data);
    CU_ASSERT_EQUAL(status, 200);
    CU_ASSERT_EQUAL(code, 0);
    json_object_put(env);
    json_object_put(body);
    free(resp);
    free(url);
}

/* connect with settings text; the new id (caller frees). */
static char *connect_with(e2e *e, const char *dataset, const char *settings_text)
{
    char path[E2E_PATH];
    e2e_out o;
    char *id = NULL;

    snprintf(path, sizeof(path), "%s/connect-settings.json", e->dir);
    CU_ASSERT_FATAL(e2e_write(path, settings_text) == 0);
    const char *args[] = {"connect", "--plugin", plugin(), "--profile", e->profile,
                          "--dataset", dataset, "--settings", path, NULL};
    run(e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    if (o.exit_code == 0)
        id = trimmed_dup(o.out);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(id != NULL && id[0] != '\0');
    return id;
}

static void test_revoked_token(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], settings[256], *token, *conn;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 200, 5, 0, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings),
             "{\"connection_type\":\"new\",\"audience_name\":\"Revoked\","
             "\"create_new_for\":[\"%s\"]}", roomy_account(&e, 0));
    conn = connect_with(&e, dataset, settings);

    token = read_token(&e, e.profile);
    revoke(&e, token);
    free(token);
    /* The first command to meet the revoked token is a delivery. */
    {
        const char *args[] = {"deliver", "--connection", conn, NULL};
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        CU_ASSERT(is_str(ts_world_get(o.json, "status"), "reauthorize"));
        CU_ASSERT(is_str(ts_world_get(o.json, "error.code"), "token_invalid"));
        CU_ASSERT(is_str(ts_world_get(o.json, "error.profile"), "p1"));
        CU_ASSERT(has(ts_world_get(o.json, "error.message"), "authorize --profile p1"));
        e2e_out_free(&o);
    }
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", e.profile,
                              "--status", NULL};
        run(&e, &o, args);
        assert_failure(&o, 3, "reauthorize", "token_invalid", "--profile p1");
        e2e_out_free(&o);
    }
    {
        /* Checking settings against TikTok needs the token too. */
        char path[E2E_PATH];
        snprintf(path, sizeof(path), "%s/revoked.json", e.dir);
        CU_ASSERT_FATAL(e2e_write(path, settings) == 0);
        const char *args[] = {"validate", "--plugin", plugin(), "--settings", path,
                              "--profile", e.profile, "--remote", NULL};
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        CU_ASSERT(has(o.out, "authorize --profile p1") || has(o.err, "authorize --profile p1"));
        e2e_out_free(&o);
    }
    {
        /* Later deliveries keep asking for the same fix. */
        const char *args[] = {"deliver", "--connection", conn, NULL};
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        CU_ASSERT(has(o.err, "--profile p1"));
        e2e_out_free(&o);
    }
    free(conn);
    e2e_teardown(&e);
}

/* ---- 3. validate -------------------------------------------------------- */

/* validate [--profile p1 --remote] settings: exit 0 {"valid":true}, or
   exit 1 with an error at field with code. field NULL = must be valid. */
static size_t check_validate_fix(e2e *e, const char *settings, int remote, const char *field,
                                 const char *code, const char *fix)
{
    char path[E2E_PATH];
    e2e_out o;
    json_object *errors;
    size_t nerrors;
    int found = 0;

    snprintf(path, sizeof(path), "%s/validate.json", e->dir);
    CU_ASSERT_FATAL(e2e_write(path, settings) == 0);
    const char *local[] = {"validate", "--plugin", plugin(), "--settings", path, NULL};
    const char *remote_args[] = {"validate", "--plugin", plugin(), "--settings", path,
                                 "--profile", e->profile, "--remote", NULL};
    run(e, &o, remote ? remote_args : local);
    errors = ts_json_at(o.json, "errors");
    nerrors = errors != NULL ? json_object_array_length(errors) : 0;
    if (field == NULL) {
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(o.json != NULL && json_object_get_boolean(ts_json_at(o.json, "valid")));
        if (o.exit_code != 0)
            fprintf(stderr, "\nexpected valid: %s\n -> %s %s\n", settings, o.out, o.err);
        e2e_out_free(&o);
        return nerrors;
    }
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(o.json != NULL && !json_object_get_boolean(ts_json_at(o.json, "valid")));
    for (size_t i = 0; errors != NULL && i < json_object_array_length(errors); i++) {
        json_object *err = json_object_array_get_idx(errors, i);
        const char *msg = ts_world_get(err, "message");
        if (is_str(ts_world_get(err, "field"), field) && is_str(ts_world_get(err, "code"), code)
            && msg != NULL && strlen(msg) > 20 && (fix == NULL || has(msg, fix)))
            found = 1;
    }
    if (!found)
        fprintf(stderr, "\nexpected %s at %s: %s\n -> exit %d %s\n", code, field, settings,
                o.exit_code, o.out ? o.out : "");
    CU_ASSERT(found);
    e2e_out_free(&o);
    return nerrors;
}

static void check_validate(e2e *e, const char *settings, int remote, const char *field,
                           const char *code)
{
    (void) check_validate_fix(e, settings, remote, field, code, NULL);
}

static void test_validate_structure(void)
{
    static const struct { const char *settings, *field, *code; } cases[] = {
        /* valid */
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"]}", NULL, NULL},
        {"{\"connection_type\":\"existing\","
         "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}", NULL, NULL},
        {"{\"connection_type\":\"both\",\"audience_name\":\"B\","
         "\"create_new_for\":[\"7212000000000000001\",\"7212000000000000002\"],"
         "\"existing_audiences\":{\"7212000000000000005\":[\"7400000000000000001\","
         "\"7400000000000000002\"]},\"historical_data_enabled\":false,\"deliver_all_data\":false,"
         "\"membership_duration_days\":1,\"accept_clear_text_emails\":true}", NULL, NULL},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":365}",
         NULL, NULL},
        /* unknown field */
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],\"colour\":\"red\"}",
         "colour", "unknown_field"},
        /* duplicate ids */
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\",\"7212000000000000001\"]}",
         "create_new_for[1]", "duplicate"},
        {"{\"connection_type\":\"existing\",\"existing_audiences\":{\"7212000000000000001\":"
         "[\"7400000000000000001\",\"7400000000000000002\",\"7400000000000000001\"]}}",
         "existing_audiences.7212000000000000001[2]", "duplicate"},
        /* an account in both lists */
        {"{\"connection_type\":\"both\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],"
         "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}",
         "existing_audiences.7212000000000000001", "conflict"},
        /* name length */
        {"{\"connection_type\":\"new\",\"audience_name\":\"\","
         "\"create_new_for\":[\"7212000000000000001\"]}", "audience_name", "empty"},
        /* membership */
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":0}",
         "membership_duration_days", "out_of_range"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":366}",
         "membership_duration_days", "out_of_range"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],\"membership_duration_days\":\"30\"}",
         "membership_duration_days", "wrong_type"},
        /* connection type and its fields */
        {"{\"audience_name\":\"A\",\"create_new_for\":[\"7212000000000000001\"]}",
         "connection_type", "required"},
        {"{\"connection_type\":\"old\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"]}", "connection_type", "out_of_range"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],"
         "\"existing_audiences\":{\"7212000000000000002\":[\"7400000000000000001\"]}}",
         "existing_audiences", "conflict"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\"}", "create_new_for", "required"},
        {"{\"connection_type\":\"new\",\"create_new_for\":[\"7212000000000000001\"]}",
         "audience_name", "required"},
        {"{\"connection_type\":\"existing\",\"audience_name\":\"A\","
         "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}",
         "audience_name", "conflict"},
        {"{\"connection_type\":\"existing\",\"create_new_for\":[\"7212000000000000002\"],"
         "\"existing_audiences\":{\"7212000000000000001\":[\"7400000000000000001\"]}}",
         "create_new_for", "conflict"},
        {"{\"connection_type\":\"both\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"]}", "existing_audiences", "required"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\",\"create_new_for\":[]}",
         "create_new_for", "empty"},
        /* malformed ids */
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"72120000000000000011\"]}", "create_new_for[0]", "malformed_id"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\",\"0721\"]}",
         "create_new_for[1]", "malformed_id"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"72x2\"]}", "create_new_for[0]", "malformed_id"},
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[7212000000000000001]}", "create_new_for[0]", "wrong_type"},
        {"{\"connection_type\":\"existing\",\"existing_audiences\":{\"acct-1\":"
         "[\"7400000000000000001\"]}}", "existing_audiences.acct-1", "malformed_id"},
        {"{\"connection_type\":\"existing\",\"existing_audiences\":{\"7212000000000000001\":"
         "[\"7400000000000000001\",\"-7\"]}}",
         "existing_audiences.7212000000000000001[1]", "malformed_id"},
        /* the two spellings of "deliver history" must agree */
        {"{\"connection_type\":\"new\",\"audience_name\":\"A\","
         "\"create_new_for\":[\"7212000000000000001\"],\"historical_data_enabled\":true,"
         "\"deliver_all_data\":false}", "deliver_all_data", "conflict"},
    };
    e2e e;
    char text[1024], name[600];

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_validate(&e, cases[i].settings, 0, cases[i].field, cases[i].code);

    /* Names: 128 characters pass (also when multi-byte), 129 do not. */
    memset(name, 'n', 128);
    name[128] = '\0';
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    check_validate(&e, text, 0, NULL, NULL);
    strcpy(name + 128, "n");
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    check_validate(&e, text, 0, "audience_name", "too_long");
    name[0] = '\0';
    for (int i = 0; i < 128; i++)
        strcat(name, "\xc3\xa9");   /* U+00E9: 2 bytes, 1 character */
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    check_validate(&e, text, 0, NULL, NULL);
    strcat(name, "\xc3\xa9");
    snprintf(text, sizeof(text), "{\"connection_type\":\"new\",\"audience_name\":\"%s\","
             "\"create_new_for\":[\"7212000000000000001\"]}", name);
    check_validate(&e, text, 0, "audience_name", "too_long");
    e2e_teardown(&e);
}

/* Fills adv to `target` audiences through TikTok's create API with a
   marketer's own token. */
static void fill_to(e2e *e, const char *adv, int have, int target)
{
    for (int i = have; i < target; i++) {
        char name[32], id[32];
        e2e_set members;
        snprintf(name, sizeof(name), "Filler %d", i);
        CU_ASSERT_FATAL(e2e_make_existing_audience(e, adv, name, 10, id, &members) == 0);
        e2e_set_free(&members);
    }
}

static void test_validate_remote(void)
{
    e2e e;
    char s[1024], aud_a[32], aud_b[32], elsewhere[32], field[96];
    e2e_set m;
    json_object *crowded = NULL, *advs;
    const char *a, *b, *analyst, *outside, *unrelated, *crowded_id;
    int prefilled;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    a = roomy_account(&e, 0);
    b = roomy_account(&e, 1);
    analyst = world_account(&e, ACC_READ_ONLY, 0);
    outside = world_account(&e, ACC_OUTSIDE_BC, 0);
    unrelated = world_account(&e, ACC_UNRELATED, 0);
    CU_ASSERT_FATAL(a && b && analyst && outside && unrelated);
    advs = ts_json_at(e.world, "advertisers");
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *x = json_object_array_get_idx(advs, i);
        if (account_class(e.world, x, e.user_id) == ACC_USABLE &&
            json_object_get_int(ts_json_at(x, "prefilled_audiences")) > 0)
            crowded = x;
    }
    CU_ASSERT_FATAL(crowded != NULL);
    crowded_id = ts_world_get(crowded, "advertiser_id");
    prefilled = json_object_get_int(ts_json_at(crowded, "prefilled_audiences"));
    CU_ASSERT_FATAL(prefilled < 400);

    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, a, "In A", 10, aud_a, &m) == 0);
    e2e_set_free(&m);
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, b, "In B", 10, aud_b, &m) == 0);
    e2e_set_free(&m);
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, b, "Also B", 10,
                                               elsewhere, &m) == 0);
    e2e_set_free(&m);

    /* Accounts the profile does not reach, or reaches read-only. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, unrelated);
    check_validate_fix(&e, s, 1, "create_new_for[1]", "account_not_authorized",
                       "is not among the accounts profile p1 authorized");
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"7299999999999999999\"]}");
    check_validate(&e, s, 1, "create_new_for[0]", "account_not_authorized");
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\"]}", analyst);
    check_validate_fix(&e, s, 1, "create_new_for[0]", "account_not_writable", "read_only_role");
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\"]}", outside);
    check_validate_fix(&e, s, 1, "create_new_for[0]", "account_not_writable",
                       "outside_business_center");
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", analyst, aud_a);
    snprintf(field, sizeof(field), "existing_audiences.%s", analyst);
    check_validate(&e, s, 1, field, "account_not_writable");

    /* Audiences: one of another account, one that does not exist. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\",\"%s\"]}}", a, aud_a, aud_b);
    snprintf(field, sizeof(field), "existing_audiences.%s[1]", a);
    /* Only the second is wrong. */
    CU_ASSERT_EQUAL(check_validate_fix(&e, s, 1, field, "audience_not_found",
                                       "(Assets > Audiences)"), 1);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"7400000000000000999\"]}}", a);
    snprintf(field, sizeof(field), "existing_audiences.%s[0]", a);
    check_validate(&e, s, 1, field, "audience_not_found");

    /* Room for new audiences: below 400 passes, at 400 does not. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, crowded_id);
    check_validate(&e, s, 1, NULL, NULL);
    fill_to(&e, crowded_id, prefilled, 400);
    check_validate_fix(&e, s, 1, "create_new_for[1]", "audience_limit",
                       "already has 400 custom audiences");

    /* A valid mixed configuration. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"both\",\"audience_name\":\"Mixed\","
             "\"create_new_for\":[\"%s\"],\"existing_audiences\":{\"%s\":[\"%s\",\"%s\"]},"
             "\"membership_duration_days\":90}", a, b, aud_b, elsewhere);
    check_validate(&e, s, 1, NULL, NULL);
    e2e_teardown(&e);
}

/* POST to TikTok's API as the marketer (not the connector): the data of a
   code-0 answer (caller puts env), or NULL. */
static json_object *marketer_post(e2e *e, const char *path, const char *body,
                                  const ts_form_part *parts, size_t nparts, json_object **env)
{
    char hdr[512], *token = NULL, *url = NULL;
    ts_http_resp r = {0};
    json_object *data = NULL;
    int code = -1, rc;

    *env = NULL;
    if (ts_sandbox_authorize(e->sb, e->user_id, &token) != 0)
        return NULL;
    snprintf(hdr, sizeof(hdr), "Access-Token: %s", token);
    url = ts_sandbox_url(e->sb, path);
    {
        const char *h1[] = {hdr, NULL}, *h2[] = {hdr, "Content-Type: application/json", NULL};
        rc = parts != NULL
                 ? ts_http_multipart(url, ts_sandbox_ca_file(e->sb), h1, parts, nparts, &r)
                 : ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), h2, body,
                                   strlen(body), &r);
    }
    if (rc == 0)
        *env = ts_envelope(r.body, &code, &data);
    if (code != 0) {
        fprintf(stderr, "marketer %s: %s\n", path, r.body ? r.body : "(no answer)");
        data = NULL;
    }
    ts_http_resp_free(&r);
    free(url);
    free(token);
    return data;
}

/* An IDFA_MD5 audience of 10 members made by the marketer in adv. */
static int make_md5_audience(e2e *e, const char *adv, const char *name, char id_out[32])
{
    char path[E2E_PATH], md5[33], body[512];
    json_object *env = NULL, *env2 = NULL, *data;
    FILE *f;
    int rc = -1;

    snprintf(path, sizeof(path), "%s/md5-%s.txt", e->dir, adv);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    for (int i = 0; i < 10; i++)
        fprintf(f, "%032x\n", 0xabc0 + i);
    fclose(f);
    if (ts_md5_file(path, md5) != 0)
        return -1;
    ts_form_part parts[] = {
        {"advertiser_id", adv, NULL, NULL},
        {"calculate_type", "IDFA_MD5", NULL, NULL},
        {"file_signature", md5, NULL, NULL},
        {"file", NULL, path, "idfa.txt"},
    };
    data = marketer_post(e, "/open_api/v1.3/dmp/custom_audience/file/upload/", NULL, parts, 4,
                         &env);
    if (data != NULL) {
        snprintf(body, sizeof(body),
                 "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"%s\","
                 "\"calculate_type\":\"IDFA_MD5\",\"file_paths\":[\"%s\"]}",
                 adv, name, ts_world_get(data, "file_path"));
        data = marketer_post(e, "/open_api/v1.3/dmp/custom_audience/create/", body, NULL, 0,
                             &env2);
    }
    if (data != NULL && ts_world_get(data, "custom_audience_id") != NULL) {
        snprintf(id_out, 32, "%s", ts_world_get(data, "custom_audience_id"));
        rc = 0;
    }
    json_object_put(env);
    json_object_put(env2);
    return rc;
}

/* A Lookalike made by the marketer in Ads Manager (the sandbox's control
   API: TikTok's lookalike endpoint is not modelled). */
static int make_lookalike(e2e *e, const char *adv, char id_out[32])
{
    char body[256], *url = ts_sandbox_url(e->sb, "/sandbox/world/lookalike");
    ts_http_resp r = {0};
    json_object *o = NULL;
    int rc = -1;

    snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"name\":\"Lookalike of buyers\"}",
             adv);
    if (url != NULL &&
        ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), NULL, body, strlen(body), &r) == 0
        && r.status == 200 && (o = json_tokener_parse(r.body)) != NULL &&
        ts_world_get(o, "audience_id") != NULL) {
        snprintf(id_out, 32, "%s", ts_world_get(o, "audience_id"));
        rc = 0;
    }
    json_object_put(o);
    ts_http_resp_free(&r);
    free(url);
    return rc;
}

/* validate --remote checks what the connection will need of each account:
   room for every audience it creates (one, or four with
   audience_per_identifier_type), and existing audiences it can fill. */
static void test_validate_fit(void)
{
    e2e e;
    char s[1024], field[96], owned[32], md5[32], look[32], body[256];
    json_object *crowded = NULL, *advs, *env = NULL;
    const char *a, *b, *crowded_id, *bc_a = NULL, *bc_b = NULL;
    e2e_set m;
    int prefilled;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    a = roomy_account(&e, 0);
    b = roomy_account(&e, 1);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    advs = ts_json_at(e.world, "advertisers");
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *x = json_object_array_get_idx(advs, i);
        if (account_class(e.world, x, e.user_id) == ACC_USABLE &&
            json_object_get_int(ts_json_at(x, "prefilled_audiences")) > 0)
            crowded = x;
        if (is_str(ts_world_get(x, "advertiser_id"), a))
            bc_a = ts_world_get(x, "owner_bc_id");
        if (is_str(ts_world_get(x, "advertiser_id"), b))
            bc_b = ts_world_get(x, "owner_bc_id");
    }
    CU_ASSERT_FATAL(crowded != NULL);
    crowded_id = ts_world_get(crowded, "advertiser_id");
    prefilled = json_object_get_int(ts_json_at(crowded, "prefilled_audiences"));
    CU_ASSERT_FATAL(prefilled == 398);

    /* 398 of 400: one MULTIPLE_TYPES audience fits, four per-type do not. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, crowded_id);
    check_validate(&e, s, 1, NULL, NULL);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\",\"%s\"],\"audience_per_identifier_type\":true}",
             a, crowded_id);
    CU_ASSERT_EQUAL(check_validate_fix(&e, s, 1, "create_new_for[1]", "audience_limit",
                                       "already has 398 custom audiences and this connection "
                                       "creates 4 more"), 1);
    check_validate_fix(&e, s, 1, "create_new_for[1]", "audience_limit",
                       "leave audience_per_identifier_type out");
    check_validate_fix(&e, s, 1, "create_new_for[1]", "audience_limit", crowded_id);
    check_validate_fix(&e, s, 1, "create_new_for[1]", "audience_limit", "limit is 400");
    /* The roomy account has room for four. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"R\","
             "\"create_new_for\":[\"%s\"],\"audience_per_identifier_type\":true}", a);
    check_validate(&e, s, 1, NULL, NULL);

    /* Existing audiences the connector cannot fill, each named. */
    CU_ASSERT_FATAL(e2e_make_existing_audience(&e, a, "Owned", 10, owned, &m) == 0);
    e2e_set_free(&m);
    CU_ASSERT_FATAL(make_md5_audience(&e, a, "Hashed with MD5", md5) == 0);
    CU_ASSERT_FATAL(make_lookalike(&e, a, look) == 0);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", a, owned);
    check_validate(&e, s, 1, NULL, NULL);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\",\"%s\",\"%s\"]}}", a, owned, md5, look);
    snprintf(field, sizeof(field), "existing_audiences.%s[1]", a);
    CU_ASSERT_EQUAL(check_validate_fix(&e, s, 1, field, "audience_type_unsupported",
                                       "takes IDFA_MD5 identifiers"), 2);
    check_validate_fix(&e, s, 1, field, "audience_type_unsupported", md5);
    snprintf(field, sizeof(field), "existing_audiences.%s[2]", a);
    check_validate_fix(&e, s, 1, field, "audience_not_customer_file", "is a Lookalike audience");
    check_validate_fix(&e, s, 1, field, "audience_not_customer_file", look);

    /* Shared from a (the owner) to b, in the same Business Center. */
    CU_ASSERT_FATAL(bc_a != NULL && bc_b != NULL && strcmp(bc_a, bc_b) == 0);
    snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"custom_audience_ids\":[\"%s\"],"
             "\"shared_advertiser_ids\":[\"%s\"]}", a, owned, b);
    CU_ASSERT_FATAL(marketer_post(&e, "/open_api/v1.3/dmp/custom_audience/share/", body, NULL, 0,
                                  &env) != NULL);
    json_object_put(env);
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", b, owned);
    snprintf(field, sizeof(field), "existing_audiences.%s[0]", b);
    check_validate_fix(&e, s, 1, field, "audience_not_owned", "only the owner");
    check_validate_fix(&e, s, 1, field, "audience_not_owned", owned);
    /* Its owner still delivers to it. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"existing\","
             "\"existing_audiences\":{\"%s\":[\"%s\"]}}", a, owned);
    check_validate(&e, s, 1, NULL, NULL);
    e2e_teardown(&e);
}

/* ---- 4. immutability --------------------------------------------------- */

static void test_immutable(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], path[E2E_PATH], s[512], *conn;
    const char *a, *b;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    a = roomy_account(&e, 0);
    b = roomy_account(&e, 1);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 50, 3, 0, 0, 0, 0) == 0);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Frozen\","
             "\"create_new_for\":[\"%s\"]}", a);
    conn = connect_with(&e, dataset, s);
    snprintf(path, sizeof(path), "%s/immutable.json", e.dir);
    const char *args[] = {"validate", "--plugin", plugin(), "--settings", path,
                          "--connection", conn, NULL};

    /* Unchanged settings pass. */
    CU_ASSERT_FATAL(e2e_write(path, s) == 0);
    run(&e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(o.json != NULL && json_object_get_boolean(ts_json_at(o.json, "valid")));
    e2e_out_free(&o);

    /* Other targets are refused with the way forward. */
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Frozen\","
             "\"create_new_for\":[\"%s\",\"%s\"]}", a, b);
    CU_ASSERT_FATAL(e2e_write(path, s) == 0);
    run(&e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(has(o.out, "\"immutable\"") && has(o.out, "new connection") &&
              has(o.out, "\"create_new_for\""));
    e2e_out_free(&o);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Thawed\","
             "\"create_new_for\":[\"%s\"]}", a);
    CU_ASSERT_FATAL(e2e_write(path, s) == 0);
    run(&e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(has(o.out, "\"immutable\"") && has(o.out, "\"audience_name\""));
    e2e_out_free(&o);
    free(conn);
    e2e_teardown(&e);
}

/* ---- 5. security ---------------------------------------------------------- */

/* connector-host against the sandbox trusting ca_file, killed after
   timeout_ms; returns ts_run_capture's result (-1 when killed). */
static int run_argv(e2e *e, e2e_out *o, const char *ca_file, int timeout_ms,
                    const char *const *args)
{
    const char *argv[32];
    char offset[32];
    size_t n = 0;
    int rc;

    memset(o, 0, sizeof(*o));
    argv[n++] = getenv("TT_HOST");
    for (size_t i = 0; args[i] != NULL && n < 20; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = e->home;
    argv[n++] = "--api-base";
    argv[n++] = ts_sandbox_base_url(e->sb);
    argv[n++] = "--ca-file";
    argv[n++] = ca_file;
    argv[n++] = "--redirect-uri";
    argv[n++] = REDIRECT;
    if (e->clock_offset_ms != 0) {
        snprintf(offset, sizeof(offset), "%lld", e->clock_offset_ms);
        argv[n++] = "--clock-offset-ms";
        argv[n++] = offset;
    }
    argv[n] = NULL;
    CU_ASSERT_FATAL(argv[0] != NULL);
    rc = ts_run_capture(argv, NULL, timeout_ms, &o->exit_code, &o->out, &o->err);
    transcript_add(o->out);
    transcript_add(o->err);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "[%s, CA %s] exit %d\n%s\n%s\n", args[0], ca_file, o->exit_code,
                o->out ? o->out : "", o->err ? o->err : "");
    return rc;
}

/* connector-host against the sandbox, trusting ca_file instead. */
static void run_with_ca(e2e *e, e2e_out *o, const char *ca_file, const char *const *args)
{
    CU_ASSERT_FATAL(run_argv(e, o, ca_file, RUN_TIMEOUT_MS, args) == 0);
}

/* POST /sandbox/faults. */
static void set_faults(e2e *e, const char *spec)
{
    ts_http_resp r = {0};
    char *url = ts_sandbox_url(e->sb, "/sandbox/faults");

    CU_ASSERT_FATAL(url != NULL);
    CU_ASSERT(ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), NULL, spec, strlen(spec),
                              &r) == 0);
    CU_ASSERT_EQUAL(r.status, 200);
    ts_http_resp_free(&r);
    free(url);
}

static void test_wrong_ca_refused(void)
{
    e2e e;
    e2e_out o;
    char *cb;
    const char *other;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    other = ts_sandbox_certs(e.sb)->other_ca_pem;
    cb = fresh_callback(&e, "tls");
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "tls",
                              "--callback", cb, NULL};
        run_with_ca(&e, &o, other, args);
        CU_ASSERT_EQUAL(o.exit_code, 75);
        CU_ASSERT(has(o.err, "retry") && (has(o.err, "TLS") || has(o.err, "certificate")));
        CU_ASSERT(!has(o.out, "connected"));
        e2e_out_free(&o);
    }
    {
        /* Never connected: no token was stored. */
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "tls",
                              "--status", NULL};
        run(&e, &o, args);
        CU_ASSERT_NOT_EQUAL(o.exit_code, 3);
        CU_ASSERT_NOT_EQUAL(o.exit_code, 0);
        CU_ASSERT(has(o.err, "not_authorized") && has(o.err, "never authorized"));
        e2e_out_free(&o);
    }
    {
        /* ... and nothing was recorded for it but the link (its API base,
           for the completing step): it is not connected. */
        const char *args[] = {"profiles", "--json", NULL};
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        for (size_t i = 0; o.json != NULL && i < json_object_array_length(o.json); i++) {
            json_object *p = json_object_array_get_idx(o.json, i);
            if (strcmp(ts_world_get(p, "name"), "tls") == 0)
                CU_ASSERT_STRING_EQUAL(ts_world_get(p, "status"), "authorizing");
        }
        e2e_out_free(&o);
    }
    {
        /* "Retry later" holds: with the right CA the same link completes
           (TikTok never saw the code). */
        complete(&e, "tls", cb, &o);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        CU_ASSERT(is_str(ts_world_get(o.json, "status"), "connected"));
        e2e_out_free(&o);
    }
    {
        /* A connected profile is not reached through the wrong CA either. */
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", e.profile,
                              "--status", NULL};
        run_with_ca(&e, &o, other, args);
        CU_ASSERT_EQUAL(o.exit_code, 75);
        CU_ASSERT(has(o.err, "TLS") || has(o.err, "certificate"));
        e2e_out_free(&o);
    }
    free(cb);
    e2e_teardown(&e);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    *len = 0;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t) n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t) n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static int mem_has(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; n > 0 && i + n <= len; i++)
        if (buf[i] == needle[0] && memcmp(buf + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Every file under dir except the secrets file: none holds a secret.
   Returns the number of files read; *spooled counts those in a spool. */
static int scan_tree(const char *dir, const char *const *secrets, const char *secrets_file,
                     int *spooled)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    int files = 0;

    CU_ASSERT_FATAL(d != NULL);
    while ((ent = readdir(d)) != NULL) {
        char path[E2E_PATH];
        const char *sp;
        struct stat st;

        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            files += scan_tree(path, secrets, secrets_file, spooled);
        } else if (S_ISREG(st.st_mode) && strcmp(path, secrets_file) != 0) {
            size_t len;
            char *buf = slurp(path, &len);
            CU_ASSERT(buf != NULL);
            for (size_t i = 0; buf != NULL && secrets[i] != NULL; i++) {
                if (mem_has(buf, len, secrets[i]))
                    fprintf(stderr, "\na secret (#%zu) is in %s\n", i, path);
                CU_ASSERT(!mem_has(buf, len, secrets[i]));
            }
            free(buf);
            files++;
            /* spool/<connection>/<file>, not the connection's lock */
            sp = strstr(path, "/spool/");
            *spooled += sp != NULL && strchr(sp + strlen("/spool/"), '/') != NULL;
        }
    }
    closedir(d);
    return files;
}

/* Delivers, waiting out retry-later answers the way a scheduler would
   (bounded); every output is recorded. */
static void deliver_until_done(e2e *e, const char *conn, e2e_out *o)
{
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_FATAL(e2e_deliver(e, conn, o) == 0);
        transcript_add(o->out);
        transcript_add(o->err);
        if (o->exit_code != 75)
            break;
        if (getenv("E2E_VERBOSE"))
            fprintf(stderr, "[deliver] exit 75\n%s\n%s\n", o->out, o->err);
        e2e_out_free(o);
    }
    if (o->exit_code != 0)
        fprintf(stderr, "\ndeliver exit %d: %s\n%s\n", o->exit_code, o->out ? o->out : "",
                o->err ? o->err : "");
}

static void test_no_secret_leaks(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], secrets_file[E2E_PATH + 16], s[512], *conn, *cb, *t1, *t2;
    const char *app_secret;
    struct stat st;
    int files, spooled = 0;

    transcript_reset();
    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    app_secret = ts_world_get(e.world, "apps.0.secret");
    CU_ASSERT_FATAL(app_secret != NULL && strlen(app_secret) >= 16);

    /* A second profile, a connection, a delivery, remote validation, and
       failures (a reused state, a wrong CA, a revoked token). */
    cb = fresh_callback(&e, "p2");
    complete(&e, "p2", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    complete(&e, "p2", cb, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    e2e_out_free(&o);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 6000, 9, 2, 2, 1, 0) == 0);
    snprintf(s, sizeof(s), "{\"connection_type\":\"new\",\"audience_name\":\"Leak\","
             "\"create_new_for\":[\"%s\"]}", roomy_account(&e, 0));
    conn = connect_with(&e, dataset, s);
    deliver_until_done(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    check_validate(&e, s, 1, NULL, NULL);
    t1 = read_token(&e, e.profile);
    t2 = read_token(&e, "p2");
    snprintf(secrets_file, sizeof(secrets_file), "%s/secrets.json", e.home);
    CU_ASSERT_EQUAL(e2e_gen(dataset, 200, 10, 0, 0, 0, 1), 0);
    {
        /* Spool files live only during a run: stop one mid-upload (uploads
           made slow) with SIGKILL, as a crash would, and scan them. */
        const char *args[] = {"deliver", "--connection", conn, NULL};
        const char *secrets[] = {app_secret, t1, t2, NULL};
        set_faults(&e, "slow=1,slow_ms=5000,endpoints=file/upload");
        fprintf(stderr, "\n(killing a delivery mid-upload on purpose)\n");
        CU_ASSERT(run_argv(&e, &o, ts_sandbox_ca_file(e.sb), 2500, args) == -1);
        e2e_out_free(&o);
        set_faults(&e, "slow=0");
        CU_ASSERT(scan_tree(e.dir, secrets, secrets_file, &spooled) >= 3);
        CU_ASSERT(spooled > 0);
    }
    {
        /* The rerun of that run meets a server the host must not trust. */
        const char *args[] = {"deliver", "--connection", conn, NULL};
        run_with_ca(&e, &o, ts_sandbox_certs(e.sb)->other_ca_pem, args);
        CU_ASSERT_EQUAL(o.exit_code, 75);
        CU_ASSERT(has(o.out, "\"tls_failed\""));
        e2e_out_free(&o);
    }
    revoke(&e, t2);
    {
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", "p2",
                              "--status", NULL};
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 3);
        e2e_out_free(&o);
    }
    deliver_until_done(&e, conn, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);

    /* The secrets file is the owner's alone. */
    CU_ASSERT_FATAL(stat(secrets_file, &st) == 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);

    {
        const char *secrets[] = {app_secret, t1, t2, NULL};
        CU_ASSERT_FATAL(transcript != NULL && transcript_len > 0);
        for (size_t i = 0; secrets[i] != NULL; i++) {
            if (mem_has(transcript, transcript_len, secrets[i]))
                fprintf(stderr, "\na secret (#%zu) is in a command's output\n", i);
            CU_ASSERT(!mem_has(transcript, transcript_len, secrets[i]));
        }
        /* state.db (and its WAL), spool, logs: everything in the test's
           directory, home included. */
        files = scan_tree(e.dir, secrets, secrets_file, &spooled);
        CU_ASSERT(files >= 3);
    }
    {
        char db[E2E_PATH + 16];
        snprintf(db, sizeof(db), "%s/state.db", e.home);
        CU_ASSERT(stat(db, &st) == 0 && st.st_size > 0);
    }
    /* Sanity of the scan itself: the secrets file does hold the token. */
    {
        size_t len;
        char *buf = slurp(secrets_file, &len);
        CU_ASSERT(buf != NULL && mem_has(buf, len, t1));
        free(buf);
    }
    free(t1);
    free(t2);
    free(conn);
    free(cb);
    transcript_reset();
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"OAuth: URL, consent, connected with the world's usable accounts", test_oauth_flow},
        {"OAuth: expired state (24 hours)", test_state_expired},
        {"OAuth: tampered state", test_state_tampered},
        {"OAuth: state made for another profile", test_state_foreign_profile},
        {"OAuth: state made by another home", test_state_foreign_home},
        {"OAuth: state used twice", test_state_reused},
        {"OAuth: auth code used twice", test_auth_code_reused},
        {"OAuth: no auth code, no state", test_auth_code_missing},
        {"OAuth: Analyst-only user has no usable accounts", test_analyst_only_user},
        {"OAuth: revoked token means re-authorize", test_revoked_token},
        {"validate: structural rules", test_validate_structure},
        {"validate --remote: TikTok checks", test_validate_remote},
        {"validate --remote: room for every audience, audiences it can fill", test_validate_fit},
        {"validate --connection: immutable", test_immutable},
        {"security: unrelated CA refused", test_wrong_ca_refused},
        {"security: no secret in output, state, spool; secrets 0600", test_no_secret_leaks},
    };
    int rc = e2e_run_suite("profiles, settings and secrets end to end", tests,
                           sizeof(tests) / sizeof(tests[0]));

    transcript_reset();
    return rc;
}
