/* bench_sandbox.c - start, ask and stop the sandbox; small libcurl calls. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bench_sandbox.h"
#include "bench_util.h"

/* Reads the ready line ({"event":"ready","base_url":...}). */
static int read_ready(int fd, char *line, size_t cap)
{
    size_t len = 0;
    double deadline = bench_now() + 10;

    while (len + 1 < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int) ((deadline - bench_now()) * 1000), pr;
        ssize_t n;

        pr = left > 0 ? poll(&p, 1, left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        n = read(fd, line + len, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    return 0;
}

int bench_sandbox_start(const char *exe, const char *world, const char *log_path,
                        bench_sandbox *sb)
{
    const char *argv[] = {exe, "--listen", "127.0.0.1:0", "--world", world, NULL};
    char line[512];
    json_object *ready = NULL, *url;
    bench_proc_result ignored;
    int fd = -1, rc = -1;

    memset(sb, 0, sizeof(*sb));
    sb->pid = bench_proc_start(argv, log_path, &fd);
    if (sb->pid < 0) {
        fprintf(stderr, "bench: cannot start %s\n", exe);
        return -1;
    }
    if (read_ready(fd, line, sizeof(line)) != 0 || (ready = json_tokener_parse(line)) == NULL
        || !json_object_object_get_ex(ready, "base_url", &url)
        || strncmp(json_object_get_string(url), "http://127.0.0.1:", 17) != 0
        || strlen(json_object_get_string(url)) >= sizeof(sb->base_url)) {
        fprintf(stderr, "bench: the sandbox gave no ready line; see %s\n", log_path);
        (void) bench_proc_stop(sb->pid, 5, &ignored);
        sb->pid = 0;
        goto cleanup;
    }
    strcpy(sb->base_url, json_object_get_string(url));
    rc = 0;
cleanup:
    json_object_put(ready);
    close(fd);
    return rc;
}

int bench_sandbox_stop(bench_sandbox *sb, bench_proc_result *res)
{
    int rc;

    if (sb->pid <= 0)
        return -1;
    rc = bench_proc_stop(sb->pid, 30, res);
    sb->pid = 0;
    return rc;
}

typedef struct body {
    char *data;
    size_t len;
} body;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    body *b = ud;
    size_t add = size * n;
    char *bigger;

    if (b->len + add > 64u * 1024 * 1024)
        return 0;
    bigger = realloc(b->data, b->len + add + 1);
    if (bigger == NULL)
        return 0;
    b->data = bigger;
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* One request; JSON body answer parsed, or the Location header copied. */
static int request(const char *url, const char *post, json_object **json, char **location)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    body b = {0};
    int rc = -1;
    long code = 0;

    if (c == NULL)
        return -1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (post != NULL) {
        hdr = curl_slist_append(NULL, "Content-Type: application/json");
        if (hdr == NULL)
            goto cleanup;
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    }
    if (curl_easy_perform(c) != CURLE_OK)
        goto cleanup;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (location != NULL) {
        char *loc = NULL;
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
        if (code / 100 != 3 || loc == NULL || (*location = strdup(loc)) == NULL)
            goto cleanup;
    } else if (code != 200 || b.data == NULL || (*json = json_tokener_parse(b.data)) == NULL) {
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (rc != 0)
        fprintf(stderr, "bench: request to %s failed (HTTP %ld)\n", url, code);
    free(b.data);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    return rc;
}

json_object *bench_sandbox_get_json(const bench_sandbox *sb, const char *path)
{
    char url[512];
    json_object *j = NULL;

    snprintf(url, sizeof(url), "%s%s", sb->base_url, path);
    return request(url, NULL, &j, NULL) == 0 ? j : NULL;
}

int bench_http_redirect(const char *url, char **location)
{
    *location = NULL;
    return request(url, NULL, NULL, location);
}

json_object *bench_http_post_json(const char *url, const char *post)
{
    json_object *j = NULL;
    return request(url, post, &j, NULL) == 0 ? j : NULL;
}

/* A Business Center the user is a member of: the host only offers Ad
   Accounts inside a Business Center the user reaches. */
static const char *user_bc(json_object *w, const char *user)
{
    json_object *bcs, *members, *id, *uid;

    if (!json_object_object_get_ex(w, "business_centers", &bcs))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(bcs); i++) {
        json_object *bc = json_object_array_get_idx(bcs, i);
        if (!json_object_object_get_ex(bc, "members", &members)
            || !json_object_object_get_ex(bc, "bc_id", &id))
            continue;
        for (size_t k = 0; k < json_object_array_length(members); k++)
            if (json_object_object_get_ex(json_object_array_get_idx(members, k), "user_id",
                                          &uid)
                && strcmp(json_object_get_string(uid), user) == 0)
                return json_object_get_string(id);
    }
    return NULL;
}

int bench_world_write(const char *sandbox, const char *path)
{
    const char *argv[] = {sandbox, "--print-world", NULL};
    bench_proc_result res;
    char *text = NULL;
    json_object *w = NULL, *users, *user, *advs;
    const char *bc;
    int rc = -1;

    if (bench_proc_run(argv, NULL, &text, NULL, NULL, 30, &res) != 0 || res.exit_code != 0
        || (w = json_tokener_parse(text)) == NULL
        || !json_object_object_get_ex(w, "users", &users)
        || !json_object_object_get_ex(json_object_array_get_idx(users, 0), "user_id", &user)) {
        fprintf(stderr, "bench-e2e: cannot read the sandbox's default world\n");
        goto cleanup;
    }
    if ((bc = user_bc(w, json_object_get_string(user))) == NULL) {
        fprintf(stderr, "bench-e2e: the default world has no Business Center for its first "
                        "user\n");
        goto cleanup;
    }
    if ((advs = json_object_new_array()) == NULL)
        goto cleanup;
    json_object_object_add(w, "advertisers", advs);
    for (int i = 1; i <= 10; i++) {
        json_object *a = json_object_new_object(), *roles = json_object_new_array(),
                    *role = json_object_new_object();
        char id[32], name[32];
        if (a == NULL || roles == NULL || role == NULL) {
            json_object_put(a);
            json_object_put(roles);
            json_object_put(role);
            goto cleanup;
        }
        snprintf(id, sizeof(id), "72129%014d", i);
        snprintf(name, sizeof(name), "Bench %02d", i);
        json_object_object_add(role, "user_id", json_object_get(user));
        json_object_object_add(role, "advertiser_role", json_object_new_string("ADMIN"));
        json_object_array_add(roles, role);
        json_object_object_add(a, "advertiser_id", json_object_new_string(id));
        json_object_object_add(a, "name", json_object_new_string(name));
        json_object_object_add(a, "owner_bc_id", json_object_new_string(bc));
        json_object_object_add(a, "roles", roles);
        json_object_object_add(a, "prefilled_audiences", json_object_new_int(0));
        json_object_array_add(advs, a);
    }
    rc = json_object_to_file_ext(path, w, JSON_C_TO_STRING_PRETTY) == 0 ? 0 : -1;
cleanup:
    json_object_put(w);
    free(text);
    return rc;
}
