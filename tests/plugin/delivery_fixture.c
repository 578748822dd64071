/*
 * delivery_fixture.c - the delivery unit tests' fixture (see
 * delivery_fixture.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "delivery_fixture.h"
#include "delivery/tt_runrec.h"

delivery_sandbox sbx;

void fixture_init(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->m = mock_host_new();
    f->conn.connection_id = (char *) CID;
    f->conn.run_id = (char *) RUN;
    f->batch.struct_size = sizeof(f->batch);
    f->batch.connection_id = CID;
    f->batch.run_id = RUN;
    f->x.c = &f->conn;
    f->x.host = &f->m->host;
    f->x.batch = &f->batch;
    f->x.files = &f->files;
}

void fixture_restart(fixture *f)
{
    json_object_put(f->x.run);
    f->x.run = NULL;
    f->x.run_version = 0;
}

void fixture_free(fixture *f)
{
    json_object_put(f->x.run);
    mock_host_free(f->m);
}

int sandbox_up(void)
{
    ts_sandbox_opts o;
    json_object *w;
    const char *user, *adv;

    ts_sandbox_opts_init(&o);
    if (ts_sandbox_start(&o, &sbx.sb) != 0)
        return -1;
    w = ts_sandbox_world(sbx.sb);
    user = ts_world_get(w, "users.0.user_id");
    adv = user != NULL ? ts_world_advertiser(w, user, "ADMIN") : NULL;
    if (adv == NULL || ts_sandbox_authorize(sbx.sb, user, &sbx.token) != 0) {
        json_object_put(w);
        return -1;
    }
    snprintf(sbx.adv, sizeof(sbx.adv), "%s", adv);
    json_object_put(w);
    return 0;
}

int sandbox_down(void)
{
    free(sbx.token);
    return ts_sandbox_stop(sbx.sb) == 0 ? 0 : -1;
}

int api_fixture_init(api_fixture *a)
{
    static const char content[] =
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8\n";
    char path[128], md5[33];
    const char *advs[1] = {sbx.adv};
    tt_upload_result r;
    aconn_error err;
    FILE *fp;

    memset(a, 0, sizeof(*a));
    fixture_init(&a->f);
    /* The sandbox stamps create_time with the real clock: the intent's
       time must be on the same one. */
    a->f.m->now_ms = (int64_t) time(NULL) * 1000;
    mock_host_set_option(a->f.m, "api_base", ts_sandbox_base_url(sbx.sb));
    mock_host_set_option(a->f.m, "ca_file", ts_sandbox_ca_file(sbx.sb));
    mock_error_init(&err);
    if (tt_http_init(&a->http, &a->f.m->host, &err) != ACONN_OK)
        return -1;
    a->api.http = &a->http;
    a->api.host = &a->f.m->host;
    a->api.token = sbx.token;
    a->api.profile = "unit";
    a->f.x.api = &a->api;
    if (ts_tmpdir_make(a->dir, sizeof(a->dir)) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/ids.txt", a->dir);
    fp = fopen(path, "w");
    if (fp == NULL || fputs(content, fp) < 0 || fclose(fp) != 0 || ts_md5_file(path, md5) != 0)
        return -1;
    if (tt_api_file_upload_many(&a->api, advs, 1, "EMAIL_SHA256", path, md5, &r) != ACONN_OK)
        return -1;
    snprintf(a->file_path, sizeof(a->file_path), "%s", r.file_path);
    tt_upload_results_free(&r, 1);
    return tt_runrec_load(&a->f.x, &err) == ACONN_OK ? 0 : -1;
}

void api_fixture_free(api_fixture *a)
{
    tt_http_cleanup(&a->http);
    ts_tmpdir_remove(a->dir);
    fixture_free(&a->f);
}

int make_audience(api_fixture *a, const char *name, char id[32])
{
    const char *paths[1] = {a->file_path};
    aconn_error err;
    char *out = NULL;

    mock_error_init(&err);
    if (tt_api_audience_create(&a->api, sbx.adv, name, "EMAIL_SHA256", paths, 1, 0, &out, &err)
        != ACONN_OK)
        return -1;
    snprintf(id, 32, "%s", out);
    free(out);
    return 0;
}
