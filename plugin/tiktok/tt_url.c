/* tt_url.c - https, or plain http to loopback only (see tt_url.h). */
#include <config.h>

#include "tiktok/tt_url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int tt_url_host_is_loopback(const char *host)
{
    char buf[64];
    unsigned char a6[16];
    struct in_addr a4;
    size_t n;

    if (host == NULL)
        return 0;
    if (strcasecmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    n = strlen(host);
    if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(buf))
        return 0;
    memcpy(buf, host + 1, n - 2);
    buf[n - 2] = '\0';
    if (inet_pton(AF_INET6, buf, a6) != 1)
        return 0;   /* also a zone id ("fe80::1%25eth0"): not loopback */
    if (IN6_IS_ADDR_LOOPBACK((const struct in6_addr *) (const void *) a6))
        return 1;
    return IN6_IS_ADDR_V4MAPPED((const struct in6_addr *) (const void *) a6) && a6[12] == 127;
}

int tt_url_transport_ok(CURLU *u)
{
    char *scheme = NULL, *host = NULL;
    int ok = 0;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        goto cleanup;
    if (strcmp(scheme, "https") == 0)
        ok = 1;
    else if (strcmp(scheme, "http") == 0 && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        ok = tt_url_host_is_loopback(host);
cleanup:
    curl_free(scheme);
    curl_free(host);
    return ok;
}

aconn_status tt_url_check_redirect(const char *redirect_uri, aconn_error *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    aconn_status st = ACONN_OK;

    if (u == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "Out of memory.");
    if (redirect_uri == NULL
        || curl_url_set(u, CURLUPART_URL, redirect_uri, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "redirect_uri_invalid", "redirect_uri",
                             "The redirect URI is not a URL. Give the host option "
                             "redirect_uri (connector-host --redirect-uri URL) as one of the "
                             "URLs registered for the TikTok app, e.g. "
                             "https://your.host/tiktok/callback.");
        goto cleanup;
    }
    if (strcmp(scheme, "http") != 0 || tt_url_transport_ok(u))
        goto cleanup;
    (void) curl_url_get(u, CURLUPART_HOST, &host, 0);
    st = aconn_error_set(err, ACONN_ERR_INVALID, "redirect_uri_insecure", "redirect_uri",
                         "The redirect URI %s is plain http:// to %s, which is not this "
                         "machine: TikTok would send the auth_code there unencrypted, and "
                         "whoever reads it gets a token. Register and use an https:// "
                         "redirect URI, or a loopback one (http://127.0.0.1:PORT/callback, "
                         "with connector-host authorize --listen PORT). Plain http is "
                         "accepted only for 127.0.0.0/8, ::1 and localhost.",
                         redirect_uri, host != NULL ? host : "another host");
cleanup:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return st;
}
