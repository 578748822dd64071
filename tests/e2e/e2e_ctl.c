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
