/*
 * test_plugin.c - a connector used only by the host tests. It calls every
 * host service, checks what it gets, and writes what it saw into its run
 * report so the tests can assert on it. Its behaviour at the END batch is
 * chosen by the environment variable CH_TEST_PLUGIN_MODE:
 *
 *   ok (default)     return ACONN_OK
 *   retry:MS         ACONN_RETRY_THROTTLED with retry_after_ms = MS
 *   permanent        ACONN_ERR_LIMIT
 *   reauth           ACONN_REAUTHORIZE for the batch's profile
 *   fatal            ACONN_ERR_FATAL
 *   slow:MS          sleep MS after every chunk (to be killed mid-run)
 *   wait_cancel      poll cancelled() for up to 20 s, then RETRY_CANCELLED
 *   partial          non-END batches return without reading their records
 *   reject_odd       reject() every record with an odd seq
 *
 * Built four times: normally; with -DTEST_ABI_MAJOR=2 to test the host's
 * refusal of another ABI major; and with -DTEST_SMALL_DESCRIPTOR or
 * -DTEST_NO_TEARDOWN to test its refusal of an incomplete descriptor.
 */
#include <config.h>

#include <aconn/aconn.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#ifndef TEST_ABI_MAJOR
#define TEST_ABI_MAJOR ACONN_ABI_MAJOR
#endif

#define TP_ID "test-plugin"
#define TP_MAX_SEQS 2000

typedef struct tp_conn {
    char run_id[80];
    uint64_t batches, records, adds, removes, attrs;
    uint64_t first_seq, last_seq;
    int order_ok;            /* seqs increase and stay in the run's range */
    int flags_ok;            /* BEGIN first, END last, constant run fields */
    json_object *seqs;       /* first TP_MAX_SEQS seqs delivered */
    json_object *services;   /* the self-test results */
    json_object *values;     /* first values seen, to check the reader */
} tp_conn;

static void tp_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static const char *tp_mode(long *arg)
{
    const char *m = getenv("CH_TEST_PLUGIN_MODE");
    const char *colon;

    *arg = 0;
    if (m == NULL || *m == '\0')
        return "ok";
    colon = strchr(m, ':');
    if (colon != NULL)
        *arg = strtol(colon + 1, NULL, 10);
    return m;
}

static int tp_mode_is(const char *mode, const char *name)
{
    size_t n = strlen(name);
    return strncmp(mode, name, n) == 0 && (mode[n] == '\0' || mode[n] == ':');
}

/* ---- discovery --------------------------------------------------------- */

static const aconn_info *tp_describe(void)
{
    static const aconn_info info = {
        .struct_size = sizeof(aconn_info),
        .id = TP_ID,
        .name = "Host test plugin",
        .version = "1.0",
        .manifest_json = "{\"id\":\"" TP_ID "\",\"name\":\"Host test plugin\"}",
    };
    return &info;
}

/* ---- validate ---------------------------------------------------------- */

static void tp_add_error(aconn_error_list *errors, aconn_status s, const char *code,
                         const char *field, const char *msg, const char *profile)
{
    aconn_error e;

    memset(&e, 0, sizeof(e));
    e.struct_size = sizeof(e);
    aconn_error_set(&e, s, code, field, "%s", msg);
    ACONN_STRSET(e.profile, profile);
    aconn_error_list_add(errors, &e);
}

static aconn_status tp_validate(const aconn_host *host, const aconn_validate_request *req,
                                aconn_error_list *errors)
{
    aconn_status s = ACONN_OK;
    json_object *set = json_tokener_parse(req->settings_json);
    json_object *cur = NULL, *v = NULL, *cv = NULL;

    if (set == NULL || !json_object_is_type(set, json_type_object)) {
        tp_add_error(errors, ACONN_ERR_INVALID, "invalid_json", "",
                     "settings must be a JSON object", NULL);
        s = ACONN_ERR_INVALID;
        goto cleanup;
    }
    if (json_object_object_get_ex(set, "audience_name", &v)
        && (!json_object_is_type(v, json_type_string)
            || json_object_get_string_len(v) < 1 || json_object_get_string_len(v) > 128)) {
        tp_add_error(errors, ACONN_ERR_INVALID, "invalid_length", "audience_name",
                     "audience_name must be 1 to 128 characters", NULL);
        s = ACONN_ERR_INVALID;
    }
    if (json_object_object_get_ex(set, "bad_field", NULL)) {
        tp_add_error(errors, ACONN_ERR_INVALID, "unknown_field", "bad_field",
                     "remove bad_field", NULL);
        s = ACONN_ERR_INVALID;
    }
    if (req->current_settings_json != NULL) {
        cur = json_tokener_parse(req->current_settings_json);
        json_object_object_get_ex(cur, "audience_name", &cv);
        if (!json_object_equal(v, cv)) {
            tp_add_error(errors, ACONN_ERR_INVALID, "immutable", "audience_name",
                         "audience_name cannot change on an existing connection", NULL);
            s = ACONN_ERR_INVALID;
        }
    }
    /* Its own key (the host reads none): "start_at_end": true makes the
       first run skip the rows already there, told through facts. */
    if (s == ACONN_OK && ACONN_HAS(req, aconn_validate_request, facts) && req->facts != NULL) {
        int end = json_object_object_get_ex(set, "start_at_end", &v)
                  && json_object_get_boolean(v);
        aconn_output_puts(req->facts, end ? "{\"first_run_from\":\"end\"}"
                                          : "{\"first_run_from\":\"beginning\"}");
    }
    if ((req->flags & ACONN_VALIDATE_REMOTE) != 0 && s == ACONN_OK) {
        char name[200], buf[256];
        size_t len = 0;
        snprintf(name, sizeof(name), "token/%s", req->profile != NULL ? req->profile : "");
        if (host->secret_get(host->ctx, name, buf, sizeof(buf), &len) != ACONN_OK) {
            tp_add_error(errors, ACONN_REAUTHORIZE, "token_missing", "",
                         "the profile has no token", req->profile);
            s = ACONN_REAUTHORIZE;
        }
        memset(buf, 0, sizeof(buf));
    }
cleanup:
    json_object_put(set);
    json_object_put(cur);
    return s;
}

/* ---- authorize --------------------------------------------------------- */

static aconn_status tp_authorize(const aconn_host *host, const aconn_authorize_request *req,
                                 aconn_output *out, aconn_error *err)
{
    char buf[1024], name[200];
    size_t len = 0;
    const char *redirect = host->option(host->ctx, "redirect_uri");

    snprintf(name, sizeof(name), "token/%s", req->profile);
    switch (req->phase) {
    case ACONN_AUTHORIZE_BEGIN:
        snprintf(buf, sizeof(buf), "{\"url\":\"https://127.0.0.1/consent?profile=%s"
                 "&redirect_uri=%s\",\"expires_at_ms\":%lld}", req->profile,
                 redirect != NULL ? redirect : "", (long long) (host->now_ms(host->ctx)
                                                               + 600000));
        return aconn_output_puts(out, buf);
    case ACONN_AUTHORIZE_COMPLETE:
        if (req->callback_url == NULL || strstr(req->callback_url, "code=good") == NULL)
            return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_invalid", "callback",
                                   "the callback has no valid code; start again with "
                                   "authorize");
        snprintf(buf, sizeof(buf), "tok-%s-SECRET", req->profile);
        if (host->secret_put(host->ctx, name, buf, strlen(buf)) != ACONN_OK)
            return aconn_error_set(err, ACONN_ERR_FATAL, "secret_put", NULL,
                                   "cannot store the token");
        snprintf(buf, sizeof(buf), "{\"status\":\"connected\",\"profile\":\"%s\"}",
                 req->profile);
        return aconn_output_puts(out, buf);
    case ACONN_AUTHORIZE_STATUS:
        if (host->secret_get(host->ctx, name, buf, sizeof(buf), &len) != ACONN_OK) {
            aconn_error_set(err, ACONN_REAUTHORIZE, "token_missing", NULL,
                            "authorize the profile again");
            ACONN_STRSET(err->profile, req->profile);
            return ACONN_REAUTHORIZE;
        }
        memset(buf, 0, sizeof(buf));
        return aconn_output_puts(out, "{\"status\":\"connected\"}");
    default:
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_phase", "phase", "unknown phase");
    }
}

/* ---- the service self-test (run at every RUN_BEGIN) -------------------- */

static void tp_check(json_object *svc, const char *name, int ok)
{
    json_object_object_add(svc, name, json_object_new_boolean(ok));
}

static void tp_option(const aconn_host *host, json_object *svc, const char *name)
{
    const char *v = host->option(host->ctx, name);
    json_object_object_add(svc, name, v != NULL ? json_object_new_string(v) : NULL);
}

static json_object *tp_selftest(const aconn_host *host, const char *run_id)
{
    json_object *svc = json_object_new_object();
    char buf[256], small[4], key[200];
    size_t len = 0;
    uint64_t ver = 99, nv = 0;
    aconn_status s;
    static const char probe[] = "probe-secret-value-0123456789";

    if (svc == NULL)
        return NULL;
    host->log(host->ctx, ACONN_LOG_INFO, "test plugin: service self-test");
    host->log(host->ctx, ACONN_LOG_DEBUG, "test plugin: debug line");
    tp_check(svc, "log", 1);
    tp_option(host, svc, "api_base");
    tp_option(host, svc, "ca_file");
    tp_option(host, svc, "redirect_uri");
    tp_option(host, svc, "home");
    tp_check(svc, "missing_option_null", host->option(host->ctx, "no_such_option") == NULL);
    json_object_object_add(svc, "now_ms", json_object_new_int64(host->now_ms(host->ctx)));
    json_object_object_add(svc, "cancelled", json_object_new_int(host->cancelled(host->ctx)));

    /* Secrets. */
    s = host->secret_get(host->ctx, "no_such_secret", buf, sizeof(buf), &len);
    tp_check(svc, "secret_missing_not_found", s == ACONN_ERR_NOT_FOUND);
    s = host->secret_put(host->ctx, "probe", probe, strlen(probe));
    tp_check(svc, "secret_put", s == ACONN_OK);
    s = host->secret_get(host->ctx, "probe", small, sizeof(small), &len);
    tp_check(svc, "secret_too_small", s == ACONN_ERR_TOO_SMALL && len == strlen(probe));
    s = host->secret_get(host->ctx, "probe", buf, sizeof(buf), &len);
    tp_check(svc, "secret_get", s == ACONN_OK && len == strlen(probe)
                                && strcmp(buf, probe) == 0);
    s = host->secret_put(host->ctx, "probe", NULL, 0);
    tp_check(svc, "secret_delete", s == ACONN_OK && host->secret_get(host->ctx, "probe",
                                   buf, sizeof(buf), &len) == ACONN_ERR_NOT_FOUND);
    s = host->secret_get(host->ctx, "app_secret", buf, sizeof(buf), &len);
    json_object_object_add(svc, "app_secret_len",
                           json_object_new_int64(s == ACONN_OK ? (int64_t) len : -1));
    memset(buf, 0, sizeof(buf));

    /* State: create, conflict, too small, update, delete. */
    snprintf(key, sizeof(key), "probe/%s", run_id);
    s = host->state_get(host->ctx, key, buf, sizeof(buf), &len, &ver);
    tp_check(svc, "state_not_found", s == ACONN_ERR_NOT_FOUND && ver == 0);
    s = host->state_cas(host->ctx, key, 0, "hello", 5, &nv);
    tp_check(svc, "state_cas_create", s == ACONN_OK && nv == 1);
    s = host->state_cas(host->ctx, key, 0, "again", 5, &nv);
    tp_check(svc, "state_conflict", s == ACONN_ERR_CONFLICT);
    s = host->state_get(host->ctx, key, small, sizeof(small), &len, &ver);
    tp_check(svc, "state_too_small", s == ACONN_ERR_TOO_SMALL && len == 5);
    s = host->state_get(host->ctx, key, buf, sizeof(buf), &len, &ver);
    tp_check(svc, "state_get", s == ACONN_OK && len == 5 && ver == 1
                               && strcmp(buf, "hello") == 0);
    s = host->state_cas(host->ctx, key, 1, "world!", 6, &nv);
    tp_check(svc, "state_update", s == ACONN_OK && nv == 2);
    s = host->state_cas(host->ctx, key, 2, NULL, 0, &nv);
    tp_check(svc, "state_delete", s == ACONN_OK && nv == 0
             && host->state_get(host->ctx, key, buf, sizeof(buf), &len, &ver)
                == ACONN_ERR_NOT_FOUND);
    return svc;
}

/* Adds one to the persistent counter "deliveries" with CAS retries. */
static int64_t tp_count_delivery(const aconn_host *host)
{
    char buf[32];
    int attempt;

    for (attempt = 0; attempt < 100; attempt++) {
        size_t len = 0;
        uint64_t ver = 0, nv = 0;
        long long n = 0;
        aconn_status s = host->state_get(host->ctx, "deliveries", buf, sizeof(buf),
                                         &len, &ver);
        if (s == ACONN_OK)
            n = strtoll(buf, NULL, 10);
        else if (s != ACONN_ERR_NOT_FOUND)
            return -1;
        snprintf(buf, sizeof(buf), "%lld", n + 1);
        s = host->state_cas(host->ctx, "deliveries", ver, buf, strlen(buf), &nv);
        if (s == ACONN_OK)
            return n + 1;
        if (s != ACONN_ERR_CONFLICT)
            return -1;
    }
    return -1;
}

/* ---- deliver ----------------------------------------------------------- */

static void tp_conn_reset(tp_conn *c, const aconn_batch *b)
{
    json_object_put(c->seqs);
    json_object_put(c->services);
    json_object_put(c->values);
    memset(c, 0, sizeof(*c));
    snprintf(c->run_id, sizeof(c->run_id), "%s", b->run_id);
    c->order_ok = 1;
    c->flags_ok = 1;
    c->seqs = json_object_new_array();
    c->values = json_object_new_array();
}

static aconn_status tp_report(const aconn_host *host, tp_conn *c, const aconn_batch *b)
{
    json_object *o = json_object_new_object();
    aconn_status s;

    if (o == NULL)
        return ACONN_ERR_FATAL;
    json_object_object_add(o, "plugin", json_object_new_string(TP_ID));
    json_object_object_add(o, "run_id", json_object_new_string(b->run_id));
    json_object_object_add(o, "connection_id", json_object_new_string(b->connection_id));
    json_object_object_add(o, "profile", json_object_new_string(b->profile));
    json_object_object_add(o, "attempt", json_object_new_int64(b->run_attempt));
    json_object_object_add(o, "run_first_seq", json_object_new_uint64(b->run_first_seq));
    json_object_object_add(o, "run_last_seq", json_object_new_uint64(b->run_last_seq));
    json_object_object_add(o, "spool_dir", json_object_new_string(b->spool_dir));
    json_object_object_add(o, "batches", json_object_new_uint64(c->batches));
    json_object_object_add(o, "records", json_object_new_uint64(c->records));
    json_object_object_add(o, "adds", json_object_new_uint64(c->adds));
    json_object_object_add(o, "removes", json_object_new_uint64(c->removes));
    json_object_object_add(o, "attrs", json_object_new_uint64(c->attrs));
    json_object_object_add(o, "first_seq", json_object_new_uint64(c->first_seq));
    json_object_object_add(o, "last_seq", json_object_new_uint64(c->last_seq));
    json_object_object_add(o, "order_ok", json_object_new_boolean(c->order_ok));
    json_object_object_add(o, "flags_ok", json_object_new_boolean(c->flags_ok));
    json_object_object_add(o, "seqs", json_object_get(c->seqs));
    json_object_object_add(o, "values", json_object_get(c->values));
    json_object_object_add(o, "services", json_object_get(c->services));
    json_object_object_add(o, "deliveries", json_object_new_int64(tp_count_delivery(host)));
    s = aconn_output_puts(b->report, json_object_to_json_string_ext(o,
                          JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

/* Counts one record of the run; reject_odd rejects odd lines. */
static void tp_take_record(const aconn_host *host, tp_conn *c, const aconn_batch *b,
                           const aconn_record *r, const char *mode)
{
    if (r->seq <= c->last_seq || r->seq < b->run_first_seq
        || r->seq > b->run_last_seq)
        c->order_ok = 0;
    if (c->records == 0)
        c->first_seq = r->seq;
    c->last_seq = r->seq;
    c->records++;
    c->attrs += r->nattrs;
    if (r->op == ACONN_RECORD_REMOVE)
        c->removes++;
    else
        c->adds++;
    if (c->records <= TP_MAX_SEQS) {
        json_object_array_add(c->seqs, json_object_new_uint64(r->seq));
        json_object_array_add(c->values, json_object_new_string(r->attrs[0].value));
    }
    if (tp_mode_is(mode, "reject_odd") && (r->seq % 2) == 1)
        host->reject(host->ctx, b, r->seq, 0, "test_odd", "odd line number");
}

/* The answer of a run's last batch, after its report: what the mode asks. */
static aconn_status tp_end_answer(const aconn_batch *b, aconn_error *err, const char *mode,
                                  long arg)
{
    if (tp_mode_is(mode, "retry")) {
        aconn_error_set(err, ACONN_RETRY_THROTTLED, "rate_limited", NULL,
                        "the test plugin asks to retry later");
        err->retry_after_ms = arg;
        return ACONN_RETRY_THROTTLED;
    }
    if (tp_mode_is(mode, "permanent"))
        return aconn_error_set(err, ACONN_ERR_LIMIT, "min_audience_size", "",
                               "the audience would have fewer than 1000 members");
    if (tp_mode_is(mode, "reauth")) {
        aconn_error_set(err, ACONN_REAUTHORIZE, "token_revoked", NULL,
                        "the token was revoked");
        ACONN_STRSET(err->profile, b->profile);
        return ACONN_REAUTHORIZE;
    }
    if (tp_mode_is(mode, "fatal"))
        return aconn_error_set(err, ACONN_ERR_FATAL, "broken", NULL, "test fatal");
    return ACONN_OK;
}

static aconn_status tp_deliver(const aconn_host *host, void **connection_ctx,
                               const aconn_batch *b, aconn_error *err)
{
    tp_conn *c = *connection_ctx;
    long arg = 0;
    const char *mode = tp_mode(&arg);
    int begin = (b->flags & ACONN_BATCH_RUN_BEGIN) != 0;
    int end = (b->flags & ACONN_BATCH_RUN_END) != 0;

    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "oom", NULL, "out of memory");
        *connection_ctx = c;
        tp_conn_reset(c, b);
        c->flags_ok = begin;
    } else if (begin) {
        tp_conn_reset(c, b);
    } else if (strcmp(c->run_id, b->run_id) != 0) {
        c->flags_ok = 0;   /* a batch of another run without RUN_BEGIN */
    }
    if (begin)
        c->services = tp_selftest(host, b->run_id);
    c->batches++;
    if (tp_mode_is(mode, "partial") && !end)
        return ACONN_OK;
    for (;;) {
        const aconn_record *const *recs = NULL;
        size_t n = 0, i;
        aconn_status s = host->batch_next(host->ctx, b, &recs, &n);
        if (s != ACONN_OK)
            return aconn_error_set(err, s, "read_failed", NULL, "batch_next failed");
        if (n == 0)
            break;
        for (i = 0; i < n; i++) {
            tp_take_record(host, c, b, recs[i], mode);
        }
        if (tp_mode_is(mode, "slow"))
            tp_sleep_ms(arg);
    }
    if (tp_mode_is(mode, "wait_cancel")) {
        int i;
        for (i = 0; i < 2000 && !host->cancelled(host->ctx); i++)
            tp_sleep_ms(10);
        if (host->cancelled(host->ctx))
            return aconn_error_set(err, ACONN_RETRY_CANCELLED, "cancelled", NULL,
                                   "stopped on request");
    }
    if (!end)
        return ACONN_OK;
    if (tp_report(host, c, b) != ACONN_OK)
        return aconn_error_set(err, ACONN_ERR_FATAL, "report", NULL, "cannot write report");
    return tp_end_answer(b, err, mode, arg);
}

#if !defined(TEST_NO_TEARDOWN)
static void tp_teardown(const aconn_host *host, void *connection_ctx)
{
    tp_conn *c = connection_ctx;

    (void) host;
    if (c == NULL)
        return;
    json_object_put(c->seqs);
    json_object_put(c->services);
    json_object_put(c->values);
    free(c);
}
#endif

/* Two deliberately broken builds for the loader tests: a descriptor too
   small for ABI 1.0, and one that lacks an entry point. */
#if defined(TEST_SMALL_DESCRIPTOR)
#define TP_STRUCT_SIZE offsetof(aconn_plugin, teardown)
#else
#define TP_STRUCT_SIZE sizeof(aconn_plugin)
#endif
#if defined(TEST_NO_TEARDOWN)
#define TP_TEARDOWN NULL
#else
#define TP_TEARDOWN tp_teardown
#endif

static const aconn_plugin tp_plugin = {
    .struct_size = TP_STRUCT_SIZE,
    .abi_major = TEST_ABI_MAJOR,
    .abi_minor = ACONN_ABI_MINOR,
    .describe = tp_describe,
    .validate_settings = tp_validate,
    .authorize = tp_authorize,
    .deliver_batch = tp_deliver,
    .teardown = TP_TEARDOWN,
};

ACONN_EXPORT const aconn_plugin *aconn_plugin_entry(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor)
{
    (void) host_abi_major;
    (void) host_abi_minor;
    return &tp_plugin;
}
