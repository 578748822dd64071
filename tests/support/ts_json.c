/* ts_json.c: reading TikTok envelopes and the sandbox world, and the
 * digests tests need to build upload files. */
#include "ts.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *ts_envelope(const char *body, int *code, json_object **data)
{
    json_object *root = body != NULL ? json_tokener_parse(body) : NULL, *c, *d;

    if (root == NULL || !json_object_object_get_ex(root, "code", &c)
        || !json_object_is_type(c, json_type_int)
        || !json_object_object_get_ex(root, "data", &d)) {
        json_object_put(root);
        *code = -1;
        *data = NULL;
        return NULL;
    }
    *code = json_object_get_int(c);
    *data = d;
    return root;
}

json_object *ts_json_at(json_object *root, const char *path)
{
    json_object *cur = root;
    const char *p = path;

    while (cur != NULL && *p != '\0') {
        char key[128];
        size_t n = strcspn(p, ".");
        if (n >= sizeof key) {
            return NULL;
        }
        memcpy(key, p, n);
        key[n] = '\0';
        if (json_object_is_type(cur, json_type_array)) {
            char *end;
            long idx;
            errno = 0;
            idx = strtol(key, &end, 10);
            if (errno != 0 || *end != '\0' || idx < 0
                || (size_t)idx >= json_object_array_length(cur)) {
                return NULL;
            }
            cur = json_object_array_get_idx(cur, (size_t)idx);
        } else if (!json_object_object_get_ex(cur, key, &cur)) {
            return NULL;
        }
        p += n;
        if (*p == '.') {
            p++;
        }
    }
    return cur;
}

const char *ts_world_get(json_object *world, const char *path)
{
    json_object *v = ts_json_at(world, path);

    return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                 : NULL;
}

const char *ts_world_advertiser(json_object *world, const char *user_id, const char *role)
{
    json_object *advs = ts_json_at(world, "advertisers");

    for (size_t i = 0; advs != NULL && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i), *roles, *bc;
        if (strcmp(role, "NONE_BC") == 0) {
            if (!json_object_object_get_ex(a, "owner_bc_id", &bc) || bc == NULL) {
                return ts_world_get(a, "advertiser_id");
            }
            continue;
        }
        roles = ts_json_at(a, "roles");
        for (size_t j = 0; roles != NULL && j < json_object_array_length(roles); j++) {
            json_object *r = json_object_array_get_idx(roles, j);
            const char *u = ts_world_get(r, "user_id"), *rr = ts_world_get(r, "advertiser_role");
            if (u != NULL && rr != NULL && strcmp(u, user_id) == 0 && strcmp(rr, role) == 0) {
                return ts_world_get(a, "advertiser_id");
            }
        }
    }
    return NULL;
}

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

int ts_md5_file(const char *path, char hex[33])
{
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    size_t r;
    int rc = -1;

    if (f == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
        goto cleanup;
    }
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        if (EVP_DigestUpdate(ctx, buf, r) != 1) {
            goto cleanup;
        }
    }
    if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &n) != 1) {
        goto cleanup;
    }
    to_hex(md, n, hex);
    rc = 0;
cleanup:
    if (f != NULL) {
        fclose(f);
    }
    EVP_MD_CTX_free(ctx);
    return rc;
}

void ts_sha256_hex(const char *s, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1) {
        hex[0] = '\0';
        return;
    }
    to_hex(md, n, hex);
}
