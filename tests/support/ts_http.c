/* ts_http.c: minimal libcurl client for tests. TLS verification is always
 * on: tests trust the throwaway CA explicitly, like a real deployment
 * trusts its CA bundle. */
#include "ts.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_HTTP_TIMEOUT_MS 30000L

void ts_http_resp_free(ts_http_resp *r)
{
    if (r == NULL) {
        return;
    }
    free(r->body);
    free(r->location);
    memset(r, 0, sizeof *r);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    ts_http_resp *r = arg;
    size_t add = size * n;
    char *nb = realloc(r->body, r->len + add + 1);

    if (nb == NULL) {
        return 0;
    }
    memcpy(nb + r->len, p, add);
    r->body = nb;
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

static CURL *prepare(const char *url, const char *ca_file, struct curl_slist **hl,
                     const char *const *headers, ts_http_resp *out)
{
    CURL *c;

    memset(out, 0, sizeof *out);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return NULL;
    }
    c = curl_easy_init();
    if (c == NULL) {
        return NULL;
    }
    *hl = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        struct curl_slist *n = curl_slist_append(*hl, headers[i]);
        if (n == NULL) {
            curl_easy_cleanup(c);
            curl_slist_free_all(*hl);
            *hl = NULL;
            return NULL;
        }
        *hl = n;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TS_HTTP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hl);
    return c;
}

static int perform(CURL *c, ts_http_resp *out)
{
    CURLcode cc = curl_easy_perform(c);
    char *loc = NULL;

    out->curl_code = (int)cc;
    if (cc != CURLE_OK) {
        out->status = 0;
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc != NULL) {
        out->location = strdup(loc);
    }
    if (out->body == NULL) {
        out->body = calloc(1, 1);
    }
    return out->body != NULL ? 0 : -1;
}

int ts_http_request(const char *method, const char *url, const char *ca_file,
                    const char *const *headers, const char *body, size_t body_len,
                    ts_http_resp *out)
{
    struct curl_slist *hl = NULL;
    CURL *c = prepare(url, ca_file, &hl, headers, out);
    int rc;

    if (c == NULL) {
        fprintf(stderr, "ts: curl setup failed\n");
        return -1;
    }
    if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    rc = perform(c, out);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    return rc;
}

int ts_http_get(const char *url, const char *ca_file, long *status, char **response)
{
    ts_http_resp r;
    int rc = ts_http_request("GET", url, ca_file, NULL, NULL, 0, &r);

    *status = r.status;
    *response = r.body;
    r.body = NULL;
    ts_http_resp_free(&r);
    return rc;
}

int ts_http_post_json(const char *url, const char *ca_file, const char *body,
                      long *status, char **response)
{
    static const char *const hdr[] = {"Content-Type: application/json", NULL};
    ts_http_resp r;
    int rc = ts_http_request("POST", url, ca_file, hdr, body != NULL ? body : "",
                             body != NULL ? strlen(body) : 0, &r);

    *status = r.status;
    *response = r.body;
    r.body = NULL;
    ts_http_resp_free(&r);
    return rc;
}

int ts_http_multipart(const char *url, const char *ca_file, const char *const *headers,
                      const ts_form_part *parts, size_t nparts, ts_http_resp *out)
{
    struct curl_slist *hl = NULL;
    CURL *c = prepare(url, ca_file, &hl, headers, out);
    curl_mime *mime = NULL;
    int rc = -1;

    if (c == NULL) {
        fprintf(stderr, "ts: curl setup failed\n");
        return -1;
    }
    mime = curl_mime_init(c);
    if (mime == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < nparts; i++) {
        curl_mimepart *p = curl_mime_addpart(mime);
        if (p == NULL || curl_mime_name(p, parts[i].name) != CURLE_OK) {
            goto cleanup;
        }
        if (parts[i].value != NULL) {
            if (curl_mime_data(p, parts[i].value, CURL_ZERO_TERMINATED) != CURLE_OK) {
                goto cleanup;
            }
        } else if (curl_mime_filedata(p, parts[i].file_path) != CURLE_OK
                   || (parts[i].filename != NULL
                       && curl_mime_filename(p, parts[i].filename) != CURLE_OK)) {
            goto cleanup;
        }
    }
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    rc = perform(c, out);
cleanup:
    curl_mime_free(mime);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    return rc;
}
