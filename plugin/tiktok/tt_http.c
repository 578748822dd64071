/*
 * tt_http.c - the client: options read from the host once per tt_http,
 * and one attempt of a request (tt_http_once). The URL is built in
 * tt_http_url.c, the transfer set up and judged in tt_http_xfer.c, the
 * answer parsed in tt_http_envelope.c; retries and the parallel path are
 * in tt_http_retry.c.
 */
#include <config.h>

#include "tiktok/tt_http.h"
#include "tiktok/tt_http_xfer.h"
#include "common/tt_secret.h"
#include "common/tt_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The app_id secret only names the pause keys; without it, "default". */
static void tt_http_read_app_id(tt_http *http, const aconn_host *host)
{
    tt_secret id;

    memset(&id, 0, sizeof(id));
    if (host != NULL && tt_secret_get(host, "app_id", &id, NULL) == ACONN_OK && id.value != NULL)
        snprintf(http->app_id, sizeof(http->app_id), "%s", id.value);
    tt_secret_free(&id);
}

/* Whether libcurl's TLS library is OpenSSL (a build with several names
   the one in use first, in parentheses otherwise). */
static int tt_http_openssl_tls(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

    return v != NULL && v->ssl_version != NULL && strncmp(v->ssl_version, "OpenSSL/", 8) == 0;
}

static aconn_status tt_http_oom(aconn_error *err)
{
    return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                           "Out of memory setting up HTTP.");
}

/*
 * Host option "request_timeout_ms": the whole-request timeout of non-upload
 * requests (uploads keep their stall detection and cap). Hosts lower it so a
 * hung answer is given up sooner; fault tests lower it below the sandbox's
 * slow_ms. Returns 0 with *ms set, or -1 when the text is not an integer in
 * 100..600000.
 */
static int tt_http_timeout_option(const char *text, long *ms)
{
    char *end;
    long v;

    if (text == NULL || *text == '\0')
        return 0;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 100 || v > 600000)
        return -1;
    *ms = v;
    return 0;
}

aconn_status tt_http_init(tt_http *http, const aconn_host *host, aconn_error *err)
{
    const char *base = NULL, *ca = NULL, *timeout = NULL;
    char *probe = NULL;
    size_t n;
    aconn_status st;

    memset(http, 0, sizeof(*http));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return aconn_error_set(err, ACONN_ERR_FATAL, "curl_init_failed", NULL,
                               "libcurl could not be initialised.");
    if (host != NULL) {
        base = host->option(host->ctx, "api_base");
        ca = host->option(host->ctx, "ca_file");
        timeout = host->option(host->ctx, "request_timeout_ms");
    }
    if (base == NULL || base[0] == '\0')
        base = TT_DEFAULT_API_BASE;
    http->api_base = tt_strdup(base);
    if (http->api_base == NULL)
        return tt_http_oom(err);
    n = strlen(http->api_base);
    while (n > 0 && http->api_base[n - 1] == '/')
        http->api_base[--n] = '\0';
    /* Refuse a bad api_base now, with the field named, not on every call. */
    st = tt_http_build_url(http->api_base, "advertiser/info", NULL, &probe, err);
    free(probe);
    if (st != ACONN_OK)
        goto fail;
    if (ca != NULL && ca[0] != '\0') {
        http->ca_file = tt_strdup(ca);
        if (http->ca_file == NULL) {
            st = tt_http_oom(err);
            goto fail;
        }
    }
    tt_http_read_app_id(http, host);
    http->openssl_tls = tt_http_openssl_tls();
    http->connect_timeout_ms = TT_HTTP_CONNECT_TIMEOUT_MS;
    http->timeout_ms = TT_HTTP_TIMEOUT_MS;
    if (tt_http_timeout_option(timeout, &http->timeout_ms) != 0) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "bad_option", "request_timeout_ms",
                             "The host option request_timeout_ms must be a whole number "
                             "of milliseconds from 100 to 600000.");
        goto fail;
    }
    http->upload_cap_ms = TT_HTTP_UPLOAD_CAP_MS;
    http->low_speed_bps = TT_HTTP_LOW_SPEED_BPS;
    http->low_speed_s = TT_HTTP_LOW_SPEED_S;
    http->max_body = TT_HTTP_MAX_BODY;
    http->max_attempts = TT_HTTP_MAX_ATTEMPTS;
    http->max_parallel = 4;
    return ACONN_OK;
fail:
    tt_http_cleanup(http);
    return st;
}

void tt_http_cleanup(tt_http *http)
{
    if (http == NULL)
        return;
    if (http->easy != NULL)
        curl_easy_cleanup(http->easy);
    free(http->api_base);
    free(http->ca_file);
    memset(http, 0, sizeof(*http));
}

void tt_http_idle(tt_http *http, int waiting)
{
    if (http != NULL && http->idle != NULL)
        http->idle(http->idle_arg, waiting);
}

aconn_status tt_http_once(tt_http *http, const aconn_host *host, const tt_request *req,
                          int attempt, tt_response *resp, aconn_error *err)
{
    tt_xfer x;
    CURLcode rc;
    aconn_status st;

    if (http->easy == NULL) {
        http->easy = curl_easy_init();
        if (http->easy == NULL)
            return tt_http_oom(err);
    } else {
        /* Reset options but keep live connections for keep-alive. */
        curl_easy_reset(http->easy);
    }
    st = tt_xfer_setup(http, host, &x, http->easy, req, err);
    if (st != ACONN_OK)
        return st;
    tt_http_idle(http, 1);
    rc = curl_easy_perform(http->easy);
    tt_http_idle(http, 0);
    st = tt_xfer_finish(http, host, &x, rc, req, attempt, resp, err);
    /* The handle keeps pointers into x (headers, body); drop them. */
    curl_easy_reset(http->easy);
    tt_xfer_cleanup(&x);
    return st;
}

