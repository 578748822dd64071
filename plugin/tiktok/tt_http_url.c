/*
 * tt_http_url.c - the request URL: <api_base>/open_api/v1.3/<endpoint>/ with
 * its query, built and encoded by libcurl's URL API.
 */
#include <config.h>

#include "tiktok/tt_http.h"
#include "tiktok/tt_url.h"
#include "common/tt_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static int tt_endpoint_ok(const char *endpoint)
{
    const char *p;

    if (endpoint == NULL || endpoint[0] == '\0' || endpoint[0] == '/')
        return 0;
    for (p = endpoint; *p != '\0'; p++)
        if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_'
              || (*p == '/' && p[1] != '/' && p[1] != '\0')))
            return 0;
    return 1;
}

/* Appends name=value (encoded by libcurl) to the URL's query. */
static CURLUcode tt_url_add_param(CURLU *u, const char *name, json_object *value)
{
    const char *text;
    char *kv;
    size_t n;
    CURLUcode rc;

    if (json_object_is_type(value, json_type_string))
        text = json_object_get_string(value);
    else
        text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN
                                                     | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text == NULL)
        return CURLUE_OUT_OF_MEMORY;
    n = strlen(name) + 1 + strlen(text) + 1;
    kv = malloc(n);
    if (kv == NULL)
        return CURLUE_OUT_OF_MEMORY;
    snprintf(kv, n, "%s=%s", name, text);
    rc = curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE);
    /* Query values may carry the app secret (oauth2/advertiser/get). */
    OPENSSL_cleanse(kv, n);
    free(kv);
    return rc;
}

/* The API base's path, then TT_API_PREFIX and endpoint, then the query's
   parameters (a JSON null is not sent); no fragment. */
static CURLUcode tt_url_set_endpoint(CURLU *u, const char *endpoint, json_object *query)
{
    char *path = NULL, *newpath = NULL;
    size_t plen, n;
    CURLUcode rc;

    if ((rc = curl_url_get(u, CURLUPART_PATH, &path, 0)) != CURLUE_OK)
        return rc;
    plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    /* Every TikTok path ends in '/': without it TikTok answers 404. */
    n = plen + strlen(TT_API_PREFIX) + strlen(endpoint) + 2;
    newpath = malloc(n);
    rc = CURLUE_OUT_OF_MEMORY;
    if (newpath == NULL)
        goto cleanup;
    snprintf(newpath, n, "%.*s%s%s/", (int) plen, path, TT_API_PREFIX, endpoint);
    if ((rc = curl_url_set(u, CURLUPART_PATH, newpath, 0)) != CURLUE_OK
        || (rc = curl_url_set(u, CURLUPART_QUERY, NULL, 0)) != CURLUE_OK
        || (rc = curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0)) != CURLUE_OK)
        goto cleanup;
    if (query != NULL) {
        json_object_object_foreach(query, name, value) {
            if (value == NULL)
                continue;   /* a JSON null means "not sent" */
            if ((rc = tt_url_add_param(u, name, value)) != CURLUE_OK)
                goto cleanup;
        }
    }
cleanup:
    curl_free(path);
    free(newpath);
    return rc;
}

aconn_status tt_http_build_url(const char *api_base, const char *endpoint,
                               json_object *query, char **out, aconn_error *err)
{
    CURLU *u = NULL;
    char *scheme = NULL, *url = NULL;
    aconn_status st = ACONN_ERR_FATAL;

    *out = NULL;
    if (!tt_endpoint_ok(endpoint)) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "bad_endpoint", NULL,
                             "Internal error: invalid endpoint name.");
        goto cleanup;
    }
    u = curl_url();
    if (u == NULL)
        goto oom;
    if (api_base == NULL || curl_url_set(u, CURLUPART_URL, api_base, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
        || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "api_base_invalid", "api_base",
                             "The host option api_base is not an http(s) URL. Use e.g. "
                             "https://business-api.tiktok.com");
        goto cleanup;
    }
    /* The app secret, tokens and auth codes go to this URL: plain http
       only where no network is crossed (the sandbox on loopback). */
    if (!tt_url_transport_ok(u)) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "api_base_insecure", "api_base",
                             "The host option api_base (%s) is plain http:// to a host "
                             "that is not this machine: the app secret and access tokens "
                             "would travel unencrypted, so nothing was sent. Use https:// "
                             "(e.g. https://business-api.tiktok.com); plain http is accepted "
                             "only for a loopback host (127.0.0.0/8, ::1, localhost).",
                             api_base);
        goto cleanup;
    }
    if (tt_url_set_endpoint(u, endpoint, query) != CURLUE_OK)
        goto oom;
    if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
        goto oom;
    *out = tt_strdup(url);
    if (*out == NULL)
        goto oom;
    st = ACONN_OK;
    goto cleanup;
oom:
    st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                         "Out of memory building the URL for %s.",
                         endpoint != NULL ? endpoint : "?");
cleanup:
    if (url != NULL) {
        OPENSSL_cleanse(url, strlen(url));
        curl_free(url);
    }
    curl_free(scheme);
    curl_url_cleanup(u);
    return st;
}
