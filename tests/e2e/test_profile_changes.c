/*
 * test_profile_changes.c - profiles that stay true when the people and
 * roles behind them change (issue #19), end to end: connector-host against
 * the sandbox over HTTPS, the sandbox's world changed mid-test through its
 * control API (roles), links completed by other users, out of order, at
 * the same moment, with a mistyped code or from another host.
 *
 * Who reaches what is read from the sandbox's world, not from the plugin.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "e2e.h"

#define REDIRECT "https://127.0.0.1/callback"
#define ACME_US "7212000000000000001"      /* Maya ADMIN; Olivia owns it (BC Acme) */
#define GLOBEX_MAIN "7212000000000000005"  /* Maya as Globex owner; not Olivia */
#define GLOBEX_BC "7012000000000000002"    /* Maya is its ADMIN */

static const char *plugin(void)
{
    return getenv("TT_PLUGIN");
}

static int has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

static void run(e2e *e, e2e_out *o, const char *const *args)
{
    CU_ASSERT_FATAL(e2e_host(e, o, args) == 0);
    if (o->exit_code != 0 && getenv("E2E_VERBOSE") != NULL)
        fprintf(stderr, "\n[exit %d] %s\n", o->exit_code, o->err != NULL ? o->err : "");
}

/* The i-th user of the world. */
static const char *world_user(e2e *e, size_t i, const char *field)
{
    json_object *u = json_object_array_get_idx(ts_json_at(e->world, "users"), i);

    CU_ASSERT_FATAL(u != NULL);
    return ts_world_get(u, field);
}

/* authorize --profile: the URL to open (caller frees). */
static char *begin(e2e *e, const char *profile)
{
    const char *args[] = {"authorize", "--plugin", plugin(), "--profile", profile, NULL};
    e2e_out o;
    char *url;
    size_t n;

    run(e, &o, args);
    CU_ASSERT_EQUAL_FATAL(o.exit_code, 0);
    url = strdup(o.out != NULL ? o.out : "");
    CU_ASSERT_FATAL(url != NULL);
    n = strlen(url);
    while (n > 0 && (url[n - 1] == '\n' || url[n - 1] == ' '))
        url[--n] = '\0';
    e2e_out_free(&o);
    return url;
}

/* The consent page, logged in as user_id: the redirect (caller frees). */
static char *consent_as(e2e *e, const char *url, const char *user_id)
{
    ts_http_resp r = {0};
    char full[4096], *loc = NULL;

    snprintf(full, sizeof(full), "%s&user_id=%s", url, user_id);
    CU_ASSERT(ts_http_request("GET", full, ts_sandbox_ca_file(e->sb), NULL, NULL, 0, &r) == 0);
    CU_ASSERT_EQUAL(r.status, 302);
    if (r.location != NULL)
        loc = strdup(r.location);
    ts_http_resp_free(&r);
    CU_ASSERT_FATAL(loc != NULL);
    return loc;
}

static void complete(e2e *e, const char *profile, const char *cb, int switch_user,
                     e2e_out *o)
{
    const char *args[] = {"authorize", "--plugin", plugin(), "--profile", profile,
                          "--callback", cb, switch_user ? "--switch-user" : NULL, NULL};
    run(e, o, args);
}

/* authorize --status: the profile status JSON (caller puts), or NULL. */
static json_object *status_of(e2e *e, const char *profile, int *exit_code)
{
    const char *args[] = {"authorize", "--plugin", plugin(), "--profile", profile,
                          "--status", NULL};
    e2e_out o;
    json_object *j;

    run(e, &o, args);
    *exit_code = o.exit_code;
    j = o.json != NULL ? json_object_get(o.json) : NULL;
    e2e_out_free(&o);
    return j;
}

/* The entry of list (an array of objects with advertiser_id) for adv. */
static json_object *entry_for(json_object *root, const char *list, const char *adv)
{
    json_object *a = ts_json_at(root, list);

    for (size_t i = 0; a != NULL && i < json_object_array_length(a); i++) {
        json_object *x = json_object_array_get_idx(a, i);
        const char *id = ts_world_get(x, "advertiser_id");
        if (id != NULL && strcmp(id, adv) == 0)
            return x;
    }
    return NULL;
}

static int lists_account(json_object *status, const char *list, const char *adv)
{
    return entry_for(status, list, adv) != NULL;
}

/* cb with its auth_code replaced by code (caller frees). */
static char *with_code(const char *cb, const char *base, const char *code)
{
    const char *st = strstr(cb, "state=");
    char *out;
    size_t n;

    CU_ASSERT_FATAL(st != NULL);
    n = strlen(base) + strlen(code) + strcspn(st, "&#") + 32;
    out = malloc(n);
    CU_ASSERT_FATAL(out != NULL);
    snprintf(out, n, "%s?auth_code=%s&%.*s", base, code, (int) strcspn(st, "&#"), st);
    return out;
}

/* connect: the output (caller frees o). */
static void connect_with(e2e *e, const char *profile, const char *dataset,
                         const char *settings_text, e2e_out *o)
{
    static int counter;
    char settings[E2E_PATH];
    const char *args[] = {"connect", "--plugin", plugin(), "--profile", profile,
                          "--dataset", dataset, "--settings", settings, NULL};

    snprintf(settings, sizeof(settings), "%s/settings-c%d.json", e->dir, ++counter);
    CU_ASSERT_FATAL(e2e_write(settings, settings_text) == 0);
    run(e, o, args);
}

/* ---- tests --------------------------------------------------------------- */

static void test_identity_shown(void)
{
    e2e e;
    json_object *s;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    s = e.profile_status;
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "id"), e.user_id);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "display_name"),
                           world_user(&e, 0, "name"));
    CU_ASSERT(json_object_get_int64(ts_json_at(s, "authorized_at_ms")) > 0);
    CU_ASSERT_PTR_NULL(ts_json_at(s, "token_id"));   /* the fingerprint is not shown */
    s = status_of(&e, e.profile, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "id"), e.user_id);
    CU_ASSERT_EQUAL(json_object_get_int64(ts_json_at(s, "authorized_at_ms")),
                    json_object_get_int64(ts_json_at(e.profile_status, "authorized_at_ms")));
    json_object_put(s);
    e2e_teardown(&e);
}

static void test_older_link_refused(void)
{
    e2e e;
    e2e_out o;
    char *url1, *url2, *cb1, *cb2;
    json_object *s;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    url1 = begin(&e, e.profile);
    url2 = begin(&e, e.profile);
    cb2 = consent_as(&e, url2, e.user_id);
    cb1 = consent_as(&e, url1, world_user(&e, 1, "user_id"));
    complete(&e, e.profile, cb2, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    /* The older link, completed later by another user, even with
       --switch-user: refused, the profile stays whose it was. */
    complete(&e, e.profile, cb1, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(has(o.err, "link_superseded") && has(o.err, "newer"));
    e2e_out_free(&o);
    s = status_of(&e, e.profile, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "id"), e.user_id);
    json_object_put(s);
    free(url1);
    free(url2);
    free(cb1);
    free(cb2);
    e2e_teardown(&e);
}

static void test_user_switch(void)
{
    e2e e;
    e2e_out o;
    char *url, *cb;
    const char *olivia;
    json_object *s;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    olivia = world_user(&e, 1, "user_id");
    CU_ASSERT(lists_account(e.profile_status, "ad_accounts", GLOBEX_MAIN));
    url = begin(&e, e.profile);
    cb = consent_as(&e, url, olivia);
    complete(&e, e.profile, cb, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(has(o.err, "user_changed") && has(o.err, e.user_id) && has(o.err, olivia)
              && has(o.err, "--switch-user"));
    e2e_out_free(&o);
    free(url);
    free(cb);
    s = status_of(&e, e.profile, &rc);   /* unchanged, and still working */
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "id"), e.user_id);
    json_object_put(s);

    url = begin(&e, e.profile);
    cb = consent_as(&e, url, olivia);
    complete(&e, e.profile, cb, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(o.json, "user"), "id"), olivia);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(o.json, "user"), "display_name"),
                           world_user(&e, 1, "name"));
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(o.json, "switched_from"), "id"), e.user_id);
    /* Olivia owns Acme US but is not in Globex: that account is named. */
    CU_ASSERT(lists_account(o.json, "lost_accounts", GLOBEX_MAIN));
    CU_ASSERT(!lists_account(o.json, "lost_accounts", ACME_US));
    CU_ASSERT(lists_account(o.json, "ad_accounts", ACME_US));
    /* Re-authorizing revoked the old token at TikTok. */
    CU_ASSERT(json_object_get_boolean(ts_json_at(o.json, "previous_token_revoked")));
    e2e_out_free(&o);
    free(url);
    free(cb);
    e2e_teardown(&e);
}

static void test_role_downgrade_validate(void)
{
    e2e e;
    e2e_out o;
    char path[E2E_PATH], body[256];
    const char *settings = "{\"connection_type\":\"new\",\"audience_name\":\"D\","
                           "\"create_new_for\":[\"" ACME_US "\"]}";

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(path, sizeof(path), "%s/settings.json", e.dir);
    CU_ASSERT_FATAL(e2e_write(path, settings) == 0);
    {
        const char *args[] = {"validate", "--plugin", plugin(), "--settings", path,
                              "--profile", e.profile, "--remote", NULL};
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        e2e_out_free(&o);
        /* An Admin downgraded to Analyst after the profile was connected. */
        snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"user_id\":\"%s\","
                 "\"advertiser_role\":\"ANALYST\"}", ACME_US, e.user_id);
        CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/world/role", body), 200);
        run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.out, "account_not_writable") || has(o.err, "account_not_writable"));
        CU_ASSERT(has(o.out, "read_only_role") || has(o.err, "read_only_role"));
        CU_ASSERT(!has(o.out, "\"valid\":true"));
        e2e_out_free(&o);
    }
    e2e_teardown(&e);
}

static void test_mistyped_code_then_genuine(void)
{
    e2e e;
    e2e_out o;
    char *url, *cb, *bad;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    url = begin(&e, e.profile);
    cb = consent_as(&e, url, e.user_id);
    bad = with_code(cb, REDIRECT, "mistyped0000");
    complete(&e, e.profile, bad, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    /* Its own message per TikTok code is #22's (token-exchange answers). */
    CU_ASSERT(has(o.err, "auth_code"));
    e2e_out_free(&o);
    complete(&e, e.profile, cb, 0, &o);   /* the link was not burned */
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(has(o.out, "\"connected\""));
    e2e_out_free(&o);
    free(bad);
    free(url);
    free(cb);
    e2e_teardown(&e);
}

static void test_callback_other_host(void)
{
    static const char *const bases[] = {"https://evil.example.com/steal",
                                        "http://127.0.0.1/callback",
                                        "https://127.0.0.1:8443/callback",
                                        "https://127.0.0.1/other"};
    e2e e;
    e2e_out o;
    char *url, *cb;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    url = begin(&e, e.profile);
    cb = consent_as(&e, url, e.user_id);
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        char *evil;
        const char *code = strstr(cb, "auth_code=") + strlen("auth_code=");
        char codebuf[128];

        snprintf(codebuf, sizeof(codebuf), "%.*s", (int) strcspn(code, "&#"), code);
        evil = with_code(cb, bases[i], codebuf);
        complete(&e, e.profile, evil, 0, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.err, "callback_wrong_redirect"));
        e2e_out_free(&o);
        free(evil);
    }
    /* Refused before anything was sent: the genuine callback still works. */
    complete(&e, e.profile, cb, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    free(url);
    free(cb);
    e2e_teardown(&e);
}

/* Completes in a child process; returns its pid. */
static pid_t complete_async(e2e *e, const char *cb)
{
    pid_t pid = fork();

    if (pid == 0) {
        e2e_out o;
        const char *args[] = {"authorize", "--plugin", plugin(), "--profile", e->profile,
                              "--callback", cb, "--switch-user", NULL};
        int rc = e2e_host(e, &o, args) == 0 ? o.exit_code : 99;
        _exit(rc);
    }
    return pid;
}

static void test_simultaneous_completions(void)
{
    e2e e;
    const char *olivia;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    olivia = world_user(&e, 1, "user_id");
    for (int trial = 0; trial < 6; trial++) {
        const char *first = trial % 2 ? olivia : e.user_id;
        const char *second = trial % 2 ? e.user_id : olivia;
        char *u1 = begin(&e, e.profile), *u2 = begin(&e, e.profile);
        char *c1 = consent_as(&e, u1, first), *c2 = consent_as(&e, u2, second);
        pid_t p1 = complete_async(&e, c1), p2 = complete_async(&e, c2);
        int w1 = 0, w2 = 0, rc;
        json_object *s;
        const char *who;

        CU_ASSERT_FATAL(p1 > 0 && p2 > 0);
        CU_ASSERT(waitpid(p1, &w1, 0) == p1 && waitpid(p2, &w2, 0) == p2);
        /* Only the newest link can complete. */
        CU_ASSERT(WIFEXITED(w1) && WEXITSTATUS(w1) == 1);
        CU_ASSERT(WIFEXITED(w2) && WEXITSTATUS(w2) == 0);
        s = status_of(&e, e.profile, &rc);
        CU_ASSERT_EQUAL(rc, 0);
        who = ts_world_get(ts_json_at(s, "user"), "id");
        CU_ASSERT_STRING_EQUAL(who, second);
        /* The accounts are those of the token's user: Globex Main only
           for Maya (its owner), never for Olivia. */
        CU_ASSERT_EQUAL(lists_account(s, "ad_accounts", GLOBEX_MAIN),
                        strcmp(who, e.user_id) == 0);
        json_object_put(s);
        free(u1);
        free(u2);
        free(c1);
        free(c2);
    }
    e2e_teardown(&e);
}

static void test_connect_refuses(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH];
    const char *initech = "7212000000000000007";   /* not reached by Maya */
    char settings[256];

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 100, 5, 0, 0, 0, 0) == 0);
    snprintf(settings, sizeof(settings), "{\"connection_type\":\"new\",\"audience_name\":"
             "\"C\",\"create_new_for\":[\"%s\"]}", ACME_US);
    connect_with(&e, "nobody", dataset, settings, &o);   /* no such profile */
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(has(o.err, "no profile nobody") && has(o.err, "authorize"));
    e2e_out_free(&o);
    {
        /* A link begun, never completed: the profile is not connected. */
        char *url = begin(&e, "halfway");
        connect_with(&e, "halfway", dataset, settings, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(has(o.err, "halfway"));
        e2e_out_free(&o);
        free(url);
    }
    snprintf(settings, sizeof(settings), "{\"connection_type\":\"new\",\"audience_name\":"
             "\"C\",\"create_new_for\":[\"%s\",\"%s\"]}", ACME_US, initech);
    connect_with(&e, e.profile, dataset, settings, &o);   /* a target it cannot reach */
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(has(o.err, initech) || has(o.out, initech));
    e2e_out_free(&o);
    e2e_teardown(&e);
}

/* Re-authorized as a colleague who reaches Acme US but not Globex Main:
   the Globex connection fails on its own, naming the account; the Acme
   connection keeps delivering and the profile stays connected. */
static void test_fewer_accounts_keep_delivering(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], s1[256], s2[256], *c1, *c2, *url, *cb;
    json_object *st;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 1200, 7, 0, 0, 0, 0) == 0);
    snprintf(s1, sizeof(s1), "{\"connection_type\":\"new\",\"audience_name\":\"K1\","
             "\"create_new_for\":[\"%s\"]}", ACME_US);
    snprintf(s2, sizeof(s2), "{\"connection_type\":\"new\",\"audience_name\":\"K2\","
             "\"create_new_for\":[\"%s\"]}", GLOBEX_MAIN);
    c1 = e2e_connect(&e, dataset, s1);
    c2 = e2e_connect(&e, dataset, s2);
    CU_ASSERT_FATAL(c1 != NULL && c2 != NULL);
    url = begin(&e, e.profile);
    cb = consent_as(&e, url, world_user(&e, 1, "user_id"));
    complete(&e, e.profile, cb, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(lists_account(o.json, "lost_accounts", GLOBEX_MAIN));
    /* The command names the connection that loses its account, only it. */
    CU_ASSERT(has(json_object_to_json_string(ts_json_at(o.json, "affected_connections")), c2));
    CU_ASSERT(!has(json_object_to_json_string(ts_json_at(o.json, "affected_connections")), c1));
    e2e_out_free(&o);
    /* Twice: the second delivery to the lost account must not block the
       profile either (re-authorizing as the same user could not fix it). */
    for (int round = 0; round < 2; round++) {
        json_object *t;

        if (round == 1)   /* new rows, so the second run has work to do */
            CU_ASSERT_FATAL(e2e_gen(dataset, 300, 8, 0, 0, 0, 1) == 0);
        CU_ASSERT(e2e_deliver(&e, c2, &o) == 0);
        if (o.exit_code != 5)
            fprintf(stderr, "deliver %s: %s\n%s\n", c2, o.out, o.err);
        /* Partial: the connection's one target is behind, the profile is fine. */
        CU_ASSERT_EQUAL(o.exit_code, 5);
        CU_ASSERT(has(o.err, GLOBEX_MAIN));
        /* The second run does not try the account again: an audience never
           created there waits for its access probe (an hour on, or after the
           profile changes) and is reported behind with the same reason. */
        t = entry_for(o.json, "plugin.targets", GLOBEX_MAIN);
        if (round == 1)
            CU_ASSERT_PTR_NULL(ts_json_at(o.json, "catch_up"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "state"), "behind");
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "reason"), "advertiser_not_covered");
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "status"), "permission");
        CU_ASSERT_STRING_EQUAL(ts_world_get(t, "remote_code"), "40106");
        /* The fix names the account and who acts, not "re-authorize" alone. */
        CU_ASSERT(has(ts_world_get(t, "fix"), GLOBEX_MAIN));
        CU_ASSERT(has(ts_world_get(t, "fix"), "Admin of that account"));
        e2e_out_free(&o);
        st = status_of(&e, e.profile, &rc);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_STRING_EQUAL(ts_world_get(st, "status"), "connected");
        json_object_put(st);
    }
    CU_ASSERT(e2e_deliver(&e, c1, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    st = status_of(&e, e.profile, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(st, "status"), "connected");
    json_object_put(st);
    free(url);
    free(cb);
    free(c1);
    free(c2);
    e2e_teardown(&e);
}

/* The outcome of a deliver's target for adv (in the catch-up pass when it ran). */
static const char *outcome_of(json_object *report, const char *adv, const char *field)
{
    json_object *t = entry_for(report, "catch_up.plugin.targets", adv);

    if (t == NULL)
        t = entry_for(report, "plugin.targets", adv);
    const char *v = t != NULL ? ts_world_get(t, field) : NULL;

    return v != NULL ? v : "(none)";
}

/* Globex Main leaves the Business Center through which the profile's user
   reached it: in a connection to it and Acme US, only Globex falls behind;
   back in the Business Center, it catches up. */
static void test_account_left_bc(void)
{
    e2e e;
    e2e_out o;
    char dataset[E2E_PATH], *c;
    json_object *st;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    snprintf(dataset, sizeof(dataset), "%s/data.jsonl", e.dir);
    CU_ASSERT_FATAL(e2e_gen(dataset, 1200, 9, 0, 0, 0, 0) == 0);
    c = e2e_connect(&e, dataset, "{\"connection_type\":\"new\",\"audience_name\":\"B\","
                   "\"create_new_for\":[\"" ACME_US "\",\"" GLOBEX_MAIN "\"]}");
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT(e2e_deliver(&e, c, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/world/owner_bc",
                                 "{\"advertiser_id\":\"" GLOBEX_MAIN "\",\"owner_bc_id\":null}"),
                    200);
    CU_ASSERT_FATAL(e2e_gen(dataset, 300, 10, 0, 0, 0, 1) == 0);
    CU_ASSERT(e2e_deliver(&e, c, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 5);
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, GLOBEX_MAIN, "state"), "behind");
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, GLOBEX_MAIN, "reason"), "advertiser_not_covered");
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, ACME_US, "outcome"), "applied");
    e2e_out_free(&o);
    st = status_of(&e, e.profile, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(st, "status"), "connected");
    json_object_put(st);
    CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/world/owner_bc",
                                 "{\"advertiser_id\":\"" GLOBEX_MAIN "\",\"owner_bc_id\":\""
                                 GLOBEX_BC "\"}"),
                    200);
    CU_ASSERT_FATAL(e2e_gen(dataset, 200, 11, 0, 0, 0, 1) == 0);
    CU_ASSERT(e2e_deliver(&e, c, &o) == 0);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(outcome_of(o.json, GLOBEX_MAIN, "outcome"), "caught_up");
    e2e_out_free(&o);
    free(c);
    e2e_teardown(&e);
}

int main(void)
{
    static const e2e_test tests[] = {
        {"identity: status names the TikTok user and when", test_identity_shown},
        {"older link completed after a newer one: refused", test_older_link_refused},
        {"another user: refused; --switch-user names the lost accounts, revokes",
         test_user_switch},
        {"role downgraded after connect: validate --remote reports it",
         test_role_downgrade_validate},
        {"mistyped auth_code, then the genuine one connects", test_mistyped_code_then_genuine},
        {"callback on another host, scheme, port or path: refused",
         test_callback_other_host},
        {"two simultaneous completions: consistent", test_simultaneous_completions},
        {"connect: unknown profile, not connected, unreachable target: refused",
         test_connect_refuses},
        /* Last: the delivery half of point 1 (plugin/delivery scopes 40106
           to its target with tt_coverage_scope) runs as test_profile_targets,
           beside the others on a second core. */
        {"fewer accounts after re-authorizing: the others keep delivering",
         test_fewer_accounts_keep_delivering},
        {"an Ad Account leaves the Business Center: only it falls behind, then catches up",
         test_account_left_bc},
    };
    size_t n = sizeof(tests) / sizeof(tests[0]);

#ifdef TT_PROFILE_TARGETS_ONLY
    return e2e_run_suite("a profile that no longer reaches one Ad Account", &tests[n - 2], 2);
#else
    return e2e_run_suite("profiles that stay true when people and roles change", tests, n - 2);
#endif
}
