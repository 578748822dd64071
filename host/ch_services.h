/*
 * ch_services.h - the aconn_host table the reference host gives plugins:
 * log, options, clock, cancellation, secrets, state and dataset iteration.
 */
#ifndef CH_SERVICES_H
#define CH_SERVICES_H

#include <aconn/aconn.h>

#include <stdint.h>

#include "ch_state.h"

struct ch_run;

typedef struct ch_host {
    aconn_host table;            /* what plugins receive; table.ctx = this */
    /* Options (borrowed; live as long as the host). */
    const char *home;
    const char *api_base;
    const char *ca_file;
    const char *redirect_uri;
    const char *request_timeout_ms; /* plugin option request_timeout_ms, or NULL */
    const char *dry_run;         /* plugin option dry_run: "1" or NULL */
    const char *switch_user;     /* plugin option switch_user: "1" or NULL */
    int64_t clock_offset_ms;     /* added to the wall clock (tests) */
    int verbose;                 /* also print ACONN_LOG_DEBUG lines */
    ch_state *state;
    const char *secrets_path;
    const char *plugin_id;       /* namespace of secrets and state */
    struct ch_run *run;          /* the deliver_batch() call in progress */
} ch_host;

/* Fills h->table with the services; the other fields are the caller's. */
void ch_host_init(ch_host *h);

/* The host's clock: wall clock + clock_offset_ms. */
int64_t ch_host_now_ms(const ch_host *h);

/* Installs SIGINT/SIGTERM handlers that make cancelled() non-zero. */
int ch_host_catch_signals(void);

/* Non-zero once SIGINT or SIGTERM arrived. */
int ch_host_cancel_requested(void);

#endif /* CH_SERVICES_H */
