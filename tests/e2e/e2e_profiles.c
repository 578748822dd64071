/*
 * e2e_profiles.c - the profile programs' shared steps (see e2e_profiles.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <CUnit/Basic.h>
#include <curl/curl.h>

#include "e2e_profiles.h"

/* Everything the commands of the current test printed, for the secrets
   scan. Test code only: the plugin has no globals. */
static char *transcript;

static size_t transcript_len;

const char *ep_plugin(void)
{
    return getenv("TT_PLUGIN");
}

void ep_transcript_add(const char *s)
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

void ep_transcript_reset(void)
{
    free(transcript);
    transcript = NULL;
    transcript_len = 0;
}

const char *ep_transcript(size_t *len)
{
    *len = transcript_len;
    return transcript;
}

int ep_run_suite(const char *suite_name, const e2e_test *tests, size_t n)
{
    int rc = e2e_run_suite(suite_name, tests, n);

    ep_transcript_reset();
    return rc;
}

void ep_run(e2e *e, e2e_out *o, const char *const *args)
{
    CU_ASSERT_FATAL(e2e_host(e, o, args) == 0);
    ep_transcript_add(o->out);
    ep_transcript_add(o->err);
    if (getenv("E2E_VERBOSE"))
        fprintf(stderr, "[%s] exit %d\n%s\n%s\n", args[0], o->exit_code,
                o->out ? o->out : "", o->err ? o->err : "");
}

int ep_has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

int ep_has_nocase(const char *hay, const char *needle)
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

char *ep_begin(e2e *e, const char *profile)
{
    const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", profile, NULL};
    e2e_out o;
    char *url;

    ep_run(e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    url = trimmed_dup(o.out);
    e2e_out_free(&o);
    return url;
}

char *ep_consent_as(e2e *e, const char *url, const char *user_id)
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

void ep_complete(e2e *e, const char *profile, const char *callback, e2e_out *o)
{
    const char *args[] = {"authorize", "--plugin", ep_plugin(), "--profile", profile,
                          "--callback", callback, NULL};
    ep_run(e, o, args);
}

char *ep_fresh_callback(e2e *e, const char *profile)
{
    char *url = ep_begin(e, profile), *cb = ep_consent_as(e, url, e->user_id);
    free(url);
    return cb;
}

char *ep_query_value(const char *url, const char *name)
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

void ep_assert_failure(const e2e_out *o, int exit_code, const char *band, const char *code,
                       const char *fix)
{
    char want[128];

    if (o->exit_code != exit_code || !ep_has(o->err, code) || (fix && !ep_has(o->err, fix)))
        fprintf(stderr, "\nexpected exit %d %s (%s): got %d\n%s\n", exit_code, code,
                fix ? fix : "", o->exit_code, o->err ? o->err : "");
    CU_ASSERT_EQUAL(o->exit_code, exit_code);
    snprintf(want, sizeof(want), "%s (%s)", band, code);
    CU_ASSERT(ep_has(o->err, want));
    if (fix != NULL)
        CU_ASSERT(ep_has(o->err, fix));
    /* Every command it names runs as printed: authorize with --plugin. */
    for (const char *p = o->err; p != NULL && (p = strstr(p, "connector-host authorize ")) != NULL;
         p += 25)
        CU_ASSERT(strncmp(p + 25, "--plugin ", 9) == 0);
}

const char *ep_role_in(json_object *list, const char *user_id, const char *key)
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
            return ep_role_in(ts_json_at(bc, "members"), user_id, "user_role");
    }
    return NULL;
}

int ep_is_str(const char *s, const char *want)
{
    return s != NULL && strcmp(s, want) == 0;
}

int ep_account_class(json_object *world, json_object *adv, const char *user_id)
{
    const char *role = ep_role_in(ts_json_at(adv, "roles"), user_id, "advertiser_role");
    const char *owner = ts_world_get(adv, "owner_bc_id");
    const char *member = bc_role(world, owner, user_id);

    if (member != NULL) {
        if (ep_is_str(role, "ADMIN") || ep_is_str(role, "OPERATOR") || ep_is_str(member, "ADMIN"))
            return ACC_USABLE;
        if (role != NULL)
            return ACC_READ_ONLY;
        return ACC_UNRELATED;
    }
    return role != NULL ? ACC_OUTSIDE_BC : ACC_UNRELATED;
}

const char *ep_world_account(e2e *e, int cls, size_t n)
{
    json_object *advs = ts_json_at(e->world, "advertisers");

    for (size_t i = 0; advs != NULL && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i);
        if (ep_account_class(e->world, a, e->user_id) == cls && n-- == 0)
            return ts_world_get(a, "advertiser_id");
    }
    return NULL;
}

const char *ep_roomy_account(e2e *e, size_t n)
{
    json_object *advs = ts_json_at(e->world, "advertisers");

    for (size_t i = 0; advs != NULL && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i);
        json_object *pf = ts_json_at(a, "prefilled_audiences");
        if (ep_account_class(e->world, a, e->user_id) == ACC_USABLE &&
            (pf == NULL || json_object_get_int(pf) == 0) && n-- == 0)
            return ts_world_get(a, "advertiser_id");
    }
    return NULL;
}

void ep_store_app_secrets(e2e *e)
{
    static const char *names[] = {"app_id", "app_secret"};
    const char *values[] = {e->app_id, ts_world_get(e->world, "apps.0.secret")};

    for (size_t i = 0; i < 2; i++) {
        const char *args[] = {"secret", "set", "--plugin", ep_plugin(), names[i], NULL};
        e2e_out o;
        CU_ASSERT_FATAL(values[i] != NULL);
        CU_ASSERT_FATAL(e2e_host_input(e, &o, values[i], args) == 0);
        CU_ASSERT_EQUAL(o.exit_code, 0);
        e2e_out_free(&o);
    }
}

char *ep_read_token(e2e *e, const char *profile)
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

void ep_revoke(e2e *e, const char *token)
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

char *ep_connect_with(e2e *e, const char *dataset, const char *settings_text)
{
    char path[E2E_PATH];
    e2e_out o;
    char *id = NULL;

    snprintf(path, sizeof(path), "%s/connect-settings.json", e->dir);
    CU_ASSERT_FATAL(e2e_write(path, settings_text) == 0);
    const char *args[] = {"connect", "--plugin", ep_plugin(), "--profile", e->profile,
                          "--dataset", dataset, "--settings", path, NULL};
    ep_run(e, &o, args);
    CU_ASSERT_EQUAL(o.exit_code, 0);
    if (o.exit_code == 0)
        id = trimmed_dup(o.out);
    e2e_out_free(&o);
    CU_ASSERT_FATAL(id != NULL && id[0] != '\0');
    return id;
}

size_t ep_check_validate_fix(e2e *e, const char *settings, int remote, const char *field,
                             const char *code, const char *fix)
{
    char path[E2E_PATH];
    e2e_out o;
    json_object *errors;
    size_t nerrors;
    int found = 0;

    snprintf(path, sizeof(path), "%s/validate.json", e->dir);
    CU_ASSERT_FATAL(e2e_write(path, settings) == 0);
    const char *local[] = {"validate", "--plugin", ep_plugin(), "--settings", path, NULL};
    const char *remote_args[] = {"validate", "--plugin", ep_plugin(), "--settings", path,
                                 "--profile", e->profile, "--remote", NULL};
    ep_run(e, &o, remote ? remote_args : local);
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
        if (ep_is_str(ts_world_get(err, "field"), field) &&
            ep_is_str(ts_world_get(err, "code"), code) && msg != NULL && strlen(msg) > 20 &&
            (fix == NULL || ep_has(msg, fix)))
            found = 1;
    }
    if (!found)
        fprintf(stderr, "\nexpected %s at %s: %s\n -> exit %d %s\n", code, field, settings,
                o.exit_code, o.out ? o.out : "");
    CU_ASSERT(found);
    e2e_out_free(&o);
    return nerrors;
}

void ep_check_validate(e2e *e, const char *settings, int remote, const char *field,
                       const char *code)
{
    (void) ep_check_validate_fix(e, settings, remote, field, code, NULL);
}
