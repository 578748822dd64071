/* e2e_ctl.c - what the end-to-end tests read from and tell the sandbox
 * through its control API (/sandbox/...): members, audiences, the oplog,
 * request counts (see e2e.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

int e2e_members(e2e *e, const char *audience_id, e2e_set *out)
{
    char path[128], *url, *body = NULL;
    long status = 0;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "/sandbox/audience/members?audience_id=%s", audience_id);
    url = ts_sandbox_url(e->sb, path);
    if (url != NULL && ts_http_get(url, ts_sandbox_ca_file(e->sb), &status, &body) == 0 &&
        status == 200) {
        rc = 0;
        for (char *p = body; *p != '\0';) {
            char *nl = strchr(p, '\n');
            if (nl - p >= 64 || (nl == NULL && strlen(p) >= 64))
                e2e_set_add(out, p);
            if (nl == NULL)
                break;
            p = nl + 1;
        }
        e2e_set_sort_unique(out);
    }
    free(url);
    free(body);
    return rc;
}

static json_object *control_get(e2e *e, const char *path)
{
    char *url = ts_sandbox_url(e->sb, path), *body = NULL;
    long status = 0;
    json_object *j = NULL;

    if (url != NULL && ts_http_get(url, ts_sandbox_ca_file(e->sb), &status, &body) == 0 &&
        status == 200)
        j = json_tokener_parse(body);
    free(url);
    free(body);
    return j;
}

int e2e_audiences_named(e2e *e, const char *adv, const char *name, char id_out[32])
{
    char path[128];
    json_object *j, *list;
    int count = 0;

    snprintf(path, sizeof(path), "/sandbox/audiences?advertiser_id=%s", adv);
    j = control_get(e, path);
    list = ts_json_at(j, "audiences");
    if (id_out != NULL)
        id_out[0] = '\0';
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *a = json_object_array_get_idx(list, i);
        const char *n = ts_world_get(a, "name");
        if (n == NULL || strcmp(n, name) != 0)
            continue;
        if (count++ == 0 && id_out != NULL)
            snprintf(id_out, 32, "%s", ts_world_get(a, "audience_id"));
    }
    json_object_put(j);
    return count;
}

int e2e_oplog_count(e2e *e, const char *adv, const char *action, const char *audience_id)
{
    char path[128];
    json_object *j, *list;
    int count = 0;

    snprintf(path, sizeof(path), "/sandbox/oplog?advertiser_id=%s", adv);
    j = control_get(e, path);
    list = ts_json_at(j, "operations");
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *o = json_object_array_get_idx(list, i);
        const char *op = ts_world_get(o, "op"), *act = ts_world_get(o, "action");
        const char *id = ts_world_get(o, "audience_id");
        count += op != NULL && strcmp(op, "update") == 0 &&
                 (action == NULL || (act != NULL && strcmp(act, action) == 0)) &&
                 (audience_id == NULL || (id != NULL && strcmp(id, audience_id) == 0));
    }
    json_object_put(j);
    return count;
}

int e2e_update_ops(e2e *e, const char *adv)
{
    return e2e_oplog_count(e, adv, NULL, NULL);
}

json_object *e2e_ctl_get(e2e *e, const char *path)
{
    return control_get(e, path);
}

long e2e_ctl_post(e2e *e, const char *path, const char *body)
{
    char *url = ts_sandbox_url(e->sb, path);
    ts_http_resp r = {0};
    long status = -1;

    if (url != NULL &&
        ts_http_request("POST", url, ts_sandbox_ca_file(e->sb), NULL, body, strlen(body), &r) == 0)
        status = r.status;
    ts_http_resp_free(&r);
    free(url);
    return status;
}

int e2e_world_with_accounts(const char *path, int n)
{
    const char *argv[] = {getenv("TT_SANDBOX"), "--print-world", NULL};
    char *out = NULL, id[32], name[32];
    json_object *w = NULL, *advs;
    const char *user, *bc = NULL;
    int code = -1, rc = -1;

    if (argv[0] == NULL || ts_run_capture(argv, NULL, 30000, &code, &out, NULL) != 0
        || code != 0 || (w = json_tokener_parse(out)) == NULL)
        goto cleanup;
    advs = ts_json_at(w, "advertisers");
    user = ts_world_get(w, "users.0.user_id");
    /* The accounts need a Business Center where the user is an admin (the
       connector excludes accounts outside every Business Center). */
    for (size_t i = 0; bc == NULL && i < json_object_array_length(ts_json_at(w, "business_centers")); i++) {
        json_object *b = json_object_array_get_idx(ts_json_at(w, "business_centers"), i);
        json_object *m = ts_json_at(b, "members");
        for (size_t k = 0; m != NULL && k < json_object_array_length(m); k++) {
            json_object *one = json_object_array_get_idx(m, k);
            const char *uid = ts_world_get(one, "user_id"), *role = ts_world_get(one, "user_role");
            if (uid != NULL && user != NULL && strcmp(uid, user) == 0 && role != NULL
                && strcmp(role, "ADMIN") == 0)
                bc = ts_world_get(b, "bc_id");
        }
    }
    if (advs == NULL || user == NULL || bc == NULL)
        goto cleanup;
    for (int i = 1; i <= n; i++) {
        json_object *a = json_object_new_object(), *roles = json_object_new_array(),
                    *r = json_object_new_object();
        snprintf(id, sizeof(id), "72130000000000%05d", i);
        snprintf(name, sizeof(name), "Scale %d", i);
        json_object_object_add(a, "advertiser_id", json_object_new_string(id));
        json_object_object_add(a, "name", json_object_new_string(name));
        json_object_object_add(a, "owner_bc_id", json_object_new_string(bc));
        json_object_object_add(r, "user_id", json_object_new_string(user));
        json_object_object_add(r, "advertiser_role", json_object_new_string("ADMIN"));
        json_object_array_add(roles, r);
        json_object_object_add(a, "roles", roles);
        json_object_array_add(advs, a);
    }
    rc = e2e_write(path, json_object_to_json_string(w));
cleanup:
    json_object_put(w);
    free(out);
    return rc;
}

long e2e_rate_limited(e2e *e, long *total)
{
    json_object *o = control_get(e, "/sandbox/requests"), *v = NULL;
    long n = -1;

    if (total != NULL)
        *total = -1;
    if (o == NULL)
        return -1;
    if (total != NULL && json_object_object_get_ex(o, "total", &v))
        *total = (long) json_object_get_int64(v);
    if (json_object_object_get_ex(o, "rate_limited", &v))
        n = (long) json_object_get_int64(v);
    json_object_put(o);
    return n;
}

long e2e_requests_to(e2e *e, const char *fragment)
{
    json_object *o = control_get(e, "/sandbox/requests"), *by = NULL;
    long n = 0;

    if (o == NULL)
        return -1;
    if (json_object_object_get_ex(o, "by_endpoint", &by)) {
        json_object_object_foreach(by, key, val) {
            if (strstr(key, fragment) != NULL)
                n += (long) json_object_get_int64(val);
        }
    }
    json_object_put(o);
    return n;
}

long e2e_requests_for(e2e *e, const char *adv)
{
    json_object *o = control_get(e, "/sandbox/requests"), *by = NULL, *n = NULL;
    long count = -1;

    if (o != NULL && json_object_object_get_ex(o, "by_advertiser", &by))
        count = json_object_object_get_ex(by, adv, &n) ? (long) json_object_get_int64(n) : 0;
    json_object_put(o);
    return count;
}

int e2e_set_role(e2e *e, const char *adv, const char *role)
{
    char body[256];

    snprintf(body, sizeof(body),
             "{\"advertiser_id\":\"%s\",\"user_id\":\"%s\",\"advertiser_role\":%s%s%s}",
             adv, e->user_id, role ? "\"" : "", role ? role : "null", role ? "\"" : "");
    char *url = ts_sandbox_url(e->sb, "/sandbox/world/role"), *resp = NULL;
    long status = 0;
    int rc = url != NULL ? ts_http_post_json(url, ts_sandbox_ca_file(e->sb), body, &status,
                                             &resp) : -1;

    free(url);
    free(resp);
    return rc == 0 && status == 200 ? 0 : -1;
}

json_object *e2e_target_of(json_object *report, const char *section, const char *adv)
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

int e2e_exact(e2e *e, const char *adv, const char *name, const char *dataset,
              char id_out[32])
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES], want = {0}, got = {0}, none = {0};
    char id[32];
    int ok = 0;

    if (e2e_changes(dataset, 1, 0, adds, removes) != 0)
        return 0;
    for (int t = 0; t < E2E_NTYPES; t++) {
        e2e_set one = {0};
        e2e_set_apply(&one, &adds[t], &removes[t]);
        e2e_set_apply(&want, &one, &none);
        e2e_set_free(&one);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
    if (e2e_audiences_named(e, adv, name, id) != 1) {
        fprintf(stderr, "%s in %s: not exactly one audience of that name\n", name, adv);
        goto cleanup;
    }
    if (e2e_members(e, id, &got) != 0)
        goto cleanup;
    ok = e2e_set_equal(&got, &want);
    if (!ok)
        fprintf(stderr, "%s in %s: %zu members, expected %zu\n", name, adv, got.n, want.n);
    if (id_out != NULL)
        memcpy(id_out, id, 32);
cleanup:
    e2e_set_free(&got);
    e2e_set_free(&want);
    return ok;
}
