/*
 * ch_services.c - the aconn_host service table. Every service is
 * thread-safe except batch_next/reject, which belong to the deliver_batch()
 * call in progress (checked by ch_run).
 */
#include <config.h>

#include "ch_services.h"
#include "ch_run.h"
#include "ch_secrets.h"
#include "ch_util.h"
#include "ch_vault.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set from a signal handler, so it has to be a file-scope flag. */
static volatile sig_atomic_t ch_cancel_flag;

static void ch_on_signal(int sig)
{
    (void) sig;
    ch_cancel_flag = 1;
}

int ch_host_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ch_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    return 0;
}

/*
 * Test hooks (host/README.md, "Test hooks"): crash tests need a host
 * that dies at a chosen, repeatable moment of a delivery, which a timer
 * cannot give. With CONNECTOR_HOST_TEST_KILL_BEFORE_WRITE=N the process
 * raises SIGKILL on itself right before its N-th state_cas() write; with
 * CONNECTOR_HOST_TEST_KILL_AT_CHUNK=N right after the N-th dataset chunk
 * is handed to the plugin; CONNECTOR_HOST_TEST_STOP_BEFORE_WRITE=N stops
 * the process (SIGSTOP) there instead. Unset (production) they cost one getenv() per
 * call. The counters are process-wide and atomic because state_cas() is
 * called from the plugin's upload threads; they are file-scope for the same
 * reason as ch_cancel_flag: a process dies once.
 */
static atomic_ulong ch_test_writes;
static atomic_ulong ch_test_chunks;
static atomic_ulong ch_test_stops;

static void ch_test_signal_point(const char *env, atomic_ulong *counter, int sig)
{
    const char *v = getenv(env);
    char *end;
    unsigned long n;

    if (v == NULL || *v == '\0')
        return;
    n = strtoul(v, &end, 10);
    if (*end != '\0' || n == 0)
        return;
    if (atomic_fetch_add(counter, 1) + 1 == n)
        raise(sig);
}

static void ch_test_kill_point(const char *env, atomic_ulong *counter)
{
    ch_test_signal_point(env, counter, SIGKILL);
}

int ch_host_cancel_requested(void)
{
    return ch_cancel_flag != 0;
}

int64_t ch_host_now_ms(const ch_host *h)
{
    return ch_wall_ms() + h->clock_offset_ms;
}

static void ch_svc_log(void *ctx, int32_t level, const char *msg)
{
    ch_host *h = ctx;
    static const char *const names[] = { "error", "warning", "info", "debug" };
    const char *name = level >= 0 && level <= ACONN_LOG_DEBUG ? names[level] : "log";

    if (level >= ACONN_LOG_DEBUG && !h->verbose)
        return;
    /* One fprintf per line so lines from several threads do not mix. */
    fprintf(stderr, "connector-host: %s: %s: %s\n", h->plugin_id != NULL
            ? h->plugin_id : "plugin", name, msg != NULL ? msg : "");
}

static const char *ch_svc_option(void *ctx, const char *name)
{
    ch_host *h = ctx;

    if (name == NULL)
        return NULL;
    if (strcmp(name, "api_base") == 0)
        return h->api_base;
    if (strcmp(name, "ca_file") == 0)
        return h->ca_file;
    if (strcmp(name, "redirect_uri") == 0)
        return h->redirect_uri;
    if (strcmp(name, "home") == 0)
        return h->home;
    if (strcmp(name, "request_timeout_ms") == 0)
        return h->request_timeout_ms;
    if (strcmp(name, "dry_run") == 0)
        return h->dry_run;
    if (strcmp(name, "parallel_accounts") == 0)
        return h->parallel_accounts;
    if (strcmp(name, "switch_user") == 0)
        return h->switch_user;
    /* Test hook (host/README.md): a smaller spool file limit than TikTok's
       50 MiB, so a test has several files without 50 MiB of data. */
    if (strcmp(name, "spool_file_bytes") == 0)
        return getenv("CONNECTOR_HOST_TEST_SPOOL_FILE_BYTES");
    return NULL;
}

static int64_t ch_svc_now_ms(void *ctx)
{
    return ch_host_now_ms(ctx);
}

static int32_t ch_svc_cancelled(void *ctx)
{
    const ch_host *h = ctx;

    return ch_host_cancel_requested()
           || (h->lease_lost != NULL && atomic_load(h->lease_lost) != 0);
}

/* "<plugin id>/<name>" into key; 0, or -1 when the name is unusable. */
static int ch_secret_key(const ch_host *h, const char *name, char *key, size_t keylen)
{
    int n;

    if (name == NULL || *name == '\0' || h->plugin_id == NULL)
        return -1;
    n = snprintf(key, keylen, "%s/%s", h->plugin_id, name);
    return n > 0 && (size_t) n < keylen ? 0 : -1;
}

/* A PostgreSQL state without the key: refused, saying how to give it. */
static int ch_host_no_vault(const ch_host *h, char *err, size_t errlen)
{
    if (!h->secrets_in_state || h->vault != NULL)
        return 0;
    ch_errf(err, errlen, "with a PostgreSQL state the secrets are kept in the database, "
            "sealed: give the key every worker shares with --secrets-key-file FILE (or "
            "CONNECTOR_HOST_SECRETS_KEY_FILE); make it once with (umask 077; openssl rand "
            "-hex 32 > FILE)");
    return -1;
}

aconn_status ch_host_secret_get(const ch_host *h, const char *key, char *buf, size_t buflen,
                                size_t *len, char *err, size_t errlen)
{
    if (ch_host_no_vault(h, err, errlen) != 0)
        return ACONN_ERR_FATAL;
    if (h->vault != NULL)
        return ch_vault_get(h->vault, h->state, key, buf, buflen, len, err, errlen);
    return ch_secrets_get(h->secrets_path, key, buf, buflen, len, err, errlen);
}

aconn_status ch_host_secret_put(const ch_host *h, const char *key, const char *value,
                                size_t len, char *err, size_t errlen)
{
    if (ch_host_no_vault(h, err, errlen) != 0)
        return ACONN_ERR_FATAL;
    if (h->vault != NULL)
        return ch_vault_put(h->vault, h->state, key, value, len, ch_host_now_ms(h), err,
                            errlen);
    return ch_secrets_put(h->secrets_path, key, value, len, err, errlen);
}

int ch_host_secret_names(const ch_host *h, const char *prefix, json_object **names,
                         char *err, size_t errlen)
{
    if (h->secrets_in_state)
        return ch_vault_names(h->state, prefix, names, err, errlen);
    return ch_secrets_names(h->secrets_path, prefix, names, err, errlen);
}

static aconn_status ch_svc_secret_get(void *ctx, const char *name, char *buf,
                                      size_t buflen, size_t *len)
{
    ch_host *h = ctx;
    char key[512], err[512] = "";
    aconn_status s;

    if (ch_secret_key(h, name, key, sizeof(key)) != 0)
        return ACONN_ERR_INVALID;
    s = ch_host_secret_get(h, key, buf, buflen, len, err, sizeof(err));
    if (s == ACONN_ERR_FATAL)
        fprintf(stderr, "connector-host: %s\n", err);
    return s;
}

static aconn_status ch_svc_secret_put(void *ctx, const char *name, const char *value,
                                      size_t len)
{
    ch_host *h = ctx;
    char key[512], err[512] = "";
    aconn_status s;

    if (ch_secret_key(h, name, key, sizeof(key)) != 0)
        return ACONN_ERR_INVALID;
    s = ch_host_secret_put(h, key, value, len, err, sizeof(err));
    if (s != ACONN_OK)
        fprintf(stderr, "connector-host: %s\n", err);
    return s;
}

static aconn_status ch_svc_state_get(void *ctx, const char *key, char *buf,
                                     size_t buflen, size_t *len, uint64_t *version)
{
    ch_host *h = ctx;

    return ch_state_kv_get(h->state, h->plugin_id, key, buf, buflen, len, version);
}

static aconn_status ch_svc_state_cas(void *ctx, const char *key, uint64_t expected,
                                     const char *value, size_t len,
                                     uint64_t *new_version)
{
    ch_host *h = ctx;

    ch_test_kill_point("CONNECTOR_HOST_TEST_KILL_BEFORE_WRITE", &ch_test_writes);
    /* A process frozen at a chosen write (SIGSTOP; a test sends SIGCONT):
       a worker that stalls past its lease (issue #12's fencing test). */
    ch_test_signal_point("CONNECTOR_HOST_TEST_STOP_BEFORE_WRITE", &ch_test_stops, SIGSTOP);
    return ch_state_kv_cas(h->state, h->plugin_id, key, expected, value, len,
                           new_version);
}

static aconn_status ch_svc_batch_next(void *ctx, const aconn_batch *batch,
                                      const aconn_record *const **records,
                                      size_t *count)
{
    ch_host *h = ctx;
    aconn_status s;

    if (records != NULL)
        *records = NULL;
    if (count != NULL)
        *count = 0;

    if (h->run == NULL || records == NULL || count == NULL)
        return ACONN_ERR_INVALID;
    s = ch_run_next(h->run, batch, records, count);
    if (s == ACONN_OK && *count > 0)
        ch_test_kill_point("CONNECTOR_HOST_TEST_KILL_AT_CHUNK", &ch_test_chunks);
    return s;
}

static void ch_svc_reject(void *ctx, const aconn_batch *batch, uint64_t seq,
                          uint32_t attr_index, const char *reason, const char *detail)
{
    ch_host *h = ctx;

    if (h->run != NULL)
        ch_run_reject(h->run, batch, seq, attr_index, reason, detail);
}

/* ABI 1.2: the shared request budget (ch_pace.c). */
static aconn_status ch_svc_pace(void *ctx, const char *key, uint32_t n, uint32_t flags,
                                int64_t *wait_ms)
{
    ch_host *h = ctx;
    int refused = (flags & ACONN_PACE_REFUSED) != 0;
    int64_t wait_us = 0, cost_us;
    aconn_status s;

    if (wait_ms == NULL || key == NULL || (!refused && (n == 0 || n > 1000)))
        return ACONN_ERR_INVALID;
    *wait_ms = 0;
    if (h->app_qps <= 0 || h->state == NULL || h->plugin_id == NULL)
        return ACONN_OK;
    cost_us = refused ? 0 : (int64_t) ((double) n * 1e6 / h->app_qps);
    /* A refusal: TikTok's window is one second ("retry in the next
       second"), so nobody is granted anything before it is over. */
    s = ch_state_pace(h->state, h->plugin_id, key, cost_us, refused ? 1000000 : 0, &wait_us,
                      NULL);
    if (s == ACONN_OK)
        *wait_ms = (wait_us + 999) / 1000;
    return s;
}

static void ch_svc_request_catch_up(void *ctx, const aconn_batch *batch, uint64_t from_seq,
                                    const char *reason)
{
    ch_host *h = ctx;

    (void) reason;
    if (h->run != NULL)
        ch_run_request_catch_up(h->run, batch, from_seq);
}

void ch_host_init(ch_host *h)
{
    aconn_host *t = &h->table;

    memset(t, 0, sizeof(*t));
    t->struct_size = sizeof(*t);
    t->abi_major = ACONN_ABI_MAJOR;
    t->abi_minor = ACONN_ABI_MINOR;
    t->ctx = h;
    t->log = ch_svc_log;
    t->option = ch_svc_option;
    t->now_ms = ch_svc_now_ms;
    t->cancelled = ch_svc_cancelled;
    t->secret_get = ch_svc_secret_get;
    t->secret_put = ch_svc_secret_put;
    t->state_get = ch_svc_state_get;
    t->state_cas = ch_svc_state_cas;
    t->batch_next = ch_svc_batch_next;
    t->reject = ch_svc_reject;
    t->request_catch_up = ch_svc_request_catch_up;
    t->pace = ch_svc_pace;
    h->app_qps = CH_HOST_APP_QPS_DEFAULT;
}
