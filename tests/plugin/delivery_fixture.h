/*
 * delivery_fixture.h - what the delivery unit tests share (test_delivery,
 * test_plan): a run's apply context over the mock host, and the sandbox
 * over HTTPS on loopback for the steps that talk to TikTok.
 */
#ifndef DELIVERY_FIXTURE_H
#define DELIVERY_FIXTURE_H

#include <aconn/aconn.h>

#include "mock_host.h"
#include "ts.h"

#include "delivery/tt_apply_ctx.h"
#include "settings/tt_settings.h"
#include "tiktok/tt_api.h"
#include "tiktok/tt_http.h"

#define ADV "7100000000000000001"
#define CID "c_unit0001"
#define RUN "r_unit0001"
#define DAY_MS (24LL * 60 * 60 * 1000)

/* One run's apply context over a mock host (its state store has real
   compare-and-set versions): connection CID, run RUN. */
typedef struct fixture {
    mock_host *m;
    tt_conn conn;
    tt_spool_files files;
    aconn_batch batch;
    tt_apply_ctx x;
} fixture;

/* The sandbox of the network suites, an Ad Account its user administers
   and that user's token. */
typedef struct delivery_sandbox {
    ts_sandbox *sb;
    char *token;
    tt_settings_id adv;
} delivery_sandbox;
extern delivery_sandbox sbx;

/* A fixture talking to the sandbox with sbx's token, one file uploaded to
   sbx.adv (file_path) and the run record loaded. */
typedef struct api_fixture {
    fixture f;
    tt_http http;
    tt_api api;
    char dir[64];
    char file_path[256];   /* TikTok's, of one uploaded file */
} api_fixture;

void fixture_init(fixture *f);
/* A second attempt of the same run, as after a crash: a fresh context. */
void fixture_restart(fixture *f);
void fixture_free(fixture *f);

/* Suite set-up and clean-up of the network suites (ts_suite init/cleanup). */
int sandbox_up(void);
int sandbox_down(void);

/* 0, or -1 when the sandbox could not be reached. */
int api_fixture_init(api_fixture *a);
void api_fixture_free(api_fixture *a);

/* Creates an audience at TikTok directly (as a marketer, or as the create
   whose answer was lost); its id into id. */
int make_audience(api_fixture *a, const char *name, char id[32]);

#endif
