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

#include "e2e_changes.h"

#define REDIRECT "https://127.0.0.1/callback"

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
    const char *args[] = {"connect", "--plugin", pc_plugin(), "--profile", profile,
                          "--dataset", dataset, "--settings", settings, NULL};

    snprintf(settings, sizeof(settings), "%s/settings-c%d.json", e->dir, ++counter);
    CU_ASSERT_FATAL(e2e_write(settings, settings_text) == 0);
    pc_run(e, o, args);
}

static void test_identity_shown(void)
{
    e2e e;
    json_object *s;
    int rc;

    CU_ASSERT_FATAL(e2e_setup(&e, NULL) == 0);
    s = e.profile_status;
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "id"), e.user_id);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "display_name"),
                           pc_world_user(&e, 0, "name"));
    CU_ASSERT(json_object_get_int64(ts_json_at(s, "authorized_at_ms")) > 0);
    CU_ASSERT_PTR_NULL(ts_json_at(s, "token_id"));   /* the fingerprint is not shown */
    s = pc_status_of(&e, e.profile, &rc);
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
    url1 = pc_begin(&e, e.profile);
    url2 = pc_begin(&e, e.profile);
    cb2 = pc_consent_as(&e, url2, e.user_id);
    cb1 = pc_consent_as(&e, url1, pc_world_user(&e, 1, "user_id"));
    pc_complete(&e, e.profile, cb2, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    e2e_out_free(&o);
    /* The older link, completed later by another user, even with
       --switch-user: refused, the profile stays whose it was. */
    pc_complete(&e, e.profile, cb1, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(pc_has(o.err, "link_superseded") && pc_has(o.err, "newer"));
    e2e_out_free(&o);
    s = pc_status_of(&e, e.profile, &rc);
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
    olivia = pc_world_user(&e, 1, "user_id");
    CU_ASSERT(pc_lists_account(e.profile_status, "ad_accounts", GLOBEX_MAIN));
    url = pc_begin(&e, e.profile);
    cb = pc_consent_as(&e, url, olivia);
    pc_complete(&e, e.profile, cb, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(pc_has(o.err, "user_changed") && pc_has(o.err, e.user_id) && pc_has(o.err, olivia)
              && pc_has(o.err, "--switch-user"));
    e2e_out_free(&o);
    free(url);
    free(cb);
    s = pc_status_of(&e, e.profile, &rc);   /* unchanged, and still working */
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(s, "user"), "id"), e.user_id);
    json_object_put(s);

    url = pc_begin(&e, e.profile);
    cb = pc_consent_as(&e, url, olivia);
    pc_complete(&e, e.profile, cb, 1, &o);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(o.json, "user"), "id"), olivia);
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(o.json, "user"), "display_name"),
                           pc_world_user(&e, 1, "name"));
    CU_ASSERT_STRING_EQUAL(ts_world_get(ts_json_at(o.json, "switched_from"), "id"), e.user_id);
    /* Olivia owns Acme US but is not in Globex: that account is named. */
    CU_ASSERT(pc_lists_account(o.json, "lost_accounts", GLOBEX_MAIN));
    CU_ASSERT(!pc_lists_account(o.json, "lost_accounts", ACME_US));
    CU_ASSERT(pc_lists_account(o.json, "ad_accounts", ACME_US));
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
        const char *args[] = {"validate", "--plugin", pc_plugin(), "--settings", path,
                              "--profile", e.profile, "--remote", NULL};
        pc_run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        e2e_out_free(&o);
        /* An Admin downgraded to Analyst after the profile was connected. */
        snprintf(body, sizeof(body), "{\"advertiser_id\":\"%s\",\"user_id\":\"%s\","
                 "\"advertiser_role\":\"ANALYST\"}", ACME_US, e.user_id);
        CU_ASSERT_EQUAL(e2e_ctl_post(&e, "/sandbox/world/role", body), 200);
        pc_run(&e, &o, args);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(pc_has(o.out, "account_not_writable") || pc_has(o.err, "account_not_writable"));
        CU_ASSERT(pc_has(o.out, "read_only_role") || pc_has(o.err, "read_only_role"));
        CU_ASSERT(!pc_has(o.out, "\"valid\":true"));
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
    url = pc_begin(&e, e.profile);
    cb = pc_consent_as(&e, url, e.user_id);
    bad = with_code(cb, REDIRECT, "mistyped0000");
    pc_complete(&e, e.profile, bad, 0, &o);
    CU_ASSERT_EQUAL(o.exit_code, 1);
    /* Its own message per TikTok code is #22's (token-exchange answers). */
    CU_ASSERT(pc_has(o.err, "auth_code"));
    e2e_out_free(&o);
    pc_complete(&e, e.profile, cb, 0, &o);   /* the link was not burned */
    CU_ASSERT_EQUAL(o.exit_code, 0);
    CU_ASSERT(pc_has(o.out, "\"connected\""));
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
    url = pc_begin(&e, e.profile);
    cb = pc_consent_as(&e, url, e.user_id);
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        char *evil;
        const char *code = strstr(cb, "auth_code=") + strlen("auth_code=");
        char codebuf[128];

        snprintf(codebuf, sizeof(codebuf), "%.*s", (int) strcspn(code, "&#"), code);
        evil = with_code(cb, bases[i], codebuf);
        pc_complete(&e, e.profile, evil, 0, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(pc_has(o.err, "callback_wrong_redirect"));
        e2e_out_free(&o);
        free(evil);
    }
    /* Refused before anything was sent: the genuine callback still works. */
    pc_complete(&e, e.profile, cb, 0, &o);
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
        const char *args[] = {"authorize", "--plugin", pc_plugin(), "--profile", e->profile,
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
    olivia = pc_world_user(&e, 1, "user_id");
    for (int trial = 0; trial < 6; trial++) {
        const char *first = trial % 2 ? olivia : e.user_id;
        const char *second = trial % 2 ? e.user_id : olivia;
        char *u1 = pc_begin(&e, e.profile), *u2 = pc_begin(&e, e.profile);
        char *c1 = pc_consent_as(&e, u1, first), *c2 = pc_consent_as(&e, u2, second);
        pid_t p1 = complete_async(&e, c1), p2 = complete_async(&e, c2);
        int w1 = 0, w2 = 0, rc;
        json_object *s;
        const char *who;

        CU_ASSERT_FATAL(p1 > 0 && p2 > 0);
        CU_ASSERT(waitpid(p1, &w1, 0) == p1 && waitpid(p2, &w2, 0) == p2);
        /* Only the newest link can complete. */
        CU_ASSERT(WIFEXITED(w1) && WEXITSTATUS(w1) == 1);
        CU_ASSERT(WIFEXITED(w2) && WEXITSTATUS(w2) == 0);
        s = pc_status_of(&e, e.profile, &rc);
        CU_ASSERT_EQUAL(rc, 0);
        who = ts_world_get(ts_json_at(s, "user"), "id");
        CU_ASSERT_STRING_EQUAL(who, second);
        /* The accounts are those of the token's user: Globex Main only
           for Maya (its owner), never for Olivia. */
        CU_ASSERT_EQUAL(pc_lists_account(s, "ad_accounts", GLOBEX_MAIN),
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
    CU_ASSERT(pc_has(o.err, "no profile nobody") && pc_has(o.err, "authorize"));
    e2e_out_free(&o);
    {
        /* A link begun, never completed: the profile is not connected. */
        char *url = pc_begin(&e, "halfway");
        connect_with(&e, "halfway", dataset, settings, &o);
        CU_ASSERT_EQUAL(o.exit_code, 1);
        CU_ASSERT(pc_has(o.err, "halfway"));
        e2e_out_free(&o);
        free(url);
    }
    snprintf(settings, sizeof(settings), "{\"connection_type\":\"new\",\"audience_name\":"
             "\"C\",\"create_new_for\":[\"%s\",\"%s\"]}", ACME_US, initech);
    connect_with(&e, e.profile, dataset, settings, &o);   /* a target it cannot reach */
    CU_ASSERT_EQUAL(o.exit_code, 1);
    CU_ASSERT(pc_has(o.err, initech) || pc_has(o.out, initech));
    e2e_out_free(&o);
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
    };

    return e2e_run_suite("profiles that stay true when people and roles change", tests,
                         sizeof(tests) / sizeof(tests[0]));
}
