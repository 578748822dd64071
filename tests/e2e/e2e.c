/* e2e.c - end-to-end fixtures and the independent expected-members model. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "e2e.h"

#define E2E_REDIRECT "https://127.0.0.1/callback"
#define E2E_TIMEOUT_MS (5 * 60 * 1000)

static const char *env_or_die(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "e2e: %s is not set; run the tests through `make check`\n", name);
        exit(99);
    }
    return v;
}

void e2e_out_free(e2e_out *o)
{
    free(o->out);
    free(o->err);
    json_object_put(o->json);
    memset(o, 0, sizeof(*o));
}

static int run_host(e2e *e, e2e_out *o, long long clock_offset_ms, const char *stdin_data,
                    const char *const *args)
{
    const char *argv[64];
    char offset[32];
    size_t n = 0;
    int rc;

    memset(o, 0, sizeof(*o));
    argv[n++] = env_or_die("TT_HOST");
    for (size_t i = 0; args[i] != NULL && n < 48; i++)
        argv[n++] = args[i];
    argv[n++] = "--home";
    argv[n++] = e->home;
    argv[n++] = "--api-base";
    argv[n++] = ts_sandbox_base_url(e->sb);
    if (ts_sandbox_ca_file(e->sb) != NULL) {
        argv[n++] = "--ca-file";
        argv[n++] = ts_sandbox_ca_file(e->sb);
    }
    argv[n++] = "--redirect-uri";
    argv[n++] = E2E_REDIRECT;
    if (clock_offset_ms != 0) {
        snprintf(offset, sizeof(offset), "%lld", clock_offset_ms);
        argv[n++] = "--clock-offset-ms";
        argv[n++] = offset;
    }
    argv[n] = NULL;
    rc = ts_run_capture_env(argv, e->env, stdin_data, E2E_TIMEOUT_MS, &o->exit_code, &o->out,
                            &o->err);
    if (rc == 0 && o->out != NULL)
        o->json = json_tokener_parse(o->out);
    return rc;
}

int e2e_host(e2e *e, e2e_out *o, const char *const *args)
{
    return run_host(e, o, e->clock_offset_ms, NULL, args);
}

static long long real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int e2e_deliver(e2e *e, const char *conn, e2e_out *o)
{
    const char *args[] = {"deliver", "--connection", conn, NULL};
    json_object *nb;
    int rc = e2e_host(e, o, args);

    if (rc != 0 || o->exit_code != 75 || o->json == NULL)
        return rc;
    nb = ts_json_at(o->json, "not_before_ms");
    if (nb != NULL) {
        long long want = json_object_get_int64(nb) - real_now_ms() + 1;
        if (want > e->clock_offset_ms)
            e->clock_offset_ms = want;
    }
    return rc;
}

static int set_secret(e2e *e, const char *name, const char *value)
{
    const char *args[] = {"secret", "set", "--plugin", env_or_die("TT_PLUGIN"), name, NULL};
    e2e_out o;
    int rc = run_host(e, &o, 0, value, args);
    if (rc == 0 && o.exit_code != 0) {
        fprintf(stderr, "e2e: secret set %s failed: %s\n", name, o.err ? o.err : "");
        rc = -1;
    }
    e2e_out_free(&o);
    return rc;
}

static char *trim(char *s)
{
    size_t n = s ? strlen(s) : 0;
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

/* The consent page answers with a redirect carrying auth_code and state. */
static char *consent(e2e *e, const char *url)
{
    ts_http_resp r = {0};
    char *full = malloc(strlen(url) + strlen(e->user_id) + 16), *loc = NULL;

    if (full == NULL)
        return NULL;
    sprintf(full, "%s&user_id=%s", url, e->user_id);
    if (ts_http_request("GET", full, ts_sandbox_ca_file(e->sb), NULL, NULL, 0, &r) == 0 &&
        r.location != NULL)
        loc = strdup(r.location);
    ts_http_resp_free(&r);
    free(full);
    return loc;
}

int e2e_setup(e2e *e, const char *faults)
{
    ts_sandbox_opts o;

    ts_sandbox_opts_init(&o);
    o.faults = faults;
    return e2e_setup_with(e, &o, NULL);
}

int e2e_setup_with(e2e *e, const ts_sandbox_opts *o, const char *const *env)
{
    const char *plugin = env_or_die("TT_PLUGIN");
    e2e_out out = {0};
    char *cb = NULL;
    int rc = -1;

    memset(e, 0, sizeof(*e));
    e->env = env;
    snprintf(e->profile, sizeof(e->profile), "p1");
    if (ts_tmpdir_make(e->dir, sizeof(e->dir)) != 0)
        return -1;
    snprintf(e->home, sizeof(e->home), "%s/home", e->dir);
    if (ts_sandbox_start(o, &e->sb) != 0)
        return -1;
    e->world = ts_sandbox_world(e->sb);
    if (e->world == NULL)
        return -1;
    snprintf(e->app_id, sizeof(e->app_id), "%s", ts_world_get(e->world, "apps.0.app_id"));
    snprintf(e->user_id, sizeof(e->user_id), "%s", ts_world_get(e->world, "users.0.user_id"));
    if (set_secret(e, "app_id", e->app_id) != 0 ||
        set_secret(e, "app_secret", ts_world_get(e->world, "apps.0.secret")) != 0)
        return -1;
    {
        const char *args[] = {"authorize", "--plugin", plugin, "--profile", e->profile, NULL};
        if (e2e_host(e, &out, args) != 0 || out.exit_code != 0) {
            fprintf(stderr, "e2e: authorize begin failed: %s\n", out.err ? out.err : "");
            goto cleanup;
        }
    }
    cb = consent(e, trim(out.out));
    e2e_out_free(&out);
    if (cb == NULL) {
        fprintf(stderr, "e2e: the consent page did not redirect\n");
        goto cleanup;
    }
    {
        const char *args[] = {"authorize", "--plugin", plugin, "--profile", e->profile,
                              "--callback", cb, NULL};
        if (e2e_host(e, &out, args) != 0 || out.exit_code != 0 || out.json == NULL) {
            fprintf(stderr, "e2e: authorize complete failed (%d): %s %s\n", out.exit_code,
                    out.out ? out.out : "", out.err ? out.err : "");
            goto cleanup;
        }
    }
    e->profile_status = json_object_get(out.json);
    rc = 0;
cleanup:
    e2e_out_free(&out);
    free(cb);
    return rc;
}

void e2e_teardown(e2e *e)
{
    ts_sandbox_stop(e->sb);
    json_object_put(e->world);
    json_object_put(e->profile_status);
    if (e->dir[0] != '\0' && getenv("E2E_KEEP") == NULL)
        ts_tmpdir_remove(e->dir);
    memset(e, 0, sizeof(*e));
}

const char *e2e_account(e2e *e, size_t i, const char *skip_name)
{
    json_object *list = ts_json_at(e->profile_status, "ad_accounts");
    size_t seen = 0;

    for (size_t k = 0; list != NULL && k < json_object_array_length(list); k++) {
        json_object *a = json_object_array_get_idx(list, k);
        const char *name = ts_world_get(a, "name");
        if (skip_name != NULL && name != NULL && strstr(name, skip_name) != NULL)
            continue;
        if (seen++ == i)
            return ts_world_get(a, "advertiser_id");
    }
    return NULL;
}

int e2e_gen(const char *path, unsigned long n, unsigned long seed, double invalid_pct,
            double remove_pct, double bad_lines_pct, int append)
{
    char gen[E2E_PATH], ns[32], ss[32], ip[32], rp[32], bp[32];
    const char *argv[16];
    int code = -1;
    char *out = NULL, *err = NULL;
    FILE *f;

    snprintf(gen, sizeof(gen), "%s/tests/tools/tt-gen-dataset", env_or_die("TT_BUILDDIR"));
    snprintf(ns, sizeof(ns), "%lu", n);
    snprintf(ss, sizeof(ss), "%lu", seed);
    snprintf(ip, sizeof(ip), "%g", invalid_pct);
    snprintf(rp, sizeof(rp), "%g", remove_pct);
    snprintf(bp, sizeof(bp), "%g", bad_lines_pct);
    const char *a[] = {gen, "--records", ns, "--seed", ss, "--invalid-pct", ip,
                       "--remove-pct", rp, "--bad-lines-pct", bp, NULL};
    memcpy(argv, a, sizeof(a));
    if (ts_run_capture(argv, NULL, 120000, &code, &out, &err) != 0 || code != 0)
        goto fail;
    f = fopen(path, append ? "a" : "w");
    if (f == NULL || fputs(out, f) == EOF || fclose(f) != 0)
        goto fail;
    free(out);
    free(err);
    return 0;
fail:
    fprintf(stderr, "e2e: dataset generation failed: %s\n", err ? err : "");
    free(out);
    free(err);
    return -1;
}

int e2e_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* ---- sets ---- */

void e2e_set_free(e2e_set *s)
{
    free(s->items);
    memset(s, 0, sizeof(*s));
}

int e2e_set_add(e2e_set *s, const char *hex)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        void *p = realloc(s->items, cap * sizeof(*s->items));
        if (p == NULL)
            return -1;
        s->items = p;
        s->cap = cap;
    }
    memcpy(s->items[s->n], hex, 64);
    s->items[s->n][64] = '\0';
    s->n++;
    return 0;
}

static int cmp_hex(const void *a, const void *b)
{
    return memcmp(a, b, 64);
}

void e2e_set_sort_unique(e2e_set *s)
{
    size_t w = 0;
    if (s->n == 0)
        return;
    qsort(s->items, s->n, sizeof(*s->items), cmp_hex);
    for (size_t r = 1; r < s->n; r++)
        if (memcmp(s->items[r], s->items[w], 64) != 0)
            memcpy(s->items[++w], s->items[r], 65);
    s->n = w + 1;
}

int e2e_set_equal(const e2e_set *a, const e2e_set *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (memcmp(a->items[i], b->items[i], 64) != 0)
            return 0;
    return 1;
}

static int set_contains(const e2e_set *s, const char *hex)
{
    return s->n > 0 && bsearch(hex, s->items, s->n, sizeof(*s->items), cmp_hex) != NULL;
}

int e2e_set_apply(e2e_set *s, const e2e_set *adds, const e2e_set *removes)
{
    e2e_set next = {0};

    for (size_t i = 0; i < adds->n; i++)
        if (e2e_set_add(s, adds->items[i]) != 0)
            return -1;
    e2e_set_sort_unique(s);
    for (size_t i = 0; i < s->n; i++)
        if (!set_contains(removes, s->items[i]) && e2e_set_add(&next, s->items[i]) != 0)
            return -1;
    e2e_set_free(s);
    *s = next;
    return 0;
}

/* ---- the expected-members model (the seed's table, written out again) ---- */

static int type_of(const char *name, const char *type)
{
    static const struct { const char *name, *type; int t; } rules[] = {
        {"sha256_hashed_email", NULL, E2E_EMAIL},
        {"hashed_email", "sha256_hashed_email", E2E_EMAIL},
        {"unique_id", "sha256_hashed_email", E2E_EMAIL},
        {"sha256_hashed_phone_number", NULL, E2E_PHONE},
        {"apple_idfa", NULL, E2E_IDFA},
        {"mobile_id_unique_identifier", "apple_idfa", E2E_IDFA},
        {"android_advertising_id", NULL, E2E_GAID},
        {"mobile_id_unique_identifier", "android_advertising_id", E2E_GAID},
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (strcmp(rules[i].name, name) != 0)
            continue;
        if (rules[i].type == NULL) {
            if (type == NULL || type[0] == '\0' || strcmp(type, name) == 0)
                return rules[i].t;
            return -1;
        }
        if (type != NULL && strcmp(type, rules[i].type) == 0)
            return rules[i].t;
    }
    return -1;
}

static int canon_hex(const char *v, char out[65])
{
    if (v == NULL || strlen(v) != 64)
        return -1;
    for (int i = 0; i < 64; i++) {
        char c = v[i];
        if (c >= 'A' && c <= 'F')
            c = (char) (c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return -1;
        out[i] = c;
    }
    out[64] = '\0';
    return 0;
}

static void take_attr(const char *name, json_object *v, int remove, e2e_set *adds,
                      e2e_set *removes)
{
    json_object *jv = NULL, *jt = NULL;
    char hex[65];
    int t;

    if (!json_object_is_type(v, json_type_object) ||
        !json_object_object_get_ex(v, "value", &jv) || !json_object_is_type(jv, json_type_string))
        return;
    json_object_object_get_ex(v, "type", &jt);
    t = type_of(name, jt != NULL ? json_object_get_string(jt) : NULL);
    if (t < 0 || canon_hex(json_object_get_string(jv), hex) != 0)
        return;
    e2e_set_add(remove ? &removes[t] : &adds[t], hex);
}

int e2e_changes(const char *dataset, unsigned long from_line, unsigned long to_line,
                e2e_set adds[E2E_NTYPES], e2e_set removes[E2E_NTYPES])
{
    FILE *f = fopen(dataset, "r");
    char *line = NULL;
    size_t cap = 0;
    unsigned long no = 0;

    if (f == NULL)
        return -1;
    memset(adds, 0, sizeof(e2e_set) * E2E_NTYPES);
    memset(removes, 0, sizeof(e2e_set) * E2E_NTYPES);
    while (getline(&line, &cap, f) != -1) {
        json_object *rec, *op = NULL;
        int remove;

        no++;
        if (no < from_line || (to_line != 0 && no > to_line))
            continue;
        rec = json_tokener_parse(line);
        if (!json_object_is_type(rec, json_type_object)) {
            json_object_put(rec);
            continue;
        }
        remove = json_object_object_get_ex(rec, "_op", &op) &&
                 strcmp(json_object_get_string(op), "remove") == 0;
        json_object_object_foreach(rec, key, val) {
            if (key[0] == '_')
                continue;
            if (json_object_is_type(val, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(val); i++)
                    take_attr(key, json_object_array_get_idx(val, i), remove, adds, removes);
            } else {
                take_attr(key, val, remove, adds, removes);
            }
        }
        json_object_put(rec);
    }
    free(line);
    fclose(f);
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set_sort_unique(&adds[t]);
        e2e_set_sort_unique(&removes[t]);
    }
    return 0;
}

/* ---- the sandbox's view ---- */

char *e2e_connect(e2e *e, const char *dataset, const char *settings_text)
{
    char settings[E2E_PATH];
    static int counter;
    e2e_out o;
    char *id = NULL;

    snprintf(settings, sizeof(settings), "%s/e2e-settings-%d.json", e->dir, ++counter);
    if (e2e_write(settings, settings_text) != 0)
        return NULL;
    const char *args[] = {"connect", "--plugin", env_or_die("TT_PLUGIN"), "--profile",
                          e->profile, "--dataset", dataset, "--settings", settings, NULL};
    if (e2e_host(e, &o, args) != 0)
        return NULL;
    if (o.exit_code != 0)
        fprintf(stderr, "connect failed (%d): %s %s\n", o.exit_code, o.out ? o.out : "",
                o.err ? o.err : "");
    else if (o.out != NULL) {
        o.out[strcspn(o.out, "\r\n")] = '\0';
        id = strdup(o.out);
    }
    e2e_out_free(&o);
    return id;
}

int e2e_make_existing_audience(e2e *e, const char *adv, const char *name, unsigned long n,
                               char id_out[32], e2e_set *members)
{
    return e2e_make_audience(e, adv, name, "EMAIL_SHA256", n, id_out, members);
}

int e2e_make_audience(e2e *e, const char *adv, const char *name, const char *calc,
                      unsigned long n, char id_out[32], e2e_set *members)
{
    int multi = strcmp(calc, "MULTIPLE_TYPES") == 0;
    char path[E2E_PATH], md5[33], hdr[512], body[512], *token = NULL, *url = NULL;
    ts_http_resp r = {0};
    json_object *env = NULL, *data = NULL;
    int code = -1, rc = -1;
    FILE *f;

    memset(members, 0, sizeof(*members));
    snprintf(path, sizeof(path), "%s/existing-%s-%s.%s", e->dir, adv, name,
             multi ? "csv" : "txt");
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    if (multi)
        fputs("Email_SHA256\n", f);
    for (unsigned long i = 0; i < n; i++) {
        char s[160], hex[65];
        snprintf(s, sizeof(s), "existing-member-%s-%s-%lu@example.com", adv, name, i);
        ts_sha256_hex(s, hex);
        fprintf(f, "%s\n", hex);
        e2e_set_add(members, hex);
    }
    fclose(f);
    e2e_set_sort_unique(members);
    if (ts_md5_file(path, md5) != 0 || ts_sandbox_authorize(e->sb, e->user_id, &token) != 0)
        goto cleanup;
    snprintf(hdr, sizeof(hdr), "Access-Token: %s", token);
    {
        const char *headers[] = {hdr, NULL};
        ts_form_part parts[] = {
            {"advertiser_id", adv, NULL, NULL},
            {"calculate_type", calc, NULL, NULL},
            {"file_signature", md5, NULL, NULL},
            {"file", NULL, path, multi ? "members.csv" : "members.txt"},
        };
        url = ts_sandbox_url(e->sb, "/open_api/v1.3/dmp/custom_audience/file/upload/");
        if (ts_http_multipart(url, ts_sandbox_ca_file(e->sb), headers, parts, 4, &r) != 0)
            goto cleanup;
        env = ts_envelope(r.body, &code, &data);
        if (code != 0)
            goto cleanup;
        snprintf(body, sizeof(body),
                 "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"%s\","
                 "\"calculate_type\":\"%s\",\"file_paths\":[\"%s\"]}",
                 adv, name, calc, ts_world_get(data, "file_path"));
        json_object_put(env);
        env = NULL;
        ts_http_resp_free(&r);
        free(url);
        url = ts_sandbox_url(e->sb, "/open_api/v1.3/dmp/custom_audience/create/");
        const char *h2[] = {hdr, "Content-Type: application/json", NULL};
        if (ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), h2, body, strlen(body),
                            &r) != 0)
            goto cleanup;
        env = ts_envelope(r.body, &code, &data);
        if (code != 0)
            goto cleanup;
        snprintf(id_out, 32, "%s", ts_world_get(data, "custom_audience_id"));
        rc = 0;
    }
cleanup:
    if (rc != 0)
        fprintf(stderr, "e2e: could not seed an existing audience (code %d): %s\n", code,
                r.body ? r.body : "");
    json_object_put(env);
    ts_http_resp_free(&r);
    free(url);
    free(token);
    return rc;
}

int e2e_host_input(e2e *e, e2e_out *o, const char *stdin_data, const char *const *args)
{
    return run_host(e, o, e->clock_offset_ms, stdin_data, args);
}

int e2e_run_suite(const char *suite_name, const e2e_test *tests, size_t n)
{
    return ts_cunit_run_one(suite_name, tests, n);
}
