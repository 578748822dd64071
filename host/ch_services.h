/*
 * ch_services.h - the aconn_host table the reference host gives plugins:
 * log, options, clock, cancellation, secrets, state and dataset iteration.
 */
#ifndef CH_SERVICES_H
#define CH_SERVICES_H

#include <aconn/aconn.h>

#include <stdatomic.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ch_state.h"

struct ch_run;
struct ch_vault;

typedef struct ch_host {
    aconn_host table;            /* what plugins receive; table.ctx = this */
    /* Options (borrowed; live as long as the host). */
    const char *home;
    const char *api_base;
    const char *ca_file;
    const char *redirect_uri;
    const char *request_timeout_ms; /* plugin option request_timeout_ms, or NULL */
    const char *parallel_accounts; /* plugin option parallel_accounts, or NULL */
    const char *dry_run;         /* plugin option dry_run: "1" or NULL */
    const char *switch_user;     /* plugin option switch_user: "1" or NULL */
    int64_t clock_offset_ms;     /* added to the wall clock (tests) */
    /* pace(): requests per second per key (--app-qps, default 10);
       0 or less: no pacing (every grant is "send now"). */
    double app_qps;
    int verbose;                 /* also print ACONN_LOG_DEBUG lines */
    ch_state *state;
    const char *secrets_path;
    /* With a PostgreSQL state the secrets live in it, sealed (ch_vault.h);
       vault is NULL until --secrets-key-file gave the key. */
    int secrets_in_state;
    struct ch_vault *vault;
    const char *plugin_id;       /* namespace of secrets and state */
    struct ch_run *run;          /* the deliver_batch() call in progress */
    /* Non-NULL while a worker's lease fences the run: cancelled() is also
       non-zero once it is set (the lease was lost). */
    const atomic_int *lease_lost;
} ch_host;

/* Secrets by full key "<plugin id>/<name>", from secrets.json or, with a
   PostgreSQL state, sealed in the database; secret_get/put semantics,
   err never holds a value. */
aconn_status ch_host_secret_get(const ch_host *h, const char *key, char *buf, size_t buflen,
                                size_t *len, char *err, size_t errlen);
aconn_status ch_host_secret_put(const ch_host *h, const char *key, const char *value,
                                size_t len, char *err, size_t errlen);
/* The names under prefix, as ch_secrets_names, from where secrets live. */
int ch_host_secret_names(const ch_host *h, const char *prefix, json_object **names,
                         char *err, size_t errlen);

/* TikTok's basic tier: 10 requests per second per app (and endpoint). */
#define CH_HOST_APP_QPS_DEFAULT 10.0

/* Fills h->table with the services and app_qps with its default; the
   other fields are the caller's. */
void ch_host_init(ch_host *h);

/* The host's clock: wall clock + clock_offset_ms. */
int64_t ch_host_now_ms(const ch_host *h);

/* Installs SIGINT/SIGTERM handlers that make cancelled() non-zero. */
int ch_host_catch_signals(void);

/* Non-zero once SIGINT or SIGTERM arrived. */
int ch_host_cancel_requested(void);

#endif /* CH_SERVICES_H */
