/* ts.h: test support for every test program in the project (host,
 * plugin, end-to-end, sandbox).
 *
 *  - throwaway TLS material (a CA, a server certificate for 127.0.0.1 and
 *    localhost, and a second unrelated CA for "wrong certificate" tests);
 *  - starting and stopping tiktok-sandbox ($TT_SANDBOX) on a free
 *    loopback port;
 *  - small libcurl helpers for the sandbox's control API and for driving
 *    TikTok endpoints directly;
 *  - reading ids from the world JSON;
 *  - temporary directories and running a command with a timeout.
 *
 * Conventions: functions return 0 on success and -1 on failure after
 * printing a one-line reason to stderr (prefixed "ts:"), so a test can
 * simply CU_ASSERT_EQUAL_FATAL(ts_...(...), 0). Every wait has a timeout.
 * Nothing here is thread-safe unless stated; use it from the test thread.
 * Secrets (tokens, app secret) are never printed.
 *
 * Environment: TT_SANDBOX (path of tiktok-sandbox) and TT_OPENSSL (the
 * openssl command) are set by tests/local.mk. A missing variable is an
 * error, never a silent skip.
 */
#ifndef TS_H
#define TS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TS_PATH_MAX 4096

/* ---- temporary directories --------------------------------------------- */

/* Creates a fresh private directory under $TMPDIR (or /tmp) and writes its
 * path into buf (caller-owned, >= 64 bytes recommended). */
int ts_tmpdir_make(char *buf, size_t len);
/* Removes dir and everything below it (does not follow symlinks). */
int ts_tmpdir_remove(const char *dir);

/* ---- running commands --------------------------------------------------- */

/* Runs argv[0] (searched in PATH when it has no '/') with argv, feeding
 * stdin_data (may be NULL = empty stdin), and waits at most timeout_ms;
 * on timeout the child is killed and -1 returned. *exit_code gets the
 * exit status, or 128 + signal number. *out and *err (each may be NULL
 * when not wanted) receive NUL-terminated captured output; caller frees. */
/* Side effect: the calling process ignores SIGPIPE from then on (a child
 * that stops reading its stdin must not kill the test). */
int ts_run_capture(const char *const argv[], const char *stdin_data, int timeout_ms,
                   int *exit_code, char **out, char **err);
/* The same with env's "NAME=value" entries (NULL-terminated; env may be
 * NULL) added to the child's environment. */
int ts_run_capture_env(const char *const argv[], const char *const env[],
                       const char *stdin_data, int timeout_ms, int *exit_code, char **out,
                       char **err);

/* ---- throwaway certificates ---------------------------------------------- */

typedef struct {
    char ca_pem[TS_PATH_MAX];        /* trust anchor for server_pem */
    char server_pem[TS_PATH_MAX];    /* CN/SAN 127.0.0.1, localhost */
    char server_key[TS_PATH_MAX];
    char other_ca_pem[TS_PATH_MAX];  /* unrelated CA: verification must fail */
} ts_certs;

/* Makes the files inside dir (which must exist) with $TT_OPENSSL; fills
 * *out with their paths. Valid for two days. */
int ts_certs_make(const char *dir, ts_certs *out);

/* ---- the sandbox ---------------------------------------------------------- */

typedef struct {
    const char *world_file;      /* NULL: the built-in world */
    const char *faults;          /* NULL: no faults */
    long long seed;              /* < 0: the sandbox default */
    long processing_delay_ms;    /* 0: none */
    long qps;                    /* 0: unlimited */
    bool plain_http;             /* true: no TLS */
    const ts_certs *certs;       /* NULL (TLS): made in a private tmp dir */
    const char *data_dir;        /* NULL: the sandbox's own temp dir */
    const char *const *extra_args; /* NULL-terminated, or NULL */
} ts_sandbox_opts;

/* Zeroed opts with seed = -1: TLS, built-in world, no faults. */
void ts_sandbox_opts_init(ts_sandbox_opts *o);

typedef struct ts_sandbox ts_sandbox;

/* Starts $TT_SANDBOX --listen 127.0.0.1:0 [...] and waits (10 s) for its
 * ready line. opts may be NULL (defaults). *out is caller-owned: release
 * it with ts_sandbox_stop. On Linux the sandbox gets SIGTERM when the
 * thread that started it exits (PR_SET_PDEATHSIG), so a crashed test
 * leaves nothing running: start it from a thread that outlives it
 * (normally the main thread). The sandbox's stderr is the test's. */
int ts_sandbox_start(const ts_sandbox_opts *opts, ts_sandbox **out);
/* SIGTERM, wait up to 5 s, then SIGKILL; frees s (NULL is fine). Returns
 * 0 when the sandbox exited cleanly with status 0. */
int ts_sandbox_stop(ts_sandbox *s);
/* "https://127.0.0.1:PORT" (borrowed, valid until stop). */
const char *ts_sandbox_base_url(const ts_sandbox *s);
/* CA file that verifies the sandbox (borrowed), or NULL for plain HTTP. */
const char *ts_sandbox_ca_file(const ts_sandbox *s);
/* The certificate set in use (borrowed), or NULL for plain HTTP. */
const ts_certs *ts_sandbox_certs(const ts_sandbox *s);
pid_t ts_sandbox_pid(const ts_sandbox *s);
/* base_url + path into a new string; caller frees. */
char *ts_sandbox_url(const ts_sandbox *s, const char *path);

/* GET /sandbox/world; caller puts the returned object. NULL on error. */
json_object *ts_sandbox_world(const ts_sandbox *s);
/* Runs the consent page for user_id (NULL = first user) with the first
 * app and its first redirect_uri, then oauth2/access_token/. *token is
 * caller-owned (free it; do not print it). */
int ts_sandbox_authorize(const ts_sandbox *s, const char *user_id, char **token);
/* POST /sandbox/clock {"advance_ms":ms}. */
int ts_sandbox_advance_clock(const ts_sandbox *s, long long ms);
/* POST /sandbox/reset. */
int ts_sandbox_reset(const ts_sandbox *s);

/* ---- a throwaway PostgreSQL cluster (ts_pg.c) ---------------------------- */

typedef struct ts_pg ts_pg;

/* initdb + pg_ctl start of a new cluster in a fresh /tmp directory (as the
 * postgres user via runuser when root), listening on a Unix socket there
 * only. 0 and *out; 77 when PostgreSQL is not installed here (why says
 * so: the test should exit 77, SKIP); -1 on failure. The server is
 * stopped and its directory removed by ts_pg_stop, or by a watchdog when
 * the test process ends any other way. */
int ts_pg_start(ts_pg **out, char *why, size_t whylen);
/* ts_pg_start for a test program's main: 0 and *out; 77 (SKIP, said on
 * stdout) where this build has no PostgreSQL backend or PostgreSQL is not
 * installed; 1 on failure. The main returns any code but 0. */
int ts_pg_start_main(ts_pg **out);
/* The libpq URI of its postgres database (borrowed). */
const char *ts_pg_url(const ts_pg *pg);
/* The cluster's directory (its socket's directory too). */
const char *ts_pg_dir(const ts_pg *pg);
/* Stops / starts the server, keeping the cluster (fault tests). */
int ts_pg_stop_server(ts_pg *pg);
int ts_pg_start_server(ts_pg *pg);
int ts_pg_restart(ts_pg *pg);
/* Runs one SQL command with psql in database db (NULL: postgres); *out
 * (may be NULL) its unaligned tuples-only output, caller frees. 0 or -1. */
int ts_pg_psql(const ts_pg *pg, const char *db, const char *sql, char **out);
/* Stops the server, removes the cluster, frees pg (NULL is fine). */
int ts_pg_stop(ts_pg *pg);

/* ---- HTTP (libcurl) -------------------------------------------------------- */

typedef struct {
    long status;         /* HTTP status; 0 when the transport failed */
    char *body;          /* NUL-terminated; caller frees via ts_http_resp_free */
    size_t len;
    char *location;      /* Location header of a redirect, or NULL */
    int curl_code;       /* CURLcode of the transfer (0 = ok) */
} ts_http_resp;

void ts_http_resp_free(ts_http_resp *r);

/* One request. headers: NULL-terminated "Name: value" list or NULL.
 * body may be NULL (no body). ca_file NULL = plain HTTP / system CAs.
 * TLS peer and host verification are always on. Timeout 30 s. Returns 0
 * when an HTTP answer arrived (any status), -1 on transport failure (the
 * response then has status 0 and curl_code set). */
int ts_http_request(const char *method, const char *url, const char *ca_file,
                    const char *const *headers, const char *body, size_t body_len,
                    ts_http_resp *out);

/* Convenience wrappers: *response caller-owned (free). */
int ts_http_get(const char *url, const char *ca_file, long *status, char **response);
int ts_http_post_json(const char *url, const char *ca_file, const char *body,
                      long *status, char **response);

/* A multipart/form-data part: a value, or a file read from file_path and
 * sent under filename. */
typedef struct {
    const char *name;
    const char *value;       /* NULL for a file part */
    const char *file_path;
    const char *filename;
} ts_form_part;

int ts_http_multipart(const char *url, const char *ca_file, const char *const *headers,
                      const ts_form_part *parts, size_t nparts, ts_http_resp *out);

/* ---- TikTok envelope & world helpers (json-c) ----------------------------- */

/* Parses a TikTok envelope; *code = its "code", *data borrowed from the
 * returned root (caller puts the root). NULL when not an envelope. */
json_object *ts_envelope(const char *body, int *code, json_object **data);

/* Reads a value by a dotted path with numeric array indices, e.g.
 * "apps.0.secret" or "advertisers.2.advertiser_id". Borrowed. */
json_object *ts_json_at(json_object *root, const char *path);
/* String at path (borrowed), or NULL when absent or not a string. */
const char *ts_world_get(json_object *world, const char *path);
/* First advertiser where user_id holds advertiser_role role ("ADMIN",
 * "OPERATOR", "ANALYST"), or with role "NONE_BC" the first advertiser
 * without an owner_bc_id. Borrowed from world; NULL when none. */
const char *ts_world_advertiser(json_object *world, const char *user_id, const char *role);

/* Lower-case hex MD5 of a file into hex (33 bytes). */
int ts_md5_file(const char *path, char hex[33]);
/* Lower-case hex SHA-256 of a string into hex (65 bytes). */
void ts_sha256_hex(const char *s, char hex[65]);

#endif
