/*
 * ch_listen.c - authorize --listen: serve the loopback redirect URI, print
 * the authorization URL, complete the profile when the browser comes back,
 * answer the browser, exit (see ch_listen.h).
 */
#define _DEFAULT_SOURCE 1 /* getaddrinfo flags, strcasecmp */
#include <config.h>

#include "ch_listen.h"
#include "ch_buf.h"
#include "ch_util.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#define CH_LISTEN_HOST_MAX 256
#define CH_LISTEN_TICK_MS 250
#define CH_LISTEN_FLUSH_MS 5000   /* to send the last page after completing */

typedef struct ch_listen {
    ch_cli *cli;
    char host[CH_LISTEN_HOST_MAX];   /* as in the redirect URI ("[::1]") */
    unsigned port;
    char *redirect;                  /* the redirect URI served */
    char *path;                      /* its path, e.g. "/callback" */
    int done;                        /* the flow was completed (or failed) */
    int sent;                        /* ...and the browser has its page */
    int rc;                          /* the exit code of the completion */
} ch_listen;

/* "[HOST:]PORT": host gets HOST ("127.0.0.1" when absent; "[::1]" keeps
   its brackets), port 1-65535. 0, or -1 with the error printed. */
static int ch_listen_parse(const char *spec, char *host, size_t hostlen, unsigned *port)
{
    const char *colon = strrchr(spec, ':'), *p;
    int64_t n = 0;
    size_t hl;

    if (colon == NULL) {
        snprintf(host, hostlen, "127.0.0.1");
        p = spec;
    } else {
        hl = (size_t) (colon - spec);
        if (memchr(spec, ':', hl) != NULL && !(spec[0] == '[' && hl > 2 && spec[hl - 1] == ']')) {
            ch_cli_error("--listen: '%s': write an IPv6 address in brackets, e.g. [::1]:8765",
                         spec);
            return -1;
        }
        if (hl == 0 || hl >= hostlen) {
            ch_cli_error("--listen: '%s' has no host before ':' (e.g. 127.0.0.1:8765)", spec);
            return -1;
        }
        memcpy(host, spec, hl);
        host[hl] = '\0';
        p = colon + 1;
    }
    if (ch_parse_i64(p, &n) != 0 || n < 1 || n > 65535) {
        ch_cli_error("--listen: '%s' is not a port from 1 to 65535 (give the port of the "
                     "redirect URI registered with the app, e.g. --listen 8765)", p);
        return -1;
    }
    *port = (unsigned) n;
    return 0;
}

static int ch_listen_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) (const void *) sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) (const void *) sa;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return 0;
}

/* Binds and listens on host:port, refusing any address that is not
   loopback. Returns the socket, or -1 with the error printed (*rc). */
static int ch_listen_bind(const ch_listen *l, int *rc)
{
    struct addrinfo hints, *res = NULL, *ai;
    char name[CH_LISTEN_HOST_MAX], port[8];
    size_t n = strlen(l->host);
    int fd = -1, one = 1, gai;

    *rc = CH_EXIT_USAGE;
    snprintf(name, sizeof(name), "%s", l->host);
    if (n > 2 && name[0] == '[') {   /* [::1] -> ::1 */
        memmove(name, name + 1, n - 2);
        name[n - 2] = '\0';
    }
    snprintf(port, sizeof(port), "%u", l->port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((gai = getaddrinfo(name, port, &hints, &res)) != 0 || res == NULL) {
        ch_cli_error("--listen: cannot resolve '%s': %s; use 127.0.0.1, [::1] or localhost",
                     l->host, gai != 0 ? gai_strerror(gai) : "no address");
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next)
        if (!ch_listen_is_loopback(ai->ai_addr)) {
            ch_cli_error("--listen: %s is not a loopback address: the redirect, which carries "
                         "the auth_code, would be reachable from the network. Use 127.0.0.1 "
                         "(the default), another 127.x.y.z, [::1] or localhost", l->host);
            goto cleanup;
        }
    *rc = CH_EXIT_FAILED;
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 8) != 0) {
        ch_cli_error("--listen: cannot listen on %s:%u: %s%s", l->host, l->port,
                     strerror(errno), errno == EADDRINUSE ? " (another program uses the "
                     "port: stop it, or register and use another port)" : "");
        if (fd >= 0)
            close(fd);
        fd = -1;
        goto cleanup;
    }
    *rc = 0;
cleanup:
    freeaddrinfo(res);
    return fd;
}

/* The redirect URI served: --redirect-uri when given (it must be plain
   http on exactly this host and port), else http://HOST:PORT/callback. */
static int ch_listen_redirect(ch_listen *l)
{
    const char *given = l->cli->a.redirect_uri;
    CURLU *u = NULL;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    char want_port[8];
    int ok;

    snprintf(want_port, sizeof(want_port), "%u", l->port);
    if (given == NULL) {
        l->redirect = ch_strdup_printf("http://%s:%u/callback", l->host, l->port);
        l->path = ch_strdup_printf("/callback");
        return l->redirect != NULL && l->path != NULL ? 0 : -1;
    }
    u = curl_url();
    ok = u != NULL && curl_url_set(u, CURLUPART_URL, given, 0) == CURLUE_OK
         && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
         && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK
         && curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK
         && curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK
         && strcmp(scheme, "http") == 0 && strcasecmp(host, l->host) == 0
         && strcmp(port, want_port) == 0;
    if (ok) {
        l->redirect = ch_strdup_printf("%s", given);
        l->path = ch_strdup_printf("%s", path);
    } else {
        ch_cli_error("--redirect-uri %s does not match --listen %s:%u: with --listen the "
                     "redirect URI is served here, so it must be http://%s:%u/PATH (leave "
                     "--redirect-uri out for http://%s:%u/callback)", given, l->host, l->port,
                     l->host, l->port, l->host, l->port);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return ok && l->redirect != NULL && l->path != NULL ? 0 : -1;
}

/* Appends "&name=value" (URL-encoded) to the callback being rebuilt. */
static enum MHD_Result ch_listen_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    ch_buf *b = cls;
    char *k = curl_easy_escape(NULL, key, 0);
    char *v = curl_easy_escape(NULL, value != NULL ? value : "", 0);
    int bad = k == NULL || v == NULL;

    (void) kind;
    if (!bad)
        bad = ch_buf_append(b, b->len > 0 ? "&" : "", b->len > 0 ? 1 : 0) != 0
              || ch_buf_append(b, k, strlen(k)) != 0 || ch_buf_append(b, "=", 1) != 0
              || ch_buf_append(b, v, strlen(v)) != 0;
    if (v != NULL)
        OPENSSL_cleanse(v, strlen(v));   /* the auth_code */
    curl_free(k);
    curl_free(v);
    return bad ? MHD_NO : MHD_YES;
}

/* Text as HTML: the plugin's message may quote what TikTok said. */
static void ch_listen_escape(ch_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;"
                        : *s == '"' ? "&quot;" : NULL;
        if (e != NULL)
            (void) ch_buf_append(b, e, strlen(e));
        else
            (void) ch_buf_append(b, s, 1);
    }
}

static enum MHD_Result ch_listen_page(struct MHD_Connection *conn, unsigned status,
                                      const char *title, const char *text, int last)
{
    ch_buf b = { 0 };
    struct MHD_Response *r;
    enum MHD_Result ok = MHD_NO;
    static const char head[] = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                               "<title>connector-host</title></head><body><h1>";

    (void) ch_buf_append(&b, head, strlen(head));
    ch_listen_escape(&b, title);
    (void) ch_buf_append(&b, "</h1>\n<p>", 9);
    ch_listen_escape(&b, text);
    (void) ch_buf_append(&b, "</p>\n</body></html>\n", 20);
    r = b.data != NULL ? MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY)
                       : NULL;
    if (r != NULL) {
        MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        if (last)
            MHD_add_response_header(r, "Connection", "close");
        ok = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
    }
    ch_buf_free(&b);
    return ok;
}

/* Completes the profile from the redirect and tells the browser how it went.
   The callback is the redirect URI without its own query, then every query
   argument the browser brought (the URI's own ones among them). */
static enum MHD_Result ch_listen_complete(ch_listen *l, struct MHD_Connection *conn)
{
    ch_buf q = { 0 };
    char *callback = NULL, *msg, *page, text[1400];
    aconn_error perr;
    enum MHD_Result ok;

    if (MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, ch_listen_arg, &q) < 0
        || (callback = ch_strdup_printf("%.*s?%.*s", (int) strcspn(l->redirect, "?#"),
                                        l->redirect, (int) q.len,
                                        q.data != NULL ? q.data : "")) == NULL) {
        ch_buf_free(&q);   /* wipes: it holds the auth_code */
        return MHD_NO;
    }
    l->rc = ch_authorize_call(l->cli, ACONN_AUTHORIZE_COMPLETE, callback, &perr);
    fflush(stdout);
    l->done = 1;
    OPENSSL_cleanse(callback, strlen(callback));
    ch_buf_free(&q);
    free(callback);
    if (l->rc == CH_EXIT_OK) {
        snprintf(text, sizeof(text), "Profile %s is connected. You can close this window "
                 "and go back to the terminal.", l->cli->a.profile);
        return ch_listen_page(conn, MHD_HTTP_OK, "Signed in", text, 1);
    }
    /* The page says what the terminal says: the command the message names
       made runnable as shown (ch_print_message), --plugin included. */
    msg = perr.message[0] != '\0' ? ch_message_runnable(perr.message, l->cli->a.plugin) : NULL;
    page = ch_strdup_printf("%s (%s) You can close this window; the terminal says the same.",
                            msg != NULL ? msg : perr.message[0] != '\0' ? perr.message
                                                : "The sign-in did not complete.",
                            perr.code[0] != '\0' ? perr.code : "failed");
    free(msg);
    ok = ch_listen_page(conn, MHD_HTTP_BAD_REQUEST, "Sign-in failed",
                        page != NULL ? page : "The sign-in did not complete; see the terminal.",
                        1);
    free(page);
    return ok;
}

static enum MHD_Result ch_listen_request(void *cls, struct MHD_Connection *conn,
                                         const char *url, const char *method,
                                         const char *version, const char *upload_data,
                                         size_t *upload_data_size, void **con_cls)
{
    ch_listen *l = cls;

    (void) version;
    (void) upload_data;
    (void) con_cls;
    if (*upload_data_size != 0)
        return MHD_NO;   /* a GET has no body; refuse anything else */
    if (strcmp(method, "GET") != 0)
        return ch_listen_page(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "Not here",
                              "This address only receives TikTok's redirect.", 0);
    if (strcmp(url, l->path) != 0)
        return ch_listen_page(conn, MHD_HTTP_NOT_FOUND, "Not here",
                              "This address only receives TikTok's redirect.", 0);
    if (l->done)
        return ch_listen_page(conn, MHD_HTTP_GONE, "Already done",
                              "The sign-in was already completed; see the terminal.", 1);
    /* A visit without TikTok's parameters (a reload, a typed address) is
       not the redirect: it does not end the wait. */
    if (MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "state") == NULL
        && MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "auth_code") == NULL)
        return ch_listen_page(conn, MHD_HTTP_BAD_REQUEST, "Waiting for TikTok",
                              "Open the authorization URL the terminal printed; TikTok "
                              "sends the browser back here.", 0);
    return ch_listen_complete(l, conn);
}

static void ch_listen_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                                enum MHD_RequestTerminationCode toe)
{
    ch_listen *l = cls;

    (void) conn;
    (void) con_cls;
    (void) toe;
    if (l->done)
        l->sent = 1;
}

static int64_t ch_listen_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Serves until the flow is done and its page sent, the timeout, or a
   signal. Returns the exit code. */
static int ch_listen_serve(ch_listen *l, int fd, int64_t timeout_s)
{
    struct MHD_Daemon *d;
    int64_t deadline = ch_listen_mono_ms() + timeout_s * 1000, flush_by = 0;

    d = MHD_start_daemon(MHD_NO_FLAG, 0, NULL, NULL, ch_listen_request, l,
                         MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, 16u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                         MHD_OPTION_NOTIFY_COMPLETED, ch_listen_completed, l, MHD_OPTION_END);
    if (d == NULL) {
        close(fd);
        ch_cli_error("--listen: the HTTP server could not start on %s:%u", l->host, l->port);
        return CH_EXIT_INTERNAL;
    }
    while (!l->sent) {
        int64_t now = ch_listen_mono_ms();
        if (l->done && flush_by == 0)
            flush_by = now + CH_LISTEN_FLUSH_MS;
        if (flush_by != 0 && now >= flush_by)
            break;   /* the browser went away: the terminal has the outcome */
        if (!l->done && (now >= deadline || ch_host_cancel_requested()))
            break;
        if (MHD_run_wait(d, CH_LISTEN_TICK_MS) != MHD_YES && !l->done) {
            ch_cli_error("--listen: the HTTP server failed");
            MHD_stop_daemon(d);
            return CH_EXIT_INTERNAL;
        }
    }
    MHD_stop_daemon(d);   /* closes fd: it was given to the daemon */
    if (l->done)
        return l->rc;
    ch_cli_error("authorize: %s before the browser came back to %s. Nothing was changed; "
                 "the authorization URL stays valid for 24 hours: run the same command "
                 "again and open it, or finish with --callback URL",
                 ch_host_cancel_requested() ? "stopped" : "timed out", l->redirect);
    return CH_EXIT_RETRY;
}

int ch_listen_authorize(ch_cli *cli)
{
    ch_listen l;
    aconn_error perr;
    const char *default_redirect = cli->host.redirect_uri;
    int64_t timeout_s = CH_LISTEN_TIMEOUT_S;
    int fd = -1, rc;

    memset(&l, 0, sizeof(l));
    l.cli = cli;
    if (cli->a.listen_timeout != NULL
        && (ch_parse_i64(cli->a.listen_timeout, &timeout_s) != 0 || timeout_s < 1
            || timeout_s > 86400)) {
        ch_cli_error("--listen-timeout: '%s' is not a number of seconds from 1 to 86400",
                     cli->a.listen_timeout);
        return CH_EXIT_USAGE;
    }
    if (ch_listen_parse(cli->a.listen, l.host, sizeof(l.host), &l.port) != 0)
        return CH_EXIT_USAGE;
    if (ch_listen_redirect(&l) != 0) {
        rc = CH_EXIT_USAGE;
        goto cleanup;
    }
    /* Listening before the URL is printed: a browser that comes back at
       once finds the port open, and a busy port fails before the link. */
    if ((fd = ch_listen_bind(&l, &rc)) < 0)
        goto cleanup;
    cli->host.redirect_uri = l.redirect;
    rc = ch_authorize_call(cli, ACONN_AUTHORIZE_BEGIN, NULL, &perr);
    fflush(stdout);
    if (rc != CH_EXIT_OK) {
        close(fd);
        goto cleanup;
    }
    fprintf(stderr, "connector-host: open the URL above in a browser signed in to TikTok "
            "Business Center; waiting for it to come back to %s (at most %lld s; Ctrl-C "
            "stops)\n", l.redirect, (long long) timeout_s);
    rc = ch_listen_serve(&l, fd, timeout_s);
cleanup:
    cli->host.redirect_uri = default_redirect;
    free(l.redirect);
    free(l.path);
    return rc;
}
