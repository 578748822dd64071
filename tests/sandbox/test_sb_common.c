/* test_sb_common.c: fixture and helpers shared by the sandbox tests. */
#include "test_sb_common.h"

#include <openssl/evp.h>

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

tsb_env tsb;

static int find_ids(void)
{
    json_object *w = tsb.world;
    json_object *advs = ts_json_at(w, "advertisers");

    tsb.app_id = ts_world_get(w, "apps.0.app_id");
    tsb.secret = ts_world_get(w, "apps.0.secret");
    tsb.main_user = ts_world_get(w, "users.0.user_id");
    tsb.owner_user = ts_world_get(w, "users.1.user_id");
    tsb.other_user = ts_world_get(w, "users.2.user_id");
    tsb.adv_admin = ts_world_advertiser(w, tsb.main_user, "ADMIN");
    tsb.adv_operator = ts_world_advertiser(w, tsb.main_user, "OPERATOR");
    tsb.adv_analyst = ts_world_advertiser(w, tsb.main_user, "ANALYST");
    tsb.adv_solo = ts_world_advertiser(w, tsb.main_user, "NONE_BC");
    for (size_t i = 0; advs != NULL && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i);
        json_object *pf = ts_json_at(a, "prefilled_audiences");
        const char *bc = ts_world_get(a, "owner_bc_id");
        const char *id = ts_world_get(a, "advertiser_id");
        if (pf != NULL && json_object_get_int(pf) == 398) {
            tsb.adv_full = id;
        }
        /* The Globex account: owned by the BC the main user administers. */
        if (bc != NULL && strcmp(bc, ts_world_get(w, "business_centers.1.bc_id")) == 0) {
            tsb.adv_owner_bc = id;
        }
        if (bc != NULL && strcmp(bc, ts_world_get(w, "business_centers.2.bc_id")) == 0) {
            tsb.adv_foreign = id;
        }
    }
    if (tsb.app_id == NULL || tsb.secret == NULL || tsb.main_user == NULL
        || tsb.adv_admin == NULL || tsb.adv_operator == NULL || tsb.adv_analyst == NULL
        || tsb.adv_full == NULL || tsb.adv_owner_bc == NULL || tsb.adv_solo == NULL
        || tsb.adv_foreign == NULL) {
        fprintf(stderr, "test: the default world lacks an expected account\n");
        return -1;
    }
    return 0;
}

int tsb_setup(const ts_sandbox_opts *opts)
{
    memset(&tsb, 0, sizeof tsb);
    if (ts_tmpdir_make(tsb.dir, sizeof tsb.dir) != 0
        || ts_sandbox_start(opts, &tsb.sb) != 0) {
        return -1;
    }
    tsb.world = ts_sandbox_world(tsb.sb);
    if (tsb.world == NULL || find_ids() != 0) {
        return -1;
    }
    return ts_sandbox_authorize(tsb.sb, NULL, &tsb.token);
}

int tsb_setup_default(void)
{
    return tsb_setup(NULL);
}

int tsb_teardown(void)
{
    int rc = ts_sandbox_stop(tsb.sb);

    json_object_put(tsb.world);
    free(tsb.token);
    if (tsb.dir[0] != '\0') {
        ts_tmpdir_remove(tsb.dir);
    }
    memset(&tsb, 0, sizeof tsb);
    return rc;
}

int tsb_reset(void)
{
    free(tsb.token);
    tsb.token = NULL;
    if (ts_sandbox_reset(tsb.sb) != 0) {
        return -1;
    }
    return ts_sandbox_authorize(tsb.sb, NULL, &tsb.token);
}

static char last_message[1024];

const char *tsb_last_message(void)
{
    return last_message;
}

static int call(const char *method, const char *path, const char *token, const char *body,
                json_object **data)
{
    char *url = ts_sandbox_url(tsb.sb, path), hdr[256];
    const char *headers[3] = {"Content-Type: application/json", NULL, NULL};
    ts_http_resp r = {0};
    json_object *env = NULL, *d = NULL;
    int code = -1;

    if (data != NULL) {
        *data = NULL;
    }
    if (token != NULL) {
        snprintf(hdr, sizeof hdr, "Access-Token: %s", token);
        headers[1] = hdr;
    }
    if (url != NULL && ts_http_request(method, url, ts_sandbox_ca_file(tsb.sb), headers, body,
                                       body != NULL ? strlen(body) : 0, &r) == 0
        && r.status == 200) {
        env = ts_envelope(r.body, &code, &d);
        if (env != NULL && data != NULL) {
            *data = json_object_get(d);
        }
        if (env != NULL && code != 0) {
            /* Visible in the test log: which rule answered. */
            json_object *m = ts_json_at(env, "message");
            snprintf(last_message, sizeof last_message, "%s",
                     m != NULL ? json_object_get_string(m) : "");
            fprintf(stderr, "  [%s %.120s -> %d %s]\n", method, path, code, last_message);
        }
    }
    json_object_put(env);
    ts_http_resp_free(&r);
    free(url);
    return code;
}

int tsb_get(const char *path, const char *token, json_object **data)
{
    return call("GET", path, token, NULL, data);
}

int tsb_post(const char *path, const char *token, const char *json_body, json_object **data)
{
    return call("POST", path, token, json_body, data);
}

long tsb_status(const char *method, const char *path, const char *token)
{
    char *url = ts_sandbox_url(tsb.sb, path), hdr[256];
    const char *headers[2] = {NULL, NULL};
    ts_http_resp r = {0};
    long st;

    if (token != NULL) {
        snprintf(hdr, sizeof hdr, "Access-Token: %s", token);
        headers[0] = hdr;
    }
    ts_http_request(method, url, ts_sandbox_ca_file(tsb.sb), headers,
                    strcmp(method, "POST") == 0 ? "{}" : NULL,
                    strcmp(method, "POST") == 0 ? 2 : 0, &r);
    st = r.status;
    ts_http_resp_free(&r);
    free(url);
    return st;
}

const char *tsb_write_members(int slot, long from, long to)
{
    static char paths[8][TS_PATH_MAX];
    FILE *f;

    if ((size_t)snprintf(paths[slot & 7], TS_PATH_MAX, "%.4000s/members-%d.csv", tsb.dir,
                         slot & 7) >= TS_PATH_MAX) {
        return NULL;
    }
    f = fopen(paths[slot & 7], "w");
    if (f == NULL) {
        return NULL;
    }
    for (long i = from; i < to; i++) {
        char email[64], hex[65];
        snprintf(email, sizeof email, "user%ld@example.com", i);
        ts_sha256_hex(email, hex);
        fprintf(f, "%s\n", hex);
    }
    if (fclose(f) != 0) {
        return NULL;
    }
    return paths[slot & 7];
}

int tsb_upload(const char *adv, const char *calc, const char *path, const char *filename,
               const char *signature, char file_path[17])
{
    char md5[33], hdr[256];
    const char *headers[2] = {hdr, NULL};
    char *url = ts_sandbox_url(tsb.sb, "/open_api/v1.3/dmp/custom_audience/file/upload/");
    ts_form_part parts[4] = {
        {"advertiser_id", adv, NULL, NULL},
        {"calculate_type", calc, NULL, NULL},
        {"file", NULL, path, filename},
        {"file_signature", signature, NULL, NULL},
    };
    ts_http_resp r = {0};
    json_object *env = NULL, *data = NULL, *fp;
    int code = -1;

    if (signature == NULL) {
        if (ts_md5_file(path, md5) != 0) {
            free(url);
            return -1;
        }
        parts[3].value = md5;
    }
    snprintf(hdr, sizeof hdr, "Access-Token: %s", tsb.token);
    if (url != NULL && ts_http_multipart(url, ts_sandbox_ca_file(tsb.sb), headers, parts, 4,
                                         &r) == 0 && r.status == 200) {
        env = ts_envelope(r.body, &code, &data);
        if (code == 0 && file_path != NULL && (fp = ts_json_at(data, "file_path")) != NULL) {
            snprintf(file_path, 17, "%s", json_object_get_string(fp));
        }
        if (code != 0) {
            snprintf(last_message, sizeof last_message, "%s",
                     json_object_get_string(ts_json_at(env, "message")));
            fprintf(stderr, "  [upload -> %d %s]\n", code, last_message);
        }
    }
    json_object_put(env);
    ts_http_resp_free(&r);
    free(url);
    return code;
}

void tsb_id_hex(char kind, long i, char hex[65])
{
    char in[64];

    switch (kind) {
    case 'e':
        snprintf(in, sizeof in, "user%ld@example.com", i);
        break;
    case 'p':
        snprintf(in, sizeof in, "+1555%07ld", i);
        break;
    default:
        snprintf(in, sizeof in, "maid-%ld", i);
        break;
    }
    if (kind == 'd') {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_Digest(in, strlen(in), md, &n, EVP_md5(), NULL);
        for (unsigned int b = 0; b < n; b++) {
            snprintf(hex + 2 * b, 3, "%02x", md[b]);
        }
    } else {
        ts_sha256_hex(in, hex);
    }
}

const char *tsb_write_multi(int slot, const char *kinds, long from, long to)
{
    static char paths[8][TS_PATH_MAX];
    static const char *const header[] = {"Email_SHA256", "Phone_SHA256", "MAID_SHA256",
                                         "MAID_MD5"};
    FILE *f;

    kinds = kinds != NULL ? kinds : "epm";
    if ((size_t)snprintf(paths[slot & 7], TS_PATH_MAX, "%.4000s/multi-%d.csv", tsb.dir,
                         slot & 7) >= TS_PATH_MAX || (f = fopen(paths[slot & 7], "w")) == NULL) {
        return NULL;
    }
    for (const char *k = kinds; *k != '\0'; k++) {
        fprintf(f, "%s%s", k == kinds ? "" : ",", header[strchr("epmd", *k) - "epmd"]);
    }
    fputc('\n', f);
    for (long i = from; i < to; i++) {
        for (const char *k = kinds; *k != '\0'; k++) {
            char hex[65];
            tsb_id_hex(*k, i, hex);
            fprintf(f, "%s%s", k == kinds ? "" : ",", hex);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        return NULL;
    }
    return paths[slot & 7];
}

int tsb_upload_multi(const char *adv, const char *kinds, long from, long to,
                     char file_path[17])
{
    const char *p = tsb_write_multi(7, kinds, from, to);

    return p == NULL ? -1 : tsb_upload(adv, "MULTIPLE_TYPES", p, "multi.csv", NULL, file_path);
}

json_object *tsb_audience_info(const char *adv, const char *aud)
{
    char path[256];
    json_object *o, *list, *out = NULL;

    snprintf(path, sizeof path, "/sandbox/audiences?advertiser_id=%s", adv);
    o = tsb_ctl(path);
    list = ts_json_at(o, "audiences");
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *a = json_object_array_get_idx(list, i);
        if (strcmp(ts_world_get(a, "audience_id"), aud) == 0) {
            out = json_object_get(a);
        }
    }
    json_object_put(o);
    return out;
}

int tsb_upload_range(const char *adv, long from, long to, char file_path[17])
{
    const char *p = tsb_write_members(7, from, to);

    return p == NULL ? -1 : tsb_upload(adv, "EMAIL_SHA256", p, "members.csv", NULL, file_path);
}

static void paths_json(char *buf, size_t len, const char *const *paths, size_t n)
{
    size_t off = (size_t)snprintf(buf, len, "[");

    for (size_t i = 0; i < n && off < len; i++) {
        off += (size_t)snprintf(buf + off, len - off, "%s\"%s\"", i ? "," : "", paths[i]);
    }
    if (off < len) {
        snprintf(buf + off, len - off, "]");
    }
}

int tsb_create(const char *adv, const char *name, const char *const *paths, size_t n,
               char id[32])
{
    return tsb_create_typed(adv, name, "EMAIL_SHA256", paths, n, id);
}

int tsb_create_typed(const char *adv, const char *name, const char *calc,
                     const char *const *paths, size_t n, char id[32])
{
    char body[16384], list[12000];
    json_object *data = NULL, *v;
    int code;

    paths_json(list, sizeof list, paths, n);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_name\":\"%s\","
             "\"calculate_type\":\"%s\",\"file_paths\":%s}", adv, name, calc, list);
    code = tsb_post("/open_api/v1.3/dmp/custom_audience/create/", tsb.token, body, &data);
    if (code == 0 && id != NULL && (v = ts_json_at(data, "custom_audience_id")) != NULL) {
        snprintf(id, 32, "%s", json_object_get_string(v));
    }
    json_object_put(data);
    return code;
}

int tsb_update(const char *adv, const char *aud, const char *action,
               const char *const *paths, size_t n)
{
    char body[16384], list[12000];

    paths_json(list, sizeof list, paths, n);
    snprintf(body, sizeof body, "{\"advertiser_id\":\"%s\",\"custom_audience_id\":\"%s\","
             "\"action\":\"%s\",\"file_paths\":%s}", adv, aud, action, list);
    return tsb_post("/open_api/v1.3/dmp/custom_audience/update/", tsb.token, body, NULL);
}

json_object *tsb_ctl(const char *path)
{
    char *url = ts_sandbox_url(tsb.sb, path), *body = NULL;
    long status = 0;
    json_object *o = NULL;

    if (url != NULL && ts_http_get(url, ts_sandbox_ca_file(tsb.sb), &status, &body) == 0
        && status == 200) {
        o = json_tokener_parse(body);
    }
    free(url);
    free(body);
    return o;
}

long tsb_ctl_post(const char *path, const char *json_body)
{
    char *url = ts_sandbox_url(tsb.sb, path), *body = NULL;
    long status = 0;

    if (url == NULL || ts_http_post_json(url, ts_sandbox_ca_file(tsb.sb), json_body, &status,
                                         &body) != 0)
        status = 0;
    free(url);
    free(body);
    return status;
}

long tsb_audience_size(const char *adv, const char *aud)
{
    char path[256];
    json_object *o, *list;
    long size = -1;

    snprintf(path, sizeof path, "/sandbox/audiences?advertiser_id=%s", adv);
    o = tsb_ctl(path);
    list = ts_json_at(o, "audiences");
    for (size_t i = 0; list != NULL && i < json_object_array_length(list); i++) {
        json_object *a = json_object_array_get_idx(list, i);
        if (strcmp(ts_world_get(a, "audience_id"), aud) == 0) {
            size = (long)json_object_get_int64(ts_json_at(a, "size"));
        }
    }
    json_object_put(o);
    return size;
}

