/*
 * minimal_connector.c - a small complete connector to copy. It "delivers"
 * by counting identifiers, in two steps as real platforms have them: an
 * upload (here: recording the run's counts), then an apply that the remote
 * accepts at most once a minute per connection. It shows:
 *
 *   - one exported function returning a static descriptor of ABI 1.0
 *     (it loads in any 1.x host), no mutable globals: a connection's
 *     state lives in the context slot the host keeps for it;
 *   - settings checked in full: this connector has none, so only {} passes;
 *   - authorize BEGIN writing its url with expires_at_ms;
 *   - records pulled with batch_next(), cancelled() polled between chunks
 *     (ACONN_RETRY_CANCELLED), an empty identifier given back with reject();
 *   - run idempotence by run_id: the upload is recorded with state_cas()
 *     under the run's id, so an attempt after a retry does not upload again;
 *   - a retry with retry_after_ms (ACONN_RETRY_THROTTLED) when the apply
 *     comes too soon, instead of sleeping;
 *   - the run report written at the END batch.
 *
 * tests/host/test_example.c drives it through connect and deliver with the
 * reference host. Build it against the installed header:
 *   cc -std=c11 -shared -fPIC -fvisibility=hidden $(pkg-config --cflags aconn) \
 *      minimal_connector.c -o minimal_connector.so
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aconn/aconn.h>

#define MC_APPLY_EVERY_MS 60000   /* the remote's rate limit */

typedef struct mc_ctx {
    uint64_t records;
    uint64_t identifiers;
} mc_ctx;

static aconn_describe_fn mc_describe;
static aconn_validate_settings_fn mc_validate;
static aconn_authorize_fn mc_authorize;
static aconn_deliver_batch_fn mc_deliver;
static aconn_teardown_fn mc_teardown;

static const aconn_info *mc_describe(void)
{
    static const aconn_info info = {
        .struct_size = sizeof(aconn_info),
        .id = "minimal-counter",
        .name = "Minimal counting connector",
        .version = "1.0.0",
        .manifest_json = "{\"id\":\"minimal-counter\",\"name\":\"Minimal counting connector\","
                         "\"version\":\"1.0.0\",\"abi\":{\"major\":1,\"minor\":0},"
                         "\"module\":\"minimal_connector\"}",
    };
    return &info;
}

static const char *mc_skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* This connector has no settings: the only valid settings are {}. */
static aconn_status mc_validate(const aconn_host *host, const aconn_validate_request *req,
                                aconn_error_list *errors)
{
    const char *p = req->settings_json != NULL ? mc_skip_space(req->settings_json) : "";
    aconn_error e = {.struct_size = sizeof(e)};

    (void) host;
    if (*p == '{') {
        p = mc_skip_space(p + 1);
        if (*p == '}' && *mc_skip_space(p + 1) == '\0')
            return ACONN_OK;
    }
    aconn_error_set(&e, ACONN_ERR_INVALID, "unknown_field", "",
                    "this connector takes no settings: write {}");
    aconn_error_list_add(errors, &e);
    return ACONN_ERR_INVALID;
}

/* No remote account to connect: every profile is connected at once. */
static aconn_status mc_authorize(const aconn_host *host, const aconn_authorize_request *req,
                                 aconn_output *out, aconn_error *err)
{
    char begin[128];

    (void) err;
    if (req->phase != ACONN_AUTHORIZE_BEGIN)
        return aconn_output_puts(out, "{\"status\":\"connected\"}");
    snprintf(begin, sizeof(begin), "{\"url\":\"about:blank\",\"expires_at_ms\":%" PRId64 "}",
             (int64_t) (host->now_ms(host->ctx) + 24 * 60 * 60 * 1000LL));
    return aconn_output_puts(out, begin);
}

/* Counts the batch's records; an empty identifier is rejected. */
static aconn_status mc_count(const aconn_host *host, const aconn_batch *batch, mc_ctx *c,
                             aconn_error *err)
{
    for (;;) {
        const aconn_record *const *recs;
        size_t n;
        aconn_status st;

        if (host->cancelled(host->ctx))
            return aconn_error_set(err, ACONN_RETRY_CANCELLED, "cancelled", NULL,
                                   "stopped as asked; the run starts again from its first batch");
        st = host->batch_next(host->ctx, batch, &recs, &n);
        if (st != ACONN_OK)
            return aconn_error_set(err, st, "dataset", NULL, "the dataset is not readable now");
        if (n == 0)
            return ACONN_OK;
        for (size_t i = 0; i < n; i++) {
            c->records++;
            for (uint32_t a = 0; a < recs[i]->nattrs; a++) {
                if (recs[i]->attrs[a].value_len == 0)
                    host->reject(host->ctx, batch, recs[i]->seq, a, "empty",
                                 "the identifier is empty");
                else
                    c->identifiers++;
            }
        }
    }
}

/*
 * The upload, once per run: recorded under the run's id with state_cas(),
 * so a later attempt of the same run (after a retry) finds it done. A
 * conflict means another attempt recorded it first: done too.
 */
static aconn_status mc_upload(const aconn_host *host, const aconn_batch *batch,
                              const mc_ctx *c, int *already, aconn_error *err)
{
    char key[256], buf[128];
    size_t len = 0;
    uint64_t version = 0;
    aconn_status st;

    snprintf(key, sizeof(key), "run/%s/%s", batch->connection_id, batch->run_id);
    st = host->state_get(host->ctx, key, buf, sizeof(buf), &len, &version);
    *already = st == ACONN_OK;
    if (st == ACONN_OK)
        return ACONN_OK;
    if (st != ACONN_ERR_NOT_FOUND)
        return aconn_error_set(err, ACONN_RETRY, "state", NULL, "the state store failed");
    snprintf(buf, sizeof(buf), "{\"identifiers\":%" PRIu64 "}", c->identifiers);
    st = host->state_cas(host->ctx, key, 0, buf, strlen(buf), &version);
    if (st == ACONN_ERR_CONFLICT)
        *already = 1;
    else if (st != ACONN_OK)
        return aconn_error_set(err, ACONN_RETRY, "state", NULL, "the state store failed");
    return ACONN_OK;
}

/* The apply: at most once a minute per connection, else a retry later. */
static aconn_status mc_apply(const aconn_host *host, const aconn_batch *batch,
                             aconn_error *err)
{
    char key[256], buf[32];
    size_t len = 0;
    uint64_t version = 0;
    int64_t now = host->now_ms(host->ctx), last = 0;
    aconn_status st;

    snprintf(key, sizeof(key), "applied/%s", batch->connection_id);
    st = host->state_get(host->ctx, key, buf, sizeof(buf), &len, &version);
    if (st == ACONN_OK)
        last = strtoll(buf, NULL, 10);
    else if (st != ACONN_ERR_NOT_FOUND)
        return aconn_error_set(err, ACONN_RETRY, "state", NULL, "the state store failed");
    if (last > 0 && now - last < MC_APPLY_EVERY_MS) {
        st = aconn_error_set(err, ACONN_RETRY_THROTTLED, "rate_limited", NULL,
                             "the remote applies one run a minute; the upload is kept");
        if (err != NULL)
            err->retry_after_ms = MC_APPLY_EVERY_MS - (now - last);
        return st;
    }
    snprintf(buf, sizeof(buf), "%" PRId64, now);
    st = host->state_cas(host->ctx, key, version, buf, strlen(buf), &version);
    if (st != ACONN_OK)   /* a conflict: another worker applied meanwhile */
        return aconn_error_set(err, ACONN_RETRY, "state", NULL, "the apply was not recorded");
    return ACONN_OK;
}

static aconn_status mc_deliver(const aconn_host *host, void **connection_ctx,
                               const aconn_batch *batch, aconn_error *err)
{
    mc_ctx *c = *connection_ctx;
    char report[256];
    int already = 0;
    aconn_status st;

    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        *connection_ctx = c;
    }
    if (batch->flags & ACONN_BATCH_RUN_BEGIN)
        memset(c, 0, sizeof(*c));
    st = mc_count(host, batch, c, err);
    if (st != ACONN_OK || !(batch->flags & ACONN_BATCH_RUN_END))
        return st;
    st = mc_upload(host, batch, c, &already, err);
    if (st == ACONN_OK)
        st = mc_apply(host, batch, err);
    if (st != ACONN_OK)
        return st;
    snprintf(report, sizeof(report),
             "{\"records\":%" PRIu64 ",\"identifiers\":%" PRIu64 ",\"attempt\":%" PRIu32
             ",\"upload\":\"%s\"}", c->records, c->identifiers, batch->run_attempt,
             already ? "done_before" : "done");
    return aconn_output_puts(batch->report, report);
}

static void mc_teardown(const aconn_host *host, void *connection_ctx)
{
    (void) host;
    free(connection_ctx);
}

/* abi_minor 0: this connector uses nothing of 1.1 (no ACONN_OK_PARTIAL,
   no request_catch_up), so it claims 1.0 and any 1.x host takes it. */
static const aconn_plugin mc_plugin = {
    .struct_size = sizeof(aconn_plugin),
    .abi_major = ACONN_ABI_MAJOR,
    .abi_minor = 0,
    .describe = mc_describe,
    .validate_settings = mc_validate,
    .authorize = mc_authorize,
    .deliver_batch = mc_deliver,
    .teardown = mc_teardown,
};

ACONN_EXPORT const aconn_plugin *aconn_plugin_entry(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor)
{
    (void) host_abi_major;
    (void) host_abi_minor;
    return &mc_plugin;
}
