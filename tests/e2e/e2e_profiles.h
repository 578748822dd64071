/*
 * e2e_profiles.h - what the profile and settings programs share
 * (test_oauth, test_oauth_errors, test_validate, test_validate_remote,
 * test_secrets): connector-host run as a user runs it with every output
 * recorded for the secrets scan, the OAuth flow step by step through the
 * sandbox's consent page, and the world's Ad Accounts classified
 * independently of the plugin (GET /sandbox/world).
 */
#ifndef E2E_PROFILES_H
#define E2E_PROFILES_H

#include <stddef.h>

#include "e2e.h"

#define REDIRECT "https://127.0.0.1/callback"
#define RUN_TIMEOUT_MS (2 * 60 * 1000)

/* The plugin under test ($TT_PLUGIN). */
const char *ep_plugin(void);

/* Records s (a command's stdout or stderr) for the secrets scan. */
void ep_transcript_add(const char *s);

/* Forgets (and frees) everything recorded. */
void ep_transcript_reset(void);

/* Everything recorded since the last ep_transcript_reset() (NULL when
   nothing; its length in *len), for the secrets scan. */
const char *ep_transcript(size_t *len);

/* e2e_run_suite, then the transcript freed: a program's main. */
int ep_run_suite(const char *suite_name, const e2e_test *tests, size_t n);

/* connector-host with the fixture's options; both streams are recorded. */
void ep_run(e2e *e, e2e_out *o, const char *const *args);

/* hay (may be NULL) contains needle; ep_has_nocase ignoring ASCII case. */
int ep_has(const char *hay, const char *needle);

int ep_has_nocase(const char *hay, const char *needle);

/* authorize --profile: the URL to open (caller frees). */
char *ep_begin(e2e *e, const char *profile);

/* The consent page, logged in as user_id: the redirect (caller frees). */
char *ep_consent_as(e2e *e, const char *url, const char *user_id);

/* authorize --profile profile --callback callback. */
void ep_complete(e2e *e, const char *profile, const char *callback, e2e_out *o);

/* begin + consent for the world's first user: the callback URL. */
char *ep_fresh_callback(e2e *e, const char *profile);

/* The URL-decoded value of name in a URL's query (caller frees), or NULL. */
char *ep_query_value(const char *url, const char *name);

/* stderr names the status band and code the way ch_print_plugin_error
   does, and the message carries the fix. */
void ep_assert_failure(const e2e_out *o, int exit_code, const char *band, const char *code,
                       const char *fix);

/* What the user can do in an Ad Account (ep_account_class). */
enum { ACC_UNRELATED, ACC_USABLE, ACC_READ_ONLY, ACC_OUTSIDE_BC };

/* key of user_id's entry in a world list of roles, or NULL. */
const char *ep_role_in(json_object *list, const char *user_id, const char *key);

/* s is not NULL and equals want. */
int ep_is_str(const char *s, const char *want);

/* What a user can do in an Ad Account: write when Admin or Operator of it
   or Admin of the Business Center that owns it, provided the user reaches
   that Business Center; read only as Analyst; an account outside every
   Business Center the user reaches is excluded however high the role. */
int ep_account_class(json_object *world, json_object *adv, const char *user_id);

/* The first advertiser of class cls for the user (skipping n matches). */
const char *ep_world_account(e2e *e, int cls, size_t n);

/* A usable account with no prefilled audiences (n-th). */
const char *ep_roomy_account(e2e *e, size_t n);

/* Stores the app's credentials in e's home, as the operator does. */
void ep_store_app_secrets(e2e *e);

/* The access token of profile in e's home (caller frees; never printed). */
char *ep_read_token(e2e *e, const char *profile);

/* Revokes a token through TikTok's own endpoint, as the app owner can. */
void ep_revoke(e2e *e, const char *token);

/* connect with settings text; the new id (caller frees). */
char *ep_connect_with(e2e *e, const char *dataset, const char *settings_text);

/* validate [--profile p1 --remote] settings: exit 0 {"valid":true}, or
   exit 1 with an error at field with code. field NULL = must be valid. */
size_t ep_check_validate_fix(e2e *e, const char *settings, int remote, const char *field,
                             const char *code, const char *fix);

/* ep_check_validate_fix without a fix to look for. */
void ep_check_validate(e2e *e, const char *settings, int remote, const char *field,
                       const char *code);

#endif
