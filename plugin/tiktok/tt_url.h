/*
 * tt_url.h - which URLs a token, an app secret or an auth_code may travel
 * to: https anywhere, plain http only to this machine (a loopback host:
 * 127.0.0.0/8, ::1, localhost), where nobody on the network can read it.
 * The sandbox and RFC 8252 loopback redirects are plain http on loopback;
 * a mistyped http://business-api.tiktok.com is not.
 *
 * URLs are parsed with libcurl's URL API (the same parser that sends the
 * request), so "127.1", "2130706433" and "[0::1]" are judged as libcurl
 * normalises them, not as a second parser might read them.
 */
#ifndef TT_URL_H
#define TT_URL_H

#include <aconn/aconn.h>
#include <curl/curl.h>

/* 1 when host (as curl_url_get(CURLUPART_HOST) returns it: IPv6 in
   brackets) names this machine: 127.0.0.0/8, ::1 (also IPv4-mapped
   ::ffff:127.x), or "localhost" in any case. */
int tt_url_host_is_loopback(const char *host);

/* For a parsed URL: 1 when its scheme is https, or http with a loopback
   host; 0 otherwise (another scheme, or plain http to another host). */
int tt_url_transport_ok(CURLU *u);

/*
 * The redirect URI authorize sends TikTok: refused (ACONN_ERR_INVALID,
 * field "redirect_uri") when it is not a URL, or is plain http to a host
 * that is not loopback (TikTok would send the auth_code there unencrypted).
 * Other schemes are TikTok's to accept or refuse.
 */
aconn_status tt_url_check_redirect(const char *redirect_uri, aconn_error *err);

#endif
