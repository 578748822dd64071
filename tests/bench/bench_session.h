/*
 * bench_session.h - one end-to-end delivery the way a user runs it (see
 * tools/demo): a fresh sandbox and a fresh host home, the app's secrets,
 * a profile authorized through the consent page, a connection to new
 * audiences in N Ad Accounts, then `connector-host deliver`, measured.
 */
#ifndef BENCH_SESSION_H
#define BENCH_SESSION_H

#include <stdint.h>

#include <json-c/json.h>

#include "bench_sandbox.h"

typedef struct bench_paths {
    const char *host;        /* connector-host */
    const char *sandbox;     /* tiktok-sandbox */
    const char *plugin;      /* tiktok_connector.la */
    const char *world;       /* the benchmark's world file */
} bench_paths;

typedef struct bench_session {
    const bench_paths *paths;
    char dir[512];           /* everything of this session lives here */
    bench_sandbox sb;
    char app_id[64], app_secret[128], user_id[64];
    char accounts[16][32];   /* the Ad Accounts delivered to */
    int naccounts;
    char connection[64];
    int clear_text;          /* connect with accept_clear_text_emails */
    char existing_adv[32];   /* "" or an existing audience the connection */
    char existing_aud[32];   /* also updates (connection_type "both") */
    long long clock_offset_ms;  /* the host's clock (--clock-offset-ms), 0 = real */
} bench_session;

/* What one deliver did. */
typedef struct bench_delivery {
    double wall_s;               /* connector-host deliver, fork to reaped */
    double host_cpu_s;           /* its user + system CPU */
    long host_rss_kb;            /* its peak RSS (wait4) */
    long sandbox_rss_kb;         /* the sandbox's VmHWM after the deliver */
    uint64_t records;            /* records_read */
    uint64_t spool_bytes;        /* sum of the spool files' bytes */
    int nfiles;                  /* spool files */
    int ngroups;                 /* distinct (type, op) among them */
    uint64_t bytes_uploaded;     /* spool_bytes x accounts */
    long calls, uploads, creates, updates, gets, lists, other_calls;
    long calls_min;              /* what TikTok's limits allow, gets included */
    long lists_min;              /* of them, the list before each create */
    long early_uploads;          /* plugin.uploads_while_spooling (issue #14 point 4) */
    json_object *files;          /* the report's plugin.files (owned) */
} bench_delivery;

/*
 * Starts the sandbox, authorizes a profile, connects `dataset` to new
 * audiences in the first naccounts writable Ad Accounts. 0, or -1 with the
 * reason on stderr (the session is closed again).
 */
int bench_session_open(bench_session *s, const bench_paths *paths, const char *dir,
                       const char *dataset, int naccounts);

/* As bench_session_open, the connection accepting clear-text emails. */
int bench_session_open_clear(bench_session *s, const bench_paths *paths, const char *dir,
                             const char *dataset, int naccounts);

/* As bench_session_open, the connection also updating the existing audience
   aud of Ad Account adv (connection_type "both"); adv must not be one of
   the first naccounts accounts, which get new audiences. */
int bench_session_open_both(bench_session *s, const bench_paths *paths, const char *dir,
                            const char *dataset, int naccounts, const char *adv,
                            const char *aud);

/*
 * Runs `deliver --dry-run` (read, parse, map, hash, spool; nothing sent,
 * the checkpoint stays) and returns its wall seconds, or -1; *cpu_s gets
 * the host's user + system CPU. With serial, the host reads on the
 * calling thread (CONNECTOR_HOST_READER_THREAD=0), for the overlap's share.
 */
double bench_session_dry_run(bench_session *s, int serial, double *cpu_s);

/* Runs `deliver` and measures it. 0, or -1 when it failed. */
int bench_session_deliver(bench_session *s, bench_delivery *d);

/*
 * A TikTok access token for the sandbox's own API (consent + exchange,
 * the way tools/demo seeds data), written as an "Access-Token: ..." header
 * line to hdr_path (mode 0600) for `curl -H @file`. 0 or -1.
 */
int bench_session_token_header(const bench_session *s, const char *hdr_path);

/* After a failure: stops the sandbox, keeps the directory (logs, report). */
void bench_session_stop(bench_session *s);

/* Stops the sandbox and removes the session's directory. */
void bench_session_close(bench_session *s);

void bench_delivery_free(bench_delivery *d);

#endif
