/*
 * http_fixture.h - what test_http_retry and test_http_transport share: a
 * tiny loopback server started in the test process (libmicrohttpd) that
 * knows just enough of TikTok to answer, counts its hits and records what
 * it was sent; and a tt_http on the mock host pointed at it.
 */
#ifndef HTTP_FIXTURE_H
#define HTTP_FIXTURE_H

#include <pthread.h>
#include <stddef.h>

#include <json-c/json.h>

#include "mock_host.h"
#include "tiktok/tt_http.h"
#include "ts_cunit.h"

#define TOKEN "tok-SECRET-9f8e7d6c5b4a"
#define P "/open_api/v1.3/"

typedef struct srv {
    struct MHD_Daemon *d;
    unsigned port;
    pthread_mutex_t lock;
    int hits_ok, hits_flaky, hits_throttled, hits_rejected, hits_create, hits_list,
        hits_upload, hits_drop, hits_http503;
    char last_token[128];
    char last_args[2048];
    char last_ids[256];
    char last_upload[4096];
    char last_body[512];        /* the body of the last POST to echo/ */
    char base[64];
} srv;

/* Starts s on a free loopback port: HTTPS with key_pem/cert_pem, plain HTTP
   when they are NULL. 0 or -1. */
int srv_start(srv *s, const char *key_pem, const char *cert_pem);
void srv_stop(srv *s);

/* The plain HTTP server the suite starts before its tests. */
extern srv plain;

typedef struct fixture {
    mock_host *m;
    tt_http http;
    aconn_error err;
    tt_response resp;
} fixture;

/* A tt_http on a new mock host with api_base = base (and ca_file when not
   NULL). 0 or -1. */
int fixture_init(fixture *f, const char *base, const char *ca_file);
/* Asserts that no secret reached the log, an error or an output; frees. */
void fixture_free(fixture *f);

/* GET endpoint with query (may be NULL) and TOKEN through tt_http_call. */
aconn_status call(fixture *f, const char *endpoint, json_object *query);

/* Runs tests as one suite `name` around the plain server (libcurl set up
   and torn down around it); the exit code. */
int http_fixture_run(const char *name, const ts_test *tests, size_t ntests);

#endif /* HTTP_FIXTURE_H */
