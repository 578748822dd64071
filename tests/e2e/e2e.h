/*
 * e2e.h - end-to-end fixtures: a sandbox over HTTPS, a host home with the
 * app's credentials, a connected profile, and the connector-host command
 * run as a user would run it. Expected audience members are computed here,
 * independently of the plugin, straight from the dataset file.
 */
#ifndef E2E_H
#define E2E_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ts.h"
#include "ts_cunit.h"

/* Room for a path under the fixture's directory. */
#define E2E_PATH (TS_PATH_MAX + 128)

typedef struct e2e {
    ts_sandbox *sb;
    char dir[TS_PATH_MAX];        /* private temp dir (home, data) */
    char home[E2E_PATH];
    json_object *world;
    char app_id[32];
    char user_id[64];
    char profile[32];
    json_object *profile_status;  /* authorize --callback output */
    long long clock_offset_ms;    /* the host's clock, as tests move it */
    const char *const *env;       /* extra "NAME=value" for every host run
                                     (NULL-terminated), or NULL */
} e2e;

typedef struct e2e_out {
    int exit_code;
    char *out;
    char *err;
    json_object *json;            /* stdout parsed, or NULL */
} e2e_out;

/* Starts a sandbox (faults may be NULL), makes a home with the app's secrets
   and authorizes profile "p1" for the world's first user. 0 or -1. */
int e2e_setup(e2e *e, const char *faults);
/* The same with the sandbox started from o, and env (NULL-terminated
   "NAME=value", borrowed for the fixture's life; may be NULL) added to
   every host run, the setup's own included. */
int e2e_setup_with(e2e *e, const ts_sandbox_opts *o, const char *const *env);

/* Writes the built-in world (tiktok-sandbox --print-world) with n more Ad
   Accounts, "Scale 1".."Scale n", where the first user is ADMIN, in the
   first Business Center it administers. 0 or -1. */
int e2e_world_with_accounts(const char *path, int n);
void e2e_teardown(e2e *e);

/* Runs connector-host with args (NULL-terminated) plus --home, --api-base,
   --ca-file, --redirect-uri and the fixture's clock offset. */
int e2e_host(e2e *e, e2e_out *o, const char *const *args);

/* deliver --connection conn. After a retry-later answer (exit 75) the
   host's clock is moved past the run's not_before, as a scheduler would
   wait, so the next call does run. */
int e2e_deliver(e2e *e, const char *conn, e2e_out *o);
void e2e_out_free(e2e_out *o);

/* The i-th usable Ad Account of the profile (skipping `skip_name` matches). */
const char *e2e_account(e2e *e, size_t i, const char *skip_name);

/* Writes path with n records from tt-gen-dataset (seed, percentages). */
int e2e_gen(const char *path, unsigned long n, unsigned long seed, double invalid_pct,
            double remove_pct, double bad_lines_pct, int append);

/* A sorted set of 64-hex digests. */
typedef struct e2e_set {
    char (*items)[65];
    size_t n, cap;
} e2e_set;

/* Creates an audience "name" of EMAIL_SHA256 in adv holding n fresh email
   digests (returned in *members), through TikTok's API as a marketer
   would. */
int e2e_make_existing_audience(e2e *e, const char *adv, const char *name, unsigned long n,
                               char id_out[32], e2e_set *members);

/* The same with calculate_type calc (EMAIL_SHA256 or MULTIPLE_TYPES, whose
   file is a CSV with an Email_SHA256 column). */
int e2e_make_audience(e2e *e, const char *adv, const char *name, const char *calc,
                      unsigned long n, char id_out[32], e2e_set *members);

/* Writes settings JSON to path. */
int e2e_write(const char *path, const char *text);

void e2e_set_free(e2e_set *s);
int e2e_set_add(e2e_set *s, const char *hex);
void e2e_set_sort_unique(e2e_set *s);
int e2e_set_equal(const e2e_set *a, const e2e_set *b);

enum { E2E_EMAIL, E2E_PHONE, E2E_IDFA, E2E_GAID, E2E_NTYPES };

/* Frees one set per identifier type (inline: e2e.c is full). */
static inline void e2e_sets_free(e2e_set s[E2E_NTYPES])
{
    for (int t = 0; t < E2E_NTYPES; t++)
        e2e_set_free(&s[t]);
}

/* The identifier changes in lines [from_line, to_line] of a dataset
   (1-based; to_line 0 = to the end), per TikTok type, computed the way the
   seed's mapping table says: valid digests lower-cased, invalid ones
   dropped. */
int e2e_changes(const char *dataset, unsigned long from_line, unsigned long to_line,
                e2e_set adds[E2E_NTYPES], e2e_set removes[E2E_NTYPES]);

/* s = (s + adds) - removes: one run of a connection, removals winning. */
int e2e_set_apply(e2e_set *s, const e2e_set *adds, const e2e_set *removes);

/* Members of an audience from the sandbox's control API. */
int e2e_members(e2e *e, const char *audience_id, e2e_set *out);

/* The audiences of adv whose name equals name (control API); returns the
   count and the first id in id_out. */
int e2e_audiences_named(e2e *e, const char *adv, const char *name, char id_out[32]);

/* Update operations in adv's oplog (control API). */
int e2e_update_ops(e2e *e, const char *adv);

/* The same, only those of action ("REPLACE", ...) on audience_id; either
   NULL for any. */
int e2e_oplog_count(e2e *e, const char *adv, const char *action, const char *audience_id);

/* The sandbox's control API: GET path (parsed JSON, or NULL), POST body to
   path (the HTTP status, -1 when no answer). */
json_object *e2e_ctl_get(e2e *e, const char *path);
long e2e_ctl_post(e2e *e, const char *path, const char *body);

/* Requests the sandbox received on endpoints containing fragment
   (accepted or refused), -1 when it cannot say. */
long e2e_requests_to(e2e *e, const char *fragment);

/* TikTok requests the sandbox received in all (*total, may be NULL) and
   how many of them --qps refused with 40100 (returned; -1 when it cannot
   say). */
long e2e_rate_limited(e2e *e, long *total);

/* API calls the sandbox received about Ad Account adv (any endpoint,
   refused ones too), -1 when it cannot say. */
long e2e_requests_for(e2e *e, const char *adv);

/* Sets the profile's user's role on adv (NULL: none, as if revoked) through
   the control API; 0 on success. */
int e2e_set_role(e2e *e, const char *adv, const char *role);

/* The target of adv in report's section ("" for the top-level targets,
   "plugin", "catch_up.plugin"), or NULL. */
json_object *e2e_target_of(json_object *report, const char *section, const char *adv);

/* 1 when the one audience named name in adv holds exactly the dataset's
   members (every type, removals winning), else 0 (the difference on
   stderr); its id in id_out (may be NULL). */
int e2e_exact(e2e *e, const char *adv, const char *name, const char *dataset,
              char id_out[32]);

/* connect --dataset dataset with these settings; the new connection's id
   (malloc'd), or NULL (the reason on stderr, and a failed assertion: every
   caller means connect to succeed). */
char *e2e_connect(e2e *e, const char *dataset, const char *settings_text);

/* The same for a "new" connection: an audience called name in adv (and in
   adv2 unless NULL). */
char *e2e_connect_new(e2e *e, const char *dataset, const char *name, const char *adv,
                      const char *adv2);

/* The same for an "existing" connection updating audience_id of adv. */
char *e2e_connect_existing(e2e *e, const char *dataset, const char *adv,
                           const char *audience_id);

/* What the tests of an existing audience start from, after e2e_setup: an
   audience `name` of n members made in adv as a marketer would (its id in
   existing, its members in *members), a dataset <dir>/<file>.jsonl of n
   rows from seed, and a connection updating that audience (its id,
   malloc'd). Failures are fatal assertions. */
char *e2e_existing_connection(e2e *e, const char *adv, const char *name, const char *file,
                              unsigned long n, unsigned long seed, char existing[32],
                              e2e_set *members);

/* e2e_host with stdin_data fed to the command (e.g. `secret set`). */
int e2e_host_input(e2e *e, e2e_out *o, const char *stdin_data, const char *const *args);

/* One end-to-end test for e2e_run_suite(). */
typedef ts_test e2e_test;

/* Runs the tests as one CUnit suite through the shared runner
   (ts_cunit.h: E2E_ONLY or TS_ONLY=substring picks tests by name, and one
   that matches none fails) and returns the process exit code. */
int e2e_run_suite(const char *suite_name, const e2e_test *tests, size_t n);

#endif
