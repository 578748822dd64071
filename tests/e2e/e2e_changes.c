/*
 * e2e_changes.c - the authorize steps and status reads of the profile
 * changes programs (see e2e_changes.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_changes.h"

const char *pc_plugin(void)
{
    return getenv("TT_PLUGIN");
}

int pc_has(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

void pc_run(e2e *e, e2e_out *o, const char *const *args)
{
    CU_ASSERT_FATAL(e2e_host(e, o, args) == 0);
    if (o->exit_code != 0 && getenv("E2E_VERBOSE") != NULL)
        fprintf(stderr, "\n[exit %d] %s\n", o->exit_code, o->err != NULL ? o->err : "");
}

const char *pc_world_user(e2e *e, size_t i, const char *field)
{
    json_object *u = json_object_array_get_idx(ts_json_at(e->world, "users"), i);

    CU_ASSERT_FATAL(u != NULL);
    return ts_world_get(u, field);
}

char *pc_begin(e2e *e, const char *profile)
{
    const char *args[] = {"authorize", "--plugin", pc_plugin(), "--profile", profile, NULL};
    e2e_out o;
    char *url;
    size_t n;

    pc_run(e, &o, args);
    CU_ASSERT_EQUAL_FATAL(o.exit_code, 0);
    url = strdup(o.out != NULL ? o.out : "");
    CU_ASSERT_FATAL(url != NULL);
    n = strlen(url);
    while (n > 0 && (url[n - 1] == '\n' || url[n - 1] == ' '))
        url[--n] = '\0';
    e2e_out_free(&o);
    return url;
}

char *pc_consent_as(e2e *e, const char *url, const char *user_id)
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

void pc_complete(e2e *e, const char *profile, const char *cb, int switch_user,
                 e2e_out *o)
{
    const char *args[] = {"authorize", "--plugin", pc_plugin(), "--profile", profile,
                          "--callback", cb, switch_user ? "--switch-user" : NULL, NULL};
    pc_run(e, o, args);
}

json_object *pc_status_of(e2e *e, const char *profile, int *exit_code)
{
    const char *args[] = {"authorize", "--plugin", pc_plugin(), "--profile", profile,
                          "--status", NULL};
    e2e_out o;
    json_object *j;

    pc_run(e, &o, args);
    *exit_code = o.exit_code;
    j = o.json != NULL ? json_object_get(o.json) : NULL;
    e2e_out_free(&o);
    return j;
}

json_object *pc_entry_for(json_object *root, const char *list, const char *adv)
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

int pc_lists_account(json_object *status, const char *list, const char *adv)
{
    return pc_entry_for(status, list, adv) != NULL;
}
